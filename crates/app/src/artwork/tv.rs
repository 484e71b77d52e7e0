//! TV artwork (docs/tv.md, "Artwork"): a series', its seasons' and its episodes' candidates from
//! TMDB (the series' and seasons' `images`, each episode's still), Fanart.tv (by TVDB id) and
//! the series folder, each owner's slots then filled exactly as a movie's are.
//!
//! Seasons and episodes get artwork only while something of them is on disk: a season poster
//! for a season nobody has would only clutter the folder.

use super::offers::{self, Offer};
use super::repo::{self, Candidate, LocalImage};
use super::{ArtOwner, ArtworkError, ArtworkServices, OwnerSlots, record_candidates};
use crate::catalogue::CatalogueError;
use crate::db::JsonText;
use crate::enrich::EnrichError;
use crate::ids::{EpisodeId, SeriesId};
use metarr_artwork::{Slot, SlotLimits, Source};
use std::collections::{BTreeMap, BTreeSet};

/// An owner's offers, by source.
type OwnerOffers = BTreeMap<ArtOwner, Vec<(Source, Vec<Offer>)>>;

impl ArtworkServices {
    /// Refreshes the candidates of a series, its seasons and its episodes, then fills every
    /// unlocked slot of each. Announces `series.updated` once when a selection changed, and
    /// queues the series' publish when its library publishes by itself.
    pub async fn refresh_and_select_series(&self, series_id: SeriesId, last_attempt: bool) -> Result<(), ArtworkError> {
        self.enrich.reload_if_stale().await.map_err(|err| CatalogueError::Internal(err.to_string()))?;
        let layout = self.series_layout(series_id).await?;
        let series = ArtOwner::Series(series_id);
        if !layout.owners().any(|(owner, slots)| slots.any_wanted(owner)) {
            return Ok(());
        }
        let mut found: OwnerOffers = BTreeMap::new();
        let mut add = |owner: ArtOwner, source: Source, offer: Offer| {
            let by_source = found.entry(owner).or_default();
            match by_source.iter_mut().find(|(s, _)| *s == source) {
                Some((_, list)) => list.push(offer),
                None => by_source.push((source, vec![offer])),
            }
        };
        if let Some(tmdb_id) = layout.tmdb_id {
            match self.enrich.tmdb_tv_images(series_id, tmdb_id).await {
                Ok(Some(images)) => {
                    if let Some(list) = &images.series.images {
                        for offer in offers::from_tmdb(list, &images.tmdb) {
                            add(series, Source::Tmdb, offer);
                        }
                    }
                    for season in &images.seasons {
                        let owner = ArtOwner::Season(series_id, i64::from(season.season_number));
                        if !layout.seasons.contains_key(&i64::from(season.season_number)) {
                            continue;
                        }
                        if let Some(list) = &season.images {
                            for offer in offers::from_tmdb(list, &images.tmdb) {
                                add(owner, Source::Tmdb, offer);
                            }
                        }
                        for episode in &season.episodes {
                            let number = (i64::from(episode.season_number), i64::from(episode.episode_number));
                            let (Some(id), Some(still)) = (layout.by_number.get(&number), &episode.still_path) else {
                                continue;
                            };
                            if let Some(offer) = offers::tmdb_still(still, &images.tmdb) {
                                add(ArtOwner::Episode { series_id, episode_id: *id }, Source::Tmdb, offer);
                            }
                        }
                    }
                }
                Ok(None) => {}
                Err(EnrichError::Provider { error, .. }) => {
                    return Err(ArtworkError::Provider { owner: series, error });
                }
                Err(other) => return Err(CatalogueError::Internal(metarr_errors::chain(&other)).into()),
            }
        }
        if let Some(tvdb_id) = layout.tvdb_id {
            match self.enrich.fanart_tv(series_id, tvdb_id).await {
                Ok(Some(tv)) => {
                    for (season, offer) in offers::from_fanart_tv(&tv) {
                        let owner = match season {
                            None => series,
                            Some(number) if layout.seasons.contains_key(&i64::from(number)) => {
                                ArtOwner::Season(series_id, i64::from(number))
                            }
                            Some(_) => continue,
                        };
                        add(owner, Source::Fanart, offer);
                    }
                }
                Ok(None) | Err(EnrichError::NotConfigured { .. }) => {}
                // Fanart.tv is extra art: when it is down for good, TMDB's art still goes in.
                Err(EnrichError::Provider { error, .. })
                    if error.retry_after().is_none() && (error.is_permanent() || last_attempt) =>
                {
                    tracing::warn!(%series_id, error = %metarr_errors::chain(&error), "Fanart.tv art left out");
                }
                Err(EnrichError::Provider { error, .. }) => {
                    return Err(ArtworkError::Provider { owner: series, error });
                }
                Err(other) => return Err(CatalogueError::Internal(metarr_errors::chain(&other)).into()),
            }
        }
        let mut locals: BTreeMap<ArtOwner, Vec<LocalImage>> = BTreeMap::new();
        for (owner, image) in repo::series_local_images(&self.db, series_id).await? {
            locals.entry(owner).or_default().push(image);
        }
        let preferred = self.preferred_language();
        let mut tx = self.db.begin().await?;
        for (owner, slots) in layout.owners() {
            let offered = found.get(&owner).map(Vec::as_slice).unwrap_or_default();
            let local = locals.remove(&owner).unwrap_or_default();
            record_candidates(&mut tx, owner, &slots.limits, offered, local, &preferred).await?;
        }
        tx.commit().await?;
        let mut candidates: BTreeMap<ArtOwner, Vec<Candidate>> = BTreeMap::new();
        for candidate in repo::list_of_series(&self.db, series_id).await? {
            candidates.entry(candidate.owner).or_default().push(candidate);
        }
        let (mut changed, mut incomplete) = (false, 0);
        for (owner, slots) in layout.owners() {
            let of_owner = candidates.remove(&owner).unwrap_or_default();
            if of_owner.is_empty() {
                continue;
            }
            match self.select_from(owner, &slots, of_owner).await {
                Ok(owner_changed) => changed |= owner_changed,
                Err(ArtworkError::Incomplete(count)) => incomplete += count,
                Err(other) => return Err(other),
            }
        }
        if changed {
            self.announce_owner(series).await;
        }
        let mut tx = self.db.begin().await?;
        crate::jobs::publish::publish_series_if_auto(&mut tx, series_id).await?;
        tx.commit().await?;
        if incomplete > 0 { Err(ArtworkError::Incomplete(incomplete)) } else { Ok(()) }
    }

