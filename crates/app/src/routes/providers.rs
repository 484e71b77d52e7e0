//! `/api/v1/providers`: TMDB, Fanart.tv and OMDb settings (keys write-only), calls used today,
//! and `/{name}/test` to check a key now.

use crate::enrich::stored::{self, ProviderInput, ProviderView};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::routing;
use metarr_providers::Provider;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

/// `{ "items": [...], "total": N, "language": "en-US" }`.
#[derive(Debug, Serialize)]
pub struct ProviderList {
    pub items: Vec<ProviderView>,
    pub total: usize,
    pub language: String,
}

fn provider(name: &str) -> Result<Provider, AppError> {
    name.parse::<Provider>().map_err(|err| AppError::NotFound(err.to_string()))
}

/// `GET /api/v1/providers`
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<ProviderList>, AppError> {
    state.enrich.reload_if_stale().await?;
    let settings = state.enrich.settings();
    let usage = state.enrich.usage().await?;
    let items = stored::views_with_usage(&settings, &usage);
    Ok(Json(ProviderList { total: items.len(), items, language: settings.language.as_str().to_owned() }))
}

/// `PUT /api/v1/providers`: `{"language": "fr-CA"}` sets the metadata language for every
/// process (`null` returns to `providers.language`); answers the list.
pub async fn update_all(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<stored::LanguageInput>,
) -> Result<Json<ProviderList>, AppError> {
    stored::save_language(&state.db, &input).await?;
    state.enrich.reload().await?;
    let settings = state.enrich.settings();
    let usage = state.enrich.usage().await?;
    let items = stored::views_with_usage(&settings, &usage);
    Ok(Json(ProviderList { total: items.len(), items, language: settings.language.as_str().to_owned() }))
}

/// `GET /api/v1/providers/{name}`
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ProviderView>, AppError> {
    let provider = provider(&name)?;
    state.enrich.reload_if_stale().await?;
    let usage = state.enrich.usage().await?;
    let view =
        stored::views_with_usage(&state.enrich.settings(), &usage).into_iter().find(|view| view.name == provider);
    view.map(Json).ok_or_else(|| AppError::NotFound(format!("no provider {name:?}")))
}

/// `PUT /api/v1/providers/{name}`: `api_key` (`null` removes it), `requests_per_second`,
/// `daily_quota` (0 for none); what is absent stays.
pub async fn update(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<ProviderInput>,
) -> Result<Json<ProviderView>, AppError> {
    let provider = provider(&name)?;
    stored::save(&state.db, provider, input).await?;
    state.enrich.reload().await?;
    let view = stored::views(&state.enrich.settings()).into_iter().find(|view| view.name == provider);
    view.map(Json).ok_or_else(|| AppError::NotFound(format!("no provider {name:?}")))
}

/// What a test call found.
#[derive(Debug, Serialize)]
pub struct TestResult {
    pub ok: bool,
    pub message: String,
}

/// `POST /api/v1/providers/{name}/test`: one cheap call with the saved key.
pub async fn test(State(state): State<AppState>, ApiPath(name): ApiPath<String>) -> Result<Json<TestResult>, AppError> {
    let provider = provider(&name)?;
    state.enrich.reload_if_stale().await?;
    let result = match state.enrich.test(provider).await {
        Ok(message) => TestResult { ok: true, message },
        Err(err) => TestResult { ok: false, message: metarr_errors::chain(&err) },
    };
    Ok(Json(result))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/providers", routing::get(list).put(update_all))
        .route("/providers/{name}", routing::get(get_one).put(update))
        .route("/providers/{name}/test", routing::post(test))
}
