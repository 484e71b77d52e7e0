//! Unit tests of the codec parsers on configuration records and first packets cut from files
//! `ffmpeg` 5.1 made, asserting what ffprobe 5.1 printed for the same files, plus garbage.

use super::*;

fn video(codec: VideoCodec, config: &[u8], packet: &[u8]) -> VideoBitstream {
    video_bitstream(codec, Some(config), Some(packet))
}

fn audio(codec: AudioCodec, config: Option<&[u8]>, packet: Option<&[u8]>) -> AudioBitstream {
    audio_bitstream(codec, config, packet)
}

/// `avcC` of `libx264 -pix_fmt yuv420p -flags +ildct+ilme -top 0` in MP4. The `-top` option
/// only reaches the container (Matroska's FieldOrder says `bb`); x264 still codes top field
/// first, and ffprobe prints `tt` for the MP4.
const H264_INTERLACED_AVCC: &[u8] = &[
    0x01, 0x64, 0x00, 0x15, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x15, 0xac, 0xd9, 0x41, 0x41, 0x0f, 0xcb, 0x80,
    0x88, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0xf8, 0xa1, 0x4c, 0xb0, 0x01, 0x00, 0x06, 0x68,
    0xfb, 0xa3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
];
/// Its first packet without x264's settings SEI, the IDR slice cut to 40 bytes.
const H264_INTERLACED_PACKET: &[u8] = &[
    0x00, 0x00, 0x00, 0x05, 0x06, 0x01, 0x01, 0x32, 0x80, 0x00, 0x00, 0x00, 0x28, 0x65, 0x88, 0x82, 0x0b, 0x03, 0x7f,
    0xf6, 0xf6, 0xf0, 0xfe, 0x05, 0x36, 0x56, 0x04, 0x92, 0xba, 0x11, 0x21, 0xa5, 0xaf, 0x00, 0x03, 0x6a, 0x01, 0x19,
    0xbf, 0x26, 0x44, 0xac, 0xdd, 0x18, 0x18, 0xe2, 0xa5, 0x11, 0xfd, 0x48, 0x6b, 0xc9, 0x9d,
];

#[test]
fn h264_interlaced_reads_profile_and_field_order() {
    let out = video(VideoCodec::H264, H264_INTERLACED_AVCC, H264_INTERLACED_PACKET);
    assert_eq!(out.profile.as_deref(), Some("High"));
    assert_eq!(out.pix_fmt.as_deref(), Some("yuv420p"));
    assert_eq!(out.field_order.as_deref(), Some("tt"));
    assert_eq!(out.color_primaries, None);
    assert!(!out.sei.any());
    // Without the packet the SPS still gives profile and format, but no field order.
    let config_only = video_bitstream(VideoCodec::H264, Some(H264_INTERLACED_AVCC), None);
    assert_eq!(config_only.profile.as_deref(), Some("High"));
    assert_eq!(config_only.field_order, None);
}

#[test]
fn h264_profiles_follow_constraint_flags() {
    let sps = |profile_idc, constraint_flags| h264::Sps { profile_idc, constraint_flags, ..h264::Sps::default() };
    assert_eq!(h264::profile_name(&sps(66, 0x40)), Some("Constrained Baseline"));
    assert_eq!(h264::profile_name(&sps(66, 0)), Some("Baseline"));
    assert_eq!(h264::profile_name(&sps(110, 0)), Some("High 10"));
    assert_eq!(h264::profile_name(&sps(110, 0x10)), Some("High 10 Intra"));
    assert_eq!(h264::profile_name(&sps(122, 0)), Some("High 4:2:2"));
    assert_eq!(h264::profile_name(&sps(244, 0)), Some("High 4:4:4 Predictive"));
    let gray_full_range = h264::Sps { chroma_format_idc: 0, bit_depth: 8, full_range: true, ..h264::Sps::default() };
    // FFmpeg decodes monochrome H.264 as 4:2:0, `yuvj420p` at full range (ffprobe on x264 gray).
    assert_eq!(h264::pix_fmt(&gray_full_range).as_deref(), Some("yuvj420p"));
}

