//! Durable priority job queue on SQLite and PostgreSQL.
//!
//! Jobs are rows; workers lease them, renew the lease with a heartbeat, and acknowledge the
//! outcome in batches. A lease that runs out is rescued by any process, so nothing is reset at
//! start-up and several processes can share one PostgreSQL queue. See `docs/job-states.md`.

pub mod backoff;
pub mod breaker;
pub mod error;
pub mod events;
pub mod handler;
pub mod job;
pub mod queue;
pub mod schedule;
pub mod store;
pub mod worker;

pub use backoff::RetryPolicy;
pub use breaker::{BreakerPolicy, Breakers};
pub use error::{JobError, QueueError, Result};
pub use events::{JobEvent, JobEventKind};
pub use handler::{FailureHook, Handler, JobContext, KindOptions, Registry};
pub use job::{Enqueued, Job, JobId, JobKind, JobState, NewJob, Progress};
pub use queue::Queue;
pub use store::{Backend, JobPage, ListFilter, Schedule, Stats, Store};
pub use worker::{Worker, WorkerConfig};
