//! `mitid-e2e history`, and what the runner and `report merge` call to
//! record a run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use mitid_e2e_framework::clock::minute as when;
use mitid_e2e_framework::duration::precise_secs as secs;

use super::location::Location;
use super::queries;
use super::record::{self, RunFacts, RunRecord};
use super::store::Store;
use crate::exit::Exit;
use crate::report::RunReport;
use mitid_e2e_steps::world::leases::Leases;

/// How long recording may take before the run gives up on its store.
const RECORD_WITHIN: Duration = Duration::from_secs(120);

/// How many runs the trends page shows.
pub const PAGE_RUNS: usize = 30;

/// `mitid-e2e history`: what the run history says.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The store: `postgres://user@host:port/db`, or a SQLite file
    /// (default: the profile's `[history] url`, else REPORT_DIR/history.sqlite).
    /// Also read from MITID_HISTORY_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub history: Option<String>,
    /// The report folder, holding history.sqlite and history.html
    /// [default: reports under the project's root, as `run` writes].
    #[arg(long, global = true, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// A device profile whose `[history] url` names the store.
    #[arg(long, global = true, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Answer in JSON rather than a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Over the last N runs (a merged sharded run counts once; for `flaky`
    /// and `slow`, the last N comparable runs).
    #[arg(long, global = true, default_value_t = 30, value_name = "N")]
    pub last: usize,
    /// What to ask.
    #[command(subcommand)]
    pub command: HistoryCommand,
}

/// The questions.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// The last N runs, with verdicts and counts.
    Runs,
    /// Per scenario, flaky, failure and error rates, most unstable first,
    /// over the runs comparable with the newest.
    Flaky {
        /// Which runs to read.
        #[command(flatten)]
        runs: Alike,
    },
    /// Scenarios whose median time over their last K passing runs is at
    /// least THRESHOLD times the median of their earlier ones (at least 3),
    /// over the runs comparable with the newest.
    Slow {
        /// Which runs to read.
        #[command(flatten)]
        runs: Alike,
        /// K: how many of the latest passing runs make "recent".
        #[arg(long, default_value_t = 5, value_name = "K")]
        recent: usize,
        /// How many times slower than the baseline counts as slow.
        #[arg(long, default_value_t = 1.5)]
        threshold: f64,
    },
    /// Per phone: runs, failures, errors, quarantines, worst first.
    Phones,
    /// One scenario's history, run by run (by name, part of it, or file:line).
    Scenario {
        /// The scenario's name, part of it, or its `file:line`.
        name: String,
    },
    /// Delete runs older than N days.
    Prune {
        /// Keep the runs of the last N days.
        #[arg(long, value_name = "N")]
        keep_days: u64,
    },
    /// Write the trends page, REPORT_DIR/history.html.
    Html,
}

/// Which runs `flaky` and `slow` read: by default those with the same
/// profile, selection, tags and defects as the newest run that ran a
/// scenario (a one-scenario run on a private profile, or a run against a
/// planted defect, says nothing of a nightly's flakiness).
#[derive(Debug, Args)]
pub struct Alike {
    /// Read the runs like this one (a run id from `history runs`).
    #[arg(long, value_name = "RUN", conflicts_with = "all_runs")]
    pub like: Option<String>,
    /// Read every run, comparable or not.
    #[arg(long)]
    pub all_runs: bool,
}

impl Alike {
    async fn read(&self, store: &mut Store, last: usize) -> Result<queries::Comparable> {
        let all = store.load(None).await?;
        queries::comparable(&all, self.like.as_deref(), self.all_runs, last).map_err(anyhow::Error::msg)
    }
}

fn location(flag: Option<&str>, profile: Option<&Path>, report_dir: &Path) -> Result<Location> {
    let from_profile = match profile {
        Some(p) => mitid_e2e_framework::profile::Profile::load(p)?.history.url,
        None => None,
    };
    Ok(Location::resolve(flag, from_profile.as_deref(), report_dir))
}

