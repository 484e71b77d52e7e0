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
//! Sonarr events are recorded (TV libraries are not supported yet); its health and update
//! events notify like Radarr's.

use crate::arr::notifications;
use crate::arr::payload::{ArrEvent, MovieEssentials, Source};
use crate::arr::{self, log};
use crate::catalogue::scans::{self, Counts, ItemKind, ItemState};
use crate::catalogue::{CatalogueError, libraries, now_ms};
use crate::db::{Db, Tx};
use crate::jobs::notify;
use crate::jobs::scan::{DirectoryScan, DirectoryScanHandler, ScanServices};
use async_trait::async_trait;
use metarr_notify::{EventKind, MovieInfo, Notification};
use metarr_queue::{Handler, Job, JobContext, JobError, JobId, JobKind, NewJob};
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

impl JobKind for WebhookReceived {
    const KIND: &'static str = "webhook-received";
    const MAX_ATTEMPTS: i32 = 5;
    // A webhook is a user-visible change that just happened: it goes before everything else.
    const PRIORITY: i16 = 1;
}

/// Scans one movie folder of a library.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanMovie {
    pub library_id: i64,
    pub folder: String,
}

impl JobKind for ScanMovie {
    const KIND: &'static str = "scan-movie";
    const MAX_ATTEMPTS: i32 = 3;
    const PRIORITY: i16 = 1;
}

/// The `scan-movie` job for a folder, unique per folder.
pub fn scan_movie_job(library_id: i64, folder: &str) -> NewJob {
    NewJob::of(&ScanMovie { library_id, folder: folder.to_owned() }).unique_key(format!("scan-movie:{folder}"))
}

/// Queues a rescan of one movie's folder (`POST /api/v1/movies/{id}/scan` and the movie page's
/// button): the `scan-movie` job a webhook queues, unique per folder, so that a burst of clicks
/// or a click during a download's webhook makes one scan.
pub async fn rescan_movie(db: &Db, movie_id: i64) -> Result<Job, CatalogueError> {
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
        let begun = async {
            let mut tx = db.begin().await?;
            let (scan, created) = scans::start(&mut tx, job.library_id).await?;
            // Counted once: a retried job, or a folder the running scan already holds, adds nothing.
            let folder = [job.folder.clone()];
            if !scans::add_items(&mut tx, scan.id, ItemKind::Folder, &folder, ItemState::Queued).await?.is_empty() {
                scans::record(&mut tx, scan.id, &Counts { directories_total: 1, ..Counts::default() }, &[]).await?;
            }
            if created {
                // A scan of one folder has no discovery phase.
                scans::set_phase(&mut tx, scan.id, scans::SCANNING).await?;
            }
            tx.commit().await?;
            Ok::<_, CatalogueError>(scan.id)
        }
        .await;
        let scan_id = begun.map_err(JobError::retryable)?;
        let directory = DirectoryScan { scan_id, library_id: job.library_id, folder: job.folder };
        DirectoryScanHandler(Arc::clone(&self.0)).run(ctx, directory).await
    }
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
    outcome: String,
    scan: Option<(i64, String)>,
    notification: Option<Notification>,
}

