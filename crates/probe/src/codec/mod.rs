//! Codec configuration and first-packet parsing shared by the Matroska and MP4 readers.
//!
//! A container gives a codec's configuration record (`avcC`, `hvcC`, `av1C`, `vpcC`, an AAC
//! AudioSpecificConfig, `dac3`/`dec3`…; Matroska's `CodecPrivate` holds the same records) and
//! the first packet of the stream. What ffprobe learns by running FFmpeg's parsers on those,
//! this module learns from the same bytes, and names it the way ffprobe does, so a stream reads
//! the same whatever container holds it.
//!
//! Everything here is hand-written over one bounds-checked bit reader (`bits`); no crate
//! was added. `scuffle-h264`/`scuffle-h265` were evaluated: they pull six more crates,
//! allocate from the record's counts, and parse neither PPS, slice headers nor SEI, which the
//! H.264 field order needs. No maintained crate parses AC-3/E-AC-3/TrueHD/DTS headers with
//! the Atmos/DTS:X signalling.

mod aac;
mod av1;
mod bits;
mod dolby;
mod dts;
mod h264;
mod hevc;
mod mpegvideo;
mod names;
pub(crate) mod sei;
mod simple_audio;
mod vpx;

/// A video codec as the containers identify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VideoCodec {
    H264,
    Hevc,
    Av1,
    Vp9,
    Vp8,
    Mpeg1,
    Mpeg2,
    Mpeg4,
    Vc1,
    /// Any other codec, by its FFmpeg name.
    Other(&'static str),
}

impl VideoCodec {
    /// FFmpeg's codec name, as ffprobe prints `codec_name`.
    pub(crate) fn ffmpeg_name(self) -> &'static str {
        match self {
            VideoCodec::H264 => "h264",
            VideoCodec::Hevc => "hevc",
            VideoCodec::Av1 => "av1",
            VideoCodec::Vp9 => "vp9",
            VideoCodec::Vp8 => "vp8",
            VideoCodec::Mpeg1 => "mpeg1video",
            VideoCodec::Mpeg2 => "mpeg2video",
            VideoCodec::Mpeg4 => "mpeg4",
            VideoCodec::Vc1 => "vc1",
            VideoCodec::Other(name) => name,
        }
    }
}

/// What a video stream's configuration record and first packet say, in ffprobe's names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VideoBitstream {
    /// Profile as ffprobe prints it (`High`, `Main 10`, `Profile 2`…).
    pub(crate) profile: Option<String>,
    /// FFmpeg pixel format name (`yuv420p`, `yuv420p10le`…).
    pub(crate) pix_fmt: Option<String>,
    /// Colour primaries from the bitstream (VUI, sequence header), in FFmpeg's names.
    pub(crate) color_primaries: Option<String>,
    /// Transfer characteristic from the bitstream, in FFmpeg's names.
    pub(crate) color_transfer: Option<String>,
    /// ffprobe's `field_order` from the bitstream (`progressive`, `tt`, `bb`…). Matroska's
    /// `FlagInterlaced`/`FieldOrder`, when set, win over it in ffprobe (FFmpeg's muxer writes
    /// them from `-top`, which x264 itself ignores), so a reader applies those first.
    pub(crate) field_order: Option<String>,
    /// HDR metadata found in the configuration record's or the first packet's SEI.
    pub(crate) sei: sei::SeiHdr,
}

