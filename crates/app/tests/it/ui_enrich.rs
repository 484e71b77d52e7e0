//! Enrichment in the web UI against the TMDB and OMDb stand-ins of `enrich.rs`: the movie
//! page's "Refresh metadata" button and identification state, the Identify section from a
//! movie that needs identification to an identified one, and Settings › Providers (keys
//! write-only, limits checked, Test), with every state-changing form refused without its token.

use crate::enrich::{Providers, scan_folders, spawn};
use crate::helpers::{Backend, TestApp, job_id};
use crate::ui::{Page, UiClient};
use metarr_queue::JobState;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

/// A TMDB v3 key of this test's own, to look for in pages that must never show it.
const UI_TMDB_KEY: &str = "fedcba9876543210fedcba9876543210";

/// The page's text with the entities askama writes for quotes and ampersands decoded.
fn unescaped(page: &Page) -> String {
    page.body.replace("&#34;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The element with `id` and what follows it up to its closing tag `end`.
fn element<'a>(page: &'a Page, id: &str, end: &str) -> &'a str {
    let start = page.body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}: {}", page.body));
    let rest = &page.body[start..];
    &rest[..rest.find(end).map_or(rest.len(), |at| at + end.len())]
}

/// The page loads nothing from elsewhere: no image, script or style from another origin.
fn assert_nothing_from_elsewhere(page: &Page) {
    for attribute in ["src=\"http", "src=\"//", "href=\"http://", "srcset="] {
        assert!(!page.body.contains(attribute), "{attribute} in the page: {}", page.body);
    }
    assert!(!page.body.contains("style="), "no inline style");
}

/// Waits for the movie's only `enrich-metadata` job.
async fn wait_for_enrichment(app: &TestApp) {
    let (_, jobs) = app.get("/jobs?kind=enrich-metadata").await;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(1), "{jobs}");
    app.wait_for_state(job_id(&jobs["items"][0]["id"]), JobState::Completed).await;
}

app_test!(refresh_button_queues_the_job_and_the_page_shows_the_result);
async fn refresh_button_queues_the_job_and_the_page_shows_the_result(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let id = scan_folders(&app, &root, &[("Fight Club (1999)", None)]).await[0];
    let ui = UiClient::new(&app);

    let before = ui.get(&format!("/movies/{id}")).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(before.body.contains(&format!("action=\"/movies/{id}/enrich\"")), "a Refresh button: {}", before.body);
    assert!(element(&before, "movie-identification", "</p>").contains("not enriched yet"), "{}", before.body);

    // Without the token nothing is queued.
    let refused = ui.post_raw(&format!("/movies/{id}/enrich"), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let (_, jobs) = app.get("/jobs?kind=enrich-metadata").await;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(0), "{jobs}");

    let queued = ui.post_form(&format!("/movies/{id}/enrich"), &[]).await;
    assert_eq!(queued.status, 200, "{}", queued.body);
    assert!(element(&queued, "movie-notice", "</p>").contains("Metadata refresh queued"), "{}", queued.body);
    wait_for_enrichment(&app).await;

    let after = ui.get(&format!("/movies/{id}")).await;
    let state = element(&after, "movie-identification", "</p>");
    assert!(state.contains("badge ok\">identified"), "{state}");
    assert!(state.contains("as of"), "when it was enriched: {state}");
    let text = unescaped(&after);
    assert!(text.contains("Brad Pitt as Tyler Durden"), "the cast reads as name as role");
    assert!(text.contains("themoviedb "), "TMDB's rating is shown");
    assert!(element(&after, "field-plot", "</h3>").contains(">tmdb<"), "the plot's source is TMDB");
    assert!(!after.body.contains("id=\"identify-candidates\""), "no candidates for an identified movie");
    // Actors' pictures and posters stay at TMDB: the page loads nothing from there.
    assert_nothing_from_elsewhere(&after);
    app.stop().await;
}

