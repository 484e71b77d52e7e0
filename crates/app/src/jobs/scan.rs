//! The scan pipeline: `library-scan` (discovery) → `directory-scan` per movie folder →
//! `cache-asset` per new or changed artwork file, each moving its scan record along.
//!
//! Change detection: a file whose (size, mtime, inode) stamp is unchanged since the last scan
//! keeps its stored hash and stream details, so an unchanged rescan reads directories only.
//! Library files are only ever read.

use crate::cache;
use crate::catalogue::movies::{self, FieldSource, Fields, FileRow, StoredFile};
use crate::catalogue::scans::ScanPhase;
use crate::catalogue::scans::{self, Counts, ItemKind, ItemState, Scan};
use crate::catalogue::{CatalogueError, libraries};
use crate::db::{Db, DbError};
use crate::events::AppEvents;
use crate::ids::{LibraryId, MovieId, ScanId};
use crate::jobs::group_commit::GroupCommit;
use async_trait::async_trait;
use metarr_media::{FileKind, FolderScan, IgnoreRules, MediaFile, NfoRole};
use metarr_probe::Prober;
use metarr_queue::{Handler, JobContext, JobError, JobKind, JobState, ListFilter, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A library's ignore patterns and the rules compiled from them.
type CompiledRules = (Vec<String>, Arc<IgnoreRules>);

/// What the scan handlers share.
pub struct ScanServices {
    pub db: Db,
    pub events: AppEvents,
    /// Root of the content-addressed cache (`<data_dir>/cache`).
    pub cache_root: PathBuf,
    pub prober: Arc<Prober>,
    /// Read stream details of new or changed videos.
    pub read_streams: bool,
    unavailable_warned: AtomicBool,
    /// Compiled ignore rules per library, rebuilt when its patterns change: compiling the
    /// globs costs more than listing a folder.
    ignore_rules: std::sync::Mutex<HashMap<LibraryId, CompiledRules>>,
    /// Cached files wait here to be recorded together.
    assets: GroupCommit<AssetWrite>,
    /// What the jobs of each running scan last read about it.
    contexts: std::sync::Mutex<HashMap<ScanId, Arc<ScanContext>>>,
    /// When each running scan's progress was last published, and in which phase.
    progress: std::sync::Mutex<HashMap<ScanId, (std::time::Instant, ScanPhase)>>,
}

/// How long a scan job trusts what another job of the same scan read about the scan (its
/// library, whether it was cancelled). Without it a 10,000-movie scan reads them 30,000 times;
/// with it a job may still run for up to this long after its scan was cancelled, which only
/// records what it found.
const SCAN_CONTEXT_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// A scan's library and phase, as one of its jobs read them.
pub(crate) struct ScanContext {
    read_at: std::time::Instant,
    pub(crate) library: libraries::Library,
    pub(crate) rules: Arc<IgnoreRules>,
    pub(crate) phase: ScanPhase,
}

impl ScanServices {
    /// The services over a database and a cache folder.
    pub fn new(db: Db, events: AppEvents, cache_root: PathBuf, prober: Prober, read_streams: bool) -> ScanServices {
        ScanServices {
            db,
            events,
            cache_root,
            prober: Arc::new(prober),
            read_streams,
            unavailable_warned: AtomicBool::new(false),
            ignore_rules: std::sync::Mutex::new(HashMap::new()),
            assets: GroupCommit::default(),
            contexts: std::sync::Mutex::new(HashMap::new()),
            progress: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The scan's library and phase, read at most once per [`SCAN_CONTEXT_TTL`].
    pub(crate) async fn context(&self, scan_id: ScanId) -> Result<Arc<ScanContext>, CatalogueError> {
        if let Some(context) = self.contexts.lock().expect("the context cache is never poisoned").get(&scan_id)
            && context.read_at.elapsed() < SCAN_CONTEXT_TTL
        {
            return Ok(Arc::clone(context));
        }
        let (library, phase) = libraries::of_scan(&self.db, scan_id).await?;
        let rules = self.rules_for(&library)?;
        let context = Arc::new(ScanContext { read_at: std::time::Instant::now(), library, rules, phase });
        let mut contexts = self.contexts.lock().expect("the context cache is never poisoned");
        // Finished scans' entries go the next time any scan reads its own.
        contexts.retain(|_, c| c.read_at.elapsed() < SCAN_CONTEXT_TTL * 60);
        contexts.insert(scan_id, Arc::clone(&context));
        Ok(context)
    }

    fn rules_for(&self, library: &libraries::Library) -> Result<Arc<IgnoreRules>, CatalogueError> {
        let mut cache = self.ignore_rules.lock().expect("the rules cache is never poisoned");
        if let Some((patterns, rules)) = cache.get(&library.id)
            && *patterns == library.ignore_patterns
        {
            return Ok(Arc::clone(rules));
        }
        let rules = Arc::new(
            IgnoreRules::new(&library.ignore_patterns)
                .map_err(|e| CatalogueError::Invalid(metarr_errors::chain(&e)))?,
        );
        cache.insert(library.id, (library.ignore_patterns.clone(), Arc::clone(&rules)));
        Ok(rules)
    }
}

/// Phase 1: discovers the movie folders (or, in a TV library, the series folders) of a library.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LibraryScan {
    pub scan_id: ScanId,
    pub library_id: LibraryId,
}

job_kind!(LibraryScan = "library-scan", attempts: 3, priority: 3);

/// Phase 2: classifies one movie folder and records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DirectoryScan {
    pub scan_id: ScanId,
    pub library_id: LibraryId,
    pub folder: String,
}

job_kind!(DirectoryScan = "directory-scan", attempts: 3, priority: 4);

/// Phase 3: copies one artwork file into the cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheAsset {
    pub scan_id: Option<ScanId>,
    pub path: String,
}

job_kind!(CacheAsset = "cache-asset", attempts: 3, priority: 6);

