//! The movies API: list and search, detail, edit (which locks each edited field), lock toggles.
//!
//! A lock keeps the user's value from being overwritten by a later scan or enrichment; the
//! repository (`catalogue::movies`) applies it, these handlers only check what the client sent.

use crate::catalogue::movies::{self, Fields, MovieDetail, MovieField, MovieFilter, MovieSummary};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ids::MovieId;
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use metarr_queue::Job;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 500;

/// `{ "items": [...], "total": N }`: `total` counts every matching movie, not only this page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MovieList {
    pub items: Vec<MovieSummary>,
    /// Every matching movie, not only this page.
    pub total: i64,
}

/// `{ "locks": [...] }`: a movie's, a series' or an episode's locked fields after a lock change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Locks {
    /// The locked fields (`title`, …, and `artwork.<slot>` for an artwork slot).
    pub locks: Vec<String>,
}

/// Movies by title, a page at a time, optionally filtered.
#[utoipa::path(get, path = "/movies", tag = "movies", params(MovieFilter), responses((status = 200, body = MovieList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(filter): ApiQuery<MovieFilter>,
) -> Result<Json<MovieList>, AppError> {
    if let Some(limit) = filter.limit.filter(|limit| !(1..=MAX_LIMIT).contains(limit)) {
        return Err(AppError::BadRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}, got {limit}")));
    }
    if let Some(offset) = filter.offset.filter(|offset| *offset < 0) {
        return Err(AppError::BadRequest(format!("offset must not be negative, got {offset}")));
    }
    let (items, total) = movies::list(&state.db, &filter).await?;
    Ok(Json(MovieList { items, total }))
}

/// One movie with its metadata, files, streams and artwork.
///
/// The detail shape of docs/contracts.md, "Movie".
#[utoipa::path(
    get,
    path = "/movies/{id}",
    tag = "movies",
    params(("id" = MovieId, Path, description = "The movie")),
    responses((status = 200, body = MovieDetail))
)]
pub async fn get_one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<Json<MovieDetail>, AppError> {
    Ok(Json(movies::detail(&state.db, id).await?))
}

/// Sets some of a movie's fields, locking each one.
///
/// The body is a JSON object of the fields to set (null is refused: there is no clearing a
/// field); each one is locked so that scans and enrichment leave it alone. Answers the detail
/// as it is now.
#[utoipa::path(
    patch,
    path = "/movies/{id}",
    tag = "movies",
    params(("id" = MovieId, Path, description = "The movie")),
    request_body(
        content = Fields,
        description = "The fields to change, any of: title, original_title, sort_title, year, tmdb_id, imdb_id, \
            plot, outline, tagline, runtime, premiered, genres, certification, certifications, ratings, \
            user_rating, top250, uniqueids, studios, countries, tags, set, directors, writers, actors, trailer, \
            date_added; null is refused"
    ),
    responses((status = 200, description = "The movie as it is now", body = MovieDetail))
)]
pub async fn edit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<MovieDetail>, AppError> {
    let fields = parse_fields(body)?;
    let detail = movies::edit(&state.db, id, &fields).await?;
    state.events.publish("movie.updated", &detail.summary);
    Ok(Json(detail))
}

/// Locks one field of a movie, so that scans and enrichment leave its value alone.
#[utoipa::path(
    put,
    path = "/movies/{id}/locks/{field}",
    tag = "movies",
    params(
        ("id" = MovieId, Path, description = "The movie"),
        ("field" = String, Path, description = "A field name (`title`, `plot`, …) or `artwork.<slot>` (`artwork.poster`)"),
    ),
    responses((status = 200, description = "The movie's locked fields now", body = Locks))
)]
pub async fn lock(
    State(state): State<AppState>,
    ApiPath((id, field)): ApiPath<(MovieId, String)>,
) -> Result<Json<Locks>, AppError> {
    set_lock(&state, id, &field, true).await
}

/// Unlocks one field of a movie, so that scans and enrichment may replace its value again.
#[utoipa::path(
    delete,
    path = "/movies/{id}/locks/{field}",
    tag = "movies",
    params(
        ("id" = MovieId, Path, description = "The movie"),
        ("field" = String, Path, description = "A field name (`title`, `plot`, …) or `artwork.<slot>` (`artwork.poster`)"),
    ),
    responses((status = 200, description = "The movie's locked fields now", body = Locks))
)]
pub async fn unlock(
    State(state): State<AppState>,
    ApiPath((id, field)): ApiPath<(MovieId, String)>,
) -> Result<Json<Locks>, AppError> {
    set_lock(&state, id, &field, false).await
}

