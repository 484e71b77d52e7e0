//! The one error type of the crate, in the terms a job runner needs: give up (permanent),
//! wait (rate limited, with how long), or retry with backoff (transient, invalid answer).
//!
//! Every variant names the provider, and those about a request name its URL as a
//! [`RedactedUrl`]; no variant can hold a key.

use std::fmt;
use std::time::Duration;

use crate::provider::Provider;
use crate::redact::RedactedUrl;

/// Why a provider call did not give an answer.
///
/// "Not found" and "not modified" are not errors: they are [`Outcome`](crate::Outcome)s.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No key is configured for the provider, so no request was made.
    #[error(
        "{}: no API key is set; set providers.{provider}.api_key or enter one in Settings › Providers",
        .provider.display_name()
    )]
    NotConfigured {
        /// The provider.
        provider: Provider,
    },
    /// A setting cannot be used (a base URL that is not http(s), for example).
    #[error("{}: the setting providers.{provider}.{setting} is invalid: {detail}", .provider.display_name())]
    Config {
        /// The provider.
        provider: Provider,
        /// The setting's key inside the provider's section.
        setting: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The provider refused the key (HTTP 401/403, or OMDb's "Invalid API key!"). Retrying
    /// cannot help until the user fixes the key.
    #[error(
        "{} refused the API key ({message}) at {url}; fix the {} API key in Settings › Providers",
        .provider.display_name(), .provider.display_name()
    )]
    Unauthorized {
        /// The provider.
        provider: Provider,
        /// The request, redacted.
        url: RedactedUrl,
        /// The provider's own words, or the HTTP status.
        message: String,
    },
    /// Too many requests: try again after `retry_after`, not before.
    #[error("{}: {kind} at {url}; retry in {} s", .provider.display_name(), .retry_after.as_secs())]
    RateLimited {
        /// The provider.
        provider: Provider,
        /// The request, redacted.
        url: RedactedUrl,
        /// How long to wait.
        retry_after: Duration,
        /// Who said so.
        kind: RateLimitKind,
    },
    /// Probably temporary: a 5xx, a timeout, a connection that failed or broke off.
    #[error("{} is unavailable at {url}: {reason}", .provider.display_name())]
    Transient {
        /// The provider.
        provider: Provider,
        /// The request, redacted.
        url: RedactedUrl,
        /// What happened.
        reason: TransientReason,
        /// The transport error, stripped of its URL.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The answer could not be understood: not JSON, cut short, empty, too large, or JSON of
    /// an unexpected shape. Never a panic.
    #[error("{} sent an answer that cannot be used from {url}: {detail}", .provider.display_name())]
    InvalidResponse {
        /// The provider.
        provider: Provider,
        /// The request, redacted.
        url: RedactedUrl,
        /// What is wrong with the answer.
        detail: String,
        /// The JSON error, when decoding failed.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// The provider refused the request itself (a 4xx other than 401, 403, 404 and 429,
    /// such as TMDB's "invalid page"): the request is wrong and retrying it cannot help.
    #[error("{} refused the request {url} (HTTP {status}): {message}", .provider.display_name())]
    Rejected {
        /// The provider.
        provider: Provider,
        /// The request, redacted.
        url: RedactedUrl,
        /// The HTTP status.
        status: u16,
        /// The provider's own words, or a description of the body.
        message: String,
    },
}

/// Who asked for the wait of a [`ProviderError::RateLimited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKind {
    /// The provider answered 429 (with or without `Retry-After`).
    Throttled,
    /// The provider's daily quota is spent (OMDb's "Request limit reached!"); it resets
    /// at the end of the provider's day.
    QuotaExhausted,
    /// The [`Gate`](crate::Gate) in front of the client refused before any request was
    /// sent (the app's own limit or quota).
    Local,
}

impl fmt::Display for RateLimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RateLimitKind::Throttled => "rate limited (HTTP 429)",
            RateLimitKind::QuotaExhausted => "the daily request quota is spent",
            RateLimitKind::Local => "held back by Metarr's own limit for this provider",
        })
    }
}

