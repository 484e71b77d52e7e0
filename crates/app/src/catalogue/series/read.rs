//! Reading series, seasons and episodes for the API and the UI.

use super::{Numbering, Sources};
use crate::catalogue::movies::{self, Actor, Rating, UniqueId, placeholders};
use crate::catalogue::{CatalogueError, Result};
use crate::db::{Db, JsonText, Param};
use crate::ids::{EpisodeId, LibraryId, SeasonId, SeriesId};

/// A `seasons` row: id, number, title, plot, premiered.
type SeasonRow = (SeasonId, i64, Option<String>, Option<String>, Option<String>);
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A series in a list (docs/contracts.md, "Series").
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SeriesSummary {
    pub id: SeriesId,
    pub library_id: LibraryId,
    pub title: String,
    pub year: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    pub folder: String,
    pub missing: bool,
    /// Seasons known (on disk or from an NFO).
    pub seasons: i64,
    /// Episodes with a video on disk.
    pub episodes_on_disk: i64,
    /// Episodes known, on disk or not.
    pub episodes_total: i64,
}

const SUMMARY: &str = "s.id, s.library_id, s.title, s.year, s.tmdb_id, s.tvdb_id, s.imdb_id, s.folder, s.missing, \
     (SELECT count(*) FROM seasons x WHERE x.series_id = s.id) AS seasons, \
     (SELECT count(*) FROM episodes e WHERE e.series_id = s.id AND e.video IS NOT NULL) AS episodes_on_disk, \
     (SELECT count(*) FROM episodes e WHERE e.series_id = s.id) AS episodes_total";

/// Filters for the series list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesFilter {
    /// Only series of this library.
    pub library_id: Option<LibraryId>,
    /// Case-insensitive title search.
    pub q: Option<String>,
    /// Series whose folder is gone (`true`) or present (`false`).
    pub missing: Option<bool>,
    /// Series whose last scan left warnings (`true`) or none (`false`).
    pub has_warnings: Option<bool>,
    /// Page size, 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Series to skip, 0 or more.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A page of series by title, and how many match in all.
