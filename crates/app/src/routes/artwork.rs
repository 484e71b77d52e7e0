//! The artwork API: a movie's, a series', a season's or an episode's slots with their selected
//! images and scored candidates, the user's choice, uploads, blocks, and the picker's previews
//! and headshots (always served by Metarr: the browser never loads an image from a provider).

use crate::artwork::repo::{self, Candidate};
use crate::artwork::{ArtOwner, ArtworkError};
use crate::error::{ApiJson, ApiMultipart, ApiPath, AppError, ErrorBody};
use crate::ids::{EpisodeId, MovieId, SeriesId};
use crate::routes::AppState;
use crate::routes::assets::Binary;
use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metarr_artwork::Slot;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest upload: 25 MiB, beyond any real poster or fanart.
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;

impl From<ArtworkError> for AppError {
    fn from(err: ArtworkError) -> Self {
        match err {
            ArtworkError::Image(err) => AppError::BadRequest(format!("not a usable image: {err}")),
            ArtworkError::Provider { .. } | ArtworkError::Incomplete(_) => {
                AppError::Upstream(metarr_errors::chain(&err))
            }
            ArtworkError::Catalogue(err) => err.into(),
            ArtworkError::Cache(_) => AppError::internal(&err),
        }
    }
}

/// A candidate with where to see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    #[serde(flatten)]
    pub candidate: Candidate,
    /// A small version for thumbnails, served by Metarr (`/api/v1/artwork-candidates/{id}/preview`).
    pub preview: String,
    /// The full image in Metarr's cache (`/api/v1/assets/{sha256}`), once downloaded; `null` before.
    pub image: Option<String>,
}

impl CandidateView {
    pub fn of(candidate: Candidate) -> CandidateView {
        CandidateView {
            preview: format!("/api/v1/artwork-candidates/{}/preview", candidate.id),
            image: candidate.sha256.as_ref().map(|sha256| format!("/api/v1/assets/{sha256}")),
            candidate,
        }
    }
}

/// One artwork slot of a movie, series, season or episode.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub slot: Slot,
    /// How many images the slot takes; 0 turns it off.
    pub limit: u32,
    /// Whether the user's choice is kept: selection does not change a locked slot.
    pub locked: bool,
    /// In order.
    pub selected: Vec<CandidateView>,
    /// Every candidate, best scored first (the selected ones included).
    pub candidates: Vec<CandidateView>,
}

/// `{ "movie_id": 1, "slots": [...] }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArtworkView {
    pub movie_id: MovieId,
    pub slots: Vec<SlotView>,
}

/// Every slot of a movie with its candidates.
pub async fn view(state: &AppState, movie_id: MovieId) -> Result<ArtworkView, AppError> {
    Ok(ArtworkView { movie_id, slots: slots_view(state, ArtOwner::Movie(movie_id)).await? })
}

/// Every slot of an owner with its candidates.
pub async fn slots_view(state: &AppState, owner: ArtOwner) -> Result<Vec<SlotView>, AppError> {
    let all = repo::list(&state.db, owner).await?;
    slots_of(state, owner, &all).await
}

/// The owner's slots from candidates already read (those of other owners are ignored).
async fn slots_of(state: &AppState, owner: ArtOwner, all: &[Candidate]) -> Result<Vec<SlotView>, AppError> {
    let settings = state.artwork.slots_of(owner).await?;
    let slots = owner
        .slots()
        .iter()
        .copied()
        .map(|slot| {
            let mut candidates: Vec<Candidate> =
                all.iter().filter(|c| c.slot == slot && c.owner == owner).cloned().collect();
            let mut selected: Vec<Candidate> = candidates.iter().filter(|c| c.position.is_some()).cloned().collect();
            selected.sort_by_key(|c| c.position);
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
            SlotView {
                slot,
                limit: settings.limits.get(slot),
                locked: settings.locked.contains(&slot),
                selected: selected.into_iter().map(CandidateView::of).collect(),
                candidates: candidates.into_iter().map(CandidateView::of).collect(),
            }
        })
        .collect();
    Ok(slots)
}