/// Runs a `history` command; exit 0, or an error (exit 2).
/// `report_dir` is `args.report_dir` or its default, resolved by the caller
/// against the project's root, so every command finds the store `run` wrote.
pub async fn history(args: &HistoryArgs, report_dir: &Path) -> Result<ExitCode> {
    let location = location(args.history.as_deref(), args.profile.as_deref(), report_dir)?;
    if let Location::Sqlite(path) = &location {
        if !path.exists() {
            anyhow::bail!(
                "no run history at {location}: no run has been recorded there yet (see --history, --report-dir)"
            );
        }
    }
    let mut store = Store::open(&location).await?;
    let last = Some(args.last);
    let json = |v: serde_json::Value| println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    match &args.command {
        HistoryCommand::Runs => {
            let rows = queries::runs(&store.load(last).await?);
            if args.json {
                json(serde_json::to_value(&rows)?);
            } else {
                print!("{}", runs_table(&rows));
            }
        }
        HistoryCommand::Flaky { runs } => {
            let alike = runs.read(&mut store, args.last).await?;
            let rows = queries::flaky(&alike.history);
            if args.json {
                json(serde_json::to_value(&rows)?);
            } else if rows.is_empty() {
                println!("no scenario was flaky, failed or erred {}", alike.heading());
            } else {
                println!("{}", alike.heading());
                print!("{}", flaky_table(&rows));
            }
        }
        HistoryCommand::Slow { runs, recent, threshold } => {
            let alike = runs.read(&mut store, args.last).await?;
            let rows = queries::slow(&alike.history, *recent, *threshold);
            if args.json {
                json(serde_json::to_value(&rows)?);
            } else if rows.is_empty() {
                println!(
                    "no scenario's median over its last {recent} passing run(s) is {threshold}x its earlier median, {}",
                    alike.heading()
                );
            } else {
                println!("{}", alike.heading());
                print!("{}", slow_table(&rows));
            }
        }
        HistoryCommand::Phones => {
            let rows = queries::phones(&store.load(last).await?);
            if args.json {
                json(serde_json::to_value(&rows)?);
            } else {
                print!("{}", phones_table(&rows));
            }
        }
        HistoryCommand::Scenario { name } => {
            let rows = queries::scenario(&store.load(last).await?, name);
            if rows.is_empty() {
                anyhow::bail!("no scenario named like '{name}' in the last {} run(s)", args.last);
            }
            if args.json {
                json(serde_json::to_value(&rows)?);
            } else {
                print!("{}", scenario_table(&rows));
            }
        }
        HistoryCommand::Prune { keep_days } => {
            let before = record::now_ms() - (*keep_days as i64) * 86_400_000;
            let n = store.prune(before).await?;
            if args.json {
                json(serde_json::json!({ "deleted_runs": n, "kept_days": keep_days }));
            } else {
                println!("deleted {n} run(s) older than {keep_days} day(s) from {location}");
            }
        }
        HistoryCommand::Html => {
            let path = write_page(&mut store, report_dir).await?;
            println!("trends: {}", path.display());
        }
    }
    Ok(Exit::Passed.into())
}

