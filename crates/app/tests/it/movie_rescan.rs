//! Rescanning one movie: `POST /api/v1/movies/{id}/scan` and the movie page's button read the
//! folder again now, as a Radarr webhook would, and refuse what they cannot do.

use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::{png, wait_for_scan};
use crate::ui::UiClient;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::{self, ScanPhase};
use metarr_queue::JobState;
use serde_json::json;
use std::time::Duration;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn nfo(title: &str) -> String {
    format!("<movie><title>{title}</title><year>1995</year></movie>")
}

async fn rescan_reads_one_movie_folder_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let folder = root.join("Heat (1995)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(SAMPLE_VIDEO, folder.join("Heat (1995).mp4")).expect("video");
    std::fs::write(folder.join("Heat (1995).nfo"), nfo("Heat")).expect("nfo");
    let library = libraries::create(&app.db, &LibraryInput::movies_at(&root)).await.expect("library");
    let first = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    assert_eq!(wait_for_scan(&app.db, first.id, Duration::from_secs(60)).await.phase, ScanPhase::Completed);
    let (_, list) = app.get("/movies").await;
    let id = list["items"][0]["id"].as_i64().expect("the movie's id");

    // The folder changes behind Metarr's back: a new NFO title and a poster.
    std::fs::write(folder.join("Heat (1995).nfo"), nfo("Heat (Director's Definitive Edition)")).expect("nfo");
    std::fs::write(folder.join("poster.png"), png(1000, 1500, 9)).expect("poster");
    let (status, job) = app.post(&format!("/movies/{id}/scan")).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "scan-movie");
    assert_eq!(job["payload"]["folder"], folder.display().to_string());
    let job_id = job_id(&job["id"]);
    app.wait_for_state(job_id, JobState::Completed).await;
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["title"], "Heat (Director's Definitive Edition)", "{movie}");

    // The rescan has its own scan record, which counts the one folder and its poster once.
    let latest = scans::list(&app.db, Some(library.id), 1).await.expect("scans").remove(0);
    assert_ne!(latest.id, first.id);
    let done = wait_for_scan(&app.db, latest.id, Duration::from_secs(60)).await;
    assert_eq!(
        (done.phase.as_str(), done.directories_total, done.directories_scanned, done.movies_updated),
        ("completed", 1, 1, 1),
        "{done:?}"
    );
    assert_eq!((done.assets_queued, done.assets_cached), (1, 1), "{done:?}");

    // What cannot be rescanned is refused clearly.
    let (status, body) = app.post("/movies/987654/scan").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.post("/movies/not-a-number/scan").await;
    assert_eq!(status, 400, "{body}");
    let anonymous = reqwest::Client::new().post(app.url(&format!("/movies/{id}/scan"))).send().await;
    assert_eq!(anonymous.expect("request").status(), 401);
    let mut disabled = LibraryInput::movies_at(&root);
    disabled.enabled = false;
    libraries::update(&app.db, library.id, &disabled).await.expect("disable the library");
    let (status, body) = app.post(&format!("/movies/{id}/scan")).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("disabled")), "{body}");
    app.stop().await;
}
app_test!(rescan_reads_one_movie_folder_again);

async fn the_movie_page_has_a_rescan_button(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let folder = root.join("Ronin (1998)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(SAMPLE_VIDEO, folder.join("Ronin (1998).mp4")).expect("video");
    let library = libraries::create(&app.db, &LibraryInput::movies_at(&root)).await.expect("library");
    let first = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    wait_for_scan(&app.db, first.id, Duration::from_secs(60)).await;
    let (_, list) = app.get("/movies").await;
    let id = list["items"][0]["id"].as_i64().expect("the movie's id");

    let ui = UiClient::new(&app);
    let page = ui.get(&format!("/movies/{id}")).await;
    assert!(page.body.contains(&format!("action=\"/movies/{id}/scan\"")), "{}", page.body);
    std::fs::write(folder.join("Ronin (1998).nfo"), "<movie><title>Ronin, again</title></movie>").expect("nfo");
    let page = ui.post_form(&format!("/movies/{id}/scan"), &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"movie-notice\""), "{}", page.body);
    let (_, jobs) = app.get("/jobs?kind=scan-movie").await;
    let job_id = job_id(&jobs["items"][0]["id"]);
    app.wait_for_state(job_id, JobState::Completed).await;
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["title"], json!("Ronin, again"));

    // Without the CSRF token nothing is queued.
    let before = app.get("/jobs?kind=scan-movie").await.1["items"].as_array().map_or(0, Vec::len);
    let refused = ui.post_raw(&format!("/movies/{id}/scan"), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let after = app.get("/jobs?kind=scan-movie").await.1["items"].as_array().map_or(0, Vec::len);
    assert_eq!(before, after);
    app.stop().await;
}
app_test!(the_movie_page_has_a_rescan_button);
