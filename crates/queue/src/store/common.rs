//! What the two stores share: the job and schedule rows and their decoding, the job as inserted, what an
//! outcome does to a job, the job list's filter and paging, and the rules of a retry.
//!
//! Only logic lives here, and binds whose order both backends' statements share; the SQL text
//! stays in each backend, since it differs (PostgreSQL's `timestamptz` and `$n`, SQLite's integer
//! milliseconds and `?n`). Everything is generic over the backend, so it costs nothing at run time.

use super::{Finish, JobPage, ListFilter, Outcome, Schedule};
use crate::error::{QueueError, Result};
use crate::job::{Job, JobId, JobState, NewJob, Progress};
use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::{Database, Encode, QueryBuilder, Type};
use std::str::FromStr;
use std::time::Duration;

/// The columns of `jobs`, in the order [`JobRow`] and both backends' statements read them.
pub(super) const COLUMNS: &str = "id, kind, state, priority, payload, attempt, max_attempts, run_at, created_at, \
    started_at, finished_at, progress_percent, progress_message, last_error, parent_id, correlation_id, unique_key, \
    locked_by, lease_expires_at, cancel_requested";

/// A delay in whole milliseconds, as both backends add it to their clock (a delay too long to
/// count stays far in the future without overflowing that sum).
pub(super) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A `jobs` row as [`COLUMNS`] selects it, with the backend's own types for times (`timestamptz`
/// or integer milliseconds) and the payload (JSONB or JSON text).
#[derive(sqlx::FromRow)]
pub(super) struct JobRow<Time, Payload> {
    id: JobId,
    kind: String,
    state: String,
    priority: i16,
    payload: Payload,
    attempt: i32,
    max_attempts: i32,
    run_at: Time,
    created_at: Time,
    started_at: Option<Time>,
    finished_at: Option<Time>,
    progress_percent: Option<f32>,
    progress_message: Option<String>,
    last_error: Option<String>,
    parent_id: Option<JobId>,
    correlation_id: Option<String>,
    unique_key: Option<String>,
    locked_by: Option<String>,
    lease_expires_at: Option<Time>,
    cancel_requested: bool,
}

impl<Time, Payload> JobRow<Time, Payload> {
    /// The job, with the backend's conversions of times and payload; a state or payload this
    /// version cannot read is [`QueueError::Corrupt`].
    pub(super) fn into_job<E: std::fmt::Display>(
        self,
        time: impl Fn(Time) -> DateTime<Utc>,
        payload: impl FnOnce(Payload) -> std::result::Result<serde_json::Value, E>,
    ) -> Result<Job> {
        let id = self.id;
        let state = JobState::from_str(&self.state).map_err(|e| QueueError::Corrupt {
            id,
            column: "state",
            reason: e.to_string(),
        })?;
        let payload =
            payload(self.payload).map_err(|e| QueueError::Corrupt { id, column: "payload", reason: e.to_string() })?;
        let message = self.progress_message;
        Ok(Job {
            id,
            kind: self.kind,
            state,
            priority: self.priority,
            attempt: self.attempt,
            max_attempts: self.max_attempts,
            run_at: time(self.run_at),
            created_at: time(self.created_at),
            started_at: self.started_at.map(&time),
            finished_at: self.finished_at.map(&time),
            progress: self.progress_percent.map(|percent| Progress { percent, message }),
            last_error: self.last_error,
            payload,
            parent_id: self.parent_id,
            correlation_id: self.correlation_id,
            unique_key: self.unique_key,
            locked_by: self.locked_by,
            lease_expires_at: self.lease_expires_at.map(&time),
            cancel_requested: self.cancel_requested,
        })
    }
}

/// A `schedules` row, with the backend's own type for times.
#[derive(sqlx::FromRow)]
pub(super) struct ScheduleRow<Time> {
    name: String,
    kind: String,
    cron: String,
    enabled: bool,
    last_slot: Option<Time>,
    last_job_id: Option<JobId>,
    updated_at: Time,
}

impl<Time> ScheduleRow<Time> {
    /// The schedule, with the backend's conversion of times.
    pub(super) fn into_schedule(self, time: impl Fn(Time) -> DateTime<Utc>) -> Schedule {
        Schedule {
            name: self.name,
            kind: self.kind,
            cron: self.cron,
            enabled: self.enabled,
            last_slot: self.last_slot.map(&time),
            last_job_id: self.last_job_id,
            updated_at: time(self.updated_at),
        }
    }
}

