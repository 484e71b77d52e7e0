//! Discord: one embed posted to a channel webhook.
//!
//! Wire format: Discord's "Execute Webhook" (see docs/peers/notifications.md, "Discord").
//! Without `?wait=true` Discord answers 204 No Content; with it, 200 and the message. Both
//! mean delivered.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::SendError;
use crate::event::Notification;
use crate::http::describe_reqwest_error;
use crate::text::{is_http_url, truncate};

/// Discord's embed limits; a longer field makes Discord reject the whole message.
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const FIELD_VALUE_MAX: usize = 1024;
/// A 429 asking for at most this long is waited out here rather than failing the job,
/// since a job retry would usually come later than Discord's window reopens.
const INLINE_RETRY_MAX_WAIT: Duration = Duration::from_secs(5);
/// How many times one call waits out a short 429 before reporting it.
const INLINE_RETRIES: u32 = 2;
/// Used when a 429 carries neither `retry_after` nor `Retry-After`; Discord always sends
/// both, so this is only a safety net.
const FALLBACK_RETRY_AFTER: Duration = Duration::from_secs(5);
/// How much of an error body we quote back to the user.
const ERROR_DETAIL_MAX: usize = 300;

/// Settings for the Discord service.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscordSettings {
    /// The channel webhook, `https://discord.com/api/webhooks/{id}/{token}`. Secret: the
    /// last path segment is the token.
    pub webhook_url: String,
}

impl std::fmt::Debug for DiscordSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let webhook_url = Url::parse(&self.webhook_url)
            .map(|url| redact_webhook_url(&url))
            .unwrap_or_else(|_| "<invalid, redacted>".to_owned());
        f.debug_struct("DiscordSettings").field("webhook_url", &webhook_url).finish()
    }
}

/// Posts `notification` as an embed to the webhook in `settings`.
///
/// A 429 that asks to wait at most 5 s is waited out and retried (twice at most); a longer
/// one becomes [`SendError::RateLimited`]. 5xx and network failures are retryable; any other
/// 4xx is permanent, with a message saying what to fix.
#[tracing::instrument(skip_all, fields(service = "discord", event = notification.event.as_str()))]
pub async fn send_discord(
    client: &reqwest::Client,
    settings: &DiscordSettings,
    notification: &Notification,
) -> Result<(), SendError> {
    let url = parse_webhook_url(&settings.webhook_url)?;
    let redacted = redact_webhook_url(&url);
    let payload = payload(notification);

    let mut retries_left = INLINE_RETRIES;
    loop {
        let response = client.post(url.clone()).json(&payload).send().await.map_err(|err| {
            let permanent = err.is_builder();
            let message = format!("could not reach the Discord webhook {redacted}: {}", describe_reqwest_error(err));
            if permanent { SendError::Permanent(message) } else { SendError::Retryable(message) }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = retry_after(response).await;
            if retry_after <= INLINE_RETRY_MAX_WAIT && retries_left > 0 {
                retries_left -= 1;
                tracing::debug!(
                    retry_after_ms = retry_after.as_millis(),
                    "Discord rate limit, waiting before retrying"
                );
                tokio::time::sleep(retry_after).await;
                continue;
            }
            return Err(SendError::RateLimited {
                retry_after,
                message: format!(
                    "Discord rate-limited the webhook {redacted}; retry in {:.1} s",
                    retry_after.as_secs_f64()
                ),
            });
        }
        let detail = error_detail(response).await;
        return Err(classify_failure(status, &detail, &redacted));
    }
}

/// Builds the Execute Webhook body.
fn payload(notification: &Notification) -> Value {
    let mut description = notification.message.clone();
    let mut fields = Vec::new();
    let mut thumbnail = None;
    if let Some(movie) = &notification.movie {
        if let Some(overview) = movie.overview.as_deref().filter(|overview| !overview.trim().is_empty()) {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(overview);
        }
        if let Some(year) = movie.year {
            fields
                .push(json!({ "name": "Year", "value": truncate(&year.to_string(), FIELD_VALUE_MAX), "inline": true }));
        }
        thumbnail = movie.poster_url.as_deref().filter(|poster| is_http_url(poster));
    }

    let mut embed = json!({
        "title": truncate(&notification.title, TITLE_MAX),
        "description": truncate(&description, DESCRIPTION_MAX),
        "color": notification.event.color(),
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "footer": { "text": "Metarr" },
    });
    if let Some(poster) = thumbnail {
        embed["thumbnail"] = json!({ "url": poster });
    }
    if !fields.is_empty() {
        embed["fields"] = Value::Array(fields);
    }
    // Discord refuses an embed whose url is not http(s), and would then drop the whole message.
    if let Some(link) = notification.url.as_deref().filter(|link| is_http_url(link)) {
        embed["url"] = json!(link);
    }

    json!({
        "username": "Metarr",
        "embeds": [embed],
        // Titles and overviews are user data: never let "@everyone" in them ping a channel.
        "allowed_mentions": { "parse": [] },
    })
}

fn parse_webhook_url(raw: &str) -> Result<Url, SendError> {
    let invalid = || {
        SendError::Permanent(
            "the Discord webhook URL is not a valid http(s) URL; copy it again from the channel's \
             Integrations > Webhooks settings"
                .to_owned(),
        )
    };
    let url = Url::parse(raw.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(invalid());
    }
    Ok(url)
}

/// The webhook URL with its token (the last path segment) and any query replaced, for
/// messages and logs: enough to tell webhooks apart, useless to an attacker.
fn redact_webhook_url(url: &Url) -> String {
    let mut segments: Vec<&str> = url.path_segments().map(|segments| segments.collect()).unwrap_or_default();
    while segments.last().is_some_and(|segment| segment.is_empty()) {
        segments.pop();
    }
    if let Some(last) = segments.last_mut() {
        *last = "***";
    }
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
    format!("{}://{host}{port}/{}", url.scheme(), segments.join("/"))
}

/// How long Discord wants us to wait: the body's `retry_after` (seconds, fractional), else
/// the `Retry-After` header, else a conservative default.
async fn retry_after(response: reqwest::Response) -> Duration {
    #[derive(Deserialize)]
    struct RateLimitBody {
        retry_after: Option<f64>,
    }

    let header = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok());
    let body = response
        .bytes()
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<RateLimitBody>(&bytes).ok())
        .and_then(|body| body.retry_after);
    body.or(header).and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()).unwrap_or(FALLBACK_RETRY_AFTER)
}

