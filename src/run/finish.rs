//! The fourth move: the run's outcome, written and said. The report
//! completed (its id, the phones each scenario leased, what was
//! quarantined), the reports and `run.json` written and the run recorded
//! in the history ([`record`], which a refused run takes too), the
//! console's last lines, and the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use super::check::Plan;
use super::execute::Executed;
use super::prepare::Prepared;
use super::{ConfigError, RunOptions, BLUETOOTH_TAG};
use crate::exit::Exit;
use crate::interrupt::{self, Outcome, Signal};
use crate::lint;
use crate::report::coverage::Coverage;
use crate::report::run_info::{feature_set, RequestTotals, RunInfo, RunMeta};
use crate::report::{self, RunReport};
use mitid_e2e_steps::world::leases::Leases;

/// How a run ended, as its records say: the scenarios it selected, its
/// exit, and the phones each scenario leased.
pub(super) struct RunEnd {
    pub selected: usize,
    pub exit: Exit,
    pub leases: Leases,
}

/// Completes the report of the scenarios that ran, records it and says how
/// the run went; returns the exit code.
pub(super) async fn finish(
    opts: &RunOptions,
    plan: &Plan,
    prepared: &Prepared,
    executed: Executed,
    started: Instant,
) -> Result<ExitCode, ConfigError> {
    let Executed {
        mut report,
        signal,
        outcome,
        unfinished,
        selected,
        no_probe,
        settled,
        ended,
        still_open,
        quarantined,
        listener,
    } = executed;
    report.duration = started.elapsed();
    report.sort();
    report.quarantined = quarantined;
    let leases = prepared.ctx.ledger.leases();
    report::leases::fill(&mut report, &leases);
    let left_out = report.scenarios().filter(|(_, s)| s.left_out.is_some()).count();
    let without_probe = report.scenarios().filter(|(_, s)| s.left_out.as_deref() == Some(no_probe.as_str())).count();
    let without_phones = left_out - without_probe;
    let ran = report.scenarios().count() - left_out;
    let exit = if let Some(signal) = signal {
        Exit::from(signal)
    } else if !report.parse_errors.is_empty() || (selected == 0 && opts.shard.is_none()) {
        Exit::Usage
    } else {
        report.exit()
    };
    let end = RunEnd { selected, exit, leases };
    let (dir, coverage) = record(opts, plan, &mut report, &end, prepared.ctx.profile.history.url.as_deref()).await?;

    if without_probe > 0 {
        println!(
            "\n{without_probe} @{BLUETOOTH_TAG} scenario(s) not run: {} has no [bluetooth] section (the host adapter; see docs/src/bluetooth.md)",
            opts.profile.display()
        );
    }
    if without_phones > 0 {
        println!(
            "\n{without_phones} scenario(s) not run: no rig of {} has the phones their tags name (a tablet, a third phone; each one's reason is in the reports)",
            opts.profile.display()
        );
    }
    for (step, place) in &report.undefined {
        println!("\nundefined step at {place}: {step}\n{}", snippet(step));
    }
    println!();
    println!("{}", coverage.line());
    println!("reports: {}", dir.display());
    print!("{}", report::console::evidence(&report, &report::console::from_here(&dir)));
    print!("{}", report::console::summary(&report));
    println!("report page: {}", report::console::from_here(&dir).join(report::html::FILE_NAME).display());
    for s in &ended {
        println!("closed a session the run had left open: {} on {} ({})", s.id, s.udid, s.role);
    }
    for (s, why) in &still_open {
        println!("session left open: {} on {} ({}): {why}", s.id, s.udid, s.role);
    }
    if !settled {
        println!("a session was still being created when the run ended; it may be left open");
    }
    if let Some(signal) = signal {
        print!(
            "{}",
            interrupted_lines(&report, signal, outcome, unfinished, end.selected, still_open.is_empty() && settled)
        );
        listener.abort();
        return Ok(Exit::from(signal).into());
    }
    listener.abort();
    if !report.parse_errors.is_empty() {
        return Err(ConfigError(anyhow::anyhow!("{} feature file(s) could not be read", report.parse_errors.len())));
    }
    if ran == 0 && opts.shard.is_some() {
        // More shards than scenarios is a split, not a mistake.
        println!("this shard holds no scenario");
        return Ok(Exit::Passed.into());
    }
    if ran == 0 {
        return Err(ConfigError(anyhow::anyhow!(
            "no scenario matched: check the features paths ({}), --name and --tags{}",
            opts.features.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
            if left_out > 0 {
                format!(
                    " ({without_probe} @{BLUETOOTH_TAG} scenario(s) need a profile with a [bluetooth] section, {without_phones} phones the profile has not)"
                )
            } else {
                String::new()
            }
        )));
    }
    Ok(report.exit().into())
}

