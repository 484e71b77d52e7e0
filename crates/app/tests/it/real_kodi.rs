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

/// A library root and Kodi's view of it: Kodi sees the library under another path, as a
/// player in a container or on another machine would, so the group's path mapping is exercised
/// for real. Returns (temporary folder, library root, Kodi's root).
fn roots() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let base = std::fs::canonicalize(dir.path()).expect("canonical path");
    let library_root = base.join("Movies");
    std::fs::create_dir_all(&library_root).expect("library root");
    let kodi_root = base.join("kodi-view/movies");
    std::fs::create_dir_all(kodi_root.parent().expect("parent")).expect("Kodi's view");
    std::os::unix::fs::symlink(&library_root, &kodi_root).expect("symlink for Kodi's view");
    (dir, library_root, kodi_root)
}

/// A Kodi player group for the real Kodi, mapping the library to Kodi's view; returns the player.
async fn kodi_group(app: &TestApp, kodi: &HeadlessKodi, library_root: &Path, kodi_root: &Path) -> Value {
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
    player
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_kodi_shows_the_movie_metarr_scanned() {
    if !tools_present("real_kodi (app)", &[("python3", "--version"), ("ffmpeg", "-version")]) {
        return;
    }
    let (_dir, library_root, kodi_root) = roots();
    let mut kodi = HeadlessKodi::start(&kodi_root).await;
    kodi.make_source_a_movie_library().await;
    let folder = build_library(&library_root);

    let app = TestApp::spawn(Backend::Sqlite).await;
    let player = kodi_group(&app, &kodi, &library_root, &kodi_root).await;

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

/// Waits up to `within` for a job of `kind` newer than `after` to reach a final state.
async fn wait_for_job_after(app: &TestApp, kind: &str, after: metarr_queue::JobId, within: Duration) -> Job {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let filter = ListFilter { kind: Some(kind.to_owned()), limit: 20, ..ListFilter::default() };
        let page = app.queue.list(&filter).await.expect("list jobs");
        if let Some(job) =
            page.items.iter().find(|job| job.id > after && matches!(job.state, JobState::Completed | JobState::Failed))
        {
            return job.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no new {kind} job finished within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Issue 16's end to end: Metarr enriches a movie from stand-ins for TMDB and its image server,
/// publishes it (an `auto` library), refreshes the real Kodi, and Kodi's
/// `VideoLibrary.GetMovieDetails` shows Metarr's plot, tagline, rating, genres, set, cast with
/// roles, and Metarr's poster file as the movie's poster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_kodi_shows_what_metarr_published() {
    use wiremock::matchers::{method, path, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    if !tools_present("real_kodi publish (app)", &[("python3", "--version"), ("ffmpeg", "-version")]) {
        return;
    }
    let (_dir, library_root, kodi_root) = roots();
    let mut kodi = HeadlessKodi::start(&kodi_root).await;
    kodi.make_source_a_movie_library().await;

    // A Radarr-like folder: the video and a bare NFO naming the film.
    let folder = library_root.join("Fight Club (1999)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"),
        folder.join("Fight Club (1999).mp4"),
    )
    .expect("video");
    std::fs::write(
        folder.join("Fight Club (1999).nfo"),
        "<movie><title>Fight Club</title><uniqueid type=\"tmdb\" default=\"true\">550</uniqueid></movie>",
    )
    .expect("NFO");

    // TMDB: the real Fight Club capture, in a collection, with one poster.
    let tmdb = MockServer::start().await;
    let mut movie = crate::enrich::fight_club();
    movie["belongs_to_collection"] =
        json!({ "id": 2344, "name": "The Matrix Collection", "poster_path": null, "backdrop_path": null });
    movie["images"] = json!({
        "posters": [{ "aspect_ratio": 0.667, "file_path": "/poster.jpg", "width": 1000, "height": 1500,
                      "iso_639_1": "en", "vote_average": 5.5, "vote_count": 12 }],
        "backdrops": [], "logos": []
    });
    Mock::given(method("GET"))
        .and(path("/3/movie/550"))
        .respond_with(ResponseTemplate::new(200).set_body_json(movie))
        .mount(&tmdb)
        .await;
    let collection: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/providers/constructed-collection.json"
        ))
        .expect("collection"),
    )
    .expect("JSON");
    Mock::given(method("GET"))
        .and(path("/3/collection/2344"))
        .respond_with(ResponseTemplate::new(200).set_body_json(collection))
        .mount(&tmdb)
        .await;
    let poster = metarr_artwork::sample::jpeg(&metarr_artwork::sample::picture(42, 1000, 1500), 85);
    Mock::given(method("GET"))
        .and(path("/t/p/original/poster.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(poster.clone(), "image/jpeg"))
        .mount(&tmdb)
        .await;
    // Headshots and previews: a small picture for any other image.
    let small = metarr_artwork::sample::jpeg(&metarr_artwork::sample::picture(7, 185, 278), 80);
    Mock::given(method("GET"))
        .and(path_regex("^/t/p/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(small, "image/jpeg"))
        .mount(&tmdb)
        .await;

    let mut env: Vec<(String, String)> = vec![
        ("METARR_PROVIDERS__TMDB__API_KEY".into(), "0123456789abcdef0123456789abcdef".into()),
        ("METARR_PROVIDERS__TMDB__BASE_URL".into(), format!("{}/3", tmdb.uri())),
        ("METARR_PROVIDERS__TMDB__IMAGE_BASE_URL".into(), format!("{}/t/p", tmdb.uri())),
    ];
    for slot in metarr_artwork::Slot::ALL {
        let limit = if slot == metarr_artwork::Slot::Poster { "1" } else { "0" };
        env.push((format!("METARR_ARTWORK__LIMITS__{}", slot.as_str().to_ascii_uppercase()), limit.into()));
    }
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestApp::spawn_with(Backend::Sqlite, &pairs).await;
    kodi_group(&app, &kodi, &library_root, &kodi_root).await;

    // Scan without enrichment first: Kodi adds the bare movie.
    let (status, library) = app
        .post_json(
            "/libraries",
            &json!({ "path": library_root.display().to_string(), "publish": "auto", "auto_enrich": false }),
        )
        .await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");
    let first = wait_for_finished_job(&app, "notify-kodi", Duration::from_secs(90)).await;
    assert_eq!(first.state, JobState::Completed, "{:?}\n{}", first.last_error, kodi.log_tail());

    // Enrich: the selection follows, then the auto publish, then Kodi's refresh.
    let (_, list) = app.get("/movies").await;
    let id = list["items"][0]["id"].as_i64().expect("the movie");
    let (status, job) = app.post(&format!("/movies/{id}/enrich")).await;
    assert_eq!(status, 202, "{job}");
    let refresh = wait_for_job_after(&app, "notify-kodi", first.id, Duration::from_secs(120)).await;
    assert_eq!(refresh.state, JobState::Completed, "{:?}\n{}", refresh.last_error, kodi.log_tail());
    eprintln!("real_kodi publish (app): notify-kodi result: {:?}", refresh.progress);
    assert_eq!(std::fs::read(folder.join("poster.jpg")).expect("the published poster"), poster);
    let nfo = std::fs::read_to_string(folder.join("Fight Club (1999).nfo")).expect("the published NFO");
    assert!(nfo.contains("<tagline>"), "{nfo}");

    let endpoint = Endpoint::new("127.0.0.1", kodi.http_port).with_timeout(Duration::from_secs(10));
    let client = KodiClient::new(endpoint, Some((KODI_USER.to_owned(), SecretString::from(KODI_PASSWORD))))
        .expect("a client for the real Kodi");
    let kodi_folder = kodi_root.join("Fight Club (1999)").display().to_string();
    let movies = client.get_movies_by_path(&kodi_folder).await.expect("GetMovies");
    assert_eq!(movies.len(), 1, "{movies:?}");
    let details = client
        .get_movie_details(
            movies[0].movieid,
            &["title", "plot", "tagline", "rating", "genre", "set", "cast", "art", "uniqueid"],
        )
        .await
        .expect("GetMovieDetails");
    let (_, ours) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(details["title"], "Fight Club", "{details}");
    assert_eq!(details["plot"], ours["plot"], "{details}");
    assert!(ours["plot"].as_str().is_some_and(|plot| plot.len() > 40), "{ours}");
    assert_eq!(details["tagline"], ours["tagline"], "{details}");
    let rating = ours["ratings"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["default"] == true))
        .cloned()
        .expect("a default rating");
    let kodi_rating = details["rating"].as_f64().expect("rating");
    assert!((kodi_rating - rating["value"].as_f64().expect("value")).abs() < 0.05, "{details} vs {rating}");
    assert_eq!(details["genre"], ours["genres"], "{details}");
    assert_eq!(details["set"], "The Matrix Collection", "{details}");
    let cast = details["cast"].as_array().expect("cast");
    let actors = ours["actors"].as_array().expect("actors");
    assert!(!cast.is_empty() && cast.len() == actors.len(), "{} in Kodi, {} in Metarr", cast.len(), actors.len());
    let first_actor = &actors[0];
    let in_kodi = cast.iter().find(|c| c["name"] == first_actor["name"]).expect("the first actor in Kodi");
    assert_eq!(in_kodi["role"], first_actor["role"], "{in_kodi}");
    let poster_art = details["art"]["poster"].as_str().unwrap_or_default();
    // Kodi reports art as `image://<url-encoded path>/`.
    let expected = format!("{kodi_folder}/poster.jpg").replace('/', "%2f").replace(' ', "%20");
    assert!(
        poster_art.contains(&expected),
        "Metarr's poster file is the movie's poster: {} (expected {expected})\n{}",
        details["art"],
        kodi.log_tail()
    );

    app.stop().await;
    kodi.quit().await;
}

/// The issue's proof for TV: an episode Metarr scanned and published appears in the real
/// Kodi's library (a "tvshows" source read by the local-only scraper) with its title, season
/// and episode numbers and its thumb.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_kodi_shows_the_episode_metarr_published() {
    if !tools_present("real_kodi TV (app)", &[("python3", "--version"), ("ffmpeg", "-version")]) {
        return;
    }
    let (_dir, library_root, kodi_root) = roots();
    let mut kodi = HeadlessKodi::start(&kodi_root).await;
    kodi.make_source_a_tv_library().await;

    // A Sonarr-like series folder: no NFO at all, an episode and its thumb.
    let season = library_root.join("Firefly (2002)").join("Season 01");
    std::fs::create_dir_all(&season).expect("season folder");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"),
        season.join("Firefly - S01E01 - Serenity.mp4"),
    )
    .expect("video");
    ffmpeg(
        &["-f", "lavfi", "-i", "color=blue:size=640x360", "-frames:v", "1"],
        &season.join("Firefly - S01E01 - Serenity-thumb.jpg"),
    );

    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, library) = app
        .post_json(
            "/libraries",
            &json!({ "path": library_root.display().to_string(), "kind": "tv", "auto_enrich": false }),
        )
        .await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");
    crate::scan::wait_for_scan(
        &app.db,
        metarr::ids::ScanId(scan["id"].as_i64().expect("scan id")),
        Duration::from_secs(60),
    )
    .await;
    let (_, list) = app.get("/series").await;
    let id = list["items"][0]["id"].as_i64().expect("the series");
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    let episode = seasons[0]["episodes"][0]["id"].as_i64().expect("the episode");
    let (status, _) = app.patch_json(&format!("/episodes/{episode}"), &json!({ "title": "Serenity" })).await;
    assert_eq!(status, 200);
    let (status, _) = app.patch_json(&format!("/series/{id}"), &json!({ "plot": "Browncoats in space." })).await;
    assert_eq!(status, 200);

    // Kodi joins now, so that its first look at the folder is after the publish.
    kodi_group(&app, &kodi, &library_root, &kodi_root).await;
    let (status, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["player_refreshes"], 1, "{report}");
    let refresh = wait_for_finished_job(&app, "notify-kodi", Duration::from_secs(120)).await;
    assert_eq!(refresh.state, JobState::Completed, "{:?}\n{}", refresh.last_error, kodi.log_tail());
    eprintln!("real_kodi TV (app): notify-kodi result: {:?}", refresh.progress);

    let shows = metarr_testkit::kodi::headless::eventually("Kodi lists the series", || async {
        let shows = kodi.call("VideoLibrary.GetTVShows", json!({ "properties": ["title", "plot"] })).await.ok()?;
        let list = shows["tvshows"].as_array()?.clone();
        (!list.is_empty()).then_some(list)
    })
    .await;
    assert_eq!(shows[0]["title"], "Firefly", "{shows:?}\n{}", kodi.log_tail());
    assert_eq!(shows[0]["plot"], "Browncoats in space.", "{shows:?}");
    let tvshowid = shows[0]["tvshowid"].clone();
    let episodes = kodi
        .call(
            "VideoLibrary.GetEpisodes",
            json!({ "tvshowid": tvshowid, "properties": ["title", "season", "episode", "art", "file"] }),
        )
        .await
        .expect("GetEpisodes");
    let list = episodes["episodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{episodes}\n{}", kodi.log_tail());
    assert_eq!(list[0]["title"], "Serenity", "{episodes}");
    assert_eq!((list[0]["season"].as_i64(), list[0]["episode"].as_i64()), (Some(1), Some(1)), "{episodes}");
    let thumb = list[0]["art"]["thumb"].as_str().unwrap_or_default();
    // Kodi reports art as `image://<url-encoded path>/`.
    let expected = "Serenity-thumb.jpg".replace(' ', "%20");
    assert!(thumb.contains(&expected), "the episode's thumb is the folder's: {}", list[0]["art"]);
    let progress = refresh.progress.and_then(|p| p.message).unwrap_or_default();
    assert!(progress.contains("Kodi confirmed 1 episode(s)"), "{progress}");

    // A changed title and a new episode: Kodi knows the series now, so it is refreshed with
    // its episodes, and the new one is added.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"),
        season.join("Firefly - S01E02 - The Train Job.mp4"),
    )
    .expect("second video");
    let (status, job) = app.post(&format!("/series/{id}/scan")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(crate::helpers::job_id(&job["id"]), JobState::Completed).await;
    let (status, _) = app.patch_json(&format!("/episodes/{episode}"), &json!({ "title": "Serenity, Part 1" })).await;
    assert_eq!(status, 200);
    let (status, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    let second = wait_for_job_after(&app, "notify-kodi", refresh.id, Duration::from_secs(120)).await;
    assert_eq!(second.state, JobState::Completed, "{:?}\n{}", second.last_error, kodi.log_tail());
    eprintln!("real_kodi TV (app): second notify-kodi result: {:?}", second.progress);
    let episodes =
        metarr_testkit::kodi::headless::eventually("Kodi shows both episodes, the first retitled", || async {
            let answer = kodi
                .call("VideoLibrary.GetEpisodes", json!({ "properties": ["title", "season", "episode"] }))
                .await
                .ok()?;
            let list = answer["episodes"].as_array()?.clone();
            (list.len() == 2 && list.iter().any(|e| e["title"] == "Serenity, Part 1")).then_some(list)
        })
        .await;
    assert!(episodes.iter().any(|e| e["episode"] == 2), "{episodes:?}");

    // Only the second episode's title: Kodi re-reads that episode alone, and shows the title.
    let second_id = {
        let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
        seasons[0]["episodes"][1]["id"].as_i64().expect("s01e02")
    };
    let (status, _) =
        app.patch_json(&format!("/episodes/{second_id}"), &json!({ "title": "The Train Job (Part 2)" })).await;
    assert_eq!(status, 200);
    let latest = {
        let filter = ListFilter { kind: Some("notify-kodi".to_owned()), limit: 1, ..ListFilter::default() };
        app.queue.list(&filter).await.expect("list jobs").items[0].id
    };
    let (status, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    let third = wait_for_job_after(&app, "notify-kodi", latest, Duration::from_secs(120)).await;
    assert_eq!(third.state, JobState::Completed, "{:?}\n{}", third.last_error, kodi.log_tail());
    let progress = third.progress.and_then(|p| p.message).unwrap_or_default();
    eprintln!("real_kodi TV (app): third notify-kodi result: {progress}");
    assert!(progress.starts_with("1 episode(s) refreshed alone"), "{progress}");
    metarr_testkit::kodi::headless::eventually("Kodi shows the second episode retitled", || async {
        let answer = kodi.call("VideoLibrary.GetEpisodes", json!({ "properties": ["title"] })).await.ok()?;
        let list = answer["episodes"].as_array()?.clone();
        (list.len() == 2 && list.iter().any(|e| e["title"] == "The Train Job (Part 2)")).then_some(list)
    })
    .await;

    app.stop().await;
    kodi.quit().await;
}