/// A slot of the owner, by name (404 naming the owner's slots otherwise).
fn parse_slot_of(owner: ArtOwner, name: &str) -> Result<Slot, AppError> {
    Slot::parse(name).filter(|slot| owner.has(*slot)).ok_or_else(|| {
        AppError::NotFound(format!(
            "no artwork slot {:?}; slots: {}",
            name.chars().take(40).collect::<String>(),
            crate::artwork::tv::slot_names(owner)
        ))
    })
}

/// A movie's artwork slots, each with its selected images and scored candidates.
#[utoipa::path(
    get,
    path = "/movies/{id}/artwork",
    tag = "artwork",
    params(("id" = MovieId, Path, description = "The movie")),
    responses((status = 200, body = ArtworkView))
)]
pub async fn get_movie_artwork(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<Json<ArtworkView>, AppError> {
    Ok(Json(view(&state, id).await?))
}

/// Queues a refresh of a movie's candidates that then fills its unlocked slots.
///
/// Answers 202 with the queued `select-artwork` job, or the one already queued.
#[utoipa::path(
    post,
    path = "/movies/{id}/artwork/refresh",
    tag = "artwork",
    params(("id" = MovieId, Path, description = "The movie")),
    responses((status = 202, description = "The `select-artwork` job, queued or already queued", body = metarr_queue::Job))
)]
pub async fn refresh(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<(StatusCode, Json<metarr_queue::Job>), AppError> {
    state.artwork.movie_slots(id).await?;
    let enqueued = state.queue.enqueue(crate::jobs::artwork::select_job(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// `{ "candidate_ids": [3, 9] }`: the slot's images, in order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Candidates of this owner and slot, each once, at most the slot's limit; `[]` empties the
    /// slot.
    pub candidate_ids: Vec<i64>,
}

/// Selects these candidates for a movie's slot, in order, and locks the slot.
///
/// Candidates not yet downloaded are downloaded and checked first.
#[utoipa::path(
    put,
    path = "/movies/{id}/artwork/{slot}",
    tag = "artwork",
    params(("id" = MovieId, Path, description = "The movie"), ("slot" = Slot, Path, description = "One of the movie's slots")),
    request_body = Choice,
    responses(ChoiceAnswers)
)]
pub async fn choose(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(MovieId, String)>,
    ApiJson(choice): ApiJson<Choice>,
) -> Result<Json<SlotView>, AppError> {
    let owner = ArtOwner::Movie(id);
    let slot = parse_slot_of(owner, &slot)?;
    state.artwork.choose(owner, slot, &choice.candidate_ids).await?;
    slot_view(&state, owner, slot).await
}

async fn slot_view(state: &AppState, owner: ArtOwner, slot: Slot) -> Result<Json<SlotView>, AppError> {
    let views = slots_view(state, owner).await?;
    let found = views.into_iter().find(|view| view.slot == slot);
    found.map(Json).ok_or_else(|| AppError::Internal(format!("slot {slot} missing from the view of {owner}")))
}

/// Uploads an image into a movie's slot: it becomes the slot's first and the slot is locked.
///
/// A multipart form with one `file` part of at most 25 MiB.
#[utoipa::path(
    post,
    path = "/movies/{id}/artwork/{slot}/upload",
    tag = "artwork",
    params(("id" = MovieId, Path, description = "The movie"), ("slot" = Slot, Path, description = "One of the movie's slots")),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses(UploadAnswers)
)]
pub async fn upload(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(MovieId, String)>,
    ApiMultipart(mut multipart): ApiMultipart,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    let owner = ArtOwner::Movie(id);
    let slot = parse_slot_of(owner, &slot)?;
    let bytes = read_file_part(&mut multipart).await?;
    state.artwork.upload(owner, slot, bytes).await?;
    Ok((StatusCode::CREATED, slot_view(&state, owner, slot).await?))
}

/// The answers of every owner's upload route, described once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Describes the answers in the OpenAPI document only.
enum UploadAnswers {
    /// The slot, with the image first, locked
    #[response(status = 201)]
    Uploaded(SlotView),
    /// No `file` part, an unreadable form, not a usable image, or a body that is not `multipart/form-data`
    #[response(status = 400)]
    Refused(ErrorBody),
    /// The file is larger than 25 MiB
    #[response(status = 413)]
    TooLarge(ErrorBody),
}

