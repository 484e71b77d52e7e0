//! `scheduled-cleanup` (the `cleanup` schedule): prunes what grows with time, each by its own
//! retention: finished jobs, the webhook log, finished scan records (the latest scan of every
//! library stays) and expired web UI sessions.
//!
//! Catalogue rows go in batches of [`BATCH`], each its own short transaction, so that pruning a
//! table of a million rows never holds SQLite's single writer for long. Movies are never pruned:
//! missing or removed ones are the user's data.

use crate::config::Settings;
use crate::db::{Db, DbError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metarr_queue::{Handler, JobContext, JobError, job_kind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Rows deleted per transaction.
pub const BATCH: i64 = 1_000;

/// The payload a schedule gives its job: which schedule and which slot fired (both absent
/// when run by hand).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScheduledCleanup {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub slot: Option<DateTime<Utc>>,
}

job_kind!(ScheduledCleanup = "scheduled-cleanup", attempts: 3, priority: 8);

/// How long each kind of record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Completed, failed and cancelled jobs, counted from when they finished.
    pub jobs: chrono::Duration,
    /// The webhook log, counted from when a request was received.
    pub webhook_events: chrono::Duration,
    /// Finished scan records, counted from when they finished; verification runs too.
    pub scans: chrono::Duration,
    /// Recycle-bin entries, counted from when the file was recycled.
    pub recycle_bin: chrono::Duration,
}

impl Retention {
    /// The retentions the settings ask for.
    pub fn of(settings: &Settings) -> Retention {
        Retention {
            jobs: days(settings.job_retention_days),
            webhook_events: days(settings.webhook_retention_days),
            scans: days(settings.scan_retention_days),
            recycle_bin: days(settings.recycle_retention_days),
        }
    }
}

impl Default for Retention {
    /// The defaults of the settings: 30 days each.
    fn default() -> Retention {
        Retention { jobs: days(30), webhook_events: days(30), scans: days(30), recycle_bin: days(30) }
    }
}

fn days(n: u32) -> chrono::Duration {
    chrono::Duration::days(i64::from(n))
}

/// A catalogue table the cleanup prunes, with the rule that picks one batch of its old rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pruned {
    WebhookEvents,
    Scans,
    UiSessions,
    RecycleBin,
    VerificationRuns,
}

impl Pruned {
    /// Deletes at most `$2` rows older than `$1` (milliseconds); identical on both backends.
    fn batch_sql(self) -> &'static str {
        match self {
            Pruned::WebhookEvents => {
                "DELETE FROM webhook_events WHERE id IN \
                 (SELECT id FROM webhook_events WHERE received_at < $1 ORDER BY received_at LIMIT $2)"
            }
            // The latest scan of each library stays whatever its age: the UI shows it.
            Pruned::Scans => {
                "DELETE FROM scans WHERE id IN \
                 (SELECT s.id FROM scans s WHERE s.finished_at IS NOT NULL AND s.finished_at < $1 \
                  AND s.id < (SELECT max(l.id) FROM scans l WHERE l.library_id = s.library_id) \
                  ORDER BY s.finished_at LIMIT $2)"
            }
            Pruned::UiSessions => {
                "DELETE FROM ui_sessions WHERE token_hash IN \
                 (SELECT token_hash FROM ui_sessions WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)"
            }
            Pruned::RecycleBin => {
                "DELETE FROM recycle_bin WHERE id IN \
                 (SELECT id FROM recycle_bin WHERE recycled_at < $1 ORDER BY recycled_at LIMIT $2)"
            }
            Pruned::VerificationRuns => {
                "DELETE FROM verification_runs WHERE id IN \
                 (SELECT id FROM verification_runs WHERE started_at < $1 ORDER BY started_at LIMIT $2)"
            }
        }
    }
}

impl fmt::Display for Pruned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pruned::WebhookEvents => "webhook_events",
            Pruned::Scans => "scans",
            Pruned::UiSessions => "ui_sessions",
            Pruned::RecycleBin => "recycle_bin",
            Pruned::VerificationRuns => "verification_runs",
        })
    }
}

/// Pruning a table failed part way; the batches before stay deleted.
#[derive(Debug, thiserror::Error)]
#[error("pruning {table} after {deleted} rows")]
pub struct PruneError {
    table: String,
    deleted: u64,
    #[source]
    source: DbError,
}

