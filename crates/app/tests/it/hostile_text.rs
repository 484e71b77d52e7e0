//! Text from outside that a backend cannot store (NUL), or that breaks the limits defined once
//! in `metarr::limits`, through the real HTTP API and a real scan: clear 400s naming the field
//! on both backends, nothing half-written, webhooks logged whatever their bytes, and NFO
//! imports fitted to the same limits with warnings (issue 11, defects 3 and 8).

use crate::helpers::{Backend, TestApp};
use crate::webhooks::post_raw;
use metarr::catalogue::scans;
use metarr::ids::ScanId;
use metarr::limits::{MAX_LONG_TEXT_CHARS, MAX_NAME_CHARS};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Asserts a 400 in the API's error shape whose message contains `expected`.
fn assert_bad_request(status: u16, answer: &Value, expected: &str) {
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "bad_request", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(expected), "{message:?} should contain {expected:?}");
}

/// A canonical empty folder for a library root.
fn folder() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = std::fs::canonicalize(dir.path()).expect("canonical").display().to_string();
    (dir, path)
}

async fn nul_in_api_text_is_a_clear_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = folder();

    let (status, answer) = app.post_json("/libraries", &json!({ "name": "A\u{0}B", "path": root })).await;
    assert_bad_request(status, &answer, "name holds a NUL character");
    let (status, answer) = app.post_json("/libraries", &json!({ "path": root, "ignore_patterns": ["a\u{0}"] })).await;
    assert_bad_request(status, &answer, "ignore_patterns holds a NUL character");
    let (_, list) = app.get("/libraries").await;
    assert_eq!(list["total"], 0, "nothing half-written: {list}");

    let (status, answer) = app.post_json("/player-groups", &json!({ "kind": "kodi", "name": "Living\u{0}room" })).await;
    assert_bad_request(status, &answer, "name holds a NUL character");
    let (status, answer) = app
        .post_json(
            "/player-groups",
            &json!({ "kind": "kodi", "name": "Den", "path_mappings": [{ "remote_path": "/a\u{0}", "local_path": "/b" }] }),
        )
        .await;
    assert_bad_request(status, &answer, "remote_path holds a NUL character");
    let (_, groups) = app.get("/player-groups").await;
    assert_eq!(groups["total"], 0, "nothing half-written: {groups}");
    let (status, group) = app.post_json("/player-groups", &json!({ "kind": "kodi", "name": "Den" })).await;
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_i64().expect("group id");
    let (status, answer) =
        app.post_json(&format!("/player-groups/{group_id}/players"), &json!({ "host": "kodi\u{0}.lan" })).await;
    assert_bad_request(status, &answer, "host holds a NUL character");

    // Query parameters and path segments: `%00` decodes to NUL.
    for target in ["/movies?q=%00", "/jobs?kind=scan%00", "/jobs?correlation_id=a%00b", "/webhooks/events?limit=%00"] {
        let (status, answer) = app.get(target).await;
        assert_bad_request(status, &answer, "holds a NUL character");
    }
    let (status, answer) = app.get("/jobs?correlation_id=a%00b").await;
    assert_bad_request(status, &answer, "query parameter \"correlation_id\"");
    let (status, answer) = app.send(app.client.put(app.url("/schedules/cleanup%00"))).await;
    assert_bad_request(status, &answer, "the path holds a NUL character");
    app.stop().await;
}
app_test!(nul_in_api_text_is_a_clear_400);

