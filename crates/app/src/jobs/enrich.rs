//! `enrich-metadata` (identify one movie and fill it from TMDB) and `enrich-ratings` (its OMDb
//! ratings), each unique per movie and below scans and webhooks in priority.
//!
//! The ratings are a job of their own so that OMDb's daily quota, when spent, snoozes only
//! them: TMDB work goes on, and the missing ratings fill in by themselves after the reset.
//! A provider's "not now" (a 429, the gate's refusal) snoozes the job instead of holding a
//! worker; a bad key fails it at once with a message saying which key to fix; anything else
//! backs off. Each job names its provider, so the queue's circuit breaker opens for a
//! provider that keeps failing.

use crate::catalogue::CatalogueError;
use crate::catalogue::movies;
use crate::catalogue::scans::{self, Counts, ItemKind, ItemState, Scan, ScanPhase};
use crate::enrich::{EnrichError, EnrichServices};
use crate::ids::{LibraryId, MovieId, ScanId};
use async_trait::async_trait;
use metarr_providers::Provider;
use metarr_queue::{Handler, JobContext, JobError, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Identifies one movie and fills its fields from TMDB.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrichMetadata {
    pub movie_id: MovieId,
    /// The scan that queued it, which counts it once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_id: Option<ScanId>,
}

// After scans (1–6) and webhooks: what is on disk is recorded first, then described.
job_kind!(EnrichMetadata = "enrich-metadata", attempts: 5, priority: 7);

/// Fills one movie's ratings from OMDb.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrichRatings {
    pub movie_id: MovieId,
}

// Ahead of `enrich-metadata`, which queues it: OMDb works beside TMDB instead of after the
// last of a library's TMDB calls, so a bulk enrichment takes the slower provider's time, not both.
job_kind!(EnrichRatings = "enrich-ratings", attempts: 5, priority: 6);

/// The `enrich-metadata` job of a movie, unique per movie.
pub fn enrich_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&EnrichMetadata { movie_id, scan_id: None }).unique_key(format!("enrich-metadata:{movie_id}"))
}

/// Lists a scan's movies to enrich and queues their jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanEnrich {
    pub scan_id: ScanId,
    pub library_id: LibraryId,
}

job_kind!(ScanEnrich = "scan-enrich", attempts: 5, priority: 3);

/// The `scan-enrich` job of a scan that reached `enriching`, unique per scan.
pub fn scan_enrich_job(scan: &Scan) -> NewJob {
    NewJob::of(&ScanEnrich { scan_id: scan.id, library_id: scan.library_id })
        .unique_key(format!("scan-enrich:{}", scan.id))
        .correlation_id(scan.correlation_id.clone())
}

/// Runs `scan-enrich`: the library's movies never enriched (nor waiting for the user to
/// identify them), 500 at a time, each counted once on the scan through its ledger.
pub struct ScanEnrichHandler(pub Arc<EnrichServices>);

#[async_trait]
impl Handler for ScanEnrichHandler {
    type Job = ScanEnrich;

    async fn run(&self, ctx: JobContext, job: ScanEnrich) -> Result<(), JobError> {
        let db = &self.0.db;
        let scan = scans::get(db, job.scan_id).await.map_err(JobError::retryable)?;
        if scan.phase != ScanPhase::Enriching {
            return Ok(());
        }
        let mut after = 0i64;
        loop {
            let ids = movies::to_enrich(db, job.library_id, after, 500).await.map_err(JobError::retryable)?;
            let Some(last) = ids.last() else { break };
            after = last.get();
            let listed = async {
                let mut tx = db.begin().await?;
                let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
                let new =
                    scans::add_items(&mut tx, job.scan_id, ItemKind::Enrichment, &keys, ItemState::Queued).await?;
                let mut queued = 0;
                for key in new {
                    let Ok(movie_id) = key.parse::<MovieId>() else { continue };
                    let next = NewJob::of(&EnrichMetadata { movie_id, scan_id: Some(job.scan_id) })
                        .unique_key(format!("enrich-metadata:{movie_id}"))
                        .child_of(ctx.job());
                    if tx.enqueue(next).await?.created {
                        queued += 1;
                    } else {
                        // Already queued by someone else: it will not count on this scan.
                        scans::remove_item(&mut tx, job.scan_id, ItemKind::Enrichment, &key).await?;
                    }
                }
                let counts = Counts { enrichment_queued: queued, ..Counts::default() };
                scans::record(&mut tx, job.scan_id, &counts, &[]).await?;
                tx.commit().await?;
                Ok::<_, CatalogueError>(())
            }
            .await;
            listed.map_err(JobError::retryable)?;
        }
        let finished = async {
            let mut tx = db.begin().await?;
            tx.execute("UPDATE scans SET enrichment_listed = true WHERE id = $1", &[job.scan_id.into()]).await?;
            let scan = scans::advance(&mut tx, job.scan_id).await?;
            tx.commit().await?;
            Ok::<_, CatalogueError>(scan)
        }
        .await
        .map_err(JobError::retryable)?;
        crate::jobs::scan::announce(&self.0.events, &finished, true);
        crate::jobs::scan::after_finish(db, &finished).await;
        Ok(())
    }
}

