//! Where the history is kept, its schema and its migrations.
//!
//! Both stores have the same tables (migration 1):
//!
//! - `schema_version(version)`: the migrations applied; a store newer than
//!   this build knows is refused, saying so.
//! - `runs`: one row per run (`key` = run id `@` host), with its start,
//!   duration, git commit, profile, host, shard, kind (`run`, `shard`,
//!   `merged`), `merged_into` (a shard's merged run), feature set, defects,
//!   exit code and counts.
//! - `attempts`: one row per scenario attempt (`run_key`, `file`, `line`,
//!   `attempt`), with feature, name, tags, status, duration, failing step
//!   and message.
//! - `attempt_phones`: the phones of each attempt (udid, model, OS, rig).
//! - `quarantines`: per run, each phone taken out, why and when.
//!
//! Migration 2 adds to `runs` what makes runs comparable: `selection` (the
//! features asked for, and `--name`) and `tag_expression` (`--tags`);
//! runs recorded before it read as a whole `features` run without tags.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::record::RunRecord;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 2;

/// The migrations, in order: `MIGRATIONS[0]` takes a store to version 1.
/// The SQL is the same for SQLite and PostgreSQL. A migration is never
/// edited once released: a store made by it is out there.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    key TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    git_commit TEXT,
    profile TEXT NOT NULL,
    host TEXT NOT NULL,
    shard_index BIGINT,
    shard_count BIGINT,
    kind TEXT NOT NULL,
    merged_into TEXT,
    feature_set TEXT NOT NULL,
    defects TEXT NOT NULL,
    exit_code BIGINT NOT NULL,
    selected BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    flaky BIGINT NOT NULL,
    skipped BIGINT NOT NULL
);
CREATE INDEX runs_started ON runs (started_ms);
CREATE TABLE attempts (
    run_key TEXT NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    file TEXT NOT NULL,
    line BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    feature TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    failing_step TEXT,
    message TEXT,
    PRIMARY KEY (run_key, file, line, attempt)
);
CREATE TABLE attempt_phones (
    run_key TEXT NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    file TEXT NOT NULL,
    line BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    position BIGINT NOT NULL,
    udid TEXT NOT NULL,
    model TEXT NOT NULL,
    os_version TEXT NOT NULL,
    rig TEXT NOT NULL,
    PRIMARY KEY (run_key, file, line, attempt, position)
);
CREATE TABLE quarantines (
    run_key TEXT NOT NULL REFERENCES runs (key) ON DELETE CASCADE,
    udid TEXT NOT NULL,
    reason TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
"#,
    r#"
ALTER TABLE runs ADD COLUMN selection TEXT NOT NULL DEFAULT 'features';
ALTER TABLE runs ADD COLUMN tag_expression TEXT NOT NULL DEFAULT '';
"#,
];

/// Which store: a SQLite file, or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (made when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite:PATH` or
    /// any other text is a SQLite file.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_owned())
        } else {
            Location::Sqlite(PathBuf::from(s.strip_prefix("sqlite:").unwrap_or(s)))
        }
    }

    /// Which store, in this order: `--history`, `MITID_HISTORY_URL`, the
    /// profile's `[history] url`, else `<report dir>/history.sqlite`.
    pub fn resolve(flag: Option<&str>, profile: Option<&str>, report_dir: &Path) -> Location {
        let env = std::env::var(super::ENV_HISTORY_URL).ok().filter(|s| !s.is_empty());
        match flag.map(str::to_owned).or(env).or(profile.map(str::to_owned)) {
            Some(s) => Location::parse(&s),
            None => Location::Sqlite(report_dir.join(super::SQLITE_FILE)),
        }
    }
}

impl std::fmt::Display for Location {
    /// The store, with any password in a URL left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => write!(f, "{}", without_password(url)),
        }
    }
}

/// A URL with the password of its user info replaced by `***`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (auth, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// An open history store.
pub enum Store {
    /// The embedded SQLite file.
    Sqlite(super::sqlite::SqliteStore),
    /// A shared PostgreSQL.
    Postgres(super::postgres::PgStore),
}

/// What the history holds for a window of runs.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct History {
    /// The runs, oldest first, with their attempts and quarantines.
    pub runs: Vec<RunRecord>,
}

/// The refusal of a store newer than this build.
pub fn check_version(found: i64, location: &Location) -> Result<()> {
    if found > SCHEMA_VERSION {
        bail!(
            "the history store {location} has schema version {found}, but this mitid-e2e knows only up to version {SCHEMA_VERSION}: \
             a newer mitid-e2e wrote it; use that one (nothing was changed in the store)"
        );
    }
    Ok(())
}

impl Store {
    /// Opens (making it when missing) and migrates the store.
    pub async fn open(location: &Location) -> Result<Store> {
        match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
                }
                Ok(Store::Sqlite(super::sqlite::SqliteStore::open(path, location)?))
            }
            Location::Postgres(url) => Ok(Store::Postgres(super::postgres::PgStore::open(url, location).await?)),
        }
    }

    /// Records a run, its attempts, phones and quarantines, in one
    /// transaction; a merged run also marks its shards as merged into it.
    /// Recording the same run again replaces it.
    pub async fn record(&mut self, run: &RunRecord) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.record(run),
            Store::Postgres(s) => s.record(run).await,
        }
    }

    /// The shard run of `run_id`, shard `i` of `n`, with its attempts, if recorded.
    pub async fn find_shard(&mut self, run_id: &str, i: i64, n: i64) -> Result<Option<RunRecord>> {
        let runs = match self {
            Store::Sqlite(s) => s.load(Some((run_id, i, n)), None)?,
            Store::Postgres(s) => s.load(Some((run_id, i, n)), None).await?,
        };
        Ok(runs.into_iter().next())
    }

    /// The last `last` runs that count (not merged into another), oldest
    /// first, with their attempts and quarantines; every run when `None`.
    pub async fn load(&mut self, last: Option<usize>) -> Result<History> {
        let runs = match self {
            Store::Sqlite(s) => s.load(None, last)?,
            Store::Postgres(s) => s.load(None, last).await?,
        };
        Ok(History { runs })
    }

    /// Deletes the runs that started before `before_ms`; how many.
    pub async fn prune(&mut self, before_ms: i64) -> Result<u64> {
        match self {
            Store::Sqlite(s) => s.prune(before_ms),
            Store::Postgres(s) => s.prune(before_ms).await,
        }
    }
}

/// Loading: the SQL of the runs to read. `shard` picks one shard run;
/// otherwise the runs that count, newest first, `LIMIT`ed by the caller.
pub(super) const SELECT_RUNS: &str = "SELECT key, run_id, started_ms, duration_ms, git_commit, profile, host, \
     shard_index, shard_count, kind, feature_set, defects, exit_code, selected, passed, failed, errors, flaky, skipped, \
     selection, tag_expression FROM runs";

/// Recording: the SQL that inserts a run (`merged_into` is set by its merge).
pub(super) const INSERT_RUN: &str = "INSERT INTO runs (key, run_id, started_ms, duration_ms, git_commit, profile, host, \
     shard_index, shard_count, kind, merged_into, feature_set, defects, exit_code, selected, passed, failed, errors, flaky, \
     skipped, selection, tag_expression) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

/// Pruning: the shards whose merged run is gone go with it.
pub(super) const PRUNE_ORPHAN_SHARDS: &str =
    "DELETE FROM runs WHERE merged_into IS NOT NULL AND merged_into NOT IN (SELECT key FROM runs)";
