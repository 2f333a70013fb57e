//! The CLI's commands. Each returns the process exit code: 0 passed, 1 a
//! scenario failed; an `Err` is a configuration or usage error (exit 2).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use mitid_e2e_framework::profile::Profile;

use crate::exit::Exit;
use crate::farm_profile;

/// `mitid-e2e sim`: serve the farm until Ctrl-C; `allow_cors` answers
/// browsers from any origin, as `appium --allow-cors` does (Appium
/// Inspector in a browser needs it).
pub async fn sim(port: u16, profile: &Path, defects: &[String], allow_cors: bool) -> Result<ExitCode> {
    let profile = Profile::load(profile)?;
    let (farm, phones) = farm_profile::start(&profile, defects, port, allow_cors).await?;
    println!("listening on {}", farm.url());
    println!("phones:");
    for p in &phones {
        let model = p.model.as_deref().unwrap_or_default();
        println!("  {:<16} {:<7} {:<5} {:<12} {}", p.udid, p.platform.name(), p.os_version, model, p.rig);
    }
    println!("test-control API: {}/sim/phones (see docs/src/virtual-farm.md); Ctrl-C stops", farm.url());
    if farm.allows_cors() {
        println!("CORS allowed from any origin (--allow-cors): Appium Inspector in a browser can attach");
    }
    tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    farm.stop();
    Ok(Exit::Passed.into())
}

/// `mitid-e2e steps`: every phrase QA can write, with an example; with
/// `glue`, the file editors read instead (`steps/glue.rs`, see [`crate::glue_writer`]).
pub fn steps(glue: bool) -> ExitCode {
    let catalogue = mitid_e2e_steps::all();
    if glue {
        print!("{}", crate::glue_writer::render(&catalogue));
        return Exit::Passed.into();
    }
    println!("Steps you can write in features/*.feature (Given, When, Then and And all match any phrase).");
    println!("Quoted \"...\" is a button's text; '...' is a screen's or message's text.");
    println!();
    println!("Phrases are Cucumber Expressions. Their parameters:");
    println!("  {{string}}  text in quotes, \"...\" or '...'");
    println!("  {{int}}     a whole number");
    for t in mitid_e2e_steps::phrases::PARAMETER_TYPES {
        println!("  {:<9} {}", format!("{{{}}}", t.name), t.means);
    }
    println!("  (s)       an optional ending: app(s) is app or apps");
    println!("Where a phrase needs more (word-order alternatives in Danish), it is a regular expression, shown alike.");
    println!();
    println!("To write in Danish, start the file with `# language: da` and use the Danish keywords");
    println!("(Egenskab, Baggrund, Scenarie, Abstrakt Scenario, Eksempler; Givet, Når, Så, Og, Men)");
    println!("with the `dansk` phrase under each step, e.g. `Og jeg trykker på \"Activate\"`.");
    println!("After `Så` the verb comes first (`Så ser jeg ...`); where it matters both orders are accepted.");
    println!("Button and screen texts stay in quotes as the app shows them. See features/da/.\n");
    for def in catalogue {
        let docs: Vec<String> = def.docs.iter().map(|d| d.tag()).collect();
        println!("{:?}  {}", def.keyword, mitid_e2e_steps::phrases::readable(def.phrase));
        println!("    e.g.   {}", def.example);
        if let Some(danish) = def.danish {
            println!("    dansk  {}", mitid_e2e_steps::phrases::readable(danish));
        }
        if !docs.is_empty() {
            println!("    proves {}", docs.join(" "));
        }
    }
    Exit::Passed.into()
}

