//! The TV pages over HTTP: a small TV library created through the library form and scanned,
//! then `/tv` (grid, table, search, filters), a series page with its seasons and episodes, an
//! episode page with its streams and subtitles, field edits and numbering that save and lock
//! through the API's checks, the Rescan button, CSRF refusals, and wrong or unknown ids.

use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::{png, wait_for_scan};
use crate::ui::{Page, UiClient};
use metarr::ids::LibraryId;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
    std::fs::write(path, bytes).expect("file");
}

fn video(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
    std::fs::copy(SAMPLE_VIDEO, path).expect("video");
}

/// Breaking Bad with a `tvshow.nfo`, a poster, a season poster, and `Season 01/` holding the
/// pilot (NFO, subtitle, thumb), a two-episode file and an NFO whose video is gone; and Firefly,
/// one episode without season folders.
fn tv_library_on_disk(root: &Path) {
    let bb = root.join("Breaking Bad (2008)");
    write(
        &bb.join("tvshow.nfo"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<tvshow><title>Breaking Bad</title><plot>A chemistry teacher turns to crime.</plot><year>2008</year>
<premiered>2008-01-20</premiered><status>Ended</status><genre>Drama</genre><genre>Crime</genre>
<uniqueid type="tvdb" default="true">81189</uniqueid><uniqueid type="tmdb">1396</uniqueid>
<uniqueid type="imdb">tt0903747</uniqueid></tvshow>"#,
    );
    write(&bb.join("poster.png"), png(680, 1000, 1));
    write(&bb.join("season01-poster.png"), png(680, 1000, 2));
    let s1 = bb.join("Season 01");
    video(&s1.join("Breaking Bad - S01E01 - Pilot.mp4"));
    write(
        &s1.join("Breaking Bad - S01E01 - Pilot.nfo"),
        "<episodedetails><title>Pilot</title><season>1</season><episode>1</episode><aired>2008-01-20</aired>\
         <plot>Walter's first cook.</plot><runtime>58</runtime></episodedetails>",
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
    video(&root.join("Firefly (2002)/Firefly - 1x02 - The Train Job.mp4"));
}

/// The library folder, kept alive for the test, and the library's id.
struct Shows {
    _dir: TempDir,
    root: PathBuf,
    library_id: LibraryId,
}

/// Creates the TV library through the library form (with its CSRF token), as a user does.
async fn create_through_the_form(app: &TestApp, ui: &UiClient, root: &Path, name: &str) -> LibraryId {
    let path = root.display().to_string();
    let page = ui.post_form("/libraries", &[("path", &path), ("name", name), ("kind", "tv"), ("enabled", "on")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/libraries")), "{}", page.body);
    let (_, libraries) = app.get("/libraries").await;
    let library = libraries["items"]
        .as_array()
        .expect("libraries")
        .iter()
        .find(|library| library["path"] == path.as_str())
        .expect("the new library")
        .clone();
    assert_eq!(library["kind"], "tv", "{library}");
    LibraryId(library["id"].as_i64().expect("library id"))
}

/// The library on disk, created through the form and scanned to the end.
async fn scanned_shows(app: &TestApp, ui: &UiClient) -> Shows {
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    tv_library_on_disk(&root);
    let library_id = create_through_the_form(app, ui, &root, "Shows").await;
    let started = metarr::jobs::scan::start_scan(&app.db, library_id).await.expect("scan starts");
    let scan = wait_for_scan(&app.db, started.id, Duration::from_secs(120)).await;
    assert_eq!(scan.phase, metarr::catalogue::scans::ScanPhase::Completed, "{scan:?}");
    Shows { _dir: dir, root, library_id }
}

/// The API's view of the one series whose title matches.
async fn series_json(app: &TestApp, q: &str) -> Value {
    let (status, list) = app.get(&format!("/series?q={}", q.replace(' ', "%20"))).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1, "one series matches {q:?}: {list}");
    list["items"][0].clone()
}

/// The id of a series' episode by its key (`s01e02`).
async fn episode_id(app: &TestApp, series_id: i64, key: &str) -> i64 {
    let (_, seasons) = app.get(&format!("/series/{series_id}/seasons")).await;
    seasons
        .as_array()
        .expect("seasons")
        .iter()
        .flat_map(|season| season["episodes"].as_array().cloned().unwrap_or_default())
        .find(|episode| episode["key"] == key)
        .and_then(|episode| episode["id"].as_i64())
        .unwrap_or_else(|| panic!("no episode {key}: {seasons}"))
}

fn assert_page(page: &Page, status: u16) {
    assert_eq!(page.status, status, "{}", page.body);
}

/// The HTML of one field's row.
fn field_row<'a>(body: &'a str, field: &str) -> &'a str {
    let start = body.find(&format!("id=\"field-{field}\"")).unwrap_or_else(|| panic!("no row for {field}: {body}"));
    let rest = &body[start..];
    let end = rest.find("</details>").unwrap_or(rest.len());
    &rest[..end]
}

/// The HTML from an element's id to the end of its table, list or definition list.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}: {body}"));
    let rest = &body[start..];
    let end = ["</table>", "</ul>", "</dl>"].iter().filter_map(|close| rest.find(close)).min().unwrap_or(rest.len());
    &rest[..end]
}

