//! The answers the history gives, computed from the rows of either store
//! (so SQLite and PostgreSQL answer alike).
//!
//! A scenario is told apart across runs by its feature's name and its own
//! (`Copy your MitID app › Copy … (iPhone → Android)`: an outline row's name
//! carries its Examples values), not by its line, so a scenario keeps its
//! history when lines are added above it or its file is moved. Within a
//! run its attempts are told apart by file and line. Its outcome in a run
//! is its last attempt's: `passed`, `flaky` (passed on a retry), `failed`
//! (the app broke a check), `error` (could not be judged), `skipped`;
//! failures and errors are counted apart.
//!
//! `flaky` and `slow` read only comparable runs ([`comparable`]): the same
//! profile, selection, tags and defects, so a one-scenario run on a private
//! profile or a run against a planted defect does not count into a
//! nightly's rates.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::record::{AttemptRecord, RunRecord};
use super::store::History;
use crate::exit::Exit;

/// The verdict of an exit code, in words.
pub fn verdict(exit_code: i64) -> &'static str {
    Exit::from_code(exit_code).map_or("unknown", Exit::verdict)
}

/// What makes two runs comparable: the same device profile, features
/// asked for, tag expression and planted defects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Basis {
    /// The device profile.
    pub profile: String,
    /// The features asked for, and `--name`.
    pub selection: String,
    /// The `--tags` expression.
    pub tag_expression: String,
    /// The planted defects, comma-separated.
    pub defects: String,
}

impl Basis {
    /// The basis of a run.
    pub fn of(run: &RunRecord) -> Basis {
        Basis {
            profile: run.profile.clone(),
            selection: run.selection.clone(),
            tag_expression: run.tag_expression.clone(),
            defects: run.defects.clone(),
        }
    }
}

impl std::fmt::Display for Basis {
    /// `profile devices/virtual.toml, features, tags @ios, no defects`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let or = |s: &str, none: &str| if s.is_empty() { none.to_owned() } else { s.to_owned() };
        write!(
            f,
            "profile {}, {}, {}, {}",
            or(&self.profile, "?"),
            or(&self.selection, "selection unknown"),
            if self.tag_expression.is_empty() { "no tags".to_owned() } else { format!("tags {}", self.tag_expression) },
            if self.defects.is_empty() { "no defects".to_owned() } else { format!("defects {}", self.defects) },
        )
    }
}

/// Which runs a `flaky` or `slow` answer reads.
#[derive(Debug, Clone)]
pub struct Comparable {
    /// The runs, oldest first: at most the last N of those like the basis.
    pub history: History,
    /// What they share; `None` when every run was asked for.
    pub basis: Option<Basis>,
    /// The run whose basis it is.
    pub like: Option<String>,
    /// How many runs of the store were left out as not comparable.
    pub left_out: usize,
}

impl Comparable {
    /// One line saying which runs were read, for the tables' heading.
    pub fn heading(&self) -> String {
        match (&self.basis, &self.like) {
            (Some(basis), Some(like)) => format!(
                "over the last {} run(s) like {like} ({basis}); {} other run(s) left out (--all-runs reads them too)",
                self.history.runs.len(),
                self.left_out
            ),
            _ => format!("over the last {} run(s), comparable or not", self.history.runs.len()),
        }
    }
}

/// The last `last` runs comparable with the run `like` (by run id), or
/// with the newest run that ran a scenario; every run of `h` when `all`.
/// `Err` names a `like` the history does not hold.
pub fn comparable(h: &History, like: Option<&str>, all: bool, last: usize) -> Result<Comparable, String> {
    let keep_last = |runs: Vec<RunRecord>| {
        let skip = runs.len().saturating_sub(last);
        runs.into_iter().skip(skip).collect::<Vec<_>>()
    };
    if all {
        return Ok(Comparable {
            history: History { runs: keep_last(h.runs.clone()) },
            basis: None,
            like: None,
            left_out: 0,
        });
    }
    let reference = match like {
        Some(id) => Some(
            h.runs
                .iter()
                .find(|r| r.run_id == id)
                .ok_or_else(|| format!("no run {id} in the history (`history runs` lists them)"))?,
        ),
        None => h.runs.iter().rev().find(|r| !r.attempts.is_empty()),
    };
    let Some(reference) = reference else {
        return Ok(Comparable { history: History::default(), basis: None, like: None, left_out: h.runs.len() });
    };
    let basis = Basis::of(reference);
    let (alike, other): (Vec<RunRecord>, Vec<RunRecord>) = h.runs.iter().cloned().partition(|r| Basis::of(r) == basis);
    Ok(Comparable {
        history: History { runs: keep_last(alike) },
        basis: Some(basis),
        like: Some(reference.run_id.clone()),
        left_out: other.len(),
    })
}