/// `mitid-e2e doctor`: checks a profile's parts one by one and says what is
/// wrong. Exit 0 when all is well, 2 otherwise.
pub async fn doctor(profile_path: &Path, root: &Path) -> Result<ExitCode> {
    let mut problems = 0;
    let mut check = |name: &str, outcome: Result<String>| match outcome {
        Ok(detail) => println!("  ok     {name}: {detail}"),
        Err(e) => {
            problems += 1;
            println!("  FAIL   {name}: {}", mitid_e2e_framework::secret::redact(&each_cause_once(&e)));
        }
    };
    println!("doctor: {}", profile_path.display());
    let profile = match Profile::load(profile_path) {
        Ok(p) => {
            let phones = if p.appium.is_embedded() {
                "phones from [farm]".to_owned()
            } else {
                format!("{} phone(s) listed", p.phones.len())
            };
            check("profile", Ok(phones));
            p
        }
        Err(e) => {
            check("profile", Err(e.into()));
            return Ok(Exit::Usage.into());
        }
    };
    let fixtures = mitid_e2e_steps::world::RunContext::fixtures_dir(root);
    check(
        "identity",
        mitid_e2e_framework::identities::load(&fixtures.join("identities.toml"), &profile.identity)
            .map(|i| format!("'{}' from {}", i.name, fixtures.join("identities.toml").display()))
            .map_err(Into::into),
    );
    for platform in [mitid_e2e_framework::profile::Platform::Android, mitid_e2e_framework::profile::Platform::Ios] {
        check(
            &format!("locators ({})", platform.name()),
            mitid_e2e_framework::locators::Locators::load(&fixtures.join("locators"), platform)
                .map(|l| format!("{} screens", l.screen_names().count()))
                .map_err(Into::into),
        );
    }
    let mut farm = None;
    let (appium, control) = if profile.appium.is_embedded() {
        let started = async {
            let config = farm_profile::from_profile(&profile)?;
            let about = match config.radio {
                mitid_sim::RadioMode::Memory => format!("{} phones, in-memory radio", config.phones.len()),
                mitid_sim::RadioMode::Bluez => {
                    let airs: Vec<String> = config.air.iter().map(|(rig, bus)| format!("{rig} on {bus}")).collect();
                    let airs = if airs.is_empty() {
                        "all rigs on the system bus".to_owned()
                    } else {
                        format!("{}, other rigs on the system bus", airs.join(", "))
                    };
                    format!("{} phones, BlueZ radio ({airs})", config.phones.len())
                }
            };
            let f = mitid_sim::RunningFarm::start(config, 0).await?;
            anyhow::Ok((f, about))
        }
        .await;
        match started {
            Ok((f, about)) => {
                check("embedded farm", Ok(format!("starts, {about}, at {}", f.url())));
                let url = f.url();
                farm = Some(f);
                (url.clone(), url)
            }
            Err(e) => {
                check("embedded farm", Err(e));
                return Ok(Exit::Usage.into());
            }
        }
    } else {
        (profile.appium.url.clone(), profile.control.url.clone())
    };
    check(
        "Appium server",
        crate::run::preflight(&appium, profile.timeouts.connect()).await.map(|status| {
            let ready = status["value"]["ready"].as_bool().map_or("ready: unknown".into(), |r| format!("ready: {r}"));
            let message = status["value"]["message"].as_str().unwrap_or("").to_owned();
            format!("{appium} answers /status ({ready}) {message}")
        }),
    );
    check(
        "test-control API",
        mitid_e2e_framework::control::ControlApi::new(&control)
            .status()
            .await
            .map(|_| format!("{control} answers"))
            .map_err(Into::into),
    );
    check(
        "gateways",
        mitid_e2e_framework::gateways::Gateways::start(&profile.gateways)
            .await
            .map(|g| format!("SMS {} and push {} can listen", g.sms_url(), g.push_url()))
            .map_err(Into::into),
    );
    match &profile.bluetooth {
        None => println!("  -      Bluetooth adapter: the profile names none (no [bluetooth] section: the host probe is not configured)"),
        Some(bt) => check(
            "Bluetooth adapter",
            mitid_e2e_framework::bluetooth::HostProbe::open(&bt.adapter, profile.timeouts.connect())
                .await
                .map(|p| format!("{} is powered on and scanning ({})", p.label(), mitid_e2e_framework::bluetooth::bus_description()))
                .map_err(Into::into),
        ),
    }
    // The devices: what pairs each rig offers, which scenarios they serve,
    // and how long a run on them takes.
    let mut profile = profile;
    if profile.appium.is_embedded() {
        if let Ok(config) = farm_profile::from_profile(&profile) {
            profile.phones = farm_profile::phones_of(&config);
        }
    }
    let rigs = crate::doctor::rigs(&profile.phones);
    println!("  ok     devices: {} on {} rig(s)", profile.phones.len(), rigs.len());
    for line in &rigs {
        println!("           {line}");
    }
    let features = root.join("features");
    let mut cannot_serve = 0;
    let mut scenario_count = 0;
    match crate::select::Selection::new(std::slice::from_ref(&features), None) {
        Ok(selection) => {
            let lint = crate::lint::check(&selection.files(), &selection, None, &mitid_e2e_steps::all());
            // Without the host probe a run leaves the @bluetooth scenarios
            // out, as the profile means it to: not a device it lacks.
            let (listed, no_probe): (Vec<_>, Vec<_>) = lint.listed.iter().cloned().partition(|s| {
                profile.bluetooth.is_some() || !crate::run::needs_host_probe(s.tags.iter().map(String::as_str))
            });
            let (can, cannot) = crate::doctor::served(&profile.phones, &listed);
            scenario_count = listed.len();
            cannot_serve = cannot.len();
            let mark = if cannot.is_empty() { "ok    " } else { "warn  " };
            let left_out = if no_probe.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} @{} scenario(s) left out: the profile has no [bluetooth] section",
                    no_probe.len(),
                    crate::run::BLUETOOTH_TAG
                )
            };
            println!(
                "  {mark} scenarios: {} in {}; these devices can serve {can}, not {} (a run leaves those out){left_out}",
                lint.listed.len(),
                features.display(),
                cannot.len()
            );
            for line in &cannot {
                println!("           {line}");
            }
        }
        Err(e) => check("scenarios", Err(e.into())),
    }
    let concurrency = crate::run::default_concurrency(&profile);
    match crate::doctor::sample(&profile, &appium, &fixtures).await {
        Ok(sample) => {
            let (mix, from) = crate::doctor::request_mix(&root.join("reports"));
            let took = crate::doctor::estimate(&sample, &mix, scenario_count - cannot_serve, concurrency);
            println!(
                "  ok     estimate: about {} for the {} scenario(s) these devices serve, {concurrency} at a time, at {}; from {from}",
                mitid_e2e_framework::duration::plan(took),
                scenario_count - cannot_serve,
                sample.describe()
            );
        }
        Err(e) => check("estimate (a sample of round trips)", Err(e)),
    }
    drop(farm);
    if problems == 0 {
        if cannot_serve > 0 {
            println!("doctor: all checks passed; {cannot_serve} scenario(s) these devices cannot serve (listed above)");
        } else {
            println!("doctor: all checks passed");
        }
        Ok(Exit::Passed.into())
    } else {
        println!("doctor: {problems} problem(s)");
        Ok(Exit::Usage.into())
    }
}

