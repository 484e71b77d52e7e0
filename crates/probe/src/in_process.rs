//! Stream details read in-process through FFmpeg's libraries (`ffmpeg-next`).
//!
//! Spawning `ffprobe` costs about 75 ms per file, mostly process start; opening the container
//! here costs a few milliseconds. The reader uses the same demuxers and parsers as ffprobe
//! (`avformat_open_input` + `avformat_find_stream_info`), so the two agree field by field.
//!
//! HDR10 versus PQ10 needs the first frame's side data: x265 puts the mastering-display and
//! light-level SEI in the bitstream and Matroska muxers often do not copy it into the
//! container. For 10-bit PQ streams without container metadata the reader therefore decodes
//! the first video packet (one frame, single-threaded) and reads the frame's side data, as
//! ffprobe's `-show_frames -read_intervals %+#1` does.

use std::path::Path;
use std::sync::Once;
use std::time::{Duration, Instant};

use ffmpeg::codec::Profile;
use ffmpeg::codec::profile as profiles;
use ffmpeg::format::stream::Disposition;
use ffmpeg::media::Type as Medium;
use ffmpeg_next as ffmpeg;

use crate::error::ProbeError;
use crate::ffprobe::longest_stream;
use crate::hdr::HdrSignals;
use crate::model::{
    AudioStream, StreamDetails, SubtitleStream, VideoStream, bit_depth_from_pix_fmt, channel_layout_name, non_empty,
    normalise_language, parse_clock_duration, rate_from_parts,
};
use crate::sei;

/// At most this many packets are read looking for the first video packet, so a file whose
/// video starts very late (or never) cannot keep the reader busy.
const MAX_PACKETS_BEFORE_VIDEO: usize = 512;

/// Initialises FFmpeg once and silences its logging: errors reach callers as values, and
/// FFmpeg's own stderr lines for every corrupt file would only be noise in the service log.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // `init` only registers devices and network on old FFmpeg; a failure leaves the
        // demuxers usable, and opening a file reports any real problem.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
    });
}

/// Reads the stream details of `path` in-process, giving up after `timeout`.
///
/// Blocking: call it from `spawn_blocking` or a dedicated thread. A container FFmpeg cannot
/// identify or a codec it has no decoder for is [`ProbeError::Unsupported`], a damaged file
/// [`ProbeError::Corrupt`]; neither panics.
pub fn probe_in_process(path: &Path, timeout: Duration) -> Result<StreamDetails, ProbeError> {
    probe(path, timeout, FirstFrame::ScanThenDecode)
}

/// How the first frame's HDR side data is read; tests force the decoder to cover that path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstFrame {
    /// Scan the first packet's SEI and decode only when it has no HDR metadata.
    ScanThenDecode,
    /// Always decode (the path taken when the metadata lives in the codec's extradata).
    #[cfg_attr(not(test), allow(dead_code))]
    DecodeOnly,
}

