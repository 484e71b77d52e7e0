//! The artwork picker: one page per slot with every candidate as a thumbnail (score, size,
//! language, source), and forms to select, block, upload and lock. Thumbnails are previews
//! that Metarr makes and serves: the browser never loads an image from a provider.

use super::{Ui, UiError, render_with, see_other};
use crate::artwork::ArtOwner;
use crate::artwork::repo::{self, Candidate};
use crate::error::AppError;
use crate::ids::MovieId;
use crate::routes::AppState;
use crate::routes::artwork::{CandidateView, SlotView};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metarr_artwork::Slot;
use serde::Deserialize;

/// The picker's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/movies/{id}/artwork/{slot}", get(picker))
        .route("/movies/{id}/artwork/{slot}/select", post(select))
        .route(
            "/movies/{id}/artwork/{slot}/upload",
            post(upload).layer(DefaultBodyLimit::max(crate::routes::artwork::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/movies/{id}/artwork/{slot}/lock", post(lock))
        .route("/movies/{id}/artwork/{slot}/unlock", post(unlock))
        .route("/artwork-candidates/{id}/block", post(block))
        .route("/artwork-candidates/{id}/unblock", post(unblock))
        .route("/artwork-previews/{id}", get(preview))
        .route("/people/{id}/image", get(headshot))
}

impl From<crate::artwork::ArtworkError> for UiError {
    fn from(err: crate::artwork::ArtworkError) -> UiError {
        AppError::from(err).into()
    }
}

fn slot_of(name: &str) -> Result<Slot, UiError> {
    Slot::parse(name)
        .ok_or_else(|| UiError::NotFound(format!("no artwork slot {:?}", name.chars().take(40).collect::<String>())))
}

/// One candidate as the picker shows it.
pub struct Tile {
    pub id: i64,
    pub score: String,
    pub size: String,
    pub language: String,
    pub source: &'static str,
    /// `selected 1`, `blocked`, `not usable: …`, `repeats #12`, or empty.
    pub state: String,
    pub state_class: &'static str,
    pub selected: bool,
    pub blocked: bool,
    pub usable: bool,
}

impl Tile {
    fn of(view: &CandidateView) -> Tile {
        let candidate: &Candidate = &view.candidate;
        let (state, state_class) = if let Some(position) = candidate.position {
            (format!("selected {}", position + 1), "ok")
        } else if candidate.blocked {
            ("blocked".to_owned(), "missing")
        } else if let Some(reason) = &candidate.rejected {
            (format!("not usable: {reason}"), "missing")
        } else if let Some(of) = candidate.duplicate_of {
            (format!("repeats #{of}"), "muted")
        } else {
            (String::new(), "")
        };
        Tile {
            id: candidate.id,
            score: format!("{:.1}", candidate.score),
            size: match (candidate.width, candidate.height) {
                (Some(width), Some(height)) => format!("{width}×{height}"),
                _ => "size unknown".to_owned(),
            },
            language: match candidate.language.as_deref() {
                None => "language unknown".to_owned(),
                Some("xx") => "textless".to_owned(),
                Some(code) => code.to_owned(),
            },
            source: candidate.source.as_str(),
            state,
            state_class,
            selected: candidate.position.is_some(),
            blocked: candidate.blocked,
            usable: candidate.rejected.is_none(),
        }
    }
}

#[derive(Template)]
#[template(path = "movie_artwork.html")]
struct PickerPage {
    ui: Ui,
    movie_id: MovieId,
    title: String,
    slot: &'static str,
    limit: u32,
    locked: bool,
    selected: Vec<Tile>,
    tiles: Vec<Tile>,
    error: Option<String>,
}

async fn picker_page(
    state: &AppState,
    ui: Ui,
    id: MovieId,
    slot: Slot,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let detail = crate::catalogue::movies::detail(&state.db, id).await?;
    let view = crate::routes::artwork::view(state, id).await?;
    let SlotView { limit, locked, selected, candidates, .. } = view
        .slots
        .into_iter()
        .find(|view| view.slot == slot)
        .ok_or_else(|| UiError::Internal(format!("slot {slot} missing from its movie's view")))?;
    let page = PickerPage {
        ui: ui.at("movies"),
        movie_id: id,
        title: detail.summary.title,
        slot: slot.as_str(),
        limit,
        locked,
        selected: selected.iter().map(Tile::of).collect(),
        tiles: candidates.iter().map(Tile::of).collect(),
        error,
    };
    Ok(render_with(status, &page))
}

/// `GET /movies/{id}/artwork/{slot}`
pub async fn picker(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (id, slot) = (super::movies::movie_id(&id)?, slot_of(&slot)?);
    picker_page(&state, ui, id, slot, None, StatusCode::OK).await
}

/// The picker again after an action that failed on the user's input.
async fn refused(state: &AppState, ui: Ui, id: MovieId, slot: Slot, err: UiError) -> Result<Response, UiError> {
    match err {
        UiError::BadRequest(message) | UiError::Conflict(message) | UiError::Upstream(message) => {
            picker_page(state, ui, id, slot, Some(message), StatusCode::BAD_REQUEST).await
        }
        other => Err(other),
    }
}

fn back(id: MovieId, slot: Slot) -> Response {
    see_other(&format!("/movies/{id}/artwork/{}", slot.as_str()))
}

/// The candidate chosen in the picker.
#[derive(Debug, Deserialize)]
pub struct SelectForm {
    pub candidate: i64,
}

/// `POST /movies/{id}/artwork/{slot}/select`: the candidate becomes the slot's first (the
/// others stay after it up to the limit), and the slot is locked.
pub async fn select(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot)): Path<(String, String)>,
    Form(form): Form<SelectForm>,
) -> Result<Response, UiError> {
    let (id, slot) = (super::movies::movie_id(&id)?, slot_of(&slot)?);
    let settings = state.artwork.movie_slots(id).await?;
    let current: Vec<i64> = {
        let mut selected: Vec<Candidate> = repo::list(&state.db, ArtOwner::Movie(id))
            .await?
            .into_iter()
            .filter(|c| c.slot == slot && c.position.is_some())
            .collect();
        selected.sort_by_key(|c| c.position);
        selected.into_iter().map(|c| c.id).collect()
    };
    let limit = usize::try_from(settings.limits.get(slot).max(1)).unwrap_or(1);
    let ids: Vec<i64> = std::iter::once(form.candidate)
        .chain(current.into_iter().filter(|other| *other != form.candidate))
        .take(limit)
        .collect();
    match state.artwork.choose(ArtOwner::Movie(id), slot, &ids).await {
        Ok(()) => Ok(back(id, slot)),
        Err(err) => refused(&state, ui, id, slot, err.into()).await,
    }
}

