//! A failed step: what it means for the release (the app broke a documented
//! step or rule, or the harness could not judge), the message it fails
//! with, and the `fail!` shorthand the step bodies use.
//!
//! Each error the framework can return says which it is here, in one place:
//! a screen that never came or an SMS that never arrived is the app's
//! failure; a session that died, an unreachable server, no free phone or a
//! black screenshot is an error of the harness.

use mitid_e2e_framework::bluetooth::BluetoothError;
use mitid_e2e_framework::control::ControlError;
use mitid_e2e_framework::gateways::GatewayError;
use mitid_e2e_framework::phone::PhoneError;
use mitid_e2e_framework::pool::PoolError;
use mitid_e2e_framework::qr::QrError;

/// What a failed step says about the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The app broke a documented step or rule: a release gate is red.
    Failed,
    /// The harness or infrastructure could not judge: a session died, no
    /// phone was free, a server could not be reached, a deadline passed.
    Error,
    /// A signal stopped the run while the scenario ran: it could not be
    /// judged (an error, whose message says "interrupted").
    Interrupted,
    /// A signal stopped the run before the scenario began: it was not run
    /// (skipped, [`NOT_RUN`](super::stop::NOT_RUN)).
    NotRun,
}

/// What a failed step is: a message for the report (already redacted by
/// construction of the values it formats; scrubbed again on the way out)
/// and what it means.
#[derive(Debug)]
pub struct StepFailure {
    /// Failed or error.
    pub verdict: Verdict,
    /// What happened, for a person.
    pub message: String,
}

impl StepFailure {
    /// The app broke a documented step or rule.
    pub fn failed(message: impl Into<String>) -> StepFailure {
        StepFailure { verdict: Verdict::Failed, message: message.into() }
    }

    /// The harness could not judge.
    pub fn error(message: impl Into<String>) -> StepFailure {
        StepFailure { verdict: Verdict::Error, message: message.into() }
    }

    /// The same verdict, the message prefixed (the walk says which documented step).
    pub fn context(self, prefix: &str) -> StepFailure {
        StepFailure { verdict: self.verdict, message: format!("{prefix}: {}", self.message) }
    }
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<PhoneError> for StepFailure {
    fn from(e: PhoneError) -> Self {
        match e {
            // The screen or element the documentation promises never came.
            PhoneError::NotFound { .. } => StepFailure::failed(e.to_string()),
            // A screen of the app shows texts QA did not approve.
            PhoneError::ScreenTexts(..) => StepFailure::failed(e.to_string()),
            // A countdown the phone's clock says is wrong ("Time left: 4:00").
            PhoneError::Countdown(..) => StepFailure::failed(e.to_string()),
            PhoneError::Unreachable { .. }
            | PhoneError::SessionNotCreated { .. }
            | PhoneError::Command { .. }
            | PhoneError::Locator(..) => StepFailure::error(e.to_string()),
        }
    }
}

impl From<GatewayError> for StepFailure {
    fn from(e: GatewayError) -> Self {
        match e {
            // The backend did not send the temporary PIN the documentation promises.
            GatewayError::NoSms { .. } => StepFailure::failed(e.to_string()),
            GatewayError::Bind { .. } | GatewayError::Pattern(..) => StepFailure::error(e.to_string()),
        }
    }
}

impl From<QrError> for StepFailure {
    fn from(e: QrError) -> Self {
        match e {
            // The old phone shows no readable QR code.
            QrError::NoQrCode => StepFailure::failed(e.to_string()),
            // A secure screen: the harness cannot see the code, so cannot judge.
            QrError::Black | QrError::NotPng(..) => StepFailure::error(e.to_string()),
        }
    }
}

impl From<BluetoothError> for StepFailure {
    fn from(e: BluetoothError) -> Self {
        match e {
            // The old phone's beacon is not on the air (or not gone when it should be).
            BluetoothError::NotSeen { .. } | BluetoothError::StillAdvertising { .. } => {
                StepFailure::failed(e.to_string())
            }
            _ => StepFailure::error(e.to_string()),
        }
    }
}

impl From<ControlError> for StepFailure {
    fn from(e: ControlError) -> Self {
        StepFailure::error(e.to_string())
    }
}

impl From<PoolError> for StepFailure {
    fn from(e: PoolError) -> Self {
        StepFailure::error(e.to_string())
    }
}

/// What a step body returns.
pub type StepResult = Result<(), StepFailure>;

/// What a failed step panics with, for cucumber to carry to the report:
/// cucumber knows a step only passed or panicked.
#[derive(Debug, Clone)]
pub struct StepPanic {
    /// Failed or error.
    pub verdict: Verdict,
    /// The redacted message.
    pub message: String,
}

/// Fails the step: the app broke a documented step or rule.
macro_rules! fail {
    ($($arg:tt)*) => { return Err($crate::world::StepFailure::failed(format!($($arg)*))) };
}
pub(crate) use fail;
