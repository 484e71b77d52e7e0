//! `/tv`, `/series/{id}` and `/episodes/{id}`: the TV shows as a poster grid or a table with
//! search, filters and paging; one series with its fields, ids, artwork and seasons of episodes
//! (on disk or missing, multi-episode files shown as shared); one episode with its fields,
//! thumb, streams and subtitles. Fields are edited and locked as on the movie page.
//!
//! Edits go through `routes::series::parse_series_edit` / `parse_episode_edit` and
//! `catalogue::series::edit` / `edit_episode` / `set_lock`, the very calls of the API's PATCH
//! and lock routes, and Rescan through `routes::series::queue_rescan`: a value the API refuses
//! is refused here with the same message, and a saved field is locked the same way.

use super::movies::{
    ArtworkLine, FieldForm, FieldRow, Image, Kind, LibraryOption, MAX_QUERY_CHARS, StreamsView, SubtitleLine, cut,
    form_value, relative, streams_view, tri_state, tri_value,
};
use super::{Ui, UiError, render, render_html, render_with, see_other, vary_on_htmx, wants_fragment};
use crate::catalogue::libraries::{self, LibraryKind};
use crate::catalogue::series::{
    self, EpisodeDetail, EpisodeSummary, LockTable, Numbering, SeriesDetail, SeriesField, SeriesFilter, TvAsset,
};
use crate::ids::{EpisodeId, LibraryId, SeriesId};
use crate::routes::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use metarr_probe::StreamDetails;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Series per page of the list, as many as the movies page shows.
pub const PAGE_SIZE: i64 = super::movies::PAGE_SIZE;

/// The TV pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tv", get(list))
        .route("/series/{id}", get(series_page))
        .route("/series/{id}/scan", post(rescan))
        .route("/series/{id}/enrich", post(super::tv_enrich::refresh))
        .route("/series/{id}/identify", get(super::tv_enrich::search).post(super::tv_enrich::pick))
        .route("/series/{id}/publish", get(super::publish::series_plan_page).post(super::publish::publish_series))
        .route("/series/{id}/verify", post(super::publish::verify_series))
        .route("/series/{id}/numbering", post(save_numbering))
        .route("/series/{id}/fields/{field}", post(save_series_field))
        .route("/series/{id}/fields/{field}/lock", post(lock_series_field))
        .route("/series/{id}/fields/{field}/unlock", post(unlock_series_field))
        .route("/episodes/{id}", get(episode_page))
        .route("/episodes/{id}/fields/{field}", post(save_episode_field))
        .route("/episodes/{id}/fields/{field}/lock", post(lock_episode_field))
        .route("/episodes/{id}/fields/{field}/unlock", post(unlock_episode_field))
}

/// A series id from the URL; anything but a number is the client's mistake, not a missing page.
pub(super) fn series_id(text: &str) -> Result<SeriesId, UiError> {
    text.parse().map_err(|_| UiError::BadRequest(format!("a series id is a number, not {:?}", cut(text, 40))))
}

/// An episode id from the URL.
fn episode_id(text: &str) -> Result<EpisodeId, UiError> {
    text.parse().map_err(|_| UiError::BadRequest(format!("an episode id is a number, not {:?}", cut(text, 40))))
}

// ---------------------------------------------------------------------------------------------
// The list

/// The list's query string as sent, all text so that a wrong value gets our own 400 page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    library_id: Option<String>,
    missing: Option<String>,
    view: Option<String>,
    page: Option<String>,
}

