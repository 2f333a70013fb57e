//! One run of the suite: read the profile, start what it needs (the
//! embedded farm, the gateways), run the features through cucumber, write
//! the reports, and say how it went.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;

use mitid_e2e_framework::clock::Clock;
use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::gateways::Gateways;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::profile::{ClockMode, Platform, Profile};
use mitid_e2e_framework::screens::ScreenTexts;

use crate::exit::Exit;
use crate::interrupt::{self, Outcome, Signal};
use crate::lint;
use crate::recorder::{self, Recorder};
use crate::report::run_info::{feature_set, RunInfo, RunMeta};
use crate::report::{self, coverage::Coverage};
use crate::select::Selection;
use crate::world::{set_context, CopyWorld, RunContext};

/// The tag of scenarios that need the host Bluetooth probe.
pub const BLUETOOTH_TAG: &str = "bluetooth";

/// What `mitid-e2e run` was asked.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Feature files or folders, or `file.feature:LINE` ([`Selection`]).
    pub features: Vec<PathBuf>,
    /// Only scenarios whose name matches this regex.
    pub name: Option<String>,
    /// Start no new scenario once one has failed.
    pub fail_fast: bool,
    /// Check the features against the catalogue and stop: no farm, no phones.
    pub dry_run: bool,
    /// The project's root: its fixtures are read from there.
    pub root: PathBuf,
    /// A cucumber tag expression: only scenarios matching it run.
    pub tags: Option<String>,
    /// Scenarios run at once; `None`: [`default_concurrency`].
    pub concurrency: Option<usize>,
    /// How often a failed scenario is tried again.
    pub retry: usize,
    /// The device profile.
    pub profile: PathBuf,
    /// Where `<run id>/` and `latest` are written.
    pub report_dir: PathBuf,
    /// Defective builds to start the embedded farm as.
    pub defects: Vec<String>,
    /// `(i, n)`: run the i-th of n disjoint shards (1-based).
    pub shard: Option<(usize, usize)>,
    /// No per-scenario console lines and no live display (the closing
    /// summary still prints).
    pub quiet: bool,
    /// A line per step as it starts (`-v`).
    pub verbose: bool,
    /// The run history store (`--history`); else the profile's, else
    /// `<report dir>/history.sqlite`.
    pub history: Option<String>,
    /// The approved screen texts (`--screen-texts`); `None`:
    /// `<root>/fixtures/screens`.
    pub screen_texts: Option<PathBuf>,
    /// No approved-text check at all (`--no-screen-texts`).
    pub no_screen_texts: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            features: vec!["features".into()],
            name: None,
            fail_fast: false,
            dry_run: false,
            root: ".".into(),
            tags: None,
            concurrency: None,
            retry: 0,
            profile: "devices/virtual.toml".into(),
            report_dir: "reports".into(),
            defects: Vec::new(),
            shard: None,
            quiet: false,
            verbose: false,
            history: None,
            screen_texts: None,
            no_screen_texts: false,
        }
    }
}

/// A configuration or usage error: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct ConfigError(pub anyhow::Error);

