//! Write transactions on either backend.

use crate::query::{self, Param, Record};
use crate::{Backend, DbError, Result};
use sqlx::{Postgres, Sqlite};

/// A write transaction. Dropping it without [`Tx::commit`] rolls it back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement written once for both backends and decodes every row it returned.
    pub async fn fetch_all<T: Record>(&mut self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        query::check_params(params, "writing")?;
        match self {
            Tx::Sqlite(tx) => {
                let sql = query::sqlite_sql(sql);
                query::bind_sqlite(sqlx::query_as::<_, T>(&sql), params)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(DbError::sql("writing"))
            }
            Tx::Postgres(tx) => query::bind_postgres(sqlx::query_as::<_, T>(sql), params)
                .fetch_all(&mut **tx)
                .await
                .map_err(DbError::sql("writing")),
        }
    }

    /// Runs a statement and decodes its first row, if any.
    pub async fn fetch_optional<T: Record>(&mut self, sql: &str, params: &[Param]) -> Result<Option<T>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    /// Runs a statement and returns the number of rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        query::check_params(params, "writing")?;
        let done = match self {
            Tx::Sqlite(tx) => {
                let sql = query::sqlite_sql(sql);
                query::bind_sqlite_plain(sqlx::query(&sql), params).execute(&mut **tx).await.map(|d| d.rows_affected())
            }
            Tx::Postgres(tx) => {
                query::bind_postgres_plain(sqlx::query(sql), params).execute(&mut **tx).await.map(|d| d.rows_affected())
            }
        };
        done.map_err(DbError::sql("writing"))
    }

    /// Commits.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(DbError::sql("committing"))
    }
}
