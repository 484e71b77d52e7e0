//! Matroska reader tests: header-only samples committed in tests/data/headers (no ffmpeg
//! needed), hand-built files for what ffmpeg cannot make (Dolby Vision mapping, container HDR
//! metadata, Tags after the clusters), and hostile input.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use metarr_probe::{DolbyVision, HdrType, NativeProbe, ProbeError, probe_native, probe_native_bytes};

fn header_sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/headers").join(name)
}

/// Probes a committed sample and prints the bytes read, for the benchmark report.
#[allow(clippy::print_stderr, reason = "bytes read per sample are reported from the test output")]
fn probe_sample(name: &str) -> NativeProbe {
    let probe = probe_native(&header_sample(name), Duration::from_secs(5)).expect("native probe");
    eprintln!("{name}: {} bytes read", probe.bytes_read);
    probe
}

#[test]
fn hdr10_header_sample() {
    let probe = probe_sample("hdr10-hevc-ac3-aac-srt.mkv");
    let details = probe.details;
    assert_eq!(details.container.as_deref(), Some("matroska,webm"));
    assert_eq!(details.title.as_deref(), Some("HDR Sample"));
    assert_eq!(details.duration_secs, Some(1.027));
    let [video] = details.video.as_slice() else { panic!("one video stream: {:?}", details.video) };
    assert_eq!((video.index, video.codec.as_str(), video.width, video.height), (0, "hevc", 320, 240));
    assert_eq!((video.frame_rate, video.default), (Some(24.0), false));
    assert_eq!(video.duration_secs, Some(1.023));
    let [surround, german] = details.audio.as_slice() else { panic!("two audio streams: {:?}", details.audio) };
    assert_eq!((surround.index, surround.codec.as_str()), (1, "ac3"));
    assert_eq!((surround.language.as_deref(), surround.title.as_deref()), (Some("eng"), Some("Surround 5.1")));
    assert!(surround.default && !surround.forced);
    assert_eq!((german.index, german.codec.as_str(), german.language.as_deref()), (2, "aac", Some("ger")));
    assert_eq!((german.sample_rate, german.default), (Some(44_100), false));
    let [subtitle] = details.subtitles.as_slice() else { panic!("one subtitle: {:?}", details.subtitles) };
    assert_eq!((subtitle.index, subtitle.codec.as_str(), subtitle.language.as_deref()), (3, "subrip", Some("eng")));
    assert!(subtitle.forced && !subtitle.default && !subtitle.hearing_impaired);
    assert!(probe.bytes_read <= 16 * 1024, "read {} bytes", probe.bytes_read);
}

#[test]
fn audio_codecs_header_sample() {
    let details = probe_sample("audio-codecs.mkv").details;
    let summary: Vec<_> = details
        .audio
        .iter()
        .map(|audio| (audio.index, audio.codec.as_str(), audio.language.as_deref(), audio.default, audio.forced))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "aac", Some("eng"), true, false),
            (2, "ac3", Some("fre"), false, true),
            (3, "eac3", Some("ger"), false, false),
            (4, "truehd", Some("spa"), false, false),
            (5, "dts", Some("ita"), false, false),
            (6, "flac", Some("jpn"), false, false),
        ]
    );
    assert_eq!(details.audio[0].title.as_deref(), Some("Stereo"));
    assert_eq!(details.audio[1].title.as_deref(), Some("Surround 5.1"));
    assert_eq!(details.audio[1].channels, Some(6));
    assert_eq!(details.audio[3].sample_rate, Some(48_000));
    assert_eq!(details.duration_secs, Some(0.54));
}

#[test]
fn mkvmerge_header_sample_without_its_trailing_tags() {
    let details = probe_sample("mkvmerge-subs-stereo.mkv").details;
    let [sdh, forced] = details.subtitles.as_slice() else { panic!("two subtitles: {:?}", details.subtitles) };
    // mkvmerge leaves `Language` out for English (the default) and writes `LanguageBCP47`.
    assert_eq!((sdh.index, sdh.codec.as_str(), sdh.language.as_deref()), (0, "subrip", Some("eng")));
    assert!(sdh.hearing_impaired && sdh.forced && sdh.default);
    assert_eq!((forced.index, forced.language.as_deref(), forced.title.as_deref()), (1, Some("fre"), Some("Forced")));
    assert!(forced.forced && !forced.default && !forced.hearing_impaired);
    let video = &details.video[0];
    assert_eq!((video.index, video.codec.as_str(), video.stereo_mode.as_deref()), (2, "h264", Some("side by side")));
    assert_eq!((video.width, video.height, video.frame_rate), (320, 120, Some(24_000.0 / 1_001.0)));
    assert_eq!((details.audio[0].index, details.audio[0].codec.as_str()), (3, "ac3"));
    // The Tags element (stream durations) is after the clusters, past the cut.
    assert!(details.video[0].duration_secs.is_none());
    assert!(details.duration_secs.is_some());
}