async fn set_lock(state: &AppState, id: MovieId, field: &str, locked: bool) -> Result<Json<Locks>, AppError> {
    let locks = match field.strip_prefix("artwork.") {
        Some(slot) => crate::routes::artwork::set_slot_lock(state, id, slot, locked).await?,
        None => movies::set_lock(&state.db, id, field, locked).await?,
    };
    Ok(Json(Locks { locks }))
}

pub use crate::limits::{MAX_GENRES, MAX_LONG_TEXT_CHARS, MAX_TEXT_CHARS};

/// Checks an edit field by field, so that every error names the field at fault (serde's own
/// message for a whole struct does not). The PATCH route and the web UI's field forms both
/// call it, so both refuse exactly the same values; the limits themselves are
/// [`Fields::check`]'s, which the NFO import fits to as well.
pub fn parse_fields(body: Map<String, Value>) -> Result<Fields, AppError> {
    for (name, value) in &body {
        if MovieField::parse(name).is_none() {
            return Err(AppError::BadRequest(format!(
                "unknown field {name:?}; editable fields: {}",
                MovieField::names()
            )));
        }
        // `Fields` reads a null as "not given", which would silently ignore the edit; the
        // repository has no way to clear a field yet, so say so instead.
        if value.is_null() {
            return Err(AppError::BadRequest(format!("{name}: null is not accepted; give a value")));
        }
        let single = Map::from_iter([(name.clone(), value.clone())]);
        serde_json::from_value::<Fields>(Value::Object(single))
            .map_err(|err| AppError::BadRequest(format!("{name}: {err}")))?;
    }
    let fields: Fields =
        serde_json::from_value(Value::Object(body)).map_err(|err| AppError::BadRequest(err.to_string()))?;
    fields.check()?;
    if let Some(imdb_id) = fields.imdb_id.as_deref().filter(|imdb_id| !metarr_nfo::is_imdb_id(imdb_id)) {
        return Err(AppError::BadRequest(format!("imdb_id {imdb_id:?} must look like \"tt0133093\"")));
    }
    Ok(fields)
}

/// Rescans the movie's folder now.
///
/// Answers the queued `scan-movie` job, or the one already queued for the folder; the movie's
/// scan joins the library's running scan, or makes a scan record of its own.
#[utoipa::path(
    post,
    path = "/movies/{id}/scan",
    tag = "movies",
    params(("id" = MovieId, Path, description = "The movie")),
    responses(
        (status = 202, description = "The `scan-movie` job, queued or already queued", body = Job),
        (status = 409, description = "The movie's library is disabled", body = ErrorBody),
    )
)]
pub async fn rescan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<(axum::http::StatusCode, Json<Job>), AppError> {
    let job = crate::jobs::webhook::rescan_movie(&state.db, id).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(job)))
}

/// Identifies the movie and fills it from the providers, in the background.
///
/// Answers the queued `enrich-metadata` job, or the one already queued for the movie.
#[utoipa::path(
    post,
    path = "/movies/{id}/enrich",
    tag = "movies",
    params(("id" = MovieId, Path, description = "The movie")),
    responses(
        (status = 202, description = "The `enrich-metadata` job, queued or already queued", body = Job),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
    )
)]
pub async fn enrich(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<(axum::http::StatusCode, Json<Job>), AppError> {
    require_tmdb(&state).await?;
    movies::detail(&state.db, id).await?;
    let enqueued = state.queue.enqueue(crate::jobs::enrich::enrich_job(id)).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(enqueued.job)))
}

pub(crate) async fn require_tmdb(state: &AppState) -> Result<(), AppError> {
    state.enrich.reload_if_stale().await?;
    if !state.enrich.tmdb_configured() {
        return Err(crate::enrich::EnrichError::NotConfigured { provider: metarr_providers::Provider::Tmdb }.into());
    }
    Ok(())
}

/// `?q=&year=` of the match search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchQuery {
    /// The title to search for; the movie's own (and its original title) when absent.
    pub q: Option<String>,
    /// The release year to search for, 1870 to 2100; the movie's own when absent.
    #[param(minimum = 1870, maximum = 2100)]
    pub year: Option<i32>,
}

/// `{ "items": [...], "total": N }`: search candidates, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchList {
    pub items: Vec<movies::MatchCandidate>,
    /// How many candidates `items` holds.
    pub total: usize,
}

