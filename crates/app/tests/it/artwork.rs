//! Artwork selection against stand-ins for TMDB (details with an `images` list, and its image
//! server) and Fanart.tv (a constructed movie answer and its assets), serving real JPEG and PNG
//! bytes made in the test: re-encoded and resized copies of one picture, the same bytes under
//! two names, an HTML error page, a truncated JPEG and an empty file. Covers scoring within
//! 0–100, exact and near-duplicates, limits, locks, blocks, choices, uploads (with hostile
//! ones), previews, headshots cached once per person, a failed download keeping the folder's
//! poster, and a second run that downloads nothing.

use crate::enrich::{fight_club, scan_folders};
use crate::helpers::{Backend, TestApp, job_id};
use metarr_artwork::sample;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TMDB_KEY: &str = "0123456789abcdef0123456789abcdef";
const FANART_KEY: &str = "fanartkey1";

/// Bytes by request path; 404 for anything else. Paths listed in `failing` answer 503 while
/// `down` is set.
#[derive(Clone, Default)]
struct ImageServer {
    files: Arc<HashMap<String, (Vec<u8>, &'static str)>>,
    failing: Arc<Vec<String>>,
    down: Arc<AtomicBool>,
    /// Headshots: any `/t/p/w185/…` path answers a small JPEG made from the path.
    headshots: bool,
}

impl Respond for ImageServer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let at = request.url.path();
        if self.down.load(Ordering::SeqCst) && self.failing.iter().any(|failing| failing == at) {
            return ResponseTemplate::new(503).set_body_string("busy");
        }
        if let Some((bytes, content_type)) = self.files.get(at) {
            return ResponseTemplate::new(200).set_body_raw(bytes.clone(), content_type);
        }
        if self.headshots && at.starts_with("/t/p/w185/") {
            let seed = at.bytes().fold(7u64, |hash, byte| hash.wrapping_mul(31).wrapping_add(u64::from(byte)));
            return ResponseTemplate::new(200)
                .set_body_raw(sample::jpeg(&sample::picture(seed, 185, 278), 80), "image/jpeg");
        }
        ResponseTemplate::new(404).set_body_string("<html><body>Not Found</body></html>")
    }
}

fn jpeg(seed: u64, width: u32, height: u32) -> Vec<u8> {
    sample::jpeg(&sample::picture(seed, width, height), 85)
}

pub fn png(seed: u64, width: u32, height: u32) -> Vec<u8> {
    sample::png(&sample::picture(seed, width, height))
}

/// The same picture as `seed` at `width`×`height`, scaled down to 75 % and saved again as a
/// lower-quality JPEG: what sites do to one another's uploads.
fn reencoded(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let picture = sample::picture(seed, width, height);
    let smaller =
        image::imageops::resize(&picture, width * 3 / 4, height * 3 / 4, image::imageops::FilterType::Triangle);
    sample::jpeg(&smaller, 60)
}

fn tmdb_image(file: &str, width: u32, height: u32, language: Option<&str>, average: f64, votes: u32) -> Value {
    json!({ "aspect_ratio": f64::from(width) / f64::from(height), "file_path": file, "width": width, "height": height,
            "iso_639_1": language, "vote_average": average, "vote_count": votes })
}

/// The stand-ins and what they serve.
pub struct Stand {
    pub tmdb: MockServer,
    pub fanart: MockServer,
    /// While set, the `failing` paths answer 503.
    down: Arc<AtomicBool>,
}

