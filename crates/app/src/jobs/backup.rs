//! `scheduled-backup`: the daily backup (the `backup` schedule, and `POST /api/v1/backups`),
//! into the data directory's `backups/` folder, keeping the newest [`KEEP`].

use crate::backup::{self, BackupError};
use crate::config::Settings;
use async_trait::async_trait;
use metarr_queue::{Handler, JobContext, JobError, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The schedule's name and its default time: before the cleanup at 03:00 has run its course,
/// after most downloads of the night.
pub const BACKUP_SCHEDULE: &str = "backup";
pub const BACKUP_CRON: &str = "30 2 * * *";
/// How many backups the folder keeps.
pub const KEEP: usize = 7;

/// Makes a backup and prunes the old ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledBackup {}

job_kind!(ScheduledBackup = "scheduled-backup", attempts: 3, priority: 9);

/// The job of a backup asked for now (unique: two clicks make one backup).
pub fn backup_job() -> NewJob {
    NewJob::of(&ScheduledBackup {}).unique_key("scheduled-backup")
}

/// Runs `scheduled-backup`.
pub struct BackupHandler {
    pub settings: Arc<Settings>,
    pub database: metarr_db::Database,
}

#[async_trait]
impl Handler for BackupHandler {
    type Job = ScheduledBackup;

    async fn run(&self, ctx: JobContext, _job: ScheduledBackup) -> Result<(), JobError> {
        let folder = backup::backup_dir(&self.settings);
        let config = std::path::Path::new("metarr.toml");
        let written =
            backup::create(&self.settings, &self.database, Some(config), &folder, false).await.map_err(job_error)?;
        let pruned = backup::prune(&folder, KEEP).map_err(job_error)?;
        ctx.progress(100.0, format!("backed up to {} ({pruned} old backup(s) removed)", written.display())).await;
        Ok(())
    }
}

fn job_error(error: BackupError) -> JobError {
    match error {
        BackupError::ToolMissing { .. } => JobError::Permanent(error.to_string()),
        other => JobError::retryable(other),
    }
}
