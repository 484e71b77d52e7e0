//! Scan records: one per library scan, with its phase and counters.
//!
//! Jobs move their scan by adding to its counters and then calling [`advance`] in the same
//! transaction: the phase follows from the counters (discovering → scanning → caching →
//! completed), so it moves by itself however the jobs interleave, also when some fail.

use super::{CatalogueError, Result, now_ms, time_from_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::ids::{LibraryId, ScanId};
use serde::Serialize;

/// The phases of a scan, in order. Stored as their snake_case names, which a CHECK constraint
/// on `scans.phase` admits and nothing else (migration 20015).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanPhase {
    Discovering,
    Scanning,
    Caching,
    /// Describing the scan's new movies from the providers (when the scan enriches).
    Enriching,
    Completed,
    Failed,
    Cancelled,
}

impl ScanPhase {
    /// Every phase, in order.
    pub const ALL: [ScanPhase; 7] = [
        ScanPhase::Discovering,
        ScanPhase::Scanning,
        ScanPhase::Caching,
        ScanPhase::Enriching,
        ScanPhase::Completed,
        ScanPhase::Failed,
        ScanPhase::Cancelled,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanPhase::Discovering => "discovering",
            ScanPhase::Scanning => "scanning",
            ScanPhase::Caching => "caching",
            ScanPhase::Enriching => "enriching",
            ScanPhase::Completed => "completed",
            ScanPhase::Failed => "failed",
            ScanPhase::Cancelled => "cancelled",
        }
    }

    /// True for the phases a scan ends in.
    pub fn is_final(self) -> bool {
        matches!(self, ScanPhase::Completed | ScanPhase::Failed | ScanPhase::Cancelled)
    }
}

impl std::fmt::Display for ScanPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ScanPhase {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<ScanPhase, String> {
        ScanPhase::ALL
            .into_iter()
            .find(|phase| phase.as_str() == name)
            .ok_or_else(|| format!("unknown scan phase {name:?}"))
    }
}

impl TryFrom<String> for ScanPhase {
    type Error = String;

    fn try_from(name: String) -> std::result::Result<ScanPhase, String> {
        name.parse()
    }
}

/// The scan record of the API (docs/contracts.md, "Scan"), plus its progress counters.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scan {
    pub id: ScanId,
    pub library_id: LibraryId,
    pub phase: ScanPhase,
    pub movies_found: i64,
    pub movies_new: i64,
    pub movies_updated: i64,
    pub movies_missing: i64,
    pub assets_queued: i64,
    pub assets_cached: i64,
    pub unknown_files: i64,
    pub errors: i64,
    pub warnings: Vec<String>,
    pub directories_total: i64,
    pub directories_scanned: i64,
    pub videos_probed: i64,
    pub enrichment_queued: i64,
    pub enrichment_completed: i64,
    /// A TV library's scan counts series and episodes here (its `movies_*` stay 0).
    pub series_found: i64,
    pub series_new: i64,
    pub series_updated: i64,
    pub series_missing: i64,
    pub episodes_found: i64,
    /// Every movie to enrich is queued (the enriching phase ends when they are all done).
    #[serde(skip)]
    pub enrichment_listed: bool,
    pub correlation_id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// This transaction finished the scan (so its follow-ups, like notifications, happen once).
    #[serde(skip)]
    pub just_finished: bool,
}

impl Scan {
    /// True once the scan will not change any more.
    pub fn is_finished(&self) -> bool {
        self.phase.is_final()
    }
}

const COLUMNS: &str = "id, library_id, phase, correlation_id, started_at, finished_at, directories_total, \
    directories_scanned, movies_found, movies_new, movies_updated, movies_missing, assets_queued, assets_cached, \
    videos_probed, unknown_files, errors, warnings, enrichment_queued, enrichment_completed, enrichment_listed, \
    series_found, series_new, series_updated, series_missing, episodes_found";

/// A `scans` row as [`COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
struct ScanRow {
    id: ScanId,
    library_id: LibraryId,
    #[sqlx(try_from = "String")]
    phase: ScanPhase,
    correlation_id: String,
    started_at: i64,
    finished_at: Option<i64>,
    directories_total: i64,
    directories_scanned: i64,
    movies_found: i64,
    movies_new: i64,
    movies_updated: i64,
    movies_missing: i64,
    assets_queued: i64,
    assets_cached: i64,
    videos_probed: i64,
    unknown_files: i64,
    errors: i64,
    warnings: JsonText<Vec<String>>,
    enrichment_queued: i64,
    enrichment_completed: i64,
    enrichment_listed: bool,
    series_found: i64,
    series_new: i64,
    series_updated: i64,
    series_missing: i64,
    episodes_found: i64,
}

