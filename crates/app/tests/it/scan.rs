//! The scan pipeline end to end on a messy generated library: discovery, classification,
//! NFOs, stream details from a real video, caching, change detection, locks and missing folders.

use crate::helpers::{Backend, TestApp};
use futures::StreamExt;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::movies::{self, Fields, MovieFilter};
use metarr::catalogue::scans::{self, Scan, ScanPhase};
use metarr::db::Db;
use metarr::ids::{LibraryId, ScanId};
use std::path::Path;
use std::time::Duration;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

/// The header of a PNG of the given size: enough for any header reader.
pub(crate) fn png(width: u32, height: u32, salt: u8) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, salt]);
    bytes
}

fn write(root: &Path, relative: &str, bytes: &[u8]) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folders");
    std::fs::write(path, bytes).expect("write file");
}

fn video(root: &Path, relative: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folders");
    std::fs::copy(SAMPLE_VIDEO, path).expect("copy the sample video");
}

const MATRIX_NFO: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<movie>
  <title>The Matrix</title>
  <originaltitle>The Matrix</originaltitle>
  <plot>A hacker learns the truth.</plot>
  <year>1999</year>
  <uniqueid type="tmdb" default="true">603</uniqueid>
  <uniqueid type="imdb">tt0133093</uniqueid>
  <genre>Action</genre>
  <genre>Science Fiction</genre>
</movie>
"#;

/// A library with most of what real ones hold.
fn messy_library(root: &Path) {
    let matrix = "Collections/The Matrix Collection/The Matrix (1999)";
    video(root, &format!("{matrix}/The Matrix (1999).mp4"));
    write(root, &format!("{matrix}/The Matrix (1999).nfo"), MATRIX_NFO.as_bytes());
    write(root, &format!("{matrix}/poster.png"), &png(1000, 1500, 1));
    write(root, &format!("{matrix}/fanart.png"), &png(1920, 1080, 2));
    write(root, &format!("{matrix}/extrafanart/fanart1.png"), &png(1280, 720, 3));
    write(root, &format!("{matrix}/The Matrix (1999).en.forced.srt"), b"1\n00:00:01,000 --> 00:00:02,000\nHi\n");
    write(root, &format!("{matrix}/notes.txt"), b"grabbed from somewhere");
    write(root, &format!("{matrix}/The Matrix (1999)-trailer.mp4"), b"not really a video");
    write(root, &format!("{matrix}/@eaDir/poster.png@SynoEAStream"), b"nas junk");

    video(root, "Avengers Endgame (2019)/movie.mp4");
    write(root, "Avengers Endgame (2019)/movie.nfo", include_bytes!("../data/url-only.nfo"));

    video(root, "千と千尋の神隠し (2001) {tmdb-129}/千と千尋の神隠し.mp4");

    video(root, "[REC] (2007)/[REC] (2007).mp4");
    write(root, "[REC] (2007)/[REC] (2007).nfo", b"<movie><title>[REC]</title><plot>Unfinish");

    write(root, "Broken (2020)/Broken (2020).mkv", &[0x1A, 0x45, 0xDF, 0xA3, 0, 1, 2, 3, 4, 5, 6, 7]);

    write(root, "Heat (1995)/BDMV/index.bdmv", b"INDX0200");
    write(root, "Heat (1995)/BDMV/STREAM/00001.m2ts", &[0u8; 4096]);

    write(root, "#recycle/Old (1990)/Old (1990).mkv", b"deleted long ago");
    write(root, "Only An NFO/movie.nfo", MATRIX_NFO.as_bytes());
    std::fs::create_dir_all(root.join("Empty Folder")).expect("create an empty folder");
    write(root, ".hidden (2000)/.hidden (2000).mkv", b"hidden");
}