/// The first packet of an x265 HDR10 encode (`master-display`, `max-cll`, 10 bits, PQ,
/// BT.2020): VPS, SPS, PPS, the two SEIs, and the slice cut to 40 bytes.
const HEVC_HDR10_PACKET: &[u8] = &[
    0x00, 0x00, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x95, 0x98, 0x09, 0x00, 0x00, 0x00, 0x2d, 0x42, 0x01, 0x01, 0x02, 0x20, 0x00,
    0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f, 0x13, 0x65, 0x95,
    0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa8, 0x48, 0x80, 0x48, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03,
    0x21, 0x00, 0x00, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40, 0x00, 0x00, 0x00, 0x09, 0x4e, 0x01, 0x90,
    0x04, 0x03, 0xe8, 0x01, 0x90, 0x80, 0x00, 0x00, 0x00, 0x1e, 0x4e, 0x01, 0x89, 0x18, 0x33, 0xc2, 0x86, 0xc4, 0x1d,
    0x4c, 0x0b, 0xb8, 0x84, 0xd0, 0x3e, 0x80, 0x3d, 0x13, 0x40, 0x42, 0x00, 0x98, 0x96, 0x80, 0x00, 0x00, 0x03, 0x00,
    0x01, 0x80, 0x00, 0x00, 0x00, 0x28, 0x28, 0x01, 0xaf, 0x1d, 0x20, 0xaa, 0x3d, 0x46, 0x99, 0x60, 0x31, 0x3f, 0x84,
    0xd6, 0x74, 0x8d, 0x76, 0x69, 0x00, 0x5e, 0x14, 0xa1, 0x30, 0x7f, 0xff, 0xca, 0x2e, 0x73, 0xf2, 0x8b, 0xd9, 0xe0,
    0xd7, 0xbf, 0xb0, 0x60, 0x10, 0xce, 0x07, 0xc8,
];

#[test]
fn hevc_hdr10_reads_sps_vui_and_sei() {
    let out = video_bitstream(VideoCodec::Hevc, None, Some(HEVC_HDR10_PACKET));
    assert_eq!(out.profile.as_deref(), Some("Main 10"));
    assert_eq!(out.pix_fmt.as_deref(), Some("yuv420p10le"));
    assert_eq!(out.color_primaries.as_deref(), Some("bt2020"));
    assert_eq!(out.color_transfer.as_deref(), Some("smpte2084"));
    assert_eq!(out.field_order.as_deref(), Some("progressive"));
    assert!(out.sei.mastering_display && out.sei.content_light_level && !out.sei.hdr10_plus);
    assert_eq!(hevc::profile_name(3), Some("Main Still Picture"));
    assert_eq!(hevc::profile_name(4), Some("Rext"));
}

/// `av1C` of `libaom-av1 -pix_fmt yuv420p10le` tagged BT.2020/PQ in MP4, with its sequence
/// header OBU.
const AV1_10BIT_AV1C: &[u8] = &[
    0x81, 0x00, 0x4c, 0x00, 0x0a, 0x0e, 0x00, 0x00, 0x00, 0x04, 0x3c, 0xff, 0xbc, 0xda, 0xf9, 0x50, 0x91, 0x00, 0x90,
    0x40,
];

#[test]
fn av1_reads_sequence_header() {
    let out = video_bitstream(VideoCodec::Av1, Some(AV1_10BIT_AV1C), None);
    assert_eq!(out.profile.as_deref(), Some("Main"));
    assert_eq!(out.pix_fmt.as_deref(), Some("yuv420p10le"));
    assert_eq!(out.color_primaries.as_deref(), Some("bt2020"));
    assert_eq!(out.color_transfer.as_deref(), Some("smpte2084"));
    // The same OBU as the first packet (Matroska without CodecPrivate OBUs).
    let from_packet = video_bitstream(VideoCodec::Av1, None, AV1_10BIT_AV1C.get(4..));
    assert_eq!(from_packet, out);
}