/// TMDB's candidates for the movie, best first, with their confidence.
///
/// The search uses the movie's own title and year unless `q` and `year` say otherwise.
#[utoipa::path(
    get,
    path = "/movies/{id}/matches",
    tag = "movies",
    params(("id" = MovieId, Path, description = "The movie"), MatchQuery),
    responses(
        (status = 200, body = MatchList),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
        (status = 502, description = "TMDB failed or refused the search", body = ErrorBody),
    )
)]
pub async fn matches(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
    ApiQuery(query): ApiQuery<MatchQuery>,
) -> Result<Json<MatchList>, AppError> {
    require_tmdb(&state).await?;
    let detail = movies::detail(&state.db, id).await?;
    let title = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
    if let Some(title) = &title {
        crate::limits::TEXT.check("q", title).map_err(|err| AppError::BadRequest(err.to_string()))?;
    }
    if let Some(year) = query.year {
        crate::limits::check_range("year", i64::from(year), &crate::limits::YEARS).map_err(AppError::BadRequest)?;
    }
    let search = metarr_providers::MatchQuery {
        original_title: if title.is_some() { None } else { detail.original_title.clone() },
        title: title.unwrap_or_else(|| detail.summary.title.clone()),
        year: query.year.or_else(|| detail.summary.year.and_then(|year| i32::try_from(year).ok())),
    };
    let ranked = state.enrich.search(id, &search).await?;
    let mut items = crate::enrich::candidates_of(&ranked);
    items.truncate(metarr_providers::identify::MAX_CANDIDATES * 2);
    Ok(Json(MatchList { total: items.len(), items }))
}

/// `{ "tmdb_id": 603 }` or `{ "imdb_id": "tt0133093" }`: exactly one of the two.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifyInput {
    /// The film's TMDB id, a positive integer.
    #[schema(minimum = 1)]
    pub tmdb_id: Option<i64>,
    /// The film's IMDb id (`tt0133093`).
    #[schema(example = "tt0133093")]
    pub imdb_id: Option<String>,
}

/// Identifies the movie as the film the user picked, and enriches it from it at once.
///
/// The id given is locked. Answers the detail as it is after enrichment.
#[utoipa::path(
    post,
    path = "/movies/{id}/identify",
    tag = "movies",
    params(("id" = MovieId, Path, description = "The movie")),
    request_body = IdentifyInput,
    responses(
        (status = 200, description = "The movie, identified and enriched", body = MovieDetail),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
        (status = 502, description = "A provider failed or refused", body = ErrorBody),
    )
)]
pub async fn identify(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
    ApiJson(input): ApiJson<IdentifyInput>,
) -> Result<Json<MovieDetail>, AppError> {
    let pick = match (input.tmdb_id, input.imdb_id) {
        (Some(tmdb_id), None) if crate::limits::TMDB_IDS.contains(&tmdb_id) => crate::enrich::Pick::Tmdb(tmdb_id),
        (None, Some(imdb_id)) if metarr_nfo::is_imdb_id(&imdb_id) => crate::enrich::Pick::Imdb(imdb_id),
        (Some(tmdb_id), None) => {
            return Err(AppError::BadRequest(format!("tmdb_id must be a positive integer, got {tmdb_id}")));
        }
        (None, Some(imdb_id)) => {
            return Err(AppError::BadRequest(format!("imdb_id {imdb_id:?} must look like \"tt0133093\"")));
        }
        _ => return Err(AppError::BadRequest("give exactly one of tmdb_id and imdb_id".into())),
    };
    require_tmdb(&state).await?;
    movies::detail(&state.db, id).await?;
    state.enrich.enrich(id, Some(pick)).await?;
    Ok(Json(movies::detail(&state.db, id).await?))
}

/// `{ "library_id": 1 }` or `{ "movie_ids": [1, 2] }`: exactly one of the two.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEnrichInput {
    /// Every present movie of this library.
    pub library_id: Option<crate::ids::LibraryId>,
    /// These movies, 1 to 10,000 of them.
    pub movie_ids: Option<Vec<MovieId>>,
}

/// How many movies a bulk request may name one by one.
pub const MAX_BULK_IDS: usize = 10_000;

/// What a bulk enrichment queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkEnriched {
    /// Movies with a new job.
    pub queued: u64,
    /// Movies whose job was already queued.
    pub already_queued: u64,
}

