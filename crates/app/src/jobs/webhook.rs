//! `webhook-received` (act on one Radarr/Sonarr event) and `scan-movie` (scan the one movie
//! folder a webhook named).
//!
//! The HTTP handler only records the request and enqueues `webhook-received`, so Radarr gets
//! its answer in milliseconds. This job maps the path, finds the library (on path components),
//! and fans out in one transaction: a `scan-movie` per folder (unique per folder, so a webhook
//! storm for one movie makes one scan), one `notify-*` per service that wants the event, and
//! the outcome and job ids on the webhook log row.
//!
//! Per Radarr event:
//! - `Download` (new or `isUpgrade`): `scan-movie` for the mapped `movie.folderPath` (or the
//!   file's folder), and `movie_imported` / `movie_upgraded`. A path in no library (or in a
//!   disabled one) is recorded as such and raises `job_failed` for the services that want it.
//! - `Rename`: `media_files.path` and `movies.video` follow `previousPath` → `path` (both mapped),
//!   then the folder is rescanned; `movie_renamed`.
//! - `MovieFileDelete`: with reason `upgrade` nothing changes and nobody is told (the new file's
//!   `Download` follows). Otherwise the file's row goes (the movie stays, without a main video if
//!   that was it) and `movie_deleted` is sent: a file vanishing is news the user asked for.
//! - `MovieDelete`: the movie is marked `removed` (soft, restorable); `movie_deleted`.
//! - `Health` / `HealthRestored` / `ApplicationUpdate`: their own events.
//!   `ManualInteractionRequired` is sent as `health_issue`, since it needs the user's attention.
//!   `MovieAdded` and `Grab` are recorded only: no notification event describes them, and
//!   nothing is on disk yet.
//!
//! Per Sonarr event (TV libraries, docs/tv.md):
//! - `Download` (per file or a season pack's import), `SeriesAdd` and `Rename` (after the
//!   recorded paths follow the rename): `scan-series` for the series folder holding the mapped
//!   `series.path`, with Sonarr's ids and series type. A path in no TV library is recorded as
//!   such and raises `job_failed`.
//! - `EpisodeFileDelete`: with reason `upgrade` nothing changes (the `Download` follows);
//!   otherwise the file's row goes and its episodes stay, known but not on disk.
//! - `SeriesDelete`: the series is marked missing (soft, as movies are).
//! - `Grab` and `ManualInteractionRequired` are recorded; health and update events notify like
//!   Radarr's.

use crate::arr::notifications;
use crate::arr::payload::{ArrEvent, MovieEssentials, SeriesEssentials, Source};
use crate::arr::{self, log};
use crate::catalogue::libraries::LibraryKind;
use crate::catalogue::{CatalogueError, libraries, now_ms};
use crate::db::{Db, Tx};
use crate::ids::{LibraryId, MovieId};
use crate::jobs::notify;
use crate::jobs::scan::{DirectoryScan, DirectoryScanHandler, ScanServices};
use async_trait::async_trait;
use metarr_notify::{EventKind, MovieInfo, Notification};
use metarr_queue::{Handler, Job, JobContext, JobError, JobId, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Acts on one *arr event recorded in the webhook log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookReceived {
    /// The webhook log row.
    pub webhook_event_id: i64,
    pub source: Source,
    pub event: ArrEvent,
}

// A webhook is a user-visible change that just happened: it goes before everything else.
job_kind!(WebhookReceived = "webhook-received", attempts: 5, priority: 1);

/// Scans one movie folder of a library.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanMovie {
    pub library_id: LibraryId,
    pub folder: String,
    /// Radarr's ids of the movie (a `Download`): they name the file Radarr manages, so they
    /// reach the movie (source `radarr`) and enrichment needs no search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmdb_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imdb_id: Option<String>,
    /// Enrich the movie right after the scan (a `Download`).
    #[serde(default)]
    pub enrich: bool,
    /// Put back what Metarr published for the movie right after the scan (a `Download`: an
    /// upgrade deleted the NFO and artwork with the old file), under the new video's name and
    /// with its stream details, then refresh the players.
    #[serde(default)]
    pub restore: bool,
}

job_kind!(ScanMovie = "scan-movie", attempts: 3, priority: 1);

/// The `scan-movie` job for a folder, unique per folder.
pub fn scan_movie_job(library_id: LibraryId, folder: &str) -> NewJob {
    let job = ScanMovie {
        library_id,
        folder: folder.to_owned(),
        tmdb_id: None,
        imdb_id: None,
        enrich: false,
        restore: false,
    };
    NewJob::of(&job).unique_key(format!("scan-movie:{folder}"))
}

