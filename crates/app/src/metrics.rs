//! Prometheus metrics (`GET /metrics`, docs/metrics.md): the code records through the `metrics`
//! facade where things happen (jobs in the queue's worker, HTTP requests in a middleware,
//! webhooks, player refreshes, provider requests, scans), and what is a state rather than an
//! event (jobs by kind and state, queue lag, quota left, database pools) is read from the
//! database when the page is scraped. One recorder per process, installed once.

use crate::config::MetricsAccess;
use crate::routes::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

/// Histogram buckets in seconds: an HTTP answer in milliseconds to a library scan in an hour.
const BUCKETS: [f64; 16] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

/// The job states the page always lists for a kind it shows, so that a state emptied since the
/// last scrape reads 0 rather than its last value.
const JOB_STATES: [&str; 5] = ["pending", "running", "completed", "failed", "cancelled"];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process' recorder, installed the first time: call it at start-up, before anything
/// records. When another recorder was installed first (a test harness'), this one still renders
/// the scrape-time gauges.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder =
            PrometheusBuilder::new().set_buckets(&BUCKETS).expect("the bucket list is not empty").build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::debug!("a metrics recorder was installed before Metarr's");
        }
        handle
    })
}

/// Times every HTTP request by its route pattern (never its raw path: ids and hostile paths
/// would grow the page without bound).
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(
        "metarr_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => status
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// Prometheus' page, outside `/api/v1` where scrapers look for it.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(page))
}

/// Metrics in Prometheus' text format (docs/metrics.md lists the families). Needs the key,
/// unless `metrics.access` is `loopback` and the scraper is on this machine.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    security((), ("api_key" = []), ("apikey_query" = [])),
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, description = "No API key, or a wrong one", body = crate::error::ErrorBody),
        (status = 503, description = "The database could not be read for the metrics", content_type = "text/plain", body = String),
    )
)]
pub async fn page(State(state): State<AppState>, request: Request) -> Response {
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| peer.ip().to_canonical().is_loopback());
    let keyless = state.settings.metrics.access == MetricsAccess::Loopback && loopback;
    if !keyless && !crate::routes::auth::has_api_key(&state, request.headers(), request.uri()) {
        return crate::error::AppError::Unauthorized.into_response();
    }
    if let Err(err) = record_states(&state).await {
        tracing::warn!(error = %metarr_errors::chain(&*err), "metrics: reading the states failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "reading the database for the metrics failed\n").into_response();
    }
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], handle().render())
        .into_response()
}

/// Sets the gauges that describe the state now.
async fn record_states(state: &AppState) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    metrics::gauge!("metarr_info", "version" => env!("CARGO_PKG_VERSION"), "backend" => state.queue.backend().as_str())
        .set(1.0);
    let stats = state.queue.stats().await?;
    for (kind, states) in &stats.kinds {
        for job_state in JOB_STATES {
            let count = states.get(job_state).copied().unwrap_or(0);
            metrics::gauge!("metarr_jobs", "kind" => kind.clone(), "state" => job_state).set(count as f64);
        }
    }
    let lag = crate::status::queue_lag_seconds(state).await?;
    metrics::gauge!("metarr_queue_lag_seconds").set(lag as f64);
    for usage in state.enrich.usage().await? {
        let provider = usage.provider;
        metrics::gauge!("metarr_provider_requests_today", "provider" => provider.as_str()).set(usage.used_today as f64);
        if let Some(quota) = usage.daily_quota {
            let left = u64::from(quota).saturating_sub(usage.used_today);
            metrics::gauge!("metarr_provider_quota_remaining", "provider" => provider.as_str()).set(left as f64);
        }
    }
    for (pool, open, idle) in state.queue.database().pool_usage() {
        metrics::gauge!("metarr_db_pool_connections", "pool" => pool, "state" => "idle").set(idle as f64);
        let busy = (open as usize).saturating_sub(idle);
        metrics::gauge!("metarr_db_pool_connections", "pool" => pool, "state" => "in_use").set(busy as f64);
    }
    Ok(())
}
