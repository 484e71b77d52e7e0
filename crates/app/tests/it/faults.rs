//! Fault tests (issue 11): `kill -9` in each scan phase and in a webhook burst, PostgreSQL
//! restarted under a scan and a burst, the SQLite file locked by another process, and a full
//! cache disk. Each ends with exact counters: nothing lost, nothing counted twice.

use crate::faults_support::{
    FinalSeen, PrivatePostgres, Server, SqliteLock, Tmpfs, assert_cache_complete, counters, movie_library, png,
    require, wait_drained, wait_final,
};
use crate::helpers::{Backend, TestApp, TestDatabase};
use metarr::db::Db;
use metarr_queue::Queue;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// The scan phase a test kills the server in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillIn {
    /// After discovery committed its first batch of folders, before its last.
    Discovering,
    /// With some folders scanned and others not.
    Scanning,
    /// With every folder scanned and some artwork not yet cached.
    Caching,
}

impl KillIn {
    fn reached(self, scan: &Value) -> bool {
        let int = |key: &str| scan[key].as_i64().unwrap_or_default();
        match (self, scan["phase"].as_str().unwrap_or_default()) {
            (KillIn::Discovering, "discovering") => int("directories_total") > 0,
            (KillIn::Scanning, "scanning") => {
                int("directories_scanned") > 0 && int("directories_scanned") < int("directories_total")
            }
            (KillIn::Caching, "caching") => int("assets_cached") < int("assets_queued"),
            _ => false,
        }
    }

    /// Folders in the library: discovery works in batches of 500, so a library of more than one
    /// batch has a moment with some folders counted and others not.
    fn folders(self) -> u32 {
        match self {
            KillIn::Discovering => 1_000,
            KillIn::Scanning | KillIn::Caching => 300,
        }
    }
}

/// The catalogue of a database a test's processes use, opened from the test.
async fn catalogue(url: &str) -> Db {
    Db::new(&Queue::connect(url).await.expect("connect to the test database"))
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    db.fetch_all::<(i64,)>(sql, &[]).await.expect("count")[0].0
}

/// A row of the webhook log, as the burst checks read it.
#[derive(sqlx::FromRow)]
struct LoggedWebhook {
    id: i64,
    body: String,
    outcome: String,
    job_ids: String,
}

/// The checks every fault scan ends with: it completed once, only when its work was done, with
/// every folder and every artwork file counted exactly once.
async fn assert_exact_scan(server: &Server, seen: &FinalSeen, folders: i64, artwork: i64) {
    let scan = &seen.scan;
    assert_eq!(scan["phase"], "completed", "{scan}\n{}", server.log_tail());
    // The job whose commit completed the scan may still be writing its acknowledgement; a job
    // that had not even started cannot have been counted.
    let waiting: Vec<_> = seen.unfinished.iter().filter(|(_, state, _)| state == "pending").collect();
    assert!(waiting.is_empty(), "scan completed with jobs still waiting: {waiting:?}\n{scan}");
    let correlation_id = scan["correlation_id"].as_str().expect("correlation id");
    wait_drained(server, correlation_id, Duration::from_secs(60)).await;
    let after = server.scan(scan["id"].as_i64().expect("scan id")).await;
    assert_eq!(counters(&after), counters(scan), "counters moved after the scan completed: {after}");
    let int = |key: &str| scan[key].as_i64().unwrap_or(-1);
    let folder_counts = (int("directories_total"), int("directories_scanned"), int("movies_found"), int("movies_new"));
    assert_eq!(folder_counts, (folders, folders, folders, folders), "{scan}");
    assert_eq!((int("assets_queued"), int("assets_cached"), int("errors")), (artwork, artwork, 0), "{scan}");
}

