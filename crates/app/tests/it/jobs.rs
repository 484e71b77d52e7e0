//! The jobs API: filters, cursor paging, one job, retry, cancel, clear, statistics, bad input.

use crate::helpers::{Backend, TestApp, job_id};
use metarr_queue::{JobId, JobState, NewJob};
use serde_json::{Value, json};

fn ids(body: &Value) -> Vec<JobId> {
    body["items"].as_array().expect("items array").iter().map(|job| job_id(&job["id"])).collect()
}

/// Jobs of a kind no worker handles stay pending, which makes lists deterministic.
async fn enqueue_idle(app: &TestApp, kind: &str, correlation_id: Option<&str>) -> JobId {
    let mut job = NewJob::raw(kind, json!({ "n": 1 }));
    if let Some(id) = correlation_id {
        job = job.correlation_id(id);
    }
    app.queue.enqueue(job).await.expect("enqueue").job.id
}

async fn list_filters_and_pages_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut alpha = Vec::new();
    for i in 0..7 {
        let correlation = if i % 2 == 0 { Some("batch-even") } else { None };
        alpha.push(enqueue_idle(&app, "test-alpha", correlation).await);
    }
    let beta = enqueue_idle(&app, "test-beta", None).await;

    let (status, body) = app.get("/jobs?kind=test-alpha&limit=3").await;
    assert_eq!(status, 200, "{body}");
    let mut newest_first: Vec<JobId> = alpha.iter().rev().copied().collect();
    assert_eq!(ids(&body), newest_first[..3].to_vec());
    let job = &body["items"][0];
    for field in [
        "id",
        "kind",
        "state",
        "priority",
        "attempt",
        "max_attempts",
        "run_at",
        "created_at",
        "started_at",
        "finished_at",
        "progress",
        "last_error",
        "payload",
        "parent_id",
        "correlation_id",
        "unique_key",
    ] {
        assert!(job.get(field).is_some(), "job JSON has {field}: {job}");
    }
    assert_eq!(job["state"], "pending");

    // Walk every page with the cursor.
    let mut seen = ids(&body);
    let mut cursor = body["next_cursor"].as_str().expect("more pages").to_owned();
    loop {
        let (status, page) = app.get(&format!("/jobs?kind=test-alpha&limit=3&cursor={cursor}")).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);

    let (_, body) = app.get("/jobs?correlation_id=batch-even").await;
    newest_first.retain(|id| alpha.iter().position(|a| a == id).expect("known") % 2 == 0);
    assert_eq!(ids(&body), newest_first);

    let (_, body) = app.get("/jobs?kind=test-beta&state=pending").await;
    assert_eq!(ids(&body), vec![beta]);
    assert!(body["next_cursor"].is_null(), "{body}");
    let (_, body) = app.get("/jobs?kind=test-beta&state=completed").await;
    assert_eq!(ids(&body), Vec::<JobId>::new());
    app.stop().await;
}
app_test!(list_filters_and_pages_newest_first);

async fn get_one_job_or_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = enqueue_idle(&app, "test-alpha", Some("corr-1")).await;
    let (status, body) = app.get(&format!("/jobs/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id.get());
    assert_eq!(body["kind"], "test-alpha");
    assert_eq!(body["correlation_id"], "corr-1");
    assert_eq!(body["payload"], json!({ "n": 1 }));

    let (status, body) = app.get("/jobs/987654321").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app.get("/jobs/not-a-number").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    app.stop().await;
}
app_test!(get_one_job_or_404);

async fn retry_of_a_pending_job_is_a_conflict_and_cancel_pending_works(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = enqueue_idle(&app, "test-alpha", None).await;
    let (status, body) = app.post(&format!("/jobs/{id}/retry")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");

    let (status, body) = app.post(&format!("/jobs/{id}/cancel")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "cancelled");
    // Cancelling a finished job is impossible; retrying a cancelled one works.
    let (status, _) = app.post(&format!("/jobs/{id}/cancel")).await;
    assert_eq!(status, 409);
    let (status, body) = app.post(&format!("/jobs/{id}/retry")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "pending");
    let (status, _) = app.post("/jobs/987654321/cancel").await;
    assert_eq!(status, 404);
    app.stop().await;
}
app_test!(retry_of_a_pending_job_is_a_conflict_and_cancel_pending_works);

async fn cancelling_a_running_sleep_ends_it_cancelled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let job = app.enqueue_sleep(60_000).await;
    app.wait_for_state(job.id, JobState::Running).await;
    let started = std::time::Instant::now();
    let (status, body) = app.post(&format!("/jobs/{}/cancel", job.id)).await;
    assert_eq!(status, 200, "{body}");
    let job = app.wait_for_state(job.id, JobState::Cancelled).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "cancelled long before the sleep ended");
    assert!(job.finished_at.is_some());
    app.stop().await;
}
app_test!(cancelling_a_running_sleep_ends_it_cancelled);

