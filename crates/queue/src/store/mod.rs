//! The store seam: one trait, one implementation per database backend.
//!
//! The runner and the management API speak only to [`Store`]; SQL lives in the backend modules.
//! Every behaviour here is exercised on both backends by the conformance suite (`tests/it`).

use crate::error::Result;
use crate::job::{Enqueued, Job, JobId, JobState, NewJob, Progress};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metarr_db::{Database, Tx};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

mod common;
pub mod postgres;
pub mod sqlite;

pub use metarr_db::Backend;

/// The end of one attempt, as the runner decided it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Completed,
    /// Back to pending after `delay` (on the store's clock), attempt spent.
    Retry {
        delay: Duration,
        error: String,
    },
    /// Failed for good.
    Failed {
        error: String,
    },
    /// Back to pending after `delay`, attempt not spent.
    Snooze {
        delay: Duration,
    },
    Cancelled {
        reason: String,
    },
}

/// One acknowledgement: which lease (job id and attempt) ends how.
#[derive(Debug, Clone, PartialEq)]
pub struct Finish {
    pub id: JobId,
    pub attempt: i32,
    pub outcome: Outcome,
}

/// A lease held by a worker: the job and the attempt it is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub id: JobId,
    pub attempt: i32,
}

/// What a heartbeat learned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeartbeatReport {
    /// Leases this worker no longer holds: their late results will be rejected.
    pub lost: Vec<JobId>,
    /// Jobs a user asked to cancel.
    pub cancel_requested: Vec<JobId>,
}

/// Which jobs a claim may take.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRequest<'a> {
    pub worker_id: &'a str,
    /// Only these kinds (the ones this worker has handlers for and room for).
    pub kinds: &'a [String],
    pub limit: usize,
    pub lease: Duration,
}

/// Filters and paging for the job list, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub correlation_id: Option<String>,
    /// Only jobs with an id below this one.
    pub before_id: Option<JobId>,
    pub limit: usize,
}

/// One page of the job list.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPage {
    pub items: Vec<Job>,
    /// Pass as `before_id` for the next page.
    pub next_before_id: Option<JobId>,
}

/// Queue statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    /// Jobs per state.
    pub states: BTreeMap<String, i64>,
    /// Jobs per kind, then per state.
    pub kinds: BTreeMap<String, BTreeMap<String, i64>>,
    /// Jobs that finished successfully in the last minute and the last hour.
    pub completed_last_minute: i64,
    pub completed_last_hour: i64,
}

/// Finished jobs deleted per transaction by [`Store::delete_finished_before`].
pub const DELETE_BATCH: i64 = 1_000;

/// A named cron schedule.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub name: String,
    /// The job kind it enqueues.
    pub kind: String,
    /// 5-field crontab expression.
    pub cron: String,
    pub enabled: bool,
    /// The last slot that fired (at most once, whatever the number of processes).
    pub last_slot: Option<DateTime<Utc>>,
    pub last_job_id: Option<JobId>,
    pub updated_at: DateTime<Utc>,
}

