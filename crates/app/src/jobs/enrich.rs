//! `enrich-metadata` (identify one movie and fill it from TMDB) and `enrich-ratings` (its OMDb
//! ratings), each unique per movie and below scans and webhooks in priority.
//!
//! The ratings are a job of their own so that OMDb's daily quota, when spent, snoozes only
//! them: TMDB work goes on, and the missing ratings fill in by themselves after the reset.
//! A provider's "not now" (a 429, the gate's refusal) snoozes the job instead of holding a
//! worker; a bad key fails it at once with a message saying which key to fix; anything else
//! backs off. Each job names its provider, so the queue's circuit breaker opens for a
//! provider that keeps failing.

use crate::enrich::{EnrichError, EnrichServices};
use crate::ids::MovieId;
use async_trait::async_trait;
use metarr_providers::Provider;
use metarr_queue::{Handler, JobContext, JobError, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Identifies one movie and fills its fields from TMDB.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrichMetadata {
    pub movie_id: MovieId,
}

// After scans (1–6) and webhooks: what is on disk is recorded first, then described.
job_kind!(EnrichMetadata = "enrich-metadata", attempts: 5, priority: 7);

/// Fills one movie's ratings from OMDb.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrichRatings {
    pub movie_id: MovieId,
}

job_kind!(EnrichRatings = "enrich-ratings", attempts: 5, priority: 7);

/// The `enrich-metadata` job of a movie, unique per movie.
pub fn enrich_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&EnrichMetadata { movie_id }).unique_key(format!("enrich-metadata:{movie_id}"))
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

    async fn run(&self, _ctx: JobContext, job: EnrichMetadata) -> Result<(), JobError> {
        let enriched = self.0.enrich(job.movie_id, None).await.map_err(job_error)?;
        tracing::info!(movie_id = %job.movie_id, outcome = ?enriched, "enriched");
        Ok(())
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
