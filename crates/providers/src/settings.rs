//! The providers' configuration as the app embeds it under `providers.*` (TOML keys, or
//! `METARR_PROVIDERS__TMDB__API_KEY`-style environment variables): every field has a
//! default, and keys are secrets from the moment they are read.

use std::num::{NonZeroU32, NonZeroU64};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::language::Language;

/// TMDB's API root.
pub const TMDB_BASE_URL: &str = "https://api.themoviedb.org/3";
/// Where TMDB's images live; an image URL is this + `/` + size + `file_path`.
pub const TMDB_IMAGE_BASE_URL: &str = "https://image.tmdb.org/t/p";
/// Fanart.tv's API root.
pub const FANART_BASE_URL: &str = "https://webservice.fanart.tv/v3";
/// OMDb's API root.
pub const OMDB_BASE_URL: &str = "https://www.omdbapi.com";

/// How long one request may take, headers and body, unless configured: long enough for a
/// TMDB movie with every append on a slow link, short enough that a stuck provider does
/// not hold a worker.
const DEFAULT_TIMEOUT_SECS: u64 = 15;

/// Every provider's settings, and the language Metarr asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvidersSettings {
    /// The metadata language (`en-US` by default); see [`Language::fallback_chain`] for the
    /// order in which languages are tried.
    pub language: Language,
    /// Movies enriched longer ago than this many days are checked again by the daily
    /// provider update (30 by default).
    pub refresh_after_days: NonZeroU32,
    /// How long a provider's answer is reused without asking again, in days (7 by default).
    pub cache_ttl_days: NonZeroU32,
    /// TMDB.
    pub tmdb: TmdbSettings,
    /// Fanart.tv.
    pub fanart: FanartSettings,
    /// OMDb.
    pub omdb: OmdbSettings,
}

impl Default for ProvidersSettings {
    fn default() -> Self {
        ProvidersSettings {
            language: Language::default(),
            refresh_after_days: NonZeroU32::new(30).expect("30 is not zero"),
            cache_ttl_days: NonZeroU32::new(7).expect("7 is not zero"),
            tmdb: TmdbSettings::default(),
            fanart: FanartSettings::default(),
            omdb: OmdbSettings::default(),
        }
    }
}

/// TMDB's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TmdbSettings {
    /// A v3 API key, or a v4 read access token (a JWT); the client tells them apart.
    #[serde(deserialize_with = "optional_secret")]
    pub api_key: Option<SecretString>,
    /// The API root, [`TMDB_BASE_URL`] by default.
    pub base_url: String,
    /// The image root, [`TMDB_IMAGE_BASE_URL`] by default.
    pub image_base_url: String,
    /// Requests per second; 40 by default, under the roughly 50 per second TMDB still
    /// enforces.
    pub requests_per_second: NonZeroU32,
    /// Requests per day; TMDB has no daily quota, so none by default.
    pub daily_quota: Option<NonZeroU32>,
    /// Seconds one request may take.
    pub timeout_secs: NonZeroU64,
}

impl TmdbSettings {
    /// How long one request may take, body included.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.get())
    }
}

impl Default for TmdbSettings {
    fn default() -> Self {
        TmdbSettings {
            api_key: None,
            base_url: TMDB_BASE_URL.to_owned(),
            image_base_url: TMDB_IMAGE_BASE_URL.to_owned(),
            requests_per_second: NonZeroU32::new(40).expect("40 is not zero"),
            daily_quota: None,
            timeout_secs: default_timeout_secs(),
        }
    }
}

/// Fanart.tv's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FanartSettings {
    /// The project API key (header `api-key`).
    #[serde(deserialize_with = "optional_secret")]
    pub api_key: Option<SecretString>,
    /// A user's personal key (header `client-key`), which gets newer art sooner.
    #[serde(deserialize_with = "optional_secret")]
    pub client_key: Option<SecretString>,
    /// The API root, [`FANART_BASE_URL`] by default.
    pub base_url: String,
    /// Requests per second; 10 by default.
    pub requests_per_second: NonZeroU32,
    /// Requests per day; none by default.
    pub daily_quota: Option<NonZeroU32>,
    /// Seconds one request may take.
    pub timeout_secs: NonZeroU64,
}

impl FanartSettings {
    /// How long one request may take, body included.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.get())
    }
}

