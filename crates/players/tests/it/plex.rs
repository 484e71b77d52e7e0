//! PlexClient against a wiremock stand-in answering Plex's JSON shapes and checking the
//! token header and the partial-scan query.

use metarr_players::{Endpoint, PlayerError, PlexClient};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "plex-token-xyz";

fn client(server: &MockServer, token: &str) -> PlexClient {
    PlexClient::new(Endpoint::new("127.0.0.1", server.address().port()), SecretString::from(token.to_owned())).unwrap()
}

async fn plex_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/library/sections"))
        .and(header("Accept", "application/json"))
        .and(header("X-Plex-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"MediaContainer": {
            "size": 3,
            "Directory": [
                {"key": "1", "type": "movie", "title": "Movies", "language": "en-US",
                 "Location": [{"id": 1, "path": "/data/movies"}, {"id": 4, "path": "/data/more movies"}]},
                {"key": "2", "type": "movie", "title": "4K", "language": "en-US",
                 "Location": [{"id": 2, "path": "/data/movies/4k"}]},
                {"key": "3", "type": "show", "title": "TV", "language": "en-US",
                 "Location": [{"id": 3, "path": "/data/tv"}]},
            ],
        }})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(401)).with_priority(10).mount(&server).await;
    server
}

#[tokio::test]
async fn sections_decode_string_keys_and_locations() {
    let server = plex_server().await;
    let sections = client(&server, TOKEN).sections().await.unwrap();
    assert_eq!(sections.len(), 3);
    assert_eq!(sections[0].key, "1");
    assert_eq!(sections[0].kind, "movie");
    assert_eq!(sections[0].locations, ["/data/movies", "/data/more movies"]);
}

#[tokio::test]
async fn refresh_path_picks_the_deepest_section_and_encodes_the_path() {
    let server = plex_server().await;
    Mock::given(method("GET"))
        .and(path("/library/sections/2/refresh"))
        .and(query_param("path", "/data/movies/4k/Dune & Co (2021)"))
        .and(header("X-Plex-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let key = client(&server, TOKEN).refresh_path("/data/movies/4k/Dune & Co (2021)").await.unwrap();
    assert_eq!(key, "2");
    let requests = server.received_requests().await.unwrap();
    let refresh = requests.iter().find(|request| request.url.path().ends_with("/refresh")).unwrap();
    // Spaces as %20: a "+" is a space only in form encoding, which not every server applies to
    // a query string.
    assert_eq!(refresh.url.query(), Some("path=%2Fdata%2Fmovies%2F4k%2FDune%20%26%20Co%20%282021%29"));
}

#[tokio::test]
async fn refresh_path_matches_whole_components() {
    let server = plex_server().await;
    Mock::given(method("GET"))
        .and(path("/library/sections/1/refresh"))
        .and(query_param("path", "/data/more movies/A"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, TOKEN);
    assert_eq!(client.refresh_path("/data/more movies/A").await.unwrap(), "1");
    let err = client.refresh_path("/data/movies2/A").await.unwrap_err();
    assert!(matches!(&err, PlayerError::NoSection { path, .. } if path == "/data/movies2/A"), "{err:?}");
}

#[tokio::test]
async fn identity_reads_the_machine_identifier() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/identity"))
        .and(header("Accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"MediaContainer": {
            "size": 0, "claimed": true, "machineIdentifier": "abc123", "version": "1.41.3.9314-a0bfb8370"
        }})))
        .mount(&server)
        .await;
    let identity = client(&server, TOKEN).identity().await.unwrap();
    assert_eq!(identity.machine_identifier, "abc123");
    assert_eq!(identity.version, "1.41.3.9314-a0bfb8370");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_not_leaked() {
    let server = plex_server().await;
    let client = client(&server, "wrong-plex-token");
    let err = client.sections().await.unwrap_err();
    assert!(matches!(err, PlayerError::Unauthorized { .. }), "{err:?}");
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains("wrong-plex-token"), "{text}");
}

#[tokio::test]
async fn an_html_page_is_not_plex() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html></html>", "text/html"))
        .mount(&server)
        .await;
    let err = client(&server, TOKEN).identity().await.unwrap_err();
    assert!(matches!(err, PlayerError::WrongProduct { expected: "Plex", .. }), "{err:?}");
}
