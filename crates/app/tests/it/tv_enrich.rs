//! TV enrichment against a stand-in speaking TMDB's wire format: a series identified by search,
//! filled with its seasons and episodes (those not on disk listed as missing), NFO values and
//! locks kept, a second enrichment changing nothing, and the Identify routes.

use crate::enrich::{Providers, page, spawn};
use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::wait_for_scan;
use metarr::ids::ScanId;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/providers/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("test data")).expect("JSON")
}

pub(crate) fn tv_result(id: u32, name: &str, date: &str, popularity: f64) -> Value {
    json!({ "adult": false, "backdrop_path": null, "genre_ids": [18], "id": id, "origin_country": ["US"],
            "original_language": "en", "original_name": name, "overview": format!("{name}, the series."),
            "popularity": popularity, "poster_path": null, "first_air_date": date, "name": name,
            "vote_average": 8.0, "vote_count": 100 })
}

/// Season 2 of the stand-in: two episodes, neither on disk.
fn season_two() -> Value {
    json!({ "_id": "x", "air_date": "2009-03-08", "id": 3573, "name": "Season 2", "overview": "",
            "poster_path": null, "season_number": 2, "vote_average": 8.5,
            "episodes": [
              { "air_date": "2009-03-08", "episode_number": 1, "episode_type": "standard", "id": 62092,
                "name": "Seven Thirty-Seven", "overview": "Walt and Jesse realize the dire situation.",
                "production_code": "", "runtime": 47, "season_number": 2, "show_id": 1396, "still_path": null,
                "vote_average": 8.2, "vote_count": 120, "crew": [], "guest_stars": [] },
              { "air_date": "2009-03-15", "episode_number": 2, "episode_type": "standard", "id": 62093,
                "name": "Grilled", "overview": "", "production_code": "", "runtime": null, "season_number": 2,
                "show_id": 1396, "still_path": null, "vote_average": 0, "vote_count": 0, "crew": [],
                "guest_stars": [] }
            ] })
}

pub(crate) async fn serve_breaking_bad(providers: &Providers) {
    Mock::given(method("GET"))
        .and(path("/3/search/tv"))
        .and(query_param("query", "Breaking Bad"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
            tv_result(1396, "Breaking Bad", "2008-01-20", 300.0),
            tv_result(99_001, "Breaking Bad Habits", "2016-05-01", 2.0),
        ])))
        .mount(&providers.tmdb)
        .await;
    Mock::given(method("GET"))
        .and(path("/3/tv/1396"))
        .respond_with(ResponseTemplate::new(200).set_body_json(data("constructed-tv-1396.json")))
        .mount(&providers.tmdb)
        .await;
    Mock::given(method("GET"))
        .and(path("/3/tv/1396/season/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(data("constructed-tv-1396-season-1.json")))
        .mount(&providers.tmdb)
        .await;
    Mock::given(method("GET"))
        .and(path("/3/tv/1396/season/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(season_two()))
        .mount(&providers.tmdb)
        .await;
    Mock::given(method("GET"))
        .and(query_param("i", "tt0903747"))
        .respond_with(ResponseTemplate::new(200).set_body_json(data("constructed-tt0903747.json")))
        .mount(&providers.omdb)
        .await;
    // Other seasons: TMDB's 404, which leaves them known from the series' summary only.
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/3/tv/1396/season/[03-9]$"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "success": false, "status_code": 34, "status_message": "The resource you requested could not be found."
        })))
        .mount(&providers.tmdb)
        .await;
}

fn library(root: &Path) {
    let season = root.join("Breaking Bad (2008)/Season 01");
    std::fs::create_dir_all(&season).expect("folders");
    std::fs::copy(SAMPLE_VIDEO, season.join("Breaking Bad - S01E01 - Pilot.mp4")).expect("video");
    // The user's own NFO for an episode not on disk: its title stays over TMDB's.
    std::fs::write(
        season.join("Breaking Bad - S01E02.nfo"),
        "<episodedetails><title>My Own Title</title><season>1</season><episode>2</episode></episodedetails>",
    )
    .expect("nfo");
}

