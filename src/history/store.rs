//! An open history store, SQLite or PostgreSQL: one face over both (the
//! schema they share is in `schema.rs`).

use anyhow::{Context, Result};

use super::location::Location;
use super::record::RunRecord;

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
