//! The libraries and scans API: CRUD, validation that says why, overlapping roots, 404s, scan
//! records (start, list, cancel). A full scan of a real library is tested with the scan pipeline.

use crate::helpers::{Backend, TestApp};
use metarr::catalogue::scans::{self, ScanPhase};
use metarr::ids::LibraryId;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A folder for library roots, canonical so that it compares equal to what the API stores.
fn roots() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary library folder");
    let canonical = std::fs::canonicalize(dir.path()).expect("canonical temp path");
    (dir, canonical)
}

fn make_dir(path: &Path) -> String {
    std::fs::create_dir_all(path).expect("create library folder");
    path.display().to_string()
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

async fn library_crud_happy_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = roots();
    let movies = make_dir(&root.join("Movies"));

    let (status, body) = app.get("/libraries").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "items": [], "total": 0 }));

    let (status, created) = app.post_json("/libraries", &json!({ "path": movies })).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("library id");
    assert_eq!(
        created,
        json!({ "id": id, "name": "Movies", "path": movies, "kind": "movies", "enabled": true, "ignore_patterns": [],
                "prefer_provider_metadata": false, "auto_enrich": null, "artwork_limits": {}, "publish": "manual",
                "publish_options": { "artwork_style": "folder", "movie_nfo": false, "extrafanart": false,
                                     "actor_images": false, "jellyfin_locks": false } })
    );

    let (status, body) = app.get("/libraries").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0], created);
    let (status, body) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, created);

    // PUT replaces every setting, with the same body as POST; the root may move.
    let moved = make_dir(&root.join("Films"));
    let (status, updated) = app
        .put_json(
            &format!("/libraries/{id}"),
            &json!({ "name": "Films", "path": moved, "enabled": false, "ignore_patterns": ["*.part", "Extras/**"],
                     "prefer_provider_metadata": true, "auto_enrich": false, "artwork_limits": { "fanart": 5 },
                     "publish": "auto", "publish_options": { "artwork_style": "kodi", "extrafanart": true } }),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated,
        json!({
            "id": id, "name": "Films", "path": moved, "kind": "movies", "enabled": false,
            "ignore_patterns": ["*.part", "Extras/**"], "prefer_provider_metadata": true, "auto_enrich": false,
            "artwork_limits": { "fanart": 5 }, "publish": "auto",
            "publish_options": { "artwork_style": "kodi", "movie_nfo": false, "extrafanart": true,
                                 "actor_images": false, "jellyfin_locks": false },
        })
    );
    let (_, body) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(body, updated);

    let (status, body) = app.delete(&format!("/libraries/{id}")).await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(status, 404);
    let (_, body) = app.get("/libraries").await;
    assert_eq!(body["total"], 0);
    assert!(Path::new(&moved).is_dir(), "deleting a library never touches the disk");
    app.stop().await;
}
app_test!(library_crud_happy_path);

async fn library_input_errors_are_400_and_say_why(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = roots();
    let file = root.join("movie.mkv");
    std::fs::write(&file, b"not a folder").expect("write file");
    let good = make_dir(&root.join("Movies"));

    let cases = [
        (json!({ "path": root.join("nope").display().to_string() }), "cannot be used"),
        (json!({ "path": file.display().to_string() }), "not a directory"),
        (json!({ "path": "Movies" }), "must be absolute"),
        (json!({ "path": good, "ignore_patterns": ["[abc"] }), "ignore_patterns"),
        (json!({ "path": good, "kind": "shows" }), "not supported"),
        (json!({ "path": good, "name": "  " }), "name must not be empty"),
        (json!({ "path": good, "colour": "red" }), "colour"),
        (json!({ "name": "No path" }), "path"),
        (json!({ "path": 42 }), "path"),
        (json!({ "path": good, "publish": "sometimes" }), "publish"),
        (json!({ "path": good, "publish_options": { "artwork_style": "plex" } }), "artwork_style"),
        (json!({ "path": good, "publish_options": { "movie_nfo": "yes" } }), "movie_nfo"),
        (json!({ "path": good, "publish_options": { "actors": true } }), "actors"),
    ];
    for (body, expected) in cases {
        let (status, answer) = app.post_json("/libraries", &body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], "bad_request", "{answer}");
        assert!(message(&answer).contains(expected), "{body}: {:?} should mention {expected:?}", message(&answer));
    }
    let (status, answer) = app
        .send(app.client.post(app.url("/libraries")).header("Content-Type", "application/json").body("{\"path\":"))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "bad_request");

    // PUT validates the same way.
    let (status, created) = app.post_json("/libraries", &json!({ "path": good })).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("library id");
    let (status, answer) = app.put_json(&format!("/libraries/{id}"), &json!({ "path": "relative/path" })).await;
    assert_eq!(status, 400, "{answer}");
    assert!(message(&answer).contains("absolute"), "{answer}");
    let (status, answer) =
        app.put_json(&format!("/libraries/{id}"), &json!({ "path": good, "ignore_patterns": ["a{b"] })).await;
    assert_eq!(status, 400, "{answer}");
    let (_, unchanged) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(unchanged, created, "a refused PUT changes nothing");
    app.stop().await;
}
app_test!(library_input_errors_are_400_and_say_why);

