//! The `artwork` suite: 200 movies with 30 TMDB candidates each (8 posters at 2000×3000,
//! 16 backdrops at 1920×1080, 6 PNG logos), selected by a real `metarr worker` process against
//! an in-process stand-in for TMDB and its image server, so that the figure for memory is the
//! worker's own peak (`VmHWM`), not the stand-in's.
//!
//! Each movie's backdrops are served so that the two best-voted are one picture (the second
//! smaller and re-encoded: a near-duplicate) and the next two the same bytes under two names
//! (an exact duplicate): every selection must find both, and reject no distinct picture.

use crate::Figure;
use anyhow::Context;
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::movies;
use metarr::catalogue::scans::{self, ScanPhase};
use metarr::db::Db;
use metarr::events::AppEvents;
use metarr::jobs::scan::ScanServices;
use metarr_artwork::sample;
use metarr_queue::{JobKind, Queue, Worker, WorkerConfig};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const MOVIES: usize = 200;
const FIRST_TMDB_ID: u32 = 20_000;
/// TMDB's limit in the run, for its API and its image server alike (about what TMDB allows).
const TMDB_PER_SECOND: u32 = 50;
const POSTERS: usize = 8;
const BACKDROPS: usize = 16;
const LOGOS: usize = 6;

/// The pictures the stand-in serves, made once: distinct pictures per kind, and for every
/// backdrop its near-duplicate copy.
struct Pool {
    posters: Vec<Vec<u8>>,
    backdrops: Vec<Vec<u8>>,
    backdrop_copies: Vec<Vec<u8>>,
    logos: Vec<Vec<u8>>,
    details: Value,
    /// Requests the stand-in answered (TMDB's API and its images share one limit).
    requests: std::sync::atomic::AtomicUsize,
}

impl Pool {
    fn make() -> anyhow::Result<Pool> {
        let posters =
            (0..POSTERS as u64).map(|seed| sample::jpeg(&sample::picture(1000 + seed, 2000, 3000), 88)).collect();
        let backdrop_pictures: Vec<_> =
            (0..BACKDROPS as u64).map(|seed| sample::picture(2000 + seed, 1920, 1080)).collect();
        let backdrops = backdrop_pictures.iter().map(|picture| sample::jpeg(picture, 88)).collect();
        let backdrop_copies = backdrop_pictures
            .iter()
            .map(|picture| {
                let smaller = image::imageops::resize(picture, 1440, 810, image::imageops::FilterType::Triangle);
                sample::jpeg(&smaller, 70)
            })
            .collect();
        let logos = (0..LOGOS as u64).map(|seed| sample::png(&sample::picture(3000 + seed, 800, 310))).collect();
        let details: Value = serde_json::from_str(include_str!("../../providers/tests/data/tmdb/movie-details.json"))
            .context("details")?;
        Ok(Pool { posters, backdrops, backdrop_copies, logos, details, requests: Default::default() })
    }

    /// Movie `m`'s backdrop `k` (0 best voted): the picture and whether it is the copy.
    fn backdrop(&self, movie: usize, k: usize) -> &[u8] {
        let a = movie % BACKDROPS;
        match k {
            0 => &self.backdrops[a],
            1 => &self.backdrop_copies[a],
            // 2 and 3: the same bytes under two names.
            2 | 3 => &self.backdrops[(a + 1) % BACKDROPS],
            k => &self.backdrops[(a + k - 2) % BACKDROPS],
        }
    }

    fn image(&self, name: &str) -> Option<(&[u8], &'static str)> {
        // m{movie}-{kind}{index}.{ext}
        let rest = name.strip_prefix('m')?;
        let (movie, rest) = rest.split_once('-')?;
        let movie: usize = movie.parse().ok()?;
        let (stem, _) = rest.split_once('.')?;
        let kind: String = stem.chars().take_while(char::is_ascii_alphabetic).collect();
        let index: usize = stem[kind.len()..].parse().ok()?;
        match kind.as_str() {
            "p" if index < POSTERS => Some((&self.posters[(movie + index) % POSTERS], "image/jpeg")),
            "b" if index < BACKDROPS => Some((self.backdrop(movie, index), "image/jpeg")),
            "l" if index < LOGOS => Some((&self.logos[(movie + index) % LOGOS], "image/png")),
            _ => None,
        }
    }

