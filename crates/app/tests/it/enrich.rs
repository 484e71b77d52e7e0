//! Enrichment against local stand-ins speaking TMDB's and OMDb's wire formats: identification
//! (ids, search, ambiguity), what is filled and from where, locks and NFO values kept, the
//! Identify and bulk routes, and provider failures turned into snoozes or clear failures.

use crate::helpers::{Backend, TestApp, job_id};
use crate::scan::wait_for_scan;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::ScanPhase;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TMDB_KEY: &str = "0123456789abcdef0123456789abcdef";
const OMDB_KEY: &str = "omdbkey1";
const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/providers/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("test data")).expect("JSON")
}

/// TMDB's `/movie/550` with every part appended, from the real captures.
pub fn fight_club() -> Value {
    let mut movie = data("movie-details.json");
    for (name, file) in [
        ("credits", "movie-credits.json"),
        ("external_ids", "movie-external-ids.json"),
        ("release_dates", "movie-release-dates.json"),
        ("keywords", "constructed-movie-keywords.json"),
        ("videos", "movie-videos.json"),
    ] {
        let mut part = data(file);
        part.as_object_mut().expect("object").remove("id");
        movie.as_object_mut().expect("object").insert(name.to_owned(), part);
    }
    movie
}

/// A TMDB search result.
pub fn result(id: u32, title: &str, date: &str, popularity: f64) -> Value {
    json!({ "adult": false, "backdrop_path": null, "genre_ids": [18], "id": id, "original_language": "en",
            "original_title": title, "overview": format!("{title}, the film."), "popularity": popularity,
            "poster_path": null, "release_date": date, "title": title, "video": false,
            "vote_average": 7.0, "vote_count": 100 })
}

pub fn page(results: Vec<Value>) -> Value {
    let total = results.len();
    json!({ "page": 1, "results": results, "total_pages": 1, "total_results": total })
}

/// Stand-ins for TMDB (under `/3`) and OMDb, and the environment pointing Metarr at them.
pub struct Providers {
    pub tmdb: MockServer,
    pub omdb: MockServer,
}

impl Providers {
    pub async fn start() -> Providers {
        Providers { tmdb: MockServer::start().await, omdb: MockServer::start().await }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("METARR_PROVIDERS__TMDB__API_KEY".into(), TMDB_KEY.into()),
            ("METARR_PROVIDERS__TMDB__BASE_URL".into(), format!("{}/3", self.tmdb.uri())),
            // Images too: a test never reaches the real image server.
            ("METARR_PROVIDERS__TMDB__IMAGE_BASE_URL".into(), format!("{}/t/p", self.tmdb.uri())),
            ("METARR_PROVIDERS__OMDB__API_KEY".into(), OMDB_KEY.into()),
            ("METARR_PROVIDERS__OMDB__BASE_URL".into(), self.omdb.uri()),
        ]
    }

    /// Fight Club at TMDB (by id and by search) and at OMDb.
    pub async fn serve_fight_club(&self) {
        Mock::given(method("GET"))
            .and(path("/3/movie/550"))
            .respond_with(ResponseTemplate::new(200).set_body_json(fight_club()))
            .mount(&self.tmdb)
            .await;
        Mock::given(method("GET"))
            .and(path("/3/search/movie"))
            .and(query_param("query", "Fight Club"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
                result(550, "Fight Club", "1999-10-15", 60.0),
                result(345_922, "Fight Club: Members Only", "2006-02-17", 1.5),
            ])))
            .mount(&self.tmdb)
            .await;
        Mock::given(method("GET"))
            .and(query_param("i", "tt0137523"))
            .respond_with(ResponseTemplate::new(200).set_body_json(data("constructed-tt0137523.json")))
            .mount(&self.omdb)
            .await;
    }

    /// Two films called Dune (2021 and 1984) for a search by that title.
    pub async fn serve_two_dunes(&self) {
        Mock::given(method("GET"))
            .and(path("/3/search/movie"))
            .and(query_param("query", "Dune"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
                result(438_631, "Dune", "2021-09-15", 300.0),
                result(841, "Dune", "1984-12-14", 40.0),
            ])))
            .mount(&self.tmdb)
            .await;
    }

    /// A second film at TMDB, 551 ("The Other Film", tt0000551), with Fight Club's parts.
    pub async fn serve_other_film(&self) {
        let mut other = fight_club();
        other["id"] = json!(551);
        other["imdb_id"] = json!("tt0000551");
        other["external_ids"]["imdb_id"] = json!("tt0000551");
        other["title"] = json!("The Other Film");
        Mock::given(method("GET"))
            .and(path("/3/movie/551"))
            .respond_with(ResponseTemplate::new(200).set_body_json(other))
            .mount(&self.tmdb)
            .await;
        let mut omdb_other = data("constructed-tt0137523.json");
        omdb_other["imdbID"] = json!("tt0000551");
        Mock::given(method("GET"))
            .and(query_param("i", "tt0000551"))
            .respond_with(ResponseTemplate::new(200).set_body_json(omdb_other))
            .mount(&self.omdb)
            .await;
    }

    /// Requests TMDB received whose path is `path`.
    pub async fn tmdb_calls(&self, path: &str) -> usize {
        let requests = self.tmdb.received_requests().await.unwrap_or_default();
        requests.iter().filter(|request| request.url.path() == path).count()
    }

    /// Calls to TMDB's API (not its image server, which the artwork selection after an
    /// enrichment asks while the test goes on).
    pub async fn tmdb_api_calls(&self) -> usize {
        let requests = self.tmdb.received_requests().await.unwrap_or_default();
        requests.iter().filter(|request| request.url.path().starts_with("/3/")).count()
    }
}

