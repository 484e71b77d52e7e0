//! `parse_ffprobe_json` on every recorded ffprobe output in `tests/data/ffprobe/`.
//!
//! Each fixture has its own test with explicit values; `every_fixture_has_a_test` fails when a
//! new fixture is added without one.

use metarr_probe::{HdrType, StreamDetails, parse_ffprobe_json, parse_ffprobe_output};

use crate::media::ffprobe_fixture_dir;

/// Fixtures with a test below; keep in step with the directory.
const COVERED: &[&str] = &[
    "jellyfin-video_interlaced.json",
    "jellyfin-video_metadata.json",
    "jellyfin-video_missing_video_bitrate.json",
    "jellyfin-video_mp4_metadata.json",
    "jellyfin-video_web_like_mkv_with_subtitle.json",
    "local-h264-aac-1080p-60s.mp4.json",
    "local-hdr10-first-frame-side-data.json",
    "local-hdr10-hevc-ac3-aac-srt.mkv.json",
    "local-sdr-h264-vorbis-mono.mkv.json",
    "radarr-H264_sample.mp4.json",
];

fn read(name: &str) -> String {
    std::fs::read_to_string(ffprobe_fixture_dir().join(name)).expect("read fixture")
}

fn parse(name: &str) -> StreamDetails {
    parse_ffprobe_json(&read(name)).expect("fixture parses")
}

fn assert_close(actual: Option<f64>, expected: f64, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what}: missing"));
    assert!((actual - expected).abs() < 1e-6, "{what}: {actual} != {expected}");
}

#[test]
fn every_fixture_has_a_test() {
    let mut names: Vec<String> = std::fs::read_dir(ffprobe_fixture_dir())
        .expect("list fixtures")
        .map(|entry| entry.expect("fixture entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names, COVERED);
    for name in COVERED {
        parse(name);
    }
}

#[test]
fn jellyfin_interlaced_mp4() {
    let details = parse("jellyfin-video_interlaced.json");
    assert_eq!(details.container.as_deref(), Some("mov,mp4,m4a,3gp,3g2,mj2"));
    assert_close(details.duration_secs, 300.0, "duration");
    assert_eq!(details.title, None);
    let [video] = details.video.as_slice() else { panic!("one video stream") };
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("h264", Some("High")));
    assert_eq!((video.width, video.height), (1280, 720));
    assert_eq!(video.frame_rate, Some(25.0));
    assert_eq!((video.bit_depth, video.pix_fmt.as_deref()), (Some(8), Some("yuv420p")));
    assert_eq!(video.hdr, HdrType::Sdr);
    assert!(video.default);
    assert!(details.audio.is_empty() && details.subtitles.is_empty());
}

#[test]
fn jellyfin_metadata_mkv_dolby_vision_record_on_eight_bit_is_sdr() {
    let details = parse("jellyfin-video_metadata.json");
    assert_eq!(details.container.as_deref(), Some("matroska,webm"));
    assert_close(details.duration_secs, 1.0, "duration");
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("h264", Some("High 4:4:4 Predictive")));
    assert_eq!((video.width, video.height, video.bit_depth), (320, 240, Some(8)));
    // Matroska streams carry their duration only in the DURATION tag.
    assert_close(video.duration_secs, 1.0, "video duration from tags.DURATION");
    // The stream has a DOVI configuration record, but Radarr calls anything below 10 bits SDR.
    assert_eq!(video.hdr, HdrType::Sdr);
    let [eac3, dts] = details.audio.as_slice() else { panic!("two audio streams") };
    assert_eq!((eac3.codec.as_str(), eac3.profile.as_deref()), ("eac3", Some("Dolby Digital Plus + Dolby Atmos")));
    assert_eq!((eac3.channels, eac3.channel_layout.as_deref()), (Some(6), Some("5.1(side)")));
    assert_eq!((eac3.sample_rate, eac3.language.as_deref(), eac3.default), (Some(48000), Some("eng"), true));
    assert_eq!((dts.codec.as_str(), dts.profile.as_deref()), ("dts", Some("DTS-HD MA + DTS:X")));
    assert_eq!((dts.channels, dts.channel_layout.as_deref(), dts.default), (Some(8), Some("7.1"), false));
    assert!(details.subtitles.is_empty());
}