    fn movie(&self, tmdb_id: u32) -> Value {
        let movie = (tmdb_id - FIRST_TMDB_ID) as usize;
        let image = |name: String, width: u32, height: u32, language: Option<&str>, votes: u32| {
            json!({ "file_path": format!("/{name}"), "width": width, "height": height,
                    "aspect_ratio": f64::from(width) / f64::from(height), "iso_639_1": language,
                    "vote_average": 5.0 + f64::from(votes) / 100.0, "vote_count": votes })
        };
        let languages = [Some("en"), Some("en"), Some("fr"), None, Some("en"), None, Some("de"), None];
        let posters: Vec<Value> = (0..POSTERS)
            .map(|k| image(format!("m{movie}-p{k}.jpg"), 2000, 3000, languages[k], 100 - k as u32 * 10))
            .collect();
        let backdrops: Vec<Value> = (0..BACKDROPS)
            .map(|k| {
                let language = if k >= 12 { Some("en") } else { None };
                image(format!("m{movie}-b{k}.jpg"), 1920, 1080, language, 200 - k as u32 * 10)
            })
            .collect();
        let logos: Vec<Value> =
            (0..LOGOS).map(|k| image(format!("m{movie}-l{k}.png"), 800, 310, Some("en"), 50 - k as u32 * 5)).collect();
        let mut details = self.details.clone();
        details["id"] = json!(tmdb_id);
        details["title"] = json!(format!("Artwork Film {movie}"));
        details["images"] = json!({ "posters": posters, "backdrops": backdrops, "logos": logos });
        details
    }
}

async fn answer_movie(State(pool): State<Arc<Pool>>, UrlPath(id): UrlPath<String>) -> Response {
    pool.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match id.parse::<u32>() {
        Ok(id) if id >= FIRST_TMDB_ID => Json(pool.movie(id)).into_response(),
        _ => (StatusCode::NOT_FOUND, Json(json!({ "status_code": 34, "status_message": "not found" }))).into_response(),
    }
}

async fn answer_image(State(pool): State<Arc<Pool>>, UrlPath((_size, name)): UrlPath<(String, String)>) -> Response {
    pool.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match pool.image(&name) {
        Some((bytes, content_type)) => ([(header::CONTENT_TYPE, content_type)], bytes.to_vec()).into_response(),
        None => (StatusCode::NOT_FOUND, "<html>Not Found</html>").into_response(),
    }
}

async fn serve(router: axum::Router, shutdown: &CancellationToken) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the stand-in")?;
    let address = listener.local_addr()?;
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned()).await;
    });
    Ok(address)
}

/// 200 NFO-less folders named with their TMDB ids, scanned in this process.
async fn scan(db: &Db, queue: &Queue, data: &Path, root: &Path) -> anyhow::Result<Vec<metarr::ids::MovieId>> {
    for index in 0..MOVIES {
        let name = format!("Artwork Film {index} (2001) {{tmdb-{}}}", FIRST_TMDB_ID + index as u32);
        let folder = root.join(&name);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join(format!("{name}.mkv")), vec![0u8; 4096])?;
    }
    let shutdown = CancellationToken::new();
    let prober = metarr_probe::Prober::new(metarr_probe::ProbeConfig::default());
    let services = Arc::new(ScanServices::new(db.clone(), AppEvents::new(), data.join("cache"), prober, false));
    let registry = metarr::jobs::registry(metarr::jobs::cleanup::Retention::default(), &services);
    let config = WorkerConfig { concurrency: 16, run_scheduler: false, ..WorkerConfig::default() };
    let worker = tokio::spawn(Worker::new(queue.clone(), registry, config).run(shutdown.clone()));
    let mut input = LibraryInput::movies_at(root);
    input.auto_enrich = Some(false);
    let library = libraries::create(db, &input).await?;
    let mut scan = metarr::jobs::scan::start_scan(db, library.id).await?;
    let started = Instant::now();
    while !scan.is_finished() {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(300), "the scan did not finish in 5 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
        scan = scans::get(db, scan.id).await?;
    }
    shutdown.cancel();
    worker.await.context("scan worker")?.context("scan worker")?;
    anyhow::ensure!(scan.phase == ScanPhase::Completed, "scan ended {}", scan.phase);
    let ids = movies::present_ids(db, library.id).await?;
    anyhow::ensure!(ids.len() == MOVIES, "the scan found {} of {MOVIES}", ids.len());
    Ok(ids)
}

/// The peak resident memory of a process, from `/proc`.
fn peak_rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading the worker's status")?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).context("no VmHWM line")?;
    let kb: f64 = line.split_whitespace().nth(1).context("VmHWM value")?.parse()?;
    Ok(kb / 1024.0)
}

