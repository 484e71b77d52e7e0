//! Failure modes: corrupt, truncated and empty files are quick errors, never panics or hangs;
//! no prober at all is `Unavailable`; a hung ffprobe is cut off at the timeout.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use metarr_probe::{ProbeConfig, ProbeError, Prober, probe_native};

use crate::media::{Sample, generated, have_ffmpeg};

/// Far below the per-file timeout, so a test fails on a hang rather than waiting it out.
const QUICK: Duration = Duration::from_secs(3);

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Deterministic noise (an LCG), so failures reproduce.
fn garbage(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

fn assert_quick_error(result: Result<metarr_probe::StreamDetails, ProbeError>, started: Instant, what: &str) {
    let elapsed = started.elapsed();
    assert!(elapsed < QUICK, "{what} took {elapsed:?}");
    match result {
        Err(ProbeError::Corrupt { .. }) => {}
        other => panic!("{what}: expected Corrupt, got {other:?}"),
    }
}

#[test]
fn empty_and_garbage_files_are_corrupt_native() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in
        [("empty.mkv", Vec::new()), ("garbage.mkv", garbage(64 * 1024)), ("garbage.mp4", garbage(1000))]
    {
        let path = write(dir.path(), name, &bytes);
        let started = Instant::now();
        assert_quick_error(probe_native(&path, Duration::from_secs(30)).map(|probe| probe.details), started, name);
    }
}

#[test]
fn corrupt_files_are_errors_through_the_full_prober() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let prober = Prober::new(ProbeConfig::default());
    for (name, bytes) in [("empty.mkv", Vec::new()), ("garbage.avi", garbage(10_000))] {
        let path = write(dir.path(), name, &bytes);
        let started = Instant::now();
        // In-process fails, ffprobe is tried and fails too: still one Corrupt error.
        assert_quick_error(prober.probe(&path), started, name);
    }
}

#[test]
fn truncated_files_are_errors_or_partial_results_never_panics() {
    let (Some(mkv), Some(mp4)) = (generated(Sample::Hdr10Mkv), generated(Sample::MultiMp4)) else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for source in [&mkv, &mp4] {
        let bytes = std::fs::read(source).expect("read generated file");
        for cut in [16, 200, 1000, 4000, bytes.len() / 2] {
            let name = format!("cut{cut}-{}", source.file_name().and_then(|n| n.to_str()).unwrap_or("x"));
            let path = write(dir.path(), &name, &bytes[..cut]);
            let started = Instant::now();
            let result = probe_native(&path, Duration::from_secs(30)).map(|probe| probe.details);
            assert!(started.elapsed() < QUICK, "{name} took {:?}", started.elapsed());
            match result {
                // Matroska keeps its track headers up front, so a cut file may still describe
                // its streams: partial success is data.
                Ok(details) => assert!(!details.video.is_empty() || !details.audio.is_empty(), "{name}"),
                Err(ProbeError::Corrupt { path: reported, .. }) => assert_eq!(reported, path),
                Err(other) => panic!("{name}: expected Corrupt or Ok, got {other:?}"),
            }
        }
        // An MP4 without its moov atom at the end cannot be read at all.
        if source == &mp4 {
            let path = write(dir.path(), "moovless.mp4", &bytes[..bytes.len() / 2]);
            assert!(matches!(probe_native(&path, QUICK).map(|probe| probe.details), Err(ProbeError::Corrupt { .. })));
        }
    }
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let path = Path::new("/nonexistent/metarr/movie.mkv");
    let err = probe_native(path, QUICK).map(|probe| probe.details).expect_err("missing file");
    assert!(matches!(err, ProbeError::Io { .. }), "{err:?}");
    assert_eq!(err.path(), path);
    assert!(err.to_string().contains("/nonexistent/metarr/movie.mkv"));
}

