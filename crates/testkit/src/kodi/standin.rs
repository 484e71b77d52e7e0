//! A faithful Kodi JSON-RPC stand-in on loopback: a tiny HTTP/1.1 server (raw tokio, so it
//! can close a connection without any answer, as Kodi does for a request without id) with
//! Kodi 20.1's observed behaviour: Basic auth with `WWW-Authenticate: Basic realm="Kodi"`,
//! 415 for a content type other than `application/json` (none at all is accepted),
//! JSON-RPC error objects for unknown
//! methods and bad params, and a small in-memory library whose `RefreshMovie` deletes and
//! re-adds the movie under a new id. Answers come from `tests/data/` where a recording fits.
//!
//! Optionally it also serves the notification socket (Kodi's raw TCP port 9090): it answers
//! requests sent there and pushes the notifications a real Kodi 20.1 sent for a scan and a
//! refresh (`OnScanStarted`, `OnUpdate`, `OnScanFinished`; `OnRemove`, `OnUpdate`), as
//! compact JSON objects back to back without delimiter, deliberately cut mid-object across
//! two writes.
//!
//! Used by the integration tests of `metarr-players` (every client call and the refresh
//! strategy) and of the app (the player test endpoint and the `notify-kodi` job).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::KODI_AUTH;

/// The recorded errors of a real Kodi 20.1.
pub fn observed_errors() -> Value {
    serde_json::from_str(include_str!("../../data/kodi/observed-http-errors.json"))
        .expect("the recorded errors are JSON")
}

/// The recorded `GetMovieDetails` answer of a real Kodi 20.1.
pub fn observed_movie_details() -> Value {
    let answer: Value = serde_json::from_str(include_str!("../../data/kodi/observed-getmoviedetails-kodi20.1.json"))
        .expect("the recorded answer is JSON");
    answer["result"]["moviedetails"].clone()
}

/// A movie in the library or on disk.
#[derive(Debug, Clone)]
pub struct StoredMovie {
    pub movieid: i64,
    pub file: String,
    pub title: String,
    pub imdbnumber: String,
    pub uniqueid: Value,
    pub art: Value,
    /// Further details answered by GetMovieDetails (the recorded answer).
    pub extra: Map<String, Value>,
}

impl StoredMovie {
    pub fn new(file: &str, title: &str) -> Self {
        Self {
            movieid: 0,
            file: file.to_owned(),
            title: title.to_owned(),
            imdbnumber: String::new(),
            uniqueid: json!({}),
            art: json!({}),
            extra: Map::new(),
        }
    }

    /// The recorded Big Buck Test movie.
    pub fn observed() -> Self {
        let details = observed_movie_details();
        Self {
            movieid: 0,
            file: details["file"].as_str().expect("a recorded file").to_owned(),
            title: details["title"].as_str().expect("a recorded title").to_owned(),
            imdbnumber: details["imdbnumber"].as_str().expect("a recorded imdbnumber").to_owned(),
            uniqueid: details["uniqueid"].clone(),
            art: details["art"].clone(),
            extra: details.as_object().expect("recorded details").clone(),
        }
    }

    /// Kodi's `path` field: the folder of the file, with its trailing slash.
    fn path(&self) -> &str {
        let cut = self.file.rfind(['/', '\\']).map_or(0, |index| index + 1);
        &self.file[..cut]
    }

    fn property(&self, name: &str) -> Value {
        match name {
            "file" => json!(self.file),
            "title" => json!(self.title),
            "imdbnumber" => json!(self.imdbnumber),
            "uniqueid" => self.uniqueid.clone(),
            "art" => self.art.clone(),
            other => self.extra.get(other).cloned().unwrap_or(Value::Null),
        }
    }
}

/// An episode in the library or on disk; its series is the folder `show` (with its trailing
/// slash), as a "tvshows" source files it.
#[derive(Debug, Clone)]
pub struct StoredEpisode {
    pub episodeid: i64,
    pub show: String,
    pub file: String,
    pub title: String,
    pub season: i64,
    pub episode: i64,
}

