//! Movies and their files: what the scanner records and what the API shows and edits.
//!
//! A field the user edits is locked: the scanner (and later enrichment) never changes it again.

use super::metadata::layered;
pub use super::metadata::{
    Actor, CountryCertification, FieldSource, FieldSources, Fields, MovieField, MovieSet, Rating, UniqueId,
};
use super::{CatalogueError, Result, now_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::ids::{LibraryId, MovieId, ScanId};
use metarr_media::FileCategory;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// A movie in a list (docs/contracts.md, "Movie"), also a row of [`SUMMARY`].
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MovieSummary {
    pub id: MovieId,
    pub library_id: LibraryId,
    pub title: String,
    pub year: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    pub folder: String,
    pub video: Option<String>,
    pub missing: bool,
}

/// An artwork file of a movie, with its cached content.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AssetRef {
    pub kind: String,
    pub index: Option<i64>,
    pub sha256: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub path: String,
}

/// A subtitle file.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SubtitleRef {
    pub path: String,
    pub language: Option<String>,
    pub forced: bool,
    pub sdh: bool,
}

/// A file Metarr does not use (kept, never touched).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnknownFile {
    pub path: String,
    pub size: i64,
    pub category: Option<String>,
}

/// A file of any category, for the detail view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FileRef {
    pub path: String,
    pub category: String,
    pub role: Option<String>,
    pub size: i64,
}

/// Whether a movie's provider ids are known (`identification` in the detail JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Identification {
    /// Ids known and confirmed by the provider.
    Identified,
    /// The search found no clear match: the user picks one of the candidates.
    NeedsIdentification,
    /// The provider knows no such film.
    NotFound,
}

impl Identification {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Identification::Identified => "identified",
            Identification::NeedsIdentification => "needs_identification",
            Identification::NotFound => "not_found",
        }
    }

    /// The state a name stands for.
    pub fn parse(name: &str) -> Option<Identification> {
        [Identification::Identified, Identification::NeedsIdentification, Identification::NotFound]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

impl TryFrom<String> for Identification {
    type Error = String;

    fn try_from(name: String) -> std::result::Result<Self, Self::Error> {
        Identification::parse(&name).ok_or_else(|| format!("unknown identification state {name:?}"))
    }
}

/// A film the search offered for a movie it could not identify alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchCandidate {
    pub tmdb_id: i64,
    pub title: String,
    pub original_title: Option<String>,
    pub year: Option<i64>,
    pub overview: Option<String>,
    /// 0 to 1: how well title and year agree.
    pub confidence: f64,
}

/// A movie in detail (docs/contracts.md, "Movie").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MovieDetail {
    #[serde(flatten)]
    pub summary: MovieSummary,
    pub original_title: Option<String>,
    pub sort_title: Option<String>,
    pub plot: Option<String>,
    pub outline: Option<String>,
    pub tagline: Option<String>,
    pub runtime: Option<i64>,
    pub premiered: Option<String>,
    /// The same date as `premiered`, under the name other tools use.
    pub release_date: Option<String>,
    pub genres: Vec<String>,
    /// The configured country's certification (the NFO's `mpaa`).
    pub certification: Option<String>,
    pub certifications: Vec<CountryCertification>,
    pub ratings: Vec<Rating>,
    pub user_rating: Option<i64>,
    pub top250: Option<i64>,
    pub uniqueids: Vec<UniqueId>,
    pub studios: Vec<String>,
    pub countries: Vec<String>,
    pub tags: Vec<String>,
    pub set: Option<MovieSet>,
    pub directors: Vec<String>,
    pub writers: Vec<String>,
    pub actors: Vec<Actor>,
    pub trailer: Option<String>,
    pub date_added: Option<String>,
    pub identification: Option<Identification>,
    /// The candidates offered while `identification` is `needs_identification`.
    pub match_candidates: Vec<MatchCandidate>,
    pub enriched_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where each field's value came from, by field name.
    #[schema(value_type = std::collections::BTreeMap<MovieField, FieldSource>)]
    pub field_sources: FieldSources,
    /// The locked fields (`title`, …, and `artwork.<slot>` for an artwork slot).
    pub locks: Vec<String>,
    pub assets: Vec<AssetRef>,
    pub subtitles: Vec<SubtitleRef>,
    /// The video's streams as probed: `video`, `audio` and `subtitle`, each a list (empty until
    /// the video is read).
    #[schema(value_type = Object)]
    pub streams: serde_json::Value,
    /// The same stream details, typed, for the web UI (the API shows [`MovieDetail::streams`]).
    #[serde(skip)]
    pub stream_details: Option<metarr_probe::StreamDetails>,
    pub unknown_files: Vec<UnknownFile>,
    pub files: Vec<FileRef>,
    pub warnings: Vec<String>,
}

const SUMMARY: &str = "id, library_id, title, year, tmdb_id, imdb_id, folder, video, missing";
const DETAIL: &str = "id, library_id, title, year, tmdb_id, imdb_id, folder, video, missing, original_title, \
    sort_title, plot, outline, tagline, runtime, premiered, genres, certification, certifications, ratings, \
    user_rating, top250, uniqueids, studios, countries, tags, collection, directors, writers, actors, trailer, \
    date_added, identification, match_candidates, enriched_at, field_sources, locks, warnings";