    /// What a series' artwork is chosen for: its ids, limits and every owner's locks.
    async fn series_layout(&self, series_id: SeriesId) -> Result<SeriesLayout, ArtworkError> {
        type SeriesRow = (Option<i64>, Option<i64>, JsonText<SlotLimits>, JsonText<BTreeSet<String>>);
        let row: Option<SeriesRow> = self
            .db
            .fetch_optional(
                "SELECT s.tmdb_id, s.tvdb_id, l.artwork_limits, s.locks FROM series s \
                 JOIN libraries l ON l.id = s.library_id WHERE s.id = $1",
                &[series_id.into()],
            )
            .await?;
        let (tmdb_id, tvdb_id, JsonText(library_limits), JsonText(series_locks)) =
            row.ok_or_else(|| CatalogueError::NotFound(format!("series {series_id} not found")))?;
        type EpisodeRow = (EpisodeId, Option<i64>, Option<i64>, JsonText<BTreeSet<String>>);
        let episodes: Vec<EpisodeRow> = self
            .db
            .fetch_all(
                "SELECT id, season, episode, locks FROM episodes WHERE series_id = $1 AND video IS NOT NULL ORDER BY id",
                &[series_id.into()],
            )
            .await?;
        let season_locks: Vec<(i64, JsonText<BTreeSet<String>>)> =
            self.db.fetch_all("SELECT number, locks FROM seasons WHERE series_id = $1", &[series_id.into()]).await?;
        let local_seasons: Vec<(i64,)> = self
            .db
            .fetch_all(
                "SELECT DISTINCT season FROM series_files WHERE series_id = $1 AND scope = 'season' \
                 AND season IS NOT NULL",
                &[series_id.into()],
            )
            .await?;
        let season_locks: BTreeMap<i64, BTreeSet<String>> =
            season_locks.into_iter().map(|(number, JsonText(locks))| (number, locks)).collect();
        let mut seasons = BTreeMap::new();
        let numbers =
            episodes.iter().filter_map(|(_, season, _, _)| *season).chain(local_seasons.into_iter().map(|(n,)| n));
        for number in numbers {
            seasons.insert(number, season_locks.get(&number).cloned().unwrap_or_default());
        }
        let by_number = episodes
            .iter()
            .filter_map(|(id, season, episode, _)| Some(((season.as_ref().copied()?, episode.as_ref().copied()?), *id)))
            .collect();
        Ok(SeriesLayout {
            series_id,
            tmdb_id,
            tvdb_id,
            limits: self.limits.with_overrides(&library_limits),
            series_locks,
            seasons,
            episodes: episodes.into_iter().map(|(id, _, _, JsonText(locks))| (id, locks)).collect(),
            by_number,
        })
    }
}

/// A series as its artwork selection sees it.
struct SeriesLayout {
    series_id: SeriesId,
    tmdb_id: Option<i64>,
    tvdb_id: Option<i64>,
    limits: SlotLimits,
    series_locks: BTreeSet<String>,
    /// The seasons with something on disk, with their locks.
    seasons: BTreeMap<i64, BTreeSet<String>>,
    /// The episodes on disk, with their locks.
    episodes: Vec<(EpisodeId, BTreeSet<String>)>,
    /// The episodes on disk by (season, episode) as the provider numbers them.
    by_number: BTreeMap<(i64, i64), EpisodeId>,
}

impl SeriesLayout {
    /// Every owner with its slot settings: the series, its seasons, its episodes.
    fn owners(&self) -> impl Iterator<Item = (ArtOwner, OwnerSlots)> + '_ {
        let series_id = self.series_id;
        let slots = move |owner: ArtOwner, locks: &BTreeSet<String>| {
            let locked = owner.slots().iter().copied().filter(|slot| locks.contains(&repo::lock_name(*slot))).collect();
            (owner, OwnerSlots { tmdb_id: None, imdb_id: None, limits: self.limits.clone(), locked, removed: false })
        };
        std::iter::once(slots(ArtOwner::Series(series_id), &self.series_locks))
            .chain(self.seasons.iter().map(move |(number, locks)| slots(ArtOwner::Season(series_id, *number), locks)))
            .chain(
                self.episodes
                    .iter()
                    .map(move |(id, locks)| slots(ArtOwner::Episode { series_id, episode_id: *id }, locks)),
            )
    }
}

/// The slots an owner lists, for messages.
pub fn slot_names(owner: ArtOwner) -> String {
    owner.slots().iter().map(|slot: &Slot| slot.as_str()).collect::<Vec<_>>().join(", ")
}
