//! The libraries API: list, create, read, replace and delete libraries, and start a scan of one.
//!
//! Validation (absolute existing directory, valid ignore globs, no overlapping roots, not the
//! file system's root, apart from the data directory, text within `limits`) lives in
//! `catalogue::libraries`, so that the CLI's `metarr scan PATH` refuses the same inputs.

use crate::catalogue::libraries::{self, Library, LibraryInput};
use crate::catalogue::scans::Scan;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::ids::LibraryId;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::routing;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize)]
pub struct LibraryList {
    pub items: Vec<Library>,
    pub total: usize,
}

/// `GET /api/v1/libraries`: every library, by id.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<LibraryList>, AppError> {
    let items = libraries::list(&state.db).await?;
    Ok(Json(LibraryList { total: items.len(), items }))
}

/// `POST /api/v1/libraries`: 201 with the library and its `Location`.
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LibraryInput>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<Library>), AppError> {
    let library = libraries::create_apart_from(&state.db, &input, &state.settings.data_dir).await?;
    let location = format!("/api/v1/libraries/{}", library.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(library)))
}

/// `GET /api/v1/libraries/{id}`
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<LibraryId>,
) -> Result<Json<Library>, AppError> {
    Ok(Json(libraries::get(&state.db, id).await?))
}

/// `PUT /api/v1/libraries/{id}`: replaces the settings with the same body as `POST`.
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<LibraryId>,
    ApiJson(input): ApiJson<LibraryInput>,
) -> Result<Json<Library>, AppError> {
    Ok(Json(libraries::update_apart_from(&state.db, id, &input, &state.settings.data_dir).await?))
}

/// `DELETE /api/v1/libraries/{id}`: forgets the library and its movies; files on disk stay.
pub async fn delete(State(state): State<AppState>, ApiPath(id): ApiPath<LibraryId>) -> Result<StatusCode, AppError> {
    libraries::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/libraries/{id}/scan`: 202 with the scan record; a scan already running for the
/// library is returned rather than started twice.
pub async fn scan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<LibraryId>,
) -> Result<(StatusCode, Json<Scan>), AppError> {
    let scan = crate::jobs::scan::start_scan(&state.db, id).await?;
    Ok((StatusCode::ACCEPTED, Json(scan)))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/libraries", routing::get(list).post(create))
        .route("/libraries/{id}", routing::get(get_one).put(update).delete(delete))
        .route("/libraries/{id}/scan", routing::post(scan))
}
