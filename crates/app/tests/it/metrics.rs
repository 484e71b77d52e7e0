//! `/metrics` through the real server, read as Prometheus reads it: the key it needs (or not,
//! from loopback, when configured so), and the families a dashboard is built on, each moved by
//! the event it counts: a job run, a webhook, an HTTP request by its route pattern, a scan, the
//! queue's jobs by kind and state, and the database pools.

use crate::helpers::{Backend, TestApp};
use metarr::ids::ScanId;
use metarr_queue::JobState;
use serde_json::json;
use std::time::Duration;

/// The page, with the key.
pub(crate) async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(format!("{}/metrics", app.address)).header("X-Api-Key", &app.api_key).send().await;
    let response = response.expect("scraped");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    response.text().await.expect("text")
}

/// The value of the sample whose name and labels contain every part of `wanted`.
pub(crate) fn sample(page: &str, name: &str, labels: &[&str]) -> Option<f64> {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn metrics_count_what_happens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Without the key: refused (the default access).
    let bare = app.client.get(format!("{}/metrics", app.address)).send().await.expect("request");
    assert_eq!(bare.status().as_u16(), 401);

    let before = scrape(&app).await;
    let version = format!("version=\"{}\"", env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&before, "metarr_info", &[&version]), Some(1.0), "{before}");
    let pool = if app.queue.backend() == metarr_queue::Backend::Sqlite { "sqlite_writer" } else { "postgres" };
    assert!(sample(&before, "metarr_db_pool_connections", &[pool, "state=\"idle\""]).is_some(), "{before}");
    assert!(sample(&before, "metarr_queue_lag_seconds", &[]).is_some(), "{before}");

    // A webhook (Radarr's Test) is counted by source, event and outcome.
    let test = json!({ "eventType": "Test", "instanceName": "Radarr" });
    let (status, _) = app.post_json("/webhooks/radarr", &test).await;
    assert_eq!(status, 200);
    // A hostile event type does not become a label.
    let (_, _) = app.post_json("/webhooks/radarr", &json!({ "eventType": "x\"}{evil", "movie": {} })).await;
    // A job runs and is timed; an empty library is scanned.
    let dir = tempfile::tempdir().expect("library");
    let (status, library) = app.post_json("/libraries", &json!({ "path": dir.path().display().to_string() })).await;
    assert_eq!(status, 201, "{library}");
    let (_, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    crate::scan::wait_for_scan(&app.db, ScanId(scan["id"].as_i64().expect("id")), Duration::from_secs(30)).await;
    let sleep = app.enqueue_sleep(1).await;
    app.wait_for_state(sleep.id, JobState::Completed).await;
    // An API request with an id in its path.
    let (status, _) = app.get("/movies/424242").await;
    assert_eq!(status, 404);

    // The recorder is the process' own, shared by every app a test binary runs at once: what
    // this test did shows as growth since its first scrape, never less.
    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[&str], by: f64| {
        let was = sample(&before, name, labels).unwrap_or(0.0);
        let now = sample(&after, name, labels).unwrap_or(0.0);
        assert!(now >= was + by, "{name}{labels:?} grew from {was} to {now}, not by {by}\n{after}");
    };
    grew("metarr_webhooks_total", &["source=\"radarr\"", "event=\"Test\"", "outcome=\"test\""], 1.0);
    assert!(!after.contains("evil"), "a sender's made-up event is no label");
    grew("metarr_job_duration_seconds_count", &["kind=\"debug-sleep\"", "outcome=\"completed\""], 1.0);
    assert!(after.contains("metarr_job_duration_seconds_bucket{"), "a histogram, not a summary: {after}");
    grew("metarr_scans_total", &["result=\"completed\""], 1.0);
    grew(
        "metarr_http_request_duration_seconds_count",
        &["route=\"/api/v1/movies/{id}\"", "status=\"404\"", "method=\"GET\""],
        1.0,
    );
    assert!(!after.contains("424242"), "never a raw path");
    let completed = sample(&after, "metarr_jobs", &["kind=\"debug-sleep\"", "state=\"completed\""]);
    assert!(completed.is_some_and(|count| count >= 1.0), "{after}");
    app.stop().await;
}
app_test!(metrics_count_what_happens);

async fn loopback_access_needs_no_key(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("METARR_METRICS__ACCESS", "loopback")]).await;
    let response = app.client.get(format!("{}/metrics", app.address)).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200, "the test talks from loopback");
    assert!(response.text().await.expect("text").contains("metarr_info"));
    // The API itself still wants the key.
    let api = app.client.get(app.url("/system/status")).send().await.expect("request");
    assert_eq!(api.status().as_u16(), 401);
    app.stop().await;
}
app_test!(loopback_access_needs_no_key);