impl From<ScanRow> for Scan {
    fn from(row: ScanRow) -> Scan {
        Scan {
            id: row.id,
            library_id: row.library_id,
            phase: row.phase,
            movies_found: row.movies_found,
            movies_new: row.movies_new,
            movies_updated: row.movies_updated,
            movies_missing: row.movies_missing,
            assets_queued: row.assets_queued,
            assets_cached: row.assets_cached,
            unknown_files: row.unknown_files,
            errors: row.errors,
            warnings: row.warnings.0,
            directories_total: row.directories_total,
            directories_scanned: row.directories_scanned,
            videos_probed: row.videos_probed,
            enrichment_queued: row.enrichment_queued,
            enrichment_completed: row.enrichment_completed,
            enrichment_listed: row.enrichment_listed,
            series_found: row.series_found,
            series_new: row.series_new,
            series_updated: row.series_updated,
            series_missing: row.series_missing,
            episodes_found: row.episodes_found,
            correlation_id: row.correlation_id,
            started_at: time_from_ms(row.started_at),
            finished_at: row.finished_at.map(time_from_ms),
            just_finished: false,
        }
    }
}

fn not_found(id: ScanId) -> impl FnOnce() -> CatalogueError {
    move || CatalogueError::NotFound(format!("scan {id} not found"))
}

/// Starts a scan of a library, or returns the one already running for it.
/// Returns the scan and whether it is new.
///
/// A job that joins a running scan must not join one that another job is finishing at that
/// very moment (its folder would be counted on a completed scan and never scanned): the
/// active scan is locked, and its phase checked again once locked, by an update that changes
/// nothing. At most one scan per library is active (a partial unique index), so two jobs
/// starting a scan at once make one: the second waits for the first's insert and joins it.
pub async fn start(tx: &mut Tx, library_id: LibraryId) -> Result<(Scan, bool)> {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        let active = tx
            .fetch_optional::<ScanRow>(
                &format!(
                    "UPDATE scans SET phase = phase \
                     WHERE id = (SELECT max(id) FROM scans WHERE library_id = $1 AND phase IN {ACTIVE}) \
                       AND phase IN {ACTIVE} \
                     RETURNING {COLUMNS}"
                ),
                &[library_id.into()],
            )
            .await?;
        if let Some(row) = active {
            return Ok((row.into(), false));
        }
        let correlation_id = format!("scan-{}", uuid::Uuid::new_v4().simple());
        let inserted = tx
            .fetch_optional::<ScanRow>(
                &format!(
                    "INSERT INTO scans (library_id, phase, correlation_id, started_at, enrich_after) \
                     VALUES ($1, 'discovering', $2, $3, \
                         (SELECT coalesce(auto_enrich, $4) AND $4 AND kind = 'movies' FROM libraries WHERE id = $1)) \
                     ON CONFLICT (library_id) WHERE phase IN {ACTIVE} DO NOTHING \
                     RETURNING {COLUMNS}"
                ),
                &[library_id.into(), correlation_id.into(), now_ms().into(), tx.tmdb_configured().into()],
            )
            .await?;
        if let Some(row) = inserted {
            return Ok((row.into(), true));
        }
        // (TV libraries are not enriched by scans yet: enrichment knows movies only.)
        // Another transaction started one meanwhile, or finished the one found: look again.
    }
    Err(CatalogueError::Conflict(format!(
        "scans of library {library_id} kept starting and finishing under this one; try again"
    )))
}

/// The phases of a scan that is still going, as SQL (the partial unique index's predicate,
/// written the same so that `ON CONFLICT` finds that index).
const ACTIVE: &str = "('discovering', 'scanning', 'caching')";

/// One scan.
pub async fn get(db: &Db, id: ScanId) -> Result<Scan> {
    let row = db.fetch_optional::<ScanRow>(&format!("SELECT {COLUMNS} FROM scans WHERE id = $1"), &[id.into()]).await?;
    row.map(Scan::from).ok_or_else(not_found(id))
}

/// One scan, inside a transaction.
pub async fn get_in(tx: &mut Tx, id: ScanId) -> Result<Scan> {
    let row = tx.fetch_optional::<ScanRow>(&format!("SELECT {COLUMNS} FROM scans WHERE id = $1"), &[id.into()]).await?;
    row.map(Scan::from).ok_or_else(not_found(id))
}

