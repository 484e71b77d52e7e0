//! KodiClient against the Kodi stand-in: every call, the exact requests it sends, and
//! each error class (401, 415, JSON-RPC errors, empty reply, refused, timeout, not Kodi).

use std::time::Duration;

use metarr_players::{Endpoint, KodiClient, PlayerError};
use metarr_testkit::free_port;
use metarr_testkit::kodi::KODI_AUTH;
use metarr_testkit::kodi::standin::{KodiStandIn, StoredMovie, observed_movie_details};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{kodi, kodi_client_with, silent_server};

fn last_request(standin: &KodiStandIn) -> Value {
    standin.state().requests.last().cloned().unwrap()
}

#[tokio::test]
async fn ping_answers_pong_with_an_id_and_basic_auth() {
    let (standin, client) = kodi().await;
    client.ping().await.unwrap();
    let request = last_request(&standin);
    assert_eq!(request["method"], "JSONRPC.Ping");
    assert_eq!(request["jsonrpc"], "2.0");
    assert!(request["id"].is_u64(), "an id is always sent: {request}");
}

#[tokio::test]
async fn version_reports_application_and_api_versions() {
    let (standin, client) = kodi().await;
    let version = client.version().await.unwrap();
    assert_eq!(version.name, "Kodi");
    assert_eq!(version.version, "20.1");
    assert_eq!(version.api_version, "13.0.0");
    assert_eq!(standin.state().methods(), ["JSONRPC.Version", "Application.GetProperties"]);
    assert_eq!(last_request(&standin)["params"], json!({"properties": ["name", "version"]}));
}

#[tokio::test]
async fn get_movies_by_path_matches_whole_folders_only() {
    let (standin, client) = kodi().await;
    let alien = standin.state().add_movie(StoredMovie::new("/media/movies/Alien (1979)/Alien.mkv", "Alien"));
    standin.state().add_movie(StoredMovie::new("/media/movies/Alien (1979) Extended/Alien.mkv", "Alien X"));

    let movies = client.get_movies_by_path("/media/movies/Alien (1979)").await.unwrap();
    assert_eq!(movies.len(), 1);
    assert_eq!(movies[0].movieid, alien);
    assert_eq!(movies[0].title, "Alien");
    assert_eq!(movies[0].file, "/media/movies/Alien (1979)/Alien.mkv");

    let request = last_request(&standin);
    assert_eq!(request["method"], "VideoLibrary.GetMovies");
    assert_eq!(
        request["params"],
        json!({
            "properties": ["file", "title", "imdbnumber", "uniqueid", "art"],
            "filter": {"field": "path", "operator": "startswith", "value": "/media/movies/Alien (1979)/"},
        })
    );
    assert!(client.get_movies_by_path("/media/movies/Nothing").await.unwrap().is_empty());
}

#[tokio::test]
async fn get_movies_by_path_decodes_uniqueids_and_art() {
    let (standin, client) = kodi().await;
    standin.state().add_movie(StoredMovie::observed());
    let movies = client.get_movies_by_path("/media/movies/Big Buck Test (2008)/").await.unwrap();
    assert_eq!(movies[0].imdbnumber, "10378");
    assert_eq!(movies[0].uniqueid["imdb"], "tt1254207");
    assert!(movies[0].art["poster"].starts_with("image://%2fmedia%2fmovies"));
}

#[tokio::test]
async fn get_movie_details_returns_the_recorded_fields() {
    let (standin, client) = kodi().await;
    let id = standin.state().add_movie(StoredMovie::observed());
    let details = client.get_movie_details(id, &["title", "uniqueid", "ratings", "file"]).await.unwrap();
    let observed = observed_movie_details();
    assert_eq!(details["movieid"], id);
    assert_eq!(details["title"], observed["title"]);
    assert_eq!(details["uniqueid"], observed["uniqueid"]);
    assert_eq!(details["ratings"], observed["ratings"]);
    assert_eq!(
        last_request(&standin)["params"],
        json!({"movieid": id, "properties": ["title", "uniqueid", "ratings", "file"]})
    );
}

#[tokio::test]
async fn refresh_movie_gives_the_movie_a_new_id() {
    let (standin, client) = kodi().await;
    let id = standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "A"));
    standin.state().add_movie(StoredMovie::new("/media/movies/B (2021)/B.mkv", "B"));
    client.refresh_movie(id).await.unwrap();
    assert_eq!(last_request(&standin)["params"], json!({"movieid": id, "ignorenfo": false}));
    let movies = client.get_movies_by_path("/media/movies/A (2020)").await.unwrap();
    assert_ne!(movies[0].movieid, id, "Kodi re-adds a refreshed movie under a new id");
}

#[tokio::test]
async fn refresh_of_an_unknown_movie_is_a_json_rpc_error() {
    let (_standin, client) = kodi().await;
    let err = client.refresh_movie(42).await.unwrap_err();
    assert!(
        matches!(&err, PlayerError::Rpc { code: -32602, method, .. } if method == "VideoLibrary.RefreshMovie"),
        "{err:?}"
    );
}