/// A copy of the sample video beside the library, for [`link_sample`].
pub(crate) fn sample_beside(root: &Path) -> std::path::PathBuf {
    let sample = root.parent().expect("the library has a parent").join("sample.mp4");
    std::fs::copy(SAMPLE_VIDEO, &sample).expect("copy the sample video");
    sample
}

/// A hard link to one sample video: a thousand real videos for the price of one.
pub(crate) fn link_sample(sample: &Path, folder: &Path, name: &str) {
    std::fs::create_dir_all(folder).expect("create a movie folder");
    std::fs::hard_link(sample, folder.join(name)).expect("link the video");
}

pub(crate) async fn wait_for_scan(db: &Db, scan_id: ScanId, timeout: Duration) -> Scan {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let scan = scans::get(db, scan_id).await.expect("scan exists");
        if scan.is_finished() {
            return scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan did not finish: {scan:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scan_once(db: &Db, library_id: LibraryId) -> Scan {
    scan_within(db, library_id, Duration::from_secs(60)).await
}

async fn scan_within(db: &Db, library_id: LibraryId, timeout: Duration) -> Scan {
    let scan = metarr::jobs::scan::start_scan(db, library_id).await.expect("scan starts");
    wait_for_scan(db, scan.id, timeout).await
}

async fn movie_by_title(db: &Db, library_id: LibraryId, q: &str) -> movies::MovieDetail {
    let filter = MovieFilter { library_id: Some(library_id), q: Some(q.to_owned()), ..MovieFilter::default() };
    let (items, _) = movies::list(db, &filter).await.expect("list movies");
    let summary = items.first().unwrap_or_else(|| panic!("no movie matching {q:?}"));
    movies::detail(db, summary.id).await.expect("movie detail")
}

async fn scan_of_a_messy_library_records_everything_and_rescans_cheaply(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let library_dir = tempfile::tempdir().expect("library folder");
    let root = library_dir.path().join("Movies");
    messy_library(&root);
    let library = libraries::create(&db, &LibraryInput::movies_at(&root)).await.expect("library created");

    let first = scan_once(&db, library.id).await;
    assert_eq!(first.phase, ScanPhase::Completed, "{first:?}");
    assert_eq!(first.movies_found, 6, "Matrix, Avengers, Spirited Away, [REC], Broken, Heat: {first:?}");
    assert_eq!(first.movies_new, 6);
    assert_eq!(first.assets_queued, 3, "poster, fanart, extrafanart");
    assert_eq!(first.assets_cached, 3);
    assert!(first.videos_probed >= 4, "the real videos were probed: {first:?}");
    assert!(first.unknown_files >= 1);

    let matrix = movie_by_title(&db, library.id, "matrix").await;
    assert_eq!(matrix.summary.title, "The Matrix");
    assert_eq!(matrix.summary.year, Some(1999));
    assert_eq!(matrix.summary.tmdb_id, Some(603));
    assert_eq!(matrix.summary.imdb_id.as_deref(), Some("tt0133093"));
    assert_eq!(matrix.genres, vec!["Action".to_owned(), "Science Fiction".to_owned()]);
    assert!(matrix.summary.video.as_deref().is_some_and(|v| v.ends_with("The Matrix (1999).mp4")));
    let poster = matrix.assets.iter().find(|a| a.kind == "poster").expect("poster recorded");
    assert_eq!((poster.width, poster.height), (Some(1000), Some(1500)));
    let sha = poster.sha256.clone().expect("poster cached");
    let cached = app.data_dir.path().join("cache").join(&sha[..2]).join(&sha[2..4]).join(format!("{sha}.png"));
    assert_eq!(std::fs::read(&cached).expect("cached file"), png(1000, 1500, 1));
    assert_eq!(matrix.assets.iter().filter(|a| a.kind == "fanart").count(), 1);
    assert_eq!(matrix.assets.iter().filter(|a| a.kind == "extrafanart").count(), 1, "extrafanart/ is seen");
    assert_eq!(matrix.subtitles.len(), 1);
    assert_eq!(matrix.subtitles[0].language.as_deref(), Some("eng"));
    assert!(matrix.subtitles[0].forced);
    assert!(matrix.unknown_files.iter().any(|f| f.path.ends_with("notes.txt")));
    assert!(!matrix.files.iter().any(|f| f.path.contains("@eaDir")), "NAS metadata is ignored");
    let video_streams = matrix.streams["video"].as_array().expect("video streams");
    assert_eq!(video_streams.len(), 1, "{}", matrix.streams);
    assert_eq!(video_streams[0]["codec"], "h264");
    assert_eq!(video_streams[0]["width"], 480);
    assert_eq!(matrix.streams["audio"][0]["codec"], "aac");
    assert!(matrix.streams["subtitle"].is_array(), "docs/contracts.md names the array `subtitle`: {}", matrix.streams);

    let avengers = movie_by_title(&db, library.id, "avengers").await;
    assert_eq!(avengers.summary.tmdb_id, Some(583689), "from the URL-only NFO");
    assert_eq!(avengers.summary.imdb_id.as_deref(), Some("tt4154796"));
    let spirited = movie_by_title(&db, library.id, "千と千尋").await;
    assert_eq!(spirited.summary.tmdb_id, Some(129), "from the folder's {{tmdb-129}} tag");
    assert_eq!(spirited.summary.year, Some(2001));
    let rec = movie_by_title(&db, library.id, "[rec]").await;
    assert_eq!(rec.summary.title, "[REC]");
    assert!(!rec.warnings.is_empty(), "the truncated NFO is a warning on the movie");
    let broken = movie_by_title(&db, library.id, "broken").await;
    assert!(broken.warnings.iter().any(|w| w.contains("stream details")), "{:?}", broken.warnings);
    let heat = movie_by_title(&db, library.id, "heat").await;
    assert!(heat.summary.video.as_deref().is_some_and(|v| v.ends_with("BDMV")), "{:?}", heat.summary.video);

    // Nothing changed: nothing is probed, hashed or updated again.
    let second = scan_once(&db, library.id).await;
    assert_eq!(second.phase, ScanPhase::Completed);
    assert_eq!((second.movies_found, second.movies_new, second.movies_updated), (6, 0, 0), "{second:?}");
    assert_eq!((second.videos_probed, second.assets_queued), (0, 0), "{second:?}");

    // A user's edit locks the title; an edited NFO is read again, but the lock holds.
    movies::edit(&db, matrix.summary.id, &Fields { title: Some("Matrix (my cut)".into()), ..Fields::default() })
        .await
        .expect("edit");
    let nfo = root.join("Collections/The Matrix Collection/The Matrix (1999)/The Matrix (1999).nfo");
    std::fs::write(
        &nfo,
        MATRIX_NFO
            .replace("A hacker learns the truth.", "Neo wakes up.")
            .replace("<title>The Matrix</title>", "<title>Other</title>"),
    )
    .expect("edit the NFO");
    // Heat's folder disappears.
    std::fs::remove_dir_all(root.join("Heat (1995)")).expect("remove a folder");
    let third = scan_once(&db, library.id).await;
    assert_eq!(third.movies_updated, 1, "{third:?}");
    assert_eq!(third.movies_missing, 1, "{third:?}");
    let matrix = movies::detail(&db, matrix.summary.id).await.expect("detail");
    assert_eq!(matrix.summary.title, "Matrix (my cut)", "locked fields keep the user's value");
    assert_eq!(matrix.plot.as_deref(), Some("Neo wakes up."), "unlocked fields follow the NFO");
    assert!(matrix.locks.contains(&"title".to_owned()));
    let heat = movies::detail(&db, heat.summary.id).await.expect("Heat is kept");
    assert!(heat.summary.missing, "a vanished folder marks its movie missing, never deletes it");
    app.stop().await;
}
app_test!(scan_of_a_messy_library_records_everything_and_rescans_cheaply);

fn metarr_scan(data_dir: &Path, args: &[&str], database_url: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_metarr"));
    command.arg("scan").args(args).current_dir(data_dir).env("METARR_DATA_DIR", data_dir).env_remove("METARR_CONFIG");
    if let Some(url) = database_url {
        command.env("METARR_DATABASE_URL", url);
    }
    command.output().expect("metarr scan runs")
}

async fn scan_command_adds_the_library_scans_it_and_prints_the_record(backend: Backend) {
    let dir = tempfile::tempdir().expect("data directory");
    let database = crate::helpers::TestDatabase::create(&backend, dir.path()).await;
    let url = matches!(backend, Backend::Postgres(_)).then_some(database.url.as_str());
    // The library lies apart from the data directory: the command refuses one inside it.
    let library_dir = tempfile::tempdir().expect("library directory");
    let root = library_dir.path().join("Films");
    messy_library(&root);
    let root_arg = root.to_str().expect("utf-8 path");

    let output = metarr_scan(dir.path(), &[root_arg, "--json"], url);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON scan record");
    for key in [
        "id",
        "library_id",
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
        assert!(record.get(key).is_some(), "scan JSON has {key}: {record}");
    }
    assert_eq!(record["phase"], "completed");
    assert_eq!(record["movies_new"], 6);

    // The second run reuses the library and finds nothing new; the summary is for people.
    let output = metarr_scan(dir.path(), &[root_arg], url);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = String::from_utf8(output.stdout).expect("utf-8");
    assert!(summary.contains("movies: 6 found, 0 new, 0 updated, 0 missing"), "{summary}");
    assert!(summary.contains("assets cached: 0 of 0"), "{summary}");

    let output = metarr_scan(dir.path(), &["/no/such/folder"], url);
    assert!(!output.status.success(), "a missing folder fails the command");
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/folder"));
}
app_test!(scan_command_adds_the_library_scans_it_and_prints_the_record);

async fn scan_progress_and_completion_reach_websocket_clients(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let library_dir = tempfile::tempdir().expect("library folder");
    let root = library_dir.path().join("Movies");
    video(&root, "Alien (1979)/Alien (1979).mp4");
    write(&root, "Alien (1979)/poster.png", &png(10, 15, 9));
    let library = libraries::create(&db, &LibraryInput::movies_at(&root)).await.expect("library");
    let (mut socket, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("WebSocket connects");
    let scan = metarr::jobs::scan::start_scan(&db, library.id).await.expect("scan starts");

    let mut phases = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("scan events arrive in time")
            .expect("socket open")
            .expect("message readable");
        let tokio_tungstenite::tungstenite::Message::Text(text) = message else { continue };
        let event: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        match event["type"].as_str() {
            Some("scan.progress") => {
                assert_eq!(event["data"]["id"], scan.id.get());
                phases.push(event["data"]["phase"].as_str().expect("phase").to_owned());
            }
            Some("scan.completed") => {
                assert_eq!(event["data"]["movies_found"], 1, "{event}");
                assert_eq!(event["data"]["assets_cached"], 1, "{event}");
                break;
            }
            _ => {}
        }
    }
    assert!(phases.contains(&"scanning".to_owned()), "{phases:?}");
    assert_eq!(phases.last().map(String::as_str), Some("completed"), "{phases:?}");
    app.stop().await;
}
app_test!(scan_progress_and_completion_reach_websocket_clients);

/// Discovery checks, enqueues and counts folders in batches (of 500), each committed on its own
/// so that its memory does not grow with the library: a library of more than two batches still
/// counts every folder once, rescans without jobs, and finds folders gone from any batch.
async fn discovery_in_batches_counts_every_folder_once(backend: Backend) {
    const N: i64 = 1_001;
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let library_dir = tempfile::tempdir().expect("library folder");
    let root = library_dir.path().join("Movies");
    let sample = sample_beside(&root);
    let folder_of = |i: i64| root.join(format!("{:02}/Movie {i:04} (2000)", i % 7));
    for i in 0..N {
        link_sample(&sample, &folder_of(i), &format!("Movie {i:04} (2000).mp4"));
    }
    let library = libraries::create(&db, &LibraryInput::movies_at(&root)).await.expect("library created");
    // A thousand folders take a few seconds alone, but far longer beside the other tests.
    let timeout = Duration::from_secs(300);

    let first = scan_within(&db, library.id, timeout).await;
    assert_eq!(first.phase, ScanPhase::Completed, "{first:?}");
    let counted = (first.directories_total, first.directories_scanned, first.movies_found, first.movies_new);
    assert_eq!(counted, (N, N, N, N), "{first:?}");

    let second = scan_within(&db, library.id, timeout).await;
    let counted = (second.directories_total, second.movies_found, second.movies_new, second.movies_updated);
    assert_eq!(counted, (N, N, 0, 0), "{second:?}");
    assert_eq!(second.videos_probed, 0);

    // Sorted by path, the first folder is in the first batch and the last one in the last batch.
    std::fs::remove_dir_all(folder_of(0)).expect("remove a folder");
    std::fs::remove_dir_all(folder_of(N - 1)).expect("remove a folder");
    let third = scan_within(&db, library.id, timeout).await;
    assert_eq!((third.movies_found, third.movies_missing), (N - 2, 2), "{third:?}");
    app.stop().await;
}
app_test!(discovery_in_batches_counts_every_folder_once);

/// Hundreds of folders cached at once: the cache jobs record their files in shared
/// transactions, and every file must still end up linked to its own asset.
async fn artwork_of_many_folders_is_cached_and_linked_file_by_file(backend: Backend) {
    const N: u32 = 240;
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let library_dir = tempfile::tempdir().expect("library folder");
    let root = library_dir.path().join("Movies");
    let sample = sample_beside(&root);
    let folder_of = |name: &str| root.join(name);
    for i in 0..N {
        let folder = folder_of(&format!("Film {i:03} (2001)"));
        link_sample(&sample, &folder, "movie.mp4");
        std::fs::write(folder.join("poster.png"), png(1000 + i, 1500, 0)).expect("poster");
        std::fs::write(folder.join("fanart.jpg"), format!("fanart of film {i}")).expect("fanart");
    }
    // Two folders share one poster: its bytes are cached once, and both files point at them.
    for twin in ["Twin A (2002)", "Twin B (2002)"] {
        let folder = folder_of(twin);
        link_sample(&sample, &folder, "movie.mp4");
        std::fs::write(folder.join("poster.png"), png(640, 960, 7)).expect("poster");
    }
    let library = libraries::create(&db, &LibraryInput::movies_at(&root)).await.expect("library created");

    let scan = scan_within(&db, library.id, Duration::from_secs(300)).await;
    assert_eq!(scan.phase, ScanPhase::Completed, "{scan:?}");
    let files = i64::from(2 * N + 2);
    assert_eq!((scan.assets_queued, scan.assets_cached, scan.errors), (files, files, 0), "{scan:?}");

    let count = |sql: &'static str| {
        let db = db.clone();
        async move { db.fetch_all::<(i64,)>(sql, &[]).await.expect("count")[0].0 }
    };
    assert_eq!(count("SELECT count(*) AS n FROM media_files WHERE category = 'artwork' AND sha256 IS NULL").await, 0);
    assert_eq!(count("SELECT count(*) AS n FROM assets").await, files - 1, "the twins' poster is cached once");
    let twins = count(
        "SELECT count(*) AS n FROM media_files f JOIN assets a ON a.sha256 = f.sha256 \
         WHERE f.slot = 'poster' AND a.width = 640 AND a.height = 960",
    )
    .await;
    assert_eq!(twins, 2);

    // Each file is linked to the hash of its own bytes, with its own dimensions.
    let cache_root = app.data_dir.path().join("cache");
    for i in [0, 137, N - 1] {
        let folder = folder_of(&format!("Film {i:03} (2001)"));
        for (name, dimensions) in [("poster.png", Some((1000 + i, 1500))), ("fanart.jpg", None)] {
            let path = folder.join(name);
            let bytes = std::fs::read(&path).expect("library file");
            let rows: Vec<(String, String, Option<i64>, Option<i64>)> = db
                .fetch_all(
                    "SELECT a.sha256, a.ext, a.width, a.height FROM media_files f JOIN assets a ON a.sha256 = f.sha256 \
                     WHERE f.path = $1",
                    &[path.display().to_string().into()],
                )
                .await
                .expect("asset of the file");
            let (sha256, ext, width, height) =
                rows.first().cloned().unwrap_or_else(|| panic!("{} has no asset", path.display()));
            assert_eq!(sha256, format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes)), "{}", path.display());
            let width = width.map(|w| u32::try_from(w).expect("width"));
            let height = height.map(|h| u32::try_from(h).expect("height"));
            assert_eq!(width.zip(height), dimensions, "{}", path.display());
            let cached = metarr::cache::path_for(&cache_root, &sha256, &ext);
            assert_eq!(std::fs::read(&cached).expect("cached copy"), bytes);
        }
    }
    app.stop().await;
}
app_test!(artwork_of_many_folders_is_cached_and_linked_file_by_file);