/// The `provider-update` schedule's job: see [`EnrichServices::provider_update`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScheduledProviderUpdate {}

job_kind!(ScheduledProviderUpdate = "scheduled-provider-update", attempts: 3, priority: 8);

/// The schedule's name and default time (daily, at 04:00 server time).
pub const PROVIDER_UPDATE_SCHEDULE: &str = "provider-update";
pub const PROVIDER_UPDATE_CRON: &str = "0 4 * * *";

/// Runs `scheduled-provider-update`.
pub struct ProviderUpdateHandler(pub Arc<EnrichServices>);

#[async_trait]
impl Handler for ProviderUpdateHandler {
    type Job = ScheduledProviderUpdate;

    async fn run(&self, _ctx: JobContext, _job: ScheduledProviderUpdate) -> Result<(), JobError> {
        if !self.0.tmdb_configured() {
            // Nothing to update from; not a failure the user must see every day.
            return Ok(());
        }
        let (checked, queued, calls) = self.0.provider_update().await.map_err(job_error)?;
        tracing::info!(checked, queued, change_list_calls = calls, "provider update");
        Ok(())
    }

    fn service(&self, _job: &ScheduledProviderUpdate) -> Option<String> {
        Some(Provider::Tmdb.to_string())
    }
}

/// Counts a scan's enrichment as done (once, through its ledger item).
async fn count_on_scan(services: &EnrichServices, scan_id: ScanId, movie_id: MovieId, state: ItemState) {
    let counted = async {
        let mut tx = services.db.begin().await?;
        let key = [movie_id.to_string()];
        if scans::settle_items(&mut tx, scan_id, ItemKind::Enrichment, &key, state).await? == 0 {
            return Ok(None);
        }
        let counts =
            Counts { enrichment_completed: 1, errors: i64::from(state == ItemState::Failed), ..Counts::default() };
        let scan = scans::record(&mut tx, scan_id, &counts, &[]).await?;
        tx.commit().await?;
        Ok::<_, CatalogueError>(Some(scan))
    }
    .await;
    match counted {
        Ok(Some(scan)) => {
            crate::jobs::scan::announce(&services.events, &scan, services.progress_due(scan_id));
            if scan.is_finished() {
                crate::jobs::scan::after_finish(&services.db, &scan).await;
            }
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(%scan_id, error = %metarr_errors::Chain(&err), "counting an enrichment on its scan"),
    }
}

/// The `enrich-ratings` job of a movie, unique per movie.
pub fn ratings_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&EnrichRatings { movie_id }).unique_key(format!("enrich-ratings:{movie_id}"))
}

/// Queues `enrich-metadata` for each movie, 500 per transaction. Returns how many were queued
/// and how many were queued already.
pub async fn enqueue_many(db: &crate::db::Db, ids: &[MovieId]) -> Result<(u64, u64), crate::db::DbError> {
    let (mut queued, mut already_queued) = (0, 0);
    for chunk in ids.chunks(500) {
        let mut tx = db.begin().await?;
        for id in chunk {
            if tx.enqueue(enrich_job(*id)).await?.created {
                queued += 1;
            } else {
                already_queued += 1;
            }
        }
        tx.commit().await?;
    }
    Ok((queued, already_queued))
}

/// What a job does with an enrichment that failed.
fn job_error(error: EnrichError) -> JobError {
    match &error {
        EnrichError::NotConfigured { .. } => JobError::Permanent(error.to_string()),
        EnrichError::Provider { error: provider_error, .. } | EnrichError::Call { error: provider_error, .. } => {
            let message = metarr_errors::chain(&error);
            if let Some(retry_after) = provider_error.retry_after() {
                tracing::info!(error = %message, ?retry_after, "provider asks to wait; snoozing");
                JobError::Snooze(retry_after)
            } else if provider_error.is_permanent() {
                JobError::Permanent(message)
            } else {
                JobError::Retryable(message)
            }
        }
        EnrichError::Catalogue(crate::catalogue::CatalogueError::NotFound(message)) => {
            // The movie went away since the job was queued: nothing to describe.
            JobError::Permanent(message.clone())
        }
        EnrichError::Catalogue(_) | EnrichError::Cache(_) | EnrichError::Budget(_) => JobError::retryable(error),
    }
}

