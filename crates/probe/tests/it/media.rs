//! Test media made with the real `ffmpeg`, cached under Cargo's target tmpdir.
//!
//! Every test runs in its own process under nextest, so an in-memory cache would regenerate
//! the files per test; a file cache keyed by a version in the name is shared instead. Files
//! are written under a temporary name and renamed, so parallel tests never see half a file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Bump when a recipe changes so stale cached files are not reused.
const RECIPE_VERSION: u32 = 1;

/// The recorded Radarr sample, copied from the shared fixtures.
pub(crate) fn radarr_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/media/radarr-H264_sample.mp4")
}

/// The recorded ffprobe outputs.
pub(crate) fn ffprobe_fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ffprobe")
}

/// Whether the real `ffmpeg` and `ffprobe` exist; the one rule of `metarr-testkit` applies
/// (skip with a line naming them, fail when `CI` is set).
pub(crate) fn have_ffmpeg() -> bool {
    metarr_testkit::require(
        metarr_testkit::runs("ffmpeg", "-version") && metarr_testkit::runs("ffprobe", "-version"),
        "ffmpeg and ffprobe",
        "Debian: apt-get install ffmpeg",
    )
}

/// A generated test file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sample {
    /// H.264 + mono Vorbis in Matroska, no tags: the plain SDR case.
    SdrMkv,
    /// HEVC Main 10 with HDR10 metadata in the bitstream, AC-3 5.1 (eng, default, titled),
    /// AAC stereo (ger) and a forced English SRT, in Matroska with a container title.
    Hdr10Mkv,
    /// H.264 in MP4 with two AAC tracks (eng; fre "Commentary") and a mov_text subtitle (eng).
    MultiMp4,
    /// HEVC Main 10 with the HLG transfer, in Matroska.
    HlgMkv,
    /// HEVC Main 10 with the PQ transfer but no mastering or light-level SEI, in MP4: the
    /// in-process reader must decode the first frame to learn that it is PQ10, not HDR10.
    Pq10Mp4,
    /// AV1 10-bit tagged BT.2020/PQ in WebM, no audio (libaom).
    Av1Webm,
    /// VP9 4:2:0 with Opus in WebM.
    Vp9OpusWebm,
    /// 8-bit HEVC at 30000/1001 in Matroska.
    Hevc8Mkv,
    /// Interlaced (top field first) H.264 in Matroska.
    InterlacedMkv,
    /// H.264 with AAC (eng "Stereo", default), AC-3 5.1 (fre "Surround 5.1", forced), E-AC-3
    /// (ger), TrueHD (spa), DTS 5.1 (ita) and FLAC (jpn), in Matroska.
    AudioCodecsMkv,
    /// Remuxed by mkvmerge: two SRT subtitles (eng hearing-impaired and forced; fre "Forced",
    /// forced) before a side-by-side 3D H.264 track and AC-3 audio.
    MkvmergeSubsStereo,
    /// HEVC Main 10 (`hvc1`) with HDR10 SEI from x265, AC-3 5.1 (eng), a container title, in
    /// MP4 with `+faststart` (moov before mdat).
    Hdr10Mp4,
    /// AV1 10-bit tagged BT.2020/PQ (libaom) with Opus (ger), in MP4.
    Av1Mp4,
    /// VP9 (`vpcC`) with E-AC-3 (fre), in MP4 with `+faststart`.
    Vp9Eac3Mp4,
    /// Interlaced (top field first) H.264 with PCM (ger) in QuickTime MOV, container title.
    InterlacedMov,
    /// Three minutes of tiny 120 fps H.264 with AAC, moov at the end: its moov is far larger
    /// than the native reader may read.
    LongHighRateMp4,
}

impl Sample {
    fn file_name(self) -> String {
        let name = match self {
            Sample::SdrMkv => "sdr-h264-vorbis.mkv",
            Sample::Hdr10Mkv => "hdr10-hevc-ac3-aac-srt.mkv",
            Sample::MultiMp4 => "multi-audio-mov_text.mp4",
            Sample::HlgMkv => "hlg-hevc.mkv",
            Sample::Pq10Mp4 => "pq10-hevc.mp4",
            Sample::Av1Webm => "av1-10bit-pq.webm",
            Sample::Vp9OpusWebm => "vp9-opus.webm",
            Sample::Hevc8Mkv => "hevc-8bit.mkv",
            Sample::InterlacedMkv => "interlaced-h264.mkv",
            Sample::AudioCodecsMkv => "audio-codecs.mkv",
            Sample::MkvmergeSubsStereo => "mkvmerge-subs-stereo.mkv",
            Sample::Hdr10Mp4 => "hdr10-hevc-ac3-faststart.mp4",
            Sample::Av1Mp4 => "av1-10bit-pq-opus.mp4",
            Sample::Vp9Eac3Mp4 => "vp9-eac3-faststart.mp4",
            Sample::InterlacedMov => "interlaced-h264-pcm.mov",
            Sample::LongHighRateMp4 => "long-120fps.mp4",
        };
        format!("v{RECIPE_VERSION}-{name}")
    }

