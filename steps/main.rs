//! `mitid-e2e`: runs the MitID copy-flow suite, and serves the virtual farm.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// End-to-end tests for "Copy your MitID app to another phone/tablet".
#[derive(Parser)]
#[command(name = "mitid-e2e", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the virtual device farm for exploring it by hand (Appium
    /// Inspector, curl) until Ctrl-C.
    Sim {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 4723)]
        port: u16,
        /// Device profile whose [farm] section lists the phones.
        #[arg(long, default_value = "devices/virtual.toml")]
        profile: PathBuf,
        /// Start the farm as a defective build (repeatable); see `GET /sim/defects`.
        #[arg(long = "defect", value_name = "NAME")]
        defects: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    mitid_steps::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Sim { port, profile, defects } => mitid_steps::cli::sim(port, &profile, &defects).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
