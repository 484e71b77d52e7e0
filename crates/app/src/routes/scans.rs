//! The scans API: list scan records newest first, read one, cancel a running one.
//!
//! Scans are started through `POST /api/v1/libraries/{id}/scan` (see `routes::libraries`); the
//! phase and counters move by themselves as the scan's jobs report (`catalogue::scans`).

use crate::catalogue::scans::{self, Scan};
use crate::error::{ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ids::{LibraryId, ScanId};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Page size when the client does not ask for one.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 500;

/// Query parameters of `GET /api/v1/scans`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this library's scans.
    library_id: Option<LibraryId>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `{ "items": [...], "total": N }`: `total` counts every matching scan, not only this page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScanList {
    pub items: Vec<Scan>,
    pub total: i64,
}

/// Scans, newest first.
#[utoipa::path(get, path = "/scans", tag = "scans", params(ListParams), responses((status = 200, body = ScanList)))]
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

/// The phase and counters of one scan.
#[utoipa::path(get, path = "/scans/{id}", tag = "scans", params(("id" = ScanId, Path, description = "The scan")), responses((status = 200, body = Scan)))]
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<ScanId>) -> Result<Json<Scan>, AppError> {
    Ok(Json(scans::get(&state.db, id).await?))
}

/// Cancels a running scan: its jobs not yet started are cancelled.
#[utoipa::path(
    post,
    path = "/scans/{id}/cancel",
    tag = "scans",
    params(("id" = ScanId, Path, description = "The scan")),
    responses(
        (status = 200, description = "The scan, cancelled", body = Scan),
        (status = 409, description = "The scan has already finished", body = ErrorBody),
    )
)]
pub async fn cancel(State(state): State<AppState>, ApiPath(id): ApiPath<ScanId>) -> Result<Json<Scan>, AppError> {
    // `cancel_scan` answers `Conflict` for a finished scan, checked in the same place that cancels.
    Ok(Json(crate::jobs::scan::cancel_scan(&state.db, id).await?))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get_one)).routes(routes!(cancel))
}