async fn kill_dash_nine_during(backend: Backend, phase: KillIn) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data directory");
    let database = TestDatabase::create(&backend, &data).await;
    let root = dir.path().join("library/Movies");
    let folders = phase.folders();
    let artwork = movie_library(&root, folders);

    let mut first = Server::start(&data, &database.url, &[]).await;
    let library_id = first.create_library(&root).await;
    let scan_id = first.start_scan(library_id).await["id"].as_i64().expect("scan id");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let killed_at = loop {
        let scan = first.scan(scan_id).await;
        if phase.reached(&scan) {
            first.kill_dash_nine();
            break scan;
        }
        assert!(
            !matches!(scan["phase"].as_str(), Some("completed" | "failed" | "cancelled")),
            "the scan finished before it was seen {phase:?}: {scan}"
        );
        assert!(tokio::time::Instant::now() < deadline, "the scan never reached {phase:?}: {scan}");
    };
    eprintln!("killed in {phase:?}: {killed_at}");

    let second = Server::start(&data, &database.url, &[]).await;
    let completions = crate::faults_support::Completions::listen(&second, scan_id).await;
    let seen = wait_final(&second, scan_id, Duration::from_secs(120)).await;
    assert_exact_scan(&second, &seen, i64::from(folders), artwork).await;

    let db = catalogue(&database.url).await;
    assert_eq!(count(&db, "SELECT count(*) AS n FROM movies").await, i64::from(folders));
    assert_eq!(count(&db, "SELECT count(DISTINCT folder) AS n FROM movies").await, i64::from(folders));
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM media_files WHERE category = 'artwork' AND sha256 IS NULL").await,
        0,
        "every artwork file is linked to its cached copy"
    );
    // Every artwork file has bytes of its own: one cache entry each, all complete.
    assert_eq!(assert_cache_complete(&data.join("cache")) as i64, artwork);
    let completed = completions.finish(&second, &dir.path().join("empty")).await;
    assert_eq!(completed.len(), 1, "scan.completed arrives once: {completed:?}");
    assert_eq!(completed[0]["movies_found"], i64::from(folders), "{}", completed[0]);
}

async fn kill_dash_nine_while_discovering(backend: Backend) {
    kill_dash_nine_during(backend, KillIn::Discovering).await;
}
app_test!(kill_dash_nine_while_discovering);

async fn kill_dash_nine_while_scanning(backend: Backend) {
    kill_dash_nine_during(backend, KillIn::Scanning).await;
}
app_test!(kill_dash_nine_while_scanning);

async fn kill_dash_nine_while_caching(backend: Backend) {
    kill_dash_nine_during(backend, KillIn::Caching).await;
}
app_test!(kill_dash_nine_while_caching);

/// One webhook of a burst and what became of it: the HTTP status and the log id it answered
/// with, or nothing when the server was gone or down.
#[derive(Debug, Clone)]
struct Sent {
    folder: String,
    status: Option<u16>,
    log_id: Option<i64>,
}

/// A library of movie folders (a video each, no artwork) and Radarr's `/movies` mapped onto it;
/// returns the library's root and the folders as Radarr names them.
fn webhook_library(dir: &Path, n: u32) -> (std::path::PathBuf, Vec<String>) {
    std::fs::create_dir_all(dir).expect("library folder");
    let root = std::fs::canonicalize(dir).expect("canonical").join("Movies");
    std::fs::create_dir_all(&root).expect("library root");
    let sample = dir.join("sample.mp4");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"), &sample)
        .expect("copy the sample video");
    let names = (0..n)
        .map(|i| {
            let name = format!("Hook {i:04} (2010)");
            let folder = root.join(&name);
            std::fs::create_dir_all(&folder).expect("movie folder");
            std::fs::hard_link(&sample, folder.join(format!("{name}.mp4"))).expect("link the video");
            name
        })
        .collect();
    (root, names)
}

async fn map_radarr_to(server: &Server, root: &Path) -> i64 {
    let library_id = server.create_library(root).await;
    let (status, mapping) = server
        .post_json("/path-mappings", &json!({ "remote_path": "/movies", "local_path": root.display().to_string() }))
        .await;
    assert_eq!(status, 201, "{mapping}");
    library_id
}

/// Sends one Radarr `Download` per folder, 20 at a time, counting the accepted ones in
/// `accepted` so that the test can strike in the middle of the burst.
fn spawn_burst(
    address: String,
    folders: Vec<String>,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> tokio::task::JoinHandle<Vec<Sent>> {
    let template: Value =
        serde_json::from_str(&crate::webhooks::fixture("radarr-download-upgrade.json")).expect("fixture");
    tokio::spawn(async move {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client");
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(20));
        let mut requests = tokio::task::JoinSet::new();
        for (index, folder) in folders.into_iter().enumerate() {
            let mut body = template.clone();
            body["movie"]["folderPath"] = json!(format!("/movies/{folder}"));
            body["movie"]["title"] = json!(folder);
            let request = client
                .post(format!("{address}/api/v1/webhooks/radarr"))
                .header("X-Api-Key", crate::faults_support::API_KEY)
                .header("Content-Type", "application/json")
                .body(body.to_string());
            let permit = std::sync::Arc::clone(&limit).acquire_owned().await.expect("semaphore open");
            let accepted = std::sync::Arc::clone(&accepted);
            requests.spawn(async move {
                let _permit = permit;
                let (status, log_id) = match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let answer: Value = response.json().await.unwrap_or(Value::Null);
                        (Some(status), answer["id"].as_i64())
                    }
                    Err(_) => (None, None),
                };
                if status.is_some_and(|status| (200..300).contains(&status)) {
                    accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                (index, Sent { folder, status, log_id })
            });
        }
        let mut sent: Vec<(usize, Sent)> = requests.join_all().await;
        sent.sort_by_key(|(index, _)| *index);
        sent.into_iter().map(|(_, sent)| sent).collect()
    })
}

