//! The answers the history gives, computed from the rows of either store
//! (so SQLite and PostgreSQL answer alike).
//!
//! A scenario is told apart by its file and line (`features/x.feature:58`);
//! its outcome in a run is its last attempt's: `passed`, `flaky` (passed on
//! a retry), `failed`, `error`, `skipped`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::record::{AttemptRecord, RunRecord};
use super::store::History;

/// The verdict of an exit code, in words.
pub fn verdict(exit_code: i64) -> &'static str {
    match exit_code {
        0 => "passed",
        1 => "failed",
        2 => "not run",
        3 => "errors",
        _ => "unknown",
    }
}

/// `runs`: one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    /// The run id.
    pub run_id: String,
    /// When it started (ms since the epoch).
    pub started_ms: i64,
    /// `run`, `shard i/n` or `merged (n shards)`.
    pub kind: String,
    /// `passed`, `failed`, `errors`, `not run`.
    pub verdict: String,
    /// Its exit code.
    pub exit_code: i64,
    /// Scenarios passed on the first attempt.
    pub passed: i64,
    /// Scenarios that failed.
    pub failed: i64,
    /// Scenarios that could not be judged.
    pub errors: i64,
    /// Scenarios that passed on a retry.
    pub flaky: i64,
    /// Scenarios skipped.
    pub skipped: i64,
    /// Phones quarantined.
    pub quarantined: usize,
    /// Wall time in seconds.
    pub duration_secs: f64,
    /// The git commit, if known.
    pub git_commit: Option<String>,
    /// The farm's defective builds it ran against.
    pub defects: String,
}

impl RunRow {
    /// Passed (first time or on a retry) of those judged, in percent.
    pub fn pass_rate(&self) -> f64 {
        let total = self.passed + self.flaky + self.failed + self.errors;
        if total == 0 {
            0.0
        } else {
            100.0 * (self.passed + self.flaky) as f64 / total as f64
        }
    }
}

/// The runs of the window, oldest first.
pub fn runs(h: &History) -> Vec<RunRow> {
    h.runs
        .iter()
        .map(|r| RunRow {
            run_id: r.run_id.clone(),
            started_ms: r.started_ms,
            kind: match (r.kind.as_str(), r.shard) {
                ("shard", Some((i, n))) => format!("shard {i}/{n}"),
                (k, _) => k.to_owned(),
            },
            verdict: verdict(r.exit_code).into(),
            exit_code: r.exit_code,
            passed: r.passed,
            failed: r.failed,
            errors: r.errors,
            flaky: r.flaky,
            skipped: r.skipped,
            quarantined: r.quarantines.len(),
            duration_secs: r.duration_ms as f64 / 1000.0,
            git_commit: r.git_commit.clone(),
            defects: r.defects.clone(),
        })
        .collect()
}

/// The last attempt of each scenario in a run.
fn finals(run: &RunRecord) -> impl Iterator<Item = &AttemptRecord> {
    run.attempts.iter().filter(move |a| !run.attempts.iter().any(|b| b.place() == a.place() && b.attempt > a.attempt))
}

/// `flaky`: one scenario's instability over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlakyRow {
    /// `file:line`.
    pub scenario: String,
    /// Its name.
    pub name: String,
    /// Runs it ran in.
    pub runs: usize,
    /// Runs where it passed only on a retry.
    pub flaky: usize,
    /// Runs where it failed or could not be judged.
    pub failed: usize,
    /// `flaky / runs`.
    pub flaky_rate: f64,
    /// `failed / runs`.
    pub failure_rate: f64,
    /// The run id of its last flaky or failed run.
    pub last_unstable_run: String,
}

/// Every scenario that was flaky or failed in the window, most unstable
/// first (by (flaky + failed) / runs, then flaky runs, then place).
pub fn flaky(h: &History) -> Vec<FlakyRow> {
    let mut per: BTreeMap<String, FlakyRow> = BTreeMap::new();
    for run in &h.runs {
        for a in finals(run) {
            let row = per.entry(a.place()).or_insert_with(|| FlakyRow {
                scenario: a.place(),
                name: a.name.clone(),
                runs: 0,
                flaky: 0,
                failed: 0,
                flaky_rate: 0.0,
                failure_rate: 0.0,
                last_unstable_run: String::new(),
            });
            row.runs += 1;
            match a.status.as_str() {
                "flaky" => row.flaky += 1,
                "failed" | "error" => row.failed += 1,
                _ => continue,
            }
            row.last_unstable_run = run.run_id.clone();
        }
    }
    let mut rows: Vec<FlakyRow> = per
        .into_values()
        .filter(|r| r.flaky + r.failed > 0)
        .map(|mut r| {
            r.flaky_rate = r.flaky as f64 / r.runs as f64;
            r.failure_rate = r.failed as f64 / r.runs as f64;
            r
        })
        .collect();
    rows.sort_by(|a, b| {
        let ua = (a.flaky + a.failed) as f64 / a.runs as f64;
        let ub = (b.flaky + b.failed) as f64 / b.runs as f64;
        ub.total_cmp(&ua).then(b.flaky.cmp(&a.flaky)).then(a.scenario.cmp(&b.scenario))
    });
    rows
}

