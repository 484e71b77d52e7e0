//! Shared helpers: clients pointed at loopback stand-ins or a real headless Kodi, and a server
//! that accepts connections but never answers (a port nobody listens on is
//! `metarr_testkit::free_port`).

use std::time::Duration;

use metarr_players::{Endpoint, KodiClient};
use metarr_testkit::kodi::headless::HeadlessKodi;
use metarr_testkit::kodi::standin::KodiStandIn;
use metarr_testkit::kodi::{KODI_PASSWORD, KODI_USER};
use secrecy::SecretString;
use tokio::net::TcpListener;

/// A Kodi client with the stand-in's credentials (kodi:kodi).
pub fn kodi_client(port: u16) -> KodiClient {
    kodi_client_with(port, Some((KODI_USER, KODI_PASSWORD)))
}

pub fn kodi_client_with(port: u16, credentials: Option<(&str, &str)>) -> KodiClient {
    let credentials = credentials.map(|(user, password)| (user.to_owned(), SecretString::from(password.to_owned())));
    KodiClient::new(Endpoint::new("127.0.0.1", port).with_timeout(Duration::from_secs(5)), credentials).unwrap()
}

/// A client for a real headless Kodi: its web server (10 s timeout, Kodi scans in the
/// background) and its notification socket.
pub fn headless_kodi_client(kodi: &HeadlessKodi) -> KodiClient {
    let credentials = Some((KODI_USER.to_owned(), SecretString::from(KODI_PASSWORD)));
    KodiClient::new(Endpoint::new("127.0.0.1", kodi.http_port).with_timeout(Duration::from_secs(10)), credentials)
        .unwrap()
        .with_notification_port(kodi.tcp_port)
}

pub async fn kodi() -> (KodiStandIn, KodiClient) {
    let standin = KodiStandIn::start().await;
    let client = kodi_client(standin.port());
    (standin, client)
}

/// A listener that accepts connections and never answers; keep the guard alive.
pub async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (port, task)
}