impl Stand {
    /// `failing`: TMDB image paths that answer 503 until [`Stand::down`] is cleared.
    pub async fn start(failing: &[&str]) -> Stand {
        let tmdb = MockServer::start().await;
        let fanart = MockServer::start().await;
        let mut movie = fight_club();
        movie["images"] = json!({
            "posters": [
                tmdb_image("/poster-en.jpg", 1000, 1500, Some("en"), 5.6, 20),
                tmdb_image("/poster-fr.jpg", 1000, 1500, Some("fr"), 6.0, 30),
                tmdb_image("/poster-textless.jpg", 1000, 1500, None, 5.0, 10),
            ],
            "backdrops": [
                tmdb_image("/b1.jpg", 1280, 720, None, 6.0, 50),
                tmdb_image("/b2.jpg", 1280, 720, None, 5.9, 40),
                tmdb_image("/b6.jpg", 1280, 720, None, 5.8, 35),
                tmdb_image("/b3.jpg", 1280, 720, None, 5.5, 30),
                tmdb_image("/b7.jpg", 1280, 720, None, 5.2, 25),
                tmdb_image("/b4.jpg", 1280, 720, None, 5.0, 20),
                tmdb_image("/b5.jpg", 1280, 720, Some("en"), 4.0, 5),
            ],
            "logos": [tmdb_image("/logo.png", 800, 310, Some("en"), 5.0, 3)],
        });
        Mock::given(method("GET"))
            .and(path("/3/movie/550"))
            .respond_with(ResponseTemplate::new(200).set_body_json(movie))
            .mount(&tmdb)
            .await;
        let mut files: HashMap<String, (Vec<u8>, &'static str)> = HashMap::new();
        let mut put = |at: &str, bytes: Vec<u8>, content_type: &'static str| {
            files.insert(at.to_owned(), (bytes, content_type));
        };
        for (name, seed) in [("poster-en", 1), ("poster-fr", 2), ("poster-textless", 3)] {
            put(&format!("/t/p/original/{name}.jpg"), jpeg(seed, 1000, 1500), "image/jpeg");
            put(&format!("/t/p/w342/{name}.jpg"), jpeg(seed, 342, 513), "image/jpeg");
        }
        put("/t/p/original/b1.jpg", jpeg(10, 1280, 720), "image/jpeg");
        // A near-duplicate: b1's picture, smaller and re-encoded.
        put("/t/p/original/b2.jpg", reencoded(10, 1280, 720), "image/jpeg");
        // An error page served as if it were the image.
        put("/t/p/original/b6.jpg", b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>".to_vec(), "text/html");
        put("/t/p/original/b3.jpg", jpeg(11, 1280, 720), "image/jpeg");
        // Exactly b3's bytes under another name.
        put("/t/p/original/b7.jpg", jpeg(11, 1280, 720), "image/jpeg");
        put("/t/p/original/b4.jpg", jpeg(12, 1280, 720), "image/jpeg");
        put("/t/p/original/b5.jpg", jpeg(13, 1280, 720), "image/jpeg");
        put("/t/p/original/logo.png", png(20, 800, 310), "image/png");
        let assets = "/fanart/movies/550";
        put(&format!("{assets}/movieposter/fp1.jpg"), jpeg(30, 1000, 1426), "image/jpeg");
        put(&format!("{assets}/moviedisc/d1.png"), b"<html>rate limited</html>".to_vec(), "text/html");
        put(&format!("{assets}/moviedisc/d2.png"), png(31, 1000, 1000), "image/png");
        let whole = jpeg(35, 1000, 562);
        put(&format!("{assets}/hdmovieclearart/c1.png"), whole[..whole.len() / 2].to_vec(), "image/png");
        put(&format!("{assets}/moviebanner/bn1.jpg"), Vec::new(), "image/jpeg");
        put(&format!("{assets}/moviebanner/bn2.jpg"), jpeg(32, 1000, 185), "image/jpeg");
        put(&format!("{assets}/moviethumb/t1.jpg"), jpeg(33, 1000, 562), "image/jpeg");
        put(&format!("{assets}/hdmovielogo/l1.png"), png(34, 800, 310), "image/png");
        let down = Arc::new(AtomicBool::new(!failing.is_empty()));
        let failing = failing.iter().map(|at| (*at).to_owned()).collect();
        let server = ImageServer {
            files: Arc::new(files),
            failing: Arc::new(failing),
            down: Arc::clone(&down),
            headshots: true,
        };
        Mock::given(method("GET")).and(path_regex("^/t/p/")).respond_with(server.clone()).mount(&tmdb).await;
        Mock::given(method("GET")).and(path_regex("^/fanart/")).respond_with(server).mount(&fanart).await;
        let url = |kind: &str, name: &str| format!("{}{assets}/{kind}/{name}", fanart.uri());
        let art = |kind: &str, name: &str, lang: &str, likes: &str| json!({ "id": name, "url": url(kind, name), "lang": lang, "likes": likes });
        let answer = json!({
            "name": "Fight Club", "tmdb_id": "550", "imdb_id": "tt0137523",
            "movieposter": [art("movieposter", "fp1.jpg", "en", "5")],
            "moviedisc": [art("moviedisc", "d1.png", "en", "9"), art("moviedisc", "d2.png", "en", "2")],
            "hdmovieclearart": [art("hdmovieclearart", "c1.png", "en", "4")],
            "moviebanner": [art("moviebanner", "bn1.jpg", "en", "8"), art("moviebanner", "bn2.jpg", "en", "1")],
            "moviethumb": [art("moviethumb", "t1.jpg", "en", "3")],
            "hdmovielogo": [art("hdmovielogo", "l1.png", "en", "10")],
        });
        Mock::given(method("GET"))
            .and(path("/v3/movies/550"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(&fanart)
            .await;
        Stand { tmdb, fanart, down }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("METARR_PROVIDERS__TMDB__API_KEY".into(), TMDB_KEY.into()),
            ("METARR_PROVIDERS__TMDB__BASE_URL".into(), format!("{}/3", self.tmdb.uri())),
            ("METARR_PROVIDERS__TMDB__IMAGE_BASE_URL".into(), format!("{}/t/p", self.tmdb.uri())),
            ("METARR_PROVIDERS__FANART__API_KEY".into(), FANART_KEY.into()),
            ("METARR_PROVIDERS__FANART__BASE_URL".into(), format!("{}/v3", self.fanart.uri())),
        ]
    }

    /// Image downloads either stand-in received (full images only, not previews or headshots).
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

    async fn requests_under(&self, prefix: &str) -> usize {
        let requests = self.tmdb.received_requests().await.unwrap_or_default();
        requests.iter().filter(|r| r.url.path().starts_with(prefix)).count()
    }
}

pub async fn spawn(backend: Backend, stand: &Stand) -> TestApp {
    let env = stand.env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestApp::spawn_with(backend, &pairs).await
}

/// Waits until no job of `kind` is pending or running.
pub async fn settle(app: &TestApp, kind: &str) {
    crate::enrich::wait_for_kind(app, kind).await;
}

/// Enriches a movie and waits for its artwork and headshots.
pub async fn enrich_with_artwork(app: &TestApp, id: i64) {
    let (status, job) = app.post(&format!("/movies/{id}/enrich")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    settle(app, "select-artwork").await;
    settle(app, "cache-headshots").await;
}

pub fn slot<'a>(artwork: &'a Value, name: &str) -> &'a Value {
    artwork["slots"].as_array().expect("slots").iter().find(|s| s["slot"] == name).expect("the slot")
}

pub fn candidate_by_url<'a>(slot: &'a Value, suffix: &str) -> &'a Value {
    slot["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["url"].as_str().is_some_and(|url| url.ends_with(suffix)))
        .unwrap_or_else(|| panic!("a candidate ending {suffix} in {slot}"))
}

