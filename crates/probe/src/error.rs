//! The one error type of the probe crate; every variant names the file it is about.

use std::path::PathBuf;
use std::time::Duration;

/// Why a file's stream details could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The file could not be opened or read (missing, permissions, I/O error).
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The native readers do not read this container; ffprobe may.
    #[error("the native readers do not read {path}: {reason}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The container, or what was not understood.
        reason: String,
    },
    /// The file is in a container only ffprobe reads, and ffprobe is not installed.
    #[error(
        "{path} is {format}: Metarr reads Matroska and MP4 itself and other containers through ffprobe, \
         which is not installed (install FFmpeg, e.g. `apt-get install ffmpeg`)"
    )]
    NeedsFfprobe {
        /// The file.
        path: PathBuf,
        /// The container, e.g. `AVI`.
        format: String,
    },
    /// The file is not a readable video: empty, truncated or garbage.
    #[error("{path} is not a readable video: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the reader reported.
        reason: String,
    },
    /// Reading took longer than the per-file timeout and was abandoned.
    #[error("probing {path} took longer than {timeout:?}")]
    Timeout {
        /// The file.
        path: PathBuf,
        /// The limit that was exceeded.
        timeout: Duration,
    },
    /// ffprobe ran but failed or printed something that is not its JSON.
    #[error("ffprobe failed on {path}: {message}")]
    Ffprobe {
        /// The file.
        path: PathBuf,
        /// Exit status, stderr excerpt or JSON error.
        message: String,
    },
    /// No reader is available: the native readers are off and ffprobe cannot be run.
    ///
    /// This says nothing about the file; a scanner should warn once and carry on without
    /// stream details.
    #[error("no stream prober available for {path}: {reason}")]
    Unavailable {
        /// The file that was to be probed.
        path: PathBuf,
        /// Why ffprobe could not be run (for example the configured path does not exist).
        reason: String,
    },
}

impl ProbeError {
    /// The file this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            ProbeError::Io { path, .. }
            | ProbeError::Unsupported { path, .. }
            | ProbeError::NeedsFfprobe { path, .. }
            | ProbeError::Corrupt { path, .. }
            | ProbeError::Timeout { path, .. }
            | ProbeError::Ffprobe { path, .. }
            | ProbeError::Unavailable { path, .. } => path,
        }
    }

    /// Whether this error means no prober exists at all rather than a problem with the file.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ProbeError::Unavailable { .. })
    }
}
