//! Enrichment: identifying a movie at TMDB and filling its fields from TMDB and OMDb, within
//! each provider's budget, never over a lock, and over the NFO's values only when the library
//! prefers provider metadata (`FieldSource::may_replace`).
//!
//! Identification takes the ids in the order the user can trust them: a locked id, Radarr's,
//! the NFO's, the folder name's (all stored as the movie's `tmdb_id`/`imdb_id` with their
//! source), then a TMDB search by title and year whose result is taken only when one film
//! clearly wins (`metarr_providers::identify`); otherwise the movie is `needs_identification`
//! with its candidates, and nothing is guessed.

pub mod stored;
pub mod tmdb_fields;
pub mod tv;

use crate::catalogue::movies::{self, FieldSource, Fields, Identification, MatchCandidate, MovieField, Rating};
use crate::catalogue::{CatalogueError, now_ms};
use crate::db::{Db, DbError, JsonText, Param, Tx};
use crate::events::AppEvents;
use crate::ids::MovieId;
use crate::provider_budget::{DbGate, ProviderUsage};
use crate::provider_cache::{CacheError, ResponseCache};
use metarr_providers::identify::{MatchDecision, MatchQuery};
use metarr_providers::tmdb::MovieSearch;
use metarr_providers::{
    FanartClient, Gate, ImdbId, Language, MovieRef, OmdbClient, Outcome, Provider, ProviderError, ProvidersSettings,
    RateLimitKind, TmdbClient, TmdbId, Validators,
};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::{Arc, RwLock};

/// Enrichment that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// The provider is not configured (no key).
    #[error("{provider} has no API key; set one in Settings › Providers or providers.{provider}.api_key")]
    NotConfigured { provider: Provider },
    /// The provider failed or refused (the error says whether to retry, snooze or give up).
    #[error("enriching {subject}")]
    Provider {
        subject: Subject,
        #[source]
        error: ProviderError,
    },
    /// A provider failed a test call or a search the user asked for.
    #[error("asking {provider}")]
    Call {
        provider: Provider,
        #[source]
        error: ProviderError,
    },
    /// The response cache failed (its database).
    #[error(transparent)]
    Cache(CacheError),
    /// The providers' budget could not be read.
    #[error(transparent)]
    Budget(crate::provider_budget::BudgetError),
    /// The catalogue failed.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

impl From<DbError> for EnrichError {
    fn from(error: DbError) -> Self {
        EnrichError::Catalogue(error.into())
    }
}

/// What an enrichment describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Movie(MovieId),
    Series(crate::ids::SeriesId),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Movie(id) => write!(f, "movie {id}"),
            Subject::Series(id) => write!(f, "series {id}"),
        }
    }
}

impl From<MovieId> for Subject {
    fn from(id: MovieId) -> Subject {
        Subject::Movie(id)
    }
}

impl From<crate::ids::SeriesId> for Subject {
    fn from(id: crate::ids::SeriesId) -> Subject {
        Subject::Series(id)
    }
}

/// How an enrichment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Enriched {
    /// Identified and filled: the fields written.
    Filled { tmdb_id: i64, written: Vec<MovieField> },
    /// The search was not conclusive: the user picks among the candidates.
    NeedsIdentification { candidates: usize },
    /// TMDB knows no such film.
    NotFound,
}

/// The provider clients, rebuilt when the settings change.
struct Clients {
    tmdb: Option<Arc<TmdbClient>>,
    fanart: Option<Arc<FanartClient>>,
    omdb: Option<Arc<OmdbClient>>,
}

/// What enrichment jobs and routes share: the catalogue, the providers' settings and clients,
/// the gate every request passes (the cross-process limit and quota) and the response cache.
pub struct EnrichServices {
    pub db: Db,
    pub events: AppEvents,
    /// The cross-process limits and quotas every request passes.
    budget: Arc<DbGate>,
    gate: Arc<dyn Gate>,
    cache: ResponseCache,
    /// The configuration file's and environment's settings, under the stored ones.
    config: ProvidersSettings,
    settings: RwLock<ProvidersSettings>,
    clients: RwLock<Arc<Clients>>,
    /// When the stored settings were last read.
    reloaded: std::sync::Mutex<Option<std::time::Instant>>,
    /// The configured artwork limits: enrichment queues artwork selection for a movie whose
    /// library leaves a slot on.
    artwork_limits: RwLock<metarr_artwork::SlotLimits>,
    /// When each scan's enrichment progress was last announced: one event per movie would
    /// flood every open page during a large library's enrichment.
    progress: std::sync::Mutex<std::collections::HashMap<crate::ids::ScanId, std::time::Instant>>,
}

