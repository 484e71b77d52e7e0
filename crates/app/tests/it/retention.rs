//! Retention through the `cleanup` schedule: old jobs, webhook log entries, finished scans
//! (each library's latest stays) and expired UI sessions go; recent ones and movies stay.

use crate::helpers::{Backend, TestApp, job_id};
use crate::ui::UiClient;
use crate::webhooks::{fixture, post_raw};
use metarr::db::Param;
use metarr_queue::JobState;
use serde_json::{Value, json};
use std::time::Duration;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn days_ago_ms(days: i64) -> i64 {
    chrono::Utc::now().timestamp_millis() - days * DAY_MS
}

async fn sql(app: &TestApp, statement: &str, params: &[Param]) {
    app.db.execute(statement, params).await.unwrap_or_else(|err| panic!("{statement}: {err}"));
}

async fn count(app: &TestApp, statement: &str) -> i64 {
    let (n,) = app.db.fetch_optional::<(i64,)>(statement, &[]).await.expect("count").expect("one row");
    n
}

/// A logged webhook (a Radarr "Test" event) through the real endpoint; returns its log id.
async fn logged_webhook(app: &TestApp) -> i64 {
    let (status, answer) = post_raw(app, "radarr", fixture("radarr-test.json")).await;
    assert_eq!(status, 200, "{answer}");
    answer["id"].as_i64().expect("logged")
}

/// A scan of the library through the API, waited for until it finished; returns its id.
async fn finished_scan(app: &TestApp, library_id: i64) -> i64 {
    let (status, scan) = app.post(&format!("/libraries/{library_id}/scan")).await;
    assert!(status == 202 || status == 200, "{status} {scan}");
    let id = scan["id"].as_i64().expect("scan id");
    wait_for_scan(app, id).await;
    id
}

pub async fn wait_for_scan(app: &TestApp, id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, scan) = app.get(&format!("/scans/{id}")).await;
        assert_eq!(status, 200, "{scan}");
        if ["completed", "failed", "cancelled"].contains(&scan["phase"].as_str().expect("phase")) {
            return scan;
        }
        assert!(tokio::time::Instant::now() < deadline, "scan {id} did not finish: {scan}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run_cleanup(app: &TestApp) -> metarr_queue::Job {
    let (status, job) = app.post("/schedules/cleanup/run").await;
    assert_eq!(status, 202, "{job}");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await
}

async fn exists(app: &TestApp, path: &str) -> bool {
    let (status, body) = app.get(path).await;
    assert!(status == 200 || status == 404, "{path}: {status} {body}");
    status == 200
}

/// A finished job's `finished_at` moved back by `days` (the column's type differs per backend).
async fn age_job(app: &TestApp, backend: &Backend, id: i64, days: i64) {
    match backend {
        Backend::Sqlite => {
            sql(app, "UPDATE jobs SET finished_at = $1 WHERE id = $2", &[days_ago_ms(days).into(), id.into()]).await
        }
        Backend::Postgres(_) => {
            let statement = format!("UPDATE jobs SET finished_at = now() - interval '{days} days' WHERE id = $1");
            sql(app, &statement, &[id.into()]).await;
        }
    }
}

