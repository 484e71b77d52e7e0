//! End-to-end checks against a real Kodi (Debian's `kodi` under `Xvfb`, see docs/peers/kodi.md,
//! "A real Kodi in tests") on free loopback ports. First every client call and the HTTP
//! layer (401, 415, no answer without id), confirming the stand-in's shapes; then a real
//! import: an NFO and a poster in a new folder, `refresh_movie_folder` lists and scans it
//! and Kodi confirms the import on its notification socket, Kodi shows the NFO's title and
//! uniqueids, and a second refresh with changed artwork is confirmed too and drops the
//! cached poster.
//! Skips with a message when Kodi, Xvfb, python3 or ffmpeg is not installed, except under
//! `CI=true`, where that fails. Kodi and Xvfb are stopped by their process ids.

use std::time::Duration;

use metarr_players::{
    Confirmation, KodiNotifications, PlayerError, RefreshOptions, RefreshOutcome, refresh_movie_folder,
};
use metarr_testkit::kodi::headless::{HeadlessKodi, eventually, ffmpeg, tools_present};
use metarr_testkit::kodi::standin::observed_movie_details;
use secrecy::SecretString;
use serde_json::json;
use tokio::time::Instant;

use crate::support::headless_kodi_client;

#[tokio::test]
#[allow(clippy::print_stderr, reason = "what the real Kodi sent is shown with --no-capture")]
async fn real_kodi_answers_like_the_standin() {
    if !tools_present("real_kodi", &[("python3", "--version"), ("ffmpeg", "-version")]) {
        return;
    }
    let media_root = tempfile::tempdir().unwrap();
    let media = media_root.path().join("movies");
    std::fs::create_dir_all(media.join("New (2024)")).unwrap();
    let mut kodi = HeadlessKodi::start(&media).await;
    let port = kodi.http_port;
    let client = headless_kodi_client(&kodi);
    let endpoint = client.endpoint().clone();

    let version = client.version().await.unwrap();
    assert_eq!((version.name.as_str(), version.api_version.as_str()), ("Kodi", "13.0.0"));
    assert!(!client.is_scanning().await.unwrap());
    assert!(client.active_players().await.unwrap().is_empty());
    assert!(client.get_textures("/nowhere/poster.jpg").await.unwrap().is_empty());
    client.show_notification("Metarr", "end-to-end test").await.unwrap();

    // The notification socket answers a ping and then pushes notifications.
    let mut socket = KodiNotifications::connect("127.0.0.1", kodi.tcp_port, Duration::from_secs(5)).await.unwrap();
    assert!(socket.next_before(Instant::now() + Duration::from_millis(200)).await.unwrap().is_none());

    let media_dir = kodi.source.clone();
    assert!(client.get_movies_by_path(&media_dir).await.unwrap().is_empty());
    let entries = client.get_directory(&media_dir).await.unwrap();
    assert_eq!(entries, [format!("{media_dir}New (2024)/")]);

    let err = client.refresh_movie(999).await.unwrap_err();
    assert!(matches!(err, PlayerError::Rpc { code: -32602, .. }), "{err:?}");
    let err = client.call("VideoLibrary.Nonsense", json!({})).await.unwrap_err();
    assert!(matches!(err, PlayerError::Rpc { code: -32601, .. }), "{err:?}");

    // A folder without a video, in a source without content type: the scan is requested
    // but Kodi confirms nothing.
    let folder = format!("{media_dir}New (2024)");
    let options = RefreshOptions { confirm_within: Duration::from_secs(5), ..RefreshOptions::default() };
    let outcome = refresh_movie_folder(&client, &folder, options).await.unwrap();
    let RefreshOutcome::ScanRequested { directory, confirmation } = outcome else {
        panic!("expected a scan, got {outcome:?}");
    };
    assert_eq!(directory, format!("{folder}/"));
    assert!(!confirmation.is_confirmed(), "{confirmation:?}");
    eprintln!("real_kodi: scan of an empty folder outside a movie library: {confirmation}");

    let err = refresh_movie_folder(&client, "/etc/metarr-test", RefreshOptions::default()).await.unwrap_err();
    assert!(matches!(err, PlayerError::OutsideSources { .. }), "{err:?}");

    let wrong =
        metarr_players::KodiClient::new(endpoint, Some(("kodi".to_owned(), SecretString::from("wrong")))).unwrap();
    assert!(matches!(wrong.ping().await.unwrap_err(), PlayerError::Unauthorized { .. }));

    // The raw HTTP layer: 401 with the realm, 415 for a form content type, no answer
    // without an id.
    let url = format!("http://127.0.0.1:{port}/jsonrpc");
    let http = reqwest::Client::new();
    let ping = r#"{"jsonrpc":"2.0","method":"JSONRPC.Ping","id":1}"#;
    let response = http.post(&url).header("Content-Type", "application/json").body(ping).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["WWW-Authenticate"], "Basic realm=\"Kodi\"");
    let response = http
        .post(&url)
        .basic_auth("kodi", Some("kodi"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = http.post(&url).basic_auth("kodi", Some("kodi")).body(ping).send().await.unwrap();
    assert_eq!(response.status(), 200, "no Content-Type at all is accepted");
    let result = http
        .post(&url)
        .basic_auth("kodi", Some("kodi"))
        .header("Content-Type", "application/json")
        .body(r#"{"jsonrpc":"2.0","method":"JSONRPC.Ping"}"#)
        .send()
        .await;
    match result {
        Err(_) => {}
        Ok(response) => {
            let body = response.bytes().await.unwrap_or_default();
            assert!(body.is_empty(), "a request without id got an answer: {body:?}");
        }
    }
    drop(socket);

    // Second round: a real import into a source with the "movies" content type.
    kodi.make_source_a_movie_library().await;
    let folder = media.join("Big Buck Test (2008)");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("Big Buck Test (2008).nfo"), include_str!("../data/roundtrip-input.movie.nfo")).unwrap();
    ffmpeg(
        &["-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=10", "-pix_fmt", "yuv420p"],
        &folder.join("Big Buck Test (2008).mkv"),
    );
    ffmpeg(&["-f", "lavfi", "-i", "color=red:size=200x300", "-frames:v", "1"], &folder.join("poster.jpg"));
    let kodi_folder = folder.display().to_string();

    // Everything Kodi sends during the import, shown with --no-capture for the record.
    let mut observer = KodiNotifications::connect("127.0.0.1", kodi.tcp_port, Duration::from_secs(5)).await.unwrap();

    // Unknown to Kodi: listed, scanned, imported, and confirmed by the notifications.
    let options = RefreshOptions { confirm_within: Duration::from_secs(30), ..RefreshOptions::default() };
    let outcome = refresh_movie_folder(&client, &kodi_folder, options).await.unwrap();
    let RefreshOutcome::ScanRequested { directory, confirmation } = outcome else {
        panic!("expected a scan, got {outcome:?}");
    };
    assert_eq!(directory, format!("{kodi_folder}/"));
    let Confirmation::Confirmed { movie_id, notification, after } = &confirmation else {
        panic!("Kodi did not confirm the import: {confirmation:?}\n{}", kodi.log_tail());
    };
    assert_eq!(notification, "VideoLibrary.OnScanFinished");
    eprintln!("real_kodi: import: {confirmation}");
    while let Some(seen) = observer.next_before(Instant::now() + Duration::from_millis(300)).await.unwrap() {
        eprintln!("real_kodi: notification {} {}", seen.method, seen.data);
    }
    assert!(*after < Duration::from_secs(30));
    // Confirmed means it is there now, without polling.
    let movie = client.get_movies_by_path(&kodi_folder).await.unwrap().into_iter().next().expect("imported");
    assert_eq!(movie.movieid, *movie_id);
    assert_eq!(movie.title, "Big Buck Test");
    let details = client.get_movie_details(movie.movieid, &["title", "uniqueid"]).await.unwrap();
    assert_eq!(details["uniqueid"], observed_movie_details()["uniqueid"]);

    // Known to Kodi: refreshed in place and confirmed; the poster's cached texture is dropped.
    let poster = movie.art["poster"].clone();
    eventually("Kodi caches the poster", || async { client.get_textures(&poster).await.unwrap().first().cloned() })
        .await;
    let options =
        RefreshOptions { skip_while_playing: true, changed_artwork: true, confirm_within: Duration::from_secs(30) };
    let outcome = eventually("Kodi is idle", || async {
        match refresh_movie_folder(&client, &kodi_folder, options).await.unwrap() {
            RefreshOutcome::Busy(_) => None,
            outcome => Some(outcome),
        }
    })
    .await;
    let RefreshOutcome::Refreshed { old_movie_id, new_movie_id, textures_removed, confirmation } = outcome else {
        panic!("expected a refresh, got {outcome:?}");
    };
    assert_eq!(old_movie_id, movie.movieid);
    assert!(
        matches!(&confirmation, Confirmation::Confirmed { movie_id, notification, .. }
            if Some(*movie_id) == new_movie_id && notification == "VideoLibrary.OnUpdate"),
        "{confirmation:?}"
    );
    eprintln!("real_kodi: refresh: {confirmation}");
    while let Some(seen) = observer.next_before(Instant::now() + Duration::from_millis(300)).await.unwrap() {
        eprintln!("real_kodi: notification {} {}", seen.method, seen.data);
    }
    assert!(textures_removed >= 1, "the poster texture was removed");
    kodi.quit().await;
}
