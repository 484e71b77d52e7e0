//! The PostgreSQL store: `FOR UPDATE SKIP LOCKED` claims, `LISTEN/NOTIFY` wake-ups and events.
//!
//! Several processes on several machines share one queue here, so every time that matters
//! (run_at, leases) is taken from the database's clock, never from the process's.
//! Notification channels are named after the current schema so that installations (and test
//! schemas) sharing one server never wake each other.

use super::common::{self, COLUMNS, JobRow, ScheduleRow, duration_ms};
use super::{
    Backend, ClaimRequest, Finish, HeartbeatReport, JobPage, Lease, ListFilter, Outcome, Schedule, Signal, Stats, Store,
};
use crate::error::{QueueError, Result};
use crate::job::{Enqueued, Job, JobId, NewJob, Progress};
use async_trait::async_trait;
use chrono::{DateTime, Timelike, Utc};
use futures::stream::BoxStream;
use metarr_db::{Database, PgDatabase};
use sqlx::postgres::{PgListener, PgPool, PgRow};
use sqlx::{FromRow, Postgres};
use std::time::Duration;

const COMPLETE_JOBS: &str = "UPDATE jobs SET state = 'completed', finished_at = now(), locked_by = NULL, \
    lease_expires_at = NULL FROM unnest($1::int8[], $2::int4[]) AS t(id, attempt) \
    WHERE jobs.id = t.id AND jobs.attempt = t.attempt AND jobs.state = 'running' AND jobs.locked_by = $3 \
    RETURNING jobs.id";

enum KindsParam {
    One(String),
    Many(Vec<String>),
}

/// A queue in a PostgreSQL schema.
pub struct PgStore {
    pool: PgPool,
    database: Database,
    jobs_channel: String,
    events_channel: String,
}

impl PgStore {
    /// The queue over a PostgreSQL database, in its current schema.
    pub fn new(postgres: PgDatabase) -> PgStore {
        let schema = postgres.schema();
        PgStore {
            pool: postgres.pool().clone(),
            jobs_channel: format!("{schema}_metarr_jobs"),
            events_channel: format!("{schema}_metarr_events"),
            database: Database::Postgres(postgres),
        }
    }
}

/// A time as PostgreSQL stores it: `timestamptz` keeps microseconds.
fn stored_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.timestamp_subsec_nanos();
    t.with_nanosecond(nanos - nanos % 1000).unwrap_or(t)
}

fn job_from_row(row: &PgRow) -> Result<Job> {
    let row = JobRow::<DateTime<Utc>, serde_json::Value>::from_row(row).map_err(QueueError::db("decoding a job"))?;
    // `timestamptz` and JSONB decode to the job's own types: nothing to convert, nothing to fail.
    row.into_job(|time| time, Ok::<_, std::convert::Infallible>)
}

fn jobs_from_rows(rows: &[PgRow]) -> Result<Vec<Job>> {
    rows.iter().map(job_from_row).collect()
}

async fn insert_one(conn: &mut sqlx::PgConnection, job: NewJob) -> Result<Enqueued> {
    // A competing insert can hold the key and then finish between our two statements: try again.
    for _ in 0..5 {
        // Numbered as `common::bind_new_job` binds them.
        let insert = format!(
            "INSERT INTO jobs (kind, priority, payload, max_attempts, run_at, parent_id, correlation_id, unique_key) \
             VALUES ($1, $2, $3, $4, COALESCE($5, now()), $6, $7, $8) \
             ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('pending', 'running') DO NOTHING \
             RETURNING {COLUMNS}"
        );
        let row = common::bind_new_job(sqlx::query(&insert), &job, &job.payload, job.run_at)
            .fetch_optional(&mut *conn)
            .await
            .map_err(QueueError::db("inserting a job"))?;
        if let Some(row) = row {
            return Ok(Enqueued { job: job_from_row(&row)?, created: true });
        }
        let existing = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE unique_key = $1 AND state IN ('pending', 'running')"
        ))
        .bind(&job.unique_key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(QueueError::db("reading the job holding a unique key"))?;
        if let Some(existing) = existing {
            return Ok(Enqueued { job: job_from_row(&existing)?, created: false });
        }
    }
    Err(QueueError::Internal(format!("unique key {:?} kept changing hands; enqueue again", job.unique_key)))
}