/// Runs the suite. `Ok(0)` all passed, `Ok(1)` a scenario failed, `Ok(3)`
/// some could not be judged, `Ok(130)`/`Ok(143)` a SIGINT/SIGTERM stopped
/// it (see [`crate::interrupt`]); a [`ConfigError`] means exit code 2.
pub async fn run(opts: &RunOptions) -> Result<ExitCode, ConfigError> {
    let started = Instant::now();
    let tags = parse_tags(opts).map_err(ConfigError)?;
    let selection = Selection::new(&opts.features, opts.name.as_deref()).map_err(|e| ConfigError(e.into()))?;
    let files = selection.files();
    // What can be known without a phone is known first.
    let lint = lint::check(&files, &selection, tags.as_ref(), &crate::steps::catalogue::all());
    if opts.dry_run {
        return Ok(dry_run_report(&lint, started));
    }
    let blocking = lint.blocking();
    if !blocking.is_empty() {
        // Refused before any farm starts; the reports still say why, for CI.
        let problems: Vec<String> = blocking.iter().map(|f| format!("{}: {}", f.place(), f.message)).collect();
        let report = report::RunReport {
            run_id: run_id(),
            duration: started.elapsed(),
            parse_errors: problems.clone(),
            meta: RunMeta::here(&opts.profile, &opts.defects, opts.no_screen_texts),
            shard: opts.shard,
            ..Default::default()
        };
        let catalogue = crate::steps::catalogue::all();
        let dir = report::write_all(&report, &opts.report_dir, &Coverage::of(&report, &catalogue), &catalogue)
            .with_context(|| format!("cannot write reports into {}", opts.report_dir.display()))
            .map_err(ConfigError)?;
        let info = RunInfo {
            run_id: report.run_id.clone(),
            shard: opts.shard,
            feature_set: feature_set(&files, &opts.root, &format!("{:?}\n{}", opts.tags, selection.describe()))
                .context("cannot read the features")
                .map_err(ConfigError)?,
            selected: 0,
            exit_code: 2,
            problems: problems.clone(),
            duration_secs: report.duration.as_secs_f64(),
            quarantined: Vec::new(),
            meta: report.meta.clone(),
            requests: Default::default(),
        };
        info.write(&dir).with_context(|| format!("cannot write {}", dir.display())).map_err(ConfigError)?;
        // The history keeps refused runs too, apart from failures: a run
        // of features that cannot run is not a scenario that failed.
        let history_url = Profile::load(&opts.profile).ok().and_then(|p| p.history.url);
        let facts = run_facts(&info, opts);
        crate::history::cli::record_run(
            &report,
            &facts,
            &Default::default(),
            opts.history.as_deref(),
            history_url.as_deref(),
            &opts.report_dir,
        )
        .await;
        return Err(ConfigError(anyhow::anyhow!(
            "the features cannot run as written (`run --dry-run` lists every problem; reports: {}):\n{}",
            dir.display(),
            problems.join("\n")
        )));
    }
    let prepared = prepare(opts).await.map_err(ConfigError)?;
    let Prepared { ctx, farm } = prepared;
    let concurrency = match opts.concurrency {
        Some(0) => return Err(ConfigError(anyhow::anyhow!("--concurrency 0 runs nothing: give 1 or more"))),
        Some(n) => n,
        None => default_concurrency(&ctx.profile),
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
    let recorder = Recorder::new(opts.quiet, ctx.ledger.clone());
    let report_handle = recorder.report.clone();
    let running_handle = recorder.running.clone();
    let collection = crate::steps::catalogue::collection().map_err(|e| ConfigError(e.into()))?;
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
            world.tags = tags;
            world.scenario = (feature.path.clone(), scenario.position.line, scenario.position.col);
            world.steps_total = feature.background.as_ref().map_or(0, |b| b.steps.len())
                + rule.and_then(|r| r.background.as_ref()).map_or(0, |b| b.steps.len())
                + scenario.steps.len();
            let path = feature.path.as_deref().unwrap_or(Path::new("?"));
            let path = std::env::current_dir().ok().and_then(|d| path.strip_prefix(d).ok()).unwrap_or(path);
            world.scenario_name = format!("'{}' ({}:{})", scenario.name, path.display(), scenario.position.line);
            Box::pin(async {})
        })
        .after(|_, _, _, finished, world: Option<&mut CopyWorld>| {
            let failed = !matches!(finished, cucumber::event::ScenarioFinished::StepPassed);
            Box::pin(async move {
                if let Some(world) = world {
                    world.close_sessions().await;
                    for (role, phone) in &world.phones {
                        world.ctx.ledger.note_requests(
                            &world.scenario,
                            role.name().trim_start_matches("the "),
                            &phone.requests(),
                        );
                    }
                    // An interrupted scenario says nothing about its phones.
                    if failed && world.ctx.stop.requested().is_none() {
                        world.health_check().await;
                    }
                    world.release();
                }
            })
        });
    let cucumber = if opts.fail_fast { cucumber.fail_fast() } else { cucumber };
    let taken = selection.clone();
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
    report::progress::start(mode, opts.verbose && !opts.quiet, selected.clone());
    let run = cucumber.filter_run(files.clone(), move |feature, rule, scenario| {
        let all_tags =
            || feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
        let tagged = tags.as_ref().is_none_or(|op| op.eval(all_tags()))
            && taken.takes(feature.path.as_deref(), scenario.position.line, &scenario.name);
        let in_shard = shard.is_none_or(|(i, n)| shard_of(feature.path.as_deref(), scenario.position.line, n) == i);
        let needs_probe = all_tags().any(|t| t == BLUETOOTH_TAG);
        if tagged && in_shard {
            selected_in.fetch_add(1, Ordering::Relaxed);
        }
        if tagged && in_shard && needs_probe && !has_bluetooth {
            recorder::left_out(&left_out_into, feature, rule, scenario, &no_probe);
            return false;
        }
        if tagged && in_shard {
            // Tags that contradict each other are refused before the run
            // (lint); here they can only leave the scenario out.
            let why = match crate::world::phones::need_of(all_tags().map(String::as_str)) {
                Ok(need) if pool.could_serve(&need) => None,
                Ok(need) => Some(format!("it needs {need}, and no rig of the profile {profile_path} has them")),
                Err(e) => Some(e),
            };
            if let Some(why) = why {
                recorder::left_out(&left_out_into, feature, rule, scenario, &why);
                return false;
            }
        }
        tagged && in_shard
    });
    let outcome = interrupt::run_until_stopped(run, &ctx.stop, interrupt::WIND_DOWN).await;
    report::progress::finish();
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
    drop(farm);

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
    report.run_id = run_id();
    report.duration = started.elapsed();
    report.sort();
    report.quarantined = quarantined;
    report.meta = RunMeta::here(&opts.profile, &opts.defects, opts.no_screen_texts);
    crate::report::leases::fill(&mut report, &ctx.ledger.leases());
    report.shard = opts.shard;
    let left_out = report.scenarios().filter(|(_, s)| s.left_out.is_some()).count();
    let without_probe =
        report.scenarios().filter(|(_, s)| s.left_out.as_deref() == Some(no_probe_said.as_str())).count();
    let without_phones = left_out - without_probe;
    let ran = report.scenarios().count() - left_out;
    let catalogue = crate::steps::catalogue::all();
    let coverage = Coverage::of(&report, &catalogue);
    let dir = report::write_all(&report, &opts.report_dir, &coverage, &catalogue)
        .with_context(|| format!("cannot write reports into {}", opts.report_dir.display()))
        .map_err(ConfigError)?;
    let selected = selected.load(Ordering::Relaxed);
    // What `report merge` needs to know to refuse a merge that would lie.
    let info = RunInfo {
        run_id: report.run_id.clone(),
        shard: opts.shard,
        feature_set: feature_set(&files, &opts.root, &format!("{:?}\n{}", opts.tags, selection.describe()))
            .context("cannot read the features")
            .map_err(ConfigError)?,
        selected,
        exit_code: if let Some(signal) = signal {
            signal.exit()
        } else if !report.parse_errors.is_empty() || (selected == 0 && opts.shard.is_none()) {
            Exit::Usage
        } else {
            report.exit()
        }
        .code(),
        problems: report.parse_errors.clone(),
        duration_secs: report.duration.as_secs_f64(),
        quarantined: report.quarantined.clone(),
        meta: report.meta.clone(),
        requests: crate::report::run_info::RequestTotals::of(&report),
    };
    info.write(&dir).with_context(|| format!("cannot write {}", dir.display())).map_err(ConfigError)?;
    let facts = run_facts(&info, opts);
    let history_url = ctx.profile.history.url.as_deref();
    crate::history::cli::record_run(
        &report,
        &facts,
        &ctx.ledger.leases(),
        opts.history.as_deref(),
        history_url,
        &opts.report_dir,
    )
    .await;

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
            interrupted_lines(&report, signal, outcome, unfinished, selected, still_open.is_empty() && settled)
        );
        listener.abort();
        return Ok(signal.exit().into());
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
        signal.exit().code()
    ));
    out
}

