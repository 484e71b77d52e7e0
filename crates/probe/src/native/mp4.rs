//! The ISO-BMFF reader (MP4, M4V, MOV): the `moov` box and the first video sample.
//!
//! Hand-written rather than built on `mp4-atom` or `mp4`, because those decode whole boxes into
//! memory: a two-hour film's `moov` is several MB, nearly all of it sample tables (`stsz`,
//! `stco`, `ctts`, `stss`, `sdtp`) of which this reader needs one entry each. Here boxes are
//! walked by their headers through a small read-ahead window, only the small boxes that matter
//! (`mvhd`, `tkhd`, `mdhd`, `hdlr`, `elst`, `stsd`, `stts`, metadata) are read whole, and of
//! the sample tables only the first entries are read, to find the first sample. Codec-level
//! parsing (configuration records, first packets) is `crate::codec`'s.
//!
//! The values are FFmpeg 5.1's `mov` demuxer's, so they equal what ffprobe prints:
//! - container duration: `mvhd` (or `mehd` for fragmented files) rescaled to microseconds;
//! - stream duration: the `mdhd` duration, lowered to the `stts` total and to the edit list's
//!   total, as `mov_read_stts` and `mov_fix_index` do;
//! - average frame rate: time scale × sample count ÷ `stts` total, reduced like `av_reduce`;
//! - default disposition: the `tkhd` "enabled" flag (FFmpeg 5.1 reads no forced or
//!   hearing-impaired flags from MP4, and no track titles from the `name` box);
//! - every `trak` is a stream and keeps its position as index, even when it is dropped here
//!   (timecode, chapter and data tracks, which ffprobe prints without a codec name).

use crate::codec::{self, AudioCodec, VideoCodec};
use crate::error::ProbeError;
use crate::hdr::HdrSignals;
use crate::model::{
    AudioStream, DolbyVision, StreamDetails, SubtitleStream, VideoStream, bit_depth_from_pix_fmt, channel_layout_name,
    non_empty, normalise_language,
};
use crate::native::rational::reduce;
use crate::native::{ISOBMFF_FORMAT, Source};

/// Bytes read ahead when a box header is not in the window: enough for the run of small
/// boxes at the start of a track, small enough that landing on a big sample table wastes little.
const WINDOW: usize = 4096;
/// A `moov` up to this size is read in one go.
const SMALL_MOOV: u64 = 48 * 1024;
/// Most bytes of one metadata-sized box read whole (`stsd`, `udta`, `mvhd`…); real ones are a
/// few KiB (an `hvcC` with SEI, a Dolby Vision entry).
const SMALL_BOX_MAX: u64 = 256 * 1024;
/// Most bytes of `stts` read to compute the average frame rate; constant-rate tracks need 16
/// bytes, a variable-rate film a few hundred KiB.
const STTS_MAX: u64 = 2 * 1024 * 1024;
/// Bytes of the first video sample read for its SEI: the parameter sets and SEI come first in
/// an access unit, the big slice data after them.
const FIRST_VIDEO_PACKET_MAX: u64 = 16 * 1024;
/// Bytes of an audio track's first sample read when its codec configuration is in the stream.
const FIRST_AUDIO_PACKET_MAX: u64 = 8 * 1024;
/// Top-level boxes walked before giving up on finding `moov` (fragmented files have a
/// `moof`/`mdat` pair per fragment, but `moov` comes before them).
const MAX_TOP_LEVEL_BOXES: usize = 10_000;
/// Children of one box walked; real boxes have tens.
const MAX_CHILDREN: usize = 4_096;
/// Tracks read; files with more are hostile.
const MAX_TRACKS: usize = 1_024;
/// Edit list entries used for the duration.
const MAX_EDITS: u64 = 4_096;

/// A box header: its type, where its body starts and where it ends.
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    kind: [u8; 4],
    body: u64,
    end: u64,
    /// The size field said more than the parent (or the file) holds.
    clipped: bool,
}

impl BoxHeader {
    fn body_len(&self) -> u64 {
        self.end - self.body
    }
}

/// Why a box could not be walked.
#[derive(Debug)]
enum Walk {
    /// The header is not a box header (size smaller than the header).
    Malformed(String),
    /// Reading failed (budget, deadline, I/O): the whole probe fails.
    Fatal(ProbeError),
}

impl From<ProbeError> for Walk {
    fn from(err: ProbeError) -> Self {
        Walk::Fatal(err)
    }
}

/// Reads through a small window so that runs of small boxes cost one read.
struct Reader<'a> {
    source: &'a mut Source,
    window_start: u64,
    window: Vec<u8>,
}

impl<'a> Reader<'a> {
    fn new(source: &'a mut Source) -> Self {
        Reader { source, window_start: 0, window: Vec::new() }
    }

    fn len(&self) -> u64 {
        self.source.len()
    }

    /// `len` bytes at `offset` (fewer at the end of the file). When they are not in the window,
    /// reads at least [`WINDOW`] bytes but never past `limit`.
    fn bytes(&mut self, offset: u64, len: u64, limit: u64) -> Result<Vec<u8>, ProbeError> {
        let end = offset.saturating_add(len).min(self.len());
        let window_end = self.window_start + self.window.len() as u64;
        if offset >= self.window_start && end <= window_end {
            let from = usize::try_from(offset - self.window_start).unwrap_or(usize::MAX);
            let to = usize::try_from(end - self.window_start).unwrap_or(usize::MAX);
            return Ok(self.window.get(from..to).map(<[u8]>::to_vec).unwrap_or_default());
        }
        let wanted = len.max(WINDOW as u64).min(limit.saturating_sub(offset).max(len));
        let wanted = usize::try_from(wanted).unwrap_or(usize::MAX);
        self.window = self.source.read_at(offset, wanted)?;
        self.window_start = offset;
        let take = usize::try_from(end.saturating_sub(offset)).unwrap_or(usize::MAX).min(self.window.len());
        Ok(self.window.get(..take).map(<[u8]>::to_vec).unwrap_or_default())
    }

    /// The box header at `offset` inside a parent ending at `parent_end`; `None` when fewer
    /// than 8 bytes are left (padding, or the file ends).
    fn header(&mut self, offset: u64, parent_end: u64) -> Result<Option<BoxHeader>, Walk> {
        self.header_reading_ahead(offset, parent_end, parent_end)
    }

    /// [`Reader::header`], reading ahead no further than `ahead_limit`.
    fn header_reading_ahead(
        &mut self,
        offset: u64,
        parent_end: u64,
        ahead_limit: u64,
    ) -> Result<Option<BoxHeader>, Walk> {
        if parent_end.saturating_sub(offset) < 8 {
            return Ok(None);
        }
        let head = self.bytes(offset, 16.min(parent_end - offset), ahead_limit)?;
        let Some((size, rest)) = head.split_first_chunk::<4>() else { return Ok(None) };
        let Some((kind, rest)) = rest.split_first_chunk::<4>() else { return Ok(None) };
        let size = u32::from_be_bytes(*size);
        let (header_len, size) = match size {
            0 => (8, parent_end - offset),
            1 => {
                let Some((large, _)) = rest.split_first_chunk::<8>() else { return Ok(None) };
                (16, u64::from_be_bytes(*large))
            }
            size => (8, u64::from(size)),
        };
        if size < header_len {
            return Err(Walk::Malformed(format!(
                "box '{}' at byte {offset} claims {size} bytes, less than its header",
                fourcc(kind)
            )));
        }
        let claimed_end = offset.saturating_add(size);
        let end = claimed_end.min(parent_end);
        Ok(Some(BoxHeader { kind: *kind, body: offset + header_len, end, clipped: claimed_end > parent_end }))
    }