/// A row of [`DETAIL`].
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    summary: MovieSummary,
    original_title: Option<String>,
    sort_title: Option<String>,
    plot: Option<String>,
    outline: Option<String>,
    tagline: Option<String>,
    runtime: Option<i64>,
    premiered: Option<String>,
    genres: JsonText<Vec<String>>,
    certification: Option<String>,
    certifications: JsonText<Vec<CountryCertification>>,
    ratings: JsonText<Vec<Rating>>,
    user_rating: Option<i64>,
    top250: Option<i64>,
    uniqueids: JsonText<Vec<UniqueId>>,
    studios: JsonText<Vec<String>>,
    countries: JsonText<Vec<String>>,
    tags: JsonText<Vec<String>>,
    collection: Option<JsonText<MovieSet>>,
    directors: JsonText<Vec<String>>,
    writers: JsonText<Vec<String>>,
    actors: JsonText<Vec<Actor>>,
    trailer: Option<String>,
    date_added: Option<String>,
    #[sqlx(try_from = "Option<String>")]
    identification: IdentificationColumn,
    match_candidates: JsonText<Vec<MatchCandidate>>,
    enriched_at: Option<i64>,
    field_sources: JsonText<FieldSources>,
    locks: JsonText<Vec<String>>,
    warnings: JsonText<Vec<String>>,
}

/// The nullable `identification` column, decoded.
pub(crate) struct IdentificationColumn(pub(crate) Option<Identification>);

impl TryFrom<Option<String>> for IdentificationColumn {
    type Error = String;

    fn try_from(name: Option<String>) -> std::result::Result<Self, Self::Error> {
        name.map(Identification::try_from).transpose().map(IdentificationColumn)
    }
}

/// A file of the detail view, with its asset's dimensions.
#[derive(sqlx::FromRow)]
struct DetailFileRow {
    path: String,
    #[sqlx(try_from = "String")]
    category: FileCategory,
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

/// Filters for the movie list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovieFilter {
    /// Only movies of this library.
    pub library_id: Option<LibraryId>,
    /// Case-insensitive title search.
    pub q: Option<String>,
    /// Movies whose files are gone (`true`) or present (`false`).
    pub missing: Option<bool>,
    /// Movies whose last scan left warnings (`true`) or none (`false`).
    pub has_warnings: Option<bool>,
    /// `identified`, `needs_identification` or `not_found`.
    pub identification: Option<Identification>,
    /// Page size, 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Movies to skip, 0 or more.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A page of movies by title, and how many match in all.
pub async fn list(db: &Db, filter: &MovieFilter) -> Result<(Vec<MovieSummary>, i64)> {
    let mut conditions = vec!["removed = false".to_owned()];
    let mut params: Vec<Param> = Vec::new();
    if let Some(library_id) = filter.library_id {
        params.push(library_id.into());
        conditions.push(format!("library_id = ${}", params.len()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        params.push(format!("%{escaped}%").into());
        conditions.push(format!("lower(title) LIKE ${} ESCAPE '\\'", params.len()));
    }
    if let Some(missing) = filter.missing {
        params.push(missing.into());
        conditions.push(format!("missing = ${}", params.len()));
    }
    // The scanner always writes the list as JSON, and `'[]'` when it is empty.
    match filter.has_warnings {
        Some(true) => conditions.push("warnings <> '[]'".to_owned()),
        Some(false) => conditions.push("warnings = '[]'".to_owned()),
        None => {}
    }
    if let Some(state) = filter.identification {
        params.push(state.as_str().into());
        conditions.push(format!("identification = ${}", params.len()));
    }
    let filter_sql = conditions.join(" AND ");
    let (total,): (i64,) = db
        .fetch_optional(&format!("SELECT count(*) AS n FROM movies WHERE {filter_sql}"), &params)
        .await?
        .unwrap_or((0,));
    let limit = filter.limit.unwrap_or(50).clamp(1, 500);
    let offset = filter.offset.unwrap_or(0).max(0);
    params.push(limit.into());
    params.push(offset.into());
    let n = params.len();
    let rows = db
        .fetch_all::<MovieSummary>(
            &format!(
                "SELECT {SUMMARY} FROM movies WHERE {filter_sql} ORDER BY lower(title), year, id LIMIT ${} OFFSET ${}",
                n - 1,
                n
            ),
            &params,
        )
        .await?;
    Ok((rows, total))
}

/// One movie with its files, streams and assets.
pub async fn detail(db: &Db, id: MovieId) -> Result<MovieDetail> {
    let row = detail_row(db, id).await?;
    let files = db
        .fetch_all::<DetailFileRow>(
            "SELECT f.path, f.category, f.role, f.slot, f.slot_index, f.language, f.forced, f.sdh, f.size, f.sha256, \
                 f.streams, a.width, a.height \
             FROM media_files f LEFT JOIN assets a ON a.sha256 = f.sha256 \
             WHERE f.movie_id = $1 ORDER BY f.path",
            &[id.into()],
        )
        .await?;
    Ok(from_row(row, files))
}

/// A movie's values without its files (`assets`, `subtitles`, `streams`, `unknown_files` and
/// `files` empty): one statement, for publishing, which reads the files its own way.
pub async fn described(db: &Db, id: MovieId) -> Result<MovieDetail> {
    Ok(from_row(detail_row(db, id).await?, Vec::new()))
}

/// [`described`] for many movies; the ones that do not exist are left out.
pub async fn described_many(db: &Db, ids: &[MovieId]) -> Result<Vec<MovieDetail>> {
    let mut details = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let params: Vec<Param> = chunk.iter().map(|id| (*id).into()).collect();
        let rows = db
            .fetch_all::<DetailRow>(
                &format!("SELECT {DETAIL} FROM movies WHERE id IN {}", placeholders(1, params.len())),
                &params,
            )
            .await?;
        details.extend(rows.into_iter().map(|row| from_row(row, Vec::new())));
    }
    Ok(details)
}

async fn detail_row(db: &Db, id: MovieId) -> Result<DetailRow> {
    db.fetch_optional::<DetailRow>(&format!("SELECT {DETAIL} FROM movies WHERE id = $1"), &[id.into()])
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("movie {id} not found")))
}

