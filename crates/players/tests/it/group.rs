//! Group fallback: the next player is tried only when one cannot be reached.

use std::time::Duration;

use metarr_players::{Endpoint, KodiClient, PlayerError, try_in_order};
use metarr_testkit::free_port;
use metarr_testkit::kodi::standin::KodiStandIn;

use crate::support::{kodi_client, kodi_client_with, silent_server};

#[tokio::test]
async fn falls_back_to_the_second_player_when_the_first_refuses() {
    let standin = KodiStandIn::start().await;
    let players = [kodi_client(free_port()), kodi_client(standin.port())];
    let answered_by =
        try_in_order(&players, |client| async move { client.ping().await.map(|()| client.endpoint().port) })
            .await
            .unwrap();
    assert_eq!(answered_by, standin.port());
}

#[tokio::test]
async fn falls_back_when_the_first_times_out() {
    let (silent_port, _server) = silent_server().await;
    let standin = KodiStandIn::start().await;
    let slow = KodiClient::new(Endpoint::new("127.0.0.1", silent_port).with_timeout(Duration::from_millis(200)), None)
        .unwrap();
    let players = [slow, kodi_client(standin.port())];
    try_in_order(&players, |client| client.ping()).await.unwrap();
    assert_eq!(standin.state().methods(), ["JSONRPC.Ping"]);
}

#[tokio::test]
async fn unauthorized_stops_without_trying_the_next_player() {
    let first = KodiStandIn::start().await;
    let second = KodiStandIn::start().await;
    let players = [kodi_client_with(first.port(), Some(("kodi", "wrong"))), kodi_client(second.port())];
    let err = try_in_order(&players, |client| client.ping()).await.unwrap_err();
    assert!(matches!(err, PlayerError::Unauthorized { .. }), "{err:?}");
    assert!(err.is_permanent());
    assert!(second.state().requests.is_empty(), "the second player was not asked");
}

#[tokio::test]
async fn all_unreachable_returns_the_last_error() {
    let (silent_port, _server) = silent_server().await;
    let refused = kodi_client(free_port());
    let slow = KodiClient::new(Endpoint::new("127.0.0.1", silent_port).with_timeout(Duration::from_millis(200)), None)
        .unwrap();
    let players = [refused, slow];
    let err = try_in_order(&players, |client| client.ping()).await.unwrap_err();
    assert!(matches!(err, PlayerError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn an_empty_group_is_an_error() {
    let players: [KodiClient; 0] = [];
    let err = try_in_order(&players, |client| client.ping()).await.unwrap_err();
    assert!(matches!(err, PlayerError::NoPlayers));
}