    /// The children of a box, header by header.
    fn children(&mut self, parent: &BoxHeader, skip: u64) -> Result<Vec<BoxHeader>, Walk> {
        let mut children = Vec::new();
        let mut offset = parent.body.saturating_add(skip);
        while let Some(child) = self.header(offset, parent.end)? {
            children.push(child);
            if children.len() >= MAX_CHILDREN {
                break;
            }
            offset = child.end;
        }
        Ok(children)
    }

    /// A box's whole body, up to `max` bytes.
    fn body(&mut self, header: &BoxHeader, max: u64) -> Result<Vec<u8>, ProbeError> {
        self.bytes(header.body, header.body_len().min(max), header.end)
    }
}

fn fourcc(kind: &[u8; 4]) -> String {
    kind.iter().map(|&byte| if byte.is_ascii_graphic() || byte == b' ' { char::from(byte) } else { '?' }).collect()
}

/// A big-endian cursor over a box body; reads past the end give `None`.
struct Bytes<'b> {
    data: &'b [u8],
    at: usize,
}

impl<'b> Bytes<'b> {
    fn new(data: &'b [u8]) -> Self {
        Bytes { data, at: 0 }
    }

    fn take(&mut self, len: usize) -> Option<&'b [u8]> {
        let end = self.at.checked_add(len)?;
        let slice = self.data.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn skip(&mut self, len: usize) -> Option<()> {
        self.take(len).map(|_| ())
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn rest(&self) -> &'b [u8] {
        self.data.get(self.at..).unwrap_or_default()
    }
}

/// `a * b / c` rounded to nearest, halves away from zero, like FFmpeg's `av_rescale`.
fn rescale(a: u64, b: u64, c: u64) -> Option<u64> {
    if c == 0 {
        return None;
    }
    let value = (u128::from(a) * u128::from(b) + u128::from(c) / 2) / u128::from(c);
    u64::try_from(value).ok()
}

/// Seconds as ffprobe prints them (`%f`, six decimals) and the ffprobe parser reads them back.
fn printed_seconds(seconds: f64) -> Option<f64> {
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    format!("{seconds:.6}").parse().ok().filter(|value: &f64| *value > 0.0)
}

/// A duration in `timescale` units as ffprobe prints a stream's (`ts * av_q2d(1/timescale)`).
fn stream_seconds(duration: u64, timescale: u32) -> Option<f64> {
    if timescale == 0 || duration == 0 {
        return None;
    }
    printed_seconds(duration as f64 * (1.0 / f64::from(timescale)))
}

/// What kind of stream FFmpeg makes of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Video,
    Audio,
    Subtitle,
    Data,
}

