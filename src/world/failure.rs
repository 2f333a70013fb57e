//! A failed step: the message it fails with, and the `fail!` shorthand the
//! step bodies use.

/// What a failed step is: a message for the report (already redacted by
/// construction of the values it formats; scrubbed again on the way out).
#[derive(Debug)]
pub struct StepFailure(pub String);

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for StepFailure {
    fn from(e: E) -> Self {
        StepFailure(e.to_string())
    }
}

/// What a step body returns.
pub type StepResult = Result<(), StepFailure>;

/// Fails the step with a message.
macro_rules! fail {
    ($($arg:tt)*) => { return Err($crate::world::StepFailure(format!($($arg)*))) };
}
pub(crate) use fail;
