//! Issue 11: no secret reaches the log. Real `metarr serve` and `metarr migrate` processes run
//! with secrets everywhere (database password as user info and as `?password=`, a parameter
//! sqlx does not know, the API key, the webhook password, a notification secret) and debug
//! logging; their whole output must not contain any of them.

use crate::helpers::{Backend, TestDatabase};
use serde_json::json;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;

const USER_INFO_PASSWORD: &str = "userinfo-Secret-7f3a";
const QUERY_PASSWORD: &str = "query-Secret-91bc";
const SSL_PASSWORD: &str = "sslpassword-Secret-22d1";
const API_KEY: &str = "apikey-Secret-0123456789";
const WEBHOOK_PASSWORD: &str = "webhook-Secret-5e6f";
const NOTIFICATION_TOKEN: &str = "discord-Secret-abcd";
const SECRETS: &[&str] =
    &[USER_INFO_PASSWORD, QUERY_PASSWORD, SSL_PASSWORD, API_KEY, WEBHOOK_PASSWORD, NOTIFICATION_TOKEN];

/// The test database's URL with passwords in the user info and the query, and a parameter sqlx
/// does not know (it logs unknown parameters with their values).
fn url_with_secrets(url: &str) -> String {
    let with_password = url.replacen('@', &format!(":{USER_INFO_PASSWORD}@"), 1);
    format!("{with_password}&password={QUERY_PASSWORD}&sslpassword={SSL_PASSWORD}")
}

fn assert_no_secret(output: &str) {
    for secret in SECRETS {
        assert!(!output.contains(secret), "the output shows {secret}:\n{output}");
    }
}

/// A `metarr` command with debug logging, run in `dir` as its data directory.
pub(crate) fn metarr(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_metarr"));
    command
        .args(args)
        .current_dir(dir)
        .env("METARR_DATA_DIR", dir)
        .env("METARR_WORKER__SHUTDOWN_GRACE_SECS", "2")
        .env("RUST_LOG", "debug,sqlx::query=info")
        .env_remove("METARR_CONFIG")
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// The address of the "HTTP server listening" line, in the text format (`address=http://…`) or
/// as a JSON line (`METARR_LOG_FORMAT=json`: `"fields": {"address": "http://…"}`).
fn listening_address(line: &str) -> Option<String> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(line) {
        return json["fields"]["address"].as_str().map(str::to_owned);
    }
    line.split("address=").nth(1).map(|address| address.split_whitespace().next().unwrap_or_default().to_owned())
}

/// A running `metarr serve` whose log is collected line by line.
pub(crate) struct Serve {
    child: tokio::process::Child,
    log: Arc<Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
    /// The base URL it listens on, from its "HTTP server listening" line.
    pub address: String,
}

