//! Publishing into a temporary library through the API, on both backends: names in each style,
//! unknown files untouched, no rewrite of unchanged files, no loop through the next scan, a
//! symlink out of the library refused, the recycle bin with restore, verification of missing
//! and externally changed files, a publish that runs again after a crash, bulk publishing, the
//! Radarr upgrade flow through the real webhook endpoint, the cache's garbage collection, and
//! hostile input on every route.

use crate::helpers::{Backend, TestApp, job_id};
use crate::webhooks::{fixture, library_and_mapping, post_raw, settled};
use metarr_artwork::sample;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

/// Artwork slots on (uploads are the only source: no TMDB key, and an image server nobody
/// listens on), so that nothing reaches the internet.
const ENV: &[(&str, &str)] = &[
    ("METARR_PROVIDERS__TMDB__IMAGE_BASE_URL", "http://127.0.0.1:9"),
    ("METARR_ARTWORK__LIMITS__POSTER", "1"),
    ("METARR_ARTWORK__LIMITS__FANART", "3"),
];

/// A library with one movie folder (`Film.2000.1080p.mp4`, an NFO from another tool with an
/// element Metarr does not model, and a file Metarr does not know), scanned.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    folder: PathBuf,
    library_id: i64,
    movie_id: i64,
}

const FOREIGN_NFO: &str = "<movie><title>Film</title><year>2000</year><plot>Old plot.</plot>\
    <custom source=\"tmm\">kept</custom><playcount>2</playcount></movie>";

async fn library(app: &TestApp) -> Fixture {
    let dir = tempfile::tempdir().expect("temporary library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical").join("Movies");
    let folder = root.join("Film (2000)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(SAMPLE_VIDEO, folder.join("Film.2000.1080p.mp4")).expect("video");
    std::fs::write(folder.join("Film.2000.1080p.nfo"), FOREIGN_NFO).expect("nfo");
    std::fs::write(folder.join("notes.txt"), "mine").expect("unknown file");
    let (status, library) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let library_id = library["id"].as_i64().expect("library id");
    scan(app, library_id).await;
    let (_, list) = app.get("/movies").await;
    let movie_id = list["items"][0]["id"].as_i64().expect("the movie");
    Fixture { _dir: dir, root, folder, library_id, movie_id }
}

/// Scans the library and waits for the scan to complete; returns the scan record.
async fn scan(app: &TestApp, library_id: i64) -> Value {
    let (status, scan) = app.post(&format!("/libraries/{library_id}/scan")).await;
    assert!(status == 202 || status == 200, "{status} {scan}");
    let id = scan["id"].as_i64().or_else(|| scan["scan"]["id"].as_i64()).expect("scan id");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, scan) = app.get(&format!("/scans/{id}")).await;
        if scan["phase"] == "completed" {
            return scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan did not complete: {scan}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn upload(app: &TestApp, movie_id: i64, slot: &str, bytes: Vec<u8>) {
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("art.jpg"));
    let (status, answer) =
        app.send(app.client.post(app.url(&format!("/movies/{movie_id}/artwork/{slot}/upload"))).multipart(form)).await;
    assert_eq!(status, 201, "{answer}");
}

fn jpeg(seed: u64) -> Vec<u8> {
    sample::jpeg(&sample::picture(seed, 400, 600), 85)
}

async fn publish(app: &TestApp, movie_id: i64) -> Value {
    let (status, report) = app.post(&format!("/movies/{movie_id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    report
}

fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        walk(folder).into_iter().map(|path| path.strip_prefix(folder).expect("inside").display().to_string()).collect();
    names.sort();
    names
}

fn walk(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).expect("list").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn action_of<'a>(report: &'a Value, name: &str) -> &'a str {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(&format!("/{name}"))))
        .and_then(|f| f["action"].as_str())
        .unwrap_or_else(|| panic!("{name} not in {report}"))
}

