//! The shared store: a PostgreSQL the CI machines of a farm all record into
//! (tokio-postgres, no TLS: the farm's network, or a unix socket). Each run
//! is one transaction; migrations take an advisory lock, so machines that
//! start on a fresh database together migrate it once.

use anyhow::{Context, Result};
use tokio_postgres::{Client, NoTls, Row};

use super::location::Location;
use super::record::{AttemptRecord, QuarantineRecord, RunRecord};
use super::schema::{check_version, INSERT_RUN, MIGRATIONS, PRUNE_ORPHAN_SHARDS, SELECT_RUNS};
use crate::report::PhoneRecord;

/// The advisory lock migrations hold ("mitid" in ASCII).
const MIGRATION_LOCK: i64 = 0x006d_6974_6964;

/// An open PostgreSQL history.
pub struct PgStore {
    client: Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PgStore {
    pub(super) async fn open(url: &str, location: &Location) -> Result<PgStore> {
        let mut config: tokio_postgres::Config =
            url.parse().with_context(|| format!("{location} is not a PostgreSQL URL"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        config.application_name("mitid-e2e");
        let (mut client, connection) =
            config.connect(NoTls).await.with_context(|| format!("cannot reach the history store {location}"))?;
        let task = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("history store connection: {e}");
            }
        });
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, applied_ms BIGINT NOT NULL)",
        )
        .await?;
        let found: i64 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[]).await?.get(0);
        check_version(found, location)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.batch_execute(sql).await.with_context(|| format!("{location}: migration {}", i + 1))?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_ms) VALUES ($1, $2)",
                &[&(i as i64 + 1), &super::record::now_ms()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(PgStore { client, task })
    }

    pub(super) async fn record(&mut self, run: &RunRecord) -> Result<()> {
        let tx = self.client.transaction().await?;
        tx.execute("DELETE FROM runs WHERE key = $1", &[&run.key]).await?;
        let (si, sn) = (run.shard.map(|s| s.0), run.shard.map(|s| s.1));
        tx.execute(
            INSERT_RUN,
            &[
                &run.key,
                &run.run_id,
                &run.started_ms,
                &run.duration_ms,
                &run.git_commit,
                &run.profile,
                &run.host,
                &si,
                &sn,
                &run.kind,
                &run.feature_set,
                &run.defects,
                &run.exit_code,
                &run.selected,
                &run.passed,
                &run.failed,
                &run.errors,
                &run.flaky,
                &run.skipped,
                &run.selection,
                &run.tag_expression,
            ],
        )
        .await?;
        let insert_attempt = tx
            .prepare(
                "INSERT INTO attempts (run_key, file, line, attempt, feature, name, tags, status, duration_ms, failing_step, message) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .await?;
        let insert_phone = tx
            .prepare(
                "INSERT INTO attempt_phones (run_key, file, line, attempt, position, udid, model, os_version, rig) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await?;
        for a in &run.attempts {
            tx.execute(
                &insert_attempt,
                &[
                    &run.key,
                    &a.file,
                    &a.line,
                    &a.attempt,
                    &a.feature,
                    &a.name,
                    &a.tags,
                    &a.status,
                    &a.duration_ms,
                    &a.failing_step,
                    &a.message,
                ],
            )
            .await?;
            for (i, p) in a.phones.iter().enumerate() {
                tx.execute(
                    &insert_phone,
                    &[&run.key, &a.file, &a.line, &a.attempt, &(i as i64), &p.udid, &p.model, &p.os_version, &p.rig],
                )
                .await?;
            }
        }
        for q in &run.quarantines {
            tx.execute(
                "INSERT INTO quarantines (run_key, udid, reason, at_ms) VALUES ($1, $2, $3, $4)",
                &[&run.key, &q.udid, &q.reason, &q.at_ms],
            )
            .await?;
        }
        for shard in &run.merges {
            tx.execute("UPDATE runs SET merged_into = $1 WHERE key = $2", &[&run.key, shard]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn load(
        &mut self,
        shard: Option<(&str, i64, i64)>,
        last: Option<usize>,
    ) -> Result<Vec<RunRecord>> {
        let rows = match shard {
            Some((id, i, n)) => {
                let sql = format!(
                    "{SELECT_RUNS} WHERE run_id = $1 AND shard_index = $2 AND shard_count = $3 ORDER BY started_ms DESC LIMIT 1"
                );
                self.client.query(&sql, &[&id, &i, &n]).await?
            }
            None => {
                let limit = last.map_or(i64::MAX, |n| n as i64);
                let sql =
                    format!("{SELECT_RUNS} WHERE merged_into IS NULL ORDER BY started_ms DESC, key DESC LIMIT $1");
                self.client.query(&sql, &[&limit]).await?
            }
        };
        let mut runs: Vec<RunRecord> = rows.iter().map(run_of).collect();
        runs.reverse();
        for run in &mut runs {
            let rows = self
                .client
                .query(
                    "SELECT file, line, attempt, feature, name, tags, status, duration_ms, failing_step, message \
                     FROM attempts WHERE run_key = $1 ORDER BY file, line, attempt",
                    &[&run.key],
                )
                .await?;
            run.attempts = rows
                .iter()
                .map(|r| AttemptRecord {
                    file: r.get(0),
                    line: r.get(1),
                    attempt: r.get(2),
                    feature: r.get(3),
                    name: r.get(4),
                    tags: r.get(5),
                    status: r.get(6),
                    duration_ms: r.get(7),
                    failing_step: r.get(8),
                    message: r.get(9),
                    phones: Vec::new(),
                })
                .collect();
            let rows = self
                .client
                .query(
                    "SELECT file, line, attempt, udid, model, os_version, rig FROM attempt_phones WHERE run_key = $1 \
                     ORDER BY file, line, attempt, position",
                    &[&run.key],
                )
                .await?;
            for r in rows {
                let (file, line, attempt): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
                if let Some(a) =
                    run.attempts.iter_mut().find(|a| a.file == file && a.line == line && a.attempt == attempt)
                {
                    a.phones.push(PhoneRecord {
                        udid: r.get(3),
                        model: r.get(4),
                        os_version: r.get(5),
                        rig: r.get(6),
                        platform: String::new(),
                    });
                }
            }
            let rows = self
                .client
                .query(
                    "SELECT udid, reason, at_ms FROM quarantines WHERE run_key = $1 ORDER BY at_ms, udid, reason",
                    &[&run.key],
                )
                .await?;
            run.quarantines =
                rows.iter().map(|r| QuarantineRecord { udid: r.get(0), reason: r.get(1), at_ms: r.get(2) }).collect();
        }
        Ok(runs)
    }

    pub(super) async fn prune(&mut self, before_ms: i64) -> Result<u64> {
        let tx = self.client.transaction().await?;
        let n = tx.execute("DELETE FROM runs WHERE started_ms < $1", &[&before_ms]).await?;
        let shards = tx.execute(PRUNE_ORPHAN_SHARDS, &[]).await?;
        tx.commit().await?;
        Ok(n + shards)
    }
}

fn run_of(r: &Row) -> RunRecord {
    let (si, sn): (Option<i64>, Option<i64>) = (r.get(7), r.get(8));
    RunRecord {
        key: r.get(0),
        run_id: r.get(1),
        started_ms: r.get(2),
        duration_ms: r.get(3),
        git_commit: r.get(4),
        profile: r.get(5),
        selection: r.get(19),
        tag_expression: r.get(20),
        host: r.get(6),
        shard: si.zip(sn),
        kind: r.get(9),
        feature_set: r.get(10),
        defects: r.get(11),
        exit_code: r.get(12),
        selected: r.get(13),
        passed: r.get(14),
        failed: r.get(15),
        errors: r.get(16),
        flaky: r.get(17),
        skipped: r.get(18),
        merges: Vec::new(),
        attempts: Vec::new(),
        quarantines: Vec::new(),
    }
}
