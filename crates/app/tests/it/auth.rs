//! The API key guards every `/api/v1` route except health; errors use the JSON error shape.

use crate::helpers::{Backend, TestApp};
use serde_json::Value;

async fn health_needs_no_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.client.get(app.url("/health")).send().await.expect("request sent");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["status"], "ok");
    app.stop().await;
}
app_test!(health_needs_no_key);

async fn api_without_or_with_a_wrong_key_is_unauthorized(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/jobs", "/jobs/stats", "/jobs/1", "/schedules", "/events"] {
        let response = app.client.get(app.url(path)).send().await.expect("request sent");
        assert_eq!(response.status().as_u16(), 401, "{path} without a key");
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");

        let response = app
            .client
            .get(app.url(path))
            .header("X-Api-Key", "wrong-key-wrong-key")
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status().as_u16(), 401, "{path} with a wrong key");
        let response = app.client.get(app.url(&format!("{path}?apikey=wrong"))).send().await.expect("request sent");
        assert_eq!(response.status().as_u16(), 401, "{path} with a wrong query key");
    }
    let response = app.client.post(app.url("/jobs/1/cancel")).send().await.expect("request sent");
    assert_eq!(response.status().as_u16(), 401);
    app.stop().await;
}
app_test!(api_without_or_with_a_wrong_key_is_unauthorized);

async fn key_is_accepted_in_header_and_query(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.client.get(app.url("/jobs")).header("X-Api-Key", &app.api_key).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let response =
        app.client.get(app.url(&format!("/jobs?apikey={}&limit=5", app.api_key))).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert!(body["items"].is_array(), "{body}");
    app.stop().await;
}
app_test!(key_is_accepted_in_header_and_query);

async fn configured_key_is_used_and_no_file_written(backend: Backend) {
    let key = "configured-test-key-0123456789";
    let app = TestApp::spawn_with(backend, &[("METARR_API_KEY", key)]).await;
    assert_eq!(app.api_key, key);
    assert!(!app.data_dir.path().join("api_key").exists());
    let response = app.client.get(app.url("/jobs")).header("X-Api-Key", key).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    app.stop().await;
}
app_test!(configured_key_is_used_and_no_file_written);

async fn generated_key_file_is_private(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(backend).await;
    let path = app.data_dir.path().join("api_key");
    let stored = std::fs::read_to_string(&path).expect("key file exists");
    assert_eq!(stored.trim(), app.api_key);
    assert_eq!(app.api_key.len(), 32);
    let mode = std::fs::metadata(&path).expect("key file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
    app.stop().await;
}
app_test!(generated_key_file_is_private);

async fn unknown_routes_and_oversized_bodies_answer_json_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get("/no-such-thing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    let (status, body) = app.send(app.client.patch(app.url("/jobs"))).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");

    let huge = format!("{{\"cron\":\"{}\",\"enabled\":true}}", "x".repeat(2 * 1024 * 1024));
    let (status, body) = app
        .send(app.client.put(app.url("/schedules/cleanup")).header("Content-Type", "application/json").body(huge))
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    app.stop().await;
}
app_test!(unknown_routes_and_oversized_bodies_answer_json_errors);

async fn server_errors_are_500_with_a_generic_message(backend: Backend) {
    use sqlx::Connection;
    let app = TestApp::spawn(backend).await;
    // Break the database under the running app: its next query fails on Metarr's side.
    match &app.postgres_url {
        Some(url) => {
            let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query("DROP TABLE jobs CASCADE").execute(&mut connection).await.expect("drop table");
        }
        None => {
            let url = format!("sqlite://{}", app.data_dir.path().join("metarr.db").display());
            let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("connect");
            sqlx::query("DROP TABLE jobs").execute(&mut connection).await.expect("drop table");
        }
    }
    let (status, body) = app.get("/jobs").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "internal");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(!message.contains("jobs"), "internal details stay in the log: {message}");
    app.stop().await;
}
app_test!(server_errors_are_500_with_a_generic_message);