/// `slow`: a scenario whose recent runs are slower than it used to be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowRow {
    /// `file:line`.
    pub scenario: String,
    /// Its name.
    pub name: String,
    /// The median duration of its earlier runs (the baseline), in seconds.
    pub baseline_secs: f64,
    /// The median duration of its last `recent` runs, in seconds.
    pub recent_secs: f64,
    /// `recent / baseline`.
    pub ratio: f64,
    /// How many earlier runs make the baseline.
    pub baseline_runs: usize,
    /// How many recent runs.
    pub recent_runs: usize,
}

/// The median of durations in ms, in seconds.
pub fn median_secs(v: &[i64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    let ms = if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 };
    ms / 1000.0
}

/// The fewest earlier runs that make a baseline.
pub const MIN_BASELINE: usize = 3;

/// Each scenario's durations (ms) in the window's runs where it passed
/// (first time or on a retry: the passing attempt's time), oldest first.
pub fn durations(h: &History) -> BTreeMap<String, (String, Vec<i64>)> {
    let mut per: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    for run in &h.runs {
        for a in finals(run).filter(|a| a.status == "passed" || a.status == "flaky") {
            per.entry(a.place()).or_insert_with(|| (a.name.clone(), Vec::new())).1.push(a.duration_ms);
        }
    }
    per
}

/// Scenarios whose median over their last `recent` passing runs is at
/// least `threshold` times the median of their earlier passing runs in the
/// window (at least [`MIN_BASELINE`] of them), slowest-growing first.
pub fn slow(h: &History, recent: usize, threshold: f64) -> Vec<SlowRow> {
    let mut rows = Vec::new();
    for (place, (name, d)) in durations(h) {
        if recent == 0 || d.len() < recent + MIN_BASELINE {
            continue;
        }
        let (earlier, last) = d.split_at(d.len() - recent);
        let (baseline, now) = (median_secs(earlier), median_secs(last));
        if baseline > 0.0 && now >= threshold * baseline {
            rows.push(SlowRow {
                scenario: place,
                name,
                baseline_secs: baseline,
                recent_secs: now,
                ratio: now / baseline,
                baseline_runs: earlier.len(),
                recent_runs: last.len(),
            });
        }
    }
    rows.sort_by(|a, b| b.ratio.total_cmp(&a.ratio).then(a.scenario.cmp(&b.scenario)));
    rows
}

/// `phones`: one phone's health over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoneRow {
    /// Its udid.
    pub udid: String,
    /// Its model.
    pub model: String,
    /// Its OS version.
    pub os_version: String,
    /// Its rig.
    pub rig: String,
    /// Runs in which it was leased.
    pub runs: usize,
    /// Runs in which an attempt on it did not pass.
    pub bad_runs: usize,
    /// Attempts on it that failed.
    pub failures: usize,
    /// Attempts on it that could not be judged.
    pub errors: usize,
    /// Earlier attempts on it that did not pass and were retried.
    pub retried: usize,
    /// Runs that quarantined it.
    pub quarantines: usize,
    /// What it means, in a sentence.
    pub summary: String,
}