#[test]
fn vp9_reads_frame_header_and_vpcc() {
    // A 10-bit Profile 2 key frame from WebM, and the `vpcC` of the same encode in MP4.
    let frame = [0x92, 0x49, 0x83, 0x42, 0x50, 0x09, 0xf8, 0x07, 0x7b, 0x06, 0x1c, 0x12];
    let vpcc = [0x01, 0x00, 0x00, 0x00, 0x02, 0x14, 0xa2, 0x09, 0x10, 0x09, 0x00, 0x00];
    let webm = video_bitstream(VideoCodec::Vp9, None, Some(&frame));
    assert_eq!(webm.profile.as_deref(), Some("Profile 2"));
    assert_eq!(webm.pix_fmt.as_deref(), Some("yuv420p10le"));
    assert_eq!(webm.color_primaries, None);
    let mp4 = video(VideoCodec::Vp9, &vpcc, &frame);
    assert_eq!(mp4.color_primaries.as_deref(), Some("bt2020"));
    assert_eq!(mp4.color_transfer.as_deref(), Some("smpte2084"));
    let record_only = video_bitstream(VideoCodec::Vp9, Some(&vpcc), None);
    assert_eq!(record_only.profile.as_deref(), Some("Profile 2"));
    assert_eq!(record_only.pix_fmt.as_deref(), Some("yuv420p10le"));
}

#[test]
fn mpeg2_interlaced_and_mpeg4_profiles() {
    let sequence = [
        0x00, 0x00, 0x01, 0xb3, 0x14, 0x00, 0xf0, 0x23, 0xff, 0xff, 0xe0, 0x18, 0x00, 0x00, 0x01, 0xb5, 0x14, 0x82,
        0x00, 0x01, 0x00, 0x00,
    ];
    let picture_extension = [0x00, 0x00, 0x01, 0xb5, 0x8f, 0xff, 0xf3, 0x80, 0x00, 0x00];
    let out = video(VideoCodec::Mpeg2, &sequence, &picture_extension);
    assert_eq!(out.profile.as_deref(), Some("Main"));
    assert_eq!(out.pix_fmt.as_deref(), Some("yuv420p"));
    assert_eq!(out.field_order.as_deref(), Some("tt"));
    let vos = [0x00, 0x00, 0x01, 0xb0, 0xf5, 0x00, 0x00, 0x01, 0xb5];
    let out = video_bitstream(VideoCodec::Mpeg4, Some(&vos), None);
    assert_eq!(out.profile.as_deref(), Some("Advanced Simple Profile"));
    let vp8 = [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01];
    assert_eq!(video_bitstream(VideoCodec::Vp8, None, Some(&vp8)).profile.as_deref(), Some("0"));
}

#[test]
fn aac_configs() {
    // ffmpeg's 5.1 AAC encode (ffprobe: LC, 6 channels, 5.1, 48000).
    let out = audio(AudioCodec::Aac, Some(&[0x11, 0xb0, 0x56, 0xe5, 0x00]), None);
    assert_eq!(out.profile.as_deref(), Some("LC"));
    assert_eq!((out.channels, out.channel_layout.as_deref(), out.sample_rate), (Some(6), Some("5.1"), Some(48000)));
    // HE-AAC, explicit: object type 5, 24 kHz core, stereo, 48 kHz SBR, LC core.
    let out = audio(AudioCodec::Aac, Some(&[0x2b, 0x11, 0x88, 0x00]), None);
    assert_eq!(out.profile.as_deref(), Some("HE-AAC"));
    assert_eq!((out.channels, out.sample_rate), (Some(2), Some(48000)));
    // HE-AACv2: object type 29, mono core with parametric stereo comes out stereo.
    let out = audio(AudioCodec::Aac, Some(&[0xeb, 0x09, 0x88, 0x00]), None);
    assert_eq!(out.profile.as_deref(), Some("HE-AACv2"));
    assert_eq!((out.channels, out.channel_layout.as_deref(), out.sample_rate), (Some(2), Some("stereo"), Some(48000)));
    // Main and LTP profiles (ffmpeg `-profile:a aac_main` / `aac_ltp`, mono 48 kHz).
    assert_eq!(audio(AudioCodec::Aac, Some(&[0x09, 0x88]), None).profile.as_deref(), Some("Main"));
    assert_eq!(audio(AudioCodec::Aac, Some(&[0x21, 0x88]), None).profile.as_deref(), Some("LTP"));
}

