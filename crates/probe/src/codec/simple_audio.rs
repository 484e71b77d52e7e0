//! The audio codecs whose headers are a few fixed fields: FLAC STREAMINFO, the Opus and
//! Vorbis identification headers, and MPEG audio (MP1/MP2/MP3) frame headers.

use super::bits::{BitReader, find, le32};
use super::names::{self, ch};
use super::{AudioBitstream, AudioCodec};

/// The default layouts of FLAC, Vorbis and Opus mapping family 1 (Vorbis channel order).
fn vorbis_order_layout(channels: u32) -> Option<u64> {
    Some(match channels {
        1 => ch::FC,
        2 => ch::FL | ch::FR,
        3 => ch::FL | ch::FR | ch::FC,
        4 => ch::FL | ch::FR | ch::BL | ch::BR,
        5 => ch::FL | ch::FR | ch::FC | ch::BL | ch::BR,
        6 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BL | ch::BR,
        7 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BC | ch::SL | ch::SR,
        8 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BL | ch::BR | ch::SL | ch::SR,
        _ => return None,
    })
}

fn set_channels(out: &mut AudioBitstream, channels: u32, layout: Option<u64>) {
    out.channels = Some(channels);
    out.channel_layout = layout.and_then(names::describe_layout);
}

/// FLAC: `fLaC` + metadata blocks (Matroska), a `dfLa` body (version and flags, then
/// blocks), or a bare STREAMINFO.
pub(crate) fn parse_flac(config: Option<&[u8]>, out: &mut AudioBitstream) {
    let Some(config) = config else { return };
    let streaminfo = if let Some(rest) = config.strip_prefix(b"fLaC") {
        rest.get(4..)
    } else if config.len() >= 42 && config.get(..4) == Some(&[0, 0, 0, 0]) {
        config.get(8..)
    } else if config.len() >= 38 && config.first().is_some_and(|byte| byte & 0x7f == 0) {
        config.get(4..)
    } else {
        Some(config)
    };
    let Some(info) = streaminfo else { return };
    let mut r = BitReader::new(info);
    let Some(()) = r.skip(16 + 16 + 24 + 24) else { return };
    let (Some(rate), Some(channels)) = (r.u32(20), r.u32(3)) else { return };
    out.sample_rate = Some(rate).filter(|rate| *rate > 0);
    set_channels(out, channels + 1, vorbis_order_layout(channels + 1));
}

/// Opus: `OpusHead` (Matroska, Ogg) or MP4's `dOps` body (the same fields after a version
/// byte, big-endian). FFmpeg always decodes Opus at 48 kHz.
pub(crate) fn parse_opus(config: Option<&[u8]>, out: &mut AudioBitstream) {
    let Some(config) = config else { return };
    let (channels, family) = if let Some(rest) = config.strip_prefix(b"OpusHead") {
        (rest.get(1).copied(), rest.get(10).copied())
    } else {
        (config.get(1).copied(), config.get(10).copied())
    };
    out.sample_rate = Some(48000);
    let Some(channels) = channels.map(u32::from).filter(|channels| *channels > 0) else { return };
    let layout = match family {
        Some(0) if channels <= 2 => vorbis_order_layout(channels),
        Some(1) => vorbis_order_layout(channels),
        _ => None,
    };
    set_channels(out, channels, layout);
}

/// Vorbis: the identification header, alone or first of Matroska's Xiph-laced three.
pub(crate) fn parse_vorbis(config: Option<&[u8]>, out: &mut AudioBitstream) {
    let Some(config) = config else { return };
    let Some(start) = find(config, b"\x01vorbis") else { return };
    let Some(header) = config.get(start + 7..) else { return };
    let (Some(&channels), Some(rate)) = (header.get(4), le32(header, 5)) else { return };
    out.sample_rate = Some(rate).filter(|rate| *rate > 0);
    if channels > 0 {
        set_channels(out, u32::from(channels), vorbis_order_layout(u32::from(channels)));
    }
}

/// MPEG audio: the first frame header in the packet.
pub(crate) fn parse_mpeg_audio(packet: Option<&[u8]>, out: &mut AudioBitstream) {
    let Some(packet) = packet else { return };
    let Some(header) = packet.windows(4).take(4096).find_map(mpeg_audio_header) else { return };
    let (codec, rate, mono) = header;
    out.codec = Some(codec);
    out.sample_rate = Some(rate);
    if mono {
        set_channels(out, 1, Some(ch::FC));
    } else {
        set_channels(out, 2, Some(ch::FL | ch::FR));
    }
}

fn mpeg_audio_header(bytes: &[u8]) -> Option<(AudioCodec, u32, bool)> {
    let word = u32::from_be_bytes(*bytes.first_chunk::<4>()?);
    if word >> 21 != 0x7ff {
        return None;
    }
    let version = (word >> 19) & 3;
    let layer = (word >> 17) & 3;
    let bitrate = (word >> 12) & 0xf;
    let rate_index = (word >> 10) & 3;
    if version == 1 || layer == 0 || bitrate == 0xf || rate_index == 3 {
        return None;
    }
    let base = [44100, 48000, 32000][usize::try_from(rate_index).ok()?];
    let rate = match version {
        3 => base,
        2 => base / 2,
        _ => base / 4,
    };
    let codec = match layer {
        1 => AudioCodec::Mp3,
        2 => AudioCodec::Mp2,
        _ => AudioCodec::Other("mp1"),
    };
    Some((codec, rate, (word >> 6) & 3 == 3))
}