/// The app against the stand-ins, metadata only: artwork has its own tests (artwork.rs,
/// tv_artwork.rs), and a selection running behind a test would add image requests to its counts.
pub async fn spawn(backend: Backend, providers: &Providers) -> TestApp {
    let env: Vec<(String, String)> = providers.env().into_iter().chain(crate::helpers::no_artwork()).collect();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestApp::spawn_with(backend, &pairs).await
}

/// One folder per (name, NFO) with a video, scanned; the ids of the movies by folder order.
pub async fn scan_folders(app: &TestApp, root: &Path, folders: &[(&str, Option<&str>)]) -> Vec<i64> {
    for (name, nfo) in folders {
        let folder = root.join(name);
        std::fs::create_dir_all(&folder).expect("movie folder");
        std::fs::copy(SAMPLE_VIDEO, folder.join(format!("{name}.mp4"))).expect("video");
        if let Some(nfo) = nfo {
            std::fs::write(folder.join(format!("{name}.nfo")), nfo).expect("nfo");
        }
    }
    let mut input = LibraryInput::movies_at(root);
    input.auto_enrich = Some(false);
    let library = libraries::create(&app.db, &input).await.expect("library");
    let scan = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    assert_eq!(wait_for_scan(&app.db, scan.id, Duration::from_secs(60)).await.phase, ScanPhase::Completed);
    let mut ids = Vec::new();
    for (name, _) in folders {
        let (_, list) = app.get("/movies?limit=500").await;
        let folder = root.join(name).display().to_string();
        let movie = list["items"].as_array().expect("items").iter().find(|m| m["folder"] == folder.as_str()).cloned();
        ids.push(movie.expect("the folder's movie")["id"].as_i64().expect("id"));
    }
    ids
}

/// Enriches a movie through the API and waits for its job (and the ratings job it queues).
pub async fn enrich(app: &TestApp, id: i64) -> Value {
    let (status, job) = app.post(&format!("/movies/{id}/enrich")).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "enrich-metadata");
    let done = app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    assert_eq!(done.state, JobState::Completed);
    wait_for_kind(app, "enrich-ratings").await;
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    movie
}