/// `mitid-e2e defects`: the defective builds the farm can start, and the
/// rule tag whose scenarios must catch each.
pub fn defects() -> ExitCode {
    println!("Defective builds of the virtual farm (cargo run -- run --defect NAME):\n");
    for d in mitid_sim::Defect::ALL {
        let caught_by = match d.changed_screen() {
            Some(screen) => format!("the texts of '{screen}'"),
            None => format!("@{}", d.rule_tag()),
        };
        println!("  {:<36} caught by {:<31} {}", d.name(), caught_by, d.description());
    }
    Exit::Passed.into()
}

/// A shard given to `report merge` is a run's folder (or its
/// `cucumber.json` beside a `run.json`): says which input is wrong and why.
fn check_shard_input(shard: &Path) -> Result<()> {
    use crate::report::run_info::FILE_NAME as RUN_JSON;
    let shown = shard.display();
    let example = "a run's folder, e.g. shard1/latest";
    if !shard.exists() {
        anyhow::bail!("the shard {shown} does not exist: name {example}");
    }
    let dir = if shard.is_dir() {
        shard
    } else if shard.file_name().is_some_and(|n| n == "cucumber.json") {
        shard.parent().unwrap_or(Path::new("."))
    } else {
        anyhow::bail!("the shard {shown} is a file, not a run folder: name {example} (or its cucumber.json)");
    };
    for needed in [RUN_JSON, "cucumber.json"] {
        if !dir.join(needed).is_file() {
            anyhow::bail!(
                "the shard {shown} has no {needed} in {}: it is not a run folder of mitid-e2e; name {example}",
                dir.display()
            );
        }
    }
    Ok(())
}

