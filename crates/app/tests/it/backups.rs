//! Backups through the real server and the real binary: one taken while a scan and a burst of
//! webhooks run, listed and downloaded through the API, restored by `metarr restore` into a fresh
//! data directory (and, on PostgreSQL, a fresh schema of the same name), where a new Metarr
//! serves the same catalogue; a restore over a Metarr, a file that is no backup and a name that
//! is no backup's are refused.

use crate::helpers::{Backend, TestApp};
use crate::scan::wait_for_scan;
use metarr::ids::ScanId;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn library(root: &Path, count: usize) {
    for n in 0..count {
        let folder = root.join(format!("Film {n:02} (20{n:02})"));
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join(format!("Film {n:02} (20{n:02}).mkv")), b"not really a video").expect("video");
        std::fs::write(
            folder.join("movie.nfo"),
            format!("<movie><title>Film number {n}</title><plot>Plot {n}.</plot></movie>"),
        )
        .expect("nfo");
    }
}

/// The catalogue as a user sees it: each movie's title, folder and plot.
async fn catalogue(app: &TestApp) -> Vec<(String, String, String)> {
    let (status, list) = app.get("/movies?limit=500").await;
    assert_eq!(status, 200, "{list}");
    let mut movies: Vec<(String, String, String)> = Vec::new();
    for item in list["items"].as_array().expect("items") {
        let (_, movie) = app.get(&format!("/movies/{}", item["id"])).await;
        movies.push((
            movie["title"].as_str().unwrap_or_default().to_owned(),
            movie["folder"].as_str().unwrap_or_default().to_owned(),
            movie["plot"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    movies.sort();
    movies
}

fn metarr(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_metarr"));
    command.args(args).env("METARR_DATA_DIR", data_dir).env_remove("METARR_DATABASE_URL");
    if let Some(url) = database_url {
        command.env("METARR_DATABASE_URL", url);
    }
    command.output().expect("metarr runs")
}

async fn a_backup_taken_while_metarr_works_restores_the_same_catalogue(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    library(&root, 20);
    let (status, lib) = app.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
    assert_eq!(status, 201, "{lib}");
    let (_, scan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    wait_for_scan(&app.db, ScanId(scan["id"].as_i64().expect("id")), Duration::from_secs(60)).await;
    let before = catalogue(&app).await;
    assert_eq!(before.len(), 20);

    // A backup while a rescan and a burst of webhooks run.
    let (_, rescan) = app.post(&format!("/libraries/{}/scan", lib["id"])).await;
    let app_ref = &app;
    let burst = (0..20).map(|n| {
        let body = json!({ "eventType": "Test", "instanceName": format!("Radarr {n}") });
        async move { app_ref.post_json("/webhooks/radarr", &body).await.0 }
    });
    let (statuses, (status, job)) = tokio::join!(futures::future::join_all(burst), app.post("/backups"));
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "scheduled-backup");
    let done = loop {
        let (_, now) = app.get(&format!("/jobs/{}", job["id"])).await;
        if now["state"] == "completed" || now["state"] == "failed" || now["attempt"].as_i64() > Some(1) {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["state"], "completed", "{done}");
    wait_for_scan(&app.db, ScanId(rescan["id"].as_i64().expect("id")), Duration::from_secs(60)).await;

    // Listed and downloadable; a name that is no backup's is not served.
    let (status, list) = app.get("/backups").await;
    assert_eq!(status, 200, "{list}");
    let name = list["items"][0]["name"].as_str().expect("a backup").to_owned();
    assert_eq!(list["total"], 1, "{list}");
    let response = app.client.get(app.url(&format!("/backups/{name}"))).header("X-Api-Key", &app.api_key).send().await;
    let response = response.expect("download");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-disposition"].to_str().expect("ascii").contains(&name));
    let downloaded = response.bytes().await.expect("bytes");
    let on_disk = app.data_dir.path().join("backups").join(&name);
    assert_eq!(downloaded.as_ref(), std::fs::read(&on_disk).expect("backup file").as_slice());
    for bad in ["api_key", "..%2Fapi_key", "metarr-backup-x.tar.gz", "metarr.db"] {
        let (status, body) = app.get(&format!("/backups/{bad}")).await;
        assert_eq!(status, 404, "{bad}: {body}");
    }
    // The UI lists it with a download link, and backs up on request.
    let ui = crate::ui::UiClient::new(&app);
    let page = ui.get("/settings/backups").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("href=\"/settings/backups/{name}\"")), "{}", page.body);
    let file = ui.get(&format!("/settings/backups/{name}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(ui.get("/settings/backups/api_key").await.status, 404);
    let now = ui.post_form("/settings/backups/now", &[]).await;
    assert_eq!(now.status, 303);
    assert!(now.location.as_deref().is_some_and(|at| at.starts_with("/jobs/")), "{:?}", now.location);
    crate::enrich::wait_for_kind(&app, "scheduled-backup").await;
    let (_, list) = app.get("/backups").await;
    assert_eq!(list["total"], 2, "{list}");
    let saved = tempfile::tempdir().expect("saved");
    let backup_file = saved.path().join(&name);
    std::fs::write(&backup_file, &downloaded).expect("saved backup");

    // The user's Metarr is gone; the backup goes into a fresh data directory (and schema).
    let old_data_dir = app.data_dir.path().to_owned();
    let old_key = app.api_key.clone();
    let schema_name =
        app.postgres_url.as_deref().and_then(|url| url.rsplit("search_path%3D").next()).map(str::to_owned);
    assert!(
        metarr(&old_data_dir, app.postgres_url.as_deref(), &["restore", backup_file.to_str().expect("utf-8")])
            .stderr
            .windows(7)
            .any(|w| w == b"refused"),
        "a restore over a Metarr is refused"
    );
    app.stop().await;
    let restored_dir = tempfile::tempdir().expect("restored data");
    let mut restored_url = None;
    if let (Backend::Postgres(server), Some(schema)) = (&backend, &schema_name) {
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(server).await.expect("server");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut connection).await.expect("schema");
        let separator = if server.contains('?') { '&' } else { '?' };
        restored_url = Some(format!("{server}{separator}options=-c%20search_path%3D{schema}"));
    }
    let not_a_backup = saved.path().join("notes.tar");
    std::fs::write(&not_a_backup, b"plain text").expect("file");
    let refused =
        metarr(restored_dir.path(), restored_url.as_deref(), &["restore", not_a_backup.to_str().expect("utf-8")]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a Metarr backup"), "{refused:?}");
    let restore =
        metarr(restored_dir.path(), restored_url.as_deref(), &["restore", backup_file.to_str().expect("utf-8")]);
    assert!(restore.status.success(), "{}", String::from_utf8_lossy(&restore.stderr));
    assert!(String::from_utf8_lossy(&restore.stdout).contains("restored the"), "{restore:?}");

    let extra: Vec<(&str, &str)> =
        restored_url.as_deref().map(|url| vec![("METARR_DATABASE_URL", url)]).unwrap_or_default();
    let restored = TestApp::spawn_in(restored_dir, None, &extra).await;
    assert_eq!(restored.api_key, old_key, "the API key came back too");
    assert_eq!(catalogue(&restored).await, before, "the same catalogue");
    let (_, libraries) = restored.get("/libraries").await;
    assert_eq!(libraries["items"][0]["path"], root.display().to_string(), "{libraries}");
    restored.stop().await;
    if let (Backend::Postgres(server), Some(schema)) = (&backend, &schema_name) {
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(server).await.expect("server");
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut connection).await.expect("drop");
    }
}
app_test!(a_backup_taken_while_metarr_works_restores_the_same_catalogue);
