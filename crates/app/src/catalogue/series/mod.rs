//! TV series, their seasons and episodes, and the files of series folders (docs/tv.md).
//!
//! A series is a folder of a TV library. Its episodes are keyed within it by what the file
//! names say ([`EpisodeKey`]): a multi-episode file is the `video` of each of its episodes, and
//! an episode that left the disk keeps its row (and what its NFO said) with no video, so the
//! series page can list it as missing.

use super::movies::{self, Actor, FieldSource, Rating, UniqueId, placeholders};
use super::{CatalogueError, Result, now_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::ids::{EpisodeId, LibraryId, ScanId, SeriesId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod provider;
mod read;
mod scan;

pub use provider::*;
pub use read::*;
pub use scan::*;

/// How a series' files number their episodes (`series.numbering`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Numbering {
    /// `S01E02`, `1x02`.
    #[default]
    Standard,
    /// Air dates (`2024-03-01`): Sonarr's `daily` series.
    Daily,
    /// Absolute numbers (`- 012 -`), as anime is released: read only when set, since a bare
    /// number in a name is more often part of a title.
    Absolute,
}

impl Numbering {
    pub const ALL: [Numbering; 3] = [Numbering::Standard, Numbering::Daily, Numbering::Absolute];

    pub fn as_str(self) -> &'static str {
        match self {
            Numbering::Standard => "standard",
            Numbering::Daily => "daily",
            Numbering::Absolute => "absolute",
        }
    }

    pub fn parse(name: &str) -> Option<Numbering> {
        Numbering::ALL.into_iter().find(|n| n.as_str() == name)
    }

    /// Sonarr's series `type` (`standard`, `daily`, `anime`).
    pub fn from_sonarr(series_type: &str) -> Option<Numbering> {
        match series_type.to_ascii_lowercase().as_str() {
            "standard" => Some(Numbering::Standard),
            "daily" => Some(Numbering::Daily),
            "anime" => Some(Numbering::Absolute),
            _ => None,
        }
    }
}

impl TryFrom<String> for Numbering {
    type Error = String;

    fn try_from(name: String) -> Result<Numbering, String> {
        Numbering::parse(&name).ok_or_else(|| format!("unknown numbering {name:?}"))
    }
}

/// An episode's identity within its series, as file names give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EpisodeKey {
    /// Season and episode (`s01e02`).
    Numbered { season: u32, episode: u32 },
    /// An air date (`d2024-03-01`).
    Aired { year: u16, month: u8, day: u8 },
    /// An absolute number (`a012`).
    Absolute(u32),
}

impl EpisodeKey {
    /// The keys of the episodes a file name names, in order.
    pub fn of(number: &metarr_media::EpisodeNumber) -> Vec<EpisodeKey> {
        match number {
            metarr_media::EpisodeNumber::Season { season, episodes } => {
                episodes.iter().map(|&episode| EpisodeKey::Numbered { season: *season, episode }).collect()
            }
            metarr_media::EpisodeNumber::Date { year, month, day } => {
                vec![EpisodeKey::Aired { year: *year, month: *month, day: *day }]
            }
            metarr_media::EpisodeNumber::Absolute { numbers } => {
                numbers.iter().map(|&n| EpisodeKey::Absolute(n)).collect()
            }
        }
    }

    /// The season it says, if it says one.
    pub fn season(self) -> Option<u32> {
        match self {
            EpisodeKey::Numbered { season, .. } => Some(season),
            _ => None,
        }
    }

    /// The air date as `YYYY-MM-DD`, if that is what names it.
    pub fn aired(self) -> Option<String> {
        match self {
            EpisodeKey::Aired { year, month, day } => Some(format!("{year:04}-{month:02}-{day:02}")),
            _ => None,
        }
    }
}

impl std::fmt::Display for EpisodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EpisodeKey::Numbered { season, episode } => write!(f, "s{season:02}e{episode:02}"),
            EpisodeKey::Aired { year, month, day } => write!(f, "d{year:04}-{month:02}-{day:02}"),
            EpisodeKey::Absolute(n) => write!(f, "a{n:03}"),
        }
    }
}

