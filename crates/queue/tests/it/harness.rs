//! Test databases on both backends, the `db_test!` macro, and small helpers shared by the suite.
//!
//! SQLite runs in a file inside a `TempDir`; PostgreSQL runs in a fresh schema of the server
//! `TEST_DATABASE_URL` names ([`metarr_testkit::postgres::PgSchema`]), dropped afterwards unless
//! `KEEP_TEST_DB=1`.

use metarr_queue::{Backend, JobId, JobKind, JobState, Queue, Store};
use metarr_testkit::postgres::PgSchema;
use sqlx::Connection;
use std::future::Future;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

/// Runs a test on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set.
///
/// ```ignore
/// db_test!(async fn name(db) { ... });
/// ```
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                #[allow(unused_variables)]
                let $db = $crate::harness::TestDb::sqlite().await;
                $body
            }

            postgres_case!($db $body);
        }
    };
}

/// Runs a test on PostgreSQL only (features SQLite does not have, such as cross-process notifications).
macro_rules! pg_test {
    ($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            postgres_case!($db $body);
        }
    };
}

/// The PostgreSQL case of [`db_test!`] and [`pg_test!`].
macro_rules! postgres_case {
    ($db:ident $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            // Skips (fails under CI) with a line naming PostgreSQL when it is not configured.
            let Some($db) = $crate::harness::TestDb::postgres().await else { return };
            $body
        }
    };
}

fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some_and(|v| v == "1") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug,sqlx=warn")),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// A database of its own for one test.
pub struct TestDb {
    backend: Backend,
    /// The URL the store opens.
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the test's schema, dropped with the value.
    _schema: Option<PgSchema>,
}

impl TestDb {
    /// A SQLite file in a fresh temporary directory.
    pub async fn sqlite() -> TestDb {
        init_logging();
        let dir = tempfile::TempDir::new().expect("creating a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("queue.db").display());
        TestDb { backend: Backend::Sqlite, url, _dir: Some(dir), _schema: None }
    }

    /// A fresh schema on the server `TEST_DATABASE_URL` names, or `None` when it is not set.
    pub async fn postgres() -> Option<TestDb> {
        init_logging();
        let schema = PgSchema::create(&metarr_testkit::database_url()?).await;
        let url = schema.url();
        Some(TestDb { backend: Backend::Postgres, url, _dir: None, _schema: Some(schema) })
    }

    /// The URL a store opens.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new store on this database (a separate pool, as a second process would have), migrated.
    pub async fn store(&self) -> Arc<dyn Store> {
        let store = metarr_queue::store::open(&self.url).await.expect("opening the store");
        store.migrate().await.expect("migrating the store");
        store
    }

    /// A queue over a new store on this database.
    pub async fn queue(&self) -> Queue {
        Queue::new(self.store().await)
    }

    /// Runs one SQL statement outside the queue (to set up what the API cannot, such as old timestamps).
    pub async fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect("opening SQLite");
                sqlx::query(sql).execute(&mut conn).await.expect("running test SQL");
                conn.close().await.expect("closing SQLite");
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.expect("connecting to PostgreSQL");
                sqlx::query(sql).execute(&mut conn).await.expect("running test SQL");
                conn.close().await.expect("closing PostgreSQL");
            }
        }
    }

    /// SQL for "this many seconds ago" in this backend's time columns.
    pub fn seconds_ago_sql(&self, seconds: i64) -> String {
        match self.backend {
            Backend::Sqlite => format!("(CAST(strftime('%s', 'now') AS INTEGER) - {seconds}) * 1000"),
            Backend::Postgres => format!("now() - interval '{seconds} seconds'"),
        }
    }
}

/// Waits until `check` returns `Some`, polling every 20 ms; panics with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until a job reaches `state` and returns it.
pub async fn wait_for_state(queue: &Queue, id: JobId, state: JobState, timeout: Duration) -> metarr_queue::Job {
    wait_for(timeout, &format!("job {id} to be {state}"), || async {
        let job = queue.get(id).await.expect("reading the job");
        (job.state == state).then_some(job)
    })
    .await
}

/// Counts jobs in one state.
pub async fn count_in(queue: &Queue, state: JobState) -> i64 {
    queue.stats().await.expect("reading stats").states.get(state.as_str()).copied().unwrap_or(0)
}

/// Declares a test job kind whose payload is any JSON.
macro_rules! test_kind {
    ($name:ident, $kind:literal) => {
        test_kind!($name, $kind, 5);
    };
    ($name:ident, $kind:literal, $max_attempts:literal) => {
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub serde_json::Value);

        impl metarr_queue::JobKind for $name {
            const KIND: &'static str = $kind;
            const MAX_ATTEMPTS: i32 = $max_attempts;
        }
    };
}