async fn a_webhook_with_nul_is_logged_and_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let escaped = br#"{"eventType":"Download","movie":{"title":"A\u0000B","folderPath":"/movies/A"},"movieFile":{"path":"/movies/A/a.mkv"}}"#;
    let raw_in_string = b"{\"eventType\":\"Test\",\"note\":\"a\x00b\"}".to_vec();
    let raw_after = b"{\"eventType\":\"Test\"}\x00".to_vec();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("JSON \\u0000", escaped.to_vec(), "NUL character (\\u0000) at /movie/title"),
        ("raw NUL in a string", raw_in_string, "invalid JSON"),
        ("raw NUL after the object", raw_after, "invalid JSON"),
    ];
    for (name, body, expected) in cases {
        let (status, answer) = post_raw(&app, "radarr", body.clone()).await;
        assert_eq!(status, 400, "{name}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{name}: {message:?}");
        let id = answer["webhook_event_id"].as_i64().unwrap_or_else(|| panic!("{name}: logged: {answer}"));
        let (status, log) = app.get("/webhooks/events").await;
        assert_eq!(status, 200, "{log}");
        let entry = log["items"].as_array().and_then(|items| items.iter().find(|item| item["id"] == id));
        let entry = entry.unwrap_or_else(|| panic!("{name}: event {id} is in the log: {log}"));
        let outcome = entry["outcome"].as_str().unwrap_or_default();
        assert!(outcome.starts_with("rejected: "), "{name}: {outcome}");
        assert_eq!(entry["job_ids"], json!([]), "{name}");
        let stored = entry["body"].as_str().unwrap_or_default();
        if body.contains(&0) {
            assert_eq!(stored, String::from_utf8_lossy(&body).replace('\0', "\u{fffd}"), "{name}");
            assert!(outcome.contains("replaced by U+FFFD"), "{name}: the altered copy is flagged: {outcome}");
        } else {
            assert_eq!(stored.as_bytes(), body.as_slice(), "{name}: stored as received");
        }
    }
    let (_, jobs) = app.get("/jobs?kind=webhook-received").await;
    assert_eq!(jobs["items"], json!([]), "no job for a refused webhook");
    app.stop().await;
}
app_test!(a_webhook_with_nul_is_logged_and_refused);