/// Starts a scan of a library (or returns the one already running) and queues its discovery.
pub async fn start_scan(db: &Db, library_id: LibraryId) -> Result<Scan, CatalogueError> {
    let library = libraries::get(db, library_id).await?;
    if !library.enabled {
        return Err(CatalogueError::Conflict(format!("library {library_id} is disabled; enable it to scan")));
    }
    let mut tx = db.begin().await?;
    let (scan, created) = scans::start(&mut tx, library_id).await?;
    if created {
        let job = NewJob::of(&LibraryScan { scan_id: scan.id, library_id })
            .correlation_id(scan.correlation_id.clone())
            // Keyed by scan, not library: the previous scan's discovery may still be running (its
            // scan already completed, its job not yet acknowledged), and a library-wide key
            // would hand this scan that job, leaving it `discovering` for ever.
            .unique_key(format!("library-scan:{}", scan.id));
        tx.enqueue(job).await?;
    }
    tx.commit().await?;
    Ok(scan)
}

/// Joins the library's running scan (or starts one, without discovery) for one folder that a
/// webhook or a user named, counting the folder on it once: a retried job, or a folder the
/// scan already holds, adds nothing. Returns the scan's id.
pub(crate) async fn join_scan(db: &Db, library_id: LibraryId, folder: &str) -> Result<ScanId, CatalogueError> {
    let mut tx = db.begin().await?;
    let (scan, created) = scans::start(&mut tx, library_id).await?;
    let folder = [folder.to_owned()];
    if !scans::add_items(&mut tx, scan.id, ItemKind::Folder, &folder, ItemState::Queued).await?.is_empty() {
        scans::record(&mut tx, scan.id, &Counts { directories_total: 1, ..Counts::default() }, &[]).await?;
    }
    if created {
        // A scan of one folder has no discovery phase.
        scans::set_phase(&mut tx, scan.id, ScanPhase::Scanning).await?;
    }
    tx.commit().await?;
    Ok(scan.id)
}

/// Cancels a running scan: its phase becomes `cancelled` and its queued jobs are cancelled.
pub async fn cancel_scan(db: &Db, scan_id: ScanId) -> Result<Scan, CatalogueError> {
    let scan = scans::get(db, scan_id).await?;
    if scan.is_finished() {
        return Err(CatalogueError::Conflict(format!("scan {scan_id} is already {}", scan.phase)));
    }
    let mut tx = db.begin().await?;
    let scan = scans::set_phase(&mut tx, scan_id, ScanPhase::Cancelled).await?;
    tx.commit().await?;
    // Handlers also check the phase, so a job that slips through does nothing.
    for state in [JobState::Pending, JobState::Running] {
        let mut before_id = None;
        loop {
            let filter = ListFilter {
                state: Some(state),
                correlation_id: Some(scan.correlation_id.clone()),
                before_id,
                limit: 500,
                ..ListFilter::default()
            };
            let page = db.queue().list(&filter).await.map_err(DbError::from)?;
            for job in &page.items {
                // A job may finish between the list and the cancel: that is fine.
                let _ = db.queue().cancel(job.id).await;
            }
            match page.next_before_id {
                Some(next) => before_id = Some(next),
                None => break,
            }
        }
    }
    Ok(scan)
}

/// The shortest gap between two `scan.progress` events of one scan in the same phase: every
/// scan job moves the counters, and a 10,000-movie scan would otherwise send 30,000 events to
/// every open page.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

impl ScanServices {
    /// Tells the WebSocket clients how the scan stands: always when its phase changes, at most
    /// every [`PROGRESS_EVERY`] otherwise.
    pub(crate) fn publish(&self, scan: &Scan) {
        if scan.is_finished() && !scan.just_finished {
            // A job of a finished scan that ran again: nothing changed, and `scan.completed`
            // is sent once, by the transaction that finished the scan.
            return;
        }
        let due = {
            let mut last = self.progress.lock().expect("the progress stamps are never poisoned");
            let due =
                last.get(&scan.id).is_none_or(|(at, phase)| *phase != scan.phase || at.elapsed() >= PROGRESS_EVERY);
            if scan.is_finished() {
                last.remove(&scan.id);
            } else if due {
                last.insert(scan.id, (std::time::Instant::now(), scan.phase));
            }
            due
        };
        announce(&self.events, scan, due);
    }
}

/// Tells the WebSocket clients how a scan stands, whichever job moved it (a folder's, an
/// artwork file's, an enrichment's): `scan.progress` when `due` and always for the final phase,
/// then `scan.completed` once, by the transaction that completed it. A job of a finished scan
/// that ran again tells nothing.
pub(crate) fn announce(events: &AppEvents, scan: &Scan, due: bool) {
    if scan.is_finished() && !scan.just_finished {
        return;
    }
    if due || scan.is_finished() {
        events.publish("scan.progress", scan);
    }
    if scan.just_finished && scan.phase == ScanPhase::Completed {
        events.publish("scan.completed", scan);
    }
}

/// After the transaction that finished a scan committed: tell the user, once.
pub(crate) async fn after_finish(db: &Db, scan: &Scan) {
    if !scan.just_finished || !matches!(scan.phase, ScanPhase::Completed | ScanPhase::Failed) {
        return;
    }
    let result = if scan.phase == ScanPhase::Completed { "completed" } else { "failed" };
    metrics::counter!("metarr_scans_total", "result" => result).increment(1);
    if let Some(finished) = scan.finished_at {
        let seconds = (finished - scan.started_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("metarr_scan_duration_seconds", "result" => result).record(seconds);
    }
    let (library, tv) = libraries::get(db, scan.library_id)
        .await
        .map(|l| (l.name, l.kind == libraries::LibraryKind::Tv))
        .unwrap_or_else(|_| (format!("library {}", scan.library_id), scan.series_found > 0));
    let (event, verb) = if scan.phase == ScanPhase::Completed {
        (metarr_notify::EventKind::ScanCompleted, "completed")
    } else {
        (metarr_notify::EventKind::ScanFailed, "failed")
    };
    let found = if tv {
        format!(
            "{} series ({} episodes) found: {} new, {} updated, {} missing",
            scan.series_found, scan.episodes_found, scan.series_new, scan.series_updated, scan.series_missing
        )
    } else {
        format!(
            "{} movies found: {} new, {} updated, {} missing",
            scan.movies_found, scan.movies_new, scan.movies_updated, scan.movies_missing
        )
    };
    let notification = metarr_notify::Notification {
        event,
        title: format!("Scan of {library} {verb}"),
        message: format!(
            "{found}; {} assets cached; {} errors, {} warnings",
            scan.assets_cached,
            scan.errors,
            scan.warnings.len()
        ),
        movie: None,
        url: None,
    };
    crate::jobs::notify::announce(db, notification).await;
}

/// The item of a scan's ledger that a job settles.
pub(crate) struct ScanItem<'a> {
    pub(crate) scan_id: ScanId,
    pub(crate) kind: ItemKind,
    pub(crate) path: &'a str,
}

