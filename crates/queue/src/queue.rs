//! The queue handle: enqueue, manage and observe jobs; shared by the HTTP API and the workers.

use crate::error::{QueueError, Result};
use crate::events::{JobEvent, JobEventKind};
use crate::job::{Enqueued, Job, JobId, NewJob};
use crate::schedule;
use crate::store::{Backend, JobPage, ListFilter, Schedule, Signal, Stats, Store};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;

/// How many events a slow subscriber may fall behind before it loses some.
const EVENT_BUFFER: usize = 4096;
/// PostgreSQL refuses notification payloads of 8000 bytes or more.
const MAX_MESSAGE_BYTES: usize = 7000;

/// A cheap-to-clone handle on one queue.
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    /// Event (code, job id) pairs on their way to the other processes, in order (PostgreSQL).
    outbox: Option<tokio::sync::mpsc::UnboundedSender<(u8, JobId)>>,
    node_id: String,
    events: broadcast::Sender<JobEvent>,
    wake: Notify,
    wake_generation: std::sync::atomic::AtomicU64,
    /// Orders this process's events of one job: an enqueue holds it shared from before its
    /// commit until its `job.created` is out, and a worker takes it exclusively to announce
    /// `job.started`, so that a job claimed the instant it committed is never announced as
    /// started before it is announced as created. Only taken while someone subscribes.
    announce_gate: tokio::sync::RwLock<()>,
    /// Cancellation tokens of the jobs running in this process, with their attempt.
    running: Mutex<HashMap<JobId, (i32, CancellationToken)>>,
}

/// What one process tells the others (PostgreSQL only).
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    node: String,
    /// (event code, job id) pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<(u8, JobId)>,
    /// Running jobs a user asked to cancel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cancel: Vec<JobId>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("backend", &self.backend()).field("node_id", &self.inner.node_id).finish()
    }
}