/// The row of an episode in a season's table.
fn episode_row(body: &str, episode_id: i64) -> &str {
    let start = body
        .find(&format!("data-episode-id=\"{episode_id}\""))
        .unwrap_or_else(|| panic!("no row for episode {episode_id}: {body}"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

/// How many `scan-series` jobs the queue has seen.
async fn series_scan_jobs(app: &TestApp) -> usize {
    let (status, jobs) = app.get("/jobs?kind=scan-series&limit=500").await;
    assert_eq!(status, 200, "{jobs}");
    jobs["items"].as_array().map_or(0, Vec::len)
}

app_test!(tv_page_lists_searches_and_switches_views);
async fn tv_page_lists_searches_and_switches_views(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let shows = scanned_shows(&app, &ui).await;
    let bb = series_json(&app, "Breaking Bad").await;
    assert_eq!(
        (bb["seasons"].as_i64(), bb["episodes_on_disk"].as_i64(), bb["episodes_total"].as_i64()),
        (Some(1), Some(3), Some(4)),
        "{bb}"
    );
    let bb_id = bb["id"].as_i64().expect("id");
    let (_, detail) = app.get(&format!("/series/{bb_id}")).await;
    let poster = detail["assets"][0]["sha256"].as_str().expect("the poster is cached").to_owned();

    let page = ui.get("/tv").await;
    assert_page(&page, 200);
    assert!(page.body.contains("href=\"/tv\" aria-current=\"page\">TV shows</a>"), "the navigation marks TV shows");
    assert!(page.body.contains("<a href=\"/movies\">Movies</a>"), "next to Movies");
    assert!(page.body.contains("2 series"), "{}", page.body);
    assert!(page.body.contains("class=\"posters"), "posters by default");
    assert!(page.body.contains(&format!("<a class=\"poster\" href=\"/series/{bb_id}\">")), "{}", page.body);
    assert!(page.body.contains(&format!("<img src=\"/artwork/{poster}\"")), "the cached poster: {}", page.body);
    assert!(page.body.contains("1 season · 3 / 4 episodes"), "{}", page.body);
    assert!(page.body.contains("<span class=\"placeholder\" aria-hidden=\"true\">Firefly</span>"), "no poster");
    assert!(
        page.body.contains(&format!("<option value=\"{}\">Shows</option>", shows.library_id)),
        "the TV library to filter by: {}",
        page.body
    );
    let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!page.body.contains("<script>") && !page.body.contains("style=\""), "no inline script or style");
    assert_eq!(ui.get(&format!("/artwork/{poster}")).await.status, 200, "the poster is served");

    let page = ui.get("/tv?view=table").await;
    assert_page(&page, 200);
    let table = section(&page.body, "tv-table");
    assert!(table.contains(&format!("<a href=\"/series/{bb_id}\">Breaking Bad</a>")), "{table}");
    assert!(table.contains("<td class=\"num\">3 / 4</td>"), "on disk / known: {table}");
    assert!(table.contains("<td class=\"num\">2008</td>"), "{table}");
    assert!(table.contains("Firefly"), "{table}");

    let page = ui.get("/tv?q=FIRE").await;
    assert!(page.body.contains("1 series match"), "{}", page.body);
    assert!(page.body.contains("Firefly") && !page.body.contains("Breaking Bad"), "{}", page.body);
    assert!(page.body.contains("value=\"FIRE\""), "the search box keeps the text");
    let fragment = ui.htmx_get("/tv?q=breaking&view=table").await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div id=\"tv-results\""), "{}", fragment.body);
    assert!(fragment.body.contains("Breaking Bad") && !fragment.body.contains("Firefly"));
    let page = ui.get(&format!("/tv?library_id={}&missing=false", shows.library_id)).await;
    assert!(page.body.contains("2 series match"), "{}", page.body);
    let page = ui.get("/tv?missing=true").await;
    assert!(page.body.contains("No series matches these filters"), "{}", page.body);

    // The series leaves the disk: the list marks it missing after the next scan.
    std::fs::remove_dir_all(shows.root.join("Firefly (2002)")).expect("remove a series");
    let started = metarr::jobs::scan::start_scan(&app.db, shows.library_id).await.expect("scan starts");
    wait_for_scan(&app.db, started.id, Duration::from_secs(120)).await;
    let page = ui.get("/tv?missing=true").await;
    assert!(page.body.contains("Firefly") && page.body.contains("<span class=\"badge missing\">missing</span>"));

    for bad in ["/tv?page=0", "/tv?view=cards", "/tv?missing=maybe", "/tv?library_id=one"] {
        assert_eq!(ui.get(bad).await.status, 400, "{bad}");
    }
    app.stop().await;
}

