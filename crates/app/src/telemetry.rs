//! Logging: a `tracing` subscriber filtered by `RUST_LOG` (default `info`) writing where it is told.
//!
//! The writer is a parameter so that tests can silence logs or capture them (zero-to-production).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info";

/// Installs the global subscriber. Call once, at the start of `main` (or once per test binary).
///
/// `ansi` colours the output (for a terminal). Returns an error when a subscriber is already installed.
pub fn init<W>(writer: W, ansi: bool) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(true)
        .finish()
        .try_init()
}
