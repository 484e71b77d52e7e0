//! `scheduled-cleanup`: prunes finished jobs older than the retention (the `cleanup` schedule).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metarr_queue::{Handler, JobContext, JobError, JobKind};
use serde::{Deserialize, Serialize};

/// The payload a schedule gives its job: which schedule and which slot fired (both absent
/// when run by hand).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScheduledCleanup {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub slot: Option<DateTime<Utc>>,
}

impl JobKind for ScheduledCleanup {
    const KIND: &'static str = "scheduled-cleanup";
    const MAX_ATTEMPTS: i32 = 3;
    const PRIORITY: i16 = 8;
}

/// Deletes completed, failed and cancelled jobs that finished more than `retention_days` ago.
#[derive(Debug, Clone)]
pub struct CleanupHandler {
    retention: chrono::Duration,
}

impl CleanupHandler {
    pub fn new(retention_days: u32) -> CleanupHandler {
        CleanupHandler { retention: chrono::Duration::days(i64::from(retention_days)) }
    }
}

#[async_trait]
impl Handler for CleanupHandler {
    type Job = ScheduledCleanup;

    #[tracing::instrument(skip_all, fields(job_id = ctx.job().id))]
    async fn run(&self, ctx: JobContext, _job: ScheduledCleanup) -> Result<(), JobError> {
        let before = Utc::now() - self.retention;
        let deleted = ctx.queue().delete_finished_before(before).await.map_err(JobError::retryable)?;
        ctx.progress(100.0, format!("deleted {deleted} jobs finished before {}", before.to_rfc3339())).await;
        tracing::info!(deleted, %before, "pruned finished jobs");
        Ok(())
    }
}
