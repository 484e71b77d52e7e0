//! Publishing in the web UI: a movie's "Published files" with each file's state, its Publish
//! (the plan first, then a confirmed publish and its report), the recycle bin (restore, delete,
//! empty) and the verification history with "Verify all libraries now".
//!
//! Every action calls what the API calls: `PublishServices::{plan, publish, restore}`,
//! `publish::repo::{recycle_list, purge}`, `publish::verify::{states, runs, run}` and the
//! queue's `verify` job, so a refusal here is the API's refusal with the same message.

use super::{Ui, UiError, render, render_html, render_with, see_other, when};
use crate::catalogue::libraries::{self, Library};
use crate::catalogue::movies::{self, MovieDetail};
use crate::catalogue::series;
use crate::error::AppError;
use crate::ids::{LibraryId, MovieId};
use crate::publish::names::PublishedKind;
use crate::publish::repo::{self, RecycleEntry, RecycleFilter};
use crate::publish::settings::PublishMode;
use crate::publish::verify::{self, Drift, FileState, VerificationRun};
use crate::publish::{Action, PlannedFile, PublishError};
use crate::routes::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// Recycle-bin entries per page.
pub const BIN_PAGE_SIZE: i64 = 50;
/// Verification runs per page.
pub const RUNS_PAGE_SIZE: i64 = 50;

/// The publishing pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/movies/{id}/publish", get(plan_page).post(publish))
        .route("/recycle-bin", get(recycle_bin))
        .route("/recycle-bin/empty", post(empty_bin))
        .route("/recycle-bin/{id}/restore", post(restore))
        .route("/recycle-bin/{id}/delete", post(delete_entry))
        .route("/verifications", get(verifications))
        .route("/verifications/verify", post(verify_now))
        .route("/verifications/{id}", get(verification))
}

impl From<PublishError> for UiError {
    fn from(err: PublishError) -> UiError {
        AppError::from(err).into()
    }
}

/// A number from the URL or a form; anything else is the client's mistake.
fn number(what: &str, text: &str) -> Result<i64, UiError> {
    text.trim().parse().map_err(|_| {
        UiError::BadRequest(format!("{what} is a number, not {:?}", text.chars().take(40).collect::<String>()))
    })
}

/// A page number from the query string: 1 when absent.
fn page_number(text: Option<&str>, page_size: i64) -> Result<i64, UiError> {
    match text.map(str::trim).unwrap_or("") {
        "" => Ok(1),
        text => text.parse::<i64>().ok().filter(|page| (1..=i64::MAX / page_size).contains(page)).ok_or_else(|| {
            UiError::BadRequest(format!("page is a number from 1, not {:?}", text.chars().take(40).collect::<String>()))
        }),
    }
}

/// What a publishing error says on a page that still shows the rest: a database failure fails
/// the page; a folder that cannot be read or a task that stopped is shown with its causes.
fn shown(err: PublishError) -> Result<String, UiError> {
    match err {
        PublishError::Catalogue(err) => Err(err.into()),
        other => Ok(metarr_errors::chain(&other).to_string()),
    }
}

/// What a published or planned file is, as people read it: `NFO`, `poster`, `fanart 2`, `actor`.
fn what(kind: PublishedKind, slot: Option<&str>, index: Option<usize>) -> String {
    match (kind, slot) {
        (PublishedKind::Nfo, _) => "NFO".to_owned(),
        (PublishedKind::Actor, _) => "actor image".to_owned(),
        (PublishedKind::Artwork, Some(slot)) => match index {
            Some(index) if index > 0 => format!("{slot} {}", index + 1),
            _ => slot.to_owned(),
        },
        (PublishedKind::Artwork, None) => "artwork".to_owned(),
    }
}

fn kind_order(kind: PublishedKind) -> u8 {
    match kind {
        PublishedKind::Nfo => 0,
        PublishedKind::Artwork => 1,
        PublishedKind::Actor => 2,
    }
}

// ---------------------------------------------------------------------------------------------
// The movie page's section