/// How often a scan's enrichment progress is announced at most (as for its other phases).
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a process trusts the stored provider settings it read: a key set through another
/// process's API reaches this one's jobs within this time.
const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl EnrichServices {
    /// Services over the configured `settings`; every request passes the database's budget
    /// (rate limit, `Retry-After` and quota across processes) and the response cache (`ttl`).
    /// The settings stored at run time apply from the first [`EnrichServices::reload`].
    pub fn new(db: Db, events: AppEvents, settings: ProvidersSettings, ttl: std::time::Duration) -> EnrichServices {
        let budget = Arc::new(DbGate::new(db.clone(), &settings));
        let gate: Arc<dyn Gate> = Arc::clone(&budget) as Arc<dyn Gate>;
        let built = build_clients(&settings, &gate);
        // Set with the settings, so that a key added at run time makes the next scan enrich.
        db.set_tmdb_configured(built.tmdb.is_some());
        let clients = RwLock::new(Arc::new(built));
        EnrichServices {
            cache: ResponseCache::new(db.clone(), ttl),
            db,
            events,
            budget,
            gate,
            config: settings.clone(),
            settings: RwLock::new(settings),
            clients,
            reloaded: std::sync::Mutex::new(None),
            artwork_limits: RwLock::new(metarr_artwork::SlotLimits::default()),
            progress: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Whether a scan's enrichment progress is due to be announced (at most every 250 ms).
    pub fn progress_due(&self, scan_id: crate::ids::ScanId) -> bool {
        let mut last = self.progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.get(&scan_id).is_none_or(|at| at.elapsed() >= PROGRESS_EVERY);
        if due {
            // Scans that finished long ago leave with the next announcement.
            last.retain(|_, at| at.elapsed() < std::time::Duration::from_secs(3600));
            last.insert(scan_id, std::time::Instant::now());
        }
        due
    }

    /// Sets the configured artwork limits (`artwork.limits`); all 0 turns artwork off.
    pub fn set_artwork_limits(&self, limits: metarr_artwork::SlotLimits) {
        *self.artwork_limits.write().unwrap_or_else(std::sync::PoisonError::into_inner) = limits;
    }

    /// Whether a library with these limits over the configured ones selects any artwork.
    pub(crate) fn artwork_enabled(&self, library_limits: &metarr_artwork::SlotLimits) -> bool {
        let limits = self
            .artwork_limits
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .with_overrides(library_limits);
        metarr_artwork::Slot::ALL.iter().any(|slot| limits.get(*slot) > 0)
    }

    /// Reads the stored settings again and rebuilds the clients.
    pub async fn reload(&self) -> Result<(), EnrichError> {
        let settings = stored::effective(&self.db, &self.config).await?;
        self.set_settings(settings);
        *self.reloaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(std::time::Instant::now());
        Ok(())
    }

    /// [`EnrichServices::reload`] when the last read is older than [`RELOAD_EVERY`].
    pub async fn reload_if_stale(&self) -> Result<(), EnrichError> {
        let fresh = self
            .reloaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < RELOAD_EVERY);
        if fresh { Ok(()) } else { self.reload().await }
    }

    /// The settings in force.
    pub fn settings(&self) -> ProvidersSettings {
        self.settings.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Replaces the settings (a key set at run time) and rebuilds the clients.
    pub fn set_settings(&self, settings: ProvidersSettings) {
        self.budget.set_limits(Provider::Tmdb, settings.tmdb.requests_per_second, settings.tmdb.daily_quota);
        self.budget.set_limits(Provider::Fanart, settings.fanart.requests_per_second, settings.fanart.daily_quota);
        self.budget.set_limits(Provider::Omdb, settings.omdb.requests_per_second, settings.omdb.daily_quota);
        let clients = Arc::new(build_clients(&settings, &self.gate));
        self.db.set_tmdb_configured(clients.tmdb.is_some());
        *self.clients.write().unwrap_or_else(std::sync::PoisonError::into_inner) = clients;
        *self.settings.write().unwrap_or_else(std::sync::PoisonError::into_inner) = settings;
    }

    fn clients(&self) -> Arc<Clients> {
        Arc::clone(&self.clients.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Whether TMDB, without which nothing is identified, has a key.
    pub fn tmdb_configured(&self) -> bool {
        self.clients().tmdb.is_some()
    }

    /// Whether OMDb has a key.
    pub fn omdb_configured(&self) -> bool {
        self.clients().omdb.is_some()
    }

    fn tmdb(&self) -> Result<Arc<TmdbClient>, EnrichError> {
        self.clients().tmdb.clone().ok_or(EnrichError::NotConfigured { provider: Provider::Tmdb })
    }

    fn omdb(&self) -> Result<Arc<OmdbClient>, EnrichError> {
        self.clients().omdb.clone().ok_or(EnrichError::NotConfigured { provider: Provider::Omdb })
    }

    /// One provider call through the response cache: `key` names the answer (no secret in
    /// it). `None` when the provider does not know the thing asked for.
    async fn fetch<T, F, Fut>(&self, subject: impl Into<Subject>, key: &str, call: F) -> Result<Option<T>, EnrichError>
    where
        T: DeserializeOwned + Send,
        F: FnOnce(Validators) -> Fut + Send,
        Fut: Future<Output = Result<Outcome<T>, ProviderError>> + Send,
    {
        match self.cache.fetch(key, call).await {
            Ok(cached) => Ok(cached.value),
            Err(CacheError::Provider { source: error, .. }) => {
                // A provider's own "slow down" holds every process back until it says, not
                // only this job.
                if let ProviderError::RateLimited { provider, retry_after, kind: RateLimitKind::Throttled, .. } = &error
                    && let Err(err) = self.budget.note_retry_after(*provider, *retry_after).await
                {
                    tracing::warn!(error = %metarr_errors::chain(&err), "could not record the provider's Retry-After");
                }
                Err(EnrichError::Provider { subject: subject.into(), error })
            }
            Err(other) => Err(EnrichError::Cache(other)),
        }
    }

    /// The gate every provider request passes (image downloads too).
    pub fn gate(&self) -> Arc<dyn Gate> {
        Arc::clone(&self.gate)
    }

    /// The images TMDB offers for a film, from its details (the response cache holds them
    /// after enrichment, so this makes no call then). `None` without a TMDB key or when TMDB
    /// does not know the film.
    pub async fn tmdb_offers(
        &self,
        movie_id: MovieId,
        tmdb_id: i64,
    ) -> Result<Option<Vec<crate::artwork::offers::Offer>>, EnrichError> {
        let Some(tmdb) = self.clients().tmdb.clone() else { return Ok(None) };
        let Some(id) = u32::try_from(tmdb_id).ok().map(TmdbId) else { return Ok(None) };
        let language = self.settings().language;
        let key = format!("tmdb:movie:{id}:{}", language.as_str());
        let client = Arc::clone(&tmdb);
        let details = self
            .fetch(movie_id, &key, |validators| async move { client.movie(id, &language, &validators).await })
            .await?;
        Ok(details.map(|details| {
            details.images.as_ref().map(|images| crate::artwork::offers::from_tmdb(images, &tmdb)).unwrap_or_default()
        }))
    }

    /// What Fanart.tv offers for a film (through the response cache). `None` without a key
    /// or when Fanart.tv has no art for it.
    pub async fn fanart_offers(
        &self,
        movie_id: MovieId,
        tmdb_id: i64,
    ) -> Result<Option<Vec<crate::artwork::offers::Offer>>, EnrichError> {
        let Some(fanart) = self.clients().fanart.clone() else { return Ok(None) };
        let Some(id) = u32::try_from(tmdb_id).ok().map(TmdbId) else { return Ok(None) };
        let key = format!("fanart:movie:{id}");
        let movie = self
            .fetch(movie_id, &key, |validators| async move { fanart.movie(&MovieRef::Tmdb(id), &validators).await })
            .await?;
        Ok(movie.map(|movie| crate::artwork::offers::from_fanart(&movie)))
    }

    /// The daily provider update: movies enriched longer ago than `refresh_after_days` are
    /// enriched again when TMDB's change list names them since then, oldest first, and are
    /// marked checked without a call when it does not. The change list is read in 14-day
    /// windows (TMDB's largest), so 10,000 unchanged movies cost a few pages, not 10,000 calls.
    /// Returns (movies checked, movies queued for enrichment, change-list calls).
    pub async fn provider_update(&self) -> Result<(u64, u64, u64), EnrichError> {
        self.reload_if_stale().await?;
        let tmdb = self.tmdb()?;
        let settings = self.settings();
        let now = now_ms();
        let cutoff = now - i64::from(settings.refresh_after_days.get()) * 86_400_000;
        let stale = movies::stale_enrichments(&self.db, cutoff).await?;
        let Some(oldest) = stale.iter().map(|(_, _, enriched_at)| *enriched_at).min() else {
            return Ok((0, 0, 0));
        };
        // Beyond a year back, reading the change list costs more than enriching again.
        let horizon = now - 365 * 86_400_000;
        let today = chrono::Utc::now().date_naive();
        let mut start = crate::catalogue::time_from_ms(oldest.max(horizon)).date_naive();
        let mut changed = std::collections::HashSet::new();
        let mut calls = 0u64;
        while start <= today {
            let end = (start + chrono::Duration::days(13)).min(today);
            let mut page = 1u32;
            loop {
                let query = metarr_providers::tmdb::ChangesQuery {
                    start_date: Some(start),
                    end_date: Some(end),
                    page: Some(page),
                };
                calls += 1;
                let answer = tmdb
                    .movie_changes(&query, &Validators::NONE)
                    .await
                    .map_err(|error| EnrichError::Call { provider: Provider::Tmdb, error })?;
                let Some(fetched) = answer.found() else { break };
                changed.extend(fetched.value.results.iter().map(|movie| i64::from(movie.id.0)));
                if page >= fetched.value.total_pages.min(500) {
                    break;
                }
                page += 1;
            }
            start = end + chrono::Duration::days(1);
        }
        let language = settings.language.as_str().to_owned();
        let (mut refresh, mut unchanged) = (Vec::new(), Vec::new());
        for (movie_id, tmdb_id, enriched_at) in &stale {
            if changed.contains(tmdb_id) || *enriched_at < horizon {
                self.cache.invalidate(&format!("tmdb:movie:{tmdb_id}:{language}")).await.map_err(EnrichError::Cache)?;
                refresh.push(*movie_id);
            } else {
                unchanged.push(*movie_id);
            }
        }
        movies::mark_checked(&self.db, &unchanged, now).await?;
        let (queued, _) = crate::jobs::enrich::enqueue_many(&self.db, &refresh).await?;
        Ok((stale.len() as u64, queued, calls))
    }

    /// Calls used today, quota and block of each provider.
    pub async fn usage(&self) -> Result<Vec<ProviderUsage>, EnrichError> {
        let mut usage = Vec::new();
        for provider in Provider::ALL {
            usage.push(self.budget.usage(provider).await.map_err(EnrichError::Budget)?);
        }
        Ok(usage)
    }

    /// One cheap call with the saved key, bypassing the cache: TMDB's configuration, The
    /// Matrix at Fanart.tv and OMDb. Says what it found.
    pub async fn test(&self, provider: Provider) -> Result<String, EnrichError> {
        let clients = self.clients();
        let not_configured = EnrichError::NotConfigured { provider };
        let failed = |error: ProviderError| EnrichError::Call { provider, error };
        let name = provider.display_name();
        match provider {
            Provider::Tmdb => {
                let client = clients.tmdb.as_ref().ok_or(not_configured)?;
                client.configuration(&Validators::NONE).await.map_err(failed)?;
                Ok(format!("{name} answered; the key works"))
            }
            Provider::Fanart => {
                let client = clients.fanart.as_ref().ok_or(not_configured)?;
                client.movie(&MovieRef::Tmdb(TmdbId(603)), &Validators::NONE).await.map_err(failed)?;
                Ok(format!("{name} answered; the key works"))
            }
            Provider::Omdb => {
                let client = clients.omdb.as_ref().ok_or(not_configured)?;
                let matrix = ImdbId::parse("tt0133093").expect("a valid IMDb id");
                client.movie(&matrix, &Validators::NONE).await.map_err(failed)?;
                Ok(format!("{name} answered; the key works"))
            }
        }
    }

    /// The TMDB search candidates for a title and year, best first (the Identify dialog).
    pub async fn search(
        &self,
        movie_id: MovieId,
        query: &MatchQuery,
    ) -> Result<Vec<metarr_providers::MatchCandidate>, EnrichError> {
        let results = self.search_results(movie_id, query).await?;
        Ok(metarr_providers::identify::rank(query, &results))
    }

    /// The results of the searches for a query: by title with its year, by title alone
    /// (which finds a year off by one), and by the original title when it differs.
    async fn search_results(
        &self,
        movie_id: MovieId,
        query: &MatchQuery,
    ) -> Result<Vec<metarr_providers::tmdb::MovieSummary>, EnrichError> {
        let tmdb = self.tmdb()?;
        let language = self.settings().language;
        let mut searches = Vec::new();
        if let Some(year) = query.year {
            searches.push(MovieSearch::new(query.title.clone()).year(year).language(language.clone()));
        }
        searches.push(MovieSearch::new(query.title.clone()).language(language.clone()));
        if let Some(original) = query.original_title.as_ref().filter(|original| **original != query.title) {
            searches.push(MovieSearch::new(original.clone()).language(language.clone()));
        }
        let mut results = Vec::new();
        for (index, search) in searches.into_iter().enumerate() {
            let key = format!("tmdb:search:{}:{:?}:{}", search.query, search.year, language.as_str());
            let client = Arc::clone(&tmdb);
            let page = self
                .fetch(movie_id, &key, |validators| async move { client.search_movies(&search, &validators).await })
                .await?;
            results.extend(page.map(|page| page.results).unwrap_or_default());
            // A search with the year that already names one film clearly needs no other.
            if index == 0
                && query.year.is_some()
                && matches!(metarr_providers::identify::decide(query, &results), MatchDecision::Identified(_))
            {
                break;
            }
        }
        Ok(results)
    }

    /// Identifies and fills one movie from TMDB (`pick`: the user's choice, which is locked),
    /// and queues its OMDb ratings. Writes in one transaction; announces `movie.updated`.
    pub async fn enrich(&self, movie_id: MovieId, pick: Option<Pick>) -> Result<Enriched, EnrichError> {
        self.reload_if_stale().await?;
        let tmdb = self.tmdb()?;
        let settings = self.settings();
        let language = settings.language.clone();
        if let Some(pick) = &pick {
            movies::edit(&self.db, movie_id, &pick.fields()).await?;
        }
        let target = Target::read(&self.db, movie_id).await?;
        let tmdb_id = match target.tmdb_id {
            Some(id) => Some(id),
            None => match self.identify(&target, &tmdb, &language).await? {
                Identity::Known(id) => Some(id),
                Identity::Ambiguous(candidates) => {
                    let count = candidates.len();
                    self.record_identification(movie_id, Identification::NeedsIdentification, &candidates).await?;
                    return Ok(Enriched::NeedsIdentification { candidates: count });
                }
                Identity::Unknown => None,
            },
        };
        let Some(tmdb_id) = tmdb_id.and_then(|id| u32::try_from(id).ok()).map(TmdbId) else {
            self.record_identification(movie_id, Identification::NotFound, &[]).await?;
            return Ok(Enriched::NotFound);
        };
        let key = format!("tmdb:movie:{tmdb_id}:{}", language.as_str());
        let client = Arc::clone(&tmdb);
        let lang = language.clone();
        let Some(details) = self
            .fetch(movie_id, &key, |validators| async move { client.movie(tmdb_id, &lang, &validators).await })
            .await?
        else {
            self.record_identification(movie_id, Identification::NotFound, &[]).await?;
            return Ok(Enriched::NotFound);
        };
        // The set's overview comes with the collection, which many films share (cached).
        let collection = match (&details.belongs_to_collection, target.set_locked) {
            (Some(reference), false) => {
                let key = format!("tmdb:collection:{}:{}", reference.id, language.as_str());
                let (client, lang, id) = (Arc::clone(&tmdb), language.clone(), reference.id);
                match self.fetch(movie_id, &key, |v| async move { client.collection(id, &lang, &v).await }).await {
                    Ok(collection) => collection,
                    // The overview is a nicety: the film's own fields are not held back for it.
                    Err(err) => {
                        tracing::warn!(error = %metarr_errors::chain(&err), "collection overview unavailable");
                        None
                    }
                }
            }
            _ => None,
        };
        let mut fields = tmdb_fields::from_tmdb(&details, collection.as_ref(), &country_of(&language), &tmdb);
        // TMDB answers an untranslated plot with "": the next language of the fallback chain
        // (fr-CA → fr → en → the original) fills it (and the tagline, when that one has it),
        // one call per language only while the plot is missing. Many films have no tagline in
        // any language, so a missing tagline alone costs no call.
        for code in language.fallback_chain(details.original_language.as_deref()).into_iter().skip(1) {
            if fields.plot.is_some() {
                break;
            }
            let Ok(fallback) = Language::parse(&code) else { continue };
            let key = format!("tmdb:movie:{tmdb_id}:{}", fallback.as_str());
            let client = Arc::clone(&tmdb);
            let Some(other) =
                self.fetch(movie_id, &key, |v| async move { client.movie(tmdb_id, &fallback, &v).await }).await?
            else {
                break;
            };
            fields.plot = fields.plot.or(other.overview.filter(|text| !text.trim().is_empty()));
            fields.tagline = fields.tagline.or(other.tagline.filter(|text| !text.trim().is_empty()));
        }
        warn_fitted(movie_id, fields.fit_for_import());
        if let Some(ratings) = fields.ratings.take() {
            fields.ratings = Some(tmdb_fields::merge_ratings(&target.ratings, ratings));
        }
        // OMDb's answer still in the cache joins now; otherwise its own job asks OMDb, so that
        // a spent quota holds back only the ratings.
        let imdb_id = fields.imdb_id.clone().or_else(|| target.imdb_id.clone());
        let cached_ratings = match imdb_id.as_deref().filter(|_| self.omdb_configured()) {
            Some(imdb_id) => self
                .cache
                .fresh::<metarr_providers::OmdbMovie>(&format!("omdb:movie:{imdb_id}"))
                .await
                .map_err(EnrichError::Cache)?
                .map(|movie| movie.map(|movie| tmdb_fields::omdb_ratings(&movie)).unwrap_or_default()),
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let mut written = movies::apply_fields(&mut tx, movie_id, &[(&fields, FieldSource::Tmdb)]).await?;
        mark_enriched(&mut tx, movie_id).await?;
        match cached_ratings {
            Some(ratings) if !ratings.is_empty() => {
                let current = fields.ratings.as_deref().unwrap_or(&target.ratings);
                let mut omdb =
                    Fields { ratings: Some(tmdb_fields::merge_ratings(current, ratings)), ..Fields::default() };
                warn_fitted(movie_id, omdb.fit_for_import());
                written.extend(movies::apply_fields(&mut tx, movie_id, &[(&omdb, FieldSource::Omdb)]).await?);
            }
            Some(_) => {}
            None if self.omdb_configured() && imdb_id.is_some() => {
                tx.enqueue(crate::jobs::enrich::ratings_job(movie_id)).await?;
            }
            None => {}
        }
        if self.artwork_enabled(&target.artwork_limits) {
            // Candidates are refreshed with each enrichment; TMDB's are in the response cache now.
            // The selection queues the publish of an `auto` library.
            tx.enqueue(crate::jobs::artwork::select_job(movie_id)).await?;
            if fields.actors.as_ref().is_some_and(|actors| actors.iter().any(|actor| actor.profile.is_some())) {
                tx.enqueue(crate::jobs::artwork::headshots_job(movie_id)).await?;
            }
        } else {
            crate::jobs::publish::publish_if_auto(&mut tx, movie_id).await?;
        }
        tx.commit().await?;
        self.announce(movie_id).await;
        Ok(Enriched::Filled { tmdb_id: i64::from(tmdb_id.0), written })
    }

    /// Fills a movie's ratings from OMDb (by its IMDb id), beside the ratings of other sources.
    /// Returns whether OMDb knew the film.
    pub async fn enrich_ratings(&self, movie_id: MovieId) -> Result<bool, EnrichError> {
        self.reload_if_stale().await?;
        let omdb = self.omdb()?;
        let target = Target::read(&self.db, movie_id).await?;
        let Some(imdb_id) = target.imdb_id.as_deref().and_then(|id| ImdbId::parse(id).ok()) else {
            return Ok(false);
        };
        let key = format!("omdb:movie:{}", imdb_id.as_str());
        let Some(movie) =
            self.fetch(movie_id, &key, |validators| async move { omdb.movie(&imdb_id, &validators).await }).await?
        else {
            return Ok(false);
        };
        let ratings = tmdb_fields::omdb_ratings(&movie);
        if ratings.is_empty() {
            return Ok(true);
        }
        let mut fields =
            Fields { ratings: Some(tmdb_fields::merge_ratings(&target.ratings, ratings)), ..Fields::default() };
        warn_fitted(movie_id, fields.fit_for_import());
        let mut tx = self.db.begin().await?;
        if !movies::apply_fields(&mut tx, movie_id, &[(&fields, FieldSource::Omdb)]).await?.is_empty() {
            crate::jobs::publish::publish_if_auto(&mut tx, movie_id).await?;
        }
        tx.commit().await?;
        self.announce(movie_id).await;
        Ok(true)
    }

    async fn identify(&self, target: &Target, tmdb: &TmdbClient, language: &Language) -> Result<Identity, EnrichError> {
        let movie_id = target.id;
        if let Some(imdb_id) = target.imdb_id.as_deref().and_then(|id| ImdbId::parse(id).ok()) {
            let key = format!("tmdb:find:{}", imdb_id.as_str());
            let found = self
                .fetch(movie_id, &key, |validators| async move {
                    tmdb.find_by_imdb_id(&imdb_id, language, &validators).await
                })
                .await?;
            if let Some(movie) = found.as_ref().and_then(|found| found.movie()) {
                return Ok(Identity::Known(i64::from(movie.id.0)));
            }
        }
        let query = MatchQuery {
            title: target.title.clone(),
            original_title: target.original_title.clone(),
            year: target.year.and_then(|year| i32::try_from(year).ok()),
        };
        let results = self.search_results(movie_id, &query).await?;
        Ok(match metarr_providers::identify::decide(&query, &results) {
            MatchDecision::Identified(candidate) => Identity::Known(i64::from(candidate.film.id.0)),
            MatchDecision::Ambiguous(candidates) => Identity::Ambiguous(candidates.iter().map(candidate_of).collect()),
            MatchDecision::NotFound => Identity::Unknown,
        })
    }

    async fn record_identification(
        &self,
        movie_id: MovieId,
        state: Identification,
        candidates: &[MatchCandidate],
    ) -> Result<(), EnrichError> {
        let text = serde_json::to_string(candidates).expect("candidates always serialise");
        self.db
            .execute(
                "UPDATE movies SET identification = $1, match_candidates = $2, enriched_at = $3, updated_at = $3 \
                 WHERE id = $4",
                &[state.as_str().into(), text.into(), now_ms().into(), movie_id.into()],
            )
            .await?;
        self.announce(movie_id).await;
        Ok(())
    }

    /// `movie.updated` with the movie's list shape; a movie deleted meanwhile is not announced.
    async fn announce(&self, movie_id: MovieId) {
        if let Ok(detail) = movies::detail(&self.db, movie_id).await {
            self.events.publish("movie.updated", &detail.summary);
        }
    }
}

/// The user's choice in the Identify dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Tmdb(i64),
    Imdb(String),
}

impl Pick {
    /// The id as an edit, which locks it; the other id is left for TMDB to fill.
    fn fields(&self) -> Fields {
        match self {
            Pick::Tmdb(id) => Fields { tmdb_id: Some(*id), ..Fields::default() },
            Pick::Imdb(id) => Fields { imdb_id: Some(id.clone()), ..Fields::default() },
        }
    }
}

enum Identity {
    Known(i64),
    Ambiguous(Vec<MatchCandidate>),
    Unknown,
}

fn candidate_of(candidate: &metarr_providers::MatchCandidate) -> MatchCandidate {
    let film = &candidate.film;
    MatchCandidate {
        tmdb_id: i64::from(film.id.0),
        title: film.title.clone(),
        original_title: film.original_title.clone().filter(|title| *title != film.title),
        year: film.year().map(i64::from),
        overview: film.overview.clone().filter(|text| !text.is_empty()),
        confidence: (candidate.confidence * 1000.0).round() / 1000.0,
    }
}

/// The candidates of a search, in the shape the API shows.
pub fn candidates_of(candidates: &[metarr_providers::MatchCandidate]) -> Vec<MatchCandidate> {
    candidates.iter().map(candidate_of).collect()
}

/// The country whose certification is shown: the language's region, else the US (TMDB's
/// most complete, and Kodi's default).
fn country_of(language: &Language) -> String {
    language.as_str().split_once('-').map_or_else(|| "US".to_owned(), |(_, region)| region.to_owned())
}

fn warn_fitted(movie_id: MovieId, warnings: Vec<String>) {
    for warning in warnings {
        tracing::info!(movie_id = %movie_id, "provider value fitted: {warning}");
    }
}

async fn mark_enriched(tx: &mut Tx, movie_id: MovieId) -> Result<(), EnrichError> {
    let now = now_ms();
    tx.execute(
        "UPDATE movies SET identification = 'identified', match_candidates = '[]', enriched_at = $1, updated_at = $1 \
         WHERE id = $2",
        &[Param::Int(now), movie_id.into()],
    )
    .await?;
    Ok(())
}

/// What enrichment reads of a movie before it calls anyone.
struct Target {
    id: MovieId,
    title: String,
    original_title: Option<String>,
    year: Option<i64>,
    tmdb_id: Option<i64>,
    imdb_id: Option<String>,
    ratings: Vec<Rating>,
    set_locked: bool,
    artwork_limits: metarr_artwork::SlotLimits,
}

impl Target {
    async fn read(db: &Db, id: MovieId) -> Result<Target, EnrichError> {
        type Row = (
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            JsonText<Vec<Rating>>,
            JsonText<Vec<String>>,
            JsonText<metarr_artwork::SlotLimits>,
        );
        let (
            title,
            original_title,
            year,
            tmdb_id,
            imdb_id,
            JsonText(ratings),
            JsonText(locks),
            JsonText(artwork_limits),
        ): Row = db
            .fetch_optional(
                "SELECT m.title, m.original_title, m.year, m.tmdb_id, m.imdb_id, m.ratings, m.locks, l.artwork_limits \
                 FROM movies m JOIN libraries l ON l.id = m.library_id WHERE m.id = $1 AND m.removed = false",
                &[id.into()],
            )
            .await?
            .ok_or_else(|| CatalogueError::NotFound(format!("movie {id} not found")))?;
        let set_locked = locks.iter().any(|lock| lock == MovieField::Set.as_str());
        Ok(Target { id, title, original_title, year, tmdb_id, imdb_id, ratings, set_locked, artwork_limits })
    }
}

/// A client, or `None` without a key; settings the client refuses are logged (start-up checked
/// them already, so only a run-time change can get here).
fn client_or_log<C>(provider: Provider, result: Result<C, ProviderError>) -> Option<Arc<C>> {
    match result {
        Ok(client) => Some(Arc::new(client)),
        Err(ProviderError::NotConfigured { .. }) => None,
        Err(err) => {
            tracing::error!(%provider, error = %metarr_errors::chain(&err), "provider settings refused");
            None
        }
    }
}

fn build_clients(settings: &ProvidersSettings, gate: &Arc<dyn Gate>) -> Clients {
    Clients {
        tmdb: client_or_log(Provider::Tmdb, TmdbClient::new(&settings.tmdb, Arc::clone(gate))),
        fanart: client_or_log(Provider::Fanart, FanartClient::new(&settings.fanart, Arc::clone(gate))),
        omdb: client_or_log(Provider::Omdb, OmdbClient::new(&settings.omdb, Arc::clone(gate))),
    }
}
