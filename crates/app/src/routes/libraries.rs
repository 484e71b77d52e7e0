//! The libraries API: list, create, read, replace and delete libraries, and start a scan of one.
//!
//! Validation (absolute existing directory, valid ignore globs, no overlapping roots, not the
//! file system's root, apart from the data directory, text within `limits`) lives in
//! `catalogue::libraries`, so that the CLI's `metarr scan PATH` refuses the same inputs.

use crate::catalogue::libraries::{self, Library, LibraryInput};
use crate::catalogue::scans::Scan;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::ids::LibraryId;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LibraryList {
    pub items: Vec<Library>,
    pub total: usize,
}

/// Every library, by id.
#[utoipa::path(get, path = "/libraries", tag = "libraries", responses((status = 200, body = LibraryList), (status = 400, description = "An unknown query parameter", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<LibraryList>, AppError> {
    let items = libraries::list(&state.db).await?;
    Ok(Json(LibraryList { total: items.len(), items }))
}

/// Adds a library: a folder of movies or of TV series.
///
/// The path must be an absolute, existing folder that neither holds nor lies inside another
/// library, and is not Metarr's data directory.
#[utoipa::path(
    post,
    path = "/libraries",
    tag = "libraries",
    request_body = LibraryInput,
    responses(
        (status = 201, description = "The library", body = Library, headers(("Location" = String, description = "The library's URL"))),
        (status = 409, description = "The folder overlaps another library's", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LibraryInput>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<Library>), AppError> {
    let library = libraries::create_apart_from(&state.db, &input, &state.settings.data_dir).await?;
    let location = format!("/api/v1/libraries/{}", library.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(library)))
}

/// One library.
#[utoipa::path(get, path = "/libraries/{id}", tag = "libraries", params(("id" = LibraryId, Path, description = "The library")), responses((status = 200, body = Library)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<LibraryId>,
) -> Result<Json<Library>, AppError> {
    Ok(Json(libraries::get(&state.db, id).await?))
}

/// Replaces a library's settings, with the same body as when adding one.
#[utoipa::path(
    put,
    path = "/libraries/{id}",
    tag = "libraries",
    params(("id" = LibraryId, Path, description = "The library")),
    request_body = LibraryInput,
    responses(
        (status = 200, body = Library),
        (status = 409, description = "The folder overlaps another library's", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<LibraryId>,
    ApiJson(input): ApiJson<LibraryInput>,
) -> Result<Json<Library>, AppError> {
    Ok(Json(libraries::update_apart_from(&state.db, id, &input, &state.settings.data_dir).await?))
}

/// Forgets a library and its movies or series; the files on disk stay.
#[utoipa::path(delete, path = "/libraries/{id}", tag = "libraries", params(("id" = LibraryId, Path, description = "The library")), responses((status = 204, description = "Forgotten")))]
pub async fn delete(State(state): State<AppState>, ApiPath(id): ApiPath<LibraryId>) -> Result<StatusCode, AppError> {
    libraries::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Scans a library's folders.
///
/// Answers with the scan record; a scan already running for the library is returned rather
/// than started twice. Follow it with `GET /scans/{id}` or the `scan.*` events.
#[utoipa::path(
    post,
    path = "/libraries/{id}/scan",
    tag = "libraries",
    params(("id" = LibraryId, Path, description = "The library")),
    responses(
        (status = 202, description = "The scan, started or already running", body = Scan),
        (status = 409, description = "The library is disabled, or its folder cannot be read", body = ErrorBody),
    )
)]
pub async fn scan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<LibraryId>,
) -> Result<(StatusCode, Json<Scan>), AppError> {
    let scan = crate::jobs::scan::start_scan(&state.db, id).await?;
    Ok((StatusCode::ACCEPTED, Json(scan)))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get_one, update, delete)).routes(routes!(scan))
}