/// One file of a movie's "Published files".
pub struct PublishedLine {
    /// The path relative to the movie folder.
    pub name: String,
    pub path: String,
    pub what: String,
    /// `in_sync`, `missing`, `changed_elsewhere` or `not_published`.
    pub state: &'static str,
    pub label: &'static str,
    /// The badge's class.
    pub badge: &'static str,
    pub hint: &'static str,
    order: (u8, String),
}

fn state_view(state: FileState) -> (&'static str, &'static str, &'static str, &'static str) {
    match state {
        FileState::InSync => ("in_sync", "In sync", "ok", ""),
        FileState::Missing => {
            ("missing", "Missing", "missing", "gone from the folder; publishing again or a verification puts it back")
        }
        FileState::ChangedElsewhere => (
            "changed_elsewhere",
            "Changed elsewhere",
            "warn",
            "another program changed it; a verification takes its changes in",
        ),
    }
}

/// The "Published files" section of the movie page.
#[derive(Template)]
#[template(path = "publish_section.html")]
struct Section {
    movie_id: MovieId,
    library_id: LibraryId,
    library: String,
    mode: &'static str,
    off: bool,
    lines: Vec<PublishedLine>,
    /// Why the plan or the states could not be worked out.
    error: Option<String>,
}

/// The rendered "Published files" section of a movie: what Metarr published with each file's
/// state now, what the next publish would add ("Not yet published"), and the Publish link (or
/// why there is none).
pub(super) async fn movie_section(
    state: &AppState,
    detail: &MovieDetail,
    library: &Library,
) -> Result<String, UiError> {
    let movie_id = detail.summary.id;
    let folder = detail.summary.folder.as_str();
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    let mut published = HashSet::new();
    match verify::states(&state.publish, movie_id).await {
        Ok(states) => {
            for (file, file_state) in states {
                let (state, label, badge, hint) = state_view(file_state);
                let index = file.slot_index.and_then(|index| usize::try_from(index).ok());
                published.insert(file.path.clone());
                lines.push(PublishedLine {
                    name: super::movies::relative(&file.path, folder),
                    what: what(file.kind, file.slot.as_deref(), index),
                    order: (kind_order(file.kind), file.path.clone()),
                    path: file.path,
                    state,
                    label,
                    badge,
                    hint,
                });
            }
        }
        Err(err) => errors.push(format!("The published files could not be checked: {}", shown(err)?)),
    }
    let off = library.publish == PublishMode::Off;
    if detail.summary.missing {
        errors.push("The movie's folder was not found by the last scan: there is nothing to publish into.".to_owned());
    } else if !off {
        // A library that does not publish has nothing "not yet published": only what it
        // published before it was switched off is listed.
        match state.publish.plan(movie_id).await {
            Ok(plan) => {
                let unpublished = plan.files.into_iter().filter(|file| {
                    matches!(file.action, Action::Write | Action::Replace | Action::Keep)
                        && !published.contains(&file.path)
                });
                for file in unpublished {
                    lines.push(PublishedLine {
                        name: super::movies::relative(&file.path, folder),
                        what: what(file.kind, file.slot.map(|slot| slot.as_str()), file.slot_index),
                        order: (kind_order(file.kind), file.path.clone()),
                        path: file.path,
                        state: "not_published",
                        label: "Not yet published",
                        badge: "pending",
                        hint: "",
                    });
                }
            }
            Err(err) => errors.push(format!("What to publish could not be worked out: {}", shown(err)?)),
        }
    }
    lines.sort_by(|a, b| a.order.cmp(&b.order));
    render_html(&Section {
        movie_id,
        library_id: library.id,
        library: library.name.clone(),
        mode: library.publish.as_str(),
        off,
        lines,
        error: (!errors.is_empty()).then(|| errors.join(" ")),
    })
}

// ---------------------------------------------------------------------------------------------
// The plan, the publish and its report

/// One file of a plan or a report.
pub struct PlanLine {
    pub name: String,
    pub path: String,
    pub what: String,
    pub kind: &'static str,
    /// The action's name (`write`, `replace`…), for the row's `data-action`.
    pub action: &'static str,
    pub label: &'static str,
    pub size: String,
}