/// Scans, newest first, optionally of one library.
pub async fn list(db: &Db, library_id: Option<LibraryId>, limit: i64) -> Result<Vec<Scan>> {
    let rows: Vec<ScanRow> = match library_id {
        Some(library_id) => {
            db.fetch_all(
                &format!("SELECT {COLUMNS} FROM scans WHERE library_id = $1 ORDER BY id DESC LIMIT $2"),
                &[library_id.into(), limit.into()],
            )
            .await?
        }
        None => {
            db.fetch_all(&format!("SELECT {COLUMNS} FROM scans ORDER BY id DESC LIMIT $1"), &[limit.into()]).await?
        }
    };
    Ok(rows.into_iter().map(Scan::from).collect())
}

/// The latest scan of every library that has one, by library id (one query for a page that
/// lists all libraries).
pub async fn latest_per_library(db: &Db) -> Result<std::collections::HashMap<LibraryId, Scan>> {
    let rows = db
        .fetch_all::<ScanRow>(
            &format!("SELECT {COLUMNS} FROM scans WHERE id IN (SELECT max(id) FROM scans GROUP BY library_id)"),
            &[],
        )
        .await?;
    Ok(rows.into_iter().map(|row| (row.library_id, Scan::from(row))).collect())
}

/// How many scans there are, optionally of one library (the `total` beside [`list`]).
pub async fn count(db: &Db, library_id: Option<LibraryId>) -> Result<i64> {
    let row: Option<(i64,)> = match library_id {
        Some(library_id) => {
            db.fetch_optional("SELECT count(*) AS n FROM scans WHERE library_id = $1", &[library_id.into()]).await?
        }
        None => db.fetch_optional("SELECT count(*) AS n FROM scans", &[]).await?,
    };
    Ok(row.map_or(0, |(n,)| n))
}

/// Additions to a scan's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub directories_total: i64,
    pub directories_scanned: i64,
    pub directories_failed: i64,
    pub movies_found: i64,
    pub movies_new: i64,
    pub movies_updated: i64,
    pub movies_missing: i64,
    pub assets_queued: i64,
    pub assets_cached: i64,
    pub assets_failed: i64,
    pub videos_probed: i64,
    pub unknown_files: i64,
    pub errors: i64,
    pub enrichment_queued: i64,
    pub enrichment_completed: i64,
    pub series_found: i64,
    pub series_new: i64,
    pub series_updated: i64,
    pub series_missing: i64,
    pub episodes_found: i64,
}

/// Whether every queued folder has been scanned, with `$1`..`$3` added to the counters.
const FOLDERS_DONE: &str = "directories_scanned + $2 + directories_failed + $3 >= directories_total + $1";
/// Whether every queued asset has been cached, with `$8`..`$10` added to the counters.
const ASSETS_DONE: &str = "assets_cached + $9 + assets_failed + $10 >= assets_queued + $8";
/// Whether every movie the scan queued for enrichment is done, with `$15` and `$16` added.
const ENRICHMENT_DONE: &str = "enrichment_listed AND enrichment_completed + $16 >= enrichment_queued + $15";
/// Where a scan goes once its files are read and cached: enriching when it enriches.
const AFTER_CACHING: &str = "CASE WHEN enrich_after THEN 'enriching' ELSE 'completed' END";

