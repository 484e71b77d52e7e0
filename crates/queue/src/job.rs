//! The job record, its states and the typed description of a job kind.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::fmt;
use std::str::FromStr;

metarr_db::id_type! {
    /// A job's database id. Ids only grow, so they double as a stable paging cursor. A number
    /// in JSON and in SQL, as it always was; a type of its own so that no other id is taken for
    /// it.
    JobId;
}

/// Lowest (most urgent) priority.
pub const PRIORITY_HIGHEST: i16 = 1;
/// Highest number (least urgent) priority.
pub const PRIORITY_LOWEST: i16 = 10;
/// Priority used when a job kind does not say.
pub const PRIORITY_DEFAULT: i16 = 5;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_at` and a free worker.
    Pending,
    /// Leased by a worker.
    Running,
    /// Finished successfully.
    Completed,
    /// Retries exhausted or a permanent error.
    Failed,
    /// Cancelled by a user or by its handler.
    Cancelled,
}

impl JobState {
    /// Every state, in life-cycle order.
    pub const ALL: [JobState; 5] =
        [JobState::Pending, JobState::Running, JobState::Completed, JobState::Failed, JobState::Cancelled];

    /// The stable string stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// True for the states a job never leaves by itself.
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Completed | JobState::Failed | JobState::Cancelled)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the job states.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown job state {0:?} (expected pending, running, completed, failed or cancelled)")]
pub struct UnknownState(pub String);

impl FromStr for JobState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL.into_iter().find(|state| state.as_str() == s).ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// How far a running job has got, as its handler last reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    /// 0 to 100.
    pub percent: f32,
    /// What the handler is doing now.
    pub message: Option<String>,
}

/// A job as stored. Serialises to the Job JSON (docs/contracts.md, "Job").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub state: JobState,
    pub priority: i16,
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Option<Progress>,
    pub last_error: Option<String>,
    pub payload: serde_json::Value,
    pub parent_id: Option<JobId>,
    pub correlation_id: Option<String>,
    pub unique_key: Option<String>,
    /// The worker holding the lease while running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    /// When the lease runs out unless renewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// A user asked to cancel this running job.
    #[serde(default)]
    pub cancel_requested: bool,
}

impl Job {
    /// Decodes the payload into the kind's typed payload.
    pub fn payload_as<K: JobKind>(&self) -> Result<K, serde_json::Error> {
        serde_json::from_value(self.payload.clone())
    }
}

/// A job kind: its stable name, its defaults, and its typed payload (the implementing type).
///
/// The kind string is stored in the database; never rename one without a migration.
pub trait JobKind: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable kind string, e.g. `"scan-movie"`.
    const KIND: &'static str;
    /// Attempts before the job fails for good.
    const MAX_ATTEMPTS: i32 = 5;
    /// 1 runs first, 10 last.
    const PRIORITY: i16 = PRIORITY_DEFAULT;
}

/// Declares a payload type a job kind, its policy on one line:
/// `job_kind!(ScanMovie = "scan-movie", attempts: 3, priority: 1);`. Attempts and priority may be
/// left out for the defaults, so that the kinds of a crate read as a table.
#[macro_export]
macro_rules! job_kind {
    ($ty:ty = $kind:literal $(, attempts: $attempts:literal)? $(, priority: $priority:literal)? $(,)?) => {
        impl $crate::JobKind for $ty {
            const KIND: &'static str = $kind;
            $(const MAX_ATTEMPTS: i32 = $attempts;)?
            $(const PRIORITY: i16 = $priority;)?
        }
    };
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub priority: i16,
    pub max_attempts: i32,
    /// `None` runs as soon as possible.
    pub run_at: Option<DateTime<Utc>>,
    pub unique_key: Option<String>,
    pub parent_id: Option<JobId>,
    pub correlation_id: Option<String>,
}

impl NewJob {
    /// A job of a typed kind, with the kind's defaults.
    pub fn of<K: JobKind>(payload: &K) -> NewJob {
        NewJob {
            kind: K::KIND.to_owned(),
            payload: serde_json::to_value(payload).unwrap_or(serde_json::Value::Null),
            priority: K::PRIORITY,
            max_attempts: K::MAX_ATTEMPTS,
            run_at: None,
            unique_key: None,
            parent_id: None,
            correlation_id: None,
        }
    }

    /// A job of a kind known only by name (management API, tests, benchmarks).
    pub fn raw(kind: impl Into<String>, payload: serde_json::Value) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            priority: PRIORITY_DEFAULT,
            max_attempts: 5,
            run_at: None,
            unique_key: None,
            parent_id: None,
            correlation_id: None,
        }
    }

    /// Sets the priority, clamped to 1–10.
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = priority.clamp(PRIORITY_HIGHEST, PRIORITY_LOWEST);
        self
    }

    /// Sets the number of attempts (at least 1).
    pub fn max_attempts(mut self, max_attempts: i32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Runs no earlier than `run_at`.
    pub fn run_at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = Some(run_at);
        self
    }

    /// While a pending or running job has this key, enqueueing another returns that job.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Records the parent and inherits its correlation id unless one is set.
    pub fn child_of(mut self, parent: &Job) -> Self {
        self.parent_id = Some(parent.id);
        if self.correlation_id.is_none() {
            self.correlation_id.clone_from(&parent.correlation_id);
        }
        self
    }

    /// Groups this job with others born of the same cause.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }
}

/// The result of an enqueue: the job, and whether it was created or already existed.
#[derive(Debug, Clone, PartialEq)]
pub struct Enqueued {
    pub job: Job,
    /// False when an active job with the same unique key was returned instead.
    pub created: bool,
}
