//! What every client shares, shown through TMDB unless a provider matters: slow answers,
//! broken connections, bodies that are empty, garbage, cut off, of the wrong shape or too
//! large, the gate in front of requests, and keys kept out of errors and logs.

use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use metarr_providers::{
    Gate, ImdbId, Language, MAX_BODY_BYTES, MovieRef, Outcome, Provider, ProviderError, RateLimitKind, Refusal,
    TmdbClient, TmdbId, TmdbSettings, TransientReason, Ungated, Validators,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    CapturedLogs, TMDB_KEY, assert_no_secret, assert_no_secret_in, closed_port, fanart, fanart_behind, omdb,
    omdb_behind, raw_server, tmdb, tmdb_at, tmdb_at_behind, tmdb_settings,
};

async fn movie_550(
    client: &metarr_providers::TmdbClient,
) -> Result<Outcome<metarr_providers::tmdb::MovieDetails>, ProviderError> {
    client.movie(TmdbId(550), &Language::default(), &Validators::NONE).await
}

async fn serving(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/3/movie/550")).respond_with(response).mount(&server).await;
    server
}

/// The detail of an [`ProviderError::InvalidResponse`], after checking it names the provider
/// and URL without the key.
fn invalid_detail(err: &ProviderError) -> String {
    let ProviderError::InvalidResponse { detail, url, .. } = err else {
        panic!("expected InvalidResponse, got {err:?}")
    };
    assert!(url.as_str().contains("/3/movie/550?api_key=REDACTED"), "{url}");
    assert!(!err.is_permanent() && err.retry_after().is_none());
    assert_no_secret(err, Provider::Tmdb);
    detail.clone()
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_transient() {
    let server = serving(ResponseTemplate::new(200).set_body_string("{}").set_delay(Duration::from_secs(30))).await;
    let settings = TmdbSettings { timeout_secs: NonZeroU64::MIN, ..tmdb_settings(&server, TMDB_KEY) };
    let client = TmdbClient::new(&settings, Arc::new(Ungated)).unwrap();

    let started = Instant::now();
    let err = movie_550(&client).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout did not bite: {:?}", started.elapsed());
    let ProviderError::Transient { reason, .. } = &err else { panic!("expected Transient, got {err:?}") };
    assert_eq!(*reason, TransientReason::Timeout(Duration::from_secs(1)));
    assert!(err.to_string().contains("no complete answer within 1000 ms"), "{err}");
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let client = tmdb_at(&format!("http://127.0.0.1:{}/3", closed_port()));
    let err = movie_550(&client).await.unwrap_err();
    let ProviderError::Transient { reason, .. } = &err else { panic!("expected Transient, got {err:?}") };
    assert_eq!(*reason, TransientReason::Connect);
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_transient() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n".to_owned();
    let base = raw_server(head, br#"{"id":550,"title":"Fight"#.to_vec()).await;
    let err = movie_550(&tmdb_at(&format!("{base}/3"))).await.unwrap_err();
    let ProviderError::Transient { reason, .. } = &err else { panic!("expected Transient, got {err:?}") };
    assert_eq!(*reason, TransientReason::Interrupted);
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn truncated_json_is_an_invalid_response() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw(r#"{"id":550,"title":"Fight Cl"#, "application/json")).await;
    let err = movie_550(&tmdb(&server)).await.unwrap_err();
    assert!(invalid_detail(&err).starts_with("the JSON ends early"), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "the JSON error is the cause");
}

#[tokio::test]
async fn garbage_is_an_invalid_response() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw("<html><body>Bad gateway</body></html>", "text/html")).await;
    let err = movie_550(&tmdb(&server)).await.unwrap_err();
    assert!(invalid_detail(&err).starts_with("the body is not JSON"), "{err}");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_an_invalid_response() {
    for body in [r#"{"id":"five hundred fifty"}"#, "[]", r#"{"title":"no id"}"#, "42"] {
        let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        let err = movie_550(&tmdb(&server)).await.unwrap_err();
        assert!(invalid_detail(&err).starts_with("the JSON does not have the expected shape"), "{body}: {err}");
    }
}

#[tokio::test]
async fn an_empty_body_is_an_invalid_response() {
    for body in ["", "  \n"] {
        let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        let err = movie_550(&tmdb(&server)).await.unwrap_err();
        assert_eq!(invalid_detail(&err), "the body is empty");
    }
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_an_invalid_response() {
    let server = serving(ResponseTemplate::new(200).set_body_bytes(vec![b'{', 0xff, 0xfe, b'}'])).await;
    let err = movie_550(&tmdb(&server)).await.unwrap_err();
    assert_eq!(invalid_detail(&err), "the body is not UTF-8 text");
}

#[tokio::test]
async fn a_huge_body_is_refused_by_its_length() {
    let huge = format!("{{\"id\":550,\"overview\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    let server = serving(ResponseTemplate::new(200).set_body_raw(huge, "application/json")).await;
    let err = movie_550(&tmdb(&server)).await.unwrap_err();
    let detail = invalid_detail(&err);
    assert!(detail.contains("larger than the 8 MiB") && detail.contains("announces"), "{detail}");
}

#[tokio::test]
async fn a_huge_body_without_length_is_cut_off_at_the_cap() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_owned();
    let mut body = b"{\"id\":550,\"overview\":\"".to_vec();
    body.resize(MAX_BODY_BYTES + 1024, b'x');
    let base = raw_server(head, body).await;
    let err = movie_550(&tmdb_at(&format!("{base}/3"))).await.unwrap_err();
    let ProviderError::InvalidResponse { detail, .. } = &err else { panic!("expected InvalidResponse, got {err:?}") };
    assert!(detail.contains("larger than the 8 MiB") && detail.contains("went on"), "{detail}");
}

#[tokio::test]
async fn a_body_just_under_the_cap_is_read() {
    let filler = "x".repeat(MAX_BODY_BYTES - 64);
    let body = format!("{{\"id\":550,\"overview\":\"{filler}\"}}");
    assert!(body.len() <= MAX_BODY_BYTES);
    let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    let outcome = movie_550(&tmdb(&server)).await.unwrap();
    assert_eq!(outcome.found().unwrap().value.overview.map(|overview| overview.len()), Some(filler.len()));
}

/// A gate that records what it was asked and refuses when told to.
#[derive(Default)]
struct RecordingGate {
    asked: Mutex<Vec<Provider>>,
    refuse: Option<Duration>,
}

#[async_trait]
impl Gate for RecordingGate {
    async fn before_request(&self, provider: Provider) -> Result<(), Refusal> {
        self.asked.lock().unwrap().push(provider);
        match self.refuse {
            Some(retry_after) => Err(Refusal { retry_after }),
            None => Ok(()),
        }
    }
}

#[tokio::test]
async fn every_request_passes_the_gate_with_its_provider() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let gate = Arc::new(RecordingGate::default());

    let tmdb = tmdb_at_behind(&format!("{}/3", server.uri()), gate.clone());
    let fanart = fanart_behind(&server, gate.clone());
    let omdb = omdb_behind(&server, gate.clone());
    let _ = movie_550(&tmdb).await;
    let _ = tmdb.configuration(&Validators::NONE).await;
    let _ = fanart.movie(&MovieRef::Tmdb(TmdbId(550)), &Validators::NONE).await;
    let _ = omdb.movie(&ImdbId::parse("tt0137523").unwrap(), &Validators::NONE).await;

    assert_eq!(*gate.asked.lock().unwrap(), [Provider::Tmdb, Provider::Tmdb, Provider::Fanart, Provider::Omdb]);
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_refusing_gate_sends_nothing_and_snoozes() {
    let server = serving(ResponseTemplate::new(200)).await;
    let gate = Arc::new(RecordingGate { refuse: Some(Duration::from_secs(3600)), ..RecordingGate::default() });

    let err = movie_550(&tmdb_at_behind(&format!("{}/3", server.uri()), gate)).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { kind: RateLimitKind::Local, .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_no_secret(&err, Provider::Tmdb);
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing may reach the provider");
}

#[tokio::test]
async fn a_client_behind_a_rate_limiter_is_paced() {
    // Two requests at 2 per second: the second waits half a second. Real time, since the
    // stand-in is real; the bound is loose so that a slow machine cannot fail it.
    let server = serving(
        ResponseTemplate::new(404).set_body_raw(r#"{"status_code":34,"status_message":"x"}"#, "application/json"),
    )
    .await;
    let mut settings = crate::support::tmdb_settings(&server, TMDB_KEY);
    settings.requests_per_second = std::num::NonZeroU32::new(2).unwrap();
    let limiter = metarr_providers::RateLimiter::per_second(settings.requests_per_second);
    let client = TmdbClient::new(&settings, Arc::new(limiter)).unwrap();

    let started = Instant::now();
    assert!(movie_550(&client).await.unwrap().is_not_found());
    assert!(movie_550(&client).await.unwrap().is_not_found());
    assert!(started.elapsed() >= Duration::from_millis(490), "{:?}", started.elapsed());
}

#[tokio::test]
async fn log_lines_show_redacted_urls_only() {
    let logs = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let _ = movie_550(&tmdb(&server)).await;
    let _ = omdb(&server).movie(&ImdbId::parse("tt0137523").unwrap(), &Validators::NONE).await;
    let _ = fanart(&server).movie(&MovieRef::Imdb(ImdbId::parse("tt0137523").unwrap()), &Validators::NONE).await;

    let text = logs.text();
    assert!(text.contains("/3/movie/550?api_key=REDACTED"), "{text}");
    assert!(text.contains("apikey=REDACTED&i=tt0137523"), "{text}");
    assert!(text.contains("/v3/movies/tt0137523"), "{text}");
    assert_no_secret_in(&text);
}
