//! `/libraries`: add, edit and delete libraries, start a scan and follow it phase by phase.
//!
//! The forms go through `catalogue::libraries` and `jobs::scan`, the same calls as the API, so a
//! path is checked by the server exactly as `POST /api/v1/libraries` checks it.

use super::{Ui, UiError, render, render_html, render_with, see_other, when};
use crate::catalogue::CatalogueError;
use crate::catalogue::libraries::{self, Library, LibraryInput, LibraryKind, MovieCounts};
use crate::catalogue::scans::{self, Scan};
use crate::ids::{LibraryId, ScanId};
use crate::publish::settings::{ArtworkStyle, PublishMode, PublishOptions};
use crate::routes::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

/// The library pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/libraries", get(list).post(create))
        .route("/libraries/{id}", get(edit_page).post(update))
        .route("/libraries/{id}/delete", post(delete))
        .route("/libraries/{id}/scan", post(scan))
        .route("/libraries/{id}/scan-status", get(scan_status))
        .route("/scans/{id}/cancel", post(cancel_scan))
}

/// A library with what its card shows.
pub struct LibraryCard {
    pub library: Library,
    pub counts: MovieCounts,
    /// The rendered scan block.
    pub status: String,
}

/// The values of the add/edit form, kept when the server refuses them.
#[derive(Debug, Default, Deserialize)]
pub struct LibraryForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub path: String,
    /// `movies` or `tv`, chosen when the library is created; empty: movies (or, when editing,
    /// the library's own kind, which cannot change).
    #[serde(default)]
    pub kind: String,
    /// One pattern per line.
    #[serde(default)]
    pub ignore_patterns: String,
    /// A checkbox: present when ticked.
    pub enabled: Option<String>,
    /// A checkbox: provider values replace the NFO's.
    pub prefer_provider_metadata: Option<String>,
    /// `""` (when a TMDB key is set), `on` or `off`.
    #[serde(default)]
    pub auto_enrich: String,
    /// `fanart=5, keyart=0`: the slots whose limit differs from the configured one.
    #[serde(default)]
    pub artwork_limits: String,
    /// `off`, `manual` or `auto`; empty keeps the default (`manual`).
    #[serde(default)]
    pub publish: String,
    /// `folder` or `kodi`.
    #[serde(default)]
    pub artwork_style: String,
    /// Checkboxes: present when ticked.
    pub movie_nfo: Option<String>,
    pub extrafanart: Option<String>,
    pub actor_images: Option<String>,
    pub jellyfin_locks: Option<String>,
}

impl LibraryForm {
    fn of(library: &Library) -> LibraryForm {
        LibraryForm {
            name: library.name.clone(),
            path: library.path.clone(),
            kind: library.kind.as_str().to_owned(),
            ignore_patterns: library.ignore_patterns.join("\n"),
            enabled: library.enabled.then(|| "on".to_owned()),
            prefer_provider_metadata: library.prefer_provider_metadata.then(|| "on".to_owned()),
            auto_enrich: match library.auto_enrich {
                Some(true) => "on".to_owned(),
                Some(false) => "off".to_owned(),
                None => String::new(),
            },
            artwork_limits: metarr_artwork::Slot::ALL
                .into_iter()
                .filter_map(|slot| library.artwork_limits.explicit(slot).map(|limit| format!("{slot}={limit}")))
                .collect::<Vec<_>>()
                .join(", "),
            publish: library.publish.as_str().to_owned(),
            artwork_style: library.publish_options.artwork_style.as_str().to_owned(),
            movie_nfo: library.publish_options.movie_nfo.then(|| "on".to_owned()),
            extrafanart: library.publish_options.extrafanart.then(|| "on".to_owned()),
            actor_images: library.publish_options.actor_images.then(|| "on".to_owned()),
            jellyfin_locks: library.publish_options.jellyfin_locks.then(|| "on".to_owned()),
        }
    }