/// What made a [`ProviderError::Transient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransientReason {
    /// A 5xx status.
    Status(u16),
    /// No complete answer within the request timeout.
    Timeout(Duration),
    /// The connection could not be made (refused, unknown host, TLS handshake).
    Connect,
    /// The connection broke off before the whole answer arrived.
    Interrupted,
    /// Another transport failure.
    Other,
}

impl fmt::Display for TransientReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransientReason::Status(status) => write!(f, "it answered HTTP {status}"),
            TransientReason::Timeout(timeout) => write!(f, "no complete answer within {} ms", timeout.as_millis()),
            TransientReason::Connect => f.write_str("cannot connect"),
            TransientReason::Interrupted => f.write_str("the connection closed before the whole answer arrived"),
            TransientReason::Other => f.write_str("the request failed"),
        }
    }
}

impl ProviderError {
    /// The provider concerned.
    pub fn provider(&self) -> Provider {
        match self {
            ProviderError::NotConfigured { provider }
            | ProviderError::Config { provider, .. }
            | ProviderError::Unauthorized { provider, .. }
            | ProviderError::RateLimited { provider, .. }
            | ProviderError::Transient { provider, .. }
            | ProviderError::InvalidResponse { provider, .. }
            | ProviderError::Rejected { provider, .. } => *provider,
        }
    }

    /// The request, redacted, when one was built.
    pub fn url(&self) -> Option<&RedactedUrl> {
        match self {
            ProviderError::NotConfigured { .. } | ProviderError::Config { .. } => None,
            ProviderError::Unauthorized { url, .. }
            | ProviderError::RateLimited { url, .. }
            | ProviderError::Transient { url, .. }
            | ProviderError::InvalidResponse { url, .. }
            | ProviderError::Rejected { url, .. } => Some(url),
        }
    }

    /// Whether retrying cannot help until the user changes a setting or the caller changes
    /// the request: no key, a bad setting, a refused key, a refused request. A job fails.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ProviderError::NotConfigured { .. }
                | ProviderError::Config { .. }
                | ProviderError::Unauthorized { .. }
                | ProviderError::Rejected { .. }
        )
    }

    /// How long to wait before the next call to this provider, for a rate limit or a spent
    /// quota: the job snoozes this long without spending an attempt.
    ///
    /// `None` for every other error; those that are not [permanent](Self::is_permanent)
    /// (transient failures and unusable answers) are retried with backoff.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::Url;

    use super::*;

    fn url() -> RedactedUrl {
        RedactedUrl::new(&Url::parse("https://api.themoviedb.org/3/movie/550?api_key=k").expect("a valid URL"))
    }

    #[test]
    fn classification_helpers() {
        let unauthorized = ProviderError::Unauthorized {
            provider: Provider::Omdb,
            url: url(),
            message: "Invalid API key!".to_owned(),
        };
        assert!(unauthorized.is_permanent());
        assert_eq!(unauthorized.retry_after(), None);
        assert_eq!(unauthorized.provider(), Provider::Omdb);

        let limited = ProviderError::RateLimited {
            provider: Provider::Tmdb,
            url: url(),
            retry_after: Duration::from_secs(7),
            kind: RateLimitKind::Throttled,
        };
        assert!(!limited.is_permanent());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));

        let transient = ProviderError::Transient {
            provider: Provider::Fanart,
            url: url(),
            reason: TransientReason::Status(503),
            source: None,
        };
        assert!(!transient.is_permanent());
        assert_eq!(transient.retry_after(), None);
        assert!(
            !ProviderError::InvalidResponse {
                provider: Provider::Tmdb,
                url: url(),
                detail: String::new(),
                source: None
            }
            .is_permanent()
        );
        assert!(ProviderError::NotConfigured { provider: Provider::Tmdb }.is_permanent());
    }

    #[test]
    fn unauthorized_says_which_key_to_fix() {
        let err = ProviderError::Unauthorized {
            provider: Provider::Fanart,
            url: url(),
            message: "Invalid API key".to_owned(),
        };
        let text = err.to_string();
        assert!(text.contains("fix the Fanart.tv API key"), "{text}");
        assert!(text.contains("api_key=REDACTED"), "{text}");
    }
}
