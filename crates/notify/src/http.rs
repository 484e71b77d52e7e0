//! The shared HTTP client and the secret-free description of its errors.

use std::time::Duration;

/// How long one HTTP request may take in total; a stuck service must not hold a worker.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Connecting is quick when the host is up; fail faster when it is not.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for [`send_discord`](crate::send_discord) and [`send_pushover`](crate::send_pushover):
/// 15 s timeout, `User-Agent: Metarr/<version>`, rustls. Build it once and share it, so
/// connections are reused.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("Metarr/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the client config is static and rustls needs no system setup, so building cannot fail")
}

/// Describes a transport error without the request URL (a Discord webhook URL carries its
/// token), following the source chain so "connection refused" and the like stay visible.
pub(crate) fn describe_reqwest_error(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut description = if err.is_timeout() { "timed out".to_owned() } else { err.to_string() };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // hyper and hyper-util repeat their own wording at several levels of the chain.
        if !description.contains(&cause_text) {
            description.push_str(": ");
            description.push_str(&cause_text);
        }
        source = cause.source();
    }
    description
}