/// Waits until no job of `kind` is pending or running.
pub async fn wait_for_kind(app: &TestApp, kind: &str) {
    for _ in 0..1200 {
        let (_, pending) = app.get(&format!("/jobs?kind={kind}&state=pending")).await;
        let (_, running) = app.get(&format!("/jobs?kind={kind}&state=running")).await;
        if pending["items"].as_array().is_some_and(Vec::is_empty)
            && running["items"].as_array().is_some_and(Vec::is_empty)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{kind} jobs did not finish");
}

async fn a_movie_without_an_nfo_is_identified_and_filled(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids = scan_folders(&app, &root, &[("Fight Club (1999)", None)]).await;
    let movie = enrich(&app, ids[0]).await;

    assert_eq!(movie["identification"], "identified", "{movie}");
    assert_eq!(movie["tmdb_id"], 550);
    assert_eq!(movie["imdb_id"], "tt0137523");
    assert!(movie["plot"].as_str().is_some_and(|plot| plot.contains("insomniac")), "{}", movie["plot"]);
    assert_eq!(movie["runtime"], 139);
    assert_eq!(movie["release_date"], "1999-10-15");
    assert_eq!(movie["certification"], "R");
    assert!(movie["certifications"].as_array().is_some_and(|list| list.len() > 5));
    let brad = movie["actors"].as_array().expect("actors").iter().find(|a| a["name"] == "Brad Pitt").cloned();
    let brad = brad.expect("Brad Pitt in the cast");
    assert_eq!(brad["role"], "Tyler Durden");
    assert_eq!(brad["tmdb_id"], 287);
    assert!(
        brad["profile"].as_str().is_some_and(|url| url.starts_with(&format!("{}/t/p/w185/", providers.tmdb.uri())))
    );
    assert_eq!(movie["directors"], json!(["David Fincher"]));
    assert!(movie["writers"].as_array().is_some_and(|w| w.contains(&json!("Jim Uhls"))), "{}", movie["writers"]);
    assert!(movie["studios"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(movie["trailer"].as_str().is_some_and(|url| url.starts_with("https://www.youtube.com/watch?v=")));
    let sources: Vec<&str> =
        movie["ratings"].as_array().expect("ratings").iter().filter_map(|r| r["source"].as_str()).collect();
    assert!(sources.contains(&"themoviedb") && sources.contains(&"imdb"), "{sources:?}");
    assert!(sources.contains(&"tomatometerallcritics") && sources.contains(&"metacritic"), "{sources:?}");
    let defaults = movie["ratings"].as_array().expect("ratings").iter().filter(|r| r["default"] == true).count();
    assert_eq!(defaults, 1);
    assert_eq!(movie["field_sources"]["plot"], "tmdb");
    assert_eq!(movie["field_sources"]["actors"], "tmdb");
    assert_eq!(movie["field_sources"]["title"], "tmdb", "the folder's guess gives way");
    assert!(movie["enriched_at"].is_string());
    assert_eq!(providers.tmdb_calls("/3/movie/550").await, 1, "one call with every part appended");
    let page = crate::metrics::scrape(&app).await;
    let sent =
        crate::metrics::sample(&page, "metarr_provider_requests_total", &["provider=\"tmdb\"", "result=\"sent\""]);
    assert!(sent.is_some_and(|count| count >= 1.0), "provider requests are counted: {page}");
    assert!(page.contains("metarr_provider_rate_limit_wait_seconds_bucket{provider=\"tmdb\""), "{page}");
    assert_eq!(providers.omdb.received_requests().await.unwrap_or_default().len(), 1);

    // Within the cache's lifetime, enriching again asks no provider anything, and changes nothing.
    let tmdb_before = providers.tmdb_api_calls().await;
    let again = enrich(&app, ids[0]).await;
    assert_eq!(providers.tmdb_api_calls().await, tmdb_before);
    assert_eq!(providers.omdb.received_requests().await.unwrap_or_default().len(), 1);
    assert_eq!(again["actors"], movie["actors"]);
    assert_eq!(again["ratings"], movie["ratings"]);
    let (_, list) = app.get("/providers").await;
    let used: Vec<i64> =
        list["items"].as_array().expect("items").iter().filter_map(|p| p["used_today"].as_i64()).collect();
    assert_eq!(used, [i64::try_from(tmdb_before).expect("small"), 0, 1], "tmdb, fanart, omdb: {list}");
    app.stop().await;
}
app_test!(a_movie_without_an_nfo_is_identified_and_filled);

async fn a_spent_omdb_quota_waits_for_the_reset_and_tmdb_goes_on(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    // A second film, with its own IMDb id, at both providers.
    providers.serve_other_film().await;
    let app = spawn(backend, &providers).await;
    let (status, _) = app.put_json("/providers/omdb", &json!({ "daily_quota": 1 })).await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids = scan_folders(&app, &root, &[("Fight Club {tmdb-550}", None), ("Other {tmdb-551}", None)]).await;
    let first = enrich(&app, ids[0]).await;
    assert!(first["ratings"].as_array().is_some_and(|r| r.iter().any(|r| r["source"] == "imdb")));

    // The quota is spent: TMDB's part of the second film is done, its ratings job waits.
    let (_, job) = app.post(&format!("/movies/{}/enrich", ids[1])).await;
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, second) = app.get(&format!("/movies/{}", ids[1])).await;
    assert_eq!(second["title"], "The Other Film");
    let ratings_job = wait_for_snoozed(&app, "enrich-ratings").await;
    let run_at = chrono::DateTime::parse_from_rfc3339(ratings_job["run_at"].as_str().expect("run_at")).expect("time");
    let midnight =
        (chrono::Utc::now() + chrono::Duration::days(1)).date_naive().and_hms_opt(0, 0, 0).expect("midnight");
    let off = (run_at.naive_utc() - midnight).num_seconds().abs();
    assert!(off <= 5, "snoozed until the next UTC midnight: {run_at}");
    assert_eq!(providers.omdb.received_requests().await.unwrap_or_default().len(), 1, "no call beyond the quota");
    let (_, list) = app.get("/providers").await;
    assert_eq!(list["items"][2]["used_today"], 1);
    // Changing the provider answers it as GET shows it, today's call included.
    let (status, changed) = app.put_json("/providers/omdb", &json!({ "daily_quota": 1 })).await;
    assert_eq!((status, &changed["used_today"], &changed["daily_quota"]), (200, &json!(1), &json!(1)), "{changed}");

    // The day turns (as far as the database and the queue can tell): the ratings fill in by themselves.
    app.db
        .execute("UPDATE provider_budgets SET usage_day = usage_day - 1 WHERE provider = 'omdb'", &[])
        .await
        .expect("yesterday's count");
    make_due(&app, &ratings_job).await;
    wait_for_kind(&app, "enrich-ratings").await;
    let (_, second) = app.get(&format!("/movies/{}", ids[1])).await;
    assert!(second["ratings"].as_array().is_some_and(|r| r.iter().any(|r| r["source"] == "imdb")), "{second}");
    app.stop().await;
}
app_test!(a_spent_omdb_quota_waits_for_the_reset_and_tmdb_goes_on);

/// Makes a snoozed job due now (the queue keeps `run_at` as milliseconds on SQLite and as a
/// timestamp on PostgreSQL).
async fn make_due(app: &TestApp, job: &Value) {
    let id = job["id"].as_i64().expect("job id");
    let postgres = app.db.execute("UPDATE jobs SET run_at = now() WHERE id = $1", &[id.into()]).await;
    if postgres.is_err() {
        app.db.execute("UPDATE jobs SET run_at = 0 WHERE id = $1", &[id.into()]).await.expect("due now");
    }
}

/// The pending job of `kind` once it is due later than a minute from now (snoozed).
async fn wait_for_snoozed(app: &TestApp, kind: &str) -> Value {
    for _ in 0..400 {
        let (_, pending) = app.get(&format!("/jobs?kind={kind}&state=pending")).await;
        if let Some(job) = pending["items"].as_array().and_then(|items| items.first()) {
            let later = job["run_at"]
                .as_str()
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                .is_some_and(|at| at.signed_duration_since(chrono::Utc::now()).num_seconds() > 60);
            if later {
                return job.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no snoozed {kind} job");
}

async fn nfo_values_and_locks_are_kept(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let nfo = "<movie><title>Fight Club</title><plot>My own plot.</plot><year>1999</year>\
               <uniqueid type=\"tmdb\" default=\"true\">550</uniqueid></movie>";
    let ids = scan_folders(&app, &root, &[("Fight Club (1999)", Some(nfo))]).await;
    let id = ids[0];
    let (status, _) = app.patch_json(&format!("/movies/{id}"), &json!({ "tagline": "Mine, locked." })).await;
    assert_eq!(status, 200);

    let movie = enrich(&app, id).await;
    assert_eq!(movie["plot"], "My own plot.", "the NFO's value stays");
    assert_eq!(movie["field_sources"]["plot"], "nfo");
    assert_eq!(movie["tagline"], "Mine, locked.");
    assert_eq!(movie["field_sources"]["tagline"], "user");
    assert_eq!(movie["runtime"], 139, "empty fields are filled");
    assert_eq!(providers.tmdb_calls("/3/search/movie").await, 0, "the NFO's id needs no search");

    // The library prefers provider metadata: the NFO's plot gives way, the lock still holds.
    let library_id = movie["library_id"].as_i64().expect("library id");
    app.db
        .execute("UPDATE libraries SET prefer_provider_metadata = true WHERE id = $1", &[library_id.into()])
        .await
        .expect("prefer providers");
    let movie = enrich(&app, id).await;
    assert!(movie["plot"].as_str().is_some_and(|plot| plot.contains("insomniac")), "{}", movie["plot"]);
    assert_eq!(movie["field_sources"]["plot"], "tmdb");
    assert_eq!(movie["tagline"], "Mine, locked.");

    // A rescan of the unchanged folder changes nothing; the NFO does not take back a provider's
    // value while providers are preferred.
    let (status, job) = app.post(&format!("/movies/{id}/scan")).await;
    assert_eq!(status, 202);
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, after) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(after["plot"], movie["plot"]);
    app.stop().await;
}
app_test!(nfo_values_and_locks_are_kept);

async fn an_ambiguous_search_asks_the_user(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    // Two films called Dune, and no year to tell them apart.
    providers.serve_two_dunes().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids = scan_folders(&app, &root, &[("Dune", None)]).await;
    let id = ids[0];
    let (status, job) = app.post(&format!("/movies/{id}/enrich")).await;
    assert_eq!(status, 202);
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["identification"], "needs_identification", "{movie}");
    assert_eq!(movie["tmdb_id"], Value::Null, "nothing guessed");
    let candidates: Vec<i64> = movie["match_candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["tmdb_id"].as_i64())
        .collect();
    assert_eq!(candidates, [438_631, 841]);
    let (_, listed) = app.get("/movies?identification=needs_identification").await;
    assert_eq!(listed["total"], 1);
    let (status, _) = app.get("/movies?identification=maybe").await;
    assert_eq!(status, 400);

    // The search the Identify dialog shows.
    let (status, matches) = app.get(&format!("/movies/{id}/matches?q=Dune&year=1984")).await;
    assert_eq!(status, 200, "{matches}");
    assert_eq!(matches["items"][0]["tmdb_id"], 841, "the year decides: {matches}");
    assert_eq!(matches["items"][0]["year"], 1984);
    let long = "x".repeat(2_000);
    for query in [format!("q={long}"), "year=abc".into(), "year=99999".into(), "colour=blue".into()] {
        let (status, answer) = app.get(&format!("/movies/{id}/matches?{query}")).await;
        assert_eq!(status, 400, "{query} → {answer}");
    }

    // The user picks The Matrix's neighbour… Fight Club, by TMDB id: locked, enriched at once.
    let (status, movie) = app.post_json(&format!("/movies/{id}/identify"), &json!({ "tmdb_id": 550 })).await;
    assert_eq!(status, 200, "{movie}");
    assert_eq!(movie["identification"], "identified");
    assert_eq!(movie["title"], "Fight Club");
    assert!(movie["locks"].as_array().expect("locks").contains(&json!("tmdb_id")));
    assert_eq!(movie["match_candidates"], json!([]));

    for (body, expected) in [
        (json!({}), "exactly one"),
        (json!({ "tmdb_id": 550, "imdb_id": "tt0137523" }), "exactly one"),
        (json!({ "tmdb_id": -3 }), "tmdb_id"),
        (json!({ "imdb_id": "0137523" }), "imdb_id"),
        (json!({ "tmdb": 550 }), "unknown field"),
    ] {
        let (status, answer) = app.post_json(&format!("/movies/{id}/identify"), &body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains(expected)), "{body} → {answer}");
    }
    let (status, _) = app.post_json("/movies/999999/identify", &json!({ "tmdb_id": 550 })).await;
    assert_eq!(status, 404);
    app.stop().await;
}
app_test!(an_ambiguous_search_asks_the_user);

async fn provider_failures_snooze_or_fail_clearly(backend: Backend) {
    let providers = Providers::start().await;
    Mock::given(method("GET"))
        .and(path("/3/movie/550"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120").set_body_json(
            json!({ "status_code": 25, "status_message": "Your request count is over the allowed limit." }),
        ))
        .mount(&providers.tmdb)
        .await;
    Mock::given(method("GET"))
        .and(path("/3/movie/551"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({ "status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.", "success": false }),
        ))
        .mount(&providers.tmdb)
        .await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids = scan_folders(&app, &root, &[("Fight Club {tmdb-550}", None), ("Poseidon {tmdb-551}", None)]).await;

    // 401: failed at once, saying which key to fix, and never showing it.
    let (_, job) = app.post(&format!("/movies/{}/enrich", ids[1])).await;
    let failed = app.wait_for_state(job_id(&job["id"]), JobState::Failed).await;
    let error = failed.last_error.unwrap_or_default();
    assert!(error.contains("TMDB") || error.contains("tmdb"), "{error}");
    assert!(error.contains("key"), "{error}");
    assert!(!error.contains(TMDB_KEY), "{error}");
    assert_eq!(failed.attempt, 1, "a bad key is not retried");
    // 429 with Retry-After: the job waits two minutes, holding no worker.
    let (_, job) = app.post(&format!("/movies/{}/enrich", ids[0])).await;
    let id = job_id(&job["id"]);
    let mut snoozed = None;
    for _ in 0..400 {
        let (_, now) = app.get(&format!("/jobs/{id}")).await;
        // A snooze gives the attempt back: the job is pending again, due later.
        let due_later = now["run_at"]
            .as_str()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .is_some_and(|at| at.signed_duration_since(chrono::Utc::now()).num_seconds() > 60);
        if now["state"] == "pending" && due_later {
            assert_eq!(now["attempt"], 0, "a snooze is not a failed attempt: {now}");
            snoozed = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let snoozed = snoozed.expect("the job is snoozed");
    let run_at = chrono::DateTime::parse_from_rfc3339(snoozed["run_at"].as_str().expect("run_at")).expect("time");
    let wait = run_at.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((100..=125).contains(&wait), "snoozed for the Retry-After: {wait} s, {snoozed}");

    // TMDB asked to wait: every TMDB request waits with it, in every process, without a call.
    let before = providers.tmdb.received_requests().await.unwrap_or_default().len();
    let (_, job) = app.post(&format!("/movies/{}/enrich", ids[1])).await;
    let held = wait_for_snoozed(&app, "enrich-metadata").await;
    assert!(held["id"] == job["id"] || held["kind"] == "enrich-metadata", "{held}");
    assert_eq!(providers.tmdb.received_requests().await.unwrap_or_default().len(), before);
    let (_, list) = app.get("/providers").await;
    assert!(list["items"][0]["blocked_until"].is_string(), "{list}");
    app.stop().await;
}
app_test!(provider_failures_snooze_or_fail_clearly);

async fn provider_settings_are_write_only_and_checked(backend: Backend) {
    let providers = Providers::start().await;
    Mock::given(method("GET"))
        .and(path("/3/configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "images": { "base_url": "http://image.tmdb.org/t/p/",
            "secure_base_url": "https://image.tmdb.org/t/p/", "backdrop_sizes": [], "logo_sizes": [], "poster_sizes": [],
            "profile_sizes": [], "still_sizes": [] }, "change_keys": [] })))
        .mount(&providers.tmdb)
        .await;
    let app =
        TestApp::spawn_with(backend, &[("METARR_PROVIDERS__TMDB__BASE_URL", &format!("{}/3", providers.tmdb.uri()))])
            .await;
    let (status, list) = app.get("/providers").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"][0]["name"], "tmdb");
    assert_eq!(list["items"][0]["api_key"], Value::Null);
    assert_eq!(list["language"], "en-US");
    let (status, answer) = app.post("/movies/1/enrich").await;
    assert_eq!(status, 409, "no key, no enrichment: {answer}");
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("TMDB") || m.contains("tmdb")));

    let (status, view) =
        app.put_json("/providers/tmdb", &json!({ "api_key": TMDB_KEY, "requests_per_second": 20 })).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["api_key"], "set");
    assert_eq!(view["requests_per_second"], 20);
    assert!(!view.to_string().contains(TMDB_KEY));
    let (_, test) = app.post("/providers/tmdb/test").await;
    assert_eq!(test["ok"], true, "{test}");
    let (_, test) = app.post("/providers/omdb/test").await;
    assert_eq!(test["ok"], false, "{test}");

    for (name, body, status) in [
        ("tmdb", json!({ "requests_per_second": 0 }), 400),
        ("tmdb", json!({ "requests_per_second": 5000 }), 400),
        ("tmdb", json!({ "api_key": "has spaces in it" }), 400),
        ("tmdb", json!({ "daily_quota": -1 }), 400),
        ("tmdb", json!({ "colour": "blue" }), 400),
        ("imdb", json!({}), 404),
    ] {
        let (answered, answer) = app.put_json(&format!("/providers/{name}"), &body).await;
        assert_eq!(answered, status, "{name} {body} → {answer}");
    }
    let (status, view) = app.put_json("/providers/tmdb", &json!({ "api_key": null })).await;
    assert_eq!(status, 200);
    assert_eq!(view["api_key"], Value::Null);
    assert_eq!(view["requests_per_second"], 20, "the limit stays");

    // The metadata language is set at run time, checked, and returned to the configured one.
    let (status, list) = app.put_json("/providers", &json!({ "language": "fr_ca" })).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["language"], "fr-CA", "normalised");
    for bad in [
        json!({ "language": "french" }),
        json!({ "language": "fr-CAN" }),
        json!({ "language": 5 }),
        json!({ "lang": "fr" }),
    ] {
        let (status, answer) = app.put_json("/providers", &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let (_, list) = app.get("/providers").await;
    assert_eq!(list["language"], "fr-CA", "refused changes changed nothing");
    let (status, list) = app.put_json("/providers", &json!({ "language": null })).await;
    assert_eq!(status, 200);
    assert_eq!(list["language"], "en-US");
    app.stop().await;
}
app_test!(provider_settings_are_write_only_and_checked);

async fn a_radarr_download_brings_its_ids_and_enriches_the_movie(backend: Backend) {
    let providers = Providers::start().await;
    let mut bunny = fight_club();
    bunny["id"] = json!(10378);
    bunny["imdb_id"] = json!("tt1254207");
    bunny["external_ids"]["imdb_id"] = json!("tt1254207");
    bunny["title"] = json!("Big Buck Bunny");
    bunny["original_title"] = json!("Big Buck Bunny");
    Mock::given(method("GET"))
        .and(path("/3/movie/10378"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bunny))
        .mount(&providers.tmdb)
        .await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical").join("Movies");
    // A film Radarr just imported: a video, no NFO, a folder name without ids.
    let folder = root.join("Big Buck Bunny (2008)");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::copy(SAMPLE_VIDEO, folder.join("Big Buck Bunny (2008) Bluray-1080p.mp4")).expect("video");
    crate::webhooks::library_and_mapping(&app, &root).await;
    let (status, answer) =
        crate::webhooks::post_raw(&app, "radarr", crate::webhooks::fixture("radarr-download-upgrade.json")).await;
    assert_eq!(status, 202, "{answer}");
    crate::webhooks::settled(&app, answer["id"].as_i64().expect("id")).await;
    wait_for_kind(&app, "scan-movie").await;
    wait_for_kind(&app, "enrich-metadata").await;
    let (_, list) = app.get("/movies").await;
    let id = list["items"][0]["id"].as_i64().expect("the movie");
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(movie["tmdb_id"], 10378, "{movie}");
    assert_eq!(movie["imdb_id"], "tt1254207");
    assert_eq!(movie["field_sources"]["tmdb_id"], "radarr");
    assert_eq!(movie["identification"], "identified");
    assert!(movie["actors"].as_array().is_some_and(|actors| !actors.is_empty()));
    assert_eq!(providers.tmdb_calls("/3/search/movie").await, 0, "Radarr's id needs no search");
    assert_eq!(providers.tmdb_calls("/3/movie/10378").await, 1);
    app.stop().await;
}
app_test!(a_radarr_download_brings_its_ids_and_enriches_the_movie);

async fn a_library_scan_enriches_its_new_movies_before_it_completes(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    providers.serve_two_dunes().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    for name in ["Fight Club (1999) {tmdb-550}", "Dune"] {
        let folder = root.join(name);
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::copy(SAMPLE_VIDEO, folder.join(format!("{name}.mp4"))).expect("video");
    }
    // auto_enrich unset: the scan enriches because TMDB has a key.
    let library = libraries::create(&app.db, &LibraryInput::movies_at(&root)).await.expect("library");
    let scan = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    let done = wait_for_scan(&app.db, scan.id, Duration::from_secs(60)).await;
    assert_eq!(done.phase, ScanPhase::Completed, "{done:?}");
    assert_eq!((done.enrichment_queued, done.enrichment_completed), (2, 2), "{done:?}");
    let (_, identified) = app.get("/movies?identification=identified").await;
    assert_eq!(identified["total"], 1);
    let (_, waiting) = app.get("/movies?identification=needs_identification").await;
    assert_eq!(waiting["total"], 1);
    // The dashboard says so (a loopback visitor needs no sign-in).
    let page = reqwest::get(format!("{}/", app.address)).await.expect("dashboard").text().await.expect("html");
    let counts = page.split("id=\"enrichment-counts\"").nth(1).expect("the enrichment block");
    let block = counts.split("</section>").next().unwrap_or_default();
    assert!(block.contains("need you to identify them</span><strong>1</strong>"), "{block}");
    assert!(block.contains("identified</span><strong>1</strong>"), "{block}");

    // A rescan enriches nothing again: the one needs the user, the other is done.
    let again = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    let done = wait_for_scan(&app.db, again.id, Duration::from_secs(60)).await;
    assert_eq!(done.phase, ScanPhase::Completed);
    assert_eq!((done.enrichment_queued, done.enrichment_completed), (0, 0), "{done:?}");
    assert_eq!(providers.tmdb_calls("/3/movie/550").await, 1);
    app.stop().await;
}
app_test!(a_library_scan_enriches_its_new_movies_before_it_completes);

async fn the_provider_update_refreshes_only_what_tmdb_changed(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    providers.serve_other_film().await;
    Mock::given(method("GET"))
        .and(path("/3/movie/changes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "page": 1, "results": [{ "id": 550, "adult": false }, { "id": 99999, "adult": null }],
                    "total_pages": 1, "total_results": 2 }),
        ))
        .mount(&providers.tmdb)
        .await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids = scan_folders(&app, &root, &[("Fight Club {tmdb-550}", None), ("Other {tmdb-551}", None)]).await;
    enrich(&app, ids[0]).await;
    enrich(&app, ids[1]).await;
    // Both were enriched 40 days ago, as far as the catalogue knows.
    let long_ago = chrono::Utc::now().timestamp_millis() - 40 * 86_400_000;
    app.db.execute("UPDATE movies SET enriched_at = $1", &[long_ago.into()]).await.expect("age");

    let (status, job) = app.post("/schedules/provider-update/run").await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    wait_for_kind(&app, "enrich-metadata").await;
    assert_eq!(providers.tmdb_calls("/3/movie/550").await, 2, "changed at TMDB: enriched again, past the cache");
    assert_eq!(providers.tmdb_calls("/3/movie/551").await, 1, "unchanged: no call");
    // 40 days of changes in 14-day windows.
    assert_eq!(providers.tmdb_calls("/3/movie/changes").await, 3);
    for id in ids {
        let (_, movie) = app.get(&format!("/movies/{id}")).await;
        let at =
            chrono::DateTime::parse_from_rfc3339(movie["enriched_at"].as_str().expect("enriched_at")).expect("time");
        assert!(chrono::Utc::now().signed_duration_since(at).num_minutes() < 5, "checked now: {movie}");
    }
    // Nothing is stale any more: the next run asks nothing.
    let (_, job) = app.post("/schedules/provider-update/run").await;
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    assert_eq!(providers.tmdb_calls("/3/movie/changes").await, 3);
    app.stop().await;
}
app_test!(the_provider_update_refreshes_only_what_tmdb_changed);

