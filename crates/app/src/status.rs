//! The system's state at a glance (`GET /api/v1/system/status`, the dashboard's System panel):
//! version, uptime, database, data directory and cache sizes with the disk's free space, the
//! queue's depth and lag, open circuit breakers, each schedule's last run, and warnings a user
//! running Metarr unattended for years must not miss (disk almost full, a schedule that keeps
//! failing, a player unreachable for a day).

use crate::catalogue::CatalogueError;
use crate::routes::AppState;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use metarr_queue::{JobState, ListFilter};
use serde::Serialize;
use std::path::Path;

/// Free space below which the disk is "almost full": 5 % of it, or 2 GiB, whichever is less
/// (a 20 TB NAS volume with 900 GB free is not almost full).
const DISK_FREE_FRACTION: f64 = 0.05;
const DISK_FREE_FLOOR: u64 = 2 << 30;
/// Failures in a row after which a schedule "keeps failing".
const SCHEDULE_FAILURES: usize = 3;
/// How long a player group may fail every refresh before it is called unreachable.
const UNREACHABLE_AFTER_HOURS: i64 = 24;

/// Reading the status failed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("reading the queue for the status")]
    Queue(#[from] metarr_queue::QueueError),
}

impl From<crate::db::DbError> for StatusError {
    fn from(error: crate::db::DbError) -> Self {
        StatusError::Catalogue(error.into())
    }
}

/// What Metarr is and how it is doing (`GET /api/v1/system/status`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemStatus {
    pub version: &'static str,
    /// When this process started.
    pub started_at: DateTime<Utc>,
    pub uptime_seconds: u64,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub database: DatabaseStatus,
    pub data_dir: DiskStatus,
    pub cache: CacheStatus,
    pub queue: QueueStatus,
    pub circuit_breakers: Vec<OpenCircuit>,
    pub schedules: Vec<ScheduleStatus>,
    pub warnings: Vec<Warning>,
}

/// The database.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatabaseStatus {
    pub size_bytes: u64,
}

/// The data directory and the disk it is on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiskStatus {
    pub path: String,
    /// `null` when the platform cannot say.
    pub free_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// The content-addressed cache, as recorded (walking a 100,000-file cache on a NAS would take
/// minutes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CacheStatus {
    pub files: u64,
    pub size_bytes: u64,
}

/// The job queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueStatus {
    /// Jobs waiting or running.
    pub depth: i64,
    pub pending: i64,
    pub running: i64,
    pub failed: i64,
    /// How long the oldest job due to run has waited past its time: the queue's lag.
    pub lag_seconds: u64,
}

/// A service whose calls this process holds back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenCircuit {
    /// The service (a provider, a player, a notification service).
    pub service: String,
    /// When calls are tried again.
    pub retry_in_seconds: u64,
}

/// A schedule and its last run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleStatus {
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub last_run_at: Option<DateTime<Utc>>,
    /// The state of the job its last run queued (`null` when it never ran or the job is gone).
    pub last_state: Option<JobState>,
}

/// Something that needs the user.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Warning {
    pub code: WarningCode,
    /// What is wrong, naming the schedule, player group or free space.
    pub message: String,
}

/// What a warning is about; scripts and monitors branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// Under 5 % or 2 GiB free (whichever is less) on the data directory's disk.
    DiskAlmostFull,
    /// A schedule's last three runs failed.
    ScheduleFailing,
    /// Every refresh of an enabled player group failed for a day.
    PlayerUnreachable,
}

impl WarningCode {
    /// The name on the wire, which the dashboard shows too.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::DiskAlmostFull => "disk_almost_full",
            WarningCode::ScheduleFailing => "schedule_failing",
            WarningCode::PlayerUnreachable => "player_unreachable",
        }
    }
}

