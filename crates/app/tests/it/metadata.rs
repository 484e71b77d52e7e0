//! The full metadata model: everything an NFO says is kept, every value records its source,
//! lists lock like scalar fields, and structured values are checked like text.

use crate::helpers::{Backend, TestApp};
use crate::scan::wait_for_scan;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::ScanPhase;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const FULL_NFO: &str = include_str!("../data/nfo/full.movie.nfo");
const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

/// A library with one folder per (name, NFO text), scanned to completion; the movies by title.
async fn scanned(app: &TestApp, root: &Path, folders: &[(&str, Option<&str>)]) -> Vec<Value> {
    for (name, nfo) in folders {
        let folder = root.join(name);
        std::fs::create_dir_all(&folder).expect("movie folder");
        std::fs::copy(SAMPLE_VIDEO, folder.join(format!("{name}.mp4"))).expect("video");
        if let Some(nfo) = nfo {
            std::fs::write(folder.join(format!("{name}.nfo")), nfo).expect("nfo");
        }
    }
    let library = libraries::create(&app.db, &LibraryInput::movies_at(root)).await.expect("library");
    let scan = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    assert_eq!(wait_for_scan(&app.db, scan.id, Duration::from_secs(60)).await.phase, ScanPhase::Completed);
    let (_, list) = app.get("/movies").await;
    let mut movies = Vec::new();
    for item in list["items"].as_array().expect("items") {
        let (_, detail) = app.get(&format!("/movies/{}", item["id"])).await;
        movies.push(detail);
    }
    movies
}

async fn every_nfo_field_is_kept_with_its_source(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let movies =
        scanned(&app, &root, &[("Big Buck Bunny (2008)", Some(FULL_NFO)), ("Heat (1995) {tmdb-949}", None)]).await;
    let buck = movies.iter().find(|m| m["title"] == "Big Buck Test").expect("the NFO's movie");
    assert_eq!(buck["original_title"], "Big Buck Original");
    assert_eq!(
        buck["ratings"],
        json!([
            { "source": "themoviedb", "value": 6.5, "max": 10.0, "votes": 1234, "default": true },
            { "source": "imdb", "value": 6.4, "max": 10.0, "votes": 9876, "default": false }
        ])
    );
    assert_eq!(buck["user_rating"], 8);
    assert_eq!(buck["top250"], 0);
    assert_eq!(buck["certification"], "Rated PG");
    assert_eq!(
        buck["uniqueids"],
        json!([
            { "type": "imdb", "value": "tt1254207", "default": false },
            { "type": "tmdb", "value": "10378", "default": true }
        ])
    );
    assert_eq!(buck["tmdb_id"], 10378);
    assert_eq!(buck["imdb_id"], "tt1254207");
    assert_eq!(buck["countries"], json!(["Netherlands"]));
    assert_eq!(buck["studios"], json!(["Blender Foundation"]));
    assert_eq!(buck["tags"], json!(["metarr-test"]));
    assert_eq!(
        buck["set"],
        json!({ "name": "Blender Open Movies", "overview": "Open movies by the Blender Foundation.", "tmdb_collection_id": null })
    );
    assert_eq!(buck["directors"], json!(["Sacha Goedegebure"]));
    assert_eq!(buck["writers"], json!(["Sacha Goedegebure"]));
    assert_eq!(
        buck["actors"],
        json!([{ "name": "Big Buck Bunny", "role": "Himself", "order": 0, "tmdb_id": null,
                 "profile": "https://image.tmdb.org/t/p/original/actor.jpg" }])
    );
    assert_eq!(buck["trailer"], "plugin://plugin.video.youtube/play/?video_id=YE7VzlLtp-4");
    assert_eq!(buck["release_date"], "2008-05-20");
    assert_eq!(buck["premiered"], "2008-05-20");
    assert_eq!(buck["date_added"], "2024-01-02 03:04:05");
    assert_eq!(buck["identification"], Value::Null, "not enriched yet");
    assert_eq!(buck["enriched_at"], Value::Null);
    assert_eq!(buck["field_sources"]["actors"], "nfo");
    assert_eq!(buck["field_sources"]["title"], "nfo");
    assert_eq!(buck["field_sources"].get("certifications"), None, "no value, no source");

    // Without an NFO, the folder's name gives title, year and id, and says so.
    let heat = movies.iter().find(|m| m["title"] == "Heat").expect("the named movie");
    assert_eq!((heat["year"].as_i64(), heat["tmdb_id"].as_i64()), (Some(1995), Some(949)));
    assert_eq!(heat["field_sources"], json!({ "title": "folder", "year": "folder", "tmdb_id": "folder" }));
    assert_eq!(heat["actors"], json!([]));
    assert_eq!(heat["set"], Value::Null);
    app.stop().await;
}
app_test!(every_nfo_field_is_kept_with_its_source);

