//! mp4 reader tests: header-only samples committed in tests/data/headers, hand-built boxes
//! (Dolby Vision, hostile input), and how few bytes the reader reads of a long file.
//!
//! The header samples were cut from files ffmpeg 5.1 made (`-movflags +faststart`, cut after
//! `moov`, the HDR10 and interlaced ones after the first video sample too, for its SEI and
//! field order); every value asserted here is what
//! ffprobe printed for the whole file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use metarr_probe::{HdrType, ProbeError, StreamDetails, probe_native, probe_native_bytes};

use crate::media::{Sample, generated};

fn header_sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/headers").join(name)
}

fn probe_header(name: &str) -> StreamDetails {
    let probe = probe_native(&header_sample(name), Duration::from_secs(5)).expect("header sample reads");
    report_bytes(name, probe.bytes_read);
    probe.details
}

#[allow(clippy::print_stderr, reason = "bytes read per sample are reported in the test output")]
fn report_bytes(name: &str, bytes: u64) {
    eprintln!("mp4 bytes read: {name}: {bytes}");
}

fn probe_bytes(bytes: Vec<u8>) -> Result<StreamDetails, ProbeError> {
    probe_native_bytes(Path::new("built.mp4"), bytes).map(|probe| probe.details)
}

#[test]
fn radarr_sample_header_reads_like_ffprobe() {
    let details = probe_header("radarr-h264-aac-faststart.mp4");
    assert_eq!(details.container.as_deref(), Some("mov,mp4,m4a,3gp,3g2,mj2"));
    assert_eq!((details.title.as_deref(), details.duration_secs), (Some("Sample Title"), Some(10.564)));
    let [video] = details.video.as_slice() else { panic!("one video stream: {:?}", details.video) };
    assert_eq!((video.index, video.codec.as_str(), video.width, video.height), (0, "h264", 480, 320));
    // 254 frames over 202816 ticks of 1/19200 s: FFmpeg's avg_frame_rate 76200/3169.
    assert_eq!(video.frame_rate, Some(76_200.0 / 3_169.0));
    assert_eq!((video.duration_secs, video.default), (Some(10.563333), true));
    assert_eq!(video.profile.as_deref(), Some("Constrained Baseline"));
    assert_eq!((video.pix_fmt.as_deref(), video.bit_depth), (Some("yuv420p"), Some(8)));
    assert_eq!((video.color_transfer.as_deref(), video.color_primaries.as_deref()), (Some("bt709"), Some("smpte170m")));
    let [audio] = details.audio.as_slice() else { panic!("one audio stream: {:?}", details.audio) };
    assert_eq!((audio.index, audio.codec.as_str(), audio.language.as_deref()), (1, "aac", Some("eng")));
    assert_eq!((audio.sample_rate, audio.duration_secs, audio.default), (Some(44_100), Some(10.563333), true));
    assert_eq!((audio.channels, audio.channel_layout.as_deref()), (Some(2), Some("stereo")));
    assert_eq!(audio.profile.as_deref(), Some("LC"));
    assert!(details.warnings.is_empty(), "{:?}", details.warnings);
}

#[test]
fn hdr10_hevc_header_with_first_sample_is_hdr10() {
    let details = probe_header("hdr10-hevc-ac3-faststart.mp4");
    assert_eq!((details.title.as_deref(), details.duration_secs), (Some("HDR MP4"), Some(1.005)));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.width, video.height), ("hevc", 160, 120));
    assert_eq!((video.frame_rate, video.duration_secs), (Some(24_000.0 / 1_001.0), Some(1.001)));
    let audio = &details.audio[0];
    assert_eq!((audio.index, audio.codec.as_str(), audio.language.as_deref()), (1, "ac3", Some("eng")));
    assert_eq!((audio.sample_rate, audio.duration_secs), (Some(44_100), Some(1.005011)));
    // Codec-level values, from the hvcC and the first sample's SEI.
    assert_eq!((video.profile.as_deref(), video.pix_fmt.as_deref()), (Some("Main 10"), Some("yuv420p10le")));
    assert_eq!(
        (video.color_transfer.as_deref(), video.color_primaries.as_deref()),
        (Some("smpte2084"), Some("bt2020"))
    );
    assert_eq!(video.hdr, HdrType::Hdr10);
    assert_eq!((audio.channels, audio.channel_layout.as_deref()), (Some(6), Some("5.1(side)")));
}