/// The `scan-movie` job of a Radarr `Download`: with Radarr's ids, and enrichment after.
fn download_scan_job(library_id: LibraryId, folder: &str, movie: &MovieEssentials) -> NewJob {
    let job = ScanMovie {
        library_id,
        folder: folder.to_owned(),
        tmdb_id: movie.tmdb_id.filter(|id| crate::limits::TMDB_IDS.contains(id)),
        imdb_id: movie.imdb_id.clone().filter(|id| metarr_nfo::is_imdb_id(id)),
        enrich: true,
        restore: true,
    };
    NewJob::of(&job).unique_key(format!("scan-movie:{folder}"))
}

/// Queues a rescan of one movie's folder (`POST /api/v1/movies/{id}/scan` and the movie page's
/// button): the `scan-movie` job a webhook queues, unique per folder, so that a burst of clicks
/// or a click during a download's webhook makes one scan.
pub async fn rescan_movie(db: &Db, movie_id: MovieId) -> Result<Job, CatalogueError> {
    let movie = crate::catalogue::movies::detail(db, movie_id).await?.summary;
    let library = libraries::get(db, movie.library_id).await?;
    if !library.enabled {
        return Err(CatalogueError::Conflict(format!(
            "library {:?} is disabled; enable it to scan its movies",
            library.name
        )));
    }
    let enqueued =
        db.queue().enqueue(scan_movie_job(library.id, &movie.folder)).await.map_err(crate::db::DbError::from)?;
    Ok(enqueued.job)
}

/// Runs `scan-movie`: a scan record for the library (or the one running), then the same
/// folder scan as a library scan's `directory-scan`, inline in this job.
pub struct ScanMovieHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for ScanMovieHandler {
    type Job = ScanMovie;

    async fn run(&self, ctx: JobContext, job: ScanMovie) -> Result<(), JobError> {
        let db = &self.0.db;
        let library = match libraries::get(db, job.library_id).await {
            Ok(library) => library,
            Err(CatalogueError::NotFound(message)) => return Err(JobError::Permanent(message)),
            Err(err) => return Err(JobError::retryable(err)),
        };
        if !library.enabled {
            return Err(JobError::Permanent(format!("library {:?} is disabled", library.name)));
        }
        let scan_id =
            crate::jobs::scan::join_scan(db, job.library_id, &job.folder).await.map_err(JobError::retryable)?;
        let directory = DirectoryScan { scan_id, library_id: job.library_id, folder: job.folder.clone() };
        DirectoryScanHandler(Arc::clone(&self.0)).run(ctx, directory).await?;
        if job.restore {
            restore_published(&self.0, &job.folder).await?;
        }
        after_download_scan(db, &job, library.auto_enrich).await.map_err(JobError::retryable)
    }
}

