//! How a delivery failed, in the terms a job queue needs: give up, retry, or wait.

use std::time::Duration;

/// Why a notification was not delivered.
///
/// Messages are written for the user (they end up in the job's `last_error` and in the
/// answer to a test send) and never contain tokens, passwords or full webhook URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Retrying cannot help: bad settings, rejected credentials, a payload the service
    /// refuses (HTTP 4xx, SMTP 5xx). The message says what to fix.
    #[error("{0}")]
    Permanent(String),
    /// Probably temporary: the service answered 5xx, timed out or could not be reached.
    #[error("{0}")]
    Retryable(String),
    /// The service asked us to wait; retrying before `retry_after` would be refused again.
    #[error("{message}")]
    RateLimited {
        /// How long to wait before the next attempt.
        retry_after: Duration,
        /// A description for the user.
        message: String,
    },
}

impl SendError {
    /// Whether a later attempt may succeed (everything except [`SendError::Permanent`]).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, SendError::Permanent(_))
    }

    /// The message for the user, whatever the kind.
    pub fn message(&self) -> &str {
        match self {
            SendError::Permanent(message) | SendError::Retryable(message) => message,
            SendError::RateLimited { message, .. } => message,
        }
    }
}
