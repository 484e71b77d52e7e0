//! Artwork selection: every image offered for a movie's slots, or a TV series', season's or
//! episode's ([`ArtOwner`]), becomes a scored candidate (`repo`), and each unlocked slot below
//! its limit is filled in score order with images that are downloaded, checked, fingerprinted
//! and cached, skipping exact and near-duplicates of what the slot already holds.
//!
//! The rule users rely on: nothing selected is dropped before its replacement is safely in the
//! cache. A slot's new selection is written in one transaction, only from cached candidates,
//! and topped up with the old selection when downloads fail; a failed download never loses
//! artwork. The score and the duplicate rule are `metarr-artwork`'s (docs/artwork-scoring.md).

mod decode;
pub mod headshots;
pub mod offers;
pub mod owner;
pub mod repo;
pub mod tv;

use crate::cache;
use crate::catalogue::{CatalogueError, now_ms};
use crate::db::{Db, DbError, JsonText, Param};
use crate::enrich::EnrichServices;
use crate::events::AppEvents;
use crate::ids::MovieId;
use metarr_artwork::{ArtLanguage, ImageError, PHash, RankKey, Slot, SlotLimits, Source};
use metarr_providers::{ImageClient, Provider, ProviderError};
pub use owner::ArtOwner;
use repo::{Candidate, Measured};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Images decoded at once in this process (threads of the decode pool): a decoded poster takes
/// 20–40 MB, so this bounds the memory that fingerprints and previews use whatever the number
/// of jobs.
const DECODES_AT_ONCE: usize = 2;

/// What can go wrong while selecting artwork.
#[derive(Debug, thiserror::Error)]
pub enum ArtworkError {
    /// A provider asked to wait, or failed in a way worth retrying.
    #[error("artwork of {owner}")]
    Provider {
        owner: ArtOwner,
        #[source]
        error: ProviderError,
    },
    /// Bytes that are not a usable image (an upload, or a download the caller asked for).
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Writing into the cache or the previews folder failed.
    #[error(transparent)]
    Cache(#[from] cache::CacheError),
    /// Some downloads failed for now; the slots keep what they had and the job tries again.
    #[error("{0} image downloads failed for now; the slots keep their artwork")]
    Incomplete(usize),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

impl From<DbError> for ArtworkError {
    fn from(error: DbError) -> Self {
        ArtworkError::Catalogue(error.into())
    }
}

/// What artwork jobs and routes share.
pub struct ArtworkServices {
    pub db: Db,
    pub events: AppEvents,
    pub enrich: Arc<EnrichServices>,
    cache_root: PathBuf,
    previews_root: PathBuf,
    limits: SlotLimits,
    tmdb_images: ImageClient,
    fanart_images: ImageClient,
    /// Downloads at once per provider.
    tmdb_downloads: Semaphore,
    fanart_downloads: Semaphore,
    /// Cached files read back for fingerprinting, at once.
    local_reads: Semaphore,
    /// Every decode runs here (see `decode.rs` for why not on tokio's blocking threads).
    decodes: decode::DecodePool,
}

/// What one slot's selection did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SlotOutcome {
    pub selected: usize,
    pub downloaded: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub transient_failures: usize,
}

impl ArtworkServices {
    /// Services over the data directory's cache; downloads pass each provider's gate.
    pub fn new(
        db: Db,
        events: AppEvents,
        enrich: Arc<EnrichServices>,
        data_dir: &Path,
        settings: &crate::config::ArtworkSettings,
    ) -> ArtworkServices {
        let gate = enrich.gate();
        ArtworkServices {
            db,
            events,
            cache_root: data_dir.join("cache"),
            previews_root: data_dir.join("previews"),
            limits: settings.limits.clone(),
            tmdb_images: ImageClient::new(Provider::Tmdb, Arc::clone(&gate)),
            fanart_images: ImageClient::new(Provider::Fanart, Arc::clone(&gate)),
            tmdb_downloads: Semaphore::new(settings.download_concurrency),
            fanart_downloads: Semaphore::new(settings.download_concurrency),
            local_reads: Semaphore::new(DECODES_AT_ONCE),
            decodes: decode::DecodePool::new(DECODES_AT_ONCE),
            enrich,
        }
    }

    /// The configured limits (libraries override them).
    pub fn limits(&self) -> &SlotLimits {
        &self.limits
    }

    /// Where a cached image lives.
    pub fn cached_path(&self, sha256: &str, ext: &str) -> PathBuf {
        cache::path_for(&self.cache_root, sha256, ext)
    }

