//! `/`: the dashboard: libraries with their movie counts and last scan, the queue's counts per
//! state, the running jobs (refreshed live), and the latest failures.

use super::{Ui, UiError, render, render_html, when};
use crate::catalogue::libraries::{self, Library, MovieCounts};
use crate::catalogue::scans::{self, Scan};
use crate::routes::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use metarr_queue::{Job, JobState, ListFilter};

/// One library's line on the dashboard.
pub struct LibraryLine {
    pub library: Library,
    pub counts: MovieCounts,
    pub last_scan: Option<Scan>,
    /// When the last scan started, formatted.
    pub last_scan_at: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ui: Ui,
    libraries: Vec<LibraryLine>,
    states: Vec<(&'static str, i64)>,
    completed_last_hour: i64,
    /// The rendered running-jobs block.
    running: String,
    failures: Vec<JobLine>,
    enrichment: crate::catalogue::movies::EnrichmentCounts,
    system: SystemLines,
}

/// The System panel: the status as people read it.
pub struct SystemLines {
    pub version: &'static str,
    pub backend: &'static str,
    pub uptime: String,
    pub database: String,
    pub cache: String,
    pub disk: String,
    pub lag: String,
    pub circuits: Vec<String>,
    pub warnings: Vec<crate::status::Warning>,
}

/// Bytes as people read them.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Seconds as people read them: `3 d 4 h`, `5 h 2 min`, `12 min`, `40 s`.
fn span(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

impl SystemLines {
    fn of(status: crate::status::SystemStatus) -> SystemLines {
        SystemLines {
            version: status.version,
            backend: status.backend,
            uptime: span(status.uptime_seconds),
            database: size(status.database.size_bytes),
            cache: format!("{} in {} files", size(status.cache.size_bytes), status.cache.files),
            disk: match (status.data_dir.free_bytes, status.data_dir.total_bytes) {
                (Some(free), Some(total)) => {
                    format!("{} free of {} ({})", size(free), size(total), status.data_dir.path)
                }
                _ => status.data_dir.path.clone(),
            },
            lag: span(status.queue.lag_seconds),
            circuits: status
                .circuit_breakers
                .iter()
                .map(|open| format!("{} (tried again in {})", open.service, span(open.retry_in_seconds)))
                .collect(),
            warnings: status.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{size, span};

    #[test]
    fn sizes_and_spans_read_as_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(3 << 30), "3.0 GiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(span(40), "40 s");
        assert_eq!(span(12 * 60), "12 min");
        assert_eq!(span(5 * 3600 + 120), "5 h 2 min");
        assert_eq!(span(3 * 86_400 + 4 * 3600 + 59), "3 d 4 h");
    }
}

/// A job as the dashboard lists it.
pub struct JobLine {
    pub id: metarr_queue::JobId,
    pub kind: String,
    pub percent: u32,
    pub message: String,
    pub when: String,
    pub error: String,
}

impl JobLine {
    /// The line of a job: its progress, its latest message, and when it started or finished.
    pub fn of(job: &Job) -> JobLine {
        let percent = super::jobs::percent(job);
        let message = job.progress.as_ref().and_then(|progress| progress.message.clone()).unwrap_or_default();
        let time = job.finished_at.or(job.started_at).unwrap_or(job.created_at);
        JobLine {
            id: job.id,
            kind: job.kind.clone(),
            percent,
            message,
            when: when(&time),
            error: job.last_error.clone().unwrap_or_default(),
        }
    }
}

/// The live "running now" block, also served alone for htmx refreshes.
#[derive(Template)]
#[template(path = "dashboard_running.html")]
pub struct RunningJobs {
    jobs: Vec<JobLine>,
}

/// `GET /`
pub async fn page(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    let counts = libraries::movie_counts(&state.db).await?;
    let mut latest = scans::latest_per_library(&state.db).await?;
    let mut lines = Vec::new();
    for library in libraries::list(&state.db).await? {
        let last_scan = latest.remove(&library.id);
        let counts = counts.get(&library.id).copied().unwrap_or_default();
        let last_scan_at = last_scan.as_ref().map(|scan| when(&scan.started_at)).unwrap_or_default();
        lines.push(LibraryLine { library, counts, last_scan, last_scan_at });
    }
    let stats = state.queue.stats().await?;
    let states = JobState::ALL
        .into_iter()
        .map(|job_state| (job_state.as_str(), stats.states.get(job_state.as_str()).copied().unwrap_or(0)))
        .collect();
    let failures = jobs_in(&state, JobState::Failed, 10).await?;
    Ok(render(&DashboardPage {
        ui: ui.at("dashboard"),
        libraries: lines,
        states,
        completed_last_hour: stats.completed_last_hour,
        running: render_html(&running_jobs(&state).await?)?,
        failures,
        enrichment: crate::catalogue::movies::enrichment_counts(&state.db).await?,
        system: SystemLines::of(crate::status::collect(&state).await.map_err(|err| match err {
            crate::status::StatusError::Catalogue(err) => UiError::from(err),
            crate::status::StatusError::Queue(err) => UiError::from(err),
        })?),
    }))
}

/// `GET /dashboard/running`: the running-jobs block alone.
pub async fn running(State(state): State<AppState>) -> Result<Response, UiError> {
    Ok(render(&running_jobs(&state).await?))
}

async fn running_jobs(state: &AppState) -> Result<RunningJobs, UiError> {
    Ok(RunningJobs { jobs: jobs_in(state, JobState::Running, 20).await? })
}

async fn jobs_in(state: &AppState, job_state: JobState, limit: usize) -> Result<Vec<JobLine>, UiError> {
    let filter = ListFilter { state: Some(job_state), limit, ..ListFilter::default() };
    Ok(state.queue.list(&filter).await?.items.iter().map(JobLine::of).collect())
}
