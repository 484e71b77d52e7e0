//! The publishing API: a movie's plan, publish and published files, bulk publishing, the
//! recycle bin, and verification runs.

use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ids::{LibraryId, MovieId, SeriesId};
use crate::jobs::publish::BulkPublish;
use crate::publish::fs::FsError;
use crate::publish::repo::{RecycleEntry, RecycleFilter};
use crate::publish::tv::{SeriesPlan, SeriesReport, SeriesVerification};
use crate::publish::verify::{FileState, Scope, VerificationRun};
use crate::publish::{Plan, PublishError, Report};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use metarr_queue::Job;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A list in the API's shape.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Every matching item, not only this page.
    pub total: i64,
}

/// A JSON body that may be left out (an empty body is the default).
fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|err| AppError::BadRequest(format!("invalid JSON body: {err}")))
}

impl From<PublishError> for AppError {
    fn from(err: PublishError) -> AppError {
        match err {
            PublishError::Catalogue(err) => err.into(),
            PublishError::Off { .. } | PublishError::Occupied { .. } => AppError::Conflict(err.to_string()),
            // A link out of the library is the library's state, not Metarr's fault.
            PublishError::Fs { source: FsError::Escapes { .. }, .. } => AppError::Conflict(metarr_errors::chain(&err)),
            PublishError::Fs { .. } | PublishError::Cache { .. } | PublishError::Internal(_) => {
                AppError::internal(&err)
            }
        }
    }
}

/// What publishing the movie would write, replace, keep and recycle; nothing is touched.
#[utoipa::path(
    get,
    path = "/movies/{id}/publish/plan",
    tag = "publish",
    params(("id" = MovieId, Path, description = "The movie")),
    responses(
        (status = 200, body = Plan),
        (status = 409, description = "The movie's folder leads out of its library (a link)", body = ErrorBody),
    )
)]
pub async fn plan(State(state): State<AppState>, ApiPath(id): ApiPath<MovieId>) -> Result<Json<Plan>, AppError> {
    Ok(Json(state.publish.plan(id).await?))
}

/// Publishes the movie now (its NFO and artwork into its folder) and answers what was done.
#[utoipa::path(
    post,
    path = "/movies/{id}/publish",
    tag = "publish",
    params(("id" = MovieId, Path, description = "The movie")),
    responses(
        (status = 200, description = "What the publish did", body = Report),
        (status = 409, description = "The library's publish mode is `off`, or the folder leads out of the library", body = ErrorBody),
    )
)]
pub async fn publish(State(state): State<AppState>, ApiPath(id): ApiPath<MovieId>) -> Result<Json<Report>, AppError> {
    Ok(Json(state.publish.publish(id).await?))
}

/// What publishing the series would write, replace, keep and recycle; nothing is touched.
#[utoipa::path(
    get,
    path = "/series/{id}/publish/plan",
    tag = "publish",
    params(("id" = SeriesId, Path, description = "The series")),
    responses(
        (status = 200, body = SeriesPlan),
        (status = 409, description = "The series' folder leads out of its library (a link)", body = ErrorBody),
    )
)]
pub async fn plan_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<Json<SeriesPlan>, AppError> {
    Ok(Json(state.publish.plan_series(id).await?))
}

/// Publishes the series now (its NFOs and artwork into its folder) and answers what was done.
#[utoipa::path(
    post,
    path = "/series/{id}/publish",
    tag = "publish",
    params(("id" = SeriesId, Path, description = "The series")),
    responses(
        (status = 200, description = "What the publish did", body = SeriesReport),
        (status = 409, description = "The library's publish mode is `off`, or the folder leads out of the library", body = ErrorBody),
    )
)]
pub async fn publish_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<Json<SeriesReport>, AppError> {
    Ok(Json(state.publish.publish_series(id).await?))
}

/// Verifies what Metarr published in the series' folder, now.
///
/// Puts back what is missing, and reports what another program changed (an image is left as
/// it is; a changed NFO's values are imported and the NFO published again).
#[utoipa::path(
    post,
    path = "/series/{id}/verify",
    tag = "publish",
    params(("id" = SeriesId, Path, description = "The series")),
    responses(
        (status = 200, description = "What verification found and did", body = SeriesVerification),
        (status = 409, description = "The folder leads out of the library, or publishing an imported NFO was refused", body = ErrorBody),
    )
)]
pub async fn verify_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<Json<SeriesVerification>, AppError> {
    Ok(Json(state.publish.verify_series(id).await?))
}