impl Serve {
    /// Starts `command` (a `metarr serve`) and waits until it listens.
    pub(crate) async fn start(mut command: tokio::process::Command) -> Serve {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("metarr serve starts");
        let log = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = tokio::sync::oneshot::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let reader = tokio::spawn({
            let log = Arc::clone(&log);
            async move {
                let mut address_tx = Some(address_tx);
                let mut lines = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.contains("HTTP server listening")
                        && let Some(address) = listening_address(&line)
                        && let Some(tx) = address_tx.take()
                    {
                        let _ = tx.send(address);
                    }
                    let mut log = log.lock().expect("log");
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let address = tokio::time::timeout(Duration::from_secs(30), address_rx)
            .await
            .unwrap_or_else(|_| panic!("serve did not start:\n{}", log.lock().expect("log")))
            .expect("address line");
        Serve { child, log, reader, address }
    }

    /// Stops the server with SIGTERM and returns its whole log (stderr, then stdout); it must
    /// stop cleanly.
    pub(crate) async fn stop(mut self) -> String {
        let pid = self.child.id().expect("running");
        let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
        assert!(killed.success());
        let status =
            tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.expect("stops").expect("status");
        assert!(status.success(), "{}", self.log.lock().expect("log"));
        self.reader.await.expect("log reader");
        let mut stdout = String::new();
        let mut serve_stdout = self.child.stdout.take().expect("piped stdout");
        tokio::io::AsyncReadExt::read_to_string(&mut serve_stdout, &mut stdout).await.expect("stdout");
        format!("{}{stdout}", self.log.lock().expect("log"))
    }
}

app_test!(no_secret_reaches_the_log_of_serve_or_migrate);
async fn no_secret_reaches_the_log_of_serve_or_migrate(backend: Backend) {
    let dir = tempfile::tempdir().expect("data directory");
    let database = TestDatabase::create(&backend, dir.path()).await;
    // SQLite refuses parameters it does not know; its URL carries no password to hide.
    let database_url = match backend {
        Backend::Sqlite => database.url.clone(),
        Backend::Postgres(_) => url_with_secrets(&database.url),
    };
    let env = [
        ("METARR_DATABASE_URL", database_url.as_str()),
        ("METARR_API_KEY", API_KEY),
        ("METARR_WEBHOOK_USERNAME", "radarr"),
        ("METARR_WEBHOOK_PASSWORD", WEBHOOK_PASSWORD),
        ("METARR_BIND", "127.0.0.1:0"),
    ];

    let migrate = metarr(dir.path(), &["migrate"], &env).output().await.expect("metarr migrate runs");
    let migrate_log = String::from_utf8_lossy(&migrate.stderr).into_owned();
    assert!(migrate.status.success(), "{migrate_log}");
    assert!(migrate_log.contains("migrations applied"), "{migrate_log}");
    assert_no_secret(&migrate_log);
    assert_no_secret(&String::from_utf8_lossy(&migrate.stdout));

    let serve = Serve::start(metarr(dir.path(), &["serve"], &env)).await;
    let address = serve.address.clone();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");

    // The key as a header and as `?apikey=`, a wrong key, Basic credentials on a webhook.
    let response = client.get(format!("{address}/api/v1/jobs")).header("X-Api-Key", API_KEY).send().await;
    assert_eq!(response.expect("jobs").status(), 200);
    let response = client.get(format!("{address}/api/v1/jobs?apikey={API_KEY}")).send().await;
    assert_eq!(response.expect("jobs").status(), 200);
    let response = client.get(format!("{address}/api/v1/jobs?apikey=wrong-{API_KEY}")).send().await;
    assert_eq!(response.expect("jobs").status(), 401);
    let response = client
        .post(format!("{address}/api/v1/webhooks/radarr"))
        .basic_auth("radarr", Some(WEBHOOK_PASSWORD))
        .json(&json!({ "eventType": "Test" }))
        .send()
        .await;
    assert!(response.expect("webhook").status().is_success());
    // A notification secret, then a test send that fails against a closed port.
    let webhook_url = format!("http://127.0.0.1:1/api/webhooks/1/{NOTIFICATION_TOKEN}");
    let response = client
        .put(format!("{address}/api/v1/notifications/discord"))
        .header("X-Api-Key", API_KEY)
        .json(&json!({ "enabled": true, "events": ["movie_imported"], "settings": { "webhook_url": webhook_url } }))
        .send()
        .await
        .expect("notification settings");
    assert_eq!(response.status(), 200);
    let response = client
        .post(format!("{address}/api/v1/notifications/discord/test"))
        .header("X-Api-Key", API_KEY)
        .send()
        .await
        .expect("notification test");
    let answer = response.text().await.expect("test answer");
    assert_no_secret(&answer);

    let log = serve.stop().await;
    assert!(log.contains("database ready"), "{log}");
    if matches!(backend, Backend::Postgres(_)) {
        assert!(log.contains("password=***"), "the URL is shown, redacted: {log}");
    }
    assert_no_secret(&log);
}

pg_test!(a_failing_migrate_does_not_print_the_database_password);
async fn a_failing_migrate_does_not_print_the_database_password(_backend: Backend) {
    let dir = tempfile::tempdir().expect("data directory");
    // Nothing listens on port 1: connecting fails, and the error names the database.
    let url = url_with_secrets("postgres://metarr@127.0.0.1:1/metarr?sslmode=disable");
    let output = metarr(dir.path(), &["migrate"], &[("METARR_DATABASE_URL", &url)]).output().await.expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("metarr: migrating the database postgres://metarr:***@127.0.0.1:1/metarr"), "{stderr}");
    assert_no_secret(&stderr);
    // A URL that is not even valid is refused without showing it whole either.
    let url = format!("mysql://root:{USER_INFO_PASSWORD}@db/x?password={QUERY_PASSWORD}");
    let output = metarr(dir.path(), &["migrate"], &[("METARR_DATABASE_URL", &url)]).output().await.expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("METARR_DATABASE_URL"), "{stderr}");
    assert_no_secret(&stderr);
}
