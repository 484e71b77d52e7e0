//! Where a player listens, and the HTTP plumbing every client shares: one reqwest client
//! per player with its timeout, and the translation of transport failures into
//! [`PlayerError`] variants the group logic can act on.

use std::time::Duration;

use crate::PlayerError;

/// One player's address. `Display` gives `host:port`, the only way errors and logs name
/// a player (never with credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: String,
    /// TCP port of the player's HTTP server.
    pub port: u16,
    /// Whether to speak HTTPS.
    pub tls: bool,
    /// How long one request may take in total before it counts as [`PlayerError::Timeout`].
    pub timeout: Duration,
}

impl Endpoint {
    /// Plain HTTP with the default 10 s timeout.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self { host: host.into(), port, tls: false, timeout: Duration::from_secs(10) }
    }

    /// The same endpoint with another request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `http(s)://host:port` without a trailing slash; IPv6 literals get their brackets.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// The reqwest client for this endpoint: its timeout, a shorter connect timeout, and a
    /// `User-Agent` naming Metarr.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, PlayerError> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("Metarr/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| PlayerError::Client { player: self.to_string(), detail: err.without_url().to_string() })
    }

    /// Classifies a transport error. Connection refused and timeouts get their own
    /// variants because the group logic falls back to the next player only on those; a
    /// connection closed before any response is Kodi's answer to a request without id.
    pub(crate) fn transport_error(&self, err: reqwest::Error) -> PlayerError {
        let player = self.to_string();
        // The URL carries no secret here, but dropping it keeps messages short and safe
        // should a caller ever put a token in a query string.
        let err = err.without_url();
        if err.is_timeout() {
            return PlayerError::Timeout { player, timeout: self.timeout };
        }
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return PlayerError::Refused { player },
                    std::io::ErrorKind::TimedOut => {
                        return PlayerError::Timeout { player, timeout: self.timeout };
                    }
                    _ => {}
                }
            }
            if let Some(hyper_err) = cause.downcast_ref::<hyper::Error>()
                && hyper_err.is_incomplete_message()
            {
                return PlayerError::EmptyReply { player };
            }
            source = cause.source();
        }
        if err.is_connect() {
            return PlayerError::Unreachable { player, detail: describe(&err) };
        }
        PlayerError::Transport { player, detail: describe(&err) }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') && !self.host.starts_with('[') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The error and its causes in one line, skipping causes whose text is already included
/// (hyper repeats its wording at several levels).
fn describe(err: &reqwest::Error) -> String {
    let mut description = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !description.contains(&text) {
            description.push_str(": ");
            description.push_str(&text);
        }
        source = cause.source();
    }
    description
}
