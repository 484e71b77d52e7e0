//! A real headless Kodi for end-to-end tests (docs/peers/kodi.md, "A real Kodi in tests"): Debian's `kodi` under `Xvfb`, its
//! web server and notification socket on free loopback ports, a home in a temporary folder,
//! and one video source. Kodi and Xvfb are stopped by their process ids.
//!
//! Used by the integration tests of `metarr-players` and of the app, so both drive Kodi the
//! same way. It speaks JSON-RPC by hand ([`HeadlessKodi::call`]) rather than through
//! `metarr_players::KodiClient`, so that the testkit depends on no crate it helps test; the
//! tests make their client from [`HeadlessKodi::http_port`], [`HeadlessKodi::tcp_port`] and
//! the credentials in [`crate::kodi`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{KODI_AUTH, KODI_PASSWORD, KODI_USER};

/// Where Debian installs Kodi's binary.
pub const KODI_BIN: &str = "/usr/lib/x86_64-linux-gnu/kodi/kodi.bin";

/// Kills the child by its pid when dropped, however the test ends.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether Kodi, Xvfb and the `extra` tools (each run with `-version`/`--version`) are
/// installed. When something is missing the test is skipped with a message naming it,
/// except under `CI=true`, where a missing tool fails the test: CI installs them all.
pub fn tools_present(test: &str, extra: &[(&str, &str)]) -> bool {
    let mut missing = Vec::new();
    if !Path::new(KODI_BIN).exists() {
        missing.push("kodi");
    }
    if !crate::runs("Xvfb", "-help") {
        missing.push("Xvfb");
    }
    for (tool, arg) in extra {
        if !crate::runs(tool, arg) {
            missing.push(tool);
        }
    }
    if missing.is_empty() {
        return true;
    }
    crate::require(
        false,
        &format!("{} (for {test})", missing.join(", ")),
        "Debian: apt-get install -y --no-install-recommends kodi xvfb xauth ffmpeg python3",
    )
}

/// A UDP port nobody uses right now (Kodi's event server).
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port").local_addr().expect("address").port()
}

/// A running Kodi (or one stopped between rounds) with its home folder.
pub struct HeadlessKodi {
    // Dropped in this order: Kodi, then its display, then its home.
    kodi: Option<Process>,
    _xvfb: Process,
    display: u32,
    home: tempfile::TempDir,
    /// The web server's port (JSON-RPC over HTTP).
    pub http_port: u16,
    /// The JSON-RPC notification socket's port (Kodi's 9090).
    pub tcp_port: u16,
    /// The video source's folder, with its trailing slash.
    pub source: String,
    /// Held until Kodi is gone: one real Kodi at a time on the machine, under nextest (its
    /// `real-kodi` group) and under `cargo test` (threads) alike.
    _one_at_a_time: crate::Exclusive,
}

impl HeadlessKodi {
    /// Writes Kodi's settings (web server with authentication on a free port, the
    /// notification socket on another, nothing on fixed ports), makes `source` Kodi's one
    /// video source, starts Xvfb and Kodi and waits until Kodi answers.
    pub async fn start(source: &Path) -> HeadlessKodi {
        let one_at_a_time = tokio::task::spawn_blocking(|| crate::exclusive("real-kodi"))
            .await
            .expect("waiting for the real-Kodi lock");
        let home = tempfile::tempdir().expect("Kodi's home");
        let userdata = home.path().join(".kodi/userdata");
        std::fs::create_dir_all(&userdata).expect("userdata");
        let http_port = crate::free_port();
        let tcp_port = crate::free_port();
        let event_port = free_udp_port();
        // services.esenabled ("allow remote control from applications on this system")
        // starts the JSON-RPC TCP server with the event server; both get free ports so
        // that other Kodi instances on the machine cannot collide with the test.
        std::fs::write(
            userdata.join("guisettings.xml"),
            format!(
                r#"<settings version="2">
  <setting id="services.webserver">true</setting>
  <setting id="services.webserverport">{http_port}</setting>
  <setting id="services.webserverauthentication">true</setting>
  <setting id="services.webserverusername">{KODI_USER}</setting>
  <setting id="services.webserverpassword">{KODI_PASSWORD}</setting>
  <setting id="services.esenabled">true</setting>
  <setting id="services.esallinterfaces">false</setting>
  <setting id="services.esport">{event_port}</setting>
  <setting id="services.esportrange">1</setting>
  <setting id="services.zeroconf">false</setting>
  <setting id="services.upnp">false</setting>
</settings>
"#
            ),
        )
        .expect("guisettings.xml");
        std::fs::write(
            userdata.join("advancedsettings.xml"),
            format!("<advancedsettings version=\"1.0\"><jsonrpc><tcpport>{tcp_port}</tcpport></jsonrpc></advancedsettings>\n"),
        )
        .expect("advancedsettings.xml");
        let source = format!("{}/", source.display().to_string().trim_end_matches('/'));
        // Files.GetDirectory answers "Invalid params." for folders outside every source.
        std::fs::write(
            userdata.join("sources.xml"),
            format!(
                r#"<sources><video><default pathversion="1"></default><source><name>Movies</name><path pathversion="1">{source}</path><allowsharing>true</allowsharing></source></video></sources>"#
            ),
        )
        .expect("sources.xml");
        let (xvfb, display) = start_xvfb();
        let mut kodi = HeadlessKodi {
            kodi: None,
            _xvfb: xvfb,
            display,
            home,
            http_port,
            tcp_port,
            source,
            _one_at_a_time: one_at_a_time,
        };
        kodi.launch().await;
        kodi
    }

