//! The embedded store: one SQLite file, in WAL mode with a busy timeout, so
//! two runs finishing at once on one machine both record whole.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::location::Location;
use super::record::{AttemptRecord, QuarantineRecord, RunRecord};
use super::schema::{check_version, INSERT_RUN, MIGRATIONS, PRUNE_ORPHAN_SHARDS, SCHEMA_VERSION, SELECT_RUNS};
use crate::report::PhoneRecord;

/// An open SQLite history.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    pub(super) fn open(path: &Path, location: &Location) -> Result<SqliteStore> {
        let mut conn = Connection::open(path).with_context(|| format!("cannot open the history store {location}"))?;
        conn.busy_timeout(Duration::from_secs(60))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, applied_ms BIGINT NOT NULL)",
        )?;
        let found: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))?;
        check_version(found, location)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql).with_context(|| format!("{location}: migration {}", i + 1))?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_ms) VALUES ($1, $2)",
                params![i as i64 + 1, super::record::now_ms()],
            )?;
        }
        debug_assert_eq!(MIGRATIONS.len() as i64, SCHEMA_VERSION);
        tx.commit()?;
        Ok(SqliteStore { conn })
    }

    pub(super) fn record(&mut self, run: &RunRecord) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM runs WHERE key = $1", params![run.key])?;
        tx.execute(
            INSERT_RUN,
            params![
                run.key,
                run.run_id,
                run.started_ms,
                run.duration_ms,
                run.git_commit,
                run.profile,
                run.host,
                run.shard.map(|s| s.0),
                run.shard.map(|s| s.1),
                run.kind,
                run.feature_set,
                run.defects,
                run.exit_code,
                run.selected,
                run.passed,
                run.failed,
                run.errors,
                run.flaky,
                run.skipped,
                run.selection,
                run.tag_expression
            ],
        )?;
        for a in &run.attempts {
            tx.execute(
                "INSERT INTO attempts (run_key, file, line, attempt, feature, name, tags, status, duration_ms, failing_step, message) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                params![
                    run.key,
                    a.file,
                    a.line,
                    a.attempt,
                    a.feature,
                    a.name,
                    a.tags,
                    a.status,
                    a.duration_ms,
                    a.failing_step,
                    a.message
                ],
            )?;
            for (i, p) in a.phones.iter().enumerate() {
                tx.execute(
                    "INSERT INTO attempt_phones (run_key, file, line, attempt, position, udid, model, os_version, rig) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    params![run.key, a.file, a.line, a.attempt, i as i64, p.udid, p.model, p.os_version, p.rig],
                )?;
            }
        }
        for q in &run.quarantines {
            tx.execute(
                "INSERT INTO quarantines (run_key, udid, reason, at_ms) VALUES ($1, $2, $3, $4)",
                params![run.key, q.udid, q.reason, q.at_ms],
            )?;
        }
        for shard in &run.merges {
            tx.execute("UPDATE runs SET merged_into = $1 WHERE key = $2", params![run.key, shard])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(super) fn load(&mut self, shard: Option<(&str, i64, i64)>, last: Option<usize>) -> Result<Vec<RunRecord>> {
        let limit = last.map_or(i64::MAX, |n| n as i64);
        let mut runs = Vec::new();
        {
            let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<RunRecord> {
                let si: Option<i64> = r.get(7)?;
                let sn: Option<i64> = r.get(8)?;
                Ok(RunRecord {
                    key: r.get(0)?,
                    run_id: r.get(1)?,
                    started_ms: r.get(2)?,
                    duration_ms: r.get(3)?,
                    git_commit: r.get(4)?,
                    profile: r.get(5)?,
                    selection: r.get(19)?,
                    tag_expression: r.get(20)?,
                    host: r.get(6)?,
                    shard: si.zip(sn),
                    kind: r.get(9)?,
                    feature_set: r.get(10)?,
                    defects: r.get(11)?,
                    exit_code: r.get(12)?,
                    selected: r.get(13)?,
                    passed: r.get(14)?,
                    failed: r.get(15)?,
                    errors: r.get(16)?,
                    flaky: r.get(17)?,
                    skipped: r.get(18)?,
                    merges: Vec::new(),
                    attempts: Vec::new(),
                    quarantines: Vec::new(),
                })
            };
            match shard {
                Some((id, i, n)) => {
                    let sql = format!(
                        "{SELECT_RUNS} WHERE run_id = $1 AND shard_index = $2 AND shard_count = $3 ORDER BY started_ms DESC LIMIT 1"
                    );
                    if let Some(run) = self.conn.query_row(&sql, params![id, i, n], map).optional()? {
                        runs.push(run);
                    }
                }
                None => {
                    let sql =
                        format!("{SELECT_RUNS} WHERE merged_into IS NULL ORDER BY started_ms DESC, key DESC LIMIT $1");
                    let mut stmt = self.conn.prepare(&sql)?;
                    for run in stmt.query_map(params![limit], map)? {
                        runs.push(run?);
                    }
                }
            }
        }
        runs.reverse();
        for run in &mut runs {
            let mut stmt = self.conn.prepare_cached(
                "SELECT file, line, attempt, feature, name, tags, status, duration_ms, failing_step, message \
                 FROM attempts WHERE run_key = $1 ORDER BY file, line, attempt",
            )?;
            let rows = stmt.query_map(params![run.key], |r| {
                Ok(AttemptRecord {
                    file: r.get(0)?,
                    line: r.get(1)?,
                    attempt: r.get(2)?,
                    feature: r.get(3)?,
                    name: r.get(4)?,
                    tags: r.get(5)?,
                    status: r.get(6)?,
                    duration_ms: r.get(7)?,
                    failing_step: r.get(8)?,
                    message: r.get(9)?,
                    phones: Vec::new(),
                })
            })?;
            run.attempts = rows.collect::<rusqlite::Result<_>>()?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT file, line, attempt, udid, model, os_version, rig FROM attempt_phones WHERE run_key = $1 \
                 ORDER BY file, line, attempt, position",
            )?;
            let phones = stmt.query_map(params![run.key], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?),
                    PhoneRecord {
                        udid: r.get(3)?,
                        model: r.get(4)?,
                        os_version: r.get(5)?,
                        rig: r.get(6)?,
                        platform: String::new(),
                    },
                ))
            })?;
            for row in phones {
                let ((file, line, attempt), phone) = row?;
                if let Some(a) =
                    run.attempts.iter_mut().find(|a| a.file == file && a.line == line && a.attempt == attempt)
                {
                    a.phones.push(phone);
                }
            }
            let mut stmt = self.conn.prepare_cached(
                "SELECT udid, reason, at_ms FROM quarantines WHERE run_key = $1 ORDER BY at_ms, udid, reason",
            )?;
            let rows = stmt.query_map(params![run.key], |r| {
                Ok(QuarantineRecord { udid: r.get(0)?, reason: r.get(1)?, at_ms: r.get(2)? })
            })?;
            run.quarantines = rows.collect::<rusqlite::Result<_>>()?;
        }
        Ok(runs)
    }

    pub(super) fn prune(&mut self, before_ms: i64) -> Result<u64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A merged run's shards go with it.
        let n = tx.execute("DELETE FROM runs WHERE started_ms < $1", params![before_ms])?;
        let shards = tx.execute(PRUNE_ORPHAN_SHARDS, [])?;
        let n = n + shards;
        tx.commit()?;
        Ok(n as u64)
    }
}
