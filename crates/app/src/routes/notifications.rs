//! `/api/v1/notifications`: Discord, Pushover and email settings (secrets write-only), and
//! `/{service}/test` to send a test message now.

use crate::arr::notifications::{self, Service, ServiceInput, ServiceView};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::jobs::notify;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceList {
    /// Discord, Pushover and email, in that order.
    pub items: Vec<ServiceView>,
    pub total: usize,
}

/// All three notification services, configured or not.
///
/// Secrets are masked: `"set"` or `null`.
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notifications",
    responses(
        (status = 200, body = ServiceList),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<ServiceList>, AppError> {
    let items: Vec<ServiceView> = notifications::list(&state.db).await?.iter().map(|c| c.view()).collect();
    Ok(Json(ServiceList { total: items.len(), items }))
}

/// One notification service, secrets masked.
#[utoipa::path(
    get,
    path = "/notifications/{service}",
    tag = "notifications",
    params(("service" = Service, Path, description = "The service")),
    responses((status = 200, body = ServiceView))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ServiceView>, AppError> {
    let service = Service::parse(&name)?;
    Ok(Json(notifications::get(&state.db, service).await?.view()))
}

/// Replaces a service's configuration, keeping the secrets the request does not replace.
///
/// `settings` takes the shape of the service in the path. An enabled service must have
/// complete settings (400 naming the missing field otherwise).
#[utoipa::path(
    put,
    path = "/notifications/{service}",
    tag = "notifications",
    params(("service" = Service, Path, description = "The service")),
    request_body = ServiceInput,
    responses(
        (status = 200, description = "The service as now configured", body = ServiceView),
        (status = 400, description = "An unknown event, a setting out of range, or an enabled service with incomplete settings", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<ServiceInput>,
) -> Result<Json<ServiceView>, AppError> {
    let service = Service::parse(&name)?;
    Ok(Json(notifications::put(&state.db, service, input).await?.view()))
}

/// The answer of a test send.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = NotificationTestOutcome)]
pub struct TestOutcome {
    /// Whether the service accepted the message.
    pub ok: bool,
    /// What the service answered, or why sending failed.
    pub message: String,
}

/// Sends a test message through a service now.
///
/// Answers 200 with `{ok, message}` whether or not the service accepted it, and 400 when the
/// service is not configured enough to try.
#[utoipa::path(
    post,
    path = "/notifications/{service}/test",
    tag = "notifications",
    params(("service" = Service, Path, description = "The service")),
    responses(
        (status = 200, description = "The outcome, accepted or not", body = TestOutcome),
        (status = 400, description = "The service's settings are incomplete (the message names the field)", body = ErrorBody),
    )
)]
pub async fn test(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<TestOutcome>, AppError> {
    let service = Service::parse(&name)?;
    let config = notifications::get(&state.db, service).await?;
    config.check_complete()?;
    let client = metarr_notify::http_client();
    let outcome = match notify::send(&client, &config, &notify::test_notification()).await? {
        Ok(()) => TestOutcome { ok: true, message: format!("{} accepted the test message", service.as_str()) },
        Err(err) => TestOutcome { ok: false, message: err.message().to_owned() },
    };
    Ok(Json(outcome))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get_one, update)).routes(routes!(test))
}
