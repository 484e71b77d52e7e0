//! The worker: claims jobs in batches, runs their handlers, renews leases, acknowledges in batches,
//! rescues expired leases and fires schedules.

use crate::breaker::{BreakerPolicy, Breakers};
use crate::error::{JobError, Result};
use crate::events::{JobEvent, JobEventKind};
use crate::handler::{JobContext, Registry};
use crate::job::{Job, JobId, JobState};
use crate::queue::Queue;
use crate::store::{ClaimRequest, Finish, Lease, Outcome};
use futures::FutureExt;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Acknowledgements written in one transaction at most.
const MAX_ACK_BATCH: usize = 1024;
/// How long a busy worker waits for half its slots to free before claiming anyway.
const FETCH_COOLDOWN: Duration = Duration::from_millis(2);

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs running at once in this process.
    pub concurrency: usize,
    /// How long a claim is valid without renewal.
    pub lease: Duration,
    /// How often leases are renewed (well under `lease`).
    pub heartbeat: Duration,
    /// Fallback poll when no wake-up arrives (other processes on SQLite, missed notifications).
    pub poll_interval: Duration,
    /// How often expired leases are rescued and schedules fired.
    pub maintenance_interval: Duration,
    /// On shutdown, how long running jobs may take to finish before they are released.
    pub shutdown_grace: Duration,
    /// Fire due schedule slots from this process.
    pub run_scheduler: bool,
    /// Circuit breakers for the services jobs declare.
    pub breaker: BreakerPolicy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 100,
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(10),
            poll_interval: Duration::from_secs(5),
            maintenance_interval: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(30),
            run_scheduler: true,
            breaker: BreakerPolicy::default(),
        }
    }
}

/// The shortest interval a worker uses: a zero period would panic in `tokio::time::interval`
/// (killing the heartbeat or maintenance task) or spin the fetch loop.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

impl WorkerConfig {
    /// The configuration with zero intervals raised to [`MIN_INTERVAL`].
    fn sanitized(mut self) -> WorkerConfig {
        for interval in [&mut self.heartbeat, &mut self.poll_interval, &mut self.maintenance_interval, &mut self.lease]
        {
            *interval = (*interval).max(MIN_INTERVAL);
        }
        if self.heartbeat >= self.lease {
            tracing::warn!(heartbeat = ?self.heartbeat, lease = ?self.lease, "the heartbeat is not shorter than the lease: running jobs will lose their leases");
        }
        self
    }
}

/// Why a running job's token fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    UserCancel,
    LeaseLost,
    Shutdown,
}

struct Running {
    attempt: i32,
    kind: String,
    token: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
    /// The attempt's span, for what the worker logs about it outside its task.
    span: tracing::Span,
}

impl Running {
    fn stop(&self, reason: StopReason) {
        let mut slot = self.reason.lock().expect("stop reason lock is never poisoned");
        slot.get_or_insert(reason);
        self.token.cancel();
    }
}

struct Ack {
    finish: Finish,
    job: Job,
    /// The attempt's span: the acker logs the outcome inside it.
    span: tracing::Span,
}

/// The span every attempt of a job runs in: the handler, whatever it awaits, and the worker's
/// own lines about the attempt (its outcome, a lost lease) carry the job's identity this way,
/// however deep the line is logged.
fn job_span(job: &Job) -> tracing::Span {
    tracing::info_span!(
        "job",
        id = job.id.get(),
        kind = %job.kind,
        attempt = job.attempt,
        correlation_id = job.correlation_id.as_deref().map(tracing::field::display),
    )
}

struct Shared {
    queue: Queue,
    registry: Registry,
    config: WorkerConfig,
    worker_id: Arc<str>,
    breakers: Arc<Breakers>,
    running: Mutex<HashMap<JobId, Running>>,
    slot_freed: Notify,
}

/// Runs the handlers of a [`Registry`] against a [`Queue`].
pub struct Worker {
    shared: Arc<Shared>,
}

