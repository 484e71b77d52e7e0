//! The artwork picker: one page per slot of a movie, a series, a season or an episode, with
//! every candidate as a thumbnail (score, size, language, source), and forms to select, block,
//! upload and lock. Thumbnails are previews
//! that Metarr makes and serves: the browser never loads an image from a provider.

use super::{Ui, UiError, render_with, see_other};
use crate::artwork::ArtOwner;
use crate::artwork::repo::{self, Candidate};
use crate::error::AppError;
use crate::ids::{EpisodeId, MovieId};
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
        .route("/movies/{id}/artwork/{slot}/upload", post(upload).layer(upload_limit()))
        .route("/movies/{id}/artwork/{slot}/lock", post(lock))
        .route("/movies/{id}/artwork/{slot}/unlock", post(unlock))
        .route("/series/{id}/artwork/{slot}", get(series_picker))
        .route("/series/{id}/artwork/{slot}/{action}", post(series_action).layer(upload_limit()))
        .route("/series/{id}/seasons/{number}/artwork/{slot}", get(season_picker))
        .route("/series/{id}/seasons/{number}/artwork/{slot}/{action}", post(season_action).layer(upload_limit()))
        .route("/episodes/{id}/artwork/{slot}", get(episode_picker))
        .route("/episodes/{id}/artwork/{slot}/{action}", post(episode_action).layer(upload_limit()))
        .route("/artwork-candidates/{id}/block", post(block))
        .route("/artwork-candidates/{id}/unblock", post(unblock))
        .route("/artwork-previews/{id}", get(preview))
        .route("/people/{id}/image", get(headshot))
}

/// An upload's body: the largest image and the form around it.
fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(crate::routes::artwork::MAX_UPLOAD_BYTES + 64 * 1024)
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
#[template(path = "artwork_picker.html")]
struct PickerPage {
    ui: Ui,
    /// The page it belongs to, and where the slot's forms post (`…/artwork`).
    back: String,
    base: String,
    title: String,
    slot: &'static str,
    limit: u32,
    locked: bool,
    selected: Vec<Tile>,
    tiles: Vec<Tile>,
    error: Option<String>,
}

/// Where an owner's picker lives and what it is called.
struct Place {
    title: String,
    back: String,
    base: String,
    nav: &'static str,
}

async fn place_of(state: &AppState, owner: ArtOwner) -> Result<Place, UiError> {
    Ok(match owner {
        ArtOwner::Movie(id) => Place {
            title: crate::catalogue::movies::detail(&state.db, id).await?.summary.title,
            back: format!("/movies/{id}"),
            base: format!("/movies/{id}/artwork"),
            nav: "movies",
        },
        ArtOwner::Series(id) => Place {
            title: crate::catalogue::series::detail(&state.db, id).await?.summary.title,
            back: format!("/series/{id}"),
            base: format!("/series/{id}/artwork"),
            nav: "tv",
        },
        ArtOwner::Season(id, number) => {
            let series = crate::catalogue::series::detail(&state.db, id).await?.summary.title;
            let season = if number == 0 { "Specials".to_owned() } else { format!("Season {number}") };
            Place {
                title: format!("{series} · {season}"),
                back: format!("/series/{id}"),
                base: format!("/series/{id}/seasons/{number}/artwork"),
                nav: "tv",
            }
        }
        ArtOwner::Episode { series_id, episode_id } => {
            let series = crate::catalogue::series::detail(&state.db, series_id).await?.summary.title;
            let episode = crate::catalogue::series::episode(&state.db, episode_id).await?;
            let name = episode.summary.title.clone().unwrap_or_else(|| episode.summary.key.to_uppercase());
            Place {
                title: format!("{series} · {name}"),
                back: format!("/episodes/{episode_id}"),
                base: format!("/episodes/{episode_id}/artwork"),
                nav: "tv",
            }
        }
    })
}

