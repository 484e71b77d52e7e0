//! `/api/v1/path-mappings`: *arr paths → Metarr paths, and `/test` to see where a path lands.

use crate::arr::mappings::{self, PathMapping, PathMappingInput};
use crate::arr::{self, Resolution};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MappingList {
    pub items: Vec<PathMapping>,
    pub total: usize,
}

/// Every path mapping.
#[utoipa::path(
    get,
    path = "/path-mappings",
    tag = "path-mappings",
    responses(
        (status = 200, body = MappingList),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<MappingList>, AppError> {
    let items = mappings::list(&state.db).await?;
    Ok(Json(MappingList { total: items.len(), items }))
}

/// Adds a mapping from an *arr path to Metarr's.
#[utoipa::path(
    post,
    path = "/path-mappings",
    tag = "path-mappings",
    request_body = PathMappingInput,
    responses(
        (status = 201, description = "The mapping, created", body = PathMapping,
            headers(("Location" = String, description = "The mapping's URL"))),
        (status = 400, description = "A path is empty, relative or too long", body = ErrorBody),
        (status = 409, description = "A mapping for this remote_path already exists", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PathMappingInput>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<PathMapping>), AppError> {
    let mapping = mappings::create(&state.db, &input).await?;
    let location = format!("/api/v1/path-mappings/{}", mapping.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(mapping)))
}

/// One path mapping.
#[utoipa::path(
    get,
    path = "/path-mappings/{id}",
    tag = "path-mappings",
    params(("id" = i64, Path, description = "The mapping")),
    responses((status = 200, body = PathMapping))
)]
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<PathMapping>, AppError> {
    Ok(Json(mappings::get(&state.db, id).await?))
}

/// Replaces a path mapping.
#[utoipa::path(
    put,
    path = "/path-mappings/{id}",
    tag = "path-mappings",
    params(("id" = i64, Path, description = "The mapping")),
    request_body = PathMappingInput,
    responses(
        (status = 200, description = "The mapping, replaced", body = PathMapping),
        (status = 400, description = "A path is empty, relative or too long", body = ErrorBody),
        (status = 409, description = "Another mapping has this remote_path", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PathMappingInput>,
) -> Result<Json<PathMapping>, AppError> {
    Ok(Json(mappings::update(&state.db, id, &input).await?))
}

/// Deletes a path mapping.
#[utoipa::path(
    delete,
    path = "/path-mappings/{id}",
    tag = "path-mappings",
    params(("id" = i64, Path, description = "The mapping")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    mappings::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A path to resolve through the mappings.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = PathMappingTestInput)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    /// A path as Radarr or Sonarr names it: a movie folder (`folderPath`), or a file.
    #[schema(example = "/movies/Alien (1979)")]
    pub path: String,
}

/// Shows where an *arr path lands in Metarr, or exactly why it lands nowhere.
///
/// Answers the mapped path, the mapping, the library and movie folder it lands in, and the
/// reason in words (also when it lands nowhere). The path is taken as a movie folder as Radarr
/// names it (`folderPath`), or as a file when it names one on disk.
#[utoipa::path(
    post,
    path = "/path-mappings/test",
    tag = "path-mappings",
    request_body = TestInput,
    responses(
        (status = 200, description = "Where the path lands, or why it does not", body = Resolution),
        (status = 400, description = "The path is empty", body = ErrorBody),
    )
)]
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
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(test)).routes(routes!(get_one, update, delete))
}
