//! The OMDb client: a film or a series by IMDb id, mostly for its ratings (IMDb, Rotten
//! Tomatoes, Metacritic). OMDb answers `?i=` for any kind of title, so one type serves both;
//! `Type` says which it is.
//!
//! Wire format and traps: docs/peers/providers.md, "OMDb". Every value arrives as a string,
//! `"N/A"` means absent, and errors arrive as `{"Response":"False","Error":"…"}`, usually
//! with HTTP 200, so the body decides before the status does.

use std::sync::Arc;

use chrono::NaiveDate;
use reqwest::Url;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{ProviderError, RateLimitKind};
use crate::gate::Gate;
use crate::ids::ImdbId;
use crate::outcome::{Outcome, Validators};
use crate::provider::Provider;
use crate::retry_after::until_next_utc_midnight;
use crate::settings::OmdbSettings;
use crate::transport::{Answer, Transport, base_url, url_with_path};

/// A title (film or series) as OMDb describes it, with its strings turned into values;
/// `"N/A"` and `""` are absent, and a value that cannot be read is absent too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawMovie")]
pub struct OmdbMovie {
    /// `imdbID`.
    pub imdb_id: Option<ImdbId>,
    /// `Title`.
    pub title: Option<String>,
    /// `Year`: the first year (`"2008–2013"` for a series gives 2008).
    pub year: Option<i32>,
    /// Series only: the last year of an ended series (`"2008–2013"` gives 2013); absent for
    /// a running one (`"2019–"`) and for films.
    pub end_year: Option<i32>,
    /// `totalSeasons`, series only.
    pub total_seasons: Option<u32>,
    /// `Rated`: the US certification (`R`).
    pub rated: Option<String>,
    /// `Released` (`"15 Oct 1999"`).
    pub released: Option<NaiveDate>,
    /// `Runtime` in minutes (`"139 min"`).
    pub runtime_minutes: Option<u32>,
    /// `Genre`, split at commas.
    pub genres: Vec<String>,
    /// `Director`, split at commas.
    pub directors: Vec<String>,
    /// `Writer`, split at commas, with OMDb's notes kept (`"Jim Uhls (screenplay)"`).
    pub writers: Vec<String>,
    /// `Actors`, split at commas (the top-billed few).
    pub actors: Vec<String>,
    /// `Plot`.
    pub plot: Option<String>,
    /// `Language`, split at commas (English names).
    pub languages: Vec<String>,
    /// `Country`, split at commas (English names).
    pub countries: Vec<String>,
    /// `Awards`, a sentence.
    pub awards: Option<String>,
    /// `Poster`: an image URL.
    pub poster_url: Option<String>,
    /// `Ratings`: each source's rating, read into value and scale.
    pub ratings: Vec<OmdbRating>,
    /// `Metascore`, 0–100.
    pub metascore: Option<u32>,
    /// `imdbRating`, 0–10.
    pub imdb_rating: Option<f64>,
    /// `imdbVotes` (`"1,255,061"`).
    pub imdb_votes: Option<u64>,
    /// `Type`.
    pub kind: Option<OmdbKind>,
    /// `DVD`: the home release date.
    pub dvd_release: Option<NaiveDate>,
    /// `BoxOffice` in US dollars (`"$37,030,102"`).
    pub box_office_usd: Option<u64>,
    /// `Production`.
    pub production: Option<String>,
    /// `Website`.
    pub website: Option<String>,
}

/// One source's rating, as a value on a scale: `"8.6/10"` is 8.6 of 10, `"92%"` is 92 of
/// 100, `"90/100"` is 90 of 100.
#[derive(Debug, Clone, PartialEq)]
pub struct OmdbRating {
    /// Who rated.
    pub source: RatingSource,
    /// The rating.
    pub value: f64,
    /// The top of the scale.
    pub max: f64,
}

/// Where a rating comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RatingSource {
    /// `Internet Movie Database`.
    Imdb,
    /// `Rotten Tomatoes` (the Tomatometer).
    RottenTomatoes,
    /// `Metacritic`.
    Metacritic,
    /// Any other source, by its name.
    Other(String),
}

impl RatingSource {
    fn from_name(name: &str) -> Self {
        match name.trim() {
            "Internet Movie Database" => RatingSource::Imdb,
            "Rotten Tomatoes" => RatingSource::RottenTomatoes,
            "Metacritic" => RatingSource::Metacritic,
            other => RatingSource::Other(other.to_owned()),
        }
    }
}