/// Republishes a movie that was published before (idempotent: what is in place is kept).
async fn restore_published(services: &ScanServices, folder: &str) -> Result<(), JobError> {
    let Some((movie_id, _)) =
        crate::catalogue::movies::stored_folder(&services.db, folder).await.map_err(JobError::retryable)?
    else {
        return Ok(());
    };
    let publishing = crate::publish::PublishServices::from_parts(
        services.db.clone(),
        services.events.clone(),
        services.cache_root.clone(),
    );
    match publishing.republish(movie_id).await {
        Ok(Some(report)) => {
            tracing::info!(%movie_id, written = report.written + report.replaced, "restored the published files after a download");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(crate::publish::PublishError::Catalogue(CatalogueError::NotFound(_))) => Ok(()),
        Err(err) => Err(JobError::retryable(err)),
    }
}

/// After a `Download`'s scan: Radarr's ids reach the movie (they replace anything but a
/// user's value or lock), and the movie is enriched right away when the library enriches.
/// Both are idempotent: the ids are the same on a rerun, and the enrichment job is unique.
async fn after_download_scan(db: &Db, job: &ScanMovie, auto_enrich: Option<bool>) -> Result<(), CatalogueError> {
    if job.tmdb_id.is_none() && job.imdb_id.is_none() && !job.enrich {
        return Ok(());
    }
    let Some((movie_id, _)) = crate::catalogue::movies::stored_folder(db, &job.folder).await? else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    let ids = crate::catalogue::movies::Fields {
        tmdb_id: job.tmdb_id,
        imdb_id: job.imdb_id.clone(),
        ..crate::catalogue::movies::Fields::default()
    };
    crate::catalogue::movies::apply_fields(&mut tx, movie_id, &[(&ids, crate::catalogue::movies::FieldSource::Radarr)])
        .await?;
    if job.enrich && auto_enrich.unwrap_or(true) && tx.tmdb_configured() {
        tx.enqueue(crate::jobs::enrich::enrich_job(movie_id)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs `webhook-received`.
pub struct WebhookReceivedHandler {
    pub db: Db,
}

#[async_trait]
impl Handler for WebhookReceivedHandler {
    type Job = WebhookReceived;

    async fn run(&self, ctx: JobContext, job: WebhookReceived) -> Result<(), JobError> {
        act(&self.db, ctx.job(), &job).await.map_err(JobError::retryable)
    }
}

fn movie_info(movie: &MovieEssentials) -> MovieInfo {
    MovieInfo {
        title: movie.title.clone(),
        year: movie.year,
        overview: movie.overview.clone(),
        poster_url: movie.poster_url.clone(),
    }
}

fn titled(movie: &MovieEssentials) -> String {
    match movie.year {
        Some(year) => format!("{} ({year})", movie.title),
        None => movie.title.clone(),
    }
}

fn notification(event: EventKind, title: String, message: String, movie: Option<&MovieEssentials>) -> Notification {
    Notification { event, title, message, movie: movie.map(movie_info), url: None }
}

/// What acting on an event decided, written in one transaction.
struct Plan {
    outcome: Decided,
    scan: Option<(LibraryId, String)>,
    /// The series folder a Sonarr event asks to scan.
    series_scan: Option<crate::jobs::tv_scan::ScanSeries>,
    /// The movie of a `Download`, whose ids go with its scan.
    downloaded: Option<MovieEssentials>,
    notification: Option<Notification>,
}

impl Plan {
    fn outcome(outcome: Decided) -> Plan {
        Plan { outcome, scan: None, series_scan: None, downloaded: None, notification: None }
    }
}

/// What acting on one event decided, as the webhook log says it: `Display` gives the stored
/// text, which API clients and the UI read, so it must not change.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decided {
    /// A `Download` without a path.
    NoDownloadPath,
    ScanQueued {
        folder: String,
        library: String,
    },
    /// The path is in no (enabled) library; the reason says which.
    NotPlaced {
        reason: String,
    },
    Renamed {
        updated: u64,
        files: usize,
        rescan: Option<Rescan>,
    },
    DeletedForUpgrade,
    NoFilePath,
    FileGone {
        path: String,
        reason: String,
    },
    FileNotRecorded {
        path: String,
        reason: String,
    },
    NoFolderPath,
    MovieRemoved {
        folder: String,
        source: &'static str,
        files: &'static str,
    },
    MovieNotRecorded {
        folder: String,
    },
    Added {
        title: String,
        source: &'static str,
    },
    Grabbed {
        title: String,
        source: &'static str,
    },
    ManualInteraction,
    HealthIssue,
    HealthRestored,
    ApplicationUpdate,
    /// A Sonarr event that needs nothing done (`Grab`, `ManualInteractionRequired`).
    Sonarr {
        event_type: String,
        series_title: Option<String>,
        summary: String,
    },
    SeriesScanQueued {
        folder: String,
        library: String,
        files: usize,
    },
    SeriesRenamed {
        updated: u64,
        files: usize,
    },
    SeriesRemoved {
        folder: String,
        files: &'static str,
    },
    SeriesNotRecorded {
        folder: String,
    },
    /// A Sonarr event whose series names no folder.
    NoSeriesPath,
}

/// Whether a rename's folder is scanned again.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rescan {
    Queued { folder: String },
    NotQueued { reason: String },
}

impl std::fmt::Display for Decided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decided::NoDownloadPath => f.write_str("the payload names neither movie.folderPath nor movieFile.path"),
            Decided::ScanQueued { folder, library } => write!(f, "scan of {folder} queued in library {library:?}"),
            Decided::NotPlaced { reason } => f.write_str(reason),
            Decided::Renamed { updated, files, rescan } => {
                write!(f, "{updated} of {files} renamed file path(s) updated")?;
                match rescan {
                    Some(Rescan::Queued { folder }) => write!(f, "; rescan of {folder} queued"),
                    Some(Rescan::NotQueued { reason }) => write!(f, "; no rescan: {reason}"),
                    None => Ok(()),
                }
            }
            Decided::DeletedForUpgrade => f.write_str("file deleted for upgrade; expecting the new file"),
            Decided::NoFilePath => f.write_str("the payload names no movieFile.path; nothing to mark"),
            Decided::FileGone { path, reason } => write!(f, "file {path} marked gone (reason: {reason})"),
            Decided::FileNotRecorded { path, reason } => {
                write!(f, "file {path} was not in the catalogue (reason: {reason})")
            }
            Decided::NoFolderPath => f.write_str("the payload names no movie.folderPath; nothing to mark"),
            Decided::MovieRemoved { folder, source, files } => {
                write!(f, "movie at {folder} marked removed ({source} deleted it {files})")
            }
            Decided::MovieNotRecorded { folder } => write!(f, "no movie recorded at {folder}; nothing to mark"),
            Decided::Added { title, source } => {
                write!(f, "recorded: {title} added to {source}; nothing to do until it is imported")
            }
            Decided::Grabbed { title, source } => {
                write!(f, "recorded: {source} grabbed {title}; nothing to do until it is imported")
            }
            Decided::ManualInteraction => f.write_str("recorded: manual interaction required"),
            Decided::HealthIssue => f.write_str("recorded: health issue"),
            Decided::HealthRestored => f.write_str("recorded: health restored"),
            Decided::ApplicationUpdate => f.write_str("recorded: application update"),
            Decided::Sonarr { event_type, series_title, summary } => {
                write!(f, "recorded {event_type}")?;
                if let Some(title) = series_title {
                    write!(f, " for {title}")?;
                }
                if !summary.is_empty() {
                    write!(f, " ({summary})")?;
                }
                Ok(())
            }
            Decided::SeriesScanQueued { folder, library, files } => {
                write!(f, "scan of series {folder} queued in library {library:?}")?;
                if *files > 0 {
                    write!(f, " ({files} file(s) imported)")?;
                }
                Ok(())
            }
            Decided::SeriesRenamed { updated, files } => {
                write!(f, "{updated} of {files} renamed episode file path(s) updated")
            }
            Decided::SeriesRemoved { folder, files } => {
                write!(f, "series at {folder} marked missing (Sonarr deleted it {files})")
            }
            Decided::SeriesNotRecorded { folder } => write!(f, "no series recorded at {folder}; nothing to mark"),
            Decided::NoSeriesPath => f.write_str("the payload names no series.path; nothing to do"),
        }
    }
}