/// Adds to the counters, appends warnings (the first 200 are kept), and advances the phase.
/// Returns the scan as it is now.
///
/// Every scan job ends here, on the hot row of the single writer, so the counters and the
/// phase move in one statement: the phase is decided from the sums as they will be.
pub async fn record(tx: &mut Tx, scan_id: ScanId, counts: &Counts, warnings: &[String]) -> Result<Scan> {
    let params: Vec<Param> = vec![
        counts.directories_total.into(),
        counts.directories_scanned.into(),
        counts.directories_failed.into(),
        counts.movies_found.into(),
        counts.movies_new.into(),
        counts.movies_updated.into(),
        counts.movies_missing.into(),
        counts.assets_queued.into(),
        counts.assets_cached.into(),
        counts.assets_failed.into(),
        counts.videos_probed.into(),
        counts.unknown_files.into(),
        counts.errors.into(),
        scan_id.into(),
        counts.enrichment_queued.into(),
        counts.enrichment_completed.into(),
        counts.series_found.into(),
        counts.series_new.into(),
        counts.series_updated.into(),
        counts.series_missing.into(),
        counts.episodes_found.into(),
    ];
    let row = tx
        .fetch_optional::<ScanRow>(
            &format!(
                "UPDATE scans SET directories_total = directories_total + $1, \
                     directories_scanned = directories_scanned + $2, directories_failed = directories_failed + $3, \
                     movies_found = movies_found + $4, movies_new = movies_new + $5, \
                     movies_updated = movies_updated + $6, movies_missing = movies_missing + $7, \
                     assets_queued = assets_queued + $8, assets_cached = assets_cached + $9, \
                     assets_failed = assets_failed + $10, videos_probed = videos_probed + $11, \
                     unknown_files = unknown_files + $12, errors = errors + $13, \
                     enrichment_queued = enrichment_queued + $15, \
                     enrichment_completed = enrichment_completed + $16, \
                     series_found = series_found + $17, series_new = series_new + $18, \
                     series_updated = series_updated + $19, series_missing = series_missing + $20, \
                     episodes_found = episodes_found + $21, \
                     phase = CASE \
                         WHEN phase = 'scanning' AND {FOLDERS_DONE} AND {ASSETS_DONE} THEN {AFTER_CACHING} \
                         WHEN phase = 'scanning' AND {FOLDERS_DONE} THEN 'caching' \
                         WHEN phase = 'caching' AND {ASSETS_DONE} THEN {AFTER_CACHING} \
                         WHEN phase = 'enriching' AND {ENRICHMENT_DONE} THEN 'completed' \
                         ELSE phase END \
                 WHERE id = $14 RETURNING {COLUMNS}"
            ),
            &params,
        )
        .await?;
    let mut scan = row.map(Scan::from).ok_or_else(not_found(scan_id))?;
    if !warnings.is_empty() {
        // After the update, which holds the row, so concurrent jobs do not drop each other's.
        let room = 200usize.saturating_sub(scan.warnings.len());
        if room > 0 {
            scan.warnings.extend(warnings.iter().take(room).cloned());
            let text = serde_json::to_string(&scan.warnings).expect("strings always serialise");
            tx.execute("UPDATE scans SET warnings = $1 WHERE id = $2", &[text.into(), scan_id.into()]).await?;
        }
    }
    if scan.is_finished() && scan.finished_at.is_none() {
        mark_finished(tx, &mut scan).await?;
    }
    start_enriching(tx, &scan).await?;
    Ok(scan)
}

/// Queues the listing of a scan's movies to enrich when it has reached `enriching` and they
/// are not listed yet (unique per scan, so every job that sees the phase may ask).
async fn start_enriching(tx: &mut Tx, scan: &Scan) -> Result<()> {
    if scan.phase == ScanPhase::Enriching && !scan.enrichment_listed {
        tx.enqueue(crate::jobs::enrich::scan_enrich_job(scan)).await?;
    }
    Ok(())
}

/// Stamps a scan that just reached a final phase, once: `just_finished` tells the caller that
/// this transaction finished it. Its ledger goes with it: a job of a finished scan that runs
/// again finds no item to move, so it counts nothing.
async fn mark_finished(tx: &mut Tx, scan: &mut Scan) -> Result<()> {
    tx.execute("DELETE FROM scan_items WHERE scan_id = $1", &[scan.id.into()]).await?;
    let now = now_ms();
    let stamped = tx
        .execute(
            "UPDATE scans SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL \
                 AND phase IN ('completed', 'failed', 'cancelled')",
            &[now.into(), scan.id.into()],
        )
        .await?;
    if stamped == 1 {
        scan.finished_at = Some(time_from_ms(now));
        scan.just_finished = true;
    }
    Ok(())
}

/// Moves the phase on when the counters say the current phase is done.
pub async fn advance(tx: &mut Tx, scan_id: ScanId) -> Result<Scan> {
    // The row is locked by the caller's update (PostgreSQL) or the whole database is (SQLite),
    // so these counters are the latest and no other job advances the phase concurrently.
    tx.execute(
        "UPDATE scans SET phase = CASE \
             WHEN phase = 'scanning' AND directories_scanned + directories_failed >= directories_total \
                  AND assets_cached + assets_failed >= assets_queued THEN CASE WHEN enrich_after THEN 'enriching' ELSE 'completed' END \
             WHEN phase = 'scanning' AND directories_scanned + directories_failed >= directories_total THEN 'caching' \
             WHEN phase = 'caching' AND assets_cached + assets_failed >= assets_queued \
                  THEN CASE WHEN enrich_after THEN 'enriching' ELSE 'completed' END \
             WHEN phase = 'enriching' AND enrichment_listed AND enrichment_completed >= enrichment_queued THEN 'completed' \
             ELSE phase END \
         WHERE id = $1",
        &[scan_id.into()],
    )
    .await?;
    let mut scan = get_in(tx, scan_id).await?;
    if scan.is_finished() && scan.finished_at.is_none() {
        mark_finished(tx, &mut scan).await?;
    }
    start_enriching(tx, &scan).await?;
    Ok(scan)
}

