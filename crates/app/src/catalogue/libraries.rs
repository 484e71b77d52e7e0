//! Libraries: a named root folder of movies or TV series, with its ignore patterns.

use super::{CatalogueError, Result, now_ms};
use crate::catalogue::scans::ScanPhase;
use crate::db::{Db, JsonText, Param};
use crate::ids::{LibraryId, ScanId};
use crate::limits;
use crate::publish::settings::{PublishMode, PublishOptions};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A library as the API shows it (docs/contracts.md, "Library").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Library {
    pub id: LibraryId,
    pub name: String,
    pub path: String,
    pub kind: LibraryKind,
    pub enabled: bool,
    pub ignore_patterns: Vec<String>,
    /// Provider values replace the NFO's (never a locked field's).
    pub prefer_provider_metadata: bool,
    /// Whether scans enrich their movies; `null`: when a TMDB key is configured.
    pub auto_enrich: Option<bool>,
    /// Images per artwork slot over the configured limits (`{"fanart": 5}`); 0 turns a slot off.
    pub artwork_limits: metarr_artwork::SlotLimits,
    /// Whether and when Metarr writes NFOs and artwork into the library's folders.
    pub publish: PublishMode,
    /// The names it writes them under.
    pub publish_options: PublishOptions,
}

/// What a client sends to create or replace a library.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LibraryInput {
    /// Defaults to the folder's name.
    pub name: Option<String>,
    /// An absolute path to an existing folder, as Metarr sees it (inside its container).
    pub path: String,
    /// `movies` (the default) or `tv`.
    #[serde(default = "default_kind")]
    #[schema(value_type = LibraryKind, default = "movies")]
    pub kind: String,
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// Globs matched against paths relative to the root and against names; the built-in
    /// ignores (NAS metadata, recycle bins, hidden files, samples) always apply.
    #[serde(default)]
    pub ignore_patterns: Vec<String>,
    /// Off by default: the NFO's values are the user's.
    #[serde(default)]
    pub prefer_provider_metadata: bool,
    /// `null` (the default): scans enrich when a TMDB key is configured.
    #[serde(default)]
    pub auto_enrich: Option<bool>,
    /// Slots left out keep the configured limits.
    #[serde(default)]
    pub artwork_limits: metarr_artwork::SlotLimits,
    /// `manual` by default: Metarr writes into the library when asked.
    #[serde(default)]
    pub publish: PublishMode,
    #[serde(default)]
    pub publish_options: PublishOptions,
}

impl LibraryInput {
    /// An enabled movie library at `root`, named after its folder, with only the built-in ignores.
    pub fn movies_at(root: &std::path::Path) -> LibraryInput {
        LibraryInput {
            name: None,
            path: root.display().to_string(),
            kind: default_kind(),
            enabled: default_enabled(),
            ignore_patterns: Vec::new(),
            prefer_provider_metadata: false,
            auto_enrich: None,
            artwork_limits: metarr_artwork::SlotLimits::default(),
            publish: PublishMode::default(),
            publish_options: PublishOptions::default(),
        }
    }
}

fn default_kind() -> String {
    LibraryKind::Movies.as_str().to_owned()
}

/// What a library's folders hold: a movie each, or a series each (with its seasons and episodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LibraryKind {
    Movies,
    Tv,
}

impl LibraryKind {
    pub const ALL: [LibraryKind; 2] = [LibraryKind::Movies, LibraryKind::Tv];

