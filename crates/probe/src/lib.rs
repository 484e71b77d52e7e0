//! Stream details of video files (codecs, sizes, HDR type, languages), read in-process
//! through FFmpeg's libraries with the `ffprobe` program as the fallback.
//!
//! The scanner calls [`Prober::probe`] from a blocking thread; [`parse_ffprobe_json`] exists
//! so recorded ffprobe output can be tested without the program. HDR classification follows
//! Radarr's rules and lives in one place (`hdr`) for both readers.
//!
//! This crate does no database or HTTP work and reads no configuration files or environment.
//!
//! Building links FFmpeg's libraries through `ffmpeg-next` (bindgen at build time); on Debian
//! bookworm that takes `pkg-config clang libclang-dev libavformat-dev libavcodec-dev
//! libavutil-dev`. The tests also run the real `ffmpeg` and `ffprobe` (package `ffmpeg`).
//!
//! Known limits of the in-process reader: profile names exist only for the codecs
//! ffmpeg-next models (H.264, HEVC, VP9, MPEG-2/4, VC-1, AAC, DTS), so AV1, E-AC-3 Atmos or
//! DTS:X profiles are `None` where ffprobe names them; a read that blocks inside the
//! operating system (a stalled network share) is only abandoned when the call returns.
#![warn(missing_docs)]

mod error;
mod ffprobe;
mod hdr;
mod in_process;
mod model;
mod prober;
mod sei;

pub use error::ProbeError;
pub use ffprobe::{ffprobe_available, parse_ffprobe_json, parse_ffprobe_output, probe_with_ffprobe};
pub use in_process::probe_in_process;
pub use model::{AudioStream, HdrType, StreamDetails, SubtitleStream, VideoStream};
pub use prober::{Availability, ProbeConfig, Prober};
