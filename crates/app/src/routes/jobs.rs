//! The jobs API: list with filters and cursor paging, one job, retry, cancel, clear, statistics.

use crate::error::{ApiPath, ApiQuery, AppError, ErrorBody};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use metarr_queue::{Job, JobId, JobState, ListFilter, Stats};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page size when the client does not ask for one.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: usize = 500;

/// Query parameters of `GET /api/v1/jobs`. Strings, so that bad values get our own messages;
/// the document gives the types they must parse as.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only jobs in this state.
    #[param(value_type = Option<JobState>)]
    state: Option<String>,
    /// Only jobs of this kind, such as `scan-movie`.
    kind: Option<String>,
    /// Only jobs of one request, webhook or scan (`webhook-12`, `scan-3`).
    correlation_id: Option<String>,
    /// Page size, 1 to 500; 50 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The previous page's `next_cursor`, unchanged.
    cursor: Option<String>,
}

/// One page of jobs, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub items: Vec<Job>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor is opaque to clients; today it is the id below which the next page starts.
fn encode_cursor(before_id: JobId) -> String {
    before_id.to_string()
}

fn decode_cursor(cursor: &str) -> Result<JobId, AppError> {
    cursor
        .parse::<JobId>()
        .ok()
        .filter(|id| id.get() > 0)
        .ok_or_else(|| AppError::BadRequest(format!("malformed cursor {cursor:?}; pass next_cursor unchanged")))
}

impl ListParams {
    fn into_filter(self) -> Result<ListFilter, AppError> {
        let state = match self.state.as_deref() {
            None | Some("") => None,
            Some(state) => Some(state.parse::<JobState>().map_err(|err| AppError::BadRequest(err.to_string()))?),
        };
        let limit = match self.limit.as_deref() {
            None | Some("") => DEFAULT_LIMIT,
            Some(limit) => {
                limit.parse::<usize>().ok().filter(|limit| (1..=MAX_LIMIT).contains(limit)).ok_or_else(|| {
                    AppError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}, got {limit:?}"))
                })?
            }
        };
        let before_id = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(cursor) => Some(decode_cursor(cursor)?),
        };
        Ok(ListFilter {
            state,
            kind: self.kind.filter(|kind| !kind.is_empty()),
            correlation_id: self.correlation_id.filter(|id| !id.is_empty()),
            before_id,
            limit,
        })
    }
}

/// Jobs, newest first, a page at a time.
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(ListParams), responses((status = 200, body = JobList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<JobList>, AppError> {
    let filter = params.into_filter()?;
    let page = state.queue.list(&filter).await?;
    Ok(Json(JobList { items: page.items, next_cursor: page.next_before_id.map(encode_cursor) }))
}

/// One job, with its state, progress and last error.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", params(("id" = JobId, Path, description = "The job")), responses((status = 200, body = Job)))]
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>, AppError> {
    Ok(Json(state.queue.get(id).await?))
}

/// Runs a failed or cancelled job again: it becomes pending, with its attempts reset.
#[utoipa::path(
    post,
    path = "/jobs/{id}/retry",
    tag = "jobs",
    params(("id" = JobId, Path, description = "The job")),
    responses(
        (status = 200, description = "The job, pending again", body = Job),
        (status = 409, description = "The job is neither failed nor cancelled", body = ErrorBody),
    )
)]
pub async fn retry(State(state): State<AppState>, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>, AppError> {
    Ok(Json(state.queue.retry(id).await?))
}

/// Cancels a pending job; a running job's handler is told to stop.
#[utoipa::path(
    post,
    path = "/jobs/{id}/cancel",
    tag = "jobs",
    params(("id" = JobId, Path, description = "The job")),
    responses(
        (status = 200, description = "The job, cancelled or asked to stop", body = Job),
        (status = 409, description = "The job has already finished", body = ErrorBody),
    )
)]
pub async fn cancel(State(state): State<AppState>, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>, AppError> {
    Ok(Json(state.queue.cancel(id).await?))
}

/// Counts per state and per kind, and how many jobs finished lately.
#[utoipa::path(get, path = "/jobs/stats", tag = "jobs", responses((status = 200, body = Stats)))]
pub async fn stats(State(state): State<AppState>) -> Result<Json<Stats>, AppError> {
    Ok(Json(state.queue.stats().await?))
}

/// Query parameters of `DELETE /api/v1/jobs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Required: an RFC 3339 instant, or a date meaning its midnight UTC.
    #[param(required = true, value_type = String, example = "2026-01-31")]
    finished_before: Option<String>,
}

/// How many jobs a clear removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// Deletes the jobs that finished (completed, failed or cancelled) before an instant. The
/// parameter is required, so that a bare DELETE never wipes the history.
#[utoipa::path(delete, path = "/jobs", tag = "jobs", params(DeleteParams), responses((status = 200, body = Deleted)))]
pub async fn delete_finished(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> Result<Json<Deleted>, AppError> {
    let raw = params
        .finished_before
        .ok_or_else(|| AppError::BadRequest("finished_before is required (RFC 3339 or YYYY-MM-DD)".into()))?;
    let before = parse_instant(&raw)?;
    let deleted = state.queue.delete_finished_before(before).await?;
    Ok(Json(Deleted { deleted }))
}

/// RFC 3339, or a date meaning its midnight UTC.
fn parse_instant(raw: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        return Ok(instant.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight exists on every date").and_utc());
    }
    Err(AppError::BadRequest(format!(
        "finished_before {raw:?} is neither an RFC 3339 instant (2026-01-31T12:00:00Z) nor a date (2026-01-31)"
    )))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, delete_finished))
        .routes(routes!(stats))
        .routes(routes!(get_one))
        .routes(routes!(retry))
        .routes(routes!(cancel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_before_accepts_rfc3339_and_dates_only() {
        let date = parse_instant("2026-01-31").expect("a date");
        assert_eq!(date.to_rfc3339(), "2026-01-31T00:00:00+00:00");
        let instant = parse_instant("2026-01-31T12:30:00+02:00").expect("an instant");
        assert_eq!(instant.to_rfc3339(), "2026-01-31T10:30:00+00:00");
        assert!(parse_instant("31/01/2026").is_err());
        assert!(parse_instant("2026-02-30").is_err());
    }

    #[test]
    fn list_params_are_validated() {
        let params = ListParams { state: Some("bogus".into()), ..ListParams::default() };
        assert!(matches!(params.into_filter(), Err(AppError::BadRequest(_))));
        let params = ListParams { limit: Some("501".into()), ..ListParams::default() };
        assert!(matches!(params.into_filter(), Err(AppError::BadRequest(_))));
        let params = ListParams { cursor: Some("x1".into()), ..ListParams::default() };
        assert!(matches!(params.into_filter(), Err(AppError::BadRequest(_))));
        let params = ListParams {
            state: Some("failed".into()),
            cursor: Some(encode_cursor(JobId(42))),
            ..ListParams::default()
        };
        let filter = params.into_filter().expect("valid");
        assert_eq!(filter.state, Some(JobState::Failed));
        assert_eq!(filter.before_id, Some(JobId(42)));
        assert_eq!(filter.limit, DEFAULT_LIMIT);
    }
}
