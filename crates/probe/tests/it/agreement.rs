//! The native reader against the real `ffprobe` on real files, field by field, plus the
//! values each file is known to hold.

use std::path::Path;
use std::time::Duration;

use metarr_probe::{HdrType, ProbeConfig, Prober, StreamDetails, probe_native, probe_with_ffprobe};

use crate::media::{Sample, generated, have_ffmpeg, radarr_sample};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Probes `path` with both readers and asserts they agree on every field.
fn probe_both(path: &Path) -> StreamDetails {
    let native = probe_native(path, TIMEOUT).map(|probe| probe.details).expect("native probe");
    let ffprobe = probe_with_ffprobe(Path::new("ffprobe"), path, TIMEOUT).expect("ffprobe probe");
    assert_eq!(native.container, ffprobe.container, "container");
    assert_eq!(native.duration_secs, ffprobe.duration_secs, "duration");
    assert_eq!(native.title, ffprobe.title, "title");
    assert_eq!(native.video.len(), ffprobe.video.len(), "number of video streams");
    for (ours, theirs) in native.video.iter().zip(&ffprobe.video) {
        assert_eq!(ours.index, theirs.index, "video index");
        assert_eq!(ours.codec, theirs.codec, "video {} codec", ours.index);
        assert_eq!(ours.profile, theirs.profile, "video {} profile", ours.index);
        assert_eq!((ours.width, ours.height), (theirs.width, theirs.height), "video {} size", ours.index);
        assert_eq!(ours.frame_rate, theirs.frame_rate, "video {} frame rate", ours.index);
        assert_eq!(ours.bit_depth, theirs.bit_depth, "video {} bit depth", ours.index);
        assert_eq!(ours.pix_fmt, theirs.pix_fmt, "video {} pix_fmt", ours.index);
        assert_eq!(ours.color_transfer, theirs.color_transfer, "video {} transfer", ours.index);
        assert_eq!(ours.color_primaries, theirs.color_primaries, "video {} primaries", ours.index);
        assert_eq!(ours.hdr, theirs.hdr, "video {} hdr", ours.index);
        assert_eq!(ours.duration_secs, theirs.duration_secs, "video {} duration", ours.index);
        assert_eq!(ours.default, theirs.default, "video {} default", ours.index);
    }
    assert_eq!(native.audio.len(), ffprobe.audio.len(), "number of audio streams");
    for (ours, theirs) in native.audio.iter().zip(&ffprobe.audio) {
        assert_eq!(ours.index, theirs.index, "audio index");
        assert_eq!(ours.codec, theirs.codec, "audio {} codec", ours.index);
        assert_eq!(ours.profile, theirs.profile, "audio {} profile", ours.index);
        assert_eq!(ours.channels, theirs.channels, "audio {} channels", ours.index);
        assert_eq!(ours.channel_layout, theirs.channel_layout, "audio {} layout", ours.index);
        assert_eq!(ours.sample_rate, theirs.sample_rate, "audio {} sample rate", ours.index);
        assert_eq!(ours.language, theirs.language, "audio {} language", ours.index);
        assert_eq!(ours.title, theirs.title, "audio {} title", ours.index);
        assert_eq!(ours.duration_secs, theirs.duration_secs, "audio {} duration", ours.index);
        assert_eq!(ours.default, theirs.default, "audio {} default", ours.index);
    }
    assert_eq!(native.subtitles.len(), ffprobe.subtitles.len(), "number of subtitle streams");
    for (ours, theirs) in native.subtitles.iter().zip(&ffprobe.subtitles) {
        assert_eq!(ours, theirs, "subtitle {}", ours.index);
    }
    // Catches any field added to the model but not to the comparisons above.
    assert_eq!(native, ffprobe);
    native
}

#[test]
fn radarr_sample_agrees_and_matches_known_values() {
    if !have_ffmpeg() {
        return;
    }
    let details = probe_both(&radarr_sample());
    assert_eq!(details.container.as_deref(), Some("mov,mp4,m4a,3gp,3g2,mj2"));
    assert_eq!(details.title.as_deref(), Some("Sample Title"));
    assert_eq!(details.duration_secs, Some(10.564));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("h264", Some("Constrained Baseline")));
    assert_eq!((video.width, video.height), (480, 320));
    assert_eq!(video.hdr, HdrType::Sdr);
    let audio = &details.audio[0];
    assert_eq!((audio.codec.as_str(), audio.channels, audio.language.as_deref()), ("aac", Some(2), Some("eng")));
}

