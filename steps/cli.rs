//! The CLI's commands. Each returns the process exit code: 0 passed, 1 a
//! scenario failed; an `Err` is a configuration or usage error (exit 2).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use mitid_e2e::profile::Profile;

use crate::farm_profile;

/// `mitid-e2e sim`: serve the farm until Ctrl-C.
pub async fn sim(port: u16, profile: &Path, defects: &[String]) -> Result<ExitCode> {
    let profile = Profile::load(profile)?;
    let mut config = farm_profile::from_profile(&profile)?;
    config.defects.extend(farm_profile::defects(defects)?);
    let phones = config.phones.clone();
    let farm = mitid_sim::RunningFarm::start(config, port).await.context("cannot start the virtual farm")?;
    println!("listening on {}", farm.url());
    println!("phones:");
    for p in &phones {
        println!("  {:<16} {:<7} {:<5} {:<12} {}", p.udid, p.platform.name(), p.os_version, p.model, p.rig);
    }
    println!("test-control API: {}/sim/phones (see README); Ctrl-C stops", farm.url());
    tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    farm.stop();
    Ok(ExitCode::SUCCESS)
}

/// `mitid-e2e steps`: every phrase QA can write, with an example.
pub fn steps() -> ExitCode {
    println!("Steps you can write in features/*.feature (Given, When, Then and And all match any phrase).");
    println!("Quoted \"...\" is a button's text; '...' is a screen's or message's text.\n");
    for def in crate::catalogue::all() {
        let docs: Vec<String> = def
            .docs
            .iter()
            .map(|d| match d {
                crate::catalogue::Doc::Step(n) => format!("@doc-{n}"),
                crate::catalogue::Doc::Before(n) => format!("@before-{n}"),
            })
            .collect();
        let phrase = def.phrase.trim_start_matches('^').trim_end_matches('$').replace("\\\"", "\"");
        println!("{:?}  {phrase}", def.keyword);
        println!("    e.g.   {}", def.example);
        if !docs.is_empty() {
            println!("    proves {}", docs.join(" "));
        }
    }
    ExitCode::SUCCESS
}