async fn wait_for_scan(app: &TestApp, scan_id: ScanId) -> scans::Scan {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let scan = scans::get(&app.db, scan_id).await.expect("scan exists");
        if scan.is_finished() {
            return scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan did not finish: {scan:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folders");
    std::fs::write(path, bytes).expect("write file");
}

async fn an_nfo_with_nul_and_oversized_fields_is_imported_within_the_limits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = folder();
    let movie = Path::new(&root).join("Nul Title (2001)");
    write(&movie.join("Nul Title (2001).mkv"), &[0x1A, 0x45, 0xDF, 0xA3, 0, 1, 2, 3]);
    let plot = "é".repeat(MAX_LONG_TEXT_CHARS + 2_000);
    let nfo = format!("<movie><title>A\u{0}B</title><plot>{plot}</plot><year>-5</year><runtime>-3</runtime></movie>");
    write(&movie.join("Nul Title (2001).nfo"), nfo.as_bytes());
    let (status, library) = app.post_json("/libraries", &json!({ "path": root })).await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");
    let scan = wait_for_scan(&app, ScanId(scan["id"].as_i64().expect("scan id"))).await;
    assert_eq!((scan.phase.as_str(), scan.errors), ("completed", 0), "{scan:?}");

    let (_, movies) = app.get("/movies").await;
    assert_eq!(movies["total"], 1, "the movie is catalogued: {movies}");
    let (_, detail) = app.get(&format!("/movies/{}", movies["items"][0]["id"])).await;
    assert_eq!(detail["title"], "AB");
    assert_eq!(detail["plot"].as_str().map(|plot| plot.chars().count()), Some(MAX_LONG_TEXT_CHARS));
    assert_eq!(detail["year"], 2001, "the NFO's -5 is dropped; the folder's year fills in");
    assert_eq!(detail["runtime"], Value::Null);
    let warnings: Vec<&str> =
        detail["warnings"].as_array().expect("warnings").iter().filter_map(Value::as_str).collect();
    let has = |part: &str| warnings.iter().any(|warning| warning.contains(part));
    assert!(has("control character(s) forbidden in XML dropped"), "{warnings:?}");
    assert!(
        has(&format!("plot: {} characters cut to {MAX_LONG_TEXT_CHARS}", MAX_LONG_TEXT_CHARS + 2_000)),
        "{warnings:?}"
    );
    assert!(has("year: -5 is outside 1870–2100; ignored"), "{warnings:?}");
    assert!(has("runtime: -3 is outside"), "{warnings:?}");

    // The same limits hold for a user's edit, which is refused whole.
    let id = detail["id"].as_i64().expect("movie id");
    let cases = [
        (json!({ "title": "C\u{0}D" }), "title holds a NUL character"),
        (json!({ "plot": "x".repeat(MAX_LONG_TEXT_CHARS + 1), "title": "E" }), "plot is too long"),
        (json!({ "year": -5 }), "year must be from 1870 to 2100, got -5"),
        (json!({ "year": 99_999_999_999_999_i64 }), "year must be from 1870 to 2100"),
        (json!({ "runtime": 100_001 }), "runtime must be from 0 to 100000"),
        (json!({ "runtime": -1 }), "runtime must not be negative"),
        (json!({ "genres": ["Drama", "\u{0}"] }), "genres holds a NUL character"),
    ];
    for (body, expected) in cases {
        let (status, answer) = app.patch_json(&format!("/movies/{id}"), &body).await;
        assert_bad_request(status, &answer, expected);
    }
    let (_, unchanged) = app.get(&format!("/movies/{id}")).await;
    assert_eq!((&unchanged["title"], &unchanged["locks"]), (&json!("AB"), &json!([])), "nothing half-written");
    let (status, edited) = app.patch_json(&format!("/movies/{id}"), &json!({ "year": 2100, "runtime": 0 })).await;
    assert_eq!((status, &edited["year"]), (200, &json!(2100)), "{edited}");
    app.stop().await;
}
app_test!(an_nfo_with_nul_and_oversized_fields_is_imported_within_the_limits);

async fn names_and_hosts_are_capped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = folder();
    let long = "n".repeat(900_000);
    let (status, answer) = app.post_json("/libraries", &json!({ "name": long, "path": root })).await;
    assert_bad_request(status, &answer, &format!("name is too long: 900000 characters, at most {MAX_NAME_CHARS}"));
    let (status, answer) = app.post_json("/libraries", &json!({ "name": "a\nb", "path": root })).await;
    assert_bad_request(status, &answer, "name holds the control character U+000A");
    let (status, library) =
        app.post_json("/libraries", &json!({ "name": "é".repeat(MAX_NAME_CHARS), "path": root })).await;
    assert_eq!(status, 201, "{library}");
    let (status, answer) = app
        .put_json(
            &format!("/libraries/{}", library["id"]),
            &json!({ "name": "x".repeat(MAX_NAME_CHARS + 1), "path": root }),
        )
        .await;
    assert_bad_request(status, &answer, "name is too long");

    let (status, answer) =
        app.post_json("/player-groups", &json!({ "kind": "kodi", "name": "g".repeat(MAX_NAME_CHARS + 1) })).await;
    assert_bad_request(status, &answer, "name is too long");
    let (status, group) = app.post_json("/player-groups", &json!({ "kind": "kodi", "name": "Den" })).await;
    assert_eq!(status, 201, "{group}");
    let players = format!("/player-groups/{}/players", group["id"]);
    let (status, answer) = app.post_json(&players, &json!({ "host": "h".repeat(MAX_NAME_CHARS + 1) })).await;
    assert_bad_request(status, &answer, "host is too long");
    let (status, answer) =
        app.post_json(&players, &json!({ "host": "kodi.lan", "username": "u", "password": "p".repeat(5_000) })).await;
    assert_bad_request(status, &answer, "password is too long");
    let (_, group) = app.get(&format!("/player-groups/{}", group["id"])).await;
    assert_eq!(group["players"], json!([]), "nothing half-written: {group}");

    let email = json!({ "enabled": false, "settings": { "host": "h".repeat(MAX_NAME_CHARS + 1) } });
    let (status, answer) = app.put_json("/notifications/email", &email).await;
    assert_bad_request(status, &answer, "email settings: host is too long");
    let email = json!({ "enabled": false, "settings": { "host": "smtp.lan", "to": ["a@b\u{0}"] } });
    let (status, answer) = app.put_json("/notifications/email", &email).await;
    assert_bad_request(status, &answer, "email settings: to holds a NUL character");
    let (_, email) = app.get("/notifications/email").await;
    assert_eq!(email["settings"]["host"], Value::Null, "nothing half-written: {email}");
    app.stop().await;
}
app_test!(names_and_hosts_are_capped);

