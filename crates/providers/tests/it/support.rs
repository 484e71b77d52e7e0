//! Shared helpers: clients pointed at a stand-in, the test data, request inspection, raw
//! TCP servers for answers wiremock cannot give, and the check that no key leaked.

use std::sync::{Arc, Mutex};

use metarr_providers::{
    FanartClient, FanartSettings, Gate, OmdbClient, OmdbSettings, Provider, ProviderError, TmdbClient, TmdbSettings,
    Ungated,
};
use secrecy::SecretString;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::{MockServer, Request};

/// A v3 API key: 32 hex digits.
pub(crate) const TMDB_KEY: &str = "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6";
/// A v4 read access token: a JWT.
pub(crate) const TMDB_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIwZDFlMmYzYSIsInN1YiI6IjY1ZjAiLCJzY29wZXMiOlsiYXBpX3JlYWQiXSwidmVyc2lvbiI6MX0.Zm9vYmFyLXNpZ25hdHVyZS1mb3ItdGVzdHM";
pub(crate) const FANART_KEY: &str = "f4n4rtpr0j3ctk3y0000000000000001";
pub(crate) const FANART_CLIENT_KEY: &str = "f4n4rtp3rs0n4lk3y000000000000002";
pub(crate) const OMDB_KEY: &str = "0mdbk3y7";

/// Every key above, for leak checks.
pub(crate) const SECRETS: [&str; 5] = [TMDB_KEY, TMDB_TOKEN, FANART_KEY, FANART_CLIENT_KEY, OMDB_KEY];

/// A test data file's text.
pub(crate) fn data(path: &str) -> String {
    let full = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("reading {full}: {err}"))
}

/// A test data file as JSON.
pub(crate) fn json(path: &str) -> Value {
    serde_json::from_str(&data(path)).unwrap()
}

/// `GET /movie/550?append_to_response=credits,external_ids,release_dates,keywords,videos,images`,
/// assembled from the real captures (`tests/data/README.md`).
pub(crate) fn movie_550_appended() -> Value {
    let mut movie = json("tmdb/movie-details.json");
    let parts = [
        ("credits", "tmdb/movie-credits.json"),
        ("external_ids", "tmdb/movie-external-ids.json"),
        ("release_dates", "tmdb/movie-release-dates.json"),
        ("keywords", "tmdb/constructed-movie-keywords.json"),
        ("videos", "tmdb/movie-videos.json"),
        ("images", "tmdb/movie-images.json"),
    ];
    for (name, path) in parts {
        let mut part = json(path);
        part.as_object_mut().unwrap().remove("id");
        movie.as_object_mut().unwrap().insert(name.to_owned(), part);
    }
    movie
}

/// TMDB settings for a stand-in at `server`, which serves TMDB under `/3`.
pub(crate) fn tmdb_settings(server: &MockServer, key: &str) -> TmdbSettings {
    TmdbSettings {
        api_key: Some(SecretString::from(key.to_owned())),
        base_url: format!("{}/3", server.uri()),
        ..TmdbSettings::default()
    }
}

/// A TMDB client for `server` with a v3 key and no rate limit.
pub(crate) fn tmdb(server: &MockServer) -> TmdbClient {
    tmdb_with(server, TMDB_KEY)
}

/// A TMDB client for `server` with `key` and no rate limit.
pub(crate) fn tmdb_with(server: &MockServer, key: &str) -> TmdbClient {
    TmdbClient::new(&tmdb_settings(server, key), Arc::new(Ungated)).unwrap()
}

/// A TMDB client for a base URL that is not a wiremock server.
pub(crate) fn tmdb_at(base_url: &str) -> TmdbClient {
    tmdb_at_behind(base_url, Arc::new(Ungated))
}

/// A TMDB client for a base URL whose requests pass `gate`.
pub(crate) fn tmdb_at_behind(base_url: &str, gate: Arc<dyn Gate>) -> TmdbClient {
    let settings = TmdbSettings {
        api_key: Some(SecretString::from(TMDB_KEY.to_owned())),
        base_url: base_url.to_owned(),
        ..TmdbSettings::default()
    };
    TmdbClient::new(&settings, gate).unwrap()
}

