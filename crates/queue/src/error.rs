//! Errors of the queue's store, and the typed outcomes a job handler can return.

use crate::job::{JobId, JobState};
use std::time::Duration;

/// An error from the queue's store or management operations.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No job has this id.
    #[error("job {0} not found")]
    NotFound(JobId),
    /// The job is in a state that does not allow the operation.
    #[error("job {id} is {state}: cannot {operation}")]
    InvalidTransition { id: JobId, state: JobState, operation: &'static str },
    /// A unique key is held by another active job.
    #[error("job {id} cannot be re-queued: active job {existing} holds unique key {key:?}")]
    UniqueConflict { id: JobId, existing: JobId, key: String },
    /// No schedule has this name.
    #[error("schedule {0:?} not found")]
    ScheduleNotFound(String),
    /// A cron expression that does not parse.
    #[error("invalid cron expression {expression:?}: {reason}")]
    InvalidCron { expression: String, reason: String },
    /// Input the caller should fix.
    #[error("{0}")]
    Invalid(String),
    /// The database did not behave as the queue relies on (a unique key that kept changing
    /// hands, a bulk insert that stored fewer rows than sent): Metarr's fault, not the caller's.
    #[error("{0}")]
    Internal(String),
    /// The database failed.
    #[error("{operation}")]
    Database {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// Opening or migrating the database failed.
    #[error(transparent)]
    Db(#[from] metarr_db::DbError),
    /// A row held data this version cannot read.
    #[error("job {id}: corrupt column {column}: {reason}")]
    Corrupt { id: JobId, column: &'static str, reason: String },
}

impl QueueError {
    pub(crate) fn db(operation: &'static str) -> impl FnOnce(sqlx::Error) -> QueueError {
        move |source| QueueError::Database { operation, source }
    }
}

/// Result of queue operations.
pub type Result<T, E = QueueError> = std::result::Result<T, E>;

/// What a failed handler run means for the job. Errors are control flow here, as in River.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again after backoff, while attempts remain.
    #[error("{0}")]
    Retryable(String),
    /// Fail now without retrying: the input can never work.
    #[error("{0}")]
    Permanent(String),
    /// Run again after this delay without spending an attempt (rate limit, open circuit, busy peer).
    #[error("snoozed for {0:?}")]
    Snooze(Duration),
    /// Stop and mark the job cancelled; never retried.
    #[error("cancelled: {0}")]
    Cancel(String),
}

impl JobError {
    /// A retryable error from an error (its whole cause chain goes into the message, each
    /// cause once) or a message.
    pub fn retryable(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> JobError {
        JobError::Retryable(metarr_errors::chain(&*err.into()))
    }

    /// A permanent error from an error (with its cause chain) or a message.
    pub fn permanent(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> JobError {
        JobError::Permanent(metarr_errors::chain(&*err.into()))
    }
}
