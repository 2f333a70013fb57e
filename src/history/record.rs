//! What the history keeps of a run, built from the report model (whose
//! strings already went through [`crate::report::clean`]: no secret in clear).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::leases::Leases;
use crate::report::{RunReport, Status, StepReport};

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

/// A phone an attempt leased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneRecord {
    /// Its udid.
    pub udid: String,
    /// Its model, if the profile says.
    pub model: String,
    /// Its OS version.
    pub os_version: String,
    /// Its rig.
    pub rig: String,
    /// Its platform ("Android", "iOS"), for the console and the reports;
    /// the history does not keep it (empty when read back from a store).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub platform: String,
}

impl PhoneRecord {
    /// How the console names it: "Galaxy S24 (Android 14)", or its udid
    /// when the profile gives no model.
    pub fn shown(&self) -> String {
        let name = if self.model.is_empty() { &self.udid } else { &self.model };
        let os = [self.platform.as_str(), self.os_version.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        if os.is_empty() {
            name.clone()
        } else {
            format!("{name} ({os})")
        }
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

/// `git rev-parse HEAD` in the current folder, if git is there and answers.
pub fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

/// This machine's name.
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
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

impl RunFacts {
    /// What `run.json` and the options say.
    pub fn of(info: &crate::report::run_info::RunInfo, opts: &crate::run::RunOptions) -> RunFacts {
        let shown = |p: &std::path::Path| {
            let p = p.strip_prefix(&opts.root).unwrap_or(p).display().to_string();
            match p.trim_end_matches('/') {
                "" => ".".to_owned(),
                trimmed => trimmed.to_owned(),
            }
        };
        let mut selection: Vec<String> = opts.features.iter().map(|f| shown(f)).collect();
        if let Some(name) = &opts.name {
            selection.push(format!("--name {name}"));
        }
        RunFacts {
            run_id: info.run_id.clone(),
            profile: shown(&opts.profile),
            selection: selection.join(" "),
            tag_expression: opts.tags.clone().unwrap_or_default(),
            shard: info.shard,
            defects: opts.defects.clone(),
            feature_set: info.feature_set.clone(),
            selected: info.selected,
            exit_code: info.exit_code,
        }
    }
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
    let host = host();
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
        git_commit: git_commit(),
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