    fn input(&self) -> Result<LibraryInput, CatalogueError> {
        let name = self.name.trim();
        Ok(LibraryInput {
            name: (!name.is_empty()).then(|| name.to_owned()),
            path: self.path.trim().to_owned(),
            kind: match self.kind.trim() {
                "" => LibraryKind::Movies.as_str().to_owned(),
                // The catalogue refuses a kind it does not know, with the API's words.
                kind => kind.to_owned(),
            },
            enabled: self.enabled.is_some(),
            ignore_patterns: self
                .ignore_patterns
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            prefer_provider_metadata: self.prefer_provider_metadata.is_some(),
            auto_enrich: match self.auto_enrich.trim() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            },
            artwork_limits: parse_limits(&self.artwork_limits)?,
            publish: match self.publish.trim() {
                "" => PublishMode::default(),
                mode => PublishMode::parse(mode)
                    .ok_or_else(|| CatalogueError::Invalid(format!("publish: {mode:?} is not off, manual or auto")))?,
            },
            publish_options: PublishOptions {
                artwork_style: match self.artwork_style.trim() {
                    "" | "folder" => ArtworkStyle::Folder,
                    "kodi" => ArtworkStyle::Kodi,
                    style => {
                        return Err(CatalogueError::Invalid(format!("artwork style: {style:?} is not folder or kodi")));
                    }
                },
                movie_nfo: self.movie_nfo.is_some(),
                extrafanart: self.extrafanart.is_some(),
                actor_images: self.actor_images.is_some(),
                jellyfin_locks: self.jellyfin_locks.is_some(),
            },
        })
    }
}

/// `fanart=5, keyart=0` (commas, spaces or new lines between) as slot limits.
fn parse_limits(text: &str) -> Result<metarr_artwork::SlotLimits, CatalogueError> {
    let mut limits = metarr_artwork::SlotLimits::default();
    for pair in text.split([',', ' ', '\n', '\r', ';']).filter(|pair| !pair.trim().is_empty()) {
        let invalid = || {
            CatalogueError::Invalid(format!(
                "artwork limits: {:?} is not slot=number (slots: {})",
                pair.trim().chars().take(40).collect::<String>(),
                metarr_artwork::Slot::ALL.map(metarr_artwork::Slot::as_str).join(", ")
            ))
        };
        let (slot, limit) = pair.split_once('=').ok_or_else(invalid)?;
        let slot: metarr_artwork::Slot = slot.trim().parse().map_err(|_| invalid())?;
        let limit: u32 = limit.trim().parse().map_err(|_| invalid())?;
        limits.set(slot, limit);
    }
    Ok(limits)
}

#[derive(Template)]
#[template(path = "libraries.html")]
struct LibrariesPage {
    ui: Ui,
    cards: Vec<LibraryCard>,
    form: LibraryForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "library_edit.html")]
struct EditPage {
    ui: Ui,
    id: LibraryId,
    /// The library's kind, shown read-only: it cannot change.
    kind: LibraryKind,
    form: LibraryForm,
    error: Option<String>,
}

/// The scan block of one library: its latest scan's phase with one progress bar per phase.
#[derive(Template)]
#[template(path = "library_scan.html")]
pub struct ScanStatus {
    csrf: String,
    library_id: LibraryId,
    scan: Option<Scan>,
    started: String,
    finished: String,
    running: bool,
}

/// `GET /libraries`
pub async fn list(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    let form = LibraryForm { enabled: Some("on".into()), ..LibraryForm::default() };
    page(&state, ui, form, None, StatusCode::OK).await
}

async fn page(
    state: &AppState,
    ui: Ui,
    form: LibraryForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let counts = libraries::movie_counts(&state.db).await?;
    let mut latest = scans::latest_per_library(&state.db).await?;
    let mut cards = Vec::new();
    for library in libraries::list(&state.db).await? {
        let status = render_html(&scan_block(&ui.csrf, library.id, latest.remove(&library.id)))?;
        let counts = counts.get(&library.id).copied().unwrap_or_default();
        cards.push(LibraryCard { library, counts, status });
    }
    Ok(render_with(status, &LibrariesPage { ui: ui.at("libraries"), cards, form, error }))
}