#[test]
fn ac3_and_eac3_frames_and_records() {
    let ac3 = [0x0b, 0x77, 0xb5, 0x0b, 0x1e, 0x40, 0xeb, 0xf8, 0x40, 0x3e, 0xff, 0x99];
    let out = audio(AudioCodec::Ac3, None, Some(&ac3));
    assert_eq!(out.codec, Some(AudioCodec::Ac3));
    assert_eq!(
        (out.channels, out.channel_layout.as_deref(), out.sample_rate),
        (Some(6), Some("5.1(side)"), Some(48000))
    );
    assert_eq!(out.profile, None);
    let dac3 = [0x10, 0x3d, 0xe0];
    let from_record = audio(AudioCodec::Ac3, Some(&dac3), None);
    assert_eq!((from_record.channels, from_record.channel_layout.as_deref()), (Some(6), Some("5.1(side)")));
    let eac3 =
        [0x0b, 0x77, 0x03, 0x7f, 0x3f, 0x87, 0xc0, 0x00, 0x20, 0xf8, 0x20, 0x00, 0x02, 0x00, 0x40, 0x00, 0x04, 0x00];
    // An A_AC3 track holding E-AC-3 is refined to eac3.
    let out = audio(AudioCodec::Ac3, None, Some(&eac3));
    assert_eq!(out.codec, Some(AudioCodec::Eac3));
    assert_eq!(
        (out.channels, out.channel_layout.as_deref(), out.sample_rate),
        (Some(6), Some("5.1(side)"), Some(48000))
    );
    assert_eq!(out.profile, None);
    let dec3 = [0x0e, 0x00, 0x20, 0x0f, 0x00];
    let out = audio(AudioCodec::Eac3, Some(&dec3), None);
    assert_eq!(
        (out.channels, out.channel_layout.as_deref(), out.profile),
        (Some(6), Some("5.1(side)".to_owned()).as_deref(), None)
    );
    // The same `dec3` with flag_ec3_extension_type_a (JOC) and a complexity index: Atmos.
    let atmos = [0x0e, 0x00, 0x20, 0x0f, 0x00, 0x01, 0x10];
    assert_eq!(audio(AudioCodec::Eac3, Some(&atmos), None).profile.as_deref(), Some(dolby::EAC3_ATMOS));
}

#[test]
fn eac3_dependent_substream_adds_back_channels() {
    // 5.1 independent frame, then a dependent frame (strmtyp 1) whose chanmap adds Lrs/Rrs.
    let independent = [0x0b, 0x77, 0x00, 0x03, 0x3f, 0x87, 0, 0];
    // strmtyp 1, substream 0, frmsiz 7 (16 bytes), 48 kHz, 6 blocks, acmod 2, no LFE, bsid 16,
    // dialnorm 0, compre 0, chanmape 1, chanmap with L, R and the Lrs/Rrs pair.
    let mut dependent = vec![0x0b, 0x77];
    let mut bits = String::from("01"); // strmtyp 1 (dependent)
    bits.push_str("000"); // substreamid 0
    bits.push_str("00000000111"); // frmsiz: 8 words
    bits.push_str("0011"); // fscod 0 (48 kHz), numblkscod 3
    bits.push_str("010"); // acmod 2
    bits.push('0'); // lfeon
    bits.push_str("10000"); // bsid 16
    bits.push_str("00000"); // dialnorm
    bits.push('0'); // compre
    bits.push('1'); // chanmape
    bits.push_str("1010001000000000"); // L, R, Lrs/Rrs
    while bits.len() % 8 != 0 {
        bits.push('0');
    }
    for chunk in bits.as_bytes().chunks(8) {
        let text = std::str::from_utf8(chunk).expect("ascii");
        dependent.push(u8::from_str_radix(text, 2).expect("binary"));
    }
    dependent.resize(16, 0);
    let packet: Vec<u8> = independent.iter().chain(&dependent).copied().collect();
    let out = audio(AudioCodec::Eac3, None, Some(&packet));
    assert_eq!((out.channels, out.channel_layout.as_deref()), (Some(8), Some("7.1")));
}

