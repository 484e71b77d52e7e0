//! The Fanart.tv v3 client: every art type of a film, by TMDB or IMDb id; a series' art, by
//! TheTVDB id, is in `tv`.
//!
//! Wire format and traps: docs/peers/providers.md, "Fanart.tv".

mod tv;

use std::sync::Arc;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::ProviderError;
use crate::gate::Gate;
use crate::ids::{ImdbId, MovieRef, TmdbId};
use crate::language::ArtLanguage;
use crate::lenient::{count, imdb_id, non_empty_string, null_as_default, number_or_string, optional_number, tmdb_id};
use crate::outcome::{Outcome, Validators};
use crate::provider::Provider;
use crate::settings::FanartSettings;

use crate::transport::{Transport, base_url, secret_header, url_with_path};
pub use tv::{FanartTv, FanartTvArtType};

/// The kinds of movie art Fanart.tv has, by their keys in its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FanartArtType {
    /// `hdmovielogo`: HD clear logo (800×310).
    HdMovieLogo,
    /// `movielogo`: SD clear logo (400×155), the older kind.
    MovieLogo,
    /// `hdmovieclearart`: HD clear art (1000×562).
    HdMovieClearArt,
    /// `movieart`: SD clear art (500×281).
    MovieArt,
    /// `moviedisc`: disc art (1000×1000), with disc number and type.
    MovieDisc,
    /// `movieposter`: poster (1000×1426).
    MoviePoster,
    /// `moviebackground`: background, fanart (1920×1080).
    MovieBackground,
    /// `moviebanner`: banner (1000×185).
    MovieBanner,
    /// `moviethumb`: landscape thumb (1000×562).
    MovieThumb,
}

impl FanartArtType {
    /// Every art type.
    pub const ALL: [FanartArtType; 9] = [
        FanartArtType::HdMovieLogo,
        FanartArtType::MovieLogo,
        FanartArtType::HdMovieClearArt,
        FanartArtType::MovieArt,
        FanartArtType::MovieDisc,
        FanartArtType::MoviePoster,
        FanartArtType::MovieBackground,
        FanartArtType::MovieBanner,
        FanartArtType::MovieThumb,
    ];

    /// The key in Fanart.tv's answer.
    pub const fn as_str(self) -> &'static str {
        match self {
            FanartArtType::HdMovieLogo => "hdmovielogo",
            FanartArtType::MovieLogo => "movielogo",
            FanartArtType::HdMovieClearArt => "hdmovieclearart",
            FanartArtType::MovieArt => "movieart",
            FanartArtType::MovieDisc => "moviedisc",
            FanartArtType::MoviePoster => "movieposter",
            FanartArtType::MovieBackground => "moviebackground",
            FanartArtType::MovieBanner => "moviebanner",
            FanartArtType::MovieThumb => "moviethumb",
        }
    }
}

/// `GET /movies/{id}`: a film's art, per type. A type Fanart.tv has nothing of is absent
/// from its answer, and empty here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FanartMovie {
    /// The film's name on Fanart.tv.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub name: Option<String>,
    /// The TMDB id (sent as a string).
    #[serde(default, deserialize_with = "tmdb_id")]
    pub tmdb_id: Option<TmdbId>,
    /// The IMDb id.
    #[serde(default, deserialize_with = "imdb_id")]
    pub imdb_id: Option<ImdbId>,
    /// HD clear logos.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hdmovielogo: Vec<FanartImage>,
    /// SD clear logos.
    #[serde(default, deserialize_with = "null_as_default")]
    pub movielogo: Vec<FanartImage>,
    /// HD clear art.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hdmovieclearart: Vec<FanartImage>,
    /// SD clear art.
    #[serde(default, deserialize_with = "null_as_default")]
    pub movieart: Vec<FanartImage>,
    /// Disc art.
    #[serde(default, deserialize_with = "null_as_default")]
    pub moviedisc: Vec<FanartImage>,
    /// Posters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub movieposter: Vec<FanartImage>,
    /// Backgrounds.
    #[serde(default, deserialize_with = "null_as_default")]
    pub moviebackground: Vec<FanartImage>,
    /// Banners.
    #[serde(default, deserialize_with = "null_as_default")]
    pub moviebanner: Vec<FanartImage>,
    /// Landscape thumbs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub moviethumb: Vec<FanartImage>,
}

