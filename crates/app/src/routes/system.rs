//! `GET /api/v1/system/status`: what a user watching Metarr from Uptime Kuma, Grafana or a
//! script needs to know (crate::status).

use crate::error::{ApiQuery, AppError, ErrorBody, NoQuery};
use crate::routes::AppState;
use crate::status::{StatusError, SystemStatus};
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Version, uptime, database, disk, cache, queue, circuit breakers, schedules and warnings.
///
/// For uptime monitors and dashboards: `warnings` lists what needs the user (a disk almost
/// full, a schedule that keeps failing, a player group unreachable for a day).
#[utoipa::path(
    get,
    path = "/system/status",
    tag = "system",
    responses((status = 200, body = SystemStatus), (status = 400, description = "An unknown query parameter", body = ErrorBody))
)]
pub async fn status(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<SystemStatus>, AppError> {
    match crate::status::collect(&state).await {
        Ok(status) => Ok(Json(status)),
        Err(StatusError::Catalogue(err)) => Err(err.into()),
        Err(StatusError::Queue(err)) => Err(err.into()),
    }
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}
