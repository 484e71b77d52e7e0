//! The publishing API: a movie's plan, publish and published files, bulk publishing, the
//! recycle bin, and verification runs.

use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::ids::{LibraryId, MovieId};
use crate::jobs::publish::BulkPublish;
use crate::publish::fs::FsError;
use crate::publish::repo::{RecycleEntry, RecycleFilter};
use crate::publish::verify::{FileState, Scope, VerificationRun};
use crate::publish::{Plan, PublishError, Report};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

/// A list in the API's shape.
#[derive(Debug, Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
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

/// `GET /api/v1/movies/{id}/publish/plan`: what publishing would write, replace, keep and
/// recycle; nothing is touched.
pub async fn plan(State(state): State<AppState>, ApiPath(id): ApiPath<MovieId>) -> Result<Json<Plan>, AppError> {
    Ok(Json(state.publish.plan(id).await?))
}

/// `POST /api/v1/movies/{id}/publish`: publishes the movie now and answers what was done
/// (409 when its library's publish mode is `off`).
pub async fn publish(State(state): State<AppState>, ApiPath(id): ApiPath<MovieId>) -> Result<Json<Report>, AppError> {
    Ok(Json(state.publish.publish(id).await?))
}

/// `GET /api/v1/series/{id}/publish/plan`: what publishing the series would write; nothing is
/// touched.
pub async fn plan_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<crate::ids::SeriesId>,
) -> Result<Json<crate::publish::tv::SeriesPlan>, AppError> {
    Ok(Json(state.publish.plan_series(id).await?))
}

/// `POST /api/v1/series/{id}/publish`: publishes the series' NFOs now and answers what was done
/// (409 when its library's publish mode is `off`).
pub async fn publish_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<crate::ids::SeriesId>,
) -> Result<Json<crate::publish::tv::SeriesReport>, AppError> {
    Ok(Json(state.publish.publish_series(id).await?))
}

/// `POST /api/v1/series/{id}/verify`: puts back what is missing from what Metarr published in
/// the series' folder and reports what another program changed (left as it is).
pub async fn verify_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<crate::ids::SeriesId>,
) -> Result<Json<crate::publish::tv::SeriesVerification>, AppError> {
    Ok(Json(state.publish.verify_series(id).await?))
}

/// A published file and its state now.
#[derive(Debug, Serialize)]
pub struct PublishedView {
    pub path: String,
    pub kind: crate::publish::names::PublishedKind,
    pub slot: Option<String>,
    pub sha256: String,
    pub size: i64,
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub state: FileState,
}

/// `GET /api/v1/movies/{id}/published`: the files Metarr published for the movie, each
/// `in_sync`, `missing` or `changed_elsewhere`.
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
#[derive(Debug, Serialize)]
pub struct BulkQueued {
    /// Movies queued for publishing (in `publish-batch` jobs of 100).
    pub queued: usize,
    /// Movies left out because their library's publish mode is `off`.
    pub skipped_off: usize,
}

/// `POST /api/v1/publish` with `library_id` or `movie_ids`: `publish-batch` jobs of 100 movies (202).
pub async fn bulk(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<BulkPublish>,
) -> Result<(StatusCode, Json<BulkQueued>), AppError> {
    let (queued, skipped_off) = crate::jobs::publish::queue_bulk(&state.db, &request).await?;
    Ok((StatusCode::ACCEPTED, Json(BulkQueued { queued, skipped_off })))
}

/// `GET /api/v1/recycle-bin`: entries, newest first (`movie_id`, `library_id`,
/// `include_restored`, `limit`, `offset`).
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

/// `GET /api/v1/recycle-bin/{id}`.
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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// Replace a different file at the entry's path (it goes to the recycle bin first).
    #[serde(default)]
    pub force: bool,
}

/// `POST /api/v1/recycle-bin/{id}/restore` (`{"force": true}` to replace a different file):
/// puts the file back where it was; 409 when another file is there.
pub async fn restore(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<RecycleEntry>, AppError> {
    let force = optional_body::<RestoreRequest>(&body)?.force;
    Ok(Json(state.publish.restore(id, force).await?))
}

/// `DELETE /api/v1/recycle-bin/{id}`: forgets one entry (its bytes leave the cache with the
/// next garbage collection, unless something else uses them).
pub async fn purge_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    match crate::publish::repo::purge(&state.db, Some(id), None).await? {
        0 => Err(AppError::NotFound(format!("recycle-bin entry {id} not found"))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// The purge's parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeQuery {
    /// Only entries recycled before this time; all when absent.
    pub before: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a purge deleted.
#[derive(Debug, Serialize)]
pub struct Purged {
    pub deleted: u64,
}

/// `DELETE /api/v1/recycle-bin` (`?before=2026-01-01T00:00:00Z`): empties the bin.
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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub library_id: Option<LibraryId>,
}

/// `POST /api/v1/verify` (`{"library_id": 1}`, or every library): queues a `verify` job (202).
pub async fn verify(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<metarr_queue::Job>), AppError> {
    let library_id = optional_body::<VerifyRequest>(&body)?.library_id;
    if let Some(library_id) = library_id {
        crate::catalogue::libraries::get(&state.db, library_id).await?;
    }
    let enqueued = state.queue.enqueue(crate::jobs::publish::verify_job(library_id, "api")).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// `POST /api/v1/movies/{id}/verify`: verifies the movie now and answers the run.
pub async fn verify_movie(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<Json<VerificationRun>, AppError> {
    crate::catalogue::movies::updated_at(&state.db, id).await?;
    let scope = Scope { library_id: None, movie_id: Some(id) };
    Ok(Json(state.publish.verify(&scope, "api").await?))
}

/// The verification list's paging.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// `GET /api/v1/verifications`: runs, newest first.
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

/// `GET /api/v1/verifications/{id}`.
pub async fn run(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<VerificationRun>, AppError> {
    Ok(Json(crate::publish::verify::run(&state.db, id).await?))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/series/{id}/publish/plan", routing::get(plan_series))
        .route("/series/{id}/publish", routing::post(publish_series))
        .route("/series/{id}/verify", routing::post(verify_series))
        .route("/movies/{id}/publish/plan", routing::get(plan))
        .route("/movies/{id}/publish", routing::post(publish))
        .route("/movies/{id}/published", routing::get(published))
        .route("/movies/{id}/verify", routing::post(verify_movie))
        .route("/publish", routing::post(bulk))
        .route("/recycle-bin", routing::get(recycle_list).delete(purge))
        .route("/recycle-bin/{id}", routing::get(recycle_one).delete(purge_one))
        .route("/recycle-bin/{id}/restore", routing::post(restore))
        .route("/verify", routing::post(verify))
        .route("/verifications", routing::get(runs))
        .route("/verifications/{id}", routing::get(run))
}
