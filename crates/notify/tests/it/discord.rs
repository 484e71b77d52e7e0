//! Discord webhook sender against a wiremock stand-in for `POST /api/webhooks/{id}/{token}`.

use std::time::{Duration, Instant};

use metarr_notify::{DiscordSettings, EventKind, SendError, http_client, send_discord};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{bare_notification, closed_port, movie_notification};

const TOKEN: &str = "s3cr3t-t0ken_ABC";
const WEBHOOK_PATH: &str = "/api/webhooks/123456/s3cr3t-t0ken_ABC";

fn settings(server: &MockServer) -> DiscordSettings {
    DiscordSettings { webhook_url: format!("{}{WEBHOOK_PATH}", server.uri()) }
}

async fn mount(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST")).and(path(WEBHOOK_PATH)).respond_with(response).mount(server).await;
}

/// Every request the stand-in received, as JSON bodies, after checking the parts of the
/// request that never vary.
async fn received_bodies(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.expect("request recording is on");
    requests
        .iter()
        .map(|request| {
            assert_eq!(request.method.as_str(), "POST");
            assert_eq!(request.url.path(), WEBHOOK_PATH);
            assert_eq!(request.url.query(), None, "no ?wait or other query is added");
            assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
            let user_agent = request.headers.get("user-agent").unwrap().to_str().unwrap();
            assert_eq!(user_agent, format!("Metarr/{}", env!("CARGO_PKG_VERSION")));
            serde_json::from_slice(&request.body).expect("body is JSON")
        })
        .collect()
}

fn assert_no_secret(err: &SendError) {
    assert!(!err.to_string().contains(TOKEN), "token leaked into {err:?}");
    assert!(!format!("{err:?}").contains(TOKEN), "token leaked into {err:?}");
}

#[tokio::test]
async fn sends_the_exact_embed_and_accepts_204() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(204)).await;

    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    send_discord(&http_client(), &settings(&server), &movie_notification()).await.unwrap();

    let bodies = received_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    let mut body = bodies[0].clone();
    let timestamp = body["embeds"][0]["timestamp"].take();
    let timestamp = chrono::DateTime::parse_from_rfc3339(timestamp.as_str().unwrap()).unwrap();
    assert!(timestamp >= before && timestamp <= chrono::Utc::now() + chrono::Duration::seconds(2));
    assert_eq!(
        body,
        json!({
            "username": "Metarr",
            "embeds": [{
                "title": "Imported: Heat (1995)",
                "description": "Heat was imported from Radarr.\n\nA group of high-end professional thieves start to feel the heat.",
                "url": "http://127.0.0.1:3000/movies/42",
                "color": 3066993,
                "timestamp": null,
                "thumbnail": { "url": "https://image.tmdb.org/t/p/w500/heat.jpg" },
                "fields": [{ "name": "Year", "value": "1995", "inline": true }],
                "footer": { "text": "Metarr" },
            }],
            "allowed_mentions": { "parse": [] },
        })
    );
}

#[tokio::test]
async fn bare_notification_has_no_thumbnail_fields_or_url_and_200_is_accepted() {
    let server = MockServer::start().await;
    // With ?wait=true Discord answers 200 and the message; treat it like 204.
    mount(&server, ResponseTemplate::new(200).set_body_json(json!({ "id": "1", "type": 0 }))).await;

    send_discord(&http_client(), &settings(&server), &bare_notification()).await.unwrap();

    let bodies = received_bodies(&server).await;
    let embed = bodies[0]["embeds"][0].as_object().unwrap();
    let mut keys: Vec<&str> = embed.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["color", "description", "footer", "timestamp", "title"]);
    assert_eq!(embed["color"], EventKind::Test.color());
    assert_eq!(embed["description"], "This is a test message from Metarr.");
}

#[tokio::test]
async fn long_texts_are_truncated_to_discord_limits() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(204)).await;
    let mut notification = bare_notification();
    notification.title = "T".repeat(300);
    notification.message = "é".repeat(5000);

    send_discord(&http_client(), &settings(&server), &notification).await.unwrap();

    let bodies = received_bodies(&server).await;
    let title = bodies[0]["embeds"][0]["title"].as_str().unwrap();
    let description = bodies[0]["embeds"][0]["description"].as_str().unwrap();
    assert_eq!(title.chars().count(), 256);
    assert!(title.ends_with('…'));
    assert_eq!(description.chars().count(), 4096);
    assert!(description.ends_with("é…"));
}

#[tokio::test]
async fn short_429_is_waited_out_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(WEBHOOK_PATH))
        .respond_with(
            ResponseTemplate::new(429)
                // The header disagrees on purpose: the body's fractional value wins.
                .insert_header("Retry-After", "1")
                .set_body_json(
                    json!({ "message": "You are being rate limited.", "retry_after": 0.3, "global": false }),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount(&server, ResponseTemplate::new(204)).await;

    let started = Instant::now();
    send_discord(&http_client(), &settings(&server), &movie_notification()).await.unwrap();
    let elapsed = started.elapsed();

    let bodies = received_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["embeds"][0]["title"], bodies[1]["embeds"][0]["title"]);
    assert!(elapsed >= Duration::from_millis(300), "waited only {elapsed:?}");
    assert!(elapsed < Duration::from_millis(1000), "used the header instead of the body: {elapsed:?}");
}