/// Each scenario's name across runs, by its place in `run`: its feature's
/// and its own name; two scenarios of one run named alike (a copy-pasted
/// scenario) get ` #2`, ` #3` after it, in file and line order.
fn names(run: &RunRecord) -> BTreeMap<String, String> {
    let mut places: BTreeMap<String, BTreeSet<(String, i64)>> = BTreeMap::new();
    for a in &run.attempts {
        places.entry(a.name_key()).or_default().insert((a.file.clone(), a.line));
    }
    let mut out = BTreeMap::new();
    for (key, at) in places {
        for (i, (file, line)) in at.into_iter().enumerate() {
            let name = if i == 0 { key.clone() } else { format!("{key} #{}", i + 1) };
            out.insert(format!("{file}:{line}"), name);
        }
    }
    out
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
    /// Scenarios with a step no phrase matches (a typo in a feature).
    pub undefined: usize,
    /// Phones quarantined.
    pub quarantined: usize,
    /// Wall time in seconds.
    pub duration_secs: f64,
    /// The git commit, if known.
    pub git_commit: Option<String>,
    /// The farm's defective builds it ran against.
    pub defects: String,
    /// The device profile.
    pub profile: String,
    /// The features asked for, and `--name`.
    pub selection: String,
    /// The `--tags` expression.
    pub tag_expression: String,
}

impl RunRow {
    /// Passed (first time or on a retry) of those judged, in percent: a
    /// scenario that could not be judged is neither.
    pub fn pass_rate(&self) -> f64 {
        let total = self.passed + self.flaky + self.failed;
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
            verdict: match undefined(r) {
                // Failed only by steps no phrase matches: the feature's
                // typo, not the app's failure.
                n if n > 0 && Exit::from_code(r.exit_code) == Some(Exit::Failed) && r.failed == 0 => {
                    "undefined steps".into()
                }
                _ => verdict(r.exit_code).into(),
            },
            exit_code: r.exit_code,
            passed: r.passed,
            failed: r.failed,
            errors: r.errors,
            flaky: r.flaky,
            skipped: r.skipped,
            undefined: undefined(r),
            quarantined: r.quarantines.len(),
            duration_secs: r.duration_ms as f64 / 1000.0,
            git_commit: r.git_commit.clone(),
            defects: r.defects.clone(),
            profile: r.profile.clone(),
            selection: r.selection.clone(),
            tag_expression: r.tag_expression.clone(),
        })
        .collect()
}

/// What a run was asked, in one line: `features --tags @ios on
/// devices/virtual.toml with --defect x`.
pub fn asked(r: &RunRow) -> String {
    let mut out = if r.selection.is_empty() { "?".to_owned() } else { r.selection.clone() };
    if !r.tag_expression.is_empty() {
        out.push_str(&format!(" --tags {}", r.tag_expression));
    }
    out.push_str(&format!(" on {}", if r.profile.is_empty() { "?" } else { &r.profile }));
    if !r.defects.is_empty() {
        out.push_str(&format!(" with --defect {}", r.defects));
    }
    out
}

/// How many scenarios of a run ended on a step no phrase matches.
fn undefined(run: &RunRecord) -> usize {
    finals(run).iter().filter(|(_, a)| a.status == "undefined").count()
}

/// The last attempt of each scenario in a run, with the scenario's name
/// across runs.
fn finals(run: &RunRecord) -> Vec<(String, &AttemptRecord)> {
    let names = names(run);
    run.attempts
        .iter()
        .filter(|a| !run.attempts.iter().any(|b| b.place() == a.place() && b.attempt > a.attempt))
        .map(|a| (names.get(&a.place()).cloned().unwrap_or_else(|| a.name_key()), a))
        .collect()
}

/// `flaky`: one scenario's instability over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlakyRow {
    /// `file:line` where it was in the latest of these runs.
    pub scenario: String,
    /// Its feature's name.
    pub feature: String,
    /// Its name.
    pub name: String,
    /// Runs it ran in.
    pub runs: usize,
    /// Runs where it passed only on a retry.
    pub flaky: usize,
    /// Runs where it failed: the app broke a check.
    pub failed: usize,
    /// Runs where it could not be judged: a phone, the farm or a timeout
    /// (`error`), or a step no phrase matches (`undefined`).
    pub errors: usize,
    /// `flaky / runs`.
    pub flaky_rate: f64,
    /// `failed / runs`.
    pub failure_rate: f64,
    /// `errors / runs`.
    pub error_rate: f64,
    /// The run id of its last flaky, failed or erring run.
    pub last_unstable_run: String,
}