/// Discord's explanation from an error body (`message`, plus the per-field `errors` of a
/// 400), shortened; empty when the body has none.
async fn error_detail(response: reqwest::Response) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: Option<String>,
        errors: Option<Value>,
    }

    let Ok(bytes) = response.bytes().await else {
        return String::new();
    };
    let Ok(body) = serde_json::from_slice::<ErrorBody>(&bytes) else {
        return String::new();
    };
    let mut detail = body.message.unwrap_or_default();
    if let Some(errors) = body.errors {
        detail.push_str(&format!(" {errors}"));
    }
    truncate(detail.trim(), ERROR_DETAIL_MAX)
}

fn classify_failure(status: StatusCode, detail: &str, redacted: &str) -> SendError {
    let answered = if detail.is_empty() { format!("{status}") } else { format!("{status}: {detail}") };
    if status.is_server_error() {
        return SendError::Retryable(format!("Discord is failing (it answered {answered})"));
    }
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => SendError::Permanent(format!(
            "Discord does not accept the webhook {redacted} ({answered}); it was probably deleted or \
             mistyped: create or copy the webhook URL again in the channel's Integrations > Webhooks settings"
        )),
        StatusCode::BAD_REQUEST => SendError::Permanent(format!(
            "Discord refused the message ({answered}); check the webhook URL points at a Discord webhook, \
             otherwise this is a Metarr bug worth reporting"
        )),
        _ => SendError::Permanent(format!("Discord refused the message to {redacted} ({answered})")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;
    use crate::event::{EventKind, MovieInfo};

    #[test]
    fn redaction_hides_the_token_and_query() {
        let url = Url::parse("https://discord.com/api/webhooks/123/s3cr3t-token?thread_id=9").unwrap();
        assert_eq!(redact_webhook_url(&url), "https://discord.com/api/webhooks/123/***");
        let url = Url::parse("http://127.0.0.1:8080/api/webhooks/123/s3cr3t/").unwrap();
        assert_eq!(redact_webhook_url(&url), "http://127.0.0.1:8080/api/webhooks/123/***");
        let settings = DiscordSettings { webhook_url: "https://discord.com/api/webhooks/1/s3cr3t".to_owned() };
        assert!(!format!("{settings:?}").contains("s3cr3t"));
    }

    #[test]
    fn non_http_poster_and_link_are_left_out() {
        let notification = Notification {
            event: EventKind::MovieImported,
            title: "Heat".to_owned(),
            message: "Imported".to_owned(),
            movie: Some(MovieInfo {
                title: "Heat".to_owned(),
                year: None,
                overview: None,
                poster_url: Some("file:///etc/passwd".to_owned()),
            }),
            url: Some("not a url".to_owned()),
        };
        let body = payload(&notification);
        let embed = &body["embeds"][0];
        assert!(embed.get("thumbnail").is_none());
        assert!(embed.get("url").is_none());
        assert!(embed.get("fields").is_none());
    }
}