/// Parses a video stream's configuration record (`config`: the `avcC`, `hvcC`, `av1C` or
/// `vpcC` body, which is also Matroska's `CodecPrivate` for H.264, HEVC and AV1) and its first
/// packet (length-prefixed NAL units, AV1 OBUs, a VP9 frame). Anything unreadable is left out;
/// this never fails and never panics.
pub(crate) fn video_bitstream(codec: VideoCodec, config: Option<&[u8]>, first_packet: Option<&[u8]>) -> VideoBitstream {
    let mut out = VideoBitstream::default();
    let config = config.filter(|bytes| !bytes.is_empty());
    let first_packet = first_packet.filter(|bytes| !bytes.is_empty());
    match codec {
        VideoCodec::H264 => {
            h264::parse(config, first_packet, &mut out);
            if let Some(packet) = first_packet {
                let length_size = config.and_then(h264::parse_avcc).map_or(4, |record| record.nal_length_size);
                for unit in nal_units(packet, length_size) {
                    sei::scan_nal(sei::Codec::H264, unit, &mut out.sei);
                }
            }
        }
        VideoCodec::Hevc => hevc::parse(config, first_packet, &mut out),
        VideoCodec::Av1 => av1::parse(config, first_packet, &mut out),
        VideoCodec::Vp9 => vpx::parse_vp9(config, first_packet, &mut out),
        VideoCodec::Vp8 => vpx::parse_vp8(first_packet, &mut out),
        VideoCodec::Mpeg1 | VideoCodec::Mpeg2 => mpegvideo::parse_mpeg12(config, first_packet, &mut out),
        VideoCodec::Mpeg4 => {
            mpegvideo::parse_mpeg4(config, first_packet, &mut out);
            out.pix_fmt.get_or_insert_with(|| "yuv420p".to_owned());
        }
        VideoCodec::Vc1 | VideoCodec::Other(_) => {}
    }
    out
}

/// Splits a packet into NAL units: `length_size`-byte big-endian length prefixes (MP4 and
/// Matroska), or Annex B start codes when the packet begins with one. A last unit cut short
/// (a packet read only in part) is kept as far as it goes, because its header still counts.
pub(crate) fn nal_units(packet: &[u8], length_size: usize) -> Vec<&[u8]> {
    if packet.starts_with(&[0, 0, 1]) || packet.starts_with(&[0, 0, 0, 1]) {
        return sei::annex_b_units(packet);
    }
    let mut units = Vec::new();
    let mut rest = packet;
    // A packet holds a handful of units; the bound only stops a hostile one.
    while !rest.is_empty() && units.len() < 256 {
        let Some(prefix) = rest.get(..length_size) else { break };
        let length = prefix.iter().fold(0usize, |value, byte| (value << 8) | usize::from(*byte));
        let tail = rest.get(length_size..).unwrap_or_default();
        if length == 0 {
            break;
        }
        let (unit, next) = tail.split_at(length.min(tail.len()));
        units.push(unit);
        rest = next;
    }
    units
}

/// An audio codec as the containers identify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioCodec {
    Aac,
    Ac3,
    Eac3,
    TrueHd,
    Dts,
    Mp3,
    Mp2,
    Flac,
    Opus,
    Vorbis,
    Alac,
    /// Any other codec (PCM variants included), by its FFmpeg name.
    Other(&'static str),
}

impl AudioCodec {
    /// Whether ffprobe takes this codec's channels, layout or profile from its first frame
    /// (the parser runs on it), so a reader must hand that frame over when the container has
    /// no configuration record to stand in for it.
    pub(crate) fn described_by_frames(self) -> bool {
        matches!(
            self,
            AudioCodec::Ac3
                | AudioCodec::Eac3
                | AudioCodec::Dts
                | AudioCodec::TrueHd
                | AudioCodec::Mp3
                | AudioCodec::Mp2
        )
    }

    /// FFmpeg's codec name, as ffprobe prints `codec_name`.
    pub(crate) fn ffmpeg_name(self) -> &'static str {
        match self {
            AudioCodec::Aac => "aac",
            AudioCodec::Ac3 => "ac3",
            AudioCodec::Eac3 => "eac3",
            AudioCodec::TrueHd => "truehd",
            AudioCodec::Dts => "dts",
            AudioCodec::Mp3 => "mp3",
            AudioCodec::Mp2 => "mp2",
            AudioCodec::Flac => "flac",
            AudioCodec::Opus => "opus",
            AudioCodec::Vorbis => "vorbis",
            AudioCodec::Alac => "alac",
            AudioCodec::Other(name) => name,
        }
    }
}

