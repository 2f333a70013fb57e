//! One run of the suite, in four moves: `check` what can be known
//! without a phone (the selection, the tags, the features against the
//! catalogue), `prepare` what the profile needs (the embedded farm, the
//! gateways, the run's context), `execute` the scenarios through
//! cucumber, and `finish`: the reports, the history, the console's last
//! lines and the exit code.

mod check;
mod execute;
mod finish;
mod prepare;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub use execute::shard_of;
pub use finish::snippet;
pub use prepare::{default_concurrency, preflight};

/// The tag of scenarios that need the host Bluetooth probe.
pub const BLUETOOTH_TAG: &str = "bluetooth";

/// Whether a scenario of these tags (without `@`) needs the host probe: a
/// profile without `[bluetooth]` leaves it out, the run and doctor alike.
pub fn needs_host_probe<'a>(mut tags: impl Iterator<Item = &'a str>) -> bool {
    tags.any(|t| t == BLUETOOTH_TAG)
}

/// What `mitid-e2e run` was asked.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Feature files or folders, or `file.feature:LINE` ([`crate::select::Selection`]).
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

/// Runs the suite: exit 0 all passed, 1 a scenario failed, 3 some could
/// not be judged, 130/143 a SIGINT/SIGTERM stopped it (see
/// [`crate::interrupt`]); a [`ConfigError`] means exit 2.
pub async fn run(opts: &RunOptions) -> Result<ExitCode, ConfigError> {
    let started = Instant::now();
    let plan = match check::check(opts, started).await? {
        check::Checked::Run(plan) => plan,
        check::Checked::Done(exit) => return Ok(exit.into()),
        check::Checked::Refused { plan, report } => return Err(finish::refused(opts, &plan, *report).await),
    };
    let mut prepared = prepare::prepare(opts).await.map_err(ConfigError)?;
    let executed = execute::execute(opts, &plan, &mut prepared).await?;
    finish::finish(opts, &plan, &prepared, executed, started).await
}