#[test]
fn sdr_matroska_agrees() {
    let Some(path) = generated(Sample::SdrMkv) else { return };
    let details = probe_both(&path);
    assert_eq!(details.container.as_deref(), Some("matroska,webm"));
    let video = &details.video[0];
    assert_eq!(video.codec, "h264");
    assert_eq!((video.width, video.height, video.frame_rate), (320, 240, Some(25.0)));
    assert_eq!((video.bit_depth, video.hdr), (Some(8), HdrType::Sdr));
    // Matroska streams have no duration field, only the DURATION tag.
    assert!(video.duration_secs.is_some_and(|seconds| (0.9..1.2).contains(&seconds)));
    let audio = &details.audio[0];
    assert_eq!(
        (audio.codec.as_str(), audio.channels, audio.channel_layout.as_deref()),
        ("vorbis", Some(1), Some("mono"))
    );
    assert!(details.subtitles.is_empty());
}

#[test]
fn hdr10_matroska_agrees_and_is_hdr10_native() {
    let Some(path) = generated(Sample::Hdr10Mkv) else { return };
    let details = probe_both(&path);
    assert_eq!(details.title.as_deref(), Some("HDR Sample"));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("hevc", Some("Main 10")));
    assert_eq!((video.pix_fmt.as_deref(), video.bit_depth), (Some("yuv420p10le"), Some(10)));
    assert_eq!(video.color_transfer.as_deref(), Some("smpte2084"));
    assert_eq!(video.color_primaries.as_deref(), Some("bt2020"));
    // The mastering-display SEI is only in the bitstream, so this proves the first frame was read.
    assert_eq!(video.hdr, HdrType::Hdr10);
    let [surround, german] = details.audio.as_slice() else { panic!("two audio streams: {:?}", details.audio) };
    assert_eq!((surround.codec.as_str(), surround.channels), ("ac3", Some(6)));
    assert_eq!(surround.channel_layout.as_deref(), Some("5.1(side)"));
    assert_eq!((surround.language.as_deref(), surround.title.as_deref()), (Some("eng"), Some("Surround 5.1")));
    assert!(surround.default);
    assert_eq!((german.codec.as_str(), german.language.as_deref(), german.default), ("aac", Some("ger"), false));
    let [subtitle] = details.subtitles.as_slice() else { panic!("one subtitle: {:?}", details.subtitles) };
    assert_eq!((subtitle.codec.as_str(), subtitle.language.as_deref()), ("subrip", Some("eng")));
    assert!(subtitle.forced && !subtitle.default && !subtitle.hearing_impaired);
}

#[test]
fn mp4_with_two_audio_tracks_and_mov_text_agrees() {
    let Some(path) = generated(Sample::MultiMp4) else { return };
    let details = probe_both(&path);
    assert_eq!(details.container.as_deref(), Some("mov,mp4,m4a,3gp,3g2,mj2"));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.pix_fmt.as_deref(), video.hdr), ("h264", Some("yuv420p"), HdrType::Sdr));
    let languages: Vec<_> = details.audio.iter().map(|audio| audio.language.as_deref()).collect();
    assert_eq!(languages, [Some("eng"), Some("fre")]);
    assert!(details.audio[0].default && !details.audio[1].default);
    let [subtitle] = details.subtitles.as_slice() else { panic!("one subtitle: {:?}", details.subtitles) };
    assert_eq!((subtitle.codec.as_str(), subtitle.language.as_deref()), ("mov_text", Some("eng")));
}

#[test]
fn hlg_matroska_agrees() {
    let Some(path) = generated(Sample::HlgMkv) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!(video.color_transfer.as_deref(), Some("arib-std-b67"));
    assert_eq!((video.bit_depth, video.hdr), (Some(10), HdrType::Hlg));
    assert_eq!(video.hdr.kodi_hdr_type(), Some("hlg"));
}

#[test]
fn pq_without_static_metadata_is_pq10_by_both_readers() {
    let Some(path) = generated(Sample::Pq10Mp4) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("hevc", Some("Main 10")));
    assert_eq!(
        (video.color_transfer.as_deref(), video.color_primaries.as_deref()),
        (Some("smpte2084"), Some("bt2020"))
    );
    assert_eq!(video.hdr, HdrType::Pq10);
}

#[test]
fn prober_reads_native_and_through_ffprobe_alike() {
    let Some(path) = generated(Sample::Hdr10Mkv) else { return };
    let native = Prober::new(ProbeConfig { ffprobe: None, ..ProbeConfig::default() });
    let ffprobe_only = Prober::new(ProbeConfig { native: false, ..ProbeConfig::default() });
    let ours = native.probe(&path).expect("native prober");
    let theirs = ffprobe_only.probe(&path).expect("ffprobe prober");
    assert_eq!(ours, theirs);
    assert_eq!(ours.video[0].hdr, HdrType::Hdr10);
}