/// The answers of every owner's choice route, described once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Describes the answers in the OpenAPI document only.
enum ChoiceAnswers {
    /// The slot, with its new selection, locked
    #[response(status = 200)]
    Chosen(SlotView),
    /// A candidate is not of this slot, is blocked or unusable, or is chosen twice
    #[response(status = 400)]
    Refused(ErrorBody),
    /// A candidate could not be downloaded from its provider
    #[response(status = 502)]
    ProviderFailed(ErrorBody),
}

/// An upload form: the image in a part named `file`; other parts are ignored.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form in the OpenAPI document only; the handlers read the parts.
pub struct UploadForm {
    /// The image (JPEG, PNG, WebP…), at most 25 MiB.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// The `file` part of an upload form, within [`MAX_UPLOAD_BYTES`].
pub async fn read_file_part(multipart: &mut Multipart) -> Result<Vec<u8>, AppError> {
    let too_large = || AppError::PayloadTooLarge(format!("an upload may hold at most {} MiB", MAX_UPLOAD_BYTES >> 20));
    loop {
        let field = multipart.next_field().await.map_err(|err| multipart_error(&err, too_large))?;
        let Some(mut field) = field else {
            return Err(AppError::BadRequest("the form has no \"file\" part".to_owned()));
        };
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|err| multipart_error(&err, too_large))? {
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
}

fn multipart_error(err: &axum::extract::multipart::MultipartError, too_large: impl Fn() -> AppError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::BadRequest(format!("the upload form cannot be read: {}", err.body_text()))
    }
}

/// Blocks a candidate: it is never selected again.
///
/// A selected candidate leaves its slot, which is filled again unless locked.
#[utoipa::path(
    post,
    path = "/artwork-candidates/{id}/block",
    tag = "artwork",
    params(("id" = i64, Path, description = "The candidate")),
    responses((status = 200, description = "The candidate, blocked", body = CandidateView))
)]
pub async fn block(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<CandidateView>, AppError> {
    set_blocked(&state, id, true).await
}

/// Unblocks a candidate, so that selection may choose it again.
#[utoipa::path(
    post,
    path = "/artwork-candidates/{id}/unblock",
    tag = "artwork",
    params(("id" = i64, Path, description = "The candidate")),
    responses((status = 200, description = "The candidate, unblocked", body = CandidateView))
)]
pub async fn unblock(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CandidateView>, AppError> {
    set_blocked(&state, id, false).await
}

async fn set_blocked(state: &AppState, id: i64, blocked: bool) -> Result<Json<CandidateView>, AppError> {
    Ok(Json(CandidateView::of(state.artwork.set_blocked(id, blocked).await?)))
}

/// A small version of a candidate's image (at most 342 px wide), for the picker.
///
/// Always served by Metarr, which fetches provider images itself and keeps the preview.
#[utoipa::path(
    get,
    path = "/artwork-candidates/{id}/preview",
    tag = "artwork",
    params(("id" = i64, Path, description = "The candidate")),
    responses(
        (status = 200, description = "The preview",
            content((Binary = "image/jpeg"), (Binary = "image/png")),
            headers(("Cache-Control" = String, description = "`private, max-age=86400`"))),
        (status = 404, description = "No such candidate, or it has no image (any more)", body = ErrorBody),
        (status = 502, description = "The provider failed to send the image", body = ErrorBody),
    )
)]
pub async fn preview(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Response, AppError> {
    let candidate = repo::get(&state.db, id).await?;
    let (bytes, content_type) = state.artwork.preview(&candidate).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400")),
        ],
        bytes,
    )
        .into_response())
}

