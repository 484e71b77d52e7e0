//! Plex Media Server: find the library section that holds a folder and ask for a partial
//! scan of just that folder (as Radarr's `PlexServerProxy` does).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{Endpoint, PlayerError};

/// A client for one Plex server, authenticated with an `X-Plex-Token`.
pub struct PlexClient {
    endpoint: Endpoint,
    token: SecretString,
    http: reqwest::Client,
}

impl std::fmt::Debug for PlexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is deliberately left out.
        f.debug_struct("PlexClient").field("endpoint", &self.endpoint).finish()
    }
}

/// A library section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlexSection {
    /// The section key (a string in Plex's JSON).
    pub key: String,
    /// `movie`, `show`, `artist`, `photo`.
    pub kind: String,
    /// The section's title.
    pub title: String,
    /// The folders the section covers, as Plex sees them.
    pub locations: Vec<String>,
}

/// What `GET /identity` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlexIdentity {
    /// The server's machine identifier.
    pub machine_identifier: String,
    /// The server version.
    pub version: String,
}

#[derive(Deserialize)]
struct Container<T> {
    #[serde(rename = "MediaContainer")]
    media_container: T,
}

#[derive(Deserialize)]
struct SectionsContainer {
    #[serde(rename = "Directory", default)]
    directory: Vec<RawSection>,
}

#[derive(Deserialize)]
struct RawSection {
    key: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(rename = "Location", default)]
    location: Vec<RawLocation>,
}

#[derive(Deserialize)]
struct RawLocation {
    path: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIdentity {
    machine_identifier: String,
    #[serde(default)]
    version: String,
}

impl PlexClient {
    /// A client for `endpoint` with a Plex token.
    pub fn new(endpoint: Endpoint, token: SecretString) -> Result<Self, PlayerError> {
        let http = endpoint.http_client()?;
        Ok(Self { endpoint, token, http })
    }

    /// The player's address.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// A GET with the headers Plex expects. The token travels as a header, never in the
    /// query string, so it cannot leak through a logged URL.
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.endpoint.base_url()))
            .header(reqwest::header::ACCEPT, "application/json")
            .header("X-Plex-Token", self.token.expose_secret())
            .header("X-Plex-Client-Identifier", "metarr")
            .header("X-Plex-Product", "Metarr")
            .header("X-Plex-Version", env!("CARGO_PKG_VERSION"))
    }

    /// Sends `request` and checks the status; returns the body.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, PlayerError> {
        let player = self.endpoint.to_string();
        let response = request.send().await.map_err(|err| self.endpoint.transport_error(err))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(PlayerError::Unauthorized { player });
        }
        if !status.is_success() {
            return Err(PlayerError::Http { player, status: status.as_u16() });
        }
        response.bytes().await.map(|bytes| bytes.to_vec()).map_err(|err| self.endpoint.transport_error(err))
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, PlayerError> {
        let bytes = self.send(self.get(path)).await?;
        let container: Container<T> = serde_json::from_slice(&bytes).map_err(|err| PlayerError::WrongProduct {
            player: self.endpoint.to_string(),
            expected: "Plex",
            detail: format!("GET {path} did not answer a Plex MediaContainer: {err}"),
        })?;
        Ok(container.media_container)
    }

    /// `GET /identity`: the server's machine identifier and version.
    pub async fn identity(&self) -> Result<PlexIdentity, PlayerError> {
        let raw: RawIdentity = self.get_json("/identity").await?;
        Ok(PlexIdentity { machine_identifier: raw.machine_identifier, version: raw.version })
    }

    /// `GET /library/sections`.
    pub async fn sections(&self) -> Result<Vec<PlexSection>, PlayerError> {
        let raw: SectionsContainer = self.get_json("/library/sections").await?;
        Ok(raw
            .directory
            .into_iter()
            .map(|section| PlexSection {
                key: section.key,
                kind: section.kind,
                title: section.title,
                locations: section.location.into_iter().map(|location| location.path).collect(),
            })
            .collect())
    }

    /// Finds the section with the deepest location containing `path` (whole components)
    /// and asks for a partial scan: `GET /library/sections/{key}/refresh?path=…`. Returns
    /// the section key.
    #[tracing::instrument(skip_all, fields(player = %self.endpoint, path = path))]
    pub async fn refresh_path(&self, path: &str) -> Result<String, PlayerError> {
        let sections = self.sections().await?;
        let key = sections
            .iter()
            .flat_map(|section| section.locations.iter().map(move |location| (section, location)))
            .filter_map(|(section, location)| {
                component_prefix_len(location, path).map(|depth| (depth, section.key.clone()))
            })
            .max_by_key(|(depth, _)| *depth)
            .map(|(_, key)| key)
            .ok_or_else(|| PlayerError::NoSection { player: self.endpoint.to_string(), path: path.to_owned() })?;
        let request = self.get(&format!("/library/sections/{key}/refresh?path={}", percent_encode(path)));
        self.send(request).await?;
        Ok(key)
    }
}

/// Percent-encodes every byte but the unreserved characters of RFC 3986. A space becomes
/// `%20`, not the `+` of form encoding (what reqwest's `query` writes), which not every
/// server reads as a space in a query, and a partial scan of a wrong path does nothing.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The number of components of `location` when it contains `path` on component
/// boundaries, `None` otherwise.
fn component_prefix_len(location: &str, path: &str) -> Option<usize> {
    let split = |text: &str| text.split(['/', '\\']).filter(|c| !c.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let location = split(location);
    let path = split(path);
    (location.len() <= path.len() && path[..location.len()] == location[..]).then_some(location.len())
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn paths_are_percent_encoded_with_spaces_as_percent_20() {
        assert_eq!(percent_encode("/data/movies/Dune & Co (2021)"), "%2Fdata%2Fmovies%2FDune%20%26%20Co%20%282021%29");
        assert_eq!(percent_encode("D:\\Filme\\Amélie"), "D%3A%5CFilme%5CAm%C3%A9lie");
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
    }
}
