//! The scans API: list scan records newest first, read one, cancel a running one.
//!
//! Scans are started through `POST /api/v1/libraries/{id}/scan` (see `routes::libraries`); the
//! phase and counters move by themselves as the scan's jobs report (`catalogue::scans`).

use crate::catalogue::scans::{self, Scan};
use crate::error::{ApiPath, ApiQuery, AppError};
use crate::ids::{LibraryId, ScanId};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

/// Page size when the client does not ask for one.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 500;

/// Query parameters of `GET /api/v1/scans`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    library_id: Option<LibraryId>,
    limit: Option<i64>,
}

/// `{ "items": [...], "total": N }`: `total` counts every matching scan, not only this page.
#[derive(Debug, Serialize)]
pub struct ScanList {
    pub items: Vec<Scan>,
    pub total: i64,
}

/// `GET /api/v1/scans?library_id=&limit=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ScanList>, AppError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}, got {limit}")));
    }
    let items = scans::list(&state.db, params.library_id, limit).await?;
    let total = scans::count(&state.db, params.library_id).await?;
    Ok(Json(ScanList { items, total }))
}

/// `GET /api/v1/scans/{id}`: the phase and counters of one scan.
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<ScanId>) -> Result<Json<Scan>, AppError> {
    Ok(Json(scans::get(&state.db, id).await?))
}

/// `POST /api/v1/scans/{id}/cancel`: 200 with the cancelled scan; 409 once it has finished.
pub async fn cancel(State(state): State<AppState>, ApiPath(id): ApiPath<ScanId>) -> Result<Json<Scan>, AppError> {
    // `cancel_scan` answers `Conflict` for a finished scan, checked in the same place that cancels.
    Ok(Json(crate::jobs::scan::cancel_scan(&state.db, id).await?))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/scans", routing::get(list))
        .route("/scans/{id}", routing::get(get_one))
        .route("/scans/{id}/cancel", routing::post(cancel))
}