impl StoredEpisode {
    pub fn new(show: &str, file: &str, title: &str, season: i64, episode: i64) -> Self {
        let show = format!("{}/", show.trim_end_matches('/'));
        Self { episodeid: 0, show, file: file.to_owned(), title: title.to_owned(), season, episode }
    }
}

/// Everything the stand-in knows and saw.
#[derive(Debug, Default)]
pub struct KodiState {
    /// The library.
    pub movies: Vec<StoredMovie>,
    /// Movies present on disk but not yet (or differently) in the library.
    pub on_disk: Vec<StoredMovie>,
    /// Whether a video library scan runs.
    pub scanning: bool,
    /// Whether a video plays.
    pub playing_video: bool,
    /// Cached textures: (textureid, url), the url being the `image://…/` art URL as the
    /// real Kodi stores it.
    pub textures: Vec<(i64, String)>,
    /// Every valid request with an id, in order.
    pub requests: Vec<Value>,
    /// Folders listed with Files.GetDirectory (the directory cache).
    pub listed: Vec<String>,
    /// Folders given to VideoLibrary.Scan.
    pub scanned: Vec<String>,
    /// Notifications shown: (title, message).
    pub notifications: Vec<(String, String)>,
    /// Media source roots (with trailing slash); Kodi lists only folders inside them.
    pub sources: Vec<String>,
    /// How many GetMovies calls after a RefreshMovie still miss the movie: the real
    /// Kodi answers "OK" first and deletes and re-adds the row in the background.
    pub refresh_lag: u32,
    /// A refreshed movie waiting to be re-added, and the GetMovies calls left until then.
    lagging: Option<(StoredMovie, u32)>,
    /// How long after a RefreshMovie the movie is re-added, in time rather than in calls
    /// (as the real Kodi does, in the background); used when not zero.
    pub refresh_delay: std::time::Duration,
    /// A refreshed movie to re-add once `refresh_delay` passed.
    delayed: Option<StoredMovie>,
    /// When set, every request is held open without an answer (a hung Kodi).
    pub hang: bool,
    /// When set, every request gets the empty reply Kodi gives to a request without id.
    pub empty_replies: bool,
    /// Clients of the notification socket, when it runs: each batch of notifications one
    /// request caused, as one string of concatenated objects.
    notify: Option<tokio::sync::broadcast::Sender<String>>,
    /// Notifications that would have been sent, in order (method names).
    pub notified: Vec<String>,
    /// The series in the library: (tvshowid, folder with its trailing slash, title).
    pub shows: Vec<(i64, String, String)>,
    /// Episodes in the library.
    pub episodes: Vec<StoredEpisode>,
    /// Episodes on disk, as a scan or a refresh of their series reads them.
    pub episodes_on_disk: Vec<StoredEpisode>,
    /// The files of the episodes `VideoLibrary.RefreshEpisode` re-read, in order.
    pub refreshed_episodes: Vec<String>,
}

impl KodiState {
    /// Adds a movie to the library and returns its id: one more than the highest id in
    /// use, as SQLite assigns Kodi's `idMovie` (so a refreshed movie keeps its id when it
    /// had the highest one, and gets a new one otherwise; both seen on the real Kodi).
    pub fn add_movie(&mut self, mut movie: StoredMovie) -> i64 {
        let movieid = self.movies.iter().map(|movie| movie.movieid).max().unwrap_or(0) + 1;
        movie.movieid = movieid;
        self.movies.push(movie);
        movieid
    }

    /// Sends notifications to every client of the notification socket, in Kodi's format:
    /// `{"jsonrpc":"2.0","method":…,"params":{"data":…,"sender":"xbmc"}}`, compact and
    /// with sorted keys, as Kodi 20.1 writes them.
    fn send_notifications(&mut self, batch: &[(&str, Value)]) {
        let mut text = String::new();
        for (method, data) in batch {
            self.notified.push((*method).to_owned());
            let notification =
                json!({ "jsonrpc": "2.0", "method": method, "params": { "data": data, "sender": "xbmc" } });
            text.push_str(&notification.to_string());
        }
        if let Some(notify) = &self.notify {
            // No subscriber is fine: Kodi sends to whoever listens.
            let _ = notify.send(text);
        }
    }

