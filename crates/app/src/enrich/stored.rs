//! Provider settings set at run time (API and web UI) over the configuration's: keys
//! (write-only), their removal, and the limits. Every process reads them from the database, so a
//! key set through one process's API reaches the workers of all.

use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::{Db, Param};
use crate::secret::SecretInput;
use metarr_providers::{Provider, ProvidersSettings};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;

/// A change to one provider's settings (`PUT /api/v1/providers/{name}`): what is absent stays.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    /// The provider's API key, write-only: `"set"` or absent keeps it, `null` or `""` removes it
    /// (also a configured key), any other text replaces it. No spaces.
    #[serde(default)]
    pub api_key: SecretInput,
    /// Requests per second Metarr allows itself, 1 to 1,000.
    #[schema(minimum = 1, maximum = 1000)]
    pub requests_per_second: Option<u32>,
    /// Requests per UTC day; 0 for none (at most 10,000,000).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub daily_quota: Option<u32>,
}

/// The most requests per second a user may configure (no provider allows more).
const MAX_REQUESTS_PER_SECOND: u32 = 1_000;
/// The largest daily quota a user may configure.
const MAX_DAILY_QUOTA: u32 = 10_000_000;

impl ProviderInput {
    /// Checks the values; the message names the field.
    pub fn check(&self) -> Result<()> {
        if let Some(rate) = self.requests_per_second.filter(|rate| !(1..=MAX_REQUESTS_PER_SECOND).contains(rate)) {
            return Err(CatalogueError::Invalid(format!(
                "requests_per_second must be from 1 to {MAX_REQUESTS_PER_SECOND}, got {rate}"
            )));
        }
        if let Some(quota) = self.daily_quota.filter(|quota| *quota > MAX_DAILY_QUOTA) {
            return Err(CatalogueError::Invalid(format!(
                "daily_quota must be from 0 (none) to {MAX_DAILY_QUOTA}, got {quota}"
            )));
        }
        if let SecretInput::Set(key) = &self.api_key {
            crate::limits::SECRET.check("api_key", key).map_err(|err| CatalogueError::Invalid(err.to_string()))?;
            if key.trim().is_empty() || key.chars().any(char::is_whitespace) {
                return Err(CatalogueError::Invalid("api_key must not contain spaces".into()));
            }
        }
        Ok(())
    }
}

/// A provider's row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Row {
    provider: String,
    key_state: String,
    api_key: Option<String>,
    requests_per_second: Option<i64>,
    daily_quota: Option<i64>,
}

/// The configuration with the stored settings applied over it.
pub async fn effective(db: &Db, config: &ProvidersSettings) -> Result<ProvidersSettings> {
    let rows: Vec<Row> = db
        .fetch_all("SELECT provider, key_state, api_key, requests_per_second, daily_quota FROM provider_settings", &[])
        .await?;
    let mut settings = config.clone();
    let language: Option<(String,)> =
        db.fetch_optional("SELECT language FROM provider_language WHERE id = 1", &[]).await?;
    // Stored only after parsing, so a row that does not parse was written by hand: ignored.
    if let Some(language) = language.and_then(|(text,)| metarr_providers::Language::parse(&text).ok()) {
        settings.language = language;
    }
    for row in rows {
        let Ok(provider) = row.provider.parse::<Provider>() else { continue };
        let key = match row.key_state.as_str() {
            "set" => Some(row.api_key.map(SecretString::from)),
            "cleared" => Some(None),
            _ => None,
        };
        let rate = row.requests_per_second.and_then(|rate| u32::try_from(rate).ok()).and_then(NonZeroU32::new);
        let quota = row.daily_quota.map(|quota| u32::try_from(quota).ok().and_then(NonZeroU32::new));
        let (api_key, requests_per_second, daily_quota) = parts_mut(&mut settings, provider);
        if let Some(key) = key {
            *api_key = key;
        }
        if let Some(rate) = rate {
            *requests_per_second = rate;
        }
        if let Some(quota) = quota {
            *daily_quota = quota;
        }
    }
    Ok(settings)
}

/// The key, rate and quota of one provider's settings, which each provider's own struct holds.
fn parts_mut(
    settings: &mut ProvidersSettings,
    provider: Provider,
) -> (&mut Option<SecretString>, &mut NonZeroU32, &mut Option<NonZeroU32>) {
    match provider {
        Provider::Tmdb => {
            let tmdb = &mut settings.tmdb;
            (&mut tmdb.api_key, &mut tmdb.requests_per_second, &mut tmdb.daily_quota)
        }
        Provider::Fanart => {
            let fanart = &mut settings.fanart;
            (&mut fanart.api_key, &mut fanart.requests_per_second, &mut fanart.daily_quota)
        }
        Provider::Omdb => {
            let omdb = &mut settings.omdb;
            (&mut omdb.api_key, &mut omdb.requests_per_second, &mut omdb.daily_quota)
        }
    }
}