/// Reads the scan (through `read`) until `ready` holds, failing if it completes first or
/// 60 s pass: the fault must strike in the middle of the scan.
async fn until_mid_scan<F, Fut>(mut read: F, ready: impl Fn(&Value) -> bool)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let scan = read().await;
        if ready(&scan) {
            return;
        }
        assert!(scan["phase"] != "completed" && tokio::time::Instant::now() < deadline, "missed scanning: {scan}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn wait_until(accepted: &std::sync::atomic::AtomicUsize, at_least: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < at_least {
        assert!(tokio::time::Instant::now() < deadline, "fewer than {at_least} webhooks accepted in 60 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Waits until no job at all is pending or running.
async fn wait_queue_idle(server: &Server, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        // One snapshot of both states: two separate lists miss a job that a lease rescue moves
        // from running to pending between them (the killed server's jobs), and the queue would
        // look idle while that job has still to run.
        let (status, stats) = server.get("/jobs/stats").await;
        assert_eq!(status, 200, "{stats}");
        let busy = ["pending", "running"].iter().map(|state| stats["states"][state].as_i64().unwrap_or(0)).sum::<i64>();
        if busy == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{busy} jobs still busy after {within:?}\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// After a burst struck by a fault: every accepted webhook is in the log once and was acted on
/// once, every logged one (accepted or cut off before its answer) made its movie once.
async fn assert_burst_processed(server: &Server, database_url: &str, sent: &[Sent]) {
    wait_queue_idle(server, Duration::from_secs(120)).await;
    let accepted: Vec<&Sent> =
        sent.iter().filter(|s| s.status.is_some_and(|status| (200..300).contains(&status))).collect();
    assert!(!accepted.is_empty(), "some webhooks were accepted: {sent:?}");
    let db = catalogue(database_url).await;
    let logged: Vec<LoggedWebhook> =
        db.fetch_all("SELECT id, body, outcome, job_ids FROM webhook_events", &[]).await.expect("log");
    let mut logged_folders: HashMap<String, Vec<i64>> = HashMap::new();
    for row in &logged {
        let body: Value = serde_json::from_str(&row.body).expect("logged JSON");
        let folder = body["movie"]["title"].as_str().expect("title").to_owned();
        logged_folders.entry(folder).or_default().push(row.id);
        assert_ne!(row.outcome, "queued", "webhook {} was never acted on", row.id);
    }
    let doubled: Vec<_> = logged_folders.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(doubled.is_empty(), "webhooks logged more than once: {doubled:?}");
    for hook in &accepted {
        let ids = logged_folders.get(&hook.folder).unwrap_or_else(|| panic!("accepted webhook not logged: {hook:?}"));
        assert_eq!(Some(ids[0]), hook.log_id, "{hook:?}");
    }
    let failed = count(&db, "SELECT count(*) AS n FROM jobs WHERE state IN ('failed', 'cancelled')").await;
    assert_eq!(failed, 0, "no job failed\n{}", server.log_tail());
    // One folder per webhook: a second scan job for a folder means a webhook was acted on twice.
    let rescanned: Vec<(Option<String>, i64)> = db
        .fetch_all(
            "SELECT unique_key, count(*) AS n FROM jobs WHERE kind = 'scan-movie' GROUP BY unique_key HAVING count(*) > 1",
            &[],
        )
        .await
        .expect("scan jobs per folder");
    let rescanned: Vec<String> = rescanned.into_iter().map(|(key, _)| key.expect("key")).collect();
    assert!(rescanned.is_empty(), "webhooks acted on twice: {rescanned:?}");
    let (status, scans) = server.get("/scans?limit=100").await;
    assert_eq!(status, 200, "{scans}");
    let mut scanned_new = 0;
    for scan in scans["items"].as_array().expect("scans") {
        assert_eq!(scan["phase"], "completed", "{scan}");
        assert_eq!(scan["directories_total"], scan["directories_scanned"], "{scan}");
        assert_eq!(scan["errors"], 0, "{scan}");
        scanned_new += scan["movies_new"].as_i64().unwrap_or_default();
    }
    let movies = count(&db, "SELECT count(*) AS n FROM movies").await;
    let folders: Vec<String> = db
        .fetch_all::<(String,)>("SELECT folder FROM movies", &[])
        .await
        .expect("movie folders")
        .into_iter()
        .map(|(folder,)| folder)
        .collect();
    let without_movie: Vec<String> = logged
        .iter()
        .filter(|row| {
            let body: Value = serde_json::from_str(&row.body).expect("logged JSON");
            let name = body["movie"]["title"].as_str().unwrap_or_default().to_owned();
            !folders.iter().any(|folder| folder.ends_with(&format!("/{name}")))
        })
        .map(|row| format!("{}: {} jobs {}", row.id, row.outcome, row.job_ids))
        .collect();
    assert!(without_movie.is_empty(), "logged webhooks without their movie: {without_movie:?}\n{}", server.log_tail());
    assert_eq!(movies, logged_folders.len() as i64, "one movie per logged webhook");
    assert_eq!(count(&db, "SELECT count(DISTINCT folder) AS n FROM movies").await, movies);
    assert_eq!(scanned_new, movies, "every new movie counted once: {scans}");
}

async fn kill_dash_nine_during_a_webhook_burst(backend: Backend) {
    const HOOKS: u32 = 300;
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data directory");
    let database = TestDatabase::create(&backend, &data).await;
    let (root, folders) = webhook_library(&dir.path().join("library"), HOOKS);
    let mut first = Server::start(&data, &database.url, &[]).await;
    map_radarr_to(&first, &root).await;

    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let burst = spawn_burst(first.address.clone(), folders, std::sync::Arc::clone(&accepted));
    wait_until(&accepted, 120).await;
    first.kill_dash_nine();
    let sent = burst.await.expect("the burst ends");
    assert!(sent.iter().any(|s| s.status.is_none()), "the kill cut the burst short: {sent:?}");

    let second = Server::start(&data, &database.url, &[]).await;
    assert_burst_processed(&second, &database.url, &sent).await;
}
app_test!(kill_dash_nine_during_a_webhook_burst);

/// Runs a PostgreSQL-restart test against a private cluster, or skips (fails under CI) when
/// this machine cannot make one.
fn private_postgres() -> Option<PrivatePostgres> {
    match PrivatePostgres::start() {
        Ok(postgres) => Some(postgres),
        Err(missing) => {
            require(false, &missing);
            None
        }
    }
}

/// What happens to the database server in the middle of the work.
#[derive(Debug, Clone, Copy)]
enum Disruption {
    /// `pg_ctl restart`: every connection is closed, the server is back within a second or two.
    Restart,
    /// Down for longer than jobs' retries and acknowledgements wait.
    Outage(Duration),
}

async fn disrupt(postgres: &std::sync::Arc<PrivatePostgres>, disruption: Disruption) {
    let postgres = std::sync::Arc::clone(postgres);
    tokio::task::spawn_blocking(move || match disruption {
        Disruption::Restart => postgres.restart(),
        // The outage is the fault itself, not a wait for something to happen.
        Disruption::Outage(down) => postgres.outage(down),
    })
    .await
    .expect("the disruption ran");
}

async fn restart_in_background(postgres: &std::sync::Arc<PrivatePostgres>) {
    disrupt(postgres, Disruption::Restart).await;
}

async fn postgres_restart_during_a_scan() {
    postgres_disrupted_during_a_scan(Disruption::Restart).await;
}

async fn postgres_down_for_ten_seconds_during_a_scan() {
    postgres_disrupted_during_a_scan(Disruption::Outage(Duration::from_secs(10))).await;
}

mod postgres_down_for_ten_seconds_during_a_scan {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::postgres_down_for_ten_seconds_during_a_scan().await;
    }
}

async fn postgres_disrupted_during_a_scan(disruption: Disruption) {
    const FOLDERS: u32 = 300;
    let Some(postgres) = private_postgres() else { return };
    let postgres = std::sync::Arc::new(postgres);
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data directory");
    let root = dir.path().join("library/Movies");
    let artwork = movie_library(&root, FOLDERS);
    let server = Server::start(&data, &postgres.url(), &[]).await;
    let library_id = server.create_library(&root).await;
    let scan_id = server.start_scan(library_id).await["id"].as_i64().expect("scan id");
    until_mid_scan(
        || server.scan(scan_id),
        |scan| KillIn::Scanning.reached(scan) && scan["directories_scanned"].as_i64() > Some(20),
    )
    .await;
    disrupt(&postgres, disruption).await;
    let after_restart = server.scan(scan_id).await;
    assert_ne!(after_restart["phase"], "completed", "the restart struck mid-scan: {after_restart}");

    let completions = crate::faults_support::Completions::listen(&server, scan_id).await;
    let seen = wait_final(&server, scan_id, Duration::from_secs(120)).await;
    assert_exact_scan(&server, &seen, i64::from(FOLDERS), artwork).await;
    let db = catalogue(&postgres.url()).await;
    assert_eq!(count(&db, "SELECT count(*) AS n FROM movies").await, i64::from(FOLDERS));
    assert_eq!(assert_cache_complete(&data.join("cache")) as i64, artwork);
    let completed = completions.finish(&server, &dir.path().join("empty")).await;
    assert!(completed.len() <= 1, "scan.completed arrives at most once: {completed:?}");
}

mod postgres_restart_during_a_scan {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::postgres_restart_during_a_scan().await;
    }
}

async fn postgres_restart_during_a_webhook_burst() {
    const HOOKS: u32 = 300;
    let Some(postgres) = private_postgres() else { return };
    let postgres = std::sync::Arc::new(postgres);
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data directory");
    let (root, folders) = webhook_library(&dir.path().join("library"), HOOKS);
    let server = Server::start(&data, &postgres.url(), &[]).await;
    map_radarr_to(&server, &root).await;

    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let burst = spawn_burst(server.address.clone(), folders, std::sync::Arc::clone(&accepted));
    wait_until(&accepted, 100).await;
    assert!(!burst.is_finished(), "the restart strikes mid-burst");
    restart_in_background(&postgres).await;
    let sent = burst.await.expect("the burst ends");
    assert_burst_processed(&server, &postgres.url(), &sent).await;
}

mod postgres_restart_during_a_webhook_burst {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::postgres_restart_during_a_webhook_burst().await;
    }
}

