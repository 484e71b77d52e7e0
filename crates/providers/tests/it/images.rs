//! Image downloads against a stand-in image server: bytes as sent, 404 and 410 as gone, 429
//! with `Retry-After`, 5xx as transient, a body past the cap refused, and URLs that are not
//! http(s) never fetched.

use std::sync::Arc;
use std::time::Duration;

use metarr_providers::{ImageClient, MAX_IMAGE_BYTES, Provider, ProviderError, RateLimitKind, Ungated};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client() -> ImageClient {
    ImageClient::new(Provider::Tmdb, Arc::new(Ungated))
}

async fn serve(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET")).and(path(at)).respond_with(response).mount(server).await;
}

#[tokio::test]
async fn downloads_the_bytes_asking_for_an_image() {
    let server = MockServer::start().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    Mock::given(method("GET"))
        .and(path("/t/p/original/poster.jpg"))
        .and(header("accept", "image/*"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.clone(), "image/jpeg"))
        .mount(&server)
        .await;

    let got = client().download(&format!("{}/t/p/original/poster.jpg", server.uri())).await.unwrap();

    assert_eq!(got, Some(bytes));
}

#[tokio::test]
async fn a_missing_image_is_none_not_an_error() {
    let server = MockServer::start().await;
    serve(&server, "/gone.jpg", ResponseTemplate::new(404).set_body_string("<html>Not Found</html>")).await;
    serve(&server, "/removed.jpg", ResponseTemplate::new(410)).await;

    assert_eq!(client().download(&format!("{}/gone.jpg", server.uri())).await.unwrap(), None);
    assert_eq!(client().download(&format!("{}/removed.jpg", server.uri())).await.unwrap(), None);
}

#[tokio::test]
async fn throttling_server_errors_and_refusals_are_typed() {
    let server = MockServer::start().await;
    serve(&server, "/slow.jpg", ResponseTemplate::new(429).insert_header("retry-after", "7")).await;
    serve(&server, "/broken.jpg", ResponseTemplate::new(503)).await;
    serve(&server, "/private.jpg", ResponseTemplate::new(403)).await;

    match client().download(&format!("{}/slow.jpg", server.uri())).await {
        Err(ProviderError::RateLimited { retry_after, kind: RateLimitKind::Throttled, .. }) => {
            assert_eq!(retry_after, Duration::from_secs(7));
        }
        other => panic!("expected a throttle, got {other:?}"),
    }
    let broken = client().download(&format!("{}/broken.jpg", server.uri())).await.unwrap_err();
    assert!(matches!(broken, ProviderError::Transient { .. }), "{broken:?}");
    assert!(!broken.is_permanent());
    let refused = client().download(&format!("{}/private.jpg", server.uri())).await.unwrap_err();
    assert!(matches!(refused, ProviderError::Rejected { status: 403, .. }), "{refused:?}");
}

#[tokio::test]
async fn a_body_past_the_cap_is_refused() {
    let server = MockServer::start().await;
    let huge = vec![0u8; MAX_IMAGE_BYTES + 1];
    serve(&server, "/huge.jpg", ResponseTemplate::new(200).set_body_raw(huge, "image/jpeg")).await;

    let err = client().download(&format!("{}/huge.jpg", server.uri())).await.unwrap_err();

    assert!(matches!(err, ProviderError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("huge.jpg") || format!("{err:?}").contains("huge.jpg"), "{err:?}");
}

#[tokio::test]
async fn only_http_urls_are_fetched_and_none_is_echoed() {
    for url in ["file:///etc/passwd", "ftp://example.org/a.jpg", "not a url", "", "http://"] {
        let err = client().download(url).await.unwrap_err();
        assert!(matches!(err, ProviderError::Rejected { .. }), "{url:?}: {err:?}");
        assert!(err.is_permanent(), "{url:?}");
        if !url.is_empty() {
            assert!(!format!("{err:?}").contains(url), "{url:?} echoed in {err:?}");
        }
    }
}
