//! The movies pages over HTTP: search, filters, views and paging of `/movies` (with htmx
//! fragments), one movie's page after a real scan, and field edits that save and lock through
//! the same checks as the API, including hostile and wrong input.

use crate::helpers::{Backend, TestApp};
use crate::ui::{Page, UiClient};
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::{self, ScanPhase};
use metarr::db::Param;
use metarr::ids::LibraryId;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub(crate) const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

/// A library folder and its catalogue record.
pub(crate) struct Library {
    _dir: TempDir,
    pub(crate) root: PathBuf,
    pub(crate) id: LibraryId,
}

pub(crate) async fn library(app: &TestApp, name: &str) -> Library {
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let input = LibraryInput {
        name: Some(name.into()),
        path: root.display().to_string(),
        kind: "movies".into(),
        enabled: true,
        ignore_patterns: Vec::new(),
        prefer_provider_metadata: false,
        auto_enrich: None,
        artwork_limits: Default::default(),
        publish: Default::default(),
        publish_options: Default::default(),
    };
    let record = libraries::create(&app.db, &input).await.expect("library created");
    Library { _dir: dir, root, id: record.id }
}

/// A movie row as a scan would leave it, for lists whose files do not matter.
struct Seed {
    title: String,
    year: Option<i64>,
    missing: bool,
    warnings: Vec<&'static str>,
}

fn seed(title: &str) -> Seed {
    Seed { title: title.to_owned(), year: None, missing: false, warnings: Vec::new() }
}

/// Inserts many movies in a few statements: paging tests need hundreds or thousands cheaply.
async fn insert_movies(app: &TestApp, library: &Library, movies: &[Seed]) {
    for (chunk_index, chunk) in movies.chunks(200).enumerate() {
        let mut rows = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        for (index, movie) in chunk.iter().enumerate() {
            let first = params.len() + 1;
            rows.push(format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                first,
                first + 1,
                first + 2,
                first + 3,
                first + 4,
                first + 5,
                first + 6,
                first + 7
            ));
            let folder = library.root.join(format!("movie-{chunk_index}-{index}-{}", params.len()));
            params.extend([
                Param::from(library.id),
                Param::from(folder.display().to_string()),
                Param::from(movie.title.clone()),
                Param::from(movie.year),
                Param::from(movie.missing),
                Param::from(serde_json::to_string(&movie.warnings).expect("warnings")),
                Param::from(1_700_000_000_000_i64),
                Param::from(1_700_000_000_000_i64),
            ]);
        }
        app.db
            .execute(
                &format!(
                    "INSERT INTO movies (library_id, folder, title, year, missing, warnings, created_at, updated_at) \
                     VALUES {}",
                    rows.join(", ")
                ),
                &params,
            )
            .await
            .expect("movies inserted");
    }
}

