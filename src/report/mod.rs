//! What a run produced, and the files it is written to: JUnit XML, Cucumber
//! JSON, Cucumber Messages, Allure results, the coverage of the
//! documentation, one HTML page of it all, beside the console output.
//!
//! Every string enters the model through [`clean`], which scrubs secrets:
//! the writers never see a PIN, temporary PIN or user ID in clear.

pub mod allure;
pub mod attachments;
pub mod console;
pub mod coverage;
pub mod cucumber_json;
pub mod html;
pub mod junit;
pub mod leases;
pub mod merge;
pub mod messages;
pub mod progress;
pub mod run_info;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::exit::Exit;
use mitid_e2e_steps::catalogue::StepDef;
pub use mitid_e2e_steps::world::leases::PhoneRecord;
pub use mitid_e2e_steps::world::requests;
pub use mitid_e2e_steps::world::Attachment;

/// The outcome of a step or scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran and held.
    Passed,
    /// Ran, and the app broke a documented step or rule.
    Failed,
    /// Ran, and could not be judged: the harness or infrastructure failed
    /// (a session died, no phone was free, a server could not be reached,
    /// a deadline passed, a hook panicked).
    Error,
    /// Not run, because an earlier step failed or was undefined.
    Skipped,
    /// No step definition matches the text.
    Undefined,
}

impl Status {
    /// Its name: `passed`, `failed`, `error`, `skipped`, `undefined`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Undefined => "undefined",
        }
    }
}

/// One step as it ran (or was skipped).
#[derive(Debug, Clone)]
pub struct StepReport {
    /// `Given`, `When`, `Then`, `And`… as written, without trailing space.
    pub keyword: String,
    /// The step's text after the keyword, cleaned of secrets.
    pub text: String,
    /// Its line in the feature file.
    pub line: usize,
    /// A step of the feature's `Background`, not of the scenario itself.
    pub background: bool,
    /// How it ended.
    pub status: Status,
    /// How long it ran.
    pub duration: Duration,
    /// Why it failed, cleaned of secrets.
    pub error: Option<String>,
    /// The evidence gathered for it.
    pub attachments: Vec<Attachment>,
    /// The data table or doc string written under it, cleaned of secrets.
    pub argument: Option<StepArgument>,
    /// What it proved of the documentation, as the step recorded it while
    /// it acted (a passing step's only; see [`mitid_e2e_steps::documented`]).
    pub proved: Vec<mitid_e2e_steps::documented::Proof>,
}

/// What a step carries under its line: a data table or a doc string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepArgument {
    /// A data table, row by row, cell by cell.
    Table(Vec<Vec<String>>),
    /// A doc string's text, without its delimiters.
    DocString(String),
}

/// A doc string's text as Gherkin means it: the Gherkin parser keeps the
/// line breaks after the opening and before the closing delimiter, which
/// are not part of it.
pub fn doc_string_text(raw: &str) -> &str {
    let text = raw.strip_prefix("\r\n").or_else(|| raw.strip_prefix('\n')).unwrap_or(raw);
    text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text)
}

/// One try at a scenario: its steps, and how long it ran.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// Its steps, background steps first, with their errors and evidence.
    pub steps: Vec<StepReport>,
    /// How long it ran.
    pub duration: Duration,
}

impl Attempt {
    /// As [`ScenarioReport::status`], for this attempt's steps.
    pub fn status(&self) -> Status {
        status_of(&self.steps)
    }

    /// The step that failed, was undefined or could not be judged, if any.
    pub fn failure(&self) -> Option<&StepReport> {
        failure_of(&self.steps)
    }
}

/// Failed if a step failed or was undefined; else error if a step could not
/// be judged; passed if every step passed; skipped otherwise.
fn status_of(steps: &[StepReport]) -> Status {
    if steps.iter().any(|s| s.status == Status::Failed || s.status == Status::Undefined) {
        Status::Failed
    } else if steps.iter().any(|s| s.status == Status::Error) {
        Status::Error
    } else if steps.is_empty() || steps.iter().all(|s| s.status == Status::Passed) {
        Status::Passed
    } else {
        Status::Skipped
    }
}

fn failure_of(steps: &[StepReport]) -> Option<&StepReport> {
    steps.iter().find(|s| matches!(s.status, Status::Failed | Status::Undefined | Status::Error))
}

