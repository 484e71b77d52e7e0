//! Stream details from the `ffprobe` program: running it with a timeout and parsing its JSON.
//!
//! This is the reader of the containers the native readers do not handle (AVI, MPEG-TS, VOB…),
//! and the reference the native readers are tested against. Parsing is separate from running so the recorded
//! outputs in `tests/data/` can be checked without the program.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::ProbeError;
use crate::hdr::HdrSignals;
use crate::model::{
    AudioStream, DolbyVision, StreamDetails, SubtitleStream, VideoStream, bit_depth_from_pix_fmt, non_empty,
    normalise_language, parse_clock_duration, rate_from_parts,
};

/// The top level of `ffprobe -print_format json` output; every part is optional because
/// `-show_frames` output has only `frames` and some recorded outputs lack `format`.
#[derive(Debug, Deserialize, Default)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
    #[serde(default)]
    frames: Vec<Frame>,
}

#[derive(Debug, Deserialize, Default)]
struct Format {
    format_name: Option<String>,
    duration: Option<Number>,
    #[serde(default)]
    tags: HashMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
struct Stream {
    index: usize,
    codec_name: Option<String>,
    codec_type: Option<String>,
    profile: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    pix_fmt: Option<String>,
    r_frame_rate: Option<String>,
    avg_frame_rate: Option<String>,
    color_transfer: Option<String>,
    color_primaries: Option<String>,
    bits_per_raw_sample: Option<Number>,
    channels: Option<u32>,
    channel_layout: Option<String>,
    sample_rate: Option<Number>,
    duration: Option<Number>,
    field_order: Option<String>,
    #[serde(default)]
    disposition: HashMap<String, i64>,
    #[serde(default)]
    tags: HashMap<String, String>,
    #[serde(default)]
    side_data_list: Vec<SideData>,
}

#[derive(Debug, Deserialize, Default)]
struct Frame {
    #[serde(default)]
    side_data_list: Vec<SideData>,
}

#[derive(Debug, Deserialize, Default)]
struct SideData {
    side_data_type: Option<String>,
    dv_profile: Option<u8>,
    dv_level: Option<u8>,
    rpu_present_flag: Option<u8>,
    el_present_flag: Option<u8>,
    bl_present_flag: Option<u8>,
    dv_bl_signal_compatibility_id: Option<u8>,
    /// The arrangement of a `Stereo 3D` entry, e.g. `side by side`.
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl SideData {
    fn dolby_vision(&self) -> Option<DolbyVision> {
        (self.side_data_type.as_deref() == Some("DOVI configuration record")).then(|| DolbyVision {
            profile: self.dv_profile.unwrap_or(0),
            level: self.dv_level.unwrap_or(0),
            rpu: self.rpu_present_flag.unwrap_or(0) != 0,
            el: self.el_present_flag.unwrap_or(0) != 0,
            bl: self.bl_present_flag.unwrap_or(0) != 0,
            compatibility: self.dv_bl_signal_compatibility_id.unwrap_or(0),
        })
    }

    fn stereo_mode(&self) -> Option<&str> {
        (self.side_data_type.as_deref() == Some("Stereo 3D")).then_some(self.kind.as_deref()).flatten()
    }
}

/// ffprobe prints most numbers as strings (`"48000"`, `"1.023000"`) and a few as numbers.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Number {
    Text(String),
    Integer(i64),
    Float(f64),
}

impl Number {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Text(text) => text.trim().parse().ok(),
            Number::Integer(value) => Some(*value as f64),
            Number::Float(value) => Some(*value),
        }
    }
}

/// Looks up a tag ignoring case: Matroska tags are upper case (`DURATION`), MP4 lower.
fn tag<'a>(tags: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    tags.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value.as_str())
}

fn flag(disposition: &HashMap<String, i64>, key: &str) -> bool {
    disposition.get(key).copied().unwrap_or(0) != 0
}

fn parse_rate(text: Option<&str>) -> Option<f64> {
    let (numerator, denominator) = text?.split_once('/')?;
    rate_from_parts(numerator.trim().parse().ok()?, denominator.trim().parse().ok()?)
}

/// A stream's duration: the `duration` field (MP4), else Matroska's `DURATION` tag.
fn stream_duration(stream: &Stream) -> Option<f64> {
    stream
        .duration
        .as_ref()
        .and_then(Number::as_f64)
        .or_else(|| tag(&stream.tags, "DURATION").and_then(parse_clock_duration))
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
}