/// The job as inserted, without reading it back: `run_at` and `created_at` as the store keeps
/// them (its clock, its precision).
pub(super) fn inserted(id: JobId, job: NewJob, run_at: DateTime<Utc>, created_at: DateTime<Utc>) -> Job {
    Job {
        id,
        kind: job.kind,
        state: JobState::Pending,
        priority: job.priority,
        attempt: 0,
        max_attempts: job.max_attempts,
        run_at,
        created_at,
        started_at: None,
        finished_at: None,
        progress: None,
        last_error: None,
        payload: job.payload,
        parent_id: job.parent_id,
        correlation_id: job.correlation_id,
        unique_key: job.unique_key,
        locked_by: None,
        lease_expires_at: None,
        cancel_requested: false,
    }
}

/// Binds a new job's columns, the payload and `run_at` in the backend's own types, in the order
/// both backends' inserts number them: 1 kind, 2 priority, 3 payload, 4 max_attempts, 5 run_at,
/// 6 parent_id, 7 correlation_id, 8 unique_key.
pub(super) fn bind_new_job<'q, DB, P, T>(
    query: Query<'q, DB, DB::Arguments<'q>>,
    job: &'q NewJob,
    payload: P,
    run_at: T,
) -> Query<'q, DB, DB::Arguments<'q>>
where
    DB: Database,
    P: 'q + Encode<'q, DB> + Type<DB>,
    T: 'q + Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    i16: Encode<'q, DB> + Type<DB>,
    i32: Encode<'q, DB> + Type<DB>,
    Option<JobId>: Encode<'q, DB> + Type<DB>,
{
    query
        .bind(job.kind.as_str())
        .bind(job.priority)
        .bind(payload)
        .bind(job.max_attempts)
        .bind(run_at)
        .bind(job.parent_id)
        .bind(job.correlation_id.as_deref())
        .bind(job.unique_key.as_deref())
}

/// What an outcome does to its job, whichever the backend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Transition<'a> {
    /// The state it moves to.
    pub state: &'static str,
    /// Whether the job is finished (`finished_at` is set to now).
    pub finished: bool,
    /// Back to pending this long from now (`run_at`), in milliseconds; `None` keeps `run_at`.
    pub delay_ms: Option<i64>,
    /// Added to `attempt`: a snooze gives back the attempt its claim spent.
    pub attempt_delta: i32,
    /// The new `last_error`; `None` keeps the last one.
    pub error: Option<&'a str>,
}

impl Outcome {
    /// What this outcome does to its job.
    pub(super) fn transition(&self) -> Transition<'_> {
        let (state, finished, delay_ms, attempt_delta, error) = match self {
            Outcome::Completed => ("completed", true, None, 0, None),
            Outcome::Retry { delay, error } => ("pending", false, Some(duration_ms(*delay)), 0, Some(error.as_str())),
            Outcome::Failed { error } => ("failed", true, None, 0, Some(error.as_str())),
            Outcome::Snooze { delay } => ("pending", false, Some(duration_ms(*delay)), -1, None),
            Outcome::Cancelled { reason } => ("cancelled", true, None, 0, Some(reason.as_str())),
        };
        Transition { state, finished, delay_ms, attempt_delta, error }
    }
}

/// Binds an acknowledgement's [`Transition`] and the lease it must still hold, in the order both
/// backends' outcome statements number them: 1 state, 2 finished, 3 delay_ms, 4 attempt_delta,
/// 5 error, 6 id, 7 attempt, 8 worker id.
pub(super) fn bind_outcome<'q, DB>(
    query: Query<'q, DB, DB::Arguments<'q>>,
    finish: &'q Finish,
    worker_id: &'q str,
) -> Query<'q, DB, DB::Arguments<'q>>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    i32: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
{
    let transition = finish.outcome.transition();
    query
        .bind(transition.state)
        .bind(transition.finished)
        .bind(transition.delay_ms)
        .bind(transition.attempt_delta)
        .bind(transition.error)
        .bind(finish.id)
        .bind(finish.attempt)
        .bind(worker_id)
}

impl ListFilter {
    /// Jobs per page: at least one, so that a page always moves the cursor on.
    fn page_size(&self) -> usize {
        self.limit.max(1)
    }
}

