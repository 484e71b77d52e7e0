//! The jobs API: list with filters and cursor paging, one job, retry, cancel, clear, statistics.

use crate::error::{ApiPath, ApiQuery, AppError};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use metarr_queue::{Job, JobId, JobState, ListFilter, Stats};
use serde::{Deserialize, Serialize};

/// Page size when the client does not ask for one.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: usize = 500;

/// Query parameters of `GET /api/v1/jobs`. Strings, so that bad values get our own messages.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    state: Option<String>,
    kind: Option<String>,
    correlation_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// One page of jobs, newest first.
#[derive(Debug, Serialize)]
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

/// `GET /api/v1/jobs?state=&kind=&correlation_id=&limit=&cursor=`
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<JobList>, AppError> {
    let filter = params.into_filter()?;
    let page = state.queue.list(&filter).await?;
    Ok(Json(JobList { items: page.items, next_cursor: page.next_before_id.map(encode_cursor) }))
}

/// `GET /api/v1/jobs/{id}`
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>, AppError> {
    Ok(Json(state.queue.get(id).await?))
}

/// `POST /api/v1/jobs/{id}/retry`: failed or cancelled → pending.
pub async fn retry(State(state): State<AppState>, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>, AppError> {
    Ok(Json(state.queue.retry(id).await?))
}

/// `POST /api/v1/jobs/{id}/cancel`: pending → cancelled; a running job's handler is told to stop.
pub async fn cancel(State(state): State<AppState>, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>, AppError> {
    Ok(Json(state.queue.cancel(id).await?))
}

/// `GET /api/v1/jobs/stats`: counts per state and kind, and recent throughput.
pub async fn stats(State(state): State<AppState>) -> Result<Json<Stats>, AppError> {
    Ok(Json(state.queue.stats().await?))
}

/// Query parameters of `DELETE /api/v1/jobs`.
#[derive(Debug, Deserialize)]
pub struct DeleteParams {
    finished_before: Option<String>,
}

/// How many jobs a clear removed.
#[derive(Debug, Serialize)]
pub struct Deleted {
    pub deleted: u64,
}

/// `DELETE /api/v1/jobs?finished_before=2026-01-31` (or an RFC 3339 instant): deletes finished
/// jobs. The parameter is required so that a bare DELETE never wipes the history.
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
