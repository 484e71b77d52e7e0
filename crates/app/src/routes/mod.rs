//! The HTTP API: `app(state)` builds the router; `startup` serves it.
//!
//! Every `/api/v1` route except `GET /api/v1/health` and the two *arr webhook receivers (which
//! also accept HTTP Basic credentials, checking them themselves) sits behind the API key middleware.

pub mod artwork;
pub mod assets;
pub mod auth;
pub mod backups;
pub mod events;
pub mod health;
pub mod jobs;
pub mod libraries;
pub mod logs;
pub mod movies;
pub mod notifications;
pub mod path_mappings;
pub mod players;
pub mod providers;
pub mod publish;
pub mod scans;
pub mod schedules;
pub mod series;
pub mod system;
pub mod webhooks;

use crate::error::AppError;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, OriginalUri, Request};
use axum::handler::Handler;
use axum::routing::{get, post, put};
use metarr_queue::Queue;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnRequest, DefaultOnResponse, TraceLayer};

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
    /// Failed web UI sign-ins per client address and account.
    pub sign_in_limits: Arc<crate::ui::sign_in_limit::SignInLimits>,
    /// Enrichment: provider settings and clients, identification.
    pub enrich: Arc<crate::enrich::EnrichServices>,
    /// Artwork candidates, selection, uploads and previews.
    pub artwork: Arc<crate::artwork::ArtworkServices>,
    /// Publishing, the recycle bin and verification.
    pub publish: Arc<crate::publish::PublishServices>,
    /// When this process started (the status' uptime).
    pub started_at: std::time::Instant,
    /// This process' worker's circuit breakers (the status' open circuits).
    pub breakers: Arc<metarr_queue::Breakers>,
    /// This process's log filter and its recent lines.
    pub logs: crate::telemetry::LogControl,
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let protected = Router::new()
        .route("/jobs", get(jobs::list).delete(jobs::delete_finished))
        .route("/jobs/stats", get(jobs::stats))
        .route("/jobs/{id}", get(jobs::get_one))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/system/status", get(system::status))
        .route("/backups", get(backups::list).post(backups::create))
        .route("/backups/{name}", get(backups::download))
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
        .route("/series", get(series::list))
        .route("/series/{id}", get(series::get_one).patch(series::edit))
        .route("/series/{id}/locks/{field}", put(series::lock).delete(series::unlock))
        .route("/series/{id}/seasons", get(series::seasons))
        .route("/series/{id}/scan", post(series::rescan))
        .route("/series/{id}/enrich", post(series::enrich))
        .route("/series/{id}/matches", get(series::matches))
        .route("/series/{id}/identify", post(series::identify))
        .route("/series/{id}/publish/plan", get(publish::plan_series))
        .route("/series/{id}/publish", post(publish::publish_series))
        .route("/series/{id}/verify", post(publish::verify_series))
        .route("/episodes/{id}", get(series::episode).patch(series::edit_episode))
        .route("/episodes/{id}/locks/{field}", put(series::lock_episode).delete(series::unlock_episode))
        .route("/series/{id}/artwork", get(artwork::get_series_artwork))
        .route("/series/{id}/artwork/refresh", post(artwork::refresh_series))
        .route("/series/{id}/artwork/{slot}", put(artwork::choose_series))
        .route(
            "/series/{id}/artwork/{slot}/upload",
            post(artwork::upload_series).layer(DefaultBodyLimit::max(artwork::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/series/{id}/seasons/{number}/artwork/{slot}", put(artwork::choose_season))
        .route(
            "/series/{id}/seasons/{number}/artwork/{slot}/upload",
            post(artwork::upload_season).layer(DefaultBodyLimit::max(artwork::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/series/{id}/seasons/{number}/locks/{field}", put(artwork::lock_season).delete(artwork::unlock_season))
        .route("/episodes/{id}/artwork", get(artwork::get_episode_artwork))
        .route("/episodes/{id}/artwork/{slot}", put(artwork::choose_episode))
        .route(
            "/episodes/{id}/artwork/{slot}/upload",
            post(artwork::upload_episode).layer(DefaultBodyLimit::max(artwork::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/movies", get(movies::list))
        .route("/movies/{id}", get(movies::get_one).patch(movies::edit))
        .route("/movies/{id}/locks/{field}", put(movies::lock).delete(movies::unlock))
        .route("/movies/{id}/scan", post(movies::rescan))
        .route("/movies/{id}/enrich", post(movies::enrich))
        .route("/movies/{id}/matches", get(movies::matches))
        .route("/movies/{id}/identify", post(movies::identify))
        .route("/enrich", post(movies::enrich_bulk))
        .route("/movies/{id}/artwork", get(artwork::get_movie_artwork))
        .route("/movies/{id}/artwork/refresh", post(artwork::refresh))
        .route("/movies/{id}/artwork/{slot}", put(artwork::choose))
        .route(
            "/movies/{id}/artwork/{slot}/upload",
            post(artwork::upload).layer(DefaultBodyLimit::max(artwork::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/artwork-candidates/{id}/block", post(artwork::block))
        .route("/artwork-candidates/{id}/unblock", post(artwork::unblock))
        .route("/artwork-candidates/{id}/preview", get(artwork::preview))
        .route("/people/{id}/image", get(artwork::headshot))
        .route("/movies/{id}/publish/plan", get(publish::plan))
        .route("/movies/{id}/publish", post(publish::publish))
        .route("/movies/{id}/published", get(publish::published))
        .route("/movies/{id}/verify", post(publish::verify_movie))
        .route("/publish", post(publish::bulk))
        .route("/recycle-bin", get(publish::recycle_list).delete(publish::purge))
        .route("/recycle-bin/{id}", get(publish::recycle_one).delete(publish::purge_one))
        .route("/recycle-bin/{id}/restore", post(publish::restore))
        .route("/verify", post(publish::verify))
        .route("/verifications", get(publish::runs))
        .route("/verifications/{id}", get(publish::run))
        .route("/providers", get(providers::list).put(providers::update_all))
        .route("/providers/{name}", get(providers::get_one).put(providers::update))
        .route("/providers/{name}/test", post(providers::test))
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
        // Logging (issue 18): the filter in force and the recent lines of this process.
        .route("/system/logging", get(logs::get_logging).put(logs::put_logging))
        .route("/system/logs", get(logs::recent))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_api_key));
    // The trace layer sits on the API and UI routers, after routing, so that spans carry `matched_path`.
    let api = Router::new()
        .route("/health", get(health::health))
        // The *arr receivers check the API key or Basic credentials themselves (see webhooks.rs).
        .route("/webhooks/radarr", post(webhooks::radarr))
        .route("/webhooks/sonarr", post(webhooks::sonarr))
        .merge(protected)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        .layer(request_trace());

    Router::new()
        .nest("/api/v1", api)
        // Prometheus' page, where scrapers expect it; it checks the key itself (loopback may go without).
        .route("/metrics", get(crate::metrics::page))
        // The web UI's requests get the same span as the API's: a page's log lines carry its request id.
        .merge(
            crate::ui::router(state.clone())
                .layer(axum::middleware::from_fn(crate::metrics::track_http))
                .layer(request_trace()),
        )
        // Unknown pages too: the API's unknown paths meet the API router's own fallback.
        .fallback(not_found.layer(request_trace()))
        .with_state(state)
        .layer(axum::middleware::from_fn(refuse_nul_in_uri))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The request trace of the API and the web UI, as a type so both routers can share it.
type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
    DefaultOnRequest,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    (),
>;

/// One span per request, around everything its handler does and logs.
fn request_trace() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> tracing::Span)
        // 5xx are logged once with their cause by `AppError`; do not log them twice.
        .on_failure(())
}

/// The span names the path without its query: `?apikey=` must never reach the log.
fn request_span(request: &Request) -> tracing::Span {
    let matched_path = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let request_id = request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or("");
    tracing::info_span!("request", method = %request.method(), path = original_path(request), matched_path, request_id)
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

/// Refuses a request whose path or query decodes to a NUL character (`%00`), for every route
/// at once: a NUL reaching a query parameter or path segment would otherwise reach the
/// database, which cannot store or compare it. The two webhook receivers are let through: they
/// log every authenticated request themselves, and their query holds only the API key.
async fn refuse_nul_in_uri(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    let is_receiver = matches!(uri.path(), "/api/v1/webhooks/radarr" | "/api/v1/webhooks/sonarr");
    // Percent-decoding yields U+0000 exactly where `%00` is written: the URI itself cannot hold a raw NUL.
    let encodes_nul = |text: &str| text.as_bytes().windows(3).any(|window| window.eq_ignore_ascii_case(b"%00"));
    if !is_receiver {
        let problem = if let Some(query) = uri.query().filter(|query| encodes_nul(query)) {
            let field = form_urlencoded::parse(query.as_bytes())
                .find(|(name, value)| name.contains('\0') || value.contains('\0'))
                .map(|(name, _)| name.replace('\0', "\u{fffd}"))
                .unwrap_or_default();
            Some(format!("query parameter {field:?} holds a NUL character (%00), which cannot be stored"))
        } else if encodes_nul(uri.path()) {
            Some("the path holds a NUL character (%00)".to_owned())
        } else {
            None
        };
        if let Some(message) = problem {
            return if uri.path().starts_with("/api/") {
                AppError::BadRequest(message).into_response()
            } else {
                crate::ui::UiError::BadRequest(message).into_response()
            };
        }
    }
    next.run(request).await
}

/// The path as the client sent it; nesting strips `/api/v1` from the request's own URI.
fn original_path(request: &Request) -> &str {
    request.extensions().get::<OriginalUri>().map_or_else(|| request.uri().path(), |uri| uri.path())
}
