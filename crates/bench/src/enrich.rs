//! The `enrich` suite: 1,000 movies without NFOs, scanned and then enriched through the real
//! `enrich-metadata` and `enrich-ratings` jobs against local TMDB and OMDb stand-ins, cold and
//! again within the response cache's TTL, per backend.
//!
//! The stand-ins answer in 20 ms with the real Fight Club capture (every append TMDB's client
//! asks for) and OMDb's Fight Club answer, each rewritten with the movie's own ids and title so
//! that no two movies share a response. They record when every request arrived, so the suite
//! can say how many requests went beyond a provider's limit in any one-second window and where
//! the cold run's time went.
//!
//! Last, the daily provider update runs over 10,000 movies enriched 40 days ago, 50 of which
//! the TMDB stand-in's change list names: `provider_update_calls` counts what it asked.

use crate::Figure;
use anyhow::Context;
use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::movies;
use metarr::catalogue::scans::{self, ScanPhase};
use metarr::db::Db;
use metarr::enrich::EnrichServices;
use metarr::events::AppEvents;
use metarr::ids::MovieId;
use metarr::jobs::enrich::{EnrichMetadata, EnrichRatings};
use metarr::jobs::scan::ScanServices;
use metarr_queue::{JobKind, Queue, Worker, WorkerConfig};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const MOVIES: usize = 1_000;
/// TMDB's limit in the run: what TMDB itself enforces (about 50 per second).
const TMDB_PER_SECOND: u32 = 50;
/// OMDb's limit in the run: the slower provider, so it sets the minimum (1,000 ÷ 40 = 25 s).
const OMDB_PER_SECOND: u32 = 40;
/// How long each stand-in takes to answer.
const LATENCY: Duration = Duration::from_millis(20);
/// Enough jobs at once that the limits, not the worker, hold the run back: at 50 requests per
/// second and 20 ms each, one provider keeps about one request in flight.
const CONCURRENCY: usize = 64;
/// Movies in the provider update's catalogue, and how many of them TMDB reports changed.
const UPDATE_MOVIES: usize = 10_000;
const CHANGED: usize = 50;
/// The first TMDB id; movie `i` is `FIRST_TMDB_ID + i`.
const FIRST_TMDB_ID: u32 = 10_000;

const TMDB_DETAILS: &str = include_str!("../../providers/tests/data/tmdb/movie-details.json");
const TMDB_APPENDS: [(&str, &str); 6] = [
    ("credits", include_str!("../../providers/tests/data/tmdb/movie-credits.json")),
    ("external_ids", include_str!("../../providers/tests/data/tmdb/movie-external-ids.json")),
    ("release_dates", include_str!("../../providers/tests/data/tmdb/movie-release-dates.json")),
    ("keywords", include_str!("../../providers/tests/data/tmdb/constructed-movie-keywords.json")),
    ("videos", include_str!("../../providers/tests/data/tmdb/movie-videos.json")),
    ("images", include_str!("../../providers/tests/data/tmdb/movie-images.json")),
];
const OMDB_MOVIE: &str = include_str!("../../providers/tests/data/omdb/constructed-tt0137523.json");

/// The IMDb id the stand-ins give the movie with this TMDB id.
fn imdb_id_of(tmdb_id: u32) -> String {
    format!("tt{:07}", 9_000_000 + tmdb_id)
}

fn title_of(tmdb_id: u32) -> String {
    format!("Benchmark Film {tmdb_id}")
}

/// When each request to one stand-in arrived.
#[derive(Default)]
struct Arrivals(Mutex<Vec<Instant>>);

impl Arrivals {
    fn record(&self) {
        self.0.lock().expect("arrivals lock is never poisoned").push(Instant::now());
    }

    fn snapshot(&self) -> Vec<Instant> {
        let mut arrivals = self.0.lock().expect("arrivals lock is never poisoned").clone();
        arrivals.sort();
        arrivals
    }
}

/// Requests that arrived while `limit` others had already arrived within the second before
/// them: each request beyond the limit in some one-second window counts once.
fn violations(sorted: &[Instant], limit: u32) -> usize {
    let limit = limit as usize;
    let mut first = 0;
    let mut beyond = 0;
    for (index, arrival) in sorted.iter().enumerate() {
        while arrival.duration_since(sorted[first]) >= Duration::from_secs(1) {
            first += 1;
        }
        if index - first + 1 > limit {
            beyond += 1;
        }
    }
    beyond
}

