//! The `queue` suite: burn-down, bulk enqueue, enqueue-to-start latency and idle CPU, per backend.

use crate::Figure;
use anyhow::Context;
use metarr_queue::{Handler, JobContext, JobError, NewJob, Queue, Registry, Worker, WorkerConfig, job_kind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const BURN_DOWN_JOBS: u64 = 100_000;
const LATENCY_JOBS: usize = 1_000;
const IDLE_SECONDS: u64 = 10;

/// A database the suite creates and removes.
pub(crate) struct BenchDb {
    pub(crate) url: String,
    pub(crate) backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl BenchDb {
    pub(crate) async fn create(backend: &str) -> anyhow::Result<BenchDb> {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().context("creating a temporary directory")?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Ok(BenchDb { url, backend: "sqlite", _dir: Some(dir), schema: None })
            }
            "postgres" => {
                let base = crate::postgres_url();
                let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
                let pool = sqlx::PgPool::connect(&base).await.context("connecting to PostgreSQL")?;
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await?;
                pool.close().await;
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
                Ok(BenchDb { url, backend: "postgres", _dir: None, schema: Some(schema) })
            }
            other => anyhow::bail!("unknown backend {other:?} (sqlite or postgres)"),
        }
    }

    /// Empties the database for the next run: a new SQLite file, or the schema recreated.
    pub(crate) async fn reset(&self) -> anyhow::Result<()> {
        match &self.schema {
            Some(schema) => {
                let pool = sqlx::PgPool::connect(&crate::postgres_url()).await?;
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&pool).await?;
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await?;
                pool.close().await;
            }
            None => {
                let path = self.url.trim_start_matches("sqlite://");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn drop_schema(&self) -> anyhow::Result<()> {
        if let Some(schema) = &self.schema {
            let pool = sqlx::PgPool::connect(&crate::postgres_url()).await?;
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&pool).await?;
            pool.close().await;
        }
        Ok(())
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Noop {
    /// Nanoseconds since the benchmark's epoch when the job was enqueued.
    #[serde(default)]
    t: u64,
}

job_kind!(Noop = "bench-noop");

struct NoopHandler {
    done: Arc<AtomicU64>,
    target: u64,
    finished: Arc<Notify>,
    epoch: Instant,
    latencies: Option<Arc<std::sync::Mutex<Vec<u64>>>>,
}

#[async_trait::async_trait]
impl Handler for NoopHandler {
    type Job = Noop;

    async fn run(&self, _ctx: JobContext, job: Noop) -> Result<(), JobError> {
        if let Some(latencies) = &self.latencies {
            let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
            latencies.lock().expect("latency lock is never poisoned").push(now.saturating_sub(job.t));
        }
        if self.done.fetch_add(1, Ordering::Relaxed) + 1 == self.target {
            self.finished.notify_one();
        }
        Ok(())
    }
}

struct Running {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<metarr_queue::Result<()>>,
}

impl Running {
    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await.context("worker task")?.context("worker")?;
        Ok(())
    }
}

fn start_worker(queue: &Queue, handler: NoopHandler) -> Running {
    let mut registry = Registry::new();
    registry.register(handler);
    let config = WorkerConfig {
        concurrency: std::env::var("BENCH_CONCURRENCY")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(WorkerConfig::default().concurrency),
        ..WorkerConfig::default()
    };
    let worker = Worker::new(queue.clone(), registry, config);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(worker.run(shutdown.clone()));
    Running { shutdown, task }
}

fn noop_jobs(n: u64) -> Vec<NewJob> {
    (0..n).map(|_| NewJob::of(&Noop { t: 0 })).collect()
}

pub(crate) async fn run(backends: &[String]) -> anyhow::Result<()> {
    for backend in backends {
        // Each part gets a fresh database: latency is measured on a queue in its steady state,
        // not on the dead rows 100,000 completed jobs leave behind until vacuum.
        let db = BenchDb::create(backend).await?;
        let result = throughput(&db).await;
        db.drop_schema().await?;
        result?;
        let db = BenchDb::create(backend).await?;
        let result = latency_and_idle(&db).await;
        db.drop_schema().await?;
        result?;
    }
    Ok(())
}

async fn open(db: &BenchDb) -> anyhow::Result<(Queue, CancellationToken)> {
    let queue = Queue::connect(&db.url).await.context("opening the queue")?;
    let relay = CancellationToken::new();
    queue.start_relay(relay.clone()).await?;
    Ok((queue, relay))
}

async fn throughput(db: &BenchDb) -> anyhow::Result<()> {
    let (queue, relay) = open(db).await?;

    // bulk_enqueue: 100,000 jobs through enqueue_many in chunks of 10,000.
    let started = Instant::now();
    for _ in 0..10 {
        queue.enqueue_many(noop_jobs(BURN_DOWN_JOBS / 10)).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Figure::new("queue", "bulk_enqueue", db.backend, BURN_DOWN_JOBS as f64 / seconds, "jobs/s").print();

    // burn_down: the worker drains the 100,000 pre-inserted jobs with default settings.
    let finished = Arc::new(Notify::new());
    let done = Arc::new(AtomicU64::new(0));
    let handler = NoopHandler {
        done: Arc::clone(&done),
        target: BURN_DOWN_JOBS,
        finished: Arc::clone(&finished),
        epoch: Instant::now(),
        latencies: None,
    };
    let started = Instant::now();
    let worker = start_worker(&queue, handler);
    finished.notified().await;
    worker.stop().await?;
    let seconds = started.elapsed().as_secs_f64();
    let stats = queue.stats().await?;
    let completed = stats.states.get("completed").copied().unwrap_or(0);
    anyhow::ensure!(completed as u64 == BURN_DOWN_JOBS, "burn-down completed {completed} of {BURN_DOWN_JOBS} jobs");
    Figure::new("queue", "burn_down", db.backend, BURN_DOWN_JOBS as f64 / seconds, "jobs/s").print();
    relay.cancel();
    Ok(())
}

async fn latency_and_idle(db: &BenchDb) -> anyhow::Result<()> {
    let (queue, relay) = open(db).await?;

    // latency: 1,000 single enqueues, 2 ms apart, into an idle worker.
    let epoch = Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(LATENCY_JOBS)));
    let finished = Arc::new(Notify::new());
    let handler = NoopHandler {
        done: Arc::new(AtomicU64::new(0)),
        target: LATENCY_JOBS as u64,
        finished: Arc::clone(&finished),
        epoch,
        latencies: Some(Arc::clone(&latencies)),
    };
    let worker = start_worker(&queue, handler);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..LATENCY_JOBS {
        let t = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        queue.enqueue(NewJob::of(&Noop { t })).await?;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    finished.notified().await;
    let mut samples = latencies.lock().expect("latency lock is never poisoned").clone();
    samples.sort_unstable();
    let percentile = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize] as f64 / 1e6;
    Figure::new("queue", "latency_p50", db.backend, percentile(0.50), "ms").print();
    Figure::new("queue", "latency_p99", db.backend, percentile(0.99), "ms").print();

    // idle_cpu: the same worker, with nothing to do, for 10 s.
    let before = process_cpu_seconds()?;
    let wall = Instant::now();
    tokio::time::sleep(Duration::from_secs(IDLE_SECONDS)).await;
    let used = process_cpu_seconds()? - before;
    Figure::new("queue", "idle_cpu", db.backend, 100.0 * used / wall.elapsed().as_secs_f64(), "percent").print();
    worker.stop().await?;
    relay.cancel();
    Ok(())
}

/// CPU time (user + system) this process has used, from /proc/self/stat.
fn process_cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).context("parsing /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11).context("utime")?.parse()?;
    let stime: f64 = fields.get(12).context("stime")?.parse()?;
    // Clock ticks per second are 100 on every Linux this runs on (USER_HZ).
    Ok((utime + stime) / 100.0)
}
