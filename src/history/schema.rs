//! The history's schema, its migrations and the SQL both stores share.
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

use anyhow::{bail, Result};

use super::location::Location;

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
