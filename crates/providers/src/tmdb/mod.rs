//! The TMDB v3 client: a movie with everything Metarr needs in one call, `find` by IMDb id,
//! search, collections, the change list and the image configuration; television (a series,
//! a season, search, `find` by TheTVDB id) is in `tv`.
//!
//! Wire format and traps: docs/peers/providers.md, "TMDB".

mod tv;
mod types;

use std::sync::Arc;

use chrono::NaiveDate;
use reqwest::Url;
use reqwest::header::{self, HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

pub use tv::{
    AggregateCastMember, AggregateCredits, AggregateCrewMember, ContentRating, ContentRatings, Creator, CrewJob,
    Network, Role, SEASON_APPENDS, SeasonSummary, TV_APPENDS, TvEpisode, TvExternalIds, TvKeywords, TvSearch, TvSeason,
    TvSeries, TvSummary,
};
pub use types::{
    CastMember, ChangedMovie, Collection, CollectionRef, Company, Configuration, Country, CountryReleases, Credits,
    CrewMember, ExternalIds, FindResults, Genre, Image, ImageConfiguration, Images, Keyword, Keywords, MovieDetails,
    MovieSummary, Page, PersonId, Release, ReleaseDates, ReleaseType, SpokenLanguage, Video, VideoSite, VideoType,
    Videos,
};

use crate::error::ProviderError;
use crate::gate::Gate;
use crate::ids::{CollectionId, ImdbId, TmdbId};
use crate::language::Language;
use crate::outcome::{Outcome, Validators};
use crate::provider::Provider;
use crate::settings::TmdbSettings;
use crate::transport::{Answer, Transport, base_url, secret_header, url_with_path};

/// What `movie` appends, so one request carries everything enrichment needs.
pub const MOVIE_APPENDS: &str = "credits,external_ids,release_dates,keywords,videos,images";

/// How the client authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TmdbAuthKind {
    /// A v3 API key, sent as the `api_key` query parameter.
    ApiKey,
    /// A v4 read access token, sent as `Authorization: Bearer …`.
    ReadAccessToken,
}

impl TmdbAuthKind {
    /// Which kind of credential `key` is: v4 read access tokens are JWTs (three base64url
    /// parts joined by dots, the first a JSON header, so starting `eyJ`); v3 keys are 32 hex
    /// digits.
    pub fn of(key: &str) -> Self {
        let key = key.trim();
        let parts: Vec<&str> = key.split('.').collect();
        let base64url = |part: &&str| {
            !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        };
        if key.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(base64url) {
            TmdbAuthKind::ReadAccessToken
        } else {
            TmdbAuthKind::ApiKey
        }
    }
}

/// A search by title: `GET /search/movie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieSearch {
    /// The title to look for.
    pub query: String,
    /// Any release in this year (`year`).
    pub year: Option<i32>,
    /// The primary release in this year (`primary_release_year`), stricter than `year`.
    pub primary_release_year: Option<i32>,
    /// The language of titles and overviews in the results.
    pub language: Option<Language>,
    /// The page, from 1.
    pub page: u32,
}

impl MovieSearch {
    /// A search for `query` on the first page, any year.
    pub fn new(query: impl Into<String>) -> Self {
        MovieSearch { query: query.into(), year: None, primary_release_year: None, language: None, page: 1 }
    }

    /// Only films released in `year`.
    #[must_use]
    pub fn year(mut self, year: i32) -> Self {
        self.year = Some(year);
        self
    }

    /// Only films first released in `year`.
    #[must_use]
    pub fn primary_release_year(mut self, year: i32) -> Self {
        self.primary_release_year = Some(year);
        self
    }

    /// Titles and overviews in `language`.
    #[must_use]
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Another page.
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }
}

/// A window of the change list: `GET /movie/changes`. TMDB takes at most 14 days, and
/// the last 24 hours when no dates are given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangesQuery {
    /// First day (inclusive).
    pub start_date: Option<NaiveDate>,
    /// Last day (inclusive).
    pub end_date: Option<NaiveDate>,
    /// The page, from 1 (`None` for TMDB's default, the first).
    pub page: Option<u32>,
}

/// A TMDB v3 client. Its `Debug` shows no key: the key is a secret and the bearer header is
/// marked sensitive.
#[derive(Debug)]
pub struct TmdbClient {
    transport: Transport,
    base_url: Url,
    image_base_url: String,
    auth_kind: TmdbAuthKind,
    key: SecretString,
    /// The `Authorization` header of a v4 token, built once.
    headers: HeaderMap,
}