fn action_view(action: Action, done: bool) -> (&'static str, &'static str) {
    match (action, done) {
        (Action::Write, false) => ("write", "Write (new file)"),
        (Action::Write, true) => ("write", "Written"),
        (Action::Replace, false) => ("replace", "Replace (the current file goes to the recycle bin)"),
        (Action::Replace, true) => ("replace", "Replaced (the old file is in the recycle bin)"),
        (Action::Keep, _) => ("keep", "Keep (already as it should be)"),
        (Action::Recycle, false) => ("recycle", "Remove (to the recycle bin)"),
        (Action::Recycle, true) => ("recycle", "Removed (it is in the recycle bin)"),
        (Action::Forget, _) => ("forget", "Forget (already gone)"),
    }
}

fn plan_lines(folder: &str, files: &[PlannedFile], done: bool) -> Vec<PlanLine> {
    files
        .iter()
        .map(|file: &PlannedFile| {
            let (action, label) = action_view(file.action, done);
            PlanLine {
                name: super::movies::relative(&file.path, folder),
                path: file.path.clone(),
                what: what(file.kind, file.slot.map(|slot| slot.as_str()), file.slot_index),
                kind: file.kind.as_str(),
                action,
                label,
                size: super::movies::human_size(i64::try_from(file.size).unwrap_or(i64::MAX)),
            }
        })
        .collect()
}

/// How many files of each action.
pub struct Counts {
    pub write: usize,
    pub replace: usize,
    pub keep: usize,
    pub recycle: usize,
}

impl Counts {
    fn of(files: &[PlannedFile]) -> Counts {
        let count = |action: Action| files.iter().filter(|file| file.action == action).count();
        Counts {
            write: count(Action::Write),
            replace: count(Action::Replace),
            keep: count(Action::Keep),
            recycle: count(Action::Recycle),
        }
    }
}

#[derive(Template)]
#[template(path = "publish_plan.html")]
struct PlanPage {
    ui: Ui,
    /// The movie's or series' page, and what it is (`movie`, `series`).
    back: String,
    noun: &'static str,
    title: String,
    folder: String,
    library_id: LibraryId,
    library: String,
    off: bool,
    changes: bool,
    counts: Counts,
    lines: Vec<PlanLine>,
}

/// `GET /movies/{id}/publish`: what publishing would write, replace, keep and recycle, and the
/// form that confirms it (none when the library does not publish). Nothing is touched.
pub async fn plan_page(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = super::movies::movie_id(&id)?;
    let detail = movies::detail(&state.db, id).await?;
    let library = libraries::get(&state.db, detail.summary.library_id).await?;
    let plan = state.publish.plan(id).await?;
    Ok(render(&PlanPage {
        ui: ui.at("movies"),
        back: format!("/movies/{id}"),
        noun: "movie",
        title: detail.summary.title,
        folder: plan.folder.clone(),
        library_id: library.id,
        library: library.name,
        off: library.publish == PublishMode::Off,
        changes: plan.changes_anything(),
        counts: Counts::of(&plan.files),
        lines: plan_lines(&plan.folder, &plan.files, false),
    }))
}

#[derive(Template)]
#[template(path = "publish_report.html")]
struct ReportPage {
    ui: Ui,
    back: String,
    noun: &'static str,
    title: String,
    folder: String,
    counts: Counts,
    bytes_written: String,
    player_refreshes: usize,
    lines: Vec<PlanLine>,
}

/// `POST /movies/{id}/publish`: publishes the movie now, as `POST /api/v1/movies/{id}/publish`
/// does, and shows what was done; 409 when its library's publish mode is `off`.
pub async fn publish(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = super::movies::movie_id(&id)?;
    let report = state.publish.publish(id).await?;
    let title = movies::detail(&state.db, id).await?.summary.title;
    let counts =
        Counts { write: report.written, replace: report.replaced, keep: report.kept, recycle: report.recycled };
    Ok(render(&ReportPage {
        ui: ui.at("movies"),
        back: format!("/movies/{id}"),
        noun: "movie",
        title,
        folder: report.plan.folder.clone(),
        counts,
        bytes_written: super::movies::human_size(i64::try_from(report.bytes_written).unwrap_or(i64::MAX)),
        player_refreshes: report.player_refreshes,
        lines: plan_lines(&report.plan.folder, &report.plan.files, true),
    }))
}