/// Everything read from one `trak`.
#[derive(Debug, Default)]
struct Track {
    index: usize,
    enabled: bool,
    tkhd_size: (u32, u32),
    timescale: u32,
    mdhd_duration: u64,
    language: Option<String>,
    handler: Option<[u8; 4]>,
    /// Edit durations in the movie's time scale.
    edits: Vec<u64>,
    /// `stts`: total sample count and total duration, and the first entries for the fallback rate.
    stts: Option<Stts>,
    entry: Option<SampleEntry>,
    title: Option<String>,
    first_chunk: Option<u64>,
    first_sample_size: Option<u64>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Stts {
    samples: u64,
    duration: u64,
    entries: u32,
    first_delta: u32,
    second_count: Option<u32>,
}

/// One sample description (`stsd` entry) with the boxes inside it that matter.
#[derive(Debug, Default)]
struct SampleEntry {
    format: [u8; 4],
    width: u16,
    height: u16,
    channels: u16,
    sample_size: u16,
    sample_rate: u32,
    /// QuickTime sound description v2 `formatSpecificFlags` (for `lpcm`).
    lpcm_flags: Option<u32>,
    /// Little-endian PCM (`enda`).
    little_endian: bool,
    /// The codec configuration record or header in the form `crate::codec` takes.
    config: Option<Vec<u8>>,
    /// `objectTypeIndication` of an `esds`.
    object_type: Option<u8>,
    dolby_vision: Option<DolbyVision>,
    colr: Option<(u64, u64)>,
    mastering_display: bool,
    content_light_level: bool,
    field_order: Option<&'static str>,
    stereo_mode: Option<&'static str>,
    nal_length_size: Option<u8>,
}

/// What the movie header and metadata say.
#[derive(Debug, Default)]
struct Movie {
    timescale: u32,
    duration: u64,
    fragment_duration: Option<u64>,
    title: Option<String>,
    tracks: Vec<Track>,
    warnings: Vec<String>,
}

/// Reads an MP4, M4V or MOV file's stream details.
pub(crate) fn read(source: &mut Source) -> Result<StreamDetails, ProbeError> {
    let file_len = source.len();
    let mut reader = Reader::new(source);
    let mut offset = 0u64;
    let mut moov = None;
    let mut seen = 0usize;
    let mut first = true;
    let mut mdat_seen = false;
    while moov.is_none() {
        // Top-level boxes are far apart (mdat between them): read their headers alone.
        let header = match reader.header_reading_ahead(offset, file_len, offset.saturating_add(16)) {
            Ok(Some(header)) => header,
            Ok(None) => break,
            Err(Walk::Fatal(err)) => return Err(err),
            Err(Walk::Malformed(reason)) if first => return Err(reader.source.corrupt(reason)),
            // Junk after the boxes already walked: whatever came before `moov` decides.
            Err(Walk::Malformed(_)) => break,
        };
        first = false;
        seen += 1;
        match &header.kind {
            b"moov" => moov = Some(header),
            b"mdat" => mdat_seen = true,
            _ => {}
        }
        if seen >= MAX_TOP_LEVEL_BOXES {
            break;
        }
        offset = header.end;
    }
    let Some(moov) = moov else {
        let reason = if mdat_seen {
            "no moov box: the file ends before its index (moov), or is an unfinished recording"
        } else {
            "no moov box, so this is not a playable MP4/MOV file"
        };
        return Err(reader.source.corrupt(reason));
    };
    // A short file's whole moov costs one read; a film's is walked through the window.
    if moov.body_len() <= SMALL_MOOV {
        reader.bytes(moov.body, moov.body_len(), moov.end)?;
    }
    let mut movie = Movie::default();
    match read_moov(&mut reader, &moov, &mut movie) {
        Ok(()) => {}
        Err(Walk::Fatal(err)) => return Err(err),
        Err(Walk::Malformed(reason)) => movie.warnings.push(reason),
    }
    if movie.tracks.is_empty() && movie.timescale == 0 {
        return Err(reader.source.corrupt("the moov box holds neither a movie header nor tracks"));
    }
    let mut details = StreamDetails {
        container: Some(ISOBMFF_FORMAT.to_owned()),
        title: movie.title.clone(),
        ..StreamDetails::default()
    };
    let mut first_video = true;
    for track in &movie.tracks {
        fill_stream(&mut reader, &movie, track, &mut details, &mut first_video)?;
    }
    details.duration_secs = container_duration(&movie, &details);
    if moov.clipped {
        let read = movie.tracks.len();
        details
            .warnings
            .push(format!("the file ends inside the moov box; {read} track{} read", if read == 1 { "" } else { "s" }));
    }
    details.warnings.extend(movie.warnings);
    Ok(details)
}

fn container_duration(movie: &Movie, details: &StreamDetails) -> Option<f64> {
    let movie_duration = movie.fragment_duration.filter(|duration| *duration > 0).unwrap_or(movie.duration);
    if movie_duration > 0
        && let Some(micros) = rescale(movie_duration, 1_000_000, u64::from(movie.timescale))
    {
        let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
        return text.parse().ok().filter(|seconds: &f64| *seconds > 0.0);
    }
    // Without a movie duration FFmpeg takes the longest audio or video stream.
    details.longest_stream()
}

/// The time scale and duration of an `mvhd` or `mdhd` body, which share their layout up to
/// there: version and flags, creation and modification times (32 or 64 bits by version), then
/// the two fields. `bytes` is left just after them (where `mdhd`'s language follows).
fn timescale_and_duration(bytes: &mut Bytes<'_>) -> Option<(u32, u64)> {
    if bytes.u8()? == 1 {
        bytes.skip(3 + 16)?;
        Some((bytes.u32()?, bytes.u64()?))
    } else {
        bytes.skip(3 + 8)?;
        Some((bytes.u32()?, u64::from(bytes.u32()?)))
    }
}

fn read_moov(reader: &mut Reader<'_>, moov: &BoxHeader, movie: &mut Movie) -> Result<(), Walk> {
    for child in reader.children(moov, 0)? {
        match &child.kind {
            b"mvhd" => {
                let body = reader.body(&child, 128)?;
                let parsed = timescale_and_duration(&mut Bytes::new(&body));
                match parsed {
                    Some((timescale, duration)) => {
                        movie.timescale = timescale;
                        movie.duration = duration;
                    }
                    None => movie.warnings.push("the movie header (mvhd) is cut short".to_owned()),
                }
            }
            b"trak" => {
                if movie.tracks.len() >= MAX_TRACKS {
                    movie.warnings.push(format!("more than {MAX_TRACKS} tracks; the rest were skipped"));
                    break;
                }
                let mut track = Track { index: movie.tracks.len(), ..Track::default() };
                if let Err(err) = read_trak(reader, &child, &mut track) {
                    match err {
                        Walk::Fatal(err) => return Err(Walk::Fatal(err)),
                        Walk::Malformed(reason) => movie.warnings.push(format!("track {}: {reason}", track.index)),
                    }
                }
                if child.clipped {
                    movie.warnings.push(format!("track {} is cut short", track.index));
                }
                movie.tracks.push(track);
            }
            b"mvex" => {
                for grandchild in reader.children(&child, 0)? {
                    if &grandchild.kind == b"mehd" {
                        let body = reader.body(&grandchild, 16)?;
                        let mut bytes = Bytes::new(&body);
                        let version = bytes.u8().unwrap_or(0);
                        bytes.skip(3);
                        let duration = if version == 1 { bytes.u64() } else { bytes.u32().map(u64::from) };
                        movie.fragment_duration = duration;
                    }
                }
            }
            b"udta" => {
                if let Some(title) = read_udta_title(reader, &child)? {
                    movie.title = Some(title);
                }
            }
            b"meta" => {
                if let Some(title) = read_meta_title(reader, &child)? {
                    movie.title = Some(title);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `©nam` in a `udta`: QuickTime's text form directly, or iTunes-style in `meta`/`ilst`.
fn read_udta_title(reader: &mut Reader<'_>, udta: &BoxHeader) -> Result<Option<String>, Walk> {
    let mut title = None;
    for child in reader.children(udta, 0)? {
        match &child.kind {
            b"\xa9nam" => {
                let body = reader.body(&child, SMALL_BOX_MAX)?;
                if let Some(text) = quicktime_text(&body) {
                    title = Some(text);
                }
            }
            b"meta" => {
                if let Some(text) = read_meta_title(reader, &child)? {
                    title = Some(text);
                }
            }
            _ => {}
        }
    }
    Ok(title)
}

/// `meta` is a full box in MP4 and a plain one in some QuickTime files: FFmpeg tells them apart
/// by whether a known box type follows.
fn read_meta_title(reader: &mut Reader<'_>, meta: &BoxHeader) -> Result<Option<String>, Walk> {
    let head = reader.bytes(meta.body, 8, meta.end)?;
    let plain = matches!(head.get(4..8), Some(b"hdlr" | b"ilst" | b"keys" | b"free"));
    let mut title = None;
    for child in reader.children(meta, if plain { 0 } else { 4 })? {
        if &child.kind != b"ilst" {
            continue;
        }
        for item in reader.children(&child, 0)? {
            if &item.kind != b"\xa9nam" {
                continue;
            }
            let body = reader.body(&item, SMALL_BOX_MAX)?;
            if let Some(text) = itunes_text(&body) {
                title = Some(text);
            }
        }
    }
    Ok(title)
}

/// The text of an iTunes metadata item: its `data` box with a text type.
fn itunes_text(item: &[u8]) -> Option<String> {
    let mut bytes = Bytes::new(item);
    let size = usize::try_from(bytes.u32()?).ok()?;
    if bytes.take(4)? != b"data" || size < 16 || size > item.len() {
        return None;
    }
    let data_type = bytes.u32()?;
    bytes.skip(4)?;
    let text = item.get(16..size)?;
    match data_type {
        // UTF-16BE.
        2 => {
            let units: Vec<u16> = text
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]))
                .collect();
            non_empty(Some(&String::from_utf16_lossy(&units)))
        }
        _ => non_empty(Some(&String::from_utf8_lossy(text))),
    }
}

/// QuickTime user-data text: a 16-bit length, a language code, then the text.
fn quicktime_text(body: &[u8]) -> Option<String> {
    // Some writers put an iTunes `data` box here too.
    if body.get(4..8) == Some(b"data") {
        return itunes_text(body);
    }
    let mut bytes = Bytes::new(body);
    let len = usize::from(bytes.u16()?);
    let _language = bytes.u16()?;
    let text = bytes.take(len).unwrap_or_else(|| bytes.rest());
    non_empty(Some(&String::from_utf8_lossy(text)))
}

fn read_trak(reader: &mut Reader<'_>, trak: &BoxHeader, track: &mut Track) -> Result<(), Walk> {
    for child in reader.children(trak, 0)? {
        match &child.kind {
            b"tkhd" => {
                let body = reader.body(&child, 128)?;
                let mut bytes = Bytes::new(&body);
                let version = bytes.u8().unwrap_or(0);
                let flags = bytes.take(3).map(|flags| flags.get(2).copied().unwrap_or(0)).unwrap_or(0);
                track.enabled = flags & 1 != 0;
                // Width and height are the last 8 bytes, 16.16 fixed point.
                let size_at = if version == 1 { 88 } else { 76 };
                let mut size = Bytes::new(body.get(size_at..).unwrap_or_default());
                if let (Some(width), Some(height)) = (size.u32(), size.u32()) {
                    track.tkhd_size = (width >> 16, height >> 16);
                }
            }
            b"edts" => {
                for elst in reader.children(&child, 0)? {
                    if &elst.kind == b"elst" {
                        read_elst(reader, &elst, track)?;
                    }
                }
            }
            b"mdia" => read_mdia(reader, &child, track)?,
            b"udta" => {
                if let Some(title) = read_udta_title(reader, &child)? {
                    track.title = Some(title);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_elst(reader: &mut Reader<'_>, elst: &BoxHeader, track: &mut Track) -> Result<(), Walk> {
    let head = reader.bytes(elst.body, 8, elst.end)?;
    let mut bytes = Bytes::new(&head);
    let version = bytes.u8().unwrap_or(0);
    bytes.skip(3);
    let count = u64::from(bytes.u32().unwrap_or(0)).min(MAX_EDITS);
    let entry = if version == 1 { 20 } else { 12 };
    let body = reader.bytes(elst.body + 8, count * entry, elst.end)?;
    track.edits = body
        .chunks_exact(entry as usize)
        .map(|chunk| {
            let mut entry = Bytes::new(chunk);
            if version == 1 { entry.u64().unwrap_or(0) } else { u64::from(entry.u32().unwrap_or(0)) }
        })
        .collect();
    Ok(())
}

fn read_mdia(reader: &mut Reader<'_>, mdia: &BoxHeader, track: &mut Track) -> Result<(), Walk> {
    for child in reader.children(mdia, 0)? {
        match &child.kind {
            b"mdhd" => {
                let body = reader.body(&child, 64)?;
                let mut bytes = Bytes::new(&body);
                if let Some((timescale, duration)) = timescale_and_duration(&mut bytes) {
                    track.timescale = timescale;
                    track.mdhd_duration = duration;
                }
                track.language = bytes.u16().and_then(mdhd_language);
            }
            b"hdlr" => {
                let body = reader.body(&child, 64)?;
                track.handler = body.get(8..12).and_then(|kind| kind.try_into().ok());
            }
            b"minf" => {
                for stbl in reader.children(&child, 0)? {
                    if &stbl.kind == b"stbl" {
                        read_stbl(reader, &stbl, track)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// FFmpeg's `ff_mov_lang_to_iso639`: packed ISO 639-2/T letters, or a Macintosh language code.
fn mdhd_language(code: u16) -> Option<String> {
    if code >= 0x400 && code != 0x7fff {
        let letters: String = [(code >> 10) & 0x1f, (code >> 5) & 0x1f, code & 0x1f]
            .iter()
            .map(|&bits| char::from(0x60 + bits as u8))
            .collect();
        return normalise_language(Some(&letters));
    }
    MAC_LANGUAGES.get(usize::from(code)).and_then(|name| normalise_language(Some(name)))
}

/// Macintosh language codes, as FFmpeg's `mov_mdhd_language_map` maps them.
#[rustfmt::skip]
const MAC_LANGUAGES: [&str; 139] = [
    "eng", "fra", "ger", "ita", "dut", "sve", "spa", "dan", "por", "nor",
    "heb", "jpn", "ara", "fin", "gre", "ice", "mlt", "tur", "hr ", "chi",
    "urd", "hin", "tha", "kor", "lit", "pol", "hun", "est", "lav", "",
    "fo ", "", "rus", "chi", "", "iri", "alb", "ron", "ces", "slk",
    "slv", "yid", "sr ", "mac", "bul", "ukr", "bel", "uzb", "kaz", "aze",
    "aze", "arm", "geo", "mol", "kir", "tgk", "tuk", "mon", "", "pus",
    "kur", "kas", "snd", "tib", "nep", "san", "mar", "ben", "asm", "guj",
    "pa ", "ori", "mal", "kan", "tam", "tel", "", "bur", "khm", "lao",
    "vie", "ind", "tgl", "may", "may", "amh", "tir", "orm", "som", "swa",
    "", "run", "", "mlg", "epo", "", "", "", "", "",
    "", "", "", "", "", "", "", "", "", "",
    "", "", "", "", "", "", "", "", "", "",
    "", "", "", "", "", "", "", "", "wel", "baq",
    "cat", "lat", "que", "grn", "aym", "tat", "uig", "dzo", "jav",
];

fn read_stbl(reader: &mut Reader<'_>, stbl: &BoxHeader, track: &mut Track) -> Result<(), Walk> {
    for child in reader.children(stbl, 0)? {
        match &child.kind {
            b"stsd" => {
                let body = reader.body(&child, SMALL_BOX_MAX)?;
                track.entry = body.get(8..).and_then(read_sample_entry);
            }
            b"stts" => track.stts = read_stts(reader, &child)?,
            b"stco" | b"co64" => {
                let head = reader.bytes(child.body, 16, child.end)?;
                let mut bytes = Bytes::new(&head);
                bytes.skip(4);
                if bytes.u32().unwrap_or(0) > 0 {
                    track.first_chunk = if &child.kind == b"co64" { bytes.u64() } else { bytes.u32().map(u64::from) };
                }
            }
            b"stsz" => {
                let head = reader.bytes(child.body, 16, child.end)?;
                let mut bytes = Bytes::new(&head);
                bytes.skip(4);
                let constant = bytes.u32().unwrap_or(0);
                let count = bytes.u32().unwrap_or(0);
                if count > 0 {
                    track.first_sample_size =
                        if constant != 0 { Some(u64::from(constant)) } else { bytes.u32().map(u64::from) };
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_stts(reader: &mut Reader<'_>, stts: &BoxHeader) -> Result<Option<Stts>, Walk> {
    if stts.body_len() > STTS_MAX {
        return Ok(None);
    }
    let body = reader.body(stts, STTS_MAX)?;
    let mut bytes = Bytes::new(&body);
    bytes.skip(4);
    let Some(entries) = bytes.u32() else { return Ok(None) };
    let mut summary = Stts { entries, ..Stts::default() };
    for index in 0..entries {
        let (Some(count), Some(delta)) = (bytes.u32(), bytes.u32()) else { break };
        if index == 0 {
            summary.first_delta = delta;
        } else if index == 1 {
            summary.second_count = Some(count);
        }
        summary.samples = summary.samples.saturating_add(u64::from(count));
        summary.duration = summary.duration.saturating_add(u64::from(count) * u64::from(delta));
    }
    Ok(Some(summary))
}

/// Parses the first sample description of an `stsd` (the bytes after its entry count).
fn read_sample_entry(entries: &[u8]) -> Option<SampleEntry> {
    let mut bytes = Bytes::new(entries);
    let size = usize::try_from(bytes.u32()?).ok()?;
    let format: [u8; 4] = bytes.take(4)?.try_into().ok()?;
    let entry = entries.get(8..size.clamp(8, entries.len()))?;
    let mut sample = SampleEntry { format, ..SampleEntry::default() };
    let mut fields = Bytes::new(entry);
    fields.skip(8)?;
    let children_at = if is_audio_format(&format) {
        let version = fields.u16()?;
        fields.skip(6)?;
        sample.channels = fields.u16()?;
        sample.sample_size = fields.u16()?;
        fields.skip(4)?;
        sample.sample_rate = fields.u32()? >> 16;
        match version {
            1 => 28 + 16,
            2 => {
                fields.skip(4)?;
                let rate = f64::from_bits(fields.u64()?);
                sample.channels = u16::try_from(fields.u32()?).unwrap_or(0);
                fields.skip(4)?;
                sample.sample_size = u16::try_from(fields.u32()?).unwrap_or(0);
                sample.lpcm_flags = fields.u32();
                if rate.is_finite() && rate > 0.0 && rate < f64::from(u32::MAX) {
                    sample.sample_rate = rate as u32;
                }
                28 + 36
            }
            _ => 28,
        }
    } else if matches!(&format, b"tx3g") {
        8 + 38
    } else if matches!(&format, b"text") {
        // QuickTime text: display flags, justification, colours, box, font… then the font name.
        8 + 51
    } else if is_subtitle_format(&format) {
        8
    } else {
        fields.skip(16)?;
        sample.width = fields.u16()?;
        sample.height = fields.u16()?;
        78
    };
    let mut offset: usize = children_at;
    let mut seen = 0;
    while let Some(head) = entry.get(offset..offset.checked_add(8)?) {
        let mut header = Bytes::new(head);
        let child_size = usize::try_from(header.u32()?).ok()?;
        let kind: [u8; 4] = header.take(4)?.try_into().ok()?;
        if child_size < 8 {
            break;
        }
        let end = offset.checked_add(child_size)?.min(entry.len());
        let body = entry.get(offset + 8..end).unwrap_or_default();
        read_entry_child(&mut sample, &kind, body);
        offset = end;
        seen += 1;
        if seen >= MAX_CHILDREN {
            break;
        }
    }
    Some(sample)
}

fn read_entry_child(sample: &mut SampleEntry, kind: &[u8; 4], body: &[u8]) {
    match kind {
        b"avcC" => {
            sample.nal_length_size = body.get(4).map(|byte| (byte & 3) + 1);
            sample.config = Some(body.to_vec());
        }
        b"hvcC" => {
            sample.nal_length_size = body.get(21).map(|byte| (byte & 3) + 1);
            sample.config = Some(body.to_vec());
        }
        b"av1C" | b"vpcC" | b"dac3" | b"dec3" | b"dmlp" | b"ddts" => sample.config = Some(body.to_vec()),
        b"dvcC" | b"dvvC" | b"dvwC" => sample.dolby_vision = codec::dolby_vision_record(body).or(sample.dolby_vision),
        b"dOps" => sample.config = opus_head(body),
        b"dfLa" => {
            let mut header = b"fLaC".to_vec();
            header.extend_from_slice(body.get(4..).unwrap_or_default());
            sample.config = Some(header);
        }
        b"esds" => {
            if let Some((object_type, specific)) = parse_esds(body) {
                sample.object_type = Some(object_type);
                if let Some(specific) = specific {
                    sample.config = Some(specific.to_vec());
                }
            }
        }
        b"wave" => {
            // QuickTime wraps `esds` (and `enda`) in a `wave` box.
            let mut offset = 0usize;
            while let Some(head) = body.get(offset..offset.saturating_add(8)) {
                let size = usize::try_from(u32::from_be_bytes([head[0], head[1], head[2], head[3]])).unwrap_or(0);
                let Ok(inner) = <[u8; 4]>::try_from(&head[4..8]) else { break };
                if size < 8 {
                    break;
                }
                let end = offset.saturating_add(size).min(body.len());
                if inner != *b"wave" {
                    read_entry_child(sample, &inner, body.get(offset + 8..end).unwrap_or_default());
                }
                offset = end;
            }
        }
        b"enda" => sample.little_endian = body.get(..2).is_some_and(|flag| flag != [0, 0]),
        b"colr" => {
            let mut bytes = Bytes::new(body);
            if let Some(b"nclx" | b"nclc") = bytes.take(4)
                && let (Some(primaries), Some(transfer)) = (bytes.u16(), bytes.u16())
            {
                sample.colr = Some((u64::from(primaries), u64::from(transfer)));
            }
        }
        b"mdcv" | b"SmDm" => sample.mastering_display = true,
        b"clli" | b"CoLL" => sample.content_light_level = true,
        b"fiel" => sample.field_order = fiel_order(body),
        b"st3d" => {
            sample.stereo_mode = match body.get(4) {
                Some(1) => Some("top and bottom"),
                Some(2) => Some("side by side"),
                _ => None,
            }
        }
        _ => {}
    }
}

/// MOV `fiel`, as FFmpeg's `mov_read_fiel` maps it.
fn fiel_order(body: &[u8]) -> Option<&'static str> {
    let (&fields, &detail) = (body.first()?, body.get(1)?);
    match (fields, detail) {
        (1, _) => Some("progressive"),
        (2, 0x01) => Some("tt"),
        (2, 0x06) => Some("bb"),
        (2, 0x09) => Some("tb"),
        (2, 0x0e) => Some("bt"),
        _ => None,
    }
}

/// Rewrites an MP4 `dOps` as the `OpusHead` Matroska and Ogg carry (what FFmpeg's
/// `mov_read_dops` does), so the codec module sees one format.
fn opus_head(body: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = Bytes::new(body);
    let _version = bytes.u8()?;
    let channels = bytes.u8()?;
    let pre_skip = bytes.u16()?;
    let rate = bytes.u32()?;
    let gain = bytes.u16()?;
    let family = bytes.u8()?;
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(channels);
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&rate.to_le_bytes());
    head.extend_from_slice(&gain.to_le_bytes());
    head.push(family);
    head.extend_from_slice(bytes.rest());
    Some(head)
}

/// The `objectTypeIndication` and DecoderSpecificInfo of an `esds` body.
fn parse_esds(body: &[u8]) -> Option<(u8, Option<&[u8]>)> {
    let mut bytes = Bytes::new(body);
    bytes.skip(4)?;
    let (tag, _) = descriptor(&mut bytes)?;
    if tag == 0x03 {
        bytes.skip(2)?;
        let flags = bytes.u8()?;
        if flags & 0x80 != 0 {
            bytes.skip(2)?;
        }
        if flags & 0x40 != 0 {
            let len = bytes.u8()?;
            bytes.skip(usize::from(len))?;
        }
        if flags & 0x20 != 0 {
            bytes.skip(2)?;
        }
        let (tag, _) = descriptor(&mut bytes)?;
        if tag != 0x04 {
            return None;
        }
    } else if tag != 0x04 {
        return None;
    }
    let object_type = bytes.u8()?;
    bytes.skip(12)?;
    let specific = match descriptor(&mut bytes) {
        Some((0x05, len)) => bytes.take(len).or_else(|| Some(bytes.rest())),
        _ => None,
    };
    Some((object_type, specific))
}

/// A descriptor tag and its expandable length (up to four 7-bit groups).
fn descriptor(bytes: &mut Bytes<'_>) -> Option<(u8, usize)> {
    let tag = bytes.u8()?;
    let mut len = 0usize;
    for _ in 0..4 {
        let byte = bytes.u8()?;
        len = (len << 7) | usize::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            break;
        }
    }
    Some((tag, len))
}

fn is_audio_format(format: &[u8; 4]) -> bool {
    audio_codec(format).is_some()
}

fn is_subtitle_format(format: &[u8; 4]) -> bool {
    subtitle_codec(format).is_some()
}

/// FFmpeg's `ff_codec_movaudio_tags` (the common part).
fn audio_codec(format: &[u8; 4]) -> Option<AudioCodec> {
    Some(match format {
        b"mp4a" => AudioCodec::Aac,
        b"ac-3" | b"sac3" => AudioCodec::Ac3,
        b"ec-3" => AudioCodec::Eac3,
        b"mlpa" => AudioCodec::TrueHd,
        b"dtsc" | b"dtsh" | b"dtsl" | b"dtse" | b"dtsx" | b"DTS " => AudioCodec::Dts,
        b"fLaC" => AudioCodec::Flac,
        b"Opus" => AudioCodec::Opus,
        b"alac" => AudioCodec::Alac,
        b".mp3" | b"ms\0\x55" => AudioCodec::Mp3,
        b".mp2" | b"ms\0\x50" => AudioCodec::Mp2,
        b"samr" => AudioCodec::Other("amr_nb"),
        b"sawb" => AudioCodec::Other("amr_wb"),
        b"ulaw" => AudioCodec::Other("pcm_mulaw"),
        b"alaw" => AudioCodec::Other("pcm_alaw"),
        b"ima4" => AudioCodec::Other("adpcm_ima_qt"),
        b"QDM2" => AudioCodec::Other("qdm2"),
        b"QDMC" => AudioCodec::Other("qdmc"),
        b"Qclp" | b"Qclq" | b"sqcp" => AudioCodec::Other("qcelp"),
        b"spex" => AudioCodec::Other("speex"),
        b"mhm1" => AudioCodec::Other("mpegh_3d_audio"),
        b"vdva" | b"dvca" => AudioCodec::Other("dvaudio"),
        b"twos" => AudioCodec::Other("pcm_s16be"),
        b"sowt" => AudioCodec::Other("pcm_s16le"),
        b"raw " | b"NONE" => AudioCodec::Other("pcm_u8"),
        b"in24" => AudioCodec::Other("pcm_s24be"),
        b"in32" => AudioCodec::Other("pcm_s32be"),
        b"fl32" => AudioCodec::Other("pcm_f32be"),
        b"fl64" => AudioCodec::Other("pcm_f64be"),
        b"lpcm" => AudioCodec::Other("pcm_s16le"),
        _ => return None,
    })
}

/// The PCM codec name after the sample size and flags, as `mov_parse_stsd_audio` adjusts it.
fn pcm_codec(sample: &SampleEntry, codec: AudioCodec) -> AudioCodec {
    let bits = sample.sample_size;
    let AudioCodec::Other(name) = codec else { return codec };
    let name = match (&sample.format, name) {
        (b"lpcm", _) => {
            let flags = sample.lpcm_flags.unwrap_or(0);
            let (float, big, signed) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
            match (float, bits, big) {
                (true, 32, true) => "pcm_f32be",
                (true, 32, false) => "pcm_f32le",
                (true, 64, true) => "pcm_f64be",
                (true, 64, false) => "pcm_f64le",
                (false, 8, _) if signed => "pcm_s8",
                (false, 8, _) => "pcm_u8",
                (false, 16, true) => "pcm_s16be",
                (false, 16, false) => "pcm_s16le",
                (false, 24, true) => "pcm_s24be",
                (false, 24, false) => "pcm_s24le",
                (false, 32, true) => "pcm_s32be",
                (false, 32, false) => "pcm_s32le",
                _ => name,
            }
        }
        (_, "pcm_s16be" | "pcm_s16le") => match bits {
            8 => "pcm_s8",
            24 if name == "pcm_s16be" => "pcm_s24be",
            24 => "pcm_s24le",
            32 if name == "pcm_s16be" => "pcm_s32be",
            32 => "pcm_s32le",
            _ => name,
        },
        (_, "pcm_u8") if bits == 16 => "pcm_s16be",
        (_, "pcm_s24be") if sample.little_endian => "pcm_s24le",
        (_, "pcm_s32be") if sample.little_endian => "pcm_s32le",
        (_, "pcm_f32be") if sample.little_endian => "pcm_f32le",
        (_, "pcm_f64be") if sample.little_endian => "pcm_f64le",
        _ => name,
    };
    AudioCodec::Other(name)
}

/// FFmpeg's `ff_codec_movvideo_tags` and the common `ff_codec_bmp_tags` entries.
fn video_codec(format: &[u8; 4]) -> Option<VideoCodec> {
    Some(match format {
        b"avc1" | b"avc2" | b"avc3" | b"avc4" | b"dvav" | b"dva1" | b"AVin" | b"ai5p" | b"ai5q" | b"ai52" | b"ai53"
        | b"ai55" | b"ai56" | b"ai1p" | b"ai1q" | b"ai12" | b"ai13" | b"ai15" | b"ai16" | b"H264" | b"h264"
        | b"x264" => VideoCodec::H264,
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => VideoCodec::Hevc,
        b"av01" => VideoCodec::Av1,
        b"vp09" => VideoCodec::Vp9,
        b"vp08" => VideoCodec::Vp8,
        b"mp4v" | b"DIVX" | b"divx" | b"DX50" | b"XVID" | b"xvid" | b"FMP4" | b"fmp4" | b"3IV2" | b"M4S2" => {
            VideoCodec::Mpeg4
        }
        b"m1v1" | b"mp1v" | b"m1v " | b"mpeg" => VideoCodec::Mpeg1,
        b"m2v1" | b"mp2v" | b"hdv1" | b"hdv2" | b"hdv3" | b"hdv4" | b"hdv5" | b"hdv6" | b"hdv7" | b"hdv8" | b"hdv9"
        | b"hdva" | b"xdv1" | b"xdv2" | b"xdv3" | b"xdv4" | b"xdv5" | b"xdv6" | b"xdv7" | b"xdv8" | b"xdv9"
        | b"xdva" | b"xdvb" | b"xdvc" | b"xdvd" | b"xdve" | b"xdvf" | b"xd5a" | b"xd5b" | b"xd5c" | b"xd5d"
        | b"xd5e" | b"xd5f" | b"xd59" | b"xd54" | b"xd55" | b"mx5n" | b"mx5p" | b"mx4n" | b"mx4p" | b"mx3n"
        | b"mx3p" => VideoCodec::Mpeg2,
        b"vc-1" => VideoCodec::Vc1,
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => VideoCodec::Other("prores"),
        b"jpeg" | b"mjpa" | b"AVDJ" | b"dmb1" => VideoCodec::Other("mjpeg"),
        b"mjpb" => VideoCodec::Other("mjpegb"),
        b"dvc " | b"dvcp" | b"dvpp" | b"dv5n" | b"dv5p" | b"dvh2" | b"dvh3" | b"dvh5" | b"dvh6" | b"dvhq" | b"dvhp"
        | b"AVdv" | b"AVd1" => VideoCodec::Other("dvvideo"),
        b"png " | b"MNG " => VideoCodec::Other("png"),
        b"rle " => VideoCodec::Other("qtrle"),
        b"raw " | b"2vuy" | b"yuv2" | b"v210" | b"v410" => VideoCodec::Other("rawvideo"),
        b"cvid" => VideoCodec::Other("cinepak"),
        b"SVQ1" => VideoCodec::Other("svq1"),
        b"SVQ3" => VideoCodec::Other("svq3"),
        b"h263" | b"s263" | b"H263" => VideoCodec::Other("h263"),
        b"DNxH" | b"AVdn" | b"AVdh" => VideoCodec::Other("dnxhd"),
        b"icod" => VideoCodec::Other("aic"),
        b"hap1" | b"hap5" | b"hapy" => VideoCodec::Other("hap"),
        _ => return None,
    })
}

fn subtitle_codec(format: &[u8; 4]) -> Option<&'static str> {
    match format {
        b"tx3g" | b"text" => Some("mov_text"),
        b"c608" => Some("eia_608"),
        _ => None,
    }
}

/// The stream type and codec FFmpeg's `mov_codec_id` settles on.
#[derive(Debug, Clone, Copy)]
enum Codec {
    Video(VideoCodec),
    Audio(AudioCodec),
    Subtitle(&'static str),
}

fn classify(track: &Track, sample: &SampleEntry) -> Option<Codec> {
    let kind = match track.handler.as_ref() {
        Some(b"vide") => Kind::Video,
        Some(b"soun") => Kind::Audio,
        Some(b"subp" | b"clcp") => Kind::Subtitle,
        _ => Kind::Data,
    };
    if kind != Kind::Video
        && let Some(codec) = audio_codec(&sample.format)
    {
        let codec = match (codec, sample.object_type) {
            (AudioCodec::Aac, Some(object_type)) => match object_type {
                0x40 | 0x66 | 0x67 | 0x68 => AudioCodec::Aac,
                0x69 | 0x6b => AudioCodec::Mp3,
                0xa5 => AudioCodec::Ac3,
                0xa6 => AudioCodec::Eac3,
                0xa9..=0xac => AudioCodec::Dts,
                0xad => AudioCodec::Opus,
                0xdd => AudioCodec::Vorbis,
                0xe1 => AudioCodec::Other("qcelp"),
                _ => AudioCodec::Aac,
            },
            (codec, _) => pcm_codec(sample, codec),
        };
        return Some(Codec::Audio(codec));
    }
    if kind != Kind::Audio && &sample.format != b"mp4s" && sample.format != [0; 4] {
        if let Some(codec) = video_codec(&sample.format) {
            let codec = match (codec, sample.object_type) {
                (VideoCodec::Mpeg4, Some(0x60..=0x65)) => VideoCodec::Mpeg2,
                (VideoCodec::Mpeg4, Some(0x6a)) => VideoCodec::Mpeg1,
                (VideoCodec::Mpeg4, Some(0x6c)) => VideoCodec::Other("mjpeg"),
                (VideoCodec::Mpeg4, Some(0x21)) => VideoCodec::H264,
                (VideoCodec::Mpeg4, Some(0x23)) => VideoCodec::Hevc,
                (VideoCodec::Mpeg4, Some(0xa3)) => VideoCodec::Vc1,
                (codec, _) => codec,
            };
            return Some(Codec::Video(codec));
        }
        if matches!(kind, Kind::Data | Kind::Subtitle)
            && let Some(codec) = subtitle_codec(&sample.format)
        {
            return Some(Codec::Subtitle(codec));
        }
    }
    None
}

/// The track's duration in its own time scale, as FFmpeg leaves `st->duration`.
fn track_duration(movie: &Movie, track: &Track) -> u64 {
    let mut duration = track.mdhd_duration;
    if let Some(stts) = track.stts
        && stts.duration > 0
    {
        duration = duration.min(stts.duration);
    }
    if !track.edits.is_empty() && movie.timescale > 0 {
        let edited = track.edits.iter().fold(0u64, |sum, &edit| {
            sum.saturating_add(
                rescale(edit, u64::from(track.timescale), u64::from(movie.timescale)).unwrap_or(u64::MAX),
            )
        });
        duration = duration.min(edited);
    }
    duration
}

/// The average frame rate (`avg_frame_rate`), else the base rate when `stts` has one delta.
fn frame_rate(track: &Track) -> Option<f64> {
    let stts = track.stts?;
    let timescale = u64::from(track.timescale);
    if stts.samples > 0
        && stts.duration > 0
        && let Some((num, den)) = reduce(timescale.saturating_mul(stts.samples), stts.duration, i32::MAX as u64)
    {
        return Some(num as f64 / den as f64);
    }
    if (stts.entries == 1 || (stts.entries == 2 && stts.second_count == Some(1)))
        && let Some((num, den)) = reduce(timescale, u64::from(stts.first_delta), i32::MAX as u64)
    {
        return Some(num as f64 / den as f64);
    }
    None
}

/// The first sample of a track, at most `max` bytes of it.
fn first_sample(reader: &mut Reader<'_>, track: &Track, max: u64) -> Result<Option<Vec<u8>>, ProbeError> {
    let (Some(offset), Some(size)) = (track.first_chunk, track.first_sample_size) else { return Ok(None) };
    if size == 0 {
        return Ok(None);
    }
    let bytes = reader.source.read_at(offset, usize::try_from(size.min(max)).unwrap_or(0))?;
    Ok((!bytes.is_empty()).then_some(bytes))
}

/// The first video sample, at most [`FIRST_VIDEO_PACKET_MAX`] bytes of it: the parameter sets
/// and SEI lead an access unit, and `crate::codec` reads a cut last NAL unit as far as it goes.
fn first_video_sample(reader: &mut Reader<'_>, track: &Track) -> Result<Option<Vec<u8>>, ProbeError> {
    first_sample(reader, track, FIRST_VIDEO_PACKET_MAX)
}

fn fill_stream(
    reader: &mut Reader<'_>,
    movie: &Movie,
    track: &Track,
    details: &mut StreamDetails,
    first_video: &mut bool,
) -> Result<(), ProbeError> {
    let Some(sample) = track.entry.as_ref() else { return Ok(()) };
    let Some(codec) = classify(track, sample) else { return Ok(()) };
    let duration = track_duration(movie, track);
    match codec {
        Codec::Video(codec) => {
            let config = sample.config.as_deref();
            let mut bitstream = codec::video_bitstream(codec, config, None);
            // The field order of interlaced H.264 and MPEG-2 is in the first picture, and a
            // track without a configuration record has its parameter sets in band.
            let mut packet = None;
            if bitstream.field_order.is_none() || bitstream.pix_fmt.is_none() {
                packet = first_video_sample(reader, track)?;
                if let Some(packet) = packet.as_deref() {
                    bitstream = codec::video_bitstream(codec, config, Some(packet));
                }
            }
            let color_primaries = bitstream
                .color_primaries
                .clone()
                .or_else(|| sample.colr.and_then(|(primaries, _)| codec::primaries_name(primaries)).map(str::to_owned));
            let color_transfer = bitstream
                .color_transfer
                .clone()
                .or_else(|| sample.colr.and_then(|(_, transfer)| codec::transfer_name(transfer)).map(str::to_owned));
            let bit_depth = bitstream.pix_fmt.as_deref().and_then(bit_depth_from_pix_fmt);
            let mut signals = HdrSignals {
                bit_depth,
                color_primaries: color_primaries.clone(),
                color_transfer: color_transfer.clone(),
                dovi_compatibility: sample.dolby_vision.map(|record| record.compatibility),
                mastering_display: sample.mastering_display,
                content_light_level: sample.content_light_level,
                hdr10_plus: false,
            };
            // ffprobe looks at the first frame of the first video stream only, and only when
            // the stream's own side data leaves the HDR type open; SEI in the configuration
            // record reaches it through that frame too.
            if std::mem::take(first_video) && signals.needs_frame_side_data() {
                if packet.is_none() {
                    packet = first_video_sample(reader, track)?;
                    bitstream = codec::video_bitstream(codec, config, packet.as_deref());
                }
                signals.mastering_display |= bitstream.sei.mastering_display;
                signals.content_light_level |= bitstream.sei.content_light_level;
                signals.hdr10_plus |= bitstream.sei.hdr10_plus;
            }
            let (mut width, mut height) = (u32::from(sample.width), u32::from(sample.height));
            if width == 0 || height == 0 {
                (width, height) = track.tkhd_size;
            }
            details.video.push(VideoStream {
                index: track.index,
                codec: codec.ffmpeg_name().to_owned(),
                profile: bitstream.profile.clone(),
                width,
                height,
                frame_rate: frame_rate(track),
                bit_depth,
                pix_fmt: bitstream.pix_fmt.clone(),
                color_transfer,
                color_primaries,
                hdr: signals.classify(),
                duration_secs: stream_seconds(duration, track.timescale),
                default: track.enabled,
                field_order: bitstream.field_order.clone().or_else(|| sample.field_order.map(str::to_owned)),
                stereo_mode: sample.stereo_mode.map(str::to_owned),
                dolby_vision: sample.dolby_vision,
            });
        }
        Codec::Audio(codec) => {
            let config = sample.config.as_deref();
            let needs_packet = config.is_none() && codec.described_by_frames()
                || matches!(codec, AudioCodec::Dts | AudioCodec::TrueHd);
            let packet = if needs_packet { first_sample(reader, track, FIRST_AUDIO_PACKET_MAX)? } else { None };
            let bitstream = codec::audio_bitstream(codec, config, packet.as_deref());
            let codec = bitstream.codec.unwrap_or(codec);
            let channels = bitstream.channels.or(Some(u32::from(sample.channels))).filter(|channels| *channels > 0);
            let channel_layout = bitstream.channel_layout.clone().or_else(|| match channels {
                Some(1) => channel_layout_name(0x4).map(str::to_owned),
                Some(2) => channel_layout_name(0x3).map(str::to_owned),
                _ => None,
            });
            let sample_rate = bitstream
                .sample_rate
                .or(Some(sample.sample_rate).filter(|rate| *rate > 0))
                .or(Some(track.timescale).filter(|rate| *rate > 1));
            details.audio.push(AudioStream {
                index: track.index,
                codec: codec.ffmpeg_name().to_owned(),
                profile: bitstream.profile,
                channels,
                channel_layout,
                sample_rate,
                language: track.language.clone(),
                title: track.title.clone(),
                duration_secs: stream_seconds(duration, track.timescale),
                default: track.enabled,
                forced: false,
            });
        }
        Codec::Subtitle(codec) => details.subtitles.push(SubtitleStream {
            index: track.index,
            codec: codec.to_owned(),
            language: track.language.clone(),
            title: track.title.clone(),
            forced: false,
            default: track.enabled,
            hearing_impaired: false,
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_unpack_like_ffmpeg() {
        // "eng" packed as 5-bit letters.
        assert_eq!(mdhd_language(0x15c7).as_deref(), Some("eng"));
        assert_eq!(mdhd_language(0x55c4).as_deref(), None, "und");
        assert_eq!(mdhd_language(0).as_deref(), Some("eng"), "Macintosh code 0 is English");
        assert_eq!(mdhd_language(2).as_deref(), Some("ger"));
        assert_eq!(mdhd_language(0x7fff), None);
        assert_eq!(mdhd_language(500), None);
    }

    #[test]
    fn durations_round_like_ffmpeg() {
        assert_eq!(rescale(1005, 44_100, 1000), Some(44_321));
        assert_eq!(stream_seconds(202_816, 19_200), Some(10.563333));
        assert_eq!(stream_seconds(0, 19_200), None);
        assert_eq!(stream_seconds(5, 0), None);
    }

    #[test]
    fn esds_gives_object_type_and_specific_info() {
        let esds = [
            0, 0, 0, 0, 0x03, 0x80, 0x80, 0x80, 0x22, 0, 2, 0, 0x04, 0x80, 0x80, 0x80, 0x14, 0x40, 0x15, 0, 0, 0, 0, 1,
            0xea, 0x45, 0, 1, 0xea, 0x45, 0x05, 0x80, 0x80, 0x80, 0x02, 0x12, 0x10, 0x06,
        ];
        let (object_type, specific) = parse_esds(&esds).expect("valid esds");
        assert_eq!(object_type, 0x40);
        assert_eq!(specific, Some(&[0x12, 0x10][..]));
        assert_eq!(parse_esds(&esds[..10]), None);
    }

    #[test]
    fn fiel_maps_like_mov_read_fiel() {
        assert_eq!(fiel_order(&[1, 0]), Some("progressive"));
        assert_eq!(fiel_order(&[2, 1]), Some("tt"));
        assert_eq!(fiel_order(&[2, 6]), Some("bb"));
        assert_eq!(fiel_order(&[2, 2]), None);
        assert_eq!(fiel_order(&[]), None);
    }
}