impl Worker {
    /// A worker; nothing runs until [`Worker::run`].
    pub fn new(queue: Queue, registry: Registry, config: WorkerConfig) -> Worker {
        let config = config.sanitized();
        let worker_id: Arc<str> = format!("{}-w{}", queue.node_id(), fastrand::u32(..)).into();
        let breakers = Arc::new(Breakers::new(config.breaker));
        Worker {
            shared: Arc::new(Shared {
                queue,
                registry,
                config,
                worker_id,
                breakers,
                running: Mutex::new(HashMap::new()),
                slot_freed: Notify::new(),
            }),
        }
    }

    /// This worker's circuit breakers, to show which services are held back (they live as long
    /// as the handle, after the worker stops too).
    pub fn breakers(&self) -> Arc<Breakers> {
        Arc::clone(&self.shared.breakers)
    }

    /// The id recorded in the leases this worker holds.
    pub fn id(&self) -> &str {
        &self.shared.worker_id
    }

    /// Runs until `shutdown` fires, then stops claiming, lets running jobs finish within the grace
    /// period, releases the rest to other workers without spending an attempt, and returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let shared = self.shared;
        let (ack_tx, ack_rx) = mpsc::unbounded_channel::<Ack>();
        let acker = tokio::spawn(acker(Arc::clone(&shared), ack_rx));
        let background = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(Arc::clone(&shared), background.clone()));
        let maintenance = tokio::spawn(maintenance(Arc::clone(&shared), background.clone()));

        let mut tasks = JoinSet::new();
        fetch_loop(&shared, &shutdown, &ack_tx, &mut tasks).await;

        // Drain: running jobs get the grace period, then are released.
        let drained =
            tokio::time::timeout(shared.config.shutdown_grace, async { while tasks.join_next().await.is_some() {} })
                .await;
        if drained.is_err() {
            let running = shared.running.lock().expect("running lock is never poisoned");
            tracing::info!(jobs = running.len(), "shutdown grace over: releasing running jobs to other workers");
            for job in running.values() {
                job.stop(StopReason::Shutdown);
            }
        }
        while tasks.join_next().await.is_some() {}
        drop(ack_tx);
        if let Err(err) = acker.await {
            tracing::error!(error = %metarr_errors::Chain(&err), "acknowledgement task failed");
        }
        background.cancel();
        let _ = heartbeat.await;
        let _ = maintenance.await;
        Ok(())
    }
}