/// Every scenario that was flaky, failed or erred in the window, most
/// unstable first (by (flaky + failed) / runs, then errors / runs, then
/// flaky runs, then place).
pub fn flaky(h: &History) -> Vec<FlakyRow> {
    let mut per: BTreeMap<String, FlakyRow> = BTreeMap::new();
    for run in &h.runs {
        for (name, a) in finals(run) {
            let row = per.entry(name).or_insert_with(|| FlakyRow {
                scenario: String::new(),
                feature: a.feature.clone(),
                name: a.name.clone(),
                runs: 0,
                flaky: 0,
                failed: 0,
                errors: 0,
                flaky_rate: 0.0,
                failure_rate: 0.0,
                error_rate: 0.0,
                last_unstable_run: String::new(),
            });
            row.scenario = a.place();
            row.runs += 1;
            match a.status.as_str() {
                "flaky" => row.flaky += 1,
                "failed" => row.failed += 1,
                "error" | "undefined" => row.errors += 1,
                _ => continue,
            }
            row.last_unstable_run = run.run_id.clone();
        }
    }
    let mut rows: Vec<FlakyRow> = per
        .into_values()
        .filter(|r| r.flaky + r.failed + r.errors > 0)
        .map(|mut r| {
            r.flaky_rate = r.flaky as f64 / r.runs as f64;
            r.failure_rate = r.failed as f64 / r.runs as f64;
            r.error_rate = r.errors as f64 / r.runs as f64;
            r
        })
        .collect();
    rows.sort_by(|a, b| {
        let ua = (a.flaky + a.failed) as f64 / a.runs as f64;
        let ub = (b.flaky + b.failed) as f64 / b.runs as f64;
        ub.total_cmp(&ua)
            .then(b.error_rate.total_cmp(&a.error_rate))
            .then(b.flaky.cmp(&a.flaky))
            .then(a.scenario.cmp(&b.scenario))
    });
    rows
}

/// `slow`: a scenario whose recent runs are slower than it used to be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowRow {
    /// `file:line` where it was in the latest of these runs.
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

/// One scenario's passing durations over the window.
#[derive(Debug, Clone, Default)]
pub struct Durations {
    /// `file:line` where it was in the latest of these runs.
    pub place: String,
    /// Its name.
    pub name: String,
    /// The passing attempts' durations in ms, oldest first.
    pub ms: Vec<i64>,
}

/// Each scenario's durations in the window's runs where it passed (first
/// time or on a retry: the passing attempt's time), by its name across runs.
pub fn durations(h: &History) -> BTreeMap<String, Durations> {
    let mut per: BTreeMap<String, Durations> = BTreeMap::new();
    for run in &h.runs {
        for (key, a) in finals(run).into_iter().filter(|(_, a)| a.status == "passed" || a.status == "flaky") {
            let d = per.entry(key).or_default();
            d.place = a.place();
            d.name.clone_from(&a.name);
            d.ms.push(a.duration_ms);
        }
    }
    per
}