impl Default for FanartSettings {
    fn default() -> Self {
        FanartSettings {
            api_key: None,
            client_key: None,
            base_url: FANART_BASE_URL.to_owned(),
            requests_per_second: NonZeroU32::new(10).expect("10 is not zero"),
            daily_quota: None,
            timeout_secs: default_timeout_secs(),
        }
    }
}

/// OMDb's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OmdbSettings {
    /// The API key (query parameter `apikey`).
    #[serde(deserialize_with = "optional_secret")]
    pub api_key: Option<SecretString>,
    /// The API root, [`OMDB_BASE_URL`] by default.
    pub base_url: String,
    /// Requests per second; 5 by default.
    pub requests_per_second: NonZeroU32,
    /// Requests per day; 1,000 by default, what a free key allows.
    pub daily_quota: Option<NonZeroU32>,
    /// Seconds one request may take.
    pub timeout_secs: NonZeroU64,
}

impl OmdbSettings {
    /// How long one request may take, body included.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.get())
    }
}

impl Default for OmdbSettings {
    fn default() -> Self {
        OmdbSettings {
            api_key: None,
            base_url: OMDB_BASE_URL.to_owned(),
            requests_per_second: NonZeroU32::new(5).expect("5 is not zero"),
            daily_quota: NonZeroU32::new(1000),
            timeout_secs: default_timeout_secs(),
        }
    }
}

fn default_timeout_secs() -> NonZeroU64 {
    NonZeroU64::new(DEFAULT_TIMEOUT_SECS).expect("the default timeout is not zero")
}

/// A key, trimmed; an empty one (an environment variable set to "") counts as not set.
fn optional_secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SecretString>, D::Error> {
    let secret = Option::<SecretString>::deserialize(deserializer)?;
    Ok(secret.and_then(|secret| {
        let trimmed = secret.expose_secret().trim();
        (!trimmed.is_empty()).then(|| SecretString::from(trimmed.to_owned()))
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let settings: ProvidersSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings.language.as_str(), "en-US");
        assert!(settings.tmdb.api_key.is_none());
        assert_eq!(settings.tmdb.base_url, "https://api.themoviedb.org/3");
        assert_eq!(settings.tmdb.image_base_url, "https://image.tmdb.org/t/p");
        assert_eq!(settings.tmdb.requests_per_second.get(), 40);
        assert_eq!(settings.tmdb.daily_quota, None);
        assert_eq!(settings.fanart.base_url, "https://webservice.fanart.tv/v3");
        assert_eq!(settings.fanart.requests_per_second.get(), 10);
        assert_eq!(settings.fanart.daily_quota, None);
        assert_eq!(settings.omdb.base_url, "https://www.omdbapi.com");
        assert_eq!(settings.omdb.requests_per_second.get(), 5);
        assert_eq!(settings.omdb.daily_quota.map(NonZeroU32::get), Some(1000));
        assert_eq!(settings.omdb.timeout(), Duration::from_secs(15));
    }

    #[test]
    fn values_override_defaults_and_keys_stay_secret() {
        let settings: ProvidersSettings = serde_json::from_str(
            r#"{"language":"fr_ca","tmdb":{"api_key":" k3y ","requests_per_second":20},
                "fanart":{"api_key":"","client_key":"personal"},"omdb":{"daily_quota":100000,"timeout_secs":3}}"#,
        )
        .unwrap();
        assert_eq!(settings.language.as_str(), "fr-CA");
        assert_eq!(settings.tmdb.api_key.as_ref().unwrap().expose_secret(), "k3y");
        assert_eq!(settings.tmdb.requests_per_second.get(), 20);
        assert!(settings.fanart.api_key.is_none(), "an empty key is no key");
        assert_eq!(settings.fanart.client_key.as_ref().unwrap().expose_secret(), "personal");
        assert_eq!(settings.omdb.daily_quota.map(NonZeroU32::get), Some(100_000));
        assert_eq!(settings.omdb.timeout(), Duration::from_secs(3));
        let debug = format!("{settings:?}");
        assert!(!debug.contains("k3y") && !debug.contains("personal"), "{debug}");
    }

    #[test]
    fn bad_values_are_refused() {
        for json in [
            r#"{"language":"french"}"#,
            r#"{"tmdb":{"requests_per_second":0}}"#,
            r#"{"omdb":{"timeout_secs":0}}"#,
            r#"{"tmdb":{"apikey":"typo"}}"#,
        ] {
            assert!(serde_json::from_str::<ProvidersSettings>(json).is_err(), "{json} was accepted");
        }
    }
}