/// The webhook log's outcome of an event: what was decided, then what the transaction found
/// and queued. `Display` gives the stored text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WebhookOutcome {
    decided: Decided,
    /// The folder's scan was already queued as this job.
    scan_already_queued: Option<JobId>,
    /// The services told, and the event they were told of.
    notified: Option<(Vec<String>, EventKind)>,
}

impl std::fmt::Display for WebhookOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.decided)?;
        if let Some(job) = self.scan_already_queued {
            write!(f, " (a scan of this folder was already queued: job {job})")?;
        }
        if let Some((services, event)) = &self.notified {
            write!(f, "; notifying {} ({event})", services.join(", "))?;
        }
        Ok(())
    }
}

async fn act(db: &Db, job: &Job, received: &WebhookReceived) -> Result<(), CatalogueError> {
    // Everything read is read before the transaction: a read through the pool while holding the
    // transaction's connection would need two connections per job and can starve the pool.
    let configs = notifications::list(db).await?;
    let places = arr::Places::load(db).await?;
    let source = received.source.display_name();
    let mut tx = db.begin().await?;
    if !log::claim(&mut tx, received.webhook_event_id).await? {
        // An earlier run committed all of this and died before acknowledging.
        return Ok(());
    }
    let plan = plan(&places, &mut tx, source, &received.event).await?;
    let mut job_ids: Vec<JobId> = vec![job.id];
    let mut outcome = WebhookOutcome { decided: plan.outcome, scan_already_queued: None, notified: None };
    if let Some((library_id, folder)) = &plan.scan {
        let scan = match &plan.downloaded {
            Some(movie) => download_scan_job(*library_id, folder, movie),
            None => scan_movie_job(*library_id, folder),
        };
        let enqueued = tx.enqueue(scan.child_of(job)).await?;
        job_ids.push(enqueued.job.id);
        if !enqueued.created {
            outcome.scan_already_queued = Some(enqueued.job.id);
        }
    }
    if let Some(scan) = &plan.series_scan {
        let enqueued = tx.enqueue(scan.job().child_of(job)).await?;
        job_ids.push(enqueued.job.id);
        if !enqueued.created {
            outcome.scan_already_queued = Some(enqueued.job.id);
        }
    }
    if let Some(notification) = &plan.notification {
        let sent = notify::fan_out(&mut tx, &configs, notification, Some(job)).await?;
        if !sent.is_empty() {
            let names = sent.iter().map(|(service, _)| service.as_str().to_owned()).collect();
            outcome.notified = Some((names, notification.event));
        }
        job_ids.extend(sent.iter().map(|(_, id)| *id));
    }
    log::set_outcome(&mut tx, received.webhook_event_id, &outcome.to_string(), &job_ids).await?;
    tx.commit().await?;
    Ok(())
}