    /// A movie's (re-)addition, as Kodi announces it: an update, then the same with `added`.
    fn added_notifications(movieid: i64, transaction: bool) -> [(&'static str, Value); 2] {
        let item = json!({ "id": movieid, "type": "movie" });
        if transaction {
            [
                ("VideoLibrary.OnUpdate", json!({ "item": item, "transaction": true })),
                ("VideoLibrary.OnUpdate", json!({ "added": true, "item": item, "transaction": true })),
            ]
        } else {
            [
                ("VideoLibrary.OnUpdate", json!({ "item": item })),
                ("VideoLibrary.OnUpdate", json!({ "added": true, "item": item })),
            ]
        }
    }

    /// Adds an episode (and its series when new) to the library; returns the episode's id.
    pub fn add_episode(&mut self, mut episode: StoredEpisode) -> i64 {
        if !self.shows.iter().any(|(_, path, _)| *path == episode.show) {
            let tvshowid = self.shows.iter().map(|(id, _, _)| *id).max().unwrap_or(0) + 1;
            let title = episode.show.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
            self.shows.push((tvshowid, episode.show.clone(), title));
        }
        episode.episodeid = self.episodes.iter().map(|e| e.episodeid).max().unwrap_or(0) + 1;
        let id = episode.episodeid;
        self.episodes.push(episode);
        id
    }

    fn tvshow_id(&self, show: &str) -> i64 {
        self.shows.iter().find(|(_, path, _)| path == show).map_or(0, |(id, _, _)| *id)
    }

    /// The method names called, in order.
    pub fn methods(&self) -> Vec<String> {
        self.requests.iter().map(|request| request["method"].as_str().unwrap_or_default().to_owned()).collect()
    }
}

/// A running stand-in: its web server's address and its state; its server tasks stop when it
/// is dropped, so keep it alive while a client talks to it.
pub struct KodiStandIn {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<KodiState>>,
    task: tokio::task::JoinHandle<()>,
    /// The notification socket's port and server task, when it runs.
    notifications: Option<(u16, tokio::task::JoinHandle<()>)>,
}

impl Drop for KodiStandIn {
    fn drop(&mut self) {
        self.task.abort();
        if let Some((_, task)) = &self.notifications {
            task.abort();
        }
    }
}

impl KodiStandIn {
    /// The stand-in's web server on a free loopback port, with `/media/movies/` as its source.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the stand-in's web server");
        let addr = listener.local_addr().expect("the web server's address");
        let state =
            Arc::new(Mutex::new(KodiState { sources: vec!["/media/movies/".to_owned()], ..KodiState::default() }));
        let task_state = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, Arc::clone(&task_state)));
            }
        });
        Self { addr, state, task, notifications: None }
    }

    /// The stand-in with its notification socket on another free port.
    pub async fn start_with_notifications() -> Self {
        let mut standin = Self::start().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the notification socket");
        let port = listener.local_addr().expect("the notification socket's address").port();
        let (notify, _) = tokio::sync::broadcast::channel(64);
        standin.state().notify = Some(notify.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_notifications(stream, notify.subscribe()));
            }
        });
        standin.notifications = Some((port, task));
        standin
    }

    /// The web server's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The notification socket's port; panics when it does not run.
    pub fn notification_port(&self) -> u16 {
        self.notifications.as_ref().expect("started with notifications").0
    }

    /// The state, to set up a test or to see what the stand-in received.
    pub fn state(&self) -> std::sync::MutexGuard<'_, KodiState> {
        self.state.lock().expect("the stand-in's state")
    }
}

/// A parsed HTTP request.
pub struct HttpRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// Reads one request (headers, then a Content-Length body); `None` when the peer closed.
pub async fn read_request(stream: &mut TcpStream) -> Option<HttpRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let header_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(HttpRequest { method, target, headers, body })
}

