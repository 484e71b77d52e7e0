//! `GET /api/v1/system/status`: what a user watching Metarr from Uptime Kuma, Grafana or a
//! script needs to know (crate::status).

use crate::error::{ApiQuery, AppError, NoQuery};
use crate::routes::AppState;
use crate::status::{StatusError, SystemStatus};
use axum::Json;
use axum::extract::State;
use axum::routing;
use utoipa_axum::router::OpenApiRouter;

/// `GET /api/v1/system/status`
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
    OpenApiRouter::new().route("/system/status", routing::get(status))
}
