//! Issue 18, logs: the recent lines through `GET /api/v1/system/logs` (scrubbed, bounded,
//! filtered by level), the log filter changed at run time through `PUT /api/v1/system/logging`
//! and Settings › Logs, kept across restarts unless `RUST_LOG` says otherwise, and JSON lines
//! from a real `metarr serve` with `METARR_LOG_FORMAT=json`.
//!
//! The test binary has one global subscriber (`helpers::init_logging`), which the application
//! reaches through `telemetry::LogControl::installed()`: what a test logs with `tracing` lands in
//! the same ring the API serves. Tests that change the filter hold [`FILTER_LOCK`], since under
//! `cargo test` they share that one subscriber.

use crate::helpers::{Backend, TestApp, TestDatabase};
use crate::secrets_in_logs::Serve;
use crate::ui::UiClient;
use metarr::telemetry::{LogControl, RING_CAPACITY};
use serde_json::{Value, json};
use std::time::Duration;

/// Held by every test that changes (or reads back) the process-wide log filter.
static FILTER_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A marker no other line holds.
fn marker(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

/// Every line of `GET /system/logs` with `query`, after checking it answered 200.
async fn lines(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/system/logs{query}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["capacity"], RING_CAPACITY, "{body}");
    body["items"].as_array().expect("items").clone()
}

fn holding<'a>(lines: &'a [Value], text: &str) -> Vec<&'a Value> {
    lines.iter().filter(|line| line["line"].as_str().is_some_and(|line| line.contains(text))).collect()
}

app_test!(logged_lines_are_served_scrubbed_and_filtered_by_level);
async fn logged_lines_are_served_scrubbed_and_filtered_by_level(backend: Backend) {
    // Under a debug filter set by another test, other tests' lines could push ours out.
    let _filter = FILTER_LOCK.lock().await;
    let app = TestApp::spawn(backend).await;
    // A key set through the API is registered with the scrubber, as every secret is.
    let secret = marker("tmdb-key-in-the-ring");
    let (status, body) = app.put_json("/providers/tmdb", &json!({ "api_key": secret })).await;
    assert_eq!(status, 200, "{body}");

    let info = marker("info-line");
    let warning = marker("warn-line");
    tracing::info!(target: "metarr::it::logs", movie_id = 7, "{info} holds the key {secret}");
    tracing::warn!(target: "metarr::it::logs", key = %secret, "{warning}");

    let all = lines(&app, "?limit=5000").await;
    let kept = holding(&all, &info);
    assert_eq!(kept.len(), 1, "the line logged is served");
    let line = kept[0];
    assert_eq!((line["level"].as_str(), line["target"].as_str()), (Some("info"), Some("metarr::it::logs")));
    assert!(line["line"].as_str().is_some_and(|text| text.contains("holds the key *** movie_id=7")), "{line}");
    assert!(line["seq"].as_u64().is_some() && line["time"].is_string(), "{line}");
    let warned = holding(&all, &warning);
    assert!(warned[0]["line"].as_str().is_some_and(|text| text.contains("key=***")), "{}", warned[0]);
    assert!(holding(&all, &secret).is_empty(), "the key never appears in the ring");
    let seqs: Vec<u64> = all.iter().filter_map(|line| line["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "newest last: {seqs:?}");

    let warnings = lines(&app, "?level=warn&limit=5000").await;
    assert_eq!(holding(&warnings, &warning).len(), 1, "the warning is served under level=warn");
    assert!(holding(&warnings, &info).is_empty(), "the info line is not");
    assert!(warnings.iter().all(|line| matches!(line["level"].as_str(), Some("warn" | "error"))));

    // `after` answers only what came later: a client polls with the last seq it saw.
    let last_seq = warned[0]["seq"].as_u64().expect("seq");
    let later = marker("later-line");
    tracing::info!(target: "metarr::it::logs", "{later}");
    let after = lines(&app, &format!("?after={last_seq}&limit=5000")).await;
    assert!(holding(&after, &warning).is_empty() && holding(&after, &later).len() == 1);
    app.stop().await;
}

app_test!(the_ring_never_grows_beyond_its_bound);
async fn the_ring_never_grows_beyond_its_bound(backend: Backend) {
    let _filter = FILTER_LOCK.lock().await;
    let app = TestApp::spawn(backend).await;
    let prefix = marker("bound");
    let written = RING_CAPACITY + 500;
    for index in 0..written {
        tracing::info!(target: "metarr::it::logs", "{prefix} line {index:05}");
    }
    assert!(LogControl::installed().ring().len() <= RING_CAPACITY);

    let (status, body) = app.get("/system/logs?limit=5000").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), RING_CAPACITY, "a full ring answers its capacity, no more");
    assert_eq!(body["total"], RING_CAPACITY, "{}", body["total"]);
    let ours = holding(items, &prefix);
    assert!(!ours.is_empty() && ours.len() <= RING_CAPACITY);
    let last = format!("{prefix} line {:05}", written - 1);
    assert!(ours.last().and_then(|line| line["line"].as_str()).is_some_and(|text| text.ends_with(&last)));
    assert!(holding(items, &format!("{prefix} line 00000")).is_empty(), "the oldest lines went first");
    app.stop().await;
}

