//! TV series, their seasons and episodes, and the files of series folders (docs/tv.md).
//!
//! A series is a folder of a TV library. Its episodes are keyed within it by what the file
//! names say ([`EpisodeKey`]): a multi-episode file is the `video` of each of its episodes, and
//! an episode that left the disk keeps its row (and what its NFO said) with no video, so the
//! series page can list it as missing.

use super::movies::{self, Actor, FieldSource, FileOwner, FileRow, Rating, StoredFile, UniqueId, placeholders};
use super::{CatalogueError, Result, now_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::ids::{EpisodeId, LibraryId, ScanId, SeasonId, SeriesId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How a series' files number their episodes (`series.numbering`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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
    fn values(&self) -> Vec<(SeriesField, Param)> {
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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

    fn values(&self) -> Vec<(&'static str, Param)> {
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

/// Where each field's value came from, by field name.
type Sources = BTreeMap<String, FieldSource>;

/// A row's locked field names, as stored.
type Locks = JsonText<BTreeSet<String>>;

/// A `seasons` row: id, number, title, plot, premiered.
type SeasonRow = (SeasonId, i64, Option<String>, Option<String>, Option<String>);

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

/// A season a scan found (by a folder, an episode, an NFO or an image), with its NFO's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScannedSeason {
    pub number: i64,
    pub title: Option<String>,
    pub plot: Option<String>,
    pub premiered: Option<String>,
}

/// Records the seasons a scan found; a season.nfo's values replace what an NFO gave before.
pub async fn sync_seasons(tx: &mut Tx, series_id: SeriesId, seasons: &[ScannedSeason]) -> Result<()> {
    let now = now_ms();
    for chunk in seasons.chunks(100) {
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 7);
        let mut rows = Vec::with_capacity(chunk.len());
        for season in chunk {
            let first = params.len() + 1;
            params.extend([
                series_id.into(),
                season.number.into(),
                season.title.clone().into(),
                season.plot.clone().into(),
                season.premiered.clone().into(),
                now.into(),
                now.into(),
            ]);
            rows.push(placeholders(first, params.len()));
        }
        tx.execute(
            &format!(
                "INSERT INTO seasons (series_id, number, title, plot, premiered, created_at, updated_at) VALUES {} \
                 ON CONFLICT (series_id, number) DO UPDATE SET \
                     title = coalesce(excluded.title, seasons.title), plot = coalesce(excluded.plot, seasons.plot), \
                     premiered = coalesce(excluded.premiered, seasons.premiered), updated_at = excluded.updated_at",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// An episode a scan found: its video, its NFO, and the NFO's values when it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedEpisode {
    pub key: EpisodeKey,
    /// The season it is filed under (a date or absolute number gets its folder's).
    pub season: Option<i64>,
    pub video: Option<String>,
    pub nfo: Option<String>,
    /// `None`: the NFO is unchanged (or absent) and its values stay as they are.
    pub fields: Option<EpisodeFields>,
}

/// An episode row as the scan compares it.
#[derive(sqlx::FromRow)]
struct StoredEpisode {
    id: EpisodeId,
    key: String,
    video: Option<String>,
    nfo: Option<String>,
    locks: JsonText<BTreeSet<String>>,
    field_sources: JsonText<Sources>,
}

/// Records a series' episodes as the scan found them: new ones are inserted with their NFO's
/// values, known ones get their files and (when their NFO was read) its values where locks and
/// sources allow, and episodes the scan did not find lose their files but keep their rows.
pub async fn sync_episodes(tx: &mut Tx, series_id: SeriesId, episodes: &[ScannedEpisode]) -> Result<()> {
    let now = now_ms();
    let stored: Vec<StoredEpisode> = tx
        .fetch_all(
            "SELECT id, key, video, nfo, locks, field_sources FROM episodes WHERE series_id = $1",
            &[series_id.into()],
        )
        .await?;
    let stored: HashMap<String, StoredEpisode> = stored.into_iter().map(|e| (e.key.clone(), e)).collect();
    let mut seen = BTreeSet::new();
    let mut new = Vec::new();
    for episode in episodes {
        let key = episode.key.to_string();
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(current) = stored.get(&key) else {
            new.push((key, episode));
            continue;
        };
        let mut params: Vec<Param> = vec![episode.video.clone().into(), episode.nfo.clone().into()];
        let mut sets = vec!["video = $1".to_owned(), "nfo = $2".to_owned()];
        if let Some(fields) = &episode.fields {
            let mut sources = current.field_sources.0.clone();
            let written =
                assignments(&[(fields.values(), FieldSource::Nfo)], &current.locks.0, &mut sources, false, &mut params);
            if !written.is_empty() {
                sets.extend(sets_of(&written));
                params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
                sets.push(format!("field_sources = ${}", params.len()));
            }
        } else if current.video == episode.video && current.nfo == episode.nfo {
            continue;
        }
        params.push(now.into());
        sets.push(format!("updated_at = ${}", params.len()));
        params.push(current.id.into());
        tx.execute(&format!("UPDATE episodes SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    }
    for chunk in new.chunks(100) {
        for (key, episode) in chunk {
            let (season, number, absolute) = match episode.key {
                EpisodeKey::Numbered { season, episode } => (Some(i64::from(season)), Some(i64::from(episode)), None),
                EpisodeKey::Aired { .. } => (episode.season, None, None),
                EpisodeKey::Absolute(n) => (episode.season, None, Some(i64::from(n))),
            };
            let mut columns = vec![
                "series_id",
                "key",
                "season",
                "episode",
                "absolute_number",
                "video",
                "nfo",
                "created_at",
                "updated_at",
            ];
            let mut params: Vec<Param> = vec![
                series_id.into(),
                key.clone().into(),
                season.into(),
                number.into(),
                absolute.into(),
                episode.video.clone().into(),
                episode.nfo.clone().into(),
                now.into(),
                now.into(),
            ];
            let mut sources = Sources::new();
            let mut values = episode.fields.as_ref().map(EpisodeFields::values).unwrap_or_default();
            if let Some(aired) = episode.key.aired()
                && !values.iter().any(|(column, _)| *column == "aired")
            {
                values.push(("aired", aired.into()));
                sources.insert("aired".to_owned(), FieldSource::Folder);
            }
            for (column, value) in values {
                sources.entry(column.to_owned()).or_insert(FieldSource::Nfo);
                columns.push(column);
                params.push(value);
            }
            columns.push("field_sources");
            params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
            tx.execute(
                &format!(
                    "INSERT INTO episodes ({}) VALUES {} ON CONFLICT (series_id, key) DO UPDATE SET \
                         video = excluded.video, nfo = excluded.nfo, updated_at = excluded.updated_at",
                    columns.join(", "),
                    placeholders(1, params.len())
                ),
                &params,
            )
            .await?;
        }
    }
    // Gone from disk: the row stays, without its files.
    let gone: Vec<Param> = stored
        .values()
        .filter(|e| !seen.contains(&e.key) && (e.video.is_some() || e.nfo.is_some()))
        .map(|e| e.id.into())
        .collect();
    for ids in gone.chunks(500) {
        let mut params = vec![Param::from(now)];
        params.extend(ids.iter().cloned());
        tx.execute(
            &format!(
                "UPDATE episodes SET video = NULL, nfo = NULL, updated_at = $1 WHERE id IN {}",
                placeholders(2, params.len())
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Replaces a series' file rows (see [`movies::sync_files`]).
pub async fn sync_files(
    tx: &mut Tx,
    series_id: SeriesId,
    files: &[FileRow],
    stored: &HashMap<String, StoredFile>,
) -> Result<()> {
    movies::sync_owned_files(tx, FileOwner::Series(series_id), files, stored).await
}

/// A row of [`stored_folder`]'s left join.
#[derive(sqlx::FromRow)]
struct StoredSeriesFileRow {
    series_id: SeriesId,
    #[sqlx(try_from = "String")]
    numbering: Numbering,
    id: Option<i64>,
    path: Option<String>,
    size: Option<i64>,
    mtime: Option<i64>,
    inode: Option<i64>,
    sha256: Option<String>,
    streams: Option<String>,
    probed_at: Option<i64>,
}

/// A series as a scan of its folder starts from: its id, numbering and recorded files.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSeries {
    pub id: SeriesId,
    pub numbering: Numbering,
    pub files: HashMap<String, StoredFile>,
}

/// The series recorded for a folder, with its files by path.
pub async fn stored_folder(db: &Db, folder: &str) -> Result<Option<StoredSeries>> {
    let rows = db
        .fetch_all::<StoredSeriesFileRow>(
            "SELECT s.id AS series_id, s.numbering, f.id, f.path, f.size, f.mtime, f.inode, f.sha256, f.streams, \
                 f.probed_at \
             FROM series s LEFT JOIN series_files f ON f.series_id = s.id WHERE s.folder = $1",
            &[folder.into()],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (id, numbering) = (first.series_id, first.numbering);
    let mut files = HashMap::with_capacity(rows.len());
    for row in rows {
        let (Some(file_id), Some(path), Some(size), Some(mtime), Some(inode)) =
            (row.id, row.path, row.size, row.mtime, row.inode)
        else {
            continue;
        };
        let file = StoredFile {
            id: file_id,
            path,
            size,
            mtime,
            inode,
            sha256: row.sha256,
            streams: row.streams,
            probed: row.probed_at.is_some(),
        };
        files.insert(file.path.clone(), file);
    }
    Ok(Some(StoredSeries { id, numbering, files }))
}

/// The stamps of one recorded series folder, for telling an unchanged one without a job.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesStamps {
    pub series_id: SeriesId,
    pub numbering: Numbering,
    pub missing: bool,
    /// (size, mtime, inode) by path.
    pub files: HashMap<String, (i64, i64, i64)>,
    /// Every artwork file is cached and every episode video's stream details were read.
    pub complete: bool,
}

#[derive(sqlx::FromRow)]
struct SeriesStampRow {
    series_id: SeriesId,
    #[sqlx(try_from = "String")]
    numbering: Numbering,
    folder: String,
    missing: bool,
    path: String,
    category: String,
    scope: String,
    size: i64,
    mtime: i64,
    inode: i64,
    sha256: Option<String>,
    probed_at: Option<i64>,
}

/// The stamps of the given recorded series folders of a library, by folder, in one query.
pub async fn folder_stamps(
    db: &Db,
    library_id: LibraryId,
    folders: &[String],
    need_streams: bool,
) -> Result<HashMap<String, SeriesStamps>> {
    let mut stamps: HashMap<String, SeriesStamps> = HashMap::with_capacity(folders.len());
    if folders.is_empty() {
        return Ok(stamps);
    }
    let mut params: Vec<Param> = vec![library_id.into()];
    params.extend(folders.iter().map(Param::from));
    let rows = db
        .fetch_all::<SeriesStampRow>(
            &format!(
                "SELECT s.id AS series_id, s.numbering, s.folder, s.missing, f.path, f.category, f.scope, f.size, \
                     f.mtime, f.inode, f.sha256, f.probed_at \
                 FROM series s JOIN series_files f ON f.series_id = s.id \
                 WHERE s.library_id = $1 AND s.folder IN {}",
                placeholders(2, folders.len() + 1)
            ),
            &params,
        )
        .await?;
    for row in rows {
        let folder = stamps.entry(row.folder).or_insert_with(|| SeriesStamps {
            series_id: row.series_id,
            numbering: row.numbering,
            missing: row.missing,
            files: HashMap::new(),
            complete: true,
        });
        if row.category == "artwork" && row.sha256.is_none() {
            folder.complete = false;
        }
        if need_streams && row.category == "video" && row.scope == "episode" && row.probed_at.is_none() {
            folder.complete = false;
        }
        folder.files.insert(row.path, (row.size, row.mtime, row.inode));
    }
    Ok(stamps)
}

/// The library's present series whose folder is not among `found` (sorted).
pub async fn absent_from(db: &Db, library_id: LibraryId, found: &[String]) -> Result<Vec<SeriesId>> {
    let rows: Vec<(SeriesId, String)> = db
        .fetch_all(
            "SELECT id, folder FROM series WHERE library_id = $1 AND missing = false ORDER BY id",
            &[library_id.into()],
        )
        .await?;
    Ok(rows.into_iter().filter(|(_, folder)| found.binary_search(folder).is_err()).map(|(id, _)| id).collect())
}

/// Marks series as missing from disk.
pub async fn mark_missing(tx: &mut Tx, ids: &[SeriesId]) -> Result<()> {
    set_in_batches(tx, "missing = true, updated_at = $1", now_ms().into(), ids).await
}

/// Marks series as seen by a scan.
pub async fn touch_many(tx: &mut Tx, ids: &[SeriesId], scan_id: ScanId) -> Result<()> {
    set_in_batches(tx, "last_scan_id = $1, missing = false", scan_id.into(), ids).await
}

async fn set_in_batches(tx: &mut Tx, assignments: &str, value: Param, ids: &[SeriesId]) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut params: Vec<Param> = vec![value.clone()];
        params.extend(chunk.iter().map(|id| Param::from(*id)));
        tx.execute(
            &format!("UPDATE series SET {assignments} WHERE id IN {}", placeholders(2, chunk.len() + 1)),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Marks the series of a folder as missing (Sonarr deleted it). Returns whether one was.
pub async fn mark_folder_missing(tx: &mut Tx, folder: &str) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE series SET missing = true, updated_at = $1 WHERE folder = $2",
            &[now_ms().into(), folder.into()],
        )
        .await?;
    Ok(changed > 0)
}

// ---- reading, for the API and the UI ----

/// A series in a list (docs/contracts.md, "Series").
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesFilter {
    pub library_id: Option<LibraryId>,
    /// Case-insensitive title search.
    pub q: Option<String>,
    pub missing: Option<bool>,
    /// Series whose last scan left warnings (`true`) or none (`false`).
    pub has_warnings: Option<bool>,
    pub limit: Option<i64>,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub field_sources: Sources,
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
                     s.field_sources, s.locks, s.warnings \
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
        field_sources: row.field_sources.0,
        locks: row.locks.0,
        assets,
        unknown_files,
        warnings: row.warnings.0,
    })
}

/// An episode in a season's list.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub stream_details: Option<serde_json::Value>,
    pub field_sources: Sources,
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

/// The series holding a path (its folder, or a file or folder inside it), if any.
pub async fn of_path(db: &Db, path: &str) -> Result<Option<(SeriesId, String)>> {
    let row: Option<(SeriesId, String)> = db
        .fetch_optional(
            "SELECT id, folder FROM series \
             WHERE folder = $1 OR substr($1, 1, length(folder) + 1) = folder || '/' \
             ORDER BY length(folder) DESC LIMIT 1",
            &[path.into()],
        )
        .await?;
    Ok(row)
}

/// How many episodes of the given series have a video on disk.
pub async fn episodes_on_disk(tx: &mut Tx, ids: &[SeriesId]) -> Result<i64> {
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| (*id).into()).collect();
        let row: Option<(i64,)> = tx
            .fetch_optional(
                &format!(
                    "SELECT count(*) FROM episodes WHERE video IS NOT NULL AND series_id IN {}",
                    placeholders(1, params.len())
                ),
                &params,
            )
            .await?;
        total += row.map_or(0, |(n,)| n);
    }
    Ok(total)
}
