//! End to end through the real application and a real headless Kodi (issue 5): Metarr scans a
//! library with one movie folder (video, NFO with a TMDB uniqueid, poster), the scan enqueues a
//! `notify-kodi` job for the Kodi player group, the job maps the folder to Kodi's view, asks Kodi
//! to list and scan it and waits for Kodi's confirmation on the notification socket; Kodi's
//! `VideoLibrary.GetMovieDetails` then shows the NFO's title and uniqueids and the local poster.
//!
//! One test, on SQLite only: both backends would start two Kodis at once (about half a core
//! each), and the catalogue queries it touches are covered on PostgreSQL elsewhere. Skipped with
//! a message only when Kodi (or Xvfb, python3, ffmpeg) is missing, and never under `CI=true`.
//! Kodi and Xvfb are stopped by their process ids (`metarr_testkit::kodi::headless`, the harness
//! the players' tests use too).

use crate::helpers::{Backend, TestApp};
use metarr_players::{Endpoint, KodiClient};
use metarr_queue::{Job, JobState, ListFilter};
use metarr_testkit::kodi::headless::{HeadlessKodi, ffmpeg, tools_present};
use metarr_testkit::kodi::{KODI_PASSWORD, KODI_USER};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const NFO: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<movie>
    <title>The Matrix</title>
    <originaltitle>The Matrix</originaltitle>
    <year>1999</year>
    <plot>A hacker learns what the Matrix is.</plot>
    <uniqueid type="tmdb" default="true">603</uniqueid>
    <uniqueid type="imdb">tt0133093</uniqueid>
</movie>
"#;

/// The library: `<root>/The Matrix (1999)/` with the Radarr sample video, its NFO and a poster.
fn build_library(root: &Path) -> std::path::PathBuf {
    let folder = root.join("The Matrix (1999)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"),
        folder.join("The Matrix (1999).mp4"),
    )
    .expect("video");
    std::fs::write(folder.join("The Matrix (1999).nfo"), NFO).expect("NFO");
    ffmpeg(&["-f", "lavfi", "-i", "color=green:size=200x300", "-frames:v", "1"], &folder.join("poster.jpg"));
    folder
}

/// Waits up to `within` for the first job of `kind` to reach a final state.
async fn wait_for_finished_job(app: &TestApp, kind: &str, within: Duration) -> Job {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let filter = ListFilter { kind: Some(kind.to_owned()), limit: 10, ..ListFilter::default() };
        let page = app.queue.list(&filter).await.expect("list jobs");
        if let Some(job) = page.items.iter().find(|job| matches!(job.state, JobState::Completed | JobState::Failed)) {
            return job.clone();
        }
        let states: Vec<String> = page.items.iter().map(|job| format!("{}: {:?}", job.state, job.last_error)).collect();
        assert!(tokio::time::Instant::now() < deadline, "no {kind} job finished within {within:?}: {states:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_kodi_shows_the_movie_metarr_scanned() {
    if !tools_present("real_kodi (app)", &[("python3", "--version"), ("ffmpeg", "-version")]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let base = std::fs::canonicalize(dir.path()).expect("canonical path");
    let library_root = base.join("Movies");
    std::fs::create_dir_all(&library_root).expect("library root");
    // Kodi sees the library under another path, as a player in a container or on another
    // machine would, so the group's path mapping is exercised for real.
    let kodi_root = base.join("kodi-view/movies");
    std::fs::create_dir_all(kodi_root.parent().expect("parent")).expect("Kodi's view");
    std::os::unix::fs::symlink(&library_root, &kodi_root).expect("symlink for Kodi's view");

    let mut kodi = HeadlessKodi::start(&kodi_root).await;
    kodi.make_source_a_movie_library().await;
    let folder = build_library(&library_root);

    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, group) = app
        .post_json(
            "/player-groups",
            &json!({
                "kind": "kodi", "name": "Real Kodi",
                "path_mappings": [{
                    "local_path": library_root.display().to_string(),
                    "remote_path": kodi_root.display().to_string()
                }]
            }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let (status, player) = app
        .post_json(
            &format!("/player-groups/{}/players", group["id"]),
            &json!({
                "host": "127.0.0.1", "port": kodi.http_port, "tcp_port": kodi.tcp_port,
                "username": KODI_USER, "password": KODI_PASSWORD
            }),
        )
        .await;
    assert_eq!(status, 201, "{player}");

    // The player test sees the real Kodi and its notification socket.
    let (status, test) = app.post(&format!("/players/{}/test", player["id"])).await;
    assert_eq!(status, 200, "{test}");
    assert_eq!((test["ok"].as_bool(), test["notifications"].as_bool()), (Some(true), Some(true)), "{test}");
    assert_eq!(test["product"], "Kodi", "{test}");

    let (status, library) = app.post_json("/libraries", &json!({ "path": library_root.display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");

    let job = wait_for_finished_job(&app, "notify-kodi", Duration::from_secs(90)).await;
    assert_eq!(job.state, JobState::Completed, "{:?}\n{}", job.last_error, kodi.log_tail());
    let payload: Value = job.payload.clone();
    assert_eq!(payload["folder"], folder.display().to_string());
    let result = job.progress.as_ref().and_then(|progress| progress.message.clone()).expect("a result message");
    let kodi_folder = kodi_root.join("The Matrix (1999)").display().to_string();
    assert!(
        result.starts_with(&format!("scan of {kodi_folder}/ requested; Kodi confirmed movie ")),
        "{result}\n{}",
        kodi.log_tail()
    );
    eprintln!("real_kodi (app): notify-kodi result: {result}");

    // Confirmed means the movie is in Kodi's library now, under Kodi's path.
    let endpoint = Endpoint::new("127.0.0.1", kodi.http_port).with_timeout(Duration::from_secs(10));
    let client = KodiClient::new(endpoint, Some((KODI_USER.to_owned(), SecretString::from(KODI_PASSWORD))))
        .expect("a client for the real Kodi");
    let movies = client.get_movies_by_path(&kodi_folder).await.expect("GetMovies");
    assert_eq!(movies.len(), 1, "{movies:?}");
    let details = client
        .get_movie_details(movies[0].movieid, &["title", "year", "uniqueid", "imdbnumber", "file", "art"])
        .await
        .expect("GetMovieDetails");
    assert_eq!(details["title"], "The Matrix", "{details}");
    assert_eq!(details["year"], 1999, "{details}");
    assert_eq!(details["uniqueid"], json!({ "tmdb": "603", "imdb": "tt0133093" }), "{details}");
    // imdbnumber follows the default uniqueid (docs/peers/kodi.md, "imdbnumber and runtime").
    assert_eq!(details["imdbnumber"], "603", "{details}");
    assert_eq!(details["file"], format!("{kodi_folder}/The Matrix (1999).mp4"), "{details}");
    let poster = details["art"]["poster"].as_str().unwrap_or_default();
    assert!(poster.contains("poster.jpg"), "the local poster is the movie's poster: {details}");

    app.stop().await;
    kodi.quit().await;
}
