//! What the fault tests share: real `metarr serve` processes to kill, generated libraries, a
//! private PostgreSQL cluster to restart, a tmpfs to fill, and the checks of a finished scan.

use futures::StreamExt;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::task::JoinHandle;

const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");

/// The key every test server uses, so that a restarted process answers to the same one.
pub const API_KEY: &str = "faultsfaultsfaultsfaults";

/// Fails under `CI`, otherwise says what is missing and returns false so the test skips.
pub fn require(available: bool, what: &str) -> bool {
    metarr_testkit::require(available, what, "the fault tests run as root on Linux; .ci/run installs sqlite3")
}

/// One `metarr serve` process with its log file.
pub struct Server {
    child: Child,
    pub address: String,
    pub client: reqwest::Client,
    log: PathBuf,
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl Server {
    /// Starts `metarr serve` on a free port over `data_dir` and `database_url` with a 2 s lease,
    /// so that a restarted process rescues a killed one's jobs quickly, and waits until it answers.
    pub async fn start(data_dir: &Path, database_url: &str, extra_env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = data_dir.join(format!("serve-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create the server log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_metarr"));
        command
            .arg("serve")
            .current_dir(data_dir)
            .env_remove("METARR_CONFIG")
            .env("METARR_BIND", format!("127.0.0.1:{port}"))
            .env("METARR_DATA_DIR", data_dir)
            .env("METARR_DATABASE_URL", database_url)
            .env("METARR_API_KEY", API_KEY)
            .env("METARR_WORKER__LEASE_SECS", "2")
            .env("METARR_WORKER__SHUTDOWN_GRACE_SECS", "2")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log_file);
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let child = command.spawn().expect("metarr serve starts");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client");
        let mut server = Server { child, address: format!("http://127.0.0.1:{port}"), client, log };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.client.get(self.url("/health")).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("metarr serve exited with {status} before answering:\n{}", self.log_tail());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "metarr serve did not answer in 30 s:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last lines of the process's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `SIGKILL`: the process gets no chance to finish or release anything.
    pub fn kill_dash_nine(&mut self) {
        self.child.kill().expect("SIGKILL metarr serve");
        self.child.wait().expect("reap metarr serve");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    pub fn events_url(&self) -> String {
        format!("{}/api/v1/events?apikey={API_KEY}", self.address.replacen("http", "ws", 1))
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.header("X-Api-Key", API_KEY).send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    /// Creates a library at `root` and returns its id.
    pub async fn create_library(&self, root: &Path) -> i64 {
        let (status, library) = self.post_json("/libraries", &json!({ "path": root.display().to_string() })).await;
        assert_eq!(status, 201, "{library}");
        library["id"].as_i64().expect("library id")
    }

    /// Starts a scan of a library; returns the scan record.
    pub async fn start_scan(&self, library_id: i64) -> Value {
        let (status, scan) = self.send(self.client.post(self.url(&format!("/libraries/{library_id}/scan")))).await;
        assert_eq!(status, 202, "{scan}");
        scan
    }

    pub async fn scan(&self, scan_id: i64) -> Value {
        let (status, scan) = self.get(&format!("/scans/{scan_id}")).await;
        assert_eq!(status, 200, "{scan}");
        scan
    }

    /// Jobs of a correlation id that are pending or running, by kind.
    pub async fn unfinished_jobs(&self, correlation_id: &str) -> Vec<(String, String, i64)> {
        let mut unfinished = Vec::new();
        for state in ["pending", "running"] {
            let (status, page) =
                self.get(&format!("/jobs?correlation_id={correlation_id}&state={state}&limit=500")).await;
            assert_eq!(status, 200, "{page}");
            for job in page["items"].as_array().expect("items") {
                unfinished.push((
                    job["kind"].as_str().unwrap_or_default().to_owned(),
                    state.to_owned(),
                    job["id"].as_i64().unwrap_or_default(),
                ));
            }
        }
        unfinished
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The header of a PNG of the given size.
pub fn png(width: u32, height: u32, salt: u8) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, salt]);
    bytes
}

/// A library of `n` movie folders under `root`, spread over a few parent folders, each with a
/// hard link to one real video and two artwork files of their own bytes. Returns the number of
/// artwork files.
pub fn movie_library(root: &Path, n: u32) -> i64 {
    let sample = root.parent().expect("the library has a parent").join("sample.mp4");
    std::fs::create_dir_all(root).expect("library root");
    std::fs::copy(SAMPLE_VIDEO, &sample).expect("copy the sample video");
    for i in 0..n {
        let folder = root.join(format!("{:02}/Film {i:04} (2004)", i % 9));
        std::fs::create_dir_all(&folder).expect("movie folder");
        std::fs::hard_link(&sample, folder.join(format!("Film {i:04} (2004).mp4"))).expect("link the video");
        std::fs::write(folder.join("poster.png"), png(1000 + i, 1500, 3)).expect("poster");
        std::fs::write(folder.join("fanart.jpg"), format!("fanart of film {i}")).expect("fanart");
    }
    i64::from(2 * n)
}

/// The files the cache holds (outside `cache/tmp`), and what `cache/tmp` still holds.
pub fn cache_contents(cache_root: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    fn walk(dir: &Path, into: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.expect("cache entry").path();
            if path.is_dir() {
                walk(&path, into);
            } else {
                into.push(path);
            }
        }
    }
    let mut files = Vec::new();
    let mut tmp = Vec::new();
    let Ok(entries) = std::fs::read_dir(cache_root) else { return (files, tmp) };
    for entry in entries {
        let path = entry.expect("cache entry").path();
        if path.file_name().is_some_and(|name| name == "tmp") {
            walk(&path, &mut tmp);
        } else if path.is_dir() {
            walk(&path, &mut files);
        } else {
            files.push(path);
        }
    }
    (files, tmp)
}

/// Every cached file is complete: named `<sha256>.<ext>` after the SHA-256 of its bytes, in
/// its `<2 hex>/<2 hex>` folder. Returns how many there are.
pub fn assert_cache_complete(cache_root: &Path) -> usize {
    let (files, tmp) = cache_contents(cache_root);
    assert!(tmp.is_empty(), "temporary files left in cache/tmp: {tmp:?}");
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (sha256, ext) = name.split_once('.').unwrap_or((name, ""));
        assert!(
            metarr::cache::is_sha256(sha256) && !ext.is_empty(),
            "a file that is no cache entry: {}",
            file.display()
        );
        let bytes = std::fs::read(file).expect("cached file");
        let actual = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
        assert_eq!(actual, sha256, "{} holds other bytes than its name says", file.display());
        assert_eq!(metarr::cache::path_for(cache_root, sha256, ext), *file, "misplaced cache file");
    }
    files.len()
}