impl Queue {
    /// A queue over a store. Call [`Queue::start_relay`] to hear other processes.
    pub fn new(store: Arc<dyn Store>) -> Queue {
        let node_id = format!("node-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let outbox = (store.backend() == Backend::Postgres).then(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(publisher(Arc::clone(&store), node_id.clone(), rx));
            tx
        });
        Queue {
            inner: Arc::new(Inner {
                store,
                outbox,
                node_id,
                events,
                wake: Notify::new(),
                wake_generation: std::sync::atomic::AtomicU64::new(0),
                announce_gate: tokio::sync::RwLock::new(()),
                running: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Opens the store a database URL names (`sqlite://…` or `postgres://…`) and applies migrations.
    pub async fn connect(database_url: &str) -> Result<Queue> {
        let store = crate::store::open(database_url).await?;
        store.migrate().await?;
        Ok(Queue::new(store))
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The database the queue runs on, whose connections and transactions others share.
    pub fn database(&self) -> &metarr_db::Database {
        self.inner.store.database()
    }

    /// Which database the queue runs on.
    pub fn backend(&self) -> Backend {
        self.inner.store.backend()
    }

    /// This process's identity in leases and messages.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// Enqueues one job. With a unique key held by an active job, returns that job (`created: false`).
    pub async fn enqueue(&self, job: NewJob) -> Result<Enqueued> {
        let mut enqueued = self.enqueue_many(vec![job]).await?;
        enqueued.pop().ok_or(QueueError::Internal("enqueue returned nothing".into()))
    }

    /// Enqueues many jobs in one transaction.
    pub async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>> {
        for job in &jobs {
            validate(job)?;
        }
        let _gate = self.gate_shared().await;
        let enqueued = self.inner.store.enqueue(jobs).await?;
        self.announce(&enqueued).await;
        Ok(enqueued)
    }

    /// Wakes workers and tells subscribers about jobs enqueued inside a caller's transaction
    /// (`store::sqlite::enqueue_with`, `store::postgres::enqueue_with`), once it committed.
    pub async fn announce(&self, enqueued: &[Enqueued]) {
        if enqueued.iter().any(|e| e.created) && !self.wants_events() {
            self.wake_workers();
        } else if enqueued.iter().any(|e| e.created) {
            // Announce before waking the workers, so that `job.created` precedes `job.started`.
            let events = enqueued
                .iter()
                .filter(|e| e.created)
                .map(|e| JobEvent { kind: JobEventKind::Created, job: e.job.clone() });
            self.emit(events.collect()).await;
            self.wake_workers();
        }
    }

    /// One job, or [`QueueError::NotFound`].
    pub async fn get(&self, id: JobId) -> Result<Job> {
        self.inner.store.get(id).await?.ok_or(QueueError::NotFound(id))
    }

    /// A page of jobs, newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<JobPage> {
        self.inner.store.list(filter).await
    }

    /// Cancels a pending job, or asks a running job's handler to stop.
    /// Finished jobs answer [`QueueError::InvalidTransition`].
    pub async fn cancel(&self, id: JobId) -> Result<Job> {
        let job = self.inner.store.cancel(id).await?;
        if job.state == crate::JobState::Cancelled {
            self.emit(vec![JobEvent { kind: JobEventKind::Cancelled, job: job.clone() }]).await;
        } else {
            self.cancel_local(id);
            if self.backend() == Backend::Postgres {
                let message = Message { node: self.inner.node_id.clone(), events: vec![], cancel: vec![id] };
                self.publish(&message).await;
            }
        }
        Ok(job)
    }

    /// Puts a failed or cancelled job back to pending with fresh attempts.
    pub async fn retry(&self, id: JobId) -> Result<Job> {
        let _gate = self.gate_shared().await;
        let job = self.inner.store.retry(id).await?;
        self.emit(vec![JobEvent { kind: JobEventKind::Created, job: job.clone() }]).await;
        self.wake_workers();
        Ok(job)
    }

    /// Deletes finished jobs older than `before`.
    pub async fn delete_finished_before(&self, before: DateTime<Utc>) -> Result<u64> {
        self.inner.store.delete_finished_before(before).await
    }

    /// Counts per state and kind.
    pub async fn stats(&self) -> Result<Stats> {
        self.inner.store.stats().await
    }

    /// Job events from now on. A receiver that falls more than a few thousand events behind
    /// gets `RecvError::Lagged`; callers serving slow clients should drop them then.
    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.inner.events.subscribe()
    }

    /// Registers a schedule unless it exists (a user's edits survive restarts).
    pub async fn ensure_schedule(&self, name: &str, kind: &str, cron: &str, enabled: bool) -> Result<()> {
        schedule::parse(cron)?;
        self.inner.store.ensure_schedule(name, kind, cron, enabled).await
    }

    /// All schedules.
    pub async fn schedules(&self) -> Result<Vec<Schedule>> {
        self.inner.store.schedules().await
    }

    /// Changes a schedule; an expression that does not parse is [`QueueError::InvalidCron`].
    pub async fn update_schedule(&self, name: &str, cron: &str, enabled: bool) -> Result<Schedule> {
        schedule::parse(cron)?;
        self.inner.store.update_schedule(name, cron, enabled).await
    }

    /// Enqueues a schedule's job now, outside its slots.
    pub async fn run_schedule_now(&self, name: &str) -> Result<Enqueued> {
        let schedule = self
            .schedules()
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| QueueError::ScheduleNotFound(name.to_owned()))?;
        self.enqueue(schedule::job_for(&schedule, None)).await
    }

    /// Fires every due schedule slot once across all processes. Returns the jobs enqueued.
    pub async fn fire_due_schedules(&self) -> Result<Vec<Enqueued>> {
        let _gate = self.gate_shared().await;
        let now = self.inner.store.now().await?;
        let mut fired = Vec::new();
        for schedule in self.schedules().await? {
            if !schedule.enabled {
                continue;
            }
            let Some(slot) = schedule::due_slot(&schedule, now)? else { continue };
            let job = schedule::job_for(&schedule, Some(slot));
            if let Some(enqueued) = self.inner.store.fire_schedule(&schedule.name, slot, job).await? {
                fired.push(enqueued);
            }
        }
        if fired.iter().any(|e| e.created) {
            let events = fired
                .iter()
                .filter(|e| e.created)
                .map(|e| JobEvent { kind: JobEventKind::Created, job: e.job.clone() });
            self.emit(events.collect()).await;
            self.wake_workers();
        }
        Ok(fired)
    }

    /// Listens to the other processes sharing the database (PostgreSQL): their enqueues wake
    /// this process's workers and their job events reach this process's subscribers.
    /// Returns immediately on SQLite. The task stops when `shutdown` fires.
    pub async fn start_relay(&self, shutdown: CancellationToken) -> Result<()> {
        let Some(mut signals) = self.inner.store.subscribe().await? else { return Ok(()) };
        let queue = self.clone();
        tokio::spawn(async move {
            loop {
                let signal = tokio::select! {
                    () = shutdown.cancelled() => break,
                    signal = signals.next() => signal,
                };
                match signal {
                    None => break,
                    Some(Signal::JobsAvailable | Signal::Reconnected) => queue.wake_workers(),
                    Some(Signal::Message(text)) => queue.relay(&text).await,
                }
            }
        });
        Ok(())
    }

    async fn relay(&self, text: &str) {
        let Ok(message) = serde_json::from_str::<Message>(text) else {
            tracing::debug!(message = text, "ignoring an unreadable queue message");
            return;
        };
        if message.node == self.inner.node_id {
            return;
        }
        for id in &message.cancel {
            self.cancel_local(*id);
        }
        if message.events.is_empty() || self.inner.events.receiver_count() == 0 {
            return;
        }
        let ids: Vec<JobId> = message.events.iter().map(|(_, id)| *id).collect();
        let jobs = match self.inner.store.get_many(&ids).await {
            Ok(jobs) => jobs.into_iter().map(|job| (job.id, job)).collect::<HashMap<_, _>>(),
            Err(err) => {
                tracing::warn!(error = %metarr_errors::Chain(&err), "loading jobs of another process's events");
                return;
            }
        };
        for (code, id) in message.events {
            if let (Some(kind), Some(job)) = (JobEventKind::from_code(code), jobs.get(&id)) {
                let _ = self.inner.events.send(JobEvent { kind, job: job.clone() });
            }
        }
    }

    /// Publishes events to this process's subscribers and, on PostgreSQL, to the other processes.
    /// Whether anyone hears job events: a subscriber here, or other processes (PostgreSQL).
    /// Without, events are not even built: a scan enqueues thousands of jobs at once.
    fn wants_events(&self) -> bool {
        self.inner.outbox.is_some() || self.inner.events.receiver_count() > 0
    }

    pub(crate) async fn emit(&self, events: Vec<JobEvent>) {
        if events.is_empty() {
            return;
        }
        if let Some(outbox) = &self.inner.outbox {
            for event in &events {
                let _ = outbox.send((event.kind.code(), event.job.id));
            }
        }
        if self.inner.events.receiver_count() > 0 {
            for event in events {
                let _ = self.inner.events.send(event);
            }
        }
    }

    async fn publish(&self, message: &Message) {
        let text = serde_json::to_string(message).expect("queue messages always serialise");
        if let Err(err) = self.inner.store.publish(&text).await {
            tracing::warn!(error = %metarr_errors::Chain(&err), "publishing job events to other processes");
        }
    }

    pub(crate) fn has_subscribers(&self) -> bool {
        self.inner.events.receiver_count() > 0
    }

    /// Held by whatever creates jobs until their `job.created` is published (see `announce_gate`).
    async fn gate_shared(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        if self.has_subscribers() { Some(self.inner.announce_gate.read().await) } else { None }
    }

    /// Publishes `job.started` events once every enqueue in flight has published its `job.created`.
    pub(crate) async fn emit_started(&self, events: Vec<JobEvent>) {
        if events.is_empty() {
            return;
        }
        let _gate = if self.has_subscribers() { Some(self.inner.announce_gate.write().await) } else { None };
        self.emit(events).await;
    }

    pub(crate) fn wake(&self) -> &Notify {
        &self.inner.wake
    }

    /// Wakes this process's workers: jobs may have become claimable.
    pub(crate) fn wake_workers(&self) {
        self.inner.wake_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.wake.notify_waiters();
    }

    /// Counts wake-ups, so a worker can tell whether anything arrived since it last looked.
    pub(crate) fn wake_generation(&self) -> u64 {
        self.inner.wake_generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn register_running(&self, id: JobId, attempt: i32, token: CancellationToken) {
        self.inner.running.lock().expect("running map is never poisoned").insert(id, (attempt, token));
    }

    /// Forgets one attempt of a job; a newer attempt registered since stays.
    pub(crate) fn unregister_running(&self, id: JobId, attempt: i32) {
        let mut running = self.inner.running.lock().expect("running map is never poisoned");
        if running.get(&id).is_some_and(|(registered, _)| *registered == attempt) {
            running.remove(&id);
        }
    }

    pub(crate) fn cancel_local(&self, id: JobId) {
        if let Some((_, token)) = self.inner.running.lock().expect("running map is never poisoned").get(&id) {
            token.cancel();
        }
    }
}

pub(crate) fn validate(job: &NewJob) -> Result<()> {
    if job.kind.is_empty() {
        return Err(QueueError::Invalid("job kind must not be empty".into()));
    }
    if !(1..=10).contains(&job.priority) {
        return Err(QueueError::Invalid(format!("priority {} is outside 1–10", job.priority)));
    }
    if job.max_attempts < 1 {
        return Err(QueueError::Invalid(format!("max_attempts {} must be at least 1", job.max_attempts)));
    }
    Ok(())
}

/// Publishes this process's job events to the others, in order, batching whatever queued up
/// while the previous message was sent. Runs off the hot path: claiming and acknowledging never
/// wait for it.
async fn publisher(store: Arc<dyn Store>, node: String, mut rx: tokio::sync::mpsc::UnboundedReceiver<(u8, JobId)>) {
    // Each pair costs at most ~25 bytes of JSON; stay under PostgreSQL's payload limit.
    const MAX_PAIRS: usize = MAX_MESSAGE_BYTES / 25;
    let mut pairs = Vec::with_capacity(MAX_PAIRS);
    while let Some(first) = rx.recv().await {
        pairs.push(first);
        while pairs.len() < MAX_PAIRS {
            match rx.try_recv() {
                Ok(pair) => pairs.push(pair),
                Err(_) => break,
            }
        }
        let message = Message { node: node.clone(), events: std::mem::take(&mut pairs), cancel: vec![] };
        let text = serde_json::to_string(&message).expect("queue messages always serialise");
        if let Err(err) = store.publish(&text).await {
            tracing::warn!(error = %metarr_errors::Chain(&err), "publishing job events to other processes");
        }
    }
}