/// How long after an upgrade's `MovieFileDelete` its movie is verified, in case no `Download`
/// follows: Radarr imports the new file within seconds, and its `Download` restores sooner.
const UPGRADE_VERIFY_DELAY_SECS: i64 = 120;

/// An error notification for a path Metarr could not place.
fn misplaced(movie: &MovieEssentials, source: &str, reason: &str) -> Notification {
    notification(
        EventKind::JobFailed,
        format!("Metarr could not place {}", titled(movie)),
        format!("{source} reported {}, but {reason}. Add a library or a path mapping.", titled(movie)),
        Some(movie),
    )
}

async fn plan(
    places: &arr::Places,
    tx: &mut Tx,
    source: &'static str,
    event: &ArrEvent,
) -> Result<Plan, CatalogueError> {
    Ok(match event {
        ArrEvent::Download { movie, file_path, is_upgrade } => {
            let (path, is_file) = match (&movie.folder_path, file_path) {
                (Some(folder), _) => (folder.clone(), false),
                (None, Some(file)) => (file.clone(), true),
                (None, None) => {
                    return Ok(Plan::outcome(Decided::NoDownloadPath));
                }
            };
            let resolution = places.resolve(&path, is_file);
            match (&resolution.library, &resolution.movie_folder) {
                (Some(library), Some(_)) if library.kind != LibraryKind::Movies => {
                    let reason = format!(
                        "{} is in library {:?}, which holds TV series; add a movie library for Radarr's movies",
                        resolution.mapped_path, library.name
                    );
                    Plan {
                        notification: Some(misplaced(movie, source, &reason)),
                        ..Plan::outcome(Decided::NotPlaced { reason })
                    }
                }
                (Some(library), Some(folder)) if resolution.is_scannable() => {
                    let event = if *is_upgrade { EventKind::MovieUpgraded } else { EventKind::MovieImported };
                    let verb = if *is_upgrade { "upgraded" } else { "imported" };
                    Plan {
                        outcome: Decided::ScanQueued { folder: folder.clone(), library: library.name.clone() },
                        scan: Some((library.id, folder.clone())),
                        series_scan: None,
                        downloaded: Some(movie.clone()),
                        notification: Some(notification(
                            event,
                            format!("{} {verb}", titled(movie)),
                            format!("{source} {verb} {}.", titled(movie)),
                            Some(movie),
                        )),
                    }
                }
                _ => Plan {
                    outcome: Decided::NotPlaced { reason: resolution.reason.clone() },
                    scan: None,
                    series_scan: None,
                    downloaded: None,
                    notification: Some(misplaced(movie, source, &resolution.reason)),
                },
            }
        }
        ArrEvent::Rename { movie, files } => {
            let mut updated = 0u64;
            let now = now_ms();
            for file in files {
                let previous = places.map(&file.previous_path);
                let current = places.map(&file.path);
                // Where the new path is already known (a scan got there first), keep that row.
                updated += tx
                    .execute(
                        "UPDATE media_files SET path = $1 WHERE path = $2 \
                         AND NOT EXISTS (SELECT 1 FROM media_files WHERE path = $1)",
                        &[current.as_str().into(), previous.as_str().into()],
                    )
                    .await?;
                tx.execute(
                    "UPDATE movies SET video = $1, updated_at = $2 WHERE video = $3",
                    &[current.as_str().into(), now.into(), previous.as_str().into()],
                )
                .await?;
            }
            let mut scan = None;
            let folder = movie.folder_path.clone().or_else(|| files.first().map(|file| file.path.clone()));
            let rescan = folder.map(|path| {
                let resolution = places.resolve(&path, movie.folder_path.is_none());
                match (&resolution.library, &resolution.movie_folder) {
                    (Some(library), Some(folder)) if resolution.is_scannable() => {
                        scan = Some((library.id, folder.clone()));
                        Rescan::Queued { folder: folder.clone() }
                    }
                    _ => Rescan::NotQueued { reason: resolution.reason.clone() },
                }
            });
            Plan {
                outcome: Decided::Renamed { updated, files: files.len(), rescan },
                scan,
                series_scan: None,
                downloaded: None,
                notification: Some(notification(
                    EventKind::MovieRenamed,
                    format!("{} renamed", titled(movie)),
                    format!("{source} renamed {} file(s) of {}.", files.len(), titled(movie)),
                    Some(movie),
                )),
            }
        }
        ArrEvent::MovieFileDelete { movie, file_path, reason } => {
            if reason.as_deref() == Some("upgrade") {
                // Radarr deleted the NFO and artwork with the old file. The new file's
                // `Download` restores them after its scan; should it never come (its
                // notification switched off), a verification shortly after puts them back.
                if let Some(file_path) = file_path {
                    let mapped = places.map(file_path);
                    let folder = std::path::Path::new(&mapped).parent().map(|p| p.to_string_lossy().into_owned());
                    let movie: Option<(MovieId,)> = tx
                        .fetch_optional(
                            "SELECT id FROM movies WHERE video = $1 OR folder = $2",
                            &[mapped.as_str().into(), folder.unwrap_or_default().into()],
                        )
                        .await?;
                    if let Some((movie_id,)) = movie {
                        let later = chrono::Utc::now() + chrono::Duration::seconds(UPGRADE_VERIFY_DELAY_SECS);
                        tx.enqueue(crate::jobs::publish::verify_movie_job(movie_id).run_at(later)).await?;
                    }
                }
                return Ok(Plan::outcome(Decided::DeletedForUpgrade));
            }
            let Some(file_path) = file_path else {
                return Ok(Plan::outcome(Decided::NoFilePath));
            };
            let mapped = places.map(file_path);
            // The row goes (the file is gone); the movie stays, without a main video if it was that.
            let removed = tx.execute("DELETE FROM media_files WHERE path = $1", &[mapped.as_str().into()]).await?;
            tx.execute(
                "UPDATE movies SET video = NULL, updated_at = $1 WHERE video = $2",
                &[now_ms().into(), mapped.as_str().into()],
            )
            .await?;
            let reason = reason.clone().unwrap_or_else(|| "unknown".into());
            let outcome = if removed > 0 {
                Decided::FileGone { path: mapped.clone(), reason: reason.clone() }
            } else {
                Decided::FileNotRecorded { path: mapped.clone(), reason: reason.clone() }
            };
            Plan {
                outcome,
                scan: None,
                series_scan: None,
                downloaded: None,
                notification: Some(notification(
                    EventKind::MovieDeleted,
                    format!("File of {} deleted", titled(movie)),
                    format!("{source} deleted {file_path} ({reason})."),
                    Some(movie),
                )),
            }
        }
        ArrEvent::MovieDelete { movie, deleted_files } => {
            let Some(folder_path) = &movie.folder_path else {
                return Ok(Plan::outcome(Decided::NoFolderPath));
            };
            let folder = places.map(folder_path);
            // Soft: the row, its files and its locks stay, so the movie can be restored.
            let marked = tx
                .execute(
                    "UPDATE movies SET removed = true, updated_at = $1 WHERE folder = $2",
                    &[now_ms().into(), folder.as_str().into()],
                )
                .await?;
            let files = if *deleted_files { "with its files" } else { "keeping its files" };
            Plan {
                outcome: if marked > 0 {
                    Decided::MovieRemoved { folder: folder.clone(), source, files }
                } else {
                    Decided::MovieNotRecorded { folder: folder.clone() }
                },
                scan: None,
                series_scan: None,
                downloaded: None,
                notification: Some(notification(
                    EventKind::MovieDeleted,
                    format!("{} deleted", titled(movie)),
                    format!("{source} deleted {} ({files}).", titled(movie)),
                    Some(movie),
                )),
            }
        }
        ArrEvent::MovieAdded { movie } => {
            // No notification event covers "added" (nothing is on disk yet): recorded only.
            Plan::outcome(Decided::Added { title: titled(movie), source })
        }
        ArrEvent::Grab { movie, .. } => Plan::outcome(Decided::Grabbed { title: titled(movie), source }),
        ArrEvent::ManualInteractionRequired { movie, download_title } => {
            let what = movie.as_ref().map(titled).or_else(|| download_title.clone()).unwrap_or_default();
            Plan {
                outcome: Decided::ManualInteraction,
                scan: None,
                series_scan: None,
                downloaded: None,
                // It needs the user's attention, like a health issue.
                notification: Some(notification(
                    EventKind::HealthIssue,
                    format!("{source} needs you"),
                    format!("{source} needs manual interaction to import {what}."),
                    movie.as_ref(),
                )),
            }
        }
        ArrEvent::Health { level, message, .. } => Plan {
            outcome: Decided::HealthIssue,
            scan: None,
            series_scan: None,
            downloaded: None,
            notification: Some(notification(
                EventKind::HealthIssue,
                format!("{source} health issue ({})", level.as_deref().unwrap_or("unknown")),
                message.clone(),
                None,
            )),
        },
        ArrEvent::HealthRestored { message, .. } => Plan {
            outcome: Decided::HealthRestored,
            scan: None,
            series_scan: None,
            downloaded: None,
            notification: Some(notification(
                EventKind::HealthRestored,
                format!("{source} health restored"),
                message.clone(),
                None,
            )),
        },
        ArrEvent::ApplicationUpdate { message, .. } => Plan {
            outcome: Decided::ApplicationUpdate,
            scan: None,
            series_scan: None,
            downloaded: None,
            notification: Some(notification(
                EventKind::ApplicationUpdate,
                format!("{source} updated"),
                message.clone(),
                None,
            )),
        },
        ArrEvent::Sonarr { event_type, series_title, summary } => Plan::outcome(Decided::Sonarr {
            event_type: event_type.clone(),
            series_title: series_title.clone(),
            summary: summary.clone(),
        }),
        ArrEvent::EpisodesImported { series, files, .. } => {
            let path = series.path.clone().or_else(|| files.first().cloned());
            let Some(path) = path else {
                return Ok(Plan::outcome(Decided::NoSeriesPath));
            };
            let mut plan = series_scan_plan(places, series, &path, series.path.is_none(), files.len());
            if let Some(scan) = &mut plan.series_scan {
                // An upgrade deleted the old file's NFO: put back what was published.
                scan.restore = true;
            }
            plan
        }
        ArrEvent::SeriesAdd { series } => match &series.path {
            Some(path) => series_scan_plan(places, series, path, false, 0),
            None => Plan::outcome(Decided::NoSeriesPath),
        },
        ArrEvent::SeriesRename { series, files } => {
            let mut updated = 0u64;
            for file in files {
                let (previous, current) = (places.map(&file.previous_path), places.map(&file.path));
                updated += tx
                    .execute(
                        "UPDATE series_files SET path = $1 WHERE path = $2 \
                         AND NOT EXISTS (SELECT 1 FROM series_files WHERE path = $1)",
                        &[current.as_str().into(), previous.as_str().into()],
                    )
                    .await?;
                tx.execute(
                    "UPDATE episodes SET video = $1, updated_at = $2 WHERE video = $3",
                    &[current.as_str().into(), now_ms().into(), previous.as_str().into()],
                )
                .await?;
            }
            let path = series.path.clone().or_else(|| files.first().map(|file| file.path.clone()));
            let mut plan = match path {
                Some(path) => series_scan_plan(places, series, &path, series.path.is_none(), 0),
                None => Plan::outcome(Decided::NoSeriesPath),
            };
            if plan.series_scan.is_some() {
                plan.outcome = Decided::SeriesRenamed { updated, files: files.len() };
            }
            plan
        }
        ArrEvent::EpisodeFileDelete { series: _, file_path, reason } => {
            if reason.as_deref() == Some("upgrade") {
                // The new file's `Download` follows and scans the series.
                return Ok(Plan::outcome(Decided::DeletedForUpgrade));
            }
            let Some(file_path) = file_path else {
                return Ok(Plan::outcome(Decided::NoFilePath));
            };
            let mapped = places.map(file_path);
            let removed = tx.execute("DELETE FROM series_files WHERE path = $1", &[mapped.as_str().into()]).await?;
            // The episodes stay, known but no longer on disk.
            tx.execute(
                "UPDATE episodes SET video = NULL, updated_at = $1 WHERE video = $2",
                &[now_ms().into(), mapped.as_str().into()],
            )
            .await?;
            let reason = reason.clone().unwrap_or_else(|| "unknown".into());
            Plan::outcome(if removed > 0 {
                Decided::FileGone { path: mapped, reason }
            } else {
                Decided::FileNotRecorded { path: mapped, reason }
            })
        }
        ArrEvent::SeriesDelete { series, deleted_files } => {
            let Some(path) = &series.path else {
                return Ok(Plan::outcome(Decided::NoSeriesPath));
            };
            let folder = places.map(path);
            let files = if *deleted_files { "with its files" } else { "keeping its files" };
            // Soft: the series, its episodes and its locks stay, so it can come back.
            Plan::outcome(if crate::catalogue::series::mark_folder_missing(tx, &folder).await? {
                Decided::SeriesRemoved { folder, files }
            } else {
                Decided::SeriesNotRecorded { folder }
            })
        }
    })
}