#[test]
fn vp9_eac3_header_reads_like_ffprobe() {
    let details = probe_header("vp9-eac3-faststart.mp4");
    assert_eq!((details.title, details.duration_secs), (None, Some(0.517)));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.frame_rate, video.duration_secs), ("vp9", Some(30.0), Some(0.5)));
    let audio = &details.audio[0];
    assert_eq!(
        (audio.codec.as_str(), audio.language.as_deref(), audio.duration_secs),
        ("eac3", Some("fre"), Some(0.517007))
    );
    assert_eq!((video.profile.as_deref(), video.bit_depth), (Some("Profile 0"), Some(8)));
    assert_eq!(audio.channels, Some(2));
}

#[test]
fn interlaced_mov_header_reads_like_ffprobe() {
    let details = probe_header("interlaced-h264-pcm.mov");
    assert_eq!((details.title.as_deref(), details.duration_secs), (Some("Interlaced MOV"), Some(0.52)));
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.width, video.height, video.frame_rate), ("h264", 320, 240, Some(25.0)));
    // QuickTime's "undetermined" language code reads as no language.
    assert_eq!(video.duration_secs, Some(0.52));
    let audio = &details.audio[0];
    assert_eq!((audio.codec.as_str(), audio.channels, audio.sample_rate), ("pcm_s16le", Some(1), Some(44_100)));
    assert_eq!((audio.language.as_deref(), audio.channel_layout.as_deref()), (Some("ger"), Some("mono")));
    assert_eq!(video.field_order.as_deref(), Some("tt"));
}

#[test]
fn a_long_film_costs_tens_of_kib_not_its_moov() {
    let Some(path) = generated(Sample::LongHighRateMp4) else { return };
    let moov = top_level_box_size(&path, *b"moov").expect("the sample has a moov box");
    assert!(moov > 128 * 1024, "the moov box ({moov} bytes) must be bigger than the reading budget");
    let started = Instant::now();
    let probe = probe_native(&path, Duration::from_secs(5)).expect("native probe");
    let elapsed = started.elapsed();
    report_bytes("long-120fps.mp4 (moov at the end)", probe.bytes_read);
    assert!(probe.bytes_read < 64 * 1024, "read {} bytes of a {moov}-byte moov", probe.bytes_read);
    assert!(elapsed < Duration::from_millis(500), "took {elapsed:?}");
    let video = &probe.details.video[0];
    assert_eq!((video.frame_rate, video.duration_secs), (Some(120.0), Some(180.0)));
    assert_eq!(probe.details.audio[0].codec, "aac");
}

#[test]
fn generated_mp4_samples_stay_within_the_read_budget() {
    for sample in
        [Sample::MultiMp4, Sample::Pq10Mp4, Sample::Hdr10Mp4, Sample::Av1Mp4, Sample::Vp9Eac3Mp4, Sample::InterlacedMov]
    {
        let Some(path) = generated(sample) else { return };
        let probe = probe_native(&path, Duration::from_secs(5)).expect("native probe");
        report_bytes(&format!("{sample:?}"), probe.bytes_read);
        assert!(probe.bytes_read <= 64 * 1024, "{sample:?} read {} bytes", probe.bytes_read);
    }
}

/// The size of the first top-level box of this type.
fn top_level_box_size(path: &Path, kind: [u8; 4]) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut offset = 0usize;
    while let Some(head) = bytes.get(offset..offset + 16) {
        let mut size = u64::from(u32::from_be_bytes(head[..4].try_into().ok()?));
        if size == 1 {
            size = u64::from_be_bytes(head[8..16].try_into().ok()?);
        }
        if head[4..8] == kind {
            return Some(size);
        }
        offset = offset.checked_add(usize::try_from(size).ok()?.max(8))?;
    }
    None
}

// Hand-built boxes.

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8).expect("small box").to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut payload = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    payload.extend_from_slice(body);
    boxed(kind, &payload)
}

fn concat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn ftyp() -> Vec<u8> {
    boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41")
}

fn mvhd(timescale: u32, duration: u32) -> Vec<u8> {
    let mut body = vec![0u8; 8];
    body.extend_from_slice(&timescale.to_be_bytes());
    body.extend_from_slice(&duration.to_be_bytes());
    body.resize(96, 0);
    full(b"mvhd", 0, 0, &body)
}

