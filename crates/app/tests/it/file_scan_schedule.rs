//! The `file-scan:<library id>` schedules: created with their library (every 6 hours), edited
//! and switched off through the API and the settings page, run to a completed scan, skipped for
//! a disabled library, deleted with their library, and given to existing libraries on upgrade.

use crate::helpers::{Backend, TestApp, job_id};
use crate::retention::wait_for_scan;
use crate::ui::UiClient;
use metarr::jobs::file_scan::DEFAULT_CRON;
use metarr_queue::{JobId, JobState};
use serde_json::{Value, json};

/// A library folder with one movie folder, created through the API; returns the library's id.
async fn library(app: &TestApp, dir: &std::path::Path, enabled: bool) -> i64 {
    let folder = dir.join("Heat (1995)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::write(folder.join("Heat (1995).mkv"), b"not really a video").expect("video file");
    let (status, library) = app.post_json("/libraries", &json!({ "path": dir, "enabled": enabled })).await;
    assert_eq!(status, 201, "{library}");
    library["id"].as_i64().expect("library id")
}

async fn schedule(app: &TestApp, name: &str) -> Option<Value> {
    let (status, list) = app.get("/schedules").await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().expect("items").iter().find(|schedule| schedule["name"] == name).cloned()
}

/// Runs the schedule now and waits for its job to complete; returns the job.
async fn run(app: &TestApp, name: &str) -> metarr_queue::Job {
    let (status, job) = app.post(&format!("/schedules/{name}/run")).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "scheduled-file-scan");
    app.wait_for_state(job_id(&job["id"]), JobState::Completed).await
}

async fn scans_of(app: &TestApp, library_id: i64) -> Vec<Value> {
    let (status, list) = app.get(&format!("/scans?library_id={library_id}")).await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().expect("items").clone()
}

