//! `publish` (write one movie's NFO and artwork into its folder), `verify-movie` and `verify`
//! (compare published files with what was published, restore and import), and
//! `scheduled-verification` (the `verification` schedule: every library, weekly by default).
//!
//! Publishing is idempotent: a second run finds every file as it should be and writes nothing;
//! a run after a crash finds the files the first one wrote and only records them.

use crate::catalogue::CatalogueError;
use crate::db::{Db, Tx};
use crate::ids::{LibraryId, MovieId};
use crate::publish::verify::Scope;
use crate::publish::{PublishError, PublishServices};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metarr_queue::{Handler, JobContext, JobError, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The schedule that verifies every library.
pub const VERIFICATION_SCHEDULE: &str = "verification";
/// Sundays at 04:00, after the nightly cleanup.
pub const VERIFICATION_CRON: &str = "0 4 * * 0";

/// Publishes one movie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Publish {
    pub movie_id: MovieId,
}

// After enrichment and artwork selection (7), which queue it in auto mode.
job_kind!(Publish = "publish", attempts: 5, priority: 7);

/// Publishes many movies (a bulk request), a few at a time: one job per [`BATCH`] movies
/// costs the queue far less than one per movie, and a run again publishes nothing twice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishBatch {
    pub movie_ids: Vec<MovieId>,
}

job_kind!(PublishBatch = "publish-batch", attempts: 5, priority: 7);

/// Movies per `publish-batch` job.
pub const BATCH: usize = 100;
/// Movies a batch publishes at once.
const BATCH_CONCURRENCY: usize = 4;

/// Verifies one movie's published files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyMovie {
    pub movie_id: MovieId,
}

job_kind!(VerifyMovie = "verify-movie", attempts: 3, priority: 6);

/// Verifies a library's (or every library's) published files in one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Verify {
    #[serde(default)]
    pub library_id: Option<LibraryId>,
    /// What asked: `api`, `schedule`.
    #[serde(default = "api")]
    pub cause: String,
}

fn api() -> String {
    "api".to_owned()
}

job_kind!(Verify = "verify", attempts: 3, priority: 8);

/// The `verification` schedule's job.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScheduledVerification {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub slot: Option<DateTime<Utc>>,
}

job_kind!(ScheduledVerification = "scheduled-verification", attempts: 3, priority: 8);

/// The `publish` job of a movie, unique per movie: a burst of changes publishes once.
pub fn publish_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&Publish { movie_id }).unique_key(format!("publish:{movie_id}"))
}

/// The `verify-movie` job of a movie, unique per movie.
pub fn verify_movie_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&VerifyMovie { movie_id }).unique_key(format!("verify-movie:{movie_id}"))
}

/// The `verify` job of a library (or of every library), unique per scope.
pub fn verify_job(library_id: Option<LibraryId>, cause: &str) -> NewJob {
    let key = library_id.map_or_else(|| "verify:all".to_owned(), |id| format!("verify:{id}"));
    NewJob::of(&Verify { library_id, cause: cause.to_owned() }).unique_key(key)
}

/// Queues a `publish` of the movie in `tx` when its library publishes automatically (after an
/// enrichment or an artwork change). A pending publish is reused: it will read the change.
pub async fn publish_if_auto(tx: &mut Tx, movie_id: MovieId) -> crate::db::Result<()> {
    let auto: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT m.id FROM movies m JOIN libraries l ON l.id = m.library_id \
             WHERE m.id = $1 AND l.publish = 'auto' AND l.enabled = true",
            &[movie_id.into()],
        )
        .await?;
    if auto.is_some() {
        let enqueued = tx.enqueue(publish_job(movie_id)).await?;
        // A publish already running may have read the movie before this change: one follow-up
        // after it (shared by further changes while it waits).
        if !enqueued.created && enqueued.job.state == metarr_queue::JobState::Running {
            let key = format!("publish:{movie_id}:after:{}", enqueued.job.id);
            tx.enqueue(NewJob::of(&Publish { movie_id }).unique_key(key)).await?;
        }
    }
    Ok(())
}

/// What a bulk publish names (`POST /api/v1/publish`): a library, or movies.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkPublish {
    /// Every present movie of this library.
    pub library_id: Option<LibraryId>,
    /// These movies, at most 100,000.
    pub movie_ids: Option<Vec<MovieId>>,
}

/// The most movies one bulk request names.
pub const MAX_BULK: usize = 100_000;

