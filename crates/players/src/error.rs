//! The one error type of the crate: every variant names the player by `host:port` and
//! never carries a password or token.

use std::time::Duration;

/// Why a call to a player failed.
#[derive(Debug, thiserror::Error)]
pub enum PlayerError {
    /// Nothing listens on the port (or a firewall rejects us): the player is off.
    #[error("{player}: connection refused; is the player running and its web server enabled?")]
    Refused {
        /// `host:port`.
        player: String,
    },
    /// The connection failed for another reason (unknown host, no route, TLS handshake).
    #[error("{player}: cannot connect: {detail}")]
    Unreachable {
        /// `host:port`.
        player: String,
        /// The transport error's description, without URL.
        detail: String,
    },
    /// No complete answer within the endpoint's timeout.
    #[error("{player}: no answer within {timeout:?}")]
    Timeout {
        /// `host:port`.
        player: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// HTTP 401: the credentials are missing or wrong; retrying cannot help.
    #[error("{player}: authentication failed (HTTP 401); fix the player's username and password or token")]
    Unauthorized {
        /// `host:port`.
        player: String,
    },
    /// Something answered, but not Kodi's JSON-RPC (an HTML page, another product).
    #[error("{player}: this is not Kodi's JSON-RPC interface: {detail}")]
    NotKodi {
        /// `host:port`.
        player: String,
        /// What was seen instead.
        detail: String,
    },
    /// Something answered, but not the expected product (Jellyfin, Plex).
    #[error("{player}: this is not a {expected} server: {detail}")]
    WrongProduct {
        /// `host:port`.
        player: String,
        /// The product we expected.
        expected: &'static str,
        /// What was seen instead.
        detail: String,
    },
    /// Kodi answered with a JSON-RPC error object.
    #[error("{player}: {method} failed with JSON-RPC error {code}: {message}")]
    Rpc {
        /// `host:port`.
        player: String,
        /// The JSON-RPC method called.
        method: String,
        /// JSON-RPC error code (-32601 method not found, -32602 invalid params, …).
        code: i64,
        /// The error message, plus Kodi's `data.stack.message` when present.
        message: String,
    },
    /// The connection closed without an answer: what Kodi does with a request that has
    /// no `id` (a JSON-RPC notification).
    #[error("{player}: the connection closed with an empty reply")]
    EmptyReply {
        /// `host:port`.
        player: String,
    },
    /// An HTTP status other than success and 401.
    #[error("{player}: unexpected HTTP status {status}")]
    Http {
        /// `host:port`.
        player: String,
        /// The status code.
        status: u16,
    },
    /// The answer was understood as the right product but did not have the expected shape.
    #[error("{player}: unexpected answer to {what}: {detail}")]
    Decode {
        /// `host:port`.
        player: String,
        /// The call whose answer was wrong.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// Kodi refuses to list the folder: it lies outside every Kodi video source, which
    /// almost always means a wrong path mapping.
    #[error("{player}: Kodi cannot see {path}: it is outside every Kodi video source; check the path mapping")]
    OutsideSources {
        /// `host:port`.
        player: String,
        /// The folder as sent to Kodi.
        path: String,
    },
    /// Plex has no library section whose folder contains the path.
    #[error("{player}: no Plex library section contains {path}")]
    NoSection {
        /// `host:port`.
        player: String,
        /// The (mapped) path looked for.
        path: String,
    },
    /// Another transport failure after connecting (for example a reset connection).
    #[error("{player}: request failed: {detail}")]
    Transport {
        /// `host:port`.
        player: String,
        /// The transport error's description, without URL.
        detail: String,
    },
    /// The HTTP client could not be built (bad TLS setup).
    #[error("{player}: cannot build the HTTP client: {detail}")]
    Client {
        /// `host:port`.
        player: String,
        /// Why.
        detail: String,
    },
    /// A group without players was asked to do something.
    #[error("the player group has no players")]
    NoPlayers,
}

impl PlayerError {
    /// Whether the player could not be reached at all, so another member of its group
    /// (sharing the same library database) may be tried instead.
    pub fn is_connection_failure(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::Unreachable { .. } | Self::Timeout { .. })
    }

    /// Whether retrying later cannot help until the user changes the settings (wrong
    /// credentials, wrong product at that address, a path the player does not cover).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized { .. }
                | Self::NotKodi { .. }
                | Self::WrongProduct { .. }
                | Self::OutsideSources { .. }
                | Self::NoSection { .. }
                | Self::NoPlayers
        )
    }
}