pub(crate) async fn wait_for_enrichment(app: &TestApp, series_id: i64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, detail) = app.get(&format!("/series/{series_id}")).await;
        if !detail["enriched_at"].is_null() {
            return detail;
        }
        assert!(std::time::Instant::now() < deadline, "never enriched: {detail}");
        // The job runs in the worker; its answer is in the catalogue once committed.
        let (_, jobs) = app.get("/jobs?kind=enrich-series&state=failed").await;
        assert_eq!(jobs["items"].as_array().map(Vec::len), Some(0), "{jobs}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn episode_titles(season: &Value) -> Vec<(String, bool, Option<String>)> {
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

async fn a_series_is_identified_and_filled_with_its_episodes(backend: Backend) {
    let providers = Providers::start().await;
    serve_breaking_bad(&providers).await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    library(&root);
    let (status, lib) = app.post_json("/libraries", &json!({ "path": root.display().to_string(), "kind": "tv" })).await;
    assert_eq!(status, 201, "{lib}");
    let (_, scan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    wait_for_scan(&app.db, ScanId(scan["id"].as_i64().expect("id")), Duration::from_secs(60)).await;
    let (_, list) = app.get("/series").await;
    let id = list["items"][0]["id"].as_i64().expect("series id");

    // The scan of a new series queued its enrichment.
    let detail = wait_for_enrichment(&app, id).await;
    assert_eq!(detail["identification"], "identified", "{detail}");
    assert_eq!((detail["tmdb_id"].as_i64(), detail["tvdb_id"].as_i64()), (Some(1396), Some(81189)));
    assert_eq!(detail["imdb_id"], "tt0903747");
    assert_eq!(detail["status"], "Ended");
    assert_eq!(detail["field_sources"]["plot"], "tmdb");
    assert_eq!(detail["field_sources"]["title"], "tmdb", "TMDB's name replaces the folder's");
    assert!(detail["genres"].as_array().is_some_and(|g| !g.is_empty()), "{detail}");
    assert!(detail["actors"].as_array().is_some_and(|a| !a.is_empty()), "{detail}");
    // OMDb's ratings join TMDB's in a job of their own.
    let (_, jobs) = app.get("/jobs?kind=enrich-series-ratings").await;
    app.wait_for_state(job_id(&jobs["items"][0]["id"]), JobState::Completed).await;
    let (_, detail) = app.get(&format!("/series/{id}")).await;
    let sources: Vec<&str> =
        detail["ratings"].as_array().expect("ratings").iter().filter_map(|r| r["source"].as_str()).collect();
    assert!(sources.contains(&"themoviedb") && sources.contains(&"imdb"), "{detail}");
    let imdb = detail["ratings"].as_array().expect("ratings").iter().find(|r| r["source"] == "imdb").cloned();
    assert_eq!(imdb.map(|r| r["default"].clone()), Some(json!(true)), "IMDb's rating is the default");
    assert_eq!(detail["field_sources"]["ratings"], "omdb");
    let tvdb = detail["uniqueids"].as_array().expect("ids").iter().find(|u| u["type"] == "tvdb").cloned();
    assert_eq!(tvdb.map(|u| u["default"].clone()), Some(json!(true)));

    let (_, seasons) = app.get(&format!("/series/{id}/seasons")).await;
    let numbers: Vec<i64> = seasons.as_array().expect("seasons").iter().filter_map(|s| s["number"].as_i64()).collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5], "every season TMDB lists: {seasons}");
    let season_one = &seasons[1];
    assert_eq!(
        episode_titles(season_one),
        [
            ("s01e01".to_owned(), true, Some("Pilot".to_owned())),
            ("s01e02".to_owned(), false, Some("My Own Title".to_owned())),
            ("s01e03".to_owned(), false, Some("...And the Bag's in the River".to_owned())),
        ]
    );
    assert_eq!(
        episode_titles(&seasons[2]),
        [
            ("s02e01".to_owned(), false, Some("Seven Thirty-Seven".to_owned())),
            ("s02e02".to_owned(), false, Some("Grilled".to_owned()))
        ]
    );
    let (_, summary) = app.get("/series").await;
    assert_eq!(
        (summary["items"][0]["episodes_on_disk"].as_i64(), summary["items"][0]["episodes_total"].as_i64()),
        (Some(1), Some(5))
    );
    let pilot = season_one["episodes"][0]["id"].as_i64().expect("id");
    let (_, pilot) = app.get(&format!("/episodes/{pilot}")).await;
    assert_eq!(pilot["aired"], "2008-01-20");
    assert_eq!(pilot["field_sources"]["title"], "tmdb");
    assert!(pilot["plot"].is_string(), "{pilot}");

    // The user's edit locks a field; the next enrichment keeps it, adds nothing twice, and
    // asks TMDB nothing within the cache's time.
    let (status, edited) = app
        .patch_json(&format!("/episodes/{pilot}", pilot = pilot["id"]), &json!({ "title": "Pilot (Director's Cut)" }))
        .await;
    assert_eq!(status, 200, "{edited}");
    // API calls only: the artwork selection enrichment queued may still be fetching images.
    let api_calls = |requests: Option<Vec<wiremock::Request>>| {
        requests.unwrap_or_default().iter().filter(|r| r.url.path().starts_with("/3/")).count()
    };
    let calls = api_calls(providers.tmdb.received_requests().await);
    let (status, job) = app.post(&format!("/series/{id}/enrich")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    assert_eq!(api_calls(providers.tmdb.received_requests().await), calls, "answered from the cache");
    let (_, again) = app.get(&format!("/series/{id}/seasons")).await;
    assert_eq!(again[1]["episodes"][0]["title"], "Pilot (Director's Cut)");
    assert_eq!(again[1]["episodes"].as_array().map(Vec::len), Some(3));
    assert_eq!(again[2]["episodes"].as_array().map(Vec::len), Some(2));

    // A rescan of the folder keeps what TMDB added and the user's lock.
    let (status, job) = app.post(&format!("/series/{id}/scan")).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, after) = app.get(&format!("/series/{id}/seasons")).await;
    assert_eq!(episode_titles(&after[1])[0], ("s01e01".to_owned(), true, Some("Pilot (Director's Cut)".to_owned())));
    assert_eq!(after[2]["episodes"].as_array().map(Vec::len), Some(2));

    // Bad requests.
    for (route, body) in [
        ("identify", json!({})),
        ("identify", json!({ "tmdb_id": 1396, "tvdb_id": 81189 })),
        ("identify", json!({ "title": "x" })),
        ("identify", json!({ "tmdb_id": "1396" })),
        ("identify", json!({ "tmdb_id": -4 })),
    ] {
        let (status, answer) = app.post_json(&format!("/series/{id}/{route}"), &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, _) = app.post("/series/987654/enrich").await;
    assert_eq!(status, 404);
    app.stop().await;
}
app_test!(a_series_is_identified_and_filled_with_its_episodes);

async fn an_ambiguous_series_asks_the_user(backend: Backend) {
    let providers = Providers::start().await;
    serve_breaking_bad(&providers).await;
    Mock::given(method("GET"))
        .and(path("/3/search/tv"))
        .and(query_param("query", "The Office"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
            tv_result(2316, "The Office", "2005-03-24", 200.0),
            tv_result(2996, "The Office", "2001-07-09", 60.0),
        ])))
        .mount(&providers.tmdb)
        .await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let season = root.join("The Office/Season 01");
    std::fs::create_dir_all(&season).expect("folders");
    std::fs::copy(SAMPLE_VIDEO, season.join("The Office - S01E01.mp4")).expect("video");
    let (_, lib) = app.post_json("/libraries", &json!({ "path": root.display().to_string(), "kind": "tv" })).await;
    let (_, scan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    wait_for_scan(&app.db, ScanId(scan["id"].as_i64().expect("id")), Duration::from_secs(60)).await;
    let (_, list) = app.get("/series").await;
    let id = list["items"][0]["id"].as_i64().expect("id");
    let detail = wait_for_enrichment(&app, id).await;
    assert_eq!(detail["identification"], "needs_identification", "{detail}");
    assert_eq!(detail["match_candidates"].as_array().map(Vec::len), Some(2), "{detail}");
    assert!(detail["tmdb_id"].is_null(), "nothing is guessed");

    let (status, matches) = app.get(&format!("/series/{id}/matches?q=Breaking%20Bad&year=2008")).await;
    assert_eq!(status, 200, "{matches}");
    assert_eq!(matches[0]["tmdb_id"], 1396);
    // The user picks a series (here by its TVDB id, which TMDB's find names).
    Mock::given(method("GET"))
        .and(path("/3/find/81189"))
        .and(query_param("external_source", "tvdb_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "movie_results": [], "person_results": [], "tv_episode_results": [], "tv_season_results": [],
            "tv_results": [tv_result(1396, "Breaking Bad", "2008-01-20", 300.0)]
        })))
        .mount(&providers.tmdb)
        .await;
    let (status, job) = app.post_json(&format!("/series/{id}/identify"), &json!({ "tvdb_id": 81189 })).await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, detail) = app.get(&format!("/series/{id}")).await;
    assert_eq!((detail["identification"].as_str(), detail["tmdb_id"].as_i64()), (Some("identified"), Some(1396)));
    assert!(detail["locks"].as_array().is_some_and(|l| l.contains(&json!("tvdb_id"))), "{detail}");
    app.stop().await;
}
app_test!(an_ambiguous_series_asks_the_user);