    /// ffmpeg arguments after the global flags and before the output file.
    // One flag and its value per pair reads better than rustfmt's one item per line.
    #[rustfmt::skip]
    fn arguments(self, subtitle: &Path) -> Vec<String> {
        let subtitle = subtitle.to_string_lossy().into_owned();
        let args: Vec<&str> = match self {
            Sample::SdrMkv => vec![
                "-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=25",
                "-f", "lavfi", "-i", "sine=duration=1",
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis", "-shortest",
                "-f", "matroska",
            ],
            Sample::Hdr10Mkv => vec![
                "-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=24",
                "-f", "lavfi", "-i", "sine=duration=1",
                "-f", "lavfi", "-i", "sine=duration=1:frequency=880",
                "-i", &subtitle,
                "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
                "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                "-x265-params",
                "log-level=error:hdr10=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:\
                 master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):\
                 max-cll=1000,400",
                "-c:a:0", "ac3", "-ac:a:0", "6", "-c:a:1", "aac", "-ac:a:1", "2", "-c:s", "srt",
                "-metadata", "title=HDR Sample",
                "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=Surround 5.1",
                "-metadata:s:a:1", "language=ger", "-metadata:s:s:0", "language=eng",
                "-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:s:0", "forced",
                "-f", "matroska",
            ],
            Sample::MultiMp4 => vec![
                "-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=25",
                "-f", "lavfi", "-i", "sine=duration=1",
                "-f", "lavfi", "-i", "sine=duration=1:frequency=880",
                "-i", &subtitle,
                "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-c:s", "mov_text",
                "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
                "-metadata:s:a:1", "title=Commentary", "-metadata:s:s:0", "language=eng",
                "-f", "mp4",
            ],
            Sample::HlgMkv => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=24",
                "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                "-x265-params", "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
                "-f", "matroska",
            ],
            Sample::Pq10Mp4 => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=24",
                "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
                "-tag:v", "hvc1", "-f", "mp4",
            ],
            Sample::Av1Webm => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=24",
                "-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p10le",
                "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
                "-f", "webm",
            ],
            Sample::Vp9OpusWebm => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=25",
                "-f", "lavfi", "-i", "sine=duration=0.5",
                "-c:v", "libvpx-vp9", "-deadline", "realtime", "-pix_fmt", "yuv420p", "-c:a", "libopus",
                "-metadata:s:a:0", "language=fin",
                "-f", "webm",
            ],
            Sample::Hevc8Mkv => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=30000/1001",
                "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p",
                "-f", "matroska",
            ],
            Sample::InterlacedMkv => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=320x240:rate=25",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-flags", "+ildct+ilme", "-top", "1",
                "-f", "matroska",
            ],
            Sample::AudioCodecsMkv => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=24",
                "-f", "lavfi", "-i", "sine=duration=0.5",
                "-f", "lavfi", "-i", "sine=duration=0.5:frequency=880",
                "-f", "lavfi", "-i", "sine=duration=0.5:frequency=440",
                "-f", "lavfi", "-i", "sine=duration=0.5:frequency=220",
                "-f", "lavfi", "-i", "sine=duration=0.5:frequency=660",
                "-f", "lavfi", "-i", "sine=duration=0.5:frequency=330",
                "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:a", "-map", "4:a", "-map", "5:a", "-map", "6:a",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a:0", "aac", "-ac:a:0", "2", "-c:a:1", "ac3", "-ac:a:1", "6", "-c:a:2", "eac3", "-ac:a:2", "2",
                "-c:a:3", "truehd", "-ar:a:3", "48000", "-c:a:4", "dca", "-ar:a:4", "48000", "-ac:a:4", "6",
                "-c:a:5", "flac", "-strict", "-2",
                "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=Stereo",
                "-metadata:s:a:1", "language=fre", "-metadata:s:a:1", "title=Surround 5.1",
                "-metadata:s:a:2", "language=ger", "-metadata:s:a:3", "language=spa",
                "-metadata:s:a:4", "language=ita", "-metadata:s:a:5", "language=jpn",
                "-disposition:a:0", "default", "-disposition:a:1", "forced",
                "-f", "matroska",
            ],
            Sample::MkvmergeSubsStereo => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=320x120:rate=24000/1001",
                "-f", "lavfi", "-i", "sine=duration=0.5",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "ac3",
                "-f", "matroska",
            ],
            Sample::Hdr10Mp4 => vec![
                "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=24000/1001",
                "-f", "lavfi", "-i", "sine=duration=1",
                "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                "-x265-params",
                "log-level=error:hdr10=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:\
                 master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):\
                 max-cll=1000,400",
                "-tag:v", "hvc1", "-c:a", "ac3", "-ac", "6",
                "-metadata", "title=HDR MP4", "-metadata:s:a:0", "language=eng",
                "-movflags", "+faststart", "-f", "mp4",
            ],
            Sample::Av1Mp4 => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=30",
                "-f", "lavfi", "-i", "sine=duration=0.5",
                "-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p10le",
                "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
                "-c:a", "libopus", "-metadata:s:a:0", "language=ger",
                "-f", "mp4",
            ],
            Sample::Vp9Eac3Mp4 => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=160x120:rate=30",
                "-f", "lavfi", "-i", "sine=duration=0.5",
                "-c:v", "libvpx-vp9", "-deadline", "realtime", "-pix_fmt", "yuv420p",
                "-c:a", "eac3", "-ac", "2", "-metadata:s:a:0", "language=fre",
                "-movflags", "+faststart", "-f", "mp4",
            ],
            Sample::InterlacedMov => vec![
                "-f", "lavfi", "-i", "testsrc=duration=0.5:size=320x240:rate=25",
                "-f", "lavfi", "-i", "sine=duration=0.5",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-flags", "+ildct+ilme", "-top", "1",
                "-c:a", "pcm_s16le", "-metadata", "title=Interlaced MOV", "-metadata:s:a:0", "language=ger",
                "-f", "mov",
            ],
            Sample::LongHighRateMp4 => vec![
                "-f", "lavfi", "-i", "testsrc=duration=180:size=64x48:rate=120",
                "-f", "lavfi", "-i", "sine=duration=180",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "600",
                "-c:a", "aac", "-b:a", "16k",
                "-f", "mp4",
            ],
        };
        args.into_iter().map(str::to_owned).collect()
    }
}

