//! PostgreSQL: one pool, in the schema the URL's `search_path` names.

use crate::{Backend, DbError, Result};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;

/// A PostgreSQL database: its pool and the schema Metarr's tables live in.
#[derive(Clone, Debug)]
pub struct PgDatabase {
    pool: PgPool,
    schema: Arc<str>,
}

impl PgDatabase {
    /// Connects; the schema is the connection's current schema (set `search_path` in the URL's
    /// `options` to use another than `public`).
    pub async fn connect(url: &str) -> Result<PgDatabase> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|source| DbError::Connect { backend: Backend::Postgres, operation: "connecting", source })?;
        PgDatabase::from_pool(pool).await
    }

    /// A database over an existing pool.
    pub async fn from_pool(pool: PgPool) -> Result<PgDatabase> {
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await
            .map_err(DbError::sql("reading the current schema"))?;
        Ok(PgDatabase { pool, schema: schema.into() })
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The schema (notification channels are named after it, so that installations and test
    /// schemas sharing one server never hear each other).
    pub fn schema(&self) -> &str {
        &self.schema
    }
}
