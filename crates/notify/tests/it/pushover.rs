//! Pushover sender against a wiremock stand-in for `POST /1/messages.json`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metarr_notify::{PUSHOVER_API_URL, PushoverSettings, SendError, http_client, send_pushover};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{bare_notification, closed_port, form_pairs, movie_notification};

const APP_TOKEN: &str = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
const USER_KEY: &str = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";
const API_PATH: &str = "/1/messages.json";

fn settings(server: &MockServer) -> PushoverSettings {
    PushoverSettings { api_url: format!("{}{API_PATH}", server.uri()), ..PushoverSettings::new(APP_TOKEN, USER_KEY) }
}

fn ok_response() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "status": 1, "request": "647d2300-702c-4b38-8b2f-d56326ae460b" }))
}

async fn mount(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST")).and(path(API_PATH)).respond_with(response).mount(server).await;
}

/// Every request the stand-in received, as form pairs, after checking what never varies.
async fn received_forms(server: &MockServer) -> Vec<Vec<(String, String)>> {
    let requests = server.received_requests().await.expect("request recording is on");
    requests
        .iter()
        .map(|request| {
            assert_eq!(request.method.as_str(), "POST");
            assert_eq!(request.url.path(), API_PATH);
            assert_eq!(request.url.query(), None, "secrets go in the body, never in the URL");
            assert_eq!(request.headers.get("content-type").unwrap(), "application/x-www-form-urlencoded");
            let user_agent = request.headers.get("user-agent").unwrap().to_str().unwrap();
            assert_eq!(user_agent, format!("Metarr/{}", env!("CARGO_PKG_VERSION")));
            form_pairs(&request.body)
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

fn assert_no_secret(err: &SendError) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(APP_TOKEN) && !text.contains(USER_KEY), "secret leaked into {text}");
}

#[tokio::test]
async fn sends_the_exact_form_and_accepts_status_1() {
    let server = MockServer::start().await;
    mount(&server, ok_response()).await;

    send_pushover(&http_client(), &settings(&server), &movie_notification()).await.unwrap();

    let forms = received_forms(&server).await;
    assert_eq!(forms.len(), 1);
    assert_eq!(
        forms[0],
        pairs(&[
            ("token", APP_TOKEN),
            ("user", USER_KEY),
            ("message", "Heat was imported from Radarr."),
            ("title", "Imported: Heat (1995)"),
            ("url", "http://127.0.0.1:3000/movies/42"),
            ("url_title", "Heat (1995)"),
            ("priority", "0"),
        ])
    );
}

#[tokio::test]
async fn bare_notification_sends_only_the_required_fields() {
    let server = MockServer::start().await;
    mount(&server, ok_response()).await;
    let settings = PushoverSettings { priority: -1, ..settings(&server) };

    send_pushover(&http_client(), &settings, &bare_notification()).await.unwrap();

    assert_eq!(
        received_forms(&server).await[0],
        pairs(&[
            ("token", APP_TOKEN),
            ("user", USER_KEY),
            ("message", "This is a test message from Metarr."),
            ("title", "Test"),
            ("priority", "-1"),
        ])
    );
}

#[tokio::test]
async fn emergency_priority_adds_retry_and_expire() {
    let server = MockServer::start().await;
    mount(&server, ok_response()).await;
    let settings = PushoverSettings { priority: 2, ..settings(&server) };

    send_pushover(&http_client(), &settings, &bare_notification()).await.unwrap();

    let form = &received_forms(&server).await[0];
    let tail: Vec<(&str, &str)> =
        form[form.len() - 3..].iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    assert_eq!(tail, [("priority", "2"), ("retry", "60"), ("expire", "3600")]);
}

#[tokio::test]
async fn long_texts_are_truncated_and_an_overlong_url_is_left_out() {
    let server = MockServer::start().await;
    mount(&server, ok_response()).await;
    let mut notification = movie_notification();
    notification.title = "T".repeat(300);
    notification.message = "ü".repeat(2000);
    notification.url = Some(format!("https://example.com/{}", "a".repeat(600)));

    send_pushover(&http_client(), &settings(&server), &notification).await.unwrap();

    let form = &received_forms(&server).await[0];
    let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let message = field("message").unwrap();
    let title = field("title").unwrap();
    assert_eq!(message.chars().count(), 1024);
    assert!(message.ends_with("ü…"));
    assert_eq!(title.chars().count(), 250);
    assert_eq!(field("url"), None);
    assert_eq!(field("url_title"), None);
}

#[tokio::test]
async fn status_0_errors_are_permanent_and_quoted() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({
            "user": "invalid",
            "errors": ["user identifier is not a valid user, group, or subscribed user key", "application token is invalid"],
            "status": 0,
            "request": "5042853c-402d-4a18-abcb-168734a801de",
        })),
    )
    .await;

    let err = send_pushover(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    assert_eq!(
        err,
        SendError::Permanent(
            "Pushover refused the message: user identifier is not a valid user, group, or subscribed user key; \
             application token is invalid; check the application token and user key"
                .to_owned()
        )
    );
    assert_eq!(received_forms(&server).await.len(), 1, "a permanent failure is not retried");
}