/// OMDb's `Type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OmdbKind {
    /// `movie`.
    Movie,
    /// `series`.
    Series,
    /// `episode`.
    Episode,
    /// `game` or anything else, kept.
    Other(String),
}

impl OmdbRating {
    /// Reads `"8.6/10"`, `"92%"` or `"90/100"`; `None` for anything else.
    pub fn parse(source: RatingSource, text: &str) -> Option<Self> {
        let text = text.trim();
        let (value, max) = if let Some(percent) = text.strip_suffix('%') {
            (parse_number(percent)?, 100.0)
        } else {
            let (value, max) = text.split_once('/')?;
            (parse_number(value)?, parse_number(max)?)
        };
        (max > 0.0 && (0.0..=max).contains(&value)).then_some(OmdbRating { source, value, max })
    }
}

/// The wire shape: every value a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMovie {
    title: Option<String>,
    year: Option<String>,
    rated: Option<String>,
    released: Option<String>,
    runtime: Option<String>,
    genre: Option<String>,
    director: Option<String>,
    writer: Option<String>,
    actors: Option<String>,
    plot: Option<String>,
    language: Option<String>,
    country: Option<String>,
    awards: Option<String>,
    poster: Option<String>,
    #[serde(default)]
    ratings: Option<Vec<RawRating>>,
    metascore: Option<String>,
    #[serde(rename = "imdbRating")]
    imdb_rating: Option<String>,
    #[serde(rename = "imdbVotes")]
    imdb_votes: Option<String>,
    #[serde(rename = "imdbID")]
    imdb_id: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(rename = "totalSeasons")]
    total_seasons: Option<String>,
    #[serde(rename = "DVD")]
    dvd: Option<String>,
    box_office: Option<String>,
    production: Option<String>,
    website: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawRating {
    source: Option<String>,
    value: Option<String>,
}

impl From<RawMovie> for OmdbMovie {
    fn from(raw: RawMovie) -> Self {
        let ratings = raw
            .ratings
            .unwrap_or_default()
            .into_iter()
            .filter_map(|rating| {
                let source = RatingSource::from_name(present(rating.source)?.as_str());
                OmdbRating::parse(source, &present(rating.value)?)
            })
            .collect();
        let years = present(raw.year);
        OmdbMovie {
            imdb_id: present(raw.imdb_id).and_then(|id| ImdbId::parse(&id).ok()),
            title: present(raw.title),
            year: years.as_deref().and_then(leading_number),
            end_year: years.as_deref().and_then(end_year),
            total_seasons: present(raw.total_seasons)
                .and_then(|seasons| seasons.parse().ok())
                .filter(|seasons| *seasons > 0),
            rated: present(raw.rated),
            released: present(raw.released).and_then(|date| parse_date(&date)),
            runtime_minutes: present(raw.runtime)
                .and_then(|runtime| leading_number(&runtime))
                .filter(|minutes| *minutes > 0),
            genres: list(raw.genre),
            directors: list(raw.director),
            writers: list(raw.writer),
            actors: list(raw.actors),
            plot: present(raw.plot),
            languages: list(raw.language),
            countries: list(raw.country),
            awards: present(raw.awards),
            poster_url: present(raw.poster),
            ratings,
            metascore: present(raw.metascore).and_then(|score| score.parse().ok()).filter(|score| *score <= 100),
            imdb_rating: present(raw.imdb_rating).and_then(|rating| parse_number(&rating)),
            imdb_votes: present(raw.imdb_votes).and_then(|votes| votes.replace(',', "").parse().ok()),
            kind: present(raw.kind).map(|kind| match kind.as_str() {
                "movie" => OmdbKind::Movie,
                "series" => OmdbKind::Series,
                "episode" => OmdbKind::Episode,
                _ => OmdbKind::Other(kind),
            }),
            dvd_release: present(raw.dvd).and_then(|date| parse_date(&date)),
            box_office_usd: present(raw.box_office)
                .and_then(|amount| amount.trim_start_matches('$').replace(',', "").parse().ok()),
            production: present(raw.production),
            website: present(raw.website),
        }
    }
}

/// A value unless it is `"N/A"` or empty.
fn present(value: Option<String>) -> Option<String> {
    value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty() && value != "N/A")
}

