//! User-notification settings (secrets write-only), test sends, and the fan-out from a Radarr
//! Download to a local stand-in for Discord's webhook endpoint.

use crate::helpers::{Backend, TestApp, job_id};
use crate::webhooks::{fixture, library_and_mapping, library_with_movie, post_raw, settled};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in received: method, path with query, content type, JSON body.
pub(crate) type Received = Arc<Mutex<Vec<(String, String, String, Value)>>>;

/// A Discord webhook stand-in on 127.0.0.1:0 answering 204 like Discord without `?wait=true`.
pub(crate) async fn discord_stand_in() -> (String, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let app = Router::new().fallback(move |request: axum::extract::Request| {
        let sink = Arc::clone(&sink);
        async move {
            let method = request.method().to_string();
            let path = request.uri().to_string();
            let headers: HeaderMap = request.headers().clone();
            let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
            let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            sink.lock().expect("lock").push((method, path, content_type, json));
            StatusCode::NO_CONTENT
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/api/webhooks/123/secret-token"), received)
}

async fn notification_settings_keep_secrets_write_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get("/notifications").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 3);
    let services: Vec<&str> =
        body["items"].as_array().expect("items").iter().filter_map(|s| s["service"].as_str()).collect();
    assert_eq!(services, ["discord", "pushover", "email"]);
    assert_eq!(
        body["items"][0],
        json!({ "service": "discord", "enabled": false, "events": [], "settings": { "webhook_url": null } })
    );

    let secret_url = "https://discord.com/api/webhooks/1/very-secret-token";
    let (status, discord) = app
        .put_json(
            "/notifications/discord",
            &json!({
                "enabled": true, "events": ["movie_imported", "health_issue"], "settings": { "webhook_url": secret_url }
            }),
        )
        .await;
    assert_eq!(status, 200, "{discord}");
    assert_eq!(discord["settings"]["webhook_url"], "set");
    assert_eq!(discord["events"], json!(["movie_imported", "health_issue"]));

    // Omitting the secret, or sending "set" back, keeps it.
    let (status, discord) =
        app.put_json("/notifications/discord", &json!({ "enabled": true, "events": ["movie_imported"] })).await;
    assert_eq!(status, 200, "{discord}");
    assert_eq!(discord["settings"]["webhook_url"], "set");
    let (status, _) = app
        .put_json(
            "/notifications/discord",
            &json!({ "enabled": true, "events": [], "settings": { "webhook_url": "set" } }),
        )
        .await;
    assert_eq!(status, 200);

    let (status, pushover) = app
        .put_json(
            "/notifications/pushover",
            &json!({
                "enabled": true, "events": ["job_failed"],
                "settings": { "app_token": "app-token-secret", "user_key": "user-key-secret", "priority": 1 }
            }),
        )
        .await;
    assert_eq!(status, 200, "{pushover}");
    assert_eq!(pushover["settings"]["app_token"], "set");
    assert_eq!(pushover["settings"]["user_key"], "set");
    assert_eq!(pushover["settings"]["priority"], 1);

    let (status, email) = app
        .put_json("/notifications/email", &json!({
            "enabled": true, "events": ["movie_deleted"],
            "settings": { "host": "127.0.0.1", "port": 2525, "tls": "none", "username": "me",
                          "password": "mail-password-secret", "from": "metarr@example.org", "to": ["me@example.org"] }
        }))
        .await;
    assert_eq!(status, 200, "{email}");
    assert_eq!(email["settings"]["password"], "set");
    assert_eq!(email["settings"]["username"], "me");

    let (_, all) = app.get("/notifications").await;
    let text = all.to_string();
    for secret in ["very-secret-token", "app-token-secret", "user-key-secret", "mail-password-secret"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // Clearing with null; unknown events, services and settings are refused.
    let (status, email) = app
        .put_json("/notifications/email", &json!({
            "enabled": false, "events": [], "settings": { "host": "127.0.0.1", "password": null, "from": "a@b", "to": ["c@d"] }
        }))
        .await;
    assert_eq!(status, 200, "{email}");
    assert_eq!(email["settings"]["password"], json!(null));
    let (status, body) =
        app.put_json("/notifications/discord", &json!({ "enabled": true, "events": ["movie_exploded"] })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("unknown event \"movie_exploded\""));
    let (status, _) = app.put_json("/notifications/telegram", &json!({ "enabled": false })).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .put_json("/notifications/discord", &json!({ "enabled": true, "settings": { "webhook_url": "ftp://x" } }))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        app.put_json("/notifications/pushover", &json!({ "enabled": true, "settings": { "app_token": null } })).await;
    assert_eq!(status, 400, "enabled without a token: {body}");
    let (status, _) = app.put_json("/notifications/email", &json!({ "enabled": false, "settings": {} })).await;
    assert_eq!(status, 200);
    let (status, body) = app.post("/notifications/email/test").await;
    assert_eq!(status, 400, "email is not configured enough to try: {body}");
    app.stop().await;
}
app_test!(notification_settings_keep_secrets_write_only);

async fn discord_gets_the_embed_for_a_download_and_nothing_when_filtered_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (webhook_url, received) = discord_stand_in().await;
    let (status, _) = app
        .put_json("/notifications/discord", &json!({
            "enabled": true, "events": ["movie_imported", "movie_upgraded"], "settings": { "webhook_url": webhook_url }
        }))
        .await;
    assert_eq!(status, 200);

    // The test button.
    let (status, answer) = app.post("/notifications/discord/test").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(received.lock().expect("lock").len(), 1);

    let (_dir, root) = library_with_movie();
    library_and_mapping(&app, &root).await;
    let (_, answer) = post_raw(&app, "radarr", fixture("radarr-download-upgrade.json")).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().contains("notifying discord (movie_upgraded)"), "{entry}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.lock().expect("lock").len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "Discord stand-in got no embed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (method, path, content_type, body) = received.lock().expect("lock")[1].clone();
    assert_eq!(method, "POST");
    assert!(path.starts_with("/api/webhooks/123/secret-token"), "{path}");
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let embed = &body["embeds"][0];
    assert!(embed["title"].as_str().unwrap_or_default().contains("Big Buck Bunny"), "{body}");
    assert!(embed.to_string().contains("https://image.tmdb.org/t/p/original/example-poster.jpg"), "{body}");
    assert!(embed["color"].is_number(), "{body}");

    // Health is not in the filter: nothing is sent.
    let (_, answer) = post_raw(&app, "radarr", fixture("radarr-health.json")).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert_eq!(entry["outcome"], "recorded: health issue");
    assert_eq!(entry["job_ids"].as_array().map(Vec::len), Some(1), "{entry}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received.lock().expect("lock").len(), 2);

    // A path in no library raises an error notification for services that asked for job_failed.
    let (status, _) =
        app.put_json("/notifications/discord", &json!({ "enabled": true, "events": ["job_failed"] })).await;
    assert_eq!(status, 200);
    let misplaced =
        fixture("radarr-download-upgrade.json").replace("/movies/Big Buck Bunny", "/elsewhere/Big Buck Bunny");
    let (_, answer) = post_raw(&app, "radarr", misplaced).await;
    let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
    assert!(entry["outcome"].as_str().unwrap_or_default().starts_with("no library contains /elsewhere/"), "{entry}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.lock().expect("lock").len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "no error notification");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, _, _, body) = received.lock().expect("lock")[2].clone();
    assert!(body.to_string().contains("no library contains"), "{body}");
    app.stop().await;
}
app_test!(discord_gets_the_embed_for_a_download_and_nothing_when_filtered_out);

/// A Discord stand-in that always answers `status` with `body`.
async fn failing_discord(status: u16, body: &'static str) -> String {
    let app = Router::new().fallback(move || async move {
        let mut response = axum::response::IntoResponse::into_response((
            StatusCode::from_u16(status).expect("valid status"),
            [("content-type", "application/json")],
            body,
        ));
        if status == 429 {
            response.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("120"));
        }
        response
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/api/webhooks/1/token")
}

async fn notify_jobs_retry_on_5xx_and_snooze_on_429(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (status, body, expect_attempt_spent) in [
        (500, r#"{"message":"boom"}"#, true),
        (429, r#"{"message":"You are being rate limited.","retry_after":120.0,"global":false}"#, false),
    ] {
        let url = failing_discord(status, body).await;
        let (put, answer) = app
            .put_json(
                "/notifications/discord",
                &json!({
                    "enabled": true, "events": ["health_issue"], "settings": { "webhook_url": url }
                }),
            )
            .await;
        assert_eq!(put, 200, "{answer}");
        // The test button reports the failure, 200 either way.
        let (code, outcome) = app.post("/notifications/discord/test").await;
        assert_eq!(code, 200, "{outcome}");
        assert_eq!(outcome["ok"], false, "{outcome}");
        assert!(!outcome.to_string().contains("/api/webhooks/1/token"), "the URL holds a token: {outcome}");

        let (_, answer) = post_raw(&app, "radarr", fixture("radarr-health.json")).await;
        let entry = settled(&app, answer["id"].as_i64().expect("id")).await;
        let job_id = job_id(&entry["job_ids"][1]);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let job = loop {
            let job = app.queue.get(job_id).await.expect("job");
            if job.started_at.is_some() && job.state == metarr_queue::JobState::Pending {
                break job;
            }
            assert!(tokio::time::Instant::now() < deadline, "job {job_id} stayed {:?}", job.state);
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(job.kind, "notify-discord");
        assert!(job.run_at > chrono::Utc::now(), "{status}: the next attempt waits");
        if expect_attempt_spent {
            assert!(job.last_error.is_some(), "{status}: {job:?}");
        } else {
            // A snooze waits for the reset without spending an attempt.
            assert!(job.run_at > chrono::Utc::now() + chrono::Duration::seconds(60), "{status}: {job:?}");
        }
        app.queue.cancel(job_id).await.expect("cancel");
    }
    app.stop().await;
}
app_test!(notify_jobs_retry_on_5xx_and_snooze_on_429);

async fn email_reaches_a_real_smtp_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let maildir = tempfile::tempdir().expect("maildir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        probe.local_addr().expect("address").port()
    };
    let mut server = tokio::process::Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("box"))
        .kill_on_drop(true)
        .spawn()
        .expect("python3-aiosmtpd is installed (see .ci/run)");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "aiosmtpd did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, answer) = app
        .put_json(
            "/notifications/email",
            &json!({
                "enabled": true, "events": ["movie_deleted"],
                "settings": { "host": "127.0.0.1", "port": port, "tls": "none",
                              "from": "metarr@example.org", "to": ["me@example.org"] }
            }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, outcome) = app.post("/notifications/email/test").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ok"], true, "{outcome}");

    let (_, answer) = post_raw(&app, "radarr", fixture("radarr-moviedelete.json")).await;
    settled(&app, answer["id"].as_i64().expect("id")).await;
    let new = maildir.path().join("box/new");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let messages = loop {
        let messages: Vec<String> = std::fs::read_dir(&new)
            .map(|entries| {
                entries.filter_map(|e| e.ok()).filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect()
            })
            .unwrap_or_default();
        if messages.len() >= 2 {
            break messages;
        }
        assert!(tokio::time::Instant::now() < deadline, "{} message(s) delivered", messages.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let all = messages.join("\n----\n");
    assert!(all.contains("Metarr test notification"), "{all}");
    assert!(all.contains("Big Buck Bunny"), "{all}");
    assert!(all.contains("To: me@example.org"), "{all}");
    let _ = server.kill().await;
    app.stop().await;
}
app_test!(email_reaches_a_real_smtp_server);

async fn wait_for_embed(received: &Received, title_part: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = received.lock().expect("lock").iter().find_map(|(_, _, _, body)| {
            let title = body["embeds"][0]["title"].as_str().unwrap_or_default();
            title.contains(title_part).then(|| body.clone())
        });
        if let Some(body) = found {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no embed titled {title_part:?}: {:?}",
            received.lock().expect("lock")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn finished_scans_and_jobs_that_failed_for_good_notify_who_asked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (webhook_url, received) = discord_stand_in().await;
    let (status, _) = app
        .put_json(
            "/notifications/discord",
            &json!({
                "enabled": true, "events": ["scan_completed", "job_failed"], "settings": { "webhook_url": webhook_url }
            }),
        )
        .await;
    assert_eq!(status, 200);

    let (_dir, root) = library_with_movie();
    let (status, library) =
        app.send(app.client.post(app.url("/libraries")).json(&json!({ "path": root.display().to_string() }))).await;
    assert_eq!(status, 201, "{library}");
    let (status, scan) = app.post(&format!("/libraries/{}/scan", library["id"])).await;
    assert_eq!(status, 202, "{scan}");
    let embed = wait_for_embed(&received, "Scan of").await;
    let description = embed["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(description.contains("1 movies found: 1 new"), "{embed}");

    // A TV library's scan counts series and episodes.
    let tv_dir = tempfile::tempdir().expect("tv library");
    let tv_root = std::fs::canonicalize(tv_dir.path()).expect("canonical");
    let season = tv_root.join("Firefly (2002)/Season 01");
    std::fs::create_dir_all(&season).expect("season");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4"),
        season.join("Firefly - S01E01E02 - Serenity.mp4"),
    )
    .expect("video");
    let (status, tv) = app
        .post_json("/libraries", &json!({ "path": tv_root.display().to_string(), "kind": "tv", "name": "Shows" }))
        .await;
    assert_eq!(status, 201, "{tv}");
    let (status, _) = app.post(&format!("/libraries/{}/scan", tv["id"])).await;
    assert_eq!(status, 202);
    let embed = wait_for_embed(&received, "Scan of Shows").await;
    let description = embed["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(description.contains("1 series (2 episodes) found: 1 new"), "{embed}");

    // A job whose payload can never work fails at once, and the user hears about it once.
    let failing = app
        .queue
        .enqueue(metarr_queue::NewJob::raw("directory-scan", json!({ "nonsense": true })))
        .await
        .expect("enqueue")
        .job;
    app.wait_for_state(failing.id, metarr_queue::JobState::Failed).await;
    let embed = wait_for_embed(&received, "job failed: directory-scan").await;
    assert!(
        embed["embeds"][0]["description"].as_str().unwrap_or_default().contains(&failing.id.to_string()),
        "{embed}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let failures = received
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, _, _, body)| body["embeds"][0]["title"].as_str().unwrap_or_default().contains("job failed"))
        .count();
    assert_eq!(failures, 1, "one notification per failed job");
    app.stop().await;
}
app_test!(finished_scans_and_jobs_that_failed_for_good_notify_who_asked);
