//! Downloading the image files providers point to (TMDB's image server, Fanart.tv's assets),
//! through the provider's gate like its API calls, with a cap on the bytes read.
//!
//! What the bytes are is not decided here: the app checks that they are an image (an HTML
//! error page served with 200 is common) before anything keeps them.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};

use crate::error::ProviderError;
use crate::gate::Gate;
use crate::outcome::Validators;
use crate::provider::Provider;
use crate::redact::RedactedUrl;
use crate::transport::Transport;

/// The most of an image Metarr reads: 40 MiB. The largest real artwork (8K backdrops, 4000 px
/// PNG logos) stays under 25 MiB; more is not artwork anyone wants in a library.
pub const MAX_IMAGE_BYTES: usize = 40 * 1024 * 1024;

/// How long one image may take: large originals over a slow line take a while.
const IMAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// Downloads images for one provider. Its requests pass the provider's gate.
#[derive(Debug)]
pub struct ImageClient {
    transport: Transport,
}

impl ImageClient {
    /// A client whose downloads pass `gate` as `provider`'s requests.
    pub fn new(provider: Provider, gate: Arc<dyn Gate>) -> Self {
        ImageClient { transport: Transport::new(provider, IMAGE_TIMEOUT, gate, Vec::new()) }
    }

    /// `GET url`: the bytes, or `None` when the server says the image is gone (404, 410).
    /// Only http and https URLs are fetched.
    pub async fn download(&self, url: &str) -> Result<Option<Vec<u8>>, ProviderError> {
        let parsed =
            Url::parse(url.trim()).ok().filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        let Some(parsed) = parsed else {
            return Err(ProviderError::Rejected {
                provider: self.transport.provider(),
                url: RedactedUrl::not_fetchable(),
                status: 0,
                message: "not an http(s) URL; the image was not fetched".to_owned(),
            });
        };
        let answer =
            self.transport.get_bounded(parsed, HeaderMap::new(), &Validators::NONE, "image/*", MAX_IMAGE_BYTES).await?;
        match answer.status {
            status if status.is_success() => Ok(Some(answer.body)),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
            StatusCode::TOO_MANY_REQUESTS => Err(self.transport.throttled(&answer)),
            status if status.is_server_error() => Err(self.transport.server_error(answer)),
            status => Err(ProviderError::Rejected {
                provider: self.transport.provider(),
                url: answer.url,
                status: status.as_u16(),
                message: "the image server refused the download".to_owned(),
            }),
        }
    }
}
