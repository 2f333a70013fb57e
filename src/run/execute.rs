//! The third move: the scenarios, through cucumber. Each selected
//! scenario runs on phones its tags ask for, or is left out with the
//! reason (no host Bluetooth probe, no rig with its phones); Ctrl-C and
//! SIGTERM stop the run cleanly; no session outlives it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context;
use cucumber::tag::Ext as _;

use super::check::Plan;
use super::prepare::Prepared;
use super::{ConfigError, RunOptions};
use crate::interrupt::{self, Outcome, Signal};
use crate::recorder::{self, Recorder};
use crate::report::{self, RunReport};
use mitid_e2e_steps::world::{set_context, CopyWorld};

/// What the scenarios did: the report as the recorder left it, and how the
/// run ended.
pub(super) struct Executed {
    /// The report, unsorted, without the run's id, meta and leases.
    pub report: RunReport,
    /// The signal that stopped the run, if one did.
    pub signal: Option<Signal>,
    pub outcome: Outcome,
    /// Scenarios still running when an interrupt's wind-down ran out.
    pub unfinished: usize,
    /// Every scenario the run selected, left out or not.
    pub selected: usize,
    /// Why a `@bluetooth` scenario was left out, as its report says.
    pub no_probe: String,
    /// Whether every session being created had settled.
    pub settled: bool,
    /// Sessions the scenarios left open that the run closed, and those it could not.
    pub ended: Vec<mitid_e2e_steps::world::sessions::OpenSession>,
    pub still_open: Vec<(mitid_e2e_steps::world::sessions::OpenSession, String)>,
    /// The phones taken out of the run: (udid, why).
    pub quarantined: Vec<(String, String)>,
    /// The signal listener: kept until the reports are written, so that a
    /// second Ctrl-C still ends the process at once.
    pub listener: tokio::task::JoinHandle<()>,
}