/// The id of the one movie the API finds by this title search.
pub(crate) async fn movie_id(app: &TestApp, q: &str) -> i64 {
    let (status, body) = app.get(&format!("/movies?q={}", urlencode(q))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1, "exactly one movie matches {q:?}: {body}");
    body["items"][0]["id"].as_i64().expect("id")
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn assert_page(page: &Page, status: u16) {
    assert_eq!(page.status, status, "{}", page.body);
}

/// Titles shown in the results region, in order (grid and table both link each title once).
fn titles(body: &str) -> Vec<String> {
    let results = body.split("id=\"movie-results\"").nth(1).expect("a results region");
    let mut titles = Vec::new();
    for part in results.split("<a ").skip(1) {
        let Some(rest) = part.split_once("href=\"/movies/").map(|(_, rest)| rest) else { continue };
        let Some((_, text)) = rest.split_once('>') else { continue };
        // A poster card links the image and the title; its title sits in `poster-title`.
        let text = match text.split_once("class=\"poster-title\">") {
            Some((_, title)) => title,
            None => text,
        };
        let title = text.split('<').next().unwrap_or("").trim().to_owned();
        titles.push(title);
    }
    titles
}

/// The hostile title as the page must show it.
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

fn without_hostile(titles: Vec<String>) -> Vec<String> {
    titles.into_iter().filter(|title| title != ESCAPED).collect()
}

app_test!(movies_list_searches_filters_and_switches_views);
async fn movies_list_searches_filters_and_switches_views(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = library(&app, "Films").await;
    let second = library(&app, "Kids").await;
    insert_movies(
        &app,
        &first,
        &[
            Seed { year: Some(1979), ..seed("Alien") },
            Seed { year: Some(1995), missing: true, ..seed("Heat") },
            Seed { year: Some(1999), warnings: vec!["NFO truncated at line 3"], ..seed("The Matrix") },
            seed("<script>alert(1)</script>"),
        ],
    )
    .await;
    insert_movies(&app, &second, &[Seed { year: Some(2003), ..seed("The Matrix Reloaded") }]).await;
    let ui = UiClient::new(&app);

    let page = ui.get("/movies").await;
    assert_page(&page, 200);
    assert!(page.body.contains("<main id=\"main\""), "a whole page");
    assert!(page.body.contains("href=\"/movies\" aria-current=\"page\""), "the navigation marks Movies");
    assert!(page.body.contains("5 movies"), "{}", page.body);
    // Where punctuation sorts depends on the database's collation; letters sort alike everywhere.
    let shown = titles(&page.body);
    assert!(shown.contains(&ESCAPED.to_owned()), "{shown:?}");
    assert_eq!(without_hostile(shown), vec!["Alien", "Heat", "The Matrix", "The Matrix Reloaded"]);
    assert!(page.body.contains("class=\"posters"), "posters by default");
    assert!(
        page.body.contains("<span class=\"placeholder\" aria-hidden=\"true\">Alien</span>"),
        "no poster: the title"
    );
    assert!(!page.body.contains("<script>alert(1)"), "titles are escaped");
    assert!(page.body.contains("<option value=\"") && page.body.contains(">Kids</option>"), "libraries to filter by");
    assert!(page.body.contains("hx-trigger=\"input changed delay:300ms, search, submit\""));
    assert!(page.body.contains("hx-push-url=\"true\""));
    let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert_eq!(ui.get("/static/movies.css").await.status, 200, "the page's stylesheet is served");

    let page = ui.get("/movies?q=MATRIX").await;
    assert_eq!(titles(&page.body), vec!["The Matrix", "The Matrix Reloaded"], "search ignores case");
    assert!(page.body.contains("2 movies match"));
    assert!(page.body.contains("value=\"MATRIX\""), "the search box keeps the text");
    let page = ui.get(&format!("/movies?library_id={}", second.id)).await;
    assert_eq!(titles(&page.body), vec!["The Matrix Reloaded"]);
    assert!(page.body.contains(&format!("<option value=\"{}\" selected>Kids</option>", second.id)));
    let page = ui.get(&format!("/movies?q=matrix&library_id={}&missing=&has_warnings=", first.id)).await;
    assert_eq!(titles(&page.body), vec!["The Matrix"], "empty selects mean any");
    assert_eq!(titles(&ui.get("/movies?missing=true").await.body), vec!["Heat"]);
    let present = titles(&ui.get("/movies?missing=false&q=a").await.body);
    assert_eq!(present.len(), 4, "{present:?}");
    assert_eq!(without_hostile(present), vec!["Alien", "The Matrix", "The Matrix Reloaded"]);
    let page = ui.get("/movies?has_warnings=true").await;
    assert_eq!(titles(&page.body), vec!["The Matrix"]);
    assert!(page.body.contains("<option value=\"true\" selected>With warnings</option>"));
    assert_eq!(titles(&ui.get("/movies?has_warnings=false").await.body).len(), 4);
    let page = ui.get("/movies?q=nothing+like+this").await;
    assert!(page.body.contains("No movie matches these filters"), "{}", page.body);

    // The API has the same filter.
    let (status, body) = app.get("/movies?has_warnings=true").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0]["title"], "The Matrix");
    let (_, body) = app.get("/movies?has_warnings=false&missing=false").await;
    assert_eq!(body["total"], 3);
    let (status, body) = app.get("/movies?has_warnings=maybe").await;
    assert_eq!(status, 400, "{body}");

    // The table view, and links that keep the other filters.
    let page = ui.get("/movies?q=matrix&view=table").await;
    assert_page(&page, 200);
    assert!(page.body.contains("<table class=\"movie-table\""), "{}", page.body);
    assert!(!page.body.contains("class=\"posters"));
    assert_eq!(titles(&page.body), vec!["The Matrix", "The Matrix Reloaded"]);
    assert!(page.body.contains("<td>Kids</td>"), "the table names the library");
    assert!(page.body.contains("<a href=\"/movies?q=matrix\">Posters</a>"), "{}", page.body);
    assert!(page.body.contains("<a href=\"/movies?q=matrix&#38;view=table\" aria-current=\"page\">Table</a>"));
    assert!(page.body.contains("name=\"view\" value=\"table\""), "the filter form keeps the view");
    assert!(page.body.contains("<td class=\"mono muted path\">"), "folders in the table");

    // htmx gets the results region alone; boosted navigation and history restores get pages.
    let fragment = ui.htmx_get("/movies?q=alien").await;
    assert_page(&fragment, 200);
    assert!(fragment.body.trim_start().starts_with("<div id=\"movie-results\""), "{}", fragment.body);
    assert!(!fragment.body.contains("<html"));
    assert_eq!(titles(&fragment.body), vec!["Alien"]);
    let vary = fragment.headers.get("vary").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(vary.to_ascii_lowercase().contains("hx-request"), "{vary}");
    for extra in ["hx-boosted", "hx-history-restore-request"] {
        let page = ui
            .send(
                app.client
                    .get(format!("{}/movies?q=alien", app.address))
                    .header("hx-request", "true")
                    .header(extra, "true"),
            )
            .await;
        assert!(page.body.contains("<html"), "{extra}: a whole page");
    }

    for bad in [
        "/movies?page=0",
        "/movies?page=two",
        "/movies?library_id=films",
        "/movies?missing=maybe",
        "/movies?has_warnings=sometimes",
        "/movies?view=cards",
    ] {
        let page = ui.get(bad).await;
        assert_eq!(page.status, 400, "{bad}: {}", page.body);
        assert!(page.body.contains("<html"), "{bad}: an error page");
    }
    let long = format!("/movies?q={}", "a".repeat(600));
    assert_eq!(ui.get(&long).await.status, 400);
    app.stop().await;
}