/// An actor's cached headshot: a redirect to the asset.
#[utoipa::path(
    get,
    path = "/people/{id}/image",
    tag = "artwork",
    params(("id" = i64, Path, description = "The person's TMDB id")),
    responses(
        (status = 303, description = "The headshot is cached: the answer is a redirect to `/api/v1/assets/{sha256}`",
            headers(("Location" = String, description = "The asset's URL"))),
        (status = 200, description = "Not answered by this route itself: what a client that follows the redirect \
            receives, the headshot's bytes (as `GET /assets/{sha256}`)",
            content((Binary = "image/jpeg"), (Binary = "image/png"), (Binary = "image/webp"))),
        (status = 404, description = "No headshot of this person is cached", body = ErrorBody),
    )
)]
pub async fn headshot(State(state): State<AppState>, ApiPath(person): ApiPath<i64>) -> Result<Response, AppError> {
    let cached = crate::artwork::headshots::cached(&state.db, &[person]).await?;
    let sha256 = cached.get(&person).ok_or_else(|| AppError::NotFound(format!("no headshot of person {person}")))?;
    Ok(axum::response::Redirect::to(&format!("/api/v1/assets/{sha256}")).into_response())
}

/// `PUT|DELETE /api/v1/movies/{id}/locks/artwork.{slot}`: a slot's lock; unlocking lets
/// selection fill the slot again.
pub async fn set_slot_lock(state: &AppState, id: MovieId, slot: &str, locked: bool) -> Result<Vec<String>, AppError> {
    set_owner_slot_lock(state, ArtOwner::Movie(id), slot, locked).await
}

/// A slot's lock of any owner (`artwork.<slot>` in its lock routes).
pub async fn set_owner_slot_lock(
    state: &AppState,
    owner: ArtOwner,
    slot: &str,
    locked: bool,
) -> Result<Vec<String>, AppError> {
    let slot = Slot::parse(slot).filter(|slot| owner.has(*slot)).ok_or_else(|| {
        AppError::BadRequest(format!(
            "artwork.{} cannot be locked; artwork slots: {}",
            slot.chars().take(40).collect::<String>(),
            crate::artwork::tv::slot_names(owner)
        ))
    })?;
    Ok(state.artwork.set_slot_lock(owner, slot, locked).await?)
}

/// One season's slots.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeasonArtwork {
    /// The season's number; 0 for specials.
    pub season: i64,
    pub slots: Vec<SlotView>,
}

/// `{ "series_id": 1, "slots": [...], "seasons": [{ "season": 1, "slots": [...] }] }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesArtworkView {
    pub series_id: SeriesId,
    /// The series' own slots.
    pub slots: Vec<SlotView>,
    /// The seasons with an episode on disk, a season file, or any candidate.
    pub seasons: Vec<SeasonArtwork>,
}

/// `{ "episode_id": 5, "series_id": 1, "slots": [...] }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EpisodeArtworkView {
    pub episode_id: EpisodeId,
    pub series_id: SeriesId,
    pub slots: Vec<SlotView>,
}

/// A series' and its seasons' slots: the seasons with something on disk or any candidate.
pub async fn series_view(state: &AppState, series_id: SeriesId) -> Result<SeriesArtworkView, AppError> {
    let all = repo::list_of_series(&state.db, series_id).await?;
    let slots = slots_of(state, ArtOwner::Series(series_id), &all).await?;
    let seasons_on_disk: Vec<(i64,)> = state
        .db
        .fetch_all(
            "SELECT DISTINCT season FROM episodes WHERE series_id = $1 AND video IS NOT NULL AND season IS NOT NULL \
             UNION SELECT DISTINCT season FROM series_files WHERE series_id = $1 AND scope = 'season' \
             AND season IS NOT NULL",
            &[series_id.into()],
        )
        .await
        .map_err(crate::catalogue::CatalogueError::from)?;
    let mut numbers: std::collections::BTreeSet<i64> = seasons_on_disk.into_iter().map(|(n,)| n).collect();
    numbers.extend(all.iter().filter_map(|c| c.season));
    let mut seasons = Vec::with_capacity(numbers.len());
    for number in numbers {
        let owner = ArtOwner::Season(series_id, number);
        seasons.push(SeasonArtwork { season: number, slots: slots_of(state, owner, &all).await? });
    }
    Ok(SeriesArtworkView { series_id, slots, seasons })
}