async fn fetch_loop(
    shared: &Arc<Shared>,
    shutdown: &CancellationToken,
    ack_tx: &mpsc::UnboundedSender<Ack>,
    tasks: &mut JoinSet<()>,
) {
    let permits = Arc::new(Semaphore::new(shared.config.concurrency.max(1)));
    let mut failures: u32 = 0;
    // Kinds whose last claim came back short: nothing of theirs is due until something is
    // enqueued (a wake-up) or a timer runs out. Skipping them saves a claim statement per kind
    // each time a slot frees, which is most of a busy worker's database traffic otherwise.
    let mut known_empty: HashSet<String> = HashSet::new();
    let mut seen_generation = shared.queue.wake_generation();
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let generation = shared.queue.wake_generation();
        if generation != seen_generation {
            known_empty.clear();
            seen_generation = generation;
        }
        while tasks.try_join_next().is_some() {}
        // Claim in batches: with fewer than half the slots free, wait a moment for more to free
        // up, so that a busy worker makes one claim per many jobs instead of one per job.
        let min_batch = (shared.config.concurrency / 2).max(1);
        if permits.available_permits() < min_batch {
            let deadline = tokio::time::Instant::now() + FETCH_COOLDOWN;
            while permits.available_permits() < min_batch {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = shared.slot_freed.notified() => {}
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
        }
        let free = permits.available_permits();
        if free == 0 {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = shared.slot_freed.notified() => continue,
            }
        }
        let (kinds, rooms) = claimable_kinds(shared);
        if kinds.is_empty() {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = shared.slot_freed.notified() => continue,
                () = tokio::time::sleep(shared.config.poll_interval) => continue,
            }
        }
        // Register for wake-ups before claiming, so an enqueue during the claim is not missed.
        let wake = shared.queue.wake().notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        let claimed = match claim_batch(shared, &kinds, &rooms, free, &mut known_empty).await {
            Ok(claimed) => {
                failures = 0;
                claimed
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                let pause = Duration::from_millis(200 * u64::from(failures.min(25)));
                tracing::warn!(error = %metarr_errors::Chain(&err), retry_in = ?pause, "claiming jobs failed");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(pause) => continue,
                }
            }
        };
        let n_claimed = claimed.len();
        let admitted = admit(shared, claimed, ack_tx);
        // Announced after the handlers are spawned: subscribers must never delay a job's start.
        let started: Vec<JobEvent> =
            if shared.queue.has_subscribers() || shared.queue.backend() == crate::Backend::Postgres {
                admitted
                    .iter()
                    .map(|admitted| JobEvent { kind: JobEventKind::Started, job: admitted.job.clone() })
                    .collect()
            } else {
                Vec::new()
            };
        // A job's outcome waits for its `job.started` to be out, so that events stay in order.
        let announced = CancellationToken::new();
        for Admitted { job, token, reason, span } in admitted {
            let permit = Arc::clone(&permits).try_acquire_owned().expect("claims never exceed free permits");
            let shared = Arc::clone(shared);
            let ack_tx = ack_tx.clone();
            let announced = announced.clone();
            let task_span = span.clone();
            tasks.spawn(
                async move {
                    let job = Arc::new(job);
                    let outcome = run_job(&shared, Arc::clone(&job), token, reason).await;
                    announced.cancelled().await;
                    if let Some(outcome) = outcome {
                        let finish = Finish { id: job.id, attempt: job.attempt, outcome };
                        let _ = ack_tx.send(Ack { finish, job: Arc::unwrap_or_clone(job), span });
                    }
                    drop(permit);
                    shared.slot_freed.notify_one();
                }
                .instrument(task_span),
            );
        }
        shared.queue.emit_started(started).await;
        announced.cancel();
        if n_claimed >= free {
            continue;
        }
        let sleep_for = match shared.queue.store().next_run_at(&kinds).await {
            Ok(Some(next)) => {
                let now = chrono::Utc::now();
                (next - now).to_std().unwrap_or(Duration::ZERO).min(shared.config.poll_interval)
            }
            _ => shared.config.poll_interval,
        };
        if sleep_for.is_zero() {
            // Something is due after all (another worker released it, or a claim lost a race):
            // look at every kind again rather than spin on the skipped ones.
            known_empty.clear();
            continue;
        }
        // A kind at its concurrency limit was left out of the claim: a finishing job makes room.
        let some_kind_full = kinds.len() < shared.registry.kinds.len();
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = &mut wake => {}
            () = shared.slot_freed.notified(), if some_kind_full => {}
            () = tokio::time::sleep(sleep_for) => known_empty.clear(),
        }
    }
}