#[test]
fn probe_all_keeps_input_order_with_bounded_workers() {
    let (Some(sdr), Some(mp4)) = (generated(Sample::SdrMkv), generated(Sample::MultiMp4)) else { return };
    let missing = sdr.with_file_name("does-not-exist.mkv");
    let prober = Prober::new(ProbeConfig { concurrency: 2, ..ProbeConfig::default() });
    let paths = vec![sdr.clone(), missing, mp4.clone(), radarr_sample(), sdr];
    let results = prober.probe_all(&paths);
    assert_eq!(results.len(), 5);
    assert_eq!(results[0].as_ref().expect("sdr").audio[0].codec, "vorbis");
    assert!(results[1].is_err(), "missing file");
    assert_eq!(results[2].as_ref().expect("mp4").subtitles[0].codec, "mov_text");
    assert_eq!(results[3].as_ref().expect("radarr").title.as_deref(), Some("Sample Title"));
    assert!(results[4].is_ok());
}

#[test]
fn av1_ten_bit_webm_agrees() {
    let Some(path) = generated(Sample::Av1Webm) else { return };
    let details = probe_both(&path);
    assert_eq!(details.container.as_deref(), Some("matroska,webm"));
    assert_eq!(details.duration_secs, Some(0.5));
    let [video] = details.video.as_slice() else { panic!("one video stream: {:?}", details.video) };
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("av1", Some("Main")));
    assert_eq!((video.pix_fmt.as_deref(), video.bit_depth), (Some("yuv420p10le"), Some(10)));
    assert_eq!(
        (video.color_primaries.as_deref(), video.color_transfer.as_deref()),
        (Some("bt2020"), Some("smpte2084"))
    );
    assert_eq!((video.frame_rate, video.field_order.as_deref()), (Some(24.0), Some("progressive")));
    // PQ without mastering metadata anywhere.
    assert_eq!(video.hdr, HdrType::Pq10);
    assert!(details.audio.is_empty() && details.subtitles.is_empty());
}

#[test]
fn vp9_opus_webm_agrees() {
    let Some(path) = generated(Sample::Vp9OpusWebm) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("vp9", Some("Profile 0")));
    assert_eq!((video.pix_fmt.as_deref(), video.frame_rate), (Some("yuv420p"), Some(25.0)));
    let audio = &details.audio[0];
    assert_eq!((audio.index, audio.codec.as_str(), audio.sample_rate), (1, "opus", Some(48000)));
    assert_eq!((audio.channels, audio.channel_layout.as_deref()), (Some(1), Some("mono")));
    assert_eq!(audio.language.as_deref(), Some("fin"));
}

#[test]
fn eight_bit_hevc_matroska_agrees() {
    let Some(path) = generated(Sample::Hevc8Mkv) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("hevc", Some("Main")));
    assert_eq!((video.bit_depth, video.hdr), (Some(8), HdrType::Sdr));
    assert_eq!(video.frame_rate, Some(30_000.0 / 1_001.0));
}

#[test]
fn interlaced_h264_matroska_agrees() {
    let Some(path) = generated(Sample::InterlacedMkv) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!(video.field_order.as_deref(), Some("tt"));
    assert!(video.interlaced());
}

#[test]
fn matroska_audio_codecs_agree() {
    let Some(path) = generated(Sample::AudioCodecsMkv) else { return };
    let details = probe_both(&path);
    let summary: Vec<_> = details
        .audio
        .iter()
        .map(|audio| (audio.index, audio.codec.as_str(), audio.channels, audio.language.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "aac", Some(2), Some("eng")),
            (2, "ac3", Some(6), Some("fre")),
            (3, "eac3", Some(2), Some("ger")),
            (4, "truehd", Some(2), Some("spa")),
            (5, "dts", Some(6), Some("ita")),
            (6, "flac", Some(1), Some("jpn")),
        ]
    );
    let [aac, ac3, ..] = details.audio.as_slice() else { unreachable!("six streams asserted above") };
    assert_eq!((aac.title.as_deref(), aac.default, aac.forced), (Some("Stereo"), true, false));
    assert_eq!((ac3.title.as_deref(), ac3.default, ac3.forced), (Some("Surround 5.1"), false, true));
    assert_eq!(ac3.channel_layout.as_deref(), Some("5.1(side)"));
    assert_eq!(details.audio[4].profile.as_deref(), Some("DTS"));
}

#[test]
fn mkvmerge_subtitle_flags_and_stereo_mode_agree() {
    let Some(path) = generated(Sample::MkvmergeSubsStereo) else { return };
    let details = probe_both(&path);
    let [sdh, forced] = details.subtitles.as_slice() else { panic!("two subtitles: {:?}", details.subtitles) };
    assert_eq!((sdh.index, sdh.codec.as_str(), sdh.language.as_deref()), (0, "subrip", Some("eng")));
    assert!(sdh.hearing_impaired && sdh.forced && sdh.default);
    assert_eq!((forced.language.as_deref(), forced.title.as_deref()), (Some("fre"), Some("Forced")));
    assert!(forced.forced && !forced.default && !forced.hearing_impaired);
    let video = &details.video[0];
    assert_eq!((video.index, video.stereo_mode.as_deref()), (2, Some("side by side")));
    assert_eq!(video.frame_rate, Some(24_000.0 / 1_001.0));
    assert_eq!((details.audio[0].index, details.audio[0].codec.as_str()), (3, "ac3"));
}

