//! The SQLite store: claims and acknowledgements through the database's one writer.
//!
//! Connections (the writer taking `BEGIN IMMEDIATE`, the read pool) come from `metarr-db`.
//! Times are integer milliseconds (UTC).

use super::common::{self, COLUMNS, JobRow, ScheduleRow, duration_ms};
use super::{
    Backend, ClaimRequest, Finish, HeartbeatReport, JobPage, Lease, ListFilter, Outcome, Schedule, Signal, Stats, Store,
};
use crate::error::{QueueError, Result};
use crate::job::{Enqueued, Job, JobId, NewJob, Progress};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use futures::stream::BoxStream;
use metarr_db::{Database, SqliteDatabase};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{FromRow, Row, Sqlite, SqliteConnection};
use std::time::Duration;

/// Jobs inserted by one statement; keeps the bound JSON a few megabytes at most.
const INSERT_CHUNK: usize = 10_000;

/// A queue in one SQLite file.
pub struct SqliteStore {
    sqlite: SqliteDatabase,
    database: Database,
}

impl SqliteStore {
    /// The queue over an open SQLite database.
    pub fn new(sqlite: SqliteDatabase) -> SqliteStore {
        SqliteStore { database: Database::Sqlite(sqlite.clone()), sqlite }
    }

    fn writer(&self) -> &SqlitePool {
        self.sqlite.writer()
    }