fn probe(path: &Path, timeout: Duration, first_frame: FirstFrame) -> Result<StreamDetails, ProbeError> {
    let metadata = std::fs::metadata(path).map_err(|err| ProbeError::Io { path: path.to_owned(), source: err })?;
    if !metadata.is_file() {
        return Err(ProbeError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        });
    }
    if metadata.len() == 0 {
        return Err(ProbeError::Corrupt { path: path.to_owned(), reason: "empty file".to_owned() });
    }
    init();
    let started = Instant::now();
    let deadline = started + timeout;
    // FFmpeg polls this during every read and inside stream analysis, so a file that makes
    // the demuxer spin (or a stalled network share) ends with AVERROR_EXIT at the deadline.
    let mut input = ffmpeg::format::input_with_interrupt(path, move || Instant::now() > deadline)
        .map_err(|err| open_error(path, err, started, timeout))?;

    let mut details = StreamDetails {
        container: non_empty(Some(input.format().name())),
        title: non_empty(input.metadata().get("title")),
        duration_secs: duration_from_micros(input.duration()),
        ..StreamDetails::default()
    };

    let mut first_video: Option<(usize, HdrSignals, ffmpeg::decoder::Video)> = None;
    for stream in input.streams() {
        let parameters = stream.parameters();
        let codec_id = parameters.id();
        if codec_id == ffmpeg::codec::Id::None {
            // ffprobe skips streams without a codec name too (data streams such as tmcd).
            continue;
        }
        let codec = codec_id.name().to_owned();
        let disposition = stream.disposition();
        let metadata = stream.metadata();
        match parameters.medium() {
            Medium::Video if !disposition.contains(Disposition::ATTACHED_PIC) => {
                let decoder = open_decoder(path, parameters)?.video().map_err(|err| ProbeError::Unsupported {
                    path: path.to_owned(),
                    reason: format!("no video decoder for {codec}: {err}"),
                })?;
                let pix_fmt = decoder.format().descriptor().map(|descriptor| descriptor.name());
                let pix_fmt = pix_fmt.filter(|name| *name != "none").map(str::to_owned);
                let bit_depth = pix_fmt.as_deref().and_then(bit_depth_from_pix_fmt);
                let color_transfer = decoder.color_transfer_characteristic().name().map(str::to_owned);
                let color_primaries = decoder.color_primaries().name().map(str::to_owned);
                let mut signals = HdrSignals {
                    bit_depth,
                    color_primaries: color_primaries.clone(),
                    color_transfer: color_transfer.clone(),
                    ..HdrSignals::default()
                };
                for side_data in stream.side_data() {
                    add_stream_side_data(&mut signals, side_data.kind(), side_data.data());
                }
                let frame_rate = rational(stream.avg_frame_rate()).or_else(|| rational(stream.rate()));
                details.video.push(VideoStream {
                    index: stream.index(),
                    codec,
                    profile: profile_name(decoder.profile()).map(str::to_owned),
                    width: decoder.width(),
                    height: decoder.height(),
                    frame_rate,
                    bit_depth,
                    pix_fmt,
                    color_transfer,
                    color_primaries,
                    hdr: signals.classify(),
                    duration_secs: stream_duration(&stream),
                    default: disposition.contains(Disposition::DEFAULT),
                });
                if first_video.is_none() {
                    first_video = Some((stream.index(), signals, decoder));
                }
            }
            Medium::Audio => {
                let decoder = open_decoder(path, parameters)?.audio().map_err(|err| ProbeError::Unsupported {
                    path: path.to_owned(),
                    reason: format!("no audio decoder for {codec}: {err}"),
                })?;
                let channels = u32::from(decoder.channels());
                details.audio.push(AudioStream {
                    index: stream.index(),
                    codec,
                    profile: profile_name(decoder.profile()).map(str::to_owned),
                    channels: Some(channels).filter(|channels| *channels > 0),
                    channel_layout: channel_layout_name(decoder.channel_layout().bits()).map(str::to_owned),
                    sample_rate: Some(decoder.rate()).filter(|rate| *rate > 0),
                    language: normalise_language(metadata.get("language")),
                    title: non_empty(metadata.get("title")),
                    duration_secs: stream_duration(&stream),
                    default: disposition.contains(Disposition::DEFAULT),
                });
            }
            Medium::Subtitle => details.subtitles.push(SubtitleStream {
                index: stream.index(),
                codec,
                language: normalise_language(metadata.get("language")),
                title: non_empty(metadata.get("title")),
                forced: disposition.contains(Disposition::FORCED),
                default: disposition.contains(Disposition::DEFAULT),
                hearing_impaired: disposition.contains(Disposition::HEARING_IMPAIRED),
            }),
            _ => {}
        }
    }
    if details.video.is_empty() && details.audio.is_empty() && details.subtitles.is_empty() {
        return Err(ProbeError::Corrupt {
            path: path.to_owned(),
            reason: "no audio, video or subtitle streams".to_owned(),
        });
    }

    if let Some((stream_index, mut signals, decoder)) = first_video
        && signals.needs_frame_side_data()
    {
        read_first_frame_side_data(&mut input, stream_index, decoder, &mut signals, first_frame);
        if Instant::now() > deadline {
            return Err(ProbeError::Timeout { path: path.to_owned(), timeout });
        }
        if let Some(video) = details.video.iter_mut().find(|video| video.index == stream_index) {
            video.hdr = signals.classify();
        }
    }
    if details.duration_secs.is_none() {
        details.duration_secs = longest_stream(&details);
    }
    Ok(details)
}