/// Queues the movies' publishing, [`BATCH`] movies per `publish-batch` job. Movies of libraries
/// that do not publish are left out (and counted); unknown ids are refused, naming them.
pub async fn queue_bulk(db: &Db, request: &BulkPublish) -> Result<(usize, usize), CatalogueError> {
    let ids: Vec<(MovieId, String)> = match (request.library_id, &request.movie_ids) {
        (Some(library_id), None) => {
            crate::catalogue::libraries::get(db, library_id).await?;
            db.fetch_all(
                "SELECT m.id, l.publish FROM movies m JOIN libraries l ON l.id = m.library_id \
                 WHERE m.library_id = $1 AND m.removed = false AND m.missing = false ORDER BY m.id",
                &[library_id.into()],
            )
            .await?
        }
        (None, Some(movie_ids)) if !movie_ids.is_empty() && movie_ids.len() <= MAX_BULK => {
            let mut found = Vec::with_capacity(movie_ids.len());
            for chunk in movie_ids.chunks(500) {
                let params: Vec<crate::db::Param> = chunk.iter().map(|id| (*id).into()).collect();
                let rows: Vec<(MovieId, String)> = db
                    .fetch_all(
                        &format!(
                            "SELECT m.id, l.publish FROM movies m JOIN libraries l ON l.id = m.library_id \
                             WHERE m.id IN {}",
                            crate::catalogue::movies::placeholders(1, params.len())
                        ),
                        &params,
                    )
                    .await?;
                found.extend(rows);
            }
            let known: std::collections::BTreeSet<MovieId> = found.iter().map(|(id, _)| *id).collect();
            let unknown: Vec<String> =
                movie_ids.iter().filter(|id| !known.contains(id)).take(10).map(ToString::to_string).collect();
            if !unknown.is_empty() {
                return Err(CatalogueError::NotFound(format!("movies not found: {}", unknown.join(", "))));
            }
            found
        }
        (None, Some(movie_ids)) if movie_ids.len() > MAX_BULK => {
            return Err(CatalogueError::Invalid(format!("movie_ids: at most {MAX_BULK} movies per request")));
        }
        _ => return Err(CatalogueError::Invalid("give either library_id or a non-empty movie_ids".into())),
    };
    let (publishing, off): (Vec<_>, Vec<_>) = ids.into_iter().partition(|(_, mode)| mode != "off");
    let mut tx = db.begin().await?;
    for chunk in publishing.chunks(BATCH) {
        let movie_ids = chunk.iter().map(|(id, _)| *id).collect();
        tx.enqueue(NewJob::of(&PublishBatch { movie_ids })).await?;
    }
    tx.commit().await?;
    Ok((publishing.len(), off.len()))
}

fn job_error(error: PublishError) -> JobError {
    match &error {
        // The movie or its library went away, or the library stopped publishing.
        PublishError::Catalogue(CatalogueError::NotFound(message)) => JobError::Permanent(message.clone()),
        PublishError::Off { .. } => JobError::Permanent(error.to_string()),
        // A link out of the library will not go away by retrying.
        PublishError::Fs { source: crate::publish::fs::FsError::Escapes { .. }, .. } => {
            JobError::Permanent(metarr_errors::chain(&error))
        }
        _ => JobError::retryable(error),
    }
}

/// Runs `publish`.
pub struct PublishHandler(pub Arc<PublishServices>);

#[async_trait]
impl Handler for PublishHandler {
    type Job = Publish;

    async fn run(&self, ctx: JobContext, job: Publish) -> Result<(), JobError> {
        let report = self.0.publish(job.movie_id).await.map_err(job_error)?;
        ctx.progress(
            100.0,
            format!(
                "{} written, {} replaced, {} kept, {} recycled ({} bytes)",
                report.written, report.replaced, report.kept, report.recycled, report.bytes_written
            ),
        )
        .await;
        Ok(())
    }
}

/// Runs `publish-batch`: every movie of the batch, a few at a time. A movie gone since, or whose
/// library stopped publishing, is left out; other failures fail the job (for a retry, which
/// finds what was done in place) once the rest is done.
pub struct PublishBatchHandler(pub Arc<PublishServices>);

#[async_trait]
impl Handler for PublishBatchHandler {
    type Job = PublishBatch;

    async fn run(&self, ctx: JobContext, job: PublishBatch) -> Result<(), JobError> {
        let total = job.movie_ids.len();
        let outcomes = self.0.publish_many(&job.movie_ids, BATCH_CONCURRENCY).await.map_err(job_error)?;
        let mut written = 0u64;
        let mut skipped = 0;
        let mut failures = Vec::new();
        for (movie_id, outcome) in outcomes {
            match outcome {
                Ok(report) => written += report.bytes_written,
                Err(PublishError::Off { .. } | PublishError::Catalogue(CatalogueError::NotFound(_))) => skipped += 1,
                Err(err) => failures.push(format!("movie {movie_id}: {}", metarr_errors::chain(&err))),
            }
        }
        ctx.progress(
            100.0,
            format!(
                "{} of {total} movies published ({written} bytes written), {skipped} skipped",
                total - skipped - failures.len()
            ),
        )
        .await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(JobError::Retryable(format!("{} of {total} movies failed: {}", failures.len(), failures.join("; "))))
        }
    }
}

