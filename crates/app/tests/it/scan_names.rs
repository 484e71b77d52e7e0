//! Scanning a library with hostile names and links: a symlink out of a movie folder does not
//! lend it another film's files or NFO, and folders whose names are not UTF-8 are refused as
//! counted errors, each on its own, instead of being merged into one lossy path.

use crate::helpers::{Backend, TestApp};
use crate::scan::{link_sample, sample_beside, wait_for_scan};
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::ScanPhase;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

async fn links_and_bytes_in_names_neither_leak_nor_merge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path").join("Movies");
    let sample = sample_beside(&root);
    let big = root.join("Big (2002)");
    link_sample(&sample, &big, "Big (2002).mp4");
    std::fs::write(big.join("Big (2002).nfo"), "<movie><title>Big</title><year>2002</year></movie>").expect("nfo");
    let looped = root.join("Loop (2006)");
    link_sample(&sample, &looped, "Loop (2006).mp4");
    std::os::unix::fs::symlink("..", looped.join("up")).expect("a link to the parent");
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir_all(&outside).expect("a folder outside the library");
    std::fs::write(outside.join("secret.nfo"), "<movie><title>Secret</title></movie>").expect("outside file");
    std::os::unix::fs::symlink(&outside, looped.join("extras")).expect("a link out of the library");
    for name in [b"Bad\xff (2005)".as_slice(), b"Bad\xfe (2005)".as_slice()] {
        link_sample(&sample, &root.join(OsStr::from_bytes(name)), "movie.mp4");
    }
    let library = libraries::create(&app.db, &LibraryInput::movies_at(&root)).await.expect("library");

    let started = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    let scan = wait_for_scan(&app.db, started.id, Duration::from_secs(60)).await;
    assert_eq!(scan.phase, ScanPhase::Completed, "{scan:?}");
    assert_eq!((scan.movies_found, scan.errors), (2, 2), "{scan:?}");
    for bytes in ["Bad\\xFF (2005)", "Bad\\xFE (2005)"] {
        assert!(
            scan.warnings.iter().any(|w| w.contains(bytes) && w.contains("UTF-8")),
            "no warning names {bytes}: {:?}",
            scan.warnings
        );
    }

    let (_, list) = app.get("/movies?limit=10").await;
    assert_eq!(list["total"], 2, "{list}");
    let titles: Vec<&str> =
        list["items"].as_array().expect("items").iter().filter_map(|m| m["title"].as_str()).collect();
    assert!(titles.contains(&"Big") && titles.contains(&"Loop"), "{titles:?}");
    let loop_id = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|m| m["title"] == "Loop"))
        .and_then(|m| m["id"].as_i64())
        .expect("Loop's id");
    let (_, movie) = app.get(&format!("/movies/{loop_id}")).await;
    assert_eq!(movie["year"], 2006, "{movie}");
    let files = movie["files"].to_string();
    assert!(!files.contains("/up/") && !files.contains("Big (2002)"), "files from another folder: {files}");
    assert!(!files.contains("secret.nfo"), "a file from outside the library: {files}");
    let warnings = movie["warnings"].to_string();
    assert!(warnings.contains("extras"), "the link out of the library is not reported: {movie}");
    app.stop().await;
}
app_test!(links_and_bytes_in_names_neither_leak_nor_merge);