#[tokio::test]
async fn repeated_short_429_gives_up_after_two_retries() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(429).set_body_json(json!({ "retry_after": 0.05, "global": false }))).await;

    // A bound on the whole call, so a retry loop that never stops fails instead of hanging.
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        send_discord(&http_client(), &settings(&server), &bare_notification()),
    )
    .await
    .expect("gives up instead of retrying forever")
    .unwrap_err();

    assert_eq!(received_bodies(&server).await.len(), 3);
    match &err {
        SendError::RateLimited { retry_after, .. } => assert_eq!(*retry_after, Duration::from_millis(50)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_no_secret(&err);
}

#[tokio::test]
async fn long_429_is_returned_as_rate_limited_without_waiting() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(429).set_body_json(json!({ "retry_after": 30.5, "global": true }))).await;

    let started = Instant::now();
    let err = send_discord(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(received_bodies(&server).await.len(), 1);
    assert_eq!(
        err,
        SendError::RateLimited {
            retry_after: Duration::from_millis(30_500),
            message: format!(
                "Discord rate-limited the webhook {}/api/webhooks/123456/***; retry in 30.5 s",
                server.uri()
            ),
        }
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retry_after_header_is_the_fallback() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "42").set_body_string("<html>slow down</html>"),
    )
    .await;

    let err = send_discord(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    match err {
        SendError::RateLimited { retry_after, .. } => assert_eq!(retry_after, Duration::from_secs(42)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_are_retryable() {
    for status in [500, 502, 503] {
        let server = MockServer::start().await;
        mount(&server, ResponseTemplate::new(status)).await;

        let err = send_discord(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

        assert!(matches!(err, SendError::Retryable(_)), "{status}: {err:?}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        assert_eq!(received_bodies(&server).await.len(), 1, "no in-process retry on {status}");
        assert_no_secret(&err);
    }
}

#[tokio::test]
async fn unknown_webhook_is_permanent_and_says_what_to_fix() {
    for status in [401, 403, 404] {
        let server = MockServer::start().await;
        mount(
            &server,
            ResponseTemplate::new(status).set_body_json(json!({ "message": "Unknown Webhook", "code": 10015 })),
        )
        .await;

        let err = send_discord(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

        let SendError::Permanent(message) = &err else { panic!("{status}: expected Permanent, got {err:?}") };
        assert!(message.contains("Unknown Webhook"), "{message}");
        assert!(message.contains("/api/webhooks/123456/***"), "{message}");
        assert!(message.contains("copy the webhook URL again"), "{message}");
        assert_no_secret(&err);
    }
}

#[tokio::test]
async fn bad_payload_is_permanent_with_discords_reason() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": { "embeds": { "0": { "title": { "_errors": [{ "code": "BASE_TYPE_MAX_LENGTH" }] } } } },
        })),
    )
    .await;

    let err = send_discord(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    let SendError::Permanent(message) = &err else { panic!("expected Permanent, got {err:?}") };
    assert!(message.contains("400 Bad Request: Invalid Form Body"), "{message}");
    assert!(message.contains("BASE_TYPE_MAX_LENGTH"), "{message}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_webhook_urls_are_permanent_and_send_nothing() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(204)).await;
    let invalid = [
        String::new(),
        "   ".to_owned(),
        format!("discord.com{WEBHOOK_PATH}"),
        format!("ftp://127.0.0.1{WEBHOOK_PATH}"),
        format!("file://{WEBHOOK_PATH}"),
        "https://".to_owned(),
        format!("http://:80{WEBHOOK_PATH}"),
        format!("not a url {TOKEN}"),
    ];
    for webhook_url in invalid {
        let err =
            send_discord(&http_client(), &DiscordSettings { webhook_url: webhook_url.clone() }, &bare_notification())
                .await
                .unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{webhook_url:?}: {err:?}");
        assert!(err.to_string().contains("not a valid http(s) URL"), "{err}");
        assert_no_secret(&err);
    }
    assert_eq!(received_bodies(&server).await.len(), 0);
}

#[tokio::test]
async fn unreachable_webhook_is_retryable_and_does_not_leak_the_token() {
    let settings = DiscordSettings { webhook_url: format!("http://127.0.0.1:{}{WEBHOOK_PATH}", closed_port()) };

    let err = send_discord(&http_client(), &settings, &bare_notification()).await.unwrap_err();

    let SendError::Retryable(message) = &err else { panic!("expected Retryable, got {err:?}") };
    assert!(message.contains("/api/webhooks/123456/***"), "{message}");
    assert!(message.to_lowercase().contains("connect"), "{message}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn timeout_is_retryable() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(204).set_delay(Duration::from_secs(3))).await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(200)).build().unwrap();

    let err = send_discord(&client, &settings(&server), &bare_notification()).await.unwrap_err();

    let SendError::Retryable(message) = &err else { panic!("expected Retryable, got {err:?}") };
    assert!(message.contains("timed out"), "{message}");
    assert_no_secret(&err);
}