/// Queues enrichment for a library's present movies, or for the movies given.
///
/// One `enrich-metadata` job per movie; each announces `movie.updated` when it is done.
#[utoipa::path(
    post,
    path = "/enrich",
    tag = "movies",
    request_body = BulkEnrichInput,
    responses(
        (status = 202, description = "How many movies were queued", body = BulkEnriched),
        (status = 404, description = "No such library, or a movie id names no movie", body = ErrorBody),
        (status = 409, description = "TMDB is not configured", body = ErrorBody),
    )
)]
pub async fn enrich_bulk(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<BulkEnrichInput>,
) -> Result<(axum::http::StatusCode, Json<BulkEnriched>), AppError> {
    let ids = match (input.library_id, input.movie_ids) {
        (Some(library_id), None) => {
            crate::catalogue::libraries::get(&state.db, library_id).await?;
            movies::present_ids(&state.db, library_id).await?
        }
        (None, Some(ids)) if ids.is_empty() => return Err(AppError::BadRequest("movie_ids is empty".into())),
        (None, Some(ids)) if ids.len() > MAX_BULK_IDS => {
            return Err(AppError::BadRequest(format!("movie_ids: {} given, at most {MAX_BULK_IDS}", ids.len())));
        }
        (None, Some(ids)) => {
            let known = movies::existing(&state.db, &ids).await?;
            if let Some(unknown) = ids.iter().find(|id| !known.contains(id)) {
                return Err(AppError::NotFound(format!("movie {unknown} not found")));
            }
            ids
        }
        _ => return Err(AppError::BadRequest("give exactly one of library_id and movie_ids".into())),
    };
    require_tmdb(&state).await?;
    let (queued, already_queued) =
        crate::jobs::enrich::enqueue_many(&state.db, &ids).await.map_err(crate::catalogue::CatalogueError::from)?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(BulkEnriched { queued, already_queued })))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_one, edit))
        .routes(routes!(lock, unlock))
        .routes(routes!(rescan))
        .routes(routes!(enrich))
        .routes(routes!(matches))
        .routes(routes!(identify))
        .routes(routes!(enrich_bulk))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn patch_bodies_name_the_field_at_fault() {
        let err = parse_fields(body(json!({ "title": "Heat", "colour": "red" }))).expect_err("unknown field");
        assert!(err.to_string().contains("\"colour\""), "{err}");
        let err = parse_fields(body(json!({ "year": "nineteen" }))).expect_err("wrong type");
        assert!(err.to_string().starts_with("year:"), "{err}");
        let err = parse_fields(body(json!({ "tagline": null }))).expect_err("null");
        assert!(err.to_string().starts_with("tagline:"), "{err}");
        let err = parse_fields(body(json!({ "imdb_id": "0133093" }))).expect_err("bad imdb id");
        assert!(err.to_string().contains("imdb_id"), "{err}");
        assert!(parse_fields(body(json!({ "tmdb_id": 0 }))).is_err());
        let err = parse_fields(body(json!({ "title": "x".repeat(MAX_TEXT_CHARS + 1) }))).expect_err("too long");
        assert!(err.to_string().starts_with("title is too long"), "{err}");
        assert!(parse_fields(body(json!({ "plot": "é".repeat(MAX_LONG_TEXT_CHARS) }))).is_ok(), "counts characters");
        assert!(parse_fields(body(json!({ "genres": vec!["Drama"; MAX_GENRES + 1] }))).is_err());
        let err = parse_fields(body(json!({ "year": -5 }))).expect_err("year out of range");
        assert_eq!(err.to_string(), "year must be from 1870 to 2100, got -5");
        assert!(parse_fields(body(json!({ "year": 99_999_999_999_999_i64 }))).is_err());
        assert!(parse_fields(body(json!({ "runtime": -1 }))).is_err());
        let err = parse_fields(body(json!({ "title": "A\0B" }))).expect_err("NUL");
        assert_eq!(err.to_string(), "title holds a NUL character (U+0000), which cannot be stored");
        let fields = parse_fields(body(json!({ "title": "Heat", "year": 1995, "genres": ["Crime"] }))).expect("valid");
        assert_eq!(fields.title.as_deref(), Some("Heat"));
        assert_eq!(fields.year, Some(1995));
        assert_eq!(fields.genres, Some(vec!["Crime".to_owned()]));
    }

    #[test]
    fn imdb_ids_are_tt_and_digits() {
        assert!(metarr_nfo::is_imdb_id("tt0133093"));
        assert!(!metarr_nfo::is_imdb_id("tt"));
        assert!(!metarr_nfo::is_imdb_id("nm0000206"));
        assert!(!metarr_nfo::is_imdb_id("tt01a"));
    }
}