/// Writes a response and closes the connection (Kodi's web server keeps connections
/// alive, but closing keeps the stand-in simple and reqwest does not mind).
pub async fn write_response(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (key, value) in headers {
        head.push_str(&format!("{key}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// One client of the notification socket: answers `JSONRPC.Ping` (the only request the
/// client sends there) and forwards every batch of notifications, each batch cut in two
/// writes in the middle of an object so the client must join reads.
async fn serve_notifications(mut stream: TcpStream, mut batches: tokio::sync::broadcast::Receiver<String>) {
    let _ = stream.set_nodelay(true);
    let mut pending = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        tokio::select! {
            read = stream.read(&mut chunk) => {
                let Ok(n) = read else { return };
                if n == 0 {
                    return;
                }
                pending.extend_from_slice(&chunk[..n]);
                let mut requests = serde_json::Deserializer::from_slice(&pending).into_iter::<Value>();
                let mut answers = String::new();
                let mut consumed = 0;
                while let Some(Ok(request)) = requests.next() {
                    consumed = requests.byte_offset();
                    let answer = if request["method"] == "JSONRPC.Ping" {
                        json!({ "id": request["id"], "jsonrpc": "2.0", "result": "pong" })
                    } else {
                        json!({ "error": observed_errors()["unknown_method"]["error"], "id": request["id"], "jsonrpc": "2.0" })
                    };
                    answers.push_str(&answer.to_string());
                }
                pending.drain(..consumed);
                if stream.write_all(answers.as_bytes()).await.is_err() {
                    return;
                }
            }
            batch = batches.recv() => {
                let Ok(batch) = batch else { return };
                let cut = batch.len() / 2;
                if stream.write_all(&batch.as_bytes()[..cut]).await.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                if stream.write_all(&batch.as_bytes()[cut..]).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn serve_connection(mut stream: TcpStream, state: Arc<Mutex<KodiState>>) {
    let state_handle = Arc::clone(&state);
    let Some(request) = read_request(&mut stream).await else { return };
    if state.lock().expect("the stand-in's state").hang {
        // Hold the connection open without answering.
        std::future::pending::<()>().await;
    }
    if state.lock().expect("the stand-in's state").empty_replies {
        return;
    }
    if request.method != "POST" || request.target != "/jsonrpc" {
        write_response(&mut stream, "404 Not Found", &[("Content-Type", "text/html")], b"<html>Not Found</html>").await;
        return;
    }
    if request.header("Authorization") != Some(KODI_AUTH) {
        write_response(&mut stream, "401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"Kodi\"")], b"").await;
        return;
    }
    // Real Kodi 20.1 accepts a request without Content-Type but answers 415 to any type
    // other than application/json (curl -d sends application/x-www-form-urlencoded).
    if request.header("Content-Type").is_some_and(|value| !value.starts_with("application/json")) {
        write_response(&mut stream, "415 Unsupported Media Type", &[], b"").await;
        return;
    }
    let Ok(call) = serde_json::from_slice::<Value>(&request.body) else {
        let answer = json!({"error": {"code": -32700, "message": "Parse error."}, "id": null, "jsonrpc": "2.0"});
        write_response(&mut stream, "200 OK", &[("Content-Type", "application/json")], answer.to_string().as_bytes())
            .await;
        return;
    };
    let Some(id) = call.get("id").cloned() else {
        // Kodi treats a request without id as a notification and closes the connection
        // without any HTTP answer (docs/peers/kodi.md, "Requests without an id").
        return;
    };
    let answer = {
        let mut state = state.lock().expect("the stand-in's state");
        state.requests.push(call.clone());
        let answer = match dispatch(&mut state, &call) {
            Ok(result) => json!({ "id": id, "jsonrpc": "2.0", "result": result }),
            Err(error) => json!({ "error": error, "id": id, "jsonrpc": "2.0" }),
        };
        if let Some(movie) = state.delayed.take() {
            let delay = state.refresh_delay;
            let state = Arc::clone(&state_handle);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let mut state = state.lock().expect("the stand-in's state");
                let movieid = state.add_movie(movie);
                state.send_notifications(&KodiState::added_notifications(movieid, false));
            });
        }
        answer
    };
    write_response(&mut stream, "200 OK", &[("Content-Type", "application/json")], answer.to_string().as_bytes()).await;
}

fn invalid_params() -> Value {
    json!({ "code": -32602, "message": "Invalid params." })
}

/// Checks that `params` names only `allowed` keys and has all `required` ones, as Kodi's
/// schema validation does.
fn params<'a>(call: &'a Value, allowed: &[&str], required: &[&str]) -> Result<&'a Map<String, Value>, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let params = match call.get("params") {
        None => EMPTY.get_or_init(Map::new),
        Some(Value::Object(params)) => params,
        Some(_) => return Err(invalid_params()),
    };
    if params.keys().any(|key| !allowed.contains(&key.as_str())) {
        // As observed on Kodi 20.1 for an extra parameter.
        let method = call["method"].clone();
        return Err(json!({
            "code": -32602,
            "data": { "message": "Too many parameters", "method": method },
            "message": "Invalid params.",
        }));
    }
    if required.iter().any(|key| !params.contains_key(*key)) {
        return Err(invalid_params());
    }
    Ok(params)
}