fn from_row(row: DetailRow, files: Vec<DetailFileRow>) -> MovieDetail {
    let mut assets = Vec::new();
    let mut subtitles = Vec::new();
    let mut unknown_files = Vec::new();
    let mut file_refs = Vec::new();
    let mut streams = serde_json::json!({ "video": [], "audio": [], "subtitle": [] });
    let mut stream_details = None;
    let video = row.summary.video.clone();
    for file in files {
        let path = file.path;
        file_refs.push(FileRef {
            path: path.clone(),
            category: file.category.as_str().to_owned(),
            role: file.role.clone(),
            size: file.size,
        });
        match file.category {
            FileCategory::Artwork => assets.push(AssetRef {
                kind: file.slot.unwrap_or_default(),
                index: file.slot_index,
                sha256: file.sha256,
                width: file.width,
                height: file.height,
                path,
            }),
            FileCategory::Subtitle => {
                subtitles.push(SubtitleRef { path, language: file.language, forced: file.forced, sdh: file.sdh })
            }
            FileCategory::Unknown => unknown_files.push(UnknownFile { path, size: file.size, category: file.role }),
            FileCategory::Video if Some(&path) == video.as_ref() => {
                if let Some(text) = file.streams {
                    streams = streams_json(&text).unwrap_or(streams);
                    stream_details = serde_json::from_str(&text).ok();
                }
            }
            _ => {}
        }
    }
    MovieDetail {
        summary: row.summary,
        original_title: row.original_title,
        sort_title: row.sort_title,
        plot: row.plot,
        outline: row.outline,
        tagline: row.tagline,
        runtime: row.runtime,
        release_date: row.premiered.clone(),
        premiered: row.premiered,
        genres: row.genres.0,
        certification: row.certification,
        certifications: row.certifications.0,
        ratings: row.ratings.0,
        user_rating: row.user_rating,
        top250: row.top250,
        uniqueids: row.uniqueids.0,
        studios: row.studios.0,
        countries: row.countries.0,
        tags: row.tags.0,
        set: row.collection.map(|set| set.0),
        directors: row.directors.0,
        writers: row.writers.0,
        actors: row.actors.0,
        trailer: row.trailer,
        date_added: row.date_added,
        identification: row.identification.0,
        match_candidates: row.match_candidates.0,
        enriched_at: row.enriched_at.map(super::time_from_ms),
        field_sources: row.field_sources.0,
        locks: row.locks.0,
        assets,
        subtitles,
        streams,
        stream_details,
        unknown_files,
        files: file_refs,
        warnings: row.warnings.0,
    }
}

/// Stored stream details in the detail shape (docs/contracts.md, "Movie"): `video`, `audio`
/// and `subtitle` arrays (the prober's model calls the last one `subtitles`), plus the
/// container fields.
pub(crate) fn streams_json(text: &str) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    let object = value.as_object_mut()?;
    if let Some(subtitles) = object.remove("subtitles") {
        object.insert("subtitle".to_owned(), subtitles);
    }
    for key in ["video", "audio", "subtitle"] {
        object.entry(key).or_insert_with(|| serde_json::json!([]));
    }
    Some(value)
}

/// What decides whether a field may be written: its lock, its value's source, and whether
/// the movie's library prefers provider metadata over the NFO's.
struct WriteRules {
    locks: BTreeSet<String>,
    sources: FieldSources,
    prefer_provider: bool,
}

async fn write_rules(tx: &mut Tx, id: MovieId) -> Result<WriteRules> {
    let (JsonText(locks), JsonText(sources), prefer_provider): (
        JsonText<BTreeSet<String>>,
        JsonText<FieldSources>,
        bool,
    ) = tx
        .fetch_optional(
            "SELECT m.locks, m.field_sources, l.prefer_provider_metadata \
             FROM movies m JOIN libraries l ON l.id = m.library_id WHERE m.id = $1",
            &[id.into()],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("movie {id} not found")))?;
    Ok(WriteRules { locks, sources, prefer_provider })
}

/// Writes the fields the layers give (the first layer giving a field supplies it), each only
/// where its lock and [`FieldSource::may_replace`] allow, and records their sources; `extra`
/// assignments (with their parameters numbered after the fields') are written in the same
/// statement. Returns the fields written.
async fn apply_layers(
    tx: &mut Tx,
    id: MovieId,
    layers: &[(&Fields, FieldSource)],
    extra: (&[&str], Vec<Param>),
) -> Result<Vec<MovieField>> {
    let mut rules = write_rules(tx, id).await?;
    let (extra_sets, mut values) = extra;
    let mut sets: Vec<String> = extra_sets.iter().map(|set| (*set).to_owned()).collect();
    let mut written = Vec::new();
    for (field, value, source) in layered(layers) {
        let current = rules.sources.get(&field).copied();
        // A lock keeps everyone's values out but the user's own.
        let locked = source != FieldSource::User && rules.locks.contains(field.as_str());
        if locked || !source.may_replace(current, rules.prefer_provider) {
            continue;
        }
        values.push(value);
        sets.push(format!("{} = ${}", field.column(), values.len()));
        rules.sources.insert(field, source);
        written.push(field);
    }
    if !written.is_empty() {
        values.push(serde_json::to_string(&rules.sources).expect("sources always serialise").into());
        sets.push(format!("field_sources = ${}", values.len()));
    }
    if sets.is_empty() {
        return Ok(written);
    }
    values.push(now_ms().into());
    sets.push(format!("updated_at = ${}", values.len()));
    values.push(id.into());
    tx.execute(&format!("UPDATE movies SET {} WHERE id = ${}", sets.join(", "), values.len()), &values).await?;
    Ok(written)
}

/// Writes values from the Radarr webhook or a provider (`source`) to a movie, honouring locks
/// and the source rule, in the caller's transaction. Returns the fields written.
pub async fn apply_fields(tx: &mut Tx, id: MovieId, layers: &[(&Fields, FieldSource)]) -> Result<Vec<MovieField>> {
    apply_layers(tx, id, layers, (&[], Vec::new())).await
}