/// The database operations of the queue. Implemented once per backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// The database underneath, whose connections the catalogue shares.
    fn database(&self) -> &Database;

    /// Applies the migrations of every crate (the queue's and the catalogue's live together in
    /// `metarr-db`).
    async fn migrate(&self) -> Result<()> {
        Ok(self.database().migrate().await?)
    }

    /// The clock leases and schedules are measured against (the database's on PostgreSQL).
    async fn now(&self) -> Result<DateTime<Utc>>;

    /// Inserts jobs in one transaction; a job whose unique key is held by an active job returns that job.
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>>;

    /// Leases up to `limit` due pending jobs, in priority, run_at, id order.
    async fn claim(&self, request: ClaimRequest<'_>) -> Result<Vec<Job>>;

    /// Several claims at once, in order (one per limited kind, then the rest). The default runs
    /// them one by one; a store can share one transaction between them.
    async fn claim_each(&self, requests: &[ClaimRequest<'_>]) -> Result<Vec<Vec<Job>>> {
        let mut out = Vec::with_capacity(requests.len());
        for request in requests {
            out.push(self.claim(request.clone()).await?);
        }
        Ok(out)
    }

    /// Applies outcomes in one transaction. Returns the ids whose lease was still held;
    /// the others are rejected (the worker lost the lease).
    async fn finish(&self, worker_id: &str, finishes: &[Finish]) -> Result<Vec<JobId>>;

    /// Renews the leases a worker holds and reports lost leases and cancellation requests.
    async fn heartbeat(&self, worker_id: &str, leases: &[Lease], lease: Duration) -> Result<HeartbeatReport>;

    /// Returns running jobs whose lease expired to pending (or failed, when out of attempts).
    async fn rescue_expired(&self) -> Result<Vec<Job>>;

    /// Records progress, if the lease is still held.
    async fn set_progress(&self, worker_id: &str, lease: Lease, progress: &Progress) -> Result<bool>;

    /// When the next pending job becomes due, if any is scheduled.
    async fn next_run_at(&self, kinds: &[String]) -> Result<Option<DateTime<Utc>>>;

    /// One job.
    async fn get(&self, id: JobId) -> Result<Option<Job>>;

    /// Jobs by id, in any order.
    async fn get_many(&self, ids: &[JobId]) -> Result<Vec<Job>>;

    /// A page of jobs, newest first.
    async fn list(&self, filter: &ListFilter) -> Result<JobPage>;

    /// Pending → cancelled; running → cancel requested (the job is returned as is otherwise).
    async fn cancel(&self, id: JobId) -> Result<Job>;

    /// Failed or cancelled → pending with fresh attempts.
    async fn retry(&self, id: JobId) -> Result<Job>;

    /// Deletes finished jobs that finished before `before`, [`DELETE_BATCH`] per transaction.
    /// Returns how many.
    async fn delete_finished_before(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Counts per state and kind.
    async fn stats(&self) -> Result<Stats>;

    /// Creates the schedule unless one with that name exists (a user's edits win).
    async fn ensure_schedule(&self, name: &str, kind: &str, cron: &str, enabled: bool) -> Result<()>;

    /// All schedules, by name.
    async fn schedules(&self) -> Result<Vec<Schedule>>;

    /// Changes a schedule's expression and switch.
    async fn update_schedule(&self, name: &str, cron: &str, enabled: bool) -> Result<Schedule>;

    /// Fires one slot of a schedule: records it and enqueues the job in one transaction,
    /// unless this or a later slot already fired (then `None`).
    async fn fire_schedule(&self, name: &str, slot: DateTime<Utc>, job: NewJob) -> Result<Option<Enqueued>>;

    /// Publishes a message to the other processes sharing this database (PostgreSQL only).
    async fn publish(&self, message: &str) -> Result<()>;

    /// A stream of wake-ups and messages from other processes (PostgreSQL only).
    async fn subscribe(&self) -> Result<Option<futures::stream::BoxStream<'static, Signal>>>;
}

/// A message from another process sharing the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// Jobs were enqueued or became pending.
    JobsAvailable,
    /// A published message.
    Message(String),
    /// The listener reconnected: messages may have been missed.
    Reconnected,
}

/// Opens the store a database URL names: `sqlite:…` or `postgres://…` / `postgresql://…`.
pub async fn open(database_url: &str) -> Result<std::sync::Arc<dyn Store>> {
    for_database(Database::connect(database_url).await?).await
}

/// The queue's store over a database.
pub async fn for_database(database: Database) -> Result<std::sync::Arc<dyn Store>> {
    Ok(match database {
        Database::Sqlite(sqlite) => std::sync::Arc::new(sqlite::SqliteStore::new(sqlite)),
        Database::Postgres(postgres) => std::sync::Arc::new(postgres::PgStore::new(postgres)),
    })
}

/// Enqueues a job inside a caller's write transaction, atomically with the caller's other
/// writes. The job becomes visible on commit; announce it then with [`crate::Queue::announce`].
pub async fn enqueue_in(tx: &mut Tx, job: NewJob) -> Result<Enqueued> {
    match tx {
        Tx::Sqlite(tx) => sqlite::enqueue_with(tx, job).await,
        Tx::Postgres(tx) => postgres::enqueue_with(tx, job).await,
    }
}

pub(crate) fn stats_from_counts(rows: Vec<(String, String, i64)>, minute: i64, hour: i64) -> Stats {
    let mut stats = Stats { completed_last_minute: minute, completed_last_hour: hour, ..Stats::default() };
    for state in JobState::ALL {
        stats.states.insert(state.as_str().to_owned(), 0);
    }
    for (state, kind, count) in rows {
        *stats.states.entry(state.clone()).or_default() += count;
        *stats.kinds.entry(kind).or_default().entry(state).or_default() += count;
    }
    stats
}