    /// One JSON-RPC call to the web server with the test credentials: the `result`, or why
    /// there is none (no connection, no answer within 10 s, an HTTP status other than 200, a
    /// JSON-RPC error).
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        json_rpc(self.http_port, method, params).await
    }

    /// Starts Kodi and waits up to 90 s for its first answer (7–8 s on an idle machine).
    pub async fn launch(&mut self) {
        let child = Command::new(KODI_BIN)
            .args(["--standalone", "--windowing=x11"])
            .env("HOME", self.home.path())
            .env("DISPLAY", format!(":{}", self.display))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Kodi");
        let mut process = Process(child);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let answer = self.call("JSONRPC.Ping", json!({})).await;
            if answer.as_ref().is_ok_and(|result| result == "pong") {
                break;
            }
            assert!(
                process.0.try_wait().expect("Kodi's status").is_none(),
                "Kodi exited early; last answer: {answer:?}"
            );
            assert!(Instant::now() < deadline, "Kodi did not answer within 90 s: {answer:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.kodi = Some(process);
    }

    /// Quits cleanly (`Application.Quit`) so Kodi writes its database and settings; kills it
    /// by its pid if it lingers.
    pub async fn quit(&mut self) {
        let Some(mut process) = self.kodi.take() else { return };
        let _ = self.call("Application.Quit", json!({})).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while process.0.try_wait().expect("Kodi's status").is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        drop(process);
    }

    /// Gives the source the "movies" content type with the bundled local-only scraper, so
    /// that scans import NFOs and local artwork without network. No JSON-RPC call does
    /// that, so the path row goes into Kodi's database while Kodi is stopped (docs/peers/kodi.md),
    /// with python3's sqlite3 module; Kodi is restarted afterwards.
    pub async fn make_source_a_movie_library(&mut self) {
        self.set_source_content("movies", 2_147_483_647, 1).await;
    }

    /// The same for TV shows: the "tvshows" content type (one folder per series under the
    /// source, not recursive, not named by folders), with the same local-only scraper, which
    /// reads `tvshow.nfo` and episode NFOs.
    pub async fn make_source_a_tv_library(&mut self) {
        self.set_source_content("tvshows", 0, 0).await;
    }

    async fn set_source_content(&mut self, content: &str, recursive: i64, folder_names: i64) {
        self.quit().await;
        let database = self.video_database();
        let insert = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO path (strPath,\
                      strContent,strScraper,scanRecursive,useFolderNames,strSettings,noUpdate,exclude,allAudio) \
                      VALUES (?,?,'metadata.local',?,?,'',0,0,0)\", (sys.argv[2], sys.argv[3], int(sys.argv[4]), \
                      int(sys.argv[5]))); c.commit()";
        let status = Command::new("python3")
            .args(["-c", insert])
            .arg(&database)
            .arg(&self.source)
            .args([content, &recursive.to_string(), &folder_names.to_string()])
            .status()
            .expect("run python3");
        assert!(status.success(), "inserting the {content} source into {}", database.display());
        self.launch().await;
    }

    /// `userdata/Database/MyVideos*.db`, which Kodi creates on its first start.
    fn video_database(&self) -> PathBuf {
        std::fs::read_dir(self.home.path().join(".kodi/userdata/Database"))
            .expect("Kodi created its database folder")
            .map(|entry| entry.expect("database entry").path())
            .find(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("MyVideos")))
            .expect("Kodi created its video database")
    }

    /// The end of Kodi's log, for assertion messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.home.path().join(".kodi/temp/kodi.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// Starts Xvfb on the first display that works: a lock file may be stale and another test
/// may take a display between the check and the start.
fn start_xvfb() -> (Process, u32) {
    for display in 120..400 {
        if Path::new(&format!("/tmp/.X{display}-lock")).exists() {
            continue;
        }
        let child = Command::new("Xvfb")
            .args([format!(":{display}").as_str(), "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut process = Process(child);
        std::thread::sleep(Duration::from_millis(300));
        if process.0.try_wait().expect("Xvfb's status").is_none() {
            return (process, display);
        }
    }
    panic!("no free X display between :120 and :399");
}

/// Polls `probe` every 250 ms for up to 30 s; Kodi scans and caches in the background.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
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

/// Runs ffmpeg quietly, writing `output`.
pub fn ffmpeg(input: &[&str], output: &Path) {
    let status =
        Command::new("ffmpeg").args(["-loglevel", "error", "-y"]).args(input).arg(output).status().expect("run ffmpeg");
    assert!(status.success(), "ffmpeg failed for {}", output.display());
}

/// One JSON-RPC call over HTTP/1.1 to `127.0.0.1:port`, written by hand: Basic auth with the
/// test credentials, one request per connection.
async fn json_rpc(port: u16, method: &str, params: Value) -> Result<Value, String> {
    let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 }).to_string();
    let request = format!(
        "POST /jsonrpc HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {KODI_AUTH}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| format!("{method}: no answer within 10 s"))?
        .map_err(|err| format!("{method}: {err}"))?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(|| format!("{method}: not HTTP: {response:?}"))?;
    let status = head.lines().next().unwrap_or_default();
    if status.split(' ').nth(1) != Some("200") {
        return Err(format!("{method}: {status}"));
    }
    let answer: Value = serde_json::from_str(body).map_err(|err| format!("{method}: {err} in {body:?}"))?;
    match answer.get("error") {
        Some(error) => Err(format!("{method}: {error}")),
        None => Ok(answer["result"].clone()),
    }
}