/// The names locked on a movie (fields, and artwork slots as `artwork.<slot>`).
pub async fn locks_of(tx: &mut Tx, id: MovieId) -> Result<BTreeSet<String>> {
    let (locks,): (JsonText<BTreeSet<String>>,) = tx
        .fetch_optional("SELECT locks FROM movies WHERE id = $1", &[id.into()])
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("movie {id} not found")))?;
    Ok(locks.0)
}

/// A user's edit: sets the fields and locks each of them.
pub async fn edit(db: &Db, id: MovieId, fields: &Fields) -> Result<MovieDetail> {
    fields.check()?;
    let given: Vec<MovieField> = fields.values().into_iter().map(|(field, _)| field).collect();
    if given.is_empty() {
        return Err(CatalogueError::Invalid(format!("nothing to change: give one or more of {}", MovieField::names())));
    }
    if fields.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(CatalogueError::Invalid("title must not be empty".into()));
    }
    let mut tx = db.begin().await?;
    let mut locks = locks_of(&mut tx, id).await?;
    apply_layers(&mut tx, id, &[(fields, FieldSource::User)], (&[], Vec::new())).await?;
    locks.extend(given.iter().map(|field| field.as_str().to_owned()));
    tx.execute(
        "UPDATE movies SET locks = $1 WHERE id = $2",
        &[serde_json::to_string(&locks).expect("strings always serialise").into(), id.into()],
    )
    .await?;
    tx.commit().await?;
    detail(db, id).await
}

/// Locks or unlocks one field.
pub async fn set_lock(db: &Db, id: MovieId, field: &str, locked: bool) -> Result<Vec<String>> {
    let Some(field) = MovieField::parse(field) else {
        return Err(CatalogueError::Invalid(format!(
            "{field:?} cannot be locked; lockable fields: {}",
            MovieField::names()
        )));
    };
    let mut tx = db.begin().await?;
    let locks = toggle_lock(&mut tx, id, field.as_str(), locked).await?;
    tx.commit().await?;
    Ok(locks.into_iter().collect())
}

/// Adds or removes one lock name (checked by the caller) in a movie's `locks`, returning them.
pub async fn toggle_lock(tx: &mut Tx, id: MovieId, name: &str, locked: bool) -> Result<BTreeSet<String>> {
    let mut locks = locks_of(tx, id).await?;
    if locked {
        locks.insert(name.to_owned());
    } else {
        locks.remove(name);
    }
    let text = serde_json::to_string(&locks).expect("strings always serialise");
    tx.execute(
        "UPDATE movies SET locks = $1, updated_at = $2 WHERE id = $3",
        &[text.into(), now_ms().into(), id.into()],
    )
    .await?;
    Ok(locks)
}

/// A file of a movie folder as the scanner recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    pub id: i64,
    pub path: String,
    pub size: i64,
    pub mtime: i64,
    pub inode: i64,
    pub sha256: Option<String>,
    pub streams: Option<String>,
    /// Stream details were attempted (they may have failed: a corrupt video is not re-read
    /// until it changes).
    pub probed: bool,
}

/// A row of [`stored_folder`]'s left join: the file columns are null for a movie with no files.
#[derive(sqlx::FromRow)]
struct StoredFileRow {
    movie_id: MovieId,
    id: Option<i64>,
    path: Option<String>,
    size: Option<i64>,
    mtime: Option<i64>,
    inode: Option<i64>,
    sha256: Option<String>,
    streams: Option<String>,
    probed_at: Option<i64>,
}