/// The owner of an episode's artwork (404 for an unknown episode).
pub async fn episode_owner(state: &AppState, episode_id: EpisodeId) -> Result<ArtOwner, AppError> {
    let row: Option<(SeriesId,)> = state
        .db
        .fetch_optional("SELECT series_id FROM episodes WHERE id = $1", &[episode_id.into()])
        .await
        .map_err(crate::catalogue::CatalogueError::from)?;
    let (series_id,) = row.ok_or_else(|| AppError::NotFound(format!("episode {episode_id} not found")))?;
    Ok(ArtOwner::Episode { series_id, episode_id })
}

/// The owner of a season's artwork: the series must exist; the number is 0 (specials) to 999.
fn season_owner(series_id: SeriesId, number: i64) -> Result<ArtOwner, AppError> {
    if !(0..=999).contains(&number) {
        return Err(AppError::NotFound(format!("no season {number}: seasons are numbered 0 (specials) to 999")));
    }
    Ok(ArtOwner::Season(series_id, number))
}

/// A series' artwork slots and its seasons', each with selected images and scored candidates.
#[utoipa::path(
    get,
    path = "/series/{id}/artwork",
    tag = "artwork",
    params(("id" = SeriesId, Path, description = "The series")),
    responses((status = 200, body = SeriesArtworkView))
)]
pub async fn get_series_artwork(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<Json<SeriesArtworkView>, AppError> {
    state.artwork.slots_of(ArtOwner::Series(id)).await?;
    Ok(Json(series_view(&state, id).await?))
}

/// Queues a refresh of a series' candidates (its seasons' and episodes' too) that then fills
/// their unlocked slots.
///
/// Answers 202 with the queued `select-series-artwork` job, or the one already queued.
#[utoipa::path(
    post,
    path = "/series/{id}/artwork/refresh",
    tag = "artwork",
    params(("id" = SeriesId, Path, description = "The series")),
    responses((status = 202, description = "The `select-series-artwork` job, queued or already queued", body = metarr_queue::Job))
)]
pub async fn refresh_series(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SeriesId>,
) -> Result<(StatusCode, Json<metarr_queue::Job>), AppError> {
    state.artwork.slots_of(ArtOwner::Series(id)).await?;
    let enqueued = state.queue.enqueue(crate::jobs::artwork::series_select_job(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// Selects these candidates for a series' slot, in order, and locks the slot.
///
/// Candidates not yet downloaded are downloaded and checked first.
#[utoipa::path(
    put,
    path = "/series/{id}/artwork/{slot}",
    tag = "artwork",
    params(("id" = SeriesId, Path, description = "The series"), ("slot" = Slot, Path, description = "One of a series' slots")),
    request_body = Choice,
    responses(ChoiceAnswers)
)]
pub async fn choose_series(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(SeriesId, String)>,
    ApiJson(choice): ApiJson<Choice>,
) -> Result<Json<SlotView>, AppError> {
    choose_for(&state, ArtOwner::Series(id), &slot, &choice).await
}

/// Selects these candidates for a season's slot, in order, and locks the slot.
///
/// Candidates not yet downloaded are downloaded and checked first.
#[utoipa::path(
    put,
    path = "/series/{id}/seasons/{number}/artwork/{slot}",
    tag = "artwork",
    params(
        ("id" = SeriesId, Path, description = "The series"),
        ("number" = i64, Path, description = "The season's number: 0 (specials) to 999", minimum = 0, maximum = 999),
        ("slot" = Slot, Path, description = "One of a season's slots"),
    ),
    request_body = Choice,
    responses(ChoiceAnswers)
)]
pub async fn choose_season(
    State(state): State<AppState>,
    ApiPath((id, number, slot)): ApiPath<(SeriesId, i64, String)>,
    ApiJson(choice): ApiJson<Choice>,
) -> Result<Json<SlotView>, AppError> {
    choose_for(&state, season_owner(id, number)?, &slot, &choice).await
}

