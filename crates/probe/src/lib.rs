//! Stream details of video files (codecs, sizes, HDR type, languages): Matroska/WebM and
//! ISO-BMFF (MP4, M4V, MOV) read natively in safe Rust, other containers through the `ffprobe`
//! program when it is installed.
//!
//! The scanner calls [`Prober::probe`] from a blocking thread; [`parse_ffprobe_json`] exists
//! so recorded ffprobe output can be tested without the program. HDR classification follows
//! Radarr's rules and lives in one place (`hdr`) for every reader.
//!
//! This crate does no database or HTTP work and reads no configuration files or environment,
//! and links no C media library: building it needs only a Rust toolchain. The tests also run
//! the real `ffmpeg` and `ffprobe` (package `ffmpeg`) to check the native readers against them.
//!
//! The native readers read headers and the first packets only (see `native`); the codec
//! configuration records and first packets are parsed in `codec`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod error;
mod ffprobe;
mod hdr;
mod model;
mod native;
mod prober;

pub use error::ProbeError;
pub use ffprobe::{ffprobe_available, parse_ffprobe_json, parse_ffprobe_output, probe_with_ffprobe};
pub use model::{AudioStream, DolbyVision, HdrType, StreamDetails, SubtitleStream, VideoStream};
pub use native::{NativeProbe, probe_native, probe_native_bytes};
pub use prober::{Availability, ProbeConfig, ProbeStats, Prober, Reader};