    fn readers(&self) -> &SqlitePool {
        self.sqlite.readers()
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn job_from_row(row: &SqliteRow) -> Result<Job> {
    let row = JobRow::<i64, String>::from_row(row).map_err(QueueError::db("decoding a job"))?;
    row.into_job(from_millis, |payload: String| serde_json::from_str(&payload))
}

fn jobs_from_rows(rows: &[SqliteRow]) -> Result<Vec<Job>> {
    rows.iter().map(job_from_row).collect()
}

fn leases_json(leases: impl Iterator<Item = (JobId, i32)>) -> String {
    let pairs: Vec<(JobId, i32)> = leases.collect();
    serde_json::to_string(&pairs).expect("pairs of integers always serialise")
}

fn new_job_json(job: &NewJob, now: i64) -> serde_json::Value {
    serde_json::json!([
        job.kind,
        job.priority,
        job.payload.to_string(),
        job.max_attempts,
        job.run_at.map_or(now, millis),
        job.parent_id,
        job.correlation_id,
        job.unique_key,
    ])
}

/// The job as inserted, without reading it back.
fn inserted(id: JobId, job: NewJob, now: i64) -> Job {
    let run_at = from_millis(job.run_at.map_or(now, millis));
    common::inserted(id, job, run_at, from_millis(now))
}

async fn insert_one(conn: &mut SqliteConnection, job: NewJob, now: i64) -> Result<Enqueued> {
    // Numbered as `common::bind_new_job` binds them, with `created_at` last.
    let insert = format!(
        "INSERT INTO jobs (kind, priority, payload, max_attempts, run_at, created_at, parent_id, correlation_id, unique_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?9, ?6, ?7, ?8) \
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('pending', 'running') DO NOTHING \
         RETURNING {COLUMNS}"
    );
    let row = common::bind_new_job(sqlx::query(&insert), &job, job.payload.to_string(), job.run_at.map_or(now, millis))
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
        .map_err(QueueError::db("inserting a job"))?;
    if let Some(row) = row {
        return Ok(Enqueued { job: job_from_row(&row)?, created: true });
    }
    let existing =
        sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE unique_key = ? AND state IN ('pending', 'running')"))
            .bind(&job.unique_key)
            .fetch_one(&mut *conn)
            .await
            .map_err(QueueError::db("reading the job holding a unique key"))?;
    Ok(Enqueued { job: job_from_row(&existing)?, created: false })
}

#[async_trait]
impl Store for SqliteStore {
    fn database(&self) -> &Database {
        &self.database
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn now(&self) -> Result<DateTime<Utc>> {
        Ok(Utc::now())
    }

    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>> {
        let now = now_ms();
        let mut tx =
            self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning an enqueue"))?;
        let mut out = Vec::with_capacity(jobs.len());
        if jobs.len() > 1 && jobs.iter().all(|job| job.unique_key.is_none()) {
            // Bulk path: one statement per chunk; without unique keys every row is inserted, in
            // array order, so the ascending new ids map back onto the inputs one to one.
            let mut jobs = jobs.into_iter().peekable();
            while jobs.peek().is_some() {
                let chunk: Vec<NewJob> = jobs.by_ref().take(INSERT_CHUNK).collect();
                let array = serde_json::Value::Array(chunk.iter().map(|job| new_job_json(job, now)).collect());
                let mut ids: Vec<JobId> = sqlx::query_scalar(
                    "INSERT INTO jobs (kind, priority, payload, max_attempts, run_at, created_at, parent_id, correlation_id, unique_key) \
                     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?, value ->> 5, value ->> 6, value ->> 7 \
                     FROM json_each(?) ORDER BY key RETURNING id",
                )
                .bind(now)
                .bind(array.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(QueueError::db("bulk-inserting jobs"))?;
                ids.sort_unstable();
                if ids.len() != chunk.len() {
                    return Err(QueueError::Internal(format!(
                        "bulk insert stored {} of {} jobs",
                        ids.len(),
                        chunk.len()
                    )));
                }
                out.extend(
                    ids.into_iter().zip(chunk).map(|(id, job)| Enqueued { job: inserted(id, job, now), created: true }),
                );
            }
        } else {
            for job in jobs {
                out.push(insert_one(&mut tx, job, now).await?);
            }
        }
        tx.commit().await.map_err(QueueError::db("committing an enqueue"))?;
        Ok(out)
    }

    // Without ANALYZE statistics SQLite prefers the (state, kind) index and sorts every pending
    // job on each claim; `INDEXED BY` keeps claims on the ordered claim index.
    async fn claim(&self, request: ClaimRequest<'_>) -> Result<Vec<Job>> {
        Ok(self.claim_each(std::slice::from_ref(&request)).await?.pop().unwrap_or_default())
    }

    // One write transaction for all of a worker's claims: on the single writer, each
    // BEGIN/COMMIT pair costs more than an UPDATE that finds nothing.
    async fn claim_each(&self, requests: &[ClaimRequest<'_>]) -> Result<Vec<Vec<Job>>> {
        let now = now_ms();
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning a claim"))?;
        let mut out = Vec::with_capacity(requests.len());
        for request in requests {
            // One kind walks its own index; several walk the shared one in claim order.
            let (pick, kinds) = match request.kinds {
                [kind] => (
                    "SELECT id FROM jobs INDEXED BY jobs_claim_kind WHERE state = 'pending' AND kind = ? AND run_at <= ?",
                    kind.clone(),
                ),
                kinds => (
                    "SELECT id FROM jobs INDEXED BY jobs_claim WHERE state = 'pending' \
                     AND kind IN (SELECT value FROM json_each(?)) AND run_at <= ?",
                    serde_json::to_string(kinds).expect("strings always serialise"),
                ),
            };
            let rows = sqlx::query(&format!(
                "UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_by = ?, lease_expires_at = ?, \
                     started_at = ?, progress_percent = NULL, progress_message = NULL \
                 WHERE id IN ({pick} ORDER BY priority, run_at, id LIMIT ?) \
                 RETURNING {COLUMNS}"
            ))
            .bind(request.worker_id)
            .bind(now + duration_ms(request.lease))
            .bind(now)
            .bind(kinds)
            .bind(now)
            .bind(i64::try_from(request.limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(QueueError::db("claiming jobs"))?;
            let mut jobs = jobs_from_rows(&rows)?;
            jobs.sort_unstable_by_key(|job| (job.priority, job.run_at, job.id));
            out.push(jobs);
        }
        tx.commit().await.map_err(QueueError::db("committing a claim"))?;
        Ok(out)
    }

    async fn finish(&self, worker_id: &str, finishes: &[Finish]) -> Result<Vec<JobId>> {
        let now = now_ms();
        let completed =
            leases_json(finishes.iter().filter(|f| f.outcome == Outcome::Completed).map(|f| (f.id, f.attempt)));
        let mut tx = self
            .writer()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(QueueError::db("beginning an acknowledgement"))?;
        let mut applied: Vec<JobId> = sqlx::query_scalar(
            "UPDATE jobs SET state = 'completed', finished_at = ?, locked_by = NULL, lease_expires_at = NULL \
             WHERE state = 'running' AND locked_by = ? \
               AND (id, attempt) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?)) \
             RETURNING id",
        )
        .bind(now)
        .bind(worker_id)
        .bind(completed)
        .fetch_all(&mut *tx)
        .await
        .map_err(QueueError::db("completing jobs"))?;
        for finish in finishes.iter().filter(|f| f.outcome != Outcome::Completed) {
            // Numbered as `common::bind_outcome` binds them, with the time now last.
            let outcome = sqlx::query(
                "UPDATE jobs SET state = ?1, finished_at = CASE WHEN ?2 THEN ?9 END, run_at = COALESCE(?9 + ?3, run_at), \
                     attempt = attempt + ?4, last_error = COALESCE(?5, last_error), locked_by = NULL, lease_expires_at = NULL \
                 WHERE id = ?6 AND attempt = ?7 AND state = 'running' AND locked_by = ?8",
            );
            let done = common::bind_outcome(outcome, finish, worker_id)
                .bind(now)
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
        let now = now_ms();
        let held = leases_json(leases.iter().map(|l| (l.id, l.attempt)));
        let mut tx =
            self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning a heartbeat"))?;
        let rows = sqlx::query(
            "UPDATE jobs SET lease_expires_at = ? \
             WHERE state = 'running' AND locked_by = ? \
               AND (id, attempt) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?)) \
             RETURNING id, cancel_requested",
        )
        .bind(now + duration_ms(lease))
        .bind(worker_id)
        .bind(held)
        .fetch_all(&mut *tx)
        .await
        .map_err(QueueError::db("renewing leases"))?;
        tx.commit().await.map_err(QueueError::db("committing a heartbeat"))?;
        let renewed: std::collections::HashSet<JobId> = rows.iter().map(|r| r.get("id")).collect();
        Ok(HeartbeatReport {
            lost: leases.iter().map(|l| l.id).filter(|id| !renewed.contains(id)).collect(),
            cancel_requested: rows
                .iter()
                .filter(|r| r.get::<bool, _>("cancel_requested"))
                .map(|r| r.get("id"))
                .collect(),
        })
    }

    async fn rescue_expired(&self) -> Result<Vec<Job>> {
        let now = now_ms();
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning a rescue"))?;
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET \
                 state = CASE WHEN cancel_requested THEN 'cancelled' WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END, \
                 finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN ? END, \
                 last_error = 'lease expired: worker ' || COALESCE(locked_by, '?') || ' stopped renewing it', \
                 run_at = ?, locked_by = NULL, lease_expires_at = NULL \
             WHERE state = 'running' AND lease_expires_at < ? \
             RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_all(&mut *tx)
        .await
        .map_err(QueueError::db("rescuing expired leases"))?;
        tx.commit().await.map_err(QueueError::db("committing a rescue"))?;
        jobs_from_rows(&rows)
    }

    async fn set_progress(&self, worker_id: &str, lease: Lease, progress: &Progress) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET progress_percent = ?, progress_message = ? \
             WHERE id = ? AND attempt = ? AND state = 'running' AND locked_by = ?",
        )
        .bind(f64::from(progress.percent))
        .bind(&progress.message)
        .bind(lease.id)
        .bind(lease.attempt)
        .bind(worker_id)
        .execute(self.writer())
        .await
        .map_err(QueueError::db("recording progress"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn next_run_at(&self, kinds: &[String]) -> Result<Option<DateTime<Utc>>> {
        // Per kind on its own index: a minimum over several kinds on the shared index would walk
        // every pending job of every other kind (thousands during a scan) on each idle turn.
        let mut next: Option<i64> = None;
        for kind in kinds {
            let first: Option<i64> = sqlx::query_scalar(
                "SELECT min(run_at) FROM jobs INDEXED BY jobs_claim_kind WHERE state = 'pending' AND kind = ?",
            )
            .bind(kind)
            .fetch_one(self.readers())
            .await
            .map_err(QueueError::db("finding the next due job"))?;
            next = match (next, first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(next.map(from_millis))
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.readers())
            .await
            .map_err(QueueError::db("reading a job"))?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn get_many(&self, ids: &[JobId]) -> Result<Vec<Job>> {
        let ids = serde_json::to_string(ids).expect("integers always serialise");
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id IN (SELECT value FROM json_each(?))"))
            .bind(ids)
            .fetch_all(self.readers())
            .await
            .map_err(QueueError::db("reading jobs"))?;
        jobs_from_rows(&rows)
    }

    async fn list(&self, filter: &ListFilter) -> Result<JobPage> {
        let mut query = common::list_query::<Sqlite>(filter);
        let rows = query.build().fetch_all(self.readers()).await.map_err(QueueError::db("listing jobs"))?;
        Ok(common::page(jobs_from_rows(&rows)?, filter))
    }

    async fn cancel(&self, id: JobId) -> Result<Job> {
        let now = now_ms();
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning a cancel"))?;
        let row = sqlx::query(&format!(
            "UPDATE jobs SET \
                 state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END, \
                 finished_at = CASE WHEN state = 'pending' THEN ? ELSE finished_at END, \
                 last_error = CASE WHEN state = 'pending' THEN 'cancelled by user' ELSE last_error END, \
                 cancel_requested = 1 \
             WHERE id = ? AND state IN ('pending', 'running') RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(QueueError::db("cancelling a job"))?;
        let result = match row {
            Some(row) => job_from_row(&row),
            None => {
                let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(QueueError::db("reading a job's state"))?;
                Err(common::invalid_transition(id, state, "cancel"))
            }
        };
        tx.commit().await.map_err(QueueError::db("committing a cancel"))?;
        result
    }

    async fn retry(&self, id: JobId) -> Result<Job> {
        let now = now_ms();
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning a retry"))?;
        let current: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT state, unique_key FROM jobs WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(QueueError::db("reading a job's state"))?;
        if let Some(key) = common::retryable(id, current)? {
            let holder: Option<JobId> =
                sqlx::query_scalar("SELECT id FROM jobs WHERE unique_key = ? AND state IN ('pending', 'running')")
                    .bind(&key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(QueueError::db("checking a unique key"))?;
            if let Some(existing) = holder {
                return Err(QueueError::UniqueConflict { id, existing, key });
            }
        }
        let row = sqlx::query(&format!(
            "UPDATE jobs SET state = 'pending', attempt = 0, run_at = ?, finished_at = NULL, started_at = NULL, \
                 cancel_requested = 0, progress_percent = NULL, progress_message = NULL \
             WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(QueueError::db("retrying a job"))?;
        tx.commit().await.map_err(QueueError::db("committing a retry"))?;
        job_from_row(&row)
    }

    async fn delete_finished_before(&self, before: DateTime<Utc>) -> Result<u64> {
        // In batches, each its own transaction: one DELETE of a million rows would hold the
        // single writer, and with it every job's acknowledgement, for seconds.
        let mut deleted = 0;
        loop {
            let done = sqlx::query(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
                 WHERE state IN ('completed', 'failed', 'cancelled') AND finished_at < ? ORDER BY finished_at LIMIT ?)",
            )
            .bind(millis(before))
            .bind(super::DELETE_BATCH)
            .execute(self.writer())
            .await
            .map_err(QueueError::db("deleting finished jobs"))?;
            deleted += done.rows_affected();
            if done.rows_affected() < super::DELETE_BATCH.unsigned_abs() {
                return Ok(deleted);
            }
            tokio::task::yield_now().await;
        }
    }

    async fn stats(&self) -> Result<Stats> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT state, kind, count(*) FROM jobs GROUP BY state, kind")
                .fetch_all(self.readers())
                .await
                .map_err(QueueError::db("counting jobs"))?;
        let now = now_ms();
        let (minute, hour): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE finished_at >= ?), count(*) FROM jobs \
             WHERE state = 'completed' AND finished_at >= ?",
        )
        .bind(now - 60_000)
        .bind(now - 3_600_000)
        .fetch_one(self.readers())
        .await
        .map_err(QueueError::db("measuring throughput"))?;
        Ok(super::stats_from_counts(rows, minute, hour))
    }

    async fn ensure_schedule(&self, name: &str, kind: &str, cron: &str, enabled: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO schedules (name, kind, cron, enabled, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
        )
        .bind(name)
        .bind(kind)
        .bind(cron)
        .bind(enabled)
        .bind(now_ms())
        .execute(self.writer())
        .await
        .map_err(QueueError::db("registering a schedule"))?;
        Ok(())
    }

    async fn schedules(&self) -> Result<Vec<Schedule>> {
        let rows: Vec<ScheduleRow<i64>> = sqlx::query_as("SELECT * FROM schedules ORDER BY name")
            .fetch_all(self.readers())
            .await
            .map_err(QueueError::db("listing schedules"))?;
        Ok(rows.into_iter().map(|row| row.into_schedule(from_millis)).collect())
    }

    async fn update_schedule(&self, name: &str, cron: &str, enabled: bool) -> Result<Schedule> {
        let row: Option<ScheduleRow<i64>> =
            sqlx::query_as("UPDATE schedules SET cron = ?, enabled = ?, updated_at = ? WHERE name = ? RETURNING *")
                .bind(cron)
                .bind(enabled)
                .bind(now_ms())
                .bind(name)
                .fetch_optional(self.writer())
                .await
                .map_err(QueueError::db("updating a schedule"))?;
        row.map(|row| row.into_schedule(from_millis)).ok_or_else(|| QueueError::ScheduleNotFound(name.to_owned()))
    }

    async fn fire_schedule(&self, name: &str, slot: DateTime<Utc>, job: NewJob) -> Result<Option<Enqueued>> {
        let now = now_ms();
        let mut tx =
            self.writer().begin_with("BEGIN IMMEDIATE").await.map_err(QueueError::db("beginning a schedule slot"))?;
        let claimed = sqlx::query(
            "UPDATE schedules SET last_slot = ? WHERE name = ? AND enabled AND (last_slot IS NULL OR last_slot < ?)",
        )
        .bind(millis(slot))
        .bind(name)
        .bind(millis(slot))
        .execute(&mut *tx)
        .await
        .map_err(QueueError::db("claiming a schedule slot"))?;
        if claimed.rows_affected() == 0 {
            return Ok(None);
        }
        let enqueued = insert_one(&mut tx, job, now).await?;
        sqlx::query("UPDATE schedules SET last_job_id = ? WHERE name = ?")
            .bind(enqueued.job.id)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(QueueError::db("recording a schedule's job"))?;
        tx.commit().await.map_err(QueueError::db("committing a schedule slot"))?;
        Ok(Some(enqueued))
    }

    async fn publish(&self, _message: &str) -> Result<()> {
        Ok(())
    }

    async fn subscribe(&self) -> Result<Option<BoxStream<'static, Signal>>> {
        Ok(None)
    }
}

/// Enqueues a job inside a transaction the caller holds on the writer, so that a handler can
/// record its results and the next job atomically. Call [`crate::Queue::announce`] after commit.
pub async fn enqueue_with(conn: &mut SqliteConnection, job: NewJob) -> Result<Enqueued> {
    crate::queue::validate(&job)?;
    insert_one(conn, job, now_ms()).await
}
