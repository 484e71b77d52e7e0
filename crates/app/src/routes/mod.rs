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
pub mod openapi;
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
use metarr_queue::Queue;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use utoipa_axum::router::OpenApiRouter;

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

/// The API's routes behind the key middleware, each registered with its description.
fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(jobs::routes())
        .merge(system::routes())
        .merge(backups::routes())
        .merge(schedules::routes())
        .merge(events::routes())
        .merge(libraries::routes())
        .merge(scans::routes())
        .merge(series::routes())
        .merge(publish::routes())
        .merge(artwork::routes())
        .merge(movies::routes())
        .merge(providers::routes())
        .merge(assets::routes())
        .merge(webhooks::routes())
        .merge(path_mappings::routes())
        .merge(notifications::routes())
        .merge(players::routes())
        .merge(logs::routes())
}

/// The API's routes that need no key, or check it themselves: health, this API's OpenAPI
/// document, and the *arr receivers (which also accept HTTP Basic credentials; see webhooks.rs).
fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(health::routes()).merge(webhooks::receivers()).merge(openapi::routes())
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    // The descriptions are dropped here; `openapi::document` builds them from the same routers.
    let (protected, _) = protected_routes().split_for_parts();
    let protected = protected
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_api_key));
    // The trace layer sits on the API and UI routers, after routing, so that spans carry `matched_path`.
    let (public, _) = public_routes().split_for_parts();
    let api = public
        .merge(protected)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        .layer(request_trace());

    Router::new()
        .nest("/api/v1", api)
        // Prometheus' page, where scrapers expect it; it checks the key itself (loopback may go without).
        .merge(crate::metrics::routes().split_for_parts().0)
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
