//! Test media made with the real `ffmpeg`, cached under Cargo's target tmpdir.
//!
//! Every test runs in its own process under nextest, so an in-memory cache would regenerate
//! the files per test; a file cache keyed by a version in the name is shared instead. Files
//! are written under a temporary name and renamed, so parallel tests never see half a file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// Whether a program runs with `-version`.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether the real `ffmpeg` and `ffprobe` exist. In CI (the `CI` variable is set) their
/// absence fails the test, because a green run that skipped them would prove nothing;
/// elsewhere the test is skipped with a message.
#[allow(clippy::print_stderr, reason = "the skip notice is for whoever reads the test output")]
pub(crate) fn have_ffmpeg() -> bool {
    if runs("ffmpeg") && runs("ffprobe") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "ffmpeg/ffprobe not found but CI is set: install Debian's `ffmpeg` package"
    );
    eprintln!("SKIPPED: ffmpeg/ffprobe not found; install Debian's `ffmpeg` package to run this test");
    false
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
}

impl Sample {
    fn file_name(self) -> String {
        let name = match self {
            Sample::SdrMkv => "sdr-h264-vorbis.mkv",
            Sample::Hdr10Mkv => "hdr10-hevc-ac3-aac-srt.mkv",
            Sample::MultiMp4 => "multi-audio-mov_text.mp4",
            Sample::HlgMkv => "hlg-hevc.mkv",
            Sample::Pq10Mp4 => "pq10-hevc.mp4",
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
        };
        args.into_iter().map(str::to_owned).collect()
    }
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
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(sample.arguments(&subtitle))
        .arg(&partial)
        .output()
        .expect("run ffmpeg");
    assert!(output.status.success(), "ffmpeg failed making {sample:?}: {}", String::from_utf8_lossy(&output.stderr));
    std::fs::rename(&partial, &target).expect("move the generated file into the cache");
    Some(target)
}
