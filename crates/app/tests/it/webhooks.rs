//! Radarr and Sonarr webhooks through the real HTTP endpoint: every fixture payload, variants,
//! hostile input, authentication, a Download that lands in a library and is scanned, and a
//! burst of 1,000 webhooks for 50 folders.

use crate::helpers::{Backend, TestApp, job_id};
use metarr_queue::{JobId, JobState, ListFilter};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/arr-webhooks/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {path}: {err}"))
}

/// Posts a raw body with the API key header.
pub async fn post_raw(app: &TestApp, source: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let request =
        app.client.post(app.url(&format!("/webhooks/{source}"))).header("Content-Type", "application/json").body(body);
    app.send(request).await
}

/// Waits until the webhook log entry has an outcome other than `queued`.
pub async fn settled(app: &TestApp, id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, entry) = app.get(&format!("/webhooks/events/{id}")).await;
        assert_eq!(status, 200, "{entry}");
        if entry["outcome"] != "queued" {
            return entry;
        }
        assert!(tokio::time::Instant::now() < deadline, "webhook event {id} stayed queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A canonical temporary library root holding one real movie folder (video + NFO).
pub fn library_with_movie() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical").join("Movies");
    let folder = root.join("Big Buck Bunny (2008)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(SAMPLE_VIDEO, folder.join("Big Buck Bunny (2008) Bluray-1080p.mp4")).expect("copy video");
    std::fs::write(
        folder.join("Big Buck Bunny (2008) Bluray-1080p.nfo"),
        "<movie><title>Big Buck Bunny</title><year>2008</year><uniqueid type=\"tmdb\">10378</uniqueid></movie>",
    )
    .expect("write NFO");
    (dir, root)
}

/// Creates a library at `root` and a mapping from Radarr's `/movies` to it.
pub async fn library_and_mapping(app: &TestApp, root: &Path) -> i64 {
    let (status, library) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let (status, mapping) = app
        .post_json("/path-mappings", &json!({ "remote_path": "/movies", "local_path": root.display().to_string() }))
        .await;
    assert_eq!(status, 201, "{mapping}");
    library["id"].as_i64().expect("library id")
}

async fn every_fixture_is_accepted_and_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases: &[(&str, &str, u16, &str)] = &[
        ("radarr", "radarr-test.json", 200, "test received from Radarr"),
        ("radarr", "radarr-download-upgrade.json", 202, "no library contains /movies/Big Buck Bunny (2008)"),
        ("radarr", "radarr-health.json", 202, "recorded: health issue"),
        ("radarr", "radarr-movieadded.json", 202, "recorded: Sintel (2010) added to Radarr"),
        ("radarr", "radarr-moviedelete.json", 202, "no movie recorded at /movies/Big Buck Bunny (2008)"),
        ("radarr", "radarr-moviefiledelete.json", 202, "was not in the catalogue (reason: manual)"),
        ("radarr", "radarr-rename.json", 202, "0 of 1 renamed file path(s) updated; no rescan: no library contains"),
        ("sonarr", "sonarr-test.json", 200, "test received from Sonarr"),
        ("sonarr", "sonarr-download-importcomplete.json", 202, "no library contains /tv/Example Show"),
    ];
    for (source, name, expected_status, expected_outcome) in cases {
        let body = fixture(name);
        let (status, answer) = post_raw(&app, source, body.clone()).await;
        assert_eq!(status, *expected_status, "{name}: {answer}");
        let id = answer["id"].as_i64().expect("log id");
        let entry = settled(&app, id).await;
        assert_eq!(entry["source"], *source, "{name}");
        assert_eq!(entry["body"], body, "{name}: the raw body is kept");
        assert!(entry["received_at"].is_string(), "{entry}");
        let outcome = entry["outcome"].as_str().expect("outcome");
        assert!(outcome.contains(expected_outcome), "{name}: outcome {outcome:?}");
        let job_ids = entry["job_ids"].as_array().expect("job ids");
        if *expected_status == 200 {
            assert!(job_ids.is_empty(), "{name}: a test creates no job");
        } else {
            // The webhook-received job, which completed.
            let job = app.queue.get(job_id(&job_ids[0])).await.expect("job");
            assert_eq!(job.kind, "webhook-received", "{name}");
        }
    }
    let (_, download) = app.get("/webhooks/events?limit=100").await;
    assert_eq!(download["total"], 9);
    let items = download["items"].as_array().expect("items");
    assert_eq!(items[0]["event_type"], "Download", "newest first");
    assert_eq!(items[8]["event_type"], "Test");
    assert_eq!(items[1]["event_type"], "Test");
    let sonarr = &items[0];
    assert_eq!(sonarr["source"], "sonarr");
    let (_, page) = app.get("/webhooks/events?limit=2&offset=2").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["total"], 9);
    assert_eq!(page["items"][0]["id"], items[2]["id"]);
    let (status, missing) = app.get("/webhooks/events/999999").await;
    assert_eq!(status, 404, "{missing}");
    app.stop().await;
}
app_test!(every_fixture_is_accepted_and_logged);

