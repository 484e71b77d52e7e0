//! The schedules API: list with next run times, change cron and switch, run now.

use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::jobs::file_scan::FileScanSchedule;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use chrono::{DateTime, Utc};
use metarr_queue::{Job, Schedule};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

/// A schedule as the API shows it: the stored schedule's fields, then the two below.
#[derive(Debug, Serialize)]
pub struct ScheduleView {
    #[serde(flatten)]
    pub schedule: Schedule,
    /// When it fires next; `null` when disabled.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The library a `file-scan:<id>` schedule scans; `null` for the other schedules.
    pub library_id: Option<crate::ids::LibraryId>,
}

impl ScheduleView {
    fn of(schedule: Schedule, now: DateTime<Utc>) -> ScheduleView {
        let next_run_at = if schedule.enabled {
            metarr_queue::schedule::parse(&schedule.cron)
                .ok()
                .and_then(|cron| metarr_queue::schedule::next_after(&cron, now))
        } else {
            None
        };
        let library_id = FileScanSchedule::parse(&schedule.name).map(|of| of.library_id);
        ScheduleView { schedule, next_run_at, library_id }
    }
}

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize)]
pub struct ScheduleList {
    pub items: Vec<ScheduleView>,
    pub total: usize,
}

/// `GET /api/v1/schedules`
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<ScheduleList>, AppError> {
    let now = Utc::now();
    let items: Vec<ScheduleView> =
        state.queue.schedules().await?.into_iter().map(|schedule| ScheduleView::of(schedule, now)).collect();
    Ok(Json(ScheduleList { total: items.len(), items }))
}

/// Body of `PUT /api/v1/schedules/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleUpdate {
    pub cron: String,
    pub enabled: bool,
}

/// `PUT /api/v1/schedules/{name}`: a cron expression that does not parse is a 400 saying why.
pub async fn update(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(update): ApiJson<ScheduleUpdate>,
) -> Result<Json<ScheduleView>, AppError> {
    let schedule = state.queue.update_schedule(&name, update.cron.trim(), update.enabled).await?;
    Ok(Json(ScheduleView::of(schedule, Utc::now())))
}

/// `POST /api/v1/schedules/{name}/run`: enqueues the schedule's job now; 202 with the job.
pub async fn run_now(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<(StatusCode, Json<Job>), AppError> {
    let enqueued = state.queue.run_schedule_now(&name).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/schedules", routing::get(list))
        .route("/schedules/{name}", routing::put(update))
        .route("/schedules/{name}/run", routing::post(run_now))
}