async fn cleanup_prunes_exactly_what_outlived_its_retention(backend: Backend) {
    let app = TestApp::spawn_with(
        backend.clone(),
        &[("METARR_WEBHOOK_RETENTION_DAYS", "10"), ("METARR_SCAN_RETENTION_DAYS", "20")],
    )
    .await;

    // Jobs: 30 days by default.
    let old_job = app.enqueue_sleep(0).await;
    let new_job = app.enqueue_sleep(0).await;
    app.wait_for_state(old_job.id, JobState::Completed).await;
    app.wait_for_state(new_job.id, JobState::Completed).await;
    age_job(&app, &backend, old_job.id.get(), 31).await;

    // Webhook log: 10 days here.
    let old_event = logged_webhook(&app).await;
    let recent_event = logged_webhook(&app).await;
    sql(&app, "UPDATE webhook_events SET received_at = $1 WHERE id = $2", &[days_ago_ms(11).into(), old_event.into()])
        .await;
    sql(
        &app,
        "UPDATE webhook_events SET received_at = $1 WHERE id = $2",
        &[days_ago_ms(9).into(), recent_event.into()],
    )
    .await;

    // Scans: 20 days here. Library A: two old scans and a recent one; library B: two old scans,
    // of which the latest stays because the UI shows it.
    let dirs = tempfile::tempdir().expect("library folders");
    let mut library_ids = Vec::new();
    for name in ["A", "B"] {
        let root = dirs.path().join(name);
        std::fs::create_dir_all(root.join("Heat (1995)")).expect("movie folder");
        std::fs::write(root.join("Heat (1995)/Heat (1995).mkv"), b"not really a video").expect("video file");
        let (status, library) = app.post_json("/libraries", &json!({ "path": root })).await;
        assert_eq!(status, 201, "{library}");
        library_ids.push(library["id"].as_i64().expect("library id"));
    }
    let mut scans = Vec::new();
    for library_id in [library_ids[0], library_ids[0], library_ids[0], library_ids[1], library_ids[1]] {
        scans.push(finished_scan(&app, library_id).await);
    }
    let [a_old1, a_old2, a_recent, b_old, b_latest] = scans[..] else { unreachable!("five scans") };
    for (scan, days) in [(a_old1, 30), (a_old2, 21), (a_recent, 19), (b_old, 40), (b_latest, 30)] {
        sql(&app, "UPDATE scans SET finished_at = $1 WHERE id = $2", &[days_ago_ms(days).into(), scan.into()]).await;
    }

    // Sessions: an expired and a valid one beside the one the first-run setup signed in.
    let ui = UiClient::new(&app);
    ui.set_up("admin", "correct horse battery staple").await;
    let (user_id,) =
        app.db.fetch_optional::<(i64,)>("SELECT id FROM ui_users", &[]).await.expect("read").expect("the admin");
    for (token, expires) in [("expired", days_ago_ms(1)), ("valid", days_ago_ms(-1))] {
        sql(
            &app,
            "INSERT INTO ui_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[token.into(), user_id.into(), days_ago_ms(2).into(), expires.into()],
        )
        .await;
    }
    // A movie the scans found, marked missing: user data that no retention touches.
    sql(&app, "UPDATE movies SET missing = true, updated_at = $1", &[days_ago_ms(365).into()]).await;
    let movies = count(&app, "SELECT count(*) AS n FROM movies").await;
    assert_eq!(movies, 2, "one movie per library");

    // Recycle-bin entries: 30 days by default; verification runs go with the scans' 20 days.
    for (path, days) in [("/old.nfo", 31), ("/recent.nfo", 29)] {
        sql(
            &app,
            "INSERT INTO recycle_bin (library_id, path, sha256, ext, size, reason, recycled_at) \
             VALUES ($1, $2, $3, 'nfo', 1, 'replaced', $4)",
            &[library_ids[0].into(), path.into(), "ab".repeat(32).into(), days_ago_ms(days).into()],
        )
        .await;
    }
    for days in [21, 19] {
        sql(
            &app,
            "INSERT INTO verification_runs (cause, started_at, finished_at) VALUES ('schedule', $1, $1)",
            &[days_ago_ms(days).into()],
        )
        .await;
    }

    let cleanup = run_cleanup(&app).await;
    let message = cleanup.progress.clone().and_then(|progress| progress.message).unwrap_or_default();
    assert_eq!(
        message,
        "deleted 1 jobs, 1 webhook events, 3 scans, 1 expired sessions, 1 recycle-bin entries and 1 verification runs",
        "{cleanup:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM recycle_bin WHERE path = '/recent.nfo'").await, 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM verification_runs").await, 1);

    assert!(!exists(&app, &format!("/jobs/{}", old_job.id)).await);
    assert!(exists(&app, &format!("/jobs/{}", new_job.id)).await);
    assert!(!exists(&app, &format!("/webhooks/events/{old_event}")).await);
    assert!(exists(&app, &format!("/webhooks/events/{recent_event}")).await);
    for (scan, kept) in [(a_old1, false), (a_old2, false), (a_recent, true), (b_old, false), (b_latest, true)] {
        assert_eq!(exists(&app, &format!("/scans/{scan}")).await, kept, "scan {scan}");
    }
    let sessions = app.db.fetch_all::<(String,)>("SELECT token_hash FROM ui_sessions ORDER BY token_hash", &[]);
    let tokens: Vec<String> = sessions.await.expect("read").into_iter().map(|(token,)| token).collect();
    assert_eq!(tokens.len(), 2, "the setup's session and the valid one: {tokens:?}");
    assert!(tokens.contains(&"valid".to_owned()) && !tokens.contains(&"expired".to_owned()), "{tokens:?}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM movies").await, movies, "missing movies stay");
    // The UI still shows each library's latest scan.
    let (_, listed) = app.get(&format!("/scans?library_id={}", library_ids[1])).await;
    assert_eq!(listed["items"][0]["id"], b_latest, "{listed}");
    app.stop().await;
}
app_test!(cleanup_prunes_exactly_what_outlived_its_retention);

/// More old rows than one batch holds: every batch runs until none is left, and nothing recent
/// is taken with them.
async fn cleanup_deletes_a_large_log_in_batches(backend: Backend) {
    const OLD: i64 = 2 * metarr::jobs::cleanup::BATCH + 345;
    let app = TestApp::spawn(backend).await;
    let recent = logged_webhook(&app).await;
    sql(
        &app,
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO webhook_events (received_at, source, event_type, status, outcome, job_ids, body) \
         SELECT $2 - i, 'radarr', 'Test', 200, 'old', '[]', '{}' FROM n",
        &[OLD.into(), days_ago_ms(31).into()],
    )
    .await;
    assert_eq!(count(&app, "SELECT count(*) AS n FROM webhook_events").await, OLD + 1);

    let cleanup = run_cleanup(&app).await;
    let message = cleanup.progress.clone().and_then(|progress| progress.message).unwrap_or_default();
    assert!(message.contains(&format!(" {OLD} webhook events")), "{message}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM webhook_events").await, 1);
    assert!(exists(&app, &format!("/webhooks/events/{recent}")).await);
    app.stop().await;
}
app_test!(cleanup_deletes_a_large_log_in_batches);