/// A video track: 24 frames of 1000 ticks at 24000 ticks/s, language `lang` (packed).
fn video_trak(entry: Vec<u8>, enabled: bool) -> Vec<u8> {
    let mut tkhd = vec![0u8; 76];
    tkhd.extend_from_slice(&(1920u32 << 16).to_be_bytes());
    tkhd.extend_from_slice(&(1080u32 << 16).to_be_bytes());
    let mut mdhd = vec![0u8; 8];
    mdhd.extend_from_slice(&24_000u32.to_be_bytes());
    mdhd.extend_from_slice(&24_000u32.to_be_bytes());
    mdhd.extend_from_slice(&0x15c7u16.to_be_bytes());
    mdhd.extend_from_slice(&[0, 0]);
    let mut hdlr = vec![0u8; 4];
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 13]);
    let mut stsd = 1u32.to_be_bytes().to_vec();
    stsd.extend_from_slice(&entry);
    let stts = [1u32.to_be_bytes(), 24u32.to_be_bytes(), 1000u32.to_be_bytes()].concat();
    let stbl = concat(&[full(b"stsd", 0, 0, &stsd), full(b"stts", 0, 0, &stts)]);
    let minf = boxed(b"minf", &boxed(b"stbl", &stbl));
    let mdia = concat(&[full(b"mdhd", 0, 0, &mdhd), full(b"hdlr", 0, 0, &hdlr), minf]);
    boxed(b"trak", &concat(&[full(b"tkhd", 0, u32::from(enabled) | 2, &tkhd), boxed(b"mdia", &mdia)]))
}

fn visual_entry(format: &[u8; 4], children: &[Vec<u8>]) -> Vec<u8> {
    let mut body = vec![0u8; 6];
    body.extend_from_slice(&1u16.to_be_bytes());
    body.extend_from_slice(&[0; 16]);
    body.extend_from_slice(&1920u16.to_be_bytes());
    body.extend_from_slice(&1080u16.to_be_bytes());
    body.resize(78, 0);
    body.extend_from_slice(&children.concat());
    boxed(format, &body)
}

/// A Dolby Vision profile 8.1 record: version 1.0, profile 8, level 6, RPU + BL, compatibility 1.
fn dvcc_profile_8_1() -> Vec<u8> {
    let mut body = vec![1, 0, (8 << 1), (6 << 3) | 0b101, 1 << 4];
    body.resize(24, 0);
    boxed(b"dvvC", &body)
}

#[test]
fn hand_built_dolby_vision_hevc_track_reads_its_record() {
    let colr = boxed(b"colr", &[b"nclx".as_slice(), &[0, 9, 0, 16, 0, 9, 0]].concat());
    let entry = visual_entry(b"dvh1", &[dvcc_profile_8_1(), colr, boxed(b"st3d", &[0, 0, 0, 0, 2])]);
    let file = concat(&[ftyp(), boxed(b"moov", &concat(&[mvhd(1000, 1000), video_trak(entry, true)]))]);
    let details = probe_bytes(file).expect("a built file reads");
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.width, video.height), ("hevc", 1920, 1080));
    assert_eq!((video.frame_rate, video.duration_secs, video.default), (Some(24.0), Some(1.0), true));
    assert_eq!(video.stereo_mode.as_deref(), Some("side by side"));
    assert_eq!(details.duration_secs, Some(1.0));
    let record = video.dolby_vision.expect("the dvvC record is read");
    assert_eq!((record.profile, record.level, record.rpu, record.el, record.bl), (8, 6, true, false, true));
    assert_eq!(record.compatibility, 1);
    assert_eq!(
        (video.color_primaries.as_deref(), video.color_transfer.as_deref()),
        (Some("bt2020"), Some("smpte2084"))
    );
}

#[test]
fn a_moov_at_the_end_behind_a_huge_mdat_is_found_by_headers() {
    let entry = visual_entry(b"avc1", &[]);
    let mut mdat = 16u32.to_be_bytes().to_vec();
    mdat.extend_from_slice(b"mdat");
    mdat.extend_from_slice(&[0; 8]);
    let file = concat(&[ftyp(), mdat, boxed(b"moov", &concat(&[mvhd(600, 1200), video_trak(entry, false)]))]);
    let probe = probe_native_bytes(Path::new("end.mp4"), file).expect("reads");
    assert_eq!(probe.details.duration_secs, Some(2.0));
    assert!(!probe.details.video[0].default, "a disabled track is not default");
}