/// One scenario: its last attempt, the attempts before it, or why it was
/// left out of the run.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// The scenario's name, cleaned of secrets.
    pub name: String,
    /// `Scenario`, `Scenario Outline`, `Scenarie`… as written.
    pub keyword: String,
    /// Its line in the feature file.
    pub line: usize,
    /// Its tags and those it inherits (feature, rule), without the `@`.
    pub tags: Vec<String>,
    /// An outline row's values, by their Examples column (empty for a
    /// plain scenario).
    pub parameters: Vec<(String, String)>,
    /// The steps of the last attempt, background steps first; of a scenario
    /// left out, its steps as written, each skipped.
    pub steps: Vec<StepReport>,
    /// How long the last attempt ran.
    pub duration: Duration,
    /// The attempts before the last, the first first. Each failed or could
    /// not be judged: only such a scenario is tried again.
    pub earlier_attempts: Vec<Attempt>,
    /// How many attempts the run allowed it: the run's `--retry` (or the
    /// scenario's own `@retry(N)` tag) plus one.
    pub attempts_allowed: usize,
    /// Why the run left it out without running it (e.g. a `@bluetooth`
    /// scenario when the profile has no `[bluetooth]` section).
    pub left_out: Option<String>,
    /// When its first attempt started.
    pub started: Option<SystemTime>,
    /// The phones its attempts leased (udid, model, OS, rig), each once,
    /// in the order leased.
    pub phones: Vec<PhoneRecord>,
    /// The WebDriver requests its attempts sent, by phone and kind (each a
    /// round trip on a real phone).
    pub requests: requests::Requests,
}

impl ScenarioReport {
    /// Attempts made: more than one when retried, none when left out.
    pub fn attempts(&self) -> usize {
        if self.left_out.is_some() {
            0
        } else {
            self.earlier_attempts.len() + 1
        }
    }

    /// Of the last attempt: failed if a step failed or was undefined; else
    /// error if a step could not be judged; passed if every step passed;
    /// skipped otherwise, and always when the scenario was left out.
    pub fn status(&self) -> Status {
        if self.left_out.is_some() {
            Status::Skipped
        } else {
            status_of(&self.steps)
        }
    }

    /// Passed, but only after failing: reported, never hidden.
    pub fn flaky(&self) -> bool {
        !self.earlier_attempts.is_empty() && self.status() == Status::Passed
    }

    /// The step of the last attempt that failed, was undefined or could not
    /// be judged, if any.
    pub fn failure(&self) -> Option<&StepReport> {
        failure_of(&self.steps)
    }

    /// Every attempt's steps and time, the first first, the last last.
    pub fn every_attempt(&self) -> Vec<(&[StepReport], Duration)> {
        self.earlier_attempts
            .iter()
            .map(|a| (a.steps.as_slice(), a.duration))
            .chain([(self.steps.as_slice(), self.duration)])
            .collect()
    }

    /// How long every attempt together ran.
    pub fn total_duration(&self) -> Duration {
        self.earlier_attempts.iter().map(|a| a.duration).sum::<Duration>() + self.duration
    }

    /// "attempt K of N": which attempt was the last, of how many allowed.
    pub fn attempt_of(&self) -> String {
        format!("attempt {} of {}", self.attempts(), self.attempts_allowed.max(self.attempts()))
    }
}

/// One feature file and the scenarios of it that ran.
#[derive(Debug, Clone)]
pub struct FeatureReport {
    /// Its keyword as the file says it: `Feature`, or `Egenskab` in a Danish file.
    pub keyword: String,
    /// The feature's name, cleaned of secrets.
    pub name: String,
    /// The text under `Feature:`, cleaned of secrets.
    pub description: String,
    /// The file, relative to where the run started (when it is under it).
    pub path: PathBuf,
    /// The line of `Feature:`.
    pub line: usize,
    /// The feature's tags, without the `@`.
    pub tags: Vec<String>,
    /// The feature file's text, cleaned of secrets, as the run read it:
    /// what Cucumber Messages' `source` and `gherkinDocument` are made of.
    /// `None` when it could not be read.
    pub source: Option<String>,
    /// Its scenarios.
    pub scenarios: Vec<ScenarioReport>,
}

