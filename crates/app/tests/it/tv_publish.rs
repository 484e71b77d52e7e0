//! Publishing a TV series: `tvshow.nfo` and one NFO per episode video (a multi-episode file's
//! holding all its episodes), over what the folder holds, through the recycle bin; publishing
//! again writes nothing, the next scan sees no change, and a link out of the library is refused.

use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::wait_for_scan;
use metarr::ids::ScanId;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn library(root: &Path) -> PathBuf {
    let series = root.join("Firefly (2002)");
    let season = series.join("Season 01");
    std::fs::create_dir_all(&season).expect("folders");
    std::fs::write(
        series.join("tvshow.nfo"),
        "<tvshow><title>Firefly</title><plot>Old plot.</plot><custom>kept by another tool</custom></tvshow>",
    )
    .expect("tvshow.nfo");
    std::fs::copy(SAMPLE_VIDEO, season.join("Firefly - S01E01E02 - Serenity.mp4")).expect("video");
    std::fs::write(
        season.join("Firefly - S01E01E02 - Serenity.nfo"),
        "<episodedetails><title>Serenity</title><season>1</season><episode>1</episode>\
         <playcount>3</playcount></episodedetails>",
    )
    .expect("nfo");
    std::fs::copy(SAMPLE_VIDEO, season.join("Firefly - S01E03 - Our Mrs Reynolds.mp4")).expect("video");
    series
}