impl FanartMovie {
    /// The images of one type.
    pub fn images(&self, kind: FanartArtType) -> &[FanartImage] {
        match kind {
            FanartArtType::HdMovieLogo => &self.hdmovielogo,
            FanartArtType::MovieLogo => &self.movielogo,
            FanartArtType::HdMovieClearArt => &self.hdmovieclearart,
            FanartArtType::MovieArt => &self.movieart,
            FanartArtType::MovieDisc => &self.moviedisc,
            FanartArtType::MoviePoster => &self.movieposter,
            FanartArtType::MovieBackground => &self.moviebackground,
            FanartArtType::MovieBanner => &self.moviebanner,
            FanartArtType::MovieThumb => &self.moviethumb,
        }
    }

    /// Every image with its type, type by type in [`FanartArtType::ALL`]'s order.
    pub fn all_images(&self) -> impl Iterator<Item = (FanartArtType, &FanartImage)> {
        FanartArtType::ALL.into_iter().flat_map(move |kind| self.images(kind).iter().map(move |image| (kind, image)))
    }
}

/// One piece of art.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FanartImage {
    /// Fanart.tv's id of the image (sent as a string).
    #[serde(default, deserialize_with = "id_text")]
    pub id: String,
    /// The full-size image.
    pub url: String,
    /// The language of its text; `"00"` and `""` are textless.
    #[serde(default)]
    pub lang: ArtLanguage,
    /// Votes; sent as a string, and 0 when it is not a number.
    #[serde(default, deserialize_with = "count")]
    pub likes: u32,
    /// Disc art only: the disc's number (`"1"`).
    #[serde(default, deserialize_with = "optional_number")]
    pub disc: Option<u32>,
    /// Disc art only: the kind of disc.
    #[serde(default)]
    pub disc_type: Option<DiscType>,
    /// Series art only: the season it is for (season posters, thumbs and banners; also on
    /// show backgrounds, mostly `"all"`). Absent for movies and when `""`.
    #[serde(default, deserialize_with = "season")]
    pub season: Option<FanartSeason>,
}

impl FanartImage {
    /// The small preview Fanart.tv serves for every image: `/fanart/` becomes `/preview/`.
    pub fn preview_url(&self) -> String {
        self.url.replacen("/fanart/", "/preview/", 1)
    }
}

/// The kind of disc of a disc art.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DiscType {
    /// `bluray`.
    BluRay,
    /// `dvd`.
    Dvd,
    /// `3d`.
    ThreeD,
    /// Any other value, kept.
    Other(String),
}

impl<'de> Deserialize<'de> for DiscType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "bluray" => DiscType::BluRay,
            "dvd" => DiscType::Dvd,
            "3d" => DiscType::ThreeD,
            _ => DiscType::Other(text),
        })
    }
}

/// The season a piece of series art is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FanartSeason {
    /// `"all"`: every season (a season poster to use where no season has its own).
    All,
    /// `"1"`: one season; `"0"` is specials.
    Number(u32),
}

/// `"all"`, a number as a string (or a number); `""`, `null` and anything else are absent.
fn season<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<FanartSeason>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.as_str().is_some_and(|text| text.trim().eq_ignore_ascii_case("all")) {
        return Ok(Some(FanartSeason::All));
    }
    Ok(number_or_string(&value).and_then(|number| u32::try_from(number).ok()).map(FanartSeason::Number))
}

/// An id sent as a string or a number, kept as text.
fn id_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text,
        serde_json::Value::Number(number) => number.to_string(),
        _ => String::new(),
    })
}

/// Fanart.tv's error body: `{"status": "error", "error message": "Not found"}`.
#[derive(Deserialize)]
struct ErrorBody {
    status: String,
    #[serde(rename = "error message", default)]
    error_message: Option<String>,
}

fn error_message(body: &[u8]) -> Option<String> {
    let error: ErrorBody = serde_json::from_slice(body).ok()?;
    (error.status == "error").then(|| error.error_message.unwrap_or_else(|| "error".to_owned()))
}

/// A Fanart.tv v3 client for movies and series. Its `Debug` shows no key: the headers holding them are
/// marked sensitive.
#[derive(Debug)]
pub struct FanartClient {
    transport: Transport,
    base_url: Url,
    headers: HeaderMap,
}

