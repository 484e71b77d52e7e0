//! Kodi's JSON-RPC API over HTTP (`POST /jsonrpc`, Basic auth), as observed on a real
//! Kodi 20.1 (API 13.0.0): typed wrappers for the calls Metarr needs and a strict reading
//! of the answers, so a web page or another product at the address is reported as such.

use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{Endpoint, KodiNotifications, PlayerError};

/// A JSON-RPC client for one Kodi instance.
pub struct KodiClient {
    endpoint: Endpoint,
    username: Option<String>,
    password: Option<SecretString>,
    http: reqwest::Client,
    next_id: AtomicU64,
    /// Port of the JSON-RPC notification socket (raw TCP), when Metarr should listen to it.
    notification_port: Option<u16>,
}

impl std::fmt::Debug for KodiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is deliberately left out.
        f.debug_struct("KodiClient")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("notification_port", &self.notification_port)
            .finish()
    }
}

/// Kodi's versions as `JSONRPC.Version` and `Application.GetProperties` report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KodiVersion {
    /// Application name; always "Kodi" for Kodi itself.
    pub name: String,
    /// Application version, e.g. "20.1".
    pub version: String,
    /// JSON-RPC API version, e.g. "13.0.0".
    pub api_version: String,
}

/// A movie as `VideoLibrary.GetMovies` returns it with the properties this client asks for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KodiMovie {
    /// Library id; it changes when the movie is refreshed.
    pub movieid: i64,
    /// Path of the video file as Kodi sees it.
    #[serde(default)]
    pub file: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// The value of the default uniqueid.
    #[serde(default)]
    pub imdbnumber: String,
    /// Unique ids by provider (`imdb`, `tmdb`, …).
    #[serde(default)]
    pub uniqueid: std::collections::BTreeMap<String, String>,
    /// Artwork URLs by type, as `image://…/` URLs.
    #[serde(default)]
    pub art: std::collections::BTreeMap<String, String>,
}

/// A series as `VideoLibrary.GetTVShows` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KodiTvShow {
    /// Library id.
    pub tvshowid: i64,
    /// The series folder as Kodi sees it.
    #[serde(default)]
    pub file: String,
    /// Title.
    #[serde(default)]
    pub title: String,
}

/// An episode as `VideoLibrary.GetEpisodes` returns it with the properties this client asks for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KodiEpisode {
    /// Library id; it changes when the series is refreshed.
    pub episodeid: i64,
    /// Path of the video file as Kodi sees it.
    #[serde(default)]
    pub file: String,
    /// The series' library id.
    #[serde(default)]
    pub tvshowid: i64,
    /// Season number.
    #[serde(default)]
    pub season: i64,
    /// Episode number.
    #[serde(default)]
    pub episode: i64,
    /// Title.
    #[serde(default)]
    pub title: String,
}

/// A running player.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivePlayer {
    /// Player id.
    pub playerid: i64,
    /// `video`, `audio` or `picture`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A cached texture.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KodiTexture {
    /// Texture database id, for `Textures.RemoveTexture`.
    pub textureid: i64,
    /// The URL the texture was cached from.
    #[serde(default)]
    pub url: String,
}

/// The properties [`KodiClient::get_movies_by_path`] asks for.
const MOVIE_PROPERTIES: [&str; 5] = ["file", "title", "imdbnumber", "uniqueid", "art"];

impl KodiClient {
    /// A client for `endpoint`; `credentials` are the web server's username and password
    /// (Kodi's web server may run without authentication).
    pub fn new(endpoint: Endpoint, credentials: Option<(String, SecretString)>) -> Result<Self, PlayerError> {
        let http = endpoint.http_client()?;
        let (username, password) = match credentials {
            Some((username, password)) => (Some(username), Some(password)),
            None => (None, None),
        };
        Ok(Self { endpoint, username, password, http, next_id: AtomicU64::new(1), notification_port: None })
    }

    /// The same client, listening to Kodi's notification socket on `port` (Kodi's default
    /// is 9090) on the same host: refreshes then wait for Kodi's confirmation.
    #[must_use]
    pub fn with_notification_port(mut self, port: u16) -> Self {
        self.notification_port = Some(port);
        self
    }

    /// The notification socket's port, when set.
    pub fn notification_port(&self) -> Option<u16> {
        self.notification_port
    }

    /// Connects to the notification socket (see [`KodiNotifications::connect`]); waits at
    /// most the endpoint's timeout, and no more than 5 s: a firewall that drops packets to
    /// the port must not hold up every refresh. `None` when no notification port is set.
    pub async fn subscribe(&self) -> Option<Result<KodiNotifications, PlayerError>> {
        const MAX_SUBSCRIBE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
        let port = self.notification_port?;
        let timeout = self.endpoint.timeout.min(MAX_SUBSCRIBE_WAIT);
        Some(KodiNotifications::connect(&self.endpoint.host, port, timeout).await)
    }