/// Selects these candidates for an episode's slot, in order, and locks the slot.
///
/// Candidates not yet downloaded are downloaded and checked first.
#[utoipa::path(
    put,
    path = "/episodes/{id}/artwork/{slot}",
    tag = "artwork",
    params(("id" = EpisodeId, Path, description = "The episode"), ("slot" = Slot, Path, description = "One of an episode's slots")),
    request_body = Choice,
    responses(ChoiceAnswers)
)]
pub async fn choose_episode(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(EpisodeId, String)>,
    ApiJson(choice): ApiJson<Choice>,
) -> Result<Json<SlotView>, AppError> {
    let owner = episode_owner(&state, id).await?;
    choose_for(&state, owner, &slot, &choice).await
}

async fn choose_for(
    state: &AppState,
    owner: ArtOwner,
    slot: &str,
    choice: &Choice,
) -> Result<Json<SlotView>, AppError> {
    state.artwork.slots_of(owner).await?;
    let slot = parse_slot_of(owner, slot)?;
    state.artwork.choose(owner, slot, &choice.candidate_ids).await?;
    slot_view(state, owner, slot).await
}

/// Uploads an image into a series' slot: it becomes the slot's first and the slot is locked.
///
/// A multipart form with one `file` part of at most 25 MiB.
#[utoipa::path(
    post,
    path = "/series/{id}/artwork/{slot}/upload",
    tag = "artwork",
    params(("id" = SeriesId, Path, description = "The series"), ("slot" = Slot, Path, description = "One of a series' slots")),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses(UploadAnswers)
)]
pub async fn upload_series(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(SeriesId, String)>,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    upload_for(&state, ArtOwner::Series(id), &slot, multipart).await
}

/// Uploads an image into a season's slot: it becomes the slot's first and the slot is locked.
///
/// A multipart form with one `file` part of at most 25 MiB.
#[utoipa::path(
    post,
    path = "/series/{id}/seasons/{number}/artwork/{slot}/upload",
    tag = "artwork",
    params(
        ("id" = SeriesId, Path, description = "The series"),
        ("number" = i64, Path, description = "The season's number: 0 (specials) to 999", minimum = 0, maximum = 999),
        ("slot" = Slot, Path, description = "One of a season's slots"),
    ),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses(UploadAnswers)
)]
pub async fn upload_season(
    State(state): State<AppState>,
    ApiPath((id, number, slot)): ApiPath<(SeriesId, i64, String)>,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    upload_for(&state, season_owner(id, number)?, &slot, multipart).await
}

/// Uploads an image into an episode's slot: it becomes the slot's first and the slot is locked.
///
/// A multipart form with one `file` part of at most 25 MiB.
#[utoipa::path(
    post,
    path = "/episodes/{id}/artwork/{slot}/upload",
    tag = "artwork",
    params(("id" = EpisodeId, Path, description = "The episode"), ("slot" = Slot, Path, description = "One of an episode's slots")),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses(UploadAnswers)
)]
pub async fn upload_episode(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(EpisodeId, String)>,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    let owner = episode_owner(&state, id).await?;
    upload_for(&state, owner, &slot, multipart).await
}

async fn upload_for(
    state: &AppState,
    owner: ArtOwner,
    slot: &str,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    state.artwork.slots_of(owner).await?;
    let slot = parse_slot_of(owner, slot)?;
    let bytes = read_file_part(&mut multipart).await?;
    state.artwork.upload(owner, slot, bytes).await?;
    Ok((StatusCode::CREATED, slot_view(state, owner, slot).await?))
}

/// An episode's artwork slots, each with its selected images and scored candidates.
#[utoipa::path(
    get,
    path = "/episodes/{id}/artwork",
    tag = "artwork",
    params(("id" = EpisodeId, Path, description = "The episode")),
    responses((status = 200, body = EpisodeArtworkView))
)]
pub async fn get_episode_artwork(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<EpisodeId>,
) -> Result<Json<EpisodeArtworkView>, AppError> {
    let owner = episode_owner(&state, id).await?;
    let series_id = owner.series_id().ok_or_else(|| AppError::Internal("an episode without its series".to_owned()))?;
    Ok(Json(EpisodeArtworkView { episode_id: id, series_id, slots: slots_view(&state, owner).await? }))
}

