//! The [`Prober`]: the native readers first, `ffprobe` for other containers, a timeout per file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::ProbeError;
use crate::ffprobe::{ffprobe_available, probe_with_ffprobe};
use crate::model::StreamDetails;
use crate::native::probe_native;

/// How the [`Prober`] reads files; the app builds it from its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    /// Read Matroska and MP4 with the native readers before trying `ffprobe`.
    pub native: bool,
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
            native: true,
            ffprobe: Some(PathBuf::from("ffprobe")),
            timeout: Duration::from_secs(30),
            concurrency: std::thread::available_parallelism().map_or(2, |cores| cores.get()),
        }
    }
}

/// Which readers a [`Prober`] can use, for one warning at scan start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    /// The native readers are enabled (they are compiled in, so enabled means usable).
    pub native: bool,
    /// `ffprobe` is configured and runs.
    pub ffprobe: bool,
}

impl Availability {
    /// Whether no reader at all is available, so stream details cannot be read.
    pub fn none(self) -> bool {
        !self.native && !self.ffprobe
    }
}

/// Which reader produced an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The native Matroska or MP4 reader.
    Native,
    /// The `ffprobe` program.
    Ffprobe,
}

/// What one probe cost, for benchmarks and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeStats {
    /// Bytes the native reader read (0 when it did not run; ffprobe's reads are not counted).
    pub bytes_read: u64,
    /// The reader whose answer was returned; `None` when every reader failed.
    pub reader: Option<Reader>,
}

/// Reads stream details: natively for Matroska and MP4, through `ffprobe` otherwise.
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
        Availability { native: self.config.native, ffprobe: self.ffprobe_runs() }
    }

    fn ffprobe_runs(&self) -> bool {
        *self.ffprobe_runs.get_or_init(|| self.config.ffprobe.as_deref().is_some_and(ffprobe_available))
    }

    /// Reads the stream details of one file.
    ///
    /// The native reader's answer wins. A container it does not read (AVI, MPEG-TS, VOB…)
    /// goes to `ffprobe`, and so does a Matroska or MP4 file it cannot make sense of, since
    /// FFmpeg tolerates more damage. Without a runnable `ffprobe` the first is
    /// [`ProbeError::NeedsFfprobe`] naming the container, the second the native error, so a
    /// corrupt file is reported as corrupt. A timeout or a missing file is not retried. With
    /// the native readers off and no runnable `ffprobe` the answer is
    /// [`ProbeError::Unavailable`].
    pub fn probe(&self, path: &Path) -> Result<StreamDetails, ProbeError> {
        self.probe_with_stats(path).0
    }

    /// [`Prober::probe`], also saying which reader answered and how many bytes it read.
    pub fn probe_with_stats(&self, path: &Path) -> (Result<StreamDetails, ProbeError>, ProbeStats) {
        let started = Instant::now();
        let mut stats = ProbeStats { bytes_read: 0, reader: None };
        let native_error = if self.config.native {
            match probe_native(path, self.config.timeout) {
                Ok(probe) => {
                    stats.bytes_read = probe.bytes_read;
                    stats.reader = Some(Reader::Native);
                    return (Ok(probe.details), stats);
                }
                Err(err @ (ProbeError::Timeout { .. } | ProbeError::Io { .. })) => return (Err(err), stats),
                Err(err) => Some(err),
            }
        } else {
            None
        };
        let ffprobe = match (&self.config.ffprobe, self.ffprobe_runs()) {
            (Some(ffprobe), true) => ffprobe,
            (configured, _) => {
                let err = match native_error {
                    Some(ProbeError::Unsupported { path, reason }) => ProbeError::NeedsFfprobe { path, format: reason },
                    Some(err) => err,
                    None => ProbeError::Unavailable {
                        path: path.to_owned(),
                        reason: match configured {
                            Some(ffprobe) => {
                                format!("the native readers are disabled and {} does not run", ffprobe.display())
                            }
                            None => "the native readers and ffprobe are both disabled".to_owned(),
                        },
                    },
                };
                return (Err(err), stats);
            }
        };
        let remaining = self.config.timeout.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return (Err(ProbeError::Timeout { path: path.to_owned(), timeout: self.config.timeout }), stats);
        }
        let result = match probe_with_ffprobe(ffprobe, path, remaining) {
            Ok(details) => {
                stats.reader = Some(Reader::Ffprobe);
                Ok(details)
            }
            // ffprobe vanished between the availability check and now.
            Err(ProbeError::Unavailable { .. }) if native_error.is_some() => {
                Err(native_error.expect("checked by the guard"))
            }
            Err(ProbeError::Timeout { path, .. }) => Err(ProbeError::Timeout { path, timeout: self.config.timeout }),
            Err(err) => Err(err),
        };
        (result, stats)
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