/// `scan.completed` events of one scan, collected from a WebSocket until [`Completions::finish`].
pub struct Completions {
    task: JoinHandle<Vec<Value>>,
    barrier_scan: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Completions {
    /// Listens on `server`'s event stream for `scan.completed` of `scan_id`.
    pub async fn listen(server: &Server, scan_id: i64) -> Completions {
        let (mut socket, _) = tokio_tungstenite::connect_async(server.events_url()).await.expect("WebSocket connects");
        let barrier_scan = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let barrier = std::sync::Arc::clone(&barrier_scan);
        let task = tokio::spawn(async move {
            let mut completions = Vec::new();
            while let Some(Ok(message)) = socket.next().await {
                let tokio_tungstenite::tungstenite::Message::Text(text) = message else { continue };
                let event: Value = serde_json::from_str(&text).expect("JSON event");
                if event["type"] != "scan.completed" {
                    continue;
                }
                let id = event["data"]["id"].as_i64().unwrap_or_default();
                if id == scan_id {
                    completions.push(event["data"].clone());
                } else if id == barrier.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
            }
            completions
        });
        Completions { task, barrier_scan }
    }

    /// Scans an empty library after everything of the watched scan finished: scan events reach
    /// a socket in the order they were published, so once that scan's completion arrives, every
    /// completion of the watched scan ever published has arrived too.
    pub async fn finish(self, server: &Server, empty_root: &Path) -> Vec<Value> {
        std::fs::create_dir_all(empty_root).expect("empty library");
        let library_id = server.create_library(empty_root).await;
        let scan = server.start_scan(library_id).await;
        self.barrier_scan.store(scan["id"].as_i64().expect("scan id"), std::sync::atomic::Ordering::SeqCst);
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the empty library's scan completes")
            .expect("the listener did not panic")
    }
}

/// A tmpfs of `size` mounted on `dir` (created), unmounted when dropped, also on a panic.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts, or returns `None` when mounting is not allowed here.
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(status) if status.success() => Some(Tmpfs { dir: dir.to_owned() }),
            _ => None,
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a process still holding a file there must not keep the mount alive.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// A PostgreSQL cluster of the test's own, on a free port, so that restarting it disturbs no
/// other test. Stopped and removed when dropped.
pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl PrivatePostgres {
    /// The newest installed server's programs, when there are any.
    fn bin_dir() -> Option<PathBuf> {
        let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        versions.sort_unstable();
        let bin = PathBuf::from(format!("/usr/lib/postgresql/{}/bin", versions.last()?));
        bin.join("initdb").exists().then_some(bin)
    }

    /// Creates and starts a cluster, or `None` (with the reason) when this machine cannot.
    pub fn start() -> Result<PrivatePostgres, String> {
        let bin = PrivatePostgres::bin_dir().ok_or("initdb (PostgreSQL server programs)")?;
        let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
        let data = dir.path().join("data");
        // initdb refuses to run as root: the cluster belongs to the `postgres` user.
        let chown = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status();
        if !chown.is_ok_and(|status| status.success()) {
            return Err("a `postgres` user to own the cluster".into());
        }
        let initdb = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join("initdb"))
            .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !initdb.is_ok_and(|status| status.success()) {
            return Err("initdb run as the postgres user (runuser)".into());
        }
        let postgres = PrivatePostgres { bin, data, _dir: dir, port: free_port() };
        postgres.pg_ctl(&["start"])?;
        Ok(postgres)
    }