/// `POST /movies/{id}/artwork/{slot}/upload?csrf=…`: a multipart form with one `file`.
pub async fn upload(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let (id, slot) = (super::movies::movie_id(&id)?, slot_of(&slot)?);
    let uploaded = async {
        let bytes = crate::routes::artwork::read_file_part(&mut multipart).await?;
        state.artwork.upload(ArtOwner::Movie(id), slot, bytes).await.map_err(AppError::from)
    };
    match uploaded.await {
        Ok(_) => Ok(back(id, slot)),
        Err(err) => refused(&state, ui, id, slot, err.into()).await,
    }
}

/// `POST /movies/{id}/artwork/{slot}/lock`
pub async fn lock(
    State(state): State<AppState>,
    Path((id, slot)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_lock(&state, &id, &slot, true).await
}

/// `POST /movies/{id}/artwork/{slot}/unlock`: selection may change the slot again.
pub async fn unlock(
    State(state): State<AppState>,
    Path((id, slot)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_lock(&state, &id, &slot, false).await
}

async fn set_lock(state: &AppState, id: &str, slot: &str, locked: bool) -> Result<Response, UiError> {
    let id = super::movies::movie_id(id)?;
    let slot = slot_of(slot)?;
    crate::routes::artwork::set_slot_lock(state, id, slot.as_str(), locked).await?;
    Ok(back(id, slot))
}

/// `POST /artwork-candidates/{id}/block`
pub async fn block(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, UiError> {
    set_blocked(&state, id, true).await
}

/// `POST /artwork-candidates/{id}/unblock`
pub async fn unblock(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, UiError> {
    set_blocked(&state, id, false).await
}

async fn set_blocked(state: &AppState, id: i64, blocked: bool) -> Result<Response, UiError> {
    let candidate = state.artwork.set_blocked(id, blocked).await?;
    Ok(match candidate.owner {
        ArtOwner::Movie(movie_id) => back(movie_id, candidate.slot),
        ArtOwner::Episode { episode_id, .. } => see_other(&format!("/episodes/{episode_id}")),
        ArtOwner::Series(series_id) | ArtOwner::Season(series_id, _) => see_other(&format!("/series/{series_id}")),
    })
}

/// `GET /artwork-previews/{id}`: a candidate's preview.
pub async fn preview(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, UiError> {
    let candidate = repo::get(&state.db, id).await?;
    let (bytes, content_type) = state.artwork.preview(&candidate).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /people/{id}/image`: an actor's cached headshot.
pub async fn headshot(State(state): State<AppState>, Path(person): Path<i64>) -> Result<Response, UiError> {
    let cached = crate::artwork::headshots::cached(&state.db, &[person]).await?;
    let sha256 = cached.get(&person).ok_or_else(|| UiError::NotFound(format!("no headshot of person {person}")))?;
    Ok(axum::response::Redirect::to(&format!("/artwork/{sha256}")).into_response())
}
