//! The publishing tables: `published_files` (what Metarr wrote, with its stamp and hash),
//! `recycle_bin` (what it replaced or removed) and `verification_runs` (migration 20021).

use super::names::PublishedKind;
use crate::catalogue::movies::placeholders;
use crate::catalogue::{Result, now_ms, time_from_ms};
use crate::db::{Db, Param, Tx};
use crate::ids::{LibraryId, MovieId};
use serde::Serialize;

/// A file Metarr wrote, as it wrote it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PublishedFile {
    pub id: i64,
    pub movie_id: MovieId,
    pub path: String,
    #[sqlx(try_from = "String")]
    pub kind: PublishedKind,
    pub slot: Option<String>,
    pub slot_index: Option<i64>,
    pub sha256: String,
    pub ext: String,
    pub size: i64,
    pub mtime: i64,
    pub inode: i64,
    pub published_at: i64,
}

const FILE_COLUMNS: &str = "id, movie_id, path, kind, slot, slot_index, sha256, ext, size, mtime, inode, published_at";

/// The files published for a movie, by path.
pub async fn published(db: &Db, movie_id: MovieId) -> Result<Vec<PublishedFile>> {
    Ok(db
        .fetch_all(
            &format!("SELECT {FILE_COLUMNS} FROM published_files WHERE movie_id = $1 ORDER BY path"),
            &[movie_id.into()],
        )
        .await?)
}

/// The files published for the given movies.
pub async fn published_of(db: &Db, movie_ids: &[MovieId]) -> Result<Vec<PublishedFile>> {
    if movie_ids.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<Param> = movie_ids.iter().map(|id| (*id).into()).collect();
    Ok(db
        .fetch_all(
            &format!(
                "SELECT {FILE_COLUMNS} FROM published_files WHERE movie_id IN {} ORDER BY movie_id, path",
                placeholders(1, params.len())
            ),
            &params,
        )
        .await?)
}

/// The published file at a path, if any.
pub async fn published_at(db: &Db, path: &str) -> Result<Option<PublishedFile>> {
    Ok(db
        .fetch_optional(&format!("SELECT {FILE_COLUMNS} FROM published_files WHERE path = $1"), &[path.into()])
        .await?)
}

/// The files published for the movies of a library (or every library), by movie.
pub async fn published_in(db: &Db, library_id: Option<LibraryId>) -> Result<Vec<PublishedFile>> {
    let columns = FILE_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
    Ok(match library_id {
        Some(library_id) => {
            db.fetch_all(
                &format!(
                    "SELECT {columns} FROM published_files p JOIN movies m ON m.id = p.movie_id \
                     WHERE m.library_id = $1 ORDER BY p.movie_id, p.path"
                ),
                &[library_id.into()],
            )
            .await?
        }
        None => {
            db.fetch_all(&format!("SELECT {columns} FROM published_files p ORDER BY p.movie_id, p.path"), &[]).await?
        }
    })
}

/// A file as written, to record.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: String,
    pub kind: PublishedKind,
    pub slot: Option<String>,
    pub slot_index: Option<i64>,
    pub sha256: String,
    pub ext: String,
    pub size: i64,
    pub mtime: i64,
    pub inode: i64,
}

impl Written {
    /// `file` as it is now: other bytes, under a new stamp (a restore, an outside change adopted).
    pub fn now(file: &PublishedFile, sha256: &str, ext: &str, stamp: super::fs::Stamp) -> Written {
        Written {
            path: file.path.clone(),
            kind: file.kind,
            slot: file.slot.clone(),
            slot_index: file.slot_index,
            sha256: sha256.to_owned(),
            ext: ext.to_owned(),
            size: stamp.size,
            mtime: stamp.mtime,
            inode: stamp.inode,
        }
    }
}

