//! End-to-end checks against a real Kodi (Debian's `kodi` under `Xvfb`, PEERS §3) on a
//! free loopback port. First every client call and the HTTP layer (401, 415, no answer
//! without id), confirming the stand-in's shapes; then a real import: an NFO and a poster
//! in a new folder, `refresh_movie_folder` lists and scans it, Kodi shows the NFO's title
//! and uniqueids, and a second refresh with changed artwork drops the cached poster.
//! Skips with a message when Kodi or Xvfb (or, for the import, python3 or ffmpeg) is not
//! installed. Kodi and Xvfb are stopped by their process ids.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metarr_players::{Endpoint, KodiClient, PlayerError, RefreshOptions, RefreshOutcome, refresh_movie_folder};
use secrecy::SecretString;
use serde_json::json;

use crate::kodi_standin::observed_movie_details;

const KODI_BIN: &str = "/usr/lib/x86_64-linux-gnu/kodi/kodi.bin";

/// Kills the child by its pid when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[allow(clippy::print_stderr, reason = "the skip notice is the point: nextest shows it with --no-capture")]
fn tools_present() -> bool {
    let xvfb = Command::new("Xvfb").arg("-help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if Path::new(KODI_BIN).exists() && xvfb {
        return true;
    }
    eprintln!(
        "SKIPPED real_kodi: Kodi or Xvfb is not installed \
         (Debian: apt-get install -y --no-install-recommends kodi xvfb xauth)"
    );
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A display number without an X lock file.
fn free_display() -> u32 {
    (120..400).find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists()).unwrap()
}