/// `mitid-e2e report merge`: shards' reports joined into `out`. Exits as the
/// unsharded run would: 1 a scenario failed, 3 some could not be judged.
/// Refuses (an error, exit 2), naming the cause, a merge that would lie: a
/// missing file, a shard that did not run, a shard missing or given twice,
/// shards of different feature sets.
pub fn merge_reports(out: &Path, shards: &[std::path::PathBuf]) -> Result<ExitCode> {
    use crate::report::run_info::{check_shards, RunInfo};
    use crate::report::{self, coverage::Coverage, merge};
    if shards.is_empty() {
        anyhow::bail!("name the shards' run folders (e.g. shard1/latest shard2/latest)");
    }
    let mut reports = Vec::new();
    let mut records = Vec::new();
    for shard in shards {
        check_shard_input(shard)?;
        let dir = if shard.is_dir() { shard.clone() } else { shard.parent().unwrap_or(Path::new(".")).to_path_buf() };
        let info = RunInfo::read(&dir)?;
        let report = merge::read(shard)?;
        records.push((dir.display().to_string(), info, report.scenarios().count()));
        reports.push(report);
    }
    check_shards(&records)?;
    let mut merged = merge::merge(reports)?;
    // The shards ran side by side: the run took as long as the longest.
    let longest = records.iter().map(|(_, i, _)| i.duration_secs).fold(0.0, f64::max);
    merged.duration = std::time::Duration::from_secs_f64(longest);
    merged.quarantined = records.iter().flat_map(|(_, i, _)| i.quarantined.iter().cloned()).collect();
    merged.quarantined.sort();
    merged.quarantined.dedup();
    // The shards' commit, profile and defects (the first's; hosts may differ).
    merged.meta = records[0].1.meta.clone();
    let hosts: std::collections::BTreeSet<&str> =
        records.iter().filter_map(|(_, i, _)| i.meta.host.as_deref()).collect();
    merged.meta.host = (!hosts.is_empty()).then(|| hosts.into_iter().collect::<Vec<_>>().join(","));
    let catalogue = mitid_e2e_steps::all();
    let coverage = Coverage::of(&merged, &catalogue);
    report::write_files(&merged, out, &coverage, &catalogue)
        .with_context(|| format!("cannot write into {}", out.display()))?;
    let first = &records[0].1;
    RunInfo {
        run_id: format!("merged from {} shards", records.len()),
        shard: None,
        feature_set: first.feature_set.clone(),
        selected: records.iter().map(|(_, i, _)| i.selected).sum(),
        exit_code: merged.exit().code(),
        problems: Vec::new(),
        duration_secs: longest,
        quarantined: merged.quarantined.clone(),
        meta: merged.meta.clone(),
        requests: crate::report::run_info::RequestTotals::of(&merged),
    }
    .write(out)
    .with_context(|| format!("cannot write into {}", out.display()))?;
    println!("merged {} shard(s) into {}", shards.len(), out.display());
    println!("{}", coverage.line());
    print!("{}", report::console::evidence(&merged, &report::console::from_here(out)));
    print!("{}", report::console::summary(&merged));
    Ok(merged.exit().into())
}

/// An error and its causes, each said once: a cause whose words the
/// message before it already holds (an OS error a file error quotes) is
/// not repeated.
pub fn each_cause_once(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