fn selected_urls(slot: &Value) -> Vec<String> {
    slot["selected"]
        .as_array()
        .expect("selected")
        .iter()
        .map(|c| c["url"].as_str().map(|url| url.rsplit('/').next().unwrap_or(url).to_owned()).unwrap_or_default())
        .collect()
}

pub async fn one_movie(app: &TestApp) -> (tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let id = scan_folders(app, &root, &[("Fight Club (1999) {tmdb-550}", None)]).await[0];
    (dir, id)
}

async fn the_best_distinct_images_fill_each_slot(backend: Backend) {
    let stand = Stand::start(&[]).await;
    let app = spawn(backend, &stand).await;
    let (_dir, id) = one_movie(&app).await;
    enrich_with_artwork(&app, id).await;

    let (status, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(status, 200, "{artwork}");
    for slot in artwork["slots"].as_array().expect("slots") {
        for candidate in slot["candidates"].as_array().expect("candidates") {
            let score = candidate["score"].as_f64().expect("score");
            assert!((0.0..=100.0).contains(&score), "{candidate}");
        }
    }
    assert_eq!(selected_urls(slot(&artwork, "poster")), ["poster-en.jpg"], "English, best voted, TMDB over Fanart.tv");
    assert_eq!(selected_urls(slot(&artwork, "keyart")), ["poster-textless.jpg"], "a textless poster is key art");
    let fanart = slot(&artwork, "fanart");
    assert_eq!(selected_urls(fanart), ["b1.jpg", "b3.jpg", "b4.jpg"], "{fanart}");
    let b1 = candidate_by_url(fanart, "/b1.jpg");
    let b2 = candidate_by_url(fanart, "/b2.jpg");
    assert_eq!(b2["duplicate_of"], b1["id"], "the resized copy repeats b1: {b2}");
    assert_eq!(candidate_by_url(fanart, "/b7.jpg")["duplicate_of"], candidate_by_url(fanart, "/b3.jpg")["id"]);
    let html = candidate_by_url(fanart, "/b6.jpg");
    assert!(html["rejected"].as_str().is_some_and(|why| why.contains("HTML")), "{html}");
    let disc = slot(&artwork, "discart");
    assert_eq!(selected_urls(disc), ["d2.png"]);
    assert!(candidate_by_url(disc, "/d1.png")["rejected"].as_str().is_some_and(|why| why.contains("HTML")));
    let clearart = slot(&artwork, "clearart");
    assert_eq!(selected_urls(clearart), Vec::<String>::new(), "the only clear art is a cut-off file");
    let cut = candidate_by_url(clearart, "/c1.png");
    assert!(
        cut["rejected"].as_str().is_some_and(|why| why.contains("truncated") || why.contains("ends early")),
        "{cut}"
    );
    let banner = slot(&artwork, "banner");
    assert_eq!(selected_urls(banner), ["bn2.jpg"]);
    assert!(candidate_by_url(banner, "/bn1.jpg")["rejected"].as_str().is_some_and(|why| why.contains("empty")));
    assert_eq!(slot(&artwork, "landscape")["selected"].as_array().map(Vec::len), Some(1));
    assert_eq!(slot(&artwork, "clearlogo")["selected"].as_array().map(Vec::len), Some(1));
    let poster = &slot(&artwork, "poster")["selected"][0];
    assert_eq!((poster["width"].as_u64(), poster["height"].as_u64()), (Some(1000), Some(1500)), "measured");
    let image = poster["image"].as_str().expect("cached image").to_owned();
    let bytes = app.client.get(format!("{}{image}", app.address)).header("X-Api-Key", &app.api_key).send().await;
    let bytes = bytes.expect("asset").bytes().await.expect("bytes");
    assert_eq!(bytes.as_ref(), jpeg(1, 1000, 1500).as_slice(), "the cache holds the downloaded bytes");

    // Running selection again changes nothing and downloads nothing.
    let downloads = stand.downloads().await;
    let (status, job) = app.post(&format!("/movies/{id}/artwork/refresh")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, again) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(stand.downloads().await, downloads, "nothing is downloaded twice");
    for name in ["poster", "fanart", "keyart", "discart", "banner", "landscape", "clearlogo"] {
        assert_eq!(selected_urls(slot(&again, name)), selected_urls(slot(&artwork, name)), "{name}");
    }
    app.stop().await;
}
app_test!(the_best_distinct_images_fill_each_slot);

async fn the_user_chooses_uploads_blocks_and_locks(backend: Backend) {
    let stand = Stand::start(&[]).await;
    let app = spawn(backend, &stand).await;
    let (_dir, id) = one_movie(&app).await;
    enrich_with_artwork(&app, id).await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let french = candidate_by_url(slot(&artwork, "poster"), "/poster-fr.jpg")["id"].as_i64().expect("id");

    // A preview of a candidate not downloaded yet comes through Metarr, at most 342 px wide.
    let response = app
        .client
        .get(app.url(&format!("/artwork-candidates/{french}/preview")))
        .header("X-Api-Key", &app.api_key)
        .send()
        .await
        .expect("preview");
    assert_eq!(response.status(), 200);
    let preview = image::load_from_memory(&response.bytes().await.expect("bytes")).expect("a real image");
    assert!(preview.width() <= 342, "{}", preview.width());
    assert!(stand.requests_under("/t/p/w342/poster-fr.jpg").await >= 1, "the provider's small size was asked for");

    // The user's choice is downloaded, selected and locked; selection leaves it alone.
    let (status, chosen) =
        app.put_json(&format!("/movies/{id}/artwork/poster"), &json!({ "candidate_ids": [french] })).await;
    assert_eq!(status, 200, "{chosen}");
    assert_eq!(selected_urls(&chosen), ["poster-fr.jpg"]);
    assert_eq!(chosen["locked"], true);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert!(movie["locks"].as_array().is_some_and(|locks| locks.contains(&json!("artwork.poster"))), "{movie}");
    let (_, job) = app.post(&format!("/movies/{id}/artwork/refresh")).await;
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(selected_urls(slot(&artwork, "poster")), ["poster-fr.jpg"], "a locked slot keeps the user's choice");

    // Hostile choices are refused, naming the problem.
    let fanart_id = candidate_by_url(slot(&artwork, "fanart"), "/b1.jpg")["id"].clone();
    for (body, expected) in [
        (json!({ "candidate_ids": [fanart_id] }), 400),
        (json!({ "candidate_ids": [999_999] }), 400),
        (json!({ "candidate_ids": [french, french] }), 400),
        (json!({ "candidate_ids": "all" }), 400),
        (json!({ "ids": [french] }), 400),
    ] {
        let (status, answer) = app.put_json(&format!("/movies/{id}/artwork/poster"), &body).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    }
    let (status, _) = app.put_json(&format!("/movies/{id}/artwork/thumbnail"), &json!({ "candidate_ids": [] })).await;
    assert_eq!(status, 404);
    // Unknown movies and candidates are 404, ids that are not numbers 400, on every route.
    for (status, path) in [
        (404, "/movies/999999/artwork".to_owned()),
        (400, "/movies/abc/artwork".to_owned()),
        (404, "/artwork-candidates/999999/preview".to_owned()),
        (400, "/artwork-candidates/x/preview".to_owned()),
    ] {
        assert_eq!(app.get(&path).await.0, status, "GET {path}");
    }
    assert_eq!(app.post("/movies/999999/artwork/refresh").await.0, 404);
    let (status, _) = app.put_json("/movies/999999/artwork/poster", &json!({ "candidate_ids": [] })).await;
    assert_eq!(status, 404);
    let (status, _) = app.send(app.client.put(app.url("/movies/999999/locks/artwork.poster"))).await;
    assert_eq!(status, 404);

    // Blocking a selected backdrop takes it out, and selection fills the slot again without it.
    let b1 = fanart_id.as_i64().expect("id");
    let (status, blocked) = app.post(&format!("/artwork-candidates/{b1}/block")).await;
    assert_eq!(status, 200, "{blocked}");
    assert_eq!(blocked["blocked"], true);
    settle(&app, "select-artwork").await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let fanart = slot(&artwork, "fanart");
    assert!(!selected_urls(fanart).contains(&"b1.jpg".to_owned()), "{fanart}");
    assert_eq!(selected_urls(fanart).len(), 3, "{fanart}");
    let (status, _) = app.post(&format!("/artwork-candidates/{b1}/unblock")).await;
    assert_eq!(status, 200);
    let (status, _) = app.post("/artwork-candidates/999999/block").await;
    assert_eq!(status, 404);
    let (status, _) = app.post("/artwork-candidates/abc/block").await;
    assert_eq!(status, 400);

    // An upload becomes the slot's first image and locks it; bad uploads are refused.
    let upload = |bytes: Vec<u8>, part: &'static str| {
        let form =
            reqwest::multipart::Form::new().part(part, reqwest::multipart::Part::bytes(bytes).file_name("art.png"));
        app.client.post(app.url(&format!("/movies/{id}/artwork/banner/upload"))).multipart(form)
    };
    let (status, banner) = app.send(upload(png(77, 1000, 185), "file")).await;
    assert_eq!(status, 201, "{banner}");
    assert_eq!(banner["locked"], true);
    assert_eq!(banner["selected"][0]["source"], "upload", "{banner}");
    assert_eq!(banner["selected"].as_array().map(Vec::len), Some(1), "the limit holds");
    let (status, answer) = app.send(upload(b"<!DOCTYPE html><html></html>".to_vec(), "file")).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("HTML")), "{answer}");
    let (status, answer) = app.send(upload(Vec::new(), "file")).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = app.send(upload(png(78, 100, 100), "picture")).await;
    assert_eq!(status, 400, "no file part: {answer}");
    // The server answers before reading the whole body and closes that connection: a client of
    // its own, so that no later request reuses it.
    let oversized = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(vec![0u8; 26 * 1024 * 1024]).file_name("huge.png"));
    let response = reqwest::Client::new()
        .post(app.url(&format!("/movies/{id}/artwork/banner/upload")))
        .header("X-Api-Key", &app.api_key)
        .multipart(oversized)
        .send()
        .await;
    // Either the 413 arrives, or the server closed the connection while the body was still going.
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(slot(&artwork, "banner")["selected"][0]["source"], "upload", "refused uploads changed nothing");

    // Unlocking lets selection choose again; locks on unknown slots are refused.
    let (status, locks) = app.delete(&format!("/movies/{id}/locks/artwork.poster")).await;
    assert_eq!(status, 200, "{locks}");
    assert!(!locks["locks"].as_array().expect("locks").contains(&json!("artwork.poster")));
    settle(&app, "select-artwork").await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(selected_urls(slot(&artwork, "poster")), ["poster-en.jpg"]);
    let (status, _) = app.send(app.client.put(app.url(&format!("/movies/{id}/locks/artwork.nope")))).await;
    assert_eq!(status, 400);
    let (status, locks) = app.send(app.client.put(app.url(&format!("/movies/{id}/locks/artwork.fanart")))).await;
    assert_eq!(status, 200, "{locks}");
    app.stop().await;
}
app_test!(the_user_chooses_uploads_blocks_and_locks);