struct Prepared {
    ctx: Arc<RunContext>,
    /// Kept alive for the run; stops when dropped.
    farm: Option<mitid_sim::RunningFarm>,
}

/// `--tags` as a tag expression.
fn parse_tags(opts: &RunOptions) -> Result<Option<TagOperation>> {
    match &opts.tags {
        None => Ok(None),
        Some(expr) => Ok(Some(expr.parse::<TagOperation>().map_err(|e| {
            anyhow::anyhow!("--tags '{expr}' is not a tag expression (e.g. \"@android and not @slow\"): {e}")
        })?)),
    }
}

/// What a dry run prints, and its exit code: 0 every step defined, 1 a step
/// undefined or ambiguous, 2 a malformed feature.
fn dry_run_report(lint: &lint::Lint, started: Instant) -> ExitCode {
    for f in &lint.findings {
        let what = match f.kind {
            lint::Kind::Undefined => "undefined step",
            lint::Kind::Ambiguous => "ambiguous step",
            lint::Kind::NoSteps => "no steps",
            lint::Kind::NoExamples => "outline without examples",
            lint::Kind::Tags => "contradicting tags",
            lint::Kind::Misspelt => "misspelt keyword",
            lint::Kind::Language => "unknown language",
            lint::Kind::Malformed => "malformed feature",
        };
        println!("{}: {what}: {}\n", f.place(), f.message);
    }
    println!(
        "dry run: {} scenario(s), {} step(s) checked against the catalogue in {}; {} problem(s)",
        lint.scenarios,
        lint.steps,
        mitid_e2e_framework::duration::precise(started.elapsed()),
        lint.findings.len()
    );
    lint.exit().into()
}