async fn variants_in_any_order_with_unknown_fields_are_understood(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // eventType first, unknown fields everywhere, nulls present (Newtonsoft omits them, others may not).
    let reordered = r#"{"eventType":"Download","instanceName":"R","brandNew":{"nested":[1,{"x":null}]},
        "isUpgrade":false,"deletedFiles":[],"movieFile":{"path":"/elsewhere/X (2001)/x.mkv","future":true},
        "movie":{"title":"X","year":2001,"folderPath":"/elsewhere/X (2001)","tmdbId":0,"imdbId":null}}"#;
    let (status, answer) = post_raw(&app, "radarr", reordered).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("no library contains /elsewhere/X (2001)"));

    // Sonarr's per-file Download shape.
    let per_file = r#"{"series":{"id":1,"title":"Show","path":"/tv/Show"},"episodes":[{"id":1,"episodeNumber":1}],
        "episodeFile":{"id":9,"path":"/tv/Show/S01E01.mkv"},"isUpgrade":false,"eventType":"Download"}"#;
    let (status, answer) = post_raw(&app, "sonarr", per_file).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("no library contains /tv/Show"), "{entry}");

    // Sonarr's Health notifies like Radarr's.
    let health = r#"{"level":"error","message":"disk full","type":"DiskSpaceCheck","eventType":"Health"}"#;
    let (status, answer) = post_raw(&app, "sonarr", health).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert_eq!(entry["outcome"], "recorded: health issue");

    // An event type Metarr does not know: stored, 202, ignored, no job.
    let (status, answer) = post_raw(&app, "radarr", r#"{"eventType":"MovieTeleported","movie":{}}"#).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["outcome"], "ignored");
    assert_eq!(answer["job_ids"], json!([]));
    let (_, entry) = app.get(&format!("/webhooks/events/{}", answer["id"])).await;
    assert_eq!(entry["event_type"], "MovieTeleported");
    assert_eq!(entry["outcome"], "ignored");
    app.stop().await;
}
app_test!(variants_in_any_order_with_unknown_fields_are_understood);

async fn hostile_input_is_refused_clearly_and_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "the body is empty"),
        ("not JSON", b"eventType=Download".to_vec(), "invalid JSON"),
        ("invalid UTF-8", b"{\"eventType\":\"Test\",\"x\":\"\xff\xfe\"}".to_vec(), "invalid JSON"),
        ("deeply nested", deep.into_bytes(), "recursion limit exceeded"),
        ("not an object", b"[1,2,3]".to_vec(), "not a JSON object"),
        ("no eventType", b"{\"movie\":{}}".to_vec(), "missing field `eventType`"),
        ("eventType not a string", b"{\"eventType\":5}".to_vec(), "`eventType` must be a string"),
        (
            "missing field",
            br#"{"eventType":"Download","movieFile":{"path":"/m/a.mkv"}}"#.to_vec(),
            "invalid Download payload: missing field `movie`",
        ),
        (
            "wrong type",
            br#"{"eventType":"Download","movie":{"title":"A"},"movieFile":{},"isUpgrade":"yes"}"#.to_vec(),
            "invalid type: string \"yes\", expected a boolean",
        ),
        (
            "deletedFiles as array in MovieDelete",
            br#"{"eventType":"MovieDelete","movie":{"title":"A"},"deletedFiles":[]}"#.to_vec(),
            "expected a boolean",
        ),
    ];
    for (name, body, expected) in cases {
        let (status, answer) = post_raw(&app, "radarr", body.clone()).await;
        assert_eq!(status, 400, "{name}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{name}: {message:?}");
        let id = answer["webhook_event_id"].as_i64().expect("the refused request is logged");
        let (_, entry) = app.get(&format!("/webhooks/events/{id}")).await;
        assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("rejected: "), "{name}: {entry}");
        assert_eq!(entry["body"], String::from_utf8_lossy(&body).as_ref(), "{name}: body kept (lossily)");
        assert_eq!(entry["job_ids"], json!([]));
    }

    // Over the limit: 413, and the first MAX_BODY_BYTES are kept.
    let oversized = format!("{{\"eventType\":\"Test\",\"pad\":\"{}\"}}", "x".repeat(metarr::routes::MAX_BODY_BYTES));
    let (status, answer) = post_raw(&app, "radarr", oversized).await;
    assert_eq!(status, 413, "{answer}");
    let id = answer["webhook_event_id"].as_i64().expect("logged");
    let (_, entry) = app.get(&format!("/webhooks/events/{id}")).await;
    assert_eq!(entry["body"].as_str().map(str::len), Some(metarr::routes::MAX_BODY_BYTES));

    // Any content type: the body is JSON whatever the header says (see routes/webhooks.rs).
    let request = app
        .client
        .post(app.url("/webhooks/radarr"))
        .header("Content-Type", "text/plain")
        .body(fixture("radarr-test.json"));
    let (status, answer) = app.send(request).await;
    assert_eq!(status, 200, "{answer}");
    let request = app.client.post(app.url("/webhooks/radarr")).body(fixture("radarr-health.json"));
    let (status, answer) = app.send(request).await;
    assert_eq!(status, 202, "no content type at all: {answer}");
    app.stop().await;
}
app_test!(hostile_input_is_refused_clearly_and_recorded);