async fn put_library(app: &TestApp, fixture: &Fixture, settings: Value) {
    let mut body = json!({ "path": fixture.root.display().to_string() });
    for (key, value) in settings.as_object().expect("object") {
        body[key] = value.clone();
    }
    let (status, library) = app.put_json(&format!("/libraries/{}", fixture.library_id), &body).await;
    assert_eq!(status, 200, "{library}");
}

async fn publishes_under_each_style_and_keeps_what_is_not_its_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let id = fx.movie_id;
    upload(&app, id, "poster", jpeg(1)).await;
    upload(&app, id, "fanart", jpeg(2)).await;

    // The plan touches nothing.
    let (status, plan) = app.get(&format!("/movies/{id}/publish/plan")).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(action_of(&plan, "Film.2000.1080p.nfo"), "replace");
    assert_eq!(action_of(&plan, "poster.jpg"), "write");
    assert_eq!(action_of(&plan, "fanart.jpg"), "write");
    assert_eq!(names(&fx.folder), ["Film.2000.1080p.mp4", "Film.2000.1080p.nfo", "notes.txt"]);

    let report = publish(&app, id).await;
    assert_eq!((report["written"].as_u64(), report["replaced"].as_u64()), (Some(2), Some(1)), "{report}");
    assert_eq!(
        names(&fx.folder),
        ["Film.2000.1080p.mp4", "Film.2000.1080p.nfo", "fanart.jpg", "notes.txt", "poster.jpg"]
    );
    assert_eq!(std::fs::read(fx.folder.join("poster.jpg")).expect("poster"), jpeg(1));
    assert_eq!(std::fs::read_to_string(fx.folder.join("notes.txt")).expect("unknown file"), "mine");
    let nfo = std::fs::read_to_string(fx.folder.join("Film.2000.1080p.nfo")).expect("nfo");
    // Another tool's elements survive; the catalogue's values and the stream details are in.
    assert!(nfo.contains("<custom source=\"tmm\">kept</custom>") && nfo.contains("<playcount>2</playcount>"), "{nfo}");
    assert!(nfo.contains("<plot>Old plot.</plot>") && nfo.contains("<streamdetails>"), "{nfo}");
    assert!(nfo.contains("<codec>h264</codec>"), "{nfo}");
    // No temporary file is left behind.
    assert!(!names(&fx.folder).iter().any(|n| n.contains(".metarr-")));
    // The replaced NFO is in the recycle bin.
    let (_, bin) = app.get(&format!("/recycle-bin?movie_id={id}")).await;
    assert_eq!(bin["total"], 1, "{bin}");
    assert_eq!(bin["items"][0]["reason"], "replaced");

    // Kodi style, with movie.nfo: the old names go to the recycle bin, the unknown file stays.
    put_library(&app, &fx, json!({ "publish_options": { "artwork_style": "kodi", "movie_nfo": true } })).await;
    let report = publish(&app, id).await;
    assert_eq!(report["recycled"], 2, "{report}");
    assert_eq!(
        names(&fx.folder),
        [
            "Film.2000.1080p-fanart.jpg",
            "Film.2000.1080p-poster.jpg",
            "Film.2000.1080p.mp4",
            "Film.2000.1080p.nfo",
            "movie.nfo",
            "notes.txt"
        ]
    );
    let (_, bin) = app.get(&format!("/recycle-bin?movie_id={id}")).await;
    assert_eq!(bin["total"], 3, "{bin}");

    // Extra fanart in extrafanart/.
    upload(&app, id, "fanart", jpeg(3)).await;
    put_library(&app, &fx, json!({ "publish_options": { "extrafanart": true } })).await;
    publish(&app, id).await;
    let now = names(&fx.folder);
    assert!(now.contains(&"fanart.jpg".to_owned()) && now.contains(&"extrafanart/fanart1.jpg".to_owned()), "{now:?}");
    app.stop().await;
}
app_test!(publishes_under_each_style_and_keeps_what_is_not_its_own);