/// Adds what side data says about HDR to `signals`; names are ffprobe's side data names.
fn add_side_data(signals: &mut HdrSignals, side_data: &[SideData]) {
    for entry in side_data {
        let Some(kind) = entry.side_data_type.as_deref() else { continue };
        if kind == "DOVI configuration record" {
            // A record without the compatibility field still means Dolby Vision.
            signals.dovi_compatibility = Some(entry.dv_bl_signal_compatibility_id.unwrap_or(0));
        } else if kind.starts_with("Mastering display metadata") {
            signals.mastering_display = true;
        } else if kind.starts_with("Content light level metadata") {
            signals.content_light_level = true;
        } else if kind.contains("SMPTE2094-40") || kind.contains("HDR10+") {
            signals.hdr10_plus = true;
        }
    }
}

fn video_signals(stream: &Stream, bit_depth: Option<u8>) -> HdrSignals {
    let mut signals = HdrSignals {
        bit_depth,
        color_primaries: stream.color_primaries.clone(),
        color_transfer: stream.color_transfer.clone(),
        ..HdrSignals::default()
    };
    add_side_data(&mut signals, &stream.side_data_list);
    signals
}

/// Parses ffprobe's JSON (`-show_streams -show_format`) into stream details.
///
/// A document that also holds `frames` (from `-show_frames`) has their side data applied to
/// the first video stream, as the two-step ffprobe run does. Without the first frame's side
/// data a PQ stream whose static metadata lives only in the bitstream classifies as
/// [`crate::HdrType::Pq10`]; use [`parse_ffprobe_output`] to pass the frames separately.
pub fn parse_ffprobe_json(json: &str) -> Result<StreamDetails, serde_json::Error> {
    parse_ffprobe_output(json, None)
}

/// Parses the stream/format JSON plus, optionally, the first-frame JSON of the video stream
/// (`-select_streams v:0 -show_frames -read_intervals %+#1`).
pub fn parse_ffprobe_output(streams_json: &str, frames_json: Option<&str>) -> Result<StreamDetails, serde_json::Error> {
    let mut output: Output = serde_json::from_str(streams_json)?;
    if let Some(frames_json) = frames_json {
        let frames: Output = serde_json::from_str(frames_json)?;
        output.frames.extend(frames.frames);
    }
    Ok(convert(&output))
}

/// The first real video stream (cover art excluded): its `-select_streams` specifier
/// (`v:N` counts every video stream, cover art included) and its HDR signals, used to decide
/// whether the frame probe is needed.
fn first_video_signals(output: &Output) -> Option<(String, HdrSignals)> {
    output
        .streams
        .iter()
        .filter(|stream| stream.codec_type.as_deref() == Some("video"))
        .enumerate()
        .find(|(_, stream)| is_video(stream))
        .map(|(position, stream)| (format!("v:{position}"), video_signals(stream, video_bit_depth(stream))))
}

fn is_video(stream: &Stream) -> bool {
    stream.codec_type.as_deref() == Some("video")
        && !flag(&stream.disposition, "attached_pic")
        && stream.codec_name.is_some()
}

fn video_bit_depth(stream: &Stream) -> Option<u8> {
    stream.pix_fmt.as_deref().and_then(bit_depth_from_pix_fmt).or_else(|| {
        let bits = stream.bits_per_raw_sample.as_ref().and_then(Number::as_f64)?;
        u8::try_from(bits as i64).ok().filter(|bits| *bits > 0)
    })
}

