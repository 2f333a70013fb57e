//! What the history keeps of a run, built from the report model (whose
//! strings already went through [`crate::report::clean`]: no secret in clear).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::report::{PhoneRecord, RunReport, Status, StepReport};
use mitid_e2e_steps::world::leases::Leases;

/// One run: a whole run, a shard of one, or a merged sharded run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// Unique in the store: the run id and the host (`run-…@host`), so
    /// shards started in the same millisecond on two machines stay apart.
    pub key: String,
    /// The run's id (its report folder's name).
    pub run_id: String,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_ms: i64,
    /// Its wall time in milliseconds.
    pub duration_ms: i64,
    /// `git rev-parse HEAD` where it ran, if that answered.
    pub git_commit: Option<String>,
    /// The device profile it ran on (relative to the project's root when
    /// under it, so clones in other folders record the same name).
    pub profile: String,
    /// The features it was given, as asked (`features`,
    /// `features/x.feature:58`), and `--name REGEX` when given.
    pub selection: String,
    /// Its `--tags` expression; empty when none was given.
    pub tag_expression: String,
    /// The machine it ran on.
    pub host: String,
    /// `(i, n)`: shard i of n.
    pub shard: Option<(i64, i64)>,
    /// `run`, `shard` or `merged`.
    pub kind: String,
    /// The feature-set digest of `run.json`.
    pub feature_set: String,
    /// The farm's defective builds it ran against (`--defect`), comma-separated.
    pub defects: String,
    /// The verdict: 0 passed, 1 failed, 2 configuration, 3 errors only.
    pub exit_code: i64,
    /// Scenarios selected.
    pub selected: i64,
    /// Scenarios that passed on their first attempt.
    pub passed: i64,
    /// Scenarios that failed.
    pub failed: i64,
    /// Scenarios that could not be judged.
    pub errors: i64,
    /// Scenarios that passed only on a retry.
    pub flaky: i64,
    /// Scenarios skipped.
    pub skipped: i64,
    /// Keys of the shard runs this merged run joins (only when recording).
    #[serde(skip)]
    pub merges: Vec<String>,
    /// Its scenario attempts.
    pub attempts: Vec<AttemptRecord>,
    /// Its quarantines.
    pub quarantines: Vec<QuarantineRecord>,
}

/// One attempt of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptRecord {
    /// The feature's name.
    pub feature: String,
    /// The feature file.
    pub file: String,
    /// The scenario's line in it.
    pub line: i64,
    /// The scenario's name.
    pub name: String,
    /// Its tags, space-separated, without `@`.
    pub tags: String,
    /// Which attempt (1-based).
    pub attempt: i64,
    /// `passed`, `failed`, `error`, `undefined` (a step no phrase matches:
    /// a typo, not the app's failure), `flaky` (passed on this, a retry),
    /// `skipped`. An earlier attempt has its own verdict (`failed`,
    /// `error`): it is earlier because a later attempt of its place exists.
    pub status: String,
    /// Its duration in milliseconds.
    pub duration_ms: i64,
    /// The step that failed or erred: `Keyword text (line N)`.
    pub failing_step: Option<String>,
    /// That step's message.
    pub message: Option<String>,
    /// The phones it leased, old phone first.
    pub phones: Vec<PhoneRecord>,
}

impl AttemptRecord {
    /// `file:line`: where the scenario was in this run; what tells its
    /// attempts apart within one run.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// `Feature › Scenario`: what tells a scenario apart across runs
    /// ([`crate::history::queries`] adds ` #2` when one run has two alike).
    /// An outline row's name carries its Examples values, so rows differ.
    pub fn name_key(&self) -> String {
        format!("{} › {}", self.feature, self.name)
    }
}

/// A phone taken out of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarantineRecord {
    /// The phone.
    pub udid: String,
    /// Why.
    pub reason: String,
    /// When, in milliseconds since the epoch: the report keeps no time of
    /// its own for a quarantine, so this is when the run ended.
    pub at_ms: i64,
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// What the runner knows of a run besides its report.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// The run id.
    pub run_id: String,
    /// The device profile's path.
    pub profile: String,
    /// The features asked for and `--name` ([`RunRecord::selection`]).
    pub selection: String,
    /// The `--tags` expression, or empty.
    pub tag_expression: String,
    /// `(i, n)` for a shard.
    pub shard: Option<(usize, usize)>,
    /// `--defect` names.
    pub defects: Vec<String>,
    /// The feature-set digest.
    pub feature_set: String,
    /// Scenarios selected.
    pub selected: usize,
    /// The exit code the run gives.
    pub exit_code: u8,
}