async fn an_unchanged_movie_is_not_rewritten_and_the_next_scan_sees_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let id = fx.movie_id;
    upload(&app, id, "poster", jpeg(1)).await;
    publish(&app, id).await;
    let stamps = |folder: &Path| -> Vec<(String, std::time::SystemTime, u64)> {
        walk(folder)
            .into_iter()
            .map(|p| {
                let m = std::fs::metadata(&p).expect("metadata");
                (p.display().to_string(), m.modified().expect("mtime"), std::os::unix::fs::MetadataExt::ino(&m))
            })
            .collect()
    };
    let before = stamps(&fx.folder);
    let report = publish(&app, id).await;
    assert_eq!(report["bytes_written"], 0, "{report}");
    assert_eq!(report["written"], 0);
    assert_eq!(report["replaced"], 0);
    assert_eq!(report["player_refreshes"], 0);
    assert_eq!(stamps(&fx.folder), before, "nothing was touched");

    // The next scan finds the folder as it recorded it: no update, nothing to cache.
    let (_, movie_before) = app.get(&format!("/movies/{id}")).await;
    let scan = scan(&app, fx.library_id).await;
    assert_eq!((scan["movies_updated"].as_i64(), scan["assets_queued"].as_i64()), (Some(0), Some(0)), "{scan}");
    let (_, movie_after) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie_before["plot"], movie_after["plot"]);
    // And publishing after that scan still writes nothing.
    assert_eq!(publish(&app, id).await["bytes_written"], 0);

    // A publish that ran again after a crash between writing and recording: the files are
    // there, the records are not. It records them and writes nothing.
    app.db.execute("DELETE FROM published_files", &[]).await.expect("forget the records");
    let report = publish(&app, id).await;
    assert_eq!(report["bytes_written"], 0, "{report}");
    assert_eq!(report["kept"].as_u64(), Some(2), "{report}");
    let (_, published) = app.get(&format!("/movies/{id}/published")).await;
    assert_eq!(published["total"], 2, "{published}");
    assert!(published["items"].as_array().expect("items").iter().all(|f| f["state"] == "in_sync"), "{published}");
    app.stop().await;
}
app_test!(an_unchanged_movie_is_not_rewritten_and_the_next_scan_sees_nothing);

async fn a_link_out_of_the_library_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let id = fx.movie_id;
    upload(&app, id, "poster", jpeg(1)).await;
    let outside = tempfile::tempdir().expect("outside");
    let target = outside.path().join("victim.jpg");
    std::fs::write(&target, "precious").expect("victim");
    std::os::unix::fs::symlink(&target, fx.folder.join("poster.jpg")).expect("link");
    let (status, answer) = app.post(&format!("/movies/{id}/publish")).await;
    assert_eq!(status, 409, "{answer}");
    let message = answer["error"]["message"].as_str().expect("message");
    assert!(message.contains("poster.jpg") && message.contains("victim.jpg"), "{message}");
    assert_eq!(std::fs::read_to_string(&target).expect("victim"), "precious");
    // The dry run says the same.
    let (status, _) = app.get(&format!("/movies/{id}/publish/plan")).await;
    assert_eq!(status, 409);
    app.stop().await;
}
app_test!(a_link_out_of_the_library_is_refused);