/// A run refused for features that cannot run as written: the reports,
/// run.json and history still say why (for CI, and so the history keeps it
/// apart from failures), and the error names every problem (exit 2).
pub(super) async fn refused(opts: &RunOptions, plan: &Plan, mut report: RunReport) -> ConfigError {
    let history_url = mitid_e2e_framework::profile::Profile::load(&opts.profile).ok().and_then(|p| p.history.url);
    let end = RunEnd { selected: 0, exit: Exit::Usage, leases: Default::default() };
    match record(opts, plan, &mut report, &end, history_url.as_deref()).await {
        Ok((dir, _)) => ConfigError(anyhow::anyhow!(
            "the features cannot run as written (`run --dry-run` lists every problem; reports: {}):\n{}",
            dir.display(),
            report.parse_errors.join("\n")
        )),
        Err(e) => e,
    }
}

/// Writes the reports and `run.json` of `report` and records the run in
/// the history: the one place a run's records are made, whether it ran or
/// was refused. Gives the report its id, meta and shard first.
async fn record(
    opts: &RunOptions,
    plan: &Plan,
    report: &mut RunReport,
    end: &RunEnd,
    history_url: Option<&str>,
) -> Result<(PathBuf, Coverage), ConfigError> {
    report.run_id = run_id();
    report.meta = RunMeta::here(&opts.profile, &opts.defects, opts.no_screen_texts);
    report.shard = opts.shard;
    let catalogue = mitid_e2e_steps::all();
    let coverage = Coverage::of(report, &catalogue);
    let dir = report::write_all(report, &opts.report_dir, &coverage, &catalogue)
        .with_context(|| format!("cannot write reports into {}", opts.report_dir.display()))
        .map_err(ConfigError)?;
    // What `report merge` needs to know to refuse a merge that would lie.
    let info = RunInfo {
        run_id: report.run_id.clone(),
        shard: opts.shard,
        feature_set: feature_set(&plan.files, &opts.root, &format!("{:?}\n{}", opts.tags, plan.selection.describe()))
            .context("cannot read the features")
            .map_err(ConfigError)?,
        selected: end.selected,
        exit_code: end.exit.code(),
        problems: report.parse_errors.clone(),
        duration_secs: report.duration.as_secs_f64(),
        quarantined: report.quarantined.clone(),
        meta: report.meta.clone(),
        requests: RequestTotals::of(report),
    };
    info.write(&dir).with_context(|| format!("cannot write {}", dir.display())).map_err(ConfigError)?;
    let facts = run_facts(&info, opts);
    crate::history::cli::record_run(
        report,
        &facts,
        &end.leases,
        opts.history.as_deref(),
        history_url,
        &opts.report_dir,
    )
    .await;
    Ok((dir, coverage))
}

/// What the console says of an interrupted run, after the totals: how many
/// scenarios were interrupted and not run, and whether every session is closed.
fn interrupted_lines(
    report: &report::RunReport,
    signal: Signal,
    outcome: Outcome,
    unfinished: usize,
    selected: usize,
    all_closed: bool,
) -> String {
    let message = |s: &report::ScenarioReport| s.steps.iter().find_map(|st| st.error.clone()).unwrap_or_default();
    let interrupted = report
        .scenarios()
        .filter(|(_, s)| s.status() == report::Status::Error && message(s).starts_with("interrupted"))
        .count();
    let not_run = report
        .scenarios()
        .filter(|(_, s)| s.status() == report::Status::Skipped && message(s) == interrupt::NOT_RUN)
        .count();
    let mut out = String::new();
    if let Outcome::Interrupted { took, wound_down, .. } = outcome {
        if wound_down {
            out.push_str(&format!(
                "the run wound down {} after the signal\n",
                mitid_e2e_framework::duration::precise(took)
            ));
        } else {
            out.push_str(&format!(
                "the run did not wind down within {} of the signal: {unfinished} scenario(s) still running were stopped\n",
                mitid_e2e_framework::duration::seconds(interrupt::WIND_DOWN)
            ));
        }
    }
    let unreported = selected.saturating_sub(report.scenarios().count());
    let unreported = if unreported > 0 {
        format!("; {unreported} the run never reached are left out of the reports")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "interrupted by {}: {interrupted} scenario(s) interrupted (errors: could not be judged), {not_run} not run \
         (skipped: \"{}\"){unreported}; {}; exit {}\n",
        signal.name(),
        interrupt::NOT_RUN,
        if all_closed { "every session the run opened is closed" } else { "some sessions may be left open (above)" },
        Exit::from(signal).code()
    ));
    out
}

fn run_id() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("run-{}-{:03}", now.as_secs(), now.subsec_millis())
}

/// A catalogue entry to paste for a step nobody has defined yet (`step`
/// with its keyword), after the phrase it may have meant.
pub fn snippet(step: &str) -> String {
    let (keyword, text) = step.split_once(' ').unwrap_or(("When", step));
    lint::undefined(keyword, text, &mitid_e2e_steps::all())
}

/// What the history records of a run besides its report: `run.json`'s
/// facts and what was asked for, the paths as typed from the project's root.
fn run_facts(info: &RunInfo, opts: &RunOptions) -> crate::history::record::RunFacts {
    let shown = |p: &Path| {
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
    crate::history::record::RunFacts {
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
