//! Kodi's notification socket: the client against raw loopback servers that write Kodi
//! 20.1's notifications byte for byte (several objects in one read, an object cut across
//! reads, answers mixed in), the failure cases (refused, silent, not JSON, closed), and
//! the confirmed refresh against the Kodi stand-in's notification socket.

use std::time::Duration;

use metarr_players::{
    Confirmation, KodiNotification, KodiNotifications, PlayerError, RefreshOptions, RefreshOutcome,
    refresh_movie_folder,
};
use metarr_testkit::free_port;
use metarr_testkit::kodi::standin::{KodiStandIn, StoredMovie};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::support::{kodi_client, silent_server};

/// Recorded from a real Kodi 20.1 on port 9090 during a one-movie scan, in its compact form.
const SCAN_STARTED: &str =
    r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnScanStarted","params":{"data":null,"sender":"xbmc"}}"#;
const UPDATE: &str = r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{"item":{"id":1,"type":"movie"},"transaction":true},"sender":"xbmc"}}"#;
const ADDED: &str = r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{"added":true,"item":{"id":1,"type":"movie"},"transaction":true},"sender":"xbmc"}}"#;
const SCAN_FINISHED: &str =
    r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnScanFinished","params":{"data":null,"sender":"xbmc"}}"#;

/// Accepts one connection, reads the client's ping and hands the stream and the ping to
/// `script`.
async fn scripted_server<F, Fut>(script: F) -> u16
where
    F: FnOnce(TcpStream, Value) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut chunk = [0_u8; 1024];
        let ping = loop {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the client closed before pinging");
            received.extend_from_slice(&chunk[..n]);
            if let Ok(ping) = serde_json::from_slice::<Value>(&received) {
                break ping;
            }
        };
        script(stream, ping).await;
    });
    port
}

fn pong(ping: &Value) -> String {
    json!({ "id": ping["id"], "jsonrpc": "2.0", "result": "pong" }).to_string()
}

async fn next(socket: &mut KodiNotifications) -> KodiNotification {
    socket.next_before(Instant::now() + Duration::from_secs(5)).await.unwrap().expect("a notification in time")
}

