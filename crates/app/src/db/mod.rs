//! The catalogue's database access: one SQL text for both backends, over the queue's connections.
//!
//! Catalogue statements are written once, with `$1`-style placeholders, in the subset of SQL
//! that SQLite and PostgreSQL share (times are integer milliseconds, lists are JSON text).
//! [`Db`] sends them to the right backend and returns owned [`Row`]s, so repositories never
//! duplicate a query per backend. The queue's own tables stay with the queue crate.

mod value;

pub use value::{Row, Value, json_holds_nul};

use futures::future::BoxFuture;
use metarr_queue::store::postgres::PgStore;
use metarr_queue::store::sqlite::SqliteStore;
use metarr_queue::{Enqueued, NewJob, Queue, Store};
use sqlx::{Postgres, Sqlite};
use std::sync::Arc;

/// A failed catalogue statement.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database refused or failed.
    #[error("{operation}: {source}")]
    Sql {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A row did not hold what the code expected.
    #[error("column {column}: {reason}")]
    Decode { column: String, reason: String },
    /// The queue refused an enqueue inside a transaction.
    #[error(transparent)]
    Queue(#[from] metarr_queue::QueueError),
    /// Applying the catalogue migrations failed.
    #[error("migrating the catalogue: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A text parameter (or a job payload) held U+0000: PostgreSQL refuses it and SQLite would
    /// store it silently, so neither backend is asked. The input's fault, not the database's.
    #[error("{operation}: a text value holds a NUL character (U+0000), which cannot be stored")]
    NulInText { operation: &'static str },
}

impl DbError {
    fn sql(operation: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
        move |source| DbError::Sql { operation, source }
    }

    /// True when the input, not the database, is at fault (a text the database cannot store).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, DbError::NulInText { .. })
    }

    /// True when the statement broke a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sql { source: sqlx::Error::Database(db), .. } if db.is_unique_violation())
    }
}

/// Result of catalogue operations.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The catalogue database: the same database, and the same connections, as the queue.
#[derive(Clone)]
pub struct Db {
    store: Arc<dyn Store>,
    queue: Queue,
}