/// Every scan job moves the counters, but open pages are told at most every 250 ms per phase:
/// a scan of hundreds of jobs sends a handful of `scan.progress` events, still with every phase
/// it went through and the completion.
async fn scan_progress_events_are_throttled_but_keep_every_phase(backend: Backend) {
    const N: u32 = 120;
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let library_dir = tempfile::tempdir().expect("library folder");
    let root = library_dir.path().join("Movies");
    let sample = sample_beside(&root);
    for i in 0..N {
        let folder = root.join(format!("Film {i:03} (2003)"));
        link_sample(&sample, &folder, "movie.mp4");
        std::fs::write(folder.join("poster.png"), png(300 + i, 450, 1)).expect("poster");
        std::fs::write(folder.join("fanart.jpg"), format!("fanart {i}")).expect("fanart");
    }
    let library = libraries::create(&db, &LibraryInput::movies_at(&root)).await.expect("library");
    let (mut socket, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("WebSocket connects");
    let started = std::time::Instant::now();
    let scan = metarr::jobs::scan::start_scan(&db, library.id).await.expect("scan starts");

    let mut phases = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("scan events arrive in time")
            .expect("socket open")
            .expect("message readable");
        let tokio_tungstenite::tungstenite::Message::Text(text) = message else { continue };
        let event: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        if event["data"]["id"] != scan.id.get() {
            continue;
        }
        match event["type"].as_str() {
            Some("scan.progress") => phases.push(event["data"]["phase"].as_str().expect("phase").to_owned()),
            Some("scan.completed") => {
                assert_eq!(event["data"]["assets_cached"], i64::from(2 * N), "{event}");
                break;
            }
            _ => {}
        }
    }
    let elapsed = started.elapsed();
    // One event per phase change, plus at most one per 250 ms (and one for rounding), against
    // one per job (more than 3 × N) without the throttle.
    let allowed = 6 + usize::try_from(elapsed.as_millis() / 250).expect("small") + 2;
    assert!(phases.len() <= allowed, "{} progress events in {elapsed:?}: {phases:?}", phases.len());
    assert!(phases.contains(&"scanning".to_owned()), "{phases:?}");
    assert_eq!(phases.last().map(String::as_str), Some("completed"), "{phases:?}");
    app.stop().await;
}
app_test!(scan_progress_events_are_throttled_but_keep_every_phase);