#[test]
fn hostile_boxes_fail_or_warn_without_panicking() {
    // A box claiming 2^63 bytes: clamped to the file, nothing allocated.
    let mut huge = 1u32.to_be_bytes().to_vec();
    huge.extend_from_slice(b"free");
    huge.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let file = concat(&[ftyp(), huge.clone(), vec![0; 64]]);
    let err = probe_bytes(file).expect_err("no moov");
    assert!(matches!(err, ProbeError::Corrupt { .. }), "{err:?}");
    // The same claim on moov itself: read what is there, with a warning.
    let mut moov = 1u32.to_be_bytes().to_vec();
    moov.extend_from_slice(b"moov");
    moov.extend_from_slice(&(1u64 << 63).to_be_bytes());
    moov.extend_from_slice(&mvhd(1000, 5000));
    let details = probe_bytes(concat(&[ftyp(), moov])).expect("a cut moov still reads");
    assert_eq!(details.duration_secs, Some(5.0));
    assert_eq!(details.warnings, ["the file ends inside the moov box; 0 tracks read"]);

    // Boxes nested 1000 deep inside moov/udta.
    let mut nested = boxed(b"\xa9nam", b"\0\x05\0\0deep!");
    for _ in 0..1000 {
        nested = boxed(b"udta", &nested);
    }
    let details = probe_bytes(concat(&[ftyp(), boxed(b"moov", &concat(&[mvhd(1000, 1000), nested]))])).expect("reads");
    assert_eq!(details.title, None);

    // A zero-size box inside moov runs to moov's end instead of looping.
    let zero = [0u8, 0, 0, 0, b't', b'r', b'a', b'k'].to_vec();
    let details = probe_bytes(concat(&[ftyp(), boxed(b"moov", &concat(&[mvhd(1000, 1000), zero.clone(), zero]))]))
        .expect("reads");
    assert_eq!(details.duration_secs, Some(1.0));

    // A size smaller than its header.
    let bad = concat(&[ftyp(), [0u8, 0, 0, 4, b'm', b'o', b'o', b'v'].to_vec(), vec![0; 32]]);
    assert!(matches!(probe_bytes(bad), Err(ProbeError::Corrupt { .. })));
}

#[test]
fn random_bytes_named_mp4_are_corrupt_quickly() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    let started = Instant::now();
    let err = probe_native_bytes(Path::new("random.mp4"), random.clone()).expect_err("random bytes are no MP4");
    assert!(matches!(err, ProbeError::Corrupt { .. }), "{err:?}");
    // Random bytes behind a valid ftyp: the walk ends at the first impossible header.
    let err = probe_bytes(concat(&[ftyp(), random])).expect_err("no moov");
    assert!(matches!(err, ProbeError::Corrupt { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(200), "took {:?}", started.elapsed());
}

#[test]
fn truncated_headers_never_panic() {
    for name in [
        "radarr-h264-aac-faststart.mp4",
        "hdr10-hevc-ac3-faststart.mp4",
        "vp9-eac3-faststart.mp4",
        "interlaced-h264-pcm.mov",
    ] {
        let bytes = std::fs::read(header_sample(name)).expect("header sample");
        let mut cut = 1;
        while cut < bytes.len() {
            // Ok with warnings or an error, both fine; a panic fails the test.
            if let Ok(probe) = probe_native_bytes(Path::new(name), bytes[..cut].to_vec()) {
                assert_eq!(probe.details.container.as_deref(), Some("mov,mp4,m4a,3gp,3g2,mj2"));
            }
            cut += if cut < 2048 { 7 } else { 61 };
        }
        // Cut inside moov: what was read, plus a warning.
        let moov_cut = bytes.len().min(1400);
        if let Ok(probe) = probe_native_bytes(Path::new(name), bytes[..moov_cut].to_vec()) {
            assert!(
                probe.details.warnings.iter().any(|warning| warning.contains("moov")),
                "{name}: {:?}",
                probe.details.warnings
            );
        }
    }
}