/// On the last attempt an error is counted on the scan, so the scan still completes: once,
/// when the job's item moves from queued to failed (a failure recorded twice counts once).
pub(crate) async fn count_failure(
    services: &ScanServices,
    ctx: &JobContext,
    item: Option<ScanItem<'_>>,
    counts: Counts,
    error: &str,
) -> JobError {
    let last_attempt = ctx.job().attempt >= ctx.job().max_attempts;
    if !last_attempt {
        return JobError::Retryable(error.to_owned());
    }
    if let Some(item) = item {
        let recorded = async {
            let mut tx = services.db.begin().await?;
            let paths = [item.path.to_owned()];
            if scans::settle_items(&mut tx, item.scan_id, item.kind, &paths, ItemState::Failed).await? == 0 {
                return Ok(None);
            }
            let counts = Counts { errors: 1, ..counts };
            let scan = scans::record(&mut tx, item.scan_id, &counts, &[error.to_owned()]).await?;
            tx.commit().await?;
            Ok::<_, CatalogueError>(Some(scan))
        }
        .await;
        match recorded {
            Ok(None) => {}
            Ok(Some(scan)) => {
                services.publish(&scan);
                after_finish(&services.db, &scan).await;
            }
            Err(err) => {
                tracing::warn!(scan_id = %item.scan_id, error = %metarr_errors::Chain(&err), "recording a failed scan job")
            }
        }
    }
    JobError::Permanent(error.to_owned())
}

/// Runs `library-scan`.
pub struct LibraryScanHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for LibraryScanHandler {
    type Job = LibraryScan;

    async fn run(&self, ctx: JobContext, job: LibraryScan) -> Result<(), JobError> {
        match discover(&self.0, &ctx, &job).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let error = format!("discovering library {}: {err}", job.library_id);
                let failure = count_failure(&self.0, &ctx, None, Counts::default(), &error).await;
                if matches!(failure, JobError::Permanent(_)) {
                    // Discovery is the scan: without it there is nothing to wait for.
                    let failed = async {
                        let mut tx = self.0.db.begin().await?;
                        let scan = scans::set_phase(&mut tx, job.scan_id, ScanPhase::Failed).await?;
                        tx.commit().await?;
                        Ok::<_, CatalogueError>(scan)
                    }
                    .await;
                    match failed {
                        Ok(scan) => {
                            self.0.publish(&scan);
                            after_finish(&self.0.db, &scan).await;
                        }
                        Err(err) => {
                            tracing::warn!(scan_id = %job.scan_id, error = %metarr_errors::Chain(&err), "marking a scan failed")
                        }
                    }
                }
                Err(failure)
            }
        }
    }
}

/// Folders checked, enqueued and counted per discovery transaction. Discovery works through
/// the library in batches so that its memory (the stored stamps it compares, the jobs it
/// enqueues) stays the same whatever the library's size; the scan stays `discovering` until the
/// last batch, so its phase cannot move on while folders are still being counted.
const DISCOVERY_BATCH: usize = 500;

async fn discover(services: &ScanServices, ctx: &JobContext, job: &LibraryScan) -> Result<(), CatalogueError> {
    let db = &services.db;
    let (library, phase) = libraries::of_scan(db, job.scan_id).await?;
    if phase.is_final() {
        return Ok(());
    }
    let rules = services.rules_for(&library)?;
    let root = PathBuf::from(&library.path);
    let tv = library.kind == libraries::LibraryKind::Tv;
    let (walk_root, walk_rules) = (root.clone(), Arc::clone(&rules));
    let (folders, discovery_warnings) = crate::jobs::spawn_blocking_in_span(move || {
        if tv {
            crate::jobs::tv_scan::discover(&walk_root, &walk_rules)
        } else {
            let found = metarr_media::discover(&walk_root, &walk_rules);
            (found.movie_folders, found.warnings)
        }
    })
    .await
    .map_err(|e| CatalogueError::Internal(format!("discovery stopped: {e}")))?;
    if !root.is_dir() {
        return Err(CatalogueError::Invalid(format!("library root {} is not reachable", root.display())));
    }
    let warnings: Vec<String> = discovery_warnings.iter().map(ToString::to_string).collect();
    // Folders left out because their names cannot be stored (not UTF-8) are errors: the films
    // are missing from the catalogue until they are renamed.
    let refused = discovery_warnings.iter().filter(|w| w.is_error()).count() as i64;
    // Sorted, for the batches and for the binary search that finds the folders gone. Discovery
    // returns UTF-8 paths only; a lossy conversion here would merge two folders into one.
    let mut found: Vec<String> = folders.into_iter().filter_map(|p| p.into_os_string().into_string().ok()).collect();
    found.sort_unstable();
    found.dedup();

    for batch in found.chunks(DISCOVERY_BATCH) {
        let going_on = if tv {
            crate::jobs::tv_scan::discover_batch(services, ctx, job, &root, &rules, batch).await?
        } else {
            discover_batch(services, ctx, job, &root, &rules, batch).await?
        };
        if !going_on {
            return Ok(());
        }
    }

    let (gone_movies, gone_series) = if tv {
        (Vec::new(), crate::catalogue::series::absent_from(db, job.library_id, &found).await?)
    } else {
        (movies::absent_from(db, job.library_id, &found).await?, Vec::new())
    };
    let mut tx = db.begin().await?;
    if scans::get_in(&mut tx, job.scan_id).await?.phase != ScanPhase::Discovering {
        // Cancelled (or failed) meanwhile: leave its phase alone.
        return Ok(());
    }
    movies::mark_missing(&mut tx, &gone_movies).await?;
    crate::catalogue::series::mark_missing(&mut tx, &gone_series).await?;
    let counts = Counts {
        movies_missing: gone_movies.len() as i64,
        series_missing: gone_series.len() as i64,
        errors: refused,
        ..Counts::default()
    };
    scans::record(&mut tx, job.scan_id, &counts, &warnings).await?;
    let scan = scans::set_phase(&mut tx, job.scan_id, ScanPhase::Scanning).await?;
    tx.commit().await?;
    services.publish(&scan);
    after_finish(&services.db, &scan).await;
    Ok(())
}