/// A scenario attempt's verdict for the history: the report's, except that
/// one failed only by a step no phrase matches is `undefined` (a typo in
/// the feature), kept apart from the app's failures.
fn judged(status: Status, steps: &[StepReport]) -> &'static str {
    if status == Status::Failed && !steps.iter().any(|s| s.status == Status::Failed) {
        "undefined"
    } else {
        status.name()
    }
}

/// The record of a run from its report, what the runner knows, and the
/// phones its scenarios leased.
pub fn of_run(report: &RunReport, facts: &RunFacts, leases: &Leases) -> RunRecord {
    let host = crate::report::run_info::host();
    let ended = now_ms();
    let duration_ms = report.duration.as_millis() as i64;
    let count = |st: Status| report.scenarios().filter(|(_, s)| s.status() == st && !s.flaky()).count() as i64;
    let mut attempts = Vec::new();
    let mut undefined = 0;
    for (f, s) in report.scenarios() {
        let file = f.path.display().to_string();
        let tags = s.tags.join(" ");
        let attempts_made = s.attempts().max(1);
        let leased = leases.of(&file, s.line);
        // Earlier attempts, each with its verdict, failing step and phones.
        for (i, earlier) in s.earlier_attempts.iter().enumerate() {
            let status = judged(earlier.status(), &earlier.steps);
            let failure =
                earlier.steps.iter().find(|st| matches!(st.status, Status::Failed | Status::Undefined | Status::Error));
            attempts.push(AttemptRecord {
                feature: f.name.clone(),
                file: file.clone(),
                line: s.line as i64,
                name: s.name.clone(),
                tags: tags.clone(),
                attempt: i as i64 + 1,
                status: status.into(),
                duration_ms: earlier.duration.as_millis() as i64,
                failing_step: failure.map(|st| format!("{} {} (line {})", st.keyword, st.text, st.line)),
                message: failure.and_then(|st| st.error.clone()),
                phones: leased.get(i).cloned().unwrap_or_default(),
            });
        }
        let status = if s.flaky() { "flaky" } else { judged(s.status(), &s.steps) };
        undefined += i64::from(status == "undefined");
        let failure = s.failure();
        // Leases are one per attempt that got as far as leasing; the last
        // one belongs to the last attempt when every attempt leased.
        let phones =
            if leased.len() == attempts_made { leased.last().cloned().unwrap_or_default() } else { Vec::new() };
        attempts.push(AttemptRecord {
            feature: f.name.clone(),
            file,
            line: s.line as i64,
            name: s.name.clone(),
            tags,
            attempt: attempts_made as i64,
            status: status.into(),
            duration_ms: s.duration.as_millis() as i64,
            failing_step: failure.map(|st| format!("{} {} (line {})", st.keyword, st.text, st.line)),
            message: failure.and_then(|st| st.error.clone()),
            phones,
        });
    }
    let kind = if facts.shard.is_some() { "shard" } else { "run" };
    RunRecord {
        key: format!("{}@{host}", facts.run_id),
        run_id: facts.run_id.clone(),
        started_ms: ended - duration_ms,
        duration_ms,
        git_commit: crate::report::run_info::git_commit(),
        profile: facts.profile.clone(),
        selection: facts.selection.clone(),
        tag_expression: facts.tag_expression.clone(),
        host,
        shard: facts.shard.map(|(i, n)| (i as i64, n as i64)),
        kind: kind.into(),
        feature_set: facts.feature_set.clone(),
        defects: facts.defects.join(","),
        exit_code: i64::from(facts.exit_code),
        selected: facts.selected as i64,
        passed: count(Status::Passed),
        failed: count(Status::Failed) - undefined,
        errors: count(Status::Error),
        flaky: report.scenarios().filter(|(_, s)| s.flaky()).count() as i64,
        skipped: count(Status::Skipped),
        merges: Vec::new(),
        attempts,
        quarantines: report
            .quarantined
            .iter()
            .map(|(udid, reason)| QuarantineRecord { udid: udid.clone(), reason: reason.clone(), at_ms: ended })
            .collect(),
    }
}