/// Records when each request arrived, and answers with Fight Club.
struct Recorder {
    arrivals: std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
    body: Value,
}

impl wiremock::Respond for Recorder {
    fn respond(&self, _request: &wiremock::Request) -> ResponseTemplate {
        self.arrivals.lock().expect("arrivals").push(std::time::Instant::now());
        ResponseTemplate::new(200).set_body_json(self.body.clone())
    }
}

async fn two_worker_processes_stay_under_one_rate_limit(backend: Backend) {
    const MOVIES: usize = 40;
    const PER_SECOND: usize = 8;
    let tmdb = MockServer::start().await;
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/3/movie/\d+$"))
        .respond_with(Recorder { arrivals: std::sync::Arc::clone(&arrivals), body: fight_club() })
        .mount(&tmdb)
        .await;
    let dir = tempfile::tempdir().expect("data");
    let database = crate::helpers::TestDatabase::create(&backend, dir.path()).await;
    crate::crash::migrate(dir.path(), &database.url);
    let queue = metarr_queue::Queue::connect(&database.url).await.expect("queue");
    let db = metarr::db::Db::new(&queue);
    let root = dir.path().join("Movies");
    std::fs::create_dir_all(&root).expect("library root");
    let library = libraries::create(&db, &LibraryInput::movies_at(&root)).await.expect("library");
    let scan = {
        let mut tx = db.begin().await.expect("begin");
        let (scan, _) = metarr::catalogue::scans::start(&mut tx, library.id).await.expect("scan");
        tx.commit().await.expect("commit");
        scan
    };
    let mut ids = Vec::new();
    for index in 0..MOVIES {
        let fields = metarr::catalogue::movies::Fields {
            title: Some(format!("Film {index}")),
            tmdb_id: Some(1000 + index as i64),
            ..Default::default()
        };
        let mut tx = db.begin().await.expect("begin");
        let folder = root.join(format!("Film {index}")).display().to_string();
        let layers = [(&fields, metarr::catalogue::movies::FieldSource::Folder)];
        let (id, _, _) =
            metarr::catalogue::movies::upsert_scanned(&mut tx, library.id, scan.id, &folder, None, &layers, &[])
                .await
                .expect("movie");
        tx.commit().await.expect("commit");
        ids.push(id);
    }
    let env: Vec<(String, String)> = [
        ("METARR_PROVIDERS__TMDB__API_KEY".into(), TMDB_KEY.into()),
        ("METARR_PROVIDERS__TMDB__BASE_URL".into(), format!("{}/3", tmdb.uri())),
        ("METARR_PROVIDERS__TMDB__REQUESTS_PER_SECOND".into(), PER_SECOND.to_string()),
        // Fewer slots than movies, so that neither process takes every job at once.
        ("METARR_WORKER__CONCURRENCY".into(), "8".into()),
    ]
    .into_iter()
    .chain(crate::helpers::no_artwork())
    .collect();
    let mut workers = [
        crate::crash::spawn_worker_with(dir.path(), &database.url, "30", &env),
        crate::crash::spawn_worker_with(dir.path(), &database.url, "30", &env),
    ];
    let started = std::time::Instant::now();
    metarr::jobs::enrich::enqueue_many(&db, &ids).await.expect("enqueue");
    let deadline = started + Duration::from_secs(90);
    let mut runners = std::collections::HashSet::new();
    loop {
        let running = queue
            .list(&metarr_queue::ListFilter { state: Some(JobState::Running), limit: 500, ..Default::default() })
            .await
            .expect("jobs");
        runners.extend(running.items.into_iter().filter_map(|job| job.locked_by));
        let done = queue.stats().await.expect("stats").states.get("completed").copied().unwrap_or(0);
        if done >= MOVIES as i64 {
            break;
        }
        if std::time::Instant::now() > deadline {
            for worker in &mut workers {
                let _ = worker.kill();
            }
            panic!("only {done} of {MOVIES} enrichments completed");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    let mut times = arrivals.lock().expect("arrivals").clone();
    times.sort();
    assert_eq!(times.len(), MOVIES, "one request per movie");
    // No one-second window holds more than the limit, whichever process sent them.
    for (index, at) in times.iter().enumerate().skip(PER_SECOND) {
        let gap = at.duration_since(times[index - PER_SECOND]);
        assert!(gap >= Duration::from_millis(990), "{} requests within {gap:?}", PER_SECOND + 1);
    }
    let span = times.last().expect("last").duration_since(times[0]);
    assert!(span >= Duration::from_millis((MOVIES as u64 - 1) * 1000 / PER_SECOND as u64 - 100), "{span:?}");
    // Both processes took part.
    assert_eq!(runners.len(), 2, "both workers held enrichments: {runners:?}");
}
app_test!(two_worker_processes_stay_under_one_rate_limit);

async fn an_untranslated_plot_falls_back_along_the_language_chain(backend: Backend) {
    let providers = Providers::start().await;
    let mut french = fight_club();
    french["overview"] = json!("");
    french["tagline"] = json!("");
    Mock::given(method("GET"))
        .and(path("/3/movie/550"))
        .and(query_param("language", "fr-CA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(french.clone()))
        .mount(&providers.tmdb)
        .await;
    let mut plain_french = french;
    plain_french["overview"] = json!("Un employé de bureau insomniaque…");
    Mock::given(method("GET"))
        .and(path("/3/movie/550"))
        .and(query_param("language", "fr"))
        .respond_with(ResponseTemplate::new(200).set_body_json(plain_french))
        .mount(&providers.tmdb)
        .await;
    let mut env = providers.env();
    env.retain(|(key, _)| !key.starts_with("METARR_PROVIDERS__OMDB"));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestApp::spawn_with(backend, &pairs).await;
    // Set at run time, as Settings › Providers does: the worker asks in it from then on.
    let (status, list) = app.put_json("/providers", &json!({ "language": "fr-CA" })).await;
    assert_eq!(status, 200, "{list}");
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids = scan_folders(&app, &root, &[("Fight Club {tmdb-550}", None)]).await;
    let (_, job) = app.post(&format!("/movies/{}/enrich", ids[0])).await;
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await;
    let (_, movie) = app.get(&format!("/movies/{}", ids[0])).await;
    assert_eq!(movie["plot"], "Un employé de bureau insomniaque…", "{movie}");
    assert_eq!(movie["tagline"], Value::Null, "no language had one");
    assert_eq!(providers.tmdb_calls("/3/movie/550").await, 2, "fr-CA, then fr; English was not needed");
    app.stop().await;
}
app_test!(an_untranslated_plot_falls_back_along_the_language_chain);

async fn bulk_enrichment_queues_each_movie_once_and_refuses_clearly(backend: Backend) {
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let ids =
        scan_folders(&app, &root, &[("Fight Club {tmdb-550}", None), ("Fight Club Again {tmdb-550}", None)]).await;
    let (_, first) = app.get(&format!("/movies/{}", ids[0])).await;
    let library_id = first["library_id"].as_i64().expect("library");

    let (status, answer) = app.post_json("/enrich", &json!({ "library_id": library_id })).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["queued"].as_u64().unwrap_or(0) + answer["already_queued"].as_u64().unwrap_or(0), 2);
    wait_for_kind(&app, "enrich-metadata").await;
    let (_, identified) = app.get("/movies?identification=identified").await;
    assert_eq!(identified["total"], 2);

    for (path, status) in [("/movies/987654/enrich", 404), ("/movies/x/enrich", 400)] {
        let (answered, answer) = app.post(path).await;
        assert_eq!(answered, status, "{path} → {answer}");
    }
    let (status, _) = app.get("/movies/987654/matches?q=Dune").await;
    assert_eq!(status, 404);
    for (body, status) in [
        (json!({}), 400),
        (json!({ "library_id": library_id, "movie_ids": [ids[0]] }), 400),
        (json!({ "movie_ids": [] }), 400),
        (json!({ "movie_ids": [ids[0], 987_654] }), 404),
        (json!({ "library_id": 987_654 }), 404),
        (json!({ "movie_ids": "all" }), 400),
        (json!({ "movie_ids": vec![1; 10_001] }), 400),
    ] {
        let (answered, answer) = app.post_json("/enrich", &body).await;
        assert_eq!(answered, status, "{body} → {answer}");
    }
    app.stop().await;
}
app_test!(bulk_enrichment_queues_each_movie_once_and_refuses_clearly);

/// A scan's enrichment counts every movie on the scan, but open pages hear of it at most every
/// 250 ms (one event per movie would flood them on a large library), and still of its
/// completion.
async fn enrichment_progress_events_are_throttled(backend: Backend) {
    use futures::StreamExt;
    const N: usize = 60;
    let providers = Providers::start().await;
    providers.serve_fight_club().await;
    let app = spawn(backend, &providers).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical").join("Movies");
    for i in 0..N {
        let folder = root.join(format!("Fight Club {i:02} (1999) {{tmdb-550}}"));
        std::fs::create_dir_all(&folder).expect("movie folder");
        std::fs::write(folder.join("movie.mp4"), b"not really a video").expect("video");
    }
    let mut input = LibraryInput::movies_at(&root);
    input.auto_enrich = Some(true);
    let library = libraries::create(&app.db, &input).await.expect("library");
    let (mut socket, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("WebSocket connects");
    let started = std::time::Instant::now();
    let scan = metarr::jobs::scan::start_scan(&app.db, library.id).await.expect("scan");
    let mut enriching = 0usize;
    let mut last_phase = Value::Null;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("scan events arrive in time")
            .expect("socket open")
            .expect("message readable");
        let tokio_tungstenite::tungstenite::Message::Text(text) = message else { continue };
        let event: Value = serde_json::from_str(&text).expect("JSON");
        if event["data"]["id"] != scan.id.get() {
            continue;
        }
        match event["type"].as_str() {
            Some("scan.progress") => {
                enriching += usize::from(event["data"]["phase"] == "enriching");
                last_phase = event["data"]["phase"].clone();
            }
            Some("scan.completed") => {
                assert_eq!(event["data"]["enrichment_completed"], N as i64, "{event}");
                // Pages hear of the final phase as of every other, before the completion.
                assert_eq!(last_phase, "completed");
                break;
            }
            _ => {}
        }
    }
    let allowed = 2 + usize::try_from(started.elapsed().as_millis() / 250).expect("small");
    assert!(enriching <= allowed && enriching < N, "{enriching} enrichment progress events for {N} movies");
    app.stop().await;
}
app_test!(enrichment_progress_events_are_throttled);
