//! Codec configuration and first-packet parsing shared by the Matroska and MP4 readers.
//!
//! A container gives a codec's configuration record (`avcC`, `hvcC`, `av1C`, `vpcC`, an AAC
//! AudioSpecificConfig, `dac3`/`dec3`…; Matroska's `CodecPrivate` holds the same records) and
//! the first packet of the stream. What ffprobe learns by running FFmpeg's parsers on those,
//! this module learns from the same bytes, and names it the way ffprobe does, so a stream reads
//! the same whatever container holds it.

pub(crate) mod sei;

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
    /// ffprobe's `field_order` from the bitstream (`progressive`, `tt`, `bb`…).
    pub(crate) field_order: Option<String>,
    /// HDR metadata found in the configuration record's or the first packet's SEI.
    pub(crate) sei: sei::SeiHdr,
}

/// Parses a video stream's configuration record (`config`: the `avcC`, `hvcC`, `av1C` or
/// `vpcC` body, which is also Matroska's `CodecPrivate` for H.264, HEVC and AV1) and its first
/// packet (length-prefixed NAL units, AV1 OBUs, a VP9 frame). Anything unreadable is left out;
/// this never fails and never panics.
pub(crate) fn video_bitstream(codec: VideoCodec, config: Option<&[u8]>, first_packet: Option<&[u8]>) -> VideoBitstream {
    let _ = (codec, config, first_packet);
    VideoBitstream::default()
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
    let _ = (codec, config, first_packet);
    AudioBitstream::default()
}

/// Parses a Dolby Vision decoder configuration record (`dvcC`/`dvvC`/`dvwC` body; Matroska's
/// `BlockAddIDExtraData` holds the same bytes).
pub(crate) fn dolby_vision_record(bytes: &[u8]) -> Option<crate::model::DolbyVision> {
    let _ = bytes;
    None
}

/// FFmpeg's name for ISO/IEC 23091-2 colour primaries (used by H.264/HEVC VUI, AV1, VP9's
/// `vpcC`, MP4 `colr` and Matroska `Colour`); `None` for unspecified and reserved values.
pub(crate) fn primaries_name(code: u64) -> Option<&'static str> {
    let _ = code;
    None
}

/// FFmpeg's name for ISO/IEC 23091-2 transfer characteristics; `None` for unspecified.
pub(crate) fn transfer_name(code: u64) -> Option<&'static str> {
    let _ = code;
    None
}
