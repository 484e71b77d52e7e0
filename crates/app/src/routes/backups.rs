//! The backups API: list the backups of the data directory's `backups/` folder, make one now
//! (the `scheduled-backup` job), and download one.

use crate::error::{ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::routes::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{ "items": [...], "total": N, "folder": "…" }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BackupList {
    /// Newest first.
    pub items: Vec<crate::backup::BackupFile>,
    pub total: usize,
    /// Where they are kept (`<data_dir>/backups`).
    pub folder: String,
}

/// The backups, newest first.
pub fn list_of(state: &AppState) -> Result<BackupList, AppError> {
    let folder = crate::backup::backup_dir(&state.settings);
    let items = crate::backup::list(&folder).map_err(|err| AppError::internal(&err))?;
    Ok(BackupList { total: items.len(), items, folder: folder.display().to_string() })
}

/// The backups kept in the data directory, newest first.
#[utoipa::path(get, path = "/backups", tag = "system", responses((status = 200, body = BackupList), (status = 400, description = "An unknown query parameter", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<BackupList>, AppError> {
    Ok(Json(list_of(&state)?))
}

/// Makes a backup now, as the nightly schedule does.
///
/// Answers with the backup job: the one already queued or running, if there is one.
#[utoipa::path(
    post,
    path = "/backups",
    tag = "system",
    responses((status = 202, description = "The backup job", body = metarr_queue::Job))
)]
pub async fn create(State(state): State<AppState>) -> Result<(StatusCode, Json<metarr_queue::Job>), AppError> {
    let enqueued = state.queue.enqueue(crate::jobs::backup::backup_job()).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// Downloads one backup.
///
/// Only Metarr's own backup names are served, so no other file of the data directory can be
/// asked for.
#[utoipa::path(
    get,
    path = "/backups/{name}",
    tag = "system",
    params(("name" = String, Path, description = "A backup's name, as listed", example = "metarr-backup-2026-12-05T023000Z.tar")),
    responses((
        status = 200,
        description = "The backup, as an attachment",
        content_type = "application/x-tar",
        body = [u8],
        headers(("Content-Disposition" = String, description = "attachment; filename=\"<name>\""))
    ))
)]
pub async fn download(State(state): State<AppState>, ApiPath(name): ApiPath<String>) -> Result<Response, AppError> {
    open(&state, &name).await
}

/// The backup `name` as a download response.
pub async fn open(state: &AppState, name: &str) -> Result<Response, AppError> {
    if !crate::backup::is_backup_name(name) {
        return Err(AppError::NotFound(format!(
            "no backup {:?}: backups are named metarr-backup-<date>.tar",
            name.chars().take(60).collect::<String>()
        )));
    }
    let path = crate::backup::backup_dir(&state.settings).join(name);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::NotFound(format!("no backup {name}")));
        }
        Err(err) => return Err(AppError::internal(&err)),
    };
    let length = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(|err| AppError::internal(&err))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/x-tar")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(length)),
        ],
        body,
    )
        .into_response())
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(download))
}
