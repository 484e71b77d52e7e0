//! `/api/v1/notifications`: Discord, Pushover and email settings (secrets write-only), and
//! `/{service}/test` to send a test message now.

use crate::arr::notifications::{self, Service, ServiceInput, ServiceView};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::jobs::notify;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::routing;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize)]
pub struct ServiceList {
    pub items: Vec<ServiceView>,
    pub total: usize,
}

/// `GET /api/v1/notifications`: all three services, configured or not.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<ServiceList>, AppError> {
    let items: Vec<ServiceView> = notifications::list(&state.db).await?.iter().map(|c| c.view()).collect();
    Ok(Json(ServiceList { total: items.len(), items }))
}

/// `GET /api/v1/notifications/{service}`
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ServiceView>, AppError> {
    let service = Service::parse(&name)?;
    Ok(Json(notifications::get(&state.db, service).await?.view()))
}

/// `PUT /api/v1/notifications/{service}`
pub async fn update(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<ServiceInput>,
) -> Result<Json<ServiceView>, AppError> {
    let service = Service::parse(&name)?;
    Ok(Json(notifications::put(&state.db, service, input).await?.view()))
}

/// The answer of a test send.
#[derive(Debug, Serialize)]
pub struct TestOutcome {
    pub ok: bool,
    pub message: String,
}

/// `POST /api/v1/notifications/{service}/test`: 200 with `{ok, message}` whether or not the
/// service accepted it; 400 when the service is not configured enough to try.
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
    OpenApiRouter::new()
        .route("/notifications", routing::get(list))
        .route("/notifications/{service}", routing::get(get_one).put(update))
        .route("/notifications/{service}/test", routing::post(test))
}