#[async_trait]
impl Store for PgStore {
    fn database(&self) -> &Database {
        &self.database
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn now(&self) -> Result<DateTime<Utc>> {
        sqlx::query_scalar("SELECT now()").fetch_one(&self.pool).await.map_err(QueueError::db("reading the clock"))
    }

    async fn enqueue(&self, mut jobs: Vec<NewJob>) -> Result<Vec<Enqueued>> {
        if jobs.len() == 1 {
            // One statement commits by itself: no BEGIN/COMMIT round trips on the latency path.
            let job = jobs.pop().expect("length checked above");
            let mut conn = self.pool.acquire().await.map_err(QueueError::db("acquiring a connection"))?;
            return Ok(vec![insert_one(&mut conn, job).await?]);
        }
        let mut tx = self.pool.begin().await.map_err(QueueError::db("beginning an enqueue"))?;
        let mut out = Vec::with_capacity(jobs.len());
        if jobs.len() > 1 && jobs.iter().all(|job| job.unique_key.is_none()) {
            // Bulk path: without unique keys every row is inserted in ordinality order, so the
            // ascending new ids map back onto the inputs one to one.
            let rows: Vec<(JobId, DateTime<Utc>)> = sqlx::query_as(
                "INSERT INTO jobs (kind, priority, payload, max_attempts, run_at, parent_id, correlation_id) \
                 SELECT kind, priority, payload::jsonb, max_attempts, COALESCE(run_at, now()), parent_id, correlation_id \
                 FROM unnest($1::text[], $2::int2[], $3::text[], $4::int4[], $5::timestamptz[], $6::int8[], $7::text[]) \
                     WITH ORDINALITY AS t(kind, priority, payload, max_attempts, run_at, parent_id, correlation_id, ord) \
                 ORDER BY ord RETURNING id, created_at",
            )
            .bind(jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>())
            .bind(jobs.iter().map(|j| j.priority).collect::<Vec<_>>())
            .bind(jobs.iter().map(|j| j.payload.to_string()).collect::<Vec<_>>())
            .bind(jobs.iter().map(|j| j.max_attempts).collect::<Vec<_>>())
            .bind(jobs.iter().map(|j| j.run_at).collect::<Vec<_>>())
            .bind(jobs.iter().map(|j| j.parent_id).collect::<Vec<_>>())
            .bind(jobs.iter().map(|j| j.correlation_id.clone()).collect::<Vec<_>>())
            .fetch_all(&mut *tx)
            .await
            .map_err(QueueError::db("bulk-inserting jobs"))?;
            let mut rows = rows;
            rows.sort_unstable_by_key(|(id, _)| *id);
            if rows.len() != jobs.len() {
                return Err(QueueError::Internal(format!("bulk insert stored {} of {} jobs", rows.len(), jobs.len())));
            }
            out.extend(rows.into_iter().zip(jobs).map(|((id, created_at), job)| {
                let run_at = job.run_at.map_or(created_at, stored_precision);
                Enqueued { job: common::inserted(id, job, run_at, created_at), created: true }
            }));
        } else {
            for job in jobs {
                out.push(insert_one(&mut tx, job).await?);
            }
        }
        tx.commit().await.map_err(QueueError::db("committing an enqueue"))?;
        Ok(out)
    }

    async fn claim(&self, request: ClaimRequest<'_>) -> Result<Vec<Job>> {
        // One kind walks its own index; several walk the shared one in claim order.
        let (function, kinds) = match request.kinds {
            [kind] => ("metarr_claim_kind", KindsParam::One(kind.clone())),
            kinds => ("metarr_claim_jobs", KindsParam::Many(kinds.to_vec())),
        };
        let sql = format!("SELECT {COLUMNS} FROM {function}($1, $2, $3, $4)");
        let query = match kinds {
            KindsParam::One(kind) => sqlx::query(&sql).bind(kind),
            KindsParam::Many(kinds) => sqlx::query(&sql).bind(kinds),
        };
        let rows = query
            .bind(i64::try_from(request.limit).unwrap_or(i64::MAX))
            .bind(request.worker_id)
            .bind(duration_ms(request.lease))
            .fetch_all(&self.pool)
            .await
            .map_err(QueueError::db("claiming jobs"))?;
        let mut jobs = jobs_from_rows(&rows)?;
        jobs.sort_unstable_by_key(|job| (job.priority, job.run_at, job.id));
        Ok(jobs)
    }

    async fn finish(&self, worker_id: &str, finishes: &[Finish]) -> Result<Vec<JobId>> {
        let (ids, attempts): (Vec<JobId>, Vec<i32>) =
            finishes.iter().filter(|f| f.outcome == Outcome::Completed).map(|f| (f.id, f.attempt)).unzip();
        if ids.len() == finishes.len() {
            // All completions (the common case): one statement, no explicit transaction.
            return sqlx::query_scalar(COMPLETE_JOBS)
                .bind(&ids)
                .bind(&attempts)
                .bind(worker_id)
                .fetch_all(&self.pool)
                .await
                .map_err(QueueError::db("completing jobs"));
        }
        let mut tx = self.pool.begin().await.map_err(QueueError::db("beginning an acknowledgement"))?;
        let mut applied: Vec<JobId> = if ids.is_empty() {
            Vec::new()
        } else {
            sqlx::query_scalar(COMPLETE_JOBS)
                .bind(&ids)
                .bind(&attempts)
                .bind(worker_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(QueueError::db("completing jobs"))?
        };
        for finish in finishes.iter().filter(|f| f.outcome != Outcome::Completed) {
            // Numbered as `common::bind_outcome` binds them.
            let outcome = sqlx::query(
                "UPDATE jobs SET state = $1, finished_at = CASE WHEN $2 THEN now() END, \
                     run_at = COALESCE(now() + $3 * interval '1 millisecond', run_at), attempt = attempt + $4, \
                     last_error = COALESCE($5, last_error), locked_by = NULL, lease_expires_at = NULL \
                 WHERE id = $6 AND attempt = $7 AND state = 'running' AND locked_by = $8",
            );
            let done = common::bind_outcome(outcome, finish, worker_id)
                .execute(&mut *tx)
                .await
                .map_err(QueueError::db("recording a job outcome"))?;
            if done.rows_affected() == 1 {
                applied.push(finish.id);
            }
        }
        tx.commit().await.map_err(QueueError::db("committing an acknowledgement"))?;
        Ok(applied)
    }

    async fn heartbeat(&self, worker_id: &str, leases: &[Lease], lease: Duration) -> Result<HeartbeatReport> {
        let (ids, attempts): (Vec<JobId>, Vec<i32>) = leases.iter().map(|l| (l.id, l.attempt)).unzip();
        let rows: Vec<(JobId, bool)> = sqlx::query_as(
            "UPDATE jobs SET lease_expires_at = now() + $1 * interval '1 millisecond' \
             FROM unnest($2::int8[], $3::int4[]) AS t(id, attempt) \
             WHERE jobs.id = t.id AND jobs.attempt = t.attempt AND jobs.state = 'running' AND jobs.locked_by = $4 \
             RETURNING jobs.id, jobs.cancel_requested",
        )
        .bind(duration_ms(lease))
        .bind(&ids)
        .bind(&attempts)
        .bind(worker_id)
        .fetch_all(&self.pool)
        .await
        .map_err(QueueError::db("renewing leases"))?;
        let renewed: std::collections::HashSet<JobId> = rows.iter().map(|(id, _)| *id).collect();
        Ok(HeartbeatReport {
            lost: ids.into_iter().filter(|id| !renewed.contains(id)).collect(),
            cancel_requested: rows.into_iter().filter(|(_, cancel)| *cancel).map(|(id, _)| id).collect(),
        })
    }

    async fn rescue_expired(&self) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET \
                 state = CASE WHEN cancel_requested THEN 'cancelled' WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END, \
                 finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN now() END, \
                 last_error = 'lease expired: worker ' || COALESCE(locked_by, '?') || ' stopped renewing it', \
                 run_at = now(), locked_by = NULL, lease_expires_at = NULL \
             WHERE state = 'running' AND lease_expires_at < now() \
             RETURNING {COLUMNS}"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(QueueError::db("rescuing expired leases"))?;
        jobs_from_rows(&rows)
    }

    async fn set_progress(&self, worker_id: &str, lease: Lease, progress: &Progress) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET progress_percent = $1, progress_message = $2 \
             WHERE id = $3 AND attempt = $4 AND state = 'running' AND locked_by = $5",
        )
        .bind(progress.percent)
        .bind(&progress.message)
        .bind(lease.id)
        .bind(lease.attempt)
        .bind(worker_id)
        .execute(&self.pool)
        .await
        .map_err(QueueError::db("recording progress"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn next_run_at(&self, kinds: &[String]) -> Result<Option<DateTime<Utc>>> {
        // Measured as a wait on the database clock and added to this process's clock, so a
        // skewed process clock cannot make a worker sleep past a due job.
        let wait_ms: Option<f64> = sqlx::query_scalar(
            "SELECT (EXTRACT(EPOCH FROM min(run_at) - clock_timestamp()) * 1000)::float8 \
             FROM jobs WHERE state = 'pending' AND kind = ANY($1)",
        )
        .bind(kinds)
        .fetch_one(&self.pool)
        .await
        .map_err(QueueError::db("finding the next due job"))?;
        Ok(wait_ms.map(|ms| Utc::now() + chrono::Duration::milliseconds(ms as i64)))
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(QueueError::db("reading a job"))?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn get_many(&self, ids: &[JobId]) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(QueueError::db("reading jobs"))?;
        jobs_from_rows(&rows)
    }

    async fn list(&self, filter: &ListFilter) -> Result<JobPage> {
        let mut query = common::list_query::<Postgres>(filter);
        let rows = query.build().fetch_all(&self.pool).await.map_err(QueueError::db("listing jobs"))?;
        Ok(common::page(jobs_from_rows(&rows)?, filter))
    }

    async fn cancel(&self, id: JobId) -> Result<Job> {
        let row = sqlx::query(&format!(
            "UPDATE jobs SET \
                 state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END, \
                 finished_at = CASE WHEN state = 'pending' THEN now() ELSE finished_at END, \
                 last_error = CASE WHEN state = 'pending' THEN 'cancelled by user' ELSE last_error END, \
                 cancel_requested = true \
             WHERE id = $1 AND state IN ('pending', 'running') RETURNING {COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::db("cancelling a job"))?;
        match row {
            Some(row) => job_from_row(&row),
            None => {
                let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(QueueError::db("reading a job's state"))?;
                Err(common::invalid_transition(id, state, "cancel"))
            }
        }
    }

    async fn retry(&self, id: JobId) -> Result<Job> {
        let mut tx = self.pool.begin().await.map_err(QueueError::db("beginning a retry"))?;
        let current: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT state, unique_key FROM jobs WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(QueueError::db("reading a job's state"))?;
        let unique_key = common::retryable(id, current)?;
        if let Some(key) = &unique_key {
            let holder: Option<JobId> =
                sqlx::query_scalar("SELECT id FROM jobs WHERE unique_key = $1 AND state IN ('pending', 'running')")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(QueueError::db("checking a unique key"))?;
            if let Some(existing) = holder {
                return Err(QueueError::UniqueConflict { id, existing, key: key.clone() });
            }
        }
        let row = sqlx::query(&format!(
            "UPDATE jobs SET state = 'pending', attempt = 0, run_at = now(), finished_at = NULL, started_at = NULL, \
                 cancel_requested = false, progress_percent = NULL, progress_message = NULL \
             WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match (&err, &unique_key) {
            // Another process enqueued the key between the check and the update.
            (sqlx::Error::Database(db), Some(key)) if db.is_unique_violation() => {
                QueueError::UniqueConflict { id, existing: JobId(0), key: key.clone() }
            }
            _ => QueueError::Database { operation: "retrying a job", source: err },
        })?;
        tx.commit().await.map_err(QueueError::db("committing a retry"))?;
        job_from_row(&row)
    }

    async fn delete_finished_before(&self, before: DateTime<Utc>) -> Result<u64> {
        // In batches, each its own transaction, as on SQLite: short locks and a short WAL burst.
        let mut deleted = 0;
        loop {
            let done = sqlx::query(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
                 WHERE state IN ('completed', 'failed', 'cancelled') AND finished_at < $1 ORDER BY finished_at LIMIT $2)",
            )
            .bind(before)
            .bind(super::DELETE_BATCH)
            .execute(&self.pool)
            .await
            .map_err(QueueError::db("deleting finished jobs"))?;
            deleted += done.rows_affected();
            if done.rows_affected() < super::DELETE_BATCH.unsigned_abs() {
                return Ok(deleted);
            }
        }
    }

    async fn stats(&self) -> Result<Stats> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT state, kind, count(*) FROM jobs GROUP BY state, kind")
                .fetch_all(&self.pool)
                .await
                .map_err(QueueError::db("counting jobs"))?;
        let (minute, hour): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE finished_at >= now() - interval '1 minute'), count(*) FROM jobs \
             WHERE state = 'completed' AND finished_at >= now() - interval '1 hour'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(QueueError::db("measuring throughput"))?;
        Ok(super::stats_from_counts(rows, minute, hour))
    }

    async fn ensure_schedule(&self, name: &str, kind: &str, cron: &str, enabled: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO schedules (name, kind, cron, enabled) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
        )
        .bind(name)
        .bind(kind)
        .bind(cron)
        .bind(enabled)
        .execute(&self.pool)
        .await
        .map_err(QueueError::db("registering a schedule"))?;
        Ok(())
    }

