//! `TestApp`: spawns the real application with a fresh data directory and database.

use metarr::config::Settings;
use metarr::db::Db;
use metarr::startup::Application;
use metarr_queue::{Job, JobId, JobState, NewJob, Queue};
use metarr_testkit::postgres::PgSchema;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::sync::Once;
use std::time::Duration;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// Runs an `async fn(Backend)` test once per backend: `sqlite` always, `postgres` when
/// `TEST_DATABASE_URL` is set.
macro_rules! app_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            postgres_case!($name);
        }
    };
}

/// Runs an `async fn(Backend)` test on PostgreSQL only (behaviour SQLite does not have, such as
/// several processes sharing a queue); skipped with a message when `TEST_DATABASE_URL` is unset.
macro_rules! pg_test {
    ($name:ident) => {
        mod $name {
            postgres_case!($name);
        }
    };
}

/// The PostgreSQL case of [`app_test!`] and [`pg_test!`].
macro_rules! postgres_case {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            // Skips (fails under CI) with a line naming PostgreSQL when it is not configured.
            if let Some(backend) = $crate::helpers::Backend::postgres() {
                super::$name(backend).await;
            }
        }
    };
}

/// Which database a test runs against.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL from `TEST_DATABASE_URL`; each test makes its own schema in it.
    Postgres(String),
}

impl Backend {
    pub fn postgres() -> Option<Backend> {
        metarr_testkit::database_url().map(Backend::Postgres)
    }
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|value| value == "1") {
            let _ = metarr::telemetry::init(std::io::stdout, metarr::telemetry::LogFormat::Text, false);
        } else {
            let _ = metarr::telemetry::init(std::io::sink, metarr::telemetry::LogFormat::Text, false);
        }
    });
}

/// A database for a test that runs `metarr` processes itself: a SQLite file in `dir`, or a
/// fresh PostgreSQL schema ([`PgSchema`], dropped with the value).
pub struct TestDatabase {
    pub url: String,
    _schema: Option<PgSchema>,
}

impl TestDatabase {
    pub async fn create(backend: &Backend, dir: &std::path::Path) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                TestDatabase { url: format!("sqlite://{}?mode=rwc", dir.join("metarr.db").display()), _schema: None }
            }
            Backend::Postgres(server_url) => {
                let schema = PgSchema::create(server_url).await;
                TestDatabase { url: schema.url(), _schema: Some(schema) }
            }
        }
    }
}

/// The running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub api_key: String,
    pub queue: Queue,
    /// The catalogue, for tests that seed rows the way the scanner would.
    pub db: Db,
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    /// The PostgreSQL URL (with the test's schema), for a second process-like queue.
    pub postgres_url: Option<String>,
    shutdown: CancellationToken,
    stopped: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Declared last so that it is dropped after the app stopped using it.
    _schema: Option<PgSchema>,
}

/// The environment that turns every artwork slot off (no image is ever downloaded).
pub fn no_artwork() -> Vec<(String, String)> {
    metarr_artwork::Slot::ALL
        .into_iter()
        .map(|slot| (format!("METARR_ARTWORK__LIMITS__{}", slot.as_str().to_ascii_uppercase()), "0".to_owned()))
        .collect()
}