/// Checks one batch of discovered folders in one transaction: touches the unchanged ones,
/// enqueues a `directory-scan` for each other one, and counts both. Returns false when the scan
/// is no longer discovering (cancelled), so discovery stops.
///
/// Each folder is counted once, when it enters the scan's ledger: a retried discovery skips the
/// folders an earlier attempt committed, and a folder that a `scan-movie` job already added to
/// this scan is not counted again either.
async fn discover_batch(
    services: &ScanServices,
    ctx: &JobContext,
    job: &LibraryScan,
    root: &Path,
    rules: &Arc<IgnoreRules>,
    batch: &[String],
) -> Result<bool, CatalogueError> {
    let db = &services.db;
    // Folders whose every file kept its stamp need no job: check them here, in bulk, so that an
    // unchanged rescan costs one query per batch and the directory listings.
    let known = scans::known_items(db, job.scan_id, ItemKind::Folder, batch).await?;
    let folders: Vec<String> = batch.iter().filter(|folder| !known.contains(*folder)).cloned().collect();
    if folders.is_empty() {
        return Ok(true);
    }
    let stamps = movies::folder_stamps(db, job.library_id, &folders, services.read_streams).await?;
    if folders.is_empty() {
        return Ok(true);
    }
    let (root, rules) = (root.to_owned(), Arc::clone(rules));
    let (unchanged, changed) =
        crate::jobs::spawn_blocking_in_span(move || split_unchanged(&root, &rules, folders, &stamps))
            .await
            .map_err(|e| CatalogueError::Internal(format!("checking folders stopped: {e}")))?;
    let mut tx = db.begin().await?;
    if scans::get_in(&mut tx, job.scan_id).await?.phase != ScanPhase::Discovering {
        return Ok(false);
    }
    // The ledger decides what is counted: only folders it did not hold yet (another attempt or
    // a `scan-movie` job may have added some since the check above).
    let (unchanged_ids, unchanged_folders): (Vec<MovieId>, Vec<String>) = unchanged.into_iter().unzip();
    let newly_seen =
        scans::add_items(&mut tx, job.scan_id, ItemKind::Folder, &unchanged_folders, ItemState::Done).await?;
    movies::touch_many(&mut tx, &unchanged_ids, job.scan_id).await?;
    let queued = scans::add_items(&mut tx, job.scan_id, ItemKind::Folder, &changed, ItemState::Queued).await?;
    for folder in &queued {
        // Keyed by scan: a job of an earlier scan still holding the folder (a cancelled scan's,
        // not yet acknowledged) cannot stand in for this one's. A folder new to the ledger has
        // no job of this scan yet, so each one here is created and settles its item.
        let next =
            NewJob::of(&DirectoryScan { scan_id: job.scan_id, library_id: job.library_id, folder: folder.clone() })
                .unique_key(format!("directory-scan:{}:{folder}", job.scan_id))
                .child_of(ctx.job());
        tx.enqueue(next).await?;
    }
    let n_unchanged = newly_seen.len() as i64;
    let counts = Counts {
        directories_total: queued.len() as i64 + n_unchanged,
        directories_scanned: n_unchanged,
        movies_found: n_unchanged,
        ..Counts::default()
    };
    let scan = scans::record(&mut tx, job.scan_id, &counts, &[]).await?;
    tx.commit().await?;
    services.publish(&scan);
    Ok(true)
}

/// Splits folders into the unchanged ones (with their movie ids) and the others.
fn split_unchanged(
    root: &Path,
    rules: &IgnoreRules,
    folders: Vec<String>,
    stamps: &HashMap<String, movies::FolderStamps>,
) -> (Vec<(MovieId, String)>, Vec<String>) {
    split_folders(folders, |key| {
        let stored = stamps.get(key).filter(|s| s.complete && !s.missing)?;
        let scan = metarr_media::classify_folder(root, Path::new(key), rules).ok()?;
        let listed = scan.files.iter().map(|file| (file.path.as_path(), file.stamp));
        same_stamps(listed, scan.files.len(), &stored.files).then_some(stored.movie_id)
    })
}

/// Whether a folder's listing (path and stamp of each file, `count` of them) is exactly the
/// recorded one: the same files, each with its (size, mtime, inode).
pub(crate) fn same_stamps<'a>(
    listed: impl Iterator<Item = (&'a Path, metarr_media::FileStamp)>,
    count: usize,
    stored: &HashMap<String, (i64, i64, i64)>,
) -> bool {
    count == stored.len()
        && listed.into_iter().all(|(path, stamp)| {
            stored.get(path.to_string_lossy().as_ref())
                == Some(&(stamp.size as i64, stamp.mtime_ns, stamp.inode as i64))
        })
}

/// Splits folders into those `unchanged` names an id for (with it) and the others, listing
/// folders on a few threads (on a NAS, listings wait on the network more than on the CPU).
/// Movie and series discovery share it.
pub(crate) fn split_folders<I: Send>(
    folders: Vec<String>,
    unchanged: impl Fn(&str) -> Option<I> + Sync,
) -> (Vec<(I, String)>, Vec<String>) {
    const THREADS: usize = 4;
    let chunk = folders.len().div_ceil(THREADS).max(1);
    let unchanged = &unchanged;
    std::thread::scope(|scope| {
        let handles: Vec<_> = folders
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut same = Vec::new();
                    let mut changed = Vec::new();
                    for key in part {
                        match unchanged(key) {
                            Some(id) => same.push((id, key.clone())),
                            None => changed.push(key.clone()),
                        }
                    }
                    (same, changed)
                })
            })
            .collect();
        let mut same = Vec::new();
        let mut changed = Vec::new();
        for handle in handles {
            // A panicking listing thread only costs its folders a job each.
            if let Ok((u, c)) = handle.join() {
                same.extend(u);
                changed.extend(c);
            }
        }
        (same, changed)
    })
}