#[test]
fn dolby_vision_record_on_ten_bit_is_dolby_vision() {
    // The same file as if it were 10-bit: profile 5 (compatibility 0) has no fallback layer.
    let json = read("jellyfin-video_metadata.json").replace("\"yuv444p\"", "\"yuv420p10le\"");
    let details = parse_ffprobe_json(&json).expect("parses");
    assert_eq!(details.video[0].bit_depth, Some(10));
    assert_eq!(details.video[0].hdr, HdrType::DolbyVision);
    let json = json.replace("\"dv_bl_signal_compatibility_id\": 0", "\"dv_bl_signal_compatibility_id\": 1");
    let details = parse_ffprobe_json(&json).expect("parses");
    assert_eq!(details.video[0].hdr, HdrType::DolbyVisionHdr10);
}

#[test]
fn jellyfin_missing_video_bitrate_mp4() {
    let details = parse("jellyfin-video_missing_video_bitrate.json");
    let video = &details.video[0];
    assert_eq!((video.width, video.height, video.frame_rate), (1920, 1080, Some(24.0)));
    assert_close(video.duration_secs, 300.0, "video duration");
    let [audio] = details.audio.as_slice() else { panic!("one audio stream") };
    assert_eq!((audio.codec.as_str(), audio.profile.as_deref()), ("aac", Some("LC")));
    assert_eq!((audio.channels, audio.channel_layout.as_deref()), (Some(2), Some("stereo")));
    assert_eq!((audio.sample_rate, audio.language.as_deref()), (Some(48000), Some("eng")));
}

#[test]
fn jellyfin_mp4_metadata_without_format_section() {
    let details = parse("jellyfin-video_mp4_metadata.json");
    // No `format` object: no container, and the duration comes from the longest stream.
    assert_eq!(details.container, None);
    assert_close(details.duration_secs, 15794.106444, "duration from streams");
    let video = &details.video[0];
    assert_eq!((video.width, video.height), (720, 358));
    // avg_frame_rate wins over the 120/1 base rate of this variable-rate file.
    assert_close(video.frame_rate, 1_704_753_000.0 / 71_073_479.0, "frame rate");
    assert_eq!(video.color_primaries.as_deref(), Some("smpte170m"));
    let [main, commentary] = details.audio.as_slice() else { panic!("two audio streams") };
    // Seven channels without a layout ffmpeg can name.
    assert_eq!((main.channels, main.channel_layout.as_deref()), (Some(7), None));
    assert_eq!((main.language.as_deref(), main.default), (Some("eng"), true));
    assert_eq!((commentary.channels, commentary.default), (Some(2), false));
    let [vobsub, sdh, text] = details.subtitles.as_slice() else { panic!("three subtitle streams") };
    assert_eq!((vobsub.codec.as_str(), vobsub.language.as_deref()), ("dvd_subtitle", Some("spa")));
    assert_eq!((sdh.codec.as_str(), sdh.language.as_deref()), ("mov_text", Some("eng")));
    assert!(sdh.default && sdh.hearing_impaired && !sdh.forced);
    assert!(!text.default && !text.hearing_impaired);
}

#[test]
fn jellyfin_web_like_mkv_with_subtitle() {
    let details = parse("jellyfin-video_web_like_mkv_with_subtitle.json");
    assert_close(details.duration_secs, 117.700914, "duration");
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("vp8", Some("1")));
    assert_eq!((video.width, video.height), (540, 360));
    assert_close(video.frame_rate, 2997.0 / 125.0, "frame rate");
    let [audio] = details.audio.as_slice() else { panic!("one audio stream") };
    assert_eq!((audio.codec.as_str(), audio.channels, audio.sample_rate), ("vorbis", Some(2), Some(44100)));
    assert_close(audio.duration_secs, 117.707, "audio duration");
    let [subtitle] = details.subtitles.as_slice() else { panic!("one subtitle") };
    assert_eq!((subtitle.codec.as_str(), subtitle.language.as_deref()), ("subrip", Some("eng")));
    assert!(!subtitle.forced && !subtitle.default);
}

#[test]
fn local_h264_aac_1080p_mp4_has_undetermined_languages() {
    let details = parse("local-h264-aac-1080p-60s.mp4.json");
    assert_close(details.duration_secs, 60.0, "duration");
    let video = &details.video[0];
    assert_eq!((video.width, video.height, video.frame_rate), (1920, 1080, Some(24.0)));
    assert_eq!((video.pix_fmt.as_deref(), video.hdr), (Some("yuv444p"), HdrType::Sdr));
    let audio = &details.audio[0];
    // MP4 tags every stream "und"; that is no language.
    assert_eq!((audio.codec.as_str(), audio.channels, audio.language.as_deref()), ("aac", Some(1), None));
    assert_eq!(audio.channel_layout.as_deref(), Some("mono"));
}