/// A comma-separated list, without blanks and `"N/A"`.
fn list(value: Option<String>) -> Vec<String> {
    present(value)
        .map(|value| {
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty() && *item != "N/A")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The number a value starts with (`"139 min"` → 139, `"2005–2007"` → 2005).
fn leading_number<T: std::str::FromStr>(value: &str) -> Option<T> {
    let end = value.find(|character: char| !character.is_ascii_digit()).unwrap_or(value.len());
    value[..end].parse().ok()
}

/// The year after the dash of a range (`"2008–2013"`, with OMDb's en dash, or a hyphen);
/// none for a single year or an open range (`"2019–"`).
fn end_year(value: &str) -> Option<i32> {
    let (_, end) = value.split_once(['–', '-'])?;
    leading_number(end.trim())
}

/// A finite decimal number (`"8.6"`, `"1,234"` is not one).
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|number| number.is_finite())
}

/// OMDb's dates: `"15 Oct 1999"`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%d %b %Y").ok()
}

/// `{"Response": "True" | "False", "Error": "…"}`, present in every OMDb answer.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Option<String>,
    #[serde(rename = "Error")]
    error: Option<String>,
}

/// What an OMDb error message means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    NotFound,
    Unauthorized,
    QuotaExhausted,
    Unknown,
}

/// Sorts OMDb's error texts: "Movie not found!" and "Incorrect IMDb ID." are a missing film;
/// "Invalid API key!", "No API key provided." (and any other message about the key) a key
/// to fix; "Request limit reached!" the daily quota.
fn error_kind(message: &str) -> ErrorKind {
    let message = message.to_ascii_lowercase();
    if message.contains("not found") || message.contains("incorrect imdb id") {
        ErrorKind::NotFound
    } else if message.contains("limit reached") {
        ErrorKind::QuotaExhausted
    } else if message.contains("api key") {
        ErrorKind::Unauthorized
    } else {
        ErrorKind::Unknown
    }
}

/// An OMDb client. Its `Debug` shows no key.
#[derive(Debug)]
pub struct OmdbClient {
    transport: Transport,
    base_url: Url,
    key: SecretString,
}

impl OmdbClient {
    /// A client for `settings` whose requests pass `gate` (the app's cross-process limit, an
    /// in-process [`RateLimiter`](crate::RateLimiter), or [`Ungated`](crate::Ungated)). Fails
    /// without a key.
    ///
    /// The daily quota is not counted here: it must hold across processes and restarts, so
    /// the app counts it in its gate.
    pub fn new(settings: &OmdbSettings, gate: Arc<dyn Gate>) -> Result<Self, ProviderError> {
        let provider = Provider::Omdb;
        let key = settings.api_key.clone().ok_or(ProviderError::NotConfigured { provider })?;
        let base_url = base_url(provider, "base_url", &settings.base_url)?;
        let transport = Transport::new(provider, settings.timeout(), gate, vec![key.clone()]);
        Ok(OmdbClient { transport, base_url, key })
    }

    /// `GET /?apikey=…&i={imdb_id}`. Any title: a series' id gives its [`OmdbKind::Series`]
    /// record with [`OmdbMovie::total_seasons`] (see [`OmdbClient::series`]).
    ///
    /// A spent daily quota is [`ProviderError::RateLimited`] with
    /// [`RateLimitKind::QuotaExhausted`] until the next midnight UTC (an assumption: OMDb
    /// does not say when its day ends).
    #[tracing::instrument(skip_all, fields(provider = "omdb", imdb_id = %imdb_id))]
    pub async fn movie(&self, imdb_id: &ImdbId, validators: &Validators) -> Result<Outcome<OmdbMovie>, ProviderError> {
        let mut url = url_with_path(&self.base_url, &[]);
        url.query_pairs_mut().append_pair("apikey", self.key.expose_secret().trim()).append_pair("i", imdb_id.as_str());
        let answer = self.transport.get(url, HeaderMap::new(), validators).await?;
        self.classify(answer)
    }

    /// [`OmdbClient::movie`] under the name a series caller looks for: OMDb's `?i=` is the
    /// same request for a series (`tt0903747`), whose answer has `"Type": "series"` and
    /// `totalSeasons`. The kind is not checked here: the caller reads [`OmdbMovie::kind`].
    pub async fn series(&self, imdb_id: &ImdbId, validators: &Validators) -> Result<Outcome<OmdbMovie>, ProviderError> {
        self.movie(imdb_id, validators).await
    }

