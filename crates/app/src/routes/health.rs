//! `GET /api/v1/health`: liveness for load balancers and scripts; needs no key.

use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// Answers `{"status":"ok","version":…,"backend":…}`.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "backend": state.queue.backend().as_str(),
    }))
}
