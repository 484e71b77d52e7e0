//! What every client shares: building the HTTP client, passing the [`Gate`], sending a GET
//! with conditional headers, reading a bounded body, and sorting answers into outcomes and
//! errors the same way for every provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::error::{ProviderError, RateLimitKind, TransientReason};
use crate::gate::Gate;
use crate::outcome::{Fetched, Outcome, Validators};
use crate::provider::Provider;
use crate::redact::RedactedUrl;
use crate::retry_after::{DEFAULT_RETRY_AFTER, parse_retry_after};

/// The most of a body Metarr reads: 8 MiB. TMDB's largest answers (a film with every
/// append, thousands of images and credits) stay well under 2 MiB; anything bigger is not
/// an answer we can use, and reading it would only cost memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Connecting is quick when the host is up; a dead host should not use the whole timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a provider's own error message goes into an error.
const MESSAGE_MAX_CHARS: usize = 200;

/// The HTTP side of one provider's client.
pub(crate) struct Transport {
    provider: Provider,
    http: reqwest::Client,
    gate: Arc<dyn Gate>,
    timeout: Duration,
    /// Keys to scrub from any text a provider sends back, should it ever echo one.
    secrets: Vec<SecretString>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys are deliberately left out, and a gate need not be printable.
        f.debug_struct("Transport")
            .field("provider", &self.provider)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// An answer as received.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) url: RedactedUrl,
}

impl Transport {
    pub(crate) fn new(provider: Provider, timeout: Duration, gate: Arc<dyn Gate>, secrets: Vec<SecretString>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("Metarr/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the client config is static and rustls needs no system setup, so building cannot fail");
        Transport { provider, http, gate, timeout, secrets }
    }

    /// Sends `GET url` with `headers` and the conditional headers of `validators`, after
    /// the gate lets it through, and reads at most [`MAX_BODY_BYTES`] of the body.
    pub(crate) async fn get(
        &self,
        url: Url,
        headers: HeaderMap,
        validators: &Validators,
    ) -> Result<Answer, ProviderError> {
        self.get_bounded(url, headers, validators, "application/json", MAX_BODY_BYTES).await
    }