fn convert(output: &Output) -> StreamDetails {
    let mut details = StreamDetails {
        container: output.format.as_ref().and_then(|format| format.format_name.clone()),
        title: output.format.as_ref().and_then(|format| non_empty(tag(&format.tags, "title"))),
        duration_secs: output
            .format
            .as_ref()
            .and_then(|format| format.duration.as_ref())
            .and_then(Number::as_f64)
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0),
        ..StreamDetails::default()
    };
    let mut first_video = true;
    for stream in &output.streams {
        let Some(codec) = stream.codec_name.clone() else { continue };
        match stream.codec_type.as_deref() {
            Some("video") if is_video(stream) => {
                let bit_depth = video_bit_depth(stream);
                let mut signals = video_signals(stream, bit_depth);
                if first_video {
                    // The frame probe selects the first video stream that is not cover art.
                    for frame in &output.frames {
                        add_side_data(&mut signals, &frame.side_data_list);
                    }
                    first_video = false;
                }
                details.video.push(VideoStream {
                    index: stream.index,
                    codec,
                    profile: non_empty(stream.profile.as_deref()),
                    width: stream.width.unwrap_or(0),
                    height: stream.height.unwrap_or(0),
                    frame_rate: parse_rate(stream.avg_frame_rate.as_deref())
                        .or_else(|| parse_rate(stream.r_frame_rate.as_deref())),
                    bit_depth,
                    pix_fmt: non_empty(stream.pix_fmt.as_deref()),
                    color_transfer: non_empty(stream.color_transfer.as_deref()),
                    color_primaries: non_empty(stream.color_primaries.as_deref()),
                    hdr: signals.classify(),
                    duration_secs: stream_duration(stream),
                    default: flag(&stream.disposition, "default"),
                    field_order: non_empty(stream.field_order.as_deref()).filter(|order| order != "unknown"),
                    stereo_mode: stream
                        .side_data_list
                        .iter()
                        .find_map(SideData::stereo_mode)
                        .filter(|mode| *mode != "2D")
                        .map(str::to_owned),
                    dolby_vision: stream.side_data_list.iter().find_map(SideData::dolby_vision),
                });
            }
            Some("audio") => details.audio.push(AudioStream {
                index: stream.index,
                codec,
                profile: non_empty(stream.profile.as_deref()),
                channels: stream.channels.filter(|channels| *channels > 0),
                channel_layout: non_empty(stream.channel_layout.as_deref()),
                sample_rate: stream
                    .sample_rate
                    .as_ref()
                    .and_then(Number::as_f64)
                    .map(|rate| rate as u32)
                    .filter(|rate| *rate > 0),
                language: normalise_language(tag(&stream.tags, "language")),
                title: non_empty(tag(&stream.tags, "title")),
                duration_secs: stream_duration(stream),
                default: flag(&stream.disposition, "default"),
                forced: flag(&stream.disposition, "forced"),
            }),
            Some("subtitle") => details.subtitles.push(SubtitleStream {
                index: stream.index,
                codec,
                language: normalise_language(tag(&stream.tags, "language")),
                title: non_empty(tag(&stream.tags, "title")),
                forced: flag(&stream.disposition, "forced"),
                default: flag(&stream.disposition, "default"),
                hearing_impaired: flag(&stream.disposition, "hearing_impaired"),
            }),
            _ => {}
        }
    }
    if details.duration_secs.is_none() {
        details.duration_secs = details.longest_stream();
    }
    details
}

/// Runs `ffprobe` on `path` and parses its output; `timeout` covers both ffprobe runs.
///
/// A second run reads the first frame's side data when the first video stream could be
/// HDR10, PQ10 or HDR10+ (10-bit PQ, or Dolby Vision over an HDR10 base), because ffprobe
/// reports mastering-display and light-level metadata only per frame. A missing program is
/// [`ProbeError::Unavailable`].
pub fn probe_with_ffprobe(ffprobe: &Path, path: &Path, timeout: Duration) -> Result<StreamDetails, ProbeError> {
    let deadline = Instant::now() + timeout;
    // `-v error` rather than `-v quiet` so a failure carries FFmpeg's reason on stderr.
    let streams_json = run_ffprobe(
        ffprobe,
        path,
        &["-v", "error", "-print_format", "json", "-show_streams", "-show_format"],
        deadline,
        timeout,
    )?;
    let mut output: Output = serde_json::from_slice(&streams_json)
        .map_err(|err| ProbeError::Ffprobe { path: path.to_owned(), message: format!("invalid JSON: {err}") })?;
    if output.streams.is_empty() {
        return Err(ProbeError::Corrupt { path: path.to_owned(), reason: "ffprobe found no streams".to_owned() });
    }
    let frame_probe = first_video_signals(&output).filter(|(_, signals)| signals.needs_frame_side_data());
    if let Some((selector, _)) = frame_probe {
        let frames_json = match run_ffprobe(
            ffprobe,
            path,
            &[
                "-v",
                "error",
                "-print_format",
                "json",
                "-select_streams",
                &selector,
                "-show_frames",
                "-read_intervals",
                "%+#1",
            ],
            deadline,
            timeout,
        ) {
            Ok(json) => json,
            Err(err @ ProbeError::Timeout { .. }) => return Err(err),
            // An undecodable first frame leaves the stream classified from its tags alone
            // (PQ10 rather than HDR10), like the native readers; the streams are still known.
            Err(_) => Vec::new(),
        };
        if let Ok(frames) = serde_json::from_slice::<Output>(&frames_json) {
            output.frames = frames.frames;
        }
    }
    Ok(convert(&output))
}