#[test]
fn directories_and_fifos_are_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = probe_native(dir.path(), QUICK).expect_err("a directory is not a video");
    assert!(matches!(err, ProbeError::Io { .. }), "{err:?}");

    // Opening a FIFO for reading blocks until a writer appears, which no interrupt callback
    // can break, so the reader must refuse it before FFmpeg opens it.
    let fifo = dir.path().join("movie.mkv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|status| status.success());
    if made {
        let started = Instant::now();
        let err = probe_native(&fifo, QUICK).map(|probe| probe.details).expect_err("a fifo is not a video");
        assert!(matches!(err, ProbeError::Io { .. }), "{err:?}");
        assert!(started.elapsed() < QUICK);
    }
}

#[test]
fn missing_ffprobe_with_native_off_is_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "movie.mkv", &garbage(100));
    let prober = Prober::new(ProbeConfig {
        native: false,
        ffprobe: Some(PathBuf::from("/nonexistent/bin/ffprobe")),
        ..ProbeConfig::default()
    });
    assert!(prober.availability().none());
    let err = prober.probe(&path).expect_err("no prober");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/bin/ffprobe"), "{err}");

    let disabled = Prober::new(ProbeConfig { native: false, ffprobe: None, ..ProbeConfig::default() });
    assert!(disabled.probe(&path).expect_err("no prober").is_unavailable());
}

#[test]
fn missing_ffprobe_with_native_on_still_reports_corrupt_files_as_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "movie.mkv", &garbage(100));
    let prober =
        Prober::new(ProbeConfig { ffprobe: Some(PathBuf::from("/nonexistent/bin/ffprobe")), ..ProbeConfig::default() });
    let availability = prober.availability();
    assert!(availability.native && !availability.ffprobe);
    assert!(matches!(prober.probe(&path), Err(ProbeError::Corrupt { .. })));
}

#[test]
fn hung_ffprobe_is_cut_off_at_the_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A stand-in ffprobe that answers -version (so it counts as available) and then hangs.
    // A child shell writes it, so no descriptor open for writing can leak into a concurrent
    // fork of this process and make exec fail with "text file busy".
    let script = dir.path().join("slow-ffprobe");
    let body = "#!/bin/sh\nif [ \"$1\" = -version ]; then echo fake; exit 0; fi\nexec sleep 30\n";
    let status = std::process::Command::new("sh")
        .args(["-c", "printf '%b' \"$1\" > \"$2\" && chmod 755 \"$2\"", "sh", body])
        .arg(&script)
        .status()
        .expect("run sh");
    assert!(status.success(), "write the fake ffprobe");
    let video = write(dir.path(), "movie.mkv", &garbage(100));
    let prober = Prober::new(ProbeConfig {
        native: false,
        ffprobe: Some(script),
        timeout: Duration::from_millis(300),
        ..ProbeConfig::default()
    });
    let started = Instant::now();
    let err = prober.probe(&video).expect_err("timeout");
    assert!(matches!(err, ProbeError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
}

#[test]
fn other_containers_without_ffprobe_name_the_format_and_what_to_install() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut avi = b"RIFF\x00\x10\x00\x00AVI LIST".to_vec();
    avi.extend(garbage(4000));
    let path = write(dir.path(), "movie.avi", &avi);
    let prober =
        Prober::new(ProbeConfig { ffprobe: Some(PathBuf::from("/nonexistent/bin/ffprobe")), ..ProbeConfig::default() });
    let err = prober.probe(&path).expect_err("no reader for AVI here");
    assert!(matches!(err, ProbeError::NeedsFfprobe { ref format, .. } if format == "AVI"), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("is AVI") && message.contains("apt-get install ffmpeg"), "{message}");
    assert!(message.contains("movie.avi"), "{message}");
}

#[test]
fn other_containers_are_read_through_ffprobe_when_it_is_installed() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("movie.avi");
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=0.5:size=64x48:rate=10"])
        .args(["-c:v", "mpeg4"])
        .arg(&path)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg made the AVI");
    let (result, stats) = Prober::new(ProbeConfig::default()).probe_with_stats(&path);
    let details = result.expect("ffprobe reads AVI");
    assert_eq!(stats.reader, Some(metarr_probe::Reader::Ffprobe));
    assert_eq!(details.container.as_deref(), Some("avi"));
    assert_eq!((details.video[0].codec.as_str(), details.video[0].width), ("mpeg4", 64));
}