impl Sample {
    /// mkvmerge arguments that remux ffmpeg's output (`input`) for the samples that need what
    /// only mkvmerge writes (hearing-impaired flag, stereo mode); the output file comes first.
    #[rustfmt::skip]
    fn mkvmerge_arguments(self, input: &Path, subtitle: &Path) -> Option<Vec<String>> {
        let input = input.to_string_lossy().into_owned();
        let subtitle = subtitle.to_string_lossy().into_owned();
        let args: Vec<&str> = match self {
            Sample::MkvmergeSubsStereo => vec![
                "--language", "0:eng", "--hearing-impaired-flag", "0:1", "--forced-display-flag", "0:1", &subtitle,
                "--language", "0:fre", "--track-name", "0:Forced", "--forced-display-flag", "0:1",
                "--default-track-flag", "0:0", &subtitle,
                "--stereo-mode", "0:side_by_side_left_first", &input,
            ],
            _ => return None,
        };
        Some(args.into_iter().map(str::to_owned).collect())
    }
}

/// Whether `mkvmerge` runs; the same rule as [`have_ffmpeg`].
fn have_mkvmerge() -> bool {
    metarr_testkit::require(
        metarr_testkit::runs("mkvmerge", "--version"),
        "mkvmerge",
        "Debian: apt-get install mkvtoolnix",
    )
}

/// The path of a generated sample, generating it on first use; `None` when skipped.
pub(crate) fn generated(sample: Sample) -> Option<PathBuf> {
    if !have_ffmpeg() {
        return None;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("metarr-probe-media");
    std::fs::create_dir_all(&dir).expect("create the media cache dir");
    let target = dir.join(sample.file_name());
    if target.exists() {
        return Some(target);
    }
    let work = tempfile::tempdir_in(&dir).expect("create a scratch dir for ffmpeg");
    let subtitle = work.path().join("subs.srt");
    std::fs::write(&subtitle, "1\n00:00:00,000 --> 00:00:00,900\nHello\n").expect("write the srt");
    let partial = work.path().join(sample.file_name());
    let remuxed = work.path().join(format!("ffmpeg-{}", sample.file_name()));
    let mkvmerge = sample.mkvmerge_arguments(&remuxed, &subtitle);
    if mkvmerge.is_some() && !have_mkvmerge() {
        return None;
    }
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(sample.arguments(&subtitle))
        .arg(if mkvmerge.is_some() { &remuxed } else { &partial })
        .output()
        .expect("run ffmpeg");
    assert!(output.status.success(), "ffmpeg failed making {sample:?}: {}", String::from_utf8_lossy(&output.stderr));
    if let Some(arguments) = mkvmerge {
        let output =
            Command::new("mkvmerge").arg("-q").arg("-o").arg(&partial).args(arguments).output().expect("run mkvmerge");
        // mkvmerge exits 1 for warnings, 2 for errors.
        assert!(
            output.status.code().is_some_and(|code| code < 2),
            "mkvmerge failed making {sample:?}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    std::fs::rename(&partial, &target).expect("move the generated file into the cache");
    Some(target)
}
