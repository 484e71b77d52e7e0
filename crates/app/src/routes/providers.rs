//! `/api/v1/providers`: TMDB, Fanart.tv and OMDb settings (keys write-only), calls used today,
//! and `/{name}/test` to check a key now.

use crate::enrich::stored::{self, ProviderInput, ProviderView};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use metarr_providers::Provider;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{ "items": [...], "total": N, "language": "en-US" }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderList {
    /// TMDB, Fanart.tv and OMDb, in that order.
    pub items: Vec<ProviderView>,
    pub total: usize,
    /// The metadata language providers are asked for (`en-US`, `fr-CA`).
    pub language: String,
}

fn provider(name: &str) -> Result<Provider, AppError> {
    name.parse::<Provider>().map_err(|err| AppError::NotFound(err.to_string()))
}

/// Every provider with its settings and today's usage, and the metadata language.
///
/// Keys are never shown: `api_key` is `"set"` or `null`.
#[utoipa::path(
    get,
    path = "/providers",
    tag = "providers",
    responses(
        (status = 200, body = ProviderList),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
    )
)]
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

/// Sets the metadata language every provider is asked for.
///
/// `{"language": "fr-CA"}` applies to every process; `null` returns to the configured
/// `providers.language`. Answers the whole list, as `GET /providers`.
#[utoipa::path(
    put,
    path = "/providers",
    tag = "providers",
    request_body = stored::LanguageInput,
    responses(
        (status = 200, description = "Every provider, with the language now in effect", body = ProviderList),
        (status = 400, description = "The language is not `xx` or `xx-YY`", body = ErrorBody),
    )
)]
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

/// One provider with its settings and today's usage.
#[utoipa::path(
    get,
    path = "/providers/{name}",
    tag = "providers",
    params(("name" = Provider, Path, description = "The provider")),
    responses((status = 200, body = ProviderView))
)]
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

/// Changes a provider's key, rate or daily quota.
///
/// `api_key` (`null` removes it), `requests_per_second`, `daily_quota` (0 for none); what is
/// absent stays. The answer is the provider as `GET` shows it, today's usage included.
#[utoipa::path(
    put,
    path = "/providers/{name}",
    tag = "providers",
    params(("name" = Provider, Path, description = "The provider")),
    request_body = ProviderInput,
    responses(
        (status = 200, description = "The provider with its new settings", body = ProviderView),
        (status = 400, description = "A value is out of range, or the key holds spaces", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<ProviderInput>,
) -> Result<Json<ProviderView>, AppError> {
    let provider = provider(&name)?;
    stored::save(&state.db, provider, input).await?;
    state.enrich.reload().await?;
    // The answer is what `GET` shows, today's calls included, not a view without usage.
    let usage = state.enrich.usage().await?;
    let view =
        stored::views_with_usage(&state.enrich.settings(), &usage).into_iter().find(|view| view.name == provider);
    view.map(Json).ok_or_else(|| AppError::NotFound(format!("no provider {name:?}")))
}

/// What a test call found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProviderTestResult)]
pub struct TestResult {
    /// Whether the provider accepted the saved key.
    pub ok: bool,
    /// What the provider answered, or why the call failed (never with the key).
    pub message: String,
}

/// Checks a provider's saved key now, with one cheap call.
///
/// Answers 200 whether or not the provider accepted it: `ok` says which and `message` why
/// (also when no key is set).
#[utoipa::path(
    post,
    path = "/providers/{name}/test",
    tag = "providers",
    params(("name" = Provider, Path, description = "The provider")),
    responses((status = 200, description = "The outcome, success or not", body = TestResult))
)]
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
    OpenApiRouter::new().routes(routes!(list, update_all)).routes(routes!(get_one, update)).routes(routes!(test))
}
