//! The schedules API: list with next run, update, invalid cron, run now.

use crate::helpers::{Backend, TestApp, job_id};
use metarr_queue::JobState;
use serde_json::json;

async fn cleanup_schedule_is_listed_with_its_next_run(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get("/schedules").await;
    assert_eq!(status, 200, "{body}");
    let cleanup = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|schedule| schedule["name"] == "cleanup")
        .expect("cleanup schedule exists")
        .clone();
    assert_eq!(cleanup["kind"], "scheduled-cleanup");
    assert!(cleanup["library_id"].is_null(), "{cleanup}");
    assert_eq!(cleanup["cron"], "0 3 * * *");
    assert_eq!(cleanup["enabled"], true);
    let next = cleanup["next_run_at"].as_str().expect("next run time");
    let next = chrono::DateTime::parse_from_rfc3339(next).expect("RFC 3339");
    assert!(next > chrono::Utc::now(), "next run is in the future");
    assert!(next < chrono::Utc::now() + chrono::Duration::hours(25), "daily schedule runs within a day");
    assert_eq!(body["total"], body["items"].as_array().expect("items").len());
    app.stop().await;
}
app_test!(cleanup_schedule_is_listed_with_its_next_run);

async fn schedules_can_be_changed_and_bad_cron_says_why(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.put_json("/schedules/cleanup", &json!({ "cron": "*/15 * * * *", "enabled": false })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cron"], "*/15 * * * *");
    assert_eq!(body["enabled"], false);
    assert!(body["next_run_at"].is_null(), "disabled schedules do not run: {body}");
    let (_, list) = app.get("/schedules").await;
    let cleanup = list["items"].as_array().expect("items").iter().find(|s| s["name"] == "cleanup").cloned();
    assert_eq!(cleanup.map(|s| s["cron"].clone()), Some(json!("*/15 * * * *")), "{list}");

    let (status, body) = app.put_json("/schedules/cleanup", &json!({ "cron": "61 * * * *", "enabled": true })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(body["error"]["message"].as_str().expect("message").contains("61 * * * *"), "{body}");
    let (status, body) = app.put_json("/schedules/cleanup", &json!({ "cron": "* * * *", "enabled": true })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("5 fields"), "{body}");

    let (status, _) = app.put_json("/schedules/no-such", &json!({ "cron": "0 3 * * *", "enabled": true })).await;
    assert_eq!(status, 404);

    // A body that is not JSON, or lacks a field, is a 400 in the error shape.
    let (status, body) = app
        .send(app.client.put(app.url("/schedules/cleanup")).header("Content-Type", "application/json").body("{cron:"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    let (status, body) = app.put_json("/schedules/cleanup", &json!({ "cron": "0 3 * * *" })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    app.stop().await;
}
app_test!(schedules_can_be_changed_and_bad_cron_says_why);

async fn run_now_enqueues_a_cleanup_job_that_keeps_recent_jobs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let recent = app.enqueue_sleep(0).await;
    app.wait_for_state(recent.id, JobState::Completed).await;
    let (status, body) = app.post("/schedules/cleanup/run").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["kind"], "scheduled-cleanup");
    let id = job_id(&body["id"]);
    app.wait_for_state(id, JobState::Completed).await;
    let (status, _) = app.get(&format!("/jobs/{}", recent.id)).await;
    assert_eq!(status, 200, "a job finished seconds ago is within the 30-day retention");
    let (status, _) = app.post("/schedules/no-such/run").await;
    assert_eq!(status, 404);
    app.stop().await;
}
app_test!(run_now_enqueues_a_cleanup_job_that_keeps_recent_jobs);