/// Runs `directory-scan`.
pub struct DirectoryScanHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for DirectoryScanHandler {
    type Job = DirectoryScan;

    async fn run(&self, ctx: JobContext, job: DirectoryScan) -> Result<(), JobError> {
        match scan_folder(&self.0, &ctx, &job).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let error = format!("scanning {}: {err}", job.folder);
                let counts = Counts { directories_failed: 1, ..Counts::default() };
                let item = ScanItem { scan_id: job.scan_id, kind: ItemKind::Folder, path: &job.folder };
                Err(count_failure(&self.0, &ctx, Some(item), counts, &error).await)
            }
        }
    }
}

pub(crate) fn stamp_matches(file: &MediaFile, stored: Option<&StoredFile>) -> bool {
    stored.is_some_and(|s| {
        s.size == file.stamp.size as i64 && s.mtime == file.stamp.mtime_ns && s.inode == file.stamp.inode as i64
    })
}

fn category(kind: &FileKind) -> (metarr_media::FileCategory, Option<String>) {
    let role = match kind {
        FileKind::Video { role, .. } => Some(role.as_str().to_owned()),
        FileKind::Nfo { role } => Some(role.as_str().to_owned()),
        FileKind::ActorImage { actor } => Some(actor.clone()),
        FileKind::Extra(kind) => Some(kind.as_str().to_owned()),
        FileKind::ThemeMusic => Some("music".to_owned()),
        FileKind::ThemeVideo => Some("video".to_owned()),
        FileKind::Unknown(kind) => Some(kind.as_str().to_owned()),
        _ => None,
    };
    (kind.category(), role)
}

/// A classified file's catalogue row, without the hash and stream details only reading it gives
/// (the scan's, and publishing's for the files it wrote).
pub(crate) fn file_row(file: &MediaFile) -> FileRow {
    let (category, role) = category(&file.kind);
    let mut row = FileRow {
        path: file.path.to_string_lossy().into_owned(),
        category,
        role,
        slot: None,
        slot_index: None,
        language: None,
        forced: false,
        sdh: false,
        size: file.stamp.size as i64,
        mtime: file.stamp.mtime_ns,
        inode: file.stamp.inode as i64,
        sha256: None,
        streams: None,
        probed: false,
        tv: None,
    };
    match &file.kind {
        FileKind::Artwork { kind, index, .. } => {
            row.slot = Some(kind.as_str().to_owned());
            row.slot_index = index.map(i64::from);
        }
        FileKind::Subtitle(info) => {
            row.language = info.language.clone();
            row.forced = info.forced;
            row.sdh = info.hearing_impaired;
        }
        _ => {}
    }
    row
}

/// The NFO that describes the film: `<video>.nfo`, then `movie.nfo`, then any other.
pub(crate) fn main_nfo(folder: &FolderScan) -> Option<&MediaFile> {
    [NfoRole::MainVideo, NfoRole::Movie, NfoRole::Other]
        .into_iter()
        .find_map(|wanted| folder.files.iter().find(|f| matches!(&f.kind, FileKind::Nfo { role } if *role == wanted)))
}

/// The movie's fields from its NFO, and from the folder's name (which only fills what nothing
/// else gives: see `FieldSource::may_replace`). Both are text from outside: they are fitted to
/// the limits a user's edit must meet (see `Fields::fit_for_import`), and every change is
/// added to `warnings`.
fn fields_from(folder: &FolderScan, nfo: Option<&metarr_nfo::Parsed>, warnings: &mut Vec<String>) -> (Fields, Fields) {
    let identity = &folder.identity;
    let mut from_nfo = nfo.map(|parsed| nfo_fields(&parsed.nfo)).unwrap_or_default();
    warnings.extend(from_nfo.fit_for_import());
    let mut from_name = Fields {
        title: Some(identity.title.clone()).filter(|title| !title.is_empty()),
        year: identity.year.map(i64::from),
        tmdb_id: identity.tmdb_id,
        imdb_id: identity.imdb_id.clone(),
        ..Fields::default()
    };
    warnings.extend(from_name.fit_for_import());
    (from_nfo, from_name)
}