    /// The body decides first: an error envelope means what its message says whatever the
    /// status (OMDb sends its errors with 200, and some with 401); only then the status.
    fn classify(&self, answer: Answer) -> Result<Outcome<OmdbMovie>, ProviderError> {
        let envelope = serde_json::from_slice::<Envelope>(&answer.body).ok();
        let response = envelope.as_ref().and_then(|envelope| envelope.response.as_deref()).map(str::trim);
        if response.is_some_and(|response| response.eq_ignore_ascii_case("false")) {
            let message = envelope.and_then(|envelope| envelope.error).unwrap_or_default();
            let message = self.transport.scrub(&message);
            return match error_kind(&message) {
                ErrorKind::NotFound => Ok(Outcome::NotFound),
                ErrorKind::Unauthorized => {
                    Err(ProviderError::Unauthorized { provider: Provider::Omdb, url: answer.url, message })
                }
                ErrorKind::QuotaExhausted => Err(ProviderError::RateLimited {
                    provider: Provider::Omdb,
                    url: answer.url,
                    retry_after: until_next_utc_midnight(chrono::Utc::now()),
                    kind: RateLimitKind::QuotaExhausted,
                }),
                ErrorKind::Unknown if answer.status.is_server_error() => Err(self.transport.server_error(answer)),
                ErrorKind::Unknown => {
                    Err(self.transport.invalid(answer.url, format!("OMDb answered an error: {message}"), None))
                }
            };
        }
        if answer.status.is_success() && !response.is_some_and(|response| response.eq_ignore_ascii_case("true")) {
            if envelope.is_some() {
                return Err(self.transport.invalid(
                    answer.url,
                    "the JSON has no \"Response\": \"True\"".to_owned(),
                    None,
                ));
            }
            // Not a JSON object: the decoder says whether it is empty, cut off or not JSON.
            let fetched = self.transport.decode::<serde_json::Value>(answer)?;
            return Err(self.transport.invalid(fetched.url, "the JSON is not an object".to_owned(), None));
        }
        self.transport.classify(answer, |_| None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn ratings_in_each_form() {
        let imdb = OmdbRating::parse(RatingSource::Imdb, "8.6/10").unwrap();
        assert_eq!((imdb.value, imdb.max), (8.6, 10.0));
        let tomatoes = OmdbRating::parse(RatingSource::RottenTomatoes, "92%").unwrap();
        assert_eq!((tomatoes.value, tomatoes.max), (92.0, 100.0));
        let metacritic = OmdbRating::parse(RatingSource::Metacritic, "90/100").unwrap();
        assert_eq!((metacritic.value, metacritic.max), (90.0, 100.0));
        for garbage in ["", "N/A", "8.6", "11/10", "5/0", "abc%", "-1/10", "NaN/10", "8.6 / ten"] {
            assert_eq!(OmdbRating::parse(RatingSource::Imdb, garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(error_kind("Movie not found!"), ErrorKind::NotFound);
        assert_eq!(error_kind("Incorrect IMDb ID."), ErrorKind::NotFound);
        assert_eq!(error_kind("Invalid API key!"), ErrorKind::Unauthorized);
        assert_eq!(error_kind("No API key provided."), ErrorKind::Unauthorized);
        assert_eq!(error_kind("Request limit reached!"), ErrorKind::QuotaExhausted);
        assert_eq!(error_kind("Something went wrong."), ErrorKind::Unknown);
    }

    #[test]
    fn strings_become_values() {
        assert_eq!(present(Some("N/A".to_owned())), None);
        assert_eq!(present(Some(" ".to_owned())), None);
        assert_eq!(list(Some("Drama, , N/A,Thriller".to_owned())), ["Drama", "Thriller"]);
        assert_eq!(leading_number::<u32>("139 min"), Some(139));
        assert_eq!(leading_number::<i32>("2005–2007"), Some(2005));
        assert_eq!(end_year("2008–2013"), Some(2013));
        assert_eq!(end_year("2008-2013"), Some(2013));
        assert_eq!((end_year("2019–"), end_year("1999")), (None, None));
        assert_eq!(leading_number::<u32>("min"), None);
        assert_eq!(parse_date("15 Oct 1999"), NaiveDate::from_ymd_opt(1999, 10, 15));
    }
}
