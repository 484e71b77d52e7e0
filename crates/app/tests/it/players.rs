//! Player groups: CRUD, validation and write-only secrets; the player test endpoint against a
//! Kodi JSON-RPC stand-in (basic auth, 401, refused port); `notify-kodi` and `notify-jellyfin`
//! jobs against stand-ins, and an unmapped folder failing for good.

use crate::helpers::{Backend, TestApp};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use metarr_queue::{JobState, NewJob};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What a stand-in received: (method or path, params or body, authorization header).
type Received = Arc<Mutex<Vec<(String, Value, String)>>>;

const KODI_USER: &str = "kodi";
const KODI_PASSWORD: &str = "s3cret-kodi";

/// A Kodi JSON-RPC stand-in on 127.0.0.1:0: basic auth `kodi:s3cret-kodi` (401 otherwise), an
/// empty library, no scan running, nothing playing.
async fn kodi_stand_in() -> (u16, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{KODI_USER}:{KODI_PASSWORD}")));
    let app = Router::new().route(
        "/jsonrpc",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sink = Arc::clone(&sink);
            let expected = expected.clone();
            async move {
                let authorization =
                    headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                if authorization != expected {
                    return (StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response();
                }
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let method = request["method"].as_str().unwrap_or_default().to_owned();
                sink.lock().expect("lock").push((method.clone(), request["params"].clone(), authorization));
                let result = match method.as_str() {
                    "JSONRPC.Ping" => json!("pong"),
                    "JSONRPC.Version" => json!({ "version": { "major": 13, "minor": 5, "patch": 0 } }),
                    "Application.GetProperties" => json!({ "name": "Kodi", "version": { "major": 21, "minor": 2 } }),
                    "XBMC.GetInfoBooleans" => json!({ "Library.IsScanningVideo": false }),
                    "Player.GetActivePlayers" => json!([]),
                    "VideoLibrary.GetMovies" => json!({ "limits": { "start": 0, "end": 0, "total": 0 } }),
                    "Files.GetDirectory" => json!({ "files": [], "limits": { "start": 0, "end": 0, "total": 0 } }),
                    "VideoLibrary.Scan" => json!("OK"),
                    _ => {
                        return axum::Json(json!({
                            "jsonrpc": "2.0", "id": request["id"],
                            "error": { "code": -32601, "message": "Method not found." }
                        }))
                        .into_response();
                    }
                };
                axum::Json(json!({ "jsonrpc": "2.0", "id": request["id"], "result": result })).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
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

/// A port nothing listens on.
async fn refused_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address").port()
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
    let (kodi_port, _received) = kodi_stand_in().await;
    let group = create_group(&app, "kodi").await;
    let add = |body: Value| {
        let app = &app;
        async move {
            let (status, player) = app.post_json(&format!("/player-groups/{group}/players"), &body).await;
            assert_eq!(status, 201, "{player}");
            player["id"].as_i64().expect("id")
        }
    };
    let good =
        add(json!({ "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": KODI_PASSWORD })).await;
    let wrong_password =
        add(json!({ "host": "127.0.0.1", "port": kodi_port, "username": KODI_USER, "password": "wrong" })).await;
    let refused = add(json!({ "host": "127.0.0.1", "port": refused_port().await })).await;

    let (status, body) = app.post(&format!("/players/{good}/test")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!((body["product"].as_str(), body["version"].as_str()), (Some("Kodi"), Some("21.2")), "{body}");

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
    let (kodi_port, received) = kodi_stand_in().await;
    let group = create_group(&app, "kodi").await;
    // The first player is down: the group falls back to the second.
    for port in [refused_port().await, kodi_port] {
        let (status, body) = app
            .post_json(
                &format!("/player-groups/{group}/players"),
                &json!({ "host": "127.0.0.1", "port": port, "username": KODI_USER, "password": KODI_PASSWORD }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let payload = json!({ "group_id": group, "folder": "/data/movies/Alien (1979)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-kodi", payload)).await.expect("enqueue").job;
    assert_eq!(job.unique_key.as_deref(), None);
    let done = app.wait_for_state(job.id, JobState::Completed).await;
    assert_eq!(done.attempt, 1);

    let calls = received.lock().expect("lock").clone();
    let directory = calls.iter().find(|(method, ..)| method == "Files.GetDirectory").expect("parent listed");
    assert_eq!(directory.1["directory"], "/storage/movies/");
    let scan = calls.iter().find(|(method, ..)| method == "VideoLibrary.Scan").expect("folder scanned");
    assert_eq!(scan.1["directory"], "/storage/movies/Alien (1979)/");
    let listed = calls.iter().position(|(method, ..)| method == "Files.GetDirectory");
    let scanned = calls.iter().position(|(method, ..)| method == "VideoLibrary.Scan");
    assert!(listed < scanned, "{calls:?}");
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
    let job = app.wait_for_state(ids[0], JobState::Completed).await;
    assert_eq!(job.kind, "notify-jellyfin");
    assert_eq!(job.unique_key.as_deref(), Some(format!("notify-player:{group}:/data/movies/Heat (1995)").as_str()));

    let calls = received.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let (_, body, authorization) = &calls[0];
    assert_eq!(authorization, "MediaBrowser Token=\"jf-token-42\"");
    assert_eq!(body, &json!({ "Updates": [{ "Path": "/storage/movies/Heat (1995)", "UpdateType": "Modified" }] }));
    app.stop().await;
}
app_test!(notify_jellyfin_posts_the_mapped_path_with_the_token);

async fn an_unmapped_folder_fails_permanently(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (kodi_port, received) = kodi_stand_in().await;
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
    assert!(received.lock().expect("lock").is_empty(), "Kodi was not asked anything");
    app.stop().await;
}
app_test!(an_unmapped_folder_fails_permanently);

async fn wrong_credentials_fail_for_good_and_a_dead_group_retries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (kodi_port, _received) = kodi_stand_in().await;
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
        .post_json(
            &format!("/player-groups/{dead}/players"),
            &json!({ "host": "127.0.0.1", "port": refused_port().await }),
        )
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
