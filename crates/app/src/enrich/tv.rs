//! Enrichment of TV series from TMDB (docs/tv.md): identification as for movies (a locked or
//! known TMDB id, then TMDB's `find` by TVDB id, then by IMDb id, then a search by name and
//! first-air year that is taken only when one series clearly wins), then the series' details
//! and every season's episodes, written under the keys the series' files use.
//!
//! Episodes TMDB knows that are not on disk get rows without a video: the series page lists
//! them as missing, and nothing is created on disk. Locks and sources decide as for movies.

use super::{EnrichError, EnrichServices, Identity, candidate_of, country_of};
use crate::catalogue::movies::{Actor, FieldSource, Identification, Rating, UniqueId};
use crate::catalogue::series::{
    self, EnrichTarget, EpisodeFields, EpisodeKey, Numbering, ProviderEpisode, ProviderSeason, SeriesFields,
};
use crate::enrich::tmdb_fields::TMDB_RATING;
use crate::ids::SeriesId;
use metarr_providers::identify::{MatchDecision, MatchQuery};
use metarr_providers::tmdb::{TvSearch, TvSeason, TvSeries};
use metarr_providers::{ImdbId, Language, TmdbClient, TmdbTvId, TvdbId};
use std::sync::Arc;

/// The cast kept from TMDB, in billing order.
const MAX_CAST: usize = 150;

/// How a series' enrichment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrichedSeries {
    /// Identified and filled: how many episodes TMDB knows that were not recorded before.
    Filled { tmdb_id: i64, episodes_added: usize },
    /// The search was not conclusive: the user picks among the candidates.
    NeedsIdentification { candidates: usize },
    /// TMDB knows no such series.
    NotFound,
}

/// What TMDB knows of a series' pictures: its answer and every season's that could be read.
pub struct TvImages {
    pub series: TvSeries,
    pub seasons: Vec<TvSeason>,
    pub tmdb: Arc<TmdbClient>,
}

impl EnrichServices {
    /// The series' and its seasons' TMDB answers for artwork, through the response cache under
    /// enrichment's keys (after an enrichment, no call). `None` without a TMDB key.
    pub async fn tmdb_tv_images(&self, series_id: SeriesId, tmdb_id: i64) -> Result<Option<TvImages>, EnrichError> {
        let Some(tmdb) = self.clients().tmdb.clone() else { return Ok(None) };
        let Some(tmdb_id) = u32::try_from(tmdb_id).ok().map(TmdbTvId) else { return Ok(None) };
        let language = self.settings().language.clone();
        let key = format!("tmdb:tv:{}:{}", tmdb_id.0, language.as_str());
        let (client, lang) = (Arc::clone(&tmdb), language.clone());
        let Some(details) = self.fetch(series_id, &key, |v| async move { client.tv(tmdb_id, &lang, &v).await }).await?
        else {
            return Ok(None);
        };
        let seasons = self.tmdb_seasons(series_id, &tmdb, tmdb_id, &language, &details).await?;
        Ok(Some(TvImages { series: details, seasons, tmdb }))
    }