/// Claims up to `limit` jobs of `kinds` for `worker`.
pub async fn claim(
    queue: &Queue,
    worker: &str,
    kinds: &[&str],
    limit: usize,
    lease: Duration,
) -> Vec<metarr_queue::Job> {
    let kinds: Vec<String> = kinds.iter().map(|kind| (*kind).to_owned()).collect();
    let request = metarr_queue::store::ClaimRequest { worker_id: worker, kinds: &kinds, limit, lease };
    queue.store().claim(request).await.expect("claiming jobs")
}

/// Acknowledges one attempt; true when the store applied it.
pub async fn finish(
    queue: &Queue,
    worker: &str,
    id: JobId,
    attempt: i32,
    outcome: metarr_queue::store::Outcome,
) -> bool {
    let finish = metarr_queue::store::Finish { id, attempt, outcome };
    let applied = queue.store().finish(worker, &[finish]).await.expect("finishing a job");
    applied == vec![id]
}

/// The current time, truncated to milliseconds (the finest both backends keep).
pub fn now_ms() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).expect("now is representable")
}

/// A handler made of a closure, so each test can say what its jobs do in a few lines.
pub struct FnHandler<K, F> {
    run: F,
    service: Option<String>,
    _kind: std::marker::PhantomData<fn() -> K>,
}

/// A handler running `run` for each job of kind `K`.
pub fn handler<K, F>(run: F) -> FnHandler<K, F>
where
    K: JobKind,
    F: Fn(metarr_queue::JobContext, K) -> futures::future::BoxFuture<'static, Result<(), metarr_queue::JobError>>
        + Send
        + Sync
        + 'static,
{
    FnHandler { run, service: None, _kind: std::marker::PhantomData }
}

impl<K, F> FnHandler<K, F> {
    /// Every job of this handler needs `service` (for the circuit breaker).
    pub fn needing(mut self, service: &str) -> Self {
        self.service = Some(service.to_owned());
        self
    }
}

#[async_trait::async_trait]
impl<K, F> metarr_queue::Handler for FnHandler<K, F>
where
    K: JobKind,
    F: Fn(metarr_queue::JobContext, K) -> futures::future::BoxFuture<'static, Result<(), metarr_queue::JobError>>
        + Send
        + Sync
        + 'static,
{
    type Job = K;

    async fn run(&self, ctx: metarr_queue::JobContext, job: K) -> Result<(), metarr_queue::JobError> {
        (self.run)(ctx, job).await
    }

    fn service(&self, _job: &K) -> Option<String> {
        self.service.clone()
    }
}

/// Worker settings fit for tests: short leases and quick polls.
pub fn fast_config() -> metarr_queue::WorkerConfig {
    metarr_queue::WorkerConfig {
        concurrency: 8,
        lease: Duration::from_secs(5),
        heartbeat: Duration::from_millis(200),
        poll_interval: Duration::from_millis(200),
        maintenance_interval: Duration::from_millis(100),
        shutdown_grace: Duration::from_secs(2),
        run_scheduler: false,
        breaker: metarr_queue::BreakerPolicy::default(),
    }
}

/// A worker running in a task of its own.
pub struct RunningWorker {
    shutdown: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<metarr_queue::Result<()>>,
}

impl RunningWorker {
    /// Starts a worker on `queue`.
    pub fn start(queue: &Queue, registry: metarr_queue::Registry, config: metarr_queue::WorkerConfig) -> RunningWorker {
        let worker = metarr_queue::Worker::new(queue.clone(), registry, config);
        let shutdown = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(worker.run(shutdown.clone()));
        RunningWorker { shutdown, task }
    }

    /// Asks the worker to stop and waits for it (at most `timeout`).
    pub async fn stop(self, timeout: Duration) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(timeout, self.task).await.expect("the worker stops in time");
        stopped.expect("the worker task does not panic").expect("the worker ends without error");
    }
}

/// Records how many handler runs happen at once, and the most ever seen.
#[derive(Debug, Default)]
pub struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

impl Gauge {
    /// Counts a run in until the guard drops.
    pub fn enter(self: &Arc<Self>) -> GaugeGuard {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(now, SeqCst);
        GaugeGuard(Arc::clone(self))
    }

    pub fn max(&self) -> usize {
        self.max.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Counts one run in a [`Gauge`] while alive.
pub struct GaugeGuard(Arc<Gauge>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Handler invocations per job id.
pub type Invocations = Arc<std::sync::Mutex<std::collections::HashMap<JobId, Vec<i32>>>>;

/// Records that attempt `ctx.job().attempt` of the job ran.
pub fn record(invocations: &Invocations, ctx: &metarr_queue::JobContext) {
    invocations.lock().expect("test lock").entry(ctx.job().id).or_default().push(ctx.job().attempt);
}