#[test]
fn truehd_major_sync_and_dmlp() {
    let packet = [
        0x80, 0x4c, 0xff, 0xd8, 0xf8, 0x72, 0x6f, 0xba, 0x00, 0x97, 0xc0, 0x0f, 0xb7, 0x52, 0x00, 0x00, 0x00, 0x00,
        0x8c, 0x7f, 0x11, 0x04, 0x54, 0x00,
    ];
    let out = audio(AudioCodec::TrueHd, None, Some(&packet));
    assert_eq!(
        (out.channels, out.channel_layout.as_deref(), out.sample_rate),
        (Some(6), Some("5.1(side)"), Some(48000))
    );
    assert_eq!(out.profile, None);
    let dmlp = [0x00, 0x97, 0xc0, 0x0f, 0x18, 0xfe, 0x00, 0x00, 0x00, 0x00];
    let out = audio(AudioCodec::TrueHd, Some(&dmlp), None);
    assert_eq!((out.channels, out.channel_layout.as_deref()), (Some(6), Some("5.1(side)")));
    let mut atmos = packet;
    atmos[21] = 0x84; // substream_info with the 16-channel presentation
    assert_eq!(audio(AudioCodec::TrueHd, None, Some(&atmos)).profile.as_deref(), Some(dolby::TRUEHD_ATMOS));
}

#[test]
fn dts_core() {
    let core = [0x7f, 0xfe, 0x80, 0x01, 0xfc, 0x3c, 0x75, 0xb2, 0x76, 0xc0, 0x05, 0x38, 0x00, 0x09, 0xef, 0x7b];
    let out = audio(AudioCodec::Dts, None, Some(&core));
    assert_eq!(out.profile.as_deref(), Some("DTS"));
    assert_eq!(
        (out.channels, out.channel_layout.as_deref(), out.sample_rate),
        (Some(6), Some("5.1(side)"), Some(48000))
    );
}

#[test]
fn simple_audio_headers() {
    let streaminfo =
        [0x12, 0x00, 0x12, 0x00, 0x00, 0x01, 0x6f, 0x00, 0x05, 0x0e, 0x0b, 0xb8, 0x0a, 0xf0, 0x00, 0x00, 0x5d, 0xc0];
    let out = audio(AudioCodec::Flac, Some(&streaminfo), None);
    assert_eq!((out.channels, out.channel_layout.as_deref(), out.sample_rate), (Some(6), Some("5.1"), Some(48000)));
    let opus = [
        0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 0x01, 0x06, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x02, 0x00, 0x04, 0x01, 0x02, 0x03, 0x05,
    ];
    let out = audio(AudioCodec::Opus, Some(&opus), None);
    assert_eq!((out.channels, out.channel_layout.as_deref(), out.sample_rate), (Some(6), Some("5.1"), Some(48000)));
    let vorbis = [
        0x02, 0x1e, 0x5d, 0x01, 0x76, 0x6f, 0x72, 0x62, 0x69, 0x73, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0xbb, 0x00,
        0x00,
    ];
    let out = audio(AudioCodec::Vorbis, Some(&vorbis), None);
    assert_eq!((out.channels, out.channel_layout.as_deref(), out.sample_rate), (Some(1), Some("mono"), Some(48000)));
    let mp3 = [0xff, 0xfb, 0x54, 0xc4, 0x00, 0x00];
    let out = audio(AudioCodec::Mp3, None, Some(&mp3));
    assert_eq!((out.codec, out.channels, out.sample_rate), (Some(AudioCodec::Mp3), Some(1), Some(48000)));
}

