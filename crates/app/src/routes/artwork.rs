//! The artwork API: a movie's slots with their selected images and scored candidates, the
//! user's choice, uploads, blocks, and the picker's previews and headshots (always served by
//! Metarr: the browser never loads an image from a provider).

use crate::artwork::ArtworkError;
use crate::artwork::repo::{self, Candidate};
use crate::error::{ApiJson, ApiPath, AppError};
use crate::ids::MovieId;
use crate::routes::AppState;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metarr_artwork::Slot;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Serialize)]
pub struct CandidateView {
    #[serde(flatten)]
    pub candidate: Candidate,
    /// A small version for thumbnails, served by Metarr.
    pub preview: String,
    /// The full image in Metarr's cache, once downloaded.
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

/// One slot of a movie.
#[derive(Debug, Serialize)]
pub struct SlotView {
    pub slot: Slot,
    pub limit: u32,
    pub locked: bool,
    /// In order.
    pub selected: Vec<CandidateView>,
    /// Every candidate, best scored first (the selected ones included).
    pub candidates: Vec<CandidateView>,
}

/// `{ "movie_id": 1, "slots": [...] }`.
#[derive(Debug, Serialize)]
pub struct ArtworkView {
    pub movie_id: MovieId,
    pub slots: Vec<SlotView>,
}

/// Every slot of a movie with its candidates.
pub async fn view(state: &AppState, movie_id: MovieId) -> Result<ArtworkView, AppError> {
    let settings = state.artwork.movie_slots(movie_id).await?;
    let all = repo::list(&state.db, movie_id).await?;
    let slots = Slot::ALL
        .into_iter()
        .map(|slot| {
            let mut candidates: Vec<Candidate> = all.iter().filter(|c| c.slot == slot).cloned().collect();
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
    Ok(ArtworkView { movie_id, slots })
}

fn parse_slot(name: &str) -> Result<Slot, AppError> {
    Slot::parse(name).ok_or_else(|| {
        AppError::NotFound(format!(
            "no artwork slot {:?}; slots: {}",
            name.chars().take(40).collect::<String>(),
            Slot::ALL.map(Slot::as_str).join(", ")
        ))
    })
}

/// `GET /api/v1/movies/{id}/artwork`
pub async fn get_movie_artwork(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<Json<ArtworkView>, AppError> {
    Ok(Json(view(&state, id).await?))
}

/// `POST /api/v1/movies/{id}/artwork/refresh`: refreshes the candidates and fills the unlocked
/// slots (202 with the queued `select-artwork` job, or the one already queued).
pub async fn refresh(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<MovieId>,
) -> Result<(StatusCode, Json<metarr_queue::Job>), AppError> {
    state.artwork.movie_slots(id).await?;
    let enqueued = state.queue.enqueue(crate::jobs::artwork::select_job(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.job)))
}

/// `{ "candidate_ids": [3, 9] }`: the slot's images, in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub candidate_ids: Vec<i64>,
}

/// `PUT /api/v1/movies/{id}/artwork/{slot}`: selects these candidates, in order, and locks the
/// slot. Candidates not yet downloaded are downloaded and checked first.
pub async fn choose(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(MovieId, String)>,
    ApiJson(choice): ApiJson<Choice>,
) -> Result<Json<SlotView>, AppError> {
    let slot = parse_slot(&slot)?;
    state.artwork.choose(id, slot, &choice.candidate_ids).await?;
    slot_view(&state, id, slot).await
}

async fn slot_view(state: &AppState, id: MovieId, slot: Slot) -> Result<Json<SlotView>, AppError> {
    let view = view(state, id).await?;
    let found = view.slots.into_iter().find(|view| view.slot == slot);
    found.map(Json).ok_or_else(|| AppError::Internal(format!("slot {slot} missing from its movie's view")))
}

/// `POST /api/v1/movies/{id}/artwork/{slot}/upload`: a multipart form with one `file` part
/// (at most [`MAX_UPLOAD_BYTES`]); the image becomes the slot's first and the slot is locked.
pub async fn upload(
    State(state): State<AppState>,
    ApiPath((id, slot)): ApiPath<(MovieId, String)>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    let slot = parse_slot(&slot)?;
    let bytes = read_file_part(&mut multipart).await?;
    state.artwork.upload(id, slot, bytes).await?;
    Ok((StatusCode::CREATED, slot_view(&state, id, slot).await?))
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

/// `POST /api/v1/artwork-candidates/{id}/block`: never select it again; a selected one leaves
/// its slot, which is filled again unless locked.
pub async fn block(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<CandidateView>, AppError> {
    set_blocked(&state, id, true).await
}

/// `POST /api/v1/artwork-candidates/{id}/unblock`
pub async fn unblock(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CandidateView>, AppError> {
    set_blocked(&state, id, false).await
}

async fn set_blocked(state: &AppState, id: i64, blocked: bool) -> Result<Json<CandidateView>, AppError> {
    Ok(Json(CandidateView::of(state.artwork.set_blocked(id, blocked).await?)))
}

/// `GET /api/v1/artwork-candidates/{id}/preview`: at most 342 px wide.
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

/// `GET /api/v1/people/{tmdb_id}/image`: an actor's cached headshot.
pub async fn headshot(State(state): State<AppState>, ApiPath(person): ApiPath<i64>) -> Result<Response, AppError> {
    let cached = crate::artwork::headshots::cached(&state.db, &[person]).await?;
    let sha256 = cached.get(&person).ok_or_else(|| AppError::NotFound(format!("no headshot of person {person}")))?;
    Ok(axum::response::Redirect::to(&format!("/api/v1/assets/{sha256}")).into_response())
}

/// `PUT|DELETE /api/v1/movies/{id}/locks/artwork.{slot}`: a slot's lock; unlocking lets
/// selection fill the slot again.
pub async fn set_slot_lock(state: &AppState, id: MovieId, slot: &str, locked: bool) -> Result<Vec<String>, AppError> {
    let slot = Slot::parse(slot).ok_or_else(|| {
        AppError::BadRequest(format!(
            "artwork.{} cannot be locked; artwork slots: {}",
            slot.chars().take(40).collect::<String>(),
            Slot::ALL.map(Slot::as_str).join(", ")
        ))
    })?;
    Ok(state.artwork.set_slot_lock(id, slot, locked).await?)
}