    /// [`Transport::get`] asking for `accept` and reading at most `max_bytes`.
    pub(crate) async fn get_bounded(
        &self,
        url: Url,
        headers: HeaderMap,
        validators: &Validators,
        accept: &'static str,
        max_bytes: usize,
    ) -> Result<Answer, ProviderError> {
        let redacted = RedactedUrl::new(&url);
        if let Err(refusal) = self.gate.before_request(self.provider).await {
            return Err(ProviderError::RateLimited {
                provider: self.provider,
                url: redacted,
                retry_after: refusal.retry_after,
                kind: RateLimitKind::Local,
            });
        }

        let mut request = self
            .http
            .get(url)
            .timeout(self.timeout)
            .headers(headers)
            .header(header::ACCEPT, HeaderValue::from_static(accept));
        // A validator that is not a valid header value cannot have come from a header;
        // leaving it out only makes the request unconditional.
        if let Some(etag) = validators.etag.as_deref().and_then(|etag| HeaderValue::from_str(etag).ok()) {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = validators.last_modified.as_deref().and_then(|date| HeaderValue::from_str(date).ok()) {
            request = request.header(header::IF_MODIFIED_SINCE, date);
        }

        let started = Instant::now();
        let mut response = request.send().await.map_err(|err| self.transport_error(&redacted, err))?;
        let status = response.status();
        let headers = response.headers().clone();

        if let Some(length) = response.content_length()
            && length > max_bytes as u64
        {
            return Err(self.too_large(&redacted, max_bytes, &format!("it announces {length} bytes")));
        }
        // Sized from the announced length where there is one: growing by doubling would hold up
        // to twice a large image's size.
        let announced = response.content_length().and_then(|length| usize::try_from(length).ok()).unwrap_or(0);
        let mut body = Vec::with_capacity(announced.min(max_bytes));
        while let Some(chunk) = response.chunk().await.map_err(|err| self.transport_error(&redacted, err))? {
            if body.len() + chunk.len() > max_bytes {
                return Err(self.too_large(&redacted, max_bytes, "it went on past that"));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            provider = %self.provider,
            url = %redacted,
            status = status.as_u16(),
            bytes = body.len(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "provider answered"
        );
        Ok(Answer { status, headers, body, url: redacted })
    }

    /// Sorts an answer the way all three providers share: 304, 2xx decoded as `T`, 401 and
    /// 403, 404, 429, 5xx, other 4xx. `error_message` reads the provider's error body and
    /// answers `None` when the body is not one: a 404 counts as "not found" only with the
    /// provider's own error body, since a 404 without it means a wrong base URL, not a
    /// missing film.
    pub(crate) fn classify<T: DeserializeOwned>(
        &self,
        answer: Answer,
        error_message: fn(&[u8]) -> Option<String>,
    ) -> Result<Outcome<T>, ProviderError> {
        let status = answer.status;
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Outcome::NotModified(answer.validators()));
        }
        if status.is_success() {
            return self.decode(answer).map(Outcome::Found);
        }
        let message = error_message(&answer.body).map(|message| self.scrub(&message));
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ProviderError::Unauthorized {
                provider: self.provider,
                url: answer.url,
                message: message.unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
            }),
            StatusCode::NOT_FOUND if message.is_some() => Ok(Outcome::NotFound),
            StatusCode::NOT_FOUND => Err(self.invalid(
                answer.url,
                format!(
                    "HTTP 404 without {}'s error body; is providers.{}.base_url right?",
                    self.provider.display_name(),
                    self.provider
                ),
                None,
            )),
            StatusCode::TOO_MANY_REQUESTS => Err(self.throttled(&answer)),
            _ if status.is_server_error() => Err(self.server_error(answer)),
            _ if status.is_client_error() => Err(ProviderError::Rejected {
                provider: self.provider,
                url: answer.url,
                status: status.as_u16(),
                message: message.unwrap_or_else(|| "no explanation in the answer".to_owned()),
            }),
            _ => Err(self.invalid(answer.url, format!("unexpected HTTP status {}", status.as_u16()), None)),
        }
    }

    /// A 2xx body decoded as `T`, with the body and validators kept.
    pub(crate) fn decode<T: DeserializeOwned>(&self, answer: Answer) -> Result<Fetched<T>, ProviderError> {
        let validators = answer.validators();
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Err(self.invalid(answer.url, "the body is empty".to_owned(), None));
        }
        let body = match String::from_utf8(answer.body) {
            Ok(body) => body,
            Err(_) => return Err(self.invalid(answer.url, "the body is not UTF-8 text".to_owned(), None)),
        };
        match serde_json::from_str::<T>(&body) {
            Ok(value) => Ok(Fetched { value, body, validators, url: answer.url }),
            Err(err) => {
                let detail = match err.classify() {
                    serde_json::error::Category::Eof => "the JSON ends early (cut off)",
                    serde_json::error::Category::Syntax => "the body is not JSON",
                    serde_json::error::Category::Data => "the JSON does not have the expected shape",
                    serde_json::error::Category::Io => "the body could not be read",
                };
                Err(self.invalid(answer.url, format!("{detail} ({} bytes)", body.len()), Some(err)))
            }
        }
    }

    /// A 429: wait as long as `Retry-After` says, or [`DEFAULT_RETRY_AFTER`].
    pub(crate) fn throttled(&self, answer: &Answer) -> ProviderError {
        let retry_after = answer
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, chrono::Utc::now()))
            .unwrap_or(DEFAULT_RETRY_AFTER);
        ProviderError::RateLimited {
            provider: self.provider,
            url: answer.url.clone(),
            retry_after,
            kind: RateLimitKind::Throttled,
        }
    }

    /// A 5xx.
    pub(crate) fn server_error(&self, answer: Answer) -> ProviderError {
        ProviderError::Transient {
            provider: self.provider,
            url: answer.url,
            reason: TransientReason::Status(answer.status.as_u16()),
            source: None,
        }
    }

    pub(crate) fn invalid(&self, url: RedactedUrl, detail: String, source: Option<serde_json::Error>) -> ProviderError {
        ProviderError::InvalidResponse { provider: self.provider, url, detail, source }
    }

    fn too_large(&self, url: &RedactedUrl, max_bytes: usize, how: &str) -> ProviderError {
        self.invalid(
            url.clone(),
            format!("the body is larger than the {} MiB Metarr reads ({how})", max_bytes / (1024 * 1024)),
            None,
        )
    }

    /// Sorts a transport failure. The URL is dropped from reqwest's error, since TMDB's
    /// and OMDb's URLs hold the key; ours, redacted, names the request instead.
    fn transport_error(&self, url: &RedactedUrl, err: reqwest::Error) -> ProviderError {
        let err = err.without_url();
        let reason = if err.is_timeout() || caused_by_timeout(&err) {
            TransientReason::Timeout(self.timeout)
        } else if err.is_connect() {
            TransientReason::Connect
        } else if err.is_body() || err.is_decode() {
            TransientReason::Interrupted
        } else {
            TransientReason::Other
        };
        ProviderError::Transient { provider: self.provider, url: url.clone(), reason, source: Some(err) }
    }

    /// The provider this transport speaks to.
    pub(crate) fn provider(&self) -> Provider {
        self.provider
    }

    /// `text` without any of the client's keys, and at most [`MESSAGE_MAX_CHARS`] long.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut scrubbed = text.trim().to_owned();
        for secret in &self.secrets {
            let secret = secret.expose_secret();
            if !secret.is_empty() {
                scrubbed = scrubbed.replace(secret, "REDACTED");
            }
        }
        if scrubbed.chars().count() > MESSAGE_MAX_CHARS {
            scrubbed = scrubbed.chars().take(MESSAGE_MAX_CHARS).chain(std::iter::once('…')).collect();
        }
        scrubbed
    }
}

