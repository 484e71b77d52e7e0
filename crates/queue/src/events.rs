//! Job life-cycle events, published in-process and relayed between processes on PostgreSQL.

use crate::job::Job;
use serde::Serialize;

/// What happened to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JobEventKind {
    Created,
    Started,
    Progress,
    Completed,
    /// An attempt failed; the job's state says whether it will be retried (`pending`) or not (`failed`).
    Failed,
    Cancelled,
}

impl JobEventKind {
    /// The event type as sent to WebSocket clients (`job.created`, …).
    pub fn type_name(self) -> &'static str {
        match self {
            JobEventKind::Created => "job.created",
            JobEventKind::Started => "job.started",
            JobEventKind::Progress => "job.progress",
            JobEventKind::Completed => "job.completed",
            JobEventKind::Failed => "job.failed",
            JobEventKind::Cancelled => "job.cancelled",
        }
    }

    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(code: u8) -> Option<JobEventKind> {
        [
            JobEventKind::Created,
            JobEventKind::Started,
            JobEventKind::Progress,
            JobEventKind::Completed,
            JobEventKind::Failed,
            JobEventKind::Cancelled,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }
}

/// One event: what happened and the job as it is after it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEvent {
    pub kind: JobEventKind,
    pub job: Job,
}

impl JobEvent {
    /// The `{ "type", "data" }` message (docs/contracts.md, "Events").
    pub fn to_message(&self) -> serde_json::Value {
        serde_json::json!({ "type": self.kind.type_name(), "data": self.job })
    }
}