/// The stand-ins' shared state: the answer templates and the arrivals.
struct StandIns {
    tmdb_movie: Value,
    omdb_movie: Value,
    tmdb: Arrivals,
    omdb: Arrivals,
    fanart: Arrivals,
}

impl StandIns {
    fn new() -> anyhow::Result<StandIns> {
        let mut movie: Value = serde_json::from_str(TMDB_DETAILS).context("TMDB details capture")?;
        for (name, text) in TMDB_APPENDS {
            let mut part: Value = serde_json::from_str(text).with_context(|| format!("TMDB {name} capture"))?;
            part.as_object_mut().context("an appended answer is an object")?.remove("id");
            movie.as_object_mut().context("TMDB details are an object")?.insert(name.to_owned(), part);
        }
        let omdb_movie = serde_json::from_str(OMDB_MOVIE).context("OMDb answer")?;
        Ok(StandIns {
            tmdb_movie: movie,
            omdb_movie,
            tmdb: Arrivals::default(),
            omdb: Arrivals::default(),
            fanart: Arrivals::default(),
        })
    }

    fn tmdb_movie(&self, tmdb_id: u32) -> Value {
        let mut movie = self.tmdb_movie.clone();
        let imdb_id = imdb_id_of(tmdb_id);
        movie["id"] = json!(tmdb_id);
        movie["imdb_id"] = json!(imdb_id);
        movie["title"] = json!(title_of(tmdb_id));
        movie["original_title"] = json!(title_of(tmdb_id));
        movie["external_ids"]["imdb_id"] = json!(imdb_id);
        movie
    }

    fn omdb_movie(&self, imdb_id: &str) -> Value {
        let mut movie = self.omdb_movie.clone();
        let tmdb_id = imdb_id
            .strip_prefix("tt")
            .and_then(|n| n.parse::<u32>().ok())
            .and_then(|n| n.checked_sub(9_000_000))
            .unwrap_or(0);
        movie["imdbID"] = json!(imdb_id);
        movie["Title"] = json!(title_of(tmdb_id));
        movie
    }
}

async fn answer_tmdb_movie(State(state): State<Arc<StandIns>>, UrlPath(id): UrlPath<String>) -> Response {
    state.tmdb.record();
    tokio::time::sleep(LATENCY).await;
    match id.parse::<u32>() {
        Ok(id) => Json(state.tmdb_movie(id)).into_response(),
        Err(_) => tmdb_not_found().await,
    }
}

async fn answer_tmdb_other(State(state): State<Arc<StandIns>>) -> Response {
    state.tmdb.record();
    tokio::time::sleep(LATENCY).await;
    tmdb_not_found().await
}

/// TMDB's change list: the first [`CHANGED`] movies changed, on one page.
async fn answer_tmdb_changes(State(state): State<Arc<StandIns>>) -> Response {
    state.tmdb.record();
    tokio::time::sleep(LATENCY).await;
    let results: Vec<Value> =
        (0..CHANGED).map(|index| json!({ "id": FIRST_TMDB_ID + index as u32, "adult": false })).collect();
    Json(json!({ "page": 1, "results": results, "total_pages": 1, "total_results": CHANGED })).into_response()
}

async fn tmdb_not_found() -> Response {
    let body = json!({ "success": false, "status_code": 34,
                       "status_message": "The resource you requested could not be found." });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn answer_omdb(State(state): State<Arc<StandIns>>, Query(query): Query<HashMap<String, String>>) -> Response {
    state.omdb.record();
    tokio::time::sleep(LATENCY).await;
    match query.get("i") {
        Some(imdb_id) if imdb_id.starts_with("tt") => Json(state.omdb_movie(imdb_id)).into_response(),
        _ => Json(json!({ "Response": "False", "Error": "Incorrect IMDb ID." })).into_response(),
    }
}

async fn answer_fanart(State(state): State<Arc<StandIns>>) -> Response {
    state.fanart.record();
    tokio::time::sleep(LATENCY).await;
    (StatusCode::NOT_FOUND, Json(json!({ "status": "error", "error message": "Not found" }))).into_response()
}

/// Serves `router` on a free loopback port until `shutdown`.
async fn serve(router: axum::Router, shutdown: &CancellationToken) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding a stand-in")?;
    let address = listener.local_addr()?;
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned()).await;
    });
    Ok(address)
}

