//! Pushover: one message through the Messages API.
//!
//! Wire format: `POST https://api.pushover.net/1/messages.json`, form-urlencoded (see
//! docs/peers/notifications.md, "Pushover", and pushover.net/api). Success is 200
//! `{"status":1}`; invalid input is a 4xx with `{"status":0,"errors":[…]}`; 429 means the
//! application's monthly quota is spent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};

use crate::error::SendError;
use crate::event::Notification;
use crate::http::describe_reqwest_error;
use crate::text::{is_http_url, truncate};

/// The real Messages API endpoint.
pub const PUSHOVER_API_URL: &str = "https://api.pushover.net/1/messages.json";

/// Pushover's documented field limits; longer values are refused.
const MESSAGE_MAX: usize = 1024;
const TITLE_MAX: usize = 250;
const URL_MAX: usize = 512;
const URL_TITLE_MAX: usize = 100;
/// Emergency priority (2) repeats the alert every `retry` seconds (Pushover's minimum is
/// 30) until acknowledged or `expire` seconds pass.
const EMERGENCY_RETRY_SECS: &str = "60";
const EMERGENCY_EXPIRE_SECS: &str = "3600";
/// When a 429 does not say when the quota resets, waiting an hour is polite and cheap.
const QUOTA_FALLBACK_WAIT: Duration = Duration::from_secs(3600);

fn default_api_url() -> String {
    PUSHOVER_API_URL.to_owned()
}

/// Settings for the Pushover service.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushoverSettings {
    /// The application's API token. Secret.
    pub app_token: String,
    /// The user or group key to notify. Secret.
    pub user_key: String,
    /// Message priority, -2 (silent) to 2 (emergency, repeats until acknowledged).
    #[serde(default)]
    pub priority: i8,
    /// The Messages API endpoint; [`PUSHOVER_API_URL`] unless a test points it elsewhere.
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

impl PushoverSettings {
    /// Settings for the real Pushover API at normal priority.
    pub fn new(app_token: impl Into<String>, user_key: impl Into<String>) -> Self {
        Self { app_token: app_token.into(), user_key: user_key.into(), priority: 0, api_url: default_api_url() }
    }
}

impl std::fmt::Debug for PushoverSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushoverSettings")
            .field("app_token", &"<redacted>")
            .field("user_key", &"<redacted>")
            .field("priority", &self.priority)
            .field("api_url", &self.api_url)
            .finish()
    }
}

/// Sends `notification` as a plain-text Pushover message.
///
/// A 4xx with `status: 0` is permanent and carries Pushover's `errors`; 429 (quota spent)
/// is [`SendError::RateLimited`] until `X-Limit-App-Reset` (an hour when absent); 5xx and
/// network failures are retryable.
#[tracing::instrument(skip_all, fields(service = "pushover", event = notification.event.as_str()))]
pub async fn send_pushover(
    client: &reqwest::Client,
    settings: &PushoverSettings,
    notification: &Notification,
) -> Result<(), SendError> {
    let url = validate(settings)?;
    let form = form(settings, notification);

    let response = client.post(url).form(&form).send().await.map_err(|err| {
        let permanent = err.is_builder();
        let message = format!("could not reach Pushover: {}", describe_reqwest_error(err));
        if permanent { SendError::Permanent(message) } else { SendError::Retryable(message) }
    })?;
    let status = response.status();

    if status == StatusCode::TOO_MANY_REQUESTS {
        let reset = response
            .headers()
            .get("X-Limit-App-Reset")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        let retry_after = match reset {
            // At least a second, so a reset that already passed by our clock does not spin.
            Some(reset) => Duration::from_secs(reset.saturating_sub(unix_now()).max(1)),
            None => QUOTA_FALLBACK_WAIT,
        };
        return Err(SendError::RateLimited {
            retry_after,
            message: format!(
                "Pushover's monthly message limit for this application is used up; next try in {} s",
                retry_after.as_secs()
            ),
        });
    }
    if status.is_server_error() {
        return Err(SendError::Retryable(format!("Pushover is failing (it answered {status})")));
    }

    let body = response.bytes().await.map_err(|err| {
        SendError::Retryable(format!("Pushover's answer was cut off ({})", describe_reqwest_error(err)))
    })?;
    let answer = serde_json::from_slice::<ApiAnswer>(&body).ok();
    if status.is_success() && answer.as_ref().is_some_and(|answer| answer.status == Some(1)) {
        return Ok(());
    }

    let errors = answer.map(|answer| answer.errors).unwrap_or_default();
    let detail = if errors.is_empty() {
        format!("HTTP {status}")
    } else {
        // Pushover's messages name the bad field ("user key is invalid"); scrub the secrets
        // anyway in case a future message echoes a value.
        scrub(&errors.join("; "), settings)
    };
    if status.is_success() || status.is_client_error() {
        Err(SendError::Permanent(format!(
            "Pushover refused the message: {detail}; check the application token and user key"
        )))
    } else {
        // 1xx/3xx: not part of the API; a proxy in the way, most likely.
        Err(SendError::Retryable(format!("unexpected answer from Pushover: {detail}")))
    }
}