fn string_param(params: &Map<String, Value>, name: &str, method: &str) -> Result<Option<String>, Value> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        // The recorded answer for a wrongly typed directory.
        Some(_) if name == "directory" && method == "VideoLibrary.Scan" => {
            Err(observed_errors()["bad_param_type"]["error"].clone())
        }
        Some(_) => Err(invalid_params()),
    }
}

fn movie_id_param(params: &Map<String, Value>) -> Result<i64, Value> {
    params.get("movieid").and_then(Value::as_i64).filter(|id| *id >= 1).ok_or_else(invalid_params)
}

fn requested_properties(params: &Map<String, Value>) -> Result<Vec<String>, Value> {
    match params.get("properties") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().map(|item| item.as_str().map(str::to_owned).ok_or_else(invalid_params)).collect()
        }
        Some(_) => Err(invalid_params()),
    }
}

fn movie_answer(movie: &StoredMovie, properties: &[String]) -> Value {
    let mut answer = Map::new();
    answer.insert("movieid".to_owned(), json!(movie.movieid));
    answer.insert("label".to_owned(), json!(movie.title));
    for property in properties {
        answer.insert(property.clone(), movie.property(property));
    }
    Value::Object(answer)
}

fn parent_of(dir: &str) -> String {
    let trimmed = dir.trim_end_matches('/');
    trimmed.rfind('/').map_or_else(String::new, |index| trimmed[..=index].to_owned())
}