async fn wait_for_ping(client: &KodiClient, kodi: &mut Process) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match client.ping().await {
            Ok(()) => return,
            Err(err) => {
                assert!(kodi.0.try_wait().unwrap().is_none(), "Kodi exited early; last error: {err}");
                assert!(Instant::now() < deadline, "Kodi did not answer within 90 s: {err}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

#[tokio::test]
async fn real_kodi_answers_like_the_standin() {
    if !tools_present() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let userdata = home.path().join(".kodi/userdata");
    std::fs::create_dir_all(&userdata).unwrap();
    let port = free_port();
    // The JSON-RPC TCP server (9090) and the event server stay off so parallel runs and
    // other Kodi instances on this machine cannot collide on fixed ports.
    std::fs::write(
        userdata.join("guisettings.xml"),
        format!(
            r#"<settings version="2">
  <setting id="services.webserver">true</setting>
  <setting id="services.webserverport">{port}</setting>
  <setting id="services.webserverauthentication">true</setting>
  <setting id="services.webserverusername">kodi</setting>
  <setting id="services.webserverpassword">kodi</setting>
  <setting id="services.esenabled">false</setting>
  <setting id="services.zeroconf">false</setting>
  <setting id="services.upnp">false</setting>
</settings>
"#
        ),
    )
    .unwrap();
    let media = home.path().join("media/movies");
    std::fs::create_dir_all(media.join("New (2024)")).unwrap();
    // Files.GetDirectory answers "Invalid params." for folders outside every source.
    std::fs::write(
        userdata.join("sources.xml"),
        format!(
            r#"<sources><video><default pathversion="1"></default><source><name>Movies</name><path pathversion="1">{}/</path><allowsharing>true</allowsharing></source></video></sources>"#,
            media.display()
        ),
    )
    .unwrap();

    let display = free_display();
    let _xvfb = Process(
        Command::new("Xvfb")
            .args([format!(":{display}").as_str(), "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut kodi = start_kodi(home.path(), display);

    let endpoint = Endpoint::new("127.0.0.1", port).with_timeout(Duration::from_secs(10));
    let client = KodiClient::new(endpoint.clone(), Some(("kodi".to_owned(), SecretString::from("kodi")))).unwrap();
    wait_for_ping(&client, &mut kodi).await;

    let version = client.version().await.unwrap();
    assert_eq!((version.name.as_str(), version.api_version.as_str()), ("Kodi", "13.0.0"));
    assert!(!client.is_scanning().await.unwrap());
    assert!(client.active_players().await.unwrap().is_empty());
    assert!(client.get_textures("/nowhere/poster.jpg").await.unwrap().is_empty());
    client.show_notification("Metarr", "end-to-end test").await.unwrap();

    let media_dir = format!("{}/", media.display());
    assert!(client.get_movies_by_path(&media_dir).await.unwrap().is_empty());
    let entries = client.get_directory(&media_dir).await.unwrap();
    assert_eq!(entries, [format!("{media_dir}New (2024)/")]);

    let err = client.refresh_movie(999).await.unwrap_err();
    assert!(matches!(err, PlayerError::Rpc { code: -32602, .. }), "{err:?}");
    let err = client.call("VideoLibrary.Nonsense", json!({})).await.unwrap_err();
    assert!(matches!(err, PlayerError::Rpc { code: -32601, .. }), "{err:?}");

    let folder = format!("{media_dir}New (2024)");
    let outcome = refresh_movie_folder(&client, &folder, RefreshOptions::default()).await.unwrap();
    assert_eq!(outcome, RefreshOutcome::ScanRequested { directory: format!("{folder}/") });

    let err = refresh_movie_folder(&client, "/etc/metarr-test", RefreshOptions::default()).await.unwrap_err();
    assert!(matches!(err, PlayerError::OutsideSources { .. }), "{err:?}");

    let wrong = KodiClient::new(endpoint, Some(("kodi".to_owned(), SecretString::from("wrong")))).unwrap();
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

    quit(&client, &mut kodi).await;

    // Second round: a real import. No JSON-RPC call gives a folder the "movies" content
    // and a scraper, so the path row goes into Kodi's database while Kodi is stopped
    // (PEERS §3), with python3's sqlite3 module as the only SQLite client at hand.
    if !python3_and_ffmpeg_present() {
        return;
    }
    let database = std::fs::read_dir(userdata.join("Database"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.file_name().unwrap().to_string_lossy().starts_with("MyVideos"))
        .unwrap();
    let insert = format!(
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO path (strPath,strContent,\
         strScraper,scanRecursive,useFolderNames,strSettings,noUpdate,exclude,allAudio) VALUES \
         (?,'movies','metadata.local',2147483647,1,'',0,0,0)\", ('{media_dir}',)); c.commit()"
    );
    let status = Command::new("python3").args(["-c", &insert]).arg(&database).status().unwrap();
    assert!(status.success());

    let folder = media.join("Big Buck Test (2008)");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("Big Buck Test (2008).nfo"), include_str!("../data/roundtrip-input.movie.nfo")).unwrap();
    ffmpeg(
        &["-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=10", "-pix_fmt", "yuv420p"],
        &folder.join("Big Buck Test (2008).mkv"),
    );
    ffmpeg(&["-f", "lavfi", "-i", "color=red:size=200x300", "-frames:v", "1"], &folder.join("poster.jpg"));

    let mut kodi = start_kodi(home.path(), display);
    wait_for_ping(&client, &mut kodi).await;
    let kodi_folder = folder.display().to_string();

    // Unknown to Kodi: listed, scanned, imported.
    let outcome = refresh_movie_folder(&client, &kodi_folder, RefreshOptions::default()).await.unwrap();
    assert_eq!(outcome, RefreshOutcome::ScanRequested { directory: format!("{kodi_folder}/") });
    let movie = eventually("the scan imports the movie", || async {
        client.get_movies_by_path(&kodi_folder).await.unwrap().into_iter().next()
    })
    .await;
    assert_eq!(movie.title, "Big Buck Test");
    let details = client.get_movie_details(movie.movieid, &["title", "uniqueid"]).await.unwrap();
    assert_eq!(details["uniqueid"], observed_movie_details()["uniqueid"]);

    // Known to Kodi: refreshed in place; the poster's cached texture is dropped.
    let poster = movie.art["poster"].clone();
    eventually("Kodi caches the poster", || async { client.get_textures(&poster).await.unwrap().first().cloned() })
        .await;
    let options = RefreshOptions { skip_while_playing: true, changed_artwork: true };
    let outcome = eventually("Kodi is idle", || async {
        match refresh_movie_folder(&client, &kodi_folder, options).await.unwrap() {
            RefreshOutcome::Busy(_) => None,
            outcome => Some(outcome),
        }
    })
    .await;
    let RefreshOutcome::Refreshed { old_movie_id, new_movie_id, textures_removed } = outcome else {
        panic!("expected a refresh, got {outcome:?}");
    };
    assert_eq!(old_movie_id, movie.movieid);
    assert!(new_movie_id.is_some());
    assert!(textures_removed >= 1, "the poster texture was removed");
    quit(&client, &mut kodi).await;
}

fn start_kodi(home: &Path, display: u32) -> Process {
    Process(
        Command::new(KODI_BIN)
            .args(["--standalone", "--windowing=x11"])
            .env("HOME", home)
            .env("DISPLAY", format!(":{display}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Quits cleanly so Kodi writes its database and settings; the guard kills it if it lingers.
async fn quit(client: &KodiClient, kodi: &mut Process) {
    let _ = client.call("Application.Quit", json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while kodi.0.try_wait().unwrap().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = kodi.0.kill();
    let _ = kodi.0.wait();
}

/// Polls `probe` every 250 ms for up to 30 s; Kodi scans and caches in the background.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn ffmpeg(input: &[&str], output: &Path) {
    let status = Command::new("ffmpeg").args(["-loglevel", "error", "-y"]).args(input).arg(output).status().unwrap();
    assert!(status.success(), "ffmpeg failed for {}", output.display());
}

#[allow(clippy::print_stderr, reason = "the skip notice is the point: nextest shows it with --no-capture")]
fn python3_and_ffmpeg_present() -> bool {
    let present = |tool: &str, arg: &str| {
        Command::new(tool).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    };
    if present("python3", "--version") && present("ffmpeg", "-version") {
        return true;
    }
    eprintln!("SKIPPED real_kodi import round: python3 or ffmpeg is not installed");
    false
}