    async fn schedules(&self) -> Result<Vec<Schedule>> {
        let rows: Vec<ScheduleRow<DateTime<Utc>>> = sqlx::query_as("SELECT * FROM schedules ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(QueueError::db("listing schedules"))?;
        Ok(rows.into_iter().map(|row| row.into_schedule(|time| time)).collect())
    }

    async fn update_schedule(&self, name: &str, cron: &str, enabled: bool) -> Result<Schedule> {
        let row: Option<ScheduleRow<DateTime<Utc>>> = sqlx::query_as(
            "UPDATE schedules SET cron = $1, enabled = $2, updated_at = now() WHERE name = $3 RETURNING *",
        )
        .bind(cron)
        .bind(enabled)
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::db("updating a schedule"))?;
        row.map(|row| row.into_schedule(|time| time)).ok_or_else(|| QueueError::ScheduleNotFound(name.to_owned()))
    }

    async fn fire_schedule(&self, name: &str, slot: DateTime<Utc>, job: NewJob) -> Result<Option<Enqueued>> {
        let mut tx = self.pool.begin().await.map_err(QueueError::db("beginning a schedule slot"))?;
        let claimed = sqlx::query(
            "UPDATE schedules SET last_slot = $1 WHERE name = $2 AND enabled AND (last_slot IS NULL OR last_slot < $1)",
        )
        .bind(slot)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(QueueError::db("claiming a schedule slot"))?;
        if claimed.rows_affected() == 0 {
            return Ok(None);
        }
        let enqueued = insert_one(&mut tx, job).await?;
        sqlx::query("UPDATE schedules SET last_job_id = $1 WHERE name = $2")
            .bind(enqueued.job.id)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(QueueError::db("recording a schedule's job"))?;
        tx.commit().await.map_err(QueueError::db("committing a schedule slot"))?;
        Ok(Some(enqueued))
    }