#[tokio::test]
async fn echoed_secrets_are_scrubbed_from_errors() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(400).set_body_json(
            json!({ "errors": [format!("token {APP_TOKEN} is invalid for user {USER_KEY}")], "status": 0 }),
        ),
    )
    .await;

    let err = send_pushover(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    assert!(err.to_string().contains("token *** is invalid for user ***"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn client_error_without_json_is_permanent() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(413).set_body_string("too large")).await;

    let err = send_pushover(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    let SendError::Permanent(message) = &err else { panic!("expected Permanent, got {err:?}") };
    assert!(message.contains("413"), "{message}");
}

#[tokio::test]
async fn quota_429_is_rate_limited_until_the_reset() {
    let server = MockServer::start().await;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    mount(
        &server,
        ResponseTemplate::new(429)
            .insert_header("X-Limit-App-Limit", "10000")
            .insert_header("X-Limit-App-Remaining", "0")
            .insert_header("X-Limit-App-Reset", (now + 7200).to_string())
            .set_body_json(json!({ "status": 0, "errors": ["quota exceeded"] })),
    )
    .await;

    let err = send_pushover(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    let SendError::RateLimited { retry_after, message } = &err else { panic!("expected RateLimited, got {err:?}") };
    let waited = retry_after.as_secs();
    assert!((7198..=7200).contains(&waited), "retry_after {retry_after:?}");
    assert!(message.contains("monthly message limit"), "{message}");
    assert_eq!(received_forms(&server).await.len(), 1);
}

#[tokio::test]
async fn quota_429_without_reset_waits_an_hour() {
    let server = MockServer::start().await;
    mount(&server, ResponseTemplate::new(429)).await;

    let err = send_pushover(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();

    let SendError::RateLimited { retry_after, .. } = err else { panic!("expected RateLimited, got {err:?}") };
    assert_eq!(retry_after, Duration::from_secs(3600));
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retryable() {
    for status in [500, 502, 503] {
        let server = MockServer::start().await;
        mount(&server, ResponseTemplate::new(status)).await;
        let err = send_pushover(&http_client(), &settings(&server), &bare_notification()).await.unwrap_err();
        assert!(matches!(err, SendError::Retryable(_)), "{status}: {err:?}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        assert_no_secret(&err);
    }

    let server = MockServer::start().await;
    mount(&server, ok_response().set_delay(Duration::from_secs(3))).await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(200)).build().unwrap();
    let err = send_pushover(&client, &settings(&server), &bare_notification()).await.unwrap_err();
    let SendError::Retryable(message) = &err else { panic!("expected Retryable, got {err:?}") };
    assert!(message.contains("timed out"), "{message}");
}

#[tokio::test]
async fn unreachable_api_is_retryable() {
    let settings = PushoverSettings {
        api_url: format!("http://127.0.0.1:{}{API_PATH}", closed_port()),
        ..PushoverSettings::new(APP_TOKEN, USER_KEY)
    };

    let err = send_pushover(&http_client(), &settings, &bare_notification()).await.unwrap_err();

    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn invalid_settings_are_permanent_and_send_nothing() {
    let server = MockServer::start().await;
    mount(&server, ok_response()).await;
    let valid = settings(&server);
    let cases = [
        (PushoverSettings { api_url: "api.pushover.net/1/messages.json".to_owned(), ..valid.clone() }, "API URL"),
        (PushoverSettings { api_url: "ftp://127.0.0.1/1/messages.json".to_owned(), ..valid.clone() }, "API URL"),
        (PushoverSettings { api_url: String::new(), ..valid.clone() }, "API URL"),
        (PushoverSettings { priority: 3, ..valid.clone() }, "between -2 and 2"),
        (PushoverSettings { priority: -3, ..valid.clone() }, "between -2 and 2"),
        (PushoverSettings { app_token: " ".to_owned(), ..valid.clone() }, "application token is not set"),
        (PushoverSettings { user_key: String::new(), ..valid.clone() }, "user key is not set"),
    ];
    for (settings, expected) in cases {
        let err = send_pushover(&http_client(), &settings, &bare_notification()).await.unwrap_err();
        let SendError::Permanent(message) = &err else { panic!("{settings:?}: expected Permanent, got {err:?}") };
        assert!(message.contains(expected), "{message}");
        assert_no_secret(&err);
    }
    assert_eq!(received_forms(&server).await.len(), 0);
}

#[test]
fn default_endpoint_is_the_real_api() {
    assert_eq!(PUSHOVER_API_URL, "https://api.pushover.net/1/messages.json");
    assert_eq!(PushoverSettings::new("a", "u").api_url, PUSHOVER_API_URL);
}