impl TestApp {
    /// Starts the app on `127.0.0.1:0` with default settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, &[]).await
    }

    /// Starts the app with extra `METARR_*` variables.
    pub async fn spawn_with(backend: Backend, extra_env: &[(&str, &str)]) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary data directory");
        let schema = match &backend {
            Backend::Sqlite => None,
            Backend::Postgres(server_url) => Some(PgSchema::create(server_url).await),
        };
        TestApp::spawn_in(data_dir, schema, extra_env).await
    }

    /// Starts the app on a data directory (and a PostgreSQL schema) that may already hold a
    /// Metarr: a restored backup, a second start.
    pub async fn spawn_in(data_dir: TempDir, schema: Option<PgSchema>, extra_env: &[(&str, &str)]) -> TestApp {
        init_logging();
        let mut env = vec![
            ("METARR_BIND".to_owned(), "127.0.0.1:0".to_owned()),
            ("METARR_DATA_DIR".to_owned(), data_dir.path().display().to_string()),
            // Short grace so that a test ends quickly even with a job still sleeping.
            ("METARR_WORKER__SHUTDOWN_GRACE_SECS".to_owned(), "2".to_owned()),
        ];
        if let Some(schema) = &schema {
            env.push(("METARR_DATABASE_URL".to_owned(), schema.url()));
        }
        // Artwork downloads images from TMDB's image server: without a stand-in for it, a test
        // runs with every slot off, so that nothing ever reaches the internet.
        if !extra_env.iter().any(|(name, _)| *name == "METARR_PROVIDERS__TMDB__IMAGE_BASE_URL") {
            env.extend(no_artwork());
        }
        env.extend(extra_env.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
        let settings = Settings::load_from(None, env).expect("test settings are valid");
        let application = Application::build(settings).await.expect("application builds");
        let address = format!("http://{}", application.local_addr().expect("serve binds a port"));
        let api_key = application.api_key().expose_secret().to_owned();
        let queue = application.queue().clone();
        let db = application.db().clone();
        let shutdown = application.shutdown_token();
        let stopped = tokio::spawn(application.run_until_stopped());
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client");
        let postgres_url = schema.as_ref().map(PgSchema::url);
        TestApp {
            address,
            api_key,
            queue,
            db,
            client,
            data_dir,
            postgres_url,
            shutdown,
            stopped: Some(stopped),
            _schema: schema,
        }
    }

    /// `http://127.0.0.1:port/api/v1` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    /// `ws://127.0.0.1:port/api/v1/events?apikey=…`.
    pub fn events_url(&self) -> String {
        format!("{}/api/v1/events?apikey={}", self.address.replacen("http", "ws", 1), self.api_key)
    }

    /// A GET with the key; returns the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str) -> (u16, Value) {
        self.send(self.client.post(self.url(path))).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(self.client.delete(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.patch(self.url(path)).json(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.put(self.url(path)).json(body)).await
    }

    /// Sends with the key and decodes the JSON answer, after checking the answer against the
    /// OpenAPI document ([`crate::conformance`]).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let (client, request) = request.header("X-Api-Key", &self.api_key).build_split();
        let request = request.expect("request built");
        let (method, path) = (request.method().as_str().to_owned(), request.url().path().to_owned());
        let response = client.execute(request).await.expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.expect("body read");
        crate::conformance::check_answer(&method, &path, status, content_type.as_deref(), &bytes);
        let body = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
        (status, body)
    }

    /// Enqueues a `debug-sleep` job directly on the queue.
    pub async fn enqueue_sleep(&self, ms: u64) -> Job {
        self.queue.enqueue(NewJob::raw("debug-sleep", serde_json::json!({ "ms": ms }))).await.expect("enqueue").job
    }

    /// Waits until a job reaches `state`; panics after 20 s.
    pub async fn wait_for_state(&self, id: JobId, state: JobState) -> Job {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let job = self.queue.get(id).await.expect("job exists");
            if job.state == state {
                return job;
            }
            assert!(tokio::time::Instant::now() < deadline, "job {id} stayed {} instead of {state}", job.state);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the app gracefully and waits for it; the database is dropped with `self`.
    pub async fn stop(mut self) {
        self.shut_down().await;
    }

    /// Stops the app gracefully and waits for it, keeping the database for inspection.
    pub async fn shut_down(&mut self) {
        self.shutdown.cancel();
        if let Some(stopped) = self.stopped.take() {
            let result = tokio::time::timeout(Duration::from_secs(20), stopped).await;
            let result = result.expect("the app stops within 20 s").expect("the app task did not panic");
            result.expect("the app stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A job id as the API answers it: a JSON number.
pub fn job_id(value: &Value) -> JobId {
    JobId(value.as_i64().unwrap_or_else(|| panic!("a job id, not {value}")))
}