    fn pg_ctl(&self, action: &[&str]) -> Result<(), String> {
        let socket_dir = self.data.parent().expect("data has a parent").display().to_string();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {socket_dir} -c fsync=off -c max_connections=100",
            self.port
        );
        let log = self.data.parent().expect("data has a parent").join("postgres.log");
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-m", "fast", "-o", &options])
            .args(action)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(status) if status.success() => Ok(()),
            other => Err(format!("pg_ctl {action:?}: {other:?}")),
        }
    }

    /// The server's URL (the `postgres` database, trusted).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (closing every connection) and starts it again.
    pub fn restart(&self) {
        self.pg_ctl(&["restart"]).expect("restart the private PostgreSQL");
    }

    /// Stops the server, keeps it down for `down`, and starts it again.
    pub fn outage(&self, down: Duration) {
        self.pg_ctl(&["stop"]).expect("stop the private PostgreSQL");
        std::thread::sleep(down);
        self.pg_ctl(&["start"]).expect("start the private PostgreSQL");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-w", "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// An exclusive lock on a SQLite file held by another process (the `sqlite3` shell).
pub struct SqliteLock {
    child: Child,
}

impl SqliteLock {
    /// Takes the write lock and returns once it is held; `None` without the `sqlite3` shell.
    pub fn take(database: &Path) -> Option<SqliteLock> {
        use std::io::BufRead;
        let mut child = Command::new("sqlite3")
            .arg(database)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.as_mut().expect("piped stdin");
        // A write inside the transaction: in WAL mode the lock that blocks writers is the one a
        // writing transaction holds.
        stdin
            .write_all(b".timeout 30000\n.bail on\nBEGIN EXCLUSIVE;\nCREATE TABLE IF NOT EXISTS fault_lock (x);\nINSERT INTO fault_lock VALUES (1);\nSELECT 'locked';\n")
            .expect("send the lock statements");
        stdin.flush().expect("flush");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        // `.bail on`: a failed statement ends the shell, and this line never comes.
        std::io::BufReader::new(stdout).read_line(&mut line).expect("read from sqlite3");
        assert_eq!(line.trim(), "locked", "sqlite3 took the lock");
        Some(SqliteLock { child })
    }

    /// Rolls back and ends the shell, releasing the lock.
    pub fn release(mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"ROLLBACK;\n.quit\n");
        }
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for SqliteLock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a scan looked like the moment it was first seen final, and which jobs of its
/// correlation id were not finished then.
pub struct FinalSeen {
    pub scan: Value,
    pub unfinished: Vec<(String, String, i64)>,
}

/// Waits until a scan is final, reading its jobs right when it is first seen so.
pub async fn wait_final(server: &Server, scan_id: i64, within: Duration) -> FinalSeen {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let scan = server.scan(scan_id).await;
        let phase = scan["phase"].as_str().unwrap_or_default();
        if matches!(phase, "completed" | "failed" | "cancelled") {
            let unfinished = server.unfinished_jobs(scan["correlation_id"].as_str().expect("correlation id")).await;
            return FinalSeen { scan, unfinished };
        }
        assert!(tokio::time::Instant::now() < deadline, "scan not final in {within:?}: {scan}\n{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until no job of a correlation id is pending or running.
pub async fn wait_drained(server: &Server, correlation_id: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let unfinished = server.unfinished_jobs(correlation_id).await;
        if unfinished.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs of {correlation_id} still unfinished after {within:?}: {unfinished:?}\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The counters of a scan record, to compare two readings.
pub fn counters(scan: &Value) -> Vec<(String, i64)> {
    [
        "directories_total",
        "directories_scanned",
        "movies_found",
        "movies_new",
        "movies_updated",
        "movies_missing",
        "assets_queued",
        "assets_cached",
        "videos_probed",
        "unknown_files",
        "errors",
    ]
    .into_iter()
    .map(|key| (key.to_owned(), scan[key].as_i64().unwrap_or(-1)))
    .collect()
}