async fn overlapping_library_roots_are_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = roots();
    let movies = make_dir(&root.join("Media/Movies"));
    let inner = make_dir(&root.join("Media/Movies/Collections"));
    let outer = root.join("Media").display().to_string();
    let other = make_dir(&root.join("Other"));

    let (status, first) = app.post_json("/libraries", &json!({ "path": movies })).await;
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_i64().expect("id");
    for path in [&movies, &inner, &outer, &format!("{movies}/")] {
        let (status, body) = app.post_json("/libraries", &json!({ "path": path })).await;
        assert_eq!(status, 409, "{path} → {body}");
        assert_eq!(body["error"]["code"], "conflict");
        assert!(message(&body).contains(&movies), "the message names the other library's root: {body}");
    }
    // A root reached through `..` is the same root once resolved.
    let (status, body) =
        app.post_json("/libraries", &json!({ "path": format!("{movies}/Collections/../Collections") })).await;
    assert_eq!(status, 409, "{body}");

    let (status, second) = app.post_json("/libraries", &json!({ "path": other })).await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["id"].as_i64().expect("id");
    let (status, body) = app.put_json(&format!("/libraries/{second_id}"), &json!({ "path": inner })).await;
    assert_eq!(status, 409, "moving a library into another is refused too: {body}");
    // A library does not conflict with itself.
    let (status, body) =
        app.put_json(&format!("/libraries/{first_id}"), &json!({ "path": movies, "name": "Renamed" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Renamed");
    app.stop().await;
}
app_test!(overlapping_library_roots_are_409);

async fn unknown_libraries_and_scans_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = roots();
    let movies = make_dir(&root.join("Movies"));
    for (status, body) in [
        app.get("/libraries/999").await,
        app.put_json("/libraries/999", &json!({ "path": movies })).await,
        app.delete("/libraries/999").await,
        app.post("/libraries/999/scan").await,
        app.get("/scans/999").await,
        app.post("/scans/999/cancel").await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
    let (status, body) = app.get("/libraries/abc").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.get("/scans?limit=0").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.get("/scans?library_id=x").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.send(app.client.patch(app.url("/libraries/1"))).await;
    assert_eq!(status, 405, "{body}");
    let response = app.client.get(app.url("/libraries")).send().await.expect("request sent");
    assert_eq!(response.status().as_u16(), 401, "the libraries API needs the key");
    app.stop().await;
}
app_test!(unknown_libraries_and_scans_are_404);

/// Polls a scan until it has finished; panics after 20 s.
async fn wait_for_finished_scan(app: &TestApp, id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, scan) = app.get(&format!("/scans/{id}")).await;
        assert_eq!(status, 200, "{scan}");
        if ["completed", "failed", "cancelled"].contains(&scan["phase"].as_str().unwrap_or_default()) {
            return scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan {id} stayed {}", scan["phase"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scan_of_an_empty_library_answers_202_and_completes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = roots();
    let movies = make_dir(&root.join("Movies"));
    let (_, library) = app.post_json("/libraries", &json!({ "path": movies })).await;
    let library_id = library["id"].as_i64().expect("id");

    let (status, scan) = app.post(&format!("/libraries/{library_id}/scan")).await;
    assert_eq!(status, 202, "{scan}");
    let scan_id = scan["id"].as_i64().expect("scan id");
    assert_eq!(scan["library_id"], library_id);
    for field in [
        "phase",
        "movies_found",
        "movies_new",
        "movies_updated",
        "movies_missing",
        "assets_queued",
        "assets_cached",
        "unknown_files",
        "errors",
        "warnings",
    ] {
        assert!(scan.get(field).is_some(), "scan record lacks {field}: {scan}");
    }
    let finished = wait_for_finished_scan(&app, scan_id).await;
    assert_eq!(finished["phase"], "completed", "{finished}");
    assert_eq!(finished["movies_found"], 0);

    let (status, body) = app.post(&format!("/scans/{scan_id}/cancel")).await;
    assert_eq!(status, 409, "a finished scan cannot be cancelled: {body}");
    assert_eq!(body["error"]["code"], "conflict");

    // A disabled library is not scanned.
    let (status, body) =
        app.put_json(&format!("/libraries/{library_id}"), &json!({ "path": movies, "enabled": false })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.post(&format!("/libraries/{library_id}/scan")).await;
    assert_eq!(status, 409, "{body}");
    app.stop().await;
}
app_test!(scan_of_an_empty_library_answers_202_and_completes);

async fn scans_are_listed_newest_first_and_running_ones_cancel(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = roots();
    let mut library_ids = Vec::new();
    for name in ["A", "B"] {
        let (_, library) = app.post_json("/libraries", &json!({ "path": make_dir(&root.join(name)) })).await;
        library_ids.push(library["id"].as_i64().expect("id"));
    }
    // Scan records made directly, without their jobs, so that they stay in `discovering`
    // until the test moves them.
    let mut scan_ids = Vec::new();
    for library_id in [library_ids[0], library_ids[1], library_ids[0]] {
        let mut tx = app.db.begin().await.expect("begin");
        let (scan, created) = scans::start(&mut tx, LibraryId(library_id)).await.expect("scan record");
        assert!(created);
        if scan_ids.is_empty() {
            // Finish the first scan so that the third one of the same library is a new record.
            scans::set_phase(&mut tx, scan.id, ScanPhase::Completed).await.expect("complete");
        }
        tx.commit().await.expect("commit");
        scan_ids.push(scan.id.get());
    }

    let (status, body) = app.get("/scans").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 3);
    let listed: Vec<i64> = body["items"].as_array().expect("items").iter().filter_map(|s| s["id"].as_i64()).collect();
    assert_eq!(listed, vec![scan_ids[2], scan_ids[1], scan_ids[0]], "newest first");

    let (status, body) = app.get(&format!("/scans?library_id={}", library_ids[0])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2);
    let listed: Vec<i64> = body["items"].as_array().expect("items").iter().filter_map(|s| s["id"].as_i64()).collect();
    assert_eq!(listed, vec![scan_ids[2], scan_ids[0]]);
    let (_, body) = app.get("/scans?limit=1").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1);
    assert_eq!(body["total"], 3, "total counts every scan, not the page");

    let (status, body) = app.get(&format!("/scans/{}", scan_ids[1])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phase"], "discovering");
    assert_eq!(body["library_id"], library_ids[1]);

    let (status, body) = app.post(&format!("/scans/{}/cancel", scan_ids[1])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], scan_ids[1]);
    assert_eq!(body["phase"], "cancelled");
    let (status, body) = app.post(&format!("/scans/{}/cancel", scan_ids[1])).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app.post(&format!("/scans/{}/cancel", scan_ids[0])).await;
    assert_eq!(status, 409, "a completed scan cannot be cancelled: {body}");
    app.stop().await;
}
app_test!(scans_are_listed_newest_first_and_running_ones_cancel);