// ---------------------------------------------------------------------------------------------
// A series: its plan, its publish and its verification

/// `GET /series/{id}/publish`: what publishing the series would write, replace, keep and
/// recycle (`PublishServices::plan_series`, as `GET /api/v1/series/{id}/publish/plan`), and the
/// form that confirms it (none when the library does not publish). Nothing is touched.
pub async fn series_plan_page(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = super::tv::series_id(&id)?;
    let detail = series::detail(&state.db, id).await?;
    let library = libraries::get(&state.db, detail.summary.library_id).await?;
    let plan = state.publish.plan_series(id).await?;
    Ok(render(&PlanPage {
        ui: ui.at("tv"),
        back: format!("/series/{id}"),
        noun: "series",
        title: detail.summary.title,
        folder: plan.folder.clone(),
        library_id: library.id,
        library: library.name,
        off: library.publish == PublishMode::Off,
        changes: plan.files.iter().any(|file| !matches!(file.action, Action::Keep | Action::Forget)),
        counts: Counts::of(&plan.files),
        lines: plan_lines(&plan.folder, &plan.files, false),
    }))
}

/// `POST /series/{id}/publish`: publishes the series now (`PublishServices::publish_series`, as
/// `POST /api/v1/series/{id}/publish`) and shows what was done; 409 when its library's publish
/// mode is `off`.
pub async fn publish_series(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = super::tv::series_id(&id)?;
    let report = state.publish.publish_series(id).await?;
    let title = series::detail(&state.db, id).await?.summary.title;
    let counts =
        Counts { write: report.written, replace: report.replaced, keep: report.kept, recycle: report.recycled };
    Ok(render(&ReportPage {
        ui: ui.at("tv"),
        back: format!("/series/{id}"),
        noun: "series",
        title,
        folder: report.plan.folder.clone(),
        counts,
        bytes_written: super::movies::human_size(i64::try_from(report.bytes_written).unwrap_or(i64::MAX)),
        player_refreshes: report.player_refreshes,
        lines: plan_lines(&report.plan.folder, &report.plan.files, true),
    }))
}

/// What "Verify" on the series page found and did, the paths relative to the series folder.
pub struct SeriesVerificationView {
    pub files_checked: usize,
    pub in_sync: usize,
    pub restored: Vec<String>,
    pub changed_elsewhere: Vec<String>,
    /// Values imported from NFOs changed elsewhere, as `path: field`.
    pub imported: Vec<String>,
}

/// `POST /series/{id}/verify`: checks the series' published files
/// (`PublishServices::verify_series`, as `POST /api/v1/series/{id}/verify`): a missing one is put
/// back, a changed NFO's values imported, a changed image reported; the series page lists them.
pub async fn verify_series(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = super::tv::series_id(&id)?;
    let verification = state.publish.verify_series(id).await?;
    let folder = series::detail(&state.db, id).await?.summary.folder;
    let relative = |paths: &[String]| paths.iter().map(|path| super::movies::relative(path, &folder)).collect();
    let view = SeriesVerificationView {
        files_checked: verification.files_checked,
        in_sync: verification.in_sync,
        restored: relative(&verification.restored),
        changed_elsewhere: relative(&verification.changed_elsewhere),
        imported: relative(&verification.imported),
    };
    let extras = super::tv::Extras { verification: Some(view), ..super::tv::Extras::default() };
    super::tv::series_view(&state, ui, id, StatusCode::OK, extras).await
}

// ---------------------------------------------------------------------------------------------
// The recycle bin

/// Image types the bin shows a thumbnail of (served from the cache by `/artwork/{sha256}`).
const IMAGE_EXTS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "gif"];