impl TmdbClient {
    /// A client for `settings` whose requests pass `gate` (the app's cross-process limit, an
    /// in-process [`RateLimiter`](crate::RateLimiter), or [`Ungated`](crate::Ungated)).
    ///
    /// Fails with [`ProviderError::NotConfigured`] without a key, and with
    /// [`ProviderError::Config`] for a base URL that is not http(s).
    pub fn new(settings: &TmdbSettings, gate: Arc<dyn Gate>) -> Result<Self, ProviderError> {
        let provider = Provider::Tmdb;
        let key = settings.api_key.clone().ok_or(ProviderError::NotConfigured { provider })?;
        let base_url = base_url(provider, "base_url", &settings.base_url)?;
        base_url_check(&settings.image_base_url)?;
        let auth_kind = TmdbAuthKind::of(key.expose_secret());
        let mut headers = HeaderMap::new();
        if auth_kind == TmdbAuthKind::ReadAccessToken {
            let bearer = format!("Bearer {}", key.expose_secret().trim());
            headers.insert(header::AUTHORIZATION, secret_header(provider, "api_key", &bearer)?);
        }
        let transport = Transport::new(provider, settings.timeout(), gate, vec![key.clone()]);
        let image_base_url = settings.image_base_url.trim().trim_end_matches('/').to_owned();
        Ok(TmdbClient { transport, base_url, image_base_url, auth_kind, key, headers })
    }

    /// How the configured key is sent.
    pub fn auth_kind(&self) -> TmdbAuthKind {
        self.auth_kind
    }

    /// The URL of an image: the image base, a size from [`Configuration`] (`w500`,
    /// `original`), and a `file_path` (`/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg`).
    pub fn image_url(&self, size: &str, file_path: &str) -> String {
        format!("{}/{}/{}", self.image_base_url, size.trim_matches('/'), file_path.trim_start_matches('/'))
    }

    /// `GET /movie/{id}` with [`MOVIE_APPENDS`]. Texts come in `language`; images and
    /// videos in its language, English and none (TMDB filters appended images and videos by
    /// language, so without `include_image_language` a French request gets French posters
    /// only).
    #[tracing::instrument(skip_all, fields(provider = "tmdb", tmdb_id = %id))]
    pub async fn movie(
        &self,
        id: TmdbId,
        language: &Language,
        validators: &Validators,
    ) -> Result<Outcome<MovieDetails>, ProviderError> {
        let also = include_languages(language);
        let query = [
            ("language", language.as_str()),
            ("append_to_response", MOVIE_APPENDS),
            ("include_image_language", also.as_str()),
            ("include_video_language", also.as_str()),
        ];
        self.get(&["movie", &id.to_string()], &query, validators).await
    }

    /// `GET /find/{imdb_id}?external_source=imdb_id`: the TMDB movie with this IMDb id.
    /// TMDB answers an unknown id with empty lists, so the outcome is
    /// [`Outcome::Found`] with no movie in it, not [`Outcome::NotFound`].
    #[tracing::instrument(skip_all, fields(provider = "tmdb", imdb_id = %imdb_id))]
    pub async fn find_by_imdb_id(
        &self,
        imdb_id: &ImdbId,
        language: &Language,
        validators: &Validators,
    ) -> Result<Outcome<FindResults>, ProviderError> {
        let query = [("external_source", "imdb_id"), ("language", language.as_str())];
        self.get(&["find", imdb_id.as_str()], &query, validators).await
    }

    /// `GET /search/movie`.
    #[tracing::instrument(skip_all, fields(provider = "tmdb", year = ?search.year))]
    pub async fn search_movies(
        &self,
        search: &MovieSearch,
        validators: &Validators,
    ) -> Result<Outcome<Page<MovieSummary>>, ProviderError> {
        let year = search.year.map(|year| year.to_string());
        let primary_release_year = search.primary_release_year.map(|year| year.to_string());
        let page = search.page.max(1).to_string();
        let mut query = vec![("query", search.query.as_str()), ("page", page.as_str())];
        if let Some(year) = &year {
            query.push(("year", year));
        }
        if let Some(year) = &primary_release_year {
            query.push(("primary_release_year", year));
        }
        if let Some(language) = &search.language {
            query.push(("language", language.as_str()));
        }
        self.get(&["search", "movie"], &query, validators).await
    }