app_test!(a_level_change_takes_effect_at_once_and_is_kept);
async fn a_level_change_takes_effect_at_once_and_is_kept(backend: Backend) {
    let _filter = FILTER_LOCK.lock().await;
    let app = TestApp::spawn(backend).await;
    // A known starting point, whatever RUST_LOG the tests run with.
    let (status, body) = app.put_json("/system/logging", &json!({ "level": "info" })).await;
    assert_eq!((status, body["level"].as_str()), (200, Some("info")), "{body}");

    let before = marker("debug-before");
    tracing::debug!(target: "metarr::it::logs", "{before}");
    let (status, body) = app.put_json("/system/logging", &json!({ "level": "debug" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["level"].as_str(), body["stored"].as_str()), (Some("debug"), Some("debug")), "{body}");
    let after = marker("debug-after");
    tracing::debug!(target: "metarr::it::logs", "{after}");

    let debug = lines(&app, "?level=debug&limit=5000").await;
    assert!(holding(&debug, &before).is_empty(), "no debug line before the change");
    let kept = holding(&debug, &after);
    assert_eq!(kept.len(), 1, "a debug line right after the change");
    assert_eq!(kept[0]["level"], "debug");
    assert!(!holding(&debug, "log filter changed").is_empty(), "the change itself is logged");
    let (status, body) = app.get("/system/logging").await;
    assert_eq!((status, body["level"].as_str(), body["format"].as_str()), (200, Some("debug"), Some("text")));

    // A whole filter: debug for Metarr's own lines only.
    let (status, body) = app.put_json("/system/logging", &json!({ "level": "warn,metarr=debug" })).await;
    assert_eq!((status, body["level"].as_str()), (200, Some("metarr=debug,warn")), "{body}");
    let other = marker("other-info");
    tracing::info!(target: "sqlx::it", "{other}");
    let ours = marker("ours-debug");
    tracing::debug!(target: "metarr::it::logs", "{ours}");
    let served = lines(&app, "?limit=5000").await;
    assert!(holding(&served, &other).is_empty() && holding(&served, &ours).len() == 1);

    // null goes back to the start-up filter and forgets the stored one.
    let (status, body) = app.put_json("/system/logging", &json!({ "level": null })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stored"], Value::Null, "{body}");
    assert_eq!(body["level"], body["default"], "{body}");
    app.stop().await;
}

app_test!(bad_log_queries_and_filters_are_refused_with_a_clear_400);
async fn bad_log_queries_and_filters_are_refused_with_a_clear_400(backend: Backend) {
    let _filter = FILTER_LOCK.lock().await;
    let app = TestApp::spawn(backend).await;
    for (query, says) in [
        ("?level=garbage", "level must be one of error, warn, info, debug, trace, got \"garbage\""),
        ("?limit=1000000", "limit must be an integer from 1 to 5000, got \"1000000\""),
        ("?limit=99999999999999999999999999", "limit must be an integer from 1 to 5000"),
        ("?limit=0", "limit must be an integer from 1 to 5000, got \"0\""),
        ("?limit=ten", "limit must be an integer"),
        ("?after=yesterday", "after must be"),
        ("?lvl=debug", "unknown query parameter \"lvl\""),
    ] {
        let (status, body) = app.get(&format!("/system/logs{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{query}: {message}");
    }

    let (_, before) = app.get("/system/logging").await;
    let long = "a=info,".repeat(300);
    for (input, says) in [
        (json!({ "level": "garbage" }), "level: \"garbage\" is not a level"),
        (json!({ "level": "info,metarr=loud" }), "level: \"metarr=loud\" is not a level"),
        (json!({ "level": "" }), "level: must not be empty"),
        (json!({ "level": long }), "level: is longer than 1000 characters"),
        (json!({ "level": "metarr[=debug" }), "is not a valid filter"),
        (json!({}), "level is required"),
        (json!({ "level": 3 }), "level"),
        (json!({ "level": "debug", "persist": true }), "persist"),
    ] {
        let (status, body) = app.put_json("/system/logging", &input).await;
        assert_eq!(status, 400, "{input}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{input}: {message}");
    }
    let (_, after) = app.get("/system/logging").await;
    assert_eq!(before, after, "a refused filter changes nothing");
    assert_eq!(after["stored"], Value::Null);

    let response = app.client.get(app.url("/system/logs")).header("X-Api-Key", "wrong").send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 401, "the logs need the API key");
    app.stop().await;
}

app_test!(settings_logs_page_shows_lines_and_changes_the_level);
async fn settings_logs_page_shows_lines_and_changes_the_level(backend: Backend) {
    let _filter = FILTER_LOCK.lock().await;
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let warning = marker("ui-warning");
    let info = marker("ui-info");
    tracing::warn!(target: "metarr::it::logs", "{warning} <b>not markup</b>");
    tracing::info!(target: "metarr::it::logs", "{info}");

    let page = ui.get("/settings/logs").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&warning) && page.body.contains(&info), "the recent lines are shown");
    assert!(page.body.contains("not markup") && !page.body.contains("<b>not markup"), "lines are escaped");
    assert!(page.body.contains("href=\"/settings/logs\" aria-current=\"page\""), "in the settings navigation");
    let page = ui.get("/settings/logs?level=warn").await;
    assert!(page.body.contains(&warning) && !page.body.contains(&info), "the level filter hides info lines");
    let page = ui.get("/settings/logs?level=loud").await;
    assert_eq!(page.status, 400, "{}", page.body);

    let page = ui.post_form("/settings/logs/level", &[("level", "verbose")]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("id=\"level-error\"") && page.body.contains("verbose&#34; is not a level"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"verbose\""), "the typed value is shown again");
    let page = ui.post_raw("/settings/logs/level", &[("level", "debug")]).await;
    assert_eq!(page.status, 403, "a form without the CSRF token changes nothing: {}", page.body);

    let page = ui.post_form("/settings/logs/level", &[("level", "debug")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/logs?saved=1")), "{}", page.body);
    let (_, body) = app.get("/system/logging").await;
    assert_eq!((body["level"].as_str(), body["stored"].as_str()), (Some("debug"), Some("debug")), "{body}");
    let page = ui.get("/settings/logs?saved=1").await;
    assert!(page.body.contains("<dd class=\"mono\" id=\"filter-in-force\">debug</dd>"), "{}", page.body);

    let page = ui.post_form("/settings/logs/reset", &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, body) = app.get("/system/logging").await;
    assert_eq!(body["stored"], Value::Null, "{body}");
    app.stop().await;
}

/// A `metarr serve` on `database` in `dir` with the API key `API_KEY` and no `RUST_LOG` unless given.
fn serve(dir: &std::path::Path, database: &TestDatabase, env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_metarr"));
    command
        .arg("serve")
        .current_dir(dir)
        .env("METARR_DATA_DIR", dir)
        .env("METARR_DATABASE_URL", &database.url)
        .env("METARR_BIND", "127.0.0.1:0")
        .env("METARR_API_KEY", API_KEY)
        .env("METARR_WORKER__SHUTDOWN_GRACE_SECS", "2")
        .env_remove("RUST_LOG")
        .env_remove("METARR_CONFIG")
        .env_remove("METARR_LOG_FORMAT")
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

const API_KEY: &str = "json-log-apikey-Secret-0123456789";

async fn api(serve: &Serve, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client");
    let mut request = client.request(method, format!("{}/api/v1{path}", serve.address)).header("X-Api-Key", API_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request sent");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

app_test!(json_logs_and_a_stored_level_across_restarts_of_serve);
async fn json_logs_and_a_stored_level_across_restarts_of_serve(backend: Backend) {
    let dir = tempfile::tempdir().expect("data directory");
    let database = TestDatabase::create(&backend, dir.path()).await;

    // 1. JSON lines; the level set through the API is stored.
    let first = Serve::start(serve(dir.path(), &database, &[("METARR_LOG_FORMAT", "json")])).await;
    let (status, body) = api(&first, reqwest::Method::GET, "/system/logging", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["level"].as_str(), body["format"].as_str()), (Some("info"), Some("json")), "{body}");
    assert_eq!(body["from_environment"], false, "{body}");
    let (status, body) = api(&first, reqwest::Method::PUT, "/system/logging", Some(json!({ "level": "debug" }))).await;
    assert_eq!((status, body["level"].as_str()), (200, Some("debug")), "{body}");
    let log = first.stop().await;
    assert!(!log.contains(API_KEY), "the API key never reaches the log:\n{log}");
    let mut messages = Vec::new();
    for line in log.lines().filter(|line| !line.trim().is_empty()) {
        let json: Value = serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
        assert!(json["level"].is_string() && json["target"].is_string() && json["timestamp"].is_string(), "{line}");
        assert!(json["fields"].is_object(), "{line}");
        messages.push((json["level"].as_str().unwrap_or_default().to_owned(), json["fields"]["message"].clone()));
    }
    assert!(messages.iter().any(|(_, message)| message == "log filter changed"), "{log}");
    assert!(messages.iter().any(|(level, _)| level == "DEBUG"), "debug lines follow the change: {log}");

    // 2. The stored level is back at the next start, in the text format.
    let second = Serve::start(serve(dir.path(), &database, &[])).await;
    let (status, body) = api(&second, reqwest::Method::GET, "/system/logging", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["level"].as_str(), body["stored"].as_str()), (Some("debug"), Some("debug")), "{body}");
    let log = second.stop().await;
    assert!(log.lines().any(|line| line.contains(" DEBUG ")), "debug from the start:\n{log}");
    assert!(log.contains("log filter from Settings in force"), "{log}");

    // 3. RUST_LOG wins at start-up; the stored level stays stored.
    let rust_log = "warn,metarr::startup=info";
    let third = Serve::start(serve(dir.path(), &database, &[("RUST_LOG", rust_log)])).await;
    let (status, body) = api(&third, reqwest::Method::GET, "/system/logging", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["from_environment"], true, "{body}");
    assert_eq!(body["stored"], "debug", "{body}");
    assert_eq!(body["level"], body["default"], "{body}");
    assert!(body["level"].as_str().is_some_and(|level| level.contains("warn")), "{body}");
    let log = third.stop().await;
    assert!(!log.lines().any(|line| line.contains(" DEBUG ")), "RUST_LOG's filter is in force:\n{log}");
}