    /// Every season of a series TMDB lists, in season order, through the response cache (a
    /// season TMDB does not answer is left out).
    async fn tmdb_seasons(
        &self,
        series_id: SeriesId,
        tmdb: &Arc<TmdbClient>,
        tmdb_id: TmdbTvId,
        language: &Language,
        details: &TvSeries,
    ) -> Result<Vec<TvSeason>, EnrichError> {
        let mut numbers: Vec<u32> = details.seasons.iter().map(|season| season.season_number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut seasons = Vec::with_capacity(numbers.len());
        for number in numbers {
            let key = format!("tmdb:tv:{}:season:{number}:{}", tmdb_id.0, language.as_str());
            let (client, lang) = (Arc::clone(tmdb), language.clone());
            if let Some(season) = self
                .fetch(series_id, &key, |v| async move { client.tv_season(tmdb_id, number, &lang, &v).await })
                .await?
            {
                seasons.push(season);
            }
        }
        Ok(seasons)
    }

    /// Fanart.tv's art for a series, by its TVDB id (through the response cache). `None`
    /// without a key or when Fanart.tv has none.
    pub async fn fanart_tv(
        &self,
        series_id: SeriesId,
        tvdb_id: i64,
    ) -> Result<Option<metarr_providers::FanartTv>, EnrichError> {
        let Some(fanart) = self.clients().fanart.clone() else { return Ok(None) };
        let Some(id) = u32::try_from(tvdb_id).ok().map(TvdbId) else { return Ok(None) };
        let key = format!("fanart:tv:{}", id.0);
        self.fetch(series_id, &key, |validators| async move { fanart.tv(id, &validators).await }).await
    }
}

impl EnrichServices {
    /// Identifies and fills one series, its seasons and its episodes from TMDB. Writes in one
    /// transaction; announces `series.updated`.
    pub async fn enrich_series(&self, series_id: SeriesId) -> Result<EnrichedSeries, EnrichError> {
        self.reload_if_stale().await?;
        let tmdb = self.tmdb()?;
        let language = self.settings().language.clone();
        let target = series::enrich_target(&self.db, series_id).await?;
        let tmdb_id = match target.tmdb_id {
            Some(id) => Some(id),
            None => match self.identify_series(&target, &tmdb, &language).await? {
                Identity::Known(id) => Some(id),
                Identity::Ambiguous(candidates) => {
                    let count = candidates.len();
                    series::record_identification(
                        &self.db,
                        series_id,
                        Identification::NeedsIdentification,
                        &candidates,
                    )
                    .await?;
                    self.announce_series(series_id).await;
                    return Ok(EnrichedSeries::NeedsIdentification { candidates: count });
                }
                Identity::Unknown => None,
            },
        };
        let Some(tmdb_id) = tmdb_id.and_then(|id| u32::try_from(id).ok()).map(TmdbTvId) else {
            series::record_identification(&self.db, series_id, Identification::NotFound, &[]).await?;
            self.announce_series(series_id).await;
            return Ok(EnrichedSeries::NotFound);
        };
        let key = format!("tmdb:tv:{}:{}", tmdb_id.0, language.as_str());
        let (client, lang) = (Arc::clone(&tmdb), language.clone());
        let Some(details) = self.fetch(series_id, &key, |v| async move { client.tv(tmdb_id, &lang, &v).await }).await?
        else {
            series::record_identification(&self.db, series_id, Identification::NotFound, &[]).await?;
            self.announce_series(series_id).await;
            return Ok(EnrichedSeries::NotFound);
        };
        let mut fields = series_fields(&details, &country_of(&language), &tmdb);
        for warning in fields.fit_for_import() {
            tracing::warn!(%series_id, %warning, "a provider value was fitted to the limits");
        }
        // Every season's episodes: in season order, so that absolute numbers count up across them.
        let seasons = self.tmdb_seasons(series_id, &tmdb, tmdb_id, &language, &details).await?;
        let (mut provider_seasons, episodes) = seasons_and_episodes(&seasons, target.numbering);
        // A season whose own answer failed is still known from the series' summary.
        for summary in &details.seasons {
            if !provider_seasons.iter().any(|s| s.number == i64::from(summary.season_number)) {
                provider_seasons.push(ProviderSeason {
                    number: i64::from(summary.season_number),
                    title: Some(summary.name.clone()).filter(|name| !name.is_empty()),
                    plot: summary.overview.clone().filter(|text| !text.trim().is_empty()),
                    premiered: summary.air_date.map(|date| date.format("%Y-%m-%d").to_string()),
                });
            }
        }
        let mut tx = self.db.begin().await?;
        series::apply_fields(&mut tx, series_id, &fields, FieldSource::Tmdb).await?;
        series::provider_seasons(&mut tx, series_id, &provider_seasons).await?;
        let added = series::provider_episodes(
            &mut tx,
            series_id,
            &episodes,
            FieldSource::Tmdb,
            target.prefer_provider_metadata,
        )
        .await?;
        series::mark_enriched(&mut tx, series_id).await?;
        // OMDb's ratings in a job of their own, as for movies: a spent quota holds back only them.
        if self.omdb_configured() && (fields.imdb_id.is_some() || target.imdb_id.is_some()) {
            tx.enqueue(crate::jobs::enrich::series_ratings_job(series_id)).await?;
        }
        if self.artwork_enabled(&target.artwork_limits.0) {
            // The pictures follow the words; the selection queues the publish of an `auto` library.
            tx.enqueue(crate::jobs::artwork::series_select_job(series_id)).await?;
        } else {
            crate::jobs::publish::publish_series_if_auto(&mut tx, series_id).await?;
        }
        tx.commit().await?;
        self.announce_series(series_id).await;
        Ok(EnrichedSeries::Filled { tmdb_id: i64::from(tmdb_id.0), episodes_added: added })
    }