    /// The name stored and shown; never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            LibraryKind::Movies => "movies",
            LibraryKind::Tv => "tv",
        }
    }

    pub fn parse(name: &str) -> Option<LibraryKind> {
        LibraryKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl std::fmt::Display for LibraryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for LibraryKind {
    type Error = String;

    fn try_from(name: String) -> Result<LibraryKind, String> {
        LibraryKind::parse(&name).ok_or_else(|| format!("unknown library kind {name:?}"))
    }
}

fn default_enabled() -> bool {
    true
}

/// A `libraries` row as [`COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
struct LibraryRow {
    id: LibraryId,
    name: String,
    path: String,
    #[sqlx(try_from = "String")]
    kind: LibraryKind,
    enabled: bool,
    ignore_patterns: JsonText<Vec<String>>,
    prefer_provider_metadata: bool,
    auto_enrich: Option<bool>,
    artwork_limits: JsonText<metarr_artwork::SlotLimits>,
    #[sqlx(try_from = "String")]
    publish: PublishMode,
    publish_options: JsonText<PublishOptions>,
}

impl From<LibraryRow> for Library {
    fn from(row: LibraryRow) -> Library {
        Library {
            id: row.id,
            name: row.name,
            path: row.path,
            kind: row.kind,
            enabled: row.enabled,
            ignore_patterns: row.ignore_patterns.0,
            prefer_provider_metadata: row.prefer_provider_metadata,
            auto_enrich: row.auto_enrich,
            artwork_limits: row.artwork_limits.0,
            publish: row.publish,
            publish_options: row.publish_options.0,
        }
    }
}

/// A library with the phase of one of its scans.
#[derive(sqlx::FromRow)]
struct LibraryOfScan {
    #[sqlx(flatten)]
    library: LibraryRow,
    #[sqlx(try_from = "String")]
    phase: ScanPhase,
}

const COLUMNS: &str = "id, name, path, kind, enabled, ignore_patterns, prefer_provider_metadata, auto_enrich, \
     artwork_limits, publish, publish_options";

/// Every library, by id.
pub async fn list(db: &Db) -> Result<Vec<Library>> {
    let rows = db.fetch_all::<LibraryRow>(&format!("SELECT {COLUMNS} FROM libraries ORDER BY id"), &[]).await?;
    Ok(rows.into_iter().map(Library::from).collect())
}

/// One library.
pub async fn get(db: &Db, id: LibraryId) -> Result<Library> {
    let row = db
        .fetch_optional::<LibraryRow>(&format!("SELECT {COLUMNS} FROM libraries WHERE id = $1"), &[id.into()])
        .await?;
    row.map(Library::from).ok_or_else(|| CatalogueError::NotFound(format!("library {id} not found")))
}

/// The library a scan runs over, with the scan's phase: the one read each scan job starts with.
pub async fn of_scan(db: &Db, scan_id: ScanId) -> Result<(Library, ScanPhase)> {
    let row = db
        .fetch_optional::<LibraryOfScan>(
            "SELECT l.id, l.name, l.path, l.kind, l.enabled, l.ignore_patterns, l.prefer_provider_metadata, \
                 l.auto_enrich, l.artwork_limits, l.publish, l.publish_options, s.phase \
             FROM scans s JOIN libraries l ON l.id = s.library_id WHERE s.id = $1",
            &[scan_id.into()],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("scan {scan_id} or its library not found")))?;
    Ok((row.library.into(), row.phase))
}

/// The library whose root is exactly this folder, if any.
pub async fn find_by_path(db: &Db, path: &Path) -> Result<Option<Library>> {
    let path = path.to_string_lossy().into_owned();
    let row = db
        .fetch_optional::<LibraryRow>(&format!("SELECT {COLUMNS} FROM libraries WHERE path = $1"), &[path.into()])
        .await?;
    Ok(row.map(Library::from))
}