#[tokio::test]
async fn get_directory_lists_children_and_fills_the_directory_cache() {
    let (standin, client) = kodi().await;
    standin.state().on_disk.push(StoredMovie::new("/media/movies/New (2024)/New.mkv", "New"));
    let entries = client.get_directory("/media/movies").await.unwrap();
    assert_eq!(entries, ["/media/movies/New (2024)/"]);
    assert_eq!(last_request(&standin)["params"], json!({"directory": "/media/movies/", "media": "files"}));
    assert_eq!(standin.state().listed, ["/media/movies/"]);
}

#[tokio::test]
async fn get_directory_outside_every_source_is_invalid_params() {
    let (_standin, client) = kodi().await;
    let err = client.get_directory("/etc").await.unwrap_err();
    assert!(matches!(err, PlayerError::Rpc { code: -32602, .. }), "{err:?}");
}

#[tokio::test]
async fn scan_sends_the_folder_without_dialogs() {
    let (standin, client) = kodi().await;
    client.scan("/media/movies/New (2024)").await.unwrap();
    let request = last_request(&standin);
    assert_eq!(request["method"], "VideoLibrary.Scan");
    assert_eq!(request["params"], json!({"directory": "/media/movies/New (2024)/", "showdialogs": false}));
}

#[tokio::test]
async fn is_scanning_reads_the_info_boolean() {
    let (standin, client) = kodi().await;
    assert!(!client.is_scanning().await.unwrap());
    assert_eq!(last_request(&standin)["params"], json!({"booleans": ["Library.IsScanningVideo"]}));
    standin.state().scanning = true;
    assert!(client.is_scanning().await.unwrap());
}

#[tokio::test]
async fn active_players_lists_a_playing_video() {
    let (standin, client) = kodi().await;
    assert!(client.active_players().await.unwrap().is_empty());
    standin.state().playing_video = true;
    let players = client.active_players().await.unwrap();
    assert_eq!(players.len(), 1);
    assert_eq!(players[0].kind, "video");
    assert_eq!(last_request(&standin)["method"], "Player.GetActivePlayers");
}

#[tokio::test]
async fn textures_are_found_by_url_and_removed_by_id() {
    let (standin, client) = kodi().await;
    standin.state().textures =
        vec![(3, "/media/movies/A/poster.jpg".to_owned()), (4, "/media/movies/B/poster.jpg".to_owned())];
    let textures = client.get_textures("/media/movies/A/poster.jpg").await.unwrap();
    assert_eq!(textures.len(), 1);
    assert_eq!(textures[0].textureid, 3);
    assert_eq!(
        last_request(&standin)["params"],
        json!({"properties": ["url"], "filter": {"field": "url", "operator": "is", "value": "/media/movies/A/poster.jpg"}})
    );
    client.remove_texture(3).await.unwrap();
    assert_eq!(last_request(&standin)["params"], json!({"textureid": 3}));
    assert_eq!(standin.state().textures, [(4, "/media/movies/B/poster.jpg".to_owned())]);
}

#[tokio::test]
async fn show_notification_reaches_the_gui() {
    let (standin, client) = kodi().await;
    client.show_notification("Metarr", "Updated Alien (1979)").await.unwrap();
    assert_eq!(standin.state().notifications, [("Metarr".to_owned(), "Updated Alien (1979)".to_owned())]);
}