/// The three stand-ins, and the providers' settings pointing at them.
async fn start_stand_ins(
    state: &Arc<StandIns>,
    shutdown: &CancellationToken,
) -> anyhow::Result<metarr_providers::ProvidersSettings> {
    let tmdb = axum::Router::new()
        .route("/3/movie/changes", get(answer_tmdb_changes))
        .route("/3/movie/{id}", get(answer_tmdb_movie))
        .fallback(answer_tmdb_other)
        .with_state(Arc::clone(state));
    let omdb = axum::Router::new().route("/", get(answer_omdb)).fallback(answer_omdb).with_state(Arc::clone(state));
    let fanart = axum::Router::new().fallback(answer_fanart).with_state(Arc::clone(state));
    let tmdb = serve(tmdb, shutdown).await?;
    let omdb = serve(omdb, shutdown).await?;
    let fanart = serve(fanart, shutdown).await?;
    let settings = json!({
        "tmdb": { "api_key": "0123456789abcdef0123456789abcdef", "base_url": format!("http://{tmdb}/3"),
                  "requests_per_second": TMDB_PER_SECOND },
        "omdb": { "api_key": "benchkey", "base_url": format!("http://{omdb}"),
                  "requests_per_second": OMDB_PER_SECOND, "daily_quota": 1_000_000 },
        "fanart": { "api_key": "benchkey", "base_url": format!("http://{fanart}/v3") },
    });
    serde_json::from_value(settings).context("the providers' settings")
}

/// Movie folders named the way Radarr names them, and the way users rename them: ids in
/// braces or brackets, `-` or `=`, scene names, accents, punctuation, nested folders. No NFOs.
fn generate(root: &Path) -> anyhow::Result<()> {
    const WORDS: [&str; 12] =
        ["Léon", "the", "Night's", "Return", "&", "Amélie", "Dune:", "Part", "Two", "X-Men", "Ça", "O Brother"];
    for index in 0..MOVIES {
        let tmdb_id = FIRST_TMDB_ID + index as u32;
        let year = 1950 + index % 70;
        let words: Vec<&str> = (0..1 + index % 4).map(|word| WORDS[(index * 7 + word * 5) % WORDS.len()]).collect();
        let title = format!("{} {index}", words.join(" "));
        let name = match index % 6 {
            0 => format!("{title} ({year}) {{tmdb-{tmdb_id}}}"),
            1 => format!("{title} ({year}) [tmdbid-{tmdb_id}]"),
            2 => format!("{}.{year}.1080p.BluRay.x264-GRP {{tmdb-{tmdb_id}}}", title.replace(' ', ".")),
            3 => format!("{title} [{year}] {{tmdbid={tmdb_id}}} {{edition-Director's Cut}}"),
            4 => format!("{}  ({year})  {{tmdb-{tmdb_id}}}", title.to_lowercase()),
            _ => format!("{title}, The ({year}) [tmdbid={tmdb_id}]"),
        };
        // A few letter folders, as some users sort their films.
        let folder = match index % 3 {
            0 => root.join(&name),
            _ => root.join(name.chars().next().map_or('_', |c| c.to_ascii_uppercase()).to_string()).join(&name),
        };
        std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
        std::fs::write(folder.join(format!("{name}.mkv")), vec![0u8; 4096])?;
    }
    Ok(())
}

/// Jobs of `kind` by state.
async fn job_counts(queue: &Queue, kind: &str) -> anyhow::Result<HashMap<String, i64>> {
    let stats = queue.stats().await?;
    Ok(stats.kinds.get(kind).map(|states| states.clone().into_iter().collect()).unwrap_or_default())
}

fn count(counts: &HashMap<String, i64>, state: &str) -> i64 {
    counts.get(state).copied().unwrap_or(0)
}

