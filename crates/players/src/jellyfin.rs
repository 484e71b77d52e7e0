//! Jellyfin: tell the server which folders changed (`POST /Library/Media/Updated`) and
//! check what answers at an address (`GET /System/Info/Public`).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use crate::{Endpoint, PlayerError};

/// A client for one Jellyfin server, authenticated with an API key.
pub struct JellyfinClient {
    endpoint: Endpoint,
    token: SecretString,
    http: reqwest::Client,
}

impl std::fmt::Debug for JellyfinClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is deliberately left out.
        f.debug_struct("JellyfinClient").field("endpoint", &self.endpoint).finish()
    }
}

/// What `GET /System/Info/Public` says about the server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JellyfinInfo {
    /// "Jellyfin Server".
    pub product_name: String,
    /// The server's name.
    #[serde(default)]
    pub server_name: String,
    /// e.g. "10.10.7".
    #[serde(default)]
    pub version: String,
    /// The server id.
    #[serde(default)]
    pub id: String,
}

const PRODUCT: &str = "Jellyfin Server";

impl JellyfinClient {
    /// A client for `endpoint` with an API key.
    pub fn new(endpoint: Endpoint, token: SecretString) -> Result<Self, PlayerError> {
        let http = endpoint.http_client()?;
        Ok(Self { endpoint, token, http })
    }

    /// The player's address.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The `Authorization` value Jellyfin accepts in every version; the legacy
    /// `X-Emby-Token` and `X-MediaBrowser-Token` headers are off by default from 12.0.
    fn authorization(&self) -> String {
        format!("MediaBrowser Token=\"{}\"", self.token.expose_secret())
    }

    /// `GET /System/Info/Public` (no authentication needed); a server whose product name
    /// is not "Jellyfin Server" (Emby, a web page) is [`PlayerError::WrongProduct`].
    pub async fn info(&self) -> Result<JellyfinInfo, PlayerError> {
        let player = self.endpoint.to_string();
        let response = self
            .http
            .get(format!("{}/System/Info/Public", self.endpoint.base_url()))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| self.endpoint.transport_error(err))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(PlayerError::Unauthorized { player });
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(PlayerError::WrongProduct {
                player,
                expected: "Jellyfin",
                detail: "no /System/Info/Public (HTTP 404)".to_owned(),
            });
        }
        if !status.is_success() {
            return Err(PlayerError::Http { player, status: status.as_u16() });
        }
        let bytes = response.bytes().await.map_err(|err| self.endpoint.transport_error(err))?;
        let info: JellyfinInfo = serde_json::from_slice(&bytes).map_err(|_| PlayerError::WrongProduct {
            player: player.clone(),
            expected: "Jellyfin",
            detail: "the answer is not Jellyfin's system info JSON".to_owned(),
        })?;
        if info.product_name != PRODUCT {
            return Err(PlayerError::WrongProduct {
                player,
                expected: "Jellyfin",
                detail: format!("the product is {:?}", info.product_name),
            });
        }
        Ok(info)
    }

    /// Checks that a Jellyfin server answers; see [`info`](Self::info).
    pub async fn ping(&self) -> Result<(), PlayerError> {
        self.info().await.map(|_| ())
    }

    /// `POST /Library/Media/Updated` with each path as "Modified": Jellyfin rescans just
    /// those folders. Expects 204 (any 2xx is accepted).
    #[tracing::instrument(skip_all, fields(player = %self.endpoint, n_paths = paths.len()))]
    pub async fn media_updated(&self, paths: &[String]) -> Result<(), PlayerError> {
        let player = self.endpoint.to_string();
        let updates: Vec<_> = paths.iter().map(|path| json!({ "Path": path, "UpdateType": "Modified" })).collect();
        let response = self
            .http
            .post(format!("{}/Library/Media/Updated", self.endpoint.base_url()))
            .header(reqwest::header::AUTHORIZATION, self.authorization())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json!({ "Updates": updates }).to_string())
            .send()
            .await
            .map_err(|err| self.endpoint.transport_error(err))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(PlayerError::Unauthorized { player });
        }
        if !status.is_success() {
            return Err(PlayerError::Http { player, status: status.as_u16() });
        }
        Ok(())
    }
}