async fn debug_sleep_jobs_complete_and_clear_deletes_finished_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let done = app.enqueue_sleep(0).await;
    app.wait_for_state(done.id, JobState::Completed).await;
    let pending = enqueue_idle(&app, "test-alpha", None).await;

    // A date in the past deletes nothing; a future instant deletes the finished job only.
    let (status, body) = app.delete("/jobs?finished_before=2000-01-01").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], 0);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, body) =
        app.send(app.client.delete(app.url("/jobs")).query(&[("finished_before", tomorrow.as_str())])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], 1);
    let (status, _) = app.get(&format!("/jobs/{}", done.id)).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("/jobs/{pending}")).await;
    assert_eq!(status, 200);
    app.stop().await;
}
app_test!(debug_sleep_jobs_complete_and_clear_deletes_finished_ones);

async fn stats_count_per_state_and_kind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    enqueue_idle(&app, "test-alpha", None).await;
    enqueue_idle(&app, "test-alpha", None).await;
    let done = app.enqueue_sleep(0).await;
    app.wait_for_state(done.id, JobState::Completed).await;
    let (status, body) = app.get("/jobs/stats").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["states"]["pending"], 2, "{body}");
    assert!(body["states"]["completed"].as_i64().expect("count") >= 1, "{body}");
    assert_eq!(body["kinds"]["test-alpha"]["pending"], 2, "{body}");
    assert_eq!(body["kinds"]["debug-sleep"]["completed"], 1, "{body}");
    app.stop().await;
}
app_test!(stats_count_per_state_and_kind);

async fn bad_parameters_are_400_with_the_error_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in
        ["/jobs?state=sleeping", "/jobs?cursor=not-a-cursor", "/jobs?limit=0", "/jobs?limit=501", "/jobs?limit=ten"]
    {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
    let (status, body) = app.get("/jobs?state=sleeping").await;
    assert!(body["error"]["message"].as_str().expect("message").contains("sleeping"), "{status} {body}");
    for path in ["/jobs?finished_before=yesterday", "/jobs?finished_before=2026-13-01", "/jobs"] {
        let (status, body) = app.delete(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
    }
    app.stop().await;
}
app_test!(bad_parameters_are_400_with_the_error_shape);

async fn shutdown_drains_short_jobs_and_releases_long_ones(backend: Backend) {
    // The test app's shutdown grace is 2 s.
    let mut app = TestApp::spawn(backend).await;
    let short = app.enqueue_sleep(700).await;
    let long = app.enqueue_sleep(60_000).await;
    app.wait_for_state(short.id, JobState::Running).await;
    app.wait_for_state(long.id, JobState::Running).await;
    let queue = app.queue.clone();
    app.shut_down().await;

    let short = queue.get(short.id).await.expect("short job");
    assert_eq!(short.state, JobState::Completed, "a job within the grace period finishes");
    let long = queue.get(long.id).await.expect("long job");
    assert_eq!(long.state, JobState::Pending, "a job past the grace period is released for another worker");
}
app_test!(shutdown_drains_short_jobs_and_releases_long_ones);