/// A series' fields, by the names the API, the sources and the columns share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesField {
    Title,
    OriginalTitle,
    SortTitle,
    Year,
    TmdbId,
    TvdbId,
    ImdbId,
    Plot,
    Outline,
    Premiered,
    Status,
    Certification,
    Genres,
    Studios,
    Tags,
    Ratings,
    Uniqueids,
    Actors,
}

impl SeriesField {
    pub const ALL: [SeriesField; 18] = [
        SeriesField::Title,
        SeriesField::OriginalTitle,
        SeriesField::SortTitle,
        SeriesField::Year,
        SeriesField::TmdbId,
        SeriesField::TvdbId,
        SeriesField::ImdbId,
        SeriesField::Plot,
        SeriesField::Outline,
        SeriesField::Premiered,
        SeriesField::Status,
        SeriesField::Certification,
        SeriesField::Genres,
        SeriesField::Studios,
        SeriesField::Tags,
        SeriesField::Ratings,
        SeriesField::Uniqueids,
        SeriesField::Actors,
    ];

    pub fn parse(name: &str) -> Option<SeriesField> {
        SeriesField::ALL.into_iter().find(|field| field.as_str() == name)
    }

    /// Every name, comma separated, for messages that list the fields.
    pub fn names() -> String {
        SeriesField::ALL.map(SeriesField::as_str).join(", ")
    }

    /// The field's name, which is also its column.
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesField::Title => "title",
            SeriesField::OriginalTitle => "original_title",
            SeriesField::SortTitle => "sort_title",
            SeriesField::Year => "year",
            SeriesField::TmdbId => "tmdb_id",
            SeriesField::TvdbId => "tvdb_id",
            SeriesField::ImdbId => "imdb_id",
            SeriesField::Plot => "plot",
            SeriesField::Outline => "outline",
            SeriesField::Premiered => "premiered",
            SeriesField::Status => "status",
            SeriesField::Certification => "certification",
            SeriesField::Genres => "genres",
            SeriesField::Studios => "studios",
            SeriesField::Tags => "tags",
            SeriesField::Ratings => "ratings",
            SeriesField::Uniqueids => "uniqueids",
            SeriesField::Actors => "actors",
        }
    }
}

/// Values for a series' fields; `None` leaves a field alone. A PATCH body is one (see
/// `routes::series::parse_series_edit`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesFields {
    pub title: Option<String>,
    pub original_title: Option<String>,
    pub sort_title: Option<String>,
    pub year: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    pub plot: Option<String>,
    pub outline: Option<String>,
    pub premiered: Option<String>,
    pub status: Option<String>,
    pub certification: Option<String>,
    pub genres: Option<Vec<String>>,
    pub studios: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub ratings: Option<Vec<Rating>>,
    pub uniqueids: Option<Vec<UniqueId>>,
    pub actors: Option<Vec<Actor>>,
}

fn json<T: Serialize>(value: &T) -> Param {
    serde_json::to_string(value).expect("catalogue values always serialise").into()
}

impl SeriesFields {
    /// Every field given, with its value as a parameter.
    pub fn values(&self) -> Vec<(SeriesField, Param)> {
        use SeriesField as F;
        let mut values = Vec::new();
        let mut text = |field: F, value: &Option<String>| {
            if let Some(value) = value {
                values.push((field, Param::from(value.clone())));
            }
        };
        text(F::Title, &self.title);
        text(F::OriginalTitle, &self.original_title);
        text(F::SortTitle, &self.sort_title);
        text(F::ImdbId, &self.imdb_id);
        text(F::Plot, &self.plot);
        text(F::Outline, &self.outline);
        text(F::Premiered, &self.premiered);
        text(F::Status, &self.status);
        text(F::Certification, &self.certification);
        for (field, value) in [(F::Year, self.year), (F::TmdbId, self.tmdb_id), (F::TvdbId, self.tvdb_id)] {
            if let Some(value) = value {
                values.push((field, value.into()));
            }
        }
        for (field, value) in [(F::Genres, &self.genres), (F::Studios, &self.studios), (F::Tags, &self.tags)] {
            if let Some(value) = value {
                values.push((field, json(value)));
            }
        }
        if let Some(value) = &self.ratings {
            values.push((F::Ratings, json(value)));
        }
        if let Some(value) = &self.uniqueids {
            values.push((F::Uniqueids, json(value)));
        }
        if let Some(value) = &self.actors {
            values.push((F::Actors, json(value)));
        }
        values
    }
}