/// Everything a movie NFO says that the catalogue keeps.
pub(crate) fn nfo_fields(n: &metarr_nfo::MovieNfo) -> Fields {
    use movies::{Actor, MovieSet, Rating, UniqueId};
    let list = |values: &[String]| Some(values.to_vec()).filter(|values| !values.is_empty());
    let ratings: Vec<Rating> = n
        .ratings
        .iter()
        .filter_map(|rating| {
            Some(Rating {
                // Kodi calls the legacy top-level `<rating>` "default".
                source: rating.name.clone().unwrap_or_else(|| "default".to_owned()),
                value: rating.value?,
                max: rating.max.unwrap_or(10.0),
                votes: rating.votes,
                default: rating.default,
            })
        })
        .collect();
    let uniqueids: Vec<UniqueId> = n
        .unique_ids
        .iter()
        .map(|id| UniqueId {
            kind: id.id_type.clone().unwrap_or_else(|| "unknown".to_owned()),
            value: id.value.trim().to_owned(),
            default: id.default,
        })
        .collect();
    let set = n.set.as_ref().and_then(|set| {
        Some(MovieSet {
            name: set.name.clone()?,
            overview: set.overview.clone(),
            tmdb_collection_id: set
                .attributes
                .iter()
                .find(|attr| attr.name.eq_ignore_ascii_case("tmdbcolid"))
                .and_then(|attr| attr.value.trim().parse().ok()),
        })
    });
    let actors: Vec<Actor> = n
        .actors
        .iter()
        .filter_map(|actor| {
            Some(Actor {
                name: actor.name.clone()?,
                role: actor.role.clone(),
                order: actor.order,
                tmdb_id: None,
                // A headshot is kept only as a provider's URL, never as a path of some server.
                profile: actor
                    .thumb
                    .clone()
                    .filter(|thumb| thumb.starts_with("https://") || thumb.starts_with("http://")),
            })
        })
        .collect();
    Fields {
        title: n.title.clone().filter(|t| !t.trim().is_empty()),
        original_title: n.original_title.clone(),
        sort_title: n.sort_title.clone(),
        year: n.year.or_else(|| n.premiered.as_deref().and_then(|p| p.get(..4)).and_then(|y| y.parse().ok())),
        tmdb_id: n.tmdb_id(),
        imdb_id: n.imdb_id(),
        plot: n.plot.clone(),
        outline: n.outline.clone(),
        tagline: n.tagline.clone(),
        runtime: n.runtime,
        premiered: n.premiered.clone(),
        genres: list(&n.genres),
        certification: n.mpaa.clone(),
        certifications: None,
        ratings: Some(ratings).filter(|ratings| !ratings.is_empty()),
        user_rating: n.user_rating,
        top250: n.top250,
        uniqueids: Some(uniqueids).filter(|ids| !ids.is_empty()),
        studios: list(&n.studios),
        countries: list(&n.countries),
        tags: list(&n.tags),
        set,
        directors: list(&n.directors),
        writers: list(&n.credits),
        actors: Some(actors).filter(|actors| !actors.is_empty()),
        trailer: n.trailer.clone(),
        date_added: n.date_added.clone(),
    }
}

/// What reading a folder off the disk gave: its files, its NFO when that needs parsing, and
/// the main video's stream details when they need reading.
struct FolderRead {
    folder: FolderScan,
    nfo_changed: bool,
    parsed: Option<metarr_nfo::Parsed>,
    /// Stream details of the main video, when they had to be read.
    streams: Option<StreamRead>,
    warnings: Vec<String>,
    /// Files left out because their names cannot be stored (counted as errors).
    refused: i64,
}

/// The outcome of reading a video's stream details.
pub(crate) enum StreamRead {
    /// The details, as JSON.
    Read(String),
    /// Neither the native readers nor `ffprobe` can run here.
    Unavailable,
    /// The video is in a container only `ffprobe` reads and it is not installed: a warning,
    /// and the file is read again by the next scan, so installing FFmpeg is enough.
    NeedsFfprobe(String),
    /// The video could not be read (corrupt, truncated, timed out).
    Failed(String),
}

/// Whether a file's stored stream details (or a recorded failed attempt) still hold.
pub(crate) fn streams_kept(file: &MediaFile, stored: Option<&StoredFile>) -> bool {
    stamp_matches(file, stored) && stored.is_some_and(|s| s.streams.is_some() || s.probed)
}

/// Reads a video's stream details (blocking); a partly readable video's warnings join `warnings`.
pub(crate) fn probe_video(prober: &Prober, path: &Path, warnings: &mut Vec<String>) -> StreamRead {
    match prober.probe(path) {
        Ok(details) => match serde_json::to_string(&details) {
            // A partly readable video (truncated, a damaged track) keeps what was read.
            Ok(json) if !details.warnings.is_empty() => {
                let path = path.display();
                warnings.extend(details.warnings.iter().map(|w| format!("{path}: stream details: {w}")));
                StreamRead::Read(json)
            }
            Ok(json) => StreamRead::Read(json),
            Err(err) => StreamRead::Failed(err.to_string()),
        },
        Err(metarr_probe::ProbeError::Unavailable { .. }) => StreamRead::Unavailable,
        Err(err @ metarr_probe::ProbeError::NeedsFfprobe { .. }) => StreamRead::NeedsFfprobe(err.to_string()),
        Err(err) => StreamRead::Failed(err.to_string()),
    }
}

/// Puts what reading a video's stream details gave into its file row, counting and warning.
pub(crate) fn apply_streams(
    services: &ScanServices,
    row: &mut FileRow,
    read: Option<StreamRead>,
    counts: &mut Counts,
    warnings: &mut Vec<String>,
) {
    if let Some((streams, probed)) = stream_outcome(services, &row.path, read, counts, warnings) {
        row.streams = streams;
        row.probed = probed;
    }
}

/// What a read of a video's stream details leaves in its row (`None`: nothing, read it again
/// next time): the details, and whether the attempt counts as made. Counts and warns.
pub(crate) fn stream_outcome(
    services: &ScanServices,
    path: &str,
    read: Option<StreamRead>,
    counts: &mut Counts,
    warnings: &mut Vec<String>,
) -> Option<(Option<String>, bool)> {
    match read {
        Some(StreamRead::Read(details)) => {
            counts.videos_probed += 1;
            Some((Some(details), true))
        }
        Some(StreamRead::Unavailable) => {
            if !services.unavailable_warned.swap(true, Ordering::Relaxed) {
                warnings.push(
                    "stream details unavailable: the native readers are switched off and ffprobe cannot run".into(),
                );
            }
            None
        }
        Some(StreamRead::NeedsFfprobe(err)) => {
            warnings.push(format!("stream details: {err}"));
            None
        }
        Some(StreamRead::Failed(err)) => {
            // Recorded as attempted: a corrupt video is not re-read until it changes.
            warnings.push(format!("{path}: stream details: {err}"));
            Some((None, true))
        }
        None => None,
    }
}

