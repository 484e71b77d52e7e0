//! The TV API: series (list, detail, seasons with their episodes, rescan) and episodes.

use crate::catalogue::series::{
    self, EpisodeDetail, EpisodeFields, LockTable, Numbering, SeasonView, SeriesDetail, SeriesField, SeriesFields,
    SeriesFilter, SeriesSummary,
};
use crate::catalogue::{CatalogueError, libraries};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ids::{EpisodeId, SeriesId};
use crate::jobs::tv_scan::ScanSeries;
use crate::routes::AppState;
use crate::routes::movies::{Locks, MAX_LIMIT};
use axum::Json;
use axum::extract::State;
use metarr_queue::Job;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{ "items": [...], "total": N }`: `total` counts every matching series, not only this page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesList {
    pub items: Vec<SeriesSummary>,
    /// Every matching series, not only this page.
    pub total: i64,
}

/// Series by title, a page at a time, optionally filtered.
#[utoipa::path(get, path = "/series", tag = "series", params(SeriesFilter), responses((status = 200, body = SeriesList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(filter): ApiQuery<SeriesFilter>,
) -> Result<Json<SeriesList>, AppError> {
    if let Some(limit) = filter.limit.filter(|limit| !(1..=MAX_LIMIT).contains(limit)) {
        return Err(AppError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}, got {limit}")));
    }
    if let Some(offset) = filter.offset.filter(|offset| *offset < 0) {
        return Err(AppError::BadRequest(format!("offset must not be negative, got {offset}")));
    }
    let (items, total) = series::list(&state.db, &filter).await?;
    Ok(Json(SeriesList { items, total }))
}

/// One series with its metadata, artwork and files Metarr does not use.
#[utoipa::path(
    get,
    path = "/series/{id}",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series")),
    responses((status = 200, body = SeriesDetail))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<Json<SeriesDetail>, AppError> {
    Ok(Json(series::detail(&state.db, id).await?))
}

/// Every season of a series in order, each with its episodes (on disk or not) and its artwork.
#[utoipa::path(
    get,
    path = "/series/{id}/seasons",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series")),
    responses((status = 200, body = Vec<SeasonView>))
)]
pub async fn seasons(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<Json<Vec<SeasonView>>, AppError> {
    Ok(Json(series::seasons(&state.db, id).await?))
}

/// One episode with its metadata, files and stream details.
#[utoipa::path(
    get,
    path = "/episodes/{id}",
    tag = "series",
    params(("id" = EpisodeId, Path, description = "The episode")),
    responses((status = 200, body = EpisodeDetail))
)]
pub async fn episode(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<EpisodeId>,
) -> Result<Json<EpisodeDetail>, AppError> {
    Ok(Json(series::episode(&state.db, id).await?))
}

/// Rescans the series' folder now.
///
/// Answers the queued `scan-series` job, or the one already queued for the folder.
#[utoipa::path(
    post,
    path = "/series/{id}/scan",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series")),
    responses(
        (status = 202, description = "The `scan-series` job, queued or already queued", body = Job),
        (status = 409, description = "The series' library is disabled", body = ErrorBody),
    )
)]
pub async fn rescan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<(axum::http::StatusCode, Json<Job>), AppError> {
    let job = queue_rescan(&state, id).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(job)))
}

/// Queues a `scan-series` job for the series' folder (or finds the one already queued for it),
/// refusing a series whose library is disabled. The API's rescan and the series page's
/// Rescan button both come here.
pub async fn queue_rescan(state: &AppState, id: SeriesId) -> Result<metarr_queue::Job, AppError> {
    let summary = series::detail(&state.db, id).await?.summary;
    let library = libraries::get(&state.db, summary.library_id).await?;
    if !library.enabled {
        return Err(CatalogueError::Conflict(format!(
            "library {:?} is disabled; enable it to scan its series",
            library.name
        ))
        .into());
    }
    let enqueued = state.queue.enqueue(ScanSeries::of_folder(library.id, &summary.folder).job()).await?;
    Ok(enqueued.job)
}

/// A series PATCH body, as the document describes it: the fields, and `numbering`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // Read by the OpenAPI description only; the handler reads a JSON object.
struct SeriesEdit {
    #[serde(flatten)]
    fields: SeriesFields,
    /// How the series' files number their episodes, from its next scan on.
    numbering: Option<Numbering>,
}

/// A series identify body: exactly one of the two ids.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // Read by the OpenAPI description only; the handler reads a JSON object.
struct SeriesIdentify {
    /// The series' TMDB id, a positive integer.
    #[schema(minimum = 1)]
    tmdb_id: Option<i64>,
    /// The series' TVDB id, a positive integer.
    #[schema(minimum = 1)]
    tvdb_id: Option<i64>,
}

/// Reads a PATCH body one field at a time, so that every error names the field at fault.
fn parse_edit<T: serde::de::DeserializeOwned>(
    body: &Map<String, Value>,
    known: impl Fn(&str) -> bool,
    names: &str,
) -> Result<T, AppError> {
    for (name, value) in body {
        if !known(name) {
            return Err(AppError::BadRequest(format!("unknown field {name:?}; editable fields: {names}")));
        }
        if value.is_null() {
            return Err(AppError::BadRequest(format!("{name}: null is not accepted; give a value")));
        }
        let single = Map::from_iter([(name.clone(), value.clone())]);
        serde_json::from_value::<T>(Value::Object(single))
            .map_err(|err| AppError::BadRequest(format!("{name}: {err}")))?;
    }
    serde_json::from_value(Value::Object(body.clone())).map_err(|err| AppError::BadRequest(err.to_string()))
}

/// The fields and numbering of a series PATCH body.
pub fn parse_series_edit(mut body: Map<String, Value>) -> Result<(SeriesFields, Option<Numbering>), AppError> {
    let numbering = match body.remove("numbering") {
        None => None,
        Some(Value::String(name)) => Some(Numbering::parse(&name).ok_or_else(|| {
            AppError::BadRequest(format!("numbering {name:?} must be \"standard\", \"daily\" or \"absolute\""))
        })?),
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "numbering must be \"standard\", \"daily\" or \"absolute\", got {other}"
            )));
        }
    };
    let names = format!("{}, numbering", SeriesField::names());
    let fields: SeriesFields = parse_edit(&body, |name| SeriesField::parse(name).is_some(), &names)?;
    if let Some(imdb_id) = fields.imdb_id.as_deref().filter(|imdb_id| !metarr_nfo::is_imdb_id(imdb_id)) {
        return Err(AppError::BadRequest(format!("imdb_id {imdb_id:?} must look like \"tt0944947\"")));
    }
    Ok((fields, numbering))
}

/// Sets some of a series' fields, locking each one.
///
/// The body is a JSON object of the fields to set (null is refused); each one is locked so
/// that scans and enrichment leave it alone. `numbering` (`standard`, `daily`, `absolute`)
/// changes how the series' files are read, from its next scan on. Answers the detail as it is
/// now.
#[utoipa::path(
    patch,
    path = "/series/{id}",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series")),
    request_body(
        content = SeriesEdit,
        description = "The fields to change, any of: title, original_title, sort_title, year, tmdb_id, tvdb_id, \
            imdb_id, plot, outline, premiered, status, certification, genres, studios, tags, ratings, uniqueids, \
            actors, numbering; null is refused"
    ),
    responses((status = 200, description = "The series as it is now", body = SeriesDetail))
)]
pub async fn edit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<SeriesDetail>, AppError> {
    let (fields, numbering) = parse_series_edit(body)?;
    let detail = series::edit(&state.db, id, &fields, numbering).await?;
    state.events.publish("series.updated", &detail.summary);
    Ok(Json(detail))
}

/// Sets some of an episode's fields, locking each one.
///
/// The body is a JSON object of the fields to set (null is refused). Answers the detail as it
/// is now.
#[utoipa::path(
    patch,
    path = "/episodes/{id}",
    tag = "series",
    params(("id" = EpisodeId, Path, description = "The episode")),
    request_body(
        content = EpisodeFields,
        description = "The fields to change, any of: title, plot, runtime, aired, ratings, uniqueids, directors, \
            writers, actors; null is refused"
    ),
    responses((status = 200, description = "The episode as it is now", body = EpisodeDetail))
)]
pub async fn edit_episode(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<EpisodeId>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<EpisodeDetail>, AppError> {
    let fields = parse_episode_edit(body)?;
    Ok(Json(series::edit_episode(&state.db, id, &fields).await?))
}

/// The fields of an episode PATCH body.
pub fn parse_episode_edit(body: Map<String, Value>) -> Result<EpisodeFields, AppError> {
    let names = series::EPISODE_FIELDS.join(", ");
    parse_edit(&body, |name| series::EPISODE_FIELDS.contains(&name), &names)
}

/// Locks one field of a series, so that scans and enrichment leave its value alone.
#[utoipa::path(
    put,
    path = "/series/{id}/locks/{field}",
    tag = "series",
    params(
        ("id" = SeriesId, Path, description = "The series"),
        ("field" = String, Path, description = "A field name (`title`, `plot`, …) or `artwork.<slot>` (`artwork.poster`)"),
    ),
    responses((status = 200, description = "The series's locked fields now", body = Locks))
)]
pub async fn lock(
    State(state): State<AppState>,
    ApiPath((id, field)): ApiPath<(SeriesId, String)>,
) -> Result<Json<Locks>, AppError> {
    if let Some(slot) = field.strip_prefix("artwork.") {
        let locks =
            crate::routes::artwork::set_owner_slot_lock(&state, crate::artwork::ArtOwner::Series(id), slot, true)
                .await?;
        return Ok(Json(Locks { locks }));
    }
    Ok(Json(Locks { locks: series::set_lock(&state.db, LockTable::Series, id.get(), &field, true).await? }))
}

/// Unlocks one field of a series, so that scans and enrichment may replace its value again.
#[utoipa::path(
    delete,
    path = "/series/{id}/locks/{field}",
    tag = "series",
    params(
        ("id" = SeriesId, Path, description = "The series"),
        ("field" = String, Path, description = "A field name (`title`, `plot`, …) or `artwork.<slot>` (`artwork.poster`)"),
    ),
    responses((status = 200, description = "The series's locked fields now", body = Locks))
)]
pub async fn unlock(
    State(state): State<AppState>,
    ApiPath((id, field)): ApiPath<(SeriesId, String)>,
) -> Result<Json<Locks>, AppError> {
    if let Some(slot) = field.strip_prefix("artwork.") {
        let locks =
            crate::routes::artwork::set_owner_slot_lock(&state, crate::artwork::ArtOwner::Series(id), slot, false)
                .await?;
        return Ok(Json(Locks { locks }));
    }
    Ok(Json(Locks { locks: series::set_lock(&state.db, LockTable::Series, id.get(), &field, false).await? }))
}

/// Locks one field of an episode, so that scans and enrichment leave its value alone.
#[utoipa::path(
    put,
    path = "/episodes/{id}/locks/{field}",
    tag = "series",
    params(
        ("id" = EpisodeId, Path, description = "The episode"),
        ("field" = String, Path, description = "A field name (`title`, `plot`, …) or `artwork.<slot>` (`artwork.poster`)"),
    ),
    responses((status = 200, description = "The episode's locked fields now", body = Locks))
)]
pub async fn lock_episode(
    State(state): State<AppState>,
    ApiPath((id, field)): ApiPath<(EpisodeId, String)>,
) -> Result<Json<Locks>, AppError> {
    if let Some(slot) = field.strip_prefix("artwork.") {
        let owner = crate::routes::artwork::episode_owner(&state, id).await?;
        let locks = crate::routes::artwork::set_owner_slot_lock(&state, owner, slot, true).await?;
        return Ok(Json(Locks { locks }));
    }
    Ok(Json(Locks { locks: series::set_lock(&state.db, LockTable::Episodes, id.get(), &field, true).await? }))
}

/// Unlocks one field of an episode, so that scans and enrichment may replace its value again.
#[utoipa::path(
    delete,
    path = "/episodes/{id}/locks/{field}",
    tag = "series",
    params(
        ("id" = EpisodeId, Path, description = "The episode"),
        ("field" = String, Path, description = "A field name (`title`, `plot`, …) or `artwork.<slot>` (`artwork.poster`)"),
    ),
    responses((status = 200, description = "The episode's locked fields now", body = Locks))
)]
pub async fn unlock_episode(
    State(state): State<AppState>,
    ApiPath((id, field)): ApiPath<(EpisodeId, String)>,
) -> Result<Json<Locks>, AppError> {
    if let Some(slot) = field.strip_prefix("artwork.") {
        let owner = crate::routes::artwork::episode_owner(&state, id).await?;
        let locks = crate::routes::artwork::set_owner_slot_lock(&state, owner, slot, false).await?;
        return Ok(Json(Locks { locks }));
    }
    Ok(Json(Locks { locks: series::set_lock(&state.db, LockTable::Episodes, id.get(), &field, false).await? }))
}

/// Identifies the series and fills it, its seasons and its episodes from TMDB, in the background.
///
/// Answers the queued `enrich-series` job, or the one already queued.
#[utoipa::path(
    post,
    path = "/series/{id}/enrich",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series")),
    responses(
        (status = 202, description = "The `enrich-series` job, queued or already queued", body = Job),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
    )
)]
pub async fn enrich(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<(axum::http::StatusCode, Json<Job>), AppError> {
    crate::routes::movies::require_tmdb(&state).await?;
    series::detail(&state.db, id).await?;
    let enqueued = state.queue.enqueue(crate::jobs::enrich::enrich_series_job(id)).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// `?q=&year=` of the match search.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    /// The name to search for; the series' own when absent.
    pub q: Option<String>,
    /// The first-aired year to search for; the series' own when absent.
    pub year: Option<i32>,
}

/// TMDB's candidates for the series, best first, with their confidence.
///
/// The search uses the series' name and year unless `q` and `year` say otherwise.
#[utoipa::path(
    get,
    path = "/series/{id}/matches",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series"), MatchQuery),
    responses(
        (status = 200, body = Vec<crate::catalogue::movies::MatchCandidate>),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
        (status = 502, description = "TMDB failed or refused the search", body = ErrorBody),
    )
)]
pub async fn matches(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
    ApiQuery(query): ApiQuery<MatchQuery>,
) -> Result<Json<Vec<crate::catalogue::movies::MatchCandidate>>, AppError> {
    crate::routes::movies::require_tmdb(&state).await?;
    let detail = series::detail(&state.db, id).await?;
    let title = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()).unwrap_or(detail.summary.title);
    crate::limits::TEXT.check("q", &title).map_err(|err| AppError::BadRequest(err.to_string()))?;
    let search = metarr_providers::MatchQuery {
        title,
        original_title: None,
        year: query.year.or(detail.summary.year.and_then(|y| i32::try_from(y).ok())),
    };
    let candidates = state.enrich.search_series(id, &search).await?;
    Ok(Json(crate::enrich::candidates_of(&candidates)))
}

/// Identifies the series as the one the user picked, and queues its enrichment from it.
///
/// The body is `{"tmdb_id": N}` or `{"tvdb_id": N}`; the id is locked. Answers the queued
/// `enrich-series` job (or the one already queued).
#[utoipa::path(
    post,
    path = "/series/{id}/identify",
    tag = "series",
    params(("id" = SeriesId, Path, description = "The series")),
    request_body = SeriesIdentify,
    responses(
        (status = 202, description = "The `enrich-series` job, queued or already queued", body = Job),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
    )
)]
pub async fn identify(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<(axum::http::StatusCode, Json<Job>), AppError> {
    crate::routes::movies::require_tmdb(&state).await?;
    let (fields, numbering) = parse_series_edit(body)?;
    let ids_only =
        fields == SeriesFields { tmdb_id: fields.tmdb_id, tvdb_id: fields.tvdb_id, ..SeriesFields::default() };
    if numbering.is_some() || !ids_only || (fields.tmdb_id.is_none() && fields.tvdb_id.is_none()) {
        return Err(AppError::BadRequest("give exactly one of tmdb_id or tvdb_id".into()));
    }
    if fields.tmdb_id.is_some() && fields.tvdb_id.is_some() {
        return Err(AppError::BadRequest("give exactly one of tmdb_id or tvdb_id".into()));
    }
    series::edit(&state.db, id, &fields, None).await?;
    if fields.tvdb_id.is_some() {
        // Identification starts from the TVDB id the user chose, not from a TMDB id found before.
        series::forget_unlocked_tmdb_id(&state.db, id).await?;
    }
    let enqueued = state.queue.enqueue(crate::jobs::enrich::enrich_series_job(id)).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one, edit))
        .routes(routes!(lock, unlock))
        .routes(routes!(seasons))
        .routes(routes!(rescan))
        .routes(routes!(enrich))
        .routes(routes!(matches))
        .routes(routes!(identify))
        .routes(routes!(episode, edit_episode))
        .routes(routes!(lock_episode, unlock_episode))
}