/// What an audio stream's configuration and first frame say, in ffprobe's names. A field is
/// `None` when the bitstream does not say; the reader then keeps the container's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AudioBitstream {
    /// The codec when the bitstream refines the container's (an `A_AC3` track holding E-AC-3).
    pub(crate) codec: Option<AudioCodec>,
    /// Profile as ffprobe prints it (`LC`, `HE-AAC`, `DTS-HD MA`, `Dolby Digital Plus + Dolby Atmos`…).
    pub(crate) profile: Option<String>,
    /// Number of channels.
    pub(crate) channels: Option<u32>,
    /// FFmpeg channel layout name (`stereo`, `5.1(side)`…).
    pub(crate) channel_layout: Option<String>,
    /// Sample rate in Hz.
    pub(crate) sample_rate: Option<u32>,
}

/// Parses an audio stream's configuration (`config`: an AAC AudioSpecificConfig, a `dac3`,
/// `dec3`, `dmlp` or `ddts` body, an Opus or FLAC header) and its first frame. Never fails.
pub(crate) fn audio_bitstream(codec: AudioCodec, config: Option<&[u8]>, first_packet: Option<&[u8]>) -> AudioBitstream {
    let mut out = AudioBitstream::default();
    let config = config.filter(|bytes| !bytes.is_empty());
    let first_packet = first_packet.filter(|bytes| !bytes.is_empty());
    match codec {
        AudioCodec::Aac => aac::parse(config, &mut out),
        AudioCodec::Ac3 | AudioCodec::Eac3 => dolby::parse_ac3_family(codec, config, first_packet, &mut out),
        AudioCodec::TrueHd => dolby::parse_truehd(config, first_packet, &mut out),
        AudioCodec::Dts => dts::parse(first_packet, &mut out),
        AudioCodec::Flac => simple_audio::parse_flac(config, &mut out),
        AudioCodec::Opus => simple_audio::parse_opus(config, &mut out),
        AudioCodec::Vorbis => simple_audio::parse_vorbis(config, &mut out),
        AudioCodec::Mp3 | AudioCodec::Mp2 => simple_audio::parse_mpeg_audio(first_packet, &mut out),
        AudioCodec::Alac | AudioCodec::Other(_) => {}
    }
    out
}

/// Parses a Dolby Vision decoder configuration record (`dvcC`/`dvvC`/`dvwC` body; Matroska's
/// `BlockAddIDExtraData` holds the same bytes).
///
/// The layout (ETSI GS CCM 001 / Dolby's ISOBMFF spec): `dv_version_major` 8,
/// `dv_version_minor` 8, `dv_profile` 7, `dv_level` 6, `rpu_present_flag`, `el_present_flag`,
/// `bl_present_flag` 1 each, `dv_bl_signal_compatibility_id` 4, then reserved bits.
pub(crate) fn dolby_vision_record(bytes: &[u8]) -> Option<crate::model::DolbyVision> {
    let mut reader = bits::BitReader::new(bytes);
    let _major = reader.u8(8)?;
    let _minor = reader.u8(8)?;
    let profile = reader.u8(7)?;
    let level = reader.u8(6)?;
    let rpu = reader.flag()?;
    let el = reader.flag()?;
    let bl = reader.flag()?;
    // Records from before version 1.0 end before the compatibility id; FFmpeg reads 0 then.
    let compatibility = reader.u8(4).unwrap_or(0);
    Some(crate::model::DolbyVision { profile, level, rpu, el, bl, compatibility })
}

/// FFmpeg's name for ISO/IEC 23091-2 colour primaries (used by H.264/HEVC VUI, AV1, VP9's
/// `vpcC`, MP4 `colr` and Matroska `Colour`); `None` for unspecified and reserved values.
pub(crate) fn primaries_name(code: u64) -> Option<&'static str> {
    names::primaries(code)
}

/// FFmpeg's name for ISO/IEC 23091-2 transfer characteristics; `None` for unspecified.
pub(crate) fn transfer_name(code: u64) -> Option<&'static str> {
    names::transfer(code)
}
#[cfg(test)]
mod tests;