app_test!(movies_list_pages_sixty_at_a_time);
async fn movies_list_pages_sixty_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let films = library(&app, "Films").await;
    let seeds: Vec<Seed> = (1..=130).map(|n| seed(&format!("Movie {n:03}"))).collect();
    insert_movies(&app, &films, &seeds).await;
    let ui = UiClient::new(&app);
    let expected = |range: std::ops::RangeInclusive<i32>| range.map(|n| format!("Movie {n:03}")).collect::<Vec<_>>();

    let page = ui.get("/movies").await;
    assert!(page.body.contains("130 movies · page 1 of 3"), "{}", page.body);
    assert_eq!(titles(&page.body), expected(1..=60));
    assert!(page.body.contains("<a class=\"button\" rel=\"next\" href=\"/movies?page=2\">"));
    assert!(!page.body.contains("rel=\"prev\""));

    let page = ui.get("/movies?page=2").await;
    assert_eq!(titles(&page.body), expected(61..=120));
    assert!(page.body.contains("Page 2 of 3"));
    assert!(page.body.contains("rel=\"prev\" href=\"/movies\""), "page 1 has the plain URL");
    assert!(page.body.contains("rel=\"next\" href=\"/movies?page=3\""));

    let page = ui.get("/movies?page=3&view=table").await;
    assert_eq!(titles(&page.body), expected(121..=130));
    assert!(page.body.contains("130 movies · page 3 of 3"));
    assert!(page.body.contains("rel=\"prev\" href=\"/movies?view=table&#38;page=2\""), "{}", page.body);
    assert!(!page.body.contains("rel=\"next\""));
    assert!(page.body.contains("<a href=\"/movies?page=3\">Posters</a>"), "the view toggle keeps the page");

    let page = ui.get("/movies?page=4").await;
    assert_page(&page, 200);
    assert!(page.body.contains("Page 4 is past the end"), "{}", page.body);
    assert!(page.body.contains("href=\"/movies?page=3\">Go to page 3</a>"));

    // Filters apply before paging, and paging links keep them.
    let page = ui.htmx_get("/movies?q=movie+1&page=1").await;
    assert_eq!(titles(&page.body), expected(100..=130));
    assert!(page.body.contains("31 movies match"));
    assert!(!page.body.contains("class=\"pager\""), "one page needs no pager");
    let page = ui.get("/movies?q=movie&page=2").await;
    assert!(page.body.contains("rel=\"next\" href=\"/movies?q=movie&#38;page=3\""), "{}", page.body);
    app.stop().await;
}