/// A published file and its state now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishedView {
    pub path: String,
    pub kind: crate::publish::names::PublishedKind,
    /// The artwork slot (`poster`, `fanart`, …) of an artwork file.
    pub slot: Option<String>,
    pub sha256: String,
    pub size: i64,
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub state: FileState,
}

/// The files Metarr published for the movie, each `in_sync`, `missing` or `changed_elsewhere`.
#[utoipa::path(
    get,
    path = "/movies/{id}/published",
    tag = "publish",
    params(("id" = MovieId, Path, description = "The movie")),
    responses((status = 200, body = List<PublishedView>))
)]
pub async fn published(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<Json<List<PublishedView>>, AppError> {
    crate::catalogue::movies::updated_at(&state.db, id).await?;
    let states = crate::publish::verify::states(&state.publish, id).await?;
    let items: Vec<PublishedView> = states
        .into_iter()
        .map(|(file, state)| PublishedView {
            path: file.path,
            kind: file.kind,
            slot: file.slot,
            sha256: file.sha256,
            size: file.size,
            published_at: crate::catalogue::time_from_ms(file.published_at),
            state,
        })
        .collect();
    let total = items.len() as i64;
    Ok(Json(List { items, total }))
}

/// What a bulk publish queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkQueued {
    /// Movies queued for publishing (in `publish-batch` jobs of 100).
    pub queued: usize,
    /// Movies left out because their library's publish mode is `off`.
    pub skipped_off: usize,
}

/// Queues publishing for a library's movies, or for the movies given.
///
/// The body names exactly one of `library_id` and `movie_ids`; the movies are published by
/// `publish-batch` jobs of 100. Movies of libraries whose publish mode is `off` are left out.
#[utoipa::path(
    post,
    path = "/publish",
    tag = "publish",
    request_body = BulkPublish,
    responses(
        (status = 202, description = "How many movies were queued and left out", body = BulkQueued),
        (status = 404, description = "No such library, or movie ids that name no movie", body = ErrorBody),
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<BulkPublish>,
) -> Result<(StatusCode, Json<BulkQueued>), AppError> {
    let (queued, skipped_off) = crate::jobs::publish::queue_bulk(&state.db, &request).await?;
    Ok((StatusCode::ACCEPTED, Json(BulkQueued { queued, skipped_off })))
}

/// The recycle bin's entries, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/recycle-bin",
    tag = "publish",
    params(RecycleFilter),
    responses((status = 200, body = List<RecycleEntry>))
)]
pub async fn recycle_list(
    State(state): State<AppState>,
    ApiQuery(filter): ApiQuery<RecycleFilter>,
) -> Result<Json<List<RecycleEntry>>, AppError> {
    if filter.limit.is_some_and(|limit| !(1..=1_000).contains(&limit)) {
        return Err(AppError::BadRequest("limit must be an integer from 1 to 1000".into()));
    }
    if filter.offset.is_some_and(|offset| offset < 0) {
        return Err(AppError::BadRequest("offset must not be negative".into()));
    }
    let (items, total) = crate::publish::repo::recycle_list(&state.db, &filter).await?;
    Ok(Json(List { items, total }))
}

/// One recycle-bin entry.
#[utoipa::path(
    get,
    path = "/recycle-bin/{id}",
    tag = "publish",
    params(("id" = i64, Path, description = "The recycle-bin entry")),
    responses((status = 200, body = RecycleEntry))
)]
pub async fn recycle_one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RecycleEntry>, AppError> {
    crate::publish::repo::recycle_entry(&state.db, id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("recycle-bin entry {id} not found")))
}

/// The body of a restore.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// Replace a different file at the entry's path (it goes to the recycle bin first).
    #[serde(default)]
    pub force: bool,
}