impl Answer {
    /// The answer's `ETag` and `Last-Modified`.
    pub(crate) fn validators(&self) -> Validators {
        let text = |name| self.headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok()).map(str::to_owned);
        Validators { etag: text(header::ETAG), last_modified: text(header::LAST_MODIFIED) }
    }
}

/// Whether an I/O timeout lies in the error's causes (hyper reports some as I/O errors).
fn caused_by_timeout(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return true;
        }
        source = cause.source();
    }
    false
}

/// A header value holding a secret: marked sensitive, so that HTTP debugging output hides it.
pub(crate) fn secret_header(
    provider: Provider,
    setting: &'static str,
    value: &str,
) -> Result<HeaderValue, ProviderError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| ProviderError::Config {
        provider,
        setting,
        detail: "the key holds characters that cannot be sent in an HTTP header".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Parses a configured base URL: http or https, with a host, able to take path segments.
pub(crate) fn base_url(provider: Provider, setting: &'static str, text: &str) -> Result<Url, ProviderError> {
    let invalid = |detail: &str| ProviderError::Config { provider, setting, detail: format!("{text:?} {detail}") };
    let url = Url::parse(text.trim()).map_err(|_| invalid("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() || url.cannot_be_a_base() {
        return Err(invalid("is not an http(s) URL with a host"));
    }
    Ok(url)
}

/// `base` with `segments` appended to its path (a trailing slash on `base` is fine).
pub(crate) fn url_with_path(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_extended() {
        let base = base_url(Provider::Tmdb, "base_url", "https://api.themoviedb.org/3").unwrap();
        assert_eq!(url_with_path(&base, &["movie", "550"]).as_str(), "https://api.themoviedb.org/3/movie/550");
        let slashed = base_url(Provider::Tmdb, "base_url", "http://127.0.0.1:8080/3/").unwrap();
        assert_eq!(url_with_path(&slashed, &["configuration"]).as_str(), "http://127.0.0.1:8080/3/configuration");
        let root = base_url(Provider::Omdb, "base_url", "https://www.omdbapi.com").unwrap();
        assert_eq!(url_with_path(&root, &[]).as_str(), "https://www.omdbapi.com/");
        for bad in ["", "api.themoviedb.org/3", "ftp://host/3", "mailto:someone@example.com"] {
            let err = base_url(Provider::Tmdb, "base_url", bad).unwrap_err();
            assert!(err.to_string().contains("providers.tmdb.base_url"), "{err}");
        }
    }

    #[test]
    fn scrub_hides_secrets_and_shortens() {
        let transport = Transport::new(
            Provider::Omdb,
            Duration::from_secs(1),
            Arc::new(crate::gate::Ungated),
            vec![SecretString::from("k3y")],
        );
        assert_eq!(transport.scrub(" bad key k3y "), "bad key REDACTED");
        assert_eq!(transport.scrub(&"x".repeat(500)).chars().count(), MESSAGE_MAX_CHARS + 1);
    }
}
