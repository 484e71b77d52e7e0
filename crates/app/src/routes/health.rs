//! `GET /api/v1/health`: liveness for load balancers and scripts; needs no key.

use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The health answer: the process serves requests and reaches its queue's backend.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`: a Metarr that cannot answer gives no answer at all.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Metarr's version.
    pub version: &'static str,
    /// The database backend: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub backend: &'static str,
}

/// Liveness, for Docker's `HEALTHCHECK`, load balancers and uptime monitors. Needs no key.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), backend: state.queue.backend().as_str() })
}

/// This module's route.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}
