//! The job kinds this binary runs, and the registry that hands them to the worker.

pub mod cleanup;
pub mod debug_sleep;

use metarr_queue::{KindOptions, Registry};

/// Name of the schedule that prunes old jobs.
pub const CLEANUP_SCHEDULE: &str = "cleanup";
/// Every night at 03:00 server time, when nobody is watching.
pub const CLEANUP_CRON: &str = "0 3 * * *";

/// Every handler of the app, configured from settings.
pub fn registry(job_retention_days: u32) -> Registry {
    let mut registry = Registry::new();
    // One cleanup at a time is plenty; two would only contend for the same rows.
    registry.register_with(
        cleanup::CleanupHandler::new(job_retention_days),
        KindOptions { concurrency: Some(1), ..KindOptions::default() },
    );
    registry.register(debug_sleep::DebugSleepHandler);
    registry
}