/// Everything a folder scan reads from the disk, on one blocking thread: every hand-off to a
/// blocking thread is a pair of wake-ups, and a 10,000-movie scan makes one per folder.
fn read_folder(
    root: &Path,
    folder_path: &Path,
    rules: &IgnoreRules,
    stored_files: &HashMap<String, StoredFile>,
    is_new: bool,
    prober: Option<&Prober>,
) -> Result<FolderRead, metarr_media::ClassifyError> {
    let folder = metarr_media::classify_folder(root, folder_path, rules)?;
    let mut warnings: Vec<String> = folder.warnings.iter().map(ToString::to_string).collect();
    let refused = folder.warnings.iter().filter(|w| w.is_error()).count() as i64;
    // The NFO is parsed again only when it changed (or the movie is new).
    let nfo_file = main_nfo(&folder);
    let nfo_changed = nfo_file.is_some_and(|f| !stamp_matches(f, stored_files.get(f.path.to_string_lossy().as_ref())));
    let parsed = match nfo_file {
        Some(file) if is_new || nfo_changed => {
            match std::fs::File::open(&file.path).and_then(metarr_nfo::parse_reader) {
                Ok(parsed) => {
                    warnings.extend(parsed.warnings.iter().map(|w| format!("{}: {w}", file.path.display())));
                    Some(parsed)
                }
                Err(err) => {
                    warnings.push(format!("{}: cannot read: {err}", file.path.display()));
                    None
                }
            }
        }
        _ => None,
    };
    // Stream details: kept while the main video is unchanged, read again otherwise.
    let streams = match (prober, folder.main_video()) {
        (Some(prober), Some(main)) if !streams_kept(main, stored_files.get(main.path.to_string_lossy().as_ref())) => {
            Some(probe_video(prober, &main.path, &mut warnings))
        }
        _ => None,
    };
    Ok(FolderRead { folder, nfo_changed, parsed, streams, warnings, refused })
}

async fn scan_folder(services: &ScanServices, ctx: &JobContext, job: &DirectoryScan) -> Result<(), CatalogueError> {
    let db = &services.db;
    let context = services.context(job.scan_id).await?;
    if context.phase.is_final() {
        return Ok(());
    }
    let rules = Arc::clone(&context.rules);
    let stored = movies::stored_folder(db, &job.folder).await?;
    let is_new = stored.is_none();
    let (stored_id, stored_files) = stored.map_or((None, HashMap::new()), |(id, files)| (Some(id), files));
    let root = PathBuf::from(&context.library.path);
    let folder_path = PathBuf::from(&job.folder);
    let prober = services.read_streams.then(|| Arc::clone(&services.prober));
    let (read, stored_files) = crate::jobs::spawn_blocking_in_span(move || {
        let read = read_folder(&root, &folder_path, &rules, &stored_files, is_new, prober.as_deref());
        (read, stored_files)
    })
    .await
    .map_err(|e| CatalogueError::Internal(format!("reading the folder stopped: {e}")))?;
    let FolderRead { folder, nfo_changed, parsed, mut streams, mut warnings, refused } = match read {
        Ok(read) => read,
        Err(err) => {
            // The folder vanished or became unreadable since discovery: a warning, not a failure.
            // One outside the library or named in bytes the catalogue cannot keep is refused: an
            // error (a webhook can name such a folder).
            let refused = matches!(
                err,
                metarr_media::ClassifyError::OutsideLibrary { .. } | metarr_media::ClassifyError::NotUtf8 { .. }
            );
            let mut tx = db.begin().await?;
            let folder = [job.folder.clone()];
            if scans::settle_items(&mut tx, job.scan_id, ItemKind::Folder, &folder, ItemState::Done).await? == 0 {
                // An earlier run counted it already.
                return Ok(());
            }
            let counts = Counts { directories_scanned: 1, errors: i64::from(refused), ..Counts::default() };
            let scan = scans::record(&mut tx, job.scan_id, &counts, &[err.to_string()]).await?;
            tx.commit().await?;
            services.publish(&scan);
            after_finish(&services.db, &scan).await;
            return Ok(());
        }
    };
    let mut counts = Counts { directories_scanned: 1, movies_found: 1, errors: refused, ..Counts::default() };
    let nfo_gone = main_nfo(&folder).is_none() && stored_files.values().any(|s| s.path.ends_with(".nfo"));

    let main_video = folder.main_video();
    let mut rows = Vec::with_capacity(folder.files.len());
    let mut to_cache = Vec::new();
    let mut any_change = is_new || nfo_changed || nfo_gone || stored_files.len() != folder.files.len();
    for file in &folder.files {
        let path = file.path.to_string_lossy().into_owned();
        let stored_file = stored_files.get(&path);
        let unchanged = stamp_matches(file, stored_file);
        any_change |= !unchanged;
        let mut row = file_row(file);
        if unchanged {
            row.sha256 = stored_file.and_then(|s| s.sha256.clone());
            row.streams = stored_file.and_then(|s| s.streams.clone());
        }
        if matches!(file.kind, FileKind::Artwork { .. }) && row.sha256.is_none() {
            to_cache.push(path.clone());
        }
        let is_main = main_video.is_some_and(|main| main.path == file.path);
        if unchanged && stored_file.is_some_and(|s| s.probed) {
            row.probed = true;
        }
        apply_streams(services, &mut row, if is_main { streams.take() } else { None }, &mut counts, &mut warnings);
        if matches!(file.kind, FileKind::Unknown(_)) {
            counts.unknown_files += 1;
        }
        rows.push(row);
    }

    let mut tx = db.begin().await?;
    // The folder counts on its scan once: this attempt counts only if it settles the folder's
    // ledger item. An attempt after one that committed (its worker died before acknowledging)
    // writes the same catalogue rows again and counts nothing.
    let folder_item = [job.folder.clone()];
    let counted =
        scans::settle_items(&mut tx, job.scan_id, ItemKind::Folder, &folder_item, ItemState::Done).await? == 1;
    if any_change || !to_cache.is_empty() {
        let (from_nfo, from_name) = if is_new || parsed.is_some() {
            fields_from(&folder, parsed.as_ref(), &mut warnings)
        } else {
            (Fields::default(), Fields::default())
        };
        let video = main_video.map(|v| v.path.to_string_lossy().into_owned());
        let (movie_id, created, _) = movies::upsert_scanned(
            &mut tx,
            job.library_id,
            job.scan_id,
            &job.folder,
            video.as_deref(),
            &[(&from_nfo, FieldSource::Nfo), (&from_name, FieldSource::Folder)],
            &warnings,
        )
        .await?;
        movies::sync_files(&mut tx, movie_id, &rows, &stored_files).await?;
        counts.assets_queued += queue_caching(&mut tx, ctx, counted.then_some(job.scan_id), to_cache).await?;
        if created {
            counts.movies_new = 1;
        } else {
            counts.movies_updated = 1;
        }
        // The players show the change: one refresh per enabled player group (unique per group
        // and folder, so a burst of changes becomes one refresh).
        crate::jobs::players::enqueue_player_refresh(&mut tx, &job.folder, counts.assets_queued > 0).await?;
    } else if let Some(movie_id) = stored_id {
        movies::touch(&mut tx, movie_id, job.scan_id).await?;
    }
    if !counted {
        // Nothing to count and nothing new to tell: the scan's row stays as it is.
        tx.commit().await?;
        return Ok(());
    }
    // Scan-level warnings name the folder; the movie keeps its own.
    let scan_warnings: Vec<String> = warnings.iter().map(|w| format!("{}: {w}", job.folder)).collect();
    let scan = scans::record(&mut tx, job.scan_id, &counts, &scan_warnings).await?;
    tx.commit().await?;
    services.publish(&scan);
    after_finish(&services.db, &scan).await;
    Ok(())
}