/// Checks the input and returns the canonical root. `data_dir` is Metarr's own data directory
/// (database, cache): a library must neither be inside it nor contain it, or a scan would
/// catalogue Metarr's cache and every cache write would look like a change in the library.
async fn validate(
    db: &Db,
    input: &LibraryInput,
    except_id: Option<LibraryId>,
    data_dir: Option<&Path>,
) -> Result<(String, PathBuf)> {
    let invalid = |err: limits::TextError| CatalogueError::Invalid(err.to_string());
    if let Some(name) = &input.name {
        limits::NAME.check("name", name).map_err(invalid)?;
    }
    limits::PATH.check("path", &input.path).map_err(invalid)?;
    for pattern in &input.ignore_patterns {
        limits::PATH.check("ignore_patterns", pattern).map_err(invalid)?;
    }
    input.artwork_limits.validate().map_err(|err| CatalogueError::Invalid(format!("artwork_limits: {err}")))?;
    if LibraryKind::parse(&input.kind).is_none() {
        return Err(CatalogueError::Invalid(format!("kind {:?} is not supported: \"movies\" or \"tv\"", input.kind)));
    }
    let given = Path::new(&input.path);
    if !given.is_absolute() {
        return Err(CatalogueError::Invalid(format!("path {:?} must be absolute", input.path)));
    }
    let metadata = std::fs::metadata(given)
        .map_err(|err| CatalogueError::Invalid(format!("path {:?} cannot be used: {err}", input.path)))?;
    if !metadata.is_dir() {
        return Err(CatalogueError::Invalid(format!("path {:?} is not a directory", input.path)));
    }
    let root = std::fs::canonicalize(given)
        .map_err(|err| CatalogueError::Invalid(format!("path {:?} cannot be resolved: {err}", input.path)))?;
    if root.parent().is_none() {
        return Err(CatalogueError::Invalid(format!(
            "path {:?} is the root of the file system; choose the folder that holds the movies",
            input.path
        )));
    }
    // The data directory exists once the app runs; canonicalised like the root so that
    // symbolic links and relative settings compare equal.
    let data_dir = data_dir.map(|dir| std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()));
    if let Some(data_dir) = data_dir.as_ref().filter(|dir| root.starts_with(dir)) {
        return Err(CatalogueError::Invalid(format!(
            "path {} is inside Metarr's data directory ({}); choose a folder outside it",
            root.display(),
            data_dir.display()
        )));
    }
    if let Some(data_dir) = data_dir.as_ref().filter(|dir| dir.starts_with(&root)) {
        return Err(CatalogueError::Invalid(format!(
            "path {} contains Metarr's data directory ({}); choose a folder that does not",
            root.display(),
            data_dir.display()
        )));
    }
    metarr_media::IgnoreRules::new(&input.ignore_patterns)
        .map_err(|err| CatalogueError::Invalid(format!("ignore_patterns: {}", metarr_errors::Chain(&err))))?;
    for other in list(db).await? {
        if Some(other.id) == except_id {
            continue;
        }
        let other_root = Path::new(&other.path);
        if root == other_root {
            return Err(CatalogueError::Conflict(format!("library {} already has the root {}", other.id, other.path)));
        }
        if root.starts_with(other_root) {
            return Err(CatalogueError::Conflict(format!(
                "{} is inside library {} ({}); libraries must not overlap",
                root.display(),
                other.id,
                other.path
            )));
        }
        if other_root.starts_with(&root) {
            return Err(CatalogueError::Conflict(format!(
                "{} contains library {} ({}); libraries must not overlap",
                root.display(),
                other.id,
                other.path
            )));
        }
    }
    let name = match input.name.as_deref().map(str::trim) {
        Some("") => return Err(CatalogueError::Invalid("name must not be empty".into())),
        Some(name) => name.to_owned(),
        None => root.file_name().map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned()),
    };
    Ok((name, root))
}

/// Creates a library, with no data directory to keep apart from (tests and benchmarks); the
/// app's entry points (API, UI, CLI) call [`create_apart_from`].
pub async fn create(db: &Db, input: &LibraryInput) -> Result<Library> {
    insert(db, input, None).await
}

/// Creates a library that neither contains nor lies inside `data_dir`, Metarr's data directory.
pub async fn create_apart_from(db: &Db, input: &LibraryInput, data_dir: &Path) -> Result<Library> {
    insert(db, input, Some(data_dir)).await
}

async fn insert(db: &Db, input: &LibraryInput, data_dir: Option<&Path>) -> Result<Library> {
    let (name, root) = validate(db, input, None, data_dir).await?;
    let now = now_ms();
    let patterns = serde_json::to_string(&input.ignore_patterns).expect("strings always serialise");
    let limits_text = serde_json::to_string(&input.artwork_limits).expect("limits always serialise");
    let rows = db
        .write::<LibraryRow>(
            &format!(
                "INSERT INTO libraries (name, path, kind, enabled, ignore_patterns, created_at, updated_at, \
                     prefer_provider_metadata, auto_enrich, artwork_limits, publish, publish_options) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
            ),
            &[
                name.into(),
                root.to_string_lossy().into_owned().into(),
                input.kind.clone().into(),
                input.enabled.into(),
                patterns.into(),
                now.into(),
                input.prefer_provider_metadata.into(),
                input.auto_enrich.into(),
                limits_text.into(),
                input.publish.as_str().into(),
                serde_json::to_string(&input.publish_options).expect("options always serialise").into(),
            ],
        )
        .await
        .map_err(|err| {
            if err.is_unique_violation() {
                CatalogueError::Conflict(format!("a library with the root {} already exists", root.display()))
            } else {
                err.into()
            }
        })?;
    rows.into_iter().next().map(Library::from).ok_or_else(|| CatalogueError::NotFound("library vanished".into()))
}