app_test!(movies_list_stays_fast_with_ten_thousand_movies);
async fn movies_list_stays_fast_with_ten_thousand_movies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let films = library(&app, "Films").await;
    let seeds: Vec<Seed> =
        (0..10_000).map(|n| Seed { missing: n % 10 == 0, ..seed(&format!("Film {n:05}")) }).collect();
    insert_movies(&app, &films, &seeds).await;
    let ui = UiClient::new(&app);
    ui.get("/movies").await;
    for (path, expected_total, first_title) in [
        ("/movies?page=100", "10000 movies · page 100 of 167", "Film 05940"),
        ("/movies?page=167&view=table", "10000 movies · page 167 of 167", "Film 09960"),
        ("/movies?q=film+01&missing=false&page=10", "900 movies match · page 10 of 15", "Film 01601"),
    ] {
        let started = Instant::now();
        let page = ui.get(path).await;
        let took = started.elapsed();
        assert_page(&page, 200);
        assert!(page.body.contains(expected_total), "{path}: {}", page.body);
        assert_eq!(titles(&page.body).first().map(String::as_str), Some(first_title), "{path}");
        // One page, one count and one poster query: far below this even on a busy machine.
        assert!(took < Duration::from_secs(3), "{path} took {took:?}");
    }
    app.stop().await;
}

fn write(root: &Path, relative: &str, bytes: &[u8]) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folders");
    std::fs::write(path, bytes).expect("write file");
}

/// The header of a PNG of the given size: enough for any header reader.
fn png(width: u32, height: u32, salt: u8) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, salt]);
    bytes
}

const MATRIX_NFO: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<movie>
  <title>The Matrix</title>
  <originaltitle>The Matrix</originaltitle>
  <plot>A hacker learns the truth.</plot>
  <tagline>Free your mind</tagline>
  <year>1999</year>
  <runtime>136</runtime>
  <uniqueid type="tmdb" default="true">603</uniqueid>
  <uniqueid type="imdb">tt0133093</uniqueid>
  <genre>Action</genre>
  <genre>Science Fiction</genre>
</movie>
"#;

