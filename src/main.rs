//! `mitid-e2e`: runs the MitID copy-flow suite, and serves the virtual farm.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mitid_e2e::exit::Exit;
use mitid_e2e::root;
use mitid_e2e::run::RunOptions;

/// End-to-end tests for "Copy your MitID app to another phone/tablet".
///
/// With no command, runs every feature on the embedded virtual farm.
/// Exit codes: 0 all scenarios passed; 1 a scenario failed (the app broke a
/// documented step or rule, or a step is undefined); 2 a configuration or
/// usage error; 3 nothing failed, but some scenarios could not be judged (a
/// session died, no phone was free, a server could not be reached, a
/// deadline passed); 130 Ctrl-C (SIGINT) or 143 SIGTERM stopped the run:
/// no new scenario started, running steps ended, every session was closed
/// and the reports were written (a second Ctrl-C exits 130 at once).
#[derive(Parser)]
#[command(name = "mitid-e2e", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The project's root (the folder with fixtures/, devices/, features/).
    /// Default: $MITID_E2E_ROOT, else the nearest folder upwards from here
    /// that has fixtures/identities.toml.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
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
        /// Device profile whose [farm] section lists the phones [default: devices/virtual.toml].
        #[arg(long)]
        profile: Option<PathBuf>,
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
    Steps {
        /// Print instead the step definitions as editors read them
        /// (`steps/glue.rs`, for the Cucumber language server).
        #[arg(long)]
        glue: bool,
    },
    /// List the defective builds the virtual farm can start (--defect).
    Defects,
    /// Work with run reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Check a device profile: Appium reachable, test-control API, gateways,
    /// identity and locators.
    Doctor {
        /// The profile to check [default: devices/virtual.toml].
        #[arg(long)]
        profile: Option<PathBuf>,
    },
    /// What the run history says: runs, flaky, slow, phones, scenario NAME,
    /// prune, html (see docs/src/history.md).
    History(mitid_e2e::history::cli::HistoryArgs),
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
        /// The run history store the merged run is recorded in (see `run --history`).
        #[arg(long, value_name = "URL")]
        history: Option<String>,
        /// The report folder whose history.sqlite and history.html are meant
        /// when no --history names a store [default: reports/].
        #[arg(long, value_name = "DIR")]
        report_dir: Option<PathBuf>,
    },
}

#[derive(Args, Default)]
struct RunArgs {
    /// Feature files or folders [default: features/]; `FILE.feature:LINE`
    /// takes one scenario, one example row, or an outline's every row.
    #[arg(value_name = "FEATURES")]
    features: Vec<PathBuf>,
    /// Only scenarios whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    name: Option<String>,
    /// Start no new scenario once one has failed.
    #[arg(long)]
    fail_fast: bool,
    /// Read every selected feature and match every step against the
    /// catalogue, without phones or farm: undefined and ambiguous steps (exit
    /// 1), malformed features (exit 2), with file and line.
    #[arg(long)]
    dry_run: bool,
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
    /// Device profile: which phones, which Appium server [default: devices/virtual.toml].
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Where <run id>/ is written [default: reports/].
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Run against the virtual farm started as a defective build (repeatable).
    #[arg(long = "defect", value_name = "NAME")]
    defects: Vec<String>,
    /// Run only shard I of N (e.g. 2/4): deterministic and disjoint.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// Record the run in this history store: postgres://user@host:port/db or
    /// a SQLite file (default: the profile's [history] url, else
    /// REPORT_DIR/history.sqlite; also MITID_HISTORY_URL).
    #[arg(long, value_name = "URL")]
    history: Option<String>,
    /// Print each step as it starts, with its scenario.
    #[arg(short, long)]
    verbose: bool,
    /// The approved screen texts every screen of the app is compared with
    /// [default: fixtures/screens]; a real app build's texts live in a
    /// folder of their own.
    #[arg(long, value_name = "DIR")]
    screen_texts: Option<PathBuf>,
    /// Do not compare screens with their approved texts: for a build whose
    /// texts are not approved yet, or to see a rule's own checks alone
    /// (tests/integration/defects.rs). The run says so.
    #[arg(long, conflicts_with = "screen_texts")]
    no_screen_texts: bool,
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

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so a closed pipe (`mitid-e2e steps | head`) would
    // make println! panic; a command-line tool ends quietly instead.
    #[cfg(unix)]
    // SAFETY: done first, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage.into() } else { Exit::Passed.into() };
        }
    };
    mitid_e2e::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Usage.into();
        }
    };
    let result = runtime.block_on(async {
        let here = std::env::current_dir()?;
        let root = mitid_e2e::root::find(cli.root.as_deref(), &here)?;
        let profile = |p: Option<PathBuf>| root::or_default(p, &root, "devices/virtual.toml");
        match cli.command.unwrap_or(Command::Run(RunArgs::default())) {
            Command::Sim { port, profile: p, defects, allow_cors } => {
                mitid_e2e::cli::sim(port, &profile(p), &defects, allow_cors).await
            }
            Command::Steps { glue } => Ok(mitid_e2e::cli::steps(glue)),
            Command::Defects => Ok(mitid_e2e::cli::defects()),
            Command::Report(ReportCommand::Merge { out, shards, history, report_dir }) => {
                let code = mitid_e2e::cli::merge_reports(&out, &shards)?;
                let report_dir = root::or_default(report_dir, &root, "reports");
                mitid_e2e::history::cli::record_merge(&out, &shards, history.as_deref(), &report_dir).await;
                Ok(code)
            }
            Command::History(args) => {
                let report_dir = root::or_default(args.report_dir.clone(), &root, "reports");
                mitid_e2e::history::cli::history(&args, &report_dir).await
            }
            Command::Doctor { profile: p } => mitid_e2e::cli::doctor(&profile(p), &root).await,
            Command::Run(a) => {
                let features = if a.features.is_empty() { vec![root.join("features")] } else { a.features };
                let opts = RunOptions {
                    features,
                    name: a.name,
                    fail_fast: a.fail_fast,
                    dry_run: a.dry_run,
                    tags: a.tags,
                    concurrency: a.concurrency.map(|n| n as usize),
                    retry: a.retry,
                    profile: profile(a.profile),
                    report_dir: root::or_default(a.report_dir, &root, "reports"),
                    defects: a.defects,
                    shard: a.shard,
                    quiet: false,
                    verbose: a.verbose,
                    root: root.clone(),
                    history: a.history,
                    screen_texts: a.screen_texts,
                    no_screen_texts: a.no_screen_texts,
                };
                mitid_e2e::run::run(&opts).await.map_err(|e| e.0)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", mitid_e2e_framework::secret::redact(&mitid_e2e::cli::each_cause_once(&e)));
            Exit::Usage.into()
        }
    }
}