enum Backend<'a> {
    Sqlite(&'a SqliteStore),
    Postgres(&'a PgStore),
}

impl Db {
    /// The catalogue over the queue's store.
    pub fn new(queue: &Queue) -> Db {
        Db { store: Arc::clone(queue.store()), queue: queue.clone() }
    }

    fn backend(&self) -> Backend<'_> {
        let any = self.store.as_any();
        if let Some(sqlite) = any.downcast_ref::<SqliteStore>() {
            Backend::Sqlite(sqlite)
        } else if let Some(postgres) = any.downcast_ref::<PgStore>() {
            Backend::Postgres(postgres)
        } else {
            unreachable!("metarr_queue::store::open only makes SQLite and PostgreSQL stores")
        }
    }

    /// The queue sharing this database.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Applies the catalogue migrations (numbered from 20001, apart from the queue's).
    pub async fn migrate(&self) -> Result<()> {
        match self.backend() {
            Backend::Sqlite(store) => {
                let mut migrator = sqlx::migrate!("./migrations/sqlite");
                migrator.set_ignore_missing(true);
                let mut conn = store.writer().acquire().await.map_err(DbError::sql("acquiring the writer"))?;
                migrator.run_direct(&mut *conn).await.map_err(DbError::Migrate)
            }
            Backend::Postgres(store) => {
                let mut migrator = sqlx::migrate!("./migrations/postgres");
                migrator.set_ignore_missing(true);
                migrator.run(store.pool()).await.map_err(DbError::Migrate)
            }
        }
    }

    /// Runs a read and returns every row. On SQLite this uses the read pool.
    pub async fn fetch_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        value::storable(params, "reading the catalogue")?;
        match self.backend() {
            Backend::Sqlite(store) => {
                let sql = sqlite_sql(sql);
                let rows = value::bind_sqlite(sqlx::query(&sql), params)
                    .fetch_all(store.readers())
                    .await
                    .map_err(DbError::sql("reading the catalogue"))?;
                Row::all_from_sqlite(&rows)
            }
            Backend::Postgres(store) => {
                let rows = value::bind_postgres(sqlx::query(sql), params)
                    .fetch_all(store.pool())
                    .await
                    .map_err(DbError::sql("reading the catalogue"))?;
                Row::all_from_postgres(&rows)
            }
        }
    }

    /// Runs a read and returns its first row, if any.
    pub async fn fetch_optional(&self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    /// Runs one write in a transaction of its own; returns the rows it returned.
    pub async fn write(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut tx = self.begin().await?;
        let rows = tx.fetch_all(sql, params).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite's single writer).
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match self.backend() {
            Backend::Sqlite(store) => TxInner::Sqlite(
                store.writer().begin_with("BEGIN IMMEDIATE").await.map_err(DbError::sql("beginning a transaction"))?,
            ),
            Backend::Postgres(store) => {
                TxInner::Postgres(store.pool().begin().await.map_err(DbError::sql("beginning a transaction"))?)
            }
        };
        Ok(Tx { inner, queue: self.queue.clone(), enqueued: Vec::new() })
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

enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// A write transaction. Jobs enqueued in it become visible, and wake workers, on commit.
pub struct Tx {
    inner: TxInner,
    queue: Queue,
    enqueued: Vec<Enqueued>,
}

impl Tx {
    /// Runs a statement and returns every row it returned.
    pub async fn fetch_all(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        value::storable(params, "writing the catalogue")?;
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let sql = sqlite_sql(sql);
                let rows = value::bind_sqlite(sqlx::query(&sql), params)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(DbError::sql("writing the catalogue"))?;
                Row::all_from_sqlite(&rows)
            }
            TxInner::Postgres(tx) => {
                let rows = value::bind_postgres(sqlx::query(sql), params)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(DbError::sql("writing the catalogue"))?;
                Row::all_from_postgres(&rows)
            }
        }
    }

    /// Runs a statement and returns its first row, if any.
    pub async fn fetch_optional(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    /// Runs a statement and returns the number of rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        value::storable(params, "writing the catalogue")?;
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let sql = sqlite_sql(sql);
                let done = value::bind_sqlite(sqlx::query(&sql), params)
                    .execute(&mut **tx)
                    .await
                    .map_err(DbError::sql("writing the catalogue"))?;
                Ok(done.rows_affected())
            }
            TxInner::Postgres(tx) => {
                let done = value::bind_postgres(sqlx::query(sql), params)
                    .execute(&mut **tx)
                    .await
                    .map_err(DbError::sql("writing the catalogue"))?;
                Ok(done.rows_affected())
            }
        }
    }

    /// Enqueues a job atomically with the transaction's other writes.
    pub async fn enqueue(&mut self, job: NewJob) -> Result<Enqueued> {
        // `jobs.payload` is JSONB on PostgreSQL, which refuses `\u0000` as text columns refuse NUL.
        let texts = [Some(job.kind.as_str()), job.unique_key.as_deref(), job.correlation_id.as_deref()];
        if texts.into_iter().flatten().any(|text| text.contains('\0')) || value::json_holds_nul(&job.payload) {
            return Err(DbError::NulInText { operation: "enqueueing a job" });
        }
        let enqueued = match &mut self.inner {
            TxInner::Sqlite(tx) => metarr_queue::store::sqlite::enqueue_with(tx, job).await?,
            TxInner::Postgres(tx) => metarr_queue::store::postgres::enqueue_with(tx, job).await?,
        };
        // Only created jobs are announced on commit; an existing one needs no wake-up or event.
        if enqueued.created {
            self.enqueued.push(enqueued.clone());
        }
        Ok(enqueued)
    }

    /// Commits, then wakes the workers for the jobs enqueued in the transaction.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await.map_err(DbError::sql("committing"))?,
            TxInner::Postgres(tx) => tx.commit().await.map_err(DbError::sql("committing"))?,
        }
        self.queue.announce(&self.enqueued).await;
        Ok(())
    }
}

/// SQLite numbers its parameters `?1`, `?2`: rewrite `$1`-style placeholders outside literals.
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_literal = !in_literal;
                out.push(c);
            }
            '$' if !in_literal && chars.peek().is_some_and(char::is_ascii_digit) => out.push('?'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sqlite_sql;

    #[test]
    fn placeholders_become_numbered_question_marks_outside_literals() {
        assert_eq!(sqlite_sql("SELECT $1, '$2', $10 FROM t WHERE a = $2"), "SELECT ?1, '$2', ?10 FROM t WHERE a = ?2");
    }
}
