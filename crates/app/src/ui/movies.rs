//! `/movies` and `/movies/{id}`: the catalogue as a poster grid or a table with search, filters
//! and paging; one movie's fields with inline editing and lock toggles, its ids, files, streams,
//! artwork, subtitles, unknown files and warnings.
//!
//! Edits go through `routes::movies::parse_fields` and `catalogue::movies::edit` / `set_lock`,
//! the very calls of `PATCH /api/v1/movies/{id}` and the lock routes: a value the API refuses is
//! refused here with the same message, and a saved field is locked the same way.

use super::{Ui, UiError, render, render_html, render_with, see_other, vary_on_htmx, wants_fragment};
use crate::catalogue::libraries;
use crate::catalogue::movies::{self, MovieDetail, MovieField, MovieFilter};
use crate::ids::{LibraryId, MovieId};
use crate::routes::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use metarr_probe::StreamDetails;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Movies per page of the list: a few screens of posters, one cheap query.
pub const PAGE_SIZE: i64 = 60;
/// Longest search text; a title search needs far less.
pub(super) const MAX_QUERY_CHARS: usize = 500;

/// The movies pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/movies", get(list))
        .route("/movies/{id}", get(detail_page))
        .route("/movies/{id}/live", get(live))
        .route("/movies/{id}/scan", post(rescan))
        .route("/movies/{id}/fields/{field}", post(save_field))
        .route("/movies/{id}/fields/{field}/lock", post(lock))
        .route("/movies/{id}/fields/{field}/unlock", post(unlock))
}

/// A movie id from the URL; anything but a number is the client's mistake, not a missing page.
pub(super) fn movie_id(text: &str) -> Result<MovieId, UiError> {
    text.parse().map_err(|_| UiError::BadRequest(format!("a movie id is a number, not {:?}", cut(text, 40))))
}

/// At most `max` characters of a value, for quoting it in a message.
pub(super) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

/// The list's query string as sent; every value is text so that an empty select ("any") or a
/// wrong value gets our own 400 page rather than the extractor's plain-text one.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    library_id: Option<String>,
    missing: Option<String>,
    has_warnings: Option<String>,
    identification: Option<String>,
    view: Option<String>,
    page: Option<String>,
}

/// The list's filters, checked.
#[derive(Debug, Clone, Default, PartialEq)]
struct Listing {
    q: String,
    library_id: Option<LibraryId>,
    missing: Option<bool>,
    has_warnings: Option<bool>,
    identification: Option<movies::Identification>,
    table: bool,
    page: i64,
}

/// `""`/`any` → no filter, `true`/`yes` and `false`/`no` as the API spells them.
pub(super) fn tri_state(name: &str, value: Option<&str>) -> Result<Option<bool>, UiError> {
    match value.map(str::trim).unwrap_or("") {
        "" | "any" => Ok(None),
        "true" | "yes" => Ok(Some(true)),
        "false" | "no" => Ok(Some(false)),
        other => Err(UiError::BadRequest(format!("{name} is true, false or empty, not {:?}", cut(other, 40)))),
    }
}

impl Listing {
    fn parse(query: &ListQuery) -> Result<Listing, UiError> {
        let q = query.q.as_deref().unwrap_or("").trim().to_owned();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(UiError::BadRequest(format!("the search is longer than {MAX_QUERY_CHARS} characters")));
        }
        let library_id = match query.library_id.as_deref().map(str::trim).unwrap_or("") {
            "" => None,
            text => Some(text.parse::<LibraryId>().map_err(|_| {
                UiError::BadRequest(format!("library_id is a library's number, not {:?}", cut(text, 40)))
            })?),
        };
        let table = match query.view.as_deref().unwrap_or("") {
            "" | "grid" => false,
            "table" => true,
            other => return Err(UiError::BadRequest(format!("view is grid or table, not {:?}", cut(other, 40)))),
        };
        let page = match query.page.as_deref().map(str::trim).unwrap_or("") {
            "" => 1,
            text => text
                .parse::<i64>()
                .ok()
                .filter(|page| (1..=i64::MAX / PAGE_SIZE).contains(page))
                .ok_or_else(|| UiError::BadRequest(format!("page is a number from 1, not {:?}", cut(text, 40))))?,
        };
        let identification = match query.identification.as_deref().map(str::trim).unwrap_or("") {
            "" | "any" => None,
            text => Some(movies::Identification::parse(text).ok_or_else(|| {
                UiError::BadRequest(format!(
                    "identification is identified, needs_identification or not_found, not {:?}",
                    cut(text, 40)
                ))
            })?),
        };
        Ok(Listing {
            q,
            library_id,
            identification,
            missing: tri_state("missing", query.missing.as_deref())?,
            has_warnings: tri_state("has_warnings", query.has_warnings.as_deref())?,
            table,
            page,
        })
    }

    fn filter(&self) -> MovieFilter {
        MovieFilter {
            library_id: self.library_id,
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            missing: self.missing,
            has_warnings: self.has_warnings,
            identification: self.identification,
            limit: Some(PAGE_SIZE),
            offset: Some((self.page - 1) * PAGE_SIZE),
        }
    }

    /// The list's URL with these filters, in the given view and at the given page.
    fn href(&self, table: bool, page: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        if let Some(library_id) = self.library_id {
            query.append_pair("library_id", &library_id.to_string());
        }
        if let Some(missing) = self.missing {
            query.append_pair("missing", if missing { "true" } else { "false" });
        }
        if let Some(has_warnings) = self.has_warnings {
            query.append_pair("has_warnings", if has_warnings { "true" } else { "false" });
        }
        if let Some(state) = self.identification {
            query.append_pair("identification", state.as_str());
        }
        if table {
            query.append_pair("view", "table");
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        match query.finish() {
            query if query.is_empty() => "/movies".to_owned(),
            query => format!("/movies?{query}"),
        }
    }
}

