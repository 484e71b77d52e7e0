//! The Matroska/WebM reader: EBML header, segment info, tracks and tags, and the first blocks.
//!
//! Hand-written rather than built on `matroska-demuxer` (or another EBML crate) because those
//! load whole level-1 elements, Cues included, into memory and know neither
//! `BlockAdditionMapping` nor `FlagHearingImpaired`; a Matroska header needs only a small EBML
//! element reader, kept here. The reader follows FFmpeg 5.1's `matroskadec.c` wherever ffprobe's
//! output depends on it: the linear walk of the segment stops at the first Cluster and the
//! SeekHead is followed for Info, Tracks and Tags found only after the clusters; element
//! defaults are FFmpeg's (`FlagDefault` 1, `Language` `eng`, `Channels` 1, sampling frequency
//! 8000 Hz); a track is numbered like ffprobe numbers streams (tracks of unknown type or without
//! a `CodecID` get no number; tracks of an unknown codec do, but are left out); tags override
//! `Name` and `Language` the way `matroska_convert_tags` does; the container duration is
//! truncated to microseconds as `AVFormatContext.duration` is.
//!
//! Bounds: every size field is untrusted. Level-1 elements are read whole only up to
//! [`MAX_ELEMENT`] (a larger Tracks or Tags element is read in part, with a warning); Cues,
//! Chapters and Attachments are skipped by offset; of the first clusters only block headers and
//! the first few KiB of the first block of each track that needs one are read; loops over
//! elements are counted; the walk never recurses, so nesting depth cannot grow the stack.

use std::collections::HashMap;

use crate::codec::{self, AudioCodec, VideoCodec};
use crate::error::ProbeError;
use crate::hdr::HdrSignals;
use crate::model::{
    AudioStream, StreamDetails, SubtitleStream, VideoStream, bit_depth_from_pix_fmt, non_empty, normalise_language,
    parse_clock_duration,
};
use crate::native::{MATROSKA_FORMAT, Source, rational};

// Element IDs, with their length marker, as the Matroska specification lists them.
const EBML_HEADER: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TITLE: u32 = 0x7BA9;
const MUXING_APP: u32 = 0x4D80;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_UID: u32 = 0x73C5;
const TRACK_TYPE: u32 = 0x83;
const FLAG_DEFAULT: u32 = 0x88;
const FLAG_FORCED: u32 = 0x55AA;
const FLAG_HEARING_IMPAIRED: u32 = 0x55AB;
const DEFAULT_DURATION: u32 = 0x23_E383;
const NAME: u32 = 0x536E;
const LANGUAGE: u32 = 0x22_B59C;
const LANGUAGE_BCP47: u32 = 0x22_B59D;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const BLOCK_ADDITION_MAPPING: u32 = 0x41E4;
const BLOCK_ADD_ID_TYPE: u32 = 0x41E7;
const BLOCK_ADD_ID_EXTRA_DATA: u32 = 0x41ED;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const FLAG_INTERLACED: u32 = 0x9A;
const FIELD_ORDER: u32 = 0x9D;
const STEREO_MODE: u32 = 0x53B8;
const FRAME_RATE: u32 = 0x23_83E3;
const COLOUR: u32 = 0x55B0;
const BITS_PER_CHANNEL: u32 = 0x55B2;
const TRANSFER_CHARACTERISTICS: u32 = 0x55BA;
const PRIMARIES: u32 = 0x55BB;
const MAX_CLL: u32 = 0x55BC;
const MAX_FALL: u32 = 0x55BD;
const MASTERING_METADATA: u32 = 0x55D0;
const LUMINANCE_MAX: u32 = 0x55D9;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const OUTPUT_SAMPLING_FREQUENCY: u32 = 0x78B5;
const CHANNELS: u32 = 0x9F;
const BIT_DEPTH: u32 = 0x6264;
const CONTENT_ENCODINGS: u32 = 0x6D80;
const CONTENT_ENCODING: u32 = 0x6240;
const CONTENT_ENCODING_SCOPE: u32 = 0x5032;
const CONTENT_ENCODING_TYPE: u32 = 0x5033;
const CONTENT_COMPRESSION: u32 = 0x5034;
const CONTENT_COMP_ALGO: u32 = 0x4254;
const CONTENT_COMP_SETTINGS: u32 = 0x4255;
const TAGS: u32 = 0x1254_C367;
const TAG: u32 = 0x7373;
const TARGETS: u32 = 0x63C0;
const TARGET_TYPE: u32 = 0x63CA;
const TAG_TRACK_UID: u32 = 0x63C5;
const TAG_CHAPTER_UID: u32 = 0x63C4;
const TAG_ATTACHMENT_UID: u32 = 0x63C6;
const SIMPLE_TAG: u32 = 0x67C8;
const TAG_NAME: u32 = 0x45A3;
const TAG_LANGUAGE: u32 = 0x447A;
const TAG_DEFAULT: u32 = 0x4484;
const TAG_STRING: u32 = 0x4487;
const CLUSTER: u32 = 0x1F43_B675;
const CUES: u32 = 0x1C53_BB6B;
const CHAPTERS: u32 = 0x1043_A770;
const ATTACHMENTS: u32 = 0x1941_A469;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;

/// Track types (`TrackType`).
const TYPE_VIDEO: u64 = 1;
const TYPE_AUDIO: u64 = 2;
const TYPE_SUBTITLE: u64 = 0x11;
const TYPE_METADATA: u64 = 0x21;

/// Bytes read at once; a Matroska header (EBML head, SeekHead, Info, Tracks) usually fits.
const CHUNK: usize = 16 * 1024;
/// Extra bytes read after a window, more than the longest element header (4 + 8 bytes).
const HEADER_SLACK: usize = 32;
/// Largest level-1 element read whole; real Tracks and Tags elements are a few KiB.
const MAX_ELEMENT: u64 = 4 * 1024 * 1024;
/// Bytes of a block read for the codec parsers: parameter sets, SEI and frame headers.
const BLOCK_PREFIX: usize = 16 * 1024;
/// Level-1 elements looked at before the first cluster.
const MAX_TOP_LEVEL: usize = 256;
/// Children looked at inside one master element.
const MAX_CHILDREN: usize = 4096;
/// Blocks looked at, over the first clusters, for the first frames.
const MAX_BLOCKS: usize = 96;
/// Clusters looked at for the first frames.
const MAX_CLUSTERS: usize = 4;
/// SeekHeads followed (one SeekHead may point to another).
const MAX_SEEK_HEADS: usize = 4;

/// Reads a Matroska or WebM file's stream details.
pub(crate) fn read(source: &mut Source) -> Result<StreamDetails, ProbeError> {
    let mut reader = Reader { source, window: Vec::new(), window_start: 0 };
    let mut file = parse(&mut reader)?;
    read_first_frames(&mut reader, &mut file)?;
    Ok(build(file))
}

// ---------------------------------------------------------------------------------------------
// Reading bytes

/// Positioned reads through one cached window, so walking neighbouring elements costs one read.
struct Reader<'s> {
    source: &'s mut Source,
    window: Vec<u8>,
    window_start: u64,
}

impl Reader<'_> {
    fn len(&self) -> u64 {
        self.source.len()
    }

    /// Up to `len` bytes at `offset`; fewer at the end of the file.
    fn bytes(&mut self, offset: u64, len: usize) -> Result<&[u8], ProbeError> {
        let end = offset.saturating_add(len as u64).min(self.len());
        let window_end = self.window_start.saturating_add(self.window.len() as u64);
        if offset < self.window_start || end > window_end {
            // The slack lets a block's first KiB be served from the read that found its header.
            self.window = self.source.read_at(offset, len.max(CHUNK).saturating_add(HEADER_SLACK))?;
            self.window_start = offset;
        }
        let start = usize::try_from(offset.saturating_sub(self.window_start)).unwrap_or(usize::MAX);
        let stop = usize::try_from(end.saturating_sub(self.window_start)).unwrap_or(usize::MAX);
        Ok(self.window.get(start..stop.max(start)).unwrap_or(&[]))
    }

    /// The header of the element at `offset`; `None` when it cannot be read there.
    fn header(&mut self, offset: u64) -> Result<Option<Header>, ProbeError> {
        let bytes = self.bytes(offset, 12)?;
        let mut pos = 0;
        let Some(id) = read_id(bytes, &mut pos) else { return Ok(None) };
        let Some(size) = read_size(bytes, &mut pos) else { return Ok(None) };
        Ok(Some(Header { id, size, data_start: offset + pos as u64 }))
    }
}