app_test!(series_page_shows_fields_seasons_and_episodes);
async fn series_page_shows_fields_seasons_and_episodes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let shows = scanned_shows(&app, &ui).await;
    let bb_id = series_json(&app, "Breaking Bad").await["id"].as_i64().expect("id");
    let (_, seasons) = app.get(&format!("/series/{bb_id}/seasons")).await;
    let season_poster = seasons[0]["assets"][0]["sha256"].as_str().expect("a cached season poster").to_owned();

    let page = ui.get(&format!("/series/{bb_id}")).await;
    assert_page(&page, 200);
    let body = &page.body;
    assert!(body.contains("<title>Breaking Bad · Metarr</title>"), "{body}");
    assert!(body.contains("<h1 id=\"series-title\">Breaking Bad <span class=\"muted\">(2008)</span></h1>"), "{body}");
    assert!(body.contains("href=\"/tv\" aria-current=\"page\""));
    for (field, value) in [
        ("title", "Breaking Bad"),
        ("year", "2008"),
        ("plot", "A chemistry teacher turns to crime."),
        ("status", "Ended"),
        ("premiered", "2008-01-20"),
        ("genres", "Drama, Crime"),
    ] {
        let row = field_row(body, field);
        assert!(row.contains(&format!("<div class=\"field-value\">{value}</div>")), "{field}: {row}");
        assert!(row.contains("<span class=\"badge source\" title=\"where this value came from\">nfo</span>"), "{row}");
        assert!(row.contains(&format!("action=\"/series/{bb_id}/fields/{field}/lock\"")), "{field}: {row}");
        assert!(row.contains(&format!("action=\"/series/{bb_id}/fields/{field}\"")), "{field}: {row}");
    }
    assert!(field_row(body, "sort_title").contains("not set"));
    assert!(field_row(body, "original_title").contains("action="));
    let ids = section(body, "series-ids");
    assert!(ids.contains("<a href=\"https://thetvdb.com/dereferrer/series/81189\""), "{ids}");
    assert!(ids.contains("<a href=\"https://www.themoviedb.org/tv/1396\""), "{ids}");
    assert!(ids.contains("<a href=\"https://www.imdb.com/title/tt0903747/\""), "{ids}");
    assert!(body.contains(&format!("<a href=\"/tv?library_id={}\">Shows</a>", shows.library_id)));
    assert!(body.contains("<option value=\"standard\" selected>"), "the numbering select: {body}");
    assert!(body.contains(&format!("action=\"/series/{bb_id}/numbering\"")));
    assert!(section(body, "series-artwork").contains("poster.png"), "the artwork thumbnails");
    assert!(body.contains(&format!("<img class=\"season-poster\" src=\"/artwork/{season_poster}\"")), "{body}");
    assert!(!body.contains("src=\"http"), "nothing loads from elsewhere");

    let episodes = section(body, "season-1-episodes");
    assert!(episodes.contains("3 of 4 episodes on disk") || body.contains("3 of 4 episodes on disk"));
    let pilot = episode_id(&app, bb_id, "s01e01").await;
    let second = episode_id(&app, bb_id, "s01e02").await;
    let third = episode_id(&app, bb_id, "s01e03").await;
    let gone = episode_id(&app, bb_id, "s01e04").await;
    let row = episode_row(episodes, pilot);
    assert!(row.contains(&format!("<a href=\"/episodes/{pilot}\">S01E01</a>")), "{row}");
    assert!(row.contains("Pilot") && row.contains("2008-01-20") && row.contains("on disk"), "{row}");
    assert!(!row.contains("same file"), "{row}");
    let row = episode_row(episodes, second);
    assert!(row.contains("class=\"shared-file\"") && row.contains("same file as S01E03"), "{row}");
    assert!(row.contains("Breaking Bad - S01E02-E03 - Double.mp4"), "{row}");
    let row = episode_row(episodes, third);
    assert!(row.contains("same file as S01E02") && row.contains("And the Bag&#39;s in the River"), "{row}");
    let row = episode_row(episodes, gone);
    assert!(row.contains("<span class=\"badge missing\">missing</span>") && row.contains("Cancer Man"), "{row}");
    app.stop().await;
}