async fn a_failed_download_keeps_the_folders_poster(backend: Backend) {
    // TMDB's image server fails every poster download, and Fanart.tv is not set up.
    let stand = Stand::start(&[
        "/t/p/original/poster-en.jpg",
        "/t/p/original/poster-fr.jpg",
        "/t/p/original/poster-textless.jpg",
    ])
    .await;
    let env: Vec<(String, String)> = stand.env().into_iter().filter(|(name, _)| !name.contains("FANART")).collect();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestApp::spawn_with(backend, &pairs).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let folder = root.join("Fight Club (1999) {tmdb-550}");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join("poster.jpg"), jpeg(50, 600, 900)).expect("poster");
    let id = scan_folders(&app, &root, &[("Fight Club (1999) {tmdb-550}", None)]).await[0];
    let (status, job) = app.post(&format!("/movies/{id}/enrich")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;

    // The first selection cannot download TMDB's poster: the folder's stays selected.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let select = loop {
        assert!(std::time::Instant::now() < deadline, "the first selection never ended or failed");
        let (_, jobs) = app.get("/jobs?kind=select-artwork").await;
        if let Some(job) = jobs["items"].as_array().and_then(|items| items.first())
            && (job["last_error"].is_string() || job["state"] == "completed")
        {
            break job.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(select["last_error"].as_str().is_some_and(|e| e.contains("failed for now")), "{select}");
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let poster = slot(&artwork, "poster");
    assert_eq!(poster["selected"][0]["source"], "local", "{poster}");
    assert!(candidate_by_url(poster, "/poster-en.jpg")["rejected"].is_null(), "a failure for now is not a rejection");

    // Once TMDB's image server is back, the retry downloads its better poster, which then
    // replaces the folder's.
    stand.down.store(false, Ordering::SeqCst);
    app.wait_for_state(job_id(&select["id"]), JobState::Completed).await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let poster = slot(&artwork, "poster");
    assert_eq!(selected_urls(poster), ["poster-en.jpg"], "{poster}");
    let local = poster["candidates"].as_array().expect("candidates").iter().find(|c| c["source"] == "local").cloned();
    let local = local.expect("the folder's poster stays a candidate");
    assert!(local["path"].as_str().is_some_and(|p| p.ends_with("poster.jpg")), "{local}");
    assert!(folder.join("poster.jpg").exists(), "the library is never touched");
    app.stop().await;
}
app_test!(a_failed_download_keeps_the_folders_poster);

async fn headshots_are_cached_once_per_person(backend: Backend) {
    let stand = Stand::start(&[]).await;
    let mut other = fight_club();
    other["id"] = json!(551);
    other["title"] = json!("The Other Film");
    Mock::given(method("GET"))
        .and(path("/3/movie/551"))
        .respond_with(ResponseTemplate::new(200).set_body_json(other))
        .mount(&stand.tmdb)
        .await;
    let app = spawn(backend, &stand).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids =
        scan_folders(&app, &root, &[("Fight Club (1999) {tmdb-550}", None), ("Other (2001) {tmdb-551}", None)]).await;
    enrich_with_artwork(&app, ids[0]).await;
    let first = stand.requests_under("/t/p/w185/").await;
    assert!(first > 5, "the billed cast's headshots were fetched: {first}");
    let (_, movie) = app.get(&format!("/movies/{}", ids[0])).await;
    let brad = movie["actors"].as_array().expect("actors").iter().find(|a| a["name"] == "Brad Pitt").cloned();
    assert_eq!(brad.expect("Brad Pitt")["tmdb_id"], 287);
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = no_redirects
        .get(app.url("/people/287/image"))
        .header("X-Api-Key", &app.api_key)
        .send()
        .await
        .expect("headshot");
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.starts_with("/api/v1/assets/"), "{location}");
    let (status, _) = app.get("/people/1/image").await;
    assert_eq!(status, 404);

    // The other film has the same cast: nobody's headshot is fetched again.
    enrich_with_artwork(&app, ids[1]).await;
    assert_eq!(stand.requests_under("/t/p/w185/").await, first);
    app.stop().await;
}
app_test!(headshots_are_cached_once_per_person);

