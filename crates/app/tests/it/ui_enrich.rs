//! Enrichment in the web UI against the TMDB and OMDb stand-ins of `enrich.rs`: the movie
//! page's "Refresh metadata" button and identification state, and the Identify section from a
//! movie that needs identification to an identified one, with every state-changing form refused
//! without its token.

use crate::enrich::{Providers, page, result, scan_folders, spawn};
use crate::helpers::{Backend, TestApp, job_id};
use crate::ui::{Page, UiClient};
use metarr_queue::JobState;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

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
    Mock::given(method("GET"))
        .and(path("/3/search/movie"))
        .and(query_param("query", "Dune"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
            result(438_631, "Dune", "2021-09-15", 300.0),
            result(841, "Dune", "1984-12-14", 40.0),
        ])))
        .mount(&providers.tmdb)
        .await;
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