pub async fn list(db: &Db, filter: &SeriesFilter) -> Result<(Vec<SeriesSummary>, i64)> {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut params: Vec<Param> = Vec::new();
    if let Some(library_id) = filter.library_id {
        params.push(library_id.into());
        conditions.push(format!("s.library_id = ${}", params.len()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        params.push(format!("%{escaped}%").into());
        conditions.push(format!("lower(s.title) LIKE ${} ESCAPE '\\'", params.len()));
    }
    if let Some(missing) = filter.missing {
        params.push(missing.into());
        conditions.push(format!("s.missing = ${}", params.len()));
    }
    match filter.has_warnings {
        Some(true) => conditions.push("s.warnings <> '[]'".to_owned()),
        Some(false) => conditions.push("s.warnings = '[]'".to_owned()),
        None => {}
    }
    let filter_sql = conditions.join(" AND ");
    let (total,): (i64,) = db
        .fetch_optional(&format!("SELECT count(*) AS n FROM series s WHERE {filter_sql}"), &params)
        .await?
        .unwrap_or((0,));
    let limit = filter.limit.unwrap_or(50).clamp(1, 500);
    let offset = filter.offset.unwrap_or(0).max(0);
    params.push(limit.into());
    params.push(offset.into());
    let n = params.len();
    let rows = db
        .fetch_all::<SeriesSummary>(
            &format!(
                "SELECT {SUMMARY} FROM series s WHERE {filter_sql} \
                 ORDER BY lower(s.title), s.year, s.id LIMIT ${} OFFSET ${}",
                n - 1,
                n
            ),
            &params,
        )
        .await?;
    Ok((rows, total))
}

/// An artwork file of a series, a season or an episode, with its cached content.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TvAsset {
    pub kind: String,
    pub index: Option<i64>,
    /// The season a season image is for (`null` for `season-all`).
    pub season: Option<i64>,
    pub sha256: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub path: String,
}

/// One series with its fields, artwork and files Metarr does not use.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeriesDetail {
    #[serde(flatten)]
    pub summary: SeriesSummary,
    pub original_title: Option<String>,
    pub sort_title: Option<String>,
    pub plot: Option<String>,
    pub outline: Option<String>,
    pub premiered: Option<String>,
    pub status: Option<String>,
    pub certification: Option<String>,
    pub genres: Vec<String>,
    pub studios: Vec<String>,
    pub tags: Vec<String>,
    pub ratings: Vec<Rating>,
    pub uniqueids: Vec<UniqueId>,
    pub actors: Vec<Actor>,
    pub numbering: Numbering,
    /// `identified`, `needs_identification`, `not_found`, or null before the first enrichment.
    pub identification: Option<movies::Identification>,
    /// The candidates offered while `identification` is `needs_identification`.
    pub match_candidates: Vec<movies::MatchCandidate>,
    pub enriched_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where each field's value came from, by field name.
    #[schema(value_type = std::collections::BTreeMap<String, movies::FieldSource>)]
    pub field_sources: Sources,
    /// The locked fields (and `artwork.<slot>` for an artwork slot).
    pub locks: Vec<String>,
    /// Series-level artwork (poster, fanart, banner…).
    pub assets: Vec<TvAsset>,
    pub unknown_files: Vec<movies::UnknownFile>,
    pub warnings: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    summary: SeriesSummary,
    original_title: Option<String>,
    sort_title: Option<String>,
    plot: Option<String>,
    outline: Option<String>,
    premiered: Option<String>,
    status: Option<String>,
    certification: Option<String>,
    genres: JsonText<Vec<String>>,
    studios: JsonText<Vec<String>>,
    tags: JsonText<Vec<String>>,
    ratings: JsonText<Vec<Rating>>,
    uniqueids: JsonText<Vec<UniqueId>>,
    actors: JsonText<Vec<Actor>>,
    #[sqlx(try_from = "String")]
    numbering: Numbering,
    identification: Option<String>,
    match_candidates: JsonText<Vec<movies::MatchCandidate>>,
    enriched_at: Option<i64>,
    field_sources: JsonText<Sources>,
    locks: JsonText<Vec<String>>,
    warnings: JsonText<Vec<String>>,
}

/// A file of a series folder, joined with its cached asset.
#[derive(sqlx::FromRow)]
struct TvFileRow {
    path: String,
    scope: String,
    season: Option<i64>,
    category: String,
    role: Option<String>,
    slot: Option<String>,
    slot_index: Option<i64>,
    language: Option<String>,
    forced: bool,
    sdh: bool,
    size: i64,
    sha256: Option<String>,
    streams: Option<String>,
    width: Option<i64>,
    height: Option<i64>,
}

impl TvFileRow {
    fn asset(&self) -> Option<TvAsset> {
        (self.category == "artwork").then(|| TvAsset {
            kind: self.slot.clone().unwrap_or_default(),
            index: self.slot_index,
            season: self.season,
            sha256: self.sha256.clone(),
            width: self.width,
            height: self.height,
            path: self.path.clone(),
        })
    }
}

async fn files_where(db: &Db, condition: &str, params: &[Param]) -> Result<Vec<TvFileRow>> {
    Ok(db
        .fetch_all::<TvFileRow>(
            &format!(
                "SELECT f.path, f.scope, f.season, f.category, f.role, f.slot, f.slot_index, \
                     f.language, f.forced, f.sdh, f.size, f.sha256, f.streams, a.width, a.height \
                 FROM series_files f LEFT JOIN assets a ON a.sha256 = f.sha256 WHERE {condition} ORDER BY f.path"
            ),
            params,
        )
        .await?)
}