pub(crate) async fn scan(app: &TestApp, library_id: LibraryId) {
    let started = metarr::jobs::scan::start_scan(&app.db, library_id).await.expect("scan starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let scan = scans::get(&app.db, started.id).await.expect("scan exists");
        if scan.is_finished() {
            assert_eq!(scan.phase, ScanPhase::Completed, "{scan:?}");
            return;
        }
        assert!(Instant::now() < deadline, "scan did not finish: {scan:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

app_test!(movie_page_shows_what_the_scan_found);
async fn movie_page_shows_what_the_scan_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let films = library(&app, "Films").await;
    let matrix = "The Matrix (1999)";
    std::fs::create_dir_all(films.root.join(matrix)).expect("movie folder");
    std::fs::copy(SAMPLE_VIDEO, films.root.join(format!("{matrix}/The Matrix (1999).mp4"))).expect("sample video");
    write(&films.root, &format!("{matrix}/The Matrix (1999).nfo"), MATRIX_NFO.as_bytes());
    write(&films.root, &format!("{matrix}/poster.png"), &png(1000, 1500, 1));
    write(&films.root, &format!("{matrix}/fanart.png"), &png(1920, 1080, 2));
    write(&films.root, &format!("{matrix}/The Matrix (1999).en.forced.srt"), b"1\n00:00:01,000 --> 00:00:02,000\nHi\n");
    write(&films.root, &format!("{matrix}/notes.txt"), b"grabbed from somewhere");
    write(&films.root, "[REC] (2007)/[REC] (2007).mkv", &[0x1A, 0x45, 0xDF, 0xA3, 0, 1, 2, 3]);
    write(&films.root, "[REC] (2007)/[REC] (2007).nfo", b"<movie><title>[REC]</title><plot>Unfinish");
    scan(&app, films.id).await;
    let matrix_id = movie_id(&app, "The Matrix").await;
    let rec_id = movie_id(&app, "[REC]").await;
    let (_, detail) = app.get(&format!("/movies/{matrix_id}")).await;
    let poster =
        detail["assets"].as_array().expect("assets").iter().find(|asset| asset["kind"] == "poster").expect("poster");
    let poster_sha = poster["sha256"].as_str().expect("the poster is cached").to_owned();
    let fanart =
        detail["assets"].as_array().expect("assets").iter().find(|asset| asset["kind"] == "fanart").expect("fanart");
    let fanart_sha = fanart["sha256"].as_str().expect("the fanart is cached").to_owned();
    let ui = UiClient::new(&app);

    // The grid shows the cached poster, and the title where there is none.
    let page = ui.get("/movies").await;
    assert!(page.body.contains(&format!("<img src=\"/artwork/{poster_sha}\"")), "{}", page.body);
    assert!(page.body.contains("<span class=\"placeholder\" aria-hidden=\"true\">[REC]</span>"));
    let artwork = ui.get(&format!("/artwork/{poster_sha}")).await;
    assert_page(&artwork, 200);
    assert_eq!(artwork.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    assert_eq!(titles(&ui.get("/movies?has_warnings=true").await.body), vec!["[REC]"]);

    let page = ui.get(&format!("/movies/{matrix_id}")).await;
    assert_page(&page, 200);
    let body = &page.body;
    assert!(body.contains("<title>The Matrix · Metarr</title>"));
    assert!(body.contains("<h1 id=\"movie-title\">The Matrix <span class=\"muted\">(1999)</span>"), "{body}");
    assert!(body.contains(&format!("class=\"movie-poster\" src=\"/artwork/{poster_sha}\" alt=\"Poster of The Matrix\" width=\"1000\" height=\"1500\"")));
    assert!(body.contains(&format!("<img class=\"fanart\" src=\"/artwork/{fanart_sha}\"")));
    for (field, value) in [
        ("title", "The Matrix"),
        ("original_title", "The Matrix"),
        ("year", "1999"),
        ("plot", "A hacker learns the truth."),
        ("tagline", "Free your mind"),
        ("runtime", "136 min"),
        ("genres", "Action, Science Fiction"),
    ] {
        let row = field_row(body, field);
        assert!(row.contains(&format!("<div class=\"field-value\">{value}</div>")), "{field}: {row}");
        assert!(row.contains(&format!("action=\"/movies/{matrix_id}/fields/{field}/lock\"")), "{field}: {row}");
        assert!(row.contains(&format!("action=\"/movies/{matrix_id}/fields/{field}\"")), "{field}: {row}");
    }
    assert!(field_row(body, "sort_title").contains("not set"));
    assert!(field_row(body, "tmdb_id").contains("<a href=\"https://www.themoviedb.org/movie/603\""));
    assert!(field_row(body, "imdb_id").contains("<a href=\"https://www.imdb.com/title/tt0133093/\""));
    // Nothing on the page loads from another origin.
    assert!(!body.contains("src=\"http"), "{body}");
    assert!(body.contains(&format!("<a href=\"/movies?library_id={}\">Films</a>", films.id)));
    assert!(body.contains(&films.root.join(matrix).display().to_string()), "the folder");
    let files = section(body, "movie-files");
    for name in ["The Matrix (1999).mp4", "The Matrix (1999).nfo", "poster.png", "notes.txt"] {
        assert!(files.contains(name), "{name}: {files}");
    }
    assert!(files.contains("22 B"), "notes.txt's size: {files}");
    let streams = section(body, "movie-streams");
    assert!(streams.contains("h264"), "{streams}");
    assert!(streams.contains("Audio 1"), "{streams}");
    let artwork = section(body, "movie-artwork");
    assert!(artwork.contains(&format!("src=\"/artwork/{poster_sha}\"")) && artwork.contains("1000×1500"), "{artwork}");
    assert!(artwork.contains("1920×1080"), "{artwork}");
    let subtitles = section(body, "movie-subtitles");
    assert!(subtitles.contains("<td>eng</td>") && subtitles.contains("forced"), "{subtitles}");
    let unknown = section(body, "movie-unknown");
    assert!(unknown.contains("notes.txt"), "{unknown}");
    assert!(!body.contains("id=\"movie-warnings\""), "no warnings for a clean NFO");

    let page = ui.get(&format!("/movies/{rec_id}")).await;
    assert_page(&page, 200);
    let warnings = section(&page.body, "movie-warnings");
    assert!(warnings.contains("[REC] (2007).nfo: line 1") && warnings.contains("input ended inside"), "{warnings}");
    assert!(page.body.contains("<div class=\"movie-poster placeholder\" aria-hidden=\"true\">[REC]</div>"));
    app.stop().await;
}

/// The HTML of one field's row.
fn field_row<'a>(body: &'a str, field: &str) -> &'a str {
    let start = body.find(&format!("id=\"field-{field}\"")).unwrap_or_else(|| panic!("no row for {field}: {body}"));
    let rest = &body[start..];
    let end = rest.find("</details>").unwrap_or(rest.len());
    &rest[..end]
}

/// The HTML from an element's id to the end of its table or list.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}: {body}"));
    let rest = &body[start..];
    let end = ["</table>", "</ul>", "</dl>"].iter().filter_map(|close| rest.find(close)).min().unwrap_or(rest.len());
    &rest[..end]
}