    async fn publish(&self, message: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.events_channel)
            .bind(message)
            .execute(&self.pool)
            .await
            .map_err(QueueError::db("publishing a queue message"))?;
        Ok(())
    }

    async fn subscribe(&self) -> Result<Option<BoxStream<'static, Signal>>> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(QueueError::db("opening a listener"))?;
        listener
            .listen_all([self.jobs_channel.as_str(), self.events_channel.as_str()])
            .await
            .map_err(QueueError::db("listening for queue notifications"))?;
        let jobs_channel = self.jobs_channel.clone();
        let stream = futures::stream::unfold((listener, jobs_channel), |(mut listener, jobs_channel)| async move {
            let signal = match listener.try_recv().await {
                Ok(Some(notification)) if notification.channel() == jobs_channel => Signal::JobsAvailable,
                Ok(Some(notification)) => Signal::Message(notification.payload().to_owned()),
                // The connection dropped; the next call reconnects and re-listens.
                Ok(None) => Signal::Reconnected,
                Err(err) => {
                    tracing::warn!(error = %metarr_errors::Chain(&err), "queue listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Signal::Reconnected
                }
            };
            Some((signal, (listener, jobs_channel)))
        });
        Ok(Some(Box::pin(stream)))
    }
}

/// Enqueues a job inside a transaction the caller holds, so that a handler can record its
/// results and the next job atomically. Call [`crate::Queue::announce`] after commit.
pub async fn enqueue_with(conn: &mut sqlx::PgConnection, job: NewJob) -> Result<Enqueued> {
    crate::queue::validate(&job)?;
    insert_one(conn, job).await
}
