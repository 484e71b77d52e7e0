//! The catalogue's repositories: libraries, scans, movies, series, their files and cached assets.
//!
//! Each function is one or a few statements through [`crate::db`], identical on both backends.

pub mod libraries;
pub mod metadata;
pub mod movies;
pub mod scans;
pub mod series;

use crate::db::DbError;

/// A catalogue operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// No such row.
    #[error("{0}")]
    NotFound(String),
    /// Input the caller should fix (the message says how).
    #[error("{0}")]
    Invalid(String),
    /// The change conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A fault of Metarr's own, not of the input (a blocking task that panicked): answered 500
    /// and logged, never shown as the caller's mistake.
    #[error("{0}")]
    Internal(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Result of catalogue operations.
pub type Result<T, E = CatalogueError> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch, the catalogue's time unit.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Milliseconds as an RFC 3339 time for JSON.
pub fn time_from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