/// Claims up to `free` jobs, taking each limited kind only up to its room, so that a claim
/// never takes jobs it would have to hand back.
async fn claim_batch(
    shared: &Shared,
    kinds: &[String],
    rooms: &HashMap<String, usize>,
    free: usize,
    known_empty: &mut HashSet<String>,
) -> crate::Result<Vec<Job>> {
    let lease = shared.config.lease;
    let worker_id: &str = &shared.worker_id;
    // Each limited kind up to its room (and together up to the free slots), then the rest.
    let mut requests = Vec::new();
    let mut planned = 0usize;
    for (kind, room) in rooms {
        let limit = (*room).min(free - planned);
        if limit == 0 || known_empty.contains(kind) {
            continue;
        }
        planned += limit;
        requests.push(ClaimRequest { worker_id, kinds: std::slice::from_ref(kind), limit, lease });
    }
    let unlimited: Vec<String> =
        kinds.iter().filter(|kind| !rooms.contains_key(*kind) && !known_empty.contains(*kind)).cloned().collect();
    // The rest take the slots the limited kinds leave (all of them once those kinds are known empty).
    let rest = free - planned;
    if rest > 0 && !unlimited.is_empty() {
        requests.push(ClaimRequest { worker_id, kinds: &unlimited, limit: rest, lease });
    }
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let results = shared.queue.store().claim_each(&requests).await?;
    let mut claimed = Vec::new();
    let mut unlimited_came_back_short = false;
    for (request, jobs) in requests.iter().zip(results) {
        if jobs.len() < request.limit {
            known_empty.extend(request.kinds.iter().cloned());
            unlimited_came_back_short |= request.kinds == unlimited.as_slice();
        }
        claimed.extend(jobs);
    }
    // Slots planned for limited kinds that had nothing due go to the others now: when the
    // limited kinds' rooms add up to the free slots or more, the others were planned none, and
    // waiting for the next round would plan them none again.
    let spare = free - claimed.len();
    if spare > 0 && !unlimited.is_empty() && !unlimited_came_back_short {
        let request = ClaimRequest { worker_id, kinds: &unlimited, limit: spare, lease };
        let results = shared.queue.store().claim_each(std::slice::from_ref(&request)).await?;
        for jobs in results {
            if jobs.len() < spare {
                known_empty.extend(unlimited.iter().cloned());
            }
            claimed.extend(jobs);
        }
    }
    Ok(claimed)
}

/// Kinds this worker handles and has room for, and the room left of each limited kind.
fn claimable_kinds(shared: &Shared) -> (Vec<String>, HashMap<String, usize>) {
    let running = shared.running.lock().expect("running lock is never poisoned");
    let mut per_kind: HashMap<&str, usize> = HashMap::new();
    for job in running.values() {
        *per_kind.entry(job.kind.as_str()).or_default() += 1;
    }
    let mut kinds = Vec::new();
    let mut rooms = HashMap::new();
    for (kind, registered) in &shared.registry.kinds {
        match registered.options.concurrency {
            None => kinds.push(kind.clone()),
            Some(limit) => {
                let room = limit.saturating_sub(per_kind.get(kind.as_str()).copied().unwrap_or(0));
                if room > 0 {
                    kinds.push(kind.clone());
                    rooms.insert(kind.clone(), room);
                }
            }
        }
    }
    (kinds, rooms)
}

/// A claimed job this worker will run: it is already counted in `Shared::running`.
struct Admitted {
    job: Job,
    token: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
    span: tracing::Span,
}

/// Counts claimed jobs as running and gives back what does not fit.
///
/// A batch may hold more jobs of a limited kind than the kind has room for: those are given back
/// at once, without spending their attempt. The others are recorded in `Shared::running` under
/// the same lock that measured the room, before their tasks are spawned, so that the next claim
/// (and its per-kind limits) sees them even if their tasks have not started yet.
fn admit(shared: &Shared, claimed: Vec<Job>, ack_tx: &mpsc::UnboundedSender<Ack>) -> Vec<Admitted> {
    let mut running = shared.running.lock().expect("running lock is never poisoned");
    let mut room: HashMap<String, usize> = HashMap::new();
    for (kind, registered) in &shared.registry.kinds {
        if let Some(limit) = registered.options.concurrency {
            let busy = running.values().filter(|job| &job.kind == kind).count();
            room.insert(kind.clone(), limit.saturating_sub(busy));
        }
    }
    let mut keep = Vec::with_capacity(claimed.len());
    for job in claimed {
        let span = job_span(&job);
        match room.get_mut(&job.kind) {
            Some(0) => {
                let finish =
                    Finish { id: job.id, attempt: job.attempt, outcome: Outcome::Snooze { delay: Duration::ZERO } };
                let _ = ack_tx.send(Ack { finish, job, span });
                continue;
            }
            Some(left) => *left -= 1,
            None => {}
        }
        let token = CancellationToken::new();
        let reason = Arc::new(Mutex::new(None));
        let entry = Running {
            attempt: job.attempt,
            kind: job.kind.clone(),
            token: token.clone(),
            reason: Arc::clone(&reason),
            span: span.clone(),
        };
        if let Some(older) = running.insert(job.id, entry) {
            // This worker claimed the job again after its own lease on an older attempt ran out
            // and the job was rescued: that attempt can never write its result, so stop it.
            older.span.in_scope(|| tracing::warn!("lease lost: the job was claimed again"));
            older.stop(StopReason::LeaseLost);
        }
        keep.push(Admitted { job, token, reason, span });
    }
    keep
}