/// Runs ffprobe with `args` and the file, returning stdout, killing it at `deadline`.
fn run_ffprobe(
    ffprobe: &Path,
    path: &Path,
    args: &[&str],
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<u8>, ProbeError> {
    let mut child = Command::new(ffprobe)
        .args(args)
        // `-i` keeps a file name starting with `-` from being read as an option.
        .arg("-i")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| ProbeError::Unavailable {
            path: path.to_owned(),
            reason: format!("cannot run {}: {err}", ffprobe.display()),
        })?;
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ProbeError::Ffprobe {
            path: path.to_owned(),
            message: "ffprobe's output pipes were not created".to_owned(),
        });
    };
    // Both pipes are drained on threads so a chatty ffprobe cannot block on a full pipe while
    // this thread waits for the deadline.
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let result = stdout.read_to_end(&mut bytes).map(|_| bytes);
        // The receiver is gone only after a timeout, when nobody wants the output.
        let _ = sender.send(result);
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        // Lossy: stderr is only used in error messages.
        let mut bytes = Vec::new();
        if stderr.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    });
    let remaining = deadline.saturating_duration_since(Instant::now());
    let stdout = match receiver.recv_timeout(remaining) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ProbeError::Io { path: path.to_owned(), source: err });
        }
        Err(_) => {
            // Killing closes the pipes, so the reader threads finish on their own.
            let _ = child.kill();
            let _ = child.wait();
            return Err(ProbeError::Timeout { path: path.to_owned(), timeout });
        }
    };
    let status = child.wait().map_err(|err| ProbeError::Io { path: path.to_owned(), source: err })?;
    let stderr = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(classify_failure(path, status, stderr.trim()));
    }
    Ok(stdout)
}

fn classify_failure(path: &Path, status: std::process::ExitStatus, stderr: &str) -> ProbeError {
    let path: PathBuf = path.to_owned();
    let message = if stderr.is_empty() { format!("exited with {status}") } else { clean_stderr(stderr) };
    let kind = if stderr.contains("No such file or directory") {
        Some(std::io::ErrorKind::NotFound)
    } else if stderr.contains("Permission denied") {
        Some(std::io::ErrorKind::PermissionDenied)
    } else {
        None
    };
    match kind {
        Some(kind) => ProbeError::Io { path, source: std::io::Error::new(kind, message) },
        // Anything else ffprobe refuses (unknown format, truncated header, garbage) is a file
        // it cannot read as video.
        None => ProbeError::Corrupt { path, reason: message },
    }
}

/// Drops FFmpeg's `[demuxer @ 0x55…] ` prefixes, whose pointers make messages differ per run,
/// and joins the lines.
fn clean_stderr(stderr: &str) -> String {
    stderr
        .lines()
        .map(|line| match (line.starts_with('['), line.find("] ")) {
            (true, Some(end)) => &line[end + 2..],
            _ => line,
        })
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `ffprobe` at this path runs (`ffprobe -version` exits successfully).
pub fn ffprobe_available(ffprobe: &Path) -> bool {
    Command::new(ffprobe)
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_from_strings_and_numbers() {
        let json = r#"{"streams":[{"index":0,"codec_type":"audio","codec_name":"aac",
            "sample_rate":"48000","channels":2,"duration":12.5,"tags":{"LANGUAGE":"GER"}}]}"#;
        let details = parse_ffprobe_json(json).expect("valid json");
        assert_eq!(details.audio[0].sample_rate, Some(48000));
        assert_eq!(details.audio[0].duration_secs, Some(12.5));
        assert_eq!(details.audio[0].language.as_deref(), Some("ger"));
        assert_eq!(details.duration_secs, Some(12.5));
    }

    #[test]
    fn garbage_json_is_an_error() {
        assert!(parse_ffprobe_json("not json").is_err());
    }
}
