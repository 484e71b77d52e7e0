//! The webhook log: every request Radarr or Sonarr made (except unauthenticated ones), with its
//! raw body, what Metarr did with it and the jobs it created. Nothing is silently dropped.

use crate::catalogue::{CatalogueError, Result, now_ms, time_from_ms};
use crate::db::{Db, Row, Tx};
use metarr_queue::JobId;
use serde::Serialize;

/// A log entry (DESIGN §6), plus the HTTP status it was answered with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    pub id: i64,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub source: String,
    pub event_type: Option<String>,
    pub status: i64,
    pub outcome: String,
    pub job_ids: Vec<JobId>,
    pub body: String,
}

const COLUMNS: &str = "id, received_at, source, event_type, status, outcome, job_ids, body";

fn from_row(row: &Row) -> Result<WebhookEvent> {
    Ok(WebhookEvent {
        id: row.int("id")?,
        received_at: time_from_ms(row.int("received_at")?),
        source: row.text("source")?,
        event_type: row.opt_text("event_type")?,
        status: row.int("status")?,
        outcome: row.text("outcome")?,
        job_ids: row.json("job_ids")?,
        body: row.text("body")?,
    })
}

/// What to record about one request.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub received_at_ms: i64,
    pub source: &'a str,
    pub event_type: Option<&'a str>,
    pub status: u16,
    pub outcome: &'a str,
    pub body: &'a str,
}

/// Records a request inside a transaction; returns its id.
pub async fn insert(tx: &mut Tx, event: &NewEvent<'_>) -> Result<i64> {
    let row = tx
        .fetch_optional(
            "INSERT INTO webhook_events (received_at, source, event_type, status, outcome, body) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                event.received_at_ms.into(),
                event.source.into(),
                event.event_type.map(str::to_owned).into(),
                i64::from(event.status).into(),
                event.outcome.into(),
                event.body.into(),
            ],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound("webhook event vanished".into()))?;
    Ok(row.int("id")?)
}

/// Records the outcome of acting on an event and the jobs it created.
pub async fn set_outcome(tx: &mut Tx, id: i64, outcome: &str, job_ids: &[JobId]) -> Result<()> {
    let job_ids = serde_json::to_string(job_ids).expect("integers always serialise");
    tx.execute(
        "UPDATE webhook_events SET outcome = $1, job_ids = $2 WHERE id = $3",
        &[outcome.into(), job_ids.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Marks a request as acted on, in the acting job's transaction; false when a run of the job
/// already did (and committed), so that its scans and notifications are queued once. On
/// PostgreSQL the update holds the row, so a second run of the same job waits here until the
/// first commits and then finds it acted on.
pub async fn claim(tx: &mut Tx, id: i64) -> Result<bool> {
    let claimed = tx
        .execute(
            "UPDATE webhook_events SET acted_at = $1 WHERE id = $2 AND acted_at IS NULL",
            &[now().into(), id.into()],
        )
        .await?;
    Ok(claimed == 1)
}

/// Entries, newest first.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<WebhookEvent>> {
    let rows = db
        .fetch_all(
            &format!("SELECT {COLUMNS} FROM webhook_events ORDER BY id DESC LIMIT $1 OFFSET $2"),
            &[limit.into(), offset.into()],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// How many entries there are.
pub async fn count(db: &Db) -> Result<i64> {
    let row = db.fetch_optional("SELECT count(*) AS n FROM webhook_events", &[]).await?;
    Ok(row.map(|row| row.int("n")).transpose()?.unwrap_or(0))
}

/// One entry.
pub async fn get(db: &Db, id: i64) -> Result<WebhookEvent> {
    let row = db.fetch_optional(&format!("SELECT {COLUMNS} FROM webhook_events WHERE id = $1"), &[id.into()]).await?;
    row.as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| CatalogueError::NotFound(format!("webhook event {id} not found")))
}

/// The time unit of `received_at`, for callers that stamp before parsing.
pub fn now() -> i64 {
    now_ms()
}