/// The change stamp the movie page's live region carries.
fn stamp(body: &str) -> String {
    let (_, rest) = body.split_once("/live?stamp=").expect("a live region");
    rest.chars().take_while(char::is_ascii_digit).collect()
}

async fn one_movie(app: &TestApp) -> (Library, i64) {
    let films = library(app, "Films").await;
    insert_movies(app, &films, &[Seed { year: Some(1995), ..seed("Heat") }]).await;
    let id = movie_id(app, "Heat").await;
    (films, id)
}

app_test!(saving_a_field_sets_and_locks_it_and_the_toggles_unlock);
async fn saving_a_field_sets_and_locks_it_and_the_toggles_unlock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_films, id) = one_movie(&app).await;
    let ui = UiClient::new(&app);

    // Without JavaScript: a form post, then back to the movie.
    let page = ui.post_form(&format!("/movies/{id}/fields/title"), &[("value", "  Heat (Director's Cut) ")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(format!("/movies/{id}#field-title").as_str()));
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["title"], "Heat (Director's Cut)");
    assert_eq!(movie["locks"], json!(["title"]));
    let page = ui.get(&format!("/movies/{id}")).await;
    assert!(page.body.contains("<div class=\"field locked\" id=\"field-title\">"), "{}", page.body);
    let row = field_row(&page.body, "title");
    assert!(row.contains("<span class=\"badge lock\">locked</span>"), "{row}");
    assert!(row.contains(&format!("action=\"/movies/{id}/fields/title/unlock\"")), "{row}");
    assert!(row.contains("Heat (Director&#39;s Cut)"), "{row}");

    // With htmx: the row alone comes back, with the page's new change stamp out of band.
    let before = stamp(&page.body);
    let fragment = ui.htmx_post(&format!("/movies/{id}/fields/year"), &[("value", "1996")]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div class=\"field locked\" id=\"field-year\">"), "{}", fragment.body);
    assert!(fragment.body.contains("<div class=\"field-value\">1996</div>"));
    assert!(!fragment.body.contains("<html"));
    let after = stamp(&fragment.body);
    assert!(fragment.body.contains("id=\"movie-stamp\" hidden hx-swap-oob=\"true\""), "{}", fragment.body);
    assert!(
        fragment.body.contains(
            "<h1 id=\"movie-title\" hx-swap-oob=\"true\">Heat (Director&#39;s Cut) <span class=\"muted\">(1996)</span></h1>"
        ),
        "the heading follows the change: {}",
        fragment.body
    );
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["year"], 1996);
    assert_eq!(movie["locks"], json!(["title", "year"]));

    // The live region reloads only when the movie changed since its stamp.
    assert_eq!(ui.htmx_get(&format!("/movies/{id}/live?stamp={after}")).await.status, 204);
    let live = ui.htmx_get(&format!("/movies/{id}/live?stamp={before}")).await;
    assert_page(&live, 200);
    assert!(live.body.starts_with("<div id=\"movie-live\""), "{}", live.body);
    assert!(live.body.contains("<div class=\"field-value\">1996</div>"));

    let page = ui.post_form(&format!("/movies/{id}/fields/genres"), &[("value", "Crime, Drama,\r\nThriller")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = ui.post_form(&format!("/movies/{id}/fields/plot"), &[("value", "Line one.\r\nLine two.")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["genres"], json!(["Crime", "Drama", "Thriller"]));
    assert_eq!(movie["plot"], "Line one.\nLine two.");

    // The toggles: unlock without JavaScript, lock with htmx.
    let page = ui.post_form(&format!("/movies/{id}/fields/title/unlock"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(format!("/movies/{id}#field-title").as_str()));
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["locks"], json!(["genres", "plot", "year"]));
    assert_eq!(movie["title"], "Heat (Director's Cut)", "unlocking keeps the value");
    let row = ui.get(&format!("/movies/{id}")).await;
    assert!(field_row(&row.body, "title").contains(&format!("action=\"/movies/{id}/fields/title/lock\"")));
    let fragment = ui.htmx_post(&format!("/movies/{id}/fields/tagline/lock"), &[]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div class=\"field locked\" id=\"field-tagline\">"), "{}", fragment.body);
    assert!(fragment.body.contains(&format!("hx-post=\"/movies/{id}/fields/tagline/unlock\"")));
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["locks"], json!(["genres", "plot", "tagline", "year"]));

    // A form without the CSRF token changes nothing.
    let page = ui.post_raw(&format!("/movies/{id}/fields/title"), &[("value", "Forged")]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["title"], "Heat (Director's Cut)");
    app.stop().await;
}