/// Maps an error from opening the input to the crate's error.
fn open_error(path: &Path, err: ffmpeg::Error, started: Instant, timeout: Duration) -> ProbeError {
    match err {
        ffmpeg::Error::Exit => ProbeError::Timeout { path: path.to_owned(), timeout },
        // Stream analysis can also stop with EOF or invalid data when the interrupt fires.
        _ if started.elapsed() > timeout => ProbeError::Timeout { path: path.to_owned(), timeout },
        // The file was there a moment ago, so only a vanished or unreadable file is an I/O
        // problem; FFmpeg reports a truncated file as EIO, which is damage, not I/O.
        ffmpeg::Error::Other { errno } if is_access_errno(errno) => {
            ProbeError::Io { path: path.to_owned(), source: std::io::Error::from_raw_os_error(errno) }
        }
        ffmpeg::Error::DemuxerNotFound
        | ffmpeg::Error::DecoderNotFound
        | ffmpeg::Error::ProtocolNotFound
        | ffmpeg::Error::PatchWelcome => ProbeError::Unsupported { path: path.to_owned(), reason: err.to_string() },
        _ => ProbeError::Corrupt { path: path.to_owned(), reason: err.to_string() },
    }
}

fn is_access_errno(errno: i32) -> bool {
    matches!(
        std::io::Error::from_raw_os_error(errno).kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
    )
}

fn open_decoder(path: &Path, parameters: ffmpeg::codec::Parameters) -> Result<ffmpeg::decoder::Decoder, ProbeError> {
    ffmpeg::codec::Context::from_parameters(parameters).map(|context| context.decoder()).map_err(|err| {
        ProbeError::Corrupt { path: path.to_owned(), reason: format!("invalid codec parameters: {err}") }
    })
}

/// Applies one piece of container-level side data to the HDR signals.
fn add_stream_side_data(signals: &mut HdrSignals, kind: ffmpeg::codec::packet::side_data::Type, data: &[u8]) {
    use ffmpeg::codec::packet::side_data::Type;
    match kind {
        // AVDOVIDecoderConfigurationRecord is eight `uint8_t` fields; the eighth is
        // `dv_bl_signal_compatibility_id`.
        Type::DOVI_CONF => signals.dovi_compatibility = Some(data.get(7).copied().unwrap_or(0)),
        Type::MasteringDisplayMetadata => signals.mastering_display = true,
        Type::ContentLightLevel => signals.content_light_level = true,
        Type::DYNAMIC_HDR10_PLUS => signals.hdr10_plus = true,
        _ => {}
    }
}

/// Records the HDR side data of the video stream's first frame: from the SEI of its first
/// packet when that has any, else by decoding the frame.
///
/// Failures here leave the signals as they were: the stream then classifies from its
/// container metadata alone (PQ10 rather than HDR10), which is a lesser answer, not an error.
fn read_first_frame_side_data(
    input: &mut ffmpeg::format::context::Input,
    stream_index: usize,
    mut decoder: ffmpeg::decoder::Video,
    signals: &mut HdrSignals,
    first_frame: FirstFrame,
) {
    use ffmpeg::util::frame::side_data::Type;
    let mut first_packet = None;
    for (packets_read, (stream, packet)) in input.packets().enumerate() {
        if packets_read >= MAX_PACKETS_BEFORE_VIDEO {
            break;
        }
        if stream.index() == stream_index {
            first_packet = Some(packet);
            break;
        }
    }
    let Some(packet) = first_packet else { return };
    let sei_codec = match decoder.id() {
        ffmpeg::codec::Id::H264 => Some(sei::Codec::H264),
        ffmpeg::codec::Id::HEVC => Some(sei::Codec::Hevc),
        _ => None,
    };
    if let (FirstFrame::ScanThenDecode, Some(sei_codec), Some(data)) = (first_frame, sei_codec, packet.data()) {
        let found = sei::scan_packet(sei_codec, data);
        if found.any() {
            signals.mastering_display |= found.mastering_display;
            signals.content_light_level |= found.content_light_level;
            signals.hdr10_plus |= found.hdr10_plus;
            return;
        }
    }
    if decoder.send_packet(&packet).is_err() || decoder.send_eof().is_err() {
        return;
    }
    let mut frame = ffmpeg::frame::Video::empty();
    // After end of stream the decoder returns its buffered frames, the first one first.
    if decoder.receive_frame(&mut frame).is_err() {
        return;
    }
    signals.mastering_display |= frame.side_data(Type::MasteringDisplayMetadata).is_some();
    signals.content_light_level |= frame.side_data(Type::ContentLightLevel).is_some();
    signals.hdr10_plus |= frame.side_data(Type::DYNAMIC_HDR_PLUS).is_some();
}

