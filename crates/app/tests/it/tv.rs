//! TV libraries end to end: a messy series library scanned to exact answers, an unchanged
//! rescan that reads listings only, and Sonarr's events through the real webhook endpoint.

use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::{png, wait_for_scan};
use crate::webhooks::{post_raw, settled};
use metarr::catalogue::scans::ScanPhase;
use metarr::ids::ScanId;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
    std::fs::write(path, bytes).expect("file");
}

fn video(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
    std::fs::copy(SAMPLE_VIDEO, path).expect("video");
}

/// The messy library: every naming rule of the issue and its traps.
fn messy_tv_library(root: &Path) {
    let bb = root.join("Breaking Bad (2008) {tvdb-81189}");
    write(
        &bb.join("tvshow.nfo"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<tvshow><title>Breaking Bad</title><plot>A chemistry teacher turns to crime.</plot><year>2008</year>
<premiered>2008-01-20</premiered><status>Ended</status><genre>Drama</genre><genre>Crime</genre>
<uniqueid type="tvdb" default="true">81189</uniqueid><uniqueid type="tmdb">1396</uniqueid>
<uniqueid type="imdb">tt0903747</uniqueid><custom>kept by another tool</custom></tvshow>"#,
    );
    write(&bb.join("poster.png"), png(680, 1000, 1));
    write(&bb.join("season01-poster.png"), png(680, 1000, 2));
    write(&bb.join("season-specials-poster.png"), png(680, 1000, 3));
    write(&bb.join("notes.txt"), "my notes");
    let s1 = bb.join("Season 01");
    video(&s1.join("Breaking Bad - S01E01 - Pilot.mp4"));
    write(
        &s1.join("Breaking Bad - S01E01 - Pilot.nfo"),
        "<episodedetails><title>Pilot</title><season>1</season><episode>1</episode><aired>2008-01-20</aired>\
         <plot>Walter's first cook.</plot></episodedetails>",
    );
    write(&s1.join("Breaking Bad - S01E01 - Pilot-thumb.png"), png(640, 360, 4));
    write(&s1.join("Breaking Bad - S01E01 - Pilot.en.srt"), "1\n00:00:01,000 --> 00:00:02,000\nHi\n");
    video(&s1.join("Breaking Bad - S01E02-E03 - Double.mp4"));
    write(
        &s1.join("Breaking Bad - S01E02-E03 - Double.nfo"),
        "<episodedetails><title>Cat's in the Bag</title><season>1</season><episode>2</episode></episodedetails>\n\
         <episodedetails><title>And the Bag's in the River</title><season>1</season><episode>3</episode></episodedetails>",
    );
    write(
        &s1.join("Breaking Bad - S01E04 - Cancer Man.nfo"),
        "<episodedetails><title>Cancer Man</title><season>1</season><episode>4</episode></episodedetails>",
    );
    write(&s1.join("season.nfo"), "<season><seasonnumber>1</seasonnumber><title>Season One</title></season>");
    video(&s1.join("Featurettes/Making Of.mp4"));
    video(&s1.join("breaking.bad.s01e01.sample.mp4"));
    video(&bb.join("Specials/Breaking Bad - S00E01 - Chicks.mp4"));

    // No season folders, the `1x02` form.
    video(&root.join("Firefly (2002)/Firefly - 1x02 - The Train Job.mp4"));
    // A daily show.
    video(&root.join("The Daily Show (1996)/The Daily Show - 2024-03-01 - Guest.mp4"));
    // Anime numbered absolutely: read as such only once the series is known to be.
    video(&root.join("Cowboy Bebop (1998)/Cowboy Bebop - 012 - Jupiter Jazz.mp4"));
}

async fn tv_library(app: &TestApp, root: &Path) -> i64 {
    let (status, library) =
        app.post_json("/libraries", &json!({ "path": root.display().to_string(), "kind": "tv" })).await;
    assert_eq!(status, 201, "{library}");
    assert_eq!(library["kind"], "tv");
    library["id"].as_i64().expect("library id")
}

async fn scan_library(app: &TestApp, library_id: i64) -> metarr::catalogue::scans::Scan {
    let (status, scan) = app.post(&format!("/libraries/{library_id}/scan")).await;
    assert!(status == 202 || status == 200, "{scan}");
    let id = ScanId(scan["id"].as_i64().expect("scan id"));
    wait_for_scan(&app.db, id, Duration::from_secs(120)).await
}

fn keys(season: &Value) -> Vec<(String, bool, Option<String>)> {
    season["episodes"]
        .as_array()
        .expect("episodes")
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap_or_default().to_owned(),
                e["on_disk"].as_bool().unwrap_or_default(),
                e["title"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn series_by_title(app: &TestApp, title: &str) -> Value {
    let (_, list) = app.get(&format!("/series?q={}", title.replace(' ', "%20"))).await;
    list["items"][0].clone()
}

async fn seasons_pilot_id(app: &TestApp, series_id: i64) -> i64 {
    let (_, seasons) = app.get(&format!("/series/{series_id}/seasons")).await;
    seasons[1]["episodes"][0]["id"].as_i64().expect("the pilot's id")
}

async fn a_messy_tv_library_scans_to_exact_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root: PathBuf = std::fs::canonicalize(dir.path()).expect("canonical path");
    messy_tv_library(&root);
    let library_id = tv_library(&app, &root).await;

    let scan = scan_library(&app, library_id).await;
    assert_eq!(scan.phase, ScanPhase::Completed, "{scan:?}");
    assert_eq!((scan.series_found, scan.series_new, scan.series_missing, scan.movies_found), (4, 4, 0, 0), "{scan:?}");
    // s01e01, s01e02, s01e03 (one file), s00e01, 1x02, the daily episode; the anime file is
    // not an episode until the series numbers absolutely.
    assert_eq!(scan.episodes_found, 6, "{scan:?}");
    assert_eq!((scan.assets_queued, scan.assets_cached), (4, 4), "{scan:?}");
    // Five video files: the double episode is one.
    assert_eq!(scan.videos_probed, 5, "{scan:?}");

    let (status, list) = app.get(&format!("/series?library_id={library_id}")).await;
    assert_eq!(status, 200, "{list}");
    let titles: Vec<&str> =
        list["items"].as_array().expect("items").iter().filter_map(|s| s["title"].as_str()).collect();
    assert_eq!(titles, ["Breaking Bad", "Cowboy Bebop", "Firefly", "The Daily Show"]);
    assert_eq!(list["total"], 4);

    let bb = series_by_title(&app, "Breaking Bad").await;
    assert_eq!(
        (bb["seasons"].as_i64(), bb["episodes_on_disk"].as_i64(), bb["episodes_total"].as_i64()),
        (Some(2), Some(4), Some(5)),
        "{bb}"
    );
    let id = bb["id"].as_i64().expect("series id");
    let (status, detail) = app.get(&format!("/series/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["tvdb_id"], 81189, "{detail}");
    assert_eq!(detail["tmdb_id"], 1396);
    assert_eq!(detail["imdb_id"], "tt0903747");
    assert_eq!(detail["year"], 2008);
    assert_eq!(detail["status"], "Ended");
    assert_eq!(detail["genres"], json!(["Drama", "Crime"]));
    assert_eq!(detail["field_sources"]["title"], "nfo");
    assert_eq!(detail["numbering"], "standard");
    let assets = detail["assets"].as_array().expect("assets");
    assert_eq!(assets.len(), 1, "{detail}");
    assert_eq!(assets[0]["kind"], "poster");
    assert!(assets[0]["sha256"].is_string(), "the poster is cached: {detail}");
    assert_eq!(
        detail["unknown_files"][0]["path"],
        root.join("Breaking Bad (2008) {tvdb-81189}/notes.txt").display().to_string()
    );

    let (status, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    assert_eq!(status, 200, "{seasons}");
    let seasons = seasons.as_array().expect("seasons");
    assert_eq!(seasons.iter().map(|s| s["number"].as_i64()).collect::<Vec<_>>(), [Some(0), Some(1)]);
    assert_eq!(keys(&seasons[0]), [("s00e01".to_owned(), true, None)]);
    assert_eq!(seasons[0]["assets"][0]["kind"], "poster", "the specials poster");
    assert_eq!(seasons[1]["title"], "Season One");
    assert_eq!(seasons[1]["assets"][0]["kind"], "poster");
    assert_eq!(
        keys(&seasons[1]),
        [
            ("s01e01".to_owned(), true, Some("Pilot".to_owned())),
            ("s01e02".to_owned(), true, Some("Cat's in the Bag".to_owned())),
            ("s01e03".to_owned(), true, Some("And the Bag's in the River".to_owned())),
            ("s01e04".to_owned(), false, Some("Cancer Man".to_owned())),
        ]
    );
    let e2 = &seasons[1]["episodes"][1];
    let e3 = &seasons[1]["episodes"][2];
    assert_eq!(e2["video"], e3["video"], "a multi-episode file is the video of each of its episodes");

    let pilot = seasons[1]["episodes"][0]["id"].as_i64().expect("episode id");
    let (status, pilot) = app.get(&format!("/episodes/{pilot}")).await;
    assert_eq!(status, 200, "{pilot}");
    assert_eq!(pilot["plot"], "Walter's first cook.");
    assert_eq!(pilot["aired"], "2008-01-20");
    assert_eq!(pilot["assets"][0]["kind"], "thumb", "{pilot}");
    assert!(pilot["assets"][0]["sha256"].is_string(), "{pilot}");
    assert_eq!(pilot["subtitles"][0]["language"], "eng", "ISO 639-2, as for movies");
    assert_eq!(pilot["stream_details"]["video"][0]["codec"], "h264", "{pilot}");
    let double = e2["id"].as_i64().expect("id");
    let (_, double) = app.get(&format!("/episodes/{double}")).await;
    assert_eq!(double["shares_file_with"], json!(["s01e03"]));

    let firefly = series_by_title(&app, "Firefly").await;
    let (_, seasons) = app.get(&format!("/series/{}/seasons", firefly["id"])).await;
    assert_eq!(keys(&seasons[0]), [("s01e02".to_owned(), true, None)], "{seasons}");
    let daily = series_by_title(&app, "The Daily Show").await;
    let (_, seasons) = app.get(&format!("/series/{}/seasons", daily["id"])).await;
    let episode = &seasons[0]["episodes"][0];
    assert_eq!(
        (episode["key"].as_str(), episode["aired"].as_str()),
        (Some("d2024-03-01"), Some("2024-03-01")),
        "{seasons}"
    );
    let bebop = series_by_title(&app, "Cowboy Bebop").await;
    assert_eq!(bebop["episodes_total"], 0, "{bebop}");

    // Unchanged: the rescan reads listings only (no series job, no probe, nothing cached).
    let again = scan_library(&app, library_id).await;
    assert_eq!(again.phase, ScanPhase::Completed);
    assert_eq!(
        (again.series_found, again.series_new, again.series_updated, again.videos_probed, again.assets_queued),
        (4, 0, 0, 0, 0),
        "{again:?}"
    );
    assert_eq!(again.episodes_found, 6, "{again:?}");
    let (_, jobs) = app.get(&format!("/jobs?kind=series-scan&correlation_id={}", again.correlation_id)).await;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(0), "{jobs}");

    // A change in one series scans that series only, and a series gone is missing.
    write(
        &root.join("Firefly (2002)/Firefly - 1x02 - The Train Job.nfo"),
        "<episodedetails><title>The Train Job</title></episodedetails>",
    );
    std::fs::remove_dir_all(root.join("The Daily Show (1996)")).expect("remove");
    let third = scan_library(&app, library_id).await;
    assert_eq!((third.series_found, third.series_updated, third.series_missing), (3, 1, 1), "{third:?}");
    let (_, seasons) = app.get(&format!("/series/{}/seasons", firefly["id"])).await;
    assert_eq!(keys(&seasons[0]), [("s01e02".to_owned(), true, Some("The Train Job".to_owned()))]);
    let (_, gone) = app.get(&format!("/series/{}", daily["id"])).await;
    assert_eq!(gone["missing"], true);

    // Bad input is refused clearly.
    for (path, status) in [
        ("/series/not-a-number", 400),
        ("/series/987654", 404),
        ("/series/987654/seasons", 404),
        ("/episodes/987654", 404),
        ("/episodes/-1", 404),
        ("/series?limit=0", 400),
        ("/series?offset=-3", 400),
        ("/series?bogus=1", 400),
        ("/series?library_id=abc", 400),
    ] {
        let (got, body) = app.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
    }
    // Edits: malformed, unknown, null, oversized and hostile values are refused naming the
    // field, and nothing changes; a good edit locks its field.
    let pilot_id = seasons_pilot_id(&app, id).await;
    for (path, body, names) in [
        (format!("/series/{id}"), json!({ "bogus": 1 }), "bogus"),
        (format!("/series/{id}"), json!({ "title": null }), "title"),
        (format!("/series/{id}"), json!({ "title": "" }), "title"),
        (format!("/series/{id}"), json!({ "title": "x".repeat(1001) }), "title"),
        (format!("/series/{id}"), json!({ "year": "1999" }), "year"),
        (format!("/series/{id}"), json!({ "numbering": "weekly" }), "numbering"),
        (format!("/series/{id}"), json!({ "imdb_id": "0903747" }), "imdb_id"),
        (format!("/series/{id}"), json!({ "tvdb_id": -1 }), "tvdb_id"),
        (format!("/series/{id}"), json!({}), "nothing to change"),
        (format!("/episodes/{pilot_id}"), json!({ "title": 5 }), "title"),
        (format!("/episodes/{pilot_id}"), json!({ "season": 2 }), "season"),
        (format!("/episodes/{pilot_id}"), json!({ "runtime": -3 }), "runtime"),
        (format!("/episodes/{pilot_id}"), json!({ "plot": "a\u{0}b" }), "plot"),
    ] {
        let (status, answer) = app.patch_json(&path, &body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap_or_default().contains(names), "{body}: {answer}");
    }
    let (_, unchanged) = app.get(&format!("/series/{id}")).await;
    assert_eq!(
        (unchanged["title"].as_str(), unchanged["locks"].as_array().map(Vec::len)),
        (Some("Breaking Bad"), Some(0))
    );
    let (status, edited) = app
        .patch_json(&format!("/series/{id}"), &json!({ "title": "Breaking Bad (US)", "numbering": "standard" }))
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["locks"], json!(["title"]));
    let (status, locks) = app.delete(&format!("/series/{id}/locks/title")).await;
    assert_eq!((status, locks["locks"].clone()), (200, json!([])), "{locks}");
    let (status, refused) = app.put_json(&format!("/series/{id}/locks/bogus"), &json!({})).await;
    assert_eq!(status, 400, "{refused}");
    let (status, refused) = app.put_json(&format!("/episodes/{pilot_id}/locks/season"), &json!({})).await;
    assert_eq!(status, 400, "{refused}");
    let (status, _) = app.patch_json("/episodes/987654", &json!({ "title": "x" })).await;
    assert_eq!(status, 404);

    // A library's kind cannot change under its catalogue.
    let (status, body) = app
        .put_json(&format!("/libraries/{library_id}"), &json!({ "path": root.display().to_string(), "kind": "movies" }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("kind cannot change"), "{body}");

    // Deleting the library forgets its series, seasons, episodes and files (never a file on disk).
    let (status, body) = app.delete(&format!("/libraries/{library_id}")).await;
    assert!(status == 204 || status == 200, "{body}");
    let (_, list) = app.get("/series").await;
    assert_eq!(list["total"], 0, "{list}");
    for table in ["series", "seasons", "episodes", "series_files"] {
        let (n,): (i64,) =
            app.db.fetch_optional(&format!("SELECT count(*) FROM {table}"), &[]).await.expect("count").expect("a row");
        assert_eq!(n, 0, "{table}");
    }
    assert!(root.join("Breaking Bad (2008) {tvdb-81189}/tvshow.nfo").exists());
    app.stop().await;
}
app_test!(a_messy_tv_library_scans_to_exact_answers);

async fn wait_for_job_of(app: &TestApp, log_entry: &Value, kind: &str) {
    let ids = log_entry["job_ids"].as_array().expect("job ids");
    for id in ids {
        let job = app.queue.get(job_id(id)).await.expect("job");
        if job.kind == kind {
            app.wait_for_state(job.id, JobState::Completed).await;
            return;
        }
    }
    panic!("no {kind} job in {log_entry}");
}

async fn sonarr_events_reach_the_series(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let root: PathBuf = std::fs::canonicalize(dir.path()).expect("canonical path");
    messy_tv_library(&root);
    let library_id = tv_library(&app, &root).await;
    let (status, mapping) = app
        .post_json("/path-mappings", &json!({ "remote_path": "/tv", "local_path": root.display().to_string() }))
        .await;
    assert_eq!(status, 201, "{mapping}");
    scan_library(&app, library_id).await;

    // A season pack (the import-complete shape) of a new series: scanned, with Sonarr's ids.
    video(&root.join("Example Show/Season 01/Example Show - S01E01 - Pilot.mkv"));
    video(&root.join("Example Show/Season 01/Example Show - S01E02 - Second.mkv"));
    let body = crate::webhooks::fixture("sonarr-download-importcomplete.json");
    let (status, answer) = post_raw(&app, "sonarr", body).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    let folder = root.join("Example Show").display().to_string();
    assert!(
        entry["outcome"].as_str().unwrap_or_default().starts_with(&format!("scan of series {folder} queued")),
        "{entry}"
    );
    wait_for_job_of(&app, &entry, "scan-series").await;
    let show = series_by_title(&app, "Example Show").await;
    assert_eq!((show["tvdb_id"].as_i64(), show["tmdb_id"].as_i64()), (Some(121361), Some(1399)), "{show}");
    assert_eq!(show["imdb_id"], "tt0944947");
    assert_eq!(show["episodes_on_disk"], 2);
    let (_, detail) = app.get(&format!("/series/{}", show["id"])).await;
    assert_eq!(detail["field_sources"]["tvdb_id"], "sonarr", "{detail}");

    // The per-file shape, for an anime series: its numbering becomes absolute and the file an episode.
    let per_file = json!({
        "series": { "id": 7, "title": "Cowboy Bebop", "path": "/tv/Cowboy Bebop (1998)", "tvdbId": 76885, "type": "anime" },
        "episodes": [{ "id": 1, "episodeNumber": 12, "seasonNumber": 1 }],
        "episodeFile": { "id": 3, "path": "/tv/Cowboy Bebop (1998)/Cowboy Bebop - 012 - Jupiter Jazz.mp4" },
        "isUpgrade": false, "eventType": "Download"
    });
    let (status, answer) = post_raw(&app, "sonarr", per_file.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    wait_for_job_of(&app, &entry, "scan-series").await;
    let bebop = series_by_title(&app, "Cowboy Bebop").await;
    let (_, detail) = app.get(&format!("/series/{}", bebop["id"])).await;
    assert_eq!(detail["numbering"], "absolute", "{detail}");
    let (_, seasons) = app.get(&format!("/series/{}/seasons", bebop["id"])).await;
    assert_eq!(seasons[0]["episodes"][0]["key"], "a012", "{seasons}");

    // EpisodeFileDelete (not an upgrade): the episode stays, known but not on disk.
    let firefly_file = root.join("Firefly (2002)/Firefly - 1x02 - The Train Job.mp4");
    std::fs::remove_file(&firefly_file).expect("delete");
    let delete = json!({
        "series": { "title": "Firefly", "path": "/tv/Firefly (2002)" },
        "episodes": [{ "id": 1 }],
        "episodeFile": { "path": "/tv/Firefly (2002)/Firefly - 1x02 - The Train Job.mp4" },
        "deleteReason": "manual", "eventType": "EpisodeFileDelete"
    });
    let (status, answer) = post_raw(&app, "sonarr", delete.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().contains("marked gone (reason: manual)"), "{entry}");
    let firefly = series_by_title(&app, "Firefly").await;
    assert_eq!(
        (firefly["episodes_on_disk"].as_i64(), firefly["episodes_total"].as_i64()),
        (Some(0), Some(1)),
        "{firefly}"
    );

    // An upgrade's delete changes nothing: the Download follows.
    let upgrade = json!({
        "series": { "title": "Breaking Bad", "path": "/tv/Breaking Bad (2008) {tvdb-81189}" },
        "episodeFile": { "path": "/tv/Breaking Bad (2008) {tvdb-81189}/Season 01/Breaking Bad - S01E01 - Pilot.mp4" },
        "deleteReason": "upgrade", "eventType": "EpisodeFileDelete"
    });
    let (_, answer) = post_raw(&app, "sonarr", upgrade.to_string()).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("file deleted for upgrade"), "{entry}");
    assert_eq!(series_by_title(&app, "Breaking Bad").await["episodes_on_disk"], 4);

    // SeriesDelete: missing, not forgotten.
    let series_delete = json!({
        "series": { "title": "Firefly", "path": "/tv/Firefly (2002)" }, "deletedFiles": false, "eventType": "SeriesDelete"
    });
    let (_, answer) = post_raw(&app, "sonarr", series_delete.to_string()).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("series at"), "{entry}");
    assert_eq!(series_by_title(&app, "Firefly").await["missing"], true);

    // Rename: the recorded paths follow, and the series is scanned again.
    let old = root.join("Breaking Bad (2008) {tvdb-81189}/Specials/Breaking Bad - S00E01 - Chicks.mp4");
    let new = root.join("Breaking Bad (2008) {tvdb-81189}/Specials/Breaking Bad - S00E01 - Chicks (Renamed).mp4");
    std::fs::rename(&old, &new).expect("rename");
    let rename = json!({
        "series": { "title": "Breaking Bad", "path": "/tv/Breaking Bad (2008) {tvdb-81189}" },
        "renamedEpisodeFiles": [{
            "previousPath": "/tv/Breaking Bad (2008) {tvdb-81189}/Specials/Breaking Bad - S00E01 - Chicks.mp4",
            "path": "/tv/Breaking Bad (2008) {tvdb-81189}/Specials/Breaking Bad - S00E01 - Chicks (Renamed).mp4"
        }],
        "eventType": "Rename"
    });
    let (_, answer) = post_raw(&app, "sonarr", rename.to_string()).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(
        entry["outcome"].as_str().unwrap_or_default().starts_with("1 of 1 renamed episode file path(s) updated"),
        "{entry}"
    );
    wait_for_job_of(&app, &entry, "scan-series").await;
    let bb = series_by_title(&app, "Breaking Bad").await;
    let (_, seasons) = app.get(&format!("/series/{}/seasons", bb["id"])).await;
    assert_eq!(seasons[0]["episodes"][0]["video"], new.display().to_string(), "{seasons}");

    // SeriesAdd: Sonarr made the folder (empty so far); the series is recorded with its ids.
    std::fs::create_dir_all(root.join("Dark (2017)/Season 01")).expect("new series folder");
    let added = json!({
        "series": { "title": "Dark", "year": 2017, "path": "/tv/Dark (2017)", "tvdbId": 334824, "tmdbId": 70523,
                    "imdbId": "tt5753856", "type": "standard" },
        "eventType": "SeriesAdd"
    });
    let (status, answer) = post_raw(&app, "sonarr", added.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    wait_for_job_of(&app, &entry, "scan-series").await;
    let dark = series_by_title(&app, "Dark").await;
    assert_eq!(
        (dark["tvdb_id"].as_i64(), dark["tmdb_id"].as_i64(), dark["year"].as_i64()),
        (Some(334824), Some(70523), Some(2017)),
        "{dark}"
    );
    assert_eq!(dark["episodes_total"], 0);

    // A Sonarr path in no TV library, and a Radarr download into the TV library, are refused.
    let elsewhere = json!({
        "series": { "title": "Nowhere", "path": "/elsewhere/Nowhere" }, "episodes": [],
        "episodeFile": { "path": "/elsewhere/Nowhere/S01E01.mkv" }, "eventType": "Download"
    });
    let (_, answer) = post_raw(&app, "sonarr", elsewhere.to_string()).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(
        entry["outcome"].as_str().unwrap_or_default().starts_with("no library contains /elsewhere/Nowhere"),
        "{entry}"
    );
    let radarr = json!({
        "movie": { "title": "Heat", "year": 1995, "folderPath": "/tv/Heat (1995)" },
        "movieFile": { "path": "/tv/Heat (1995)/Heat.mkv" }, "isUpgrade": false, "eventType": "Download"
    });
    let (_, answer) = post_raw(&app, "radarr", radarr.to_string()).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().contains("which holds TV series"), "{entry}");

    // Malformed Sonarr bodies are answered 400 and logged; nothing is queued.
    for body in [
        r#"{"eventType":"SeriesAdd"}"#,
        r#"{"eventType":"Download","series":{"title":"X"}}"#,
        r#"{"eventType":"Rename","series":{"title":"X"},"renamedEpisodeFiles":[{"path":1}]}"#,
        r#"{"eventType":"SeriesDelete","series":"not an object"}"#,
    ] {
        let (status, answer) = post_raw(&app, "sonarr", body).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    app.stop().await;
}
app_test!(sonarr_events_reach_the_series);

/// A long series (more videos to read than one job reads itself) has its stream details read by
/// one `season-probe` job per season, each counted as a folder of the scan, which ends after
/// them; a season's job run again reads and counts nothing; a rescan reads nothing.
async fn a_long_series_reads_its_stream_details_one_season_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let show = root.join("One Long Show (2001)");
    let per_season = metarr::jobs::tv_scan::PROBES_INLINE / 2 + 1;
    for season in 1..=2 {
        for episode in 1..=per_season {
            video(&show.join(format!("Season {season:02}/One Long Show - S{season:02}E{episode:02}.mp4")));
        }
    }
    // A short series beside it reads its own.
    video(&root.join("Short (2010)/Season 01/Short - S01E01.mp4"));
    let library_id = tv_library(&app, &root).await;
    let scan = scan_library(&app, library_id).await;
    assert_eq!(scan.phase, ScanPhase::Completed, "{scan:?}");
    let videos = i64::try_from(2 * per_season + 1).expect("a small number");
    assert_eq!(scan.videos_probed, videos, "{scan:?}");
    assert_eq!((scan.directories_total, scan.directories_scanned), (4, 4), "two series and two seasons: {scan:?}");
    assert_eq!(scan.episodes_found, videos);
    // A season job's work (and the scan's count of it) commits before its worker marks the job
    // completed: wait for the queue to say so.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let probes = loop {
        let (_, probes) = app.get("/jobs?kind=season-probe").await;
        let probes = probes["items"].as_array().expect("jobs").clone();
        if probes.iter().all(|job| job["state"] == "completed") && !probes.is_empty()
            || tokio::time::Instant::now() > deadline
        {
            break probes;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(probes.len(), 2, "one job per season of the long series: {probes:?}");
    assert!(probes.iter().all(|job| job["state"] == "completed"), "{probes:?}");
    let long = series_by_title(&app, "One Long Show").await;
    let (_, seasons) = app.get(&format!("/series/{}/seasons", long["id"])).await;
    for season in seasons.as_array().expect("seasons") {
        for episode in season["episodes"].as_array().expect("episodes") {
            let (_, detail) = app.get(&format!("/episodes/{}", episode["id"])).await;
            assert_eq!(detail["stream_details"]["video"][0]["codec"], "h264", "{detail}");
        }
    }

    // A season's job again (its worker died before acknowledging): nothing read, nothing counted.
    let payload = probes[0]["payload"].clone();
    let again = app.queue.enqueue(metarr_queue::NewJob::raw("season-probe", payload)).await.expect("enqueue").job;
    app.wait_for_state(again.id, JobState::Completed).await;
    let (_, after) = app.get(&format!("/scans/{}", scan.id)).await;
    assert_eq!((after["videos_probed"].as_i64(), after["directories_scanned"].as_i64()), (Some(videos), Some(4)));

    // An unchanged rescan reads nothing and needs no season's job.
    let rescan = scan_library(&app, library_id).await;
    assert_eq!(rescan.videos_probed, 0, "{rescan:?}");
    let (_, probes) = app.get("/jobs?kind=season-probe").await;
    assert_eq!(probes["items"].as_array().map(Vec::len), Some(3), "{probes}");
    app.stop().await;
}
app_test!(a_long_series_reads_its_stream_details_one_season_at_a_time);