/// The movie recorded for a folder, with its files by path.
pub async fn stored_folder(db: &Db, folder: &str) -> Result<Option<(MovieId, HashMap<String, StoredFile>)>> {
    // One read for the movie and its files: the folder's scan job waits on it.
    let rows = db
        .fetch_all::<StoredFileRow>(
            "SELECT m.id AS movie_id, f.id, f.path, f.size, f.mtime, f.inode, f.sha256, f.streams, f.probed_at \
             FROM movies m LEFT JOIN media_files f ON f.movie_id = m.id WHERE m.folder = $1",
            &[folder.into()],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let movie_id = first.movie_id;
    let mut files = HashMap::with_capacity(rows.len());
    for row in rows {
        let (Some(id), Some(path), Some(size), Some(mtime), Some(inode)) =
            (row.id, row.path, row.size, row.mtime, row.inode)
        else {
            // The movie has no files (the left join's single empty row).
            continue;
        };
        let file = StoredFile {
            id,
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
    Ok(Some((movie_id, files)))
}

/// The recorded files of many movies, by movie and path.
pub async fn stored_files_of(db: &Db, ids: &[MovieId]) -> Result<HashMap<MovieId, HashMap<String, StoredFile>>> {
    let mut files: HashMap<MovieId, HashMap<String, StoredFile>> = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let params: Vec<Param> = chunk.iter().map(|id| (*id).into()).collect();
        let rows = db
            .fetch_all::<StoredFileRow>(
                &format!(
                    "SELECT f.movie_id, f.id, f.path, f.size, f.mtime, f.inode, f.sha256, f.streams, f.probed_at \
                     FROM media_files f WHERE f.movie_id IN {}",
                    placeholders(1, params.len())
                ),
                &params,
            )
            .await?;
        for row in rows {
            let (Some(id), Some(path), Some(size), Some(mtime), Some(inode)) =
                (row.id, row.path, row.size, row.mtime, row.inode)
            else {
                continue;
            };
            let file = StoredFile {
                id,
                path: path.clone(),
                size,
                mtime,
                inode,
                sha256: row.sha256,
                streams: row.streams,
                probed: row.probed_at.is_some(),
            };
            files.entry(row.movie_id).or_default().insert(path, file);
        }
    }
    Ok(files)
}

/// Creates the movie of a folder, or updates its fields where locks and sources allow (see
/// [`FieldSource::may_replace`]): `layers` are the NFO's values, then the folder name's.
/// Returns (id, created, changed).
pub async fn upsert_scanned(
    tx: &mut Tx,
    library_id: LibraryId,
    scan_id: ScanId,
    folder: &str,
    video: Option<&str>,
    layers: &[(&Fields, FieldSource)],
    warnings: &[String],
) -> Result<(MovieId, bool, bool)> {
    let now = now_ms();
    let warnings_text = serde_json::to_string(warnings).expect("strings always serialise");
    // A first scan creates every movie, so the insert goes first; a folder already recorded
    // makes it do nothing, and the update below (which honours locks and sources) takes over.
    {
        let mut columns = vec!["library_id", "folder", "video", "warnings", "last_scan_id", "created_at", "updated_at"];
        let mut values: Vec<Param> = vec![
            library_id.into(),
            folder.into(),
            video.into(),
            warnings_text.clone().into(),
            scan_id.into(),
            now.into(),
            now.into(),
        ];
        let mut sources = FieldSources::new();
        for (field, value, source) in layered(layers) {
            columns.push(field.column());
            values.push(value);
            sources.insert(field, source);
        }
        if let std::collections::btree_map::Entry::Vacant(title) = sources.entry(MovieField::Title) {
            columns.push(MovieField::Title.column());
            let fallback = std::path::Path::new(folder).file_name().map(|n| n.to_string_lossy().into_owned());
            values.push(fallback.unwrap_or_else(|| folder.to_owned()).into());
            title.insert(FieldSource::Folder);
        }
        columns.push("field_sources");
        values.push(serde_json::to_string(&sources).expect("sources always serialise").into());
        let row: Option<(MovieId,)> = tx
            .fetch_optional(
                &format!(
                    "INSERT INTO movies ({}) VALUES {} ON CONFLICT (folder) DO NOTHING RETURNING id",
                    columns.join(", "),
                    placeholders(1, values.len())
                ),
                &values,
            )
            .await?;
        if let Some((id,)) = row {
            return Ok((id, true, true));
        }
    }
    let (id,): (MovieId,) = tx
        .fetch_optional("SELECT id FROM movies WHERE folder = $1", &[folder.into()])
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("movie of {folder} vanished")))?;
    let sets = ["video = $1", "warnings = $2", "missing = false", "removed = false", "last_scan_id = $3"];
    let values: Vec<Param> = vec![video.into(), warnings_text.into(), scan_id.into()];
    apply_layers(tx, id, layers, (&sets, values)).await?;
    Ok((id, false, true))
}

/// Marks a movie as seen by this scan without changing anything else.
pub async fn touch(tx: &mut Tx, movie_id: MovieId, scan_id: ScanId) -> Result<()> {
    tx.execute(
        "UPDATE movies SET last_scan_id = $1, missing = false WHERE id = $2",
        &[scan_id.into(), movie_id.into()],
    )
    .await?;
    Ok(())
}

/// Marks the library's movies that this scan did not see as missing. Returns how many.
pub async fn mark_unseen_missing(tx: &mut Tx, library_id: LibraryId, scan_id: ScanId) -> Result<i64> {
    let changed = tx
        .execute(
            "UPDATE movies SET missing = true, updated_at = $1 \
             WHERE library_id = $2 AND missing = false AND removed = false \
               AND (last_scan_id IS NULL OR last_scan_id <> $3)",
            &[now_ms().into(), library_id.into(), scan_id.into()],
        )
        .await?;
    Ok(i64::try_from(changed).unwrap_or(i64::MAX))
}

/// One file row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub path: String,
    pub category: FileCategory,
    pub role: Option<String>,
    pub slot: Option<String>,
    pub slot_index: Option<i64>,
    pub language: Option<String>,
    pub forced: bool,
    pub sdh: bool,
    pub size: i64,
    pub mtime: i64,
    pub inode: i64,
    /// Kept from the stored row when the file did not change.
    pub sha256: Option<String>,
    pub streams: Option<String>,
    pub probed: bool,
    /// Where a series folder's file belongs (series, season, episode); `None` for a movie's.
    pub tv: Option<TvPlacement>,
}

/// What a file of a series folder belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct TvPlacement {
    /// `series`, `season`, `episode` or `other` (`series_files.scope`).
    pub scope: &'static str,
    pub season: Option<i64>,
    /// The (first) episode of an episode's files (`s01e02`).
    pub episode_key: Option<String>,
}

/// Whose files a set of file rows is: a movie's (`media_files`) or a series' (`series_files`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOwner {
    Movie(MovieId),
    Series(crate::ids::SeriesId),
}

impl FileOwner {
    fn table(self) -> &'static str {
        match self {
            FileOwner::Movie(_) => "media_files",
            FileOwner::Series(_) => "series_files",
        }
    }

    fn column(self) -> &'static str {
        match self {
            FileOwner::Movie(_) => "movie_id",
            FileOwner::Series(_) => "series_id",
        }
    }

    fn id(self) -> Param {
        match self {
            FileOwner::Movie(id) => id.into(),
            FileOwner::Series(id) => id.into(),
        }
    }
}

/// Replaces the movie's file rows with `files`: unchanged rows stay, changed rows are updated,
/// gone rows are deleted (the files themselves are never touched).
pub async fn sync_files(
    tx: &mut Tx,
    movie_id: MovieId,
    files: &[FileRow],
    stored: &HashMap<String, StoredFile>,
) -> Result<()> {
    sync_owned_files(tx, FileOwner::Movie(movie_id), files, stored).await
}