fn rational(value: ffmpeg::Rational) -> Option<f64> {
    rate_from_parts(i64::from(value.numerator()), i64::from(value.denominator()))
}

fn duration_from_micros(micros: i64) -> Option<f64> {
    // AV_NOPTS_VALUE (i64::MIN) and zero both mean unknown.
    (micros > 0).then(|| micros as f64 / 1_000_000.0)
}

/// A stream's duration: from its own field (MP4), else Matroska's `DURATION` tag.
fn stream_duration(stream: &ffmpeg::format::stream::Stream<'_>) -> Option<f64> {
    let ticks = stream.duration();
    let time_base = stream.time_base();
    let from_field = (ticks > 0 && time_base.denominator() > 0)
        .then(|| ticks as f64 * f64::from(time_base.numerator()) / f64::from(time_base.denominator()));
    // ffprobe prints durations with six decimals; rounding the same way keeps both readers'
    // answers identical instead of a few ulps apart.
    from_field
        .map(|seconds| (seconds * 1_000_000.0).round() / 1_000_000.0)
        .or_else(|| stream.metadata().get("DURATION").and_then(parse_clock_duration))
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
}

/// The profile name ffprobe prints (`avcodec_profile_name`), for the profiles ffmpeg-next
/// models; other codecs' profiles (AV1, E-AC-3 Atmos, DTS:X) come out as `None`.
fn profile_name(profile: Profile) -> Option<&'static str> {
    Some(match profile {
        Profile::Unknown | Profile::Reserved => return None,
        Profile::AAC(aac) => match aac {
            profiles::AAC::Main => "Main",
            profiles::AAC::Low | profiles::AAC::MPEG2Low => "LC",
            profiles::AAC::SSR => "SSR",
            profiles::AAC::LTP => "LTP",
            profiles::AAC::HE | profiles::AAC::MPEG2HE => "HE-AAC",
            profiles::AAC::HEv2 => "HE-AACv2",
            profiles::AAC::LD => "LD",
            profiles::AAC::ELD => "ELD",
        },
        Profile::DTS(dts) => match dts {
            profiles::DTS::Default => "DTS",
            profiles::DTS::ES => "DTS-ES",
            profiles::DTS::_96_24 => "DTS 96/24",
            profiles::DTS::HD_HRA => "DTS-HD HRA",
            profiles::DTS::HD_MA => "DTS-HD MA",
            profiles::DTS::Express => "DTS Express",
        },
        Profile::H264(h264) => match h264 {
            profiles::H264::Constrained => "Constrained",
            profiles::H264::Intra => "Intra",
            profiles::H264::Baseline => "Baseline",
            profiles::H264::ConstrainedBaseline => "Constrained Baseline",
            profiles::H264::Main => "Main",
            profiles::H264::Extended => "Extended",
            profiles::H264::High => "High",
            profiles::H264::High10 => "High 10",
            profiles::H264::High10Intra => "High 10 Intra",
            profiles::H264::High422 => "High 4:2:2",
            profiles::H264::High422Intra => "High 4:2:2 Intra",
            profiles::H264::High444 => "High 4:4:4",
            profiles::H264::High444Predictive => "High 4:4:4 Predictive",
            profiles::H264::High444Intra => "High 4:4:4 Intra",
            profiles::H264::CAVLC444 => "CAVLC 4:4:4",
        },
        Profile::HEVC(hevc) => match hevc {
            profiles::HEVC::Main => "Main",
            profiles::HEVC::Main10 => "Main 10",
            profiles::HEVC::MainStillPicture => "Main Still Picture",
            profiles::HEVC::Rext => "Rext",
        },
        Profile::VP9(vp9) => match vp9 {
            profiles::VP9::_0 => "Profile 0",
            profiles::VP9::_1 => "Profile 1",
            profiles::VP9::_2 => "Profile 2",
            profiles::VP9::_3 => "Profile 3",
        },
        Profile::MPEG2(mpeg2) => match mpeg2 {
            profiles::MPEG2::_422 => "4:2:2",
            profiles::MPEG2::High => "High",
            profiles::MPEG2::SS => "Spatially Scalable",
            profiles::MPEG2::SNRScalable => "SNR Scalable",
            profiles::MPEG2::Main => "Main",
            profiles::MPEG2::Simple => "Simple",
        },
        Profile::VC1(vc1) => match vc1 {
            profiles::VC1::Simple => "Simple",
            profiles::VC1::Main => "Main",
            profiles::VC1::Complex => "Complex",
            profiles::VC1::Advanced => "Advanced",
        },
        Profile::MPEG4(mpeg4) => match mpeg4 {
            profiles::MPEG4::Simple => "Simple Profile",
            profiles::MPEG4::SimpleScalable => "Simple Scalable Profile",
            profiles::MPEG4::Core => "Core Profile",
            profiles::MPEG4::Main => "Main Profile",
            profiles::MPEG4::NBit => "N-bit Profile",
            profiles::MPEG4::ScalableTexture => "Scalable Texture Profile",
            profiles::MPEG4::SimpleFaceAnimation => "Simple Face Animation Profile",
            profiles::MPEG4::BasicAnimatedTexture => "Basic Animated Texture Profile",
            profiles::MPEG4::Hybrid => "Hybrid Profile",
            profiles::MPEG4::AdvancedRealTime => "Advanced Real Time Simple Profile",
            profiles::MPEG4::CoreScalable => "Code Scalable Profile",
            profiles::MPEG4::AdvancedCoding => "Advanced Coding Profile",
            profiles::MPEG4::AdvancedCore => "Advanced Core Profile",
            profiles::MPEG4::AdvancedScalableTexture => "Advanced Scalable Texture Profile",
            profiles::MPEG4::SimpleStudio => "Simple Studio Profile",
            profiles::MPEG4::AdvancedSimple => "Advanced Simple Profile",
        },
        Profile::JPEG2000(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HdrType;
    use std::process::Command;

    /// Makes a tiny HDR10 HEVC file whose metadata is in SEI, or `None` (skip) without ffmpeg;
    /// with `CI` set a missing ffmpeg fails instead.
    #[allow(clippy::print_stderr, reason = "the skip notice is for whoever reads the test output")]
    fn hdr10_file(dir: &Path) -> Option<std::path::PathBuf> {
        let path = dir.join("hdr10.mkv");
        let status = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=0.2:size=160x120:rate=10"])
            .args(["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-x265-params"])
            .arg(
                "log-level=error:hdr10=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:\
                 master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
            )
            .arg(&path)
            .status();
        match status {
            Ok(status) if status.success() => Some(path),
            other => {
                assert!(std::env::var_os("CI").is_none(), "ffmpeg could not make the HDR10 sample: {other:?}");
                eprintln!("SKIPPED: ffmpeg with libx265 not available");
                None
            }
        }
    }

    #[test]
    fn decoding_the_first_frame_finds_hdr10_like_the_sei_scan() {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(path) = hdr10_file(dir.path()) else { return };
        let timeout = Duration::from_secs(20);
        let scanned = probe(&path, timeout, FirstFrame::ScanThenDecode).expect("probe with scan");
        let decoded = probe(&path, timeout, FirstFrame::DecodeOnly).expect("probe with decode");
        assert_eq!(scanned.video[0].hdr, HdrType::Hdr10);
        assert_eq!(decoded, scanned);
    }
}