impl FanartClient {
    /// A client for `settings` whose requests pass `gate` (the app's cross-process limit, an
    /// in-process [`RateLimiter`](crate::RateLimiter), or [`Ungated`](crate::Ungated)). Fails
    /// without a project key.
    pub fn new(settings: &FanartSettings, gate: Arc<dyn Gate>) -> Result<Self, ProviderError> {
        let provider = Provider::Fanart;
        let api_key = settings.api_key.clone().ok_or(ProviderError::NotConfigured { provider })?;
        let base_url = base_url(provider, "base_url", &settings.base_url)?;
        let mut headers = HeaderMap::new();
        headers
            .insert(HeaderName::from_static("api-key"), secret_header(provider, "api_key", api_key.expose_secret())?);
        let mut secrets: Vec<SecretString> = vec![api_key];
        if let Some(client_key) = &settings.client_key {
            headers.insert(
                HeaderName::from_static("client-key"),
                secret_header(provider, "client_key", client_key.expose_secret())?,
            );
            secrets.push(client_key.clone());
        }
        let transport = Transport::new(provider, settings.timeout(), gate, secrets);
        Ok(FanartClient { transport, base_url, headers })
    }

    /// `GET /movies/{id}` with the `api-key` (and `client-key`) headers. A film Fanart.tv
    /// has no art for is [`Outcome::NotFound`] (its 404 with an error body).
    #[tracing::instrument(skip_all, fields(provider = "fanart", movie = %movie))]
    pub async fn movie(
        &self,
        movie: &MovieRef,
        validators: &Validators,
    ) -> Result<Outcome<FanartMovie>, ProviderError> {
        self.get(&["movies", &movie.to_string()], validators).await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        validators: &Validators,
    ) -> Result<Outcome<T>, ProviderError> {
        let url = url_with_path(&self.base_url, path);
        let answer = self.transport.get(url, self.headers.clone(), validators).await?;
        self.transport.classify(answer, error_message)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        assert_eq!(error_message(br#"{"status":"error","error message":"Not found"}"#), Some("Not found".to_owned()));
        assert_eq!(error_message(br#"{"status":"ok"}"#), None);
        assert_eq!(error_message(b"Not Found"), None);
    }

    #[test]
    fn images_tolerate_odd_values() {
        let image: FanartImage = serde_json::from_str(
            r#"{"id":12,"url":"https://assets.fanart.tv/fanart/movies/550/moviedisc/x.png","lang":"00","likes":"many","disc":"2","disc_type":"BluRay"}"#,
        )
        .unwrap();
        assert_eq!(image.id, "12");
        assert_eq!(image.lang, ArtLanguage::Textless);
        assert_eq!(image.likes, 0);
        assert_eq!(image.disc, Some(2));
        assert_eq!(image.disc_type, Some(DiscType::BluRay));
        assert_eq!(image.season, None);
        assert_eq!(image.preview_url(), "https://assets.fanart.tv/preview/movies/550/moviedisc/x.png");
    }

    #[test]
    fn seasons_are_all_a_number_or_absent() {
        let season_of = |json: &str| {
            let image: FanartImage = serde_json::from_str(&format!(r#"{{"id":"1","url":"u",{json}}}"#)).unwrap();
            image.season
        };
        assert_eq!(season_of(r#""season":"all""#), Some(FanartSeason::All));
        assert_eq!(season_of(r#""season":"ALL ""#), Some(FanartSeason::All));
        assert_eq!(season_of(r#""season":"1""#), Some(FanartSeason::Number(1)));
        assert_eq!(season_of(r#""season":"0""#), Some(FanartSeason::Number(0)), "specials");
        assert_eq!(season_of(r#""season":12"#), Some(FanartSeason::Number(12)));
        for absent in [r#""season":"""#, r#""season":null"#, r#""season":"first""#, r#""season":-1"#, r#""lang":"en""#]
        {
            assert_eq!(season_of(absent), None, "{absent}");
        }
    }

    #[test]
    fn art_type_names_are_the_answer_keys() {
        let names: Vec<&str> = FanartArtType::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "hdmovielogo",
                "movielogo",
                "hdmovieclearart",
                "movieart",
                "moviedisc",
                "movieposter",
                "moviebackground",
                "moviebanner",
                "moviethumb"
            ]
        );
    }
}
