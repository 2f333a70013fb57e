//! The second move: what the profile needs, started. The profile, the
//! fixture identity, the locators and the approved screen texts read; the
//! embedded farm started (or a lab's Appium server asked whether it
//! answers); the gateways started and every backend told where they are;
//! the run's context made.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use mitid_e2e_framework::clock::Clock;
use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::gateways::Gateways;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::profile::{ClockMode, Platform, Profile};
use mitid_e2e_framework::screens::ScreenTexts;

use super::RunOptions;
use crate::report::progress::Progress;
use mitid_e2e_steps::world::RunContext;

/// What the run works with: its context, and the embedded farm if the
/// profile asks for one.
pub(super) struct Prepared {
    pub ctx: Arc<RunContext>,
    /// The console while the run goes; the context's steps print through it.
    pub progress: Arc<Progress>,
    /// Kept alive for the run; it stops when dropped.
    pub farm: Option<mitid_sim::RunningFarm>,
}

pub(super) async fn prepare(opts: &RunOptions) -> Result<Prepared> {
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
    let progress = Arc::new(Progress::default());
    ctx.console = progress.clone();
    let ctx = Arc::new(ctx);
    Ok(Prepared { ctx, progress, farm })
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