/// Queues a `cache-asset` job per artwork file, each counted on the scan once (through its
/// ledger) when `scan_id` is given. Returns how many were counted. An uncounted attempt (its
/// folder was counted by an earlier one) still makes sure the artwork gets cached, outside any
/// scan: the unique key keeps the job an earlier attempt queued, and a cached file has its hash.
pub(crate) async fn queue_caching(
    tx: &mut crate::db::Tx,
    ctx: &JobContext,
    scan_id: Option<ScanId>,
    to_cache: Vec<String>,
) -> Result<i64, CatalogueError> {
    let paths = match scan_id {
        Some(scan_id) => scans::add_items(tx, scan_id, ItemKind::Asset, &to_cache, ItemState::Queued).await?,
        None => to_cache,
    };
    let mut queued = 0;
    for path in paths {
        let next = NewJob::of(&CacheAsset { scan_id, path: path.clone() })
            .unique_key(format!("cache-asset:{path}"))
            .child_of(ctx.job());
        match (scan_id, tx.enqueue(next).await?.created) {
            (Some(_), true) => queued += 1,
            // Another job caches it already and will not count on this scan.
            (Some(scan_id), false) => scans::remove_item(tx, scan_id, ItemKind::Asset, &path).await?,
            (None, _) => {}
        }
    }
    Ok(queued)
}

/// Runs `cache-asset`.
pub struct CacheAssetHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for CacheAssetHandler {
    type Job = CacheAsset;

    async fn run(&self, ctx: JobContext, job: CacheAsset) -> Result<(), JobError> {
        match cache_one(&self.0, &job).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let error = format!("caching {}: {err}", job.path);
                let counts = Counts { assets_failed: 1, ..Counts::default() };
                let item = job.scan_id.map(|scan_id| ScanItem { scan_id, kind: ItemKind::Asset, path: &job.path });
                Err(count_failure(&self.0, &ctx, item, counts, &error).await)
            }
        }
    }
}

/// A cached file waiting to be recorded.
struct AssetWrite {
    scan_id: Option<ScanId>,
    record: movies::AssetRecord,
}

async fn cache_one(services: &ScanServices, job: &CacheAsset) -> Result<(), CatalogueError> {
    if let Some(scan_id) = job.scan_id
        && services.context(scan_id).await?.phase == ScanPhase::Cancelled
    {
        return Ok(());
    }
    let cache_root = services.cache_root.clone();
    let source = PathBuf::from(&job.path);
    let cached = crate::jobs::spawn_blocking_in_span(move || cache::store_file(&cache_root, &source))
        .await
        .map_err(|e| CatalogueError::Internal(format!("caching stopped: {e}")))?
        .map_err(|e| CatalogueError::Invalid(metarr_errors::chain(&e)))?;
    let record = movies::AssetRecord {
        file_path: job.path.clone(),
        sha256: cached.sha256,
        ext: cached.ext,
        size: cached.size as i64,
        dimensions: cached.dimensions,
    };
    let write = AssetWrite { scan_id: job.scan_id, record };
    services.assets.submit(services, write, |services, batch| Box::pin(write_assets(services, batch))).await
}

/// Records a batch of cached files and counts them on their scans, in one transaction.
async fn write_assets(services: &ScanServices, batch: &[AssetWrite]) -> Result<(), CatalogueError> {
    let mut per_scan: std::collections::BTreeMap<ScanId, Vec<String>> = std::collections::BTreeMap::new();
    for write in batch {
        if let Some(scan_id) = write.scan_id {
            per_scan.entry(scan_id).or_default().push(write.record.file_path.clone());
        }
    }
    let records: Vec<movies::AssetRecord> = batch.iter().map(|w| w.record.clone()).collect();
    let mut tx = services.db.begin().await?;
    movies::record_assets(&mut tx, &records).await?;
    let mut recorded = Vec::with_capacity(per_scan.len());
    for (scan_id, paths) in per_scan {
        // Counted once per file, whatever ran twice.
        let cached = scans::settle_items(&mut tx, scan_id, ItemKind::Asset, &paths, ItemState::Done).await?;
        if cached > 0 {
            let counts = Counts { assets_cached: cached, ..Counts::default() };
            recorded.push(scans::record(&mut tx, scan_id, &counts, &[]).await?);
        }
    }
    tx.commit().await?;
    for scan in &recorded {
        services.publish(scan);
        after_finish(&services.db, scan).await;
    }
    Ok(())
}

/// Per-kind limits: folder scans and caching are disk- and CPU-bound, unlike most jobs.
pub fn limits() -> HashMap<&'static str, usize> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    HashMap::from([
        (DirectoryScan::KIND, cores * 8),
        // A series folder holds a hundred episodes: fewer at once, each doing more.
        (crate::jobs::tv_scan::SeriesScanJob::KIND, cores * 2),
        (CacheAsset::KIND, cores * 16),
        (LibraryScan::KIND, 2),
    ])
}
