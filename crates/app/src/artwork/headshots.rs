//! Actors' headshots: TMDB profile images of a movie's cast, cached once per person
//! (`person_images`, keyed by TMDB person id), whatever the number of films they are in.

use super::{ArtworkError, ArtworkServices, DownloadFailure};
use crate::catalogue::movies::Actor;
use crate::catalogue::{CatalogueError, now_ms};
use crate::db::{Db, JsonText, Param};
use crate::ids::MovieId;
use metarr_artwork::Source;
use std::collections::HashMap;

/// The cast members whose headshots are kept: the billed ones a movie page shows.
pub const ACTORS_PER_MOVIE: usize = 30;

impl ArtworkServices {
    /// Caches the headshots of a movie's billed cast that are not cached yet. Returns how many
    /// were downloaded now; a download that failed for now makes the job try again.
    pub async fn cache_headshots(&self, movie_id: MovieId) -> Result<usize, ArtworkError> {
        let row: Option<(JsonText<Vec<Actor>>,)> =
            self.db.fetch_optional("SELECT actors FROM movies WHERE id = $1", &[movie_id.into()]).await?;
        let (JsonText(actors),) = row.ok_or_else(|| CatalogueError::NotFound(format!("movie {movie_id} not found")))?;
        let wanted: Vec<(i64, String)> = actors
            .iter()
            .filter_map(|actor| Some((actor.tmdb_id?, actor.profile.clone()?)))
            .take(ACTORS_PER_MOVIE)
            .collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        let known = known(&self.db, &wanted.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await?;
        let missing: Vec<(i64, String)> = wanted
            .into_iter()
            .filter(|(id, url)| match known.get(id) {
                // Cached, or refused for this very URL: nothing to do until TMDB changes it.
                Some((known_url, _)) => known_url != url,
                None => true,
            })
            .collect();
        let results = futures::future::join_all(missing.iter().map(|(id, url)| self.cache_headshot(*id, url))).await;
        let mut downloaded = 0;
        let mut transient = 0;
        for result in results {
            match result? {
                Some(true) => downloaded += 1,
                Some(false) => {}
                None => transient += 1,
            }
        }
        if transient > 0 { Err(ArtworkError::Incomplete(transient)) } else { Ok(downloaded) }
    }

    /// One headshot: `Some(true)` cached, `Some(false)` refused for good, `None` failed for now.
    async fn cache_headshot(&self, person_id: i64, url: &str) -> Result<Option<bool>, ArtworkError> {
        let _permit = self.tmdb_downloads.acquire().await.expect("the semaphore is never closed");
        let bytes = match self.download(Source::Tmdb, Some(url)).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return record_failed(&self.db, person_id, url, "TMDB no longer has this image").await,
            Err(DownloadFailure::Permanent(reason)) => return record_failed(&self.db, person_id, url, &reason).await,
            Err(DownloadFailure::Wait(error)) => {
                return Err(ArtworkError::Provider { owner: crate::artwork::ArtOwner::Movie(MovieId(0)), error });
            }
            Err(DownloadFailure::Transient(_)) => return Ok(None),
        };
        let (fingerprint, bytes) = match self.fingerprint(bytes).await {
            Ok(checked) => checked,
            Err(ArtworkError::Image(err)) => return record_failed(&self.db, person_id, url, &err.to_string()).await,
            Err(err) => return Err(err),
        };
        let cached = self.keep(bytes, &fingerprint).await?;
        self.db
            .execute(
                "INSERT INTO person_images (tmdb_person_id, url, sha256, ext, failed, updated_at) \
                 VALUES ($1, $2, $3, $4, NULL, $5) \
                 ON CONFLICT (tmdb_person_id) DO UPDATE SET url = excluded.url, sha256 = excluded.sha256, \
                     ext = excluded.ext, failed = NULL, updated_at = excluded.updated_at",
                &[person_id.into(), url.into(), cached.sha256.into(), cached.ext.into(), now_ms().into()],
            )
            .await?;
        Ok(Some(true))
    }
}

async fn record_failed(db: &Db, person_id: i64, url: &str, reason: &str) -> Result<Option<bool>, ArtworkError> {
    let reason: String = reason.chars().take(300).collect();
    db.execute(
        "INSERT INTO person_images (tmdb_person_id, url, sha256, ext, failed, updated_at) \
         VALUES ($1, $2, NULL, NULL, $3, $4) \
         ON CONFLICT (tmdb_person_id) DO UPDATE SET url = excluded.url, failed = excluded.failed, \
             updated_at = excluded.updated_at",
        &[person_id.into(), url.into(), reason.into(), now_ms().into()],
    )
    .await?;
    Ok(Some(false))
}

/// For each person known: the URL last tried and whether its image is cached.
async fn known(db: &Db, person_ids: &[i64]) -> Result<HashMap<i64, (String, bool)>, ArtworkError> {
    let params: Vec<Param> = person_ids.iter().map(|id| Param::from(*id)).collect();
    let list: Vec<String> = (1..=person_ids.len()).map(|n| format!("${n}")).collect();
    let rows: Vec<(i64, String, Option<String>)> = db
        .fetch_all(
            &format!(
                "SELECT tmdb_person_id, url, sha256 FROM person_images WHERE tmdb_person_id IN ({})",
                list.join(", ")
            ),
            &params,
        )
        .await?;
    Ok(rows.into_iter().map(|(id, url, sha256)| (id, (url, sha256.is_some()))).collect())
}

/// The cached headshot (sha256) of each of these people that has one.
pub async fn cached(db: &Db, person_ids: &[i64]) -> Result<HashMap<i64, String>, CatalogueError> {
    if person_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let params: Vec<Param> = person_ids.iter().map(|id| Param::from(*id)).collect();
    let list: Vec<String> = (1..=person_ids.len()).map(|n| format!("${n}")).collect();
    let rows: Vec<(i64, String)> = db
        .fetch_all(
            &format!(
                "SELECT tmdb_person_id, sha256 FROM person_images WHERE sha256 IS NOT NULL AND tmdb_person_id IN ({})",
                list.join(", ")
            ),
            &params,
        )
        .await?;
    Ok(rows.into_iter().collect())
}