#[test]
fn dolby_vision_record_fields() {
    // Version 1.0, profile 8, level 6, RPU and base layer, compatibility 1 (HDR10).
    let record = [0x01, 0x00, 0x10, 0x35, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let dovi = dolby_vision_record(&record).expect("record");
    assert_eq!(
        (dovi.profile, dovi.level, dovi.rpu, dovi.el, dovi.bl, dovi.compatibility),
        (8, 6, true, false, true, 1)
    );
    assert_eq!(dolby_vision_record(&[1, 0]), None);
}

#[test]
fn colour_names() {
    assert_eq!(primaries_name(1), Some("bt709"));
    assert_eq!(primaries_name(5), Some("bt470bg"));
    assert_eq!(primaries_name(6), Some("smpte170m"));
    assert_eq!(primaries_name(2), None);
    assert_eq!(transfer_name(18), Some("arib-std-b67"));
    assert_eq!(transfer_name(2), None);
}

/// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn every_parser_survives_truncation_and_garbage() {
    let videos = [
        VideoCodec::H264,
        VideoCodec::Hevc,
        VideoCodec::Av1,
        VideoCodec::Vp9,
        VideoCodec::Vp8,
        VideoCodec::Mpeg2,
        VideoCodec::Mpeg4,
    ];
    let audios = [
        AudioCodec::Aac,
        AudioCodec::Ac3,
        AudioCodec::Eac3,
        AudioCodec::TrueHd,
        AudioCodec::Dts,
        AudioCodec::Flac,
        AudioCodec::Opus,
        AudioCodec::Vorbis,
        AudioCodec::Mp3,
    ];
    let real: [&[u8]; 4] = [H264_INTERLACED_AVCC, H264_INTERLACED_PACKET, HEVC_HDR10_PACKET, AV1_10BIT_AV1C];
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for bytes in real {
        for cut in 0..bytes.len() {
            inputs.push(bytes.get(..cut).unwrap_or_default().to_vec());
        }
    }
    for seed in 0..200u64 {
        let mut bytes = noise(seed, (seed as usize * 7) % 300);
        // Valid-looking starts reach deeper into the parsers.
        let prefix: &[u8] = match seed % 6 {
            0 => &[0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1],
            1 => &[0x0b, 0x77],
            2 => &[0x7f, 0xfe, 0x80, 0x01],
            3 => &[0x00, 0x00, 0x00, 0x40, 0x42, 0x01],
            4 => &[0x81, 0x00, 0x0c, 0x00, 0x0a],
            _ => &[0x00, 0x00, 0x01, 0xb5],
        };
        bytes.splice(0..0, prefix.iter().copied());
        inputs.push(bytes);
    }
    inputs.push(vec![0xff; 64]);
    inputs.push(vec![0x00; 64]);
    for input in &inputs {
        for codec in videos {
            let _ = video_bitstream(codec, Some(input), Some(input));
            let _ = video_bitstream(codec, None, Some(input));
        }
        for codec in audios {
            let _ = audio_bitstream(codec, Some(input), Some(input));
            let _ = audio_bitstream(codec, None, Some(input));
        }
        let _ = dolby_vision_record(input);
    }
    // Garbage names nothing.
    let garbage = noise(99, 64);
    assert_eq!(video_bitstream(VideoCodec::H264, Some(&garbage), None).profile, None);
    assert_eq!(audio_bitstream(AudioCodec::Dts, None, Some(&garbage)).profile, None);
}
