//! Player groups: CRUD, validation and write-only secrets; the player test endpoint against the
//! Kodi JSON-RPC stand-in of `metarr-testkit` (basic auth, 401, refused port) and a Plex
//! stand-in (token, 401);
//! `notify-kodi`, `notify-jellyfin` and `notify-plex` jobs against stand-ins, the Kodi job's
//! confirmation through a notification socket, and an unmapped folder or a wrong token failing
//! for good.

use crate::helpers::{Backend, TestApp};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use metarr_queue::{JobState, NewJob};
use metarr_testkit::free_port;
use metarr_testkit::kodi::standin::{KodiStandIn, StoredMovie};
use metarr_testkit::kodi::{KODI_PASSWORD, KODI_USER};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the Jellyfin stand-in received: (path, body, authorization header).
type Received = Arc<Mutex<Vec<(String, Value, String)>>>;

/// The movie a scan of "/storage/movies/Alien (1979)/" imports.
const ALIEN_FILE: &str = "/storage/movies/Alien (1979)/Alien (1979).mkv";

/// The Kodi stand-in of `metarr-testkit` (the one the players' tests check against a real Kodi)
/// with its notification socket: basic auth `kodi:kodi` (401 otherwise), no scan running,
/// nothing playing, `/storage/movies/` as its source and an empty library until a scan of
/// Alien's folder imports the movie on disk there (announced on the socket as a real Kodi
/// 20.1 does). Keep it alive while the app talks to it.
async fn kodi_stand_in() -> KodiStandIn {
    let kodi = KodiStandIn::start_with_notifications().await;
    {
        let mut state = kodi.state();
        state.sources = vec!["/storage/movies/".to_owned()];
        state.on_disk.push(StoredMovie::new(ALIEN_FILE, "Alien"));
    }
    kodi
}

/// The JSON-RPC calls the stand-in answered: (method, params).
fn kodi_calls(kodi: &KodiStandIn) -> Vec<(String, Value)> {
    let state = kodi.state();
    state
        .requests
        .iter()
        .map(|call| (call["method"].as_str().unwrap_or_default().to_owned(), call["params"].clone()))
        .collect()
}