#[derive(Deserialize)]
struct ApiAnswer {
    status: Option<i64>,
    #[serde(default)]
    errors: Vec<String>,
}

fn validate(settings: &PushoverSettings) -> Result<Url, SendError> {
    if settings.app_token.trim().is_empty() {
        return Err(SendError::Permanent("the Pushover application token is not set".to_owned()));
    }
    if settings.user_key.trim().is_empty() {
        return Err(SendError::Permanent("the Pushover user key is not set".to_owned()));
    }
    if !(-2..=2).contains(&settings.priority) {
        return Err(SendError::Permanent(format!(
            "the Pushover priority must be between -2 and 2, not {}",
            settings.priority
        )));
    }
    let url = Url::parse(settings.api_url.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .ok_or_else(|| SendError::Permanent("the Pushover API URL is not a valid http(s) URL".to_owned()))?;
    Ok(url)
}

fn form(settings: &PushoverSettings, notification: &Notification) -> Vec<(&'static str, String)> {
    // Pushover requires a non-empty message; fall back on the title rather than fail.
    let message = if notification.message.trim().is_empty() { &notification.title } else { &notification.message };
    let mut form = vec![
        ("token", settings.app_token.trim().to_owned()),
        ("user", settings.user_key.trim().to_owned()),
        ("message", truncate(message, MESSAGE_MAX)),
    ];
    if !notification.title.trim().is_empty() {
        form.push(("title", truncate(&notification.title, TITLE_MAX)));
    }
    // A truncated URL would be a broken link: leave out one that is too long.
    if let Some(link) = notification.url.as_deref().filter(|link| is_http_url(link) && link.chars().count() <= URL_MAX)
    {
        form.push(("url", link.to_owned()));
        if let Some(movie) = &notification.movie {
            let label = match movie.year {
                Some(year) => format!("{} ({year})", movie.title),
                None => movie.title.clone(),
            };
            form.push(("url_title", truncate(&label, URL_TITLE_MAX)));
        }
    }
    form.push(("priority", settings.priority.to_string()));
    if settings.priority == 2 {
        form.push(("retry", EMERGENCY_RETRY_SECS.to_owned()));
        form.push(("expire", EMERGENCY_EXPIRE_SECS.to_owned()));
    }
    form
}

fn scrub(text: &str, settings: &PushoverSettings) -> String {
    let mut scrubbed = text.to_owned();
    for secret in [settings.app_token.trim(), settings.user_key.trim()] {
        if !secret.is_empty() {
            scrubbed = scrubbed.replace(secret, "***");
        }
    }
    scrubbed
}

fn unix_now() -> u64 {
    // A clock before 1970 is broken beyond our concern; treating it as 0 only lengthens the wait.
    SystemTime::now().duration_since(UNIX_EPOCH).map(|since| since.as_secs()).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let settings = PushoverSettings::new("app-secret", "user-secret");
        let debug = format!("{settings:?}");
        assert!(!debug.contains("app-secret") && !debug.contains("user-secret"), "{debug}");
    }

    #[test]
    fn scrub_removes_echoed_secrets() {
        let settings = PushoverSettings::new("tok123", "usr456");
        assert_eq!(scrub("token tok123 and user usr456 are bad", &settings), "token *** and user *** are bad");
    }

    #[test]
    fn settings_deserialize_with_defaults() {
        let settings: PushoverSettings = serde_json::from_str(r#"{"app_token":"a","user_key":"u"}"#).unwrap();
        assert_eq!(settings, PushoverSettings::new("a", "u"));
    }
}
