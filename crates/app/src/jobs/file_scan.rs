//! `scheduled-file-scan`: each library's `file-scan:<id>` schedule starts a scan of that library.
//!
//! The schedule rows are created and deleted with their library by database triggers
//! (migration 20008), so every library has exactly one, and `GET/PUT /api/v1/schedules` and
//! Settings › Schedules manage them like any other schedule. Firing is the queue's
//! compare-and-set on the slot, so several processes sharing PostgreSQL scan once per slot.

use crate::catalogue::{CatalogueError, libraries, scans};
use crate::db::Db;
use crate::ids::LibraryId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metarr_queue::{Handler, JobContext, JobError, job_kind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every 6 hours, on the hour: an unchanged rescan only lists directories, so the default is on.
/// Migration 20008 writes the same expression into the trigger that creates the schedules.
pub const DEFAULT_CRON: &str = "0 */6 * * *";

/// The name of a library's file-scan schedule: `file-scan:<library id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileScanSchedule {
    pub library_id: LibraryId,
}

impl FileScanSchedule {
    /// The prefix of every file-scan schedule's name.
    pub const PREFIX: &'static str = "file-scan:";

    /// The schedule of one library.
    pub fn of(library_id: LibraryId) -> FileScanSchedule {
        FileScanSchedule { library_id }
    }

    /// The library a schedule name belongs to, when it is a file-scan schedule.
    pub fn parse(name: &str) -> Option<FileScanSchedule> {
        let id = name.strip_prefix(Self::PREFIX)?;
        // `i64::from_str` accepts a leading `+`, which the triggers never write.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        id.parse().ok().map(FileScanSchedule::of)
    }
}

impl fmt::Display for FileScanSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.library_id)
    }
}

/// The payload a schedule gives its job: which schedule and which slot fired (the slot is
/// absent when run by hand).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScheduledFileScan {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub slot: Option<DateTime<Utc>>,
}

job_kind!(ScheduledFileScan = "scheduled-file-scan", attempts: 3, priority: 8);

/// Starts a scan of the schedule's library, unless the library is disabled or gone.
#[derive(Clone)]
pub struct FileScanHandler {
    pub db: Db,
}

#[async_trait]
impl Handler for FileScanHandler {
    type Job = ScheduledFileScan;

    // The job span names the job; this one adds which schedule fired it.
    #[tracing::instrument(skip_all, fields(schedule = job.schedule.as_deref()))]
    async fn run(&self, ctx: JobContext, job: ScheduledFileScan) -> Result<(), JobError> {
        let name = job.schedule.as_deref().unwrap_or_default();
        let Some(schedule) = FileScanSchedule::parse(name) else {
            return Err(JobError::permanent(format!("{name:?} is not a file-scan schedule (file-scan:<library id>)")));
        };
        let library = match libraries::get(&self.db, schedule.library_id).await {
            Ok(library) => library,
            // The schedule goes with its library; a job enqueued just before the delete has nothing to do.
            Err(CatalogueError::NotFound(_)) => {
                ctx.progress(100.0, format!("library {} no longer exists; nothing to scan", schedule.library_id)).await;
                return Ok(());
            }
            Err(err) => return Err(JobError::retryable(err)),
        };
        if !library.enabled {
            ctx.progress(100.0, format!("library {} ({}) is disabled; not scanned", library.id, library.name)).await;
            return Ok(());
        }
        // A run after one that started the scan and died before acknowledging: a scan that
        // started after this job was queued already covers its slot, so a second is not started.
        let latest = scans::list(&self.db, Some(library.id), 1).await.map_err(JobError::retryable)?;
        if let Some(scan) = latest.first().filter(|scan| scan.started_at >= ctx.job().created_at) {
            ctx.progress(
                100.0,
                format!("scan {} of library {} ({}) covers this slot", scan.id, library.id, library.name),
            )
            .await;
            return Ok(());
        }
        match crate::jobs::scan::start_scan(&self.db, library.id).await {
            Ok(scan) => {
                ctx.progress(100.0, format!("scan {} of library {} ({})", scan.id, library.id, library.name)).await;
                tracing::info!(scan_id = %scan.id, library_id = %library.id, "scheduled scan started");
                Ok(())
            }
            // Disabled between the read above and the scan's own check: still nothing to do.
            Err(CatalogueError::Conflict(reason) | CatalogueError::NotFound(reason)) => {
                ctx.progress(100.0, format!("not scanned: {reason}")).await;
                Ok(())
            }
            Err(err) => Err(JobError::retryable(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileScanSchedule;
    use crate::ids::LibraryId;

    #[test]
    fn schedule_names_round_trip_and_others_are_not_file_scans() {
        let schedule = FileScanSchedule::of(LibraryId(42));
        assert_eq!(schedule.to_string(), "file-scan:42");
        assert_eq!(FileScanSchedule::parse("file-scan:42"), Some(schedule));
        for other in ["cleanup", "file-scan:", "file-scan:+4", "file-scan:4x", "file-scan:-1", "scan:4"] {
            assert_eq!(FileScanSchedule::parse(other), None, "{other}");
        }
    }
}