/// One series with its fields and series-level files.
pub async fn detail(db: &Db, id: SeriesId) -> Result<SeriesDetail> {
    let row = db
        .fetch_optional::<DetailRow>(
            &format!(
                "SELECT {SUMMARY}, s.original_title, s.sort_title, s.plot, s.outline, s.premiered, s.status, \
                     s.certification, s.genres, s.studios, s.tags, s.ratings, s.uniqueids, s.actors, s.numbering, \
                     s.identification, s.match_candidates, s.enriched_at, s.field_sources, s.locks, s.warnings \
                 FROM series s WHERE s.id = $1"
            ),
            &[id.into()],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))?;
    let files = files_where(db, "f.series_id = $1 AND f.scope IN ('series', 'other')", &[id.into()]).await?;
    let assets = files.iter().filter(|f| f.scope == "series").filter_map(TvFileRow::asset).collect();
    let unknown_files = files
        .iter()
        .filter(|f| f.category == "unknown")
        .map(|f| movies::UnknownFile { path: f.path.clone(), size: f.size, category: f.role.clone() })
        .collect();
    Ok(SeriesDetail {
        summary: row.summary,
        original_title: row.original_title,
        sort_title: row.sort_title,
        plot: row.plot,
        outline: row.outline,
        premiered: row.premiered,
        status: row.status,
        certification: row.certification,
        genres: row.genres.0,
        studios: row.studios.0,
        tags: row.tags.0,
        ratings: row.ratings.0,
        uniqueids: row.uniqueids.0,
        actors: row.actors.0,
        numbering: row.numbering,
        identification: super::identification(row.identification),
        match_candidates: row.match_candidates.0,
        enriched_at: row.enriched_at.map(crate::catalogue::time_from_ms),
        field_sources: row.field_sources.0,
        locks: row.locks.0,
        assets,
        unknown_files,
        warnings: row.warnings.0,
    })
}

/// An episode in a season's list.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EpisodeSummary {
    pub id: EpisodeId,
    pub series_id: SeriesId,
    pub key: String,
    pub season: Option<i64>,
    pub episode: Option<i64>,
    pub absolute_number: Option<i64>,
    pub aired: Option<String>,
    pub title: Option<String>,
    /// The video holding it (shared by the episodes of a multi-episode file); `null` when it
    /// is not on disk.
    pub video: Option<String>,
    pub on_disk: bool,
}

const EPISODE_SUMMARY: &str = "e.id, e.series_id, e.key, e.season, e.episode, e.absolute_number, e.aired, e.title, \
     e.video, (e.video IS NOT NULL) AS on_disk";

/// A season with its episodes and artwork.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeasonView {
    pub id: SeasonId,
    pub number: i64,
    pub title: Option<String>,
    pub plot: Option<String>,
    pub premiered: Option<String>,
    pub episodes: Vec<EpisodeSummary>,
    pub assets: Vec<TvAsset>,
}

/// A series' seasons in order, each with its episodes in order and its artwork. Episodes filed
/// under no season (an air date outside a season folder) come as season `null`'s… they are
/// filed under the season their folder or date gave, so every episode has one.
pub async fn seasons(db: &Db, id: SeriesId) -> Result<Vec<SeasonView>> {
    let exists: Option<(SeriesId,)> = db.fetch_optional("SELECT id FROM series WHERE id = $1", &[id.into()]).await?;
    if exists.is_none() {
        return Err(CatalogueError::NotFound(format!("series {id} not found")));
    }
    let seasons: Vec<SeasonRow> = db
        .fetch_all(
            "SELECT id, number, title, plot, premiered FROM seasons WHERE series_id = $1 ORDER BY number",
            &[id.into()],
        )
        .await?;
    let episodes = db
        .fetch_all::<EpisodeSummary>(
            &format!(
                "SELECT {EPISODE_SUMMARY} FROM episodes e WHERE e.series_id = $1 \
                 ORDER BY e.season, e.episode, e.absolute_number, e.aired, e.key"
            ),
            &[id.into()],
        )
        .await?;
    let files = files_where(db, "f.series_id = $1 AND f.scope = 'season'", &[id.into()]).await?;
    let mut by_season: BTreeMap<i64, Vec<EpisodeSummary>> = BTreeMap::new();
    for episode in episodes {
        by_season.entry(episode.season.unwrap_or(1)).or_default().push(episode);
    }
    Ok(seasons
        .into_iter()
        .map(|(season_id, number, title, plot, premiered)| SeasonView {
            id: season_id,
            number,
            title,
            plot,
            premiered,
            episodes: by_season.remove(&number).unwrap_or_default(),
            assets: files.iter().filter(|f| f.season == Some(number)).filter_map(TvFileRow::asset).collect(),
        })
        .collect())
}