/// Runs `verify-movie`.
pub struct VerifyMovieHandler(pub Arc<PublishServices>);

#[async_trait]
impl Handler for VerifyMovieHandler {
    type Job = VerifyMovie;

    async fn run(&self, _ctx: JobContext, job: VerifyMovie) -> Result<(), JobError> {
        let scope = Scope { library_id: None, movie_id: Some(job.movie_id) };
        self.0.verify(&scope, "movie").await.map_err(job_error)?;
        Ok(())
    }
}

/// Runs `verify`.
pub struct VerifyHandler(pub Arc<PublishServices>);

#[async_trait]
impl Handler for VerifyHandler {
    type Job = Verify;

    async fn run(&self, _ctx: JobContext, job: Verify) -> Result<(), JobError> {
        let scope = Scope { library_id: job.library_id, movie_id: None };
        self.0.verify(&scope, &job.cause).await.map_err(job_error)?;
        // The series published in the same libraries: missing files back, changed ones reported.
        let series: Vec<(crate::ids::SeriesId,)> = self
            .0
            .db()
            .fetch_all(
                "SELECT DISTINCT s.id FROM series s JOIN series_published_files p ON p.series_id = s.id \
                 WHERE $1 IS NULL OR s.library_id = $1 ORDER BY s.id",
                &[job.library_id.map(crate::ids::LibraryId::get).into()],
            )
            .await
            .map_err(JobError::retryable)?;
        for (series_id,) in series {
            let verified = self.0.verify_series(series_id).await.map_err(job_error)?;
            if !verified.restored.is_empty() || !verified.changed_elsewhere.is_empty() {
                tracing::info!(%series_id, restored = ?verified.restored, changed = ?verified.changed_elsewhere, "verified a series");
            }
        }
        Ok(())
    }
}

/// Runs `scheduled-verification`: one `verify` of every library.
pub struct ScheduledVerificationHandler {
    pub db: Db,
}

#[async_trait]
impl Handler for ScheduledVerificationHandler {
    type Job = ScheduledVerification;

    async fn run(&self, _ctx: JobContext, _job: ScheduledVerification) -> Result<(), JobError> {
        self.db.queue().enqueue(verify_job(None, "schedule")).await.map_err(JobError::retryable)?;
        Ok(())
    }
}

/// Registers the publishing kinds.
pub fn register(registry: &mut metarr_queue::Registry, services: &Arc<PublishServices>) {
    registry.register(PublishHandler(Arc::clone(services)));
    registry.register(PublishSeriesHandler(Arc::clone(services)));
    registry.register(PublishBatchHandler(Arc::clone(services)));
    registry.register(VerifyMovieHandler(Arc::clone(services)));
    registry.register_with(
        VerifyHandler(Arc::clone(services)),
        metarr_queue::KindOptions { concurrency: Some(1), ..metarr_queue::KindOptions::default() },
    );
    registry.register(ScheduledVerificationHandler { db: services.db().clone() });
}

/// Publishes one TV series (its `tvshow.nfo` and episode NFOs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishSeries {
    pub series_id: crate::ids::SeriesId,
}

job_kind!(PublishSeries = "publish-series", attempts: 5, priority: 7);

/// The `publish-series` job of a series, unique per series.
pub fn publish_series_job(series_id: crate::ids::SeriesId) -> NewJob {
    NewJob::of(&PublishSeries { series_id }).unique_key(format!("publish-series:{series_id}"))
}

/// Queues the series' publish when its library publishes automatically (after enrichment).
pub async fn publish_series_if_auto(tx: &mut Tx, series_id: crate::ids::SeriesId) -> crate::db::Result<()> {
    let auto: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT s.id FROM series s JOIN libraries l ON l.id = s.library_id \
             WHERE s.id = $1 AND l.publish = 'auto' AND l.enabled = true",
            &[series_id.into()],
        )
        .await?;
    if auto.is_some() {
        let enqueued = tx.enqueue(publish_series_job(series_id)).await?;
        if !enqueued.created && enqueued.job.state == metarr_queue::JobState::Running {
            let key = format!("publish-series:{series_id}:after:{}", enqueued.job.id);
            tx.enqueue(NewJob::of(&PublishSeries { series_id }).unique_key(key)).await?;
        }
    }
    Ok(())
}

/// Runs `publish-series`.
pub struct PublishSeriesHandler(pub Arc<PublishServices>);

#[async_trait]
impl Handler for PublishSeriesHandler {
    type Job = PublishSeries;

    async fn run(&self, ctx: JobContext, job: PublishSeries) -> Result<(), JobError> {
        let report = self.0.publish_series(job.series_id).await.map_err(job_error)?;
        ctx.progress(
            100.0,
            format!(
                "{} written, {} replaced, {} kept, {} recycled ({} bytes)",
                report.written, report.replaced, report.kept, report.recycled, report.bytes_written
            ),
        )
        .await;
        Ok(())
    }
}