async fn picker_page(
    state: &AppState,
    ui: Ui,
    owner: ArtOwner,
    slot: Slot,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let place = place_of(state, owner).await?;
    let views = crate::routes::artwork::slots_view(state, owner).await?;
    let SlotView { limit, locked, selected, candidates, .. } = views
        .into_iter()
        .find(|view| view.slot == slot)
        .ok_or_else(|| UiError::NotFound(format!("{owner} has no {slot} slot")))?;
    let page = PickerPage {
        ui: ui.at(place.nav),
        back: place.back,
        base: place.base,
        title: place.title,
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
    picker_page(&state, ui, ArtOwner::Movie(id), slot, None, StatusCode::OK).await
}

/// The picker again after an action that failed on the user's input.
async fn refused(state: &AppState, ui: Ui, owner: ArtOwner, slot: Slot, err: UiError) -> Result<Response, UiError> {
    match err {
        UiError::BadRequest(message) | UiError::Conflict(message) | UiError::Upstream(message) => {
            picker_page(state, ui, owner, slot, Some(message), StatusCode::BAD_REQUEST).await
        }
        other => Err(other),
    }
}

/// The picker of the owner's slot.
fn back_to(owner: ArtOwner, slot: Slot) -> Response {
    let base = match owner {
        ArtOwner::Movie(id) => format!("/movies/{id}/artwork"),
        ArtOwner::Series(id) => format!("/series/{id}/artwork"),
        ArtOwner::Season(id, number) => format!("/series/{id}/seasons/{number}/artwork"),
        ArtOwner::Episode { episode_id, .. } => format!("/episodes/{episode_id}/artwork"),
    };
    see_other(&format!("{base}/{}", slot.as_str()))
}

fn back(id: MovieId, slot: Slot) -> Response {
    back_to(ArtOwner::Movie(id), slot)
}

/// A slot of the owner, by name.
fn owner_slot(owner: ArtOwner, name: &str) -> Result<Slot, UiError> {
    slot_of(name)?;
    Slot::parse(name).filter(|slot| owner.has(*slot)).ok_or_else(|| {
        UiError::NotFound(format!("{owner} has no {name} slot; its slots: {}", crate::artwork::tv::slot_names(owner)))
    })
}

/// A season number as the page addresses it: 0 (specials) to 999.
fn season_number(text: &str) -> Result<i64, UiError> {
    text.parse::<i64>().ok().filter(|n| (0..=999).contains(n)).ok_or_else(|| {
        UiError::NotFound(format!(
            "no season {:?}: seasons are numbered 0 (specials) to 999",
            super::movies::cut(text, 20)
        ))
    })
}

async fn episode_art_owner(state: &AppState, text: &str) -> Result<ArtOwner, UiError> {
    let id: EpisodeId = text.parse().map_err(|_| {
        UiError::BadRequest(format!("an episode id is a number, not {:?}", super::movies::cut(text, 40)))
    })?;
    Ok(crate::routes::artwork::episode_owner(state, id).await?)
}

/// `GET /series/{id}/artwork/{slot}`
pub async fn series_picker(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let owner = ArtOwner::Series(super::tv::series_id(&id)?);
    let slot = owner_slot(owner, &slot)?;
    picker_page(&state, ui, owner, slot, None, StatusCode::OK).await
}

/// `GET /series/{id}/seasons/{number}/artwork/{slot}`
pub async fn season_picker(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, number, slot)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    let owner = ArtOwner::Season(super::tv::series_id(&id)?, season_number(&number)?);
    let slot = owner_slot(owner, &slot)?;
    picker_page(&state, ui, owner, slot, None, StatusCode::OK).await
}

/// `GET /episodes/{id}/artwork/{slot}`
pub async fn episode_picker(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let owner = episode_art_owner(&state, &id).await?;
    let slot = owner_slot(owner, &slot)?;
    picker_page(&state, ui, owner, slot, None, StatusCode::OK).await
}