/// `POST /libraries`: adds a library; a refused path shows the form again with the reason.
pub async fn create(State(state): State<AppState>, ui: Ui, Form(form): Form<LibraryForm>) -> Result<Response, UiError> {
    let created = async { libraries::create_apart_from(&state.db, &form.input()?, &state.settings.data_dir).await };
    match created.await {
        Ok(_) => Ok(see_other("/libraries")),
        Err(CatalogueError::Invalid(message) | CatalogueError::Conflict(message)) => {
            page(&state, ui, form, Some(message), StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err.into()),
    }
}

/// `GET /libraries/{id}`: the edit form.
pub async fn edit_page(State(state): State<AppState>, ui: Ui, Path(id): Path<LibraryId>) -> Result<Response, UiError> {
    let library = libraries::get(&state.db, id).await?;
    let form = LibraryForm::of(&library);
    Ok(render(&EditPage { ui: ui.at("libraries"), id, kind: library.kind, form, error: None }))
}

/// `POST /libraries/{id}`: saves the edit form.
pub async fn update(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<LibraryId>,
    Form(mut form): Form<LibraryForm>,
) -> Result<Response, UiError> {
    let kind = libraries::get(&state.db, id).await?.kind;
    if form.kind.trim().is_empty() {
        // The form shows the kind without a field for it: the library keeps its own.
        form.kind = kind.as_str().to_owned();
    }
    let updated = async { libraries::update_apart_from(&state.db, id, &form.input()?, &state.settings.data_dir).await };
    match updated.await {
        Ok(_) => Ok(see_other("/libraries")),
        Err(CatalogueError::Invalid(message) | CatalogueError::Conflict(message)) => Ok(render_with(
            StatusCode::BAD_REQUEST,
            &EditPage { ui: ui.at("libraries"), id, kind, form, error: Some(message) },
        )),
        Err(err) => Err(err.into()),
    }
}

/// `POST /libraries/{id}/delete`: forgets the library and its movies; files on disk stay.
pub async fn delete(State(state): State<AppState>, Path(id): Path<LibraryId>) -> Result<Response, UiError> {
    libraries::delete(&state.db, id).await?;
    Ok(see_other("/libraries"))
}

/// `POST /libraries/{id}/scan`: starts a scan (or keeps the running one) and shows its progress.
pub async fn scan(State(state): State<AppState>, Path(id): Path<LibraryId>) -> Result<Response, UiError> {
    crate::jobs::scan::start_scan(&state.db, id).await?;
    Ok(see_other("/libraries"))
}

/// `POST /scans/{id}/cancel`
pub async fn cancel_scan(State(state): State<AppState>, Path(id): Path<ScanId>) -> Result<Response, UiError> {
    crate::jobs::scan::cancel_scan(&state.db, id).await?;
    Ok(see_other("/libraries"))
}

/// `GET /libraries/{id}/scan-status`: the scan block alone, for live refreshes.
pub async fn scan_status(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<LibraryId>,
) -> Result<Response, UiError> {
    libraries::get(&state.db, id).await?;
    let scan = scans::list(&state.db, Some(id), 1).await?.into_iter().next();
    Ok(render(&scan_block(&ui.csrf, id, scan)))
}

fn scan_block(csrf: &str, library_id: LibraryId, scan: Option<Scan>) -> ScanStatus {
    let started = scan.as_ref().map(|scan| when(&scan.started_at)).unwrap_or_default();
    let finished = scan.as_ref().and_then(|scan| scan.finished_at.as_ref()).map(when).unwrap_or_default();
    let running = scan.as_ref().is_some_and(|scan| !scan.is_finished());
    ScanStatus { csrf: csrf.to_owned(), library_id, scan, started, finished, running }
}