async fn webhooks_need_the_key_or_basic_credentials(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("METARR_WEBHOOK_USERNAME", "radarr"), ("METARR_WEBHOOK_PASSWORD", "s3cret-pass")],
    )
    .await;
    let url = app.url("/webhooks/radarr");
    let body = fixture("radarr-test.json");

    let response = app.client.post(&url).body(body.clone()).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 401);
    let answer: Value = response.json().await.expect("JSON error");
    assert_eq!(answer["error"]["code"], "unauthorized");

    let response = app.client.post(&url).header("X-Api-Key", "wrong-key-wrong-key").body(body.clone()).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 401);
    let response = app.client.post(&url).basic_auth("radarr", Some("wrong")).body(body.clone()).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 401);
    let response = app.client.post(&url).basic_auth("sonarr", Some("s3cret-pass")).body(body.clone()).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 401);

    // Unauthenticated requests are not logged.
    let (_, log) = app.get("/webhooks/events").await;
    assert_eq!(log["total"], 0, "{log}");

    let response = app.client.post(&url).basic_auth("radarr", Some("s3cret-pass")).body(body.clone()).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 200);
    let response = app.client.post(format!("{url}?apikey={}", app.api_key)).body(body.clone()).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 200);
    let response = app.client.post(&url).header("X-Api-Key", &app.api_key).body(body).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 200);
    let (_, log) = app.get("/webhooks/events").await;
    assert_eq!(log["total"], 3, "{log}");

    // The log itself needs the API key; Basic credentials are for the receivers only.
    let response = app.client.get(app.url("/webhooks/events")).basic_auth("radarr", Some("s3cret-pass")).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 401);
    app.stop().await;
}
app_test!(webhooks_need_the_key_or_basic_credentials);

async fn basic_auth_is_refused_when_not_configured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response =
        app.client.post(app.url("/webhooks/radarr")).basic_auth("", Some("")).body(fixture("radarr-test.json")).send();
    assert_eq!(response.await.expect("sent").status().as_u16(), 401);
    app.stop().await;
}
app_test!(basic_auth_is_refused_when_not_configured);

pub async fn scan_movie_job(app: &TestApp, entry: &Value) -> JobId {
    for id in entry["job_ids"].as_array().expect("job ids") {
        let job = app.queue.get(job_id(id)).await.expect("job");
        if job.kind == "scan-movie" {
            return job.id;
        }
    }
    panic!("no scan-movie job in {entry}");
}