async fn prepare(opts: &RunOptions) -> Result<Prepared> {
    if let Some((i, n)) = opts.shard {
        if n == 0 || i == 0 || i > n {
            bail!("--shard {i}/{n}: expected i/n with 1 <= i <= n");
        }
    }
    let mut profile = Profile::load(&opts.profile)?;
    let fixtures = RunContext::fixtures_dir(&opts.root);
    let identity = mitid_e2e_framework::identities::load(&fixtures.join("identities.toml"), &profile.identity)
        .with_context(|| format!("{}: identity", profile.path.display()))?;
    let mut locators = BTreeMap::new();
    for p in [Platform::Android, Platform::Ios] {
        locators.insert(p, Arc::new(Locators::load(&fixtures.join("locators"), p)?));
    }
    let screen_texts = if opts.no_screen_texts {
        println!("approved screen texts: not checked (--no-screen-texts)");
        None
    } else {
        let dir = opts.screen_texts.clone().unwrap_or_else(|| fixtures.join("screens"));
        Some(Arc::new(ScreenTexts::load(&dir)?))
    };

    let (farm, appium_url, control_url) = if profile.appium.is_embedded() {
        let (farm, phones) = crate::farm_profile::start(&profile, &opts.defects, 0, false).await?;
        profile.phones = phones;
        let url = farm.url();
        (Some(farm), url.clone(), url)
    } else {
        if !opts.defects.is_empty() {
            bail!(
                "--defect needs the embedded virtual farm (appium.url = \"embedded\"); {} is not",
                profile.path.display()
            );
        }
        preflight(&profile.appium.url, profile.timeouts.connect()).await?;
        (None, profile.appium.url.clone(), profile.control.url.clone())
    };
    let control = ControlApi::new(&control_url);
    let gateways = Gateways::start(&profile.gateways).await?;
    // Every lab's backend must know where the gateways are.
    let mut backends: Vec<String> = profile.phones.iter().filter_map(|p| p.control.clone()).collect();
    backends.push(control_url.clone());
    backends.sort();
    backends.dedup();
    for url in backends {
        ControlApi::new(&url)
            .set_gateways(&gateways.sms_url(), &gateways.push_url())
            .await
            .with_context(|| format!("cannot tell the backend at {url} where the gateways are"))?;
    }
    let clock = match profile.clock.mode {
        ClockMode::Virtual => Clock::Virtual,
        ClockMode::Real => Clock::Real,
    };
    let mut ctx = RunContext::new(profile, appium_url, control, clock, gateways, locators, identity);
    ctx.screen_texts = screen_texts;
    ctx.side_by_side = std::env::var_os(ONE_PHONE_AT_A_TIME).is_none();
    let ctx = Arc::new(ctx);
    Ok(Prepared { ctx, farm })
}

/// Set, a scenario's phones are worked one after the other: for the
/// round-trips benchmark, which measures what side by side saves.
const ONE_PHONE_AT_A_TIME: &str = "MITID_E2E_ONE_PHONE_AT_A_TIME";

/// How many scenarios run at once unless `--concurrency` says: one per pair
/// of phones on a rig, where each scenario gets its own identity on the
/// backend (the embedded farm, or `identity_per_scenario`); 1 where the
/// backend's identity is fixed, since scenarios side by side would share it.
pub fn default_concurrency(profile: &Profile) -> usize {
    if !profile.control.is_embedded() && !profile.identity_per_scenario {
        return 1;
    }
    let mut per_rig: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &profile.phones {
        *per_rig.entry(p.rig.as_str()).or_default() += 1;
    }
    per_rig.values().map(|n| n / 2).sum::<usize>().max(1)
}

/// Fails fast, naming the URL, when the Appium server does not answer.
pub async fn preflight(url: &str, within: Duration) -> Result<serde_json::Value> {
    let status = format!("{}/status", url.trim_end_matches('/'));
    let http = reqwest::Client::builder().no_proxy().timeout(within).build()?;
    let resp = http.get(&status).send().await.with_context(|| {
        format!("the Appium server at {url} cannot be reached (GET {status}, waited up to {within:?})")
    })?;
    let body: serde_json::Value = resp
        .json()
        .await
        .with_context(|| format!("{status} did not answer with W3C JSON: is {url} an Appium server?"))?;
    Ok(body)
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

fn run_id() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("run-{}-{:03}", now.as_secs(), now.subsec_millis())
}

/// A catalogue entry to paste for a step nobody has defined yet (`step`
/// with its keyword), after the phrase it may have meant.
pub fn snippet(step: &str) -> String {
    let (keyword, text) = step.split_once(' ').unwrap_or(("When", step));
    lint::undefined(keyword, text, &crate::steps::catalogue::all())
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
