//! JellyfinClient against a wiremock stand-in that checks the exact method, path, headers
//! and body Jellyfin expects.

use metarr_players::{Endpoint, JellyfinClient, PlayerError};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "0123456789abcdef-jellyfin";

fn client(server: &MockServer, token: &str) -> JellyfinClient {
    JellyfinClient::new(Endpoint::new("127.0.0.1", server.address().port()), SecretString::from(token.to_owned()))
        .unwrap()
}

/// Jellyfin answers 401 to anything without the right key.
async fn unauthorized_fallback(server: &MockServer) {
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(401)).with_priority(10).mount(server).await;
}

#[tokio::test]
async fn media_updated_posts_the_paths_with_the_mediabrowser_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Library/Media/Updated"))
        .and(header("Authorization", format!("MediaBrowser Token=\"{TOKEN}\"").as_str()))
        .and(header("Content-Type", "application/json"))
        .and(body_json(json!({"Updates": [
            {"Path": "/movies/A (2020)", "UpdateType": "Modified"},
            {"Path": "/movies/B (2021)", "UpdateType": "Modified"},
        ]})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    unauthorized_fallback(&server).await;

    client(&server, TOKEN)
        .media_updated(&["/movies/A (2020)".to_owned(), "/movies/B (2021)".to_owned()])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_not_leaked() {
    let server = MockServer::start().await;
    unauthorized_fallback(&server).await;
    let client = client(&server, "wrong-token-value");
    let err = client.media_updated(&["/movies/A".to_owned()]).await.unwrap_err();
    assert!(matches!(err, PlayerError::Unauthorized { .. }), "{err:?}");
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains("wrong-token-value"), "{text}");
}

#[tokio::test]
async fn info_checks_the_product_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/System/Info/Public"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "LocalAddress": "http://127.0.0.1:8096",
            "ServerName": "jelly",
            "Version": "10.10.7",
            "ProductName": "Jellyfin Server",
            "OperatingSystem": "",
            "Id": "f1d2",
            "StartupWizardCompleted": true,
        })))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server, TOKEN);
    let info = client.info().await.unwrap();
    assert_eq!(info.product_name, "Jellyfin Server");
    assert_eq!(info.version, "10.10.7");
    client.ping().await.unwrap();
}

#[tokio::test]
async fn emby_is_the_wrong_product() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/System/Info/Public"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ProductName": "Emby Server", "Version": "4.8"})))
        .mount(&server)
        .await;
    let err = client(&server, TOKEN).info().await.unwrap_err();
    assert!(matches!(&err, PlayerError::WrongProduct { expected: "Jellyfin", .. }), "{err:?}");
}

#[tokio::test]
async fn an_html_page_is_the_wrong_product() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html></html>", "text/html"))
        .mount(&server)
        .await;
    let err = client(&server, TOKEN).info().await.unwrap_err();
    assert!(matches!(err, PlayerError::WrongProduct { .. }), "{err:?}");
}

#[tokio::test]
async fn server_errors_are_http_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let err = client(&server, TOKEN).media_updated(&["/movies/A".to_owned()]).await.unwrap_err();
    assert!(matches!(err, PlayerError::Http { status: 500, .. }), "{err:?}");
}