/// Runs one claimed job. `None` means the lease was lost: nothing may be written.
async fn run_job(
    shared: &Arc<Shared>,
    job: Arc<Job>,
    token: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
) -> Option<Outcome> {
    let Some(registered) = shared.registry.kinds.get(&job.kind) else {
        forget_running(shared, &job);
        return Some(Outcome::Failed { error: format!("no handler for kind {:?} in this worker", job.kind) });
    };
    shared.queue.register_running(job.id, job.attempt, token.clone());
    if job.cancel_requested {
        token.cancel();
    }

    let ctx = JobContext::new(Arc::clone(&job), shared.queue.clone(), Arc::clone(&shared.worker_id), token.clone());
    let started = std::time::Instant::now();
    let result = match registered.handler.prepare(ctx) {
        Err(err) => Err(err),
        Ok(prepared) => match prepared.service.as_deref().map_or(Ok(()), |service| shared.breakers.try_call(service)) {
            Err(wait) => Err(JobError::Snooze(wait + Duration::from_millis(fastrand::u64(0..1000)))),
            Ok(()) => {
                let service = prepared.service;
                let result = tokio::select! {
                    biased;
                    () = token.cancelled() => Err(JobError::Cancel("cancellation requested".into())),
                    result = AssertUnwindSafe(prepared.run).catch_unwind() => result.unwrap_or_else(|panic| {
                        Err(JobError::Retryable(format!("handler panicked: {}", panic_message(&panic))))
                    }),
                };
                if let Some(service) = service {
                    match &result {
                        Ok(()) => shared.breakers.record_success(&service),
                        Err(JobError::Retryable(_)) => {
                            if shared.breakers.record_failure(&service) {
                                tracing::warn!(service, "circuit opened after repeated failures");
                            }
                        }
                        Err(_) => shared.breakers.record_neutral(&service),
                    }
                }
                result
            }
        },
    };

    forget_running(shared, &job);
    shared.queue.unregister_running(job.id, job.attempt);
    // Through the `metrics` facade: the app's Prometheus page shows them, and without a
    // recorder they cost nothing.
    let outcome = match &result {
        Ok(()) => "completed",
        Err(JobError::Snooze(_)) => "snoozed",
        Err(JobError::Retryable(_)) => "retried",
        Err(JobError::Cancel(_)) => "cancelled",
        Err(_) => "failed",
    };
    metrics::histogram!("metarr_job_duration_seconds", "kind" => job.kind.clone(), "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    let stop = *reason.lock().expect("stop reason lock is never poisoned");
    match (stop, result) {
        (Some(StopReason::LeaseLost), _) => None,
        (Some(StopReason::Shutdown), Err(_)) => Some(Outcome::Snooze { delay: Duration::ZERO }),
        (_, Ok(())) => Some(Outcome::Completed),
        (_, Err(err)) => Some(outcome_for(&job, &registered.options.retry, err)),
    }
}

/// Forgets this attempt of a job, but not a newer attempt of it that this worker claimed since.
fn forget_running(shared: &Shared, job: &Job) {
    let mut running = shared.running.lock().expect("running lock is never poisoned");
    if running.get(&job.id).is_some_and(|entry| entry.attempt == job.attempt) {
        running.remove(&job.id);
    }
}

fn outcome_for(job: &Job, retry: &crate::RetryPolicy, err: JobError) -> Outcome {
    match err {
        JobError::Retryable(error) if job.attempt < job.max_attempts => {
            Outcome::Retry { delay: retry.delay(job.attempt), error }
        }
        JobError::Retryable(error) => {
            Outcome::Failed { error: format!("{error} (attempt {} of {})", job.attempt, job.max_attempts) }
        }
        JobError::Permanent(error) => Outcome::Failed { error },
        JobError::Snooze(delay) => Outcome::Snooze { delay },
        JobError::Cancel(reason) => Outcome::Cancelled { reason },
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

/// Writes outcomes in batches: whatever has queued up while the previous batch was written.
async fn acker(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Ack>) {
    let mut batch = Vec::with_capacity(MAX_ACK_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_ACK_BATCH {
            match rx.try_recv() {
                Ok(ack) => batch.push(ack),
                Err(_) => break,
            }
        }
        let finishes: Vec<Finish> = batch.iter().map(|ack| ack.finish.clone()).collect();
        let mut tries = 0u32;
        let applied = loop {
            match shared.queue.store().finish(&shared.worker_id, &finishes).await {
                Ok(applied) => break applied,
                Err(err) if tries < 5 => {
                    tries += 1;
                    tracing::warn!(error = %metarr_errors::Chain(&err), jobs = finishes.len(), "acknowledging jobs failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(tries))).await;
                }
                Err(err) => {
                    // The leases will expire and another worker will run these jobs again.
                    tracing::error!(error = %metarr_errors::Chain(&err), jobs = finishes.len(), "acknowledging jobs failed; leaving them to lease expiry");
                    break Vec::new();
                }
            }
        };
        let applied: std::collections::HashSet<JobId> = applied.into_iter().collect();
        let mut events = Vec::new();
        let mut rescheduled = false;
        for ack in batch.drain(..) {
            // The outcome is logged in the attempt's span, like the handler's own lines.
            let span = ack.span.clone();
            let _in_job = span.enter();
            if !applied.contains(&ack.finish.id) {
                tracing::warn!("result rejected: this worker no longer holds the lease");
                continue;
            }
            log_outcome(&ack);
            if let Some(event) = event_after(ack) {
                rescheduled |= event.job.state == JobState::Pending;
                if event.job.state == JobState::Failed
                    && let Some(hook) = &shared.registry.on_failed
                {
                    // Off the acknowledgement path: a slow hook must not hold up other results.
                    tokio::spawn(hook(event.job.clone()).instrument(span.clone()));
                }
                events.push(event);
            }
        }
        // Announce before waking the fetch loop, so that a retried job's `job.failed` precedes
        // its next `job.started`.
        shared.queue.emit(events).await;
        if rescheduled {
            shared.queue.wake_workers();
        }
    }
}

/// Logs an attempt's outcome; called inside the attempt's span, which names the job.
fn log_outcome(ack: &Ack) {
    match &ack.finish.outcome {
        Outcome::Completed => tracing::debug!("job completed"),
        Outcome::Retry { delay, error } => tracing::info!(retry_in = ?delay, error = %error, "job attempt failed"),
        Outcome::Failed { error } => tracing::warn!(error = %error, "job failed"),
        Outcome::Snooze { delay } => tracing::debug!(snooze = ?delay, "job snoozed"),
        Outcome::Cancelled { reason } => tracing::info!(reason = %reason, "job cancelled"),
    }
}

/// The job as it is after its outcome, for subscribers. Snoozes are not announced.
fn event_after(ack: Ack) -> Option<JobEvent> {
    let mut job = ack.job;
    let now = chrono::Utc::now();
    job.locked_by = None;
    job.lease_expires_at = None;
    let kind = match ack.finish.outcome {
        Outcome::Completed => {
            job.state = JobState::Completed;
            job.finished_at = Some(now);
            JobEventKind::Completed
        }
        Outcome::Retry { delay, error } => {
            job.state = JobState::Pending;
            job.run_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
            job.last_error = Some(error);
            JobEventKind::Failed
        }
        Outcome::Failed { error } => {
            job.state = JobState::Failed;
            job.finished_at = Some(now);
            job.last_error = Some(error);
            JobEventKind::Failed
        }
        Outcome::Cancelled { reason } => {
            job.state = JobState::Cancelled;
            job.finished_at = Some(now);
            job.last_error = Some(reason);
            JobEventKind::Cancelled
        }
        Outcome::Snooze { .. } => return None,
    };
    Some(JobEvent { kind, job })
}

/// Renews the leases of running jobs and hears about cancellations and lost leases.
async fn heartbeat(shared: Arc<Shared>, stop: CancellationToken) {
    let mut interval = tokio::time::interval(shared.config.heartbeat);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = interval.tick() => {}
        }
        let leases: Vec<Lease> = {
            let running = shared.running.lock().expect("running lock is never poisoned");
            running.iter().map(|(id, job)| Lease { id: *id, attempt: job.attempt }).collect()
        };
        let sent: HashMap<JobId, i32> = leases.iter().map(|lease| (lease.id, lease.attempt)).collect();
        if leases.is_empty() {
            continue;
        }
        match shared.queue.store().heartbeat(&shared.worker_id, &leases, shared.config.lease).await {
            Ok(report) => {
                let running = shared.running.lock().expect("running lock is never poisoned");
                // A job may have been claimed again (a newer attempt) while the heartbeat ran:
                // only the attempt whose lease was sent is affected.
                let same_attempt = |id: &JobId| running.get(id).filter(|job| sent.get(id) == Some(&job.attempt));
                for id in report.lost {
                    if let Some(job) = same_attempt(&id) {
                        job.span.in_scope(|| {
                            tracing::warn!("lease lost: stopping the job without writing its result");
                        });
                        job.stop(StopReason::LeaseLost);
                    }
                }
                for id in report.cancel_requested {
                    if let Some(job) = same_attempt(&id) {
                        job.stop(StopReason::UserCancel);
                    }
                }
            }
            Err(err) => tracing::warn!(error = %metarr_errors::Chain(&err), "renewing leases failed"),
        }
    }
}

/// Rescues expired leases and fires due schedules.
async fn maintenance(shared: Arc<Shared>, stop: CancellationToken) {
    let mut interval = tokio::time::interval(shared.config.maintenance_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = interval.tick() => {}
        }
        match shared.queue.store().rescue_expired().await {
            Ok(rescued) if !rescued.is_empty() => {
                tracing::warn!(jobs = rescued.len(), "rescued jobs whose worker stopped renewing its lease");
                // A lease that lapsed on the last attempt is a final failure too; the rescue
                // statement returns each row to one process only, so the hook runs once.
                if let Some(hook) = &shared.registry.on_failed {
                    for job in rescued.iter().filter(|job| job.state == JobState::Failed) {
                        tokio::spawn(hook(job.clone()).instrument(job_span(job)));
                    }
                }
                let events = rescued
                    .into_iter()
                    .map(|job| JobEvent {
                        // Back to pending (retry later) or failed are both a failed attempt;
                        // a job whose cancellation was requested ends cancelled.
                        kind: if job.state == JobState::Cancelled {
                            JobEventKind::Cancelled
                        } else {
                            JobEventKind::Failed
                        },
                        job,
                    })
                    .collect();
                shared.queue.emit(events).await;
                shared.queue.wake_workers();
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %metarr_errors::Chain(&err), "rescuing expired leases failed"),
        }
        if shared.config.run_scheduler
            && let Err(err) = shared.queue.fire_due_schedules().await
        {
            tracing::warn!(error = %metarr_errors::Chain(&err), "firing schedules failed");
        }
    }
}