/// Runs the plan's scenarios on the prepared context.
pub(super) async fn execute(opts: &RunOptions, plan: &Plan, prepared: &mut Prepared) -> Result<Executed, ConfigError> {
    let ctx = prepared.ctx.clone();
    let concurrency = match opts.concurrency {
        Some(0) => return Err(ConfigError(anyhow::anyhow!("--concurrency 0 runs nothing: give 1 or more"))),
        Some(n) => n,
        None => super::default_concurrency(&ctx.profile),
    };
    set_context(Some(ctx.clone()));
    // From here on Ctrl-C and SIGTERM stop the run cleanly.
    let listener =
        interrupt::listen(ctx.stop.clone()).context("cannot listen for Ctrl-C and SIGTERM").map_err(ConfigError)?;

    if !opts.quiet {
        let why = match opts.concurrency {
            Some(_) => "--concurrency",
            None if concurrency > 1 => "the profile's phone pairs, each scenario with its own identity",
            None => "the profile's identity is fixed: one scenario at a time",
        };
        println!("running up to {concurrency} scenario(s) at once ({why})");
    }
    let recorder = Recorder::new(opts.quiet, ctx.ledger.clone(), prepared.progress.clone());
    let report_handle = recorder.report.clone();
    let names = recorder.names.clone();
    let running_handle = recorder.running.clone();
    let collection = mitid_e2e_steps::collection().map_err(|e| ConfigError(e.into()))?;
    let shard = opts.shard;
    // cucumber's own parser reads one path; ours reads the selection's files.
    let single: cucumber::Cucumber<CopyWorld, cucumber::parser::Basic, PathBuf, _, _> = cucumber::Cucumber::new();
    let cucumber = single
        .with_parser(crate::select::Files)
        .steps(collection)
        .with_writer(cucumber::writer::Normalize::new(recorder))
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .max_concurrent_scenarios(concurrency)
        .retries(opts.retry)
        .before(|feature, rule, scenario, world: &mut CopyWorld| {
            let mut tags = feature.tags.clone();
            tags.extend(rule.map(|r| r.tags.clone()).unwrap_or_default());
            tags.extend(scenario.tags.iter().cloned());
            world.scenario.tags = tags;
            world.scenario.key = mitid_e2e_steps::world::ScenarioKey::of(feature.path.as_deref(), scenario);
            world.scenario.steps_total = feature.background.as_ref().map_or(0, |b| b.steps.len())
                + rule.and_then(|r| r.background.as_ref()).map_or(0, |b| b.steps.len())
                + scenario.steps.len();
            let path = feature.path.as_deref().unwrap_or(Path::new("?"));
            let path = std::env::current_dir().ok().and_then(|d| path.strip_prefix(d).ok()).unwrap_or(path);
            world.scenario.name = format!("'{}' ({}:{})", scenario.name, path.display(), scenario.position.line);
            Box::pin(async {})
        })
        .after(|_, _, _, finished, world: Option<&mut CopyWorld>| {
            let failed = !matches!(finished, cucumber::event::ScenarioFinished::StepPassed);
            Box::pin(async move {
                if let Some(world) = world {
                    world.close_sessions().await;
                    for (role, phone) in &world.phones {
                        world.ctx.ledger.note_requests(
                            &world.scenario.key,
                            role.name().trim_start_matches("the "),
                            &phone.requests(),
                        );
                    }
                    // An interrupted scenario says nothing about its phones.
                    if failed && world.ctx.stop.requested().is_none() {
                        world.health_check().await;
                    }
                    // After the health check, which judges the phone as the
                    // scenario left it; before the phones go back to the pool.
                    world.end_faults().await;
                    world.release();
                }
            })
        });
    let cucumber = if opts.fail_fast { cucumber.fail_fast() } else { cucumber };
    let taken = plan.selection.clone();
    let tags = plan.tags.clone();
    // `@bluetooth` scenarios need the host probe: without a [bluetooth]
    // section they are left out (and the console says so), not failed.
    // Each is in the reports as a skipped scenario, with the reason.
    let has_bluetooth = ctx.profile.bluetooth.is_some();
    let no_probe = format!(
        "it needs the host Bluetooth probe, and the profile {} has no [bluetooth] section",
        opts.profile.display()
    );
    // A scenario whose tags ask for phones no rig of the profile has (a
    // tablet, a third device) is left out too, with the reason: never run
    // on other phones than it names, never an error of the run.
    let pool = ctx.pool.clone();
    let profile_path = opts.profile.display().to_string();
    let left_out_into = report_handle.clone();
    let no_probe_said = no_probe.clone();
    // Every scenario the run selected, left out or not: what its reports
    // must hold (run.json; `report merge` checks it), how an interrupted
    // run counts the scenarios it never reached, and the live display's total.
    let selected = Arc::new(AtomicUsize::new(0));
    let selected_in = selected.clone();
    let mode = if opts.quiet { report::progress::Mode::Plain } else { report::progress::Mode::detect() };
    prepared.progress.start(mode, opts.verbose && !opts.quiet, selected.clone());
    let run = cucumber.filter_run(plan.files.clone(), move |feature, rule, scenario| {
        let all_tags =
            || feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
        let tagged = tags.as_ref().is_none_or(|op| op.eval(all_tags()))
            && taken.takes(feature.path.as_deref(), scenario.position.line, &scenario.name);
        let in_shard = shard.is_none_or(|(i, n)| shard_of(feature.path.as_deref(), scenario.position.line, n) == i);
        let needs_probe = super::needs_host_probe(all_tags().map(String::as_str));
        if tagged && in_shard {
            selected_in.fetch_add(1, Ordering::Relaxed);
        }
        if tagged && in_shard && needs_probe && !has_bluetooth {
            recorder::left_out(&left_out_into, &names, feature, rule, scenario, &no_probe);
            return false;
        }
        if tagged && in_shard {
            // Tags that contradict each other are refused before the run
            // (lint); here they can only leave the scenario out.
            let why = match mitid_e2e_steps::world::phones::need_of(all_tags().map(String::as_str)) {
                Ok(need) if pool.could_serve(&need) => None,
                Ok(need) => Some(format!("it needs {need}, and no rig of the profile {profile_path} has them")),
                Err(e) => Some(e),
            };
            if let Some(why) = why {
                recorder::left_out(&left_out_into, &names, feature, rule, scenario, &why);
                return false;
            }
        }
        tagged && in_shard
    });
    let outcome = interrupt::run_until_stopped(run, &ctx.stop, interrupt::WIND_DOWN).await;
    prepared.progress.finish();
    // No session outlives the run: wait for any still being created, then
    // end whatever the scenarios did not close (after an interrupt, those of
    // a scenario the run dropped, or whose step was cancelled mid-creation).
    let settled = ctx.sessions.settle(ctx.profile.timeouts.connect()).await;
    let (ended, still_open) = ctx.sessions.close_all().await;
    let quarantined = ctx.pool.quarantined();
    let signal = match outcome {
        Outcome::Interrupted { signal, .. } => Some(signal),
        Outcome::Finished => ctx.stop.requested(),
    };
    set_context(None);
    drop(prepared.farm.take());

    let mut report = report_handle.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut unfinished = 0;
    if let (Some(signal), Outcome::Interrupted { wound_down: false, .. }) = (signal, outcome) {
        let running = running_handle.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let message = format!(
            "interrupted by {}: the scenario was still running {} after the signal and was stopped; its sessions were closed by the runner",
            signal.name(),
            mitid_e2e_framework::duration::seconds(interrupt::WIND_DOWN)
        );
        unfinished = crate::recorder::mark_unfinished(&mut report, &running, &message);
    }
    Ok(Executed {
        report,
        signal,
        outcome,
        unfinished,
        selected: selected.load(Ordering::Relaxed),
        no_probe: no_probe_said,
        settled,
        ended,
        still_open,
        quarantined,
        listener,
    })
}

/// Which shard (1-based) a scenario belongs to: a hash of its place, so the
/// split is the same on every machine and disjoint.
pub fn shard_of(path: Option<&Path>, line: usize, n: usize) -> usize {
    let key = format!("{}:{line}", path.map(|p| p.display().to_string()).unwrap_or_default());
    // FNV-1a: stable across Rust versions, unlike DefaultHasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % n as u64) as usize + 1
}