/// Waits until every `enrich-metadata` job is finished (beyond `finished_before`) and no
/// `enrich-ratings` job is pending or running; fails when any failed.
async fn wait_for_enrichment(queue: &Queue, finished_before: i64, expected: usize) -> anyhow::Result<()> {
    let trace = std::env::var_os("BENCH_TRACE").is_some();
    let started = Instant::now();
    let mut last = Instant::now();
    loop {
        let metadata = job_counts(queue, EnrichMetadata::KIND).await?;
        let ratings = job_counts(queue, EnrichRatings::KIND).await?;
        let finished = count(&metadata, "completed") + count(&metadata, "failed") - finished_before;
        let ratings_open = count(&ratings, "pending") + count(&ratings, "running");
        if trace && last.elapsed() > Duration::from_secs(1) {
            last = Instant::now();
            let line = format!("{:6.1}s metadata {metadata:?} ratings {ratings:?}", started.elapsed().as_secs_f64());
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
        }
        if finished >= expected as i64 && ratings_open == 0 {
            let failed = count(&metadata, "failed") + count(&ratings, "failed");
            anyhow::ensure!(failed == 0, "{failed} enrichment jobs failed");
            return Ok(());
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "enrichment did not finish in 10 minutes");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn scan(db: &Db, root: &Path) -> anyhow::Result<Vec<MovieId>> {
    let mut input = LibraryInput::movies_at(root);
    input.auto_enrich = Some(false);
    let library = libraries::create(db, &input).await?;
    let mut scan = metarr::jobs::scan::start_scan(db, library.id).await?;
    let started = Instant::now();
    while !scan.is_finished() {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "the scan did not finish in 10 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
        scan = scans::get(db, scan.id).await?;
    }
    anyhow::ensure!(scan.phase == ScanPhase::Completed, "scan ended {}: {:?}", scan.phase, scan.warnings);
    let ids = movies::present_ids(db, library.id).await?;
    anyhow::ensure!(ids.len() == MOVIES, "the scan found {} of {MOVIES} movies", ids.len());
    let (with_ids,): (i64,) = db
        .fetch_optional("SELECT count(*) FROM movies WHERE tmdb_id IS NOT NULL", &[])
        .await?
        .context("a count has a row")?;
    anyhow::ensure!(with_ids == MOVIES as i64, "only {with_ids} folder names gave a TMDB id");
    Ok(ids)
}

/// Seconds from `start` to an arrival.
fn at(start: Instant, arrival: Option<&Instant>) -> f64 {
    arrival.map_or(0.0, |arrival| arrival.duration_since(start).as_secs_f64())
}

async fn measure(backend: &'static str, url: &str) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let library = tempfile::tempdir()?;
    let root = std::fs::canonicalize(library.path())?;
    generate(&root)?;

    let stand_ins = Arc::new(StandIns::new()?);
    let shutdown = CancellationToken::new();
    let settings = start_stand_ins(&stand_ins, &shutdown).await?;

    let queue = Queue::connect(url).await?;
    let db = Db::new(&queue);
    db.migrate().await?;
    let events = AppEvents::new();
    let prober = metarr_probe::Prober::new(metarr_probe::ProbeConfig::default());
    let scan_services =
        Arc::new(ScanServices::new(db.clone(), events.clone(), data.path().join("cache"), prober, false));
    let ttl = Duration::from_secs(7 * 24 * 60 * 60);
    let enrich_services = Arc::new(EnrichServices::new(db.clone(), events.clone(), settings, ttl));
    // Metadata only: artwork has its own suite (`bench/run artwork`).
    let mut no_artwork = metarr::config::ArtworkSettings::default();
    for slot in metarr_artwork::Slot::ALL {
        no_artwork.limits.set(slot, 0);
    }
    enrich_services.set_artwork_limits(no_artwork.limits.clone());
    let artwork_services = Arc::new(metarr::artwork::ArtworkServices::new(
        db.clone(),
        events.clone(),
        Arc::clone(&enrich_services),
        data.path(),
        &no_artwork,
    ));
    let publish_services = Arc::new(metarr::publish::PublishServices::new(db.clone(), events, data.path()));
    let mut registry = metarr::jobs::registry(metarr::jobs::cleanup::Retention::default(), &scan_services);
    metarr::jobs::register_enrichment(&mut registry, &enrich_services, &artwork_services, &publish_services);
    // No scheduler: a library's file-scan schedule firing mid-run would scan on top of the run.
    let config = WorkerConfig { concurrency: CONCURRENCY, run_scheduler: false, ..WorkerConfig::default() };
    let worker = tokio::spawn(Worker::new(queue.clone(), registry, config).run(shutdown.clone()));

    let result = async {
        let ids = scan(&db, &root).await?;

        let started = Instant::now();
        let (queued, _) = metarr::jobs::enrich::enqueue_many(&db, &ids).await?;
        anyhow::ensure!(queued == MOVIES as u64, "queued {queued} of {MOVIES}");
        wait_for_enrichment(&queue, 0, MOVIES).await?;
        let cold = started.elapsed().as_secs_f64();

        let tmdb = stand_ins.tmdb.snapshot();
        let omdb = stand_ins.omdb.snapshot();
        let fanart = stand_ins.fanart.snapshot();
        let (identified,): (i64,) = db
            .fetch_optional("SELECT count(*) FROM movies WHERE identification = 'identified'", &[])
            .await?
            .context("a count has a row")?;
        anyhow::ensure!(identified == MOVIES as i64, "{identified} of {MOVIES} movies identified");

        let minimum =
            (tmdb.len() as f64 / f64::from(TMDB_PER_SECOND)).max(omdb.len() as f64 / f64::from(OMDB_PER_SECOND));
        let beyond_limit = violations(&tmdb, TMDB_PER_SECOND) + violations(&omdb, OMDB_PER_SECOND);
        let movies = MOVIES as f64;
        Figure::new("enrich", "limit_tmdb", backend, f64::from(TMDB_PER_SECOND), "req/s").print();
        Figure::new("enrich", "limit_omdb", backend, f64::from(OMDB_PER_SECOND), "req/s").print();
        Figure::new("enrich", "enrich_cold", backend, cold, "s").print();
        Figure::new("enrich", "enrich_cold_limit_minimum", backend, minimum, "s").print();
        Figure::new("enrich", "enrich_cold_ratio", backend, cold / minimum, "ratio").print();
        Figure::new("enrich", "provider_calls_per_movie_tmdb", backend, tmdb.len() as f64 / movies, "calls").print();
        Figure::new("enrich", "provider_calls_per_movie_omdb", backend, omdb.len() as f64 / movies, "calls").print();
        Figure::new("enrich", "provider_calls_fanart", backend, fanart.len() as f64, "calls").print();
        Figure::new("enrich", "rate_limit_violations", backend, beyond_limit as f64, "requests").print();
        // Where the cold run's time went: when each provider's first and last requests arrived.
        Figure::new("enrich", "cold_tmdb_first_call_at", backend, at(started, tmdb.first()), "s").print();
        Figure::new("enrich", "cold_tmdb_last_call_at", backend, at(started, tmdb.last()), "s").print();
        Figure::new("enrich", "cold_omdb_first_call_at", backend, at(started, omdb.first()), "s").print();
        Figure::new("enrich", "cold_omdb_last_call_at", backend, at(started, omdb.last()), "s").print();

        let calls_before = tmdb.len() + omdb.len() + fanart.len();
        let metadata = job_counts(&queue, EnrichMetadata::KIND).await?;
        let finished_before = count(&metadata, "completed") + count(&metadata, "failed");
        let started = Instant::now();
        let (queued, _) = metarr::jobs::enrich::enqueue_many(&db, &ids).await?;
        anyhow::ensure!(queued == MOVIES as u64, "queued {queued} of {MOVIES} again");
        wait_for_enrichment(&queue, finished_before, MOVIES).await?;
        let warm = started.elapsed().as_secs_f64();
        let calls_after =
            stand_ins.tmdb.snapshot().len() + stand_ins.omdb.snapshot().len() + stand_ins.fanart.snapshot().len();
        Figure::new("enrich", "enrich_warm", backend, warm, "s").print();
        Figure::new("enrich", "enrich_warm_provider_calls", backend, (calls_after - calls_before) as f64, "calls")
            .print();

        // The daily provider update over 10,000 movies enriched 40 days ago, 50 of which TMDB
        // reports changed: the 1,000 enriched above and 9,000 more recorded as enriched.
        let library_id = movies::detail(&db, ids[0]).await?.summary.library_id;
        add_enriched(&db, library_id, UPDATE_MOVIES - MOVIES).await?;
        let long_ago = chrono::Utc::now().timestamp_millis() - 40 * 86_400_000;
        db.execute("UPDATE movies SET enriched_at = $1", &[long_ago.into()]).await?;
        let metadata = job_counts(&queue, EnrichMetadata::KIND).await?;
        let finished_before = count(&metadata, "completed") + count(&metadata, "failed");
        let calls_before = stand_ins.tmdb.snapshot().len() + stand_ins.omdb.snapshot().len();
        let started = Instant::now();
        let (checked, queued, _) = enrich_services.provider_update().await?;
        anyhow::ensure!(checked == UPDATE_MOVIES as u64, "checked {checked} of {UPDATE_MOVIES}");
        anyhow::ensure!(queued == CHANGED as u64, "queued {queued}, {CHANGED} changed");
        wait_for_enrichment(&queue, finished_before, CHANGED).await?;
        let update = started.elapsed().as_secs_f64();
        let calls = stand_ins.tmdb.snapshot().len() + stand_ins.omdb.snapshot().len() - calls_before;
        Figure::new("enrich", "provider_update_calls", backend, calls as f64, "calls").print();
        Figure::new("enrich", "provider_update", backend, update, "s").print();
        Ok::<_, anyhow::Error>(())
    }
    .await;
    shutdown.cancel();
    worker.await.context("worker task")?.context("worker")?;
    result
}

/// Records `count` more movies as identified and enriched (ids after the generated ones), in
/// batches: the provider update reads them as it would a large library's.
async fn add_enriched(db: &Db, library_id: metarr::ids::LibraryId, count: usize) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    for batch in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut params: Vec<metarr::db::Param> = Vec::with_capacity(batch.len() * 5);
        let mut rows = Vec::with_capacity(batch.len());
        for index in batch {
            let tmdb_id = i64::from(FIRST_TMDB_ID) + (MOVIES + index) as i64;
            let first = params.len() + 1;
            params.extend([
                library_id.into(),
                format!("/bench/recorded/{tmdb_id}").into(),
                title_of(u32::try_from(tmdb_id).unwrap_or(0)).into(),
                tmdb_id.into(),
                now.into(),
            ]);
            rows.push(format!(
                "(${first}, ${}, ${}, ${}, 'identified', ${}, ${}, ${})",
                first + 1,
                first + 2,
                first + 3,
                first + 4,
                first + 4,
                first + 4
            ));
        }
        db.execute(
            &format!(
                "INSERT INTO movies (library_id, folder, title, tmdb_id, identification, enriched_at, created_at, \
                     updated_at) VALUES {}",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn run(backends: &[String]) -> anyhow::Result<()> {
    for backend in backends {
        let db = crate::queue::BenchDb::create(backend).await?;
        let result = measure(db.backend, &db.url).await;
        db.drop_schema().await?;
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_count_requests_beyond_the_limit_in_any_second() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        // Three requests within one second with a limit of two: one too many.
        assert_eq!(violations(&[at(0), at(400), at(999)], 2), 1);
        // Exactly a second apart: two windows.
        assert_eq!(violations(&[at(0), at(500), at(1000)], 2), 0);
        assert_eq!(violations(&[], 2), 0);
    }

    #[test]
    fn stand_in_answers_carry_the_movie_s_own_ids() {
        let stand_ins = StandIns::new().expect("captures");
        let movie = stand_ins.tmdb_movie(10_042);
        assert_eq!(movie["id"], 10_042);
        assert_eq!(movie["imdb_id"], "tt9010042");
        assert_eq!(movie["external_ids"]["imdb_id"], "tt9010042");
        assert!(movie["credits"]["cast"].as_array().is_some_and(|cast| !cast.is_empty()));
        let ratings = stand_ins.omdb_movie("tt9010042");
        assert_eq!(ratings["imdbID"], "tt9010042");
        assert_eq!(ratings["Title"], "Benchmark Film 10042");
    }
}