/// TVDB ids are positive 32-bit integers, like TMDB's.
const TVDB_IDS: std::ops::RangeInclusive<i64> = crate::limits::TMDB_IDS;

impl SeriesFields {
    /// The movie fields these share, for the limits movies already define (one set of rules
    /// for every entry point: docs/contracts.md, "Limits").
    fn as_movie_fields(&mut self) -> movies::Fields {
        movies::Fields {
            title: self.title.take(),
            original_title: self.original_title.take(),
            sort_title: self.sort_title.take(),
            year: self.year.take(),
            tmdb_id: self.tmdb_id.take(),
            imdb_id: self.imdb_id.take(),
            plot: self.plot.take(),
            outline: self.outline.take(),
            premiered: self.premiered.take(),
            certification: self.certification.take(),
            genres: self.genres.take(),
            studios: self.studios.take(),
            tags: self.tags.take(),
            ratings: self.ratings.take(),
            uniqueids: self.uniqueids.take(),
            actors: self.actors.take(),
            ..movies::Fields::default()
        }
    }

    fn take_movie_fields(&mut self, fields: movies::Fields) {
        self.title = fields.title;
        self.original_title = fields.original_title;
        self.sort_title = fields.sort_title;
        self.year = fields.year;
        self.tmdb_id = fields.tmdb_id;
        self.imdb_id = fields.imdb_id;
        self.plot = fields.plot;
        self.outline = fields.outline;
        self.premiered = fields.premiered;
        self.certification = fields.certification;
        self.genres = fields.genres;
        self.studios = fields.studios;
        self.tags = fields.tags;
        self.ratings = fields.ratings;
        self.uniqueids = fields.uniqueids;
        self.actors = fields.actors;
    }

    /// Fits values from outside (an NFO, a folder name) to the limits a user's edit must meet;
    /// every change is a warning.
    pub fn fit_for_import(&mut self) -> Vec<String> {
        let mut shared = self.as_movie_fields();
        let mut warnings = shared.fit_for_import();
        self.take_movie_fields(shared);
        if let Some(status) = self.status.take() {
            self.status =
                Some(crate::limits::TEXT.fit("status", status, &mut warnings)).filter(|s| !s.trim().is_empty());
        }
        if let Some(id) = self.tvdb_id.filter(|id| !TVDB_IDS.contains(id)) {
            warnings.push(format!("tvdb_id: {id} is outside {}–{}; ignored", TVDB_IDS.start(), TVDB_IDS.end()));
            self.tvdb_id = None;
        }
        warnings
    }

    /// Checks a user's values against the limits; the message names the first field at fault.
    pub fn check(&self) -> Result<()> {
        let mut copy = self.clone();
        copy.as_movie_fields().check()?;
        if let Some(status) = &self.status {
            crate::limits::TEXT.check("status", status).map_err(|err| CatalogueError::Invalid(err.to_string()))?;
        }
        if let Some(id) = self.tvdb_id.filter(|id| !TVDB_IDS.contains(id)) {
            return Err(CatalogueError::Invalid(format!("tvdb_id must be a positive integer, got {id}")));
        }
        Ok(())
    }
}

/// An episode's fields from its NFO, or a user's edit.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeFields {
    pub title: Option<String>,
    pub plot: Option<String>,
    pub runtime: Option<i64>,
    pub aired: Option<String>,
    pub ratings: Option<Vec<Rating>>,
    pub uniqueids: Option<Vec<UniqueId>>,
    pub directors: Option<Vec<String>>,
    pub writers: Option<Vec<String>>,
    pub actors: Option<Vec<Actor>>,
}

