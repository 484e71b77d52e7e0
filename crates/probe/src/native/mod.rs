//! The native readers: Matroska/WebM and ISO-BMFF (MP4, M4V, MOV) in safe Rust.
//!
//! [`probe_native`] sniffs the first bytes, hands the file to the reader of its container and
//! reports how many bytes were read. Every read goes through [`Source`], which refuses reads
//! past the per-file byte budget and the deadline, so a hostile file cannot make a reader
//! allocate or read without bound. Other containers are [`ProbeError::Unsupported`] naming
//! the format, so the [`crate::Prober`] can pass them to `ffprobe`.

pub(crate) mod matroska;
pub(crate) mod mp4;
pub(crate) mod rational;
mod source;

use std::path::Path;
use std::time::Duration;

pub(crate) use source::Source;

use crate::error::ProbeError;
use crate::model::StreamDetails;

/// FFmpeg's demuxer name for Matroska and WebM, which ffprobe prints as `format_name`.
pub(crate) const MATROSKA_FORMAT: &str = "matroska,webm";
/// FFmpeg's demuxer name for every ISO-BMFF flavour (MP4, M4V, MOV, 3GP).
pub(crate) const ISOBMFF_FORMAT: &str = "mov,mp4,m4a,3gp,3g2,mj2";

/// What the native readers learnt about one file.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeProbe {
    /// The stream details, with warnings for whatever could not be read.
    pub details: StreamDetails,
    /// Bytes read from the file to learn them.
    pub bytes_read: u64,
}

/// A container recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Matroska,
    IsoBmff,
    /// A container only `ffprobe` reads; the name is for messages.
    Other(&'static str),
}

/// Recognises a container from the first bytes of a file (at least 12 are needed for ISO-BMFF,
/// 200 for MPEG-TS); `None` when nothing matches.
pub(crate) fn sniff(head: &[u8]) -> Option<Container> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0x1a, 0x45, 0xdf, 0xa3]) {
        return Some(Container::Matroska);
    }
    if [&b"ftyp"[..], b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"].iter().any(|kind| at(4, kind)) {
        return Some(Container::IsoBmff);
    }
    let other = if at(0, b"RIFF") && at(8, b"AVI ") {
        "AVI"
    } else if at(0, &[0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11]) {
        "ASF (WMV)"
    } else if at(0, &[0, 0, 1, 0xba]) {
        "MPEG program stream (VOB, MPG)"
    } else if at(0, &[0x47]) && at(188, &[0x47]) {
        "MPEG transport stream (TS)"
    } else if at(4, &[0x47]) && at(196, &[0x47]) {
        "MPEG transport stream (M2TS)"
    } else if at(0, b"FLV") {
        "FLV"
    } else if at(0, b"OggS") {
        "Ogg (OGM)"
    } else if at(0, b".RMF") {
        "RealMedia"
    } else if at(0, &[0, 0, 1, 0xb3]) {
        "MPEG video elementary stream"
    } else {
        return None;
    };
    Some(Container::Other(other))
}

/// Bytes read to recognise a container; MPEG-TS needs the second packet's sync byte.
const SNIFF_BYTES: usize = 200;

/// Reads the stream details of a Matroska or ISO-BMFF file, giving up after `timeout`.
///
/// Blocking: call it from `spawn_blocking` or a dedicated thread. A file in another container
/// is [`ProbeError::Unsupported`] naming the container; a file that is not a video at all is
/// [`ProbeError::Corrupt`]. A file that is partly readable (truncated, one damaged track) is
/// `Ok` with warnings in [`StreamDetails::warnings`].
pub fn probe_native(path: &Path, timeout: Duration) -> Result<NativeProbe, ProbeError> {
    read(Source::open(path, timeout)?)
}

/// [`probe_native`] over bytes in memory, for the fuzz targets and for tests of header-only
/// samples; `name` stands for the file in messages.
#[doc(hidden)]
pub fn probe_native_bytes(name: &Path, bytes: Vec<u8>) -> Result<NativeProbe, ProbeError> {
    if bytes.is_empty() {
        return Err(ProbeError::Corrupt { path: name.to_owned(), reason: "empty file".to_owned() });
    }
    read(Source::from_bytes(name, bytes, Duration::from_secs(30)))
}

fn read(mut source: Source) -> Result<NativeProbe, ProbeError> {
    let path = source.path().to_owned();
    let path = path.as_path();
    let head = source.read_at(0, SNIFF_BYTES)?;
    let details = match sniff(&head) {
        Some(Container::Matroska) => matroska::read(&mut source)?,
        Some(Container::IsoBmff) => mp4::read(&mut source)?,
        Some(Container::Other(format)) => {
            return Err(ProbeError::Unsupported { path: path.to_owned(), reason: format.to_owned() });
        }
        None => {
            return Err(ProbeError::Corrupt {
                path: path.to_owned(),
                reason: "not a container Metarr or FFmpeg knows (no Matroska, MP4, AVI, TS, VOB, WMV, FLV or Ogg \
                         signature)"
                    .to_owned(),
            });
        }
    };
    Ok(NativeProbe { details, bytes_read: source.bytes_read() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_common_containers() {
        let mut mkv = vec![0x1a, 0x45, 0xdf, 0xa3];
        mkv.resize(16, 0);
        assert_eq!(sniff(&mkv), Some(Container::Matroska));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some(Container::IsoBmff));
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), Some(Container::Other("AVI")));
        let mut ts = vec![0u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        assert_eq!(sniff(&ts), Some(Container::Other("MPEG transport stream (TS)")));
        assert_eq!(sniff(b"hello world, this is text"), None);
        assert_eq!(sniff(&[]), None);
    }
}