app_test!(hostile_and_wrong_edits_are_refused_and_change_nothing);
async fn hostile_and_wrong_edits_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_films, id) = one_movie(&app).await;
    let ui = UiClient::new(&app);

    // Markup is text: saved as typed, shown escaped.
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let page = ui.post_form(&format!("/movies/{id}/fields/title"), &[("value", hostile)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["title"], hostile);
    for path in [format!("/movies/{id}"), "/movies".to_owned(), "/movies?view=table".to_owned()] {
        let page = ui.get(&path).await;
        assert_page(&page, 200);
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "{path}: {}", page.body);
        assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{path}");
    }
    let page = ui.post_form(&format!("/movies/{id}/fields/title"), &[("value", "Heat")]).await;
    assert_eq!(page.status, 303);
    let (_, original) = app.get(&format!("/movies/{id}")).await;

    // Refused values: the form again with the reason and the typed text, and nothing saved.
    let oversized = "x".repeat(5_000);
    for (field, value, reason) in [
        ("title", oversized.as_str(), "title is too long: 5000 characters, at most 1000"),
        ("plot", &"y".repeat(10_001), "plot is too long"),
        ("title", "   ", "title must not be empty"),
        ("year", "nineteen", "Year must be a whole number"),
        ("runtime", "-5", "runtime must not be negative"),
        ("imdb_id", "0133093", "imdb_id"),
        ("tmdb_id", "0", "tmdb_id must be a positive integer"),
    ] {
        let page = ui.post_form(&format!("/movies/{id}/fields/{field}"), &[("value", value)]).await;
        assert_eq!(page.status, 400, "{field}={value:.20}: {}", page.body);
        assert!(page.body.contains(reason), "{field}: {reason} in {}", page.body);
        assert!(page.body.contains("role=\"alert\""));
        let row = field_row(&page.body, field);
        assert!(row.contains("<details class=\"field-edit\" open>"), "{row}");
        assert!(row.contains("aria-invalid=\"true\""), "{row}");
        if field != "title" || !value.trim().is_empty() {
            assert!(row.contains(&value[..value.len().min(50)]), "the typed value stays: {row:.300}");
        }
        let (_, movie) = app.get(&format!("/movies/{id}")).await;
        assert_eq!(movie, original, "{field}: nothing changed");
    }
    // htmx swaps only successful answers, so it gets the row with the reason as a 200.
    let fragment = ui.htmx_post(&format!("/movies/{id}/fields/title"), &[("value", oversized.as_str())]).await;
    assert_page(&fragment, 200);
    assert!(fragment.body.starts_with("<div class=\"field locked\" id=\"field-title\">"), "{}", fragment.body);
    assert!(fragment.body.contains("title is too long"));
    assert!(!fragment.body.contains("hx-swap-oob"), "nothing changed, so the stamp stays");
    // The API refuses the same value with the same words.
    let (status, body) = app.patch_json(&format!("/movies/{id}"), &json!({ "title": oversized })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("title is too long"), "{body}");
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie, original);

    // Wrong names and ids.
    let page = ui.post_form(&format!("/movies/{id}/fields/colour"), &[("value", "red")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("unknown field") && page.body.contains("title"), "{}", page.body);
    let page = ui.post_form(&format!("/movies/{id}/fields/colour/lock"), &[]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("cannot be locked"), "{}", page.body);
    for path in ["/movies/999999", "/movies/999999/live"] {
        let page = ui.get(path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("<html"), "{path}: an error page");
    }
    for path in
        ["/movies/999999/fields/title", "/movies/999999/fields/title/lock", "/movies/999999/fields/title/unlock"]
    {
        let page = ui.post_form(path, &[("value", "Heat")]).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    for path in ["/movies/abc", "/movies/1.5", "/movies/abc/live"] {
        let page = ui.get(path).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
        assert!(page.body.contains("a movie id is a number"), "{path}: {}", page.body);
    }
    let page = ui.post_form("/movies/abc/fields/title", &[("value", "Heat")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie, original);
    app.stop().await;
}