impl EpisodeFields {
    fn as_movie_fields(&mut self) -> movies::Fields {
        movies::Fields {
            title: self.title.take(),
            plot: self.plot.take(),
            runtime: self.runtime.take(),
            premiered: self.aired.take(),
            ratings: self.ratings.take(),
            uniqueids: self.uniqueids.take(),
            directors: self.directors.take(),
            writers: self.writers.take(),
            actors: self.actors.take(),
            ..movies::Fields::default()
        }
    }

    fn take_movie_fields(&mut self, fields: movies::Fields) {
        self.title = fields.title;
        self.plot = fields.plot;
        self.runtime = fields.runtime;
        self.aired = fields.premiered;
        self.ratings = fields.ratings;
        self.uniqueids = fields.uniqueids;
        self.directors = fields.directors;
        self.writers = fields.writers;
        self.actors = fields.actors;
    }

    /// Fits an NFO's values to the limits, as [`SeriesFields::fit_for_import`] does.
    pub fn fit_for_import(&mut self) -> Vec<String> {
        let mut shared = self.as_movie_fields();
        let warnings = shared.fit_for_import();
        self.take_movie_fields(shared);
        warnings
    }

    /// Checks a user's values against the limits.
    pub fn check(&self) -> Result<()> {
        self.clone().as_movie_fields().check()
    }

    /// Every field given, with its column and its value as a parameter.
    pub fn values(&self) -> Vec<(&'static str, Param)> {
        let mut values: Vec<(&'static str, Param)> = Vec::new();
        if let Some(v) = &self.title {
            values.push(("title", v.clone().into()));
        }
        if let Some(v) = &self.plot {
            values.push(("plot", v.clone().into()));
        }
        if let Some(v) = self.runtime {
            values.push(("runtime", v.into()));
        }
        if let Some(v) = &self.aired {
            values.push(("aired", v.clone().into()));
        }
        if let Some(v) = &self.ratings {
            values.push(("ratings", json(v)));
        }
        if let Some(v) = &self.uniqueids {
            values.push(("uniqueids", json(v)));
        }
        if let Some(v) = &self.directors {
            values.push(("directors", json(v)));
        }
        if let Some(v) = &self.writers {
            values.push(("writers", json(v)));
        }
        if let Some(v) = &self.actors {
            values.push(("actors", json(v)));
        }
        values
    }
}

/// A new `episodes` row.
pub(super) struct NewEpisode<'a> {
    pub(super) key: String,
    pub(super) season: Option<i64>,
    pub(super) episode: Option<i64>,
    pub(super) absolute_number: Option<i64>,
    pub(super) video: Option<&'a str>,
    pub(super) nfo: Option<&'a str>,
    pub(super) fields: &'a EpisodeFields,
    pub(super) sources: Sources,
}

/// What an insert does with an episode already recorded under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnConflict {
    /// The scan's files win (the row's fields stay as they are).
    TakeFiles,
    /// The row stays as it is (a scan added it meanwhile, with its files).
    Keep,
}