/// A movie as the grid and the table show it.
pub struct MovieCard {
    pub id: MovieId,
    pub title: String,
    /// The year, or empty.
    pub year: String,
    /// The cached poster's hash.
    pub poster: Option<String>,
    pub missing: bool,
    pub library: String,
    pub folder: String,
}

/// One choice of the library select.
pub struct LibraryOption {
    pub id: LibraryId,
    pub name: String,
    pub selected: bool,
}

/// The results region: count, view toggle, grid or table, pager. Served alone to htmx.
#[derive(Template)]
#[template(path = "movies_results.html")]
struct Results {
    cards: Vec<MovieCard>,
    total: i64,
    page: i64,
    pages: i64,
    table: bool,
    filtered: bool,
    grid_href: String,
    table_href: String,
    previous_href: Option<String>,
    next_href: Option<String>,
    last_href: String,
}

#[derive(Template)]
#[template(path = "movies.html")]
struct MoviesPage {
    ui: Ui,
    q: String,
    libraries: Vec<LibraryOption>,
    missing: &'static str,
    has_warnings: &'static str,
    identification: &'static str,
    view: &'static str,
    results: String,
}

pub(super) fn tri_value(value: Option<bool>) -> &'static str {
    match value {
        None => "",
        Some(true) => "true",
        Some(false) => "false",
    }
}

/// `GET /movies?q=&library_id=&missing=&has_warnings=&view=grid|table&page=`: the whole page,
/// or the results region alone for htmx. Three catalogue queries whatever the catalogue's size:
/// the page, the count, and the page's posters.
pub async fn list(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let listing = Listing::parse(&query)?;
    let (items, total) = movies::list(&state.db, &listing.filter()).await?;
    let ids: Vec<MovieId> = items.iter().map(|movie| movie.id).collect();
    let mut posters = movies::posters(&state.db, &ids).await?;
    let libraries = libraries::list(&state.db).await?;
    let library_names: HashMap<LibraryId, &str> =
        libraries.iter().map(|library| (library.id, library.name.as_str())).collect();
    let cards = items
        .into_iter()
        .map(|movie| MovieCard {
            poster: posters.remove(&movie.id),
            year: movie.year.map(|year| year.to_string()).unwrap_or_default(),
            library: library_names.get(&movie.library_id).copied().unwrap_or_default().to_owned(),
            id: movie.id,
            title: movie.title,
            missing: movie.missing,
            folder: movie.folder,
        })
        .collect();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = listing.page;
    let results = Results {
        cards,
        total,
        page,
        pages,
        table: listing.table,
        filtered: !listing.q.is_empty()
            || listing.library_id.is_some()
            || listing.missing.is_some()
            || listing.has_warnings.is_some()
            || listing.identification.is_some(),
        grid_href: listing.href(false, page),
        table_href: listing.href(true, page),
        previous_href: (page > 1).then(|| listing.href(listing.table, (page - 1).min(pages))),
        next_href: (page < pages).then(|| listing.href(listing.table, page + 1)),
        last_href: listing.href(listing.table, pages),
    };
    if wants_fragment(&headers) {
        return Ok(vary_on_htmx(render(&results)));
    }
    let page = MoviesPage {
        ui: ui.at("movies"),
        q: listing.q.clone(),
        libraries: libraries
            .iter()
            .map(|library| LibraryOption {
                id: library.id,
                name: library.name.clone(),
                selected: listing.library_id == Some(library.id),
            })
            .collect(),
        missing: tri_value(listing.missing),
        has_warnings: tri_value(listing.has_warnings),
        identification: listing.identification.map(movies::Identification::as_str).unwrap_or_default(),
        view: if listing.table { "table" } else { "grid" },
        results: render_html(&results)?,
    };
    Ok(vary_on_htmx(render(&page)))
}

// ---------------------------------------------------------------------------------------------
// One movie

/// How a field's form reads its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Line,
    Text,
    Integer,
    List,
    /// Structured values (ratings, ids, the cast…), edited as the JSON the API takes.
    Json,
}

/// A field and its form kind.
type FieldSpec = (MovieField, Kind);

