//! `POST /api/v1/webhooks/radarr` and `/sonarr`, and the webhook log
//! (`GET /api/v1/webhooks/events`, `/events/{id}`).
//!
//! The two receivers sit outside the API key middleware: Radarr and Sonarr can send the key in
//! the URL (`?apikey=`) or a custom header, or HTTP Basic credentials (their webhook settings'
//! username and password), so both are accepted here, compared in constant time. A request that
//! fails authentication is answered 401 and not recorded (anyone could fill the log otherwise);
//! every other request is recorded with its raw body, including refused ones. A body that
//! cannot be stored as it is (invalid UTF-8, NUL bytes) is stored with U+FFFD in their place and
//! the outcome says so; a payload whose strings hold a NUL is then refused with a 400.
//!
//! The body is read as JSON whatever the `Content-Type`: Radarr and Sonarr always send
//! `application/json`, and receivers in the *arr world accept JSON regardless, so a proxy that
//! rewrites the header does not break the integration.

use crate::arr::log::{self, NewEvent, WebhookEvent};
use crate::arr::payload::{self, PayloadError, Source};
use crate::error::ErrorCode;
use crate::error::{ApiPath, ApiQuery, AppError};
use crate::jobs::webhook::WebhookReceived;
use crate::limits;
use crate::routes::auth::{API_KEY_HEADER, API_KEY_PARAM};
use crate::routes::{AppState, MAX_BODY_BYTES};
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use metarr_queue::NewJob;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use subtle::ConstantTimeEq;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Radarr's webhook (Settings › Connect › Webhook, method POST). Give the key as `?apikey=`,
/// the `X-Api-Key` header, or as the Basic password. Every request is logged, answered or not.
#[utoipa::path(
    post,
    path = "/webhooks/radarr",
    tag = "webhooks",
    security(("api_key" = []), ("apikey_query" = []), ("basic" = [])),
    request_body(content = Object, description = "Radarr's webhook JSON, as Radarr sends it"),
    responses(
        (status = 200, description = "A Test event: logged, nothing queued", body = Accepted),
        (status = 202, description = "Logged, and queued when the event is one Metarr acts on", body = Accepted),
        (status = 400, description = "Not a Radarr webhook Metarr can read; logged", body = WebhookRefusal),
        (status = 401, description = "No API key, or a wrong one", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than 1 MiB; logged truncated", body = WebhookRefusal),
    )
)]
pub async fn radarr(State(state): State<AppState>, request: Request) -> Response {
    receive(&state, Source::Radarr, request).await.unwrap_or_else(IntoResponse::into_response)
}

/// Sonarr's webhook (Settings › Connect › Webhook, method POST); as Radarr's.
#[utoipa::path(
    post,
    path = "/webhooks/sonarr",
    tag = "webhooks",
    security(("api_key" = []), ("apikey_query" = []), ("basic" = [])),
    request_body(content = Object, description = "Sonarr's webhook JSON, as Sonarr sends it"),
    responses(
        (status = 200, description = "A Test event: logged, nothing queued", body = Accepted),
        (status = 202, description = "Logged, and queued when the event is one Metarr acts on", body = Accepted),
        (status = 400, description = "Not a Sonarr webhook Metarr can read; logged", body = WebhookRefusal),
        (status = 401, description = "No API key, or a wrong one", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than 1 MiB; logged truncated", body = WebhookRefusal),
    )
)]
pub async fn sonarr(State(state): State<AppState>, request: Request) -> Response {
    receive(&state, Source::Sonarr, request).await.unwrap_or_else(IntoResponse::into_response)
}

fn equal(presented: &[u8], expected: &[u8]) -> bool {
    bool::from(presented.ct_eq(expected))
}

/// The API key (header or query) or the configured Basic credentials.
fn authenticated(state: &AppState, headers: &HeaderMap, uri: &Uri) -> bool {
    if let Some(key) = headers.get(API_KEY_HEADER) {
        return state.api_key.matches(key.as_bytes());
    }
    if let Ok(Query(params)) = Query::<HashMap<String, String>>::try_from_uri(uri)
        && let Some(key) = params.get(API_KEY_PARAM)
    {
        return state.api_key.matches(key.as_bytes());
    }
    let (Some(user), Some(password)) = (&state.settings.webhook_username, &state.settings.webhook_password) else {
        return false;
    };
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|byte| *byte == b':') else {
        return false;
    };
    // Both halves are compared, always, so the time taken says nothing about which was wrong.
    let user_ok = equal(&decoded[..colon], user.as_bytes());
    let password_ok = equal(&decoded[colon + 1..], password.expose_secret().as_bytes());
    user_ok & password_ok
}