impl std::fmt::Display for WarningCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the status shows, read now.
pub async fn collect(state: &AppState) -> Result<SystemStatus, StatusError> {
    let now = Utc::now();
    let uptime = state.started_at.elapsed();
    let started_at = now - ChronoDuration::from_std(uptime).unwrap_or_default();
    let backend = state.queue.backend();
    let size_sql = match backend {
        metarr_queue::Backend::Sqlite => "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        metarr_queue::Backend::Postgres => "SELECT pg_database_size(current_database())",
    };
    let (database_size,): (i64,) = state.db.fetch_optional(size_sql, &[]).await?.unwrap_or((0,));
    let (cache_files, cache_bytes): (i64, Option<i64>) = state
        .db
        .fetch_optional("SELECT count(*), CAST(sum(size) AS BIGINT) FROM assets", &[])
        .await?
        .unwrap_or((0, None));
    let data_dir = disk_of(&state.settings.data_dir);
    let stats = state.queue.stats().await?;
    let count = |name: &str| stats.states.get(name).copied().unwrap_or(0);
    let lag_seconds = queue_lag_seconds(state).await?;
    let queue = QueueStatus {
        depth: count("pending") + count("running"),
        pending: count("pending"),
        running: count("running"),
        failed: count("failed"),
        lag_seconds,
    };
    let circuit_breakers = state
        .breakers
        .open_circuits()
        .into_iter()
        .map(|(service, left)| OpenCircuit { service, retry_in_seconds: left.as_secs().max(1) })
        .collect();
    let mut warnings = Vec::new();
    if let Some(warning) = disk_warning(&data_dir) {
        warnings.push(warning);
    }
    let mut schedules = Vec::new();
    for schedule in state.queue.schedules().await? {
        let last_state = match schedule.last_job_id {
            Some(id) => state.queue.get(id).await.ok().map(|job| job.state),
            None => None,
        };
        if schedule.enabled {
            let filter =
                ListFilter { kind: Some(schedule.kind.clone()), limit: SCHEDULE_FAILURES, ..Default::default() };
            let recent = state.queue.list(&filter).await?.items;
            let finished: Vec<&metarr_queue::Job> =
                recent.iter().filter(|job| matches!(job.state, JobState::Completed | JobState::Failed)).collect();
            if finished.len() == SCHEDULE_FAILURES && finished.iter().all(|job| job.state == JobState::Failed) {
                let error = finished[0].last_error.clone().unwrap_or_default();
                warnings.push(Warning {
                    code: WarningCode::ScheduleFailing,
                    message: format!(
                        "the schedule {:?} failed its last {SCHEDULE_FAILURES} runs; the latest: {error}",
                        schedule.name
                    ),
                });
            }
        }
        schedules.push(ScheduleStatus {
            name: schedule.name,
            kind: schedule.kind,
            enabled: schedule.enabled,
            last_run_at: schedule.last_slot,
            last_state,
        });
    }
    warnings.extend(unreachable_players(state, now).await?);
    Ok(SystemStatus {
        version: env!("CARGO_PKG_VERSION"),
        started_at,
        uptime_seconds: uptime.as_secs(),
        backend: backend.as_str(),
        database: DatabaseStatus { size_bytes: u64::try_from(database_size).unwrap_or(0) },
        data_dir,
        cache: CacheStatus {
            files: u64::try_from(cache_files).unwrap_or(0),
            size_bytes: cache_bytes.and_then(|bytes| u64::try_from(bytes).ok()).unwrap_or(0),
        },
        queue,
        circuit_breakers,
        schedules,
        warnings,
    })
}

/// How long the oldest job due to run has waited past its time (0 when none waits).
pub async fn queue_lag_seconds(state: &AppState) -> Result<u64, StatusError> {
    let now = Utc::now();
    // `run_at` is milliseconds on SQLite and a timestamp on PostgreSQL.
    let lag_sql = match state.queue.backend() {
        metarr_queue::Backend::Sqlite => {
            "SELECT ($1 - min(run_at)) / 1000 FROM jobs WHERE state = 'pending' AND run_at <= $1"
        }
        metarr_queue::Backend::Postgres => {
            "SELECT CAST(extract(epoch FROM (to_timestamp($1 / 1000.0) - min(run_at))) AS BIGINT) FROM jobs \
             WHERE state = 'pending' AND run_at <= to_timestamp($1 / 1000.0)"
        }
    };
    let lag: Option<(Option<i64>,)> = state.db.fetch_optional(lag_sql, &[now.timestamp_millis().into()]).await?;
    Ok(lag.and_then(|(lag,)| lag).and_then(|lag| u64::try_from(lag).ok()).unwrap_or(0))
}

