//! `/api/v1/path-mappings`: *arr paths → Metarr paths, and `/test` to see where a path lands.

use crate::arr::mappings::{self, PathMapping, PathMappingInput};
use crate::arr::{self, Resolution};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize)]
pub struct MappingList {
    pub items: Vec<PathMapping>,
    pub total: usize,
}

/// `GET /api/v1/path-mappings`
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<MappingList>, AppError> {
    let items = mappings::list(&state.db).await?;
    Ok(Json(MappingList { total: items.len(), items }))
}

/// `POST /api/v1/path-mappings`: 201 with the mapping.
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PathMappingInput>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<PathMapping>), AppError> {
    let mapping = mappings::create(&state.db, &input).await?;
    let location = format!("/api/v1/path-mappings/{}", mapping.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(mapping)))
}

/// `GET /api/v1/path-mappings/{id}`
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<PathMapping>, AppError> {
    Ok(Json(mappings::get(&state.db, id).await?))
}

/// `PUT /api/v1/path-mappings/{id}`
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PathMappingInput>,
) -> Result<Json<PathMapping>, AppError> {
    Ok(Json(mappings::update(&state.db, id, &input).await?))
}

/// `DELETE /api/v1/path-mappings/{id}`
pub async fn delete(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    mappings::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/path-mappings/test` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    pub path: String,
}

/// `POST /api/v1/path-mappings/test`: the mapped path, the mapping, the library and movie
/// folder it lands in, and the reason in words (also when it lands nowhere). The path is taken
/// as a movie folder as Radarr names it (`folderPath`), or as a file when it names one on disk.
pub async fn test(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TestInput>,
) -> Result<Json<Resolution>, AppError> {
    if input.path.trim().is_empty() {
        return Err(AppError::BadRequest("path must not be empty".into()));
    }
    Ok(Json(arr::resolve(&state.db, &input.path, false).await?))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/path-mappings", routing::get(list).post(create))
        .route("/path-mappings/test", routing::post(test))
        .route("/path-mappings/{id}", routing::get(get_one).put(update).delete(delete))
}