/// The body, or its first `limit` bytes when it is longer.
enum ReadBody {
    Complete(Vec<u8>),
    TooLarge(Vec<u8>),
    Failed(String),
}

async fn read_body(body: Body, limit: usize) -> ReadBody {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                if bytes.len() + chunk.len() > limit {
                    let room = limit - bytes.len();
                    bytes.extend_from_slice(&chunk[..room]);
                    // Stop reading: the rest is not stored and not worth the bandwidth.
                    return ReadBody::TooLarge(bytes);
                }
                bytes.extend_from_slice(&chunk);
            }
            Err(err) => return ReadBody::Failed(err.to_string()),
        }
    }
    ReadBody::Complete(bytes)
}

/// What a receiver answers (besides errors): the log entry it made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// The log entry (`GET /webhooks/events/{id}`).
    id: i64,
    /// The event's `eventType`, as sent.
    event_type: Option<String>,
    /// `queued`, `ignored`, or that a test was received.
    outcome: String,
    /// The jobs it queued.
    job_ids: Vec<metarr_queue::JobId>,
}

/// A receiver's refusal: the error body, and the log entry that keeps what was sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookRefusal {
    error: crate::error::ErrorDetail,
    webhook_event_id: i64,
}

/// A request to record: when, from whom, what it was, how it was answered, its raw body.
struct Entry<'a> {
    received_at_ms: i64,
    source: Source,
    event_type: Option<&'a str>,
    status: StatusCode,
    outcome: &'a str,
    body: &'a [u8],
}

/// Records the request and, for an event to act on, enqueues `webhook-received` in the same
/// transaction, so a recorded event is never without its job nor a job without its record.
async fn record(
    state: &AppState,
    entry: Entry<'_>,
    job: Option<(WebhookReceivedDraft, &str)>,
) -> Result<(i64, Vec<metarr_queue::JobId>), AppError> {
    // Stored as text, lossily: a body that is not UTF-8 is still worth seeing, and a NUL byte
    // (which PostgreSQL cannot store) becomes U+FFFD, so that every request is logged whatever
    // its bytes. The outcome says when the stored copy differs from what was received.
    let text = String::from_utf8_lossy(entry.body);
    let altered = matches!(text, std::borrow::Cow::Owned(_)) || text.contains('\0');
    let text = limits::without_nul(&text);
    let outcome = if altered {
        format!("{} (body stored with invalid UTF-8 and NUL bytes replaced by U+FFFD)", entry.outcome)
    } else {
        entry.outcome.to_owned()
    };
    let outcome = limits::without_nul(&outcome);
    let event_type = entry.event_type.map(limits::without_nul);
    let mut tx = state.db.begin().await.map_err(|err| AppError::internal(&err))?;
    let new_event = NewEvent {
        received_at_ms: entry.received_at_ms,
        source: entry.source.as_str(),
        event_type: event_type.as_deref(),
        status: entry.status.as_u16(),
        outcome: &outcome,
        body: &text,
    };
    let id = log::insert(&mut tx, &new_event).await?;
    let mut job_ids = Vec::new();
    if let Some((draft, outcome)) = job {
        let payload = WebhookReceived { webhook_event_id: id, source: entry.source, event: draft.0 };
        let job = NewJob::of(&payload).correlation_id(format!("webhook-{id}"));
        let enqueued = tx.enqueue(job).await.map_err(|err| AppError::internal(&err))?;
        job_ids.push(enqueued.job.id);
        log::set_outcome(&mut tx, id, outcome, &job_ids).await?;
    }
    tx.commit().await.map_err(|err| AppError::internal(&err))?;
    Ok((id, job_ids))
}

struct WebhookReceivedDraft(crate::arr::payload::ArrEvent);

fn refused(status: StatusCode, code: ErrorCode, message: &str, id: i64) -> Response {
    let error = crate::error::ErrorDetail { code, message: message.to_owned() };
    (status, Json(WebhookRefusal { error, webhook_event_id: id })).into_response()
}

