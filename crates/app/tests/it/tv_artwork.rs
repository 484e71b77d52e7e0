//! TV artwork against stand-ins for TMDB (the series' and season's `images`, episode stills, its
//! image server) and Fanart.tv (character art, a season poster, a logo), serving real JPEG and
//! PNG bytes made in the test. A series, its season and its episodes each get their slots
//! filled (a local episode thumb competing with TMDB's still), the choices publish under Kodi's
//! names, a second run downloads and writes nothing, and the user's choices, uploads and locks
//! hold. Hostile and malformed requests are refused naming what is wrong.

use crate::artwork::png;
use crate::enrich::wait_for_kind;
use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::wait_for_scan;
use metarr::ids::ScanId;
use metarr_artwork::sample;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/providers/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("test data")).expect("JSON")
}

fn jpeg(seed: u64, width: u32, height: u32) -> Vec<u8> {
    sample::jpeg(&sample::picture(seed, width, height), 85)
}

fn tmdb_image(file: &str, width: u32, height: u32, language: Option<&str>, average: f64) -> Value {
    json!({ "aspect_ratio": f64::from(width) / f64::from(height), "file_path": file, "width": width,
            "height": height, "iso_639_1": language, "vote_average": average, "vote_count": 10 })
}

/// Bytes by request path; an HTML 404 for anything else.
#[derive(Clone)]
struct Files(Arc<HashMap<String, (Vec<u8>, &'static str)>>);

impl Respond for Files {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.0.get(request.url.path()) {
            Some((bytes, content_type)) => ResponseTemplate::new(200).set_body_raw(bytes.clone(), content_type),
            None => ResponseTemplate::new(404).set_body_string("<html><body>Not Found</body></html>"),
        }
    }
}

struct Stand {
    tmdb: MockServer,
    fanart: MockServer,
    files: Arc<HashMap<String, (Vec<u8>, &'static str)>>,
}

impl Stand {
    async fn start() -> Stand {
        let (tmdb, fanart) = (MockServer::start().await, MockServer::start().await);
        let mut series = data("constructed-tv-1396.json");
        series["seasons"] = json!([series["seasons"][1].clone()]);
        series["images"] = json!({
            "posters": [tmdb_image("/bb-poster.jpg", 1000, 1500, Some("en"), 6.0)],
            "backdrops": [tmdb_image("/bb-backdrop.jpg", 1920, 1080, None, 6.0)],
            "logos": [tmdb_image("/bb-logo.png", 800, 310, Some("en"), 5.0)],
        });
        let mut season = data("constructed-tv-1396-season-1.json");
        season["images"] = json!({ "posters": [tmdb_image("/bb-s1.jpg", 1000, 1500, Some("en"), 5.0)] });
        season["episodes"][0]["still_path"] = json!("/bb-e1.jpg");
        season["episodes"][1]["still_path"] = json!("/bb-e2.jpg");
        Mock::given(method("GET"))
            .and(path("/3/tv/1396"))
            .respond_with(ResponseTemplate::new(200).set_body_json(series))
            .mount(&tmdb)
            .await;
        Mock::given(method("GET"))
            .and(path("/3/tv/1396/season/1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(season))
            .mount(&tmdb)
            .await;
        let asset = |kind: &str, name: &str| format!("{}/fanart/tv/81189/{kind}/{name}", fanart.uri());
        let fanart_tv = json!({
            "name": "Breaking Bad", "thetvdb_id": "81189",
            "characterart": [{ "id": "1", "url": asset("characterart", "walt.png"), "lang": "", "likes": "3" }],
            "seasonposter": [
                { "id": "2", "url": asset("seasonposter", "s1.jpg"), "lang": "en", "likes": "1", "season": "1" },
                { "id": "3", "url": asset("seasonposter", "s9.jpg"), "lang": "en", "likes": "1", "season": "9" }
            ],
            "tvbanner": [{ "id": "4", "url": asset("tvbanner", "banner.jpg"), "lang": "en", "likes": "2" }]
        });
        Mock::given(method("GET"))
            .and(path("/v3/tv/81189"))
            .respond_with(ResponseTemplate::new(200).set_body_json(fanart_tv))
            .mount(&fanart)
            .await;
        let mut files = HashMap::new();
        let mut put = |at: String, bytes: Vec<u8>, content_type: &'static str| {
            files.insert(at, (bytes, content_type));
        };
        put("/t/p/original/bb-poster.jpg".into(), jpeg(1, 1000, 1500), "image/jpeg");
        put("/t/p/original/bb-backdrop.jpg".into(), jpeg(2, 1920, 1080), "image/jpeg");
        put("/t/p/original/bb-logo.png".into(), png(3, 800, 310), "image/png");
        put("/t/p/original/bb-s1.jpg".into(), jpeg(4, 1000, 1500), "image/jpeg");
        put("/t/p/original/bb-e1.jpg".into(), jpeg(5, 1920, 1080), "image/jpeg");
        put("/t/p/original/bb-e2.jpg".into(), jpeg(6, 1920, 1080), "image/jpeg");
        put("/fanart/tv/81189/characterart/walt.png".into(), png(7, 512, 512), "image/png");
        put("/fanart/tv/81189/seasonposter/s1.jpg".into(), jpeg(8, 1000, 1426), "image/jpeg");
        put("/fanart/tv/81189/tvbanner/banner.jpg".into(), jpeg(9, 1000, 185), "image/jpeg");
        let files = Arc::new(files);
        Mock::given(method("GET")).and(path_regex("^/t/p/")).respond_with(Files(Arc::clone(&files))).mount(&tmdb).await;
        Mock::given(method("GET"))
            .and(path_regex("^/fanart/"))
            .respond_with(Files(Arc::clone(&files)))
            .mount(&fanart)
            .await;
        Stand { tmdb, fanart, files }
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("METARR_PROVIDERS__TMDB__API_KEY".into(), "0123456789abcdef0123456789abcdef".into()),
            ("METARR_PROVIDERS__TMDB__BASE_URL".into(), format!("{}/3", self.tmdb.uri())),
            ("METARR_PROVIDERS__TMDB__IMAGE_BASE_URL".into(), format!("{}/t/p", self.tmdb.uri())),
            ("METARR_PROVIDERS__FANART__API_KEY".into(), "fanartkey1".into()),
            ("METARR_PROVIDERS__FANART__BASE_URL".into(), format!("{}/v3", self.fanart.uri())),
        ]
    }

    fn bytes(&self, at: &str) -> &[u8] {
        &self.files.get(at).expect("served").0
    }

    /// Full-size image downloads either stand-in received.
    async fn downloads(&self) -> usize {
        let mut count = 0;
        for server in [&self.tmdb, &self.fanart] {
            let requests = server.received_requests().await.unwrap_or_default();
            count += requests
                .iter()
                .filter(|r| r.url.path().starts_with("/t/p/original/") || r.url.path().starts_with("/fanart/"))
                .count();
        }
        count
    }
}

/// Breaking Bad with two episodes on disk (the second with its own thumb) and a third season
/// folder-less episode left out; the series' NFO names its TMDB id.
fn library(root: &Path) -> PathBuf {
    let series = root.join("Breaking Bad (2008)");
    let season = series.join("Season 01");
    std::fs::create_dir_all(&season).expect("folders");
    std::fs::write(
        series.join("tvshow.nfo"),
        "<tvshow><title>Breaking Bad</title><uniqueid type=\"tmdb\" default=\"true\">1396</uniqueid></tvshow>",
    )
    .expect("tvshow.nfo");
    std::fs::copy(SAMPLE_VIDEO, season.join("Breaking Bad - S01E01 - Pilot.mp4")).expect("video");
    std::fs::copy(SAMPLE_VIDEO, season.join("Breaking Bad - S01E02 - Cat's in the Bag.mp4")).expect("video");
    std::fs::write(season.join("Breaking Bad - S01E02 - Cat's in the Bag-thumb.jpg"), jpeg(20, 1280, 720))
        .expect("thumb");
    series
}

fn selected_urls(slot: &Value) -> Vec<String> {
    slot["selected"]
        .as_array()
        .expect("selected")
        .iter()
        .map(|c| {
            c["url"].as_str().or(c["path"].as_str()).unwrap_or_default().rsplit('/').next().unwrap_or("").to_owned()
        })
        .collect()
}

fn slot<'a>(slots: &'a Value, name: &str) -> &'a Value {
    slots.as_array().expect("slots").iter().find(|s| s["slot"] == name).unwrap_or_else(|| panic!("{name}: {slots}"))
}