/// Sets a phase outright (discovery done, failure, cancellation).
pub async fn set_phase(tx: &mut Tx, scan_id: ScanId, phase: ScanPhase) -> Result<Scan> {
    tx.execute("UPDATE scans SET phase = $1 WHERE id = $2", &[phase.as_str().into(), scan_id.into()]).await?;
    advance(tx, scan_id).await
}

/// What a scan counts once: a movie folder or an artwork file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Folder,
    Asset,
    /// A movie to enrich (its id as the path).
    Enrichment,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            ItemKind::Folder => "folder",
            ItemKind::Asset => "asset",
            ItemKind::Enrichment => "enrichment",
        }
    }
}

/// Where an item of a scan's ledger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// A job will scan or cache it; the scan waits for it.
    Queued,
    Done,
    Failed,
}

impl ItemState {
    fn as_str(self) -> &'static str {
        match self {
            ItemState::Queued => "queued",
            ItemState::Done => "done",
            ItemState::Failed => "failed",
        }
    }
}

/// Rows per statement of the ledger's bulk writes (well under SQLite's 32,766 parameters).
const ITEMS_PER_STATEMENT: usize = 500;

/// Adds items to a scan's ledger in `state` and returns the paths that were not there yet:
/// those are the ones to count. An item already there (added by an earlier attempt of the same
/// job, or by another job of the scan) is left as it is.
pub async fn add_items(
    tx: &mut Tx,
    scan_id: ScanId,
    kind: ItemKind,
    paths: &[String],
    state: ItemState,
) -> Result<Vec<String>> {
    let mut added = Vec::new();
    for chunk in paths.chunks(ITEMS_PER_STATEMENT) {
        let mut params: Vec<Param> = vec![scan_id.into(), kind.as_str().into(), state.as_str().into()];
        params.extend(chunk.iter().map(Param::from));
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("($1, $2, ${}, $3)", i + 4)).collect();
        let inserted: Vec<(String,)> = tx
            .fetch_all(
                &format!(
                    "INSERT INTO scan_items (scan_id, kind, path, state) VALUES {} \
                     ON CONFLICT (scan_id, kind, path) DO NOTHING RETURNING path",
                    rows.join(", ")
                ),
                &params,
            )
            .await?;
        added.extend(inserted.into_iter().map(|(path,)| path));
    }
    Ok(added)
}

/// Moves queued items to `state` (done or failed) and returns how many moved: a job counts
/// only what it moved, so a job that runs again after its work was committed counts nothing.
pub async fn settle_items(
    tx: &mut Tx,
    scan_id: ScanId,
    kind: ItemKind,
    paths: &[String],
    state: ItemState,
) -> Result<i64> {
    let mut moved = 0;
    for chunk in paths.chunks(ITEMS_PER_STATEMENT) {
        let mut params: Vec<Param> = vec![scan_id.into(), kind.as_str().into(), state.as_str().into()];
        params.extend(chunk.iter().map(Param::from));
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        moved += tx
            .execute(
                &format!(
                    "UPDATE scan_items SET state = $3 \
                     WHERE scan_id = $1 AND kind = $2 AND state = 'queued' AND path IN ({})",
                    list.join(", ")
                ),
                &params,
            )
            .await?;
    }
    Ok(i64::try_from(moved).expect("a statement moves at most 500 rows"))
}

/// Removes an item that no job of this scan will settle (its job belongs to someone else).
pub async fn remove_item(tx: &mut Tx, scan_id: ScanId, kind: ItemKind, path: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM scan_items WHERE scan_id = $1 AND kind = $2 AND path = $3",
        &[scan_id.into(), kind.as_str().into(), path.into()],
    )
    .await?;
    Ok(())
}

/// Which of `paths` the scan's ledger already holds (a retried discovery skips them).
pub async fn known_items(
    db: &Db,
    scan_id: ScanId,
    kind: ItemKind,
    paths: &[String],
) -> Result<std::collections::HashSet<String>> {
    let mut known = std::collections::HashSet::new();
    for chunk in paths.chunks(ITEMS_PER_STATEMENT) {
        let mut params: Vec<Param> = vec![scan_id.into(), kind.as_str().into()];
        params.extend(chunk.iter().map(Param::from));
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let rows: Vec<(String,)> = db
            .fetch_all(
                &format!(
                    "SELECT path FROM scan_items WHERE scan_id = $1 AND kind = $2 AND path IN ({})",
                    list.join(", ")
                ),
                &params,
            )
            .await?;
        known.extend(rows.into_iter().map(|(path,)| path));
    }
    Ok(known)
}