// MP4 and MOV. FFmpeg 5.1 reads neither track titles (`udta/name`) nor forced or
// hearing-impaired flags from these files, so both readers leave them unset; the `default` flag
// is the `tkhd` "enabled" flag.

#[test]
fn mp4_tracks_keep_ffmpeg_indexes_languages_and_default_flags() {
    let Some(path) = generated(Sample::MultiMp4) else { return };
    let details = probe_both(&path);
    assert_eq!(details.duration_secs, Some(1.0));
    let video = &details.video[0];
    assert_eq!((video.index, video.width, video.height, video.frame_rate), (0, 320, 240, Some(25.0)));
    assert_eq!(video.duration_secs, Some(1.0));
    let indexes: Vec<_> = details.audio.iter().map(|audio| (audio.index, audio.default)).collect();
    assert_eq!(indexes, [(1, true), (2, false)]);
    // ffmpeg writes the title into `udta/name`, which ffprobe 5.1 does not report.
    assert_eq!(details.audio[1].title, None);
    assert_eq!((details.audio[0].sample_rate, details.audio[0].duration_secs), (Some(44_100), Some(1.0)));
    let subtitle = &details.subtitles[0];
    assert_eq!((subtitle.index, subtitle.default, subtitle.forced), (3, true, false));
}

#[test]
fn hdr10_hevc_mp4_with_faststart_agrees_and_is_hdr10() {
    let Some(path) = generated(Sample::Hdr10Mp4) else { return };
    let details = probe_both(&path);
    assert_eq!(details.title.as_deref(), Some("HDR MP4"));
    assert_eq!(details.duration_secs, Some(1.005));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("hevc", Some("Main 10")));
    assert_eq!((video.width, video.height, video.bit_depth), (160, 120, Some(10)));
    assert_eq!(video.frame_rate, Some(24_000.0 / 1_001.0));
    assert_eq!(video.duration_secs, Some(1.001));
    // No mdcv/clli box: the mastering-display SEI of the first sample decides.
    assert_eq!(video.hdr, HdrType::Hdr10);
    let audio = &details.audio[0];
    assert_eq!((audio.codec.as_str(), audio.channels, audio.language.as_deref()), ("ac3", Some(6), Some("eng")));
    assert_eq!(audio.channel_layout.as_deref(), Some("5.1(side)"));
    // The edit list (1.005 s at 1/1000) rescaled to 44.1 kHz rounds to 44321 samples.
    assert_eq!(audio.duration_secs, Some(1.005011));
}

#[test]
fn av1_mp4_agrees() {
    let Some(path) = generated(Sample::Av1Mp4) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("av1", Some("Main")));
    assert_eq!((video.pix_fmt.as_deref(), video.frame_rate), (Some("yuv420p10le"), Some(30.0)));
    assert_eq!(video.color_transfer.as_deref(), Some("smpte2084"));
    assert_eq!(video.hdr, HdrType::Pq10);
    let audio = &details.audio[0];
    assert_eq!(
        (audio.codec.as_str(), audio.sample_rate, audio.language.as_deref()),
        ("opus", Some(48_000), Some("ger"))
    );
}

#[test]
fn vp9_eac3_mp4_agrees() {
    let Some(path) = generated(Sample::Vp9Eac3Mp4) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.profile.as_deref()), ("vp9", Some("Profile 0")));
    assert_eq!((video.bit_depth, video.hdr), (Some(8), HdrType::Sdr));
    let audio = &details.audio[0];
    assert_eq!((audio.codec.as_str(), audio.channels, audio.language.as_deref()), ("eac3", Some(2), Some("fre")));
}

#[test]
fn interlaced_mov_agrees() {
    let Some(path) = generated(Sample::InterlacedMov) else { return };
    let details = probe_both(&path);
    assert_eq!(details.title.as_deref(), Some("Interlaced MOV"));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.field_order.as_deref()), ("h264", Some("tt")));
    assert!(video.interlaced());
    let audio = &details.audio[0];
    assert_eq!((audio.codec.as_str(), audio.channels, audio.language.as_deref()), ("pcm_s16le", Some(1), Some("ger")));
}

#[test]
fn long_mp4_with_its_moov_at_the_end_agrees() {
    let Some(path) = generated(Sample::LongHighRateMp4) else { return };
    let details = probe_both(&path);
    let video = &details.video[0];
    assert_eq!((video.frame_rate, video.duration_secs), (Some(120.0), Some(180.0)));
}