async fn library_limits_override_the_configured_ones(backend: Backend) {
    let stand = Stand::start(&[]).await;
    let app = spawn(backend, &stand).await;
    let (_dir, id) = one_movie(&app).await;
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    let library_id = movie["library_id"].as_i64().expect("library");
    let (_, library) = app.get(&format!("/libraries/{library_id}")).await;
    let mut input = json!({ "path": library["path"], "auto_enrich": false,
                            "artwork_limits": { "fanart": 1, "keyart": 0 } });
    let (status, updated) = app.put_json(&format!("/libraries/{library_id}"), &input).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["artwork_limits"], json!({ "fanart": 1, "keyart": 0 }));
    for bad in [json!({ "fanart": 21 }), json!({ "thumbnail": 1 }), json!({ "fanart": -1 }), json!([1, 2])] {
        input["artwork_limits"] = bad.clone();
        let (status, answer) = app.put_json(&format!("/libraries/{library_id}"), &input).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    enrich_with_artwork(&app, id).await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(selected_urls(slot(&artwork, "fanart")), ["b1.jpg"]);
    assert_eq!(slot(&artwork, "keyart")["limit"], 0);
    assert_eq!(
        slot(&artwork, "keyart")["candidates"].as_array().map(Vec::len),
        Some(0),
        "a slot turned off collects nothing"
    );
    app.stop().await;
}
app_test!(library_limits_override_the_configured_ones);