async fn receive(state: &AppState, source: Source, request: Request) -> Result<Response, AppError> {
    if !authenticated(state, request.headers(), request.uri()) {
        return Err(AppError::Unauthorized);
    }
    let received_at = log::now();
    let body = match read_body(request.into_body(), MAX_BODY_BYTES).await {
        ReadBody::Complete(body) => body,
        ReadBody::TooLarge(prefix) => {
            let message = format!("the body is larger than {MAX_BODY_BYTES} bytes");
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            let outcome = format!("rejected: {message} (stored truncated)");
            let entry = Entry {
                received_at_ms: received_at,
                source,
                event_type: None,
                status,
                outcome: &outcome,
                body: &prefix,
            };
            let (id, _) = record(state, entry, None).await?;
            count(source, None, "rejected");
            return Ok(refused(status, ErrorCode::PayloadTooLarge, &message, id));
        }
        ReadBody::Failed(reason) => {
            return Err(AppError::BadRequest(format!("reading the body failed: {reason}")));
        }
    };
    let parsed = match source {
        Source::Radarr => payload::parse_radarr(&body),
        Source::Sonarr => payload::parse_sonarr(&body),
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let event_type = match &err {
                PayloadError::Invalid { event_type, .. } => Some(event_type.as_str()),
                _ => None,
            };
            let message = err.to_string();
            let status = StatusCode::BAD_REQUEST;
            let outcome = format!("rejected: {message}");
            let entry =
                Entry { received_at_ms: received_at, source, event_type, status, outcome: &outcome, body: &body };
            let (id, _) = record(state, entry, None).await?;
            count(source, event_type, "rejected");
            return Ok(refused(status, ErrorCode::BadRequest, &message, id));
        }
    };
    let event_type = parsed.event_type.as_str();
    let (status, outcome, draft) = match parsed.event {
        None if payload::is_known(source, event_type) => {
            (StatusCode::OK, format!("test received from {}", source.display_name()), None)
        }
        None => (StatusCode::ACCEPTED, "ignored".to_owned(), None),
        Some(event) => (StatusCode::ACCEPTED, "queued".to_owned(), Some(WebhookReceivedDraft(event))),
    };
    let job = draft.map(|draft| (draft, outcome.as_str()));
    let entry = Entry {
        received_at_ms: received_at,
        source,
        event_type: Some(event_type),
        status,
        outcome: &outcome,
        body: &body,
    };
    let (id, job_ids) = record(state, entry, job).await?;
    let counted = match status {
        StatusCode::OK => "test",
        _ if outcome == "ignored" => "ignored",
        _ => "queued",
    };
    count(source, Some(event_type), counted);
    let answer = Accepted { id, event_type: Some(event_type.to_owned()), outcome, job_ids };
    Ok((status, Json(answer)).into_response())
}

/// Counts a webhook for `/metrics` by source, event and outcome. Only event types Metarr knows
/// become labels: a sender's made-up names would grow the page without bound.
fn count(source: Source, event_type: Option<&str>, outcome: &'static str) {
    let event = match event_type {
        Some(event) if payload::is_known(source, event) => event.to_owned(),
        Some(_) => "other".to_owned(),
        None => "unreadable".to_owned(),
    };
    let source = match source {
        Source::Radarr => "radarr",
        Source::Sonarr => "sonarr",
    };
    metrics::counter!("metarr_webhooks_total", "source" => source, "event" => event, "outcome" => outcome).increment(1);
}

/// `?limit=&offset=` of the log list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Entries to skip, newest first.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventList {
    pub items: Vec<WebhookEvent>,
    pub total: i64,
}

/// The webhook log, newest first: every request the receivers got, answered or refused.
#[utoipa::path(get, path = "/webhooks/events", tag = "webhooks", params(Paging), responses((status = 200, body = EventList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<EventList>, AppError> {
    let limit = paging.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit {limit} is outside 1–500")));
    }
    let offset = paging.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::BadRequest("offset must not be negative".into()));
    }
    let items = log::list(&state.db, limit, offset).await?;
    Ok(Json(EventList { items, total: log::count(&state.db).await? }))
}

/// One logged webhook request, with its body as received.
#[utoipa::path(
    get,
    path = "/webhooks/events/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The log entry")),
    responses((status = 200, body = WebhookEvent))
)]
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<WebhookEvent>, AppError> {
    Ok(Json(log::get(&state.db, id).await?))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get_one))
}

/// The two receivers, which check the key (or Basic credentials) themselves.
pub(super) fn receivers() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(radarr)).routes(routes!(sonarr))
}