#[tokio::test]
async fn notifications_are_split_out_of_reads_and_joined_across_reads() {
    let port = scripted_server(|mut stream, ping| async move {
        // The client pings with an id, as JSON-RPC; Kodi would answer a ping without one
        // with nothing at all.
        assert_eq!(ping["method"], "JSONRPC.Ping");
        assert_eq!(ping["jsonrpc"], "2.0");
        assert!(ping.get("id").is_some(), "{ping}");
        // A notification that races the pong, then the pong, in one write.
        stream.write_all(format!("{SCAN_STARTED}{}", pong(&ping)).as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Two whole objects and the first half of a third in one write, the rest later.
        let batch = format!("{UPDATE}{ADDED}{SCAN_FINISHED}");
        let cut = UPDATE.len() + ADDED.len() + 30;
        stream.write_all(&batch.as_bytes()[..cut]).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stream.write_all(&batch.as_bytes()[cut..]).await.unwrap();
        // An answer to some request and pretty-printed JSON (the JSON-RPC setting
        // `compactoutput` off) are read as well; the answer is no notification.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let pretty = "{\n\t\"jsonrpc\": \"2.0\",\n\t\"method\": \"VideoLibrary.OnCleanFinished\",\n\t\"params\": \
                      {\n\t\t\"data\": null,\n\t\t\"sender\": \"xbmc\"\n\t}\n}\n";
        stream.write_all(format!(r#"{{"id":7,"jsonrpc":"2.0","result":"OK"}}{pretty}"#).as_bytes()).await.unwrap();
        // One byte at a time.
        tokio::time::sleep(Duration::from_millis(50)).await;
        for byte in SCAN_STARTED.as_bytes() {
            stream.write_all(&[*byte]).await.unwrap();
            stream.flush().await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;

    let mut socket = KodiNotifications::connect("127.0.0.1", port, Duration::from_secs(5)).await.unwrap();
    assert_eq!(socket.player(), format!("127.0.0.1:{port}"));
    let started = next(&mut socket).await;
    assert_eq!((started.method.as_str(), &started.data), ("VideoLibrary.OnScanStarted", &Value::Null));
    let update = next(&mut socket).await;
    assert_eq!(update.method, "VideoLibrary.OnUpdate");
    assert_eq!(update.data, json!({ "item": { "id": 1, "type": "movie" }, "transaction": true }));
    assert_eq!(update.movie_id(), Some(1));
    let added = next(&mut socket).await;
    assert_eq!(added.data["added"], true);
    assert_eq!(next(&mut socket).await.method, "VideoLibrary.OnScanFinished");
    assert_eq!(next(&mut socket).await.method, "VideoLibrary.OnCleanFinished");
    assert_eq!(next(&mut socket).await.method, "VideoLibrary.OnScanStarted");
    // Nothing more: the wait ends at the deadline with None.
    let quiet = socket.next_before(Instant::now() + Duration::from_millis(100)).await.unwrap();
    assert_eq!(quiet, None);
}

#[tokio::test]
async fn a_closed_port_a_silent_server_and_other_products_are_errors() {
    let refused = free_port();
    let err = KodiNotifications::connect("127.0.0.1", refused, Duration::from_secs(2)).await.unwrap_err();
    assert!(matches!(&err, PlayerError::Refused { player } if *player == format!("127.0.0.1:{refused}")), "{err:?}");

    let (silent, _guard) = silent_server().await;
    let began = std::time::Instant::now();
    let err = KodiNotifications::connect("127.0.0.1", silent, Duration::from_millis(300)).await.unwrap_err();
    assert!(matches!(err, PlayerError::Timeout { .. }), "{err:?}");
    assert!(began.elapsed() < Duration::from_secs(2));

    // An HTTP server on the port answers with text that is not JSON.
    let http = scripted_server(|mut stream, _| async move {
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let err = KodiNotifications::connect("127.0.0.1", http, Duration::from_secs(2)).await.unwrap_err();
    assert!(matches!(err, PlayerError::NotKodi { .. }), "{err:?}");

    // JSON, but the ping is answered with an error.
    let wrong = scripted_server(|mut stream, ping| async move {
        let answer =
            json!({ "id": ping["id"], "jsonrpc": "2.0", "error": { "code": -32601, "message": "Method not found." } });
        let _ = stream.write_all(answer.to_string().as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let err = KodiNotifications::connect("127.0.0.1", wrong, Duration::from_secs(2)).await.unwrap_err();
    assert!(matches!(err, PlayerError::NotKodi { .. }), "{err:?}");
}

#[tokio::test]
async fn a_socket_closed_while_waiting_is_an_error() {
    let port = scripted_server(|mut stream, ping| async move {
        stream.write_all(pong(&ping).as_bytes()).await.unwrap();
        // Half an object, then Kodi quits.
        stream.write_all(&SCAN_FINISHED.as_bytes()[..20]).await.unwrap();
    })
    .await;
    let mut socket = KodiNotifications::connect("127.0.0.1", port, Duration::from_secs(2)).await.unwrap();
    let err = socket.next_before(Instant::now() + Duration::from_secs(5)).await.unwrap_err();
    assert!(err.to_string().contains("closed the notification socket"), "{err}");
}

fn options(within: Duration) -> RefreshOptions {
    RefreshOptions { confirm_within: within, ..RefreshOptions::default() }
}

#[tokio::test]
async fn a_scan_is_confirmed_by_kodis_notifications() {
    let standin = KodiStandIn::start_with_notifications().await;
    standin.state().on_disk.push(StoredMovie::new("/media/movies/New (2024)/New.mkv", "New"));
    let client = kodi_client(standin.port()).with_notification_port(standin.notification_port());

    let outcome =
        refresh_movie_folder(&client, "/media/movies/New (2024)", options(Duration::from_secs(5))).await.unwrap();

    let RefreshOutcome::ScanRequested { directory, confirmation } = outcome else {
        panic!("expected a scan, got {outcome:?}");
    };
    assert_eq!(directory, "/media/movies/New (2024)/");
    let Confirmation::Confirmed { movie_id, notification, after } = &confirmation else {
        panic!("expected a confirmation, got {confirmation:?}");
    };
    assert_eq!(*movie_id, 1);
    assert_eq!(notification, "VideoLibrary.OnScanFinished");
    assert!(*after < Duration::from_secs(5));
    assert!(confirmation.to_string().starts_with("Kodi confirmed movie 1"), "{confirmation}");
    assert_eq!(
        standin.state().notified,
        ["VideoLibrary.OnScanStarted", "VideoLibrary.OnUpdate", "VideoLibrary.OnUpdate", "VideoLibrary.OnScanFinished"]
    );
    // After the scan finished, the folder was looked up once more to match the update.
    assert_eq!(
        standin.state().methods(),
        [
            "XBMC.GetInfoBooleans",
            "VideoLibrary.GetMovies",
            "Files.GetDirectory",
            "VideoLibrary.Scan",
            "VideoLibrary.GetMovies"
        ]
    );
}

#[tokio::test]
async fn a_scan_that_imports_nothing_is_reported_as_such() {
    let standin = KodiStandIn::start_with_notifications().await;
    // Another folder's movie is on disk; the scanned folder has nothing Kodi can import.
    standin.state().on_disk.push(StoredMovie::new("/media/movies/Other (2020)/Other.mkv", "Other"));
    let client = kodi_client(standin.port()).with_notification_port(standin.notification_port());

    let outcome =
        refresh_movie_folder(&client, "/media/movies/Empty (2024)", options(Duration::from_secs(5))).await.unwrap();

    let confirmation = outcome.confirmation().unwrap();
    assert!(matches!(confirmation, Confirmation::NothingImported { .. }), "{confirmation:?}");
    assert!(!confirmation.is_confirmed());
    assert!(confirmation.to_string().contains("imported nothing"), "{confirmation}");
}

#[tokio::test]
async fn a_refresh_is_confirmed_by_the_update_of_the_re_added_movie() {
    let standin = KodiStandIn::start_with_notifications().await;
    let old_id = standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "Old title"));
    standin.state().add_movie(StoredMovie::new("/media/movies/B (2021)/B.mkv", "B"));
    standin.state().on_disk.push(StoredMovie::new("/media/movies/A (2020)/A.mkv", "New title"));
    // Kodi re-adds the movie in the background, a moment after answering "OK".
    standin.state().refresh_delay = Duration::from_millis(200);
    let client = kodi_client(standin.port()).with_notification_port(standin.notification_port());

    let outcome =
        refresh_movie_folder(&client, "/media/movies/A (2020)", options(Duration::from_secs(10))).await.unwrap();

    let RefreshOutcome::Refreshed { old_movie_id, new_movie_id, confirmation, .. } = outcome else {
        panic!("expected a refresh, got {outcome:?}");
    };
    assert_eq!(old_movie_id, old_id);
    let new_id = new_movie_id.unwrap();
    assert_ne!(new_id, old_id);
    assert!(
        matches!(&confirmation, Confirmation::Confirmed { movie_id, notification, .. }
            if *movie_id == new_id && notification == "VideoLibrary.OnUpdate"),
        "{confirmation:?}"
    );
    assert_eq!(standin.state().notified, ["VideoLibrary.OnRemove", "VideoLibrary.OnUpdate", "VideoLibrary.OnUpdate"]);
}

#[tokio::test]
async fn without_notifications_in_time_the_refresh_is_unconfirmed_not_failed() {
    // A socket that accepts the subscription and then stays silent: the wait is bounded.
    let port = scripted_server(|mut stream, ping| async move {
        stream.write_all(pong(&ping).as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await;
    let standin = KodiStandIn::start().await;
    standin.state().on_disk.push(StoredMovie::new("/media/movies/New (2024)/New.mkv", "New"));
    let client = kodi_client(standin.port()).with_notification_port(port);
    let began = std::time::Instant::now();
    let outcome =
        refresh_movie_folder(&client, "/media/movies/New (2024)", options(Duration::from_millis(300))).await.unwrap();
    let confirmation = outcome.confirmation().unwrap();
    assert!(matches!(confirmation, Confirmation::TimedOut { waited } if *waited >= Duration::from_millis(300)));
    assert!(began.elapsed() < Duration::from_secs(3), "the wait is bounded");

    // A closed notification port: refreshed as before, unconfirmed.
    let client = kodi_client(standin.port()).with_notification_port(free_port());
    let outcome =
        refresh_movie_folder(&client, "/media/movies/New (2024)", options(Duration::from_secs(5))).await.unwrap();
    let confirmation = outcome.confirmation().unwrap();
    assert!(
        matches!(confirmation, Confirmation::Unavailable { reason } if reason.contains("connection refused")),
        "{confirmation:?}"
    );

    // No notification port, or no wait wanted: nothing is asked of the socket.
    let client = kodi_client(standin.port());
    let outcome = refresh_movie_folder(&client, "/media/movies/New (2024)", RefreshOptions::default()).await.unwrap();
    assert_eq!(outcome.confirmation(), Some(&Confirmation::NotRequested));
    let standin = KodiStandIn::start_with_notifications().await;
    let client = kodi_client(standin.port()).with_notification_port(standin.notification_port());
    let outcome = refresh_movie_folder(&client, "/media/movies/New (2024)", options(Duration::ZERO)).await.unwrap();
    assert_eq!(outcome.confirmation(), Some(&Confirmation::NotRequested));
}

#[tokio::test]
async fn a_series_folder_is_scanned_then_refreshed_and_confirmed_by_its_episodes() {
    use metarr_testkit::kodi::standin::StoredEpisode;
    let standin = KodiStandIn::start_with_notifications().await;
    let show = "/media/movies/Firefly (2002)";
    for (n, title) in [(1, "Serenity"), (2, "The Train Job")] {
        let file = format!("{show}/Season 01/Firefly - S01E0{n}.mkv");
        standin.state().episodes_on_disk.push(StoredEpisode::new(show, &file, title, 1, n));
    }
    // A film elsewhere in the same source: never counted for the series.
    standin.state().on_disk.push(StoredMovie::new("/media/movies/Other (2020)/Other.mkv", "Other"));
    let client = kodi_client(standin.port()).with_notification_port(standin.notification_port());

    // Kodi does not know the series: its folder is scanned, and its new episodes confirm it.
    let outcome =
        metarr_players::refresh_series_folder(&client, show, &[], options(Duration::from_secs(5))).await.unwrap();
    let RefreshOutcome::ScanRequested { directory, confirmation } = outcome else {
        panic!("expected a scan, got {outcome:?}");
    };
    assert_eq!(directory, format!("{show}/"));
    let Confirmation::EpisodesConfirmed { episodes, notification, .. } = &confirmation else {
        panic!("expected the episodes to confirm it, got {confirmation:?}");
    };
    assert_eq!((*episodes, notification.as_str()), (2, "VideoLibrary.OnScanFinished"));
    assert!(confirmation.is_confirmed());
    assert!(confirmation.to_string().starts_with("Kodi confirmed 2 episode(s)"), "{confirmation}");
    assert_eq!(standin.state().listed, ["/media/movies/"], "the parent is listed first");
    assert!(client.get_movies_by_path("/media/movies/Other (2020)").await.unwrap().is_empty(), "only the series");

    // Now Kodi knows it: the series is refreshed with its episodes (a new file joins), not scanned.
    let file = format!("{show}/Season 01/Firefly - S01E03.mkv");
    standin.state().episodes_on_disk.push(StoredEpisode::new(show, &file, "Our Mrs. Reynolds", 1, 3));
    let outcome =
        metarr_players::refresh_series_folder(&client, show, &[], options(Duration::from_secs(5))).await.unwrap();
    let RefreshOutcome::SeriesRefreshed { tvshow_id, confirmation } = outcome else {
        panic!("expected a refresh of the series, got {outcome:?}");
    };
    assert_eq!(tvshow_id, 1);
    assert!(matches!(confirmation, Confirmation::EpisodesConfirmed { episodes: 1, .. }), "{confirmation:?}");
    assert_eq!(standin.state().scanned, [format!("{show}/")], "scanned once, the first time");
    assert!(standin.state().methods().contains(&"VideoLibrary.RefreshTVShow".to_owned()));
    let episodes = client.get_episodes_by_path(show).await.unwrap();
    assert_eq!(episodes.iter().map(|e| e.episode).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(episodes.iter().all(|e| e.tvshowid == 1 && e.season == 1));

    // Only one episode changed: it alone is re-read, and confirmed by its new row.
    let refreshes =
        |standin: &KodiStandIn| standin.state().methods().iter().filter(|m| *m == "VideoLibrary.RefreshTVShow").count();
    let before = refreshes(&standin);
    let second = format!("{show}/Season 01/Firefly - S01E02.mkv");
    let outcome = metarr_players::refresh_series_folder(
        &client,
        show,
        std::slice::from_ref(&second),
        options(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let RefreshOutcome::EpisodesRefreshed { episode_ids, confirmation } = outcome else {
        panic!("expected the episode alone, got {outcome:?}");
    };
    assert_eq!(episode_ids.len(), 1);
    assert!(matches!(confirmation, Confirmation::EpisodesConfirmed { episodes: 1, .. }), "{confirmation:?}");
    assert_eq!(standin.state().refreshed_episodes, std::slice::from_ref(&second));
    assert_eq!(refreshes(&standin), before, "the series is not re-read");
    let episodes = client.get_episodes_by_path(show).await.unwrap();
    assert_eq!(episodes.len(), 3, "the episode is back");
    assert!(!episodes.iter().any(|e| episode_ids.contains(&e.episodeid)), "under a new id");

    // An episode Kodi does not know yet (a new file): the series is refreshed whole.
    let fourth = format!("{show}/Season 01/Firefly - S01E04.mkv");
    standin.state().episodes_on_disk.push(StoredEpisode::new(show, &fourth, "Jaynestown", 1, 4));
    let outcome =
        metarr_players::refresh_series_folder(&client, show, &[second, fourth], options(Duration::from_secs(5)))
            .await
            .unwrap();
    assert!(matches!(outcome, RefreshOutcome::SeriesRefreshed { .. }), "{outcome:?}");
    assert_eq!(refreshes(&standin), before + 1);
    assert_eq!(client.get_episodes_by_path(show).await.unwrap().len(), 4);

    // A folder Kodi holds nothing from: the scan imports nothing, and says so.
    let outcome = metarr_players::refresh_series_folder(
        &client,
        "/media/movies/Empty Show",
        &[],
        options(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let confirmation = outcome.confirmation().unwrap();
    assert!(matches!(confirmation, Confirmation::NothingImported { .. }), "{confirmation:?}");
    assert!(confirmation.to_string().contains("\"TV shows\" for a series"), "{confirmation}");
}
