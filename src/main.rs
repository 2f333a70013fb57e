//! `mitid-e2e`: runs the MitID copy-flow suite, and serves the virtual farm.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mitid_e2e::run::RunOptions;

/// End-to-end tests for "Copy your MitID app to another phone/tablet".
///
/// With no command, runs every feature on the embedded virtual farm.
/// Exit codes: 0 all scenarios passed; 1 a scenario failed (the app broke a
/// documented step or rule, or a step is undefined); 2 a configuration or
/// usage error; 3 nothing failed, but some scenarios could not be judged (a
/// session died, no phone was free, a server could not be reached, a
/// deadline passed).
#[derive(Parser)]
#[command(name = "mitid-e2e", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the features (the default command).
    Run(RunArgs),
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
        /// Answer browsers from any origin (CORS), as `appium --allow-cors`:
        /// for Appium Inspector in a browser (its Appium plugin, or the web
        /// version). Off by default, as in Appium.
        #[arg(long)]
        allow_cors: bool,
    },
    /// List every step phrase, with an example, for writing features.
    Steps,
    /// List the defective builds the virtual farm can start (--defect).
    Defects,
    /// Work with run reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Check a device profile: Appium reachable, test-control API, gateways,
    /// identity and locators.
    Doctor {
        #[arg(long, default_value = "devices/virtual.toml")]
        profile: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Join the reports of shards (--shard i/n) into one, as an unsharded run writes it.
    Merge {
        /// Where the merged junit.xml, cucumber.json and coverage.md go.
        #[arg(long)]
        out: PathBuf,
        /// The shards' run folders (each holding cucumber.json).
        shards: Vec<PathBuf>,
    },
}

#[derive(Args)]
struct RunArgs {
    /// A .feature file or a folder of them.
    #[arg(default_value = "features")]
    features: PathBuf,
    /// Only scenarios matching this tag expression, e.g. "@android and not @slow".
    #[arg(long)]
    tags: Option<String>,
    /// Scenarios run at once. Default: one per phone pair of the profile
    /// where each scenario gets its own identity (the embedded farm, or
    /// identity_per_scenario = true), else 1 (a lab's identity is fixed).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    concurrency: Option<u32>,
    /// Retry a failed scenario up to N times; one that then passes is reported as flaky.
    #[arg(long, default_value_t = 0)]
    retry: usize,
    /// Device profile: which phones, which Appium server.
    #[arg(long, default_value = "devices/virtual.toml")]
    profile: PathBuf,
    /// Where reports/<run id>/ is written.
    #[arg(long, default_value = "reports")]
    report_dir: PathBuf,
    /// Run against the virtual farm started as a defective build (repeatable).
    #[arg(long = "defect", value_name = "NAME")]
    defects: Vec<String>,
    /// Run only shard I of N (e.g. 2/4): deterministic and disjoint.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 1/4")?;
    let i: usize = i.trim().parse().map_err(|_| format!("'{i}' is not a number"))?;
    let n: usize = n.trim().parse().map_err(|_| format!("'{n}' is not a number"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("{i}/{n}: expected 1 <= I <= N"));
    }
    Ok((i, n))
}

impl Default for RunArgs {
    fn default() -> Self {
        let d = RunOptions::default();
        RunArgs {
            features: d.features,
            tags: None,
            concurrency: None,
            retry: d.retry,
            profile: d.profile,
            report_dir: d.report_dir,
            defects: Vec::new(),
            shard: None,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    mitid_e2e::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Run(RunArgs::default())) {
            Command::Sim { port, profile, defects, allow_cors } => {
                mitid_e2e::cli::sim(port, &profile, &defects, allow_cors).await
            }
            Command::Steps => Ok(mitid_e2e::cli::steps()),
            Command::Defects => Ok(mitid_e2e::cli::defects()),
            Command::Report(ReportCommand::Merge { out, shards }) => mitid_e2e::cli::merge_reports(&out, &shards),
            Command::Doctor { profile } => mitid_e2e::cli::doctor(&profile).await,
            Command::Run(a) => {
                let opts = RunOptions {
                    features: a.features,
                    tags: a.tags,
                    concurrency: a.concurrency.map(|n| n as usize),
                    retry: a.retry,
                    profile: a.profile,
                    report_dir: a.report_dir,
                    defects: a.defects,
                    shard: a.shard,
                    quiet: false,
                };
                mitid_e2e::run::run(&opts).await.map_err(|e| e.0)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", mitid_e2e_framework::secret::redact(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