async fn library_roots_stay_apart_from_the_file_system_root_and_the_data_directory(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data_dir = std::fs::canonicalize(app.data_dir.path()).expect("canonical data directory");
    let inside = data_dir.join("Movies");
    std::fs::create_dir_all(&inside).expect("a folder inside the data directory");
    let parent = data_dir.parent().expect("the data directory has a parent").to_path_buf();
    let cases = [
        (Path::new("/").to_path_buf(), "is the root of the file system"),
        (data_dir.clone(), "is inside Metarr's data directory"),
        (inside, "is inside Metarr's data directory"),
        (parent, "contains Metarr's data directory"),
    ];
    for (path, expected) in &cases {
        let (status, answer) = app.post_json("/libraries", &json!({ "path": path.display().to_string() })).await;
        assert_bad_request(status, &answer, expected);
    }
    let (_dir, root) = folder();
    let (status, library) = app.post_json("/libraries", &json!({ "path": root })).await;
    assert_eq!(status, 201, "{library}");
    let (status, answer) = app
        .put_json(&format!("/libraries/{}", library["id"]), &json!({ "path": data_dir.display().to_string() }))
        .await;
    assert_bad_request(status, &answer, "is inside Metarr's data directory");
    let (_, list) = app.get("/libraries").await;
    assert_eq!(list["items"][0]["path"], root, "the refused update changed nothing: {list}");
    app.stop().await;
}
app_test!(library_roots_stay_apart_from_the_file_system_root_and_the_data_directory);

async fn the_catalogue_refuses_nul_the_same_on_both_backends(backend: Backend) {
    use metarr::db::DbError;
    let app = TestApp::spawn(backend).await;
    // SQLite would store it and PostgreSQL fail with a 500: neither is asked.
    let err = app
        .db
        .execute(
            "INSERT INTO path_mappings (remote_path, local_path, created_at, updated_at) VALUES ($1, $2, 0, 0)",
            &["/a\0".into(), "/b".into()],
        )
        .await
        .expect_err("a NUL is refused");
    assert!(matches!(err, DbError::Db(metarr_db::DbError::NulInText { .. })), "{err:?}");
    assert!(err.is_bad_input());
    let rows: Vec<(i64,)> = app.db.fetch_all("SELECT id FROM path_mappings", &[]).await.expect("read");
    assert!(rows.is_empty(), "nothing written");

    // `jobs.payload` is JSONB on PostgreSQL, which refuses `\u0000` too.
    let mut tx = app.db.begin().await.expect("begin");
    let job = metarr_queue::NewJob::raw("debug-sleep", json!({ "ms": 1, "note": "a\u{0}b" }));
    let err = tx.enqueue(job).await.expect_err("a NUL in a payload is refused");
    assert!(matches!(err, DbError::Db(metarr_db::DbError::NulInText { .. })), "{err:?}");
    drop(tx);
    let (_, jobs) = app.get("/jobs?kind=debug-sleep").await;
    assert_eq!(jobs["items"], json!([]), "{jobs}");
    app.stop().await;
}
app_test!(the_catalogue_refuses_nul_the_same_on_both_backends);

async fn the_web_ui_refuses_what_the_api_refuses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = crate::ui::UiClient::new(&app);
    ui.get("/libraries").await;
    let (_dir, root) = folder();
    let data_dir = std::fs::canonicalize(app.data_dir.path()).expect("canonical").display().to_string();
    let long_name = "n".repeat(MAX_NAME_CHARS + 1);
    let cases = [
        (long_name.as_str(), root.as_str(), "name is too long"),
        ("A\u{0}B", root.as_str(), "name holds a NUL character"),
        ("Films", "/", "is the root of the file system"),
        ("Films", data_dir.as_str(), "is inside Metarr&#39;s data directory"),
    ];
    for (name, path, reason) in cases {
        let page = ui.post_form("/libraries", &[("path", path), ("name", name), ("enabled", "on")]).await;
        assert_eq!(page.status, 400, "{name:.20} at {path}: {}", page.body);
        assert!(page.body.contains(reason), "{reason:?} in {}", page.body);
    }
    let page = ui.get("/movies?q=%00").await;
    assert_eq!(page.status, 400, "{}", page.body);
    let (_, libraries) = app.get("/libraries").await;
    assert_eq!(libraries["total"], 0, "nothing was created: {libraries}");
    app.stop().await;
}
app_test!(the_web_ui_refuses_what_the_api_refuses);
