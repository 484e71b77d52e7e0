//! The webhook log: every request Radarr or Sonarr made (except unauthenticated ones), with its
//! raw body, what Metarr did with it and the jobs it created. Nothing is silently dropped.

use crate::catalogue::{CatalogueError, Result, now_ms, time_from_ms};
use crate::db::{Db, JsonText, Tx};
use metarr_queue::JobId;
use serde::Serialize;

/// A log entry (docs/contracts.md, "Webhook log entry"), with the HTTP status it was answered with.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

/// A `webhook_events` row as [`COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    received_at: i64,
    source: String,
    event_type: Option<String>,
    status: i64,
    outcome: String,
    job_ids: JsonText<Vec<JobId>>,
    body: String,
}

impl From<EventRow> for WebhookEvent {
    fn from(row: EventRow) -> WebhookEvent {
        WebhookEvent {
            id: row.id,
            received_at: time_from_ms(row.received_at),
            source: row.source,
            event_type: row.event_type,
            status: row.status,
            outcome: row.outcome,
            job_ids: row.job_ids.0,
            body: row.body,
        }
    }
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
    let (id,) = tx
        .fetch_optional::<(i64,)>(
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
    Ok(id)
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
        .fetch_all::<EventRow>(
            &format!("SELECT {COLUMNS} FROM webhook_events ORDER BY id DESC LIMIT $1 OFFSET $2"),
            &[limit.into(), offset.into()],
        )
        .await?;
    Ok(rows.into_iter().map(WebhookEvent::from).collect())
}

/// How many entries there are.
pub async fn count(db: &Db) -> Result<i64> {
    let (n,): (i64,) = db.fetch_optional("SELECT count(*) AS n FROM webhook_events", &[]).await?.unwrap_or((0,));
    Ok(n)
}

/// One entry.
pub async fn get(db: &Db, id: i64) -> Result<WebhookEvent> {
    let row = db
        .fetch_optional::<EventRow>(&format!("SELECT {COLUMNS} FROM webhook_events WHERE id = $1"), &[id.into()])
        .await?;
    row.map(WebhookEvent::from).ok_or_else(|| CatalogueError::NotFound(format!("webhook event {id} not found")))
}

/// The time unit of `received_at`, for callers that stamp before parsing.
pub fn now() -> i64 {
    now_ms()
}