/// An element header in the file.
#[derive(Debug, Clone, Copy)]
struct Header {
    id: u32,
    /// `None` for an unknown size (live streams).
    size: Option<u64>,
    data_start: u64,
}

impl Header {
    /// The end of the element's data, clamped to `limit` (its parent's end or the file's).
    fn end(&self, limit: u64) -> u64 {
        self.size.map_or(limit, |size| self.data_start.saturating_add(size).min(limit))
    }
}

/// Reads an element ID (length marker kept); IDs are at most four bytes.
fn read_id(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let first = *bytes.get(*pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 {
        return None;
    }
    let mut id = 0u32;
    for offset in 0..len {
        id = (id << 8) | u32::from(*bytes.get(pos.checked_add(offset)?)?);
    }
    *pos += len;
    Some(id)
}

/// Reads a size field (length marker removed); `Some(None)` for the all-ones unknown size.
#[allow(clippy::option_option, reason = "absent field versus a field saying 'unknown size'")]
fn read_size(bytes: &[u8], pos: &mut usize) -> Option<Option<u64>> {
    let first = *bytes.get(*pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mask = if len == 8 { 0 } else { 0xffu8 >> len };
    let mut value = u64::from(first & mask);
    let mut all_ones = first & mask == mask;
    for offset in 1..len {
        let byte = *bytes.get(pos.checked_add(offset)?)?;
        all_ones &= byte == 0xff;
        value = (value << 8) | u64::from(byte);
    }
    *pos += len;
    Some((!all_ones).then_some(value))
}

/// The children of a master element held in memory. A child that claims more than its parent
/// holds is cut at the parent's end and the walk marks itself truncated.
struct Children<'a> {
    data: &'a [u8],
    pos: usize,
    count: usize,
    truncated: bool,
}

fn children(data: &[u8]) -> Children<'_> {
    Children { data, pos: 0, count: 0, truncated: false }
}

impl<'a> Iterator for Children<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() || self.count >= MAX_CHILDREN {
            return None;
        }
        self.count += 1;
        let mut pos = self.pos;
        let (Some(id), Some(size)) = (read_id(self.data, &mut pos), read_size(self.data, &mut pos)) else {
            self.truncated = true;
            self.pos = self.data.len();
            return None;
        };
        let available = self.data.len() - pos;
        let len = match size.and_then(|size| usize::try_from(size).ok()) {
            Some(size) if size <= available => size,
            Some(_) => {
                self.truncated = true;
                available
            }
            // An unknown size inside a master read whole runs to the parent's end.
            None => available,
        };
        self.pos = pos + len;
        Some((id, &self.data[pos..pos + len]))
    }
}

fn uint(data: &[u8]) -> Option<u64> {
    if data.len() > 8 {
        return None;
    }
    Some(data.iter().fold(0u64, |value, byte| (value << 8) | u64::from(*byte)))
}