async fn a_library_has_a_six_hour_file_scan_schedule_until_it_is_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let id = library(&app, dir.path(), true).await;
    let name = format!("file-scan:{id}");

    let created = schedule(&app, &name).await.unwrap_or_else(|| panic!("{name} is listed"));
    assert_eq!(created["kind"], "scheduled-file-scan");
    assert_eq!(created["library_id"], id);
    assert_eq!(created["cron"], DEFAULT_CRON);
    assert_eq!(created["cron"], "0 */6 * * *");
    assert_eq!(created["enabled"], true);
    let next = chrono::DateTime::parse_from_rfc3339(created["next_run_at"].as_str().expect("next run")).expect("time");
    assert!(next <= chrono::Utc::now() + chrono::Duration::hours(6), "within 6 hours: {created}");

    let (status, changed) =
        app.put_json(&format!("/schedules/{name}"), &json!({ "cron": "30 2 * * *", "enabled": false })).await;
    assert_eq!(status, 200, "{changed}");
    let listed = schedule(&app, &name).await.expect("still listed");
    assert_eq!((&listed["cron"], &listed["enabled"]), (&json!("30 2 * * *"), &json!(false)));
    assert!(listed["next_run_at"].is_null(), "off: {listed}");
    // Editing the library keeps the user's schedule.
    let (status, body) =
        app.put_json(&format!("/libraries/{id}"), &json!({ "path": dir.path(), "name": "Films" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(schedule(&app, &name).await.expect("still listed")["cron"], "30 2 * * *");

    let (status, body) = app.delete(&format!("/libraries/{id}")).await;
    assert!(status == 204 || status == 200, "{status} {body}");
    assert!(schedule(&app, &name).await.is_none(), "the schedule went with its library");
    let (status, _) = app.post(&format!("/schedules/{name}/run")).await;
    assert_eq!(status, 404);
    app.stop().await;
}
app_test!(a_library_has_a_six_hour_file_scan_schedule_until_it_is_deleted);

async fn running_the_schedule_scans_its_library_and_skips_a_disabled_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dirs = tempfile::tempdir().expect("library folders");
    let enabled = library(&app, &dirs.path().join("on"), true).await;
    let disabled = library(&app, &dirs.path().join("off"), false).await;

    let job = run(&app, &format!("file-scan:{enabled}")).await;
    let scans = scans_of(&app, enabled).await;
    assert_eq!(scans.len(), 1, "{scans:?}");
    let message = job.progress.and_then(|progress| progress.message).unwrap_or_default();
    assert!(message.starts_with(&format!("scan {} of library {enabled}", scans[0]["id"])), "{message}");
    let scan = wait_for_scan(&app, scans[0]["id"].as_i64().expect("scan id")).await;
    assert_eq!(scan["phase"], "completed", "{scan}");
    assert_eq!(scan["movies_found"], 1, "{scan}");

    let job = run(&app, &format!("file-scan:{disabled}")).await;
    let message = job.progress.and_then(|progress| progress.message).unwrap_or_default();
    assert!(message.contains("is disabled; not scanned"), "{message}");
    assert!(scans_of(&app, disabled).await.is_empty(), "a disabled library is not scanned");
    app.stop().await;
}
app_test!(running_the_schedule_scans_its_library_and_skips_a_disabled_one);

async fn file_scan_schedules_are_edited_on_the_settings_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let id = library(&app, &dir.path().join("Films"), true).await;
    let name = format!("file-scan:{id}");
    let ui = UiClient::new(&app);

    let page = ui.get("/settings/schedules").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("id=\"schedule-{name}\"")), "{}", page.body);
    assert!(page.body.contains("Scans library <a href=\"/libraries/"), "names its library: {}", page.body);
    assert!(page.body.contains(">Films</a>"), "{}", page.body);

    let page = ui.post_form(&format!("/settings/schedules/{name}"), &[("cron", "15 */12 * * *")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/schedules")), "{}", page.body);
    let listed = schedule(&app, &name).await.expect("listed");
    assert_eq!((&listed["cron"], &listed["enabled"]), (&json!("15 */12 * * *"), &json!(false)), "{listed}");
    let page =
        ui.post_form(&format!("/settings/schedules/{name}"), &[("cron", "0 */6 * * *"), ("enabled", "on")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(schedule(&app, &name).await.expect("listed")["enabled"], true);

    let page = ui.post_form(&format!("/settings/schedules/{name}/run"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let job_id: JobId = page
        .location
        .as_deref()
        .and_then(|location| location.strip_prefix("/settings/schedules?job="))
        .and_then(|id| id.parse().ok())
        .expect("job id");
    app.wait_for_state(job_id, JobState::Completed).await;
    assert_eq!(scans_of(&app, id).await.len(), 1, "Run now started a scan");
    app.stop().await;
}
app_test!(file_scan_schedules_are_edited_on_the_settings_page);

/// A library from before the schedules existed gets one when migration 20008 runs: the test
/// takes the database back to before it, then migrates again.
async fn existing_libraries_get_their_schedule_on_upgrade(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let dir = tempfile::tempdir().expect("library folder");
    let id = library(&app, dir.path(), true).await;
    let name = format!("file-scan:{id}");
    let mut undo = match backend {
        Backend::Sqlite => vec![
            "DROP TRIGGER libraries_file_scan_schedule_created",
            "DROP TRIGGER libraries_file_scan_schedule_deleted",
        ],
        Backend::Postgres(_) => vec![
            "DROP TRIGGER libraries_file_scan_schedule ON libraries",
            "DROP FUNCTION metarr_library_file_scan_schedule()",
        ],
    };
    undo.extend([
        "DELETE FROM schedules WHERE name LIKE 'file-scan:%'",
        "DELETE FROM _sqlx_migrations WHERE version = 20008",
    ]);
    for statement in undo {
        app.db.execute(statement, &[]).await.unwrap_or_else(|err| panic!("{statement}: {err}"));
    }
    assert!(schedule(&app, &name).await.is_none());

    app.db.migrate().await.expect("migrates again");
    let upgraded = schedule(&app, &name).await.unwrap_or_else(|| panic!("{name} after the upgrade"));
    assert_eq!((&upgraded["kind"], &upgraded["cron"]), (&json!("scheduled-file-scan"), &json!(DEFAULT_CRON)));
    assert_eq!(upgraded["enabled"], true);
    app.stop().await;
}
app_test!(existing_libraries_get_their_schedule_on_upgrade);

/// Two processes sharing PostgreSQL (this app's scheduler, its queue and a second queue) all try
/// to fire a due slot of a library's schedule: one job, one scan.
async fn a_due_slot_scans_once_across_processes(backend: Backend) {
    use chrono::Timelike;
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let id = library(&app, dir.path(), true).await;
    let name = format!("file-scan:{id}");
    // Daily at the minute an hour ago, changed two days ago: yesterday's and today's slots passed
    // (they coalesce into today's) and the next is 23 hours away, so no later slot joins in.
    let hour_ago = chrono::Local::now() - chrono::Duration::hours(1);
    let cron = format!("{} {} * * *", hour_ago.minute(), hour_ago.hour());
    app.db
        .execute(
            "UPDATE schedules SET cron = $1, updated_at = now() - interval '2 days' WHERE name = $2",
            &[cron.into(), name.clone().into()],
        )
        .await
        .expect("a due slot");
    let second = metarr_queue::Queue::connect(app.postgres_url.as_deref().expect("PostgreSQL")).await.expect("queue");
    let (first, other) = tokio::join!(app.queue.fire_due_schedules(), second.fire_due_schedules());
    let fired = first.expect("fires").len() + other.expect("fires").len();
    assert!(fired <= 1, "{fired} jobs for one slot");

    let (_, jobs) = app.get("/jobs?kind=scheduled-file-scan").await;
    let jobs = jobs["items"].as_array().expect("items").clone();
    assert_eq!(jobs.len(), 1, "one slot, one job: {jobs:?}");
    assert_eq!(jobs[0]["payload"]["schedule"], name.as_str());
    assert!(jobs[0]["payload"]["slot"].is_string(), "{:?}", jobs[0]);
    app.wait_for_state(job_id(&jobs[0]["id"]), JobState::Completed).await;
    let scans = scans_of(&app, id).await;
    assert_eq!(scans.len(), 1, "{scans:?}");
    assert_eq!(wait_for_scan(&app, scans[0]["id"].as_i64().expect("scan id")).await["phase"], "completed");
    app.stop().await;
}
pg_test!(a_due_slot_scans_once_across_processes);

/// The schedule's job runs again after it started its scan (its worker died before
/// acknowledging; here the finished job is put back to pending, as a rescue does): the scan it
/// started covers the slot, and no second scan is started.
async fn a_file_scan_job_that_runs_twice_starts_one_scan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library folder");
    let id = library(&app, dir.path(), true).await;
    let job = run(&app, &format!("file-scan:{id}")).await;
    let scans = scans_of(&app, id).await;
    assert_eq!(scans.len(), 1, "{scans:?}");
    wait_for_scan(&app, scans[0]["id"].as_i64().expect("scan id")).await;

    app.db
        .execute(
            "UPDATE jobs SET state = 'pending', finished_at = NULL, run_at = created_at WHERE id = $1",
            &[job.id.into()],
        )
        .await
        .expect("put the job back");
    let again = app.wait_for_state(job.id, JobState::Completed).await;
    let message = again.progress.and_then(|progress| progress.message).unwrap_or_default();
    assert!(message.contains("covers this slot"), "{message}");
    assert_eq!(scans_of(&app, id).await.len(), 1, "a second scan was started");
    app.stop().await;
}
app_test!(a_file_scan_job_that_runs_twice_starts_one_scan);