#[tokio::test]
async fn unknown_method_is_a_json_rpc_error_object() {
    let (_standin, client) = kodi().await;
    let err = client.call("VideoLibrary.Nonsense", json!({})).await.unwrap_err();
    match err {
        PlayerError::Rpc { code, message, .. } => {
            assert_eq!(code, -32601);
            assert_eq!(message, "Method not found.");
        }
        other => panic!("expected an Rpc error, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_param_details_reach_the_message() {
    let (_standin, client) = kodi().await;
    let err = client.call("VideoLibrary.Scan", json!({"directory": 5})).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("-32602") && text.contains("Invalid type integer received"), "{text}");
}

#[tokio::test]
async fn extra_params_are_refused_like_kodi() {
    let (_standin, client) = kodi().await;
    let err = client.call("GUI.ShowNotification", json!({"title": "a", "message": "b", "bogus": 1})).await.unwrap_err();
    assert!(matches!(err, PlayerError::Rpc { code: -32602, .. }), "{err:?}");
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_unauthorized_without_leaking_the_password() {
    let (standin, _client) = kodi().await;
    let anonymous = kodi_client_with(standin.port(), None);
    assert!(matches!(anonymous.ping().await.unwrap_err(), PlayerError::Unauthorized { .. }));

    let wrong = kodi_client_with(standin.port(), Some(("kodi", "s3cret-wrong")));
    let err = wrong.ping().await.unwrap_err();
    assert!(matches!(err, PlayerError::Unauthorized { .. }), "{err:?}");
    let text = format!("{err} {err:?} {wrong:?}");
    assert!(text.contains(&format!("127.0.0.1:{}", standin.port())), "{text}");
    assert!(!text.contains("s3cret-wrong"), "{text}");
    assert!(standin.state().requests.is_empty(), "unauthenticated requests reach no method");
}

/// The stand-in's HTTP layer answers like the real Kodi (fixtures/kodi/observed-http-errors.json).
#[tokio::test]
async fn standin_http_layer_matches_the_recorded_kodi() {
    let standin = KodiStandIn::start().await;
    let url = format!("http://{}/jsonrpc", standin.addr);
    let http = reqwest::Client::new();
    let ping = r#"{"jsonrpc":"2.0","method":"JSONRPC.Ping","id":1}"#;

    let response = http.post(&url).header("Content-Type", "application/json").body(ping).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["WWW-Authenticate"], "Basic realm=\"Kodi\"");

    let response = http
        .post(&url)
        .header("Authorization", KODI_AUTH)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = http.post(&url).header("Authorization", KODI_AUTH).body(ping).send().await.unwrap();
    assert_eq!(response.status(), 200, "no Content-Type at all is accepted");

    let response = http
        .post(&url)
        .header("Authorization", KODI_AUTH)
        .header("Content-Type", "application/json")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"id": 1, "jsonrpc": "2.0", "result": "pong"}));

    let notification = r#"{"jsonrpc":"2.0","method":"JSONRPC.Ping"}"#;
    let result = http
        .post(&url)
        .header("Authorization", KODI_AUTH)
        .header("Content-Type", "application/json")
        .body(notification)
        .send()
        .await;
    assert!(result.is_err(), "a request without id gets no HTTP answer at all: {result:?}");
}

#[tokio::test]
async fn an_empty_reply_is_reported_as_such() {
    let (standin, client) = kodi().await;
    standin.state().empty_replies = true;
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, PlayerError::EmptyReply { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_connection_is_refused() {
    let port = free_port();
    let client = kodi_client_with(port, Some(("kodi", "kodi")));
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, PlayerError::Refused { .. }), "{err:?}");
    assert!(err.is_connection_failure());
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[tokio::test]
async fn a_player_that_never_answers_times_out() {
    let (port, _server) = silent_server().await;
    let endpoint = Endpoint::new("127.0.0.1", port).with_timeout(Duration::from_millis(300));
    let client = KodiClient::new(endpoint, None).unwrap();
    let started = std::time::Instant::now();
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, PlayerError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(err.is_connection_failure());
}

#[tokio::test]
async fn a_hung_kodi_times_out_too() {
    let standin = KodiStandIn::start().await;
    standin.state().hang = true;
    let endpoint = Endpoint::new("127.0.0.1", standin.port()).with_timeout(Duration::from_millis(300));
    let client = KodiClient::new(endpoint, None).unwrap();
    assert!(matches!(client.ping().await.unwrap_err(), PlayerError::Timeout { .. }));
}

#[tokio::test]
async fn an_html_page_is_not_kodi() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jsonrpc"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html><body>Router login</body></html>", "text/html"))
        .mount(&server)
        .await;
    let client = kodi_client_with(server.address().port(), Some(("kodi", "kodi")));
    let err = client.ping().await.unwrap_err();
    assert!(matches!(&err, PlayerError::NotKodi { detail, .. } if detail.contains("text/html")), "{err:?}");
    assert!(!err.is_connection_failure());
}

#[tokio::test]
async fn json_that_is_not_json_rpc_is_not_kodi() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jsonrpc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ok"})))
        .mount(&server)
        .await;
    let client = kodi_client_with(server.address().port(), None);
    assert!(matches!(client.ping().await.unwrap_err(), PlayerError::NotKodi { .. }));
}

#[tokio::test]
async fn another_application_name_is_not_kodi() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jsonrpc"))
        .and(wiremock::matchers::body_partial_json(json!({"method": "JSONRPC.Version"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 1, "jsonrpc": "2.0", "result": {"version": {"major": 13, "minor": 0, "patch": 0}}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jsonrpc"))
        .and(wiremock::matchers::body_partial_json(json!({"method": "Application.GetProperties"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 2, "jsonrpc": "2.0", "result": {"name": "Other", "version": {"major": 1, "minor": 0}}}),
        ))
        .mount(&server)
        .await;
    let client = kodi_client_with(server.address().port(), None);
    let err = client.version().await.unwrap_err();
    assert!(matches!(&err, PlayerError::NotKodi { detail, .. } if detail.contains("Other")), "{err:?}");
}

#[tokio::test]
async fn other_http_statuses_are_http_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let client = kodi_client_with(server.address().port(), None);
    assert!(matches!(client.ping().await.unwrap_err(), PlayerError::Http { status: 503, .. }));
}
