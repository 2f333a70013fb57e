//! How a command ends, in one place: the exit codes the README promises CI
//! (0 passed, 1 a scenario failed, 2 a configuration or usage error, 3 not
//! judged, 130/143 stopped by a signal), what each means in words, and the
//! order in which they outrank each other.

use std::process::ExitCode;

/// How a command ended, as CI reads it.
///
/// ```
/// use mitid_e2e::exit::Exit;
///
/// assert_eq!(Exit::NotJudged.code(), 3);
/// assert_eq!(Exit::from_code(143), Some(Exit::Terminated));
/// assert_eq!(Exit::Failed.max(Exit::Usage), Exit::Usage);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exit {
    /// 0: every scenario passed, or the command did what it was asked.
    Passed,
    /// 1: a scenario failed: the app broke a documented step or rule (or a
    /// step is undefined).
    Failed,
    /// 2: a configuration or usage error; the scenarios were never judged.
    Usage,
    /// 3: nothing failed, but some scenarios could not be judged (an error of
    /// the harness or the infrastructure, not of the app).
    NotJudged,
    /// 130: Ctrl-C (SIGINT) stopped the run.
    Interrupted,
    /// 143: SIGTERM stopped the run.
    Terminated,
}

impl Exit {
    /// The process's exit code.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::NotJudged => 3,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }

    /// The exit that `code` stands for (a recorded run's, say); `None` for a
    /// code no command of ours ends with.
    pub fn from_code(code: i64) -> Option<Exit> {
        [Exit::Passed, Exit::Failed, Exit::Usage, Exit::NotJudged, Exit::Interrupted, Exit::Terminated]
            .into_iter()
            .find(|e| i64::from(e.code()) == code)
    }

    /// The verdict in a word, as the run history shows it.
    pub const fn verdict(self) -> &'static str {
        match self {
            Exit::Passed => "passed",
            Exit::Failed => "failed",
            Exit::Usage => "refused",
            Exit::NotJudged => "errors",
            Exit::Interrupted | Exit::Terminated => "interrupted",
        }
    }

    /// Whether the run's scenarios were judged to the end: not refused, not
    /// stopped by a signal.
    pub const fn judged(self) -> bool {
        matches!(self, Exit::Passed | Exit::Failed | Exit::NotJudged)
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_exit_reads_back_from_its_code_and_nothing_else_does() {
        for code in 0..=255 {
            match Exit::from_code(code) {
                Some(exit) => assert_eq!(i64::from(exit.code()), code),
                None => assert!(![0, 1, 2, 3, 130, 143].contains(&code), "{code}"),
            }
        }
        assert_eq!(Exit::from_code(-1), None);
    }

    #[test]
    fn a_usage_error_outranks_a_failure_and_only_judged_runs_are_judged() {
        assert_eq!([Exit::Passed, Exit::Failed, Exit::Usage].into_iter().max(), Some(Exit::Usage));
        assert!(Exit::NotJudged.judged() && !Exit::Usage.judged() && !Exit::Interrupted.judged());
    }
}