async fn select_and_wait(app: &TestApp, id: i64) {
    let (status, job) = app.post(&format!("/series/{id}/artwork/refresh")).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "select-series-artwork");
    let done = app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    assert_eq!(done.state, JobState::Completed);
}

/// A TV library of Breaking Bad, scanned and enriched, its artwork selected.
async fn enriched_series(backend: Backend) -> (Stand, TestApp, tempfile::TempDir, PathBuf, i64) {
    let stand = Stand::start().await;
    let env = stand.env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestApp::spawn_with(backend, &pairs).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let series = library(&root);
    let (status, lib) = app.post_json("/libraries", &json!({ "path": root.display().to_string(), "kind": "tv" })).await;
    assert_eq!(status, 201, "{lib}");
    let (_, scan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    wait_for_scan(&app.db, ScanId(scan["id"].as_i64().expect("id")), Duration::from_secs(60)).await;
    let (_, list) = app.get("/series").await;
    let id = list["items"][0]["id"].as_i64().expect("series id");

    // Enrichment queues the selection, which fills every owner's slots.
    let (status, job) = app.post(&format!("/series/{id}/enrich")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    wait_for_kind(&app, "select-series-artwork").await;
    let (_, failed) = app.get("/jobs?kind=select-series-artwork&state=failed").await;
    assert_eq!(failed["items"].as_array().map(Vec::len), Some(0), "{failed}");
    (stand, app, dir, series, id)
}

async fn a_series_its_season_and_episodes_get_artwork_published_once(backend: Backend) {
    let (stand, app, _dir, series, id) = enriched_series(backend).await;

    let (status, art) = app.get(&format!("/series/{id}/artwork")).await;
    assert_eq!(status, 200, "{art}");
    let names: Vec<&str> = art["slots"].as_array().expect("slots").iter().filter_map(|s| s["slot"].as_str()).collect();
    assert_eq!(names, ["poster", "fanart", "landscape", "clearlogo", "clearart", "banner", "characterart"]);
    assert_eq!(selected_urls(slot(&art["slots"], "poster")), ["bb-poster.jpg"], "{art}");
    assert_eq!(selected_urls(slot(&art["slots"], "fanart")), ["bb-backdrop.jpg"]);
    assert_eq!(selected_urls(slot(&art["slots"], "clearlogo")), ["bb-logo.png"]);
    assert_eq!(selected_urls(slot(&art["slots"], "banner")), ["banner.jpg"]);
    assert_eq!(selected_urls(slot(&art["slots"], "characterart")), ["walt.png"]);
    assert!(slot(&art["slots"], "poster")["selected"][0]["series_id"] == json!(id), "{art}");
    // Season 1 only (season 9's Fanart.tv poster belongs to no season on disk).
    let seasons = art["seasons"].as_array().expect("seasons");
    assert_eq!(seasons.iter().map(|s| s["season"].as_i64()).collect::<Vec<_>>(), [Some(1)], "{art}");
    let season_posters = slot(&seasons[0]["slots"], "poster");
    assert_eq!(season_posters["candidates"].as_array().map(Vec::len), Some(2), "TMDB's and Fanart.tv's: {art}");
    assert_eq!(season_posters["selected"].as_array().map(Vec::len), Some(1));
    assert_eq!(season_posters["selected"][0]["season"], 1);

    let (_, seasons_view) = app.get(&format!("/series/{id}/seasons")).await;
    let episodes = seasons_view[0]["episodes"].as_array().expect("episodes");
    let e1 = episodes[0]["id"].as_i64().expect("e1");
    let e2 = episodes[1]["id"].as_i64().expect("e2");
    let (status, thumb1) = app.get(&format!("/episodes/{e1}/artwork")).await;
    assert_eq!(status, 200, "{thumb1}");
    assert_eq!(thumb1["series_id"], id);
    assert_eq!(selected_urls(slot(&thumb1["slots"], "thumb")), ["bb-e1.jpg"], "{thumb1}");
    let (_, thumb2) = app.get(&format!("/episodes/{e2}/artwork")).await;
    let thumb2_slot = slot(&thumb2["slots"], "thumb");
    let sources: Vec<&str> =
        thumb2_slot["candidates"].as_array().expect("candidates").iter().filter_map(|c| c["source"].as_str()).collect();
    assert_eq!(sources.len(), 2, "the folder's thumb and TMDB's still: {thumb2}");
    assert!(sources.contains(&"local") && sources.contains(&"tmdb"), "{thumb2}");
    assert_eq!(thumb2_slot["selected"].as_array().map(Vec::len), Some(1));

    // Publishing writes Kodi's names, with the bytes the providers served.
    let (status, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(std::fs::read(series.join("poster.jpg")).expect("poster"), stand.bytes("/t/p/original/bb-poster.jpg"));
    assert_eq!(std::fs::read(series.join("fanart.jpg")).expect("fanart"), stand.bytes("/t/p/original/bb-backdrop.jpg"));
    assert_eq!(std::fs::read(series.join("clearlogo.png")).expect("logo"), stand.bytes("/t/p/original/bb-logo.png"));
    assert_eq!(
        std::fs::read(series.join("characterart.png")).expect("character art"),
        stand.bytes("/fanart/tv/81189/characterart/walt.png")
    );
    assert!(series.join("banner.jpg").is_file());
    assert!(series.join("season01-poster.jpg").is_file(), "{report}");
    assert_eq!(
        std::fs::read(series.join("Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg")).expect("thumb"),
        stand.bytes("/t/p/original/bb-e1.jpg")
    );
    assert!(!series.join("season09-poster.jpg").exists());

    // Again: the selection downloads nothing and changes nothing; publishing writes nothing.
    let downloads = stand.downloads().await;
    select_and_wait(&app, id).await;
    assert_eq!(stand.downloads().await, downloads, "a second selection downloads nothing");
    let (_, again) = app.get(&format!("/series/{id}/artwork")).await;
    assert_eq!(selected_urls(slot(&again["slots"], "poster")), ["bb-poster.jpg"]);
    let (_, republished) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(republished["bytes_written"].as_u64(), Some(0), "{republished}");

    // The user's choice for the season: the other candidate, locked, published over the old.
    let other = season_posters["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["position"].is_null())
        .and_then(|c| c["id"].as_i64())
        .expect("the season poster not chosen");
    let (status, chosen) =
        app.put_json(&format!("/series/{id}/seasons/1/artwork/poster"), &json!({ "candidate_ids": [other] })).await;
    assert_eq!(status, 200, "{chosen}");
    assert_eq!(chosen["locked"], true);
    assert_eq!(chosen["selected"][0]["id"], other);
    select_and_wait(&app, id).await;
    let (_, after) = app.get(&format!("/series/{id}/artwork")).await;
    assert_eq!(slot(&after["seasons"][0]["slots"], "poster")["selected"][0]["id"], other, "the lock holds: {after}");
    let (_, report) = app.post(&format!("/series/{id}/publish")).await;
    assert_eq!(report["replaced"].as_u64(), Some(1), "{report}");
    let (_, bin) = app.get("/recycle-bin").await;
    assert!(
        bin["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["path"].as_str().is_some_and(|p| p.ends_with("season01-poster.jpg"))
                && e["series_id"] == json!(id)),
        "{bin}"
    );
    // Unlocking lets the selection decide again.
    let (status, locks) = app.delete(&format!("/series/{id}/seasons/1/locks/artwork.poster")).await;
    assert_eq!(status, 200, "{locks}");
    assert_eq!(locks["locks"], json!([]));

    // An upload of an episode's thumb becomes its first, locked; the episode's own locks say so.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(30, 1280, 720))
            .file_name("mine.jpg")
            .mime_str("image/jpeg")
            .expect("mime"),
    );
    let (status, uploaded) =
        app.send(app.client.post(app.url(&format!("/episodes/{e1}/artwork/thumb/upload"))).multipart(form)).await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["selected"][0]["source"], "upload");
    assert_eq!(uploaded["locked"], true);
    let (_, episode) = app.get(&format!("/episodes/{e1}")).await;
    assert!(episode["locks"].as_array().expect("locks").iter().any(|l| l == "artwork.thumb"), "{episode}");

    // Verification puts a deleted image back from the cache.
    std::fs::remove_file(series.join("characterart.png")).expect("delete");
    let (status, verified) = app.post(&format!("/series/{id}/verify")).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(
        std::fs::read(series.join("characterart.png")).expect("restored"),
        stand.bytes("/fanart/tv/81189/characterart/walt.png")
    );

    // Refusals name what is wrong and change nothing.
    let e1_candidate = uploaded["selected"][0]["id"].as_i64().expect("upload id");
    let refusals: Vec<(reqwest::Method, String, Value, u16, &str)> = vec![
        (
            reqwest::Method::PUT,
            format!("/series/{id}/artwork/thumb"),
            json!({ "candidate_ids": [] }),
            404,
            "slots: poster",
        ),
        (
            reqwest::Method::PUT,
            format!("/series/{id}/seasons/1/artwork/clearlogo"),
            json!({ "candidate_ids": [] }),
            404,
            "slots: poster, fanart, landscape, banner",
        ),
        (
            reqwest::Method::PUT,
            format!("/series/{id}/seasons/-1/artwork/poster"),
            json!({ "candidate_ids": [] }),
            404,
            "seasons are numbered",
        ),
        (
            reqwest::Method::PUT,
            "/series/999999/artwork/poster".to_owned(),
            json!({ "candidate_ids": [] }),
            404,
            "series 999999 not found",
        ),
        (
            reqwest::Method::PUT,
            "/episodes/999999/artwork/thumb".to_owned(),
            json!({ "candidate_ids": [] }),
            404,
            "episode 999999 not found",
        ),
        (
            reqwest::Method::PUT,
            format!("/series/{id}/artwork/poster"),
            json!({ "candidate_ids": [e1_candidate] }),
            400,
            "not one of the poster candidates of series",
        ),
        (
            reqwest::Method::PUT,
            format!("/series/{id}/artwork/poster"),
            json!({ "candidate_ids": "all" }),
            400,
            "candidate_ids",
        ),
        (
            reqwest::Method::PUT,
            format!("/series/{id}/locks/artwork.discart"),
            Value::Null,
            400,
            "artwork.discart cannot be locked",
        ),
        (
            reqwest::Method::PUT,
            format!("/series/{id}/seasons/1/locks/title"),
            Value::Null,
            400,
            "a season's locks are its artwork slots",
        ),
        (
            reqwest::Method::PUT,
            format!("/episodes/{e1}/locks/artwork.poster"),
            Value::Null,
            400,
            "artwork slots: thumb",
        ),
    ];
    for (verb, at, body, expected, says) in refusals {
        let mut request = app.client.request(verb, app.url(&at));
        if !body.is_null() {
            request = request.json(&body);
        }
        let (status, answer) = app.send(request).await;
        assert_eq!(status, expected, "{at}: {answer}");
        assert!(answer.to_string().contains(says), "{at}: {answer} should say {says:?}");
    }
    let (_, unchanged) = app.get(&format!("/series/{id}/artwork")).await;
    assert_eq!(selected_urls(slot(&unchanged["slots"], "poster")), ["bb-poster.jpg"]);
    app.stop().await;
}
app_test!(a_series_its_season_and_episodes_get_artwork_published_once);

async fn the_picker_works_for_a_series_a_season_and_an_episode(backend: Backend) {
    let (_stand, app, _dir, _series, id) = enriched_series(backend).await;
    let ui = crate::ui::UiClient::new(&app);

    // The series page lists the series' and the season's slots with their pickers.
    let page = ui.get(&format!("/series/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for marker in [
        "id=\"slots-series\"",
        "id=\"slots-season-1\"",
        "id=\"choose-series-characterart\"",
        "id=\"choose-season-1-poster\"",
    ] {
        assert!(page.body.contains(marker), "{marker}: {}", page.body);
    }
    assert!(!page.body.contains("src=\"http"), "the browser loads no image from a provider");

    // "Use this" on the season's picker makes the other poster the season's, locked.
    let (_, art) = app.get(&format!("/series/{id}/artwork")).await;
    let posters = slot(&art["seasons"][0]["slots"], "poster");
    let other = posters["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["position"].is_null())
        .and_then(|c| c["id"].as_i64())
        .expect("a second season poster");
    let picker = ui.get(&format!("/series/{id}/seasons/1/artwork/poster")).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    assert!(picker.body.contains(&format!("id=\"select-{other}\"")), "{}", picker.body);
    assert!(picker.body.contains(&format!("href=\"/series/{id}\"")), "the way back: {}", picker.body);
    let chosen = ui
        .post_form(&format!("/series/{id}/seasons/1/artwork/poster/select"), &[("candidate", &other.to_string())])
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    assert_eq!(chosen.location.as_deref(), Some(format!("/series/{id}/seasons/1/artwork/poster").as_str()));
    let (_, art) = app.get(&format!("/series/{id}/artwork")).await;
    let posters = slot(&art["seasons"][0]["slots"], "poster");
    assert_eq!((posters["selected"][0]["id"].as_i64(), &posters["locked"]), (Some(other), &json!(true)));
    let unlocked = ui.post_form(&format!("/series/{id}/seasons/1/artwork/poster/unlock"), &[]).await;
    assert_eq!(unlocked.status, 303);
    let (_, art) = app.get(&format!("/series/{id}/artwork")).await;
    assert_eq!(slot(&art["seasons"][0]["slots"], "poster")["locked"], false);

    // A series candidate chosen for the season is refused on the page.
    let series_poster = slot(&art["slots"], "poster")["selected"][0]["id"].as_i64().expect("series poster");
    let wrong = ui
        .post_form(
            &format!("/series/{id}/seasons/1/artwork/poster/select"),
            &[("candidate", &series_poster.to_string())],
        )
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"picker-error\""), "{}", wrong.body);

    // An episode's thumb: its page links the picker; an upload needs the token.
    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    let episode = seasons[0]["episodes"][0]["id"].as_i64().expect("episode");
    let page = ui.get(&format!("/episodes/{episode}")).await;
    assert!(page.body.contains("id=\"choose-episode-thumb\""), "{}", page.body);
    let form = || {
        reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(jpeg(40, 1280, 720)).file_name("thumb.jpg"))
    };
    let refused =
        ui.send(ui.client().post(ui.url(&format!("/episodes/{episode}/artwork/thumb/upload"))).multipart(form())).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let csrf = ui.csrf().await;
    let url = ui.url(&format!("/episodes/{episode}/artwork/thumb/upload?csrf={csrf}"));
    let uploaded = ui.send(ui.client().post(&url).multipart(form())).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let (_, thumb) = app.get(&format!("/episodes/{episode}/artwork")).await;
    assert_eq!(slot(&thumb["slots"], "thumb")["selected"][0]["source"], "upload");

    // Blocking from a series picker comes back to it.
    let blocked = ui.post_form(&format!("/artwork-candidates/{series_poster}/block"), &[]).await;
    assert_eq!(blocked.status, 303);
    assert_eq!(blocked.location.as_deref(), Some(format!("/series/{id}/artwork/poster").as_str()));

    // Slots an owner does not have, bad numbers and unknown actions are 404s.
    for at in [
        format!("/series/{id}/artwork/thumb"),
        format!("/series/{id}/seasons/x/artwork/poster"),
        format!("/series/{id}/seasons/1/artwork/characterart"),
        format!("/episodes/{episode}/artwork/poster"),
        "/series/999999/artwork/poster".to_owned(),
    ] {
        assert_eq!(ui.get(&at).await.status, 404, "{at}");
    }
    let odd = ui.post_form(&format!("/series/{id}/artwork/poster/explode"), &[]).await;
    assert_eq!(odd.status, 404, "{}", odd.body);
    app.stop().await;
}
app_test!(the_picker_works_for_a_series_a_season_and_an_episode);
