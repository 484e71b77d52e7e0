//! `GET /api/v1/system/status` and the dashboard's System panel, through the real server: what
//! the status says of a fresh Metarr and after artwork was cached, a schedule whose runs keep
//! failing and a player group failing for a day (its jobs' times moved back two days) turned into
//! warnings, and the key it needs.

use crate::helpers::{Backend, TestApp};
use metarr_queue::{JobState, NewJob};
use serde_json::{Value, json};

async fn status(app: &TestApp) -> Value {
    let (code, body) = app.get("/system/status").await;
    assert_eq!(code, 200, "{body}");
    body
}

fn warning_codes(status: &Value) -> Vec<String> {
    status["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["code"].as_str().map(str::to_owned))
        .collect()
}

async fn the_status_tells_sizes_queue_schedules_and_warnings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fresh = status(&app).await;
    assert_eq!(fresh["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(fresh["backend"], app.queue.backend().as_str());
    assert!(fresh["uptime_seconds"].is_u64() && fresh["started_at"].is_string(), "{fresh}");
    assert!(fresh["database"]["size_bytes"].as_u64().is_some_and(|bytes| bytes > 0), "{fresh}");
    let data_dir = std::fs::canonicalize(app.data_dir.path()).expect("data dir");
    let reported = std::fs::canonicalize(fresh["data_dir"]["path"].as_str().expect("path")).expect("reported");
    assert_eq!(reported, data_dir);
    let (free, total) = (fresh["data_dir"]["free_bytes"].as_u64(), fresh["data_dir"]["total_bytes"].as_u64());
    assert!(free.is_some_and(|free| free > 0) && total >= free, "{fresh}");
    assert_eq!(fresh["cache"], json!({ "files": 0, "size_bytes": 0 }));
    assert!(fresh["queue"]["depth"].is_i64() && fresh["queue"]["lag_seconds"].is_u64(), "{fresh}");
    assert_eq!(fresh["circuit_breakers"], json!([]));
    let schedules = fresh["schedules"].as_array().expect("schedules");
    let (_, listed) = app.get("/schedules").await;
    assert_eq!(schedules.len(), listed["items"].as_array().map(Vec::len).unwrap_or(0), "every schedule: {fresh}");
    assert!(schedules.iter().all(|s| s["name"].is_string() && s["kind"].is_string()), "{fresh}");
    assert!(warning_codes(&fresh).iter().all(|code| code == "disk_almost_full"), "{fresh}");

    // An image in the cache shows in its size.
    let cache = app.data_dir.path().join("cache");
    let cached = metarr::cache::store_bytes(&cache, b"\x89PNG not really", "png").expect("cached");
    let mut tx = app.db.begin().await.expect("begin");
    metarr::catalogue::movies::record_asset_in(&mut tx, &cached.sha256, &cached.ext, cached.size, None)
        .await
        .expect("asset");
    tx.commit().await.expect("commit");
    let after = status(&app).await;
    assert_eq!(after["cache"], json!({ "files": 1, "size_bytes": cached.size }));

    // A schedule's kind failing three runs in a row is a warning naming it and the error.
    let schedule = &schedules[0];
    let kind = schedule["kind"].as_str().expect("kind");
    for _ in 0..3 {
        let job = app.queue.enqueue(NewJob::raw(kind, json!("not a payload"))).await.expect("enqueue").job;
        app.wait_for_state(job.id, JobState::Failed).await;
    }
    let failing = status(&app).await;
    let warning = failing["warnings"].as_array().expect("warnings").iter().find(|w| w["code"] == "schedule_failing");
    let message = warning.and_then(|w| w["message"].as_str()).unwrap_or_default();
    assert!(message.contains(schedule["name"].as_str().expect("name")), "{failing}");

    // A player group whose refreshes all failed, the first two days ago, is unreachable.
    let (code, group) = app.post_json("/player-groups", &json!({ "kind": "kodi", "name": "Bedroom" })).await;
    assert_eq!(code, 201, "{group}");
    let payload = json!({ "group_id": group["id"], "folder": "/nowhere/Movie (2000)", "changed_artwork": false });
    let job = app.queue.enqueue(NewJob::raw("notify-kodi", payload.clone())).await.expect("enqueue").job;
    app.wait_for_state(job.id, JobState::Failed).await;
    assert!(!warning_codes(&status(&app).await).contains(&"player_unreachable".to_owned()), "not a day yet");
    let two_days_back = match app.queue.backend() {
        metarr_queue::Backend::Sqlite => "UPDATE jobs SET finished_at = finished_at - 172800000 WHERE id = $1",
        metarr_queue::Backend::Postgres => {
            "UPDATE jobs SET finished_at = finished_at - interval '2 days' WHERE id = $1"
        }
    };
    let mut tx = app.db.begin().await.expect("begin");
    tx.execute(two_days_back, &[job.id.get().into()]).await.expect("move the failure back");
    tx.commit().await.expect("commit");
    let unreachable = status(&app).await;
    let warning =
        unreachable["warnings"].as_array().expect("warnings").iter().find(|w| w["code"] == "player_unreachable");
    assert!(warning.and_then(|w| w["message"].as_str()).is_some_and(|m| m.contains("Bedroom")), "{unreachable}");

    // The dashboard shows the panel and the warnings.
    let ui = crate::ui::UiClient::new(&app);
    let page = ui.get("/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"system-status\"") && page.body.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-code=\"player_unreachable\"") && page.body.contains("data-code=\"schedule_failing\"")
    );

    // Without the key: refused; with an unknown query parameter: refused.
    let bare = app.client.get(app.url("/system/status")).send().await.expect("request");
    assert_eq!(bare.status().as_u16(), 401);
    assert_eq!(app.get("/system/status?verbose=1").await.0, 400);
    app.stop().await;
}
app_test!(the_status_tells_sizes_queue_schedules_and_warnings);