/// `POST /series/{id}/artwork/{slot}/{select|upload|lock|unlock}`
pub async fn series_action(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot, action)): Path<(String, String, String)>,
    request: axum::extract::Request,
) -> Result<Response, UiError> {
    let owner = ArtOwner::Series(super::tv::series_id(&id)?);
    act(&state, ui, owner, &slot, &action, request).await
}

/// `POST /series/{id}/seasons/{number}/artwork/{slot}/{select|upload|lock|unlock}`
pub async fn season_action(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, number, slot, action)): Path<(String, String, String, String)>,
    request: axum::extract::Request,
) -> Result<Response, UiError> {
    let owner = ArtOwner::Season(super::tv::series_id(&id)?, season_number(&number)?);
    act(&state, ui, owner, &slot, &action, request).await
}

/// `POST /episodes/{id}/artwork/{slot}/{select|upload|lock|unlock}`
pub async fn episode_action(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, slot, action)): Path<(String, String, String)>,
    request: axum::extract::Request,
) -> Result<Response, UiError> {
    let owner = episode_art_owner(&state, &id).await?;
    act(&state, ui, owner, &slot, &action, request).await
}

/// One picker action on a TV owner's slot: the same as the movie picker's.
async fn act(
    state: &AppState,
    ui: Ui,
    owner: ArtOwner,
    slot: &str,
    action: &str,
    request: axum::extract::Request,
) -> Result<Response, UiError> {
    use axum::extract::FromRequest;
    state.artwork.slots_of(owner).await?;
    let slot = owner_slot(owner, slot)?;
    match action {
        "select" => {
            let Form(form) = Form::<SelectForm>::from_request(request, state)
                .await
                .map_err(|err| UiError::BadRequest(format!("the form cannot be read: {}", err.body_text())))?;
            choose_first(state, ui, owner, slot, form.candidate).await
        }
        "upload" => {
            let mut multipart = Multipart::from_request(request, state)
                .await
                .map_err(|err| UiError::BadRequest(format!("the upload form cannot be read: {}", err.body_text())))?;
            let uploaded = async {
                let bytes = crate::routes::artwork::read_file_part(&mut multipart).await?;
                state.artwork.upload(owner, slot, bytes).await.map_err(AppError::from)
            };
            match uploaded.await {
                Ok(_) => Ok(back_to(owner, slot)),
                Err(err) => refused(state, ui, owner, slot, err.into()).await,
            }
        }
        "lock" | "unlock" => {
            state.artwork.set_slot_lock(owner, slot, action == "lock").await?;
            Ok(back_to(owner, slot))
        }
        other => Err(UiError::NotFound(format!(
            "no artwork action {:?}: select, upload, lock or unlock",
            super::movies::cut(other, 20)
        ))),
    }
}

/// The candidate becomes the slot's first (the others stay after it up to the limit), and the
/// slot is locked.
async fn choose_first(
    state: &AppState,
    ui: Ui,
    owner: ArtOwner,
    slot: Slot,
    candidate: i64,
) -> Result<Response, UiError> {
    let settings = state.artwork.slots_of(owner).await?;
    let current: Vec<i64> = {
        let mut selected: Vec<Candidate> = repo::list(&state.db, owner)
            .await?
            .into_iter()
            .filter(|c| c.slot == slot && c.position.is_some())
            .collect();
        selected.sort_by_key(|c| c.position);
        selected.into_iter().map(|c| c.id).collect()
    };
    let limit = usize::try_from(settings.limits.get(slot).max(1)).unwrap_or(1);
    let ids: Vec<i64> =
        std::iter::once(candidate).chain(current.into_iter().filter(|other| *other != candidate)).take(limit).collect();
    match state.artwork.choose(owner, slot, &ids).await {
        Ok(()) => Ok(back_to(owner, slot)),
        Err(err) => refused(state, ui, owner, slot, AppError::from(err).into()).await,
    }
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
    choose_first(&state, ui, ArtOwner::Movie(id), slot, form.candidate).await
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
        Err(err) => refused(&state, ui, ArtOwner::Movie(id), slot, err.into()).await,
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
    Ok(back_to(candidate.owner, candidate.slot))
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