/// Writes `report_dir/history.html` from the store's last [`PAGE_RUNS`] runs.
pub async fn write_page(store: &mut Store, report_dir: &Path) -> Result<PathBuf> {
    let h = store.load(Some(PAGE_RUNS)).await?;
    let path = report_dir.join(super::HTML_FILE);
    std::fs::create_dir_all(report_dir).with_context(|| format!("cannot make {}", report_dir.display()))?;
    std::fs::write(&path, super::html::render(&h)).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

async fn store_and_page(location: &Location, run: &RunRecord, report_dir: &Path) -> Result<PathBuf> {
    let mut store = Store::open(location).await?;
    store.record(run).await?;
    write_page(&mut store, report_dir).await
}

/// Records a finished run and writes the trends page; says on the console
/// how that went. A store that cannot be reached does not change the run's
/// outcome: the reports on disk are the truth.
pub async fn record_run(
    report: &RunReport,
    facts: &RunFacts,
    leases: &Leases,
    history: Option<&str>,
    profile_url: Option<&str>,
    report_dir: &Path,
) {
    let location = Location::resolve(history, profile_url, report_dir);
    let run = record::of_run(report, facts, leases);
    say(
        &location,
        &run,
        report_dir,
        tokio::time::timeout(RECORD_WITHIN, store_and_page(&location, &run, report_dir)).await,
    );
}

fn say(
    location: &Location,
    run: &RunRecord,
    report_dir: &Path,
    result: Result<Result<PathBuf>, tokio::time::error::Elapsed>,
) {
    match result {
        Ok(Ok(page)) => println!("history: recorded {} in {location}; trends: {}", run.run_id, page.display()),
        Ok(Err(e)) => println!(
            "history: {} was NOT recorded in {location}: {} (the reports in {} are complete; the exit code is unchanged)",
            run.run_id,
            mitid_e2e_framework::secret::redact(&format!("{e:#}")),
            report_dir.display()
        ),
        Err(_) => println!(
            "history: {} was NOT recorded in {location}: no answer within {RECORD_WITHIN:?} (the reports in {} are complete; the exit code is unchanged)",
            run.run_id,
            report_dir.display()
        ),
    }
}

/// After `report merge`: records the merged run once, as one run. When
/// every shard was recorded in the store, the merged run carries their
/// scenario attempts (with phones) and the shards are marked merged into
/// it, so queries count the nightly once; otherwise it carries the merged
/// report's scenarios (without phones).
pub async fn record_merge(out: &Path, shards: &[PathBuf], history: Option<&str>, report_dir: &Path) {
    let location = Location::resolve(history, None, report_dir);
    let run = match merged_record(out) {
        Ok(run) => run,
        Err(e) => {
            println!("history: the merged run was NOT recorded: {e:#}");
            return;
        }
    };
    let work = async {
        let mut store = Store::open(&location).await?;
        let mut run = run.clone();
        let mut found = Vec::new();
        for dir in shards {
            let dir = if dir.is_dir() { dir.clone() } else { dir.parent().unwrap_or(Path::new(".")).to_path_buf() };
            let info = crate::report::run_info::RunInfo::read(&dir)?;
            let (i, n) = info.shard.unwrap_or((0, 0));
            found.push(store.find_shard(&info.run_id, i as i64, n as i64).await?);
        }
        if found.iter().all(Option::is_some) {
            let found: Vec<RunRecord> = found.into_iter().flatten().collect();
            run.attempts = found.iter().flat_map(|s| s.attempts.iter().cloned()).collect();
            run.attempts.sort_by(|a, b| (&a.file, a.line, a.attempt).cmp(&(&b.file, b.line, b.attempt)));
            run.quarantines = found.iter().flat_map(|s| s.quarantines.iter().cloned()).collect();
            run.started_ms = found.iter().map(|s| s.started_ms).min().unwrap_or(run.started_ms);
            run.git_commit = found.iter().find_map(|s| s.git_commit.clone()).or(run.git_commit);
            if let Some(first) = found.first() {
                run.profile.clone_from(&first.profile);
                run.defects.clone_from(&first.defects);
                run.selection.clone_from(&first.selection);
                run.tag_expression.clone_from(&first.tag_expression);
            }
            run.merges = found.iter().map(|s| s.key.clone()).collect();
        }
        store.record(&run).await?;
        write_page(&mut store, report_dir).await
    };
    say(&location, &run, report_dir, tokio::time::timeout(RECORD_WITHIN, work).await);
}

fn merged_record(out: &Path) -> Result<RunRecord> {
    let report = crate::report::merge::read(out)?;
    let info = crate::report::run_info::RunInfo::read(out)?;
    let id = {
        let now = record::now_ms();
        format!("merged-{}-{:03}", now / 1000, now % 1000)
    };
    // Without the shards' records, what run.json says; the selection and
    // tags are the shards' to tell.
    let facts = RunFacts {
        run_id: id,
        profile: info.meta.profile.clone().unwrap_or_default(),
        selection: String::new(),
        tag_expression: String::new(),
        shard: None,
        defects: info.meta.defects.clone(),
        feature_set: info.feature_set.clone(),
        selected: info.selected,
        exit_code: info.exit_code,
    };
    let mut report = report;
    report.duration = Duration::from_secs_f64(info.duration_secs);
    report.quarantined = info.quarantined.clone();
    let mut run = record::of_run(&report, &facts, &Default::default());
    run.kind = "merged".into();
    Ok(run)
}

/// A plain text table: a header, then rows, columns padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The `runs` table.
pub fn runs_table(rows: &[queries::RunRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.run_id.clone(),
                when(r.started_ms),
                r.kind.clone(),
                r.verdict.clone(),
                r.passed.to_string(),
                r.flaky.to_string(),
                r.failed.to_string(),
                r.errors.to_string(),
                r.skipped.to_string(),
                r.quarantined.to_string(),
                secs(r.duration_secs),
                r.git_commit.as_deref().map(|c| c.chars().take(10).collect()).unwrap_or_else(|| "-".into()),
                queries::asked(r),
            ]
        })
        .collect();
    table(
        &[
            "run",
            "started (UTC)",
            "kind",
            "verdict",
            "passed",
            "flaky",
            "failed",
            "errors",
            "skipped",
            "quarantined",
            "time",
            "commit",
            "asked",
        ],
        &body,
    )
}

