//! Job handlers: the typed trait a job kind implements, its context, and the registry a worker runs.

use crate::backoff::RetryPolicy;
use crate::error::{JobError, Result};
use crate::job::{Enqueued, Job, JobKind, NewJob, Progress};
use crate::queue::Queue;
use crate::store::Lease;
use async_trait::async_trait;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Progress is written at most this often per job; the UI does not need more.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// Runs the jobs of one kind.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// The kind and its typed payload.
    type Job: JobKind;

    /// Does the work. Return a [`JobError`] to retry, fail, snooze or cancel.
    /// `ctx.cancelled()` resolves when a user cancels the job or the worker shuts down;
    /// the runner stops polling this future then, so long blocking work should check it.
    async fn run(&self, ctx: JobContext, job: Self::Job) -> Result<(), JobError>;

    /// The external service this job needs (`"tmdb"`, `"kodi:3"`). While its circuit is open the
    /// job snoozes instead of running; retryable errors count as failures of the service.
    fn service(&self, _job: &Self::Job) -> Option<String> {
        None
    }
}

/// What a running handler can see and do.
#[derive(Clone)]
pub struct JobContext {
    job: Arc<Job>,
    queue: Queue,
    worker_id: Arc<str>,
    cancel: CancellationToken,
    last_progress: Arc<Mutex<Option<Instant>>>,
}

impl JobContext {
    pub(crate) fn new(job: Arc<Job>, queue: Queue, worker_id: Arc<str>, cancel: CancellationToken) -> JobContext {
        JobContext { job, queue, worker_id, cancel, last_progress: Arc::new(Mutex::new(None)) }
    }

    /// The job as claimed (state running, attempt counted).
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The queue, for enqueueing follow-up jobs.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// True once cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when cancellation is requested.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// Reports progress (0–100). Throttled: calls closer than half a second apart are dropped,
    /// except 100 %.
    pub async fn progress(&self, percent: f32, message: impl Into<String>) {
        {
            let mut last = self.last_progress.lock().expect("progress lock is never poisoned");
            let now = Instant::now();
            if percent < 100.0 && last.is_some_and(|at| now.duration_since(at) < PROGRESS_INTERVAL) {
                return;
            }
            *last = Some(now);
        }
        // NaN would be stored as NULL by SQLite and serialised as null: report it as 0 %.
        let percent = if percent.is_nan() { 0.0 } else { percent.clamp(0.0, 100.0) };
        let progress = Progress { percent, message: Some(message.into()) };
        let lease = Lease { id: self.job.id, attempt: self.job.attempt };
        match self.queue.store().set_progress(&self.worker_id, lease, &progress).await {
            Ok(true) => {
                let mut job = (*self.job).clone();
                job.progress = Some(progress);
                self.queue
                    .emit(vec![crate::events::JobEvent { kind: crate::events::JobEventKind::Progress, job }])
                    .await;
            }
            Ok(false) => {}
            Err(err) => {
                tracing::debug!(job_id = self.job.id.get(), error = %metarr_errors::Chain(&err), "recording progress")
            }
        }
    }

    /// Enqueues a job born of this one: it records the parent and shares the correlation id.
    pub async fn enqueue_child(&self, job: NewJob) -> Result<Enqueued> {
        self.queue.enqueue(job.child_of(&self.job)).await
    }
}

/// How the worker treats one kind.
#[derive(Debug, Clone, Default)]
pub struct KindOptions {
    /// At most this many jobs of the kind run at once in one process.
    pub concurrency: Option<usize>,
    /// Delays between attempts.
    pub retry: RetryPolicy,
}

pub(crate) struct Prepared {
    pub(crate) service: Option<String>,
    pub(crate) run: BoxFuture<'static, Result<(), JobError>>,
}

pub(crate) trait ErasedHandler: Send + Sync {
    fn prepare(&self, ctx: JobContext) -> Result<Prepared, JobError>;
}

struct Typed<H>(Arc<H>);

impl<H: Handler> ErasedHandler for Typed<H> {
    fn prepare(&self, ctx: JobContext) -> Result<Prepared, JobError> {
        let job: H::Job = ctx.job().payload_as().map_err(|err| {
            JobError::Permanent(format!("payload of {} job {} does not decode: {err}", H::Job::KIND, ctx.job().id))
        })?;
        let service = self.0.service(&job);
        let handler = Arc::clone(&self.0);
        Ok(Prepared { service, run: Box::pin(async move { handler.run(ctx, job).await }) })
    }
}

pub(crate) struct Registered {
    pub(crate) handler: Box<dyn ErasedHandler>,
    pub(crate) options: KindOptions,
}

/// The handlers a worker runs, by kind. A worker claims only the kinds registered here.
#[derive(Default)]
pub struct Registry {
    pub(crate) kinds: HashMap<String, Registered>,
    pub(crate) on_failed: Option<FailureHook>,
}

/// Called once per job that failed for good, by the worker that recorded the failure.
pub type FailureHook = Arc<dyn Fn(Job) -> BoxFuture<'static, ()> + Send + Sync>;

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers a handler with default options.
    pub fn register<H: Handler>(&mut self, handler: H) -> &mut Self {
        self.register_with(handler, KindOptions::default())
    }

    /// Registers a handler with options.
    pub fn register_with<H: Handler>(&mut self, handler: H, options: KindOptions) -> &mut Self {
        let registered = Registered { handler: Box::new(Typed(Arc::new(handler))), options };
        self.kinds.insert(H::Job::KIND.to_owned(), registered);
        self
    }

    /// Runs `hook` for each job of this worker that fails for good (retries exhausted or a
    /// permanent error), once, after the failure is recorded; for example to tell the user.
    pub fn on_failed(&mut self, hook: FailureHook) -> &mut Self {
        self.on_failed = Some(hook);
        self
    }

    /// The registered kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }
}