    /// The slot limits and locked slots of any owner.
    pub async fn slots_of(&self, owner: ArtOwner) -> Result<OwnerSlots, ArtworkError> {
        let (limits, locks, removed) = match owner {
            ArtOwner::Movie(movie_id) => return self.movie_slots(movie_id).await,
            ArtOwner::Series(id) => {
                let row: Option<(JsonText<SlotLimits>, JsonText<BTreeSet<String>>)> = self
                    .db
                    .fetch_optional(
                        "SELECT l.artwork_limits, s.locks FROM series s JOIN libraries l ON l.id = s.library_id \
                         WHERE s.id = $1",
                        &[id.into()],
                    )
                    .await?;
                let (JsonText(limits), JsonText(locks)) =
                    row.ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))?;
                (limits, locks, false)
            }
            ArtOwner::Season(id, number) => {
                let row: Option<(JsonText<SlotLimits>, Option<String>)> = self
                    .db
                    .fetch_optional(
                        "SELECT l.artwork_limits, se.locks FROM series s JOIN libraries l ON l.id = s.library_id \
                         LEFT JOIN seasons se ON se.series_id = s.id AND se.number = $2 WHERE s.id = $1",
                        &[id.into(), number.into()],
                    )
                    .await?;
                let (JsonText(limits), locks) =
                    row.ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))?;
                let locks = locks.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
                (limits, locks, false)
            }
            ArtOwner::Episode { series_id, episode_id } => {
                let row: Option<(JsonText<SlotLimits>, JsonText<BTreeSet<String>>)> = self
                    .db
                    .fetch_optional(
                        "SELECT l.artwork_limits, e.locks FROM episodes e JOIN series s ON s.id = e.series_id \
                         JOIN libraries l ON l.id = s.library_id WHERE e.id = $1 AND e.series_id = $2",
                        &[episode_id.into(), series_id.into()],
                    )
                    .await?;
                let (JsonText(limits), JsonText(locks)) =
                    row.ok_or_else(|| CatalogueError::NotFound(format!("episode {episode_id} not found")))?;
                (limits, locks, false)
            }
        };
        let limits = self.limits.with_overrides(&limits);
        let locked = owner.slots().iter().copied().filter(|slot| locks.contains(&repo::lock_name(*slot))).collect();
        Ok(OwnerSlots { tmdb_id: None, imdb_id: None, limits, locked, removed })
    }

    /// The slot limits and locked slots of a movie.
    pub async fn movie_slots(&self, movie_id: MovieId) -> Result<MovieSlots, ArtworkError> {
        type Row = (Option<i64>, Option<String>, JsonText<SlotLimits>, JsonText<BTreeSet<String>>, bool);
        let row: Option<Row> = self
            .db
            .fetch_optional(
                "SELECT m.tmdb_id, m.imdb_id, l.artwork_limits, m.locks, m.removed FROM movies m \
                 JOIN libraries l ON l.id = m.library_id WHERE m.id = $1",
                &[movie_id.into()],
            )
            .await?;
        let (tmdb_id, imdb_id, JsonText(library_limits), JsonText(locks), removed) =
            row.ok_or_else(|| CatalogueError::NotFound(format!("movie {movie_id} not found")))?;
        let limits = self.limits.with_overrides(&library_limits);
        let locked = Slot::MOVIE.into_iter().filter(|slot| locks.contains(&repo::lock_name(*slot))).collect();
        Ok(MovieSlots { tmdb_id, imdb_id, limits, locked, removed })
    }

    /// The language artwork is scored for (the metadata language's ISO 639-1 part).
    fn preferred_language(&self) -> String {
        self.enrich.settings().language.primary().to_owned()
    }

    /// Refreshes the movie's candidates from TMDB (its cached details), Fanart.tv and the
    /// movie folder, then fills every unlocked slot. Announces `movie.updated` when a
    /// selection changed.
    pub async fn refresh_and_select(&self, movie_id: MovieId, last_attempt: bool) -> Result<(), ArtworkError> {
        self.enrich.reload_if_stale().await.map_err(|err| CatalogueError::Internal(err.to_string()))?;
        let slots = self.movie_slots(movie_id).await?;
        // A movie the user removed keeps what it had; nothing new is fetched for it.
        let owner = ArtOwner::Movie(movie_id);
        if slots.removed || !slots.any_wanted(owner) {
            return Ok(());
        }
        let preferred = self.preferred_language();
        let mut provider_offers: Vec<(Source, Vec<offers::Offer>)> = Vec::new();
        if let Some(tmdb_id) = slots.tmdb_id {
            match self.enrich.tmdb_offers(movie_id, tmdb_id).await {
                Ok(Some(images)) => provider_offers.push((Source::Tmdb, images)),
                Ok(None) => {}
                Err(crate::enrich::EnrichError::Provider { error, .. }) => {
                    return Err(ArtworkError::Provider { owner, error });
                }
                Err(other) => return Err(CatalogueError::Internal(metarr_errors::chain(&other)).into()),
            }
            match self.enrich.fanart_offers(movie_id, tmdb_id).await {
                Ok(Some(fanart)) => provider_offers.push((Source::Fanart, fanart)),
                Ok(None) => {}
                // Fanart.tv is extra art: when it is down for good, TMDB's art still goes in.
                Err(crate::enrich::EnrichError::Provider { error, .. })
                    if error.retry_after().is_none() && (error.is_permanent() || last_attempt) =>
                {
                    tracing::warn!(%movie_id, error = %metarr_errors::chain(&error), "Fanart.tv art left out");
                }
                Err(crate::enrich::EnrichError::NotConfigured { .. }) => {}
                Err(crate::enrich::EnrichError::Provider { error, .. }) => {
                    return Err(ArtworkError::Provider { owner, error });
                }
                Err(other) => return Err(CatalogueError::Internal(metarr_errors::chain(&other)).into()),
            }
        }
        let locals = repo::local_images(&self.db, movie_id).await?;
        let mut tx = self.db.begin().await?;
        record_candidates(&mut tx, owner, &slots.limits, &provider_offers, locals, &preferred).await?;
        tx.commit().await?;
        self.select(owner, &slots).await?;
        // The enrichment before and this selection are what an `auto` library publishes.
        let mut tx = self.db.begin().await?;
        crate::jobs::publish::publish_if_auto(&mut tx, movie_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Records an owner's offers (the best [`repo::MAX_OFFERS_PER_SLOT`] of each slot it fills, per
/// source) and its folder's images as candidates, scored.
pub(crate) async fn record_candidates(
    tx: &mut crate::db::Tx,
    owner: ArtOwner,
    limits: &SlotLimits,
    provider_offers: &[(Source, Vec<offers::Offer>)],
    locals: Vec<repo::LocalImage>,
    preferred: &str,
) -> Result<(), ArtworkError> {
    {
        for (source, list) in provider_offers {
            let mut scored: Vec<(f64, &offers::Offer)> = list
                .iter()
                .filter(|offer| owner.has(offer.slot) && limits.get(offer.slot) > 0)
                .map(|offer| (score_offer(offer, preferred), offer))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut per_slot = std::collections::HashMap::new();
            scored.retain(|(_, offer)| {
                let count = per_slot.entry(offer.slot).or_insert(0usize);
                *count += 1;
                *count <= repo::MAX_OFFERS_PER_SLOT
            });
            let scored: Vec<repo::ScoredOffer<'_>> =
                scored.into_iter().map(|(score, offer)| repo::ScoredOffer { offer, score }).collect();
            repo::record_offers(tx, owner, *source, &scored).await?;
        }
        let local: Vec<(repo::LocalImage, Slot, f64)> = locals
            .into_iter()
            .filter_map(|image| {
                let slot = Slot::parse(&image.slot).filter(|slot| owner.has(*slot))?;
                let width = image.width.and_then(|w| u32::try_from(w).ok());
                let height = image.height.and_then(|h| u32::try_from(h).ok());
                let score =
                    score_of(slot, Source::Local, width, height, &ArtLanguage::Unknown, None, None, None, preferred);
                Some((image, slot, score))
            })
            .collect();
        repo::record_local(tx, owner, &local).await?;
    }
    Ok(())
}

impl ArtworkServices {
    /// Fills every unlocked slot of an owner from its recorded candidates. Returns whether a
    /// selection changed (announced for movies; a series announces once for all its owners).
    pub async fn select(&self, owner: ArtOwner, slots: &OwnerSlots) -> Result<bool, ArtworkError> {
        let candidates = repo::list(&self.db, owner).await?;
        self.select_from(owner, slots, candidates).await
    }

    /// [`Self::select`] over candidates already read.
    pub(crate) async fn select_from(
        &self,
        owner: ArtOwner,
        slots: &OwnerSlots,
        candidates: Vec<Candidate>,
    ) -> Result<bool, ArtworkError> {
        let preferred = self.preferred_language();
        let work = owner.slots().iter().copied().filter(|slot| !slots.locked.contains(slot)).map(|slot| {
            let of_slot: Vec<Candidate> = candidates.iter().filter(|c| c.slot == slot).cloned().collect();
            self.select_slot(owner, slot, slots.limits.get(slot), of_slot, &preferred)
        });
        let outcomes = futures::future::join_all(work).await;
        let mut changed = false;
        let mut transient = 0;
        for outcome in outcomes {
            let (outcome, slot_changed) = outcome?;
            changed |= slot_changed;
            transient += outcome.transient_failures;
        }
        if changed && let ArtOwner::Movie(movie_id) = owner {
            self.announce(movie_id).await;
        }
        if transient > 0 { Err(ArtworkError::Incomplete(transient)) } else { Ok(changed) }
    }

    /// Fills one slot: candidates in score order, each downloaded and measured if it is not
    /// yet, skipping the blocked, the rejected and duplicates of what is already chosen.
    async fn select_slot(
        &self,
        owner: ArtOwner,
        slot: Slot,
        limit: u32,
        mut candidates: Vec<Candidate>,
        preferred: &str,
    ) -> Result<(SlotOutcome, bool), ArtworkError> {
        let mut outcome = SlotOutcome::default();
        let before: Vec<i64> = selection_of(&candidates);
        let mut scores = Vec::new();
        for candidate in &mut candidates {
            let score = score_candidate(candidate, preferred);
            if (score - candidate.score).abs() > 1e-9 {
                candidate.score = score;
                scores.push((candidate.id, score));
            }
        }
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut ranked: Vec<Candidate> = candidates
            .iter()
            .filter(|c| !c.blocked && c.rejected.is_none() && (c.offered || c.position.is_some()))
            .cloned()
            .collect();
        ranked.sort_by(|a, b| metarr_artwork::rank(&rank_key(a), &rank_key(b)));
        let mut chosen: Vec<(Candidate, Option<PHash>)> = Vec::new();
        let mut duplicates: Vec<(i64, i64)> = Vec::new();
        let mut next = 0;
        while chosen.len() < limit && next < ranked.len() {
            // The next few in order are fetched together; they are judged in order after.
            let want = (limit - chosen.len()).max(1);
            let batch: Vec<Candidate> = ranked[next..].iter().take(want).cloned().collect();
            next += batch.len();
            // Judged in score order after all of the batch is measured.
            let measured = futures::future::join_all(batch.iter().map(|c| self.measure(c, preferred))).await;
            for result in measured {
                let (candidate, phash) = match result {
                    Ok(Measure::Ready(candidate, phash)) => (candidate, phash),
                    Ok(Measure::Downloaded(candidate, phash)) => {
                        outcome.downloaded += 1;
                        (candidate, phash)
                    }
                    Ok(Measure::Rejected) => {
                        outcome.rejected += 1;
                        continue;
                    }
                    Ok(Measure::Unavailable) => {
                        outcome.transient_failures += 1;
                        continue;
                    }
                    Err(err) => return Err(err),
                };
                if chosen.len() >= limit {
                    break;
                }
                let repeats = chosen.iter().find(|(other, other_hash)| {
                    other.sha256 == candidate.sha256
                        || matches!((other_hash, &phash), (Some(a), Some(b)) if metarr_artwork::is_near_duplicate(a, b))
                });
                if let Some((other, _)) = repeats {
                    duplicates.push((candidate.id, other.id));
                    outcome.duplicates += 1;
                    continue;
                }
                chosen.push((candidate, phash));
            }
        }
        // What was selected before and is still cached stays until something better is.
        if chosen.len() < limit {
            for id in &before {
                let Some(old) = candidates.iter().find(|c| c.id == *id && !c.blocked && c.sha256.is_some()) else {
                    continue;
                };
                if chosen.len() >= limit {
                    break;
                }
                if chosen.iter().all(|(c, _)| c.id != old.id && c.sha256 != old.sha256) {
                    chosen.push((old.clone(), old.phash.as_deref().and_then(PHash::from_base64)));
                }
            }
        }
        let after: Vec<i64> = chosen.iter().map(|(c, _)| c.id).collect();
        outcome.selected = after.len();
        let old_duplicates: Vec<(i64, i64)> =
            candidates.iter().filter_map(|c| c.duplicate_of.map(|of| (c.id, of))).collect();
        let changed = after != before;
        if changed || duplicates != old_duplicates || !scores.is_empty() {
            let mut tx = self.db.begin().await?;
            // The user may have locked the slot while images were downloading.
            if locks_in(&mut tx, owner).await?.contains(&repo::lock_name(slot)) {
                return Ok((outcome, false));
            }
            // Unchanged, `after` is `before`: only the duplicates or scores are new.
            repo::set_selection(&mut tx, owner, slot, &after, &duplicates, &scores).await?;
            if changed {
                touch(&mut tx, owner).await?;
            }
            tx.commit().await?;
        }
        Ok((outcome, changed))
    }

    /// Makes sure a candidate's image is cached and fingerprinted.
    async fn measure(&self, candidate: &Candidate, preferred: &str) -> Result<Measure, ArtworkError> {
        if let (Some(_), Some(phash)) = (&candidate.sha256, candidate.phash.as_deref().and_then(PHash::from_base64)) {
            return Ok(Measure::Ready(candidate.clone(), Some(phash)));
        }
        // The same image offered for another slot (a textless poster is key art too) or
        // another film is downloaded once.
        if let (None, Some(url)) = (&candidate.sha256, candidate.url.as_deref())
            && let Some(known) = repo::measured_by_url(&self.db, url).await?
            && let Some(phash) = PHash::from_base64(&known.phash)
            && tokio::fs::try_exists(self.cached_path(&known.sha256, &known.ext)).await.unwrap_or(false)
        {
            let (measured, record) = with_measured(candidate, known, preferred);
            repo::record_measured(&self.db, candidate.id, &record).await?;
            return Ok(Measure::Ready(measured, Some(phash)));
        }
        // Held until the image is cached: a job holds no bytes while it waits, so the images in
        // memory at once are bounded by these permits, not by the number of jobs.
        let _permit = self.pipeline(candidate).acquire().await.expect("the semaphore is never closed");
        let cached_bytes = match candidate.cached() {
            Some((sha256, ext)) => tokio::fs::read(self.cached_path(sha256, ext)).await.ok(),
            None => None,
        };
        let (bytes, downloaded) = match cached_bytes {
            Some(bytes) => (bytes, false),
            // A local file whose cache entry is gone (a cleaned disk) keeps its place; the next
            // scan caches it again.
            None if candidate.url.is_none() => return Ok(Measure::Ready(candidate.clone(), None)),
            None => match self.download(candidate.source, candidate.url.as_deref()).await {
                Ok(Some(bytes)) => (bytes, true),
                Ok(None) => {
                    repo::record_rejected(&self.db, candidate.id, "the provider no longer has this image").await?;
                    return Ok(Measure::Rejected);
                }
                Err(DownloadFailure::Permanent(reason)) => {
                    repo::record_rejected(&self.db, candidate.id, &reason).await?;
                    return Ok(Measure::Rejected);
                }
                Err(DownloadFailure::Wait(error)) => {
                    return Err(ArtworkError::Provider { owner: candidate.owner, error });
                }
                Err(DownloadFailure::Transient(reason)) => {
                    tracing::info!(candidate = candidate.id, reason, "artwork download failed for now");
                    return Ok(Measure::Unavailable);
                }
            },
        };
        let (fingerprint, bytes) = match self.fingerprint(bytes).await {
            Ok(checked) => checked,
            Err(ArtworkError::Image(err)) => {
                repo::record_rejected(&self.db, candidate.id, &err.to_string()).await?;
                return Ok(Measure::Rejected);
            }
            Err(err) => return Err(err),
        };
        let cached = self.keep(bytes, &fingerprint).await?;
        let known = Measured {
            sha256: cached.sha256,
            ext: cached.ext,
            width: fingerprint.width,
            height: fingerprint.height,
            file_size: cached.size,
            phash: fingerprint.phash.to_base64(),
            score: 0.0,
        };
        let (measured_candidate, measured) = with_measured(candidate, known, preferred);
        repo::record_measured(&self.db, candidate.id, &measured).await?;
        let phash = Some(fingerprint.phash);
        Ok(if downloaded {
            Measure::Downloaded(measured_candidate, phash)
        } else {
            Measure::Ready(measured_candidate, phash)
        })
    }

    /// Checks and fingerprints bytes off the executor, a bounded number at once; the bytes
    /// come back with the fingerprint.
    pub async fn fingerprint(&self, bytes: Vec<u8>) -> Result<(metarr_artwork::Fingerprint, Vec<u8>), ArtworkError> {
        let (result, bytes) = self
            .decodes
            .run(move || (metarr_artwork::inspect(&bytes), bytes))
            .await
            .map_err(|err| CatalogueError::Internal(format!("checking an image: {err}")))?;
        Ok((result?, bytes))
    }

    /// Puts checked image bytes into the content-addressed cache and records them as an asset.
    async fn keep(
        &self,
        bytes: Vec<u8>,
        fingerprint: &metarr_artwork::Fingerprint,
    ) -> Result<cache::Cached, ArtworkError> {
        let ext = fingerprint.format.ext().to_owned();
        let cache_root = self.cache_root.clone();
        let cached = crate::jobs::spawn_blocking_in_span(move || cache::store_bytes(&cache_root, &bytes, &ext))
            .await
            .map_err(|err| CatalogueError::Internal(format!("caching an image panicked: {err}")))??;
        let dimensions = Some((fingerprint.width, fingerprint.height));
        crate::catalogue::movies::record_asset(&self.db, &cached.sha256, &cached.ext, cached.size, dimensions).await?;
        Ok(cached)
    }

    /// The permits a candidate's download, check and caching take: its provider's.
    fn pipeline(&self, candidate: &Candidate) -> &Semaphore {
        match candidate.source {
            Source::Fanart => &self.fanart_downloads,
            Source::Tmdb => &self.tmdb_downloads,
            Source::Local | Source::Upload | Source::Other => &self.local_reads,
        }
    }

    /// Downloads a candidate's image through its provider's gate, a few at a time.
    async fn download(&self, source: Source, url: Option<&str>) -> Result<Option<Vec<u8>>, DownloadFailure> {
        let Some(url) = url else {
            return Err(DownloadFailure::Permanent("no URL to download from".to_owned()));
        };
        let client = match source {
            Source::Fanart => &self.fanart_images,
            // Only providers' candidates have a URL to download from.
            _ => &self.tmdb_images,
        };
        match client.download(url).await {
            Ok(bytes) => Ok(bytes),
            Err(error) if error.retry_after().is_some() => Err(DownloadFailure::Wait(error)),
            Err(error) if error.is_permanent() => Err(DownloadFailure::Permanent(metarr_errors::chain(&error))),
            Err(error) => Err(DownloadFailure::Transient(metarr_errors::chain(&error))),
        }
    }

    /// A small version of a candidate's image for the picker (at most 342 px wide), made once
    /// and kept in the data directory's `previews` folder. Provider images are fetched by
    /// Metarr (their small size where the provider has one), never by the browser.
    pub async fn preview(&self, candidate: &Candidate) -> Result<(Vec<u8>, &'static str), ArtworkError> {
        let name = match (&candidate.sha256, &candidate.preview_url, &candidate.url) {
            (Some(sha256), _, _) => format!("sha-{sha256}"),
            (None, Some(url), _) | (None, None, Some(url)) => {
                use sha2::Digest;
                format!("url-{:x}", sha2::Sha256::digest(url.as_bytes()))
            }
            (None, None, None) => {
                return Err(CatalogueError::NotFound(format!("artwork candidate {} has no image", candidate.id)).into());
            }
        };
        for (ext, content_type) in [("jpg", "image/jpeg"), ("png", "image/png")] {
            if let Ok(bytes) = tokio::fs::read(self.previews_root.join(format!("{name}.{ext}"))).await {
                return Ok((bytes, content_type));
            }
        }
        let bytes = match (candidate.cached(), candidate.preview_url.as_deref().or(candidate.url.as_deref())) {
            (Some((sha256, ext)), _) => tokio::fs::read(self.cached_path(sha256, ext))
                .await
                .map_err(|err| CatalogueError::NotFound(format!("cached image {sha256} unreadable: {err}")))?,
            (None, Some(url)) => {
                let client = if candidate.source == Source::Fanart { &self.fanart_images } else { &self.tmdb_images };
                client
                    .download(url)
                    .await
                    .map_err(|error| ArtworkError::Provider { owner: candidate.owner, error })?
                    .ok_or_else(|| CatalogueError::NotFound("the provider no longer has this image".to_owned()))?
            }
            (None, None) => {
                return Err(CatalogueError::NotFound(format!("artwork candidate {} has no image", candidate.id)).into());
            }
        };
        let root = self.previews_root.clone();
        self.decodes
            .run(move || -> Result<(Vec<u8>, &'static str), ArtworkError> {
                let (preview, format) = metarr_artwork::preview(&bytes)?;
                let ext = format.ext();
                std::fs::create_dir_all(&root)
                    .map_err(|source| cache::CacheError::Write { path: root.clone(), source })?;
                let target = root.join(format!("{name}.{ext}"));
                let mut temp = tempfile::Builder::new()
                    .prefix(".tmp")
                    .tempfile_in(&root)
                    .map_err(|source| cache::CacheError::Write { path: root.clone(), source })?;
                std::io::Write::write_all(&mut temp, &preview)
                    .map_err(|source| cache::CacheError::Write { path: target.clone(), source })?;
                temp.persist(&target)
                    .map_err(|err| cache::CacheError::Write { path: target.clone(), source: err.error })?;
                Ok((preview, format.content_type()))
            })
            .await
            .map_err(|err| CatalogueError::Internal(format!("making a preview: {err}")))?
    }

    /// Checks an uploaded image, caches it and makes it the first of its slot, which is then
    /// locked (the user chose it).
    pub async fn upload(&self, owner: ArtOwner, slot: Slot, bytes: Vec<u8>) -> Result<i64, ArtworkError> {
        let slots = self.slots_of(owner).await?;
        check_slot(owner, slot)?;
        let (fingerprint, bytes) = self.fingerprint(bytes).await?;
        let cached = self.keep(bytes, &fingerprint).await?;
        let preferred = self.preferred_language();
        let score = score_of(
            slot,
            Source::Upload,
            Some(fingerprint.width),
            Some(fingerprint.height),
            &ArtLanguage::Unknown,
            None,
            None,
            None,
            &preferred,
        );
        let measured = Measured {
            sha256: cached.sha256,
            ext: cached.ext,
            width: fingerprint.width,
            height: fingerprint.height,
            file_size: cached.size,
            phash: fingerprint.phash.to_base64(),
            score,
        };
        let mut tx = self.db.begin().await?;
        let id = repo::record_upload(&mut tx, owner, slot, &measured).await?;
        let current = repo::selection_in(&mut tx, owner, slot).await?;
        let limit = usize::try_from(slots.limits.get(slot).max(1)).unwrap_or(1);
        let selection: Vec<i64> =
            std::iter::once(id).chain(current.into_iter().filter(|other| *other != id)).take(limit).collect();
        repo::set_selection(&mut tx, owner, slot, &selection, &[], &[]).await?;
        toggle_lock(&mut tx, owner, slot, true).await?;
        touch(&mut tx, owner).await?;
        publish_if_auto(&mut tx, owner).await?;
        tx.commit().await?;
        self.announce_owner(owner).await;
        Ok(id)
    }

    /// The user's choice for a slot, in order: each candidate is downloaded first if it is not
    /// cached, and the slot is locked.
    pub async fn choose(&self, owner: ArtOwner, slot: Slot, ids: &[i64]) -> Result<(), ArtworkError> {
        self.slots_of(owner).await?;
        check_slot(owner, slot)?;
        if ids.len() > metarr_artwork::slot::MAX_LIMIT as usize {
            return Err(CatalogueError::Invalid(format!(
                "at most {} images per slot",
                metarr_artwork::slot::MAX_LIMIT
            ))
            .into());
        }
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        if unique.len() != ids.len() {
            return Err(CatalogueError::Invalid("a candidate is chosen twice".to_owned()).into());
        }
        let preferred = self.preferred_language();
        for id in ids {
            let candidate = repo::get(&self.db, *id).await.map_err(|err| match err {
                CatalogueError::NotFound(message) => CatalogueError::Invalid(message),
                other => other,
            })?;
            if candidate.owner != owner || candidate.slot != slot {
                return Err(CatalogueError::Invalid(format!(
                    "candidate {id} is not one of the {} candidates of {owner}",
                    slot.as_str()
                ))
                .into());
            }
            if candidate.blocked {
                return Err(CatalogueError::Invalid(format!("candidate {id} is blocked; unblock it first")).into());
            }
            if let Some(reason) = &candidate.rejected {
                return Err(CatalogueError::Invalid(format!("candidate {id} cannot be used: {reason}")).into());
            }
            match self.measure(&candidate, &preferred).await? {
                Measure::Ready(..) | Measure::Downloaded(..) => {}
                Measure::Rejected => {
                    let reason = repo::get(&self.db, *id).await?.rejected.unwrap_or_default();
                    return Err(CatalogueError::Invalid(format!("candidate {id} cannot be used: {reason}")).into());
                }
                Measure::Unavailable => {
                    return Err(ArtworkError::Incomplete(1));
                }
            }
        }
        let mut tx = self.db.begin().await?;
        repo::set_selection(&mut tx, owner, slot, ids, &[], &[]).await?;
        toggle_lock(&mut tx, owner, slot, true).await?;
        touch(&mut tx, owner).await?;
        publish_if_auto(&mut tx, owner).await?;
        tx.commit().await?;
        self.announce_owner(owner).await;
        Ok(())
    }

    /// Blocks or unblocks a candidate. A selected one leaves its slot, and a further selection
    /// (not unique: one running now read the slot before) fills the slot again unless locked.
    pub async fn set_blocked(&self, id: i64, blocked: bool) -> Result<Candidate, ArtworkError> {
        let before = repo::get(&self.db, id).await?;
        let refill = blocked && before.position.is_some();
        let mut tx = self.db.begin().await?;
        let candidate = repo::set_blocked(&mut tx, id, blocked).await?;
        if refill {
            tx.enqueue(crate::jobs::artwork::select_job_after_change(candidate.owner)).await?;
        }
        tx.commit().await?;
        if refill {
            self.announce_owner(candidate.owner).await;
        }
        Ok(candidate)
    }

    /// Locks or unlocks a slot; unlocking queues a selection that fills it again. Returns the
    /// owner's locks.
    pub async fn set_slot_lock(&self, owner: ArtOwner, slot: Slot, locked: bool) -> Result<Vec<String>, ArtworkError> {
        self.slots_of(owner).await?;
        check_slot(owner, slot)?;
        let mut tx = self.db.begin().await?;
        let locks = toggle_lock(&mut tx, owner, slot, locked).await?;
        if !locked {
            tx.enqueue(crate::jobs::artwork::select_job_after_change(owner)).await?;
        }
        tx.commit().await?;
        Ok(locks.into_iter().collect())
    }

    /// `movie.updated` with the movie's list shape.
    pub async fn announce(&self, movie_id: MovieId) {
        if let Ok(detail) = crate::catalogue::movies::detail(&self.db, movie_id).await {
            self.events.publish("movie.updated", &detail.summary);
        }
    }

    /// `movie.updated` or `series.updated` for the owner's movie or series.
    pub async fn announce_owner(&self, owner: ArtOwner) {
        match owner {
            ArtOwner::Movie(movie_id) => self.announce(movie_id).await,
            _ => {
                if let Some(series_id) = owner.series_id()
                    && let Ok(detail) = crate::catalogue::series::detail(&self.db, series_id).await
                {
                    self.events.publish("series.updated", &detail.summary);
                }
            }
        }
    }
}

/// Refuses a slot the owner does not have (a movie has no `thumb`, a season no `clearlogo`).
fn check_slot(owner: ArtOwner, slot: Slot) -> Result<(), ArtworkError> {
    if owner.has(slot) {
        return Ok(());
    }
    let names: Vec<&str> = owner.slots().iter().map(|slot| slot.as_str()).collect();
    Err(CatalogueError::Invalid(format!("{owner} has no {slot} slot; its slots: {}", names.join(", "))).into())
}

/// An owner's locks, inside a transaction (none for a season without a row yet).
async fn locks_in(tx: &mut crate::db::Tx, owner: ArtOwner) -> Result<BTreeSet<String>, ArtworkError> {
    let (table, condition, params) = owner.lock_row().locate(1);
    let row: Option<(JsonText<BTreeSet<String>>,)> =
        tx.fetch_optional(&format!("SELECT locks FROM {table} WHERE {condition}"), &params).await?;
    Ok(row.map(|(JsonText(locks),)| locks).unwrap_or_default())
}

/// Locks or unlocks a slot in its owner's `locks` (`artwork.<slot>`); a season gets its row
/// first if the folder had none. Returns the locks as they are now.
pub async fn toggle_lock(
    tx: &mut crate::db::Tx,
    owner: ArtOwner,
    slot: Slot,
    locked: bool,
) -> Result<BTreeSet<String>, ArtworkError> {
    if let ArtOwner::Season(series_id, number) = owner {
        let now = now_ms();
        tx.execute(
            "INSERT INTO seasons (series_id, number, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (series_id, number) DO NOTHING",
            &[series_id.into(), number.into(), now.into()],
        )
        .await?;
    }
    let mut locks = locks_in(tx, owner).await?;
    let name = repo::lock_name(slot);
    if locked {
        locks.insert(name);
    } else {
        locks.remove(&name);
    }
    let text = serde_json::to_string(&locks).expect("strings always serialise");
    let (table, condition, mut params) = owner.lock_row().locate(3);
    params.splice(0..0, [Param::from(text), now_ms().into()]);
    tx.execute(&format!("UPDATE {table} SET locks = $1, updated_at = $2 WHERE {condition}"), &params).await?;
    Ok(locks)
}

/// Marks the owner's movie or series changed (lists sort and sync by it).
async fn touch(tx: &mut crate::db::Tx, owner: ArtOwner) -> Result<(), ArtworkError> {
    let (table, id) = match owner {
        ArtOwner::Movie(id) => ("movies", id.get()),
        other => ("series", other.series_id().map(crate::ids::SeriesId::get).unwrap_or_default()),
    };
    tx.execute(&format!("UPDATE {table} SET updated_at = $1 WHERE id = $2"), &[now_ms().into(), id.into()]).await?;
    Ok(())
}

/// Queues the publish of the owner's movie or series when its library publishes by itself.
async fn publish_if_auto(tx: &mut crate::db::Tx, owner: ArtOwner) -> Result<(), ArtworkError> {
    match owner {
        ArtOwner::Movie(movie_id) => crate::jobs::publish::publish_if_auto(tx, movie_id).await?,
        other => {
            if let Some(series_id) = other.series_id() {
                crate::jobs::publish::publish_series_if_auto(tx, series_id).await?;
            }
        }
    }
    Ok(())
}

/// An owner's artwork settings.
#[derive(Debug, Clone)]
pub struct OwnerSlots {
    /// A movie's ids (TV owners read theirs from the series).
    pub tmdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    pub limits: SlotLimits,
    pub locked: BTreeSet<Slot>,
    /// The user removed the movie from the catalogue.
    pub removed: bool,
}

impl OwnerSlots {
    /// Whether any of the owner's slots takes images.
    pub fn any_wanted(&self, owner: ArtOwner) -> bool {
        owner.slots().iter().any(|slot| self.limits.get(*slot) > 0)
    }
}

/// A movie's artwork settings.
pub type MovieSlots = OwnerSlots;

enum Measure {
    /// Cached and fingerprinted already (the hash is `None` for a cached file that is gone).
    Ready(Candidate, Option<PHash>),
    /// Downloaded, checked and cached now.
    Downloaded(Candidate, Option<PHash>),
    /// Never usable; the reason is recorded.
    Rejected,
    /// Could not be fetched now; tried again later.
    Unavailable,
}

enum DownloadFailure {
    Permanent(String),
    Transient(String),
    Wait(ProviderError),
}

/// A candidate with what measuring its image found, rescored; and the record to store.
fn with_measured(candidate: &Candidate, known: Measured, preferred: &str) -> (Candidate, Measured) {
    let mut measured = candidate.clone();
    measured.sha256 = Some(known.sha256.clone());
    measured.ext = Some(known.ext.clone());
    measured.width = Some(known.width);
    measured.height = Some(known.height);
    measured.file_size = Some(known.file_size);
    measured.phash = Some(known.phash.clone());
    measured.score = score_candidate(&measured, preferred);
    let score = measured.score;
    (measured, Measured { score, ..known })
}

fn selection_of(candidates: &[Candidate]) -> Vec<i64> {
    let mut selected: Vec<&Candidate> = candidates.iter().filter(|c| c.position.is_some()).collect();
    selected.sort_by_key(|c| c.position);
    selected.into_iter().map(|c| c.id).collect()
}

fn rank_key(candidate: &Candidate) -> RankKey {
    RankKey {
        total: candidate.score,
        source_points: candidate.source.points(),
        votes: candidate.votes.or(candidate.likes).unwrap_or(0),
        file_size: candidate.file_size,
        id: candidate.id,
    }
}

#[allow(clippy::too_many_arguments, reason = "one argument per input of the documented score")]
fn score_of(
    slot: Slot,
    source: Source,
    width: Option<u32>,
    height: Option<u32>,
    language: &ArtLanguage,
    vote_average: Option<f64>,
    votes: Option<u64>,
    likes: Option<u64>,
    preferred: &str,
) -> f64 {
    let input = metarr_artwork::Candidate { slot, source, width, height, language, vote_average, votes, likes };
    metarr_artwork::score(&input, preferred).total
}

fn score_offer(offer: &offers::Offer, preferred: &str) -> f64 {
    score_of(
        offer.slot,
        offer.source,
        offer.width,
        offer.height,
        &offer.language,
        offer.vote_average,
        offer.votes,
        offer.likes,
        preferred,
    )
}

fn score_candidate(candidate: &Candidate, preferred: &str) -> f64 {
    score_of(
        candidate.slot,
        candidate.source,
        candidate.width,
        candidate.height,
        &candidate.art_language(),
        candidate.vote_average,
        candidate.votes,
        candidate.likes,
        preferred,
    )
}
