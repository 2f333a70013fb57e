//! The run history: every run recorded in a store, and the trends it
//! answers across nights (`mitid-e2e history`, `reports/history.html`).
//!
//! - [`location`]: where runs go — SQLite (`reports/history.sqlite`, the
//!   default) or a shared PostgreSQL (`[history] url` in the profile,
//!   `--history postgres://…`); [`store`] opens either, [`schema`] holds
//!   the tables, the versioned migrations and the SQL both share.
//! - [`record`]: what a run, a merged sharded run, a scenario attempt and
//!   a quarantine are, built from the report model (the phones each
//!   attempt leased among it).
//! - [`queries`]: the answers (`runs`, `flaky`, `slow`, `phones`,
//!   `scenario`), computed in Rust from the same rows on either store, so
//!   both give the same answers.
//! - [`html`]: the self-contained trends page.
//! - [`cli`]: the `history` subcommand and the calls the runner makes.
//!
//! A sharded nightly run is counted once: each shard is recorded as a shard
//! (kind `shard`); `report merge` records the merged run (kind `merged`)
//! with every shard's scenario attempts, and marks the shards as merged
//! into it. Queries read only runs that are not merged into another, so a
//! merged nightly is one run, and a shard whose merge never happened still
//! counts (as what ran).

pub mod cli;
pub mod html;
pub mod location;
mod postgres;
pub mod queries;
pub mod record;
pub mod schema;
mod sqlite;
pub mod store;

pub use location::Location;
pub use record::{AttemptRecord, QuarantineRecord, RunRecord};
pub use store::Store;

/// The environment variable that names the history store, as `--history`
/// does (a CI secret can carry a PostgreSQL URL with its password).
pub const ENV_HISTORY_URL: &str = "MITID_HISTORY_URL";

/// The SQLite file's name under the report folder.
pub const SQLITE_FILE: &str = "history.sqlite";

/// The trends page's name under the report folder.
pub const HTML_FILE: &str = "history.html";