/// Every phone leased or quarantined in the window, most often involved in
/// runs that did not pass first (then quarantines, then udid).
pub fn phones(h: &History) -> Vec<PhoneRow> {
    #[derive(Default)]
    struct Acc {
        model: String,
        os: String,
        rig: String,
        runs: BTreeSet<usize>,
        bad_runs: BTreeSet<usize>,
        failures: usize,
        errors: usize,
        retried: usize,
        quarantines: BTreeSet<usize>,
        bad_places: BTreeSet<String>,
    }
    let mut per: BTreeMap<String, Acc> = BTreeMap::new();
    // Per scenario, the phones of each attempt that passed.
    let mut passed_on: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for (i, run) in h.runs.iter().enumerate() {
        for a in &run.attempts {
            let good = a.status == "passed" || a.status == "flaky";
            for p in &a.phones {
                let acc = per.entry(p.udid.clone()).or_default();
                acc.model.clone_from(&p.model);
                acc.os.clone_from(&p.os_version);
                acc.rig.clone_from(&p.rig);
                acc.runs.insert(i);
                match a.status.as_str() {
                    "failed" => acc.failures += 1,
                    "error" => acc.errors += 1,
                    "retried" => acc.retried += 1,
                    _ => {}
                }
                if !good && a.status != "skipped" {
                    acc.bad_runs.insert(i);
                    acc.bad_places.insert(a.place());
                }
            }
            if good {
                passed_on.entry(a.place()).or_default().push(a.phones.iter().map(|p| p.udid.clone()).collect());
            }
        }
        for q in &run.quarantines {
            per.entry(q.udid.clone()).or_default().quarantines.insert(i);
        }
    }
    let mut rows: Vec<PhoneRow> = per
        .into_iter()
        .map(|(udid, acc)| {
            let elsewhere = acc
                .bad_places
                .iter()
                .filter(|place| passed_on.get(*place).is_some_and(|sets| sets.iter().any(|set| !set.contains(&udid))))
                .count();
            let mut summary = if acc.bad_runs.is_empty() {
                format!("passed in all of its last {} runs", acc.runs.len())
            } else {
                let then = if elsewhere == acc.bad_places.len() {
                    "; the same scenarios passed on other phones".to_owned()
                } else if elsewhere == 0 {
                    "; those scenarios did not pass on other phones either".to_owned()
                } else {
                    format!("; {elsewhere} of its {} failing scenarios passed on other phones", acc.bad_places.len())
                };
                format!("failed {} of its last {} runs{then}", acc.bad_runs.len(), acc.runs.len())
            };
            if !acc.quarantines.is_empty() {
                summary.push_str(&format!("; quarantined in {} run(s)", acc.quarantines.len()));
            }
            PhoneRow {
                udid,
                model: acc.model,
                os_version: acc.os,
                rig: acc.rig,
                runs: acc.runs.len(),
                bad_runs: acc.bad_runs.len(),
                failures: acc.failures,
                errors: acc.errors,
                retried: acc.retried,
                quarantines: acc.quarantines.len(),
                summary,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.bad_runs.cmp(&a.bad_runs).then(b.quarantines.cmp(&a.quarantines)).then(a.udid.cmp(&b.udid)));
    rows
}

/// `scenario NAME`: the scenario in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRun {
    /// The run id.
    pub run_id: String,
    /// When the run started (ms since the epoch).
    pub started_ms: i64,
    /// `file:line`.
    pub scenario: String,
    /// Its name.
    pub name: String,
    /// Its outcome (its last attempt's status).
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last attempt's duration in seconds.
    pub duration_secs: f64,
    /// The phones of each attempt, `udid+udid`, attempts joined by ` then `.
    pub phones: String,
    /// The failing step and its message, if it did not pass.
    pub failure: Option<String>,
}

/// The scenarios whose name contains `needle` (case-insensitive) or whose
/// place is `needle`, run by run, oldest first.
pub fn scenario(h: &History, needle: &str) -> Vec<ScenarioRun> {
    let lower = needle.to_lowercase();
    let mut out = Vec::new();
    for run in &h.runs {
        for a in finals(run) {
            if a.place() != needle && !a.name.to_lowercase().contains(&lower) {
                continue;
            }
            let phones: Vec<String> = run
                .attempts
                .iter()
                .filter(|b| b.place() == a.place())
                .map(|b| b.phones.iter().map(|p| p.udid.as_str()).collect::<Vec<_>>().join("+"))
                .collect();
            out.push(ScenarioRun {
                run_id: run.run_id.clone(),
                started_ms: run.started_ms,
                scenario: a.place(),
                name: a.name.clone(),
                status: a.status.clone(),
                attempts: a.attempt,
                duration_secs: a.duration_ms as f64 / 1000.0,
                phones: phones.join(" then "),
                failure: a.failing_step.as_ref().map(|s| match &a.message {
                    Some(m) => format!("{s}: {m}"),
                    None => s.clone(),
                }),
            });
        }
    }
    out
}