/// Stores a change. A new key is registered with the log scrubber before it is stored, so it
/// never reaches a log line.
pub async fn save(db: &Db, provider: Provider, input: ProviderInput) -> Result<()> {
    input.check()?;
    let (key_state, api_key): (Option<&str>, Option<String>) = match input.api_key {
        SecretInput::Keep => (None, None),
        SecretInput::Clear => (Some("cleared"), None),
        SecretInput::Set(key) => {
            crate::telemetry::register_secrets([key.as_str()]);
            (Some("set"), Some(key))
        }
    };
    let params: Vec<Param> = vec![
        provider.as_str().into(),
        key_state.unwrap_or("config").into(),
        api_key.into(),
        input.requests_per_second.map(i64::from).into(),
        input.daily_quota.map(i64::from).into(),
        now_ms().into(),
        key_state.is_some().into(),
    ];
    db.execute(
        "INSERT INTO provider_settings (provider, key_state, api_key, requests_per_second, daily_quota, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (provider) DO UPDATE SET \
             key_state = CASE WHEN $7 THEN excluded.key_state ELSE provider_settings.key_state END, \
             api_key = CASE WHEN $7 THEN excluded.api_key ELSE provider_settings.api_key END, \
             requests_per_second = coalesce(excluded.requests_per_second, provider_settings.requests_per_second), \
             daily_quota = coalesce(excluded.daily_quota, provider_settings.daily_quota), \
             updated_at = excluded.updated_at",
        &params,
    )
    .await?;
    Ok(())
}

/// `PUT /api/v1/providers`: the metadata language (`"fr-CA"`), or `null` for the configured one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageInput {
    /// The language providers are asked for, `xx` or `xx-YY` (`fr-CA`); `null` (or `""`)
    /// returns to the configured `providers.language`.
    #[schema(example = "fr-CA")]
    pub language: Option<String>,
}

/// Stores the metadata language every process asks providers for (or removes it, so the
/// configured one applies). A text that is not `xx` or `xx-YY` is refused, naming the field.
pub async fn save_language(db: &Db, input: &LanguageInput) -> Result<()> {
    match input.language.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => {
            let language = metarr_providers::Language::parse(text)
                .map_err(|err| CatalogueError::Invalid(format!("language: {err}")))?;
            db.execute(
                "INSERT INTO provider_language (id, language, updated_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
                &[language.as_str().into(), now_ms().into()],
            )
            .await?;
        }
        None => {
            db.execute("DELETE FROM provider_language", &[]).await?;
        }
    }
    Ok(())
}

/// The keys stored at run time, for the log scrubber at start-up.
pub async fn stored_keys(db: &Db) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        db.fetch_all("SELECT api_key FROM provider_settings WHERE api_key IS NOT NULL", &[]).await?;
    Ok(rows.into_iter().map(|(key,)| key).collect())
}

/// One provider as the API shows it: the key only as `"set"` or `null`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub name: Provider,
    /// The name people know the service by (`TMDB`, `Fanart.tv`, `OMDb`).
    #[schema(value_type = String)]
    pub display_name: &'static str,
    /// Masked: `"set"` when a key is configured or stored, `null` otherwise; the key itself is
    /// never shown.
    #[schema(value_type = Option<String>, required = true)]
    pub api_key: Option<&'static str>,
    /// The provider's API address.
    pub base_url: String,
    /// Requests per second Metarr allows itself.
    pub requests_per_second: u32,
    /// Requests per UTC day; `null` for no quota.
    #[schema(required = true)]
    pub daily_quota: Option<u32>,
    /// Requests sent today (UTC), by every process.
    pub used_today: i64,
    /// Until when the provider asked Metarr to wait, if it did.
    pub blocked_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every provider as the API shows it, with today's usage.
pub fn views_with_usage(
    settings: &ProvidersSettings,
    usage: &[crate::provider_budget::ProviderUsage],
) -> Vec<ProviderView> {
    let mut views = views(settings);
    for view in &mut views {
        if let Some(used) = usage.iter().find(|used| used.provider == view.name) {
            view.used_today = i64::try_from(used.used_today).unwrap_or(i64::MAX);
            view.blocked_until =
                used.blocked_until_ms.filter(|until| *until > now_ms()).map(crate::catalogue::time_from_ms);
        }
    }
    views
}

/// Every provider as the API shows it (usage not read).
pub fn views(settings: &ProvidersSettings) -> Vec<ProviderView> {
    let view =
        |name: Provider, key: &Option<SecretString>, base_url: &str, rate: NonZeroU32, quota: Option<NonZeroU32>| {
            ProviderView {
                name,
                display_name: name.display_name(),
                api_key: key.as_ref().map(|_| "set"),
                base_url: base_url.to_owned(),
                requests_per_second: rate.get(),
                daily_quota: quota.map(NonZeroU32::get),
                used_today: 0,
                blocked_until: None,
            }
        };
    let (tmdb, fanart, omdb) = (&settings.tmdb, &settings.fanart, &settings.omdb);
    vec![
        view(Provider::Tmdb, &tmdb.api_key, &tmdb.base_url, tmdb.requests_per_second, tmdb.daily_quota),
        view(Provider::Fanart, &fanart.api_key, &fanart.base_url, fanart.requests_per_second, fanart.daily_quota),
        view(Provider::Omdb, &omdb.api_key, &omdb.base_url, omdb.requests_per_second, omdb.daily_quota),
    ]
}
