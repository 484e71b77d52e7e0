//! `debug-sleep`: a diagnostic job kind that sleeps `ms` milliseconds and honours cancellation.
//!
//! It exists for crash tests, benchmarks and checking a deployment's workers end to end; it
//! touches nothing. Enqueue it with a payload `{"ms": 250}`; `ms = 0` makes a no-op job.

use async_trait::async_trait;
use metarr_queue::{Handler, JobContext, JobError, job_kind};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The payload. Unknown fields are ignored so that benchmarks may pad payloads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DebugSleep {
    #[serde(default)]
    pub ms: u64,
}

job_kind!(DebugSleep = "debug-sleep");

/// Sleeps, unless cancelled first.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebugSleepHandler;

#[async_trait]
impl Handler for DebugSleepHandler {
    type Job = DebugSleep;

    async fn run(&self, ctx: JobContext, job: DebugSleep) -> Result<(), JobError> {
        if job.ms == 0 {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(job.ms)) => Ok(()),
            () = ctx.cancelled() => Err(JobError::Cancel("cancellation requested while sleeping".into())),
        }
    }
}
