//! The schedules API: list with next run times, change cron and switch, run now.

use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::jobs::file_scan::FileScanSchedule;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use metarr_queue::{Job, Schedule};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A schedule as the API shows it: the stored schedule's fields, then the two below.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleList {
    pub items: Vec<ScheduleView>,
    pub total: usize,
}

/// Every schedule, with when it runs next.
#[utoipa::path(get, path = "/schedules", tag = "schedules", responses((status = 200, body = ScheduleList), (status = 400, description = "An unknown query parameter", body = ErrorBody)))]
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleUpdate {
    /// A 5-field crontab expression, in the server's time zone.
    #[schema(example = "30 2 * * *")]
    pub cron: String,
    pub enabled: bool,
}

/// Changes a schedule's cron expression and switches it on or off.
///
/// A cron expression that does not parse is a 400 saying why.
#[utoipa::path(
    put,
    path = "/schedules/{name}",
    tag = "schedules",
    params(("name" = String, Path, description = "The schedule's name", example = "cleanup")),
    request_body = ScheduleUpdate,
    responses((status = 200, body = ScheduleView))
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(update): ApiJson<ScheduleUpdate>,
) -> Result<Json<ScheduleView>, AppError> {
    let schedule = state.queue.update_schedule(&name, update.cron.trim(), update.enabled).await?;
    Ok(Json(ScheduleView::of(schedule, Utc::now())))
}

/// Queues the schedule's job now, without waiting for its time.
#[utoipa::path(
    post,
    path = "/schedules/{name}/run",
    tag = "schedules",
    params(("name" = String, Path, description = "The schedule's name", example = "cleanup")),
    responses(
        (status = 202, description = "The job queued (or the one already waiting)", body = Job),
        (status = 409, description = "The schedule's job is already queued or running", body = ErrorBody),
    )
)]
pub async fn run_now(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<(StatusCode, Json<Job>), AppError> {
    let enqueued = state.queue.run_schedule_now(&name).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(update)).routes(routes!(run_now))
}