#[test]
fn first_frame_side_data_alone_describes_no_streams() {
    // `-show_frames` output has no streams; it only refines the stream output's HDR type.
    let details = parse("local-hdr10-first-frame-side-data.json");
    assert_eq!(details, StreamDetails::default());
}

#[test]
fn local_hdr10_mkv_is_pq10_alone_and_hdr10_with_its_first_frame() {
    let details = parse("local-hdr10-hevc-ac3-aac-srt.mkv.json");
    assert_eq!(details.title.as_deref(), Some("HDR Sample"));
    assert_close(details.duration_secs, 1.027, "duration");
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("hevc", Some("Main 10")));
    assert_eq!((video.width, video.height, video.frame_rate), (640, 360, Some(24.0)));
    assert_eq!((video.pix_fmt.as_deref(), video.bit_depth), (Some("yuv420p10le"), Some(10)));
    assert_eq!(video.color_transfer.as_deref(), Some("smpte2084"));
    assert_eq!(video.color_primaries.as_deref(), Some("bt2020"));
    assert_close(video.duration_secs, 1.023, "video duration from tags.DURATION");
    // The stream output has no side data: PQ without static metadata is PQ10 ...
    assert_eq!(video.hdr, HdrType::Pq10);
    // ... and the first frame's mastering display and light level make it HDR10.
    let with_frame = parse_ffprobe_output(
        &read("local-hdr10-hevc-ac3-aac-srt.mkv.json"),
        Some(&read("local-hdr10-first-frame-side-data.json")),
    )
    .expect("parses");
    assert_eq!(with_frame.video[0].hdr, HdrType::Hdr10);
    assert_eq!(with_frame.video[0].hdr.kodi_hdr_type(), Some("hdr10"));

    let [ac3, aac] = details.audio.as_slice() else { panic!("two audio streams") };
    assert_eq!((ac3.codec.as_str(), ac3.profile.as_deref()), ("ac3", None));
    assert_eq!(
        (ac3.channels, ac3.channel_layout.as_deref(), ac3.sample_rate),
        (Some(6), Some("5.1(side)"), Some(44100))
    );
    assert_eq!((ac3.language.as_deref(), ac3.title.as_deref(), ac3.default), (Some("eng"), Some("Surround 5.1"), true));
    assert_close(ac3.duration_secs, 1.027, "ac3 duration from tags.DURATION");
    assert_eq!((aac.codec.as_str(), aac.language.as_deref(), aac.title.as_deref()), ("aac", Some("ger"), None));
    assert!(!aac.default);
    let [subtitle] = details.subtitles.as_slice() else { panic!("one subtitle") };
    assert_eq!((subtitle.codec.as_str(), subtitle.language.as_deref()), ("subrip", Some("eng")));
    assert!(subtitle.forced && !subtitle.default && !subtitle.hearing_impaired);
}

#[test]
fn local_sdr_mkv_streams_are_not_default() {
    let details = parse("local-sdr-h264-vorbis-mono.mkv.json");
    assert_close(details.duration_secs, 1.004, "duration");
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.width, video.height), ("h264", 320, 240));
    assert_eq!((video.bit_depth, video.hdr), (Some(8), HdrType::Sdr));
    // Lavf-made Matroska streams are not default unless asked.
    assert!(!video.default);
    assert_close(video.duration_secs, 1.003, "video duration from tags.DURATION");
    let audio = &details.audio[0];
    assert_eq!(
        (audio.codec.as_str(), audio.channels, audio.channel_layout.as_deref()),
        ("vorbis", Some(1), Some("mono"))
    );
    assert_eq!((audio.language.as_deref(), audio.default), (Some("eng"), false));
}

#[test]
fn radarr_sample_mp4() {
    let details = parse("radarr-H264_sample.mp4.json");
    assert_eq!(details.title.as_deref(), Some("Sample Title"));
    assert_close(details.duration_secs, 10.564, "duration");
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("h264", Some("Constrained Baseline")));
    assert_eq!((video.width, video.height), (480, 320));
    assert_close(video.frame_rate, 76200.0 / 3169.0, "frame rate");
    assert_close(video.duration_secs, 10.563333, "video duration");
    let audio = &details.audio[0];
    assert_eq!((audio.codec.as_str(), audio.channels, audio.sample_rate), ("aac", Some(2), Some(44100)));
    assert_eq!((audio.language.as_deref(), audio.default), (Some("eng"), true));
}

#[test]
fn stream_details_round_trip_through_json() {
    let details = parse("local-hdr10-hevc-ac3-aac-srt.mkv.json");
    let json = serde_json::to_string(&details).expect("serialises");
    assert!(json.contains("\"hdr\":\"pq10\""), "{json}");
    let back: StreamDetails = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, details);
}