/// Records files as published (replacing the record of the same path).
pub async fn record_written(tx: &mut Tx, movie_id: MovieId, files: &[Written]) -> Result<()> {
    let now = now_ms();
    for chunk in files.chunks(100) {
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 11);
        let mut rows = Vec::with_capacity(chunk.len());
        for file in chunk {
            let first = params.len() + 1;
            params.extend([
                movie_id.into(),
                file.path.clone().into(),
                file.kind.as_str().into(),
                file.slot.clone().into(),
                file.slot_index.into(),
                file.sha256.clone().into(),
                file.ext.clone().into(),
                file.size.into(),
                file.mtime.into(),
                file.inode.into(),
                now.into(),
            ]);
            rows.push(placeholders(first, params.len()));
        }
        tx.execute(
            &format!(
                "INSERT INTO published_files (movie_id, path, kind, slot, slot_index, sha256, ext, size, mtime, inode, \
                     published_at) VALUES {} \
                 ON CONFLICT (path) DO UPDATE SET movie_id = excluded.movie_id, kind = excluded.kind, \
                     slot = excluded.slot, slot_index = excluded.slot_index, sha256 = excluded.sha256, \
                     ext = excluded.ext, size = excluded.size, mtime = excluded.mtime, inode = excluded.inode, \
                     published_at = excluded.published_at",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// A `series_published_files` row.
#[derive(sqlx::FromRow)]
struct SeriesPublishedRow {
    path: String,
    #[sqlx(try_from = "String")]
    kind: PublishedKind,
    slot: Option<String>,
    slot_index: Option<i64>,
    sha256: String,
    ext: String,
    size: i64,
    mtime: i64,
    inode: i64,
}

/// What was published in a series' folder, as a plan reads it.
pub(crate) async fn published_series(db: &Db, series_id: crate::ids::SeriesId) -> Result<Vec<super::Recorded>> {
    let rows: Vec<SeriesPublishedRow> = db
        .fetch_all(
            "SELECT path, kind, slot, slot_index, sha256, ext, size, mtime, inode \
             FROM series_published_files WHERE series_id = $1 ORDER BY path",
            &[series_id.into()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| super::Recorded {
            path: row.path,
            kind: row.kind,
            slot: row.slot,
            slot_index: row.slot_index,
            sha256: row.sha256,
            ext: row.ext,
            stamp: super::fs::Stamp { size: row.size, mtime: row.mtime, inode: row.inode },
        })
        .collect())
}

/// Records files as published in a series' folder (replacing the record of the same path).
pub async fn record_series_written(tx: &mut Tx, series_id: crate::ids::SeriesId, files: &[Written]) -> Result<()> {
    let now = now_ms();
    for file in files {
        tx.execute(
            "INSERT INTO series_published_files (series_id, path, kind, slot, slot_index, sha256, ext, size, mtime, \
                 inode, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (path) DO UPDATE SET series_id = excluded.series_id, kind = excluded.kind, \
                 slot = excluded.slot, slot_index = excluded.slot_index, sha256 = excluded.sha256, \
                 ext = excluded.ext, size = excluded.size, mtime = excluded.mtime, inode = excluded.inode, \
                 published_at = excluded.published_at",
            &[
                series_id.into(),
                file.path.clone().into(),
                file.kind.as_str().into(),
                file.slot.clone().into(),
                file.slot_index.into(),
                file.sha256.clone().into(),
                file.ext.clone().into(),
                file.size.into(),
                file.mtime.into(),
                file.inode.into(),
                now.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Forgets files published in series folders.
pub async fn forget_series(tx: &mut Tx, paths: &[String]) -> Result<()> {
    for chunk in paths.chunks(200) {
        let params: Vec<Param> = chunk.iter().map(|p| p.clone().into()).collect();
        tx.execute(
            &format!("DELETE FROM series_published_files WHERE path IN {}", placeholders(1, params.len())),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Forgets published files (removed, or gone from the disk).
pub async fn forget(tx: &mut Tx, paths: &[String]) -> Result<()> {
    for chunk in paths.chunks(200) {
        let params: Vec<Param> = chunk.iter().map(|p| p.clone().into()).collect();
        tx.execute(&format!("DELETE FROM published_files WHERE path IN {}", placeholders(1, params.len())), &params)
            .await?;
    }
    Ok(())
}

/// A new stamp for a published file whose bytes did not change (it was touched, or copied back).
pub async fn restamp(tx: &mut Tx, path: &str, size: i64, mtime: i64, inode: i64) -> Result<()> {
    tx.execute(
        "UPDATE published_files SET size = $1, mtime = $2, inode = $3 WHERE path = $4",
        &[size.into(), mtime.into(), inode.into(), path.into()],
    )
    .await?;
    Ok(())
}

/// Why a file went to the recycle bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecycleReason {
    /// A publish wrote other bytes in its place.
    Replaced,
    /// A publish no longer writes it (a slot emptied, the naming style changed).
    Removed,
    /// A restore from the recycle bin put an older file in its place.
    Restored,
}

impl RecycleReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RecycleReason::Replaced => "replaced",
            RecycleReason::Removed => "removed",
            RecycleReason::Restored => "restored",
        }
    }
}

/// A recycle-bin entry as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecycleEntry {
    pub id: i64,
    pub library_id: Option<LibraryId>,
    pub movie_id: Option<MovieId>,
    /// The series whose folder it was in (TV libraries).
    pub series_id: Option<crate::ids::SeriesId>,
    pub path: String,
    pub sha256: String,
    pub ext: String,
    pub size: i64,
    /// Why it was recycled: `replaced`, `removed` or `restored`.
    pub reason: String,
    pub recycled_at: chrono::DateTime<chrono::Utc>,
    pub restored_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(sqlx::FromRow)]
struct RecycleRow {
    id: i64,
    library_id: Option<LibraryId>,
    movie_id: Option<MovieId>,
    series_id: Option<crate::ids::SeriesId>,
    path: String,
    sha256: String,
    ext: String,
    size: i64,
    reason: String,
    recycled_at: i64,
    restored_at: Option<i64>,
}

impl From<RecycleRow> for RecycleEntry {
    fn from(row: RecycleRow) -> RecycleEntry {
        RecycleEntry {
            id: row.id,
            library_id: row.library_id,
            movie_id: row.movie_id,
            series_id: row.series_id,
            path: row.path,
            sha256: row.sha256,
            ext: row.ext,
            size: row.size,
            reason: row.reason,
            recycled_at: time_from_ms(row.recycled_at),
            restored_at: row.restored_at.map(time_from_ms),
        }
    }
}

const RECYCLE_COLUMNS: &str =
    "id, library_id, movie_id, series_id, path, sha256, ext, size, reason, recycled_at, restored_at";

/// A file to put in the recycle bin (its bytes are in the cache already).
#[derive(Debug, Clone)]
pub struct Recycled {
    pub path: String,
    pub sha256: String,
    pub ext: String,
    pub size: i64,
    pub reason: RecycleReason,
}

/// Records files as recycled. An entry for the same path and bytes not yet restored is not
/// made twice (a publish that runs again after a crash recycles the same file again).
pub async fn recycle(
    tx: &mut Tx,
    library_id: LibraryId,
    owner: Option<super::Owner>,
    files: &[Recycled],
) -> Result<()> {
    let now = now_ms();
    let (movie_id, series_id) = match owner {
        Some(super::Owner::Movie(id)) => (Some(id.get()), None),
        Some(super::Owner::Series(id)) => (None, Some(id.get())),
        None => (None, None),
    };
    for file in files {
        tx.execute(
            "INSERT INTO recycle_bin (library_id, movie_id, series_id, path, sha256, ext, size, reason, recycled_at) \
             SELECT $1, $2, $9, $3, $4, $5, $6, $7, $8 WHERE NOT EXISTS \
                 (SELECT 1 FROM recycle_bin WHERE path = $3 AND sha256 = $4 AND restored_at IS NULL)",
            &[
                library_id.into(),
                movie_id.into(),
                file.path.clone().into(),
                file.sha256.clone().into(),
                file.ext.clone().into(),
                file.size.into(),
                file.reason.as_str().into(),
                now.into(),
                series_id.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Filters of the recycle-bin list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecycleFilter {
    /// Only entries of this movie.
    pub movie_id: Option<MovieId>,
    /// Only entries of this library.
    pub library_id: Option<LibraryId>,
    /// Include entries already restored.
    #[serde(default)]
    pub include_restored: bool,
    /// Page size, 1 to 1000; 100 when absent.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Entries to skip, 0 or more.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Entries, newest first, and how many match.
pub async fn recycle_list(db: &Db, filter: &RecycleFilter) -> Result<(Vec<RecycleEntry>, i64)> {
    let mut clauses = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    if let Some(movie_id) = filter.movie_id {
        params.push(movie_id.into());
        clauses.push(format!("movie_id = ${}", params.len()));
    }
    if let Some(library_id) = filter.library_id {
        params.push(library_id.into());
        clauses.push(format!("library_id = ${}", params.len()));
    }
    if !filter.include_restored {
        clauses.push("restored_at IS NULL".to_owned());
    }
    let filter_sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    let (total,): (i64,) =
        db.fetch_optional(&format!("SELECT count(*) FROM recycle_bin {filter_sql}"), &params).await?.unwrap_or((0,));
    let limit = filter.limit.unwrap_or(100).clamp(1, 1_000);
    let offset = filter.offset.unwrap_or(0).max(0);
    let mut page = params.clone();
    page.push(limit.into());
    page.push(offset.into());
    let rows: Vec<RecycleRow> = db
        .fetch_all(
            &format!(
                "SELECT {RECYCLE_COLUMNS} FROM recycle_bin {filter_sql} ORDER BY recycled_at DESC, id DESC \
                 LIMIT ${} OFFSET ${}",
                params.len() + 1,
                params.len() + 2
            ),
            &page,
        )
        .await?;
    Ok((rows.into_iter().map(RecycleEntry::from).collect(), total))
}

/// One entry.
pub async fn recycle_entry(db: &Db, id: i64) -> Result<Option<RecycleEntry>> {
    let row: Option<RecycleRow> =
        db.fetch_optional(&format!("SELECT {RECYCLE_COLUMNS} FROM recycle_bin WHERE id = $1"), &[id.into()]).await?;
    Ok(row.map(RecycleEntry::from))
}

/// Marks an entry restored.
pub async fn mark_restored(tx: &mut Tx, id: i64) -> Result<()> {
    tx.execute("UPDATE recycle_bin SET restored_at = $1 WHERE id = $2", &[now_ms().into(), id.into()]).await?;
    Ok(())
}

/// Deletes entries: one, or every entry recycled before `before_ms`. Their bytes stay in the
/// cache until the garbage collection finds nothing else refers to them.
pub async fn purge(db: &Db, id: Option<i64>, before_ms: Option<i64>) -> Result<u64> {
    Ok(match (id, before_ms) {
        (Some(id), _) => db.execute("DELETE FROM recycle_bin WHERE id = $1", &[id.into()]).await?,
        (None, Some(before)) => db.execute("DELETE FROM recycle_bin WHERE recycled_at < $1", &[before.into()]).await?,
        (None, None) => db.execute("DELETE FROM recycle_bin", &[]).await?,
    })
}