impl Plan {
    fn outcome(outcome: impl Into<String>) -> Plan {
        Plan { outcome: outcome.into(), scan: None, notification: None }
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
    let mut outcome = plan.outcome;
    if received.source == Source::Sonarr && !outcome.contains("TV libraries") {
        outcome.push_str("; TV libraries are not supported yet");
    }
    if let Some((library_id, folder)) = &plan.scan {
        let enqueued = tx.enqueue(scan_movie_job(*library_id, folder).child_of(job)).await?;
        job_ids.push(enqueued.job.id);
        if !enqueued.created {
            outcome.push_str(&format!(" (a scan of this folder was already queued: job {})", enqueued.job.id));
        }
    }
    if let Some(notification) = &plan.notification {
        let sent = notify::fan_out(&mut tx, &configs, notification, Some(job)).await?;
        if !sent.is_empty() {
            let names: Vec<&str> = sent.iter().map(|(service, _)| service.as_str()).collect();
            outcome.push_str(&format!("; notifying {} ({})", names.join(", "), notification.event));
        }
        job_ids.extend(sent.iter().map(|(_, id)| *id));
    }
    log::set_outcome(&mut tx, received.webhook_event_id, &outcome, &job_ids).await?;
    tx.commit().await?;
    Ok(())
}

/// An error notification for a path Metarr could not place.
fn misplaced(movie: &MovieEssentials, source: &str, reason: &str) -> Notification {
    notification(
        EventKind::JobFailed,
        format!("Metarr could not place {}", titled(movie)),
        format!("{source} reported {}, but {reason}. Add a library or a path mapping.", titled(movie)),
        Some(movie),
    )
}

async fn plan(places: &arr::Places, tx: &mut Tx, source: &str, event: &ArrEvent) -> Result<Plan, CatalogueError> {
    Ok(match event {
        ArrEvent::Download { movie, file_path, is_upgrade } => {
            let (path, is_file) = match (&movie.folder_path, file_path) {
                (Some(folder), _) => (folder.clone(), false),
                (None, Some(file)) => (file.clone(), true),
                (None, None) => {
                    return Ok(Plan::outcome("the payload names neither movie.folderPath nor movieFile.path"));
                }
            };
            let resolution = places.resolve(&path, is_file);
            match (&resolution.library, &resolution.movie_folder) {
                (Some(library), Some(folder)) if resolution.is_scannable() => {
                    let event = if *is_upgrade { EventKind::MovieUpgraded } else { EventKind::MovieImported };
                    let verb = if *is_upgrade { "upgraded" } else { "imported" };
                    Plan {
                        outcome: format!("scan of {folder} queued in library {:?}", library.name),
                        scan: Some((library.id, folder.clone())),
                        notification: Some(notification(
                            event,
                            format!("{} {verb}", titled(movie)),
                            format!("{source} {verb} {}.", titled(movie)),
                            Some(movie),
                        )),
                    }
                }
                _ => Plan {
                    outcome: resolution.reason.clone(),
                    scan: None,
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
            let mut plan = Plan {
                outcome: format!("{updated} of {} renamed file path(s) updated", files.len()),
                scan: None,
                notification: Some(notification(
                    EventKind::MovieRenamed,
                    format!("{} renamed", titled(movie)),
                    format!("{source} renamed {} file(s) of {}.", files.len(), titled(movie)),
                    Some(movie),
                )),
            };
            let folder = movie.folder_path.clone().or_else(|| files.first().map(|file| file.path.clone()));
            if let Some(path) = folder {
                let resolution = places.resolve(&path, movie.folder_path.is_none());
                match (&resolution.library, &resolution.movie_folder) {
                    (Some(library), Some(folder)) if resolution.is_scannable() => {
                        plan.outcome.push_str(&format!("; rescan of {folder} queued"));
                        plan.scan = Some((library.id, folder.clone()));
                    }
                    _ => plan.outcome.push_str(&format!("; no rescan: {}", resolution.reason)),
                }
            }
            plan
        }
        ArrEvent::MovieFileDelete { movie, file_path, reason } => {
            if reason.as_deref() == Some("upgrade") {
                return Ok(Plan::outcome("file deleted for upgrade; expecting the new file"));
            }
            let Some(file_path) = file_path else {
                return Ok(Plan::outcome("the payload names no movieFile.path; nothing to mark"));
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
                format!("file {mapped} marked gone (reason: {reason})")
            } else {
                format!("file {mapped} was not in the catalogue (reason: {reason})")
            };
            Plan {
                outcome,
                scan: None,
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
                return Ok(Plan::outcome("the payload names no movie.folderPath; nothing to mark"));
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
                    format!("movie at {folder} marked removed ({source} deleted it {files})")
                } else {
                    format!("no movie recorded at {folder}; nothing to mark")
                },
                scan: None,
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
            Plan::outcome(format!("recorded: {} added to {source}; nothing to do until it is imported", titled(movie)))
        }
        ArrEvent::Grab { movie, .. } => {
            Plan::outcome(format!("recorded: {source} grabbed {}; nothing to do until it is imported", titled(movie)))
        }
        ArrEvent::ManualInteractionRequired { movie, download_title } => {
            let what = movie.as_ref().map(titled).or_else(|| download_title.clone()).unwrap_or_default();
            Plan {
                outcome: "recorded: manual interaction required".into(),
                scan: None,
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
            outcome: "recorded: health issue".into(),
            scan: None,
            notification: Some(notification(
                EventKind::HealthIssue,
                format!("{source} health issue ({})", level.as_deref().unwrap_or("unknown")),
                message.clone(),
                None,
            )),
        },
        ArrEvent::HealthRestored { message, .. } => Plan {
            outcome: "recorded: health restored".into(),
            scan: None,
            notification: Some(notification(
                EventKind::HealthRestored,
                format!("{source} health restored"),
                message.clone(),
                None,
            )),
        },
        ArrEvent::ApplicationUpdate { message, .. } => Plan {
            outcome: "recorded: application update".into(),
            scan: None,
            notification: Some(notification(
                EventKind::ApplicationUpdate,
                format!("{source} updated"),
                message.clone(),
                None,
            )),
        },
        ArrEvent::Sonarr { event_type, series_title, summary } => {
            let mut outcome = format!("recorded {event_type}");
            if let Some(title) = series_title {
                outcome.push_str(&format!(" for {title}"));
            }
            if !summary.is_empty() {
                outcome.push_str(&format!(" ({summary})"));
            }
            outcome.push_str("; TV libraries are not supported yet");
            Plan::outcome(outcome)
        }
    })
}