/// Replaces a library's settings, with no data directory to keep apart from (see [`create`]).
pub async fn update(db: &Db, id: LibraryId, input: &LibraryInput) -> Result<Library> {
    replace(db, id, input, None).await
}

/// Replaces a library's settings; the new root must stay apart from `data_dir`.
pub async fn update_apart_from(db: &Db, id: LibraryId, input: &LibraryInput, data_dir: &Path) -> Result<Library> {
    replace(db, id, input, Some(data_dir)).await
}

async fn replace(db: &Db, id: LibraryId, input: &LibraryInput, data_dir: Option<&Path>) -> Result<Library> {
    let current = get(db, id).await?;
    let (name, root) = validate(db, input, Some(id), data_dir).await?;
    if current.kind.as_str() != input.kind {
        // Its catalogue rows are of the old kind: a movie cannot become a series.
        return Err(CatalogueError::Invalid(format!(
            "kind cannot change from {:?} to {:?}; add a new library for the other kind",
            current.kind.as_str(),
            input.kind
        )));
    }
    let patterns = serde_json::to_string(&input.ignore_patterns).expect("strings always serialise");
    let params: Vec<Param> = vec![
        name.into(),
        root.to_string_lossy().into_owned().into(),
        input.enabled.into(),
        patterns.into(),
        now_ms().into(),
        id.into(),
        input.prefer_provider_metadata.into(),
        input.auto_enrich.into(),
        serde_json::to_string(&input.artwork_limits).expect("limits always serialise").into(),
        input.publish.as_str().into(),
        serde_json::to_string(&input.publish_options).expect("options always serialise").into(),
    ];
    let rows = db
        .write::<LibraryRow>(
            &format!(
                "UPDATE libraries SET name = $1, path = $2, enabled = $3, ignore_patterns = $4, updated_at = $5, \
                     prefer_provider_metadata = $7, auto_enrich = $8, artwork_limits = $9, \
                     publish = $10, publish_options = $11 \
                 WHERE id = $6 RETURNING {COLUMNS}"
            ),
            &params,
        )
        .await?;
    rows.into_iter()
        .next()
        .map(Library::from)
        .ok_or_else(|| CatalogueError::NotFound(format!("library {id} not found")))
}

/// Deletes a library and its catalogue rows (never a file on disk).
pub async fn delete(db: &Db, id: LibraryId) -> Result<()> {
    get(db, id).await?;
    let mut tx = db.begin().await?;
    // Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
    tx.execute("DELETE FROM media_files WHERE movie_id IN (SELECT id FROM movies WHERE library_id = $1)", &[id.into()])
        .await?;
    tx.execute("DELETE FROM movies WHERE library_id = $1", &[id.into()]).await?;
    for table in ["series_files", "series_published_files", "episodes", "seasons"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE series_id IN (SELECT id FROM series WHERE library_id = $1)"),
            &[id.into()],
        )
        .await?;
    }
    tx.execute("DELETE FROM series WHERE library_id = $1", &[id.into()]).await?;
    tx.execute("DELETE FROM scans WHERE library_id = $1", &[id.into()]).await?;
    tx.execute("DELETE FROM libraries WHERE id = $1", &[id.into()]).await?;
    tx.commit().await?;
    Ok(())
}

/// How many movies a library holds, and how many of them are missing from disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MovieCounts {
    pub total: i64,
    pub missing: i64,
}

/// Movie counts of every library that has movies, and series counts of every TV library, by
/// library id (one grouped query; a library holds one kind or the other).
pub async fn movie_counts(db: &Db) -> Result<std::collections::HashMap<LibraryId, MovieCounts>> {
    // PostgreSQL's SUM of integers is numeric: cast it back to the BIGINT both backends decode.
    let rows: Vec<(LibraryId, i64, i64)> = db
        .fetch_all(
            "SELECT library_id, COUNT(*) AS total, \
             CAST(COALESCE(SUM(CASE WHEN missing THEN 1 ELSE 0 END), 0) AS BIGINT) AS missing \
             FROM movies GROUP BY library_id \
             UNION ALL SELECT library_id, COUNT(*) AS total, \
             CAST(COALESCE(SUM(CASE WHEN missing THEN 1 ELSE 0 END), 0) AS BIGINT) AS missing \
             FROM series GROUP BY library_id",
            &[],
        )
        .await?;
    Ok(rows.into_iter().map(|(library_id, total, missing)| (library_id, MovieCounts { total, missing })).collect())
}