/// The `flaky` table.
pub fn flaky_table(rows: &[queries::FlakyRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                pct(r.flaky_rate),
                pct(r.failure_rate),
                format!("{}/{}", r.flaky, r.runs),
                format!("{}/{}", r.failed, r.runs),
                format!("{}/{}", r.errors, r.runs),
                r.scenario.clone(),
                format!("{} › {}", r.feature, r.name),
            ]
        })
        .collect();
    table(&["flaky", "failing", "flaky runs", "failed runs", "not judged", "scenario", "name"], &body)
}

/// The `slow` table.
pub fn slow_table(rows: &[queries::SlowRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format!("{:.2}x", r.ratio),
                format!("{} ({} runs)", secs(r.baseline_secs), r.baseline_runs),
                format!("{} ({} runs)", secs(r.recent_secs), r.recent_runs),
                r.scenario.clone(),
                r.name.clone(),
            ]
        })
        .collect();
    table(&["slower", "baseline median", "recent median", "scenario", "name"], &body)
}

/// The `phones` table.
pub fn phones_table(rows: &[queries::PhoneRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.udid.clone(),
                format!("{} ({} {})", r.model, r.os_version, r.rig),
                r.runs.to_string(),
                r.failures.to_string(),
                r.errors.to_string(),
                r.retried.to_string(),
                r.quarantines.to_string(),
                r.summary.clone(),
            ]
        })
        .collect();
    table(&["phone", "model", "runs", "failures", "errors", "retried", "quarantines", "health"], &body)
}

/// The `scenario` table: one per scenario the name matched, each headed
/// by its name and where it stands now.
pub fn scenario_table(rows: &[queries::ScenarioRun]) -> String {
    let mut names: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !names.contains(&(&r.feature, &r.name)) {
            names.push((&r.feature, &r.name));
        }
    }
    let mut out = String::new();
    for (feature, name) in names {
        let of: Vec<&queries::ScenarioRun> = rows.iter().filter(|r| r.feature == feature && r.name == name).collect();
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&one_scenario_table(&of));
    }
    out
}

fn one_scenario_table(rows: &[&queries::ScenarioRun]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.run_id.clone(),
                when(r.started_ms),
                r.status.clone(),
                r.attempts.to_string(),
                secs(r.duration_secs),
                r.scenario.clone(),
                r.phones.clone(),
                r.failure.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let now = rows.last().map(|r| r.scenario.as_str()).unwrap_or_default();
    let mut out = format!("{} › {} ({now})\n", rows[0].feature, rows[0].name);
    out.push_str(&table(&["run", "started (UTC)", "status", "attempts", "time", "at", "phones", "failure"], &body));
    out
}
