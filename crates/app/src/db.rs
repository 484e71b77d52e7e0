//! The catalogue's database access: the queue's database, one SQL text for both backends, typed
//! rows, and write transactions that enqueue jobs atomically with catalogue writes.
//!
//! Statements are written once, with `$1`-style placeholders, in the subset of SQL that SQLite
//! and PostgreSQL share (times are integer milliseconds, lists are JSON text); `metarr-db` sends
//! them to the right backend and decodes rows into `sqlx::FromRow` structs ([`Record`]).

pub use metarr_db::{JsonText, Param, Record, json_holds_nul};

use futures::future::BoxFuture;
use metarr_db::Database;
use metarr_queue::{Enqueued, NewJob, Queue, QueueError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A failed catalogue statement, or a queue operation inside a catalogue transaction.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Db(#[from] metarr_db::DbError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl DbError {
    /// True when the input, not the database, is at fault (a text the database cannot store).
    pub fn is_bad_input(&self) -> bool {
        match self {
            DbError::Db(err) => err.is_bad_input(),
            DbError::Queue(QueueError::Db(err)) => err.is_bad_input(),
            DbError::Queue(_) => false,
        }
    }

    /// True when the statement broke a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Db(err) if err.is_unique_violation())
    }
}

/// Result of catalogue operations.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The catalogue database: the same database, and the same connections, as the queue.
#[derive(Clone)]
pub struct Db {
    database: Database,
    queue: Queue,
    /// Whether this application's enrichment has a TMDB key (set by `EnrichServices`): scans
    /// and webhooks decide by it whether to enrich. Per application, not per process, so that
    /// two applications in one process (tests) do not see each other's key.
    tmdb_configured: Arc<AtomicBool>,
}

impl Db {
    /// The catalogue over the queue's database.
    pub fn new(queue: &Queue) -> Db {
        Db { database: queue.database().clone(), queue: queue.clone(), tmdb_configured: Arc::default() }
    }

    /// Whether TMDB has a key in this application (false before enrichment services exist).
    pub fn tmdb_configured(&self) -> bool {
        self.tmdb_configured.load(Ordering::Relaxed)
    }

    /// Records whether TMDB has a key (enrichment's settings changed).
    pub fn set_tmdb_configured(&self, configured: bool) {
        self.tmdb_configured.store(configured, Ordering::Relaxed);
    }

    /// The queue sharing this database.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Applies every crate's migrations (the queue applied them already when it connected;
    /// applying them again finds nothing to do).
    pub async fn migrate(&self) -> Result<()> {
        Ok(self.database.migrate().await?)
    }

    /// Runs a read and decodes every row. On SQLite this uses the read pool.
    pub async fn fetch_all<T: Record>(&self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        Ok(self.database.fetch_all(sql, params).await?)
    }

    /// Runs a read and decodes its first row, if any.
    pub async fn fetch_optional<T: Record>(&self, sql: &str, params: &[Param]) -> Result<Option<T>> {
        Ok(self.database.fetch_optional(sql, params).await?)
    }

    /// Runs one write in a transaction of its own; decodes the rows it returned.
    pub async fn write<T: Record>(&self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        let mut tx = self.begin().await?;
        let rows = tx.fetch_all(sql, params).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Runs one write in a transaction of its own; returns the number of rows it changed.
    pub async fn execute(&self, sql: &str, params: &[Param]) -> Result<u64> {
        let mut tx = self.begin().await?;
        let changed = tx.execute(sql, params).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite's single writer).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx {
            inner: self.database.begin().await?,
            queue: self.queue.clone(),
            enqueued: Vec::new(),
            tmdb_configured: self.tmdb_configured(),
        })
    }

    /// Runs `work` in a transaction, committing when it returns `Ok`.
    pub async fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T>> + Send,
    {
        let mut tx = self.begin().await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }
}

/// A write transaction. Jobs enqueued in it become visible, and wake workers, on commit.
pub struct Tx {
    inner: metarr_db::Tx,
    queue: Queue,
    enqueued: Vec<Enqueued>,
    /// [`Db::tmdb_configured`] when the transaction began.
    tmdb_configured: bool,
}

impl Tx {
    /// Whether TMDB had a key in this application when the transaction began.
    pub fn tmdb_configured(&self) -> bool {
        self.tmdb_configured
    }

    /// Runs a statement and decodes every row it returned.
    pub async fn fetch_all<T: Record>(&mut self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        Ok(self.inner.fetch_all(sql, params).await?)
    }

    /// Runs a statement and decodes its first row, if any.
    pub async fn fetch_optional<T: Record>(&mut self, sql: &str, params: &[Param]) -> Result<Option<T>> {
        Ok(self.inner.fetch_optional(sql, params).await?)
    }

    /// Runs a statement and returns the number of rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        Ok(self.inner.execute(sql, params).await?)
    }

    /// Enqueues a job atomically with the transaction's other writes.
    pub async fn enqueue(&mut self, job: NewJob) -> Result<Enqueued> {
        // `jobs.payload` is JSONB on PostgreSQL, which refuses `\u0000` as text columns refuse NUL.
        let texts = [Some(job.kind.as_str()), job.unique_key.as_deref(), job.correlation_id.as_deref()];
        if texts.into_iter().flatten().any(|text| text.contains('\0')) || json_holds_nul(&job.payload) {
            return Err(metarr_db::DbError::NulInText { operation: "enqueueing a job" }.into());
        }
        let enqueued = metarr_queue::store::enqueue_in(&mut self.inner, job).await?;
        // Only created jobs are announced on commit; an existing one needs no wake-up or event.
        if enqueued.created {
            self.enqueued.push(enqueued.clone());
        }
        Ok(enqueued)
    }

    /// Commits, then wakes the workers for the jobs enqueued in the transaction.
    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        self.queue.announce(&self.enqueued).await;
        Ok(())
    }
}