#[test]
fn webm_header_samples() {
    let av1 = probe_sample("av1-10bit-pq.webm").details;
    let video = &av1.video[0];
    assert_eq!((video.codec.as_str(), video.width, video.height, video.frame_rate), ("av1", 160, 120, Some(24.0)));
    assert_eq!(av1.duration_secs, Some(0.5));
    assert!(av1.audio.is_empty() && av1.subtitles.is_empty());
    let vp9 = probe_sample("vp9-opus.webm").details;
    assert_eq!((vp9.video[0].codec.as_str(), vp9.video[0].frame_rate), ("vp9", Some(25.0)));
    let opus = &vp9.audio[0];
    assert_eq!((opus.index, opus.codec.as_str(), opus.language.as_deref()), (1, "opus", Some("fin")));
    assert_eq!(opus.sample_rate, Some(48_000));
}

#[test]
fn interlaced_header_sample_takes_the_container_field_order() {
    let details = probe_sample("interlaced-h264.mkv").details;
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.field_order.as_deref()), ("h264", Some("tt")));
    assert!(video.interlaced());
}

// ---------------------------------------------------------------------------------------------
// Hand-built files

/// An element with an eight-byte size field.
fn element(id: u32, body: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = id.to_be_bytes().into_iter().skip_while(|byte| *byte == 0).collect();
    out.push(0x01);
    out.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

fn uint(id: u32, value: u64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

fn text(id: u32, value: &str) -> Vec<u8> {
    element(id, value.as_bytes())
}

fn float(id: u32, value: f64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

fn ebml_header(doc_type: &str) -> Vec<u8> {
    element(0x1A45_DFA3, &[uint(0x4286, 1), text(0x4282, doc_type)].concat())
}

/// A file of the EBML header and a sized segment holding `children`.
fn matroska(children: &[Vec<u8>]) -> Vec<u8> {
    [ebml_header("matroska"), element(0x1853_8067, &children.concat())].concat()
}

fn info(duration_ms: f64) -> Vec<u8> {
    element(0x1549_A966, &[uint(0x2AD7B1, 1_000_000), float(0x4489, duration_ms), text(0x7BA9, "Info title")].concat())
}

/// A 10-bit HEVC track with container colour and HDR metadata and, optionally, a Dolby
/// Vision mapping.
fn hdr_video_track(dolby_vision: Option<&[u8]>) -> Vec<u8> {
    let colour = element(
        0x55B0,
        &[uint(0x55B2, 10), uint(0x55BA, 16), uint(0x55BB, 9), uint(0x55BC, 1000), uint(0x55BD, 400)].concat(),
    );
    let video = element(0xE0, &[uint(0xB0, 3840), uint(0xBA, 2160), colour].concat());
    let mut entry = vec![
        uint(0xD7, 1),
        uint(0x73C5, 77),
        uint(0x83, 1),
        text(0x86, "V_MPEGH/ISO/HEVC"),
        uint(0x23E383, 41_708_333),
        video,
    ];
    if let Some(record) = dolby_vision {
        entry.push(element(0x41E4, &[uint(0x41E7, 0x6476_7643), element(0x41ED, record)].concat()));
    }
    element(0xAE, &entry.concat())
}

/// A `dvvC` body: version 1.0, profile 8, level 6, RPU and base layer, compatibility 1.
const DVVC_P8: [u8; 24] = [1, 0, 16, 53, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

#[test]
fn container_hdr_metadata_and_dolby_vision_mapping() {
    let bytes = matroska(&[info(1000.0), element(0x1654_AE6B, &hdr_video_track(Some(&DVVC_P8)))]);
    let details = probe_native_bytes(Path::new("dv.mkv"), bytes).expect("probe").details;
    let video = &details.video[0];
    assert_eq!((video.codec.as_str(), video.width, video.height), ("hevc", 3840, 2160));
    assert_eq!(video.frame_rate, Some(24_000.0 / 1_001.0));
    assert_eq!(video.bit_depth, Some(10), "BitsPerChannel stands in until the bitstream says");
    assert_eq!(
        (video.color_primaries.as_deref(), video.color_transfer.as_deref()),
        (Some("bt2020"), Some("smpte2084"))
    );
    assert_eq!(
        video.dolby_vision,
        Some(DolbyVision { profile: 8, level: 6, rpu: true, el: false, bl: true, compatibility: 1 })
    );
    assert_eq!(video.hdr, HdrType::DolbyVisionHdr10);
    // Without the mapping, MaxCLL/MaxFALL make it HDR10.
    let bytes = matroska(&[info(1000.0), element(0x1654_AE6B, &hdr_video_track(None))]);
    let details = probe_native_bytes(Path::new("hdr10.mkv"), bytes).expect("probe").details;
    assert_eq!((details.video[0].hdr, details.video[0].dolby_vision), (HdrType::Hdr10, None));
}

/// A SeekHead entry pointing at `position` (relative to the segment's data) for `id`.
fn seek(id: u32, position: u64) -> Vec<u8> {
    let id_bytes: Vec<u8> = id.to_be_bytes().into_iter().skip_while(|byte| *byte == 0).collect();
    element(0x4DBB, &[element(0x53AB, &id_bytes), uint(0x53AC, position)].concat())
}

fn audio_track(number: u64, uid: u64, codec: &str, extra: &[Vec<u8>]) -> Vec<u8> {
    let audio = element(0xE1, &[float(0xB5, 48_000.0), uint(0x9F, 2)].concat());
    let mut entry = vec![uint(0xD7, number), uint(0x73C5, uid), uint(0x83, 2), text(0x86, codec), audio];
    entry.extend_from_slice(extra);
    element(0xAE, &entry.concat())
}

#[test]
fn tags_after_the_clusters_are_found_through_the_seek_head() {
    let tracks = element(
        0x1654_AE6B,
        &[
            audio_track(1, 11, "A_OPUS", &[text(0x536E, "Track name"), text(0x22B59C, "ger")]),
            // Unknown type: no stream index.
            element(0xAE, &[uint(0xD7, 2), uint(0x83, 0x12), text(0x86, "B_BUTTONS")].concat()),
            // Unknown codec: an index, but no stream.
            audio_track(3, 13, "A_NEW_CODEC", &[]),
            audio_track(4, 14, "A_FLAC", &[uint(0x88, 0), uint(0x55AA, 1)]),
        ]
        .concat(),
    );
    let simple = |name: &str, value: &str| element(0x67C8, &[text(0x45A3, name), text(0x4487, value)].concat());
    let tags = element(
        0x1254_C367,
        &[
            element(0x7373, &[element(0x63C0, &[]), simple("TITLE", "Tag title")].concat()),
            element(
                0x7373,
                &[
                    element(0x63C0, &uint(0x63C5, 11)),
                    simple("DURATION", "00:00:02.500000000"),
                    simple("title", "Tagged name"),
                    simple("LANGUAGE", "fre"),
                ]
                .concat(),
            ),
            element(0x7373, &[element(0x63C0, &uint(0x63C5, 14)), simple("DURATION", "00:00:03.000000000")].concat()),
        ]
        .concat(),
    );
    let cluster = element(0x1F43_B675, &[uint(0xE7, 0), element(0xA3, &[0x81, 0, 0, 0x80, 1, 2, 3])].concat());
    // SeekHead (fixed size), Info, Tracks, Cluster, Tags.
    let info = info(3000.0);
    let head_len = element(0x114D_9B74, &seek(0x1254_C367, 0)).len() as u64;
    let tags_at = head_len + (info.len() + tracks.len() + cluster.len()) as u64;
    let seek_head = element(0x114D_9B74, &seek(0x1254_C367, tags_at));
    assert_eq!(seek_head.len() as u64, head_len);
    let bytes = matroska(&[seek_head, info, tracks, cluster, tags]);
    let details = probe_native_bytes(Path::new("tags.mkv"), bytes).expect("probe").details;
    assert_eq!(details.title.as_deref(), Some("Tag title"));
    assert_eq!(details.duration_secs, Some(3.0));
    let [opus, flac] = details.audio.as_slice() else { panic!("two audio streams: {:?}", details.audio) };
    assert_eq!((opus.index, opus.codec.as_str()), (0, "opus"));
    assert_eq!((opus.title.as_deref(), opus.language.as_deref()), (Some("Tagged name"), Some("fre")));
    assert_eq!((opus.duration_secs, opus.default, opus.forced), (Some(2.5), true, false));
    assert_eq!((flac.index, flac.codec.as_str(), flac.language.as_deref()), (2, "flac", Some("eng")));
    assert_eq!((flac.duration_secs, flac.default, flac.forced), (Some(3.0), false, true));
    assert!(details.warnings.is_empty(), "{:?}", details.warnings);
}

// ---------------------------------------------------------------------------------------------
// Hostile input

fn is_corrupt(result: &Result<NativeProbe, ProbeError>) -> bool {
    matches!(result, Err(ProbeError::Corrupt { .. }))
}

#[test]
fn truncation_at_any_offset_yields_a_partial_result_or_corrupt() {
    for name in ["hdr10-hevc-ac3-aac-srt.mkv", "audio-codecs.mkv", "mkvmerge-subs-stereo.mkv", "vp9-opus.webm"] {
        let bytes = std::fs::read(header_sample(name)).expect("read the sample");
        let mut partial = 0;
        for cut in (1..bytes.len()).step_by(7) {
            let result = probe_native_bytes(Path::new(name), bytes[..cut].to_vec());
            match &result {
                Ok(probe) => {
                    partial += 1;
                    let details = &probe.details;
                    assert_eq!(details.container.as_deref(), Some("matroska,webm"));
                    assert!(details.video.iter().all(|video| !video.codec.is_empty()));
                    assert!(details.audio.iter().all(|audio| !audio.codec.is_empty()));
                }
                Err(_) => assert!(is_corrupt(&result), "{name} cut at {cut}: {result:?}"),
            }
        }
        assert!(partial > 0, "{name}: some cut must still read");
    }
    // A cut inside the Tracks element says so.
    let bytes = std::fs::read(header_sample("hdr10-hevc-ac3-aac-srt.mkv")).expect("read the sample");
    let details = probe_native_bytes(Path::new("cut.mkv"), bytes[..3000].to_vec()).expect("partial").details;
    assert!(details.warnings.iter().any(|warning| warning.contains("inside the Tracks element")), "{details:?}");
    assert!(!details.video.is_empty());
}

#[test]
fn huge_and_unknown_sizes_allocate_nothing() {
    // Tracks claiming 2^56 - 2 bytes, inside a segment of unknown size (2^56 - 1, all ones).
    let mut bytes = ebml_header("matroska");
    bytes.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    bytes.extend_from_slice(&[0x16, 0x54, 0xAE, 0x6B, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    bytes.extend_from_slice(&audio_track(1, 1, "A_AC3", &[]));
    let started = Instant::now();
    let probe = probe_native_bytes(Path::new("huge.mkv"), bytes).expect("partial");
    assert_eq!(probe.details.audio[0].codec, "ac3");
    assert!(probe.details.warnings.iter().any(|warning| warning.contains("Tracks")), "{:?}", probe.details.warnings);
    assert!(probe.bytes_read < 64 * 1024);
    // An unknown-size cluster (a live stream) whose first block is cut.
    let mut bytes = matroska(&[element(0x1654_AE6B, &audio_track(1, 1, "A_AC3", &[]))]);
    bytes.extend_from_slice(&[0x1F, 0x43, 0xB6, 0x75, 0xff, 0xA3, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00]);
    bytes.extend_from_slice(&[0x81, 0x00, 0x00, 0x86, 0x05]);
    let probe = probe_native_bytes(Path::new("live.mkv"), bytes).expect("headers read");
    assert_eq!(probe.details.audio.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn deep_nesting_and_many_elements_are_bounded() {
    // 1000 nested SimpleTags, and 1000 nested unknown masters inside a TrackEntry.
    let mut nested = text(0x45A3, "LEAF");
    for _ in 0..1000 {
        nested = element(0x67C8, &[text(0x45A3, "NEST"), nested].concat());
    }
    let tags = element(0x1254_C367, &element(0x7373, &nested));
    let mut deep = Vec::new();
    for _ in 0..1000 {
        deep = element(0x5FFF, &deep);
    }
    let tracks =
        element(0x1654_AE6B, &element(0xAE, &[uint(0xD7, 1), uint(0x83, 2), text(0x86, "A_DTS"), deep].concat()));
    let voids: Vec<Vec<u8>> = (0..5000).map(|_| vec![0xEC, 0x80]).collect();
    let started = Instant::now();
    let details =
        probe_native_bytes(Path::new("deep.mkv"), matroska(&[tracks, tags, voids.concat()])).expect("probe").details;
    assert_eq!(details.audio[0].codec, "dts");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn random_bytes_are_corrupt_quickly() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    };
    let started = Instant::now();
    for len in [1, 5, 100, 4096, 100_000] {
        let bytes = random(len);
        assert!(is_corrupt(&probe_native_bytes(Path::new("random.mkv"), bytes.clone())), "{len} random bytes");
        // Behind a real EBML magic the header itself is garbage.
        let mut behind_magic = vec![0x1A, 0x45, 0xDF, 0xA3];
        behind_magic.extend_from_slice(&bytes);
        let result = probe_native_bytes(Path::new("random.mkv"), behind_magic);
        assert!(is_corrupt(&result), "{len} random bytes after the EBML magic: {result:?}");
    }
    // A WebM header whose DocType is something else is not Matroska.
    let other = [ebml_header("notmatroska"), element(0x1853_8067, &[])].concat();
    let result = probe_native_bytes(Path::new("other.mkv"), other);
    assert!(matches!(&result, Err(ProbeError::Corrupt { reason, .. }) if reason.contains("notmatroska")), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}