/// A Jellyfin stand-in: public system info, and `POST /Library/Media/Updated` answering 204.
async fn jellyfin_stand_in() -> (u16, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let app = Router::new()
        .route(
            "/System/Info/Public",
            axum::routing::get(|| async {
                axum::Json(json!({
                    "ProductName": "Jellyfin Server", "ServerName": "den", "Version": "10.10.7", "Id": "abc"
                }))
            }),
        )
        .route(
            "/Library/Media/Updated",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let sink = Arc::clone(&sink);
                async move {
                    let authorization =
                        headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    sink.lock().expect("lock").push(("/Library/Media/Updated".to_owned(), body, authorization));
                    StatusCode::NO_CONTENT
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

const PLEX_TOKEN: &str = "plex-token-93";

/// What the Plex stand-in received: (path and query, `X-Plex-Token` header, `Accept` header).
type PlexReceived = Arc<Mutex<Vec<(String, String, String)>>>;

/// A Plex Media Server stand-in with Plex's JSON shapes: public `GET /identity`; `GET
/// /library/sections` and `GET /library/sections/{key}/refresh?path=…` need the token in
/// `X-Plex-Token` and answer 401 (Plex's HTML page) without it. Two movie sections and a TV
/// section; section keys are strings, as in Plex's JSON.
async fn plex_stand_in() -> (u16, PlexReceived) {
    let received: PlexReceived = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let handler = move |uri: axum::http::Uri, headers: HeaderMap| {
        let sink = Arc::clone(&sink);
        async move {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let target = uri.path_and_query().map(|pq| pq.as_str().to_owned()).unwrap_or_default();
            if uri.path() == "/identity" {
                return axum::Json(json!({ "MediaContainer": {
                    "size": 0, "claimed": true, "machineIdentifier": "5f3c9a1e", "version": "1.41.3.9314-a0bfb8370"
                }}))
                .into_response();
            }
            sink.lock().expect("lock").push((target, header("x-plex-token"), header("accept")));
            if header("x-plex-token") != PLEX_TOKEN {
                let page =
                    "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>";
                return (StatusCode::UNAUTHORIZED, [("content-type", "text/html")], page).into_response();
            }
            match uri.path() {
                "/library/sections" => axum::Json(json!({ "MediaContainer": {
                    "size": 3, "allowSync": false, "title1": "Plex Library",
                    "Directory": [
                        { "key": "1", "type": "movie", "title": "Movies", "agent": "tv.plex.agents.movie",
                          "language": "en-US", "Location": [{ "id": 1, "path": "/storage/movies" }] },
                        { "key": "2", "type": "movie", "title": "4K", "agent": "tv.plex.agents.movie",
                          "language": "en-US", "Location": [{ "id": 2, "path": "/storage/movies/4k" }] },
                        { "key": "3", "type": "show", "title": "TV Shows", "agent": "tv.plex.agents.series",
                          "language": "en-US", "Location": [{ "id": 3, "path": "/storage/tv" }] }
                    ]
                }}))
                .into_response(),
                path if path.starts_with("/library/sections/") && path.ends_with("/refresh") => {
                    StatusCode::OK.into_response()
                }
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let app = Router::new().fallback(axum::routing::get(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

async fn create_group(app: &TestApp, kind: &str) -> i64 {
    let (status, group) = app
        .post_json(
            "/player-groups",
            &json!({
                "kind": kind, "name": format!("{kind} group"),
                "path_mappings": [{ "local_path": "/data/movies", "remote_path": "/storage/movies" }]
            }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    group["id"].as_i64().expect("id")
}

async fn player_groups_crud_validation_and_write_only_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get("/player-groups").await;
    assert_eq!((status, body), (200, json!({ "items": [], "total": 0 })));

    let (status, group) = app
        .post_json(
            "/player-groups",
            &json!({
                "kind": "kodi", "name": "Living room", "skip_while_playing": true,
                "path_mappings": [{ "local_path": "/data/movies", "remote_path": "smb://nas/movies" }]
            }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_i64().expect("id");
    assert_eq!(
        group,
        json!({
            "id": group_id, "kind": "kodi", "name": "Living room", "enabled": true, "skip_while_playing": true,
            "players": [],
            "path_mappings": [{ "remote_path": "smb://nas/movies", "local_path": "/data/movies" }]
        })
    );

    // Bad input answers 400.
    for bad in [
        json!({ "kind": "emby", "name": "x" }),
        json!({ "kind": "kodi", "name": " " }),
        json!({ "kind": "kodi", "name": "x", "path_mappings": [{ "local_path": "relative", "remote_path": "/a" }] }),
        json!({ "kind": "kodi", "name": "x", "colour": "red" }),
    ] {
        let (status, body) = app.post_json("/player-groups", &bad).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }

    let (status, player) = app
        .post_json(
            &format!("/player-groups/{group_id}/players"),
            &json!({ "host": "192.168.1.20", "username": "kodi", "password": "hunter2" }),
        )
        .await;
    assert_eq!(status, 201, "{player}");
    let player_id = player["id"].as_i64().expect("id");
    assert_eq!(player["port"], 8080, "Kodi's default port");
    assert_eq!(player["tcp_port"], 9090, "Kodi's default notification port");
    assert_eq!(player["password"], "set");
    assert_eq!(player["token"], Value::Null);
    assert!(!player.to_string().contains("hunter2"));

    for bad in [json!({ "host": "" }), json!({ "host": "http://x/" }), json!({ "host": "x", "port": 0 })] {
        let (status, body) = app.post_json(&format!("/player-groups/{group_id}/players"), &bad).await;
        assert_eq!(status, 400, "{bad} → {body}");
    }

    // Omitting the password, or sending "set" back, keeps it; null clears it.
    let (status, player) =
        app.put_json(&format!("/players/{player_id}"), &json!({ "host": "kodi.lan", "username": "kodi" })).await;
    assert_eq!(status, 200, "{player}");
    assert_eq!((player["host"].as_str(), player["password"].as_str()), (Some("kodi.lan"), Some("set")));
    let (status, player) = app
        .put_json(
            &format!("/players/{player_id}"),
            &json!({ "host": "kodi.lan", "port": 8081, "username": "kodi", "password": "set" }),
        )
        .await;
    assert_eq!(status, 200, "{player}");
    assert_eq!((player["port"].as_i64(), player["password"].as_str()), (Some(8081), Some("set")));

    let (status, fetched) = app.get(&format!("/player-groups/{group_id}")).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["players"][0]["password"], "set");
    assert_eq!(fetched["players"][0]["host"], "kodi.lan");
    assert!(!fetched.to_string().contains("hunter2"));

    let (status, player) = app
        .put_json(
            &format!("/players/{player_id}"),
            &json!({ "host": "kodi.lan", "username": "kodi", "password": null }),
        )
        .await;
    assert_eq!(status, 200, "{player}");
    assert_eq!(player["password"], Value::Null);

    // A fetched group can be sent back as is.
    let mut edited = fetched.clone();
    edited["name"] = json!("Den");
    edited["enabled"] = json!(false);
    let (status, group) = app.put_json(&format!("/player-groups/{group_id}"), &edited).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!((group["name"].as_str(), group["enabled"].as_bool()), (Some("Den"), Some(false)));
    assert_eq!(group["players"].as_array().map(Vec::len), Some(1));

    // Jellyfin players need a token, which is write-only too.
    let jellyfin = create_group(&app, "jellyfin").await;
    let (status, body) = app.post_json(&format!("/player-groups/{jellyfin}/players"), &json!({ "host": "jf" })).await;
    assert_eq!(status, 400, "{body}");
    let (status, player) = app
        .post_json(&format!("/player-groups/{jellyfin}/players"), &json!({ "host": "jf", "token": "tok-123" }))
        .await;
    assert_eq!(status, 201, "{player}");
    assert_eq!((player["port"].as_i64(), player["token"].as_str()), (Some(8096), Some("set")));
    let (status, list) = app.get("/player-groups").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 2);
    assert!(!list.to_string().contains("tok-123"));

    // Unknown ids answer 404.
    assert_eq!(app.get("/player-groups/9999").await.0, 404);
    assert_eq!(app.put_json("/player-groups/9999", &json!({ "kind": "kodi", "name": "x" })).await.0, 404);
    assert_eq!(app.delete("/player-groups/9999").await.0, 404);
    assert_eq!(app.post_json("/player-groups/9999/players", &json!({ "host": "x" })).await.0, 404);
    assert_eq!(app.put_json("/players/9999", &json!({ "host": "x" })).await.0, 404);
    assert_eq!(app.delete("/players/9999").await.0, 404);
    assert_eq!(app.post("/players/9999/test").await.0, 404);

    let (status, _) = app.delete(&format!("/players/{player_id}")).await;
    assert_eq!(status, 204);
    let (status, _) = app.delete(&format!("/player-groups/{jellyfin}")).await;
    assert_eq!(status, 204);
    assert_eq!(app.get(&format!("/player-groups/{jellyfin}")).await.0, 404);
    app.stop().await;
}
app_test!(player_groups_crud_validation_and_write_only_secrets);

async fn player_test_endpoint_tells_ok_401_and_refused_apart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kodi = kodi_stand_in().await;
    let (kodi_port, kodi_tcp_port) = (kodi.port(), kodi.notification_port());
    let group = create_group(&app, "kodi").await;
    let add = |body: Value| {
        let app = &app;
        async move {
            let (status, player) = app.post_json(&format!("/player-groups/{group}/players"), &body).await;
            assert_eq!(status, 201, "{player}");
            player["id"].as_i64().expect("id")
        }
    };
    let good = add(json!({
        "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": KODI_PASSWORD,
        "tcp_port": kodi_tcp_port
    }))
    .await;
    let no_socket = add(json!({
        "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": KODI_PASSWORD,
        "tcp_port": free_port()
    }))
    .await;
    let wrong_password = add(json!({
        "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": "wrong",
        "tcp_port": kodi_tcp_port
    }))
    .await;
    let refused = add(json!({ "host": "127.0.0.1", "port": free_port() })).await;

    let (status, body) = app.post(&format!("/players/{good}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!((body["product"].as_str(), body["version"].as_str()), (Some("Kodi"), Some("20.1")), "{body}");
    assert_eq!(body["notifications"], true, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("refreshes are confirmed")), "{body}");

    // Kodi answers but its notification socket does not: still usable, only unconfirmed.
    let (status, body) = app.post(&format!("/players/{no_socket}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["ok"].as_bool(), body["notifications"].as_bool()), (Some(true), Some(false)), "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("unconfirmed") && message.contains("Allow remote control"), "{message}");

    let (status, body) = app.post(&format!("/players/{wrong_password}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("401") && message.contains("password"), "{message}");
    assert!(!message.contains("wrong"), "{message}");

    let (status, body) = app.post(&format!("/players/{refused}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("connection refused")), "{body}");
    assert_eq!(body["product"], Value::Null);

    // A Jellyfin server at a Kodi group's address is "not that product".
    let (jellyfin_port, _) = jellyfin_stand_in().await;
    let not_kodi = add(json!({ "host": "127.0.0.1", "port": jellyfin_port })).await;
    let (status, body) = app.post(&format!("/players/{not_kodi}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("not Kodi")), "{body}");
    app.stop().await;
}
app_test!(player_test_endpoint_tells_ok_401_and_refused_apart);

async fn notify_kodi_scans_an_unknown_folder(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kodi = kodi_stand_in().await;
    let group = create_group(&app, "kodi").await;
    // The first player is down: the group falls back to the second.
    for port in [free_port(), kodi.port()] {
        let (status, body) = app
            .post_json(
                &format!("/player-groups/{group}/players"),
                &json!({
                    "host": "127.0.0.1", "port": port, "username": KODI_USER, "password": KODI_PASSWORD,
                    "tcp_port": kodi.notification_port()
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["tcp_port"], kodi.notification_port());
    }
    let payload = json!({ "group_id": group, "folder": "/data/movies/Alien (1979)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-kodi", payload)).await.expect("enqueue").job;
    assert_eq!(job.unique_key.as_deref(), None);
    let done = app.wait_for_state(job.id, JobState::Completed).await;
    assert_eq!(done.attempt, 1);
    // The job's result says what Kodi confirmed on its notification socket.
    let result = done.progress.and_then(|progress| progress.message).expect("a result message");
    assert!(result.starts_with("scan of /storage/movies/Alien (1979)/ requested; Kodi confirmed movie 1"), "{result}");

    let calls = kodi_calls(&kodi);
    let directory = calls.iter().find(|(method, ..)| method == "Files.GetDirectory").expect("parent listed");
    assert_eq!(directory.1["directory"], "/storage/movies/");
    let scan = calls.iter().find(|(method, ..)| method == "VideoLibrary.Scan").expect("folder scanned");
    assert_eq!(scan.1["directory"], "/storage/movies/Alien (1979)/");
    let listed = calls.iter().position(|(method, ..)| method == "Files.GetDirectory");
    let scanned = calls.iter().position(|(method, ..)| method == "VideoLibrary.Scan");
    assert!(listed < scanned, "{calls:?}");
    // `/metrics` counts the refresh and what Kodi confirmed (the process' recorder may hold
    // other tests' refreshes too).
    let page = crate::metrics::scrape(&app).await;
    let refreshed =
        crate::metrics::sample(&page, "metarr_player_refreshes_total", &["kind=\"kodi\"", "outcome=\"refreshed\""]);
    assert!(refreshed.is_some_and(|count| count >= 1.0), "{page}");
    let confirmed =
        crate::metrics::sample(&page, "metarr_player_confirmations_total", &["kind=\"kodi\"", "result=\"confirmed\""]);
    assert!(confirmed.is_some_and(|count| count >= 1.0), "{page}");
    app.stop().await;
}
app_test!(notify_kodi_scans_an_unknown_folder);

async fn notify_jellyfin_posts_the_mapped_path_with_the_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (port, received) = jellyfin_stand_in().await;
    let group = create_group(&app, "jellyfin").await;
    let (status, body) = app
        .post_json(
            &format!("/player-groups/{group}/players"),
            &json!({ "host": "127.0.0.1", "port": port, "token": "jf-token-42" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Enqueued the way the scan pipeline will: inside a transaction, one job per enabled group,
    // and a second change of the same folder folds into the pending job.
    let mut tx = app.db.begin().await.expect("begin");
    let ids = metarr::jobs::players::enqueue_player_refresh(&mut tx, "/data/movies/Heat (1995)", true)
        .await
        .expect("enqueue");
    let again = metarr::jobs::players::enqueue_player_refresh(&mut tx, "/data/movies/Heat (1995)", true)
        .await
        .expect("enqueue again");
    tx.commit().await.expect("commit");
    assert_eq!(ids.len(), 1);
    assert_eq!(ids, again);
    // A change without new artwork folds into it too; one with new artwork where the pending
    // job has none gets a follow-up (the first would not drop Kodi's textures).
    let mut tx = app.db.begin().await.expect("begin");
    let plain = metarr::jobs::players::enqueue_player_refresh(&mut tx, "/data/movies/Other (2000)", false)
        .await
        .expect("enqueue");
    let with_art = metarr::jobs::players::enqueue_player_refresh(&mut tx, "/data/movies/Other (2000)", true)
        .await
        .expect("enqueue with artwork");
    let with_art_again = metarr::jobs::players::enqueue_player_refresh(&mut tx, "/data/movies/Other (2000)", true)
        .await
        .expect("enqueue with artwork again");
    tx.commit().await.expect("commit");
    assert_ne!(plain, with_art);
    assert_eq!(with_art, with_art_again, "the follow-up is reused while it waits");
    let follow_up = app.queue.get(with_art[0]).await.expect("the follow-up");
    assert_eq!(follow_up.payload["changed_artwork"], true);
    assert_eq!(
        follow_up.unique_key,
        Some(format!("notify-player:{group}:/data/movies/Other (2000):after:{}", plain[0]))
    );
    let job = app.wait_for_state(ids[0], JobState::Completed).await;
    assert_eq!(job.kind, "notify-jellyfin");
    assert_eq!(job.unique_key.as_deref(), Some(format!("notify-player:{group}:/data/movies/Heat (1995)").as_str()));

    app.wait_for_state(plain[0], JobState::Completed).await;
    app.wait_for_state(with_art[0], JobState::Completed).await;
    let calls = received.lock().expect("lock").clone();
    assert_eq!(calls.len(), 3, "{calls:?}");
    let (_, body, authorization) =
        calls.iter().find(|(_, body, _)| body.to_string().contains("Heat")).expect("the refresh of Heat");
    assert_eq!(authorization, "MediaBrowser Token=\"jf-token-42\"");
    assert_eq!(body, &json!({ "Updates": [{ "Path": "/storage/movies/Heat (1995)", "UpdateType": "Modified" }] }));
    app.stop().await;
}
app_test!(notify_jellyfin_posts_the_mapped_path_with_the_token);

async fn an_unmapped_folder_fails_permanently(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kodi = kodi_stand_in().await;
    let kodi_port = kodi.port();
    let group = create_group(&app, "kodi").await;
    let (status, body) = app
        .post_json(
            &format!("/player-groups/{group}/players"),
            &json!({ "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": KODI_PASSWORD }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let payload = json!({ "group_id": group, "folder": "/elsewhere/Alien (1979)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-kodi", payload)).await.expect("enqueue").job;
    let failed = app.wait_for_state(job.id, JobState::Failed).await;
    assert_eq!(failed.attempt, 1, "a permanent failure is not retried");
    let error = failed.last_error.expect("an error is recorded");
    assert!(error.contains("no path mapping") && error.contains("/elsewhere/Alien (1979)"), "{error}");
    assert!(kodi_calls(&kodi).is_empty(), "Kodi was not asked anything");
    app.stop().await;
}
app_test!(an_unmapped_folder_fails_permanently);

async fn wrong_credentials_fail_for_good_and_a_dead_group_retries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kodi = kodi_stand_in().await;
    let kodi_port = kodi.port();
    let wrong = create_group(&app, "kodi").await;
    let (status, body) = app
        .post_json(
            &format!("/player-groups/{wrong}/players"),
            &json!({ "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": "nope" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let payload = json!({ "group_id": wrong, "folder": "/data/movies/Alien (1979)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-kodi", payload)).await.expect("enqueue").job;
    let failed = app.wait_for_state(job.id, JobState::Failed).await;
    assert_eq!(failed.attempt, 1, "a 401 is not retried");
    let error = failed.last_error.expect("an error is recorded");
    assert!(error.contains("401") && error.contains("credentials"), "{error}");
    assert!(!error.contains("nope"), "{error}");

    let dead = create_group(&app, "kodi").await;
    let (status, body) = app
        .post_json(&format!("/player-groups/{dead}/players"), &json!({ "host": "127.0.0.1", "port": free_port() }))
        .await;
    assert_eq!(status, 201, "{body}");
    let payload = json!({ "group_id": dead, "folder": "/data/movies/Alien (1979)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-kodi", payload)).await.expect("enqueue").job;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let retried = loop {
        let current = app.queue.get(job.id).await.expect("job exists");
        if current.last_error.is_some() && current.state != JobState::Running {
            break current;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job never failed an attempt");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(retried.state, JobState::Pending, "a refused connection backs off and retries");
    assert!(retried.last_error.as_deref().is_some_and(|e| e.contains("connection refused")), "{retried:?}");
    app.stop().await;
}
app_test!(wrong_credentials_fail_for_good_and_a_dead_group_retries);

async fn a_scan_that_changes_a_folder_refreshes_the_player(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (port, received) = jellyfin_stand_in().await;
    let library_dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(library_dir.path()).expect("canonical").join("Movies");
    let folder = root.join("Alien (1979)");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"),
        folder.join("Alien (1979).mp4"),
    )
    .expect("video");
    let (status, group) = app
        .post_json(
            "/player-groups",
            &json!({
                "kind": "jellyfin", "name": "den",
                "path_mappings": [{ "local_path": root.display().to_string(), "remote_path": "/media/movies" }]
            }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let (status, body) = app
        .post_json(
            &format!("/player-groups/{}/players", group["id"]),
            &json!({ "host": "127.0.0.1", "port": port, "token": "jf-token-7" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, library) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while received.lock().expect("lock").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the scan never refreshed Jellyfin");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let calls = received.lock().expect("lock").clone();
    assert_eq!(calls[0].1, json!({ "Updates": [{ "Path": "/media/movies/Alien (1979)", "UpdateType": "Modified" }] }));
    app.stop().await;
}
app_test!(a_scan_that_changes_a_folder_refreshes_the_player);

async fn add_plex_player(app: &TestApp, group: i64, port: u16, token: &str) -> i64 {
    let (status, player) = app
        .post_json(
            &format!("/player-groups/{group}/players"),
            &json!({ "host": "127.0.0.1", "port": port, "token": token }),
        )
        .await;
    assert_eq!(status, 201, "{player}");
    assert_eq!(player["token"], "set");
    assert_eq!(player["tcp_port"], Value::Null, "only Kodi players have a notification port");
    player["id"].as_i64().expect("id")
}

async fn plex_player_test_checks_the_token_on_the_sections(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (port, received) = plex_stand_in().await;
    let group = create_group(&app, "plex").await;
    let good = add_plex_player(&app, group, port, PLEX_TOKEN).await;
    let wrong = add_plex_player(&app, group, port, "stale-token").await;

    let (status, body) = app.post(&format!("/players/{good}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(
        (body["product"].as_str(), body["version"].as_str()),
        (Some("Plex Media Server"), Some("1.41.3.9314-a0bfb8370")),
        "{body}"
    );
    assert!(body["message"].as_str().is_some_and(|m| m.contains("3 library section(s)")), "{body}");
    assert_eq!(
        received.lock().expect("lock").clone(),
        [("/library/sections".to_owned(), PLEX_TOKEN.to_owned(), "application/json".to_owned())]
    );

    // The identity is public, so only the sections tell a wrong token.
    let (status, body) = app.post(&format!("/players/{wrong}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("401") && message.contains("token"), "{message}");
    assert!(!message.contains("stale-token"), "{message}");

    // Something that is not Plex at the address.
    let (jellyfin_port, _) = jellyfin_stand_in().await;
    let not_plex = add_plex_player(&app, group, jellyfin_port, PLEX_TOKEN).await;
    let (status, body) = app.post(&format!("/players/{not_plex}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("not a Plex Media Server")), "{body}");

    // Plex players have no notification port.
    let (status, body) = app
        .post_json(
            &format!("/player-groups/{group}/players"),
            &json!({ "host": "127.0.0.1", "port": port, "token": PLEX_TOKEN, "tcp_port": 9090 }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}
app_test!(plex_player_test_checks_the_token_on_the_sections);

async fn notify_plex_refreshes_the_section_holding_the_mapped_folder(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (port, received) = plex_stand_in().await;
    let group = create_group(&app, "plex").await;
    // The first player is down: the group falls back to the second.
    add_plex_player(&app, group, free_port(), PLEX_TOKEN).await;
    add_plex_player(&app, group, port, PLEX_TOKEN).await;

    let mut tx = app.db.begin().await.expect("begin");
    let ids = metarr::jobs::players::enqueue_player_refresh(&mut tx, "/data/movies/4k/Dune & Co (2021)", false)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    assert_eq!(ids.len(), 1);
    let job = app.wait_for_state(ids[0], JobState::Completed).await;
    assert_eq!((job.kind.as_str(), job.attempt), ("notify-plex", 1));

    // The deepest section holding the mapped folder, and the folder URL-encoded in the query.
    let calls = received.lock().expect("lock").clone();
    let expected = [
        ("/library/sections".to_owned(), PLEX_TOKEN.to_owned(), "application/json".to_owned()),
        (
            "/library/sections/2/refresh?path=%2Fstorage%2Fmovies%2F4k%2FDune%20%26%20Co%20%282021%29".to_owned(),
            PLEX_TOKEN.to_owned(),
            "application/json".to_owned(),
        ),
    ];
    assert_eq!(calls, expected);
    app.stop().await;
}
app_test!(notify_plex_refreshes_the_section_holding_the_mapped_folder);

async fn notify_plex_with_a_wrong_token_fails_for_good(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (port, received) = plex_stand_in().await;
    let group = create_group(&app, "plex").await;
    add_plex_player(&app, group, port, "expired-token-1").await;
    let payload = json!({ "group_id": group, "folder": "/data/movies/Alien (1979)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-plex", payload)).await.expect("enqueue").job;
    let failed = app.wait_for_state(job.id, JobState::Failed).await;
    assert_eq!(failed.attempt, 1, "a 401 is not retried");
    let error = failed.last_error.expect("an error is recorded");
    assert!(error.contains("401") && error.contains("token"), "{error}");
    assert!(!error.contains("expired-token-1"), "{error}");
    // Only the sections were asked; nothing was refreshed.
    let calls = received.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].0, "/library/sections");
    app.stop().await;
}
app_test!(notify_plex_with_a_wrong_token_fails_for_good);