/// One entry of the bin.
pub struct BinLine {
    pub id: i64,
    pub path: String,
    pub movie_id: Option<MovieId>,
    pub reason: String,
    pub size: String,
    pub bytes: i64,
    pub recycled: String,
    /// When it was restored, or empty.
    pub restored: String,
    /// The cached copy's hash, for an image's thumbnail.
    pub image: Option<String>,
}

impl BinLine {
    fn of(entry: RecycleEntry) -> BinLine {
        BinLine {
            image: IMAGE_EXTS.contains(&entry.ext.as_str()).then(|| entry.sha256.clone()),
            id: entry.id,
            movie_id: entry.movie_id,
            reason: entry.reason,
            size: super::movies::human_size(entry.size),
            bytes: entry.size,
            recycled: when(&entry.recycled_at),
            restored: entry.restored_at.as_ref().map(when).unwrap_or_default(),
            path: entry.path,
        }
    }
}

/// A restore refused because another file is at the entry's path: the message and the form
/// that replaces it.
pub struct RestoreConflict {
    pub id: i64,
    pub path: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "recycle_bin.html")]
struct BinPage {
    ui: Ui,
    section: &'static str,
    lines: Vec<BinLine>,
    total: i64,
    page: i64,
    pages: i64,
    previous_href: Option<String>,
    next_href: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    conflict: Option<RestoreConflict>,
}

/// The bin's query string: the page, and what the last action did (for its notice).
#[derive(Debug, Default, Deserialize)]
pub struct BinQuery {
    page: Option<String>,
    restored: Option<String>,
    deleted: Option<String>,
    emptied: Option<String>,
}

fn bin_href(page: i64) -> String {
    if page > 1 { format!("/recycle-bin?page={page}") } else { "/recycle-bin".to_owned() }
}

async fn bin_page(
    state: &AppState,
    ui: Ui,
    page: i64,
    notice: Option<String>,
    failure: Option<(StatusCode, String, Option<RestoreConflict>)>,
) -> Result<Response, UiError> {
    let filter = RecycleFilter {
        include_restored: true,
        limit: Some(BIN_PAGE_SIZE),
        offset: Some((page - 1) * BIN_PAGE_SIZE),
        ..RecycleFilter::default()
    };
    let (entries, total) = repo::recycle_list(&state.db, &filter).await?;
    let pages = ((total + BIN_PAGE_SIZE - 1) / BIN_PAGE_SIZE).max(1);
    let (status, error, conflict) = match failure {
        Some((status, error, conflict)) => (status, Some(error), conflict),
        None => (StatusCode::OK, None, None),
    };
    Ok(render_with(
        status,
        &BinPage {
            ui: ui.at("settings"),
            section: "recycle-bin",
            lines: entries.into_iter().map(BinLine::of).collect(),
            total,
            page,
            pages,
            previous_href: (page > 1).then(|| bin_href((page - 1).min(pages))),
            next_href: (page < pages).then(|| bin_href(page + 1)),
            notice,
            error,
            conflict,
        },
    ))
}

/// `GET /recycle-bin?page=`: every entry, restored ones too, newest first.
pub async fn recycle_bin(
    State(state): State<AppState>,
    ui: Ui,
    query: Result<Query<BinQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let page = page_number(query.page.as_deref(), BIN_PAGE_SIZE)?;
    let notice = if let Some(id) = query.restored.as_deref() {
        let id = number("restored", id)?;
        let entry = repo::recycle_entry(&state.db, id).await?;
        Some(match entry {
            Some(entry) => format!("Restored {}.", entry.path),
            None => format!("Restored entry {id}."),
        })
    } else if let Some(id) = query.deleted.as_deref() {
        Some(format!("Deleted entry {} from the recycle bin.", number("deleted", id)?))
    } else if let Some(count) = query.emptied.as_deref() {
        Some(match number("emptied", count)? {
            1 => "Emptied the recycle bin: 1 entry deleted.".to_owned(),
            count => format!("Emptied the recycle bin: {count} entries deleted."),
        })
    } else {
        None
    };
    bin_page(&state, ui, page, notice, None).await
}