/// Another process holds SQLite's write lock for longer than 10 s in the middle of a scan:
/// every write waits for it (reads go on), and no job fails or even retries.
async fn sqlite_locked_by_another_process() {
    // Enough folders that the scan is still running once the `sqlite3` shell wins the lock: its
    // busy handler retries with growing sleeps while Metarr's writer commits back to back, and
    // with 120 folders the whole scan sometimes finished first (seen in CI).
    const FOLDERS: u32 = 1_000;
    if !require(which("sqlite3"), "the sqlite3 shell") {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("Movies");
    let artwork = movie_library(&root, FOLDERS);
    let (status, library) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");
    let scan_id = scan["id"].as_i64().expect("scan id");
    until_mid_scan(|| async { app.get(&format!("/scans/{scan_id}")).await.1 }, |scan| KillIn::Scanning.reached(scan))
        .await;
    let lock = SqliteLock::take(&app.data_dir.path().join("metarr.db")).expect("sqlite3 runs");
    let locked_at = std::time::Instant::now();
    // The lock's length is the fault itself, not a wait for something to happen.
    let held = Duration::from_secs(12);
    let (status, during) = app.get(&format!("/scans/{scan_id}")).await;
    assert_eq!(status, 200, "reads go on under another process's write lock: {during}");
    assert_ne!(during["phase"], "completed", "the lock struck mid-scan: {during}");
    tokio::time::sleep(held.saturating_sub(locked_at.elapsed())).await;
    let (_, before_release) = app.get(&format!("/scans/{scan_id}")).await;
    assert_eq!(counters(&before_release), counters(&during), "the lock held every write back");
    lock.release();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let scan = loop {
        let (_, scan) = app.get(&format!("/scans/{scan_id}")).await;
        if scan["phase"] == "completed" || scan["phase"] == "failed" {
            break scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan not final: {scan}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let int = |key: &str| scan[key].as_i64().unwrap_or(-1);
    let folders = i64::from(FOLDERS);
    assert_eq!(scan["phase"], "completed", "{scan}");
    assert_eq!((int("directories_total"), int("directories_scanned"), int("movies_new")), (folders, folders, folders));
    assert_eq!((int("assets_queued"), int("assets_cached"), int("errors")), (artwork, artwork, 0), "{scan}");
    let correlation_id = scan["correlation_id"].as_str().expect("correlation id");
    // The scan completes in the last job's transaction; the worker acknowledges that job
    // afterwards, in its next batch. Wait for the acknowledgements, then judge every job.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let retried = loop {
        let jobs = scan_jobs(&app, correlation_id).await;
        let unfinished = jobs.iter().filter(|job| job["state"] == "pending" || job["state"] == "running").count();
        if unfinished == 0 {
            break jobs
                .into_iter()
                .filter(|job| job["attempt"] != 1 || !job["last_error"].is_null() || job["state"] != "completed")
                .collect::<Vec<_>>();
        }
        assert!(tokio::time::Instant::now() < deadline, "{unfinished} jobs still unacknowledged after 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(retried.is_empty(), "jobs retried or failed under the lock: {retried:?}");
    app.stop().await;
}

/// Every job of a scan, through the API's pages.
async fn scan_jobs(app: &TestApp, correlation_id: &str) -> Vec<Value> {
    let mut jobs = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app.get(&format!("/jobs?correlation_id={correlation_id}&limit=500{cursor}")).await;
        assert_eq!(status, 200, "{page}");
        jobs.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return jobs,
        }
    }
}

mod sqlite_locked_by_another_process {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::sqlite_locked_by_another_process().await;
    }
}

fn which(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The cache's disk fills up: the files that do not fit are errors on the scan naming the file
/// and the cause, nothing half-written stays in the cache, and the scan still completes.
async fn cache_disk_full(backend: Backend) {
    const SMALL: u32 = 20;
    let app = TestApp::spawn(backend).await;
    let cache = app.data_dir.path().join("cache");
    let Some(_tmpfs) = Tmpfs::mount(&cache, "512k") else {
        require(false, "mounting a tmpfs (root)");
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("Movies");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");
    for i in 0..SMALL {
        let folder = root.join(format!("Small {i:02} (2005)"));
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::copy(sample, folder.join("movie.mp4")).expect("video");
        std::fs::write(folder.join("poster.png"), png(600 + i, 900, 4)).expect("poster");
    }
    // One file that is hashed in memory and written beside its target, one that streams
    // through cache/tmp: neither fits in 512 KiB.
    let noise =
        |len: usize, seed: u8| (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect::<Vec<u8>>();
    let in_memory = root.join("Wide (2006)/fanart.jpg");
    let streamed = root.join("Huge (2007)/fanart.jpg");
    for (file, len) in [(&in_memory, 900 * 1024), (&streamed, 3 * 1024 * 1024)] {
        let folder = file.parent().expect("folder");
        std::fs::create_dir_all(folder).expect("folder");
        std::fs::copy(sample, folder.join("movie.mp4")).expect("video");
        std::fs::write(file, noise(len, len as u8)).expect("big artwork");
    }
    let (status, library) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");
    let scan_id = scan["id"].as_i64().expect("scan id");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let scan = loop {
        let (_, scan) = app.get(&format!("/scans/{scan_id}")).await;
        if matches!(scan["phase"].as_str(), Some("completed" | "failed" | "cancelled")) {
            break scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan not final: {scan}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let int = |key: &str| scan[key].as_i64().unwrap_or(-1);
    let folders = i64::from(SMALL) + 2;
    assert_eq!(scan["phase"], "completed", "{scan}");
    assert_eq!((int("directories_total"), int("movies_new")), (folders, folders), "{scan}");
    assert_eq!(
        (int("assets_queued"), int("assets_cached"), int("errors")),
        (i64::from(SMALL) + 2, i64::from(SMALL), 2),
        "{scan}"
    );
    let warnings: Vec<String> = scan["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_owned())
        .collect();
    for file in [&in_memory, &streamed] {
        let named = warnings.iter().find(|w| w.contains(&file.display().to_string()));
        let named = named.unwrap_or_else(|| panic!("no warning names {}: {warnings:?}", file.display()));
        assert!(named.to_lowercase().contains("no space left"), "{named}");
    }
    assert_eq!(assert_cache_complete(&cache), SMALL as usize, "only the small files are cached, whole");
    let hidden: Vec<_> = crate::faults_support::cache_contents(&cache)
        .0
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')))
        .collect();
    assert!(hidden.is_empty(), "temporary files left beside cache entries: {hidden:?}");
    app.stop().await;
}
app_test!(cache_disk_full);
