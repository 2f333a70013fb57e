//! The CLI's commands. Each returns the process exit code: 0 passed, 1 a
//! scenario failed, 2 configuration or usage error (as `Err`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::farm_profile;

/// `mitid-e2e sim`: serve the farm until Ctrl-C.
pub async fn sim(port: u16, profile: &Path, defects: &[String]) -> Result<ExitCode> {
    let mut config = farm_profile::load(profile)?;
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