/// A whole run.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// The run's id, also its folder's name.
    pub run_id: String,
    /// How long the whole run took.
    pub duration: Duration,
    /// The features, by file once [`RunReport::sort`]ed.
    pub features: Vec<FeatureReport>,
    /// Features that could not be parsed, with file and line.
    pub parse_errors: Vec<String>,
    /// Steps no definition matched, with where they are.
    pub undefined: Vec<(String, String)>,
    /// Phones taken out of the run (udid, why).
    pub quarantined: Vec<(String, String)>,
    /// Where and of what it ran: commit, profile, host, defects.
    pub meta: run_info::RunMeta,
    /// `(i, n)`: the i-th of n shards; `None`: the whole suite.
    pub shard: Option<(usize, usize)>,
}

impl RunReport {
    /// The WebDriver requests the run's scenarios sent, by kind, all phones
    /// together.
    pub fn requests_by_kind(&self) -> std::collections::BTreeMap<String, u64> {
        let mut by_kind = std::collections::BTreeMap::new();
        for (_, s) in self.scenarios() {
            for (kind, n) in s.requests.values().flatten() {
                *by_kind.entry(kind.clone()).or_default() += n;
            }
        }
        by_kind
    }

    /// Every scenario, with its feature.
    pub fn scenarios(&self) -> impl Iterator<Item = (&FeatureReport, &ScenarioReport)> {
        self.features.iter().flat_map(|f| f.scenarios.iter().map(move |s| (f, s)))
    }

    /// How many scenarios ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.scenarios().filter(|(_, s)| s.status() == status).count()
    }

    /// Every feature was read and every scenario was judged and held.
    pub fn passed(&self) -> bool {
        self.parse_errors.is_empty() && self.count(Status::Failed) == 0 && self.count(Status::Error) == 0
    }

    /// The verdict as an exit code: 0 all passed, 1 a scenario failed, 3 no
    /// failure but some scenarios could not be judged. (2, a configuration
    /// or usage error, is the runner's to give before there is a report.)
    pub fn exit(&self) -> Exit {
        if self.count(Status::Failed) > 0 {
            Exit::Failed
        } else if self.count(Status::Error) > 0 {
            Exit::NotJudged
        } else {
            Exit::Passed
        }
    }
}

pub use mitid_e2e_framework::clock::{civil_from_days, rfc3339};

/// The time [`rfc3339`] wrote (`YYYY-MM-DDTHH:MM:SS.mmmZ`), if that is what `s` is.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 24 || b[23] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, min, sec, milli) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 24 + h) * 60 + min) * 60_000 + sec * 1000 + milli;
    Some(UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).ok()?))
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

/// Writes the report files into `run_dir`, every attachment as a file under
/// its `attachments/` (see [`attachments`]); `catalogue` is the run's step
/// definitions, which Cucumber Messages lists.
pub fn write_files(
    report: &RunReport,
    run_dir: &Path,
    coverage: &coverage::Coverage,
    catalogue: &[StepDef],
) -> std::io::Result<()> {
    std::fs::create_dir_all(run_dir)?;
    attachments::write(report, run_dir)?;
    // JUnit names the files by absolute path, as its attachments plugin wants.
    let absolute = std::fs::canonicalize(run_dir)?;
    std::fs::write(run_dir.join("junit.xml"), junit::render_at(report, &absolute))?;
    std::fs::write(run_dir.join("cucumber.json"), cucumber_json::render(report))?;
    // Without a feature's text there is no honest Gherkin document: say so,
    // and leave the other reports whole.
    match messages::render(report, catalogue) {
        Ok(ndjson) => std::fs::write(run_dir.join("messages.ndjson"), ndjson)?,
        Err(e) => {
            let _ = std::fs::remove_file(run_dir.join("messages.ndjson"));
            tracing::warn!("messages.ndjson is not written: {e}");
            eprintln!("warning: messages.ndjson is not written: {e}");
        }
    }
    allure::write(report, run_dir, &allure::Ci::from_env())?;
    std::fs::write(run_dir.join("coverage.md"), coverage.markdown())?;
    std::fs::write(run_dir.join(html::FILE_NAME), html::render(report, coverage))
}

/// Writes every report file into `dir/<run id>/` and points `dir/latest` at
/// it. Returns the run's folder.
pub fn write_all(
    report: &RunReport,
    dir: &Path,
    coverage: &coverage::Coverage,
    catalogue: &[StepDef],
) -> std::io::Result<PathBuf> {
    let run_dir = dir.join(&report.run_id);
    write_files(report, &run_dir, coverage, catalogue)?;
    let latest = dir.join("latest");
    let _ = std::fs::remove_file(&latest);
    #[cfg(unix)]
    {
        let _ = std::os::unix::fs::symlink(&report.run_id, &latest);
    }
    Ok(run_dir)
}