app_test!(identify_picks_one_of_the_candidates);
async fn identify_picks_one_of_the_candidates(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    // Two films called Dune, and no year to tell them apart.
    providers.serve_two_dunes().await;
    // TMDB fails for another title: the page says so, without the key.
    Mock::given(method("GET"))
        .and(path("/3/search/movie"))
        .and(query_param("query", "Broken"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream trouble"))
        .mount(&providers.tmdb)
        .await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let id = scan_folders(&app, &root, &[("Dune", None)]).await[0];
    let ui = UiClient::new(&app);
    assert_eq!(ui.post_form(&format!("/movies/{id}/enrich"), &[]).await.status, 200);
    wait_for_enrichment(&app).await;

    // The stored candidates are listed at once, each with its "This one" button.
    let waiting = ui.get(&format!("/movies/{id}")).await;
    assert!(element(&waiting, "movie-identification", "</p>").contains("needs identification"), "{}", waiting.body);
    let candidates = element(&waiting, "identify-candidates", "</ul>");
    assert!(candidates.contains("data-tmdb-id=\"438631\"") && candidates.contains("data-tmdb-id=\"841\""));
    assert!(candidates.contains("(2021)") && candidates.contains("(1984)"), "{candidates}");
    assert!(candidates.contains("Dune, the film."), "the overview: {candidates}");
    assert!(candidates.contains("% match"), "the confidence: {candidates}");
    assert!(candidates.contains("name=\"tmdb_id\" value=\"841\""), "{candidates}");
    assert!(element(&waiting, "movie-identify", "<summary>").contains("<details open"), "the section is open");

    // A search with the year puts 1984's Dune first; htmx gets the section alone.
    let searched = ui.get(&format!("/movies/{id}/identify?q=Dune&year=1984")).await;
    assert_eq!(searched.status, 200, "{}", searched.body);
    let first = element(&searched, "identify-candidates", "</li>");
    assert!(first.contains("data-tmdb-id=\"841\""), "the year decides: {first}");
    let fragment = ui.htmx_get(&format!("/movies/{id}/identify?q=Dune&year=1984")).await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.body.trim_start().starts_with("<section id=\"movie-identify\""), "{}", fragment.body);
    let wrong = ui.get(&format!("/movies/{id}/identify?q=Dune&year=soon")).await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(element(&wrong, "identify-error", "</p>").contains("year"), "{}", wrong.body);
    let failed = ui.get(&format!("/movies/{id}/identify?q=Broken")).await;
    assert_eq!(failed.status, 502, "{}", failed.body);
    assert!(element(&failed, "identify-error", "</p>").contains("TMDB"), "{}", failed.body);
    assert!(!failed.body.contains("0123456789abcdef0123456789abcdef"), "never the key: {}", failed.body);

    // Without the token the pick is refused and nothing changes.
    let refused = ui.post_raw(&format!("/movies/{id}/identify"), &[("tmdb_id", "550")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["identification"], "needs_identification");

    // "This one": Fight Club (the stand-in's only full film) is locked and filled at once.
    let picked = ui.post_form(&format!("/movies/{id}/identify"), &[("tmdb_id", "550")]).await;
    assert_eq!(picked.status, 200, "{}", picked.body);
    assert!(element(&picked, "movie-notice", "</p>").contains("Identified as TMDB 550"), "{}", picked.body);
    assert!(element(&picked, "movie-identification", "</p>").contains("identified"));
    assert!(element(&picked, "movie-title", "</h1>").contains("Fight Club"), "{}", picked.body);
    assert!(element(&picked, "field-tmdb_id", "</h3>").contains("locked"), "the pick is locked");
    assert!(!picked.body.contains("id=\"identify-candidates\""), "no candidates left");
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!((movie["identification"].clone(), movie["tmdb_id"].clone()), (json!("identified"), json!(550)));
    let bad = ui.post_form(&format!("/movies/{id}/identify"), &[("tmdb_id", "-4")]).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    app.stop().await;
}

app_test!(providers_page_saves_keys_write_only_checks_limits_and_tests);
async fn providers_page_saves_keys_write_only_checks_limits_and_tests(backend: Backend) {
    let providers = Providers::start().await;
    Mock::given(method("GET"))
        .and(path("/3/configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "images": {
            "base_url": "http://image.tmdb.org/t/p/", "secure_base_url": "https://image.tmdb.org/t/p/",
            "backdrop_sizes": [], "logo_sizes": [], "poster_sizes": [], "profile_sizes": [], "still_sizes": [] },
            "change_keys": [] })))
        .mount(&providers.tmdb)
        .await;
    // TMDB's address only: no key until the page sets one.
    let tmdb_url = format!("{}/3", providers.tmdb.uri());
    let app = TestApp::spawn_with(backend, &[("METARR_PROVIDERS__TMDB__BASE_URL", &tmdb_url)]).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let id = scan_folders(&app, &root, &[("Fight Club (1999)", None)]).await[0];
    let ui = UiClient::new(&app);

    // Without a TMDB key the Refresh button says what to do.
    let no_key = ui.post_form(&format!("/movies/{id}/enrich"), &[]).await;
    assert_eq!(no_key.status, 409, "{}", no_key.body);
    assert!(element(&no_key, "movie-error", "</p>").contains("Settings › Providers"), "{}", no_key.body);

    let index = ui.get("/settings").await;
    assert!(index.body.contains("href=\"/settings/providers\""), "the settings index links the page");
    let empty = ui.get("/settings/providers").await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.body.contains("href=\"/settings/providers\" aria-current=\"page\""), "the current entry");
    for name in ["tmdb", "fanart", "omdb"] {
        assert!(element(&empty, &format!("{name}-key-state"), "</span>").contains("not set"), "{name}");
        assert!(empty.body.contains(&format!("action=\"/settings/providers/{name}/test\"")), "{name}'s Test");
    }
    assert!(element(&empty, "providers-language", ">").contains("value=\"en-US\""), "{}", empty.body);
    let refused = ui.post_form("/settings/providers-language", &[("language", "klingon")]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(element(&refused, "language-error", "</p>").contains("language"), "{}", refused.body);
    let saved = ui.post_form("/settings/providers-language", &[("language", "de-AT")]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(element(&ui.get("/settings/providers").await, "providers-language", ">").contains("value=\"de-AT\""));
    let (_, list) = app.get("/providers").await;
    assert_eq!(list["language"], "de-AT");
    assert_eq!(ui.post_form("/settings/providers-language", &[("language", "")]).await.status, 303);
    assert!(element(&empty, "tmdb-usage", "</dl>").contains("Calls today</dt><dd>0"), "{}", empty.body);
    assert_nothing_from_elsewhere(&empty);

    // Refused limits: the reason and the typed values, nothing stored.
    for (rate, quota, reason) in [
        ("0", "", "requests_per_second must be from 1 to"),
        ("fast", "", "requests_per_second must be a whole number"),
        ("5", "-3", "daily_quota must be a whole number"),
        ("5", "99999999999", "daily_quota"),
    ] {
        let page = ui
            .post_form(
                "/settings/providers/tmdb",
                &[("api_key", ""), ("requests_per_second", rate), ("daily_quota", quota)],
            )
            .await;
        assert_eq!(page.status, 400, "{rate}/{quota}: {}", page.body);
        assert!(element(&page, "tmdb-error", "</p>").contains(reason), "{reason}: {}", page.body);
        assert!(page.body.contains(&format!("value=\"{rate}\"")), "the typed rate is kept");
    }
    let bad_key = ui.post_form("/settings/providers/tmdb", &[("api_key", "has spaces in it")]).await;
    assert_eq!(bad_key.status, 400, "{}", bad_key.body);
    assert!(!bad_key.body.contains("has spaces in it"), "a typed key is never shown back");
    let (_, view) = app.get("/providers/tmdb").await;
    assert_eq!(view["api_key"], serde_json::Value::Null, "nothing stored: {view}");

    // Without the token nothing is stored.
    let refused = ui.post_raw("/settings/providers/tmdb", &[("api_key", UI_TMDB_KEY)]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let refused = ui.post_raw("/settings/providers/tmdb/test", &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(app.get("/providers/tmdb").await.1["api_key"], serde_json::Value::Null);

    let saved = ui
        .post_form(
            "/settings/providers/tmdb",
            &[("api_key", UI_TMDB_KEY), ("requests_per_second", "20"), ("daily_quota", "5000")],
        )
        .await;
    assert_eq!((saved.status, saved.location.as_deref()), (303, Some("/settings/providers?saved=tmdb#provider-tmdb")));
    let page = ui.get("/settings/providers?saved=tmdb").await;
    assert!(element(&page, "saved-notice", "</p>").contains("TMDB"), "{}", page.body);
    assert!(element(&page, "tmdb-key-state", "</span>").contains("(set"), "{}", page.body);
    assert!(!page.body.contains(UI_TMDB_KEY), "the key is never shown");
    assert!(page.body.contains("id=\"tmdb-rate\" name=\"requests_per_second\" inputmode=\"numeric\" value=\"20\""));
    assert!(element(&page, "tmdb-usage", "</dl>").contains(" of 5000"), "{}", page.body);
    let (_, view) = app.get("/providers/tmdb").await;
    assert_eq!((view["api_key"].clone(), view["requests_per_second"].clone()), (json!("set"), json!(20)));

    // Test: htmx gets the result slot; a plain form the page with it.
    let tested = ui.htmx_post("/settings/providers/tmdb/test", &[]).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert!(tested.body.contains("data-test-ok=\"true\""), "{}", tested.body);
    assert!(tested.body.contains("id=\"provider-tmdb-test\""));
    let tested = ui.post_form("/settings/providers/omdb/test", &[]).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert!(element(&tested, "provider-omdb-test", "</div>").contains("data-test-ok=\"false\""), "no OMDb key");

    // An empty key field keeps the key; the box removes it.
    let kept = ui.post_form("/settings/providers/tmdb", &[("api_key", ""), ("requests_per_second", "20")]).await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    assert_eq!(app.get("/providers/tmdb").await.1["api_key"], "set");
    let removed = ui
        .post_form(
            "/settings/providers/tmdb",
            &[("api_key", ""), ("clear_api_key", "on"), ("requests_per_second", "20")],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let (_, view) = app.get("/providers/tmdb").await;
    assert_eq!(view["api_key"], serde_json::Value::Null, "{view}");
    assert_eq!(view["requests_per_second"], 20, "the limit stays");
    assert_eq!(ui.post_form("/settings/providers/imdb", &[]).await.status, 404);
    app.stop().await;
}