/// The editable fields in the order the page shows them (labels are the field's own).
const FIELDS: &[FieldSpec] = &[
    (MovieField::Title, Kind::Line),
    (MovieField::OriginalTitle, Kind::Line),
    (MovieField::SortTitle, Kind::Line),
    (MovieField::Year, Kind::Integer),
    (MovieField::Tagline, Kind::Line),
    (MovieField::Outline, Kind::Text),
    (MovieField::Plot, Kind::Text),
    (MovieField::Runtime, Kind::Integer),
    (MovieField::Premiered, Kind::Line),
    (MovieField::Genres, Kind::List),
    (MovieField::TmdbId, Kind::Integer),
    (MovieField::ImdbId, Kind::Line),
    (MovieField::Certification, Kind::Line),
    (MovieField::Certifications, Kind::Json),
    (MovieField::Ratings, Kind::Json),
    (MovieField::UserRating, Kind::Integer),
    (MovieField::Top250, Kind::Integer),
    (MovieField::UniqueIds, Kind::Json),
    (MovieField::Set, Kind::Json),
    (MovieField::Studios, Kind::List),
    (MovieField::Countries, Kind::List),
    (MovieField::Tags, Kind::List),
    (MovieField::Directors, Kind::List),
    (MovieField::Writers, Kind::List),
    (MovieField::Actors, Kind::Json),
    (MovieField::Trailer, Kind::Line),
    (MovieField::DateAdded, Kind::Line),
];

fn field_spec(name: &str) -> Option<FieldSpec> {
    let field = MovieField::parse(name)?;
    FIELDS.iter().copied().find(|(shown, _)| *shown == field)
}