fn dispatch(state: &mut KodiState, call: &Value) -> Result<Value, Value> {
    let method = call["method"].as_str().unwrap_or_default();
    match method {
        "JSONRPC.Ping" => {
            params(call, &[], &[])?;
            Ok(json!("pong"))
        }
        "JSONRPC.Version" => {
            params(call, &[], &[])?;
            Ok(observed_errors()["batch"][1]["result"].clone())
        }
        "Application.GetProperties" => {
            let params = params(call, &["properties"], &["properties"])?;
            let mut answer = Map::new();
            for property in requested_properties(params)? {
                let value = match property.as_str() {
                    "name" => json!("Kodi"),
                    "version" => json!({"major": 20, "minor": 1, "revision": "20230312-nogitfound", "tag": "stable"}),
                    _ => return Err(invalid_params()),
                };
                answer.insert(property, value);
            }
            Ok(Value::Object(answer))
        }
        "VideoLibrary.GetMovies" => {
            if let Some((movie, calls_left)) = state.lagging.take() {
                if calls_left == 0 {
                    let movieid = state.add_movie(movie);
                    state.send_notifications(&KodiState::added_notifications(movieid, false));
                } else {
                    state.lagging = Some((movie, calls_left - 1));
                }
            }
            let params = params(call, &["properties", "limits", "sort", "filter"], &[])?;
            let properties = requested_properties(params)?;
            let prefix = match params.get("filter") {
                None => String::new(),
                Some(filter) => {
                    if filter["field"] != "path" || filter["operator"] != "startswith" {
                        return Err(invalid_params());
                    }
                    filter["value"].as_str().ok_or_else(invalid_params)?.to_owned()
                }
            };
            let movies: Vec<Value> = state
                .movies
                .iter()
                .filter(|movie| movie.path().starts_with(&prefix))
                .map(|movie| movie_answer(movie, &properties))
                .collect();
            let total = movies.len();
            Ok(json!({ "limits": { "end": total, "start": 0, "total": total }, "movies": movies }))
        }
        "VideoLibrary.GetMovieDetails" => {
            let params = params(call, &["movieid", "properties"], &["movieid"])?;
            let movieid = movie_id_param(params)?;
            let properties = requested_properties(params)?;
            let movie = state.movies.iter().find(|movie| movie.movieid == movieid).ok_or_else(invalid_params)?;
            Ok(json!({ "moviedetails": movie_answer(movie, &properties) }))
        }
        "VideoLibrary.RefreshMovie" => {
            let params = params(call, &["movieid", "ignorenfo", "title"], &["movieid"])?;
            let movieid = movie_id_param(params)?;
            let Some(index) = state.movies.iter().position(|movie| movie.movieid == movieid) else {
                return Err(observed_errors()["unknown_movieid_refresh"]["error"].clone());
            };
            // Real Kodi deletes the row and re-adds it from the NFO under a new id.
            let old = state.movies.remove(index);
            state.send_notifications(&[("VideoLibrary.OnRemove", json!({ "id": old.movieid, "type": "movie" }))]);
            let reread = state.on_disk.iter().find(|movie| movie.file == old.file).cloned().unwrap_or(old);
            if !state.refresh_delay.is_zero() {
                state.delayed = Some(reread);
            } else if state.refresh_lag > 0 {
                state.lagging = Some((reread, state.refresh_lag));
            } else {
                let movieid = state.add_movie(reread);
                state.send_notifications(&KodiState::added_notifications(movieid, false));
            }
            Ok(json!("OK"))
        }
        "VideoLibrary.GetTVShows" => {
            let params = params(call, &["properties", "filter", "limits", "sort"], &[])?;
            let properties = requested_properties(params)?;
            let path = match params.get("filter") {
                None => None,
                Some(filter) if filter["field"] == "path" && filter["operator"] == "is" => {
                    Some(filter["value"].as_str().ok_or_else(invalid_params)?.to_owned())
                }
                Some(_) => return Err(invalid_params()),
            };
            let shows: Vec<Value> = state
                .shows
                .iter()
                .filter(|(_, folder, _)| path.as_ref().is_none_or(|path| path == folder))
                .map(|(id, folder, title)| {
                    let mut show = Map::new();
                    show.insert("tvshowid".to_owned(), json!(id));
                    show.insert("label".to_owned(), json!(title));
                    for property in &properties {
                        let value = match property.as_str() {
                            "file" => json!(folder),
                            "title" => json!(title),
                            _ => Value::Null,
                        };
                        show.insert(property.clone(), value);
                    }
                    Value::Object(show)
                })
                .collect();
            let total = shows.len();
            Ok(json!({ "limits": { "end": total, "start": 0, "total": total }, "tvshows": shows }))
        }
        "VideoLibrary.GetEpisodes" => {
            let params = params(call, &["properties", "filter", "tvshowid", "season", "limits", "sort"], &[])?;
            let properties = requested_properties(params)?;
            let prefix = match params.get("filter") {
                None => String::new(),
                Some(filter) if filter["field"] == "path" && filter["operator"] == "startswith" => {
                    filter["value"].as_str().ok_or_else(invalid_params)?.to_owned()
                }
                Some(_) => return Err(invalid_params()),
            };
            let episodes: Vec<Value> = state
                .episodes
                .iter()
                .filter(|episode| episode.file.starts_with(&prefix))
                .map(|episode| {
                    let mut answer = Map::new();
                    answer.insert("episodeid".to_owned(), json!(episode.episodeid));
                    answer.insert("label".to_owned(), json!(episode.title));
                    for property in &properties {
                        let value = match property.as_str() {
                            "file" => json!(episode.file),
                            "title" => json!(episode.title),
                            "season" => json!(episode.season),
                            "episode" => json!(episode.episode),
                            "tvshowid" => json!(state.tvshow_id(&episode.show)),
                            _ => Value::Null,
                        };
                        answer.insert(property.clone(), value);
                    }
                    Value::Object(answer)
                })
                .collect();
            let total = episodes.len();
            Ok(json!({ "episodes": episodes, "limits": { "end": total, "start": 0, "total": total } }))
        }
        "VideoLibrary.RefreshTVShow" => {
            let params = params(call, &["tvshowid", "ignorenfo", "refreshepisodes", "title"], &["tvshowid"])?;
            let tvshowid = params["tvshowid"].as_i64().ok_or_else(invalid_params)?;
            let Some(show) = state.shows.iter().find(|(id, _, _)| *id == tvshowid).map(|(_, path, _)| path.clone())
            else {
                return Err(invalid_params());
            };
            // As the real Kodi does with `refreshepisodes`: the episodes are removed and read
            // again from the disk (new files included), under new ids.
            let removed: Vec<i64> =
                state.episodes.iter().filter(|e| e.show == show).map(|episode| episode.episodeid).collect();
            state.episodes.retain(|episode| episode.show != show);
            let mut batch: Vec<(&str, Value)> =
                removed.iter().map(|id| ("VideoLibrary.OnRemove", json!({ "id": id, "type": "episode" }))).collect();
            let reread: Vec<StoredEpisode> =
                state.episodes_on_disk.iter().filter(|episode| episode.show == show).cloned().collect();
            for episode in reread {
                let episodeid = state.add_episode(episode);
                batch.push(("VideoLibrary.OnUpdate", json!({ "item": { "id": episodeid, "type": "episode" } })));
            }
            state.send_notifications(&batch);
            Ok(json!("OK"))
        }
        "VideoLibrary.RefreshEpisode" => {
            let params = params(call, &["episodeid", "ignorenfo", "title"], &["episodeid"])?;
            let episodeid = params["episodeid"].as_i64().ok_or_else(invalid_params)?;
            let Some(at) = state.episodes.iter().position(|episode| episode.episodeid == episodeid) else {
                return Err(invalid_params());
            };
            // As RefreshMovie: the row is removed and read again from the disk, under a new id.
            let file = state.episodes.remove(at).file;
            state.refreshed_episodes.push(file.clone());
            let mut batch = vec![("VideoLibrary.OnRemove", json!({ "id": episodeid, "type": "episode" }))];
            if let Some(episode) = state.episodes_on_disk.iter().find(|episode| episode.file == file).cloned() {
                let new_id = state.add_episode(episode);
                batch.push(("VideoLibrary.OnUpdate", json!({ "item": { "id": new_id, "type": "episode" } })));
            }
            state.send_notifications(&batch);
            Ok(json!("OK"))
        }
        "Files.GetDirectory" => {
            let params = params(call, &["directory", "media", "properties", "sort", "limits"], &["directory"])?;
            let directory = string_param(params, "directory", method)?.ok_or_else(invalid_params)?;
            // Real Kodi refuses to list folders outside its sources (RemoteAccessAllowed).
            if !state.sources.iter().any(|source| directory.starts_with(source.as_str())) {
                return Err(invalid_params());
            }
            state.listed.push(directory.clone());
            let mut entries: Vec<String> = state
                .movies
                .iter()
                .chain(state.on_disk.iter())
                .filter_map(|movie| movie.file.strip_prefix(directory.as_str()).map(|rest| (movie, rest)))
                .map(|(movie, rest)| match rest.split_once('/') {
                    Some((child, _)) => format!("{directory}{child}/"),
                    None => movie.file.clone(),
                })
                .collect();
            entries.sort();
            entries.dedup();
            let files: Vec<Value> = entries
                .iter()
                .map(|file| {
                    let directory_entry = file.ends_with('/');
                    let label = file.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
                    json!({
                        "file": file,
                        "filetype": if directory_entry { "directory" } else { "file" },
                        "label": label,
                        "type": "unknown",
                    })
                })
                .collect();
            let total = files.len();
            Ok(json!({ "files": files, "limits": { "end": total, "start": 0, "total": total } }))
        }
        "VideoLibrary.Scan" => {
            let params = params(call, &["directory", "showdialogs"], &[])?;
            let directory = string_param(params, "directory", method)?.unwrap_or_default();
            if params.get("showdialogs").is_some_and(|value| !value.is_boolean()) {
                return Err(invalid_params());
            }
            state.scanned.push(directory.clone());
            // Kodi answers OK even when it imports nothing. It drops the request while
            // another scan runs, and skips a folder missing from its directory cache,
            // i.e. one whose parent was not listed since the folder appeared (gotcha 2).
            let parent_listed = state.listed.contains(&parent_of(&directory));
            if !state.scanning {
                let mut batch = vec![("VideoLibrary.OnScanStarted", Value::Null)];
                if parent_listed {
                    let (found, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut state.on_disk)
                        .into_iter()
                        .partition(|movie| movie.file.starts_with(&directory));
                    state.on_disk = rest;
                    for movie in found {
                        let movieid = state.add_movie(movie);
                        batch.extend(KodiState::added_notifications(movieid, true));
                    }
                    // A "tvshows" source: the folder's episodes join the library (once).
                    let on_disk: Vec<StoredEpisode> = state
                        .episodes_on_disk
                        .iter()
                        .filter(|episode| episode.file.starts_with(&directory))
                        .filter(|episode| !state.episodes.iter().any(|known| known.file == episode.file))
                        .cloned()
                        .collect();
                    for episode in on_disk {
                        let episodeid = state.add_episode(episode);
                        let item = json!({ "id": episodeid, "type": "episode" });
                        batch.push((
                            "VideoLibrary.OnUpdate",
                            json!({ "added": true, "item": item, "transaction": true }),
                        ));
                    }
                }
                batch.push(("VideoLibrary.OnScanFinished", Value::Null));
                state.send_notifications(&batch);
            }
            Ok(json!("OK"))
        }
        "XBMC.GetInfoBooleans" => {
            let params = params(call, &["booleans"], &["booleans"])?;
            let names = params["booleans"].as_array().ok_or_else(invalid_params)?;
            let mut answer = Map::new();
            for name in names {
                let name = name.as_str().ok_or_else(invalid_params)?;
                answer.insert(name.to_owned(), json!(name == "Library.IsScanningVideo" && state.scanning));
            }
            Ok(Value::Object(answer))
        }
        "Player.GetActivePlayers" => {
            params(call, &[], &[])?;
            if state.playing_video {
                Ok(json!([{ "playerid": 1, "playertype": "internal", "type": "video" }]))
            } else {
                Ok(json!([]))
            }
        }
        "Textures.GetTextures" => {
            let params = params(call, &["properties", "filter"], &[])?;
            let properties = requested_properties(params)?;
            let wanted = match params.get("filter") {
                None => None,
                Some(filter) => {
                    if filter["field"] != "url" || filter["operator"] != "is" {
                        return Err(invalid_params());
                    }
                    Some(filter["value"].as_str().ok_or_else(invalid_params)?.to_owned())
                }
            };
            let textures: Vec<Value> = state
                .textures
                .iter()
                .filter(|(_, url)| wanted.as_ref().is_none_or(|wanted| wanted == url))
                .map(|(textureid, url)| {
                    let mut texture = json!({ "textureid": textureid });
                    if properties.iter().any(|property| property == "url") {
                        texture["url"] = json!(url);
                    }
                    texture
                })
                .collect();
            Ok(json!({ "textures": textures }))
        }
        "Textures.RemoveTexture" => {
            let params = params(call, &["textureid"], &["textureid"])?;
            let textureid = params["textureid"].as_i64().ok_or_else(invalid_params)?;
            let before = state.textures.len();
            state.textures.retain(|(id, _)| *id != textureid);
            if state.textures.len() == before {
                return Err(invalid_params());
            }
            Ok(json!("OK"))
        }
        "GUI.ShowNotification" => {
            let params = params(call, &["title", "message", "image", "displaytime"], &["title", "message"])?;
            let title = string_param(params, "title", method)?.unwrap_or_default();
            let message = string_param(params, "message", method)?.unwrap_or_default();
            state.notifications.push((title, message));
            Ok(json!("OK"))
        }
        _ => Err(observed_errors()["unknown_method"]["error"].clone()),
    }
}
