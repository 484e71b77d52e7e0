//! Shared helpers: clients pointed at loopback stand-ins, a port nobody listens on, and a
//! server that accepts connections but never answers.

use std::time::Duration;

use metarr_players::{Endpoint, KodiClient};
use secrecy::SecretString;
use tokio::net::TcpListener;

use crate::kodi_standin::KodiStandIn;

/// A Kodi client with the stand-in's credentials (kodi:kodi).
pub fn kodi_client(port: u16) -> KodiClient {
    kodi_client_with(port, Some(("kodi", "kodi")))
}

pub fn kodi_client_with(port: u16, credentials: Option<(&str, &str)>) -> KodiClient {
    let credentials = credentials.map(|(user, password)| (user.to_owned(), SecretString::from(password.to_owned())));
    KodiClient::new(Endpoint::new("127.0.0.1", port).with_timeout(Duration::from_secs(5)), credentials).unwrap()
}

pub async fn kodi() -> (KodiStandIn, KodiClient) {
    let standin = KodiStandIn::start().await;
    let client = kodi_client(standin.port());
    (standin, client)
}

/// A loopback port with no listener: bind, read the port, close.
pub async fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
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
