//! Crash and concurrency tests with real `metarr worker` processes: `kill -9` in the middle of
//! jobs loses nothing, and two processes sharing one PostgreSQL queue run each job once.

use crate::helpers::{Backend, TestDatabase};
use metarr_queue::{JobState, ListFilter, NewJob, Queue};
use serde_json::json;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `metarr worker` process on `database_url`.
pub fn spawn_worker(dir: &std::path::Path, database_url: &str, lease_secs: &str) -> Child {
    spawn_worker_with(dir, database_url, lease_secs, &[])
}

/// A `metarr worker` process with extra environment variables.
pub fn spawn_worker_with(
    dir: &std::path::Path,
    database_url: &str,
    lease_secs: &str,
    env: &[(String, String)],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_metarr"))
        .arg("worker")
        .current_dir(dir)
        .env("METARR_DATA_DIR", dir)
        .env("METARR_DATABASE_URL", database_url)
        .env("METARR_WORKER__LEASE_SECS", lease_secs)
        .env("METARR_WORKER__SHUTDOWN_GRACE_SECS", "5")
        .envs(env.iter().map(|(key, value)| (key.as_str(), value.as_str())))
        .env_remove("METARR_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("metarr worker starts")
}

/// Runs `metarr migrate`.
pub fn migrate(dir: &std::path::Path, database_url: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_metarr"))
        .arg("migrate")
        .current_dir(dir)
        .env("METARR_DATA_DIR", dir)
        .env("METARR_DATABASE_URL", database_url)
        .env_remove("METARR_CONFIG")
        .stderr(Stdio::null())
        .status()
        .expect("metarr migrate runs");
    assert!(status.success(), "metarr migrate failed");
}

async fn count(queue: &Queue, state: JobState) -> i64 {
    queue.stats().await.expect("stats").states.get(state.as_str()).copied().unwrap_or(0)
}

async fn wait_until_all_completed(queue: &Queue, total: i64, within: Duration, workers: &mut [Child]) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if count(queue, JobState::Completed).await == total {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            for worker in workers.iter_mut() {
                let _ = worker.kill();
            }
            let stats = queue.stats().await.expect("stats");
            panic!("not every job completed in {within:?}: {:?}", stats.states);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// All jobs, whatever the page size.
async fn all_jobs(queue: &Queue) -> Vec<metarr_queue::Job> {
    let mut jobs = Vec::new();
    let mut before_id = None;
    loop {
        let page = queue.list(&ListFilter { before_id, limit: 500, ..ListFilter::default() }).await.expect("list");
        jobs.extend(page.items);
        match page.next_before_id {
            Some(next) => before_id = Some(next),
            None => return jobs,
        }
    }
}

async fn kill_dash_nine_mid_jobs_loses_nothing(backend: Backend) {
    const JOBS: i64 = 300;
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::create(&backend, dir.path()).await;
    migrate(dir.path(), &database.url);
    let queue = Queue::connect(&database.url).await.expect("connect");
    let jobs: Vec<NewJob> = (0..JOBS).map(|_| NewJob::raw("debug-sleep", json!({ "ms": 300 }))).collect();
    queue.enqueue_many(jobs).await.expect("enqueue");

    let mut first = spawn_worker(dir.path(), &database.url, "2");
    // Wait until the worker is in the middle of things: some done, some running.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while count(&queue, JobState::Completed).await < 50 || count(&queue, JobState::Running).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the first worker never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL the worker");
    first.wait().expect("reap the killed worker");
    let orphaned: HashSet<i64> = queue
        .list(&ListFilter { state: Some(JobState::Running), limit: 500, ..ListFilter::default() })
        .await
        .expect("list running")
        .items
        .into_iter()
        .map(|job| job.id.get())
        .collect();
    assert!(!orphaned.is_empty(), "jobs were running when the worker died");

    // No start-up reset: the second worker rescues only what the dead one left, once its lease ran out.
    let mut second = [spawn_worker(dir.path(), &database.url, "2")];
    wait_until_all_completed(&queue, JOBS, Duration::from_secs(90), &mut second).await;
    let [mut second] = second;
    second.kill().expect("stop the second worker");
    let _ = second.wait();

    let jobs = all_jobs(&queue).await;
    assert_eq!(jobs.len() as i64, JOBS, "no job lost or duplicated");
    for job in &jobs {
        assert_eq!(job.state, JobState::Completed, "job {} ended {}", job.id, job.state);
        if orphaned.contains(&job.id.get()) {
            assert!(job.attempt >= 2, "orphaned job {} ran again after the kill", job.id);
            let error = job.last_error.as_deref().unwrap_or_default();
            assert!(error.contains("lease expired"), "job {}: {error}", job.id);
        } else {
            // A job runs again only when its lease lapsed (on a loaded machine a 2 s lease can
            // lapse under a live worker too); otherwise it was claimed once.
            let lapsed = job.last_error.as_deref().is_some_and(|e| e.contains("lease expired"));
            assert!(
                job.attempt == 1 || lapsed,
                "job {} was claimed {} times without a lapsed lease",
                job.id,
                job.attempt
            );
        }
    }
}
app_test!(kill_dash_nine_mid_jobs_loses_nothing);

async fn two_worker_processes_share_ten_thousand_jobs_each_run_once(backend: Backend) {
    const JOBS: i64 = 10_000;
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::create(&backend, dir.path()).await;
    migrate(dir.path(), &database.url);
    let queue = Queue::connect(&database.url).await.expect("connect");
    let mut workers = [spawn_worker(dir.path(), &database.url, "30"), spawn_worker(dir.path(), &database.url, "30")];
    // Let both start before the work arrives, so that both compete for it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let jobs: Vec<NewJob> = (0..JOBS).map(|_| NewJob::raw("debug-sleep", json!({ "ms": 1 }))).collect();
    queue.enqueue_many(jobs).await.expect("enqueue");

    // Watch who holds the leases while the jobs run.
    let mut lease_holders = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while count(&queue, JobState::Completed).await < JOBS {
        let running = queue
            .list(&ListFilter { state: Some(JobState::Running), limit: 500, ..ListFilter::default() })
            .await
            .expect("list running");
        lease_holders.extend(running.items.into_iter().filter_map(|job| job.locked_by));
        if tokio::time::Instant::now() > deadline {
            for worker in &mut workers {
                let _ = worker.kill();
            }
            panic!("10,000 jobs did not complete in 120 s");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    assert_eq!(lease_holders.len(), 2, "both processes ran jobs: {lease_holders:?}");
    let jobs = all_jobs(&queue).await;
    assert_eq!(jobs.len() as i64, JOBS);
    // A handler only runs after a claim, and every claim counts an attempt.
    let claimed_twice: Vec<i64> = jobs.iter().filter(|job| job.attempt != 1).map(|job| job.id.get()).collect();
    assert!(claimed_twice.is_empty(), "jobs claimed more than once: {claimed_twice:?}");
    assert!(jobs.iter().all(|job| job.state == JobState::Completed && job.last_error.is_none()));
}
// Only PostgreSQL relays between processes; SQLite is one process by design (docs/queue.md,
// "SQLite and PostgreSQL").
pg_test!(two_worker_processes_share_ten_thousand_jobs_each_run_once);
