//! One run of the suite: read the profile, start what it needs (the
//! embedded farm, the gateways), run the features through cucumber, write
//! the reports, and say how it went.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;

use mitid_e2e_framework::clock::Clock;
use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::gateways::Gateways;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::profile::{ClockMode, PhoneProfile, Platform, Profile};

use crate::report::run_info::{feature_set, RunInfo};
use crate::report::{self, coverage::Coverage, recorder::Recorder};
use crate::world::{set_context, CopyWorld, RunContext};

/// The tag of scenarios that need the host Bluetooth probe.
pub const BLUETOOTH_TAG: &str = "bluetooth";

/// What `mitid-e2e run` was asked.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// A .feature file or a folder of them.
    pub features: PathBuf,
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
    /// No per-scenario console lines (the closing summary still prints).
    pub quiet: bool,
    /// The run history store (`--history`); else the profile's, else
    /// `<report dir>/history.sqlite`.
    pub history: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            features: "features".into(),
            tags: None,
            concurrency: None,
            retry: 0,
            profile: "devices/virtual.toml".into(),
            report_dir: "reports".into(),
            defects: Vec::new(),
            shard: None,
            quiet: false,
            history: None,
        }
    }
}

/// A configuration or usage error: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct ConfigError(pub anyhow::Error);

/// Runs the suite. `Ok(0)` all passed, `Ok(1)` a scenario failed; a
/// [`ConfigError`] means exit code 2.
pub async fn run(opts: &RunOptions) -> Result<ExitCode, ConfigError> {
    let started = Instant::now();
    let prepared = prepare(opts).await.map_err(ConfigError)?;
    let Prepared { ctx, farm, tags } = prepared;
    let concurrency = match opts.concurrency {
        Some(0) => return Err(ConfigError(anyhow::anyhow!("--concurrency 0 runs nothing: give 1 or more"))),
        Some(n) => n,
        None => default_concurrency(&ctx.profile),
    };
    set_context(Some(ctx.clone()));

    if !opts.quiet {
        let why = match opts.concurrency {
            Some(_) => "--concurrency",
            None if concurrency > 1 => "the profile's phone pairs, each scenario with its own identity",
            None => "the profile's identity is fixed: one scenario at a time",
        };
        println!("running up to {concurrency} scenario(s) at once ({why})");
    }
    let recorder = Recorder::new(opts.quiet);
    let report_handle = recorder.report.clone();
    let collection = crate::steps::catalogue::collection().map_err(|e| ConfigError(e.into()))?;
    let shard = opts.shard;
    let cucumber = cucumber::Cucumber::new()
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
                    if failed {
                        world.health_check().await;
                    }
                    world.release();
                }
            })
        });
    let features = opts.features.clone();
    // `@bluetooth` scenarios need the host probe: without a [bluetooth]
    // section they are left out (and the console says so), not failed.
    let has_bluetooth = ctx.profile.bluetooth.is_some();
    let left_out = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let left_out_in = left_out.clone();
    let selected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let selected_in = selected.clone();
    cucumber
        .filter_run(features, move |feature, rule, scenario| {
            let all_tags =
                || feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
            let tagged = tags.as_ref().is_none_or(|op| op.eval(all_tags()));
            let in_shard = shard.is_none_or(|(i, n)| shard_of(feature.path.as_deref(), scenario.position.line, n) == i);
            let needs_probe = all_tags().any(|t| t == BLUETOOTH_TAG);
            if tagged && in_shard && needs_probe && !has_bluetooth {
                let place = format!(
                    "{}:{}",
                    feature.path.as_deref().unwrap_or(Path::new("?")).display(),
                    scenario.position.line
                );
                left_out_in.lock().unwrap_or_else(|p| p.into_inner()).insert(place);
                return false;
            }
            if tagged && in_shard {
                selected_in.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            tagged && in_shard
        })
        .await;
    let left_out = left_out.lock().unwrap_or_else(|p| p.into_inner()).len();
    let quarantined = ctx.pool.quarantined();
    set_context(None);
    drop(farm);

    let mut report = report_handle.lock().unwrap_or_else(|p| p.into_inner()).clone();
    report.run_id = run_id();
    report.duration = started.elapsed();
    report.sort();
    report.quarantined = quarantined;
    let catalogue = crate::steps::catalogue::all();
    let coverage = Coverage::of(&report, &catalogue);
    let dir = report::write_all(&report, &opts.report_dir, &coverage)
        .with_context(|| format!("cannot write reports into {}", opts.report_dir.display()))
        .map_err(ConfigError)?;
    let selected = selected.load(std::sync::atomic::Ordering::Relaxed);
    // What `report merge` needs to know to refuse a merge that would lie.
    let info = RunInfo {
        run_id: report.run_id.clone(),
        shard: opts.shard,
        feature_set: feature_set(&opts.features, opts.tags.as_deref())
            .with_context(|| format!("cannot read the features in {}", opts.features.display()))
            .map_err(ConfigError)?,
        selected,
        exit_code: if !report.parse_errors.is_empty() || (selected == 0 && opts.shard.is_none()) {
            2
        } else {
            report.exit_code()
        },
        problems: report.parse_errors.clone(),
        duration_secs: report.duration.as_secs_f64(),
        quarantined: report.quarantined.clone(),
    };
    info.write(&dir).with_context(|| format!("cannot write {}", dir.display())).map_err(ConfigError)?;
    let facts = crate::history::record::RunFacts::of(&info, opts);
    let history_url = ctx.profile.history.url.as_deref();
    crate::history::cli::record_run(&report, &facts, opts.history.as_deref(), history_url, &opts.report_dir).await;

    if left_out > 0 {
        println!(
            "\n{left_out} @{BLUETOOTH_TAG} scenario(s) not run: {} has no [bluetooth] section (the host adapter; see README, Bluetooth)",
            opts.profile.display()
        );
    }
    for (step, place) in &report.undefined {
        println!("\nundefined step at {place}: {step}\n{}", snippet(step));
    }
    println!();
    println!("{}", coverage.line());
    println!("reports: {}", dir.display());
    print!("{}", report::console::summary(&report));
    if !report.parse_errors.is_empty() {
        return Err(ConfigError(anyhow::anyhow!("{} feature file(s) could not be read", report.parse_errors.len())));
    }
    if report.scenarios().count() == 0 && opts.shard.is_some() {
        // More shards than scenarios is a split, not a mistake.
        println!("this shard holds no scenario");
        return Ok(ExitCode::SUCCESS);
    }
    if report.scenarios().count() == 0 {
        return Err(ConfigError(anyhow::anyhow!(
            "no scenario matched: check the features path '{}' and --tags{}",
            opts.features.display(),
            if left_out > 0 {
                format!(" ({left_out} @{BLUETOOTH_TAG} scenario(s) need a profile with a [bluetooth] section)")
            } else {
                String::new()
            }
        )));
    }
    Ok(ExitCode::from(report.exit_code()))
}