/// Fanart.tv settings for a stand-in at `server`, which serves it under `/v3`.
pub(crate) fn fanart_settings(server: &MockServer, client_key: bool) -> FanartSettings {
    FanartSettings {
        api_key: Some(SecretString::from(FANART_KEY.to_owned())),
        client_key: client_key.then(|| SecretString::from(FANART_CLIENT_KEY.to_owned())),
        base_url: format!("{}/v3", server.uri()),
        ..FanartSettings::default()
    }
}

/// A Fanart.tv client for `server` with both keys and no rate limit.
pub(crate) fn fanart(server: &MockServer) -> FanartClient {
    fanart_behind(server, Arc::new(Ungated))
}

/// A Fanart.tv client for `server` with both keys, whose requests pass `gate`.
pub(crate) fn fanart_behind(server: &MockServer, gate: Arc<dyn Gate>) -> FanartClient {
    FanartClient::new(&fanart_settings(server, true), gate).unwrap()
}

/// An OMDb client for `server` and no rate limit.
pub(crate) fn omdb(server: &MockServer) -> OmdbClient {
    omdb_behind(server, Arc::new(Ungated))
}

/// An OMDb client for `server` whose requests pass `gate`.
pub(crate) fn omdb_behind(server: &MockServer, gate: Arc<dyn Gate>) -> OmdbClient {
    let settings = OmdbSettings {
        api_key: Some(SecretString::from(OMDB_KEY.to_owned())),
        base_url: server.uri(),
        ..OmdbSettings::default()
    };
    OmdbClient::new(&settings, gate).unwrap()
}

/// The one request the stand-in received, after checking what every request carries.
pub(crate) async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("request recording is on");
    assert_eq!(requests.len(), 1, "expected exactly one request, got {requests:#?}");
    let request = requests.remove(0);
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(header(&request, "accept").as_deref(), Some("application/json"));
    assert_eq!(header(&request, "user-agent"), Some(format!("Metarr/{}", env!("CARGO_PKG_VERSION"))));
    request
}

/// A request header's value.
pub(crate) fn header(request: &Request, name: &str) -> Option<String> {
    request.headers.get(name).map(|value| value.to_str().unwrap().to_owned())
}

/// A request's query parameters, decoded and sorted.
pub(crate) fn query(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        request.url.query_pairs().map(|(key, value)| (key.into_owned(), value.into_owned())).collect();
    pairs.sort();
    pairs
}

/// Sorted owned pairs.
pub(crate) fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        expected.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect();
    pairs.sort();
    pairs
}

/// Fails when `err`'s message, `Debug` or cause chain holds any key, and checks that it
/// names `provider`.
pub(crate) fn assert_no_secret(err: &ProviderError, provider: Provider) {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    assert_no_secret_in(&text);
    assert_eq!(err.provider(), provider);
    assert!(text.contains(provider.display_name()), "the error does not name {provider}: {text}");
}

/// Fails when `text` holds any key.
pub(crate) fn assert_no_secret_in(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a key leaked into: {text}");
    }
}

/// A loopback port nothing listens on: bound by us, then released.
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// A server that answers one connection with `head` and then `body`, written as is, and
/// closes it: for answers wiremock cannot give (a body cut short, a body without length).
/// Returns its base URL.
pub(crate) async fn raw_server(head: String, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        // Read the request head before answering, so the client is not cut off mid-send.
        let mut request = Vec::new();
        let mut buffer = [0u8; 1024];
        while !request.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            if read == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        // The client may hang up early (a body over the cap); that is what the test wants.
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(&body).await;
        let _ = stream.shutdown().await;
    });
    format!("http://{address}")
}

/// A tracing writer that keeps everything written, for checking log lines.
#[derive(Clone, Default)]
pub(crate) struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'writer> tracing_subscriber::fmt::MakeWriter<'writer> for CapturedLogs {
    type Writer = CapturedLogs;

    fn make_writer(&'writer self) -> Self::Writer {
        self.clone()
    }
}