/// The list's filters, checked.
#[derive(Debug, Clone, Default, PartialEq)]
struct Listing {
    q: String,
    library_id: Option<LibraryId>,
    missing: Option<bool>,
    table: bool,
    page: i64,
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
        Ok(Listing { q, library_id, missing: tri_state("missing", query.missing.as_deref())?, table, page })
    }

    fn filter(&self) -> SeriesFilter {
        SeriesFilter {
            library_id: self.library_id,
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            missing: self.missing,
            has_warnings: None,
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
        if table {
            query.append_pair("view", "table");
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        match query.finish() {
            query if query.is_empty() => "/tv".to_owned(),
            query => format!("/tv?{query}"),
        }
    }
}

/// A series as the grid and the table show it.
pub struct SeriesCard {
    pub id: SeriesId,
    pub title: String,
    /// The year, or empty.
    pub year: String,
    /// The cached poster's hash.
    pub poster: Option<String>,
    pub missing: bool,
    pub library: String,
    pub folder: String,
    pub seasons: i64,
    pub episodes_on_disk: i64,
    pub episodes_total: i64,
}

/// The results region: count, view toggle, grid or table, pager. Served alone to htmx.
#[derive(Template)]
#[template(path = "tv_results.html")]
struct Results {
    cards: Vec<SeriesCard>,
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
#[template(path = "tv.html")]
struct TvPage {
    ui: Ui,
    q: String,
    libraries: Vec<LibraryOption>,
    missing: &'static str,
    view: &'static str,
    results: String,
}

/// `GET /tv?q=&library_id=&missing=&view=grid|table&page=`: the whole page, or the results
/// region alone for htmx. Three catalogue queries whatever the catalogue's size: the page, the
/// count, and the page's posters.
pub async fn list(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let listing = Listing::parse(&query)?;
    let (items, total) = series::list(&state.db, &listing.filter()).await?;
    let ids: Vec<SeriesId> = items.iter().map(|series| series.id).collect();
    let mut posters = series::posters(&state.db, &ids).await?;
    let libraries = libraries::list(&state.db).await?;
    let library_names: HashMap<LibraryId, &str> =
        libraries.iter().map(|library| (library.id, library.name.as_str())).collect();
    let cards = items
        .into_iter()
        .map(|series| SeriesCard {
            poster: posters.remove(&series.id),
            year: series.year.map(|year| year.to_string()).unwrap_or_default(),
            library: library_names.get(&series.library_id).copied().unwrap_or_default().to_owned(),
            id: series.id,
            title: series.title,
            missing: series.missing,
            folder: series.folder,
            seasons: series.seasons,
            episodes_on_disk: series.episodes_on_disk,
            episodes_total: series.episodes_total,
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
        filtered: !listing.q.is_empty() || listing.library_id.is_some() || listing.missing.is_some(),
        grid_href: listing.href(false, page),
        table_href: listing.href(true, page),
        previous_href: (page > 1).then(|| listing.href(listing.table, (page - 1).min(pages))),
        next_href: (page < pages).then(|| listing.href(listing.table, page + 1)),
        last_href: listing.href(listing.table, pages),
    };
    if wants_fragment(&headers) {
        return Ok(vary_on_htmx(render(&results)));
    }
    let page = TvPage {
        ui: ui.at("tv"),
        q: listing.q.clone(),
        libraries: libraries
            .iter()
            .filter(|library| library.kind == LibraryKind::Tv)
            .map(|library| LibraryOption {
                id: library.id,
                name: library.name.clone(),
                selected: listing.library_id == Some(library.id),
            })
            .collect(),
        missing: tri_value(listing.missing),
        view: if listing.table { "table" } else { "grid" },
        results: render_html(&results)?,
    };
    Ok(vary_on_htmx(render(&page)))
}

// ---------------------------------------------------------------------------------------------
// Field rows, shared by the series and the episode page

/// One field's row on a TV page, also served alone to htmx after an edit or a lock change;
/// `heading` is then set, so that the series page shows a new title out of band.
#[derive(Template)]
#[template(path = "tv_field.html")]
struct FieldRowView {
    /// `/series/{id}` or `/episodes/{id}`: where the row's forms post.
    base: String,
    csrf: String,
    row: FieldRow,
    heading: Option<Heading>,
}

/// The `<h1>` of a series or an episode page.
pub struct Heading {
    /// `series-title` or `episode-title`.
    pub id: &'static str,
    pub title: String,
    pub year: String,
    pub missing: bool,
}

/// A text value as a row shows it and its form holds it.
fn text(value: &Option<String>) -> (String, String) {
    let value = value.clone().unwrap_or_default();
    (value.clone(), value)
}

fn number(value: Option<i64>) -> (String, String) {
    let value = value.map(|value| value.to_string()).unwrap_or_default();
    (value.clone(), value)
}

/// A row with its source and lock from the stored sources and locks.
fn field_row(
    name: &'static str,
    label: &'static str,
    kind: Kind,
    (display, input): (String, String),
    sources: &std::collections::BTreeMap<String, crate::catalogue::movies::FieldSource>,
    locks: &[String],
) -> FieldRow {
    FieldRow {
        source: sources.get(name).map(|source| source.as_str()).unwrap_or_default(),
        locked: locks.iter().any(|lock| lock == name),
        ..FieldRow::new(name, label, kind, display, input)
    }
}

// ---------------------------------------------------------------------------------------------
// One series

/// A series field the page edits, with its label and form kind.
type SeriesSpec = (SeriesField, &'static str, Kind);

/// The series fields the page edits, in the order it shows them.
const SERIES_FIELDS: &[SeriesSpec] = &[
    (SeriesField::Title, "Title", Kind::Line),
    (SeriesField::OriginalTitle, "Original title", Kind::Line),
    (SeriesField::SortTitle, "Sort title", Kind::Line),
    (SeriesField::Year, "Year", Kind::Integer),
    (SeriesField::Plot, "Plot", Kind::Text),
    (SeriesField::Status, "Status", Kind::Line),
    (SeriesField::Premiered, "Premiered", Kind::Line),
    (SeriesField::Genres, "Genres", Kind::List),
];

fn series_spec(name: &str) -> Option<SeriesSpec> {
    let field = SeriesField::parse(name)?;
    SERIES_FIELDS.iter().copied().find(|(shown, _, _)| *shown == field)
}

fn series_row(detail: &SeriesDetail, (field, label, kind): SeriesSpec) -> FieldRow {
    let value = match field {
        SeriesField::Title => (detail.summary.title.clone(), detail.summary.title.clone()),
        SeriesField::OriginalTitle => text(&detail.original_title),
        SeriesField::SortTitle => text(&detail.sort_title),
        SeriesField::Year => number(detail.summary.year),
        SeriesField::Plot => text(&detail.plot),
        SeriesField::Status => text(&detail.status),
        SeriesField::Premiered => text(&detail.premiered),
        SeriesField::Genres => (detail.genres.join(", "), detail.genres.join(", ")),
        // Not on the page (see `SERIES_FIELDS`).
        _ => (String::new(), String::new()),
    };
    field_row(field.as_str(), label, kind, value, &detail.field_sources, &detail.locks)
}

fn series_heading(detail: &SeriesDetail) -> Heading {
    Heading {
        id: "series-title",
        title: detail.summary.title.clone(),
        year: detail.summary.year.map(|year| year.to_string()).unwrap_or_default(),
        missing: detail.summary.missing,
    }
}

/// An id of the series or an episode, with a link to its site when it has one.
pub struct IdLine {
    pub name: &'static str,
    pub value: String,
    pub link: Option<String>,
    pub source: &'static str,
    pub locked: bool,
}

/// One choice of the numbering select.
pub struct NumberingOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// An episode in a season's table.
pub struct EpisodeLine {
    pub id: EpisodeId,
    /// `S01E02`, `2024-03-01` or `#012`.
    pub key: String,
    pub title: String,
    pub aired: String,
    pub on_disk: bool,
    /// The video, relative to the series folder; empty when missing.
    pub file: String,
    /// The other episodes of the same multi-episode file, by key.
    pub shares_with: Vec<String>,
}

/// A season with its poster and episodes.
pub struct SeasonBlock {
    pub number: i64,
    /// `Season 1` or `Specials`.
    pub name: String,
    pub title: String,
    pub poster: Option<String>,
    pub episodes: Vec<EpisodeLine>,
    pub on_disk: usize,
}

#[derive(Template)]
#[template(path = "series.html")]
struct SeriesPage {
    ui: Ui,
    series_id: SeriesId,
    heading: Heading,
    error: Option<String>,
    notice: Option<String>,
    /// The identification state's label and badge class, and when the providers last answered.
    identification: &'static str,
    identification_class: &'static str,
    enriched_at: String,
    /// The rendered Identify section.
    identify: String,
    /// The library's publish mode, and whether it is `off`.
    publish_mode: &'static str,
    publish_off: bool,
    /// What "Verify" just found and did.
    verification: Option<super::publish::SeriesVerificationView>,
    library_id: LibraryId,
    library: String,
    folder: String,
    poster: Option<Image>,
    ids: Vec<IdLine>,
    numbering: Vec<NumberingOption>,
    numbering_error: Option<String>,
    locked: usize,
    fields: Vec<String>,
    artwork: Vec<ArtworkLine>,
    /// The series' and each season's slots, each with its picker.
    slot_groups: Vec<SlotGroup>,
    seasons: Vec<SeasonBlock>,
    warnings: Vec<String>,
}

/// The slots of one owner (a series, a season, an episode) on its page.
pub struct SlotGroup {
    pub heading: String,
    /// Where its pickers live (`/series/3/seasons/1/artwork`).
    pub base: String,
    /// An id-safe name (`series`, `season-1`, `episode`).
    pub name: String,
    pub slots: Vec<super::movies::SlotLine>,
}

fn slot_lines(views: &[crate::routes::artwork::SlotView]) -> Vec<super::movies::SlotLine> {
    views
        .iter()
        .map(|view| super::movies::SlotLine {
            name: view.slot.as_str(),
            limit: view.limit,
            locked: view.locked,
            images: view.selected.iter().filter_map(|c| c.candidate.sha256.clone()).collect(),
            candidates: view.candidates.len(),
        })
        .collect()
}

/// The series' slot groups: its own, then each season's.
async fn series_slot_groups(state: &AppState, id: SeriesId) -> Result<Vec<SlotGroup>, UiError> {
    let view = crate::routes::artwork::series_view(state, id).await?;
    let mut groups = vec![SlotGroup {
        heading: "Series".to_owned(),
        base: format!("/series/{id}/artwork"),
        name: "series".to_owned(),
        slots: slot_lines(&view.slots),
    }];
    for season in &view.seasons {
        groups.push(SlotGroup {
            heading: if season.season == 0 { "Specials".to_owned() } else { format!("Season {}", season.season) },
            base: format!("/series/{id}/seasons/{}/artwork", season.season),
            name: format!("season-{}", season.season),
            slots: slot_lines(&season.slots),
        });
    }
    Ok(groups)
}

/// An episode's key as people read it.
fn episode_key(episode: &EpisodeSummary) -> String {
    match (episode.season, episode.episode) {
        (Some(season), Some(number)) => format!("S{season:02}E{number:02}"),
        _ => match (episode.key.strip_prefix('d'), episode.absolute_number) {
            (Some(date), _) => date.to_owned(),
            (None, Some(absolute)) => format!("#{absolute:03}"),
            (None, None) => episode.key.to_uppercase(),
        },
    }
}

/// The first cached image of a kind, `poster.jpg` before `poster1.jpg`.
fn cached_image(assets: &[TvAsset], kind: &str) -> Option<Image> {
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

fn artwork_lines(assets: &[TvAsset], folder: &str) -> Vec<ArtworkLine> {
    let mut assets: Vec<&TvAsset> = assets.iter().collect();
    assets
        .sort_by(|a, b| (a.kind.as_str(), a.index, a.path.as_str()).cmp(&(b.kind.as_str(), b.index, b.path.as_str())));
    assets
        .into_iter()
        .map(|asset| ArtworkLine {
            kind: match asset.index {
                Some(index) => format!("{} {index}", asset.kind),
                None => asset.kind.clone(),
            },
            name: relative(&asset.path, folder),
            sha256: asset.sha256.clone(),
            dimensions: match (asset.width, asset.height) {
                (Some(width), Some(height)) => format!("{width}×{height}"),
                _ => String::new(),
            },
        })
        .collect()
}

fn id_line(
    name: &'static str,
    value: String,
    link: Option<String>,
    detail: &SeriesDetail,
    field: SeriesField,
) -> IdLine {
    IdLine {
        name,
        value,
        link,
        source: detail.field_sources.get(field.as_str()).map(|source| source.as_str()).unwrap_or_default(),
        locked: detail.locks.iter().any(|lock| lock == field.as_str()),
    }
}

/// What a series page shows besides the stored series: a refused edit, a notice, an error, a
/// search's Identify section, a verification's result.
#[derive(Default)]
pub(super) struct Extras {
    pub refused: Option<FieldRow>,
    pub numbering_error: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub identify: Option<super::enrich::IdentifyView>,
    pub verification: Option<super::publish::SeriesVerificationView>,
}

pub(super) async fn series_view(
    state: &AppState,
    ui: Ui,
    id: SeriesId,
    status: StatusCode,
    extras: Extras,
) -> Result<Response, UiError> {
    let detail = series::detail(&state.db, id).await?;
    let seasons = series::seasons(&state.db, id).await?;
    let library = libraries::get(&state.db, detail.summary.library_id).await?;
    let folder = detail.summary.folder.clone();
    let base = format!("/series/{id}");
    let error = extras
        .refused
        .as_ref()
        .and_then(|row| row.error.as_ref())
        .map(|error| format!("Not saved: {error}"))
        .or(extras.error);
    let mut refused = extras.refused;
    let fields = SERIES_FIELDS
        .iter()
        .map(|spec| {
            let row = match refused.take_if(|row| row.name == spec.0.as_str()) {
                Some(row) => row,
                None => series_row(&detail, *spec),
            };
            render_html(&FieldRowView { base: base.clone(), csrf: ui.csrf.clone(), row, heading: None })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let summary = &detail.summary;
    let ids = vec![
        id_line(
            "TVDB",
            summary.tvdb_id.map(|id| id.to_string()).unwrap_or_default(),
            summary.tvdb_id.map(|id| format!("https://thetvdb.com/dereferrer/series/{id}")),
            &detail,
            SeriesField::TvdbId,
        ),
        id_line(
            "TMDB",
            summary.tmdb_id.map(|id| id.to_string()).unwrap_or_default(),
            summary.tmdb_id.map(|id| format!("https://www.themoviedb.org/tv/{id}")),
            &detail,
            SeriesField::TmdbId,
        ),
        id_line(
            "IMDb",
            summary.imdb_id.clone().unwrap_or_default(),
            summary
                .imdb_id
                .as_deref()
                .filter(|imdb_id| metarr_nfo::is_imdb_id(imdb_id))
                .map(|imdb_id| format!("https://www.imdb.com/title/{imdb_id}/")),
            &detail,
            SeriesField::ImdbId,
        ),
    ];
    let seasons = seasons
        .into_iter()
        .map(|season| {
            let mut by_video: HashMap<&str, Vec<String>> = HashMap::new();
            for episode in &season.episodes {
                if let Some(video) = &episode.video {
                    by_video.entry(video.as_str()).or_default().push(episode_key(episode));
                }
            }
            let episodes: Vec<EpisodeLine> = season
                .episodes
                .iter()
                .map(|episode| {
                    let key = episode_key(episode);
                    let shares_with = episode
                        .video
                        .as_deref()
                        .and_then(|video| by_video.get(video))
                        .map(|keys| keys.iter().filter(|other| **other != key).cloned().collect())
                        .unwrap_or_default();
                    EpisodeLine {
                        id: episode.id,
                        title: episode.title.clone().unwrap_or_default(),
                        aired: episode.aired.clone().unwrap_or_default(),
                        on_disk: episode.on_disk,
                        file: episode.video.as_deref().map(|video| relative(video, &folder)).unwrap_or_default(),
                        shares_with,
                        key,
                    }
                })
                .collect();
            SeasonBlock {
                number: season.number,
                name: if season.number == 0 { "Specials".to_owned() } else { format!("Season {}", season.number) },
                title: season.title.clone().unwrap_or_default(),
                poster: cached_image(&season.assets, "poster").map(|image| image.sha256),
                on_disk: episodes.iter().filter(|episode| episode.on_disk).count(),
                episodes,
            }
        })
        .collect();
    let identify = match extras.identify {
        Some(view) => view,
        None => super::tv_enrich::identify_view(&detail, &ui.csrf),
    }
    .html()?;
    let (identification, identification_class) = super::enrich::identification_badge(detail.identification);
    let page = SeriesPage {
        series_id: id,
        heading: series_heading(&detail),
        error,
        notice: extras.notice,
        identification,
        identification_class,
        enriched_at: detail.enriched_at.as_ref().map(super::when).unwrap_or_default(),
        identify,
        publish_mode: library.publish.as_str(),
        publish_off: library.publish == crate::publish::settings::PublishMode::Off,
        verification: extras.verification,
        ui: ui.at("tv"),
        library_id: library.id,
        library: library.name,
        poster: cached_image(&detail.assets, "poster"),
        ids,
        numbering: Numbering::ALL
            .into_iter()
            .map(|numbering| NumberingOption {
                value: numbering.as_str(),
                label: match numbering {
                    Numbering::Standard => "Standard (S01E02)",
                    Numbering::Daily => "Daily (air dates)",
                    Numbering::Absolute => "Absolute (anime)",
                },
                selected: numbering == detail.numbering,
            })
            .collect(),
        numbering_error: extras.numbering_error,
        locked: detail.locks.len(),
        fields,
        artwork: artwork_lines(&detail.assets, &folder),
        slot_groups: series_slot_groups(state, id).await?,
        seasons,
        warnings: detail.warnings.clone(),
        folder,
    };
    Ok(render_with(status, &page))
}

/// `GET /series/{id}`
pub async fn series_page(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    series_view(&state, ui, id, StatusCode::OK, Extras::default()).await
}

/// `POST /series/{id}/scan`: queues a rescan of the series folder, as the API's
/// `POST /api/v1/series/{id}/scan` does, and shows the page again with a notice.
pub async fn rescan(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    let job = crate::routes::series::queue_rescan(&state, id).await?;
    let notice = format!("Rescan queued (job {}): reload this page when the folder has been read.", job.id);
    series_view(&state, ui, id, StatusCode::OK, Extras { notice: Some(notice), ..Extras::default() }).await
}

/// `POST /series/{id}/fields/{field}`: saves one field and locks it, as the movie page does.
pub async fn save_series_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
    form: Result<Form<FieldForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let Some(spec) = series_spec(&field) else {
        // The API's own check words the refusal (and lists the editable fields).
        let body = Map::from_iter([(field.clone(), Value::String(form.value))]);
        return Err(crate::routes::series::parse_series_edit(body)
            .err()
            .map_or_else(|| UiError::BadRequest(format!("{field:?} cannot be edited here")), UiError::from));
    };
    let (shown, label, kind) = spec;
    let checked = form_value(label, kind, &form.value).and_then(|value| {
        crate::routes::series::parse_series_edit(Map::from_iter([(shown.as_str().to_owned(), value)]))
            .map_err(UiError::from)
    });
    let saved = match checked {
        Ok((fields, numbering)) => series::edit(&state.db, id, &fields, numbering).await.map_err(UiError::from),
        Err(err) => Err(err),
    };
    let base = format!("/series/{id}");
    match saved {
        Ok(detail) => {
            state.events.publish("series.updated", &detail.summary);
            if wants_fragment(&headers) {
                let row = series_row(&detail, spec);
                return Ok(render(&FieldRowView { base, csrf: ui.csrf, row, heading: Some(series_heading(&detail)) }));
            }
            Ok(see_other(&format!("{base}#field-{}", shown.as_str())))
        }
        Err(UiError::BadRequest(message)) => {
            let detail = series::detail(&state.db, id).await?;
            let mut row = series_row(&detail, spec);
            row.input = form.value;
            row.error = Some(message);
            row.open = true;
            if wants_fragment(&headers) {
                return Ok(render(&FieldRowView { base, csrf: ui.csrf, row, heading: None }));
            }
            let extras = Extras { refused: Some(row), ..Extras::default() };
            series_view(&state, ui, id, StatusCode::BAD_REQUEST, extras).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /series/{id}/numbering`: how the series' files number their episodes, saved through
/// the same check and service as `PATCH /api/v1/series/{id}` with `numbering`.
pub async fn save_numbering(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    form: Result<Form<FieldForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let body = Map::from_iter([("numbering".to_owned(), Value::String(form.value.trim().to_owned()))]);
    let saved = match crate::routes::series::parse_series_edit(body) {
        Ok((fields, numbering)) => series::edit(&state.db, id, &fields, numbering).await.map_err(UiError::from),
        Err(err) => Err(err.into()),
    };
    match saved {
        Ok(detail) => {
            state.events.publish("series.updated", &detail.summary);
            Ok(see_other(&format!("/series/{id}#numbering")))
        }
        Err(UiError::BadRequest(message)) => {
            let extras = Extras { numbering_error: Some(message), ..Extras::default() };
            series_view(&state, ui, id, StatusCode::BAD_REQUEST, extras).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /series/{id}/fields/{field}/lock`
pub async fn lock_series_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_series_lock(&state, ui, &headers, &id, &field, true).await
}

/// `POST /series/{id}/fields/{field}/unlock`
pub async fn unlock_series_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_series_lock(&state, ui, &headers, &id, &field, false).await
}

async fn set_series_lock(
    state: &AppState,
    ui: Ui,
    headers: &HeaderMap,
    id: &str,
    field: &str,
    locked: bool,
) -> Result<Response, UiError> {
    let id = series_id(id)?;
    series::set_lock(&state.db, LockTable::Series, id.get(), field, locked).await?;
    let base = format!("/series/{id}");
    let Some(spec) = series_spec(field) else {
        // Lockable but not a row of the page (the ids): the page is still right.
        return Ok(see_other(&base));
    };
    if wants_fragment(headers) {
        let detail = series::detail(&state.db, id).await?;
        let row = series_row(&detail, spec);
        return Ok(render(&FieldRowView { base, csrf: ui.csrf, row, heading: None }));
    }
    Ok(see_other(&format!("{base}#field-{field}")))
}

// ---------------------------------------------------------------------------------------------
// One episode

/// An episode field the page edits: its name (one of `series::EPISODE_FIELDS`), label and kind.
type EpisodeSpec = (&'static str, &'static str, Kind);

const EPISODE_FIELDS: &[EpisodeSpec] = &[
    ("title", "Title", Kind::Line),
    ("aired", "Aired", Kind::Line),
    ("runtime", "Runtime (minutes)", Kind::Integer),
    ("plot", "Plot", Kind::Text),
];

fn episode_spec(name: &str) -> Option<EpisodeSpec> {
    EPISODE_FIELDS.iter().copied().find(|(shown, _, _)| *shown == name)
}

fn episode_row(detail: &EpisodeDetail, (name, label, kind): EpisodeSpec) -> FieldRow {
    let value = match name {
        "title" => text(&detail.summary.title),
        "aired" => text(&detail.summary.aired),
        "runtime" => (
            detail.runtime.map(|minutes| format!("{minutes} min")).unwrap_or_default(),
            detail.runtime.map(|minutes| minutes.to_string()).unwrap_or_default(),
        ),
        "plot" => text(&detail.plot),
        _ => (String::new(), String::new()),
    };
    field_row(name, label, kind, value, &detail.field_sources, &detail.locks)
}

/// The episode's heading: its key and title.
fn episode_heading(detail: &EpisodeDetail) -> Heading {
    let key = episode_key(&detail.summary);
    Heading {
        id: "episode-title",
        title: match &detail.summary.title {
            Some(title) if !title.is_empty() => format!("{key} · {title}"),
            _ => key,
        },
        year: String::new(),
        missing: !detail.summary.on_disk,
    }
}

/// Another episode of the same file.
pub struct SiblingLine {
    pub id: Option<EpisodeId>,
    pub key: String,
}

#[derive(Template)]
#[template(path = "episode.html")]
struct EpisodePage {
    ui: Ui,
    series_id: SeriesId,
    series_title: String,
    heading: Heading,
    error: Option<String>,
    /// The video relative to the series folder; empty when not on disk.
    video: String,
    thumb: Option<Image>,
    ids: Vec<String>,
    locked: usize,
    fields: Vec<String>,
    streams: StreamsView,
    subtitles: Vec<SubtitleLine>,
    shares_with: Vec<SiblingLine>,
    artwork: Vec<ArtworkLine>,
    slot_groups: Vec<SlotGroup>,
}

/// The stored stream details (the API's JSON, with `subtitle` for the probe's `subtitles`) read
/// back into the probe crate's type, so the movie page's summary reads them.
fn stream_details(value: &Value) -> Option<StreamDetails> {
    let mut value = value.clone();
    let object = value.as_object_mut()?;
    if let Some(subtitles) = object.remove("subtitle") {
        object.insert("subtitles".to_owned(), subtitles);
    }
    serde_json::from_value(value).ok()
}

async fn episode_view(
    state: &AppState,
    ui: Ui,
    id: EpisodeId,
    status: StatusCode,
    refused: Option<FieldRow>,
) -> Result<Response, UiError> {
    let detail = series::episode(&state.db, id).await?;
    let series_detail = series::detail(&state.db, detail.summary.series_id).await?;
    let folder = series_detail.summary.folder.clone();
    let base = format!("/episodes/{id}");
    let error = refused.as_ref().and_then(|row| row.error.as_ref()).map(|error| format!("Not saved: {error}"));
    let mut refused = refused;
    let fields = EPISODE_FIELDS
        .iter()
        .map(|spec| {
            let row = match refused.take_if(|row| row.name == spec.0) {
                Some(row) => row,
                None => episode_row(&detail, *spec),
            };
            render_html(&FieldRowView { base: base.clone(), csrf: ui.csrf.clone(), row, heading: None })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The siblings' ids, for links: the series' episodes of the same file.
    let mut sibling_ids: HashMap<String, EpisodeId> = HashMap::new();
    if !detail.shares_file_with.is_empty() {
        for season in series::seasons(&state.db, detail.summary.series_id).await? {
            for episode in season.episodes {
                if episode.video.is_some() && episode.video == detail.summary.video {
                    sibling_ids.insert(episode.key.clone(), episode.id);
                }
            }
        }
    }
    let shares_with = detail
        .shares_file_with
        .iter()
        .map(|key| SiblingLine { id: sibling_ids.get(key).copied(), key: key_text(key) })
        .collect();
    let page = EpisodePage {
        ui: ui.at("tv"),
        series_id: detail.summary.series_id,
        series_title: series_detail.summary.title.clone(),
        heading: episode_heading(&detail),
        error,
        video: detail.summary.video.as_deref().map(|video| relative(video, &folder)).unwrap_or_default(),
        thumb: cached_image(&detail.assets, "thumb"),
        ids: detail.uniqueids.iter().map(|id| format!("{}: {}", id.kind, id.value)).collect(),
        locked: detail.locks.len(),
        fields,
        streams: streams_view(detail.stream_details.as_ref().and_then(stream_details).as_ref()),
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
        shares_with,
        artwork: artwork_lines(&detail.assets, &folder),
        slot_groups: vec![SlotGroup {
            heading: "Episode".to_owned(),
            base: format!("/episodes/{}/artwork", detail.summary.id),
            name: "episode".to_owned(),
            slots: slot_lines(
                &crate::routes::artwork::slots_view(
                    state,
                    crate::artwork::ArtOwner::Episode {
                        series_id: detail.summary.series_id,
                        episode_id: detail.summary.id,
                    },
                )
                .await?,
            ),
        }],
    };
    Ok(render_with(status, &page))
}

/// A stored key (`s01e03`, `d2024-03-01`, `a012`) as people read it.
fn key_text(key: &str) -> String {
    if let Some(date) = key.strip_prefix('d') {
        return date.to_owned();
    }
    if let Some(number) = key.strip_prefix('a') {
        return format!("#{number}");
    }
    key.to_uppercase()
}

/// `GET /episodes/{id}`
pub async fn episode_page(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = episode_id(&id)?;
    episode_view(&state, ui, id, StatusCode::OK, None).await
}

/// `POST /episodes/{id}/fields/{field}`: saves one field and locks it.
pub async fn save_episode_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
    form: Result<Form<FieldForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = episode_id(&id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let Some(spec) = episode_spec(&field) else {
        let body = Map::from_iter([(field.clone(), Value::String(form.value))]);
        return Err(crate::routes::series::parse_episode_edit(body)
            .err()
            .map_or_else(|| UiError::BadRequest(format!("{field:?} cannot be edited here")), UiError::from));
    };
    let (name, label, kind) = spec;
    let checked = form_value(label, kind, &form.value).and_then(|value| {
        crate::routes::series::parse_episode_edit(Map::from_iter([(name.to_owned(), value)])).map_err(UiError::from)
    });
    let saved = match checked {
        Ok(fields) => series::edit_episode(&state.db, id, &fields).await.map_err(UiError::from),
        Err(err) => Err(err),
    };
    let base = format!("/episodes/{id}");
    match saved {
        Ok(detail) => {
            if wants_fragment(&headers) {
                let row = episode_row(&detail, spec);
                return Ok(render(&FieldRowView { base, csrf: ui.csrf, row, heading: Some(episode_heading(&detail)) }));
            }
            Ok(see_other(&format!("{base}#field-{name}")))
        }
        Err(UiError::BadRequest(message)) => {
            let detail = series::episode(&state.db, id).await?;
            let mut row = episode_row(&detail, spec);
            row.input = form.value;
            row.error = Some(message);
            row.open = true;
            if wants_fragment(&headers) {
                return Ok(render(&FieldRowView { base, csrf: ui.csrf, row, heading: None }));
            }
            episode_view(&state, ui, id, StatusCode::BAD_REQUEST, Some(row)).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /episodes/{id}/fields/{field}/lock`
pub async fn lock_episode_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_episode_lock(&state, ui, &headers, &id, &field, true).await
}

/// `POST /episodes/{id}/fields/{field}/unlock`
pub async fn unlock_episode_field(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
) -> Result<Response, UiError> {
    set_episode_lock(&state, ui, &headers, &id, &field, false).await
}

async fn set_episode_lock(
    state: &AppState,
    ui: Ui,
    headers: &HeaderMap,
    id: &str,
    field: &str,
    locked: bool,
) -> Result<Response, UiError> {
    let id = episode_id(id)?;
    series::set_lock(&state.db, LockTable::Episodes, id.get(), field, locked).await?;
    let base = format!("/episodes/{id}");
    let Some(spec) = episode_spec(field) else {
        return Ok(see_other(&base));
    };
    if wants_fragment(headers) {
        let detail = series::episode(&state.db, id).await?;
        let row = episode_row(&detail, spec);
        return Ok(render(&FieldRowView { base, csrf: ui.csrf, row, heading: None }));
    }
    Ok(see_other(&format!("{base}#field-{field}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_field_is_editable_and_lockable_through_the_api() {
        for (field, _, _) in SERIES_FIELDS {
            assert!(SeriesField::parse(field.as_str()).is_some());
        }
        for (name, _, _) in EPISODE_FIELDS {
            assert!(series::EPISODE_FIELDS.contains(name), "{name}");
        }
    }

    #[test]
    fn list_links_keep_the_other_filters() {
        let query = ListQuery {
            q: Some(" the wire ".into()),
            library_id: Some("3".into()),
            missing: Some("true".into()),
            view: Some("table".into()),
            page: Some("2".into()),
        };
        let listing = Listing::parse(&query).expect("valid");
        assert_eq!(listing.href(true, 3), "/tv?q=the+wire&library_id=3&missing=true&view=table&page=3");
        assert_eq!(listing.href(false, 1), "/tv?q=the+wire&library_id=3&missing=true");
        assert_eq!(listing.filter().offset, Some(PAGE_SIZE));
        for bad in [
            ListQuery { page: Some("0".into()), ..ListQuery::default() },
            ListQuery { library_id: Some("one".into()), ..ListQuery::default() },
            ListQuery { missing: Some("maybe".into()), ..ListQuery::default() },
            ListQuery { view: Some("cards".into()), ..ListQuery::default() },
        ] {
            assert!(Listing::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_read_as_people_write_them() {
        assert_eq!(key_text("s01e03"), "S01E03");
        assert_eq!(key_text("d2024-03-01"), "2024-03-01");
        assert_eq!(key_text("a012"), "#012");
    }

    #[test]
    fn stored_stream_details_read_back() {
        let value = serde_json::json!({
            "container": "mp4", "duration_secs": 62.0,
            "video": [{ "index": 0, "codec": "h264", "width": 1280, "height": 720, "hdr": "sdr", "default": true }],
            "audio": [{ "index": 1, "codec": "aac", "channels": 2, "language": "eng", "default": true }],
            "subtitle": [],
        });
        let view = streams_view(stream_details(&value).as_ref());
        assert_eq!(view.video, vec!["h264 · 1280×720 · sdr · default"]);
        assert_eq!(view.audio, vec!["aac · 2 ch · eng · default"]);
    }
}