async fn measure(backend: &'static str, url: &str) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let library = tempfile::tempdir()?;
    let root = std::fs::canonicalize(library.path())?;
    let pool = Arc::new(tokio::task::spawn_blocking(Pool::make).await??);
    let shutdown = CancellationToken::new();
    let router = axum::Router::new()
        .route("/3/movie/{id}", get(answer_movie))
        .route("/t/p/{size}/{name}", get(answer_image))
        .with_state(Arc::clone(&pool));
    let tmdb = serve(router, &shutdown).await?;

    let queue = Queue::connect(url).await?;
    let db = Db::new(&queue);
    db.migrate().await?;
    let ids = scan(&db, &queue, data.path(), &root).await?;

    let binary = std::env::current_exe()?.with_file_name("metarr");
    anyhow::ensure!(binary.exists(), "{} is missing; run through bench/run, which builds it", binary.display());
    let mut child = tokio::process::Command::new(&binary)
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("METARR_DATA_DIR", data.path())
        .env("METARR_DATABASE_URL", url)
        .env("METARR_PROVIDERS__TMDB__API_KEY", "0123456789abcdef0123456789abcdef")
        .env("METARR_PROVIDERS__TMDB__BASE_URL", format!("http://{tmdb}/3"))
        .env("METARR_PROVIDERS__TMDB__IMAGE_BASE_URL", format!("http://{tmdb}/t/p"))
        .env("METARR_PROVIDERS__TMDB__REQUESTS_PER_SECOND", TMDB_PER_SECOND.to_string())
        .env("RUST_LOG", "warn")
        // glibc's allocator settings (`MALLOC_ARENA_MAX`…) reach the worker, to compare them.
        .envs(std::env::vars().filter(|(name, _)| name.starts_with("MALLOC_")))
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let pid = child.id().context("the worker's pid")?;

    let result = async {
        let started = Instant::now();
        let mut tx = db.begin().await?;
        for id in &ids {
            tx.enqueue(metarr::jobs::artwork::select_job(*id)).await?;
        }
        tx.commit().await?;
        let kind = metarr::jobs::artwork::SelectArtwork::KIND;
        loop {
            let stats = queue.stats().await?;
            let states = stats.kinds.get(kind).cloned().unwrap_or_default();
            let done = states.get("completed").copied().unwrap_or(0);
            let failed = states.get("failed").copied().unwrap_or(0);
            anyhow::ensure!(failed == 0, "{failed} selections failed");
            if done == MOVIES as i64 {
                break;
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(900), "selection did not finish in 15 minutes");
            anyhow::ensure!(child.try_wait()?.is_none(), "the worker exited");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        let rss = peak_rss_mb(pid)?;
        Ok::<_, anyhow::Error>((seconds, rss))
    }
    .await;
    let _ = child.start_kill();
    let _ = child.wait().await;
    shutdown.cancel();
    let (seconds, rss) = result?;

    // What selection found: duplicates by kind, against what the stand-in served.
    let rows: Vec<(String, Option<String>, Option<String>, String)> = db
        .fetch_all(
            "SELECT c.key, c.sha256, d.sha256, c.slot FROM artwork_candidates c \
             LEFT JOIN artwork_candidates d ON d.id = c.duplicate_of WHERE c.duplicate_of IS NOT NULL",
            &[],
        )
        .await?;
    let (mut near, mut exact, mut false_rejections) = (0, 0, 0);
    for (key, sha256, of, slot) in &rows {
        let name = key.rsplit('/').next().unwrap_or(key);
        let planted_near = slot == "fanart" && name.ends_with("-b1.jpg");
        let planted_exact = slot == "fanart" && name.ends_with("-b3.jpg");
        match (planted_near, planted_exact) {
            (true, _) if sha256 != of => near += 1,
            (_, true) if sha256 == of => exact += 1,
            _ => false_rejections += 1,
        }
    }
    let (downloads,): (i64,) = db
        .fetch_optional("SELECT count(*) FROM artwork_candidates WHERE sha256 IS NOT NULL", &[])
        .await?
        .context("a count has a row")?;
    let (selected,): (i64,) = db
        .fetch_optional("SELECT count(*) FROM artwork_candidates WHERE position IS NOT NULL", &[])
        .await?
        .context("a count has a row")?;
    let (candidates,): (i64,) =
        db.fetch_optional("SELECT count(*) FROM artwork_candidates", &[]).await?.context("a count has a row")?;
    let suite = "artwork";
    Figure::new(suite, "movies", backend, MOVIES as f64, "movies").print();
    Figure::new(suite, "candidates", backend, candidates as f64, "candidates").print();
    let requests = pool.requests.load(std::sync::atomic::Ordering::Relaxed) as f64;
    let minimum = requests / f64::from(TMDB_PER_SECOND);
    Figure::new(suite, "select_seconds", backend, seconds, "s").print();
    Figure::new(suite, "tmdb_requests", backend, requests, "requests").print();
    Figure::new(suite, "select_limit_minimum", backend, minimum, "s").print();
    Figure::new(suite, "select_ratio", backend, seconds / minimum, "ratio").print();
    Figure::new(suite, "images_cached", backend, downloads as f64, "images").print();
    Figure::new(suite, "images_selected", backend, selected as f64, "images").print();
    Figure::new(suite, "peak_rss_mb", backend, rss, "MB").print();
    Figure::new(suite, "near_duplicates_served", backend, MOVIES as f64, "images").print();
    Figure::new(suite, "near_duplicates_rejected", backend, f64::from(near), "images").print();
    Figure::new(suite, "exact_duplicates_served", backend, MOVIES as f64, "images").print();
    Figure::new(suite, "exact_duplicates_rejected", backend, f64::from(exact), "images").print();
    Figure::new(suite, "false_rejections", backend, f64::from(false_rejections), "images").print();
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