async fn download_into_a_library_scans_the_movie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = library_with_movie();
    let library_id = library_and_mapping(&app, &root).await;
    let folder = root.join("Big Buck Bunny (2008)").display().to_string();

    let (status, answer) = post_raw(&app, "radarr", fixture("radarr-download-upgrade.json")).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    let outcome = entry["outcome"].as_str().expect("outcome");
    assert!(outcome.starts_with(&format!("scan of {folder} queued in library \"Movies\"")), "{outcome}");
    let scan_job = scan_movie_job(&app, &entry).await;
    let job = app.wait_for_state(scan_job, JobState::Completed).await;
    assert_eq!(job.unique_key.as_deref(), Some(format!("scan-movie:{folder}").as_str()));
    assert_eq!(job.priority, 1);
    assert_eq!(job.payload["library_id"], library_id);

    let (_, movies) = app.get("/movies").await;
    assert_eq!(movies["total"], 1, "{movies}");
    let movie = &movies["items"][0];
    assert_eq!(movie["title"], "Big Buck Bunny");
    assert_eq!(movie["year"], 2008);
    assert_eq!(movie["folder"], folder);
    assert!(movie["video"].as_str().unwrap_or_default().ends_with("Bluray-1080p.mp4"), "{movie}");
    let (_, scans) = app.get("/scans").await;
    assert_eq!(scans["items"][0]["phase"], "completed", "{scans}");

    // Rename: Radarr renamed the file; Metarr follows the paths and rescans the folder.
    let old_video = format!("{folder}/Big Buck Bunny (2008) Bluray-1080p.mp4");
    let new_video = format!("{folder}/Big Buck Bunny (2008).mp4");
    std::fs::rename(&old_video, &new_video).expect("rename on disk");
    let rename = json!({
        "movie": { "id": 12, "title": "Big Buck Bunny", "year": 2008, "folderPath": "/movies/Big Buck Bunny (2008)" },
        "renamedMovieFiles": [{
            "previousPath": "/movies/Big Buck Bunny (2008)/Big Buck Bunny (2008) Bluray-1080p.mp4",
            "path": "/movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mp4",
            "relativePath": "Big Buck Bunny (2008).mp4"
        }],
        "eventType": "Rename"
    });
    let (status, answer) = post_raw(&app, "radarr", rename.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(
        entry["outcome"].as_str().unwrap_or_default().starts_with("1 of 1 renamed file path(s) updated; rescan of"),
        "{entry}"
    );
    let movie_id = movie["id"].as_i64().expect("movie id");
    let (_, detail) = app.get(&format!("/movies/{movie_id}")).await;
    assert_eq!(detail["video"], new_video, "{detail}");
    app.wait_for_state(scan_movie_job(&app, &entry).await, JobState::Completed).await;

    // A file deleted for an upgrade is expected, quietly.
    let (_, answer) =
        post_raw(&app, "radarr", fixture("radarr-moviefiledelete.json").replace("\"manual\"", "\"upgrade\"")).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert_eq!(entry["outcome"], "file deleted for upgrade; expecting the new file");
    assert_eq!(entry["job_ids"].as_array().map(Vec::len), Some(1), "no notification or scan: {entry}");

    // MovieDelete marks the movie removed (soft).
    let (_, answer) = post_raw(&app, "radarr", fixture("radarr-moviedelete.json")).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with(&format!("movie at {folder} marked removed")));
    let (removed,) = app
        .db
        .fetch_optional::<(bool,)>("SELECT removed FROM movies WHERE id = $1", &[movie_id.into()])
        .await
        .expect("query")
        .expect("the movie row stays");
    assert!(removed);
    app.stop().await;
}
app_test!(download_into_a_library_scans_the_movie);

async fn path_in_no_library_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = library_with_movie();
    let (status, _) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201);
    // No mapping: Radarr's /movies is not Metarr's root.
    let (_, answer) = post_raw(&app, "radarr", fixture("radarr-download-upgrade.json")).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert_eq!(
        entry["outcome"],
        "no library contains /movies/Big Buck Bunny (2008) (after path mapping: /movies/Big Buck Bunny (2008); \
         no mapping matched)"
    );
    // A mapping to a sibling whose name extends the root's must not match on a string prefix.
    let sibling = format!("{}2", root.display());
    std::fs::create_dir_all(&sibling).expect("sibling");
    let (status, _) =
        app.post_json("/path-mappings", &json!({ "remote_path": "/movies", "local_path": sibling })).await;
    assert_eq!(status, 201);
    let (_, answer) = post_raw(&app, "radarr", fixture("radarr-download-upgrade.json")).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("no library contains"), "{entry}");
    let (_, movies) = app.get("/movies").await;
    assert_eq!(movies["total"], 0);
    app.stop().await;
}
app_test!(path_in_no_library_says_so);