/// The data directory's disk.
fn disk_of(path: &Path) -> DiskStatus {
    let stat = rustix::fs::statvfs(path).ok();
    DiskStatus {
        path: path.display().to_string(),
        free_bytes: stat.as_ref().map(|s| s.f_bavail.saturating_mul(s.f_frsize)),
        total_bytes: stat.as_ref().map(|s| s.f_blocks.saturating_mul(s.f_frsize)),
    }
}

/// `disk_almost_full` when the data directory's disk is.
pub fn disk_warning(disk: &DiskStatus) -> Option<Warning> {
    let (free, total) = (disk.free_bytes?, disk.total_bytes?);
    let threshold = ((total as f64 * DISK_FREE_FRACTION) as u64).min(DISK_FREE_FLOOR);
    (free < threshold).then(|| Warning {
        code: WarningCode::DiskAlmostFull,
        message: format!(
            "the disk holding {} has {} MiB free of {} MiB: the cache and the database need room to grow",
            disk.path,
            free >> 20,
            total >> 20
        ),
    })
}

/// `player_unreachable` for each player group whose refreshes have all failed for a day: its
/// latest refresh failed, none succeeded since, and the first failure since is a day old.
async fn unreachable_players(state: &AppState, now: DateTime<Utc>) -> Result<Vec<Warning>, StatusError> {
    let groups = crate::players::list(&state.db).await?;
    let mut warnings = Vec::new();
    let mut recent: Vec<metarr_queue::Job> = Vec::new();
    for kind in ["notify-kodi", "notify-jellyfin", "notify-plex"] {
        let filter = ListFilter { kind: Some(kind.to_owned()), limit: 500, ..Default::default() };
        recent.extend(state.queue.list(&filter).await?.items);
    }
    // Newest first, whatever the kind.
    recent.sort_by_key(|job| std::cmp::Reverse(job.id));
    for group in groups.iter().filter(|group| group.enabled) {
        let of_group = recent.iter().filter(|job| {
            job.payload["group_id"].as_i64() == Some(group.id)
                && matches!(job.state, JobState::Completed | JobState::Failed)
        });
        let mut first_failure: Option<DateTime<Utc>> = None;
        let mut failures = 0;
        for job in of_group {
            if job.state == JobState::Completed {
                break;
            }
            failures += 1;
            first_failure = job.finished_at.or(first_failure);
        }
        if let Some(since) = first_failure
            && now - since >= ChronoDuration::hours(UNREACHABLE_AFTER_HOURS)
        {
            warnings.push(Warning {
                code: WarningCode::PlayerUnreachable,
                message: format!(
                    "the player group {:?} has failed every refresh ({failures}) since {}",
                    group.name,
                    since.format("%Y-%m-%d %H:%M UTC")
                ),
            });
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_codes_show_as_they_are_sent() {
        for code in [WarningCode::DiskAlmostFull, WarningCode::ScheduleFailing, WarningCode::PlayerUnreachable] {
            assert_eq!(serde_json::to_value(code).expect("serialises"), code.as_str());
        }
    }

    fn disk(free: u64, total: u64) -> DiskStatus {
        DiskStatus { path: "/config".to_owned(), free_bytes: Some(free), total_bytes: Some(total) }
    }

    #[test]
    fn a_disk_is_almost_full_below_five_percent_or_two_gib() {
        const GIB: u64 = 1 << 30;
        assert!(disk_warning(&disk(GIB, 100 * GIB)).is_some(), "1 % free");
        assert!(disk_warning(&disk(10 * GIB, 100 * GIB)).is_none(), "10 % free");
        // A huge volume: 5 % would be 1 TB, but 900 GB free is plenty.
        assert!(disk_warning(&disk(900 * GIB, 20_000 * GIB)).is_none());
        assert!(disk_warning(&disk(GIB, 20_000 * GIB)).is_some(), "under 2 GiB is almost full anywhere");
        let unknown = DiskStatus { path: "/x".to_owned(), free_bytes: None, total_bytes: None };
        assert!(disk_warning(&unknown).is_none());
        let warning = disk_warning(&disk(GIB, 100 * GIB)).expect("a warning");
        assert_eq!(warning.code, WarningCode::DiskAlmostFull);
        assert!(
            warning.message.contains("/config") && warning.message.contains("1024 MiB free"),
            "{}",
            warning.message
        );
    }
}