/// A season's locks after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeasonLocks {
    pub series_id: SeriesId,
    pub season: i64,
    /// The season's locked fields (`artwork.poster`, …).
    pub locks: Vec<String>,
}

/// Locks a season's artwork slot: selection no longer changes it.
#[utoipa::path(
    put,
    path = "/series/{id}/seasons/{number}/locks/{field}",
    tag = "artwork",
    params(
        ("id" = SeriesId, Path, description = "The series"),
        ("number" = i64, Path, description = "The season's number: 0 (specials) to 999", minimum = 0, maximum = 999),
        ("field" = String, Path, description = "`artwork.<slot>`, one of a season's slots (`artwork.poster`)"),
    ),
    responses(
        (status = 200, description = "The season's locks", body = SeasonLocks),
        (status = 400, description = "The field is not one of the season's artwork slots", body = ErrorBody),
    )
)]
pub async fn lock_season(
    State(state): State<AppState>,
    ApiPath((id, number, field)): ApiPath<(SeriesId, i64, String)>,
) -> Result<Json<SeasonLocks>, AppError> {
    season_lock(&state, id, number, &field, true).await
}

/// Unlocks a season's artwork slot; a selection is queued that fills it again.
#[utoipa::path(
    delete,
    path = "/series/{id}/seasons/{number}/locks/{field}",
    tag = "artwork",
    params(
        ("id" = SeriesId, Path, description = "The series"),
        ("number" = i64, Path, description = "The season's number: 0 (specials) to 999", minimum = 0, maximum = 999),
        ("field" = String, Path, description = "`artwork.<slot>`, one of a season's slots (`artwork.poster`)"),
    ),
    responses(
        (status = 200, description = "The season's locks", body = SeasonLocks),
        (status = 400, description = "The field is not one of the season's artwork slots", body = ErrorBody),
    )
)]
pub async fn unlock_season(
    State(state): State<AppState>,
    ApiPath((id, number, field)): ApiPath<(SeriesId, i64, String)>,
) -> Result<Json<SeasonLocks>, AppError> {
    season_lock(&state, id, number, &field, false).await
}

async fn season_lock(
    state: &AppState,
    id: SeriesId,
    number: i64,
    field: &str,
    locked: bool,
) -> Result<Json<SeasonLocks>, AppError> {
    let owner = season_owner(id, number)?;
    state.artwork.slots_of(owner).await?;
    let Some(slot) = field.strip_prefix("artwork.") else {
        return Err(AppError::BadRequest(format!(
            "{:?} cannot be locked; a season's locks are its artwork slots: {}",
            field.chars().take(40).collect::<String>(),
            crate::artwork::tv::slot_names(owner)
                .split(", ")
                .map(|slot| format!("artwork.{slot}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let locks = set_owner_slot_lock(state, owner, slot, locked).await?;
    Ok(Json(SeasonLocks { series_id: id, season: number, locks }))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    // An upload's body is the file and the form around it.
    let upload_limit = || DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024);
    let (schemas, paths, upload_series) = routes!(upload_series);
    let upload_series = (schemas, paths, upload_series.layer(upload_limit()));
    let (schemas, paths, upload_season) = routes!(upload_season);
    let upload_season = (schemas, paths, upload_season.layer(upload_limit()));
    let (schemas, paths, upload_episode) = routes!(upload_episode);
    let upload_episode = (schemas, paths, upload_episode.layer(upload_limit()));
    let (schemas, paths, upload) = routes!(upload);
    let upload = (schemas, paths, upload.layer(upload_limit()));
    OpenApiRouter::new()
        .routes(routes!(get_series_artwork))
        .routes(routes!(refresh_series))
        .routes(routes!(choose_series))
        .routes(upload_series)
        .routes(routes!(choose_season))
        .routes(upload_season)
        .routes(routes!(lock_season, unlock_season))
        .routes(routes!(get_episode_artwork))
        .routes(routes!(choose_episode))
        .routes(upload_episode)
        .routes(routes!(get_movie_artwork))
        .routes(routes!(refresh))
        .routes(routes!(choose))
        .routes(upload)
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(preview))
        .routes(routes!(headshot))
}
