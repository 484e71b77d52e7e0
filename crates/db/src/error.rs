//! The database's errors. Messages never repeat their cause: log lines print the chain once.

use crate::Backend;

/// A failed database operation.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database refused or failed a statement.
    #[error("{operation}")]
    Sql {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// Opening the database failed.
    #[error("opening the {backend:?} database: {operation}")]
    Connect {
        backend: Backend,
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("migrating the {} schema", backend.as_str())]
    Migrate {
        backend: Backend,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A database URL that names neither backend.
    #[error("database URL must start with sqlite: or postgres:// (got {scheme:?})")]
    UnknownUrl { scheme: String },
    /// A text parameter (or a job payload) held U+0000: PostgreSQL refuses it and SQLite would
    /// store it silently, so neither backend is asked. The input's fault, not the database's.
    #[error("{operation}: a text value holds a NUL character (U+0000), which cannot be stored")]
    NulInText { operation: &'static str },
}

impl DbError {
    /// A mapper from sqlx's error, naming the operation that failed.
    pub fn sql(operation: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
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

/// Result of database operations.
pub type Result<T, E = DbError> = std::result::Result<T, E>;