/// The restore form: `force=true` replaces a different file at the entry's path.
#[derive(Debug, Default, Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    force: String,
}

/// `POST /recycle-bin/{id}/restore` (`force=true` to replace another file there): puts the file
/// back through `PublishServices::restore`, as the API's restore does. When another file is at
/// the path, the bin is shown again (409) with the refusal and a "Replace it" form.
pub async fn restore(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    form: Result<Form<RestoreForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = number("a recycle-bin entry's id", &id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let force = match form.force.trim() {
        "" | "false" => false,
        "true" | "on" => true,
        other => {
            return Err(UiError::BadRequest(format!(
                "force is true or false, not {:?}",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    match state.publish.restore(id, force).await {
        Ok(_) => Ok(see_other(&format!("/recycle-bin?restored={id}"))),
        // Another file is where the recycled one was: offer to replace it.
        Err(PublishError::Occupied { path }) => {
            let message = PublishError::Occupied { path: path.clone() }.to_string();
            let conflict = RestoreConflict { id, path, message: message.clone() };
            bin_page(&state, ui, 1, None, Some((StatusCode::CONFLICT, message, Some(conflict)))).await
        }
        // The other refusals (restored already, a folder that left the library) offer nothing.
        Err(err) => match UiError::from(err) {
            UiError::Conflict(message) => {
                bin_page(&state, ui, 1, None, Some((StatusCode::CONFLICT, message, None))).await
            }
            other => Err(other),
        },
    }
}

/// `POST /recycle-bin/{id}/delete`: forgets one entry, as `DELETE /api/v1/recycle-bin/{id}`.
pub async fn delete_entry(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = number("a recycle-bin entry's id", &id)?;
    match repo::purge(&state.db, Some(id), None).await? {
        0 => Err(UiError::NotFound(format!("recycle-bin entry {id} not found"))),
        _ => Ok(see_other(&format!("/recycle-bin?deleted={id}"))),
    }
}

/// `POST /recycle-bin/empty`: deletes every entry, as `DELETE /api/v1/recycle-bin`.
pub async fn empty_bin(State(state): State<AppState>) -> Result<Response, UiError> {
    let deleted = repo::purge(&state.db, None, Some(i64::MAX)).await?;
    Ok(see_other(&format!("/recycle-bin?emptied={deleted}")))
}

// ---------------------------------------------------------------------------------------------
// Verification

/// A run as the history and its detail show it.
pub struct RunLine {
    pub id: i64,
    pub started: String,
    /// When it finished, or empty while it runs.
    pub finished: String,
    pub scope: String,
    pub scope_href: Option<String>,
    pub cause: String,
    pub movies: i64,
    pub files_checked: i64,
    pub in_sync: i64,
    pub restored: i64,
    pub imported: i64,
    pub errors: i64,
    pub drifts: usize,
}

impl RunLine {
    fn of(run: &VerificationRun, library_names: &HashMap<LibraryId, String>) -> RunLine {
        let (scope, scope_href) = match (run.movie_id, run.library_id) {
            (Some(movie_id), _) => (format!("movie {movie_id}"), Some(format!("/movies/{movie_id}"))),
            (None, Some(library_id)) => (
                library_names.get(&library_id).cloned().unwrap_or_else(|| format!("library {library_id}")),
                Some(format!("/movies?library_id={library_id}")),
            ),
            (None, None) => ("all libraries".to_owned(), None),
        };
        RunLine {
            id: run.id,
            started: when(&run.started_at),
            finished: run.finished_at.as_ref().map(when).unwrap_or_default(),
            scope,
            scope_href,
            cause: run.cause.clone(),
            movies: run.movies,
            files_checked: run.files_checked,
            in_sync: run.in_sync,
            restored: run.restored,
            imported: run.imported,
            errors: run.errors,
            drifts: run.details.len(),
        }
    }
}

async fn library_names(state: &AppState) -> Result<HashMap<LibraryId, String>, UiError> {
    Ok(libraries::list(&state.db).await?.into_iter().map(|library| (library.id, library.name)).collect())
}

#[derive(Template)]
#[template(path = "verifications.html")]
struct RunsPage {
    ui: Ui,
    section: &'static str,
    runs: Vec<RunLine>,
    total: i64,
    page: i64,
    pages: i64,
    previous_href: Option<String>,
    next_href: Option<String>,
    /// The job just queued.
    queued: Option<i64>,
}

/// The history's query string: the page, and the job "Verify now" queued.
#[derive(Debug, Default, Deserialize)]
pub struct RunsQuery {
    page: Option<String>,
    queued: Option<String>,
}

fn runs_href(page: i64) -> String {
    if page > 1 { format!("/verifications?page={page}") } else { "/verifications".to_owned() }
}

/// `GET /verifications?page=`: runs, newest first.
pub async fn verifications(
    State(state): State<AppState>,
    ui: Ui,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let page = page_number(query.page.as_deref(), RUNS_PAGE_SIZE)?;
    let queued = query.queued.as_deref().map(|id| number("queued", id)).transpose()?;
    let (runs, total) = verify::runs(&state.db, RUNS_PAGE_SIZE, (page - 1) * RUNS_PAGE_SIZE).await?;
    let names = library_names(&state).await?;
    let pages = ((total + RUNS_PAGE_SIZE - 1) / RUNS_PAGE_SIZE).max(1);
    Ok(render(&RunsPage {
        ui: ui.at("settings"),
        section: "verifications",
        runs: runs.iter().map(|run| RunLine::of(run, &names)).collect(),
        total,
        page,
        pages,
        previous_href: (page > 1).then(|| runs_href((page - 1).min(pages))),
        next_href: (page < pages).then(|| runs_href(page + 1)),
        queued,
    }))
}

/// One drift of a run.
pub struct DriftLine {
    pub movie_id: MovieId,
    pub path: String,
    pub state: &'static str,
    pub label: &'static str,
    pub badge: &'static str,
    pub action: String,
}

impl DriftLine {
    fn of(drift: &Drift) -> DriftLine {
        let (state, label, badge, _) = state_view(drift.state);
        DriftLine {
            movie_id: drift.movie_id,
            path: drift.path.clone(),
            state,
            label,
            badge,
            action: drift.action.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "verification.html")]
struct RunPage {
    ui: Ui,
    section: &'static str,
    run: RunLine,
    drifts: Vec<DriftLine>,
}

/// `GET /verifications/{id}`: one run with what it found and did.
pub async fn verification(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = number("a verification run's id", &id)?;
    let run = verify::run(&state.db, id).await?;
    let names = library_names(&state).await?;
    Ok(render(&RunPage {
        ui: ui.at("settings"),
        section: "verifications",
        drifts: run.details.iter().map(DriftLine::of).collect(),
        run: RunLine::of(&run, &names),
    }))
}

/// `POST /verifications/verify`: queues a `verify` job of every library (as `POST /api/v1/verify`
/// without a library does) and goes back to the history, which names the job.
pub async fn verify_now(State(state): State<AppState>) -> Result<Response, UiError> {
    let enqueued = state.queue.enqueue(crate::jobs::publish::verify_job(None, "ui")).await?;
    Ok(see_other(&format!("/verifications?queued={}", enqueued.job.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_as_people_read_them() {
        assert_eq!(what(PublishedKind::Nfo, None, None), "NFO");
        assert_eq!(what(PublishedKind::Artwork, Some("poster"), Some(0)), "poster");
        assert_eq!(what(PublishedKind::Artwork, Some("fanart"), Some(2)), "fanart 3");
        assert_eq!(what(PublishedKind::Actor, None, None), "actor image");
    }

    #[test]
    fn page_numbers_are_checked() {
        assert_eq!(page_number(None, 50).expect("default"), 1);
        assert_eq!(page_number(Some(" 3 "), 50).expect("three"), 3);
        for bad in ["0", "-1", "two", "99999999999999999999"] {
            assert!(page_number(Some(bad), 50).is_err(), "{bad}");
        }
        assert_eq!(bin_href(1), "/recycle-bin");
        assert_eq!(runs_href(2), "/verifications?page=2");
    }
}
