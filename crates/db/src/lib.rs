//! Metarr's database: connecting, pools, the migrations of every crate, and write transactions.
//!
//! The queue's stores and the catalogue both build on [`Database`]: the queue with SQL of its
//! own per backend (its hot paths differ too much to share), the catalogue with one SQL text for
//! both backends through [`Database::fetch_all`] and [`Tx::fetch_all`], which decode rows into
//! typed records ([`Record`]). Nothing here knows what a job or a movie is; the tables are
//! created by the migrations under `migrations/<backend>/` (the queue's numbered from 10001,
//! the catalogue's from 20001), applied together by [`Database::migrate`].

mod error;
mod id;
mod json;
mod postgres;
mod query;
mod sqlite;
mod tx;

pub use error::{DbError, Result};
pub use json::JsonText;
pub use postgres::PgDatabase;
pub use query::{Param, Record, json_holds_nul};
pub use sqlite::SqliteDatabase;
pub use tx::Tx;
/// For [`id_type!`]'s schema impls, so that crates declaring ids need not name utoipa.
#[doc(hidden)]
pub use utoipa as __utoipa;

use serde::Serialize;

/// Which database Metarr runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database: SQLite's single writer and its readers, or a PostgreSQL pool. Cheap to clone;
/// every clone shares the same connections.
#[derive(Clone, Debug)]
pub enum Database {
    Sqlite(SqliteDatabase),
    Postgres(PgDatabase),
}

impl Database {
    /// Opens the database a URL names: `sqlite:…` (created if missing) or `postgres://…` /
    /// `postgresql://…` (the schema is the connection's current schema).
    pub async fn connect(url: &str) -> Result<Database> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(PgDatabase::connect(url).await?))
        } else if url.starts_with("sqlite:") {
            Ok(Database::Sqlite(SqliteDatabase::open(url).await?))
        } else {
            Err(DbError::UnknownUrl { scheme: url.split(':').next().unwrap_or_default().to_owned() })
        }
    }

    /// Writes a consistent copy of a SQLite database to `path` while it is in use
    /// (`VACUUM INTO`: one read transaction, so writers go on; the copy is compact). `None` for
    /// PostgreSQL, which `pg_dump` copies.
    pub async fn snapshot_sqlite_into(&self, path: &std::path::Path) -> Option<Result<()>> {
        let Database::Sqlite(sqlite) = self else { return None };
        let target = path.to_string_lossy().into_owned();
        let result = sqlx::query("VACUUM INTO ?1")
            .bind(target)
            .execute(sqlite.readers())
            .await
            .map(drop)
            .map_err(DbError::sql("copying the database (VACUUM INTO)"));
        Some(result)
    }

    /// Each connection pool's use now: (name, connections open, of which idle).
    pub fn pool_usage(&self) -> Vec<(&'static str, u32, usize)> {
        match self {
            Database::Sqlite(sqlite) => vec![
                ("sqlite_writer", sqlite.writer().size(), sqlite.writer().num_idle()),
                ("sqlite_readers", sqlite.readers().size(), sqlite.readers().num_idle()),
            ],
            Database::Postgres(postgres) => vec![("postgres", postgres.pool().size(), postgres.pool().num_idle())],
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every crate's migrations that are not applied yet, in version order.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Database::Sqlite(sqlite) => {
                let migrator = sqlx::migrate!("./migrations/sqlite");
                let mut conn = sqlite.writer().acquire().await.map_err(DbError::sql("acquiring the SQLite writer"))?;
                // `run_direct` on the writer itself: the pool has one connection, and `run`
                // would wait for a second one.
                migrator
                    .run_direct(&mut *conn)
                    .await
                    .map_err(|source| DbError::Migrate { backend: Backend::Sqlite, source })
            }
            Database::Postgres(postgres) => {
                let migrator = sqlx::migrate!("./migrations/postgres");
                migrator
                    .run(postgres.pool())
                    .await
                    .map_err(|source| DbError::Migrate { backend: Backend::Postgres, source })
            }
        }
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite's single writer, so it never
    /// fails half-way on a lock upgrade when another process shares the file).
    pub async fn begin(&self) -> Result<Tx> {
        match self {
            Database::Sqlite(sqlite) => Ok(Tx::Sqlite(
                sqlite.writer().begin_with("BEGIN IMMEDIATE").await.map_err(DbError::sql("beginning a transaction"))?,
            )),
            Database::Postgres(postgres) => {
                Ok(Tx::Postgres(postgres.pool().begin().await.map_err(DbError::sql("beginning a transaction"))?))
            }
        }
    }

    /// Runs a read written once for both backends (`$1` placeholders) and decodes every row.
    /// On SQLite it runs on the read pool, never waiting for the writer.
    pub async fn fetch_all<T: Record>(&self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        query::check_params(params, "reading")?;
        match self {
            Database::Sqlite(sqlite) => {
                let sql = query::sqlite_sql(sql);
                query::bind_sqlite(sqlx::query_as::<_, T>(&sql), params)
                    .fetch_all(sqlite.readers())
                    .await
                    .map_err(DbError::sql("reading"))
            }
            Database::Postgres(postgres) => query::bind_postgres(sqlx::query_as::<_, T>(sql), params)
                .fetch_all(postgres.pool())
                .await
                .map_err(DbError::sql("reading")),
        }
    }

    /// Runs a read and decodes its first row, if any.
    pub async fn fetch_optional<T: Record>(&self, sql: &str, params: &[Param]) -> Result<Option<T>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }
}