/// Replaces a movie's or a series' file rows with `files` (see [`sync_files`]).
pub async fn sync_owned_files(
    tx: &mut Tx,
    owner: FileOwner,
    files: &[FileRow],
    stored: &HashMap<String, StoredFile>,
) -> Result<()> {
    let now = now_ms();
    let (table, column) = (owner.table(), owner.column());
    let tv = matches!(owner, FileOwner::Series(_));
    let present: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let gone: Vec<Param> =
        stored.values().filter(|s| !present.contains(s.path.as_str())).map(|s| s.id.into()).collect();
    // Whole statements rather than one per file: on SQLite's single writer each statement is a
    // round trip that every other scan job waits behind.
    for ids in gone.chunks(ROWS_PER_STATEMENT) {
        tx.execute(&format!("DELETE FROM {table} WHERE id IN {}", placeholders(1, ids.len())), ids).await?;
    }
    let changed: Vec<&FileRow> = files
        .iter()
        .filter(|file| {
            !stored.get(&file.path).is_some_and(|s| {
                s.size == file.size
                    && s.mtime == file.mtime
                    && s.inode == file.inode
                    && s.sha256 == file.sha256
                    && s.streams == file.streams
            })
        })
        .collect();
    for chunk in changed.chunks(ROWS_PER_STATEMENT) {
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 19);
        let mut rows = Vec::with_capacity(chunk.len());
        for file in chunk {
            let first = params.len() + 1;
            params.extend([
                owner.id(),
                file.path.clone().into(),
                file.category.as_str().into(),
                file.role.clone().into(),
                file.slot.clone().into(),
                file.slot_index.into(),
                file.language.clone().into(),
                file.forced.into(),
                file.sdh.into(),
                file.size.into(),
                file.mtime.into(),
                file.inode.into(),
                file.sha256.clone().into(),
                file.streams.clone().into(),
                if file.probed { Param::Int(now) } else { Param::NullInt },
                now.into(),
            ]);
            if tv {
                let placement = file.tv.as_ref();
                params.extend([
                    placement.map_or("other", |p| p.scope).into(),
                    placement.and_then(|p| p.season).into(),
                    placement.and_then(|p| p.episode_key.clone()).into(),
                ]);
            }
            rows.push(placeholders(first, params.len()));
        }
        let (tv_columns, tv_updates) = if tv {
            (
                ", scope, season, episode_key",
                ", scope = excluded.scope, season = excluded.season, episode_key = excluded.episode_key",
            )
        } else {
            ("", "")
        };
        tx.execute(
            &format!(
                "INSERT INTO {table} ({column}, path, category, role, slot, slot_index, language, forced, sdh, \
                     size, mtime, inode, sha256, streams, probed_at, updated_at{tv_columns}) \
                 VALUES {} \
                 ON CONFLICT (path) DO UPDATE SET {column} = excluded.{column}, category = excluded.category, \
                     role = excluded.role, slot = excluded.slot, slot_index = excluded.slot_index, \
                     language = excluded.language, forced = excluded.forced, sdh = excluded.sdh, \
                     size = excluded.size, mtime = excluded.mtime, inode = excluded.inode, sha256 = excluded.sha256, \
                     streams = excluded.streams, probed_at = excluded.probed_at, updated_at = excluded.updated_at\
                     {tv_updates}",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Rows written per multi-row statement: 19 parameters each at most keeps a statement well under both
/// backends' parameter limits.
const ROWS_PER_STATEMENT: usize = 200;

/// A cached asset and the library file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRecord {
    pub file_path: String,
    pub sha256: String,
    pub ext: String,
    pub size: i64,
    pub dimensions: Option<(u32, u32)>,
}

/// Records cached assets and links each to the file it came from, in two statements whatever
/// their number.
pub async fn record_assets(tx: &mut Tx, assets: &[AssetRecord]) -> Result<()> {
    let now = now_ms();
    for chunk in assets.chunks(ROWS_PER_STATEMENT) {
        let mut seen = BTreeSet::new();
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 6);
        let mut rows = Vec::with_capacity(chunk.len());
        for asset in chunk.iter().filter(|a| seen.insert(a.sha256.as_str())) {
            let (width, height) = match asset.dimensions {
                Some((w, h)) => (Param::Int(i64::from(w)), Param::Int(i64::from(h))),
                None => (Param::NullInt, Param::NullInt),
            };
            let first = params.len() + 1;
            params.extend([
                asset.sha256.clone().into(),
                asset.ext.clone().into(),
                asset.size.into(),
                width,
                height,
                now.into(),
            ]);
            rows.push(placeholders(first, params.len()));
        }
        tx.execute(
            &format!(
                "INSERT INTO assets (sha256, ext, size, width, height, created_at) VALUES {} \
                 ON CONFLICT (sha256) DO NOTHING",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 2);
        let mut rows = Vec::with_capacity(chunk.len());
        for asset in chunk {
            let first = params.len() + 1;
            params.extend([asset.file_path.clone().into(), asset.sha256.clone().into()]);
            rows.push(placeholders(first, params.len()));
        }
        // VALUES columns are called column1, column2… in both SQLite and PostgreSQL.
        // A path is a movie's or a series' file: one of the two updates finds it.
        for table in ["media_files", "series_files"] {
            tx.execute(
                &format!(
                    "UPDATE {table} SET sha256 = v.column2 FROM (VALUES {}) AS v WHERE {table}.path = v.column1",
                    rows.join(", ")
                ),
                &params,
            )
            .await?;
        }
    }
    Ok(())
}

/// `($first, …, $last)`: one row of a multi-row statement.
pub(crate) fn placeholders(first: usize, last: usize) -> String {
    let list: Vec<String> = (first..=last).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

/// Records one cached file (a downloaded or uploaded image) in `assets`, once.
pub async fn record_asset(db: &Db, sha256: &str, ext: &str, size: u64, dimensions: Option<(u32, u32)>) -> Result<()> {
    db.execute(ASSET_INSERT, &asset_params(sha256, ext, size, dimensions)).await?;
    Ok(())
}

/// [`record_asset`] in the caller's transaction.
pub async fn record_asset_in(
    tx: &mut Tx,
    sha256: &str,
    ext: &str,
    size: u64,
    dimensions: Option<(u32, u32)>,
) -> Result<()> {
    tx.execute(ASSET_INSERT, &asset_params(sha256, ext, size, dimensions)).await?;
    Ok(())
}

const ASSET_INSERT: &str = "INSERT INTO assets (sha256, ext, size, width, height, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING";

fn asset_params(sha256: &str, ext: &str, size: u64, dimensions: Option<(u32, u32)>) -> Vec<Param> {
    let (width, height) = match dimensions {
        Some((w, h)) => (Param::Int(i64::from(w)), Param::Int(i64::from(h))),
        None => (Param::NullInt, Param::NullInt),
    };
    vec![sha256.into(), ext.into(), size.into(), width, height, now_ms().into()]
}

/// The extension of a cached asset, if the cache holds it.
pub async fn asset_ext(db: &Db, sha256: &str) -> Result<Option<String>> {
    let row: Option<(String,)> =
        db.fetch_optional("SELECT ext FROM assets WHERE sha256 = $1", &[sha256.into()]).await?;
    Ok(row.map(|(ext,)| ext))
}

/// The stamps of one recorded folder, for telling an unchanged folder without a job.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderStamps {
    pub movie_id: MovieId,
    pub missing: bool,
    /// The last scan that saw the movie (touched it or scanned its folder).
    pub last_scan_id: Option<ScanId>,
    /// (size, mtime, inode) by path.
    pub files: HashMap<String, (i64, i64, i64)>,
    /// Every artwork file is cached and the main video's stream details were read.
    pub complete: bool,
}

/// A movie file's stamps, joined with its movie's.
#[derive(sqlx::FromRow)]
struct StampRow {
    movie_id: MovieId,
    folder: String,
    video: Option<String>,
    missing: bool,
    last_scan_id: Option<ScanId>,
    path: String,
    #[sqlx(try_from = "String")]
    category: FileCategory,
    size: i64,
    mtime: i64,
    inode: i64,
    sha256: Option<String>,
    probed_at: Option<i64>,
}

/// The stamps of the given recorded folders of a library, by folder, in one query.
///
/// Callers pass a bounded batch of folders (the discovery's batches): reading a whole large
/// library's stamps at once held every row of the query, twice over, at the scan's peak memory.
pub async fn folder_stamps(
    db: &Db,
    library_id: LibraryId,
    folders: &[String],
    need_streams: bool,
) -> Result<HashMap<String, FolderStamps>> {
    let mut stamps: HashMap<String, FolderStamps> = HashMap::with_capacity(folders.len());
    if folders.is_empty() {
        return Ok(stamps);
    }
    let mut params: Vec<Param> = vec![library_id.into()];
    params.extend(folders.iter().map(Param::from));
    let rows = db
        .fetch_all::<StampRow>(
            &format!(
                "SELECT m.id AS movie_id, m.folder, m.video, m.missing, m.last_scan_id, f.path, f.category, f.size, \
                     f.mtime, f.inode, f.sha256, f.probed_at \
                 FROM movies m JOIN media_files f ON f.movie_id = m.id \
                 WHERE m.library_id = $1 AND m.removed = false AND m.folder IN {}",
                placeholders(2, folders.len() + 1)
            ),
            &params,
        )
        .await?;
    for row in rows {
        let folder = stamps.entry(row.folder).or_insert_with(|| FolderStamps {
            movie_id: row.movie_id,
            missing: row.missing,
            last_scan_id: row.last_scan_id,
            files: HashMap::new(),
            complete: true,
        });
        if row.category == FileCategory::Artwork && row.sha256.is_none() {
            folder.complete = false;
        }
        if need_streams && row.video.as_deref() == Some(row.path.as_str()) && row.probed_at.is_none() {
            folder.complete = false;
        }
        folder.files.insert(row.path, (row.size, row.mtime, row.inode));
    }
    Ok(stamps)
}

/// The library's present movies whose folder is not among `found` (sorted), read in pages of
/// ids so that a large library is never held in memory at once.
pub async fn absent_from(db: &Db, library_id: LibraryId, found: &[String]) -> Result<Vec<MovieId>> {
    const PAGE: i64 = 1000;
    let mut absent = Vec::new();
    let mut after_id = 0i64;
    loop {
        let rows: Vec<(MovieId, String)> = db
            .fetch_all(
                "SELECT id, folder FROM movies WHERE library_id = $1 AND missing = false AND removed = false \
                     AND id > $2 ORDER BY id LIMIT $3",
                &[library_id.into(), after_id.into(), PAGE.into()],
            )
            .await?;
        for (id, folder) in &rows {
            after_id = id.get();
            if found.binary_search(folder).is_err() {
                absent.push(*id);
            }
        }
        if (rows.len() as i64) < PAGE {
            return Ok(absent);
        }
    }
}

/// The library's present movies, by id.
pub async fn present_ids(db: &Db, library_id: LibraryId) -> Result<Vec<MovieId>> {
    let rows: Vec<(MovieId,)> = db
        .fetch_all(
            "SELECT id FROM movies WHERE library_id = $1 AND missing = false AND removed = false ORDER BY id",
            &[library_id.into()],
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A page of a library's present movies that were never enriched and wait for no user
/// choice, by id after `after`.
pub async fn to_enrich(db: &Db, library_id: LibraryId, after: i64, limit: i64) -> Result<Vec<MovieId>> {
    let rows: Vec<(MovieId,)> = db
        .fetch_all(
            "SELECT id FROM movies WHERE library_id = $1 AND missing = false AND removed = false \
                 AND enriched_at IS NULL AND identification IS NULL AND id > $2 ORDER BY id LIMIT $3",
            &[library_id.into(), after.into(), limit.into()],
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Identified movies enriched before `before` (milliseconds), oldest first: (id, TMDB id,
/// enriched at).
pub async fn stale_enrichments(db: &Db, before: i64) -> Result<Vec<(MovieId, i64, i64)>> {
    Ok(db
        .fetch_all(
            "SELECT id, tmdb_id, enriched_at FROM movies \
             WHERE identification = 'identified' AND tmdb_id IS NOT NULL AND enriched_at < $1 AND removed = false \
             ORDER BY enriched_at, id",
            &[before.into()],
        )
        .await?)
}

/// Marks movies checked against the providers at `at` without a change (their `enriched_at`).
pub async fn mark_checked(db: &Db, ids: &[MovieId], at: i64) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut tx = db.begin().await?;
        set_in_batches(&mut tx, "enriched_at = $1", at.into(), chunk).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// How far enrichment has got, for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichmentCounts {
    pub identified: i64,
    pub needs_identification: i64,
    pub not_found: i64,
    pub not_enriched: i64,
    /// `enrich-metadata` jobs waiting or running.
    pub queued: i64,
}

/// The present movies by identification state, and the enrichments queued.
pub async fn enrichment_counts(db: &Db) -> Result<EnrichmentCounts> {
    let rows: Vec<(Option<String>, i64)> = db
        .fetch_all(
            "SELECT identification, count(*) FROM movies WHERE removed = false AND missing = false \
             GROUP BY identification",
            &[],
        )
        .await?;
    let mut counts = EnrichmentCounts::default();
    for (state, count) in rows {
        match state.as_deref().and_then(Identification::parse) {
            Some(Identification::Identified) => counts.identified = count,
            Some(Identification::NeedsIdentification) => counts.needs_identification = count,
            Some(Identification::NotFound) => counts.not_found = count,
            None => counts.not_enriched += count,
        }
    }
    let (queued,): (i64,) = db
        .fetch_optional(
            "SELECT count(*) FROM jobs WHERE kind = 'enrich-metadata' AND state IN ('pending', 'running')",
            &[],
        )
        .await?
        .unwrap_or((0,));
    counts.queued = queued;
    Ok(counts)
}

/// Which of `ids` are movies (not removed).
pub async fn existing(db: &Db, ids: &[MovieId]) -> Result<BTreeSet<MovieId>> {
    let mut known = BTreeSet::new();
    for chunk in ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| Param::from(*id)).collect();
        let rows: Vec<(MovieId,)> = db
            .fetch_all(
                &format!("SELECT id FROM movies WHERE removed = false AND id IN {}", placeholders(1, chunk.len())),
                &params,
            )
            .await?;
        known.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(known)
}

/// Marks movies as missing from disk, in batches.
pub async fn mark_missing(tx: &mut Tx, movie_ids: &[MovieId]) -> Result<()> {
    set_in_batches(tx, "missing = true, updated_at = $1", now_ms().into(), movie_ids).await
}

/// Marks movies as seen by a scan, in batches.
pub async fn touch_many(tx: &mut Tx, movie_ids: &[MovieId], scan_id: ScanId) -> Result<()> {
    set_in_batches(tx, "last_scan_id = $1, missing = false", scan_id.into(), movie_ids).await
}

/// Sets `assignments`, in which `$1` is `value`, on the given movies, 500 per statement: no
/// statement nears the backends' limits on parameters, however many movies a scan touches.
async fn set_in_batches(tx: &mut Tx, assignments: &str, value: Param, movie_ids: &[MovieId]) -> Result<()> {
    for chunk in movie_ids.chunks(500) {
        let mut params: Vec<Param> = vec![value.clone()];
        params.extend(chunk.iter().map(|id| Param::from(*id)));
        tx.execute(
            &format!("UPDATE movies SET {assignments} WHERE id IN {}", placeholders(2, chunk.len() + 1)),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// The cached poster of each of the given movies (the selected one, else the first poster slot
/// whose file is in the cache), by movie id, in one query: a list page asks for its own page's posters only.
pub async fn posters(db: &Db, movie_ids: &[MovieId]) -> Result<HashMap<MovieId, String>> {
    let mut posters: HashMap<MovieId, (i64, String)> = HashMap::with_capacity(movie_ids.len());
    for chunk in movie_ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| Param::from(*id)).collect();
        let rows: Vec<(MovieId, Option<i64>, String)> = db
            .fetch_all(
                &format!(
                    "SELECT f.movie_id, f.slot_index, f.sha256 FROM media_files f JOIN assets a ON a.sha256 = f.sha256 \
                     WHERE f.category = 'artwork' AND f.slot = 'poster' AND f.movie_id IN {}",
                    placeholders(1, chunk.len())
                ),
                &params,
            )
            .await?;
        for (movie_id, slot_index, sha256) in rows {
            // `poster.jpg` has no index and comes before `poster1.jpg`.
            let rank = slot_index.unwrap_or(-1);
            let entry = posters.entry(movie_id).or_insert((rank, sha256.clone()));
            if rank < entry.0 || (rank == entry.0 && sha256 < entry.1) {
                *entry = (rank, sha256);
            }
        }
    }
    let mut posters: HashMap<MovieId, String> = posters.into_iter().map(|(id, (_, sha256))| (id, sha256)).collect();
    // The poster selected for the movie wins over the folder's file.
    posters.extend(crate::artwork::repo::selected_posters(db, movie_ids).await?);
    Ok(posters)
}

/// When a movie last changed (milliseconds), for telling a page whether it is still current.
pub async fn updated_at(db: &Db, id: MovieId) -> Result<i64> {
    let (updated_at,): (i64,) = db
        .fetch_optional("SELECT updated_at FROM movies WHERE id = $1", &[id.into()])
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("movie {id} not found")))?;
    Ok(updated_at)
}