    /// The TMDB series a target names: by TVDB id, by IMDb id, else by a search whose winner
    /// must stand out (`metarr_providers::identify`).
    async fn identify_series(
        &self,
        target: &EnrichTarget,
        tmdb: &Arc<TmdbClient>,
        language: &Language,
    ) -> Result<Identity, EnrichError> {
        let id = target.id;
        if let Some(tvdb_id) = target.tvdb_id.and_then(|id| u32::try_from(id).ok()).map(TvdbId) {
            let key = format!("tmdb:find:tvdb:{}", tvdb_id.0);
            let (client, lang) = (Arc::clone(tmdb), language.clone());
            let found =
                self.fetch(id, &key, |v| async move { client.find_by_tvdb_id(tvdb_id, &lang, &v).await }).await?;
            if let Some(series) = found.as_ref().and_then(|found| found.tv()) {
                return Ok(Identity::Known(i64::from(series.id.0)));
            }
        }
        if let Some(imdb_id) = target.imdb_id.as_deref().and_then(|id| ImdbId::parse(id).ok()) {
            let key = format!("tmdb:find:{}", imdb_id.as_str());
            let (client, lang) = (Arc::clone(tmdb), language.clone());
            let found =
                self.fetch(id, &key, |v| async move { client.find_by_imdb_id(&imdb_id, &lang, &v).await }).await?;
            if let Some(series) = found.as_ref().and_then(|found| found.tv()) {
                return Ok(Identity::Known(i64::from(series.id.0)));
            }
        }
        let query = MatchQuery {
            title: target.title.clone(),
            original_title: target.original_title.clone(),
            year: target.year.and_then(|year| i32::try_from(year).ok()),
        };
        let results = self.series_search_results(id, &query).await?;
        Ok(match metarr_providers::identify::decide(&query, &results) {
            MatchDecision::Identified(candidate) => Identity::Known(i64::from(candidate.film.id.0)),
            MatchDecision::Ambiguous(candidates) => Identity::Ambiguous(candidates.iter().map(candidate_of).collect()),
            MatchDecision::NotFound => Identity::Unknown,
        })
    }

    /// Fills a series' ratings from OMDb (by its IMDb id), beside the ratings of other sources.
    /// Returns whether OMDb knew the series.
    pub async fn enrich_series_ratings(&self, series_id: SeriesId) -> Result<bool, EnrichError> {
        self.reload_if_stale().await?;
        let omdb = self.omdb()?;
        let detail = series::detail(&self.db, series_id).await?;
        let Some(imdb_id) = detail.summary.imdb_id.as_deref().and_then(|id| ImdbId::parse(id).ok()) else {
            return Ok(false);
        };
        // The same answer as a movie's by that id: one cache entry serves both.
        let key = format!("omdb:movie:{}", imdb_id.as_str());
        let Some(answer) =
            self.fetch(series_id, &key, |validators| async move { omdb.series(&imdb_id, &validators).await }).await?
        else {
            return Ok(false);
        };
        let ratings = crate::enrich::tmdb_fields::omdb_ratings(&answer);
        if ratings.is_empty() {
            return Ok(true);
        }
        let mut fields = SeriesFields {
            ratings: Some(crate::enrich::tmdb_fields::merge_ratings(&detail.ratings, ratings)),
            ..SeriesFields::default()
        };
        for warning in fields.fit_for_import() {
            tracing::warn!(%series_id, %warning, "a provider value was fitted to the limits");
        }
        let mut tx = self.db.begin().await?;
        series::apply_fields(&mut tx, series_id, &fields, FieldSource::Omdb).await?;
        crate::jobs::publish::publish_series_if_auto(&mut tx, series_id).await?;
        tx.commit().await?;
        self.announce_series(series_id).await;
        Ok(true)
    }