async fn the_recycle_bin_restores_and_asks_before_replacing(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let id = fx.movie_id;
    publish(&app, id).await;
    let nfo_path = fx.folder.join("Film.2000.1080p.nfo");
    let published = std::fs::read(&nfo_path).expect("published nfo");
    let (_, bin) = app.get("/recycle-bin").await;
    let entry = bin["items"][0].clone();
    assert_eq!(entry["path"], nfo_path.display().to_string());
    let entry_id = entry["id"].as_i64().expect("id");

    // Another file is there now (Metarr's): restoring needs force.
    let (status, answer) = app.post(&format!("/recycle-bin/{entry_id}/restore")).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(std::fs::read(&nfo_path).expect("nfo"), published, "nothing changed");
    let (status, restored) =
        app.post_json(&format!("/recycle-bin/{entry_id}/restore"), &json!({ "force": true })).await;
    assert_eq!(status, 200, "{restored}");
    assert!(restored["restored_at"].is_string(), "{restored}");
    assert_eq!(std::fs::read_to_string(&nfo_path).expect("nfo"), FOREIGN_NFO);
    // What it says is the movie's now, and it is what is published there: a verification
    // finds it in sync rather than changed elsewhere.
    let (_, states) = app.get(&format!("/movies/{id}/published")).await;
    assert_eq!(states["items"][0]["state"], "in_sync", "{states}");
    let (_, run) = app.post(&format!("/movies/{id}/verify")).await;
    assert_eq!((run["in_sync"].as_i64(), run["imported"].as_i64()), (Some(1), Some(0)), "{run}");
    assert_eq!(std::fs::read_to_string(&nfo_path).expect("nfo"), FOREIGN_NFO);
    // Metarr's NFO it replaced went to the bin in turn.
    let (_, bin) = app.get("/recycle-bin").await;
    assert_eq!(bin["items"][0]["reason"], "restored", "{bin}");
    // Restoring twice is refused; unknown and malformed ids too.
    let (status, _) = app.post_json(&format!("/recycle-bin/{entry_id}/restore"), &json!({ "force": true })).await;
    assert_eq!(status, 409);
    let (status, _) = app.post("/recycle-bin/999999/restore").await;
    assert_eq!(status, 404);
    let (status, _) = app.post("/recycle-bin/abc/restore").await;
    assert_eq!(status, 400);
    let (status, answer) = app
        .send(
            app.client
                .post(app.url(&format!("/recycle-bin/{entry_id}/restore")))
                .header("Content-Type", "application/json")
                .body("{\"force\": tru"),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = app.post_json(&format!("/recycle-bin/{entry_id}/restore"), &json!({ "forse": true })).await;
    assert_eq!(status, 400);

    // Purge one, then all.
    let (_, bin) = app.get("/recycle-bin?include_restored=true").await;
    let total = bin["total"].as_i64().expect("total");
    let (status, _) = app.delete(&format!("/recycle-bin/{entry_id}")).await;
    assert_eq!(status, 204);
    let (status, _) = app.delete(&format!("/recycle-bin/{entry_id}")).await;
    assert_eq!(status, 404);
    let (_, bin) = app.get("/recycle-bin?include_restored=true").await;
    assert_eq!(bin["total"].as_i64(), Some(total - 1));
    let (status, purged) = app.delete("/recycle-bin").await;
    assert_eq!(status, 200, "{purged}");
    let (_, bin) = app.get("/recycle-bin?include_restored=true").await;
    assert_eq!(bin["total"], 0);
    for bad in ["/recycle-bin?limit=0", "/recycle-bin?movie=1", "/recycle-bin?offset=-1", "/recycle-bin?movie_id=x"] {
        let (status, answer) = app.get(bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    app.stop().await;
}
app_test!(the_recycle_bin_restores_and_asks_before_replacing);

async fn verification_restores_missing_files_and_imports_changes(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let id = fx.movie_id;
    upload(&app, id, "poster", jpeg(1)).await;
    upload(&app, id, "fanart", jpeg(2)).await;
    publish(&app, id).await;
    let nfo_path = fx.folder.join("Film.2000.1080p.nfo");

    // Everything in sync: a run that changes nothing.
    let (status, run) = app.post(&format!("/movies/{id}/verify")).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(
        (run["in_sync"].as_i64(), run["restored"].as_i64(), run["imported"].as_i64()),
        (Some(3), Some(0), Some(0))
    );

    // Discord hears of runs that restored or imported something.
    let discord = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&discord)
        .await;
    let (status, service) = app
        .put_json(
            "/notifications/discord",
            &json!({ "enabled": true, "events": ["verification_completed"],
                     "settings": { "webhook_url": format!("{}/api/webhooks/1/token", discord.uri()) } }),
        )
        .await;
    assert_eq!(status, 200, "{service}");

    // The poster goes, another program edits the NFO's plot and adds its own element, and the
    // fanart is replaced by another picture.
    std::fs::remove_file(fx.folder.join("poster.jpg")).expect("delete poster");
    let edited = std::fs::read_to_string(&nfo_path)
        .expect("nfo")
        .replace("<plot>Old plot.</plot>", "<plot>A new plot, written by hand.</plot>")
        .replace("</movie>", "<handmade>yes</handmade></movie>");
    std::fs::write(&nfo_path, &edited).expect("edit nfo");
    std::fs::write(fx.folder.join("fanart.jpg"), jpeg(9)).expect("replace fanart");
    let (_, states) = app.get(&format!("/movies/{id}/published")).await;
    let state_of = |name: &str| {
        states["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .map(|f| f["state"].clone())
            .expect("file")
    };
    assert_eq!(state_of("poster.jpg"), "missing");
    assert_eq!(state_of(".nfo"), "changed_elsewhere");
    assert_eq!(state_of("fanart.jpg"), "changed_elsewhere");

    let (status, run) = app.post(&format!("/movies/{id}/verify")).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(
        (run["restored"].as_i64(), run["imported"].as_i64(), run["errors"].as_i64()),
        (Some(1), Some(2), Some(0)),
        "{run}"
    );
    // The poster is back from the cache, byte for byte.
    assert_eq!(std::fs::read(fx.folder.join("poster.jpg")).expect("poster back"), jpeg(1));
    // The hand-written plot is the movie's now, and the NFO keeps it with the other program's element.
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["plot"], "A new plot, written by hand.");
    assert_eq!(movie["field_sources"]["plot"], "nfo");
    let nfo = std::fs::read_to_string(&nfo_path).expect("nfo");
    assert!(nfo.contains("A new plot, written by hand.") && nfo.contains("<handmade>yes</handmade>"), "{nfo}");
    // The new fanart was not overwritten: it is the slot's image now, and the slot is locked.
    assert_eq!(std::fs::read(fx.folder.join("fanart.jpg")).expect("fanart"), jpeg(9));
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let fanart =
        artwork["slots"].as_array().expect("slots").iter().find(|s| s["slot"] == "fanart").cloned().expect("fanart");
    assert_eq!(fanart["selected"][0]["source"], "local", "{fanart}");
    assert_eq!(fanart["locked"], true);
    // Everything is in sync afterwards, and the runs are listed.
    let (_, states) = app.get(&format!("/movies/{id}/published")).await;
    assert!(states["items"].as_array().expect("items").iter().all(|f| f["state"] == "in_sync"), "{states}");
    let (_, runs) = app.get("/verifications").await;
    assert_eq!(runs["total"], 2, "{runs}");
    let run_id = runs["items"][0]["id"].as_i64().expect("run id");
    let (status, one) = app.get(&format!("/verifications/{run_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["details"].as_array().map(Vec::len), Some(3), "{one}");
    let (status, _) = app.get("/verifications/999999").await;
    assert_eq!(status, 404);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let message = loop {
        let requests = discord.received_requests().await.unwrap_or_default();
        if let Some(request) = requests.first() {
            break String::from_utf8_lossy(&request.body).into_owned();
        }
        assert!(tokio::time::Instant::now() < deadline, "no verification_completed notification");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(message.contains("restored 1 file(s) and imported 2 change(s)"), "{message}");

    // The library-wide job: queued, run, recorded.
    let (status, job) = app.post_json("/verify", &json!({ "library_id": fx.library_id })).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(app.wait_for_state(job_id(&job["id"]), JobState::Completed).await.state, JobState::Completed);
    let (_, runs) = app.get("/verifications").await;
    assert_eq!(runs["total"], 3, "{runs}");
    assert_eq!(runs["items"][0]["in_sync"], 3, "{runs}");
    // The weekly schedule verifies every library through the same job.
    let (_, schedules) = app.get("/schedules").await;
    let verification = schedules["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|schedule| schedule["name"] == "verification")
        .cloned()
        .expect("the verification schedule");
    assert_eq!((verification["cron"].as_str(), verification["enabled"].as_bool()), (Some("0 4 * * 0"), Some(true)));
    let (status, job) = app.post("/schedules/verification/run").await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "scheduled-verification");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    crate::enrich::wait_for_kind(&app, "verify").await;
    let (_, runs) = app.get("/verifications").await;
    assert_eq!(runs["total"], 4, "{runs}");
    assert_eq!(runs["items"][0]["cause"], "schedule", "{runs}");
    assert_eq!(runs["items"][0]["library_id"], Value::Null, "every library: {runs}");
    let (status, _) = app.post_json("/verify", &json!({ "library_id": 999999 })).await;
    assert_eq!(status, 404);
    let (status, _) = app.post_json("/verify", &json!({ "library": 1 })).await;
    assert_eq!(status, 400);
    app.stop().await;
}
app_test!(verification_restores_missing_files_and_imports_changes);

async fn bulk_publishing_queues_batches_and_skips_libraries_that_do_not_publish(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let (status, answer) = app.post_json("/publish", &json!({ "library_id": fx.library_id })).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["queued"], 1);
    crate::enrich::wait_for_kind(&app, "publish-batch").await;
    assert!(fx.folder.join("Film.2000.1080p.nfo").is_file());
    let (_, published) = app.get(&format!("/movies/{}/published", fx.movie_id)).await;
    assert_eq!(published["total"], 1, "{published}");

    put_library(&app, &fx, json!({ "publish": "off" })).await;
    let (status, answer) = app.post_json("/publish", &json!({ "movie_ids": [fx.movie_id] })).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!((answer["queued"].as_u64(), answer["skipped_off"].as_u64()), (Some(0), Some(1)));
    let (status, answer) = app.post(&format!("/movies/{}/publish", fx.movie_id)).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["error"]["message"].as_str().expect("message").contains("publishing is off"), "{answer}");

    for (body, expected) in [
        (json!({}), 400),
        (json!({ "library_id": fx.library_id, "movie_ids": [1] }), 400),
        (json!({ "movie_ids": [] }), 400),
        (json!({ "movie_ids": [999999] }), 404),
        (json!({ "library_id": 999999 }), 404),
        (json!({ "movie_ids": ["x"] }), 400),
        (json!({ "library": 1 }), 400),
    ] {
        let (status, answer) = app.post_json("/publish", &body).await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
    for path in ["/movies/999999/publish", "/movies/999999/publish/plan", "/movies/999999/published"] {
        let (status, _) = if path.ends_with("/publish") { app.post(path).await } else { app.get(path).await };
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = app.post("/movies/abc/publish").await;
    assert_eq!(status, 400);
    app.stop().await;
}
app_test!(bulk_publishing_queues_batches_and_skips_libraries_that_do_not_publish);

async fn an_auto_library_publishes_after_an_artwork_change(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    put_library(&app, &fx, json!({ "publish": "auto" })).await;
    upload(&app, fx.movie_id, "poster", jpeg(5)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !fx.folder.join("poster.jpg").is_file() {
        assert!(tokio::time::Instant::now() < deadline, "the auto publish did not write the poster");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    crate::enrich::wait_for_kind(&app, "publish").await;
    assert_eq!(std::fs::read(fx.folder.join("poster.jpg")).expect("poster"), jpeg(5));
    app.stop().await;
}
app_test!(an_auto_library_publishes_after_an_artwork_change);

/// Radarr's upgrade: it deletes the old video with its NFO and artwork, imports the new file
/// under a new name, and sends `MovieFileDelete` (reason `upgrade`) and `Download`
/// (`isUpgrade`). Metarr puts the NFO back under the new video's name with the new file's
/// stream details, and the folder-style artwork under its own name.
async fn a_radarr_upgrade_gets_its_nfo_and_artwork_back(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let (_dir, root) = crate::webhooks::library_with_movie();
    library_and_mapping(&app, &root).await;
    let folder = root.join("Big Buck Bunny (2008)");
    let (status, answer) = post_raw(&app, "radarr", fixture("radarr-download-upgrade.json")).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    app.wait_for_state(crate::webhooks::scan_movie_job(&app, &entry).await, JobState::Completed).await;
    let (_, list) = app.get("/movies").await;
    let id = list["items"][0]["id"].as_i64().expect("movie");
    upload(&app, id, "poster", jpeg(1)).await;
    publish(&app, id).await;
    let old_nfo = folder.join("Big Buck Bunny (2008) Bluray-1080p.nfo");
    assert!(old_nfo.is_file() && folder.join("poster.jpg").is_file());

    // Radarr upgrades: the old file and its extras go, the new file comes.
    for name in ["Big Buck Bunny (2008) Bluray-1080p.mp4", "Big Buck Bunny (2008) Bluray-1080p.nfo", "poster.jpg"] {
        std::fs::remove_file(folder.join(name)).expect("Radarr deletes");
    }
    std::fs::copy(SAMPLE_VIDEO, folder.join("Big Buck Bunny (2008) Remux-2160p.mp4")).expect("new video");
    let delete = fixture("radarr-moviefiledelete.json").replace("\"manual\"", "\"upgrade\"");
    let (status, _) = post_raw(&app, "radarr", delete).await;
    assert_eq!(status, 202);
    let mut download: Value = serde_json::from_str(&fixture("radarr-download-upgrade.json")).expect("fixture");
    download["movieFile"]["path"] = json!("/movies/Big Buck Bunny (2008)/Big Buck Bunny (2008) Remux-2160p.mp4");
    download["movieFile"]["relativePath"] = json!("Big Buck Bunny (2008) Remux-2160p.mp4");
    let (status, answer) = post_raw(&app, "radarr", download.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    app.wait_for_state(crate::webhooks::scan_movie_job(&app, &entry).await, JobState::Completed).await;

    let new_nfo = folder.join("Big Buck Bunny (2008) Remux-2160p.nfo");
    assert!(new_nfo.is_file(), "{:?}", names(&folder));
    assert!(!old_nfo.exists(), "the old name is not brought back");
    assert_eq!(std::fs::read(folder.join("poster.jpg")).expect("poster back"), jpeg(1));
    let nfo = std::fs::read_to_string(&new_nfo).expect("nfo");
    assert!(nfo.contains("<title>Big Buck Bunny</title>") && nfo.contains("<streamdetails>"), "{nfo}");
    let (_, published) = app.get(&format!("/movies/{id}/published")).await;
    let paths: Vec<&str> =
        published["items"].as_array().expect("items").iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths.len(), 2, "{published}");
    assert!(paths.iter().all(|p| !p.contains("Bluray-1080p")), "{published}");
    // The upgrade's delete queued a verification for later, in case no Download came.
    let (_, jobs) = app.get("/jobs?kind=verify-movie").await;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(1), "{jobs}");
    app.stop().await;
}
app_test!(a_radarr_upgrade_gets_its_nfo_and_artwork_back);

/// The cleanup forgets expired recycle-bin entries and then deletes cached bytes nothing
/// refers to, keeping what is referenced and what is younger than the grace period.
async fn the_cleanup_collects_unreferenced_cache_blobs(backend: Backend) {
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    upload(&app, fx.movie_id, "poster", jpeg(1)).await;
    publish(&app, fx.movie_id).await;
    let cache = app.data_dir.path().join("cache");
    let blob = |sha: &str, ext: &str| cache.join(&sha[..2]).join(&sha[2..4]).join(format!("{sha}.{ext}"));
    let orphan_sha = "ab".repeat(32);
    let young_sha = "cd".repeat(32);
    for sha in [&orphan_sha, &young_sha] {
        std::fs::create_dir_all(blob(sha, "jpg").parent().expect("parent")).expect("dirs");
        std::fs::write(blob(sha, "jpg"), b"orphan").expect("orphan");
    }
    let old = std::time::SystemTime::now() - Duration::from_secs(3 * 3600);
    std::fs::File::options().write(true).open(blob(&orphan_sha, "jpg")).expect("open").set_modified(old).expect("age");
    // Every referenced blob is old too: age is not what keeps them.
    let referenced: Vec<PathBuf> = walk(&cache)
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(&orphan_sha) && !p.to_string_lossy().contains(&young_sha))
        .collect();
    assert!(!referenced.is_empty());
    for path in &referenced {
        std::fs::File::options().write(true).open(path).expect("open").set_modified(old).expect("age");
    }
    let (status, job) = app.post("/schedules/cleanup/run").await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    assert!(!blob(&orphan_sha, "jpg").exists(), "the old orphan is collected");
    assert!(blob(&young_sha, "jpg").exists(), "a young blob stays");
    for path in &referenced {
        assert!(path.exists(), "{} is referenced and stays", path.display());
    }
    app.stop().await;
}
app_test!(the_cleanup_collects_unreferenced_cache_blobs);

/// The options that write more: the cast's cached headshots in `.actors/`, and Jellyfin's
/// `<lockedfields>` from Metarr's locks.
async fn actor_images_and_jellyfin_locks_are_published_when_asked(backend: Backend) {
    use sha2::Digest;
    let app = TestApp::spawn_with(backend, ENV).await;
    let fx = library(&app).await;
    let id = fx.movie_id;
    put_library(&app, &fx, json!({ "publish_options": { "actor_images": true, "jellyfin_locks": true } })).await;
    // An edit locks the plot and the cast; one actor's headshot is cached, one actor's name is hostile.
    let (status, movie) = app
        .patch_json(
            &format!("/movies/{id}"),
            &json!({ "plot": "Edited.", "actors": [
                { "name": "Brad Pitt", "role": "Tyler Durden", "order": 0, "tmdb_id": 287 },
                { "name": "../../Escape", "role": "Nobody", "order": 1, "tmdb_id": 288 }
            ] }),
        )
        .await;
    assert_eq!(status, 200, "{movie}");
    let headshot = sample::jpeg(&sample::picture(287, 185, 278), 80);
    let escape = sample::jpeg(&sample::picture(288, 185, 278), 80);
    for (person, bytes) in [(287, &headshot), (288, &escape)] {
        let sha = format!("{:x}", sha2::Sha256::digest(bytes));
        let blob = app.data_dir.path().join("cache").join(&sha[..2]).join(&sha[2..4]).join(format!("{sha}.jpg"));
        std::fs::create_dir_all(blob.parent().expect("parent")).expect("cache folder");
        std::fs::write(&blob, bytes).expect("cached headshot");
        app.db
            .execute(
                "INSERT INTO person_images (tmdb_person_id, url, sha256, ext, updated_at) VALUES ($1, $2, $3, 'jpg', 0)",
                &[i64::from(person).into(), format!("https://image.tmdb.org/t/p/w185/{person}.jpg").into(), sha.into()],
            )
            .await
            .expect("person image");
    }
    publish(&app, id).await;
    assert_eq!(std::fs::read(fx.folder.join(".actors/Brad_Pitt.jpg")).expect("headshot"), headshot);
    assert_eq!(std::fs::read(fx.folder.join(".actors/_.._Escape.jpg")).expect("hostile name kept inside"), escape);
    assert!(!fx.root.join("Escape.jpg").exists() && !fx.folder.join("Escape.jpg").exists());
    let nfo = std::fs::read_to_string(fx.folder.join("Film.2000.1080p.nfo")).expect("nfo");
    assert!(nfo.contains("<lockedfields>") && nfo.contains("Overview") && nfo.contains("Cast"), "{nfo}");
    assert!(nfo.contains("<role>Tyler Durden</role>"), "{nfo}");
    // The next scan sees the headshots as the files they are, unchanged.
    let scan = scan(&app, fx.library_id).await;
    assert_eq!(scan["movies_updated"], 0, "{scan}");
    app.stop().await;
}
app_test!(actor_images_and_jellyfin_locks_are_published_when_asked);