/// Scenarios whose median over their last `recent` passing runs is at
/// least `threshold` times the median of their earlier passing runs in the
/// window (at least [`MIN_BASELINE`] of them), slowest-growing first.
pub fn slow(h: &History, recent: usize, threshold: f64) -> Vec<SlowRow> {
    let mut rows = Vec::new();
    for Durations { place, name, ms: d } in durations(h).into_values() {
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
        let names = names(run);
        for a in &run.attempts {
            let name = names.get(&a.place()).cloned().unwrap_or_else(|| a.name_key());
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
                    _ => {}
                }
                if run.attempts.iter().any(|b| b.place() == a.place() && b.attempt > a.attempt) {
                    acc.retried += 1;
                }
                // A step no phrase matches is the feature's fault, not the phone's.
                if !good && a.status != "skipped" && a.status != "undefined" {
                    acc.bad_runs.insert(i);
                    acc.bad_places.insert(name.clone());
                }
            }
            if good {
                passed_on.entry(name).or_default().push(a.phones.iter().map(|p| p.udid.clone()).collect());
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
    /// `file:line` in that run.
    pub scenario: String,
    /// Its feature's name.
    pub feature: String,
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

/// The scenarios whose name contains `needle` (case-insensitive) or that
/// stood at the place `needle` (`file:line`) in some run, run by run, oldest
/// first: each with its whole history, wherever its lines were.
pub fn scenario(h: &History, needle: &str) -> Vec<ScenarioRun> {
    let lower = needle.to_lowercase();
    let wanted: BTreeSet<String> = h
        .runs
        .iter()
        .flat_map(finals)
        .filter(|(_, a)| a.place() == needle || a.name.to_lowercase().contains(&lower))
        .map(|(key, _)| key)
        .collect();
    let mut out = Vec::new();
    for run in &h.runs {
        for (key, a) in finals(run) {
            if !wanted.contains(&key) {
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
                feature: a.feature.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(line: i64, name: &str, attempt: i64, status: &str) -> AttemptRecord {
        AttemptRecord {
            feature: "Copy your MitID app".into(),
            file: "features/copy.feature".into(),
            line,
            name: name.into(),
            tags: String::new(),
            attempt,
            status: status.into(),
            duration_ms: 1000,
            failing_step: None,
            message: None,
            phones: Vec::new(),
        }
    }

    fn run(id: &str, selection: &str, attempts: Vec<AttemptRecord>) -> RunRecord {
        RunRecord {
            key: format!("{id}@host"),
            run_id: id.into(),
            started_ms: 0,
            duration_ms: 0,
            git_commit: None,
            profile: "devices/virtual.toml".into(),
            selection: selection.into(),
            tag_expression: String::new(),
            host: "host".into(),
            shard: None,
            kind: "run".into(),
            feature_set: String::new(),
            defects: String::new(),
            exit_code: 0,
            selected: attempts.len() as i64,
            passed: 0,
            failed: 0,
            errors: 0,
            flaky: 0,
            skipped: 0,
            merges: Vec::new(),
            attempts,
            quarantines: Vec::new(),
        }
    }

    #[test]
    fn a_scenario_keeps_its_history_when_lines_move_and_errors_are_not_failures() {
        let h = History {
            runs: vec![
                run("r1", "features", vec![attempt(58, "Copy", 1, "passed")]),
                // Three lines were added above it.
                run("r2", "features", vec![attempt(61, "Copy", 1, "error"), attempt(61, "Copy", 2, "flaky")]),
                run("r3", "features", vec![attempt(61, "Copy", 1, "error")]),
            ],
        };
        let rows = flaky(&h);
        assert_eq!(rows.len(), 1, "{rows:#?}");
        let r = &rows[0];
        assert_eq!((r.runs, r.flaky, r.failed, r.errors), (3, 1, 0, 1));
        assert_eq!(r.scenario, "features/copy.feature:61", "where it stands now");
        assert_eq!(r.failure_rate, 0.0);
        let runs = scenario(&h, "features/copy.feature:58");
        assert_eq!(runs.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(), ["passed", "flaky", "error"]);
    }

    #[test]
    fn two_scenarios_named_alike_in_one_run_stay_apart() {
        let h = History {
            runs: vec![
                run("r1", "features", vec![attempt(10, "Twin", 1, "passed"), attempt(20, "Twin", 1, "failed")]),
                run("r2", "features", vec![attempt(12, "Twin", 1, "passed"), attempt(22, "Twin", 1, "failed")]),
            ],
        };
        let rows = flaky(&h);
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!((rows[0].runs, rows[0].failed), (2, 2));
        assert_eq!(rows[0].scenario, "features/copy.feature:22");
    }

    #[test]
    fn flaky_reads_the_runs_like_the_newest_unless_asked() {
        let mut defect = run("r3", "features", vec![attempt(58, "Copy", 1, "failed")]);
        defect.defects = "old_app_deactivated".into();
        let mut refused = run("r5", "features/typo.feature", Vec::new());
        refused.exit_code = 2;
        let h = History {
            runs: vec![
                run("r1", "features", vec![attempt(58, "Copy", 1, "passed")]),
                run("r2", "features/copy.feature:58", vec![attempt(58, "Copy", 1, "failed")]),
                defect,
                run("r4", "features", vec![attempt(58, "Copy", 1, "passed")]),
                refused,
            ],
        };
        let alike = comparable(&h, None, false, 30).unwrap();
        assert_eq!(alike.like.as_deref(), Some("r4"), "the newest run that ran a scenario");
        assert_eq!(alike.history.runs.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), ["r1", "r4"]);
        assert_eq!(alike.left_out, 3);
        assert!(alike.heading().contains("no tags, no defects"), "{}", alike.heading());
        assert!(flaky(&alike.history).is_empty());
        let one = comparable(&h, None, false, 1).unwrap();
        assert_eq!(one.history.runs.len(), 1, "--last counts comparable runs");
        let like = comparable(&h, Some("r3"), false, 30).unwrap();
        assert_eq!(like.history.runs.len(), 1);
        assert!(like.heading().contains("defects old_app_deactivated"), "{}", like.heading());
        let all = comparable(&h, None, true, 30).unwrap();
        assert_eq!(flaky(&all.history)[0].failed, 2);
        assert!(comparable(&h, Some("r9"), false, 30).unwrap_err().contains("no run r9"));
    }

    #[test]
    fn a_runs_pass_rate_leaves_out_what_could_not_be_judged_and_a_refusal_is_named() {
        let rows = runs(&History {
            runs: vec![{
                let mut r = run("r1", "features", Vec::new());
                (r.passed, r.failed, r.errors, r.exit_code) = (3, 1, 4, 1);
                r
            }],
        });
        assert_eq!(rows[0].pass_rate(), 75.0);
        assert_eq!(verdict(2), "refused");
        assert_eq!(asked(&rows[0]), "features on devices/virtual.toml");
    }
}
