//! The [`Prober`]: in-process first, `ffprobe` as the fallback, a timeout per file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::ProbeError;
use crate::ffprobe::{ffprobe_available, probe_with_ffprobe};
use crate::in_process::probe_in_process;
use crate::model::StreamDetails;

/// How the [`Prober`] reads files; the app builds it from its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    /// Read containers in-process through FFmpeg's libraries before trying `ffprobe`.
    pub in_process: bool,
    /// The `ffprobe` program (a bare name is looked up on `PATH`); `None` disables it.
    pub ffprobe: Option<PathBuf>,
    /// Longest time spent on one file, fallback included.
    pub timeout: Duration,
    /// Files probed at once by [`Prober::probe_all`]; at least 1.
    pub concurrency: usize,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            in_process: true,
            ffprobe: Some(PathBuf::from("ffprobe")),
            timeout: Duration::from_secs(30),
            concurrency: std::thread::available_parallelism().map_or(2, |cores| cores.get()),
        }
    }
}

/// Which readers a [`Prober`] can use, for one warning at scan start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    /// The in-process reader is enabled (it is compiled in, so enabled means usable).
    pub in_process: bool,
    /// `ffprobe` is configured and runs.
    pub ffprobe: bool,
}

impl Availability {
    /// Whether no reader at all is available, so stream details cannot be read.
    pub fn none(self) -> bool {
        !self.in_process && !self.ffprobe
    }
}

/// Reads stream details: in-process first, `ffprobe` when that fails or is disabled.
///
/// Every method blocks; async callers wrap them in `spawn_blocking`. Bounded concurrency is
/// offered by [`Prober::probe_all`] for batch callers; a caller probing one file per job
/// bounds concurrency itself (for example with its worker pool or a semaphore).
#[derive(Debug)]
pub struct Prober {
    config: ProbeConfig,
    ffprobe_runs: OnceLock<bool>,
}

impl Prober {
    /// A prober with this configuration; nothing is checked until first use.
    pub fn new(config: ProbeConfig) -> Self {
        Prober { config, ffprobe_runs: OnceLock::new() }
    }

    /// The configuration this prober uses.
    pub fn config(&self) -> &ProbeConfig {
        &self.config
    }

    /// Which readers are usable; runs `ffprobe -version` once and remembers the answer.
    pub fn availability(&self) -> Availability {
        Availability { in_process: self.config.in_process, ffprobe: self.ffprobe_runs() }
    }

    fn ffprobe_runs(&self) -> bool {
        *self.ffprobe_runs.get_or_init(|| self.config.ffprobe.as_deref().is_some_and(ffprobe_available))
    }

    /// Reads the stream details of one file.
    ///
    /// The in-process reader's answer wins. When it cannot read the file (unknown container,
    /// codec without a decoder, damaged header) `ffprobe` gets the rest of the time budget;
    /// if `ffprobe` is unavailable the in-process error is returned, so a corrupt file is
    /// reported as corrupt. A timeout or a missing file is not retried. With the in-process
    /// reader off and no runnable `ffprobe` the answer is [`ProbeError::Unavailable`].
    pub fn probe(&self, path: &Path) -> Result<StreamDetails, ProbeError> {
        let started = Instant::now();
        let in_process_error = if self.config.in_process {
            match probe_in_process(path, self.config.timeout) {
                Ok(details) => return Ok(details),
                Err(err @ (ProbeError::Timeout { .. } | ProbeError::Io { .. })) => {
                    return Err(err);
                }
                Err(err) => Some(err),
            }
        } else {
            None
        };
        let ffprobe = match (&self.config.ffprobe, self.ffprobe_runs()) {
            (Some(ffprobe), true) => ffprobe,
            (configured, _) => {
                return Err(in_process_error.unwrap_or_else(|| ProbeError::Unavailable {
                    path: path.to_owned(),
                    reason: match configured {
                        Some(ffprobe) => {
                            format!("the in-process reader is disabled and {} does not run", ffprobe.display())
                        }
                        None => "the in-process reader and ffprobe are both disabled".to_owned(),
                    },
                }));
            }
        };
        let remaining = self.config.timeout.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return Err(ProbeError::Timeout { path: path.to_owned(), timeout: self.config.timeout });
        }
        match probe_with_ffprobe(ffprobe, path, remaining) {
            Ok(details) => Ok(details),
            // ffprobe vanished between the availability check and now.
            Err(ProbeError::Unavailable { .. }) if in_process_error.is_some() => {
                Err(in_process_error.expect("checked by the guard"))
            }
            Err(ProbeError::Timeout { path, .. }) => Err(ProbeError::Timeout { path, timeout: self.config.timeout }),
            Err(err) => Err(err),
        }
    }

    /// Probes many files with at most `concurrency` at once; results keep the input order.
    pub fn probe_all(&self, paths: &[PathBuf]) -> Vec<Result<StreamDetails, ProbeError>> {
        let workers = self.config.concurrency.clamp(1, paths.len().max(1));
        let next = AtomicUsize::new(0);
        let mut results: Vec<Option<Result<StreamDetails, ProbeError>>> =
            std::iter::repeat_with(|| None).take(paths.len()).collect();
        let finished: Vec<Vec<(usize, Result<StreamDetails, ProbeError>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let path_idx = next.fetch_add(1, Ordering::Relaxed);
                            let Some(path) = paths.get(path_idx) else { break };
                            done.push((path_idx, self.probe(path)));
                        }
                        done
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().expect("probe workers return errors, not panics")).collect()
        });
        for (path_idx, result) in finished.into_iter().flatten() {
            results[path_idx] = Some(result);
        }
        results
            .into_iter()
            .map(|result| result.expect("every index below paths.len() was claimed by a worker"))
            .collect()
    }
}