/// One episode with its fields, files and stream details.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EpisodeDetail {
    #[serde(flatten)]
    pub summary: EpisodeSummary,
    pub plot: Option<String>,
    pub runtime: Option<i64>,
    pub ratings: Vec<Rating>,
    pub uniqueids: Vec<UniqueId>,
    pub directors: Vec<String>,
    pub writers: Vec<String>,
    pub actors: Vec<Actor>,
    pub nfo: Option<String>,
    /// The other episodes of the same multi-episode file, by key.
    pub shares_file_with: Vec<String>,
    pub assets: Vec<TvAsset>,
    pub subtitles: Vec<movies::SubtitleRef>,
    /// The video's stream details (`video`, `audio`, `subtitle`), once read.
    #[schema(value_type = Option<Object>)]
    pub stream_details: Option<serde_json::Value>,
    /// Where each field's value came from, by field name.
    #[schema(value_type = std::collections::BTreeMap<String, movies::FieldSource>)]
    pub field_sources: Sources,
    /// The locked fields (and `artwork.<slot>` for an artwork slot).
    pub locks: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct EpisodeRow {
    #[sqlx(flatten)]
    summary: EpisodeSummary,
    plot: Option<String>,
    runtime: Option<i64>,
    ratings: JsonText<Vec<Rating>>,
    uniqueids: JsonText<Vec<UniqueId>>,
    directors: JsonText<Vec<String>>,
    writers: JsonText<Vec<String>>,
    actors: JsonText<Vec<Actor>>,
    nfo: Option<String>,
    field_sources: JsonText<Sources>,
    locks: JsonText<Vec<String>>,
}

/// One episode with its files.
pub async fn episode(db: &Db, id: EpisodeId) -> Result<EpisodeDetail> {
    let row = db
        .fetch_optional::<EpisodeRow>(
            &format!(
                "SELECT {EPISODE_SUMMARY}, e.plot, e.runtime, e.ratings, e.uniqueids, e.directors, e.writers, \
                     e.actors, e.nfo, e.field_sources, e.locks FROM episodes e WHERE e.id = $1"
            ),
            &[id.into()],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("episode {id} not found")))?;
    let (mut assets, mut subtitles, mut stream_details, mut shares_file_with) =
        (Vec::new(), Vec::new(), None, Vec::new());
    if let Some(video) = &row.summary.video {
        let siblings: Vec<(String,)> = db
            .fetch_all(
                "SELECT key FROM episodes WHERE series_id = $1 AND video = $2 AND id <> $3 ORDER BY key",
                &[row.summary.series_id.into(), video.clone().into(), id.into()],
            )
            .await?;
        shares_file_with = siblings.into_iter().map(|(key,)| key).collect();
        // The files of an episode are recorded under the key of the file's first episode.
        let first_key: Option<(Option<String>,)> =
            db.fetch_optional("SELECT episode_key FROM series_files WHERE path = $1", &[video.clone().into()]).await?;
        let key = first_key.and_then(|(key,)| key).unwrap_or_else(|| row.summary.key.clone());
        let files = files_where(
            db,
            "f.series_id = $1 AND f.scope = 'episode' AND f.episode_key = $2",
            &[row.summary.series_id.into(), key.into()],
        )
        .await?;
        for file in &files {
            match file.category.as_str() {
                "artwork" => assets.extend(file.asset()),
                "subtitle" => subtitles.push(movies::SubtitleRef {
                    path: file.path.clone(),
                    language: file.language.clone(),
                    forced: file.forced,
                    sdh: file.sdh,
                }),
                "video" if file.path == *video => {
                    stream_details = file.streams.as_deref().and_then(movies::streams_json);
                }
                _ => {}
            }
        }
    }
    Ok(EpisodeDetail {
        summary: row.summary,
        plot: row.plot,
        runtime: row.runtime,
        ratings: row.ratings.0,
        uniqueids: row.uniqueids.0,
        directors: row.directors.0,
        writers: row.writers.0,
        actors: row.actors.0,
        nfo: row.nfo,
        shares_file_with,
        assets,
        subtitles,
        stream_details,
        field_sources: row.field_sources.0,
        locks: row.locks.0,
    })
}