struct Prepared {
    ctx: Arc<RunContext>,
    /// Kept alive for the run; stops when dropped.
    farm: Option<mitid_sim::RunningFarm>,
    tags: Option<TagOperation>,
}

async fn prepare(opts: &RunOptions) -> Result<Prepared> {
    if !opts.features.exists() {
        bail!("features path '{}' does not exist", opts.features.display());
    }
    let tags = match &opts.tags {
        None => None,
        Some(expr) => Some(expr.parse::<TagOperation>().map_err(|e| {
            anyhow::anyhow!("--tags '{expr}' is not a tag expression (e.g. \"@android and not @slow\"): {e}")
        })?),
    };
    if let Some((i, n)) = opts.shard {
        if n == 0 || i == 0 || i > n {
            bail!("--shard {i}/{n}: expected i/n with 1 <= i <= n");
        }
    }
    let mut profile = Profile::load(&opts.profile)?;
    let fixtures = RunContext::fixtures_dir();
    let identity = mitid_e2e_framework::identities::load(&fixtures.join("identities.toml"), &profile.identity)
        .with_context(|| format!("{}: identity", profile.path.display()))?;
    let mut locators = BTreeMap::new();
    for p in [Platform::Android, Platform::Ios] {
        locators.insert(p, Arc::new(Locators::load(&fixtures.join("locators"), p)?));
    }

    let (farm, appium_url, control_url) = if profile.appium.is_embedded() {
        let mut config = crate::farm_profile::from_profile(&profile)?;
        config.defects.extend(crate::farm_profile::defects(&opts.defects)?);
        profile.phones = config
            .phones
            .iter()
            .map(|p| PhoneProfile {
                udid: p.udid.clone(),
                platform: match p.platform {
                    mitid_sim::Platform::Android => Platform::Android,
                    mitid_sim::Platform::Ios => Platform::Ios,
                },
                os_version: p.os_version.clone(),
                rig: p.rig.clone(),
                model: Some(p.model.clone()),
                control: None,
                capabilities: Default::default(),
                bluetooth_address: None,
            })
            .collect();
        let farm = mitid_sim::RunningFarm::start(config, 0).await.context("cannot start the embedded virtual farm")?;
        // The BlueZ radio knows each phone's adapter address, as a rig would.
        for p in &mut profile.phones {
            p.bluetooth_address = farm.bluetooth_addresses().get(&p.udid).cloned();
        }
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
    let ctx = Arc::new(RunContext::new(profile, appium_url, control, clock, gateways, locators, identity));
    Ok(Prepared { ctx, farm, tags })
}

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

/// A catalogue entry to paste for a step nobody has defined yet.
pub fn snippet(step: &str) -> String {
    let (keyword, text) = step.split_once(' ').unwrap_or(("When", step));
    let keyword = match keyword {
        "Given" | "When" | "Then" => keyword,
        _ => "When",
    };
    let name: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("_");
    let phrase = regex::escape(text).replace('"', "\\\"");
    format!(
        "Add it to a catalogue! block in steps/ (e.g. steps/copy_flow.rs):\n\n    {keyword} \"{phrase}\"\n        e.g. \"{}\"\n        docs [] Step => {name}();\n\nasync fn {name}(w: &mut CopyWorld) -> StepResult {{\n    let phone = w.here().await?;\n    todo!(\"look at the phone\")\n}}",
        step.replace('"', "\\\"")
    )
}
