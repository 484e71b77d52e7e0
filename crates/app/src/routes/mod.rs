//! The HTTP API: `app(state)` builds the router; `startup` serves it.
//!
//! Every `/api/v1` route except `GET /api/v1/health` and the two *arr webhook receivers (which
//! also accept HTTP Basic credentials, checking them themselves) sits behind the API key middleware.

pub mod assets;
pub mod auth;
pub mod events;
pub mod health;
pub mod jobs;
pub mod libraries;
pub mod movies;
pub mod notifications;
pub mod path_mappings;
pub mod players;
pub mod scans;
pub mod schedules;
pub mod webhooks;

use crate::error::AppError;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, OriginalUri, Request};
use axum::routing::{get, post, put};
use metarr_queue::Queue;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Largest request body accepted; larger bodies answer 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub queue: Queue,
    /// The catalogue.
    pub db: crate::db::Db,
    /// Scan and movie events for WebSocket clients.
    pub events: crate::events::AppEvents,
    /// The configuration in force.
    pub settings: Arc<crate::config::Settings>,
    /// The API key in force (the web UI can regenerate it).
    pub api_key: crate::api_key::SharedKey,
    /// Fires on shutdown; long-lived connections (WebSocket) close when it does.
    pub shutdown: CancellationToken,
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let protected = Router::new()
        .route("/jobs", get(jobs::list).delete(jobs::delete_finished))
        .route("/jobs/stats", get(jobs::stats))
        .route("/jobs/{id}", get(jobs::get_one))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/schedules", get(schedules::list))
        .route("/schedules/{name}", put(schedules::update))
        .route("/schedules/{name}/run", post(schedules::run_now))
        .route("/events", get(events::subscribe))
        .route("/libraries", get(libraries::list).post(libraries::create))
        .route("/libraries/{id}", get(libraries::get_one).put(libraries::update).delete(libraries::delete))
        .route("/libraries/{id}/scan", post(libraries::scan))
        .route("/scans", get(scans::list))
        .route("/scans/{id}", get(scans::get_one))
        .route("/scans/{id}/cancel", post(scans::cancel))
        .route("/movies", get(movies::list))
        .route("/movies/{id}", get(movies::get_one).patch(movies::edit))
        .route("/movies/{id}/locks/{field}", put(movies::lock).delete(movies::unlock))
        .route("/movies/{id}/scan", post(movies::rescan))
        .route("/assets/{sha256}", get(assets::get_one))
        .route("/webhooks/events", get(webhooks::list))
        .route("/webhooks/events/{id}", get(webhooks::get_one))
        .route("/path-mappings", get(path_mappings::list).post(path_mappings::create))
        .route("/path-mappings/test", post(path_mappings::test))
        .route(
            "/path-mappings/{id}",
            get(path_mappings::get_one).put(path_mappings::update).delete(path_mappings::delete),
        )
        .route("/notifications", get(notifications::list))
        .route("/notifications/{service}", get(notifications::get_one).put(notifications::update))
        .route("/notifications/{service}/test", post(notifications::test))
        .route("/player-groups", get(players::list).post(players::create))
        .route("/player-groups/{id}", get(players::get_one).put(players::update).delete(players::delete))
        .route("/player-groups/{id}/players", post(players::add_player))
        .route("/players/{id}", put(players::update_player).delete(players::delete_player))
        .route("/players/{id}/test", post(players::test))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_api_key));
    // The trace layer sits on the API router, after routing, so that spans carry `matched_path`.
    let api = Router::new()
        .route("/health", get(health::health))
        // The *arr receivers check the API key or Basic credentials themselves (see webhooks.rs).
        .route("/webhooks/radarr", post(webhooks::radarr))
        .route("/webhooks/sonarr", post(webhooks::sonarr))
        .merge(protected)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            TraceLayer::new_for_http()
                // The span names the path without its query: `?apikey=` must never reach the log.
                .make_span_with(|request: &Request| {
                    let matched_path = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
                    let request_id =
                        request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or("");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = original_path(request),
                        matched_path,
                        request_id,
                    )
                })
                // 5xx are logged once with their cause by `AppError`; do not log them twice.
                .on_failure(()),
        );

    Router::new()
        .nest("/api/v1", api)
        .merge(crate::ui::router(state.clone()))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Unknown paths: JSON for API clients, a page for browsers.
async fn not_found(OriginalUri(uri): OriginalUri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        AppError::NotFound("no such API route".into()).into_response()
    } else {
        crate::ui::UiError::NotFound(format!("there is no page at {}", uri.path())).into_response()
    }
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// The path as the client sent it; nesting strips `/api/v1` from the request's own URI.
fn original_path(request: &Request) -> &str {
    request.extensions().get::<OriginalUri>().map_or_else(|| request.uri().path(), |uri| uri.path())
}