    /// The TMDB search candidates for a series' name and year, best first (the Identify dialog).
    pub async fn search_series(
        &self,
        series_id: SeriesId,
        query: &MatchQuery,
    ) -> Result<Vec<metarr_providers::MatchCandidate>, EnrichError> {
        let results = self.series_search_results(series_id, query).await?;
        Ok(metarr_providers::identify::rank(query, &results))
    }

    /// The results of the searches for a name: with its first-air year, then without (which
    /// finds a year off by one), each series as a film-shaped result for the ranking.
    async fn series_search_results(
        &self,
        id: SeriesId,
        query: &MatchQuery,
    ) -> Result<Vec<metarr_providers::tmdb::MovieSummary>, EnrichError> {
        let tmdb = self.tmdb()?;
        let language = self.settings().language;
        let mut searches = Vec::new();
        if let Some(year) = query.year {
            searches.push(TvSearch::new(query.title.clone()).first_air_date_year(year).language(language.clone()));
        }
        searches.push(TvSearch::new(query.title.clone()).language(language.clone()));
        let mut results = Vec::new();
        for (index, search) in searches.into_iter().enumerate() {
            let key = format!("tmdb:search-tv:{}:{:?}:{}", search.query, search.first_air_date_year, language.as_str());
            let client = Arc::clone(&tmdb);
            let page = self.fetch(id, &key, |v| async move { client.search_tv(&search, &v).await }).await?;
            results.extend(
                page.map(|page| page.results.iter().map(|tv| tv.as_match_subject()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
            // A search with the year that already names one series clearly needs no other.
            if index == 0
                && query.year.is_some()
                && matches!(metarr_providers::identify::decide(query, &results), MatchDecision::Identified(_))
            {
                break;
            }
        }
        Ok(results)
    }

    /// `series.updated` with the series' list shape.
    async fn announce_series(&self, series_id: SeriesId) {
        if let Ok(detail) = series::detail(&self.db, series_id).await {
            self.events.publish("series.updated", &detail.summary);
        }
    }
}

/// The fields a TMDB series gives. `country` picks the content rating shown as `mpaa`.
fn series_fields(tv: &TvSeries, country: &str, client: &TmdbClient) -> SeriesFields {
    let names = |items: Vec<String>| Some(items).filter(|items| !items.is_empty());
    let tvdb_id = tv.tvdb_id().map(|id| i64::from(id.0));
    let imdb_id = tv.imdb_id().map(|id| id.as_str().to_owned());
    // Kodi's TV scrapers make TheTVDB's id the default one when there is one.
    let mut uniqueids = vec![UniqueId { kind: "tmdb".into(), value: tv.id.0.to_string(), default: tvdb_id.is_none() }];
    if let Some(tvdb_id) = tvdb_id {
        uniqueids.push(UniqueId { kind: "tvdb".into(), value: tvdb_id.to_string(), default: true });
    }
    if let Some(imdb_id) = &imdb_id {
        uniqueids.push(UniqueId { kind: "imdb".into(), value: imdb_id.clone(), default: false });
    }
    let ratings = (tv.vote_count > 0).then(|| {
        vec![Rating {
            source: TMDB_RATING.into(),
            value: tv.vote_average,
            max: 10.0,
            votes: Some(i64::from(tv.vote_count)),
            default: true,
        }]
    });
    // The cast across every season (each actor's main role), else the latest season's.
    let actors: Vec<Actor> = match (&tv.aggregate_credits, &tv.credits) {
        (Some(aggregate), _) if !aggregate.cast.is_empty() => {
            let mut cast: Vec<_> = aggregate.cast.iter().collect();
            cast.sort_by_key(|member| member.order);
            cast.into_iter()
                .take(MAX_CAST)
                .map(|member| Actor {
                    name: member.name.clone(),
                    role: member.main_character().map(str::to_owned),
                    order: Some(i64::from(member.order)),
                    tmdb_id: Some(i64::from(member.id.0)),
                    profile: member.profile_path.as_deref().map(|path| client.image_url("w185", path)),
                })
                .collect()
        }
        (_, Some(credits)) => {
            let mut cast: Vec<_> = credits.cast.iter().collect();
            cast.sort_by_key(|member| member.order);
            cast.into_iter()
                .take(MAX_CAST)
                .map(|member| Actor {
                    name: member.name.clone(),
                    role: member.character.clone().filter(|role| !role.is_empty()),
                    order: Some(i64::from(member.order)),
                    tmdb_id: Some(i64::from(member.id.0)),
                    profile: member.profile_path.as_deref().map(|path| client.image_url("w185", path)),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    SeriesFields {
        title: Some(tv.name.clone()).filter(|name| !name.is_empty()),
        original_title: tv.original_name.clone().filter(|name| !name.is_empty()),
        year: tv.year().map(i64::from),
        tmdb_id: Some(i64::from(tv.id.0)),
        tvdb_id,
        imdb_id,
        plot: tv.overview.clone().filter(|text| !text.trim().is_empty()),
        premiered: tv.first_air_date.map(|date| date.format("%Y-%m-%d").to_string()),
        status: tv.status.clone().filter(|status| !status.is_empty()),
        certification: tv.certification(country).map(str::to_owned).filter(|c| !c.trim().is_empty()),
        genres: names(tv.genres.iter().map(|genre| genre.name.clone()).collect()),
        // Kodi shows a series' network as its studio.
        studios: names(tv.networks.iter().map(|network| network.name.clone()).collect()),
        tags: names(
            tv.keywords
                .as_ref()
                .map(|keywords| keywords.results.iter().map(|keyword| keyword.name.clone()).collect())
                .unwrap_or_default(),
        ),
        ratings,
        uniqueids: Some(uniqueids),
        actors: Some(actors).filter(|actors| !actors.is_empty()),
        ..SeriesFields::default()
    }
}

/// The seasons and episodes TMDB's seasons give, each episode under the key the series' files
/// use: `s01e02`, its air date for a daily series, its absolute number for one numbered
/// absolutely (counted across the regular seasons in order; specials keep `s00eNN`).
fn seasons_and_episodes(seasons: &[TvSeason], numbering: Numbering) -> (Vec<ProviderSeason>, Vec<ProviderEpisode>) {
    let mut provider_seasons = Vec::with_capacity(seasons.len());
    let mut episodes = Vec::new();
    let mut absolute = 0u32;
    let mut ordered: Vec<&TvSeason> = seasons.iter().collect();
    ordered.sort_by_key(|season| season.season_number);
    for season in ordered {
        provider_seasons.push(ProviderSeason {
            number: i64::from(season.season_number),
            title: Some(season.name.clone()).filter(|name| !name.is_empty()),
            plot: season.overview.clone().filter(|text| !text.trim().is_empty()),
            premiered: season.air_date.map(|date| date.format("%Y-%m-%d").to_string()),
        });
        let mut list: Vec<_> = season.episodes.iter().collect();
        list.sort_by_key(|episode| episode.episode_number);
        for episode in list {
            let numbered = EpisodeKey::Numbered { season: episode.season_number, episode: episode.episode_number };
            let absolute_number = (episode.season_number > 0).then(|| {
                absolute += 1;
                absolute
            });
            let key = match (numbering, episode.air_date, absolute_number) {
                (Numbering::Daily, Some(date), _) => {
                    use chrono::Datelike;
                    match (u16::try_from(date.year()), u8::try_from(date.month()), u8::try_from(date.day())) {
                        (Ok(year), Ok(month), Ok(day)) => EpisodeKey::Aired { year, month, day },
                        _ => numbered,
                    }
                }
                (Numbering::Absolute, _, Some(n)) => EpisodeKey::Absolute(n),
                _ => numbered,
            };
            let names = |items: Vec<String>| Some(items).filter(|items| !items.is_empty());
            let mut fields = EpisodeFields {
                title: Some(episode.name.clone()).filter(|name| !name.is_empty()),
                plot: episode.overview.clone().filter(|text| !text.trim().is_empty()),
                runtime: episode.runtime.filter(|minutes| *minutes > 0).map(i64::from),
                aired: episode.air_date.map(|date| date.format("%Y-%m-%d").to_string()),
                ratings: (episode.vote_count > 0).then(|| {
                    vec![Rating {
                        source: TMDB_RATING.into(),
                        value: episode.vote_average,
                        max: 10.0,
                        votes: Some(i64::from(episode.vote_count)),
                        default: true,
                    }]
                }),
                uniqueids: Some(vec![UniqueId { kind: "tmdb".into(), value: episode.id.to_string(), default: true }]),
                directors: names(episode.directors().map(|person| person.name.clone()).collect()),
                writers: names(episode.writers().map(|person| person.name.clone()).collect()),
                actors: None,
            };
            for warning in fields.fit_for_import() {
                tracing::warn!(%key, %warning, "a provider value was fitted to the limits");
            }
            episodes.push(ProviderEpisode {
                key,
                season: i64::from(episode.season_number),
                episode: i64::from(episode.episode_number),
                absolute_number: absolute_number.map(i64::from),
                fields,
            });
        }
    }
    (provider_seasons, episodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season(number: u32, episodes: &[(u32, &str)]) -> TvSeason {
        let episodes: Vec<serde_json::Value> = episodes
            .iter()
            .map(|(n, date)| {
                serde_json::json!({"id": number * 100 + n, "season_number": number, "episode_number": n,
                    "name": format!("E{n}"), "air_date": date})
            })
            .collect();
        serde_json::from_value(
            serde_json::json!({"id": number, "season_number": number, "name": format!("Season {number}"),
            "episodes": episodes}),
        )
        .expect("a season")
    }

    #[test]
    fn provider_episodes_take_the_keys_the_files_use() {
        let seasons = [
            season(2, &[(1, "2010-01-08"), (2, "2010-01-15")]),
            season(0, &[(1, "2009-05-01")]),
            season(1, &[(1, "2009-01-02"), (2, "2009-01-09"), (3, "")]),
        ];
        let keys = |numbering| {
            seasons_and_episodes(&seasons, numbering).1.iter().map(|e| e.key.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(keys(Numbering::Standard), ["s00e01", "s01e01", "s01e02", "s01e03", "s02e01", "s02e02"]);
        // Absolute numbers count across the regular seasons in order; specials stay numbered.
        assert_eq!(keys(Numbering::Absolute), ["s00e01", "a001", "a002", "a003", "a004", "a005"]);
        // A daily series by air date; an episode without one keeps its numbers.
        assert_eq!(
            keys(Numbering::Daily),
            ["d2009-05-01", "d2009-01-02", "d2009-01-09", "s01e03", "d2010-01-08", "d2010-01-15"]
        );
        let (provider_seasons, episodes) = seasons_and_episodes(&seasons, Numbering::Absolute);
        assert_eq!(provider_seasons.iter().map(|s| s.number).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(episodes[4].absolute_number, Some(4));
        assert_eq!((episodes[4].season, episodes[4].episode), (2, 1));
    }
}
