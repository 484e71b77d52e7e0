//! SQLite: WAL, one writer connection taking `BEGIN IMMEDIATE`, a read pool, and WAL
//! checkpoints from a connection of their own.
//!
//! One writer serialises every write in this process, which is what SQLite does anyway; taking
//! the write lock up front (`IMMEDIATE`) means a transaction never fails half-way on a lock
//! upgrade when a second process shares the file.

use crate::{Backend, DbError, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a statement waits for another process's write lock before it fails with "database
/// is locked". Another process (a backup, the `sqlite3` shell, a second `metarr` on the file)
/// may hold the lock for many seconds; a job's write that gives up fails the job's attempt, so
/// wait well past that. Kept under the writer pool's acquire timeout, so that writes queued
/// behind a waiting one get their turn instead of failing first.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a write waits for this process's writer connection.
const WRITER_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the WAL is checkpointed in the background.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);

/// One SQLite file: its writer and its readers.
#[derive(Clone, Debug)]
pub struct SqliteDatabase {
    /// A pool of exactly one connection: the pool's queue is the writer lock, and a
    /// transaction from it owns the connection (`Transaction<'static>`), so a caller can hold
    /// one across awaits.
    writer: SqlitePool,
    readers: SqlitePool,
    _checkpoints: Arc<Checkpoints>,
}

/// The background checkpointer, stopped when the last clone of the database goes.
#[derive(Debug)]
struct Checkpoints(tokio::task::JoinHandle<()>);

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn connect_error(operation: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
    move |source| DbError::Connect { backend: Backend::Sqlite, operation, source }
}

async fn checkpoint_loop(mut conn: SqliteConnection) {
    let mut interval = tokio::time::interval(CHECKPOINT_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        // PASSIVE never waits for readers or the writer; what it cannot copy now waits for the next round.
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await {
            tracing::debug!(error = %err, "background WAL checkpoint");
        }
    }
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database a `sqlite:` URL names.
    pub async fn open(url: &str) -> Result<SqliteDatabase> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_error("parsing the SQLite URL"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-4000");
        // Checkpoints copy the WAL into the database file and fsync it: keep them off the
        // writer's hot path (a checkpoint inside a commit is a multi-millisecond stall) and
        // run them from a connection of their own in the background instead.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(WRITER_ACQUIRE_TIMEOUT)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "20000"))
            .await
            .map_err(connect_error("opening the writer"))?;
        let checkpointer = options.connect().await.map_err(connect_error("opening the checkpointer"))?;
        let checkpoints = Arc::new(Checkpoints(tokio::spawn(checkpoint_loop(checkpointer))));
        let readers = SqlitePoolOptions::new()
            .max_connections(3)
            .min_connections(0)
            .connect_with(options.read_only(true))
            .await
            .map_err(connect_error("opening the read pool"))?;
        Ok(SqliteDatabase { writer, readers, _checkpoints: checkpoints })
    }

    /// The writer (a pool of one connection). Begin its transactions with `BEGIN IMMEDIATE`.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The read pool.
    pub fn readers(&self) -> &SqlitePool {
        &self.readers
    }
}