/// A form's text as the JSON value the API would receive for the field, so that
/// [`crate::routes::movies::parse_fields`] checks it exactly as it checks a PATCH body.
pub(super) fn form_value(label: &str, kind: Kind, text: &str) -> Result<Value, UiError> {
    match kind {
        Kind::Line => Ok(Value::String(text.trim().to_owned())),
        // Browsers send textarea line breaks as CRLF.
        Kind::Text => Ok(Value::String(text.trim().replace("\r\n", "\n"))),
        Kind::Integer => text.trim().parse::<i64>().map(Value::from).map_err(|_| {
            UiError::BadRequest(format!("{label} must be a whole number, not {:?}", cut(text.trim(), 40)))
        }),
        Kind::List => Ok(Value::Array(
            text.split([',', '\n'])
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        Kind::Json => serde_json::from_str(text.trim())
            .map_err(|err| UiError::BadRequest(format!("{label} must be JSON as the API takes it: {err}"))),
    }
}

/// A list as its edit form shows it: nothing when empty.
fn json_or_empty<T: serde::Serialize>(list: &[T]) -> String {
    if list.is_empty() { String::new() } else { pretty(&list) }
}

/// A structured value as its edit form shows it.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("metadata values always serialise")
}

/// Ratings as people read them: `imdb 8.7/10 (2,009,000 votes)`.
fn ratings_text(ratings: &[movies::Rating]) -> String {
    ratings
        .iter()
        .map(|rating| {
            let votes = rating.votes.map(|votes| format!(" ({votes} votes)")).unwrap_or_default();
            let default = if rating.default { ", default" } else { "" };
            format!("{} {}/{}{votes}{default}", rating.source, rating.value, rating.max)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The cast as people read it: `Keanu Reeves as Neo, …`.
fn cast_text(actors: &[movies::Actor]) -> String {
    actors
        .iter()
        .map(|actor| match &actor.role {
            Some(role) if !role.is_empty() => format!("{} as {role}", actor.name),
            _ => actor.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One field's row: what it shows, what its form holds, whether it is locked.
pub struct FieldRow {
    pub name: &'static str,
    pub label: &'static str,
    /// The value as shown; empty when unset.
    pub display: String,
    /// The value in the edit form (the typed one after a refused edit).
    pub input: String,
    pub multiline: bool,
    pub numeric: bool,
    pub hint: &'static str,
    /// Where the value came from (`nfo`, `tmdb`, `user`…); empty when unset.
    pub source: &'static str,
    pub locked: bool,
    /// A link for ids (opened by the user only; the page loads nothing from elsewhere).
    pub link: Option<String>,
    pub error: Option<String>,
    /// The edit form is open (after a refused edit).
    pub open: bool,
}

impl FieldRow {
    fn of(detail: &MovieDetail, field: MovieField, kind: Kind) -> FieldRow {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let number = |value: Option<i64>| value.map(|value| value.to_string()).unwrap_or_default();
        let (display, input, link) = match field {
            MovieField::Title => (detail.summary.title.clone(), detail.summary.title.clone(), None),
            MovieField::OriginalTitle => (text(&detail.original_title), text(&detail.original_title), None),
            MovieField::SortTitle => (text(&detail.sort_title), text(&detail.sort_title), None),
            MovieField::Year => (number(detail.summary.year), number(detail.summary.year), None),
            MovieField::Tagline => (text(&detail.tagline), text(&detail.tagline), None),
            MovieField::Outline => (text(&detail.outline), text(&detail.outline), None),
            MovieField::Plot => (text(&detail.plot), text(&detail.plot), None),
            MovieField::Runtime => (
                detail.runtime.map(|minutes| format!("{minutes} min")).unwrap_or_default(),
                number(detail.runtime),
                None,
            ),
            MovieField::Premiered => (text(&detail.premiered), text(&detail.premiered), None),
            MovieField::Genres => (detail.genres.join(", "), detail.genres.join(", "), None),
            MovieField::TmdbId => {
                let link = detail.summary.tmdb_id.map(|id| format!("https://www.themoviedb.org/movie/{id}"));
                (number(detail.summary.tmdb_id), number(detail.summary.tmdb_id), link)
            }
            MovieField::ImdbId => {
                let imdb_id = text(&detail.summary.imdb_id);
                let link = metarr_nfo::is_imdb_id(&imdb_id).then(|| format!("https://www.imdb.com/title/{imdb_id}/"));
                (imdb_id.clone(), imdb_id, link)
            }
            MovieField::Certification => (text(&detail.certification), text(&detail.certification), None),
            MovieField::Certifications => {
                let shown: Vec<String> =
                    detail.certifications.iter().map(|c| format!("{}: {}", c.country, c.certification)).collect();
                (shown.join(", "), json_or_empty(&detail.certifications), None)
            }
            MovieField::Ratings => (ratings_text(&detail.ratings), json_or_empty(&detail.ratings), None),
            MovieField::UserRating => (number(detail.user_rating), number(detail.user_rating), None),
            MovieField::Top250 => (number(detail.top250), number(detail.top250), None),
            MovieField::UniqueIds => {
                let shown: Vec<String> =
                    detail.uniqueids.iter().map(|id| format!("{}: {}", id.kind, id.value)).collect();
                (shown.join(", "), json_or_empty(&detail.uniqueids), None)
            }
            MovieField::Set => match &detail.set {
                Some(set) => {
                    let link = set.tmdb_collection_id.map(|id| format!("https://www.themoviedb.org/collection/{id}"));
                    (set.name.clone(), pretty(set), link)
                }
                None => (String::new(), String::new(), None),
            },
            MovieField::Studios => (detail.studios.join(", "), detail.studios.join(", "), None),
            MovieField::Countries => (detail.countries.join(", "), detail.countries.join(", "), None),
            MovieField::Tags => (detail.tags.join(", "), detail.tags.join(", "), None),
            MovieField::Directors => (detail.directors.join(", "), detail.directors.join(", "), None),
            MovieField::Writers => (detail.writers.join(", "), detail.writers.join(", "), None),
            MovieField::Actors => (cast_text(&detail.actors), json_or_empty(&detail.actors), None),
            MovieField::Trailer => (text(&detail.trailer), text(&detail.trailer), None),
            MovieField::DateAdded => (text(&detail.date_added), text(&detail.date_added), None),
        };
        let (name, label) = (field.as_str(), field.label());
        FieldRow {
            source: detail.field_sources.get(&field).map(|source| source.as_str()).unwrap_or_default(),
            locked: detail.locks.iter().any(|lock| lock == name),
            link,
            ..FieldRow::new(name, label, kind, display, input)
        }
    }

    /// A row whose form suits `kind`, unlocked, with no source, link or error; the TV pages
    /// build theirs from this too.
    pub(super) fn new(name: &'static str, label: &'static str, kind: Kind, display: String, input: String) -> FieldRow {
        FieldRow {
            name,
            label,
            display,
            input,
            multiline: matches!(kind, Kind::Text | Kind::Json),
            numeric: kind == Kind::Integer,
            hint: match kind {
                Kind::List => "separate them with commas",
                Kind::Json => "JSON, as the API takes it",
                _ => "",
            },
            source: "",
            locked: false,
            link: None,
            error: None,
            open: false,
        }
    }
}

/// One field's row, also served alone to htmx after an edit or a lock change. `stamp` and
/// `heading` are set then: the row carries the page's new change stamp and heading out of band,
/// so that the page shows the new title without reloading itself for its own user's change.
#[derive(Template)]
#[template(path = "movie_field.html")]
struct FieldRowView {
    movie_id: MovieId,
    csrf: String,
    row: FieldRow,
    stamp: Option<i64>,
    heading: Option<Heading>,
}

/// The movie page's `<h1>`.
pub struct Heading {
    pub title: String,
    pub year: String,
    pub missing: bool,
}

impl Heading {
    fn of(detail: &MovieDetail) -> Heading {
        Heading {
            title: detail.summary.title.clone(),
            year: detail.summary.year.map(|year| year.to_string()).unwrap_or_default(),
            missing: detail.summary.missing,
        }
    }
}

/// The row of a field after a change, for htmx.
async fn changed_row(
    state: &AppState,
    csrf: String,
    detail: &MovieDetail,
    field: FieldSpec,
) -> Result<Response, UiError> {
    let (field, kind) = field;
    let stamp = Some(movies::updated_at(&state.db, detail.summary.id).await?);
    let row = FieldRow::of(detail, field, kind);
    Ok(render(&FieldRowView { movie_id: detail.summary.id, csrf, row, stamp, heading: Some(Heading::of(detail)) }))
}

/// An image from the cache.
pub struct Image {
    pub sha256: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

pub struct FileLine {
    pub name: String,
    pub path: String,
    pub kind: String,
    pub size: String,
    pub bytes: i64,
}

pub struct ArtworkLine {
    pub kind: String,
    pub name: String,
    pub sha256: Option<String>,
    /// `1000×1500`, or empty when unknown.
    pub dimensions: String,
}

pub struct SubtitleLine {
    pub name: String,
    pub language: String,
    pub flags: String,
}

pub struct UnknownLine {
    pub name: String,
    pub category: String,
    pub size: String,
}

/// One artwork slot on the movie page.
pub struct SlotLine {
    pub name: &'static str,
    pub limit: u32,
    pub locked: bool,
    /// The selected images' hashes, in order.
    pub images: Vec<String>,
    pub candidates: usize,
}

/// One cast member on the movie page.
pub struct CastLine {
    pub name: String,
    pub role: String,
    pub headshot: Option<String>,
}

/// The streams of the main video, one line of text per stream.
#[derive(Default)]
pub struct StreamsView {
    pub container: String,
    pub video: Vec<String>,
    pub audio: Vec<String>,
    pub subtitle: Vec<String>,
}

impl StreamsView {
    pub fn is_empty(&self) -> bool {
        self.video.is_empty() && self.audio.is_empty() && self.subtitle.is_empty()
    }
}

/// The movie's whole detail block, refreshed live when the movie changes.
#[derive(Template)]
#[template(path = "movie_live.html")]
struct MovieLive {
    movie_id: MovieId,
    stamp: i64,
    /// The identification state's label and badge class.
    identification: &'static str,
    identification_class: &'static str,
    /// When the providers last filled the movie, or empty.
    enriched_at: String,
    /// The rendered Identify section.
    identify: String,
    title: String,
    year: String,
    missing: bool,
    library_id: LibraryId,
    library: String,
    folder: String,
    video: String,
    poster: Option<Image>,
    fanart: Option<Image>,
    /// The artwork slots with their selected images.
    slots: Vec<SlotLine>,
    /// The billed cast with their cached headshots.
    cast: Vec<CastLine>,
    locked: usize,
    fields: Vec<String>,
    files: Vec<FileLine>,
    streams: StreamsView,
    artwork: Vec<ArtworkLine>,
    subtitles: Vec<SubtitleLine>,
    unknown_files: Vec<UnknownLine>,
    warnings: Vec<String>,
    /// The rendered "Published files" section.
    published: String,
}

#[derive(Template)]
#[template(path = "movie.html")]
struct MoviePage {
    ui: Ui,
    movie_id: MovieId,
    title: String,
    error: Option<String>,
    notice: Option<String>,
    live: String,
}

/// `1.4 GB`: sizes as people read them (decimal units, as file managers show them).
pub(super) fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A file's path shown relative to the movie's folder (the folder is on the page once).
pub(super) fn relative(path: &str, folder: &str) -> String {
    std::path::Path::new(path)
        .strip_prefix(folder)
        .map(|relative| relative.display().to_string())
        .unwrap_or_else(|_| path.to_owned())
}

/// One line of a stream's parts, the empty ones left out.
fn stream_line(parts: impl IntoIterator<Item = Option<String>>) -> String {
    parts.into_iter().flatten().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" · ")
}

fn profile(profile: &Option<String>) -> Option<String> {
    profile.as_ref().map(|profile| format!("({profile})"))
}

fn title(title: &Option<String>) -> Option<String> {
    title.as_ref().map(|title| format!("“{title}”"))
}

fn flag(set: bool, name: &str) -> Option<String> {
    set.then(|| name.to_owned())
}

/// The stream details as the movie page shows them, read from the probe crate's own types: a
/// field renamed there fails to build here rather than leaving an empty cell.
pub(super) fn streams_view(details: Option<&StreamDetails>) -> StreamsView {
    let Some(details) = details else { return StreamsView::default() };
    let duration = details.duration_secs.map(|secs| {
        let secs = secs.round() as i64;
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    });
    let video = details.video.iter().map(|v| {
        stream_line([
            Some(v.codec.clone()),
            profile(&v.profile),
            Some(format!("{}×{}", v.width, v.height)),
            v.frame_rate.map(|rate| format!("{rate:.3} fps")),
            v.bit_depth.map(|depth| format!("{depth}-bit")),
            Some(v.hdr.as_str().to_owned()),
            v.color_transfer.clone(),
            flag(v.default, "default"),
        ])
    });
    let audio = details.audio.iter().map(|a| {
        stream_line([
            Some(a.codec.clone()),
            profile(&a.profile),
            a.channels.map(|channels| format!("{channels} ch")),
            a.channel_layout.clone(),
            a.sample_rate.map(|rate| format!("{rate} Hz")),
            a.language.clone(),
            title(&a.title),
            flag(a.default, "default"),
        ])
    });
    let subtitle = details.subtitles.iter().map(|s| {
        stream_line([
            Some(s.codec.clone()),
            s.language.clone(),
            title(&s.title),
            flag(s.forced, "forced"),
            flag(s.hearing_impaired, "SDH"),
            flag(s.default, "default"),
        ])
    });
    StreamsView {
        container: stream_line([details.container.clone(), duration]),
        video: video.collect(),
        audio: audio.collect(),
        subtitle: subtitle.collect(),
    }
}

fn image(assets: &[movies::AssetRef], kind: &str) -> Option<Image> {
    assets
        .iter()
        .filter(|asset| asset.kind == kind && asset.sha256.is_some())
        .min_by_key(|asset| asset.index.unwrap_or(-1))
        .map(|asset| Image {
            sha256: asset.sha256.clone().unwrap_or_default(),
            width: asset.width,
            height: asset.height,
        })
}

fn field_rows(detail: &MovieDetail, csrf: &str) -> Result<Vec<String>, UiError> {
    FIELDS
        .iter()
        .map(|(field, kind)| {
            let row = FieldRow::of(detail, *field, *kind);
            render_html(&FieldRowView {
                movie_id: detail.summary.id,
                csrf: csrf.to_owned(),
                row,
                stamp: None,
                heading: None,
            })
        })
        .collect()
}

async fn live_block(
    state: &AppState,
    csrf: &str,
    detail: &MovieDetail,
    stamp: i64,
    refused: Option<FieldRow>,
    identify: Option<super::enrich::IdentifyView>,
) -> Result<MovieLive, UiError> {
    let library = libraries::get(&state.db, detail.summary.library_id).await?;
    let folder = detail.summary.folder.clone();
    let mut fields = field_rows(detail, csrf)?;
    if let Some(row) = refused
        && let Some(index) = FIELDS.iter().position(|(field, _)| field.as_str() == row.name)
    {
        fields[index] = render_html(&FieldRowView {
            movie_id: detail.summary.id,
            csrf: csrf.to_owned(),
            row,
            stamp: None,
            heading: None,
        })?;
    }
    let mut artwork: Vec<&movies::AssetRef> = detail.assets.iter().collect();
    artwork
        .sort_by(|a, b| (a.kind.as_str(), a.index, a.path.as_str()).cmp(&(b.kind.as_str(), b.index, b.path.as_str())));
    let identify = identify.unwrap_or_else(|| super::enrich::IdentifyView::of(detail, csrf)).html()?;
    let (identification, identification_class) = super::enrich::state_badge(detail);
    let slots = crate::routes::artwork::view(state, detail.summary.id).await?.slots;
    let selected_image = |slot: metarr_artwork::Slot| {
        slots.iter().find(|view| view.slot == slot).and_then(|view| view.selected.first()).and_then(|first| {
            Some(Image {
                sha256: first.candidate.sha256.clone()?,
                width: first.candidate.width.map(i64::from),
                height: first.candidate.height.map(i64::from),
            })
        })
    };
    let poster = selected_image(metarr_artwork::Slot::Poster).or_else(|| image(&detail.assets, "poster"));
    let fanart = selected_image(metarr_artwork::Slot::Fanart).or_else(|| image(&detail.assets, "fanart"));
    let billed: Vec<&movies::Actor> = detail.actors.iter().take(crate::artwork::headshots::ACTORS_PER_MOVIE).collect();
    let people: Vec<i64> = billed.iter().filter_map(|actor| actor.tmdb_id).collect();
    let headshots = crate::artwork::headshots::cached(&state.db, &people).await?;
    let cast = billed
        .into_iter()
        .map(|actor| CastLine {
            name: actor.name.clone(),
            role: actor.role.clone().unwrap_or_default(),
            headshot: actor.tmdb_id.and_then(|id| headshots.get(&id).cloned()),
        })
        .collect();
    let slots = slots
        .iter()
        .map(|view| SlotLine {
            name: view.slot.as_str(),
            limit: view.limit,
            locked: view.locked,
            images: view.selected.iter().filter_map(|c| c.candidate.sha256.clone()).collect(),
            candidates: view.candidates.len(),
        })
        .collect();
    let published = super::publish::movie_section(state, detail, &library).await?;
    Ok(MovieLive {
        movie_id: detail.summary.id,
        stamp,
        identification,
        identification_class,
        enriched_at: detail.enriched_at.as_ref().map(super::when).unwrap_or_default(),
        identify,
        title: detail.summary.title.clone(),
        year: detail.summary.year.map(|year| year.to_string()).unwrap_or_default(),
        missing: detail.summary.missing,
        library_id: library.id,
        library: library.name,
        video: detail.summary.video.as_deref().map(|video| relative(video, &folder)).unwrap_or_default(),
        poster,
        fanart,
        slots,
        cast,
        locked: detail.locks.len(),
        fields,
        files: detail
            .files
            .iter()
            .map(|file| FileLine {
                name: relative(&file.path, &folder),
                path: file.path.clone(),
                kind: match &file.role {
                    Some(role) => format!("{} ({role})", file.category),
                    None => file.category.clone(),
                },
                size: human_size(file.size),
                bytes: file.size,
            })
            .collect(),
        streams: streams_view(detail.stream_details.as_ref()),
        artwork: artwork
            .into_iter()
            .map(|asset| ArtworkLine {
                kind: match asset.index {
                    Some(index) => format!("{} {index}", asset.kind),
                    None => asset.kind.clone(),
                },
                name: relative(&asset.path, &folder),
                sha256: asset.sha256.clone(),
                dimensions: match (asset.width, asset.height) {
                    (Some(width), Some(height)) => format!("{width}×{height}"),
                    _ => String::new(),
                },
            })
            .collect(),
        subtitles: detail
            .subtitles
            .iter()
            .map(|subtitle| SubtitleLine {
                name: relative(&subtitle.path, &folder),
                language: subtitle.language.clone().unwrap_or_default(),
                flags: [subtitle.forced.then_some("forced"), subtitle.sdh.then_some("SDH")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        unknown_files: detail
            .unknown_files
            .iter()
            .map(|file| UnknownLine {
                name: relative(&file.path, &folder),
                category: file.category.clone().unwrap_or_default(),
                size: human_size(file.size),
            })
            .collect(),
        warnings: detail.warnings.clone(),
        published,
        folder,
    })
}

async fn movie_page(
    state: &AppState,
    ui: Ui,
    id: MovieId,
    refused: Option<FieldRow>,
    status: StatusCode,
) -> Result<Response, UiError> {
    page_with(state, ui, id, status, Extras { refused, ..Extras::default() }).await
}

/// What a movie page shows besides the stored movie: a refused edit, a notice, an error, and
/// the Identify section as a search or a pick left it.
#[derive(Default)]
pub(super) struct Extras {
    pub refused: Option<FieldRow>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub identify: Option<super::enrich::IdentifyView>,
}

pub(super) async fn page_with(
    state: &AppState,
    ui: Ui,
    id: MovieId,
    status: StatusCode,
    extras: Extras,
) -> Result<Response, UiError> {
    let detail = movies::detail(&state.db, id).await?;
    let refused_error =
        extras.refused.as_ref().and_then(|row| row.error.as_ref()).map(|error| format!("Not saved: {error}"));
    let error = refused_error.or(extras.error);
    let stamp = movies::updated_at(&state.db, id).await?;
    let live = render_html(&live_block(state, &ui.csrf, &detail, stamp, extras.refused, extras.identify).await?)?;
    let page = MoviePage {
        ui: ui.at("movies"),
        movie_id: id,
        title: detail.summary.title,
        error,
        notice: extras.notice,
        live,
    };
    Ok(render_with(status, &page))
}

/// `GET /movies/{id}`
pub async fn detail_page(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    movie_page(&state, ui, id, None, StatusCode::OK).await
}

/// `POST /movies/{id}/scan`: queues a rescan of the movie's folder, as the API's
/// `POST /api/v1/movies/{id}/scan` does, and shows the page again with a notice; the page
/// refreshes itself when the scan changes the movie.
pub async fn rescan(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    let job = crate::jobs::webhook::rescan_movie(&state.db, id).await?;
    let notice = format!("Rescan queued (job {}): this page updates when the folder has been read.", job.id);
    page_with(&state, ui, id, StatusCode::OK, Extras { notice: Some(notice), ..Extras::default() }).await
}

#[derive(Debug, Default, Deserialize)]
pub struct LiveQuery {
    stamp: Option<i64>,
}

/// `GET /movies/{id}/live?stamp=`: the detail block again when the movie changed since the
/// page's stamp, else 204 (htmx then leaves the page alone). Any movie's event asks this, as
/// the event filter that would pick this movie's events needs script evaluation, which the
/// page's policy forbids.
pub async fn live(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    query: Result<Query<LiveQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let current = movies::updated_at(&state.db, id).await?;
    if query.stamp == Some(current) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let detail = movies::detail(&state.db, id).await?;
    Ok(render(&live_block(&state, &ui.csrf, &detail, current, None, None).await?))
}

/// The edit form: the new value as text.
#[derive(Debug, Default, Deserialize)]
pub struct FieldForm {
    #[serde(default)]
    pub(super) value: String,
}

/// `POST /movies/{id}/fields/{field}`: saves one field and locks it. Without JavaScript the
/// browser lands back on the movie page; htmx gets the field's row alone. A refused value shows
/// the form again with the reason and the typed text (400; 200 for htmx, which swaps only
/// successful answers).
pub async fn save_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
    form: Result<Form<FieldForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let Some((shown, kind)) = field_spec(&field) else {
        // The API's own check words the refusal (and lists the editable fields).
        let body = Map::from_iter([(field.clone(), Value::String(form.value))]);
        return Err(crate::routes::movies::parse_fields(body)
            .err()
            .map_or_else(|| UiError::BadRequest(format!("{field:?} cannot be edited here")), UiError::from));
    };
    let (name, label) = (shown.as_str(), shown.label());
    let checked = form_value(label, kind, &form.value).and_then(|value| {
        crate::routes::movies::parse_fields(Map::from_iter([(name.to_owned(), value)])).map_err(UiError::from)
    });
    let saved = match checked {
        Ok(fields) => movies::edit(&state.db, id, &fields).await.map_err(UiError::from),
        Err(err) => Err(err),
    };
    match saved {
        Ok(detail) => {
            state.events.publish("movie.updated", &detail.summary);
            if wants_fragment(&headers) {
                return changed_row(&state, ui.csrf, &detail, (shown, kind)).await;
            }
            Ok(see_other(&format!("/movies/{id}#field-{name}")))
        }
        Err(UiError::BadRequest(message)) => {
            let detail = movies::detail(&state.db, id).await?;
            let mut row = FieldRow::of(&detail, shown, kind);
            row.input = form.value;
            row.error = Some(message);
            row.open = true;
            if wants_fragment(&headers) {
                return Ok(render(&FieldRowView { movie_id: id, csrf: ui.csrf, row, stamp: None, heading: None }));
            }
            movie_page(&state, ui, id, Some(row), StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /movies/{id}/fields/{field}/lock`
pub async fn lock(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_lock(&state, ui, &headers, &id, &field, true).await
}

/// `POST /movies/{id}/fields/{field}/unlock`
pub async fn unlock(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_lock(&state, ui, &headers, &id, &field, false).await
}

async fn set_lock(
    state: &AppState,
    ui: Ui,
    headers: &HeaderMap,
    id: &str,
    field: &str,
    locked: bool,
) -> Result<Response, UiError> {
    let id = movie_id(id)?;
    movies::set_lock(&state.db, id, field, locked).await?;
    let Some((shown, kind)) = field_spec(field) else {
        // Lockable but not shown on the page (none today): the page is still right.
        return Ok(see_other(&format!("/movies/{id}")));
    };
    if wants_fragment(headers) {
        let detail = movies::detail(&state.db, id).await?;
        return changed_row(state, ui.csrf, &detail, (shown, kind)).await;
    }
    Ok(see_other(&format!("/movies/{id}#field-{shown}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lockable_field_has_a_row_and_no_other() {
        let mut shown: Vec<MovieField> = FIELDS.iter().map(|(field, _)| *field).collect();
        shown.sort_unstable();
        let mut lockable = MovieField::ALL.to_vec();
        lockable.sort_unstable();
        assert_eq!(shown, lockable);
    }

    #[test]
    fn list_links_keep_the_other_filters() {
        let query = ListQuery {
            q: Some(" heat & dust ".into()),
            library_id: Some("3".into()),
            missing: Some("".into()),
            has_warnings: Some("true".into()),
            identification: Some("needs_identification".into()),
            view: Some("table".into()),
            page: Some("2".into()),
        };
        let listing = Listing::parse(&query).expect("valid");
        assert_eq!(
            listing.href(true, 3),
            "/movies?q=heat+%26+dust&library_id=3&has_warnings=true&identification=needs_identification&view=table&page=3"
        );
        assert_eq!(
            listing.href(false, 1),
            "/movies?q=heat+%26+dust&library_id=3&has_warnings=true&identification=needs_identification"
        );
        assert_eq!(listing.filter().offset, Some(PAGE_SIZE));
        for bad in [
            ListQuery { page: Some("0".into()), ..ListQuery::default() },
            ListQuery { page: Some("x".into()), ..ListQuery::default() },
            ListQuery { library_id: Some("one".into()), ..ListQuery::default() },
            ListQuery { missing: Some("maybe".into()), ..ListQuery::default() },
            ListQuery { identification: Some("perhaps".into()), ..ListQuery::default() },
            ListQuery { view: Some("cards".into()), ..ListQuery::default() },
        ] {
            assert!(Listing::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn form_text_becomes_the_api_value() {
        assert_eq!(form_value("Year", Kind::Integer, " 1999 ").expect("number"), Value::from(1999));
        assert!(form_value("Year", Kind::Integer, "1999a").is_err());
        assert_eq!(
            form_value("Genres", Kind::List, "Action, Science Fiction,,\nDrama").expect("list"),
            serde_json::json!(["Action", "Science Fiction", "Drama"])
        );
        assert_eq!(form_value("Plot", Kind::Text, " a\r\nb ").expect("text"), Value::from("a\nb"));
    }

    #[test]
    fn sizes_and_streams_read_well() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_450_000_000), "1.4 GB");
        let streams: StreamDetails = serde_json::from_value(serde_json::json!({
            "container": "mp4", "duration_secs": 3725.2,
            "video": [{ "index": 0, "codec": "h264", "profile": "High", "width": 1920, "height": 800, "hdr": "sdr", "default": true }],
            "audio": [{ "index": 1, "codec": "aac", "channels": 2, "language": "eng", "default": false }],
            "subtitles": [{ "index": 2, "codec": "subrip", "language": "fre", "forced": true, "default": false, "hearing_impaired": false }],
        }))
        .expect("stored stream details");
        let view = streams_view(Some(&streams));
        assert_eq!(view.container, "mp4 · 1:02:05");
        assert_eq!(view.video, vec!["h264 · (High) · 1920×800 · sdr · default"]);
        assert_eq!(view.audio, vec!["aac · 2 ch · eng"]);
        assert_eq!(view.subtitle, vec!["subrip · fre · forced"]);
    }
}