    /// `GET /collection/{id}`.
    #[tracing::instrument(skip_all, fields(provider = "tmdb", collection_id = %id))]
    pub async fn collection(
        &self,
        id: CollectionId,
        language: &Language,
        validators: &Validators,
    ) -> Result<Outcome<Collection>, ProviderError> {
        self.get(&["collection", &id.to_string()], &[("language", language.as_str())], validators).await
    }

    /// `GET /movie/changes`: the ids of movies changed in the window, a page at a time.
    #[tracing::instrument(skip_all, fields(provider = "tmdb"))]
    pub async fn movie_changes(
        &self,
        changes: &ChangesQuery,
        validators: &Validators,
    ) -> Result<Outcome<Page<ChangedMovie>>, ProviderError> {
        let start_date = changes.start_date.map(|date| date.format("%Y-%m-%d").to_string());
        let end_date = changes.end_date.map(|date| date.format("%Y-%m-%d").to_string());
        let page = changes.page.map(|page| page.max(1).to_string());
        let mut query = Vec::new();
        if let Some(date) = &start_date {
            query.push(("start_date", date.as_str()));
        }
        if let Some(date) = &end_date {
            query.push(("end_date", date.as_str()));
        }
        if let Some(page) = &page {
            query.push(("page", page.as_str()));
        }
        self.get(&["movie", "changes"], &query, validators).await
    }

    /// `GET /configuration`: image bases and sizes. Also the cheapest call that checks a key.
    #[tracing::instrument(skip_all, fields(provider = "tmdb"))]
    pub async fn configuration(&self, validators: &Validators) -> Result<Outcome<Configuration>, ProviderError> {
        self.get(&["configuration"], &[], validators).await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
        validators: &Validators,
    ) -> Result<Outcome<T>, ProviderError> {
        let mut url = url_with_path(&self.base_url, path);
        if self.auth_kind == TmdbAuthKind::ApiKey {
            url.query_pairs_mut().append_pair("api_key", self.key.expose_secret().trim());
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let answer: Answer = self.transport.get(url, self.headers.clone(), validators).await?;
        self.transport.classify(answer, error_message)
    }
}

/// The image and video languages for a request in `language`: its language, English, and
/// `null` (no language).
fn include_languages(language: &Language) -> String {
    let mut codes = vec![language.primary()];
    if language.primary() != "en" {
        codes.push("en");
    }
    codes.push("null");
    codes.join(",")
}

/// TMDB's error body's message, when the body is one.
fn error_message(body: &[u8]) -> Option<String> {
    let error: types::ErrorBody = serde_json::from_slice(body).ok()?;
    Some(if error.status_message.is_empty() {
        format!("TMDB status code {}", error.status_code)
    } else {
        error.status_message
    })
}

fn base_url_check(image_base_url: &str) -> Result<(), ProviderError> {
    base_url(Provider::Tmdb, "image_base_url", image_base_url).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_tokens_are_told_from_v3_keys() {
        let token =
            "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIxMjMiLCJzY29wZXMiOlsiYXBpX3JlYWQiXSwidmVyc2lvbiI6MX0.c2lnbmF0dXJl_-";
        assert_eq!(TmdbAuthKind::of(token), TmdbAuthKind::ReadAccessToken);
        assert_eq!(TmdbAuthKind::of(&format!(" {token}\n")), TmdbAuthKind::ReadAccessToken);
        assert_eq!(TmdbAuthKind::of("0123456789abcdef0123456789abcdef"), TmdbAuthKind::ApiKey);
        // Not JWTs: two parts, an empty part, a character outside base64url, no JSON header.
        for key in ["eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIxMjMifQ", "eyJhbGc..sig", "eyJ.a+b.c", "abc.def.ghi"] {
            assert_eq!(TmdbAuthKind::of(key), TmdbAuthKind::ApiKey, "{key}");
        }
    }

    #[test]
    fn image_and_video_languages() {
        assert_eq!(include_languages(&Language::parse("fr-CA").expect("valid")), "fr,en,null");
        assert_eq!(include_languages(&Language::default()), "en,null");
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(br#"{"success":false,"status_code":34,"status_message":"The resource you requested could not be found."}"#),
            Some("The resource you requested could not be found.".to_owned())
        );
        assert_eq!(error_message(br#"{"status_code":34}"#), Some("TMDB status code 34".to_owned()));
        assert_eq!(error_message(b"<html>Not Found</html>"), None);
        assert_eq!(error_message(b""), None);
    }
}