async fn lists_and_structured_fields_edit_and_lock_like_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let movies = scanned(&app, &root, &[("Big Buck Bunny (2008)", Some(FULL_NFO))]).await;
    let id = movies[0]["id"].as_i64().expect("id");

    let cast = json!([{ "name": "Frank", "role": "Squirrel", "order": 1 }]);
    let (status, detail) = app
        .patch_json(
            &format!("/movies/{id}"),
            &json!({ "actors": cast, "studios": ["Blender Institute"],
                     "set": { "name": "Open Movies" }, "user_rating": 9 }),
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["actors"][0]["name"], "Frank");
    assert_eq!(detail["studios"], json!(["Blender Institute"]));
    assert_eq!(detail["set"]["name"], "Open Movies");
    for field in ["actors", "studios", "set", "user_rating"] {
        assert!(detail["locks"].as_array().expect("locks").contains(&json!(field)), "{field} locked: {detail}");
        assert_eq!(detail["field_sources"][field], "user");
    }

    // The NFO changes; a rescan keeps every locked list and updates the rest.
    let folder = root.join("Big Buck Bunny (2008)");
    let changed = FULL_NFO
        .replace("Blender Foundation</studio>", "Someone Else</studio>")
        .replace("<tag>metarr-test</tag>", "<tag>changed</tag>");
    std::fs::write(folder.join("Big Buck Bunny (2008).nfo"), changed).expect("nfo");
    let (status, job) = app.post(&format!("/movies/{id}/scan")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(crate::helpers::job_id(&job["id"]), metarr_queue::JobState::Completed).await;
    let (_, after) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(after["studios"], json!(["Blender Institute"]), "locked: {after}");
    assert_eq!(after["actors"][0]["name"], "Frank");
    assert_eq!(after["tags"], json!(["changed"]), "unlocked lists follow the NFO");

    // Unlocking a list lets the next scan replace it.
    let (status, _) = app.delete(&format!("/movies/{id}/locks/studios")).await;
    assert_eq!(status, 200);

    // Hostile structured values are refused, naming the field, and change nothing.
    let long = "x".repeat(5_000);
    let cases = [
        (json!({ "ratings": [{ "source": "imdb", "value": 12.0, "max": 10.0 }] }), "ratings"),
        (json!({ "ratings": [{ "source": "imdb" }] }), "ratings"),
        (json!({ "actors": [{ "name": "" }] }), "actors"),
        (json!({ "actors": [{ "name": long }] }), "actors"),
        (json!({ "actors": "Frank" }), "actors"),
        (json!({ "set": { "overview": "no name" } }), "set"),
        (json!({ "uniqueids": [{ "type": "tmdb", "value": "" }] }), "uniqueids"),
        (json!({ "user_rating": 11 }), "user_rating"),
        (json!({ "studios": vec!["s"; 101] }), "studios"),
        (json!({ "field_sources": {} }), "field_sources"),
    ];
    for (body, expected) in cases {
        let (status, answer) = app.patch_json(&format!("/movies/{id}"), &body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{body}: {message:?} should mention {expected:?}");
    }
    let (_, unchanged) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(unchanged["actors"], after["actors"]);
    assert_eq!(unchanged["user_rating"], 9);
    app.stop().await;
}
app_test!(lists_and_structured_fields_edit_and_lock_like_text);