/// The job list's query: the filter's conditions, newest first, and one row more than a page, which
/// tells whether another page follows (see [`page`]).
pub(super) fn list_query<'a, DB>(filter: &'a ListFilter) -> QueryBuilder<'a, DB>
where
    DB: Database,
    &'a str: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM jobs WHERE 1 = 1"));
    if let Some(state) = filter.state {
        query.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(kind) = &filter.kind {
        query.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(correlation_id) = &filter.correlation_id {
        query.push(" AND correlation_id = ").push_bind(correlation_id.as_str());
    }
    if let Some(before) = filter.before_id {
        query.push(" AND id < ").push_bind(before);
    }
    let fetch = filter.page_size().saturating_add(1);
    query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::try_from(fetch).unwrap_or(i64::MAX));
    query
}

/// One page of what [`list_query`] fetched: the extra row, when there is one, is cut and names
/// the next page.
pub(super) fn page(mut items: Vec<Job>, filter: &ListFilter) -> JobPage {
    let limit = filter.page_size();
    let next_before_id = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|job| job.id)
    } else {
        None
    };
    JobPage { items, next_before_id }
}

/// Whether a job may be retried, from its state and unique key as read in the retry's
/// transaction: only failed and cancelled jobs are. Returns its unique key, which must then be
/// free.
pub(super) fn retryable(id: JobId, current: Option<(String, Option<String>)>) -> Result<Option<String>> {
    let Some((state, unique_key)) = current else { return Err(QueueError::NotFound(id)) };
    if state != "failed" && state != "cancelled" {
        return Err(invalid_transition(id, Some(state), "retry"));
    }
    Ok(unique_key)
}

/// The error for an operation the job's current state does not allow (`None`: no such job).
pub(super) fn invalid_transition(id: JobId, state: Option<String>, operation: &'static str) -> QueueError {
    match state.as_deref().map(JobState::from_str) {
        Some(Ok(state)) => QueueError::InvalidTransition { id, state, operation },
        _ => QueueError::NotFound(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_move_their_job_as_documented() {
        let retry = Outcome::Retry { delay: Duration::from_millis(1500), error: "busy".into() };
        assert_eq!(
            retry.transition(),
            Transition {
                state: "pending",
                finished: false,
                delay_ms: Some(1500),
                attempt_delta: 0,
                error: Some("busy")
            }
        );
        let snooze = Outcome::Snooze { delay: Duration::from_secs(2) };
        assert_eq!(
            snooze.transition(),
            Transition { state: "pending", finished: false, delay_ms: Some(2000), attempt_delta: -1, error: None }
        );
        let failed = Outcome::Failed { error: "bad".into() };
        assert_eq!(
            failed.transition(),
            Transition { state: "failed", finished: true, delay_ms: None, attempt_delta: 0, error: Some("bad") }
        );
        let cancelled = Outcome::Cancelled { reason: "user".into() };
        assert_eq!(
            cancelled.transition(),
            Transition { state: "cancelled", finished: true, delay_ms: None, attempt_delta: 0, error: Some("user") }
        );
        assert_eq!(
            Outcome::Completed.transition(),
            Transition { state: "completed", finished: true, delay_ms: None, attempt_delta: 0, error: None }
        );
    }

    #[test]
    fn a_delay_too_long_to_count_stays_addable_to_a_clock() {
        assert_eq!(duration_ms(Duration::MAX), i64::MAX / 4);
    }

    fn job(id: i64) -> Job {
        let new = NewJob {
            kind: "k".into(),
            payload: serde_json::Value::Null,
            priority: 5,
            max_attempts: 1,
            run_at: None,
            unique_key: None,
            parent_id: None,
            correlation_id: None,
        };
        inserted(JobId(id), new, DateTime::default(), DateTime::default())
    }

    #[test]
    fn the_extra_row_is_cut_and_names_the_next_page() {
        let filter = ListFilter { limit: 2, ..ListFilter::default() };
        let full = page(vec![job(9), job(8), job(7)], &filter);
        assert_eq!(full.items.iter().map(|job| job.id.get()).collect::<Vec<_>>(), [9, 8]);
        assert_eq!(full.next_before_id, Some(JobId(8)));
        let last = page(vec![job(6), job(5)], &filter);
        assert_eq!(last.items.len(), 2);
        assert_eq!(last.next_before_id, None);
        // A limit of 0 still pages, one job at a time.
        let one = page(vec![job(4), job(3)], &ListFilter::default());
        assert_eq!((one.items.len(), one.next_before_id), (1, Some(JobId(4))));
    }
}