    /// The player's address.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Calls `method` with `params` and returns the `result`. Always sends an `id`: Kodi
    /// answers a request without one with an empty reply.
    #[tracing::instrument(skip_all, fields(player = %self.endpoint, method = method))]
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, PlayerError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": id });
        let player = self.endpoint.to_string();
        let mut request = self
            .http
            .post(format!("{}/jsonrpc", self.endpoint.base_url()))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(username) = &self.username {
            request = request.basic_auth(username, self.password.as_ref().map(|p| p.expose_secret()));
        }
        let response = request.send().await.map_err(|err| self.endpoint.transport_error(err))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(PlayerError::Unauthorized { player });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.map_err(|err| self.endpoint.transport_error(err))?;
        if !status.is_success() {
            return Err(PlayerError::Http { player, status: status.as_u16() });
        }
        if bytes.is_empty() {
            return Err(PlayerError::EmptyReply { player });
        }
        let answer: Value = serde_json::from_slice(&bytes).map_err(|_| PlayerError::NotKodi {
            player: player.clone(),
            detail: format!("the answer is not JSON (content type {content_type:?})"),
        })?;
        if answer.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(PlayerError::NotKodi { player, detail: "the answer is JSON but not JSON-RPC 2.0".to_owned() });
        }
        if let Some(error) = answer.get("error") {
            let code = error.get("code").and_then(Value::as_i64).unwrap_or_default();
            let mut message = error.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned();
            // Kodi explains invalid params in data.stack (which parameter, which type).
            if let Some(detail) = error.pointer("/data/stack/message").and_then(Value::as_str) {
                let name = error.pointer("/data/stack/name").and_then(Value::as_str).unwrap_or("?");
                message = format!("{message} ({name}: {detail})");
            }
            return Err(PlayerError::Rpc { player, method: method.to_owned(), code, message });
        }
        if answer.get("id").and_then(Value::as_u64) != Some(id) {
            return Err(PlayerError::NotKodi {
                player,
                detail: "the answer does not carry the request's id".to_owned(),
            });
        }
        answer.get("result").cloned().ok_or_else(|| PlayerError::Decode {
            player,
            what: method.to_owned(),
            detail: "no result".to_owned(),
        })
    }

    /// [`call`](Self::call) and decode the result into `T`.
    async fn call_as<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, PlayerError> {
        let result = self.call(method, params).await?;
        serde_json::from_value(result).map_err(|err| PlayerError::Decode {
            player: self.endpoint.to_string(),
            what: method.to_owned(),
            detail: err.to_string(),
        })
    }

    /// Calls a method whose result is the string "OK" (Kodi's acknowledgement).
    async fn call_ok(&self, method: &str, params: Value) -> Result<(), PlayerError> {
        let result: String = self.call_as(method, params).await?;
        if result == "OK" {
            Ok(())
        } else {
            Err(PlayerError::Decode {
                player: self.endpoint.to_string(),
                what: method.to_owned(),
                detail: format!("expected \"OK\", got {result:?}"),
            })
        }
    }

    /// `JSONRPC.Ping`; succeeds when Kodi answers "pong".
    pub async fn ping(&self) -> Result<(), PlayerError> {
        let result: String = self.call_as("JSONRPC.Ping", json!({})).await?;
        if result == "pong" {
            Ok(())
        } else {
            Err(PlayerError::NotKodi { player: self.endpoint.to_string(), detail: format!("ping answered {result:?}") })
        }
    }

    /// `JSONRPC.Version` and `Application.GetProperties` (name and version). An
    /// application not named "Kodi" is [`PlayerError::NotKodi`].
    pub async fn version(&self) -> Result<KodiVersion, PlayerError> {
        #[derive(Deserialize)]
        struct ApiVersion {
            version: ApiVersionNumbers,
        }
        #[derive(Deserialize)]
        struct ApiVersionNumbers {
            major: u64,
            minor: u64,
            patch: u64,
        }
        #[derive(Deserialize)]
        struct Application {
            name: String,
            version: ApplicationVersion,
        }
        #[derive(Deserialize)]
        struct ApplicationVersion {
            major: u64,
            minor: u64,
        }
        let api: ApiVersion = self.call_as("JSONRPC.Version", json!({})).await?;
        let application: Application =
            self.call_as("Application.GetProperties", json!({ "properties": ["name", "version"] })).await?;
        if application.name != "Kodi" {
            return Err(PlayerError::NotKodi {
                player: self.endpoint.to_string(),
                detail: format!("the application is {:?}", application.name),
            });
        }
        Ok(KodiVersion {
            name: application.name,
            version: format!("{}.{}", application.version.major, application.version.minor),
            api_version: format!("{}.{}.{}", api.version.major, api.version.minor, api.version.patch),
        })
    }

    /// The movies whose folder is `dir` or lies below it (`VideoLibrary.GetMovies` with a
    /// `path startswith` filter). The filter value ends with a separator so that
    /// "/movies/Alien" does not match "/movies/Alien 2"; the answer is checked again on
    /// the file path for the same reason.
    pub async fn get_movies_by_path(&self, dir: &str) -> Result<Vec<KodiMovie>, PlayerError> {
        #[derive(Deserialize)]
        struct Movies {
            // Kodi leaves the list out when nothing matches.
            #[serde(default)]
            movies: Vec<KodiMovie>,
        }
        let dir = with_trailing_separator(dir);
        let params = json!({
            "properties": MOVIE_PROPERTIES,
            "filter": { "field": "path", "operator": "startswith", "value": dir },
        });
        let movies: Movies = self.call_as("VideoLibrary.GetMovies", params).await?;
        Ok(movies.movies.into_iter().filter(|movie| movie.file.starts_with(&dir)).collect())
    }

    /// The series whose folder is `dir` (`VideoLibrary.GetTVShows` with a `path is` filter).
    pub async fn get_tvshows_by_path(&self, dir: &str) -> Result<Vec<KodiTvShow>, PlayerError> {
        #[derive(Deserialize)]
        struct Shows {
            #[serde(default)]
            tvshows: Vec<KodiTvShow>,
        }
        let dir = with_trailing_separator(dir);
        let params = json!({
            "properties": ["file", "title"],
            "filter": { "field": "path", "operator": "is", "value": dir },
        });
        let shows: Shows = self.call_as("VideoLibrary.GetTVShows", params).await?;
        Ok(shows.tvshows.into_iter().filter(|show| with_trailing_separator(&show.file) == dir).collect())
    }

    /// The episodes whose files lie in `dir` or below it (`VideoLibrary.GetEpisodes` with a
    /// `path startswith` filter, checked again on the file path as for movies).
    pub async fn get_episodes_by_path(&self, dir: &str) -> Result<Vec<KodiEpisode>, PlayerError> {
        #[derive(Deserialize)]
        struct Episodes {
            #[serde(default)]
            episodes: Vec<KodiEpisode>,
        }
        let dir = with_trailing_separator(dir);
        let params = json!({
            "properties": ["file", "tvshowid", "season", "episode", "title"],
            "filter": { "field": "path", "operator": "startswith", "value": dir },
        });
        let episodes: Episodes = self.call_as("VideoLibrary.GetEpisodes", params).await?;
        Ok(episodes.episodes.into_iter().filter(|episode| episode.file.starts_with(&dir)).collect())
    }

    /// `VideoLibrary.RefreshTVShow` with its episodes: Kodi re-reads `tvshow.nfo` and every
    /// episode's NFO and artwork (the rows are removed and added again, under new ids).
    pub async fn refresh_tvshow(&self, tvshowid: i64) -> Result<(), PlayerError> {
        self.call_ok(
            "VideoLibrary.RefreshTVShow",
            json!({ "tvshowid": tvshowid, "ignorenfo": false, "refreshepisodes": true }),
        )
        .await
    }

    /// `VideoLibrary.RefreshEpisode`: Kodi re-reads one episode's NFO and thumb (the row is
    /// removed and added again, possibly under a new id, as for movies).
    pub async fn refresh_episode(&self, episodeid: i64) -> Result<(), PlayerError> {
        self.call_ok("VideoLibrary.RefreshEpisode", json!({ "episodeid": episodeid, "ignorenfo": false })).await
    }

    /// `VideoLibrary.RefreshMovie`: Kodi re-reads the NFO and artwork. Kodi deletes and
    /// re-adds the row, so the movie may get a new id (SQLite reuses the highest one);
    /// look it up again by path afterwards.
    pub async fn refresh_movie(&self, movieid: i64) -> Result<(), PlayerError> {
        self.call_ok("VideoLibrary.RefreshMovie", json!({ "movieid": movieid, "ignorenfo": false })).await
    }

    /// `VideoLibrary.SetMovieDetails` with `art` (art type → image path as Kodi sees it): a
    /// refresh of a movie Kodi knows does not always pick up artwork files written since its
    /// last scan (observed on Kodi 20 with local information), so the files are named.
    pub async fn set_movie_art(
        &self,
        movieid: i64,
        art: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), PlayerError> {
        self.call_ok("VideoLibrary.SetMovieDetails", json!({ "movieid": movieid, "art": art })).await
    }

    /// `VideoLibrary.GetMovieDetails` with the given properties; returns `moviedetails`.
    pub async fn get_movie_details(&self, movieid: i64, properties: &[&str]) -> Result<Value, PlayerError> {
        let result =
            self.call("VideoLibrary.GetMovieDetails", json!({ "movieid": movieid, "properties": properties })).await?;
        result.get("moviedetails").cloned().ok_or_else(|| PlayerError::Decode {
            player: self.endpoint.to_string(),
            what: "VideoLibrary.GetMovieDetails".to_owned(),
            detail: "no moviedetails".to_owned(),
        })
    }

    /// `Files.GetDirectory`; returns the listed entries' `file` paths. Listing a folder
    /// refreshes Kodi's directory cache, without which a scan of a folder created after
    /// Kodi last listed its parent is skipped as "does not exist" (docs/peers/kodi.md,
    /// "Directory cache").
    pub async fn get_directory(&self, dir: &str) -> Result<Vec<String>, PlayerError> {
        #[derive(Deserialize)]
        struct Listing {
            #[serde(default)]
            files: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            file: String,
        }
        let listing: Listing = self
            .call_as("Files.GetDirectory", json!({ "directory": with_trailing_separator(dir), "media": "files" }))
            .await?;
        Ok(listing.files.into_iter().map(|entry| entry.file).collect())
    }

    /// `VideoLibrary.Scan` of one folder without dialogs. Kodi answers "OK" at once even
    /// when the scan does nothing; only notifications on port 9090 prove an import.
    pub async fn scan(&self, dir: &str) -> Result<(), PlayerError> {
        self.call_ok("VideoLibrary.Scan", json!({ "directory": with_trailing_separator(dir), "showdialogs": false }))
            .await
    }

    /// Whether a video library scan runs (`XBMC.GetInfoBooleans` `Library.IsScanningVideo`);
    /// Kodi drops a scan request made while another one runs.
    pub async fn is_scanning(&self) -> Result<bool, PlayerError> {
        const KEY: &str = "Library.IsScanningVideo";
        let result = self.call("XBMC.GetInfoBooleans", json!({ "booleans": [KEY] })).await?;
        result.get(KEY).and_then(Value::as_bool).ok_or_else(|| PlayerError::Decode {
            player: self.endpoint.to_string(),
            what: "XBMC.GetInfoBooleans".to_owned(),
            detail: format!("no boolean {KEY}"),
        })
    }

    /// `Player.GetActivePlayers`.
    pub async fn active_players(&self) -> Result<Vec<ActivePlayer>, PlayerError> {
        self.call_as("Player.GetActivePlayers", json!({})).await
    }

    /// Cached textures whose URL is exactly `url` (`Textures.GetTextures`).
    pub async fn get_textures(&self, url: &str) -> Result<Vec<KodiTexture>, PlayerError> {
        #[derive(Deserialize)]
        struct Textures {
            #[serde(default)]
            textures: Vec<KodiTexture>,
        }
        let params = json!({
            "properties": ["url"],
            "filter": { "field": "url", "operator": "is", "value": url },
        });
        let textures: Textures = self.call_as("Textures.GetTextures", params).await?;
        Ok(textures.textures)
    }

    /// `Textures.RemoveTexture`: Kodi forgets the cached image and fetches it again.
    pub async fn remove_texture(&self, textureid: i64) -> Result<(), PlayerError> {
        self.call_ok("Textures.RemoveTexture", json!({ "textureid": textureid })).await
    }

    /// `GUI.ShowNotification` with the default display time.
    pub async fn show_notification(&self, title: &str, message: &str) -> Result<(), PlayerError> {
        self.call_ok("GUI.ShowNotification", json!({ "title": title, "message": message })).await
    }
}

/// The separator a player path uses: a backslash for Windows paths (`D:\Movies`),
/// a slash for everything else, including `smb://` URLs.
pub(crate) fn separator_of(path: &str) -> char {
    if path.contains('\\') && !path.contains('/') { '\\' } else { '/' }
}

/// `dir` ending with its separator, as Kodi stores folder paths.
pub(crate) fn with_trailing_separator(dir: &str) -> String {
    if dir.ends_with('/') || dir.ends_with('\\') { dir.to_owned() } else { format!("{dir}{}", separator_of(dir)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_separator_follows_the_path_style() {
        assert_eq!(with_trailing_separator("/movies/A"), "/movies/A/");
        assert_eq!(with_trailing_separator("/movies/A/"), "/movies/A/");
        assert_eq!(with_trailing_separator("D:\\Movies\\A"), "D:\\Movies\\A\\");
        assert_eq!(with_trailing_separator("smb://nas/movies/A"), "smb://nas/movies/A/");
    }
}
