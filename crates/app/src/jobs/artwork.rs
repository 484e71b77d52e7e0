//! `select-artwork` (refresh a movie's candidates and fill its slots), `select-series-artwork`
//! (the same for a TV series, its seasons and its episodes) and `cache-headshots` (a movie's
//! cast's profile images), each unique per movie or series and queued by enrichment.
//!
//! A provider's "not now" snoozes the job; downloads that failed for now leave every slot as
//! it was and back the job off; a movie gone meanwhile ends it.

use crate::artwork::{ArtOwner, ArtworkError, ArtworkServices};
use crate::catalogue::CatalogueError;
use crate::ids::{MovieId, SeriesId};
use async_trait::async_trait;
use metarr_queue::{Handler, JobContext, JobError, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Refreshes one movie's artwork candidates and fills its unlocked slots.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelectArtwork {
    pub movie_id: MovieId,
}

// Beside enrichment, which queues it: the pictures follow the words.
job_kind!(SelectArtwork = "select-artwork", attempts: 5, priority: 7);

/// Refreshes the artwork candidates of a series, its seasons and its episodes, and fills
/// their unlocked slots.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelectSeriesArtwork {
    pub series_id: SeriesId,
}

job_kind!(SelectSeriesArtwork = "select-series-artwork", attempts: 5, priority: 7);

/// Caches the headshots of one movie's cast.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheHeadshots {
    pub movie_id: MovieId,
}

// After the movie's own artwork.
job_kind!(CacheHeadshots = "cache-headshots", attempts: 5, priority: 8);

/// The `select-artwork` job of a movie, unique per movie.
pub fn select_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&SelectArtwork { movie_id }).unique_key(format!("select-artwork:{movie_id}"))
}

/// The `select-series-artwork` job of a series, unique per series.
pub fn series_select_job(series_id: SeriesId) -> NewJob {
    NewJob::of(&SelectSeriesArtwork { series_id }).unique_key(format!("select-series-artwork:{series_id}"))
}

/// A selection job after the user changed something (a block, an unlock): not unique, since a
/// job of the movie or series already running read the slots before the change and would not
/// see it.
pub fn select_job_after_change(owner: ArtOwner) -> NewJob {
    match (owner, owner.series_id()) {
        (ArtOwner::Movie(movie_id), _) => NewJob::of(&SelectArtwork { movie_id }),
        (_, Some(series_id)) => NewJob::of(&SelectSeriesArtwork { series_id }),
        (_, None) => unreachable!("every TV owner names its series"),
    }
}

/// The `cache-headshots` job of a movie, unique per movie.
pub fn headshots_job(movie_id: MovieId) -> NewJob {
    NewJob::of(&CacheHeadshots { movie_id }).unique_key(format!("cache-headshots:{movie_id}"))
}

fn job_error(error: ArtworkError) -> JobError {
    match &error {
        ArtworkError::Provider { error: provider_error, .. } => {
            if let Some(retry_after) = provider_error.retry_after() {
                JobError::Snooze(retry_after)
            } else if provider_error.is_permanent() {
                JobError::Permanent(metarr_errors::chain(&error))
            } else {
                JobError::retryable(error)
            }
        }
        // The movie went away since the job was queued.
        ArtworkError::Catalogue(CatalogueError::NotFound(message)) => JobError::Permanent(message.clone()),
        _ => JobError::retryable(error),
    }
}

/// Runs `select-artwork`.
pub struct SelectArtworkHandler(pub Arc<ArtworkServices>);

#[async_trait]
impl Handler for SelectArtworkHandler {
    type Job = SelectArtwork;

    async fn run(&self, ctx: JobContext, job: SelectArtwork) -> Result<(), JobError> {
        let last_attempt = ctx.job().attempt >= ctx.job().max_attempts;
        self.0.refresh_and_select(job.movie_id, last_attempt).await.map_err(job_error)
    }
}

/// Runs `select-series-artwork`.
pub struct SelectSeriesArtworkHandler(pub Arc<ArtworkServices>);

#[async_trait]
impl Handler for SelectSeriesArtworkHandler {
    type Job = SelectSeriesArtwork;

    async fn run(&self, ctx: JobContext, job: SelectSeriesArtwork) -> Result<(), JobError> {
        let last_attempt = ctx.job().attempt >= ctx.job().max_attempts;
        self.0.refresh_and_select_series(job.series_id, last_attempt).await.map_err(job_error)
    }
}

/// Runs `cache-headshots`.
pub struct CacheHeadshotsHandler(pub Arc<ArtworkServices>);

#[async_trait]
impl Handler for CacheHeadshotsHandler {
    type Job = CacheHeadshots;

    async fn run(&self, _ctx: JobContext, job: CacheHeadshots) -> Result<(), JobError> {
        let cached = self.0.cache_headshots(job.movie_id).await.map_err(job_error)?;
        tracing::debug!(movie_id = %job.movie_id, cached, "headshots cached");
        Ok(())
    }
}