/// Deletes the table's rows older than `before_ms`, batch by batch, until a batch comes up short.
async fn prune(db: &Db, table: Pruned, before_ms: i64) -> Result<u64, PruneError> {
    let mut deleted = 0;
    loop {
        let batch = async {
            let mut tx = db.begin().await?;
            let n = tx.execute(table.batch_sql(), &[before_ms.into(), BATCH.into()]).await?;
            tx.commit().await?;
            Ok::<u64, DbError>(n)
        }
        .await
        .map_err(|source| PruneError { table: table.to_string(), deleted, source })?;
        deleted += batch;
        if batch < BATCH.unsigned_abs() {
            return Ok(deleted);
        }
        // Let the writers queued behind this batch go before the next one.
        tokio::task::yield_now().await;
    }
}

/// What one cleanup deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruning {
    pub jobs: u64,
    pub webhook_events: u64,
    pub scans: u64,
    pub ui_sessions: u64,
    pub recycle_bin: u64,
    pub verification_runs: u64,
}

impl fmt::Display for Pruning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deleted {} jobs, {} webhook events, {} scans, {} expired sessions, {} recycle-bin entries and {} \
             verification runs",
            self.jobs, self.webhook_events, self.scans, self.ui_sessions, self.recycle_bin, self.verification_runs
        )
    }
}

/// Prunes every table by its retention, measured back from `now`.
pub async fn prune_all(db: &Db, retention: &Retention, now: DateTime<Utc>) -> Result<Pruning, JobError> {
    let jobs = db.queue().delete_finished_before(now - retention.jobs).await.map_err(JobError::retryable)?;
    let now_ms = now.timestamp_millis();
    let before = |keep: chrono::Duration| now_ms - keep.num_milliseconds();
    Ok(Pruning {
        jobs,
        webhook_events: prune(db, Pruned::WebhookEvents, before(retention.webhook_events))
            .await
            .map_err(JobError::retryable)?,
        scans: prune(db, Pruned::Scans, before(retention.scans)).await.map_err(JobError::retryable)?,
        ui_sessions: prune(db, Pruned::UiSessions, now_ms).await.map_err(JobError::retryable)?,
        recycle_bin: prune(db, Pruned::RecycleBin, before(retention.recycle_bin)).await.map_err(JobError::retryable)?,
        verification_runs: prune(db, Pruned::VerificationRuns, before(retention.scans))
            .await
            .map_err(JobError::retryable)?,
    })
}

/// Runs [`prune_all`] with the configured retentions.
#[derive(Clone)]
pub struct CleanupHandler {
    db: Db,
    retention: Retention,
    /// The content-addressed cache, collected after the recycle bin expires.
    cache_root: Option<std::path::PathBuf>,
}

impl CleanupHandler {
    pub fn new(db: Db, retention: Retention) -> CleanupHandler {
        CleanupHandler { db, retention, cache_root: None }
    }

    /// Also collects the cache's unreferenced blobs (see `publish::gc`).
    pub fn collecting(mut self, cache_root: std::path::PathBuf) -> CleanupHandler {
        self.cache_root = Some(cache_root);
        self
    }
}

#[async_trait]
impl Handler for CleanupHandler {
    type Job = ScheduledCleanup;

    async fn run(&self, ctx: JobContext, _job: ScheduledCleanup) -> Result<(), JobError> {
        let pruned = prune_all(&self.db, &self.retention, Utc::now()).await?;
        // Provider answers nobody asked for again in four of the cache's lifetimes (searches
        // for titles since renamed, films since deleted) would otherwise stay for ever.
        let cache = crate::provider_cache::ResponseCache::new(self.db.clone(), crate::provider_cache::DEFAULT_TTL);
        match cache.purge_older_than(4).await {
            Ok(purged) => tracing::info!(provider_responses = purged, "pruned old provider answers"),
            Err(err) => tracing::warn!(error = %metarr_errors::Chain(&err), "pruning old provider answers"),
        }
        if let Some(cache_root) = &self.cache_root {
            match crate::publish::gc::collect(&self.db, cache_root, crate::publish::gc::GRACE).await {
                Ok(collected) => tracing::info!(
                    blobs = collected.blobs,
                    removed = collected.removed,
                    bytes_freed = collected.bytes_freed,
                    "collected the cache"
                ),
                Err(err) => tracing::warn!(error = %metarr_errors::Chain(&err), "collecting the cache"),
            }
        }
        ctx.progress(100.0, pruned.to_string()).await;
        tracing::info!(
            jobs = pruned.jobs,
            webhook_events = pruned.webhook_events,
            scans = pruned.scans,
            ui_sessions = pruned.ui_sessions,
            "pruned old records"
        );
        Ok(())
    }
}