/// Inserts new episodes, 100 rows per statement (a series' cold scan or first enrichment
/// writes a hundred episodes: one round trip each would dominate on PostgreSQL).
pub(super) async fn insert_episodes(
    tx: &mut Tx,
    series_id: SeriesId,
    rows: &[NewEpisode<'_>],
    on_conflict: OnConflict,
) -> Result<()> {
    let now = now_ms();
    let text = |value: &Option<String>| Param::from(value.clone());
    let list = |value: Option<Param>| value.unwrap_or_else(|| Param::from("[]"));
    for chunk in rows.chunks(100) {
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 19);
        let mut values = Vec::with_capacity(chunk.len());
        for row in chunk {
            let first = params.len() + 1;
            let f = row.fields;
            params.extend([
                series_id.into(),
                row.key.clone().into(),
                row.season.into(),
                row.episode.into(),
                row.absolute_number.into(),
                row.video.into(),
                row.nfo.into(),
                text(&f.title),
                text(&f.plot),
                f.runtime.into(),
                text(&f.aired),
                list(f.ratings.as_ref().map(json)),
                list(f.uniqueids.as_ref().map(json)),
                list(f.directors.as_ref().map(json)),
                list(f.writers.as_ref().map(json)),
                list(f.actors.as_ref().map(json)),
                json(&row.sources),
                now.into(),
                now.into(),
            ]);
            values.push(placeholders(first, params.len()));
        }
        let conflict = match on_conflict {
            OnConflict::TakeFiles => {
                "DO UPDATE SET video = excluded.video, nfo = excluded.nfo, updated_at = excluded.updated_at"
            }
            OnConflict::Keep => "DO NOTHING",
        };
        tx.execute(
            &format!(
                "INSERT INTO episodes (series_id, key, season, episode, absolute_number, video, nfo, title, plot, \
                     runtime, aired, ratings, uniqueids, directors, writers, actors, field_sources, created_at, \
                     updated_at) VALUES {} ON CONFLICT (series_id, key) {conflict}",
                values.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Where each field's value came from, by field name.
type Sources = BTreeMap<String, FieldSource>;

/// A row's locked field names, as stored.
type Locks = JsonText<BTreeSet<String>>;

/// Decides which of `layers`' values may be written over a row's current ones (the first layer
/// giving a field supplies it; a lock keeps all but the user's out; [`FieldSource::may_replace`]
/// decides the rest), pushes them onto `params` and returns their columns with their `$n`.
fn assignments(
    layers: &[(Vec<(&'static str, Param)>, FieldSource)],
    locks: &BTreeSet<String>,
    sources: &mut Sources,
    prefer_provider: bool,
    params: &mut Vec<Param>,
) -> Vec<(&'static str, usize)> {
    let mut written = Vec::new();
    let mut given = BTreeSet::new();
    for (values, source) in layers {
        for (column, value) in values {
            if !given.insert(*column) {
                continue;
            }
            let locked = *source != FieldSource::User && locks.contains(*column);
            if locked || !source.may_replace(sources.get(*column).copied(), prefer_provider) {
                continue;
            }
            params.push(value.clone());
            written.push((*column, params.len()));
            sources.insert((*column).to_owned(), *source);
        }
    }
    written
}

/// `column = $n` for each written column.
fn sets_of(written: &[(&'static str, usize)]) -> Vec<String> {
    written.iter().map(|(column, n)| format!("{column} = ${n}")).collect()
}

fn series_layers(layers: &[(&SeriesFields, FieldSource)]) -> Vec<(Vec<(&'static str, Param)>, FieldSource)> {
    layers
        .iter()
        .map(|(fields, source)| {
            (fields.values().into_iter().map(|(field, value)| (field.as_str(), value)).collect(), *source)
        })
        .collect()
}

/// Creates the series of a folder, or updates its fields where locks and sources allow: `layers`
/// are the NFO's values, then the folder name's. Returns (id, created).
pub async fn upsert_scanned(
    tx: &mut Tx,
    library_id: LibraryId,
    scan_id: ScanId,
    folder: &str,
    layers: &[(&SeriesFields, FieldSource)],
    warnings: &[String],
) -> Result<(SeriesId, bool)> {
    let now = now_ms();
    let warnings_text = serde_json::to_string(warnings).expect("strings always serialise");
    let layers = series_layers(layers);
    let existing: Option<(SeriesId, Locks, JsonText<Sources>, bool)> = tx
        .fetch_optional(
            "SELECT s.id, s.locks, s.field_sources, l.prefer_provider_metadata \
             FROM series s JOIN libraries l ON l.id = s.library_id WHERE s.folder = $1",
            &[folder.into()],
        )
        .await?;
    let Some((id, JsonText(locks), JsonText(mut sources), prefer_provider)) = existing else {
        let mut sources = Sources::new();
        let mut params: Vec<Param> =
            vec![library_id.into(), folder.into(), warnings_text.into(), scan_id.into(), now.into(), now.into()];
        let mut columns = vec!["library_id", "folder", "warnings", "last_scan_id", "created_at", "updated_at"];
        // Parameters are pushed in column order, so the columns line up with the values.
        columns
            .extend(assignments(&layers, &BTreeSet::new(), &mut sources, false, &mut params).iter().map(|(c, _)| *c));
        if !sources.contains_key("title") {
            let fallback = std::path::Path::new(folder).file_name().map(|n| n.to_string_lossy().into_owned());
            params.push(fallback.unwrap_or_else(|| folder.to_owned()).into());
            columns.push("title");
            sources.insert("title".to_owned(), FieldSource::Folder);
        }
        params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
        columns.push("field_sources");
        let (id,): (SeriesId,) = tx
            .fetch_optional(
                &format!(
                    "INSERT INTO series ({}) VALUES {} RETURNING id",
                    columns.join(", "),
                    placeholders(1, params.len())
                ),
                &params,
            )
            .await?
            .ok_or_else(|| CatalogueError::Internal(format!("inserting the series of {folder} returned nothing")))?;
        return Ok((id, true));
    };
    let mut params: Vec<Param> = vec![warnings_text.into(), scan_id.into(), now.into()];
    let mut sets = vec![
        "warnings = $1".to_owned(),
        "last_scan_id = $2".to_owned(),
        "updated_at = $3".to_owned(),
        "missing = false".to_owned(),
    ];
    let written = assignments(&layers, &locks, &mut sources, prefer_provider, &mut params);
    if !written.is_empty() {
        sets.extend(sets_of(&written));
        params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
        sets.push(format!("field_sources = ${}", params.len()));
    }
    params.push(id.into());
    tx.execute(&format!("UPDATE series SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    Ok((id, false))
}

/// Writes values from Sonarr or a provider (`source`) to a series, honouring locks and the
/// source rule, in the caller's transaction.
pub async fn apply_fields(tx: &mut Tx, id: SeriesId, fields: &SeriesFields, source: FieldSource) -> Result<()> {
    let (JsonText(locks), JsonText(mut sources), prefer_provider): (
        JsonText<BTreeSet<String>>,
        JsonText<Sources>,
        bool,
    ) = tx
        .fetch_optional(
            "SELECT s.locks, s.field_sources, l.prefer_provider_metadata \
             FROM series s JOIN libraries l ON l.id = s.library_id WHERE s.id = $1",
            &[id.into()],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))?;
    let mut params = Vec::new();
    let mut sets =
        sets_of(&assignments(&series_layers(&[(fields, source)]), &locks, &mut sources, prefer_provider, &mut params));
    if sets.is_empty() {
        return Ok(());
    }
    params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
    sets.push(format!("field_sources = ${}", params.len()));
    params.push(now_ms().into());
    sets.push(format!("updated_at = ${}", params.len()));
    params.push(id.into());
    tx.execute(&format!("UPDATE series SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    Ok(())
}

/// The fields of an episode a user may edit (and lock).
pub const EPISODE_FIELDS: [&str; 9] =
    ["title", "plot", "runtime", "aired", "ratings", "uniqueids", "directors", "writers", "actors"];

/// A user's edit of a series: sets the fields and locks each of them; `numbering` changes how
/// its files are read (the next scan of the series reads them so).
pub async fn edit(db: &Db, id: SeriesId, fields: &SeriesFields, numbering: Option<Numbering>) -> Result<SeriesDetail> {
    fields.check()?;
    let given: Vec<&'static str> = fields.values().into_iter().map(|(field, _)| field.as_str()).collect();
    if given.is_empty() && numbering.is_none() {
        return Err(CatalogueError::Invalid(format!(
            "nothing to change: give one or more of {}, numbering",
            SeriesField::names()
        )));
    }
    if fields.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(CatalogueError::Invalid("title must not be empty".into()));
    }
    let mut tx = db.begin().await?;
    apply_fields(&mut tx, id, fields, FieldSource::User).await?;
    if !given.is_empty() {
        set_locks(&mut tx, "series", id.get(), &given, true).await?;
    }
    if let Some(numbering) = numbering {
        set_numbering(&mut tx, id, numbering).await?;
    }
    tx.commit().await?;
    detail(db, id).await
}

/// A user's edit of an episode: sets the fields and locks each of them.
pub async fn edit_episode(db: &Db, id: EpisodeId, fields: &EpisodeFields) -> Result<EpisodeDetail> {
    fields.check()?;
    let values = fields.values();
    if values.is_empty() {
        return Err(CatalogueError::Invalid(format!(
            "nothing to change: give one or more of {}",
            EPISODE_FIELDS.join(", ")
        )));
    }
    if fields.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(CatalogueError::Invalid("title must not be empty".into()));
    }
    let given: Vec<&'static str> = values.iter().map(|(column, _)| *column).collect();
    let mut tx = db.begin().await?;
    let (JsonText(locks), JsonText(mut sources)): (JsonText<BTreeSet<String>>, JsonText<Sources>) = tx
        .fetch_optional("SELECT locks, field_sources FROM episodes WHERE id = $1", &[id.into()])
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("episode {id} not found")))?;
    let mut params = Vec::new();
    let mut sets = sets_of(&assignments(&[(values, FieldSource::User)], &locks, &mut sources, false, &mut params));
    params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
    sets.push(format!("field_sources = ${}", params.len()));
    params.push(now_ms().into());
    sets.push(format!("updated_at = ${}", params.len()));
    params.push(id.into());
    tx.execute(&format!("UPDATE episodes SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    set_locks(&mut tx, "episodes", id.get(), &given, true).await?;
    tx.commit().await?;
    episode(db, id).await
}

/// Locks or unlocks one field of a series (`table` `series`) or an episode (`episodes`),
/// returning the locks as they are now.
pub async fn set_lock(db: &Db, table: LockTable, id: i64, field: &str, locked: bool) -> Result<Vec<String>> {
    let known = match table {
        LockTable::Series => SeriesField::parse(field).is_some(),
        LockTable::Episodes => EPISODE_FIELDS.contains(&field),
    };
    if !known {
        let names = match table {
            LockTable::Series => SeriesField::names(),
            LockTable::Episodes => EPISODE_FIELDS.join(", "),
        };
        return Err(CatalogueError::Invalid(format!("{field:?} cannot be locked; lockable fields: {names}")));
    }
    let mut tx = db.begin().await?;
    let locks = set_locks(&mut tx, table.name(), id, &[field], locked).await?;
    tx.commit().await?;
    Ok(locks.into_iter().collect())
}

/// Whose locks a lock change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockTable {
    Series,
    Episodes,
}

impl LockTable {
    fn name(self) -> &'static str {
        match self {
            LockTable::Series => "series",
            LockTable::Episodes => "episodes",
        }
    }
}

async fn set_locks(tx: &mut Tx, table: &str, id: i64, names: &[&str], locked: bool) -> Result<BTreeSet<String>> {
    let (JsonText(mut locks),): (JsonText<BTreeSet<String>>,) = tx
        .fetch_optional(&format!("SELECT locks FROM {table} WHERE id = $1"), &[id.into()])
        .await?
        .ok_or_else(|| {
            let what = if table == "series" { "series" } else { "episode" };
            CatalogueError::NotFound(format!("{what} {id} not found"))
        })?;
    for name in names {
        if locked {
            locks.insert((*name).to_owned());
        } else {
            locks.remove(*name);
        }
    }
    let text = serde_json::to_string(&locks).expect("strings always serialise");
    tx.execute(
        &format!("UPDATE {table} SET locks = $1, updated_at = $2 WHERE id = $3"),
        &[text.into(), now_ms().into(), id.into()],
    )
    .await?;
    Ok(locks)
}

/// Sets how a series numbers its episodes.
pub async fn set_numbering(tx: &mut Tx, id: SeriesId, numbering: Numbering) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE series SET numbering = $1, updated_at = $2 WHERE id = $3 AND numbering <> $1",
            &[numbering.as_str().into(), now_ms().into(), id.into()],
        )
        .await?;
    Ok(changed > 0)
}
