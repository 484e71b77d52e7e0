//! The log filter set at run time (Settings › Logs and `PUT /api/v1/system/logging`): kept in
//! the database so that it survives a restart, and put in force through the
//! [`LogControl`](crate::telemetry::LogControl) of this process.
//!
//! `RUST_LOG` at start-up wins over the stored filter (it is what someone debugging a start-up
//! sets on purpose); a change made later still applies at once, and is stored for the next
//! start. Other processes sharing the database (`metarr worker`) read the stored filter when they
//! start: the filter is a process's own, and there is no channel for it between processes.

use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::Db;
use crate::telemetry::{LogControl, LogFilter};
use serde::Serialize;

/// The stored filter, if one was set.
pub async fn stored(db: &Db) -> Result<Option<String>> {
    let row: Option<(String,)> = db.fetch_optional("SELECT filter FROM log_filter WHERE id = 1", &[]).await?;
    Ok(row.map(|(filter,)| filter))
}

/// Stores `filter`, or removes the stored one (`None`).
async fn save(db: &Db, filter: Option<&LogFilter>) -> Result<()> {
    match filter {
        Some(filter) => {
            db.execute(
                "INSERT INTO log_filter (id, filter, updated_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET filter = excluded.filter, updated_at = excluded.updated_at",
                &[filter.as_str().into(), now_ms().into()],
            )
            .await?;
        }
        None => {
            db.execute("DELETE FROM log_filter", &[]).await?;
        }
    }
    Ok(())
}

/// At start-up: puts the stored filter in force, unless `RUST_LOG` chose one.
pub async fn apply_stored(db: &Db, logs: &LogControl) -> Result<()> {
    let Some(text) = stored(db).await? else { return Ok(()) };
    if logs.from_environment() {
        tracing::info!(
            stored = %text,
            rust_log = %logs.start_filter(),
            "RUST_LOG is set: the log filter stored in Settings waits for a start without it"
        );
        return Ok(());
    }
    // Only checked filters are stored; one that no longer parses was written by hand.
    match LogFilter::parse(&text) {
        Ok(filter) => match logs.set_filter(&filter) {
            Ok(()) => tracing::info!(filter = %filter.as_str(), "log filter from Settings in force"),
            Err(err) => tracing::warn!(error = %metarr_errors::chain(&err), "cannot apply the stored log filter"),
        },
        Err(reason) => tracing::warn!(stored = %text, %reason, "the stored log filter is not valid; ignored"),
    }
    Ok(())
}

/// What `GET /api/v1/system/logging` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoggingView {
    /// The filter in force in this process.
    pub level: String,
    /// The filter stored in Settings (`null`: none).
    pub stored: Option<String>,
    /// The filter the process started with: `RUST_LOG`, or `info`; a reset returns to it.
    pub default: String,
    /// Whether `RUST_LOG` was set at start-up (it then wins over the stored filter at each start).
    pub from_environment: bool,
    /// How lines are written (`text` or `json`).
    #[schema(example = "text")]
    pub format: &'static str,
}

/// The view of this process's logging.
pub async fn view(db: &Db, logs: &LogControl, format: crate::telemetry::LogFormat) -> Result<LoggingView> {
    Ok(LoggingView {
        level: logs.current_filter(),
        stored: stored(db).await?,
        default: logs.start_filter().to_owned(),
        from_environment: logs.from_environment(),
        format: format.as_str(),
    })
}

/// Sets the filter (`Some`, checked; 400 naming `level` when refused) or returns to the start
/// filter (`None`), at once and for the next start.
pub async fn change(db: &Db, logs: &LogControl, level: Option<&str>) -> Result<()> {
    let filter = level
        .map(|text| LogFilter::parse(text).map_err(|reason| CatalogueError::Invalid(format!("level: {reason}"))))
        .transpose()?;
    if !logs.is_installed() {
        return Err(CatalogueError::Conflict(crate::telemetry::TelemetryError::NotInstalled.to_string()));
    }
    let before = logs.current_filter();
    // Stored first: a database failure changes nothing, not even this process's filter.
    save(db, filter.as_ref()).await?;
    let applied = match &filter {
        Some(filter) => logs.set_filter(filter),
        None => logs.reset_filter(),
    };
    applied.map_err(|err| CatalogueError::Internal(metarr_errors::chain(&err)))?;
    tracing::info!(from = %before, to = %logs.current_filter(), "log filter changed");
    Ok(())
}
