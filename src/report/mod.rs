//! What a run produced, and the files it is written to: JUnit XML, Cucumber
//! JSON, the coverage of the documentation, beside the console output.
//!
//! Every string enters the model through [`clean`], which scrubs secrets:
//! the writers never see a PIN, temporary PIN or user ID in clear.

pub mod console;
pub mod coverage;
pub mod cucumber_json;
pub mod junit;
pub mod merge;
pub mod recorder;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The outcome of a step or scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Not run, because an earlier step failed or was undefined.
    Skipped,
    /// No step definition matches the text.
    Undefined,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Undefined => "undefined",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub mime: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub background: bool,
    pub status: Status,
    pub duration: Duration,
    pub error: Option<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub name: String,
    pub keyword: String,
    pub line: usize,
    pub tags: Vec<String>,
    pub steps: Vec<StepReport>,
    /// Attempts made; more than one when retried.
    pub attempts: usize,
    pub duration: Duration,
}

impl ScenarioReport {
    pub fn status(&self) -> Status {
        if self.steps.iter().any(|s| s.status == Status::Failed || s.status == Status::Undefined) {
            Status::Failed
        } else if self.steps.is_empty() || self.steps.iter().all(|s| s.status == Status::Passed) {
            Status::Passed
        } else {
            Status::Skipped
        }
    }

    /// Passed, but only after failing: reported, never hidden.
    pub fn flaky(&self) -> bool {
        self.attempts > 1 && self.status() == Status::Passed
    }

    pub fn failure(&self) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.status == Status::Failed || s.status == Status::Undefined)
    }
}

#[derive(Debug, Clone)]
pub struct FeatureReport {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    pub line: usize,
    pub tags: Vec<String>,
    pub scenarios: Vec<ScenarioReport>,
}

/// A whole run.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub run_id: String,
    pub duration: Duration,
    pub features: Vec<FeatureReport>,
    /// Features that could not be parsed, with file and line.
    pub parse_errors: Vec<String>,
    /// Steps no definition matched, with where they are.
    pub undefined: Vec<(String, String)>,
    /// Phones taken out of the run (udid, why).
    pub quarantined: Vec<(String, String)>,
}

impl RunReport {
    pub fn scenarios(&self) -> impl Iterator<Item = (&FeatureReport, &ScenarioReport)> {
        self.features.iter().flat_map(|f| f.scenarios.iter().map(move |s| (f, s)))
    }

    pub fn count(&self, status: Status) -> usize {
        self.scenarios().filter(|(_, s)| s.status() == status).count()
    }

    pub fn passed(&self) -> bool {
        self.parse_errors.is_empty() && self.count(Status::Failed) == 0
    }
}

/// Scrubs secrets from a string bound for the model.
pub fn clean(s: &str) -> String {
    mitid_e2e_framework::secret::redact(s)
}

impl RunReport {
    /// Features by file, scenarios by line: the same order however the run
    /// was scheduled or split.
    pub fn sort(&mut self) {
        self.features.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &mut self.features {
            f.scenarios.sort_by_key(|s| s.line);
        }
    }
}

/// Writes the report files into `run_dir`.
pub fn write_files(report: &RunReport, run_dir: &Path, coverage: &coverage::Coverage) -> std::io::Result<()> {
    std::fs::create_dir_all(run_dir)?;
    std::fs::write(run_dir.join("junit.xml"), junit::render(report))?;
    std::fs::write(run_dir.join("cucumber.json"), cucumber_json::render(report))?;
    std::fs::write(run_dir.join("coverage.md"), coverage.markdown())
}

/// Writes every report file into `dir/<run id>/` and points `dir/latest` at
/// it. Returns the run's folder.
pub fn write_all(report: &RunReport, dir: &Path, coverage: &coverage::Coverage) -> std::io::Result<PathBuf> {
    let run_dir = dir.join(&report.run_id);
    write_files(report, &run_dir, coverage)?;
    let latest = dir.join("latest");
    let _ = std::fs::remove_file(&latest);
    #[cfg(unix)]
    {
        let _ = std::os::unix::fs::symlink(&report.run_id, &latest);
    }
    Ok(run_dir)
}