async fn a_burst_of_1000_webhooks_for_50_folders_makes_one_pending_scan_per_folder(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical").join("Movies");
    for n in 0..50 {
        std::fs::create_dir_all(root.join(format!("Movie {n} (2000)"))).expect("folder");
    }
    library_and_mapping(&app, &root).await;

    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let queue = app.queue.clone();
        let watching = std::sync::Arc::clone(&watching);
        tokio::spawn(async move {
            let mut worst = 0usize;
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                // One read of every state: two reads (pending, then running) could see a job
                // that started in between twice.
                let mut per_folder: HashMap<String, usize> = HashMap::new();
                let filter = ListFilter { kind: Some("scan-movie".into()), limit: 2000, ..ListFilter::default() };
                let page = queue.list(&filter).await.expect("list");
                for job in page.items.into_iter().filter(|job| !job.state.is_finished()) {
                    *per_folder.entry(job.unique_key.unwrap_or_default()).or_default() += 1;
                }
                worst = worst.max(per_folder.values().copied().max().unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            worst
        })
    };

    let template: Value = serde_json::from_str(&fixture("radarr-download-upgrade.json")).expect("fixture");
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for chunk in 0..20 {
        let mut requests = Vec::new();
        for k in 0..50 {
            let n = (chunk * 50 + k) % 50;
            let mut body = template.clone();
            body["movie"]["folderPath"] = json!(format!("/movies/Movie {n} (2000)"));
            let request = app
                .client
                .post(app.url("/webhooks/radarr"))
                .header("X-Api-Key", &app.api_key)
                .body(body.to_string())
                .send();
            requests.push(request);
        }
        for response in futures::future::join_all(requests).await {
            *statuses.entry(response.expect("answered").status().as_u16()).or_default() += 1;
        }
    }
    assert_eq!(statuses, HashMap::from([(202, 1000)]));
    let (_, log) = app.get("/webhooks/events?limit=1").await;
    assert_eq!(log["total"], 1000);

    // Let the queue drain, then stop watching.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let stats = app.queue.stats().await.expect("stats");
        let busy =
            stats.states.get("pending").copied().unwrap_or(0) + stats.states.get("running").copied().unwrap_or(0);
        if busy == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "queue did not drain: {stats:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let worst = watcher.await.expect("watcher");
    assert!(worst <= 1, "{worst} active scan-movie jobs for one folder at once");
    let stats = app.queue.stats().await.expect("stats");
    assert_eq!(stats.states.get("failed").copied().unwrap_or(0), 0, "{stats:?}");
    app.stop().await;
}
app_test!(a_burst_of_1000_webhooks_for_50_folders_makes_one_pending_scan_per_folder);

/// A `webhook-received` job that runs again after its first run committed (its worker died
/// before acknowledging) queues nothing twice: still one scan of the folder, and the log keeps
/// the first run's outcome and jobs.
async fn a_webhook_job_that_runs_twice_acts_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_dir, root) = library_with_movie();
    library_and_mapping(&app, &root).await;
    let (status, answer) = post_raw(&app, "radarr", fixture("radarr-download-upgrade.json")).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_i64().expect("id");
    let entry = settled(&app, id).await;
    app.wait_for_state(scan_movie_job(&app, &entry).await, JobState::Completed).await;
    let received = entry["job_ids"]
        .as_array()
        .and_then(|ids| ids.first())
        .map(job_id)
        .expect("the webhook-received job comes first");
    let received = app.queue.get(received).await.expect("job");
    assert_eq!(received.kind, "webhook-received");

    let again = metarr_queue::NewJob::raw(&received.kind, received.payload.clone());
    let again = app.queue.enqueue(again).await.expect("enqueue").job.id;
    app.wait_for_state(again, JobState::Completed).await;
    let filter = ListFilter { kind: Some("scan-movie".into()), limit: 500, ..ListFilter::default() };
    let scans = app.queue.list(&filter).await.expect("list").items;
    assert_eq!(scans.len(), 1, "the folder was queued for scanning twice: {scans:?}");
    let (_, after) = app.get(&format!("/webhooks/events/{id}")).await;
    assert_eq!((&after["outcome"], &after["job_ids"]), (&entry["outcome"], &entry["job_ids"]), "{after}");
    app.stop().await;
}
app_test!(a_webhook_job_that_runs_twice_acts_once);