app_test!(series_edits_lock_fields_and_refuse_what_the_api_refuses);
async fn series_edits_lock_fields_and_refuse_what_the_api_refuses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let _shows = scanned_shows(&app, &ui).await;
    let id = series_json(&app, "Firefly").await["id"].as_i64().expect("id");

    // Without JavaScript: a form post, then back to the series.
    let page = ui.post_form(&format!("/series/{id}/fields/title"), &[("value", "  Firefly (Complete) ")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(format!("/series/{id}#field-title").as_str()));
    let (_, series) = app.get(&format!("/series/{id}")).await;
    assert_eq!(series["title"], "Firefly (Complete)");
    assert_eq!(series["locks"], json!(["title"]));
    assert_eq!(series["field_sources"]["title"], "user");
    let page = ui.get(&format!("/series/{id}")).await;
    let row = field_row(&page.body, "title");
    assert!(page.body.contains("<div class=\"field locked\" id=\"field-title\">"), "{}", page.body);
    assert!(row.contains("<span class=\"badge lock\">locked</span>"), "{row}");
    assert!(row.contains(&format!("action=\"/series/{id}/fields/title/unlock\"")), "{row}");

    // With htmx: the row alone, with the new heading out of band.
    let fragment = ui.htmx_post(&format!("/series/{id}/fields/year"), &[("value", "2003")]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div class=\"field locked\" id=\"field-year\">"), "{}", fragment.body);
    assert!(
        fragment.body.contains(
            "<h1 id=\"series-title\" hx-swap-oob=\"true\">Firefly (Complete) <span class=\"muted\">(2003)</span></h1>"
        ),
        "{}",
        fragment.body
    );
    let page = ui.post_form(&format!("/series/{id}/fields/genres"), &[("value", "Drama, Sci-Fi,\r\nWestern")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = ui.post_form(&format!("/series/{id}/fields/plot"), &[("value", "Line one.\r\nLine two.")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    for (field, value) in [("status", "Canceled"), ("premiered", "2002-09-20"), ("sort_title", "Firefly")] {
        let page = ui.post_form(&format!("/series/{id}/fields/{field}"), &[("value", value)]).await;
        assert_eq!(page.status, 303, "{field}: {}", page.body);
    }
    let (_, series) = app.get(&format!("/series/{id}")).await;
    assert_eq!(series["genres"], json!(["Drama", "Sci-Fi", "Western"]));
    assert_eq!(series["plot"], "Line one.\nLine two.");
    assert_eq!((series["year"].as_i64(), series["status"].as_str()), (Some(2003), Some("Canceled")));
    assert_eq!(
        series["locks"],
        json!(["genres", "plot", "premiered", "sort_title", "status", "title", "year"]),
        "each edited field is locked"
    );

    // The lock toggles: unlock without JavaScript, lock with htmx.
    let page = ui.post_form(&format!("/series/{id}/fields/title/unlock"), &[]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some(format!("/series/{id}#field-title").as_str())));
    let fragment = ui.htmx_post(&format!("/series/{id}/fields/original_title/lock"), &[]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div class=\"field locked\" id=\"field-original_title\">"));
    assert!(fragment.body.contains(&format!("hx-post=\"/series/{id}/fields/original_title/unlock\"")));
    let (_, series) = app.get(&format!("/series/{id}")).await;
    let locks: Vec<&str> = series["locks"].as_array().expect("locks").iter().filter_map(Value::as_str).collect();
    assert!(!locks.contains(&"title") && locks.contains(&"original_title"), "{locks:?}");
    assert_eq!(series["title"], "Firefly (Complete)", "unlocking keeps the value");

    // Markup is text: saved as typed, shown escaped.
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let page = ui.post_form(&format!("/series/{id}/fields/title"), &[("value", hostile)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    for path in [format!("/series/{id}"), "/tv".to_owned(), "/tv?view=table".to_owned()] {
        let page = ui.get(&path).await;
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "{path}");
        assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{path}");
    }
    let page = ui.post_form(&format!("/series/{id}/fields/title"), &[("value", "Firefly")]).await;
    assert_eq!(page.status, 303);
    let (_, original) = app.get(&format!("/series/{id}")).await;

    // Refused values: the form again with the API's reason and the typed text; nothing saved.
    let oversized = "x".repeat(5_000);
    for (field, value, reason) in [
        ("title", oversized.as_str(), "title is too long: 5000 characters, at most 1000"),
        ("title", "   ", "title must not be empty"),
        ("year", "two thousand", "Year must be a whole number"),
        ("plot", &"y".repeat(10_001), "plot is too long"),
    ] {
        let page = ui.post_form(&format!("/series/{id}/fields/{field}"), &[("value", value)]).await;
        assert_eq!(page.status, 400, "{field}={value:.20}: {}", page.body);
        assert!(page.body.contains(reason), "{field}: {reason} in {:.2000}", page.body);
        let row = field_row(&page.body, field);
        assert!(row.contains("<details class=\"field-edit\" open>") && row.contains("aria-invalid=\"true\""), "{row}");
        let (_, series) = app.get(&format!("/series/{id}")).await;
        assert_eq!(series, original, "{field}: nothing changed");
    }
    let (status, body) = app.patch_json(&format!("/series/{id}"), &json!({ "title": oversized })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap_or("").contains("title is too long: 5000 characters, at most 1000"),
        "the API's words: {body}"
    );
    let fragment = ui.htmx_post(&format!("/series/{id}/fields/title"), &[("value", oversized.as_str())]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.contains("title is too long") && !fragment.body.contains("hx-swap-oob"));
    let page = ui.post_form(&format!("/series/{id}/fields/colour"), &[("value", "red")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("unknown field") && page.body.contains("numbering"), "{}", page.body);
    let page = ui.post_form(&format!("/series/{id}/fields/colour/lock"), &[]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("cannot be locked"), "{}", page.body);

    // Numbering, through the same check and service as the API.
    let page = ui.post_form(&format!("/series/{id}/numbering"), &[("value", "daily")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some(format!("/series/{id}#numbering").as_str())));
    let (_, series) = app.get(&format!("/series/{id}")).await;
    assert_eq!(series["numbering"], "daily");
    assert!(ui.get(&format!("/series/{id}")).await.body.contains("<option value=\"daily\" selected>"));
    let page = ui.post_form(&format!("/series/{id}/numbering"), &[("value", "lunar")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body
            .contains("numbering &#34;lunar&#34; must be &#34;standard&#34;, &#34;daily&#34; or &#34;absolute&#34;"),
        "{}",
        page.body
    );
    let (_, after) = app.get(&format!("/series/{id}")).await;
    assert_eq!(after["numbering"], "daily");

    // Without the CSRF token nothing changes.
    let (_, before) = app.get(&format!("/series/{id}")).await;
    for (path, fields) in [
        (format!("/series/{id}/fields/title"), vec![("value", "Forged")]),
        (format!("/series/{id}/fields/year/unlock"), vec![]),
        (format!("/series/{id}/numbering"), vec![("value", "absolute")]),
    ] {
        let page = ui.post_raw(&path, &fields).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
    }
    let (_, after) = app.get(&format!("/series/{id}")).await;
    assert_eq!(before, after);
    app.stop().await;
}

app_test!(rescan_button_queues_a_series_scan);
async fn rescan_button_queues_a_series_scan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let shows = scanned_shows(&app, &ui).await;
    let id = series_json(&app, "Firefly").await["id"].as_i64().expect("id");
    let page = ui.get(&format!("/series/{id}")).await;
    assert!(page.body.contains(&format!("action=\"/series/{id}/scan\"")), "{}", page.body);

    write(
        &shows.root.join("Firefly (2002)/tvshow.nfo"),
        "<tvshow><title>Firefly, again</title><uniqueid type=\"tvdb\">78874</uniqueid></tvshow>",
    );
    let before = series_scan_jobs(&app).await;
    let page = ui.post_form(&format!("/series/{id}/scan"), &[]).await;
    assert_page(&page, 200);
    assert!(page.body.contains("id=\"series-notice\"") && page.body.contains("Rescan queued (job "), "{}", page.body);
    assert_eq!(series_scan_jobs(&app).await, before + 1, "one scan-series job queued");
    let (_, jobs) = app.get("/jobs?kind=scan-series").await;
    let job = jobs["items"]
        .as_array()
        .expect("jobs")
        .iter()
        .max_by_key(|job| job["id"].as_i64())
        .expect("the queued job")
        .clone();
    assert!(page.body.contains(&format!("Rescan queued (job {})", job["id"])), "{}", page.body);
    app.wait_for_state(job_id(&job["id"]), metarr_queue::JobState::Completed).await;
    let (_, series) = app.get(&format!("/series/{id}")).await;
    assert_eq!(series["title"], "Firefly, again", "the rescan read the new NFO");

    // Without the CSRF token nothing is queued.
    let before = series_scan_jobs(&app).await;
    let refused = ui.post_raw(&format!("/series/{id}/scan"), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(series_scan_jobs(&app).await, before);
    let page = ui.post_form("/series/999999/scan", &[]).await;
    assert_eq!(page.status, 404, "{}", page.body);
    app.stop().await;
}

app_test!(episode_page_shows_streams_subtitles_and_edits);
async fn episode_page_shows_streams_subtitles_and_edits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let _shows = scanned_shows(&app, &ui).await;
    let bb_id = series_json(&app, "Breaking Bad").await["id"].as_i64().expect("id");
    let pilot = episode_id(&app, bb_id, "s01e01").await;
    let second = episode_id(&app, bb_id, "s01e02").await;
    let third = episode_id(&app, bb_id, "s01e03").await;
    let (_, detail) = app.get(&format!("/episodes/{pilot}")).await;
    let thumb = detail["assets"][0]["sha256"].as_str().expect("a cached thumb").to_owned();

    let page = ui.get(&format!("/episodes/{pilot}")).await;
    assert_page(&page, 200);
    let body = &page.body;
    assert!(body.contains("<h1 id=\"episode-title\">S01E01 · Pilot</h1>"), "{body}");
    assert!(body.contains(&format!("<a href=\"/series/{bb_id}\">← Breaking Bad</a>")), "{body}");
    assert!(body.contains(&format!("src=\"/artwork/{thumb}\"")), "the cached thumb: {body}");
    for (field, value) in
        [("title", "Pilot"), ("aired", "2008-01-20"), ("plot", "Walter&#39;s first cook."), ("runtime", "58 min")]
    {
        let row = field_row(body, field);
        assert!(row.contains(&format!("<div class=\"field-value\">{value}</div>")), "{field}: {row}");
        assert!(row.contains(&format!("action=\"/episodes/{pilot}/fields/{field}/lock\"")), "{row}");
    }
    let streams = section(body, "episode-streams");
    assert!(streams.contains("h264") && streams.contains("Video 1"), "{streams}");
    assert!(streams.contains("Audio 1") && streams.contains("aac"), "{streams}");
    let subtitles = section(body, "episode-subtitles");
    assert!(subtitles.contains("Breaking Bad - S01E01 - Pilot.en.srt") && subtitles.contains("<td>eng</td>"));
    assert!(!body.contains("id=\"episode-shares\""), "the pilot has its own file");
    assert!(body.contains("Season 01/Breaking Bad - S01E01 - Pilot.mp4"), "the video: {body}");

    let page = ui.get(&format!("/episodes/{second}")).await;
    assert_page(&page, 200);
    let shares = section(&page.body, "episode-shares");
    assert!(shares.contains(&format!("<a href=\"/episodes/{third}\">S01E03</a>")), "{shares}");
    assert!(section(&page.body, "episode-streams").contains("h264"), "the shared file's streams");

    // Edits lock, refusals use the API's words, and CSRF-less posts change nothing.
    let page = ui.post_form(&format!("/episodes/{pilot}/fields/title"), &[("value", "Pilot (Extended)")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(format!("/episodes/{pilot}#field-title").as_str()));
    let page = ui.post_form(&format!("/episodes/{pilot}/fields/runtime"), &[("value", "62")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, episode) = app.get(&format!("/episodes/{pilot}")).await;
    assert_eq!((episode["title"].as_str(), episode["runtime"].as_i64()), (Some("Pilot (Extended)"), Some(62)));
    assert_eq!(episode["locks"], json!(["runtime", "title"]));
    let fragment = ui.htmx_post(&format!("/episodes/{pilot}/fields/aired"), &[("value", "2008-01-21")]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div class=\"field locked\" id=\"field-aired\">"), "{}", fragment.body);
    let page = ui.post_form(&format!("/episodes/{pilot}/fields/title/unlock"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, episode) = app.get(&format!("/episodes/{pilot}")).await;
    assert_eq!(episode["locks"], json!(["aired", "runtime"]));

    let (_, original) = app.get(&format!("/episodes/{pilot}")).await;
    let oversized = "x".repeat(5_000);
    for (field, value, reason) in [
        ("runtime", "-5", "runtime must not be negative"),
        ("title", oversized.as_str(), "title is too long: 5000 characters, at most 1000"),
        ("runtime", "an hour", "Runtime (minutes) must be a whole number"),
    ] {
        let page = ui.post_form(&format!("/episodes/{pilot}/fields/{field}"), &[("value", value)]).await;
        assert_eq!(page.status, 400, "{field}: {}", page.body);
        assert!(page.body.contains(reason), "{field}: {reason} in {:.2000}", page.body);
        assert!(field_row(&page.body, field).contains("<details class=\"field-edit\" open>"));
    }
    let (status, body) = app.patch_json(&format!("/episodes/{pilot}"), &json!({ "runtime": -5 })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("runtime must not be negative"), "{body}");
    let page = ui.post_form(&format!("/episodes/{pilot}/fields/colour"), &[("value", "red")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("unknown field"), "{}", page.body);
    let page = ui.post_raw(&format!("/episodes/{pilot}/fields/title"), &[("value", "Forged")]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    let page = ui.post_raw(&format!("/episodes/{pilot}/fields/runtime/unlock"), &[]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    let (_, episode) = app.get(&format!("/episodes/{pilot}")).await;
    assert_eq!(episode, original, "nothing changed");
    app.stop().await;
}

app_test!(unknown_tv_ids_are_404_and_malformed_ones_400);
async fn unknown_tv_ids_are_404_and_malformed_ones_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    for path in ["/series/999999", "/episodes/999999"] {
        let page = ui.get(path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("<html"), "{path}: an error page");
    }
    for path in [
        "/series/999999/fields/title",
        "/series/999999/fields/title/lock",
        "/series/999999/fields/title/unlock",
        "/series/999999/numbering",
        "/episodes/999999/fields/title",
        "/episodes/999999/fields/title/lock",
    ] {
        let page = ui.post_form(path, &[("value", "standard")]).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    for (path, words) in [
        ("/series/abc", "a series id is a number"),
        ("/series/1.5", "a series id is a number"),
        ("/episodes/abc", "an episode id is a number"),
        ("/episodes/-", "an episode id is a number"),
    ] {
        let page = ui.get(path).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
        assert!(page.body.contains(words), "{path}: {}", page.body);
    }
    for path in ["/series/abc/fields/title", "/series/abc/scan", "/episodes/abc/fields/title"] {
        let page = ui.post_form(path, &[("value", "x")]).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
    }
    let page = ui.get("/tv").await;
    assert!(page.body.contains("No TV shows yet"), "{}", page.body);
    app.stop().await;
}

app_test!(library_form_creates_a_tv_library_whose_kind_stays);
async fn library_form_creates_a_tv_library_whose_kind_stays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let page = ui.get("/libraries").await;
    assert!(page.body.contains("<select id=\"kind\" name=\"kind\">"), "{}", page.body);
    assert!(page.body.contains("<option value=\"tv\">TV shows</option>"), "{}", page.body);

    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let path = root.display().to_string();
    let page = ui.post_form("/libraries", &[("path", &path), ("kind", "music"), ("enabled", "on")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("kind &#34;music&#34; is not supported"), "the catalogue's words: {}", page.body);
    let (_, libraries) = app.get("/libraries").await;
    assert_eq!(libraries["total"], 0, "nothing created: {libraries}");
    let page = ui.post_raw("/libraries", &[("path", &path), ("kind", "tv"), ("enabled", "on")]).await;
    assert_eq!(page.status, 403, "{}", page.body);

    let id = create_through_the_form(&app, &ui, &root, "Shows").await;
    let page = ui.get("/libraries").await;
    assert!(page.body.contains("<div class=\"library-kind\" data-kind=\"tv\">TV shows</div>"), "{}", page.body);
    assert!(page.body.contains(&format!("<a href=\"/tv?library_id={id}\">0 series</a>")), "{}", page.body);

    let page = ui.get(&format!("/libraries/{id}")).await;
    assert_page(&page, 200);
    assert!(page.body.contains("<p id=\"library-kind\" data-kind=\"tv\">TV shows"), "read-only: {}", page.body);
    assert!(!page.body.contains("name=\"kind\""), "no kind field when editing");
    let page =
        ui.post_form(&format!("/libraries/{id}"), &[("path", &path), ("name", "Series"), ("enabled", "on")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, library) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!((library["name"].as_str(), library["kind"].as_str()), (Some("Series"), Some("tv")));
    // A forged kind is refused by the catalogue, as the API refuses it.
    let page = ui.post_form(&format!("/libraries/{id}"), &[("path", &path), ("kind", "movies")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("kind cannot change"), "{}", page.body);
    let (_, library) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(library["kind"], "tv");
    app.stop().await;
}

/// How many jobs of a kind the queue has seen.
async fn jobs_of_kind(app: &TestApp, kind: &str) -> usize {
    let (status, jobs) = app.get(&format!("/jobs?kind={kind}&limit=500")).await;
    assert_eq!(status, 200, "{jobs}");
    jobs["items"].as_array().map_or(0, Vec::len)
}

/// The HTML of an element, from its id to the given closing tag.
fn element<'a>(body: &'a str, id: &str, close: &str) -> &'a str {
    let start = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}: {body}"));
    let rest = &body[start..];
    &rest[..rest.find(close).map_or(rest.len(), |end| end + close.len())]
}

app_test!(series_page_offers_refresh_identify_publish_and_verify_with_csrf);
async fn series_page_offers_refresh_identify_publish_and_verify_with_csrf(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let shows = scanned_shows(&app, &ui).await;
    let id = series_json(&app, "Firefly").await["id"].as_i64().expect("id");
    let page = ui.get(&format!("/series/{id}")).await;
    assert_page(&page, 200);
    let csrf = ui.csrf().await;
    for (action, button) in [("enrich", "series-refresh"), ("verify", "series-verify-submit")] {
        let start = page.body.find(&format!("action=\"/series/{id}/{action}\"")).unwrap_or_else(|| panic!("{action}"));
        let form = &page.body[start..start + page.body[start..].find("</form>").expect("form end")];
        assert!(form.contains(&format!("name=\"csrf\" value=\"{csrf}\"")), "{action}: {form}");
        assert!(form.contains(&format!("id=\"{button}\"")), "{action}: {form}");
    }
    assert!(element(&page.body, "series-identification", "</p>").contains("not enriched yet"), "{}", page.body);
    let identify = element(&page.body, "series-identify", "</section>");
    assert!(identify.contains(&format!("action=\"/series/{id}/identify\"")), "{identify}");
    assert!(identify.contains("value=\"Firefly\""), "the search starts from the title: {identify}");
    let publish = element(&page.body, "series-publish", "</section>");
    assert!(publish.contains(&format!("href=\"/series/{id}/publish\" id=\"series-show-plan\"")), "{publish}");

    // Without a TMDB key, Refresh metadata says what to do and queues nothing.
    let before = jobs_of_kind(&app, "enrich-series").await;
    let no_key = ui.post_form(&format!("/series/{id}/enrich"), &[]).await;
    assert_page(&no_key, 409);
    assert!(element(&no_key.body, "series-error", "</p>").contains("Settings › Providers"), "{}", no_key.body);
    assert_eq!(jobs_of_kind(&app, "enrich-series").await, before, "nothing queued");
    let search = ui.get(&format!("/series/{id}/identify?q=Firefly")).await;
    assert_page(&search, 409);
    assert!(element(&search.body, "identify-error", "</p>").contains("Settings › Providers"), "{}", search.body);

    // Without the CSRF token nothing is queued, published or put back.
    let nfo = shows.root.join("Firefly (2002)/tvshow.nfo");
    let (_, before_detail) = app.get(&format!("/series/{id}")).await;
    for (path, fields) in [
        (format!("/series/{id}/enrich"), vec![]),
        (format!("/series/{id}/identify"), vec![("tmdb_id", "1437")]),
        (format!("/series/{id}/publish"), vec![]),
        (format!("/series/{id}/verify"), vec![]),
    ] {
        let refused = ui.post_raw(&path, &fields).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
    }
    assert!(!nfo.exists(), "nothing published");
    assert_eq!(jobs_of_kind(&app, "enrich-series").await, before);
    let (_, after_detail) = app.get(&format!("/series/{id}")).await;
    assert_eq!(before_detail, after_detail);
    let missing = ui.post_form("/series/999999/enrich", &[]).await;
    assert!(matches!(missing.status, 404 | 409), "{}", missing.body);
    assert_eq!(ui.post_form("/series/999999/verify", &[]).await.status, 404);
    assert_eq!(ui.get("/series/abc/publish").await.status, 400);
    app.stop().await;
}

app_test!(series_page_publishes_after_the_plan_and_verify_restores);
async fn series_page_publishes_after_the_plan_and_verify_restores(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let shows = scanned_shows(&app, &ui).await;
    let id = series_json(&app, "Firefly").await["id"].as_i64().expect("id");
    let folder = shows.root.join("Firefly (2002)");
    let show_nfo = folder.join("tvshow.nfo");
    let episode_nfo = folder.join("Firefly - 1x02 - The Train Job.nfo");

    // The plan: what would be written, nothing touched yet.
    let plan = ui.get(&format!("/series/{id}/publish")).await;
    assert_page(&plan, 200);
    let files = section(&plan.body, "publish-files");
    let row = |body: &str, name: &str| -> String {
        let at = body.find(&format!(">{name}</td>")).unwrap_or_else(|| panic!("no {name}: {body}"));
        let start = body[..at].rfind("<tr").expect("row start");
        body[start..at].to_owned()
    };
    assert!(row(files, "tvshow.nfo").contains("data-action=\"write\""), "{files}");
    assert!(row(files, "Firefly - 1x02 - The Train Job.nfo").contains("data-action=\"write\""), "{files}");
    assert!(
        plan.body.contains(&format!("action=\"/series/{id}/publish\" class=\"row\" id=\"publish-confirm\"")),
        "{}",
        plan.body
    );
    let confirm = element(&plan.body, "publish-confirm", "</form>");
    assert!(confirm.contains("name=\"csrf\""), "{confirm}");
    assert!(plan.body.contains(&format!("href=\"/series/{id}\"")), "back to the series");
    assert!(!show_nfo.exists(), "a plan writes nothing");

    // Publish: the report, and the files on disk.
    let report = ui.post_form(&format!("/series/{id}/publish"), &[]).await;
    assert_page(&report, 200);
    let summary = element(&report.body, "publish-report", "</p>");
    assert!(summary.contains("2 written, 0 replaced, 0 kept, 0 removed"), "{summary}");
    assert!(summary.contains(" B written") || summary.contains("KiB written"), "{summary}");
    assert!(std::fs::read_to_string(&show_nfo).expect("tvshow.nfo").contains("<title>Firefly</title>"));
    assert!(episode_nfo.exists());
    let again = ui.get(&format!("/series/{id}/publish")).await;
    assert!(row(section(&again.body, "publish-files"), "tvshow.nfo").contains("data-action=\"keep\""));

    // Verify: a deleted tvshow.nfo comes back; an NFO another program changed is imported.
    let published = std::fs::read(&show_nfo).expect("published");
    std::fs::remove_file(&show_nfo).expect("delete");
    std::fs::write(&episode_nfo, "<episodedetails><title>Changed by hand</title></episodedetails>").expect("edit");
    let verified = ui.post_form(&format!("/series/{id}/verify"), &[]).await;
    assert_page(&verified, 200);
    let result = element(&verified.body, "series-verification", "</div>");
    assert!(
        result.contains("2 published files checked: 0 in sync, 1 restored, 1 values imported, 0 changed elsewhere"),
        "{result}"
    );
    assert!(section(result, "series-restored").contains("<li class=\"mono path\">tvshow.nfo</li>"), "{result}");
    assert!(
        section(result, "series-imported").contains("Firefly - 1x02 - The Train Job.nfo: s01e02.title"),
        "{result}"
    );
    assert!(std::fs::read_to_string(&episode_nfo).expect("republished").contains("<title>Changed by hand</title>"));
    assert_eq!(std::fs::read(&show_nfo).expect("restored"), published);

    // A library that does not publish: no plan's confirm, and the publish is refused.
    let body = json!({ "name": "Shows", "path": shows.root.display().to_string(), "kind": "tv", "publish": "off" });
    let (status, library) = app.put_json(&format!("/libraries/{}", shows.library_id), &body).await;
    assert_eq!((status, library["publish"].as_str()), (200, Some("off")), "{library}");
    let page = ui.get(&format!("/series/{id}")).await;
    assert!(page.body.contains("id=\"series-publish-off\""), "{}", page.body);
    let plan = ui.get(&format!("/series/{id}/publish")).await;
    assert!(!plan.body.contains("id=\"publish-confirm\"") && plan.body.contains("id=\"publish-off\""), "{}", plan.body);
    let refused = ui.post_form(&format!("/series/{id}/publish"), &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    app.stop().await;
}

app_test!(series_page_identifies_an_ambiguous_series);
async fn series_page_identifies_an_ambiguous_series(backend: Backend) {
    use crate::enrich::{Providers, page as results, spawn};
    use crate::tv_enrich::{serve_breaking_bad, tv_result, wait_for_enrichment};
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, ResponseTemplate};

    let providers = Providers::start().await;
    serve_breaking_bad(&providers).await;
    Mock::given(method("GET"))
        .and(path("/3/search/tv"))
        .and(query_param("query", "The Office"))
        .respond_with(ResponseTemplate::new(200).set_body_json(results(vec![
            tv_result(2316, "The Office", "2005-03-24", 200.0),
            tv_result(2996, "The Office", "2001-07-09", 60.0),
        ])))
        .mount(&providers.tmdb)
        .await;
    let app = spawn(backend, &providers).await;
    let ui = UiClient::new(&app);
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    video(&root.join("The Office/Season 01/The Office - S01E01.mp4"));
    let (status, lib) = app.post_json("/libraries", &json!({ "path": root.display().to_string(), "kind": "tv" })).await;
    assert_eq!(status, 201, "{lib}");
    let (_, scan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    let scan_id = metarr::ids::ScanId(scan["id"].as_i64().expect("scan id"));
    wait_for_scan(&app.db, scan_id, Duration::from_secs(120)).await;
    let id = series_json(&app, "The Office").await["id"].as_i64().expect("id");
    let detail = wait_for_enrichment(&app, id).await;
    assert_eq!(detail["identification"], "needs_identification", "{detail}");

    // The page lists the stored candidates, each with "This one".
    let page = ui.get(&format!("/series/{id}")).await;
    assert!(element(&page.body, "series-identification", "</p>").contains("needs identification"), "{}", page.body);
    let identify = element(&page.body, "series-identify", "</section>");
    assert!(identify.contains("<details open>"), "{identify}");
    for tmdb_id in [2316, 2996] {
        assert!(identify.contains(&format!("data-tmdb-id=\"{tmdb_id}\"")), "{identify}");
        assert!(identify.contains(&format!("name=\"tmdb_id\" value=\"{tmdb_id}\"")), "{identify}");
        assert!(identify.contains(&format!("https://www.themoviedb.org/tv/{tmdb_id}")), "{identify}");
    }
    assert!(identify.contains("name=\"csrf\""), "{identify}");

    // A search shows TMDB's answer, as a page and as htmx's fragment.
    let search = ui.get(&format!("/series/{id}/identify?q=Breaking+Bad&year=2008")).await;
    assert_page(&search, 200);
    let found = section(&search.body, "identify-candidates");
    assert!(found.contains("data-tmdb-id=\"1396\"") && found.contains("This one"), "{found}");
    let fragment = ui.htmx_get(&format!("/series/{id}/identify?q=Breaking+Bad")).await;
    assert!(fragment.body.starts_with("<section id=\"series-identify\""), "{}", fragment.body);
    let bad_year = ui.get(&format!("/series/{id}/identify?q=Breaking+Bad&year=soon")).await;
    assert_page(&bad_year, 400);

    // "This one" locks the TMDB id and queues enrich-series.
    let before = jobs_of_kind(&app, "enrich-series").await;
    let picked = ui.post_form(&format!("/series/{id}/identify"), &[("tmdb_id", "1396")]).await;
    assert_page(&picked, 200);
    assert_eq!(jobs_of_kind(&app, "enrich-series").await, before + 1, "one enrich-series job queued");
    let (_, jobs) = app.get("/jobs?kind=enrich-series&limit=500").await;
    let job = jobs["items"].as_array().expect("jobs").iter().max_by_key(|job| job["id"].as_i64()).expect("job").clone();
    let notice = element(&picked.body, "series-notice", "</p>");
    assert!(notice.contains(&format!("(job {})", job["id"])), "{notice}");
    app.wait_for_state(job_id(&job["id"]), metarr_queue::JobState::Completed).await;
    let (_, detail) = app.get(&format!("/series/{id}")).await;
    assert_eq!((detail["identification"].as_str(), detail["tmdb_id"].as_i64()), (Some("identified"), Some(1396)));
    let page = ui.get(&format!("/series/{id}")).await;
    assert!(element(&page.body, "series-identification", "</p>").contains("identified"), "{}", page.body);

    // Refresh metadata queues enrich-series and names the job.
    let refreshed = ui.post_form(&format!("/series/{id}/enrich"), &[]).await;
    assert_page(&refreshed, 200);
    assert!(element(&refreshed.body, "series-notice", "</p>").contains("Metadata refresh queued (job "));
    assert_eq!(jobs_of_kind(&app, "enrich-series").await, before + 2);
    let refused = ui.post_form(&format!("/series/{id}/identify"), &[("tmdb_id", "many")]).await;
    assert_page(&refused, 400);
    app.stop().await;
}