/// Puts a recycled file back where it was.
///
/// The body may be left out; `{"force": true}` replaces a different file found at the path
/// (which goes to the recycle bin first).
#[utoipa::path(
    post,
    path = "/recycle-bin/{id}/restore",
    tag = "publish",
    params(("id" = i64, Path, description = "The recycle-bin entry")),
    request_body(content = Option<RestoreRequest>, description = "Optional; `{\"force\": false}` when left out"),
    responses(
        (status = 200, description = "The entry, restored", body = RecycleEntry),
        (status = 409, description = "Another file is at the path (restore with force), the entry was restored already, or its library is gone", body = ErrorBody),
    )
)]
pub async fn restore(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<RecycleEntry>, AppError> {
    let force = optional_body::<RestoreRequest>(&body)?.force;
    Ok(Json(state.publish.restore(id, force).await?))
}

/// Forgets one recycle-bin entry.
///
/// Its bytes leave the cache with the next garbage collection, unless something else uses them.
#[utoipa::path(
    delete,
    path = "/recycle-bin/{id}",
    tag = "publish",
    params(("id" = i64, Path, description = "The recycle-bin entry")),
    responses((status = 204, description = "The entry is gone"))
)]
pub async fn purge_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    match crate::publish::repo::purge(&state.db, Some(id), None).await? {
        0 => Err(AppError::NotFound(format!("recycle-bin entry {id} not found"))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// The purge's parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurgeQuery {
    /// Only entries recycled before this time; all when absent.
    pub before: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a purge deleted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Purged {
    /// How many entries were forgotten.
    pub deleted: u64,
}

/// Empties the recycle bin, or forgets the entries recycled before a time.
#[utoipa::path(delete, path = "/recycle-bin", tag = "publish", params(PurgeQuery), responses((status = 200, body = Purged)))]
pub async fn purge(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PurgeQuery>,
) -> Result<Json<Purged>, AppError> {
    let deleted =
        crate::publish::repo::purge(&state.db, None, Some(query.before.map_or(i64::MAX, |t| t.timestamp_millis())))
            .await?;
    Ok(Json(Purged { deleted }))
}

/// The body of `POST /api/v1/verify`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Only this library; every library when absent.
    pub library_id: Option<LibraryId>,
}

/// Queues verification of what Metarr published, in one library or in every one.
#[utoipa::path(
    post,
    path = "/verify",
    tag = "publish",
    request_body(content = Option<VerifyRequest>, description = "Optional; every library when left out"),
    responses(
        (status = 202, description = "The `verify` job, queued or already queued", body = Job),
        (status = 404, description = "No such library", body = ErrorBody),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Job>), AppError> {
    let library_id = optional_body::<VerifyRequest>(&body)?.library_id;
    if let Some(library_id) = library_id {
        crate::catalogue::libraries::get(&state.db, library_id).await?;
    }
    let enqueued = state.queue.enqueue(crate::jobs::publish::verify_job(library_id, "api")).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// Verifies what Metarr published for the movie, now, and answers the run.
#[utoipa::path(
    post,
    path = "/movies/{id}/verify",
    tag = "publish",
    params(("id" = MovieId, Path, description = "The movie")),
    responses(
        (status = 200, description = "The verification run", body = VerificationRun),
        (status = 409, description = "The movie's folder leads out of its library (a link)", body = ErrorBody),
    )
)]
pub async fn verify_movie(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<Json<VerificationRun>, AppError> {
    crate::catalogue::movies::updated_at(&state.db, id).await?;
    let scope = Scope { library_id: None, movie_id: Some(id) };
    Ok(Json(state.publish.verify(&scope, "api").await?))
}

/// The verification list's paging.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    /// Page size, 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Runs to skip.
    pub offset: Option<i64>,
}

/// Verification runs, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/verifications",
    tag = "publish",
    params(RunsQuery),
    responses((status = 200, body = List<VerificationRun>))
)]
pub async fn runs(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> Result<Json<List<VerificationRun>>, AppError> {
    if query.limit.is_some_and(|limit| !(1..=500).contains(&limit)) {
        return Err(AppError::BadRequest("limit must be an integer from 1 to 500".into()));
    }
    let (items, total) =
        crate::publish::verify::runs(&state.db, query.limit.unwrap_or(50), query.offset.unwrap_or(0)).await?;
    Ok(Json(List { items, total }))
}

/// One verification run.
#[utoipa::path(
    get,
    path = "/verifications/{id}",
    tag = "publish",
    params(("id" = i64, Path, description = "The verification run")),
    responses((status = 200, body = VerificationRun))
)]
pub async fn run(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<VerificationRun>, AppError> {
    Ok(Json(crate::publish::verify::run(&state.db, id).await?))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(plan_series))
        .routes(routes!(publish_series))
        .routes(routes!(verify_series))
        .routes(routes!(plan))
        .routes(routes!(publish))
        .routes(routes!(published))
        .routes(routes!(verify_movie))
        .routes(routes!(bulk))
        .routes(routes!(recycle_list, purge))
        .routes(routes!(recycle_one, purge_one))
        .routes(routes!(restore))
        .routes(routes!(verify))
        .routes(routes!(runs))
        .routes(routes!(run))
}