/// The scan of the series folder holding `path` (Sonarr's series folder, or a file in it), or
/// why there is none: the path must be in an enabled TV library, below its root.
fn series_scan_plan(places: &arr::Places, series: &SeriesEssentials, path: &str, is_file: bool, files: usize) -> Plan {
    let resolution = places.resolve(path, is_file);
    let folder = resolution
        .library
        .as_ref()
        .zip(resolution.movie_folder.as_ref())
        .and_then(|(library, folder)| series_folder_of(&library.path, folder));
    match (&resolution.library, folder) {
        (Some(library), Some(folder)) if resolution.is_scannable() && library.kind == LibraryKind::Tv => {
            let scan = crate::jobs::tv_scan::ScanSeries {
                library_id: library.id,
                folder: folder.clone(),
                tvdb_id: series.tvdb_id,
                tmdb_id: series.tmdb_id,
                imdb_id: series.imdb_id.clone(),
                numbering: series.series_type.as_deref().and_then(crate::catalogue::series::Numbering::from_sonarr),
                restore: false,
            };
            Plan {
                outcome: Decided::SeriesScanQueued { folder, library: library.name.clone(), files },
                series_scan: Some(scan),
                ..Plan::outcome(Decided::NoSeriesPath)
            }
        }
        (Some(library), _) if library.kind != LibraryKind::Tv => {
            let reason = format!(
                "{} is in library {:?}, which holds movies; add a TV library for Sonarr's series",
                resolution.mapped_path, library.name
            );
            Plan {
                notification: Some(misplaced_series(series, &reason)),
                ..Plan::outcome(Decided::NotPlaced { reason })
            }
        }
        _ => {
            let reason = resolution.reason.clone();
            Plan {
                notification: Some(misplaced_series(series, &reason)),
                ..Plan::outcome(Decided::NotPlaced { reason })
            }
        }
    }
}