/// An episode on disk with everything its NFO says, for publishing.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EpisodeForNfo {
    pub key: String,
    pub season: Option<i64>,
    pub episode: Option<i64>,
    pub aired: Option<String>,
    pub title: Option<String>,
    pub plot: Option<String>,
    pub runtime: Option<i64>,
    pub ratings: JsonText<Vec<Rating>>,
    pub uniqueids: JsonText<Vec<UniqueId>>,
    pub directors: JsonText<Vec<String>>,
    pub writers: JsonText<Vec<String>>,
    pub actors: JsonText<Vec<Actor>>,
    /// The video (several episodes share a multi-episode file).
    pub video: String,
}

/// A series' episodes on disk, in order, in one statement.
pub async fn episodes_on_disk_of(db: &Db, id: SeriesId) -> Result<Vec<EpisodeForNfo>> {
    Ok(db
        .fetch_all(
            "SELECT key, season, episode, aired, title, plot, runtime, ratings, uniqueids, directors, writers, actors, \
                 video FROM episodes WHERE series_id = $1 AND video IS NOT NULL \
             ORDER BY video, season, episode, absolute_number, aired, key",
            &[id.into()],
        )
        .await?)
}

/// The cached series-level poster of each of the given series, by series id: `poster.jpg`
/// before `poster1.jpg`, a series without a cached poster left out.
pub async fn posters(db: &Db, series_ids: &[SeriesId]) -> Result<HashMap<SeriesId, String>> {
    let mut posters: HashMap<SeriesId, (i64, String)> = HashMap::with_capacity(series_ids.len());
    for chunk in series_ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| Param::from(*id)).collect();
        let rows: Vec<(SeriesId, Option<i64>, String)> = db
            .fetch_all(
                &format!(
                    "SELECT f.series_id, f.slot_index, f.sha256 FROM series_files f JOIN assets a ON a.sha256 = f.sha256 \
                     WHERE f.scope = 'series' AND f.category = 'artwork' AND f.slot = 'poster' AND f.series_id IN {}",
                    placeholders(1, chunk.len())
                ),
                &params,
            )
            .await?;
        for (series_id, slot_index, sha256) in rows {
            let rank = slot_index.unwrap_or(-1);
            let entry = posters.entry(series_id).or_insert((rank, sha256.clone()));
            if rank < entry.0 || (rank == entry.0 && sha256 < entry.1) {
                *entry = (rank, sha256);
            }
        }
    }
    Ok(posters.into_iter().map(|(id, (_, sha256))| (id, sha256)).collect())
}

/// A series' season names (`<namedseason>`), by number: the seasons that have one.
pub async fn season_names(db: &Db, id: SeriesId) -> Result<BTreeMap<i64, String>> {
    let rows: Vec<(i64, String)> = db
        .fetch_all(
            "SELECT number, title FROM seasons WHERE series_id = $1 AND title IS NOT NULL ORDER BY number",
            &[id.into()],
        )
        .await?;
    Ok(rows.into_iter().collect())
}