/// Runs `enrich-metadata`.
pub struct EnrichMetadataHandler(pub Arc<EnrichServices>);

#[async_trait]
impl Handler for EnrichMetadataHandler {
    type Job = EnrichMetadata;

    async fn run(&self, ctx: JobContext, job: EnrichMetadata) -> Result<(), JobError> {
        match self.0.enrich(job.movie_id, None).await.map_err(job_error) {
            Ok(enriched) => {
                tracing::info!(movie_id = %job.movie_id, outcome = ?enriched, "enriched");
                if let Some(scan_id) = job.scan_id {
                    count_on_scan(&self.0, scan_id, job.movie_id, ItemState::Done).await;
                }
                Ok(())
            }
            Err(error) => {
                // The scan waits for its enrichments: the last failed attempt counts as done
                // (with an error), a snooze never does.
                let last = matches!(error, JobError::Permanent(_))
                    || (matches!(error, JobError::Retryable(_)) && ctx.job().attempt >= ctx.job().max_attempts);
                if let (Some(scan_id), true) = (job.scan_id, last) {
                    count_on_scan(&self.0, scan_id, job.movie_id, ItemState::Failed).await;
                }
                Err(error)
            }
        }
    }

    fn service(&self, _job: &EnrichMetadata) -> Option<String> {
        Some(Provider::Tmdb.to_string())
    }
}

/// Runs `enrich-ratings`.
pub struct EnrichRatingsHandler(pub Arc<EnrichServices>);

#[async_trait]
impl Handler for EnrichRatingsHandler {
    type Job = EnrichRatings;

    async fn run(&self, _ctx: JobContext, job: EnrichRatings) -> Result<(), JobError> {
        self.0.enrich_ratings(job.movie_id).await.map_err(job_error)?;
        Ok(())
    }

    fn service(&self, _job: &EnrichRatings) -> Option<String> {
        Some(Provider::Omdb.to_string())
    }
}

/// Identifies one TV series and fills it, its seasons and its episodes from TMDB.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrichSeries {
    pub series_id: crate::ids::SeriesId,
}

job_kind!(EnrichSeries = "enrich-series", attempts: 5, priority: 7);

/// The `enrich-series` job of a series, unique per series.
pub fn enrich_series_job(series_id: crate::ids::SeriesId) -> NewJob {
    NewJob::of(&EnrichSeries { series_id }).unique_key(format!("enrich-series:{series_id}"))
}

/// Runs `enrich-series`.
pub struct EnrichSeriesHandler(pub Arc<EnrichServices>);

#[async_trait]
impl Handler for EnrichSeriesHandler {
    type Job = EnrichSeries;

    async fn run(&self, _ctx: JobContext, job: EnrichSeries) -> Result<(), JobError> {
        let enriched = self.0.enrich_series(job.series_id).await.map_err(job_error)?;
        tracing::info!(series_id = %job.series_id, outcome = ?enriched, "enriched");
        Ok(())
    }

    fn service(&self, _job: &EnrichSeries) -> Option<String> {
        Some(Provider::Tmdb.to_string())
    }
}

/// Fills one TV series' ratings from OMDb.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrichSeriesRatings {
    pub series_id: crate::ids::SeriesId,
}

job_kind!(EnrichSeriesRatings = "enrich-series-ratings", attempts: 5, priority: 6);

/// The `enrich-series-ratings` job of a series, unique per series.
pub fn series_ratings_job(series_id: crate::ids::SeriesId) -> NewJob {
    NewJob::of(&EnrichSeriesRatings { series_id }).unique_key(format!("enrich-series-ratings:{series_id}"))
}

/// Runs `enrich-series-ratings`.
pub struct EnrichSeriesRatingsHandler(pub Arc<EnrichServices>);

#[async_trait]
impl Handler for EnrichSeriesRatingsHandler {
    type Job = EnrichSeriesRatings;

    async fn run(&self, _ctx: JobContext, job: EnrichSeriesRatings) -> Result<(), JobError> {
        self.0.enrich_series_ratings(job.series_id).await.map_err(job_error)?;
        Ok(())
    }

    fn service(&self, _job: &EnrichSeriesRatings) -> Option<String> {
        Some(Provider::Omdb.to_string())
    }
}