fn float(data: &[u8]) -> Option<f64> {
    match data.len() {
        0 => Some(0.0),
        4 => Some(f64::from(f32::from_be_bytes(data.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(data.try_into().ok()?)),
        _ => None,
    }
}

/// A string element: UTF-8 up to the first NUL, as FFmpeg reads it.
fn string(data: &[u8]) -> String {
    let end = data.iter().position(|byte| *byte == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// The segment

/// What the header elements say, before the streams are built.
#[derive(Debug, Default)]
struct File {
    timestamp_scale: Option<u64>,
    duration: Option<f64>,
    title: Option<String>,
    muxing_app: Option<String>,
    tracks: Vec<Track>,
    tags: Vec<Tag>,
    /// Where the first cluster starts, for the first frames.
    first_cluster: Option<u64>,
    segment_end: u64,
    /// The segment claims more bytes than the file holds.
    truncated: bool,
    warnings: Vec<String>,
}

/// One `TrackEntry`, with FFmpeg's defaults for what it leaves out.
#[derive(Debug, Clone)]
struct Track {
    number: u64,
    uid: u64,
    kind: u64,
    codec_id: Option<String>,
    codec_private: Option<Vec<u8>>,
    name: Option<String>,
    language: Option<String>,
    language_bcp47: Option<String>,
    flag_default: bool,
    flag_forced: bool,
    flag_hearing_impaired: bool,
    default_duration: Option<u64>,
    frame_rate: Option<f64>,
    width: u32,
    height: u32,
    flag_interlaced: u64,
    field_order: u64,
    stereo_mode: Option<u64>,
    bits_per_channel: Option<u64>,
    primaries: Option<u64>,
    transfer: Option<u64>,
    max_cll: u64,
    max_fall: u64,
    mastering_display: bool,
    dolby_vision: Option<Vec<u8>>,
    sampling_frequency: f64,
    output_sampling_frequency: Option<f64>,
    channels: u64,
    bit_depth: u64,
    /// Bytes to put back in front of every frame (header-stripping compression).
    frame_prefix: Vec<u8>,
    /// Frames are compressed in a way this reader does not undo (zlib, bzip2, LZO, encryption).
    frames_unreadable: bool,
    /// The first frame, or its first few KiB.
    first_frame: Option<Vec<u8>>,
}

impl Default for Track {
    fn default() -> Self {
        Track {
            number: 0,
            uid: 0,
            kind: 0,
            codec_id: None,
            codec_private: None,
            name: None,
            language: None,
            language_bcp47: None,
            flag_default: true,
            flag_forced: false,
            flag_hearing_impaired: false,
            default_duration: None,
            frame_rate: None,
            width: 0,
            height: 0,
            flag_interlaced: 0,
            // FFmpeg's default: undetermined.
            field_order: 2,
            stereo_mode: None,
            bits_per_channel: None,
            primaries: None,
            transfer: None,
            max_cll: 0,
            max_fall: 0,
            mastering_display: false,
            dolby_vision: None,
            sampling_frequency: 8000.0,
            output_sampling_frequency: None,
            channels: 1,
            bit_depth: 0,
            frame_prefix: Vec::new(),
            frames_unreadable: false,
            first_frame: None,
        }
    }
}

/// One `Tag`: its target and its top-level simple tags as FFmpeg names them.
#[derive(Debug, Default)]
struct Tag {
    track_uids: Vec<u64>,
    /// Targets a chapter or an attachment: FFmpeg files those elsewhere.
    elsewhere: bool,
    target_type: Option<String>,
    /// (key, value) in file order; keys with a language suffix are left out.
    simple: Vec<(String, String)>,
}

fn parse(reader: &mut Reader<'_>) -> Result<File, ProbeError> {
    let file_len = reader.len();
    let Some(ebml) = reader.header(0)? else {
        return Err(reader.source.corrupt("the file ends inside the EBML header"));
    };
    if ebml.id != EBML_HEADER {
        return Err(reader.source.corrupt("no EBML header"));
    }
    let ebml_end = ebml.end(file_len);
    let ebml_len = usize::try_from(ebml_end - ebml.data_start).unwrap_or(usize::MAX);
    if ebml.size.is_none() || ebml_len > 4096 {
        return Err(reader.source.corrupt("the EBML header claims an impossible size"));
    }
    let head = reader.bytes(ebml.data_start, ebml_len)?.to_vec();
    if (head.len() as u64) < ebml.size.unwrap_or(0) {
        return Err(reader.source.corrupt("the file ends inside the EBML header"));
    }
    let doc_type = children(&head).find(|(id, _)| *id == DOC_TYPE).map(|(_, data)| string(data));
    match doc_type.as_deref() {
        Some("matroska" | "webm") => {}
        Some(other) => {
            return Err(reader.source.corrupt(format!("an EBML document of type {other:?}, not Matroska or WebM")));
        }
        None => return Err(reader.source.corrupt("the EBML header has no DocType")),
    }

    // The segment follows, possibly after Void elements.
    let mut offset = ebml_end;
    let segment = loop {
        let Some(header) = reader.header(offset)? else {
            return Err(reader.source.corrupt("the file ends before the Matroska segment"));
        };
        match header.id {
            SEGMENT => break header,
            0xEC | 0xBF => offset = header.end(file_len),
            _ => return Err(reader.source.corrupt("no Matroska segment after the EBML header")),
        }
        if offset >= file_len {
            return Err(reader.source.corrupt("the file ends before the Matroska segment"));
        }
    };
    let segment_start = segment.data_start;
    let segment_end = segment.end(file_len);
    let truncated = segment.size.is_some_and(|size| segment_start.saturating_add(size) > file_len);
    let mut file = File { segment_end, truncated, ..File::default() };

    let mut seen = Vec::new();
    // Offsets of the level-1 elements read, so a SeekHead entry does not read one twice.
    let mut visited = Vec::new();
    let mut seek_targets: Vec<(u32, u64)> = Vec::new();
    let mut offset = segment_start;
    for _ in 0..MAX_TOP_LEVEL {
        if offset >= segment_end {
            break;
        }
        let Some(header) = reader.header(offset)? else {
            file.warnings.push("the file ends inside a segment element header".to_owned());
            break;
        };
        if header.id == CLUSTER {
            file.first_cluster = Some(offset);
            break;
        }
        if header.size.is_none() {
            // Only clusters may have an unknown size; past this nothing can be located.
            file.warnings.push(format!("element {:#x} has an unknown size; stopped there", header.id));
            break;
        }
        read_level1(reader, &mut file, header, &mut seek_targets)?;
        seen.push(header.id);
        visited.push(offset);
        offset = header.end(segment_end);
        if header.size.is_some_and(|size| header.data_start.saturating_add(size) > file_len) {
            break;
        }
    }

    // Info, Tracks and Tags found only through the SeekHead (mkvmerge and ffmpeg put Tags after
    // the clusters), as FFmpeg's `matroska_execute_seekhead` does.
    let mut followed_heads = 0;
    let mut next = 0;
    while next < seek_targets.len() && next < 64 {
        let (id, position) = seek_targets[next];
        next += 1;
        let wanted = match id {
            INFO | TRACKS => !seen.contains(&id),
            TAGS => true,
            SEEK_HEAD => followed_heads < MAX_SEEK_HEADS,
            _ => false,
        };
        let Some(target) = segment_start.checked_add(position) else { continue };
        if !wanted || visited.contains(&target) || target >= file_len {
            continue;
        }
        visited.push(target);
        let Some(header) = reader.header(target)? else { continue };
        if header.id != id || header.size.is_none() {
            file.warnings.push(format!("the SeekHead points to {target} but the element there is not {id:#x}"));
            continue;
        }
        if id == SEEK_HEAD {
            followed_heads += 1;
        }
        read_level1(reader, &mut file, header, &mut seek_targets)?;
        seen.push(id);
    }
    if file.tracks.is_empty() && !seen.contains(&TRACKS) {
        return Err(reader.source.corrupt(if segment_end >= file_len && file.first_cluster.is_none() {
            "the file ends before the Matroska Tracks element".to_owned()
        } else {
            "the Matroska segment has no Tracks element".to_owned()
        }));
    }
    Ok(file)
}

/// Reads one level-1 element (Info, Tracks, Tags, SeekHead) into `file`; others are skipped.
fn read_level1(
    reader: &mut Reader<'_>,
    file: &mut File,
    header: Header,
    seek_targets: &mut Vec<(u32, u64)>,
) -> Result<(), ProbeError> {
    let name = match header.id {
        INFO => "Info",
        TRACKS => "Tracks",
        TAGS => "Tags",
        SEEK_HEAD => "SeekHead",
        CUES | CHAPTERS | ATTACHMENTS => return Ok(()),
        _ => return Ok(()),
    };
    let claimed = header.size.unwrap_or(0);
    let wanted = claimed.min(MAX_ELEMENT);
    let data = reader.bytes(header.data_start, usize::try_from(wanted).unwrap_or(usize::MAX))?.to_vec();
    let cut = (data.len() as u64) < claimed;
    if cut {
        if claimed > MAX_ELEMENT && data.len() as u64 == MAX_ELEMENT {
            file.warnings.push(format!("the {name} element claims {claimed} bytes; read only the first {MAX_ELEMENT}"));
        } else if header.id != TRACKS {
            file.warnings.push(format!("the file ends inside the {name} element"));
        }
    }
    match header.id {
        INFO => read_info(&data, file),
        TRACKS => read_tracks(&data, cut, file),
        TAGS => read_tags(&data, file),
        SEEK_HEAD => read_seek_head(&data, seek_targets),
        _ => {}
    }
    Ok(())
}

fn read_seek_head(data: &[u8], seek_targets: &mut Vec<(u32, u64)>) {
    for (id, seek) in children(data) {
        if id != SEEK {
            continue;
        }
        let mut target_id = None;
        let mut position = None;
        for (id, value) in children(seek) {
            match id {
                SEEK_ID => {
                    let mut pos = 0;
                    target_id = read_id(value, &mut pos);
                }
                SEEK_POSITION => position = uint(value),
                _ => {}
            }
        }
        if let (Some(target_id), Some(position)) = (target_id, position)
            && seek_targets.len() < 256
        {
            seek_targets.push((target_id, position));
        }
    }
}

fn read_info(data: &[u8], file: &mut File) {
    for (id, value) in children(data) {
        match id {
            TIMESTAMP_SCALE => file.timestamp_scale = uint(value),
            DURATION => file.duration = float(value),
            TITLE => file.title = Some(string(value)),
            MUXING_APP => file.muxing_app = Some(string(value)),
            _ => {}
        }
    }
}

fn read_tracks(data: &[u8], cut: bool, file: &mut File) {
    let mut entries = children(data);
    let mut complete = 0usize;
    let mut partial = 0usize;
    for (id, entry) in entries.by_ref() {
        if id != TRACK_ENTRY {
            continue;
        }
        let mut entry_children = children(entry);
        let track = read_track(&mut entry_children);
        if entry_children.truncated {
            partial += 1;
            // A track whose entry was cut is kept only when its identity was read.
            if track.codec_id.is_none() {
                continue;
            }
        } else {
            complete += 1;
        }
        file.tracks.push(track);
    }
    if cut || entries.truncated || partial > 0 {
        let read = if partial > 0 {
            format!("{complete} tracks read in full, {partial} in part")
        } else {
            format!("{complete} tracks read")
        };
        file.warnings.push(format!("the file ends inside the Tracks element; {read}"));
    }
}

fn read_track(entry: &mut Children<'_>) -> Track {
    let mut track = Track::default();
    let mut encodings = None;
    for (id, value) in entry.by_ref() {
        match id {
            TRACK_NUMBER => track.number = uint(value).unwrap_or(0),
            TRACK_UID => track.uid = uint(value).unwrap_or(0),
            TRACK_TYPE => track.kind = uint(value).unwrap_or(0),
            CODEC_ID => track.codec_id = Some(string(value)),
            CODEC_PRIVATE => track.codec_private = Some(value.to_vec()),
            NAME => track.name = Some(string(value)),
            LANGUAGE => track.language = Some(string(value)),
            LANGUAGE_BCP47 => track.language_bcp47 = Some(string(value)),
            FLAG_DEFAULT => track.flag_default = uint(value).unwrap_or(1) != 0,
            FLAG_FORCED => track.flag_forced = uint(value).unwrap_or(0) != 0,
            FLAG_HEARING_IMPAIRED => track.flag_hearing_impaired = uint(value).unwrap_or(0) != 0,
            DEFAULT_DURATION => track.default_duration = uint(value),
            VIDEO => read_video(value, &mut track),
            AUDIO => read_audio(value, &mut track),
            BLOCK_ADDITION_MAPPING => read_block_addition_mapping(value, &mut track),
            CONTENT_ENCODINGS => encodings = Some(value),
            _ => {}
        }
    }
    if let Some(encodings) = encodings {
        read_encodings(encodings, &mut track);
    }
    track
}

fn read_video(data: &[u8], track: &mut Track) {
    for (id, value) in children(data) {
        match id {
            PIXEL_WIDTH => track.width = uint(value).and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
            PIXEL_HEIGHT => track.height = uint(value).and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
            FLAG_INTERLACED => track.flag_interlaced = uint(value).unwrap_or(0),
            FIELD_ORDER => track.field_order = uint(value).unwrap_or(2),
            STEREO_MODE => track.stereo_mode = uint(value),
            FRAME_RATE => track.frame_rate = float(value),
            COLOUR => read_colour(value, track),
            _ => {}
        }
    }
}

fn read_colour(data: &[u8], track: &mut Track) {
    for (id, value) in children(data) {
        match id {
            BITS_PER_CHANNEL => track.bits_per_channel = uint(value),
            TRANSFER_CHARACTERISTICS => track.transfer = uint(value),
            PRIMARIES => track.primaries = uint(value),
            MAX_CLL => track.max_cll = uint(value).unwrap_or(0),
            MAX_FALL => track.max_fall = uint(value).unwrap_or(0),
            MASTERING_METADATA => track.mastering_display = has_mastering_display(value),
            _ => {}
        }
    }
}

/// FFmpeg exports mastering metadata when all eight chromaticities are positive or the
/// maximum luminance is.
fn has_mastering_display(data: &[u8]) -> bool {
    let mut chromaticities = [0.0f64; 8];
    let mut max_luminance = 0.0;
    for (id, value) in children(data) {
        let value = float(value).unwrap_or(0.0);
        match id {
            0x55D1..=0x55D8 => {
                if let Some(slot) = usize::try_from(id - 0x55D1).ok().and_then(|index| chromaticities.get_mut(index)) {
                    *slot = value;
                }
            }
            LUMINANCE_MAX => max_luminance = value,
            _ => {}
        }
    }
    chromaticities.iter().all(|value| *value > 0.0) || max_luminance > 0.0
}

fn read_audio(data: &[u8], track: &mut Track) {
    for (id, value) in children(data) {
        match id {
            SAMPLING_FREQUENCY => track.sampling_frequency = float(value).unwrap_or(8000.0),
            OUTPUT_SAMPLING_FREQUENCY => track.output_sampling_frequency = float(value),
            CHANNELS => track.channels = uint(value).unwrap_or(1),
            BIT_DEPTH => track.bit_depth = uint(value).unwrap_or(0),
            _ => {}
        }
    }
}

fn read_block_addition_mapping(data: &[u8], track: &mut Track) {
    let mut kind = None;
    let mut extra = None;
    for (id, value) in children(data) {
        match id {
            BLOCK_ADD_ID_TYPE => kind = uint(value),
            BLOCK_ADD_ID_EXTRA_DATA => extra = Some(value),
            _ => {}
        }
    }
    // `dvcC` and `dvvC` as big-endian four-character codes.
    if matches!(kind, Some(0x6476_6343 | 0x6476_7643))
        && let Some(extra) = extra
    {
        track.dolby_vision = Some(extra.to_vec());
    }
}

fn read_encodings(data: &[u8], track: &mut Track) {
    let encodings: Vec<&[u8]> = children(data).filter(|(id, _)| *id == CONTENT_ENCODING).map(|(_, v)| v).collect();
    let [encoding] = encodings.as_slice() else {
        // FFmpeg applies none of several combined encodings.
        track.frames_unreadable = !encodings.is_empty();
        return;
    };
    let mut scope = 1;
    let mut kind = 0;
    let mut algo = 0;
    let mut settings: &[u8] = &[];
    let mut has_compression = false;
    for (id, value) in children(encoding) {
        match id {
            CONTENT_ENCODING_SCOPE => scope = uint(value).unwrap_or(1),
            CONTENT_ENCODING_TYPE => kind = uint(value).unwrap_or(0),
            CONTENT_COMPRESSION => {
                has_compression = true;
                for (id, value) in children(value) {
                    match id {
                        CONTENT_COMP_ALGO => algo = uint(value).unwrap_or(0),
                        CONTENT_COMP_SETTINGS => settings = value,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if kind != 0 || !has_compression {
        // Encryption: the frames cannot be read, the header still can.
        track.frames_unreadable = scope & 1 != 0;
        return;
    }
    let header_stripping = algo == 3;
    if scope & 1 != 0 {
        if header_stripping {
            track.frame_prefix = settings.to_vec();
        } else {
            track.frames_unreadable = true;
        }
    }
    if scope & 2 != 0
        && let Some(private) = track.codec_private.take()
    {
        // A compressed CodecPrivate other than header stripping would need zlib or LZO.
        track.codec_private = header_stripping.then(|| [settings, private.as_slice()].concat());
    }
}

fn read_tags(data: &[u8], file: &mut File) {
    for (id, tag) in children(data) {
        if id != TAG || file.tags.len() >= 1024 {
            continue;
        }
        let mut parsed = Tag::default();
        for (id, value) in children(tag) {
            match id {
                TARGETS => {
                    for (id, value) in children(value) {
                        match id {
                            TAG_TRACK_UID => {
                                if let Some(uid) = uint(value).filter(|uid| *uid != 0) {
                                    parsed.track_uids.push(uid);
                                }
                            }
                            TAG_CHAPTER_UID | TAG_ATTACHMENT_UID => {
                                parsed.elsewhere |= uint(value).is_some_and(|uid| uid != 0);
                            }
                            TARGET_TYPE => parsed.target_type = Some(string(value)),
                            _ => {}
                        }
                    }
                }
                SIMPLE_TAG => {
                    let mut name = None;
                    let mut language = None;
                    let mut default = true;
                    let mut text = None;
                    for (id, value) in children(value) {
                        match id {
                            TAG_NAME => name = Some(string(value)),
                            TAG_LANGUAGE => language = Some(string(value)),
                            TAG_DEFAULT => default = uint(value).unwrap_or(1) != 0,
                            TAG_STRING => text = Some(string(value)),
                            _ => {}
                        }
                    }
                    let language = language.filter(|language| language != "und");
                    // FFmpeg files a tag under its plain name when it is the default or has no
                    // language; otherwise only as `NAME-lang`, which nothing here reads.
                    if let Some(name) = name
                        && (default || language.is_none())
                    {
                        parsed.simple.push((name, text.unwrap_or_default()));
                    }
                }
                _ => {}
            }
        }
        file.tags.push(parsed);
    }
}

// ---------------------------------------------------------------------------------------------
// First frames

/// The codec of a track as FFmpeg's `ff_mkv_codec_tags` and the special cases after it name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Video(VideoCodec),
    Audio(AudioCodec),
    Subtitle(&'static str),
    /// A codec FFmpeg knows but none of the model's kinds uses (data tracks).
    Other,
}

fn codec_of(track: &Track) -> Option<Codec> {
    let id = track.codec_id.as_deref()?;
    let name = ffmpeg_codec_name(id, track)?;
    Some(match name {
        "h264" => Codec::Video(VideoCodec::H264),
        "hevc" => Codec::Video(VideoCodec::Hevc),
        "av1" => Codec::Video(VideoCodec::Av1),
        "vp9" => Codec::Video(VideoCodec::Vp9),
        "vp8" => Codec::Video(VideoCodec::Vp8),
        "mpeg1video" => Codec::Video(VideoCodec::Mpeg1),
        "mpeg2video" => Codec::Video(VideoCodec::Mpeg2),
        "mpeg4" => Codec::Video(VideoCodec::Mpeg4),
        "vc1" => Codec::Video(VideoCodec::Vc1),
        "aac" => Codec::Audio(AudioCodec::Aac),
        "ac3" => Codec::Audio(AudioCodec::Ac3),
        "eac3" => Codec::Audio(AudioCodec::Eac3),
        "truehd" => Codec::Audio(AudioCodec::TrueHd),
        "dts" => Codec::Audio(AudioCodec::Dts),
        "mp3" => Codec::Audio(AudioCodec::Mp3),
        "mp2" => Codec::Audio(AudioCodec::Mp2),
        "flac" => Codec::Audio(AudioCodec::Flac),
        "opus" => Codec::Audio(AudioCodec::Opus),
        "vorbis" => Codec::Audio(AudioCodec::Vorbis),
        "alac" => Codec::Audio(AudioCodec::Alac),
        "subrip" | "text" | "ass" | "dvd_subtitle" | "dvb_subtitle" | "hdmv_pgs_subtitle" | "hdmv_text_subtitle"
        | "webvtt" => Codec::Subtitle(name),
        _ => match track.kind {
            TYPE_VIDEO => Codec::Video(VideoCodec::Other(name)),
            TYPE_AUDIO => Codec::Audio(AudioCodec::Other(name)),
            _ => Codec::Other,
        },
    })
}

/// FFmpeg's codec name for a `CodecID`: the first entry of `ff_mkv_codec_tags` that is a prefix
/// of it, then the bit-depth variants of PCM and the VfW/ACM wrappers.
fn ffmpeg_codec_name(id: &str, track: &Track) -> Option<&'static str> {
    const TAGS: &[(&str, &str)] = &[
        ("A_AAC", "aac"),
        ("A_AC3", "ac3"),
        ("A_ALAC", "alac"),
        ("A_DTS", "dts"),
        ("A_EAC3", "eac3"),
        ("A_FLAC", "flac"),
        ("A_MLP", "mlp"),
        ("A_MPEG/L2", "mp2"),
        ("A_MPEG/L1", "mp1"),
        ("A_MPEG/L3", "mp3"),
        ("A_OPUS", "opus"),
        ("A_PCM/FLOAT/IEEE", "pcm_f32le"),
        ("A_PCM/INT/BIG", "pcm_s16be"),
        ("A_PCM/INT/LIT", "pcm_s16le"),
        ("A_QUICKTIME/QDMC", "qdmc"),
        ("A_QUICKTIME/QDM2", "qdm2"),
        ("A_REAL/14_4", "real_144"),
        ("A_REAL/28_8", "real_288"),
        ("A_REAL/ATRC", "atrac3"),
        ("A_REAL/COOK", "cook"),
        ("A_REAL/SIPR", "sipr"),
        ("A_TRUEHD", "truehd"),
        ("A_TTA1", "tta"),
        ("A_VORBIS", "vorbis"),
        ("A_WAVPACK4", "wavpack"),
        ("D_WEBVTT/SUBTITLES", "webvtt"),
        ("D_WEBVTT/CAPTIONS", "webvtt"),
        ("D_WEBVTT/DESCRIPTIONS", "webvtt"),
        ("D_WEBVTT/METADATA", "webvtt"),
        ("S_TEXT/UTF8", "subrip"),
        ("S_TEXT/ASCII", "text"),
        ("S_TEXT/ASS", "ass"),
        ("S_TEXT/SSA", "ass"),
        ("S_ASS", "ass"),
        ("S_SSA", "ass"),
        ("S_VOBSUB", "dvd_subtitle"),
        ("S_DVBSUB", "dvb_subtitle"),
        ("S_HDMV/PGS", "hdmv_pgs_subtitle"),
        ("S_HDMV/TEXTST", "hdmv_text_subtitle"),
        ("V_AV1", "av1"),
        ("V_AVS2", "avs2"),
        ("V_AVS3", "avs3"),
        ("V_DIRAC", "dirac"),
        ("V_FFV1", "ffv1"),
        ("V_MJPEG", "mjpeg"),
        ("V_MPEG1", "mpeg1video"),
        ("V_MPEG2", "mpeg2video"),
        ("V_MPEG4/ISO/ASP", "mpeg4"),
        ("V_MPEG4/ISO/AP", "mpeg4"),
        ("V_MPEG4/ISO/SP", "mpeg4"),
        ("V_MPEG4/ISO/AVC", "h264"),
        ("V_MPEGH/ISO/HEVC", "hevc"),
        ("V_MPEG4/MS/V3", "msmpeg4v3"),
        ("V_PRORES", "prores"),
        ("V_REAL/RV10", "rv10"),
        ("V_REAL/RV20", "rv20"),
        ("V_REAL/RV30", "rv30"),
        ("V_REAL/RV40", "rv40"),
        ("V_SNOW", "snow"),
        ("V_THEORA", "theora"),
        ("V_UNCOMPRESSED", "rawvideo"),
        ("V_VP8", "vp8"),
        ("V_VP9", "vp9"),
    ];
    let private = track.codec_private.as_deref().unwrap_or(&[]);
    if id == "V_MS/VFW/FOURCC" && private.len() >= 40 {
        return private.get(16..20).and_then(vfw_codec);
    }
    if id == "A_MS/ACM" && private.len() >= 14 {
        let tag = u16::from_le_bytes([*private.first()?, *private.get(1)?]);
        return acm_codec(tag, private);
    }
    let name = TAGS.iter().find(|(prefix, _)| id.starts_with(prefix)).map(|(_, name)| *name)?;
    Some(match (name, track.bit_depth) {
        ("pcm_s16be", 8) | ("pcm_s16le", 8) => "pcm_u8",
        ("pcm_s16be", 24) => "pcm_s24be",
        ("pcm_s16be", 32) => "pcm_s32be",
        ("pcm_s16le", 24) => "pcm_s24le",
        ("pcm_s16le", 32) => "pcm_s32le",
        ("pcm_f32le", 64) => "pcm_f64le",
        _ => name,
    })
}

/// The common `BITMAPINFOHEADER` four-character codes (FFmpeg's `ff_codec_bmp_tags`).
fn vfw_codec(fourcc: &[u8]) -> Option<&'static str> {
    let upper: Vec<u8> = fourcc.iter().map(u8::to_ascii_uppercase).collect();
    Some(match upper.as_slice() {
        b"XVID" | b"DIVX" | b"DX50" | b"FMP4" | b"MP4V" | b"3IV2" | b"DIV5" | b"DIV6" => "mpeg4",
        b"H264" | b"X264" | b"AVC1" | b"DAVC" => "h264",
        b"HEVC" | b"H265" | b"HVC1" => "hevc",
        b"DIV3" | b"MP43" | b"DIV4" => "msmpeg4v3",
        b"MPG2" | b"MPEG" => "mpeg2video",
        b"WMV3" => "wmv3",
        b"WVC1" => "vc1",
        b"MJPG" => "mjpeg",
        b"VP80" => "vp8",
        b"VP90" => "vp9",
        _ => return None,
    })
}

/// The common `WAVEFORMATEX` format tags (FFmpeg's `ff_codec_wav_tags`).
fn acm_codec(tag: u16, private: &[u8]) -> Option<&'static str> {
    let bits = private.get(14..16).map_or(16, |bits| u16::from_le_bytes([bits[0], bits[1]]));
    Some(match tag {
        0x0001 => match bits {
            8 => "pcm_u8",
            24 => "pcm_s24le",
            32 => "pcm_s32le",
            _ => "pcm_s16le",
        },
        0x0003 => {
            if bits == 64 {
                "pcm_f64le"
            } else {
                "pcm_f32le"
            }
        }
        0x0050 => "mp2",
        0x0055 => "mp3",
        0x00ff | 0x1600 | 0x706d => "aac",
        0x0161 => "wmav2",
        0x0162 => "wmapro",
        0x2000 => "ac3",
        0x2001 => "dts",
        _ => return None,
    })
}

/// Whether ffprobe's values for a track come from its first frame as well as its header.
fn needs_first_frame(codec: Codec) -> bool {
    match codec {
        Codec::Video(_) => true,
        Codec::Audio(audio) => audio.described_by_frames(),
        Codec::Subtitle(_) | Codec::Other => false,
    }
}

/// Reads the first block of every track that needs one from the first clusters.
fn read_first_frames(reader: &mut Reader<'_>, file: &mut File) -> Result<(), ProbeError> {
    let mut wanted: Vec<u64> = file
        .tracks
        .iter()
        .filter(|track| {
            !track.frames_unreadable
                && matches!(track.kind, TYPE_VIDEO | TYPE_AUDIO)
                && codec_of(track).is_some_and(needs_first_frame)
        })
        .map(|track| track.number)
        .collect();
    // Only the first video track's frame matters to ffprobe's HDR probe, but every video
    // track's profile and pixel format come from its own frames; read them all.
    let Some(mut cluster_offset) = file.first_cluster else { return Ok(()) };
    let limit = file.segment_end.min(reader.len());
    let mut blocks = 0;
    for _ in 0..MAX_CLUSTERS {
        if wanted.is_empty() || blocks >= MAX_BLOCKS {
            break;
        }
        let Some(cluster) = reader.header(cluster_offset)? else { break };
        if cluster.id != CLUSTER {
            break;
        }
        let cluster_end = cluster.end(limit);
        let mut offset = cluster.data_start;
        while offset < cluster_end && blocks < MAX_BLOCKS && !wanted.is_empty() {
            let Some(child) = reader.header(offset)? else { break };
            if cluster.size.is_none() && is_level1(child.id) {
                // An unknown-size cluster ends where the next level-1 element starts.
                break;
            }
            let child_end = child.end(cluster_end);
            match child.id {
                SIMPLE_BLOCK | BLOCK => {
                    blocks += 1;
                    take_block(reader, file, &mut wanted, child.data_start, child_end)?;
                }
                BLOCK_GROUP => {
                    let mut inner = child.data_start;
                    for _ in 0..16 {
                        if inner >= child_end {
                            break;
                        }
                        let Some(part) = reader.header(inner)? else { break };
                        if part.id == BLOCK {
                            blocks += 1;
                            take_block(reader, file, &mut wanted, part.data_start, part.end(child_end))?;
                            break;
                        }
                        inner = part.end(child_end);
                        if part.size.is_none() {
                            break;
                        }
                    }
                }
                _ => {}
            }
            if child.size.is_none() || child_end <= offset {
                break;
            }
            offset = child_end;
        }
        if cluster.size.is_none() {
            break;
        }
        cluster_offset = cluster_end;
    }
    if !wanted.is_empty() && file.truncated {
        let numbers: Vec<String> = wanted.iter().map(u64::to_string).collect();
        file.warnings.push(format!(
            "the file ends before the first frame of track {}; codec details come from the track header alone",
            numbers.join(", ")
        ));
    }
    Ok(())
}

fn is_level1(id: u32) -> bool {
    matches!(id, CLUSTER | CUES | CHAPTERS | ATTACHMENTS | TAGS | TRACKS | INFO | SEEK_HEAD | SEGMENT | EBML_HEADER)
}

/// Takes the first frame of a block if its track still wants one.
fn take_block(
    reader: &mut Reader<'_>,
    file: &mut File,
    wanted: &mut Vec<u64>,
    start: u64,
    end: u64,
) -> Result<(), ProbeError> {
    let len = usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX).min(BLOCK_PREFIX);
    let block = reader.bytes(start, len)?;
    let mut pos = 0;
    let Some(Some(number)) = read_size(block, &mut pos) else { return Ok(()) };
    let Some(position) = wanted.iter().position(|wanted| *wanted == number) else { return Ok(()) };
    // Timestamp (2 bytes) and flags.
    let Some(&flags) = block.get(pos + 2) else { return Ok(()) };
    let block_size = usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX);
    let Some(frame) = first_lace(block, pos + 3, block_size, (flags >> 1) & 3) else { return Ok(()) };
    wanted.remove(position);
    if let Some(track) = file.tracks.iter_mut().find(|track| track.number == number) {
        let mut bytes = track.frame_prefix.clone();
        bytes.extend_from_slice(frame);
        track.first_frame = Some(bytes);
    }
    Ok(())
}

/// The first frame of a block's payload at `start`, cut to what was read. `block_size` is the
/// whole block's size, which fixed-size lacing needs.
///
/// Xiph and EBML lacing store the sizes of every frame but the last before the first frame's
/// data, so the first frame starts after all of them, not after the first size alone.
fn first_lace(block: &[u8], start: usize, block_size: usize, lacing: u8) -> Option<&[u8]> {
    let payload = block.get(start..)?;
    if lacing == 0 {
        return Some(payload);
    }
    let (&count, rest) = payload.split_first()?;
    let frames = usize::from(count) + 1;
    let (first_size, header_len) = match lacing {
        // Xiph: `count` sizes, each a run of 255s and a final byte.
        1 => {
            let mut first = None;
            let mut used = 0;
            for _ in 0..count {
                let mut size = 0usize;
                loop {
                    let byte = *rest.get(used)?;
                    used += 1;
                    size = size.checked_add(usize::from(byte))?;
                    if byte != 0xff {
                        break;
                    }
                }
                first.get_or_insert(size);
            }
            // A single laced frame has no sizes: it is the whole payload, as in FFmpeg.
            (first.unwrap_or(usize::MAX), used)
        }
        // Fixed: the payload split evenly.
        2 => {
            let total = block_size.checked_sub(start.checked_add(1)?)?;
            if total % frames != 0 {
                return None;
            }
            (total / frames, 0)
        }
        // EBML: the first size as an unsigned EBML number, then `count - 1` signed differences
        // for the next frames, which only need skipping (they share the unsigned encoding's
        // length prefix).
        _ => {
            let mut pos = 0;
            let size = read_size(rest, &mut pos)??;
            for _ in 1..count {
                read_size(rest, &mut pos)?;
            }
            // FFmpeg reads the first size even for a single frame, then gives that frame the rest.
            let size = if count == 0 { usize::MAX } else { usize::try_from(size).ok()? };
            (size, pos)
        }
    };
    let frame = rest.get(header_len..)?;
    Some(frame.get(..first_size).unwrap_or(frame))
}

// ---------------------------------------------------------------------------------------------
// The streams

/// What tags say about one stream or the file, under FFmpeg's case-insensitive keys.
#[derive(Debug, Default)]
struct Overrides {
    title: Option<String>,
    language: Option<String>,
    duration: Option<String>,
}

impl Overrides {
    fn apply(&mut self, key: &str, value: &str) {
        if key.eq_ignore_ascii_case("title") {
            self.title = Some(value.to_owned());
        } else if key.eq_ignore_ascii_case("language") {
            self.language = Some(value.to_owned());
        } else if key.eq_ignore_ascii_case("DURATION") {
            self.duration = Some(value.to_owned());
        }
    }
}

fn build(file: File) -> StreamDetails {
    let mut details = StreamDetails {
        container: Some(MATROSKA_FORMAT.to_owned()),
        warnings: file.warnings.clone(),
        ..StreamDetails::default()
    };
    let scale = file.timestamp_scale.filter(|scale| *scale != 0).unwrap_or(1_000_000);
    if let Some(duration) = file.duration.filter(|duration| *duration != 0.0) {
        // `AVFormatContext.duration`: microseconds, truncated, in FFmpeg's order of operations.
        let micros = (duration * scale as f64 * 1000.0 / 1_000_000.0) as i64;
        details.duration_secs =
            Some(micros as f64 / 1_000_000.0).filter(|seconds| seconds.is_finite() && *seconds > 0.0);
    }
    let mut global = Overrides { title: file.title.clone(), ..Overrides::default() };
    let mut per_track: HashMap<u64, Overrides> = HashMap::new();
    for tag in &file.tags {
        if tag.elsewhere {
            continue;
        }
        if tag.track_uids.is_empty() {
            // A global tag with a TargetType is filed as `TYPE/NAME`, which is no longer `title`.
            if tag.target_type.is_none() {
                for (key, value) in &tag.simple {
                    global.apply(key, value);
                }
            }
            continue;
        }
        for uid in &tag.track_uids {
            let overrides = per_track.entry(*uid).or_default();
            for (key, value) in &tag.simple {
                overrides.apply(key, value);
            }
        }
    }
    details.title = non_empty(global.title.as_deref());

    let mut index = 0usize;
    let mut first_video = true;
    for track in &file.tracks {
        if !matches!(track.kind, TYPE_VIDEO | TYPE_AUDIO | TYPE_SUBTITLE | TYPE_METADATA) || track.codec_id.is_none() {
            continue;
        }
        let stream_index = index;
        index += 1;
        let Some(codec) = codec_of(track) else { continue };
        let overrides = per_track.get(&track.uid).filter(|_| track.uid != 0);
        let title = overrides.and_then(|o| o.title.clone()).or_else(|| track.name.clone());
        let language = overrides.and_then(|o| o.language.clone()).or_else(|| track_language(track));
        let duration = overrides
            .and_then(|o| o.duration.as_deref())
            .and_then(parse_clock_duration)
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0);
        match (track.kind, codec) {
            (TYPE_VIDEO, Codec::Video(video)) => {
                details.video.push(video_stream(track, video, stream_index, duration, first_video, &file));
                first_video = false;
            }
            (TYPE_AUDIO, Codec::Audio(audio)) => {
                details.audio.push(audio_stream(track, audio, stream_index, duration, language, title));
            }
            (TYPE_SUBTITLE, Codec::Subtitle(name)) | (TYPE_METADATA, Codec::Subtitle(name @ "webvtt")) => {
                details.subtitles.push(SubtitleStream {
                    index: stream_index,
                    codec: name.to_owned(),
                    language: normalise_language(language.as_deref()),
                    title: non_empty(title.as_deref()),
                    forced: track.flag_forced,
                    default: track.flag_default,
                    hearing_impaired: track.flag_hearing_impaired,
                });
            }
            _ => {}
        }
    }
    if details.duration_secs.is_none() {
        details.duration_secs = details.longest_stream();
    }
    details
}

/// The track's language: `Language`, else the ISO 639-2 form of `LanguageBCP47`'s primary
/// subtag, else FFmpeg's default `eng`. mkvmerge leaves `Language` out when it is the default
/// `eng` and writes it otherwise, so the legacy element decides on its files; FFmpeg 5.1 ignores
/// `LanguageBCP47`, so a file that has only that element (no known muxer writes one) reads
/// `eng` there and its real language here.
fn track_language(track: &Track) -> Option<String> {
    if let Some(language) = &track.language {
        return Some(language.clone());
    }
    let primary = track.language_bcp47.as_deref().and_then(|tag| tag.split('-').next()).map(str::to_ascii_lowercase);
    Some(match primary.as_deref() {
        Some(code) if code.len() == 3 => code.to_owned(),
        Some(code) => iso_639_2(code).unwrap_or("eng").to_owned(),
        None => "eng".to_owned(),
    })
}

/// ISO 639-2/B codes (as Matroska's legacy `Language` uses) of common two-letter languages.
fn iso_639_2(code: &str) -> Option<&'static str> {
    Some(match code {
        "ar" => "ara",
        "cs" => "cze",
        "da" => "dan",
        "de" => "ger",
        "el" => "gre",
        "en" => "eng",
        "es" => "spa",
        "fi" => "fin",
        "fr" => "fre",
        "he" => "heb",
        "hi" => "hin",
        "hu" => "hun",
        "it" => "ita",
        "ja" => "jpn",
        "ko" => "kor",
        "nl" => "dut",
        "no" => "nor",
        "pl" => "pol",
        "pt" => "por",
        "ro" => "rum",
        "ru" => "rus",
        "sv" => "swe",
        "th" => "tha",
        "tr" => "tur",
        "uk" => "ukr",
        "zh" => "chi",
        _ => return None,
    })
}

fn video_stream(
    track: &Track,
    codec: VideoCodec,
    index: usize,
    duration: Option<f64>,
    first_video: bool,
    file: &File,
) -> VideoStream {
    // Matroska's VP9 CodecPrivate is a list of codec features, not a `vpcC`; FFmpeg drops it.
    let config = match codec {
        VideoCodec::Vp9 | VideoCodec::Vp8 => None,
        _ => track.codec_private.as_deref(),
    };
    let bitstream = codec::video_bitstream(codec, config, track.first_frame.as_deref());
    let pix_fmt = bitstream.pix_fmt.clone();
    let bit_depth = pix_fmt
        .as_deref()
        .and_then(bit_depth_from_pix_fmt)
        .or_else(|| track.bits_per_channel.and_then(|bits| u8::try_from(bits).ok()).filter(|bits| *bits > 0));
    // The decoder's colour description (VUI, sequence header) replaces the container's, as in
    // FFmpeg, where `avformat_find_stream_info` copies the decoder's values over the demuxer's.
    let color_primaries = bitstream
        .color_primaries
        .clone()
        .or_else(|| track.primaries.and_then(codec::primaries_name).map(str::to_owned));
    let color_transfer =
        bitstream.color_transfer.clone().or_else(|| track.transfer.and_then(codec::transfer_name).map(str::to_owned));
    let dolby_vision = track.dolby_vision.as_deref().and_then(codec::dolby_vision_record);
    let mut signals = HdrSignals {
        bit_depth,
        color_primaries: color_primaries.clone(),
        color_transfer: color_transfer.clone(),
        dovi_compatibility: dolby_vision.map(|record| record.compatibility),
        mastering_display: track.mastering_display,
        content_light_level: track.max_cll != 0 && track.max_fall != 0,
        hdr10_plus: false,
    };
    // ffprobe looks at the first frame's side data only for the first video stream and only
    // when the stream's own side data leaves the answer open.
    if first_video && signals.needs_frame_side_data() {
        signals.mastering_display |= bitstream.sei.mastering_display;
        signals.content_light_level |= bitstream.sei.content_light_level;
        signals.hdr10_plus |= bitstream.sei.hdr10_plus;
    }
    VideoStream {
        index,
        codec: codec.ffmpeg_name().to_owned(),
        profile: non_empty(bitstream.profile.as_deref()),
        width: track.width,
        height: track.height,
        frame_rate: frame_rate(track),
        bit_depth,
        pix_fmt: non_empty(pix_fmt.as_deref()),
        color_transfer,
        color_primaries,
        hdr: signals.classify(),
        duration_secs: duration,
        default: track.flag_default,
        field_order: field_order(track, file, codec, bitstream.field_order.as_deref()),
        stereo_mode: stereo_mode(track.stereo_mode),
        dolby_vision,
    }
}

/// `avg_frame_rate`: 10⁹ ÷ `DefaultDuration` reduced with terms up to 30,000, as FFmpeg does;
/// the deprecated `FrameRate` stands in for a missing `DefaultDuration`.
fn frame_rate(track: &Track) -> Option<f64> {
    let default_duration = track.default_duration.filter(|duration| *duration != 0).or_else(|| {
        let rate = track.frame_rate.filter(|rate| *rate > 0.0)?;
        let duration = 1_000_000_000.0 / rate;
        (duration.is_finite() && duration >= 1.0).then_some(duration as u64)
    })?;
    let (num, den) = rational::reduce(1_000_000_000, default_duration, 30_000)?;
    crate::model::rate_from_parts(i64::try_from(num).ok()?, i64::try_from(den).ok()?)
}

/// ffprobe's `field_order`, as checked against ffprobe 5.1 on patched files: the container's
/// whenever it says (`FlagInterlaced` 2 is progressive; 1 with a known `FieldOrder` is that
/// order, with FFmpeg's fix-up for Lavf 57.36–57.51 files); else what the H.264 or MPEG-2
/// parser reports. FFmpeg's HEVC, AV1 and VP9 paths report no field order, so for them a
/// silent container gives none.
fn field_order(track: &Track, file: &File, codec: VideoCodec, bitstream: Option<&str>) -> Option<String> {
    let swapped = file.muxing_app.as_deref().is_some_and(swapped_field_order);
    let container = match (track.flag_interlaced, track.field_order) {
        (2, _) | (1, 0) => Some("progressive"),
        (1, 1) => Some("tt"),
        (1, 6) => Some("bb"),
        (1, 9) => Some(if swapped { "bt" } else { "tb" }),
        (1, 14) => Some(if swapped { "tb" } else { "bt" }),
        _ => None,
    };
    if let Some(order) = container {
        return Some(order.to_owned());
    }
    if !matches!(codec, VideoCodec::H264 | VideoCodec::Mpeg2) {
        return None;
    }
    bitstream.filter(|order| !order.is_empty() && *order != "unknown").map(str::to_owned)
}

/// Lavf 57.36.100 to 57.51.x wrote the two mixed field orders the wrong way round.
fn swapped_field_order(app: &str) -> bool {
    let Some(version) = app.strip_prefix("Lavf") else { return false };
    let parts: Vec<u32> = version.split('.').map_while(|part| part.trim().parse().ok()).collect();
    matches!(parts.as_slice(), [57, minor, micro, ..] if (36..=51).contains(minor) && *micro >= 100)
}

/// FFmpeg's stereo 3D type name for a `StereoMode`; `None` for 2D and the anaglyph modes.
fn stereo_mode(mode: Option<u64>) -> Option<String> {
    let name = match mode? {
        1 | 11 => "side by side",
        2 | 3 => "top and bottom",
        4 | 5 => "checkerboard",
        6 | 7 => "interleaved lines",
        8 | 9 => "interleaved columns",
        13 | 14 => "frame alternate",
        _ => return None,
    };
    Some(name.to_owned())
}

fn audio_stream(
    track: &Track,
    codec: AudioCodec,
    index: usize,
    duration: Option<f64>,
    language: Option<String>,
    title: Option<String>,
) -> AudioStream {
    let bitstream = codec::audio_bitstream(codec, track.codec_private.as_deref(), track.first_frame.as_deref());
    let rate = track.output_sampling_frequency.filter(|rate| *rate > 0.0).unwrap_or(track.sampling_frequency);
    let container_rate = (rate.is_finite() && rate > 0.0 && rate <= f64::from(i32::MAX)).then_some(rate as u32);
    let codec = bitstream.codec.unwrap_or(codec);
    AudioStream {
        index,
        codec: codec.ffmpeg_name().to_owned(),
        profile: non_empty(bitstream.profile.as_deref()),
        channels: bitstream.channels.or_else(|| u32::try_from(track.channels).ok()).filter(|channels| *channels > 0),
        channel_layout: non_empty(bitstream.channel_layout.as_deref()),
        sample_rate: bitstream.sample_rate.or(container_rate).filter(|rate| *rate > 0),
        language: normalise_language(language.as_deref()),
        title: non_empty(title.as_deref()),
        duration_secs: duration,
        default: track.flag_default,
        forced: track.flag_forced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ids_decode() {
        let mut pos = 0;
        assert_eq!(read_id(&[0x1a, 0x45, 0xdf, 0xa3], &mut pos), Some(EBML_HEADER));
        assert_eq!(pos, 4);
        let mut pos = 0;
        assert_eq!(read_size(&[0x81], &mut pos), Some(Some(1)));
        let mut pos = 0;
        assert_eq!(read_size(&[0xff], &mut pos), Some(None));
        let mut pos = 0;
        assert_eq!(read_size(&[0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], &mut pos), Some(None));
        let mut pos = 0;
        assert_eq!(read_size(&[0x01, 0, 0, 0, 0, 0, 0, 5], &mut pos), Some(Some(5)));
        let mut pos = 0;
        assert_eq!(read_size(&[0x00, 1], &mut pos), None);
        let mut pos = 0;
        assert_eq!(read_size(&[0x40], &mut pos), None, "a two-byte size cut after one byte");
    }

    #[test]
    fn lacing_yields_the_first_frame() {
        // Xiph: two frames, the first 300 bytes (255 + 45).
        let mut block = vec![0x81, 0, 0, 0x02, 1, 255, 45];
        block.extend(std::iter::repeat_n(7u8, 310));
        assert_eq!(first_lace(&block, 4, block.len(), 1).map(<[u8]>::len), Some(300));
        // Fixed: three frames of 4 bytes.
        let block = [0x81, 0, 0, 0x04, 2, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
        assert_eq!(first_lace(&block, 4, block.len(), 2), Some(&[1u8, 1, 1, 1][..]));
        // EBML: first size 2.
        let block = [0x81, 0, 0, 0x06, 1, 0x82, 9, 9, 8, 8, 8];
        assert_eq!(first_lace(&block, 4, block.len(), 3), Some(&[9u8, 9][..]));
        // Xiph, three frames: both stored sizes (300 and 2) come before the first frame's data.
        let mut block = vec![0x81, 0, 0, 0x02, 2, 255, 45, 2];
        block.extend(std::iter::repeat_n(7u8, 300));
        block.extend([6u8; 10]);
        let first = first_lace(&block, 4, block.len(), 1);
        assert_eq!((first.map(<[u8]>::len), first.and_then(<[u8]>::first)), (Some(300), Some(&7)));
        // EBML, eight frames as mkvmerge laces AC-3 (v1-mkvmerge-subs-stereo.mkv, track 4):
        // the first size 416, then six signed differences, then the first frame's sync word.
        let block = [
            0x84, 0, 0, 0x86, 0x07, 0x41, 0xa0, 0xc1, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0x0b, 0x77, 0x1e, 0xf8, 0x4c, 0x40,
            0x2f,
        ];
        assert_eq!(first_lace(&block, 4, block.len(), 3), Some(&block[13..]));
        // A single laced frame is the rest of the payload.
        assert_eq!(first_lace(&[0x81, 0, 0, 0x02, 0, 5, 5], 4, 7, 1), Some(&[5u8, 5][..]));
        assert_eq!(first_lace(&[0x81, 0, 0, 0x06, 0, 0x81, 5, 5], 4, 8, 3), Some(&[5u8, 5][..]));
        // Damaged lacing headers yield nothing rather than panic.
        assert_eq!(first_lace(&[0x81, 0, 0, 0x06], 4, 4, 3), None);
        assert_eq!(first_lace(&[0x81, 0, 0, 0x02, 3, 0xff], 4, 6, 1), None);
        assert_eq!(first_lace(&[0x81, 0, 0, 0x04, 2, 1, 1], 4, 7, 2), None);
    }

    #[test]
    fn codec_ids_map_like_ffmpeg() {
        let track = |id: &str, bits: u64| Track { codec_id: Some(id.to_owned()), bit_depth: bits, ..Track::default() };
        let name = |id: &str, bits: u64| ffmpeg_codec_name(id, &track(id, bits));
        assert_eq!(name("A_AAC/MPEG4/LC/SBR", 0), Some("aac"));
        assert_eq!(name("A_PCM/INT/LIT", 24), Some("pcm_s24le"));
        assert_eq!(name("A_PCM/INT/BIG", 16), Some("pcm_s16be"));
        assert_eq!(name("A_PCM/FLOAT/IEEE", 64), Some("pcm_f64le"));
        assert_eq!(name("S_TEXT/UTF8", 0), Some("subrip"));
        assert_eq!(name("S_HDMV/PGS", 0), Some("hdmv_pgs_subtitle"));
        assert_eq!(name("V_MPEGH/ISO/HEVC", 0), Some("hevc"));
        assert_eq!(name("X_UNKNOWN", 0), None);
        assert_eq!(stereo_mode(Some(1)), Some("side by side".to_owned()));
        assert_eq!(stereo_mode(Some(0)), None);
        assert_eq!(stereo_mode(Some(10)), None);
        assert!(swapped_field_order("Lavf57.40.100"));
        assert!(!swapped_field_order("Lavf59.27.100"));
    }
}