/// The series folder holding `folder`: the library root's child it lies in.
fn series_folder_of(root: &str, folder: &str) -> Option<String> {
    let relative = std::path::Path::new(folder).strip_prefix(root).ok()?;
    let first = relative.components().next()?;
    Some(std::path::Path::new(root).join(first).to_string_lossy().into_owned())
}

/// An error notification for a series path Metarr could not place.
fn misplaced_series(series: &SeriesEssentials, reason: &str) -> Notification {
    let title = match series.year {
        Some(year) => format!("{} ({year})", series.title),
        None => series.title.clone(),
    };
    Notification {
        event: EventKind::JobFailed,
        title: format!("Metarr could not place {title}"),
        message: format!("Sonarr reported {title}, but {reason}. Add a TV library or a path mapping."),
        movie: None,
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Decided, Rescan, WebhookOutcome};
    use metarr_notify::EventKind;

    fn outcome(decided: Decided) -> WebhookOutcome {
        WebhookOutcome { decided, scan_already_queued: None, notified: None }
    }

    // The stored text is read by API clients and the UI: these are the strings written before
    // the outcome was typed.
    #[test]
    fn outcomes_read_as_they_always_have() {
        let queued = WebhookOutcome {
            scan_already_queued: Some(metarr_queue::JobId(7)),
            notified: Some((vec!["discord".into(), "email".into()], EventKind::MovieImported)),
            ..outcome(Decided::ScanQueued { folder: "/m/Alien (1979)".into(), library: "Movies".into() })
        };
        assert_eq!(
            queued.to_string(),
            "scan of /m/Alien (1979) queued in library \"Movies\" (a scan of this folder was already queued: job 7); \
             notifying discord, email (movie_imported)"
        );
        let renamed = Decided::Renamed { updated: 1, files: 2, rescan: Some(Rescan::Queued { folder: "/m/A".into() }) };
        assert_eq!(outcome(renamed).to_string(), "1 of 2 renamed file path(s) updated; rescan of /m/A queued");
        let renamed = Decided::Renamed { updated: 0, files: 1, rescan: None };
        assert_eq!(outcome(renamed).to_string(), "0 of 1 renamed file path(s) updated");
        assert_eq!(outcome(Decided::HealthIssue).to_string(), "recorded: health issue");
        let sonarr =
            Decided::Sonarr { event_type: "Grab".into(), series_title: Some("Show".into()), summary: String::new() };
        assert_eq!(outcome(sonarr).to_string(), "recorded Grab for Show");
        let series = Decided::SeriesScanQueued { folder: "/tv/Show".into(), library: "TV".into(), files: 2 };
        assert_eq!(
            outcome(series).to_string(),
            "scan of series /tv/Show queued in library \"TV\" (2 file(s) imported)"
        );
        let removed = Decided::SeriesRemoved { folder: "/tv/Show".into(), files: "with its files" };
        assert_eq!(
            outcome(removed).to_string(),
            "series at /tv/Show marked missing (Sonarr deleted it with its files)"
        );
        let added = Decided::Added { title: "Alien (1979)".into(), source: "Radarr" };
        assert_eq!(
            outcome(added).to_string(),
            "recorded: Alien (1979) added to Radarr; nothing to do until it is imported"
        );
    }
}