async fn setup(app: &TestApp, root: &Path) -> (i64, i64) {
    let (status, lib) = app.post_json("/libraries", &json!({ "path": root.display().to_string(), "kind": "tv" })).await;
    assert_eq!(status, 201, "{lib}");
    let (_, scan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    wait_for_scan(&app.db, ScanId(scan["id"].as_i64().expect("id")), Duration::from_secs(60)).await;
    let (_, list) = app.get("/series").await;
    (lib["id"].as_i64().expect("library id"), list["items"][0]["id"].as_i64().expect("series id"))
}

fn actions(plan: &Value) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = plan["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap_or_default();
            let name = Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            (name, f["action"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    files.sort();
    files
}

async fn a_series_publishes_its_nfos_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let series = library(&root);
    let (library_id, id) = setup(&app, &root).await;

    // The user's edits: the series' plot and an episode's title.
    let (status, edited) =
        app.patch_json(&format!("/series/{id}"), &json!({ "plot": "Captain Reynolds, edited." })).await;
    assert_eq!(status, 200, "{edited}");
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    let third = seasons[0]["episodes"][2]["id"].as_i64().expect("s01e03");
    let (status, _) = app.patch_json(&format!("/episodes/{third}"), &json!({ "title": "Our Mrs. Reynolds" })).await;
    assert_eq!(status, 200);

    let (status, plan) = app.get(&format!("/series/{id}/publish/plan")).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(
        actions(&plan),
        [
            ("Firefly - S01E01E02 - Serenity.nfo".to_owned(), "replace".to_owned()),
            ("Firefly - S01E03 - Our Mrs Reynolds.nfo".to_owned(), "write".to_owned()),
            ("tvshow.nfo".to_owned(), "replace".to_owned()),
        ]
    );
    let (status, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!((report["written"].as_u64(), report["replaced"].as_u64()), (Some(1), Some(2)), "{report}");

    let show = std::fs::read_to_string(series.join("tvshow.nfo")).expect("tvshow.nfo");
    assert!(show.contains("<title>Firefly</title>"), "{show}");
    assert!(show.contains("<plot>Captain Reynolds, edited.</plot>"), "{show}");
    assert!(show.contains("<custom>kept by another tool</custom>"), "another tool's element survives: {show}");
    let double = std::fs::read_to_string(series.join("Season 01/Firefly - S01E01E02 - Serenity.nfo")).expect("nfo");
    assert_eq!(double.matches("<episodedetails>").count(), 2, "{double}");
    assert!(double.contains("<playcount>3</playcount>"), "{double}");
    assert!(double.contains("<episode>2</episode>"), "{double}");
    assert!(double.contains("<showtitle>Firefly</showtitle>"), "{double}");
    let third_nfo =
        std::fs::read_to_string(series.join("Season 01/Firefly - S01E03 - Our Mrs Reynolds.nfo")).expect("nfo");
    assert!(third_nfo.contains("<title>Our Mrs. Reynolds</title>"), "{third_nfo}");
    assert!(third_nfo.contains("<codec>h264</codec>"), "the stream details: {third_nfo}");
    // Parsing what was written gives the episodes back.
    let parsed = metarr_nfo::parse_tv(double.as_bytes());
    let metarr_nfo::TvNfo::Episodes(list) = parsed.nfo else { panic!("episodes: {double}") };
    assert_eq!(list.iter().map(|e| e.episode).collect::<Vec<_>>(), [Some(1), Some(2)]);

    // What was replaced is in the recycle bin, with its series.
    let (_, bin) = app.get("/recycle-bin").await;
    let entries = bin["items"].as_array().expect("items");
    assert_eq!(entries.len(), 2, "{bin}");
    assert!(entries.iter().all(|e| e["series_id"] == json!(id) && e["reason"] == "replaced"), "{bin}");

    // Again: nothing written; a rescan of the folder sees no change.
    let (_, again) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!((again["bytes_written"].as_u64(), again["kept"].as_u64()), (Some(0), Some(3)), "{again}");
    let (status, job) = app.post(&format!("/series/{id}/scan")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, scans) = app.get(&format!("/scans?library_id={library_id}")).await;
    let latest = &scans["items"][0];
    assert_eq!((latest["series_found"].as_i64(), latest["series_updated"].as_i64()), (Some(1), Some(0)), "{latest}");
    let (_, detail) = app.get(&format!("/series/{id}")).await;
    assert_eq!(detail["plot"], "Captain Reynolds, edited.");

    // Verification: a missing file comes back byte for byte; an NFO another program changed has
    // its changed values imported (the user's lock still wins) and is written again over it.
    let published_show = std::fs::read(series.join("tvshow.nfo")).expect("tvshow.nfo");
    std::fs::remove_file(series.join("tvshow.nfo")).expect("remove");
    let changed = series.join("Season 01/Firefly - S01E01E02 - Serenity.nfo");
    std::fs::write(&changed, "<episodedetails><title>Mine now</title></episodedetails>").expect("change");
    let (status, verified) = app.post(&format!("/series/{id}/verify")).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["restored"], json!([series.join("tvshow.nfo").display().to_string()]), "{verified}");
    assert_eq!(verified["changed_elsewhere"], json!([]), "{verified}");
    let changed_path = changed.display().to_string();
    assert_eq!(verified["imported"], json!([format!("{changed_path}: s01e01.title")]), "{verified}");
    assert_eq!(verified["files_checked"], 3);
    assert_eq!(std::fs::read(series.join("tvshow.nfo")).expect("restored"), published_show);
    let rewritten = std::fs::read_to_string(&changed).expect("changed");
    assert!(rewritten.contains("<title>Mine now</title>"), "{rewritten}");
    assert_eq!(rewritten.matches("<episodedetails>").count(), 2, "written again in full: {rewritten}");
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    assert_eq!(seasons[0]["episodes"][0]["title"], "Mine now");
    // A locked field is not imported: the user's title for s01e03 stays.
    let third_path = series.join("Season 01/Firefly - S01E03 - Our Mrs Reynolds.nfo");
    let mut edited = std::fs::read_to_string(&third_path).expect("nfo");
    edited = edited.replace("<title>Our Mrs. Reynolds</title>", "<title>Someone else's title</title>");
    std::fs::write(&third_path, edited).expect("edit");
    let (_, verified) = app.post(&format!("/series/{id}/verify")).await;
    assert_eq!(verified["imported"], json!([]), "{verified}");
    assert!(
        std::fs::read_to_string(&third_path).expect("nfo").contains("<title>Someone else's title</title>"),
        "nothing imported, nothing written"
    );
    // The library's verification job does the same.
    std::fs::remove_file(series.join("tvshow.nfo")).expect("remove");
    let (status, job) = app.post_json("/verify", &json!({ "library_id": library_id })).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    assert_eq!(std::fs::read(series.join("tvshow.nfo")).expect("restored by the job"), published_show);
    // Verifying again: the two NFOs Metarr wrote are in sync, the one edited under a lock is
    // still reported.
    let (_, again) = app.post(&format!("/series/{id}/verify")).await;
    assert_eq!((again["in_sync"].as_u64(), again["restored"].as_array().map(Vec::len)), (Some(2), Some(0)), "{again}");
    assert_eq!(again["changed_elsewhere"], json!([third_path.display().to_string()]), "{again}");

    // A link out of the library where an NFO goes is refused, and its target left alone.
    let outside = tempfile::tempdir().expect("outside");
    let victim = outside.path().join("victim.nfo");
    std::fs::write(&victim, "keep me").expect("victim");
    let link = series.join("Season 01/Firefly - S01E03 - Our Mrs Reynolds.nfo");
    std::fs::remove_file(&link).expect("remove");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let (status, refused) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");

    // Publishing off: refused.
    let (status, lib) = app
        .put_json(
            &format!("/libraries/{library_id}"),
            &json!({ "path": root.display().to_string(), "kind": "tv", "publish": "off" }),
        )
        .await;
    assert_eq!(status, 200, "{lib}");
    let (status, body) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = app.post("/series/987654/publish").await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/series/abc/publish/plan").await;
    assert_eq!(status, 400);
    app.stop().await;
}
app_test!(a_series_publishes_its_nfos_once);

async fn a_sonarr_upgrade_gets_the_episode_nfo_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let series = library(&root);
    let (_, id) = setup(&app, &root).await;
    let (status, mapping) = app
        .post_json("/path-mappings", &json!({ "remote_path": "/tv", "local_path": root.display().to_string() }))
        .await;
    assert_eq!(status, 201, "{mapping}");
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    let third = seasons[0]["episodes"][2]["id"].as_i64().expect("s01e03");
    app.patch_json(&format!("/episodes/{third}"), &json!({ "title": "Our Mrs. Reynolds" })).await;
    let (status, _) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200);

    // Sonarr upgrades S01E03: the old file and its NFO go, the new file comes under a new name.
    let season = series.join("Season 01");
    std::fs::remove_file(season.join("Firefly - S01E03 - Our Mrs Reynolds.mp4")).expect("old video");
    std::fs::remove_file(season.join("Firefly - S01E03 - Our Mrs Reynolds.nfo")).expect("old nfo");
    let new_name = "Firefly - S01E03 - Our Mrs Reynolds [Bluray-1080p].mp4";
    std::fs::copy(SAMPLE_VIDEO, season.join(new_name)).expect("new video");
    let delete = json!({
        "series": { "title": "Firefly", "path": "/tv/Firefly (2002)" },
        "episodeFile": { "path": "/tv/Firefly (2002)/Season 01/Firefly - S01E03 - Our Mrs Reynolds.mp4" },
        "deleteReason": "upgrade", "eventType": "EpisodeFileDelete"
    });
    let (status, _) = crate::webhooks::post_raw(&app, "sonarr", delete.to_string()).await;
    assert_eq!(status, 202);
    let download = json!({
        "series": { "title": "Firefly", "path": "/tv/Firefly (2002)", "tvdbId": 78874 },
        "episodes": [{ "id": 3, "episodeNumber": 3, "seasonNumber": 1 }],
        "episodeFile": { "path": format!("/tv/Firefly (2002)/Season 01/{new_name}") },
        "isUpgrade": true, "eventType": "Download"
    });
    let (status, answer) = crate::webhooks::post_raw(&app, "sonarr", download.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let entry = crate::webhooks::settled(&app, answer["id"].as_i64().expect("id")).await;
    let scan_job = entry["job_ids"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(job_id)
        .find(|id| *id != job_id(&entry["job_ids"][0]))
        .expect("the scan-series job");
    app.wait_for_state(scan_job, JobState::Completed).await;

    let restored = season.join("Firefly - S01E03 - Our Mrs Reynolds [Bluray-1080p].nfo");
    let nfo = std::fs::read_to_string(&restored).expect("the NFO is back under the new name");
    assert!(nfo.contains("<title>Our Mrs. Reynolds</title>"), "the user's title: {nfo}");
    assert!(!season.join("Firefly - S01E03 - Our Mrs Reynolds.nfo").exists(), "the old name is not brought back");
    assert!(series.join("tvshow.nfo").exists());
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    assert_eq!(seasons[0]["episodes"][2]["video"], season.join(new_name).display().to_string(), "{seasons}");
    app.stop().await;
}
app_test!(a_sonarr_upgrade_gets_the_episode_nfo_back);

/// Kodi is told exactly what changed: a series it does not know is scanned; a publish that
/// changes the series re-reads it with its episodes; one that changes only an episode's NFO
/// re-reads that episode alone (`VideoLibrary.RefreshEpisode`).
async fn kodi_refreshes_only_the_episode_a_publish_changed(backend: Backend) {
    use metarr_testkit::kodi::standin::{KodiStandIn, StoredEpisode};
    use metarr_testkit::kodi::{KODI_PASSWORD, KODI_USER};
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let series = library(&root);
    let show = series.display().to_string();
    let season = series.join("Season 01");
    let double = season.join("Firefly - S01E01E02 - Serenity.mp4").display().to_string();
    let third = season.join("Firefly - S01E03 - Our Mrs Reynolds.mp4").display().to_string();
    let kodi = KodiStandIn::start_with_notifications().await;
    {
        let mut state = kodi.state();
        state.sources = vec![format!("{}/", root.display())];
        state.episodes_on_disk.push(StoredEpisode::new(&show, &double, "Serenity", 1, 1));
        state.episodes_on_disk.push(StoredEpisode::new(&show, &third, "Our Mrs Reynolds", 1, 3));
    }
    let (status, group) = app
        .post_json(
            "/player-groups",
            &json!({ "kind": "kodi", "name": "Living room",
                     "path_mappings": [{ "local_path": root.display().to_string(), "remote_path": root.display().to_string() }] }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let (status, player) = app
        .post_json(
            &format!("/player-groups/{}/players", group["id"]),
            &json!({ "host": "127.0.0.1", "port": kodi.port(), "username": KODI_USER, "password": KODI_PASSWORD,
                     "tcp_port": kodi.notification_port() }),
        )
        .await;
    assert_eq!(status, 201, "{player}");
    // The scan tells Kodi, which does not know the series yet: its folder is scanned.
    let (_, id) = setup(&app, &root).await;
    crate::enrich::wait_for_kind(&app, "notify-kodi").await;
    let methods_after = |kodi: &KodiStandIn| kodi.state().methods();
    assert!(methods_after(&kodi).contains(&"VideoLibrary.Scan".to_owned()), "{:?}", methods_after(&kodi));
    assert_eq!(kodi.state().episodes.len(), 2, "both videos are in Kodi now");

    // The first publish writes tvshow.nfo: the series is re-read with its episodes.
    let before = methods_after(&kodi).len();
    let (status, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    crate::enrich::wait_for_kind(&app, "notify-kodi").await;
    let calls: Vec<String> = methods_after(&kodi)[before..].to_vec();
    assert!(calls.contains(&"VideoLibrary.RefreshTVShow".to_owned()), "{calls:?}");

    // One episode's title: its NFO alone changes, and Kodi re-reads that episode alone.
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    let third_id = seasons[0]["episodes"][2]["id"].as_i64().expect("s01e03");
    let (status, _) = app.patch_json(&format!("/episodes/{third_id}"), &json!({ "title": "Our Mrs. Reynolds" })).await;
    assert_eq!(status, 200);
    let before = methods_after(&kodi).len();
    let (_, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(report["replaced"].as_u64(), Some(1), "{report}");
    crate::enrich::wait_for_kind(&app, "notify-kodi").await;
    let (_, jobs) = app.get("/jobs?kind=notify-kodi&state=completed").await;
    let last = &jobs["items"][0];
    assert_eq!(last["payload"]["episodes"], json!([third]), "{jobs}");
    let calls: Vec<String> = methods_after(&kodi)[before..].to_vec();
    assert!(calls.contains(&"VideoLibrary.RefreshEpisode".to_owned()), "{calls:?}");
    assert!(!calls.contains(&"VideoLibrary.RefreshTVShow".to_owned()), "the series is not re-read: {calls:?}");
    assert_eq!(kodi.state().refreshed_episodes, std::slice::from_ref(&third));

    // The series' plot: tvshow.nfo changes, and the series is re-read with its episodes.
    let (status, _) = app.patch_json(&format!("/series/{id}"), &json!({ "plot": "Firefly, edited." })).await;
    assert_eq!(status, 200);
    let before = methods_after(&kodi).len();
    let (_, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(report["replaced"].as_u64(), Some(1), "{report}");
    crate::enrich::wait_for_kind(&app, "notify-kodi").await;
    let calls: Vec<String> = methods_after(&kodi)[before..].to_vec();
    assert!(calls.contains(&"VideoLibrary.RefreshTVShow".to_owned()), "{calls:?}");
    assert_eq!(kodi.state().refreshed_episodes.len(), 1, "no episode alone this time");
    app.stop().await;
}
app_test!(kodi_refreshes_only_the_episode_a_publish_changed);
