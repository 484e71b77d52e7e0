//! The stream-details model shared by the native readers and the ffprobe parser.
//!
//! Both readers fill the same types so the scanner, the NFO writer and the tests can compare
//! them field by field without caring where the values came from.

use serde::{Deserialize, Serialize};

/// What a video file holds: container, duration and every video, audio and subtitle stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StreamDetails {
    /// FFmpeg's demuxer name, e.g. `matroska,webm` or `mov,mp4,m4a,3gp,3g2,mj2`.
    pub container: Option<String>,
    /// Length of the file in seconds: the container's duration, else the longest stream's.
    pub duration_secs: Option<f64>,
    /// The container's title tag, when set.
    pub title: Option<String>,
    /// Video streams in file order (attached pictures such as cover art are left out).
    pub video: Vec<VideoStream>,
    /// Audio streams in file order.
    pub audio: Vec<AudioStream>,
    /// Subtitle streams in file order.
    pub subtitles: Vec<SubtitleStream>,
    /// What could not be read, for a file that was still partly understood (a truncated
    /// file, a damaged track header); empty for a healthy file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl StreamDetails {
    /// The longest video or audio stream, which FFmpeg reports as the file's duration when
    /// the container gives none.
    pub(crate) fn longest_stream(&self) -> Option<f64> {
        self.video
            .iter()
            .filter_map(|video| video.duration_secs)
            .chain(self.audio.iter().filter_map(|audio| audio.duration_secs))
            .reduce(f64::max)
    }
}

/// One video stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoStream {
    /// Index of the stream in the container, as ffprobe numbers it.
    pub index: usize,
    /// FFmpeg codec name, e.g. `h264`, `hevc`, `av1`.
    pub codec: String,
    /// Codec profile as ffprobe spells it, e.g. `Main 10`, `High`.
    pub profile: Option<String>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second: the average rate, else the real base rate.
    pub frame_rate: Option<f64>,
    /// Bits per colour component (8, 10, 12), from the pixel format.
    pub bit_depth: Option<u8>,
    /// FFmpeg pixel format name, e.g. `yuv420p10le`.
    pub pix_fmt: Option<String>,
    /// Colour transfer characteristic, e.g. `smpte2084`, `arib-std-b67`, `bt709`.
    pub color_transfer: Option<String>,
    /// Colour primaries, e.g. `bt2020`.
    pub color_primaries: Option<String>,
    /// HDR format, classified with Radarr's rules (see [`HdrType`]).
    pub hdr: HdrType,
    /// Duration of this stream in seconds (Matroska keeps it only in the `DURATION` tag).
    pub duration_secs: Option<f64>,
    /// The stream's default disposition flag.
    pub default: bool,
    /// ffprobe's `field_order`: `progressive`, or for interlaced video `tt`, `bb`, `tb`, `bt`
    /// (top or bottom field first, coded and displayed); `None` when unknown.
    #[serde(default)]
    pub field_order: Option<String>,
    /// 3D stereo arrangement in FFmpeg's words (`side by side`, `top and bottom`,
    /// `frame alternate`, …); `None` for 2D video.
    #[serde(default)]
    pub stereo_mode: Option<String>,
    /// The Dolby Vision configuration record, when the stream carries one.
    #[serde(default)]
    pub dolby_vision: Option<DolbyVision>,
}

impl VideoStream {
    /// Whether the video is interlaced, as far as the file says.
    pub fn interlaced(&self) -> bool {
        self.field_order.as_deref().is_some_and(|order| order != "progressive")
    }
}

/// A Dolby Vision decoder configuration record (`dvcC`/`dvvC`, or Matroska's block addition
/// mapping), with ffprobe's field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DolbyVision {
    /// `dv_profile`: 5, 7, 8 …
    pub profile: u8,
    /// `dv_level`.
    pub level: u8,
    /// `rpu_present_flag`.
    pub rpu: bool,
    /// `el_present_flag` (an enhancement layer, profile 7).
    pub el: bool,
    /// `bl_present_flag`.
    pub bl: bool,
    /// `dv_bl_signal_compatibility_id`: 0 none, 1 HDR10, 2 SDR, 4 HLG, 6 HDR10 (Blu-ray).
    pub compatibility: u8,
}

/// One audio stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioStream {
    /// Index of the stream in the container.
    pub index: usize,
    /// FFmpeg codec name, e.g. `aac`, `ac3`, `eac3`, `dts`, `truehd`.
    pub codec: String,
    /// Codec profile, e.g. `LC`, `DTS-HD MA`.
    pub profile: Option<String>,
    /// Number of channels.
    pub channels: Option<u32>,
    /// FFmpeg channel layout name, e.g. `stereo`, `5.1(side)`; absent when unspecified.
    pub channel_layout: Option<String>,
    /// Sample rate in Hz.
    pub sample_rate: Option<u32>,
    /// ISO 639 language code as tagged, lowercased; `und` and empty tags become `None`.
    pub language: Option<String>,
    /// The stream's title tag.
    pub title: Option<String>,
    /// Duration of this stream in seconds.
    pub duration_secs: Option<f64>,
    /// The stream's default disposition flag.
    pub default: bool,
    /// The stream's forced disposition flag.
    #[serde(default)]
    pub forced: bool,
}

/// One subtitle stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtitleStream {
    /// Index of the stream in the container.
    pub index: usize,
    /// FFmpeg codec name, e.g. `subrip`, `ass`, `hdmv_pgs_subtitle`, `mov_text`.
    pub codec: String,
    /// ISO 639 language code as tagged, lowercased; `und` and empty tags become `None`.
    pub language: Option<String>,
    /// The stream's title tag.
    pub title: Option<String>,
    /// The forced disposition flag.
    pub forced: bool,
    /// The default disposition flag.
    pub default: bool,
    /// The hearing-impaired (SDH) disposition flag.
    pub hearing_impaired: bool,
}

/// HDR format of a video stream, with the categories and rules Radarr uses.
///
/// Below 10 bits a stream is SDR whatever it is tagged. A Dolby Vision configuration record
/// decides by its base-layer compatibility (1 and 6: HDR10, or HDR10+ with SMPTE 2094-40
/// metadata; 2: SDR; 4: HLG; others: Dolby Vision alone). Otherwise BT.2020 primaries with
/// the HLG transfer are HLG, and with the PQ transfer HDR10+ (dynamic metadata), HDR10
/// (mastering-display or light-level metadata) or PQ10 (neither). The metadata is looked for
/// in the container and in the first frame.
///
/// Dolby Vision keeps its base-layer compatibility because players that lack Dolby Vision fall
/// back to that layer, so "Dolby Vision with an HDR10 base" plays as HDR10 on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HdrType {
    /// Standard dynamic range (also every stream below 10 bits).
    #[default]
    Sdr,
    /// PQ transfer and BT.2020 primaries without static metadata.
    Pq10,
    /// PQ with mastering-display or content-light-level metadata.
    Hdr10,
    /// PQ with SMPTE 2094-40 dynamic metadata.
    Hdr10Plus,
    /// Hybrid log-gamma.
    Hlg,
    /// Dolby Vision without a compatible base layer (profile 5 and friends).
    DolbyVision,
    /// Dolby Vision over an HDR10 base layer.
    DolbyVisionHdr10,
    /// Dolby Vision over an HDR10+ base layer.
    DolbyVisionHdr10Plus,
    /// Dolby Vision over an HLG base layer.
    DolbyVisionHlg,
    /// Dolby Vision over an SDR base layer.
    DolbyVisionSdr,
}

impl HdrType {
    /// The name stored and shown (the same as its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            HdrType::Sdr => "sdr",
            HdrType::Pq10 => "pq10",
            HdrType::Hdr10 => "hdr10",
            HdrType::Hdr10Plus => "hdr10_plus",
            HdrType::Hlg => "hlg",
            HdrType::DolbyVision => "dolby_vision",
            HdrType::DolbyVisionHdr10 => "dolby_vision_hdr10",
            HdrType::DolbyVisionHdr10Plus => "dolby_vision_hdr10_plus",
            HdrType::DolbyVisionHlg => "dolby_vision_hlg",
            HdrType::DolbyVisionSdr => "dolby_vision_sdr",
        }
    }

    /// Whether the stream is anything but SDR.
    pub fn is_hdr(self) -> bool {
        self != HdrType::Sdr
    }

    /// Whether the stream carries Dolby Vision.
    pub fn is_dolby_vision(self) -> bool {
        matches!(
            self,
            HdrType::DolbyVision
                | HdrType::DolbyVisionHdr10
                | HdrType::DolbyVisionHdr10Plus
                | HdrType::DolbyVisionHlg
                | HdrType::DolbyVisionSdr
        )
    }

    /// The value Kodi writes in `<streamdetails><video><hdrtype>`; `None` for SDR.
    pub fn kodi_hdr_type(self) -> Option<&'static str> {
        match self {
            HdrType::Sdr => None,
            HdrType::Pq10 | HdrType::Hdr10 | HdrType::Hdr10Plus => Some("hdr10"),
            HdrType::Hlg => Some("hlg"),
            _ => Some("dolbyvision"),
        }
    }
}

/// Normalises a language tag: trimmed, lowercased, and `None` for `und`, empty or unknown.
pub(crate) fn normalise_language(tag: Option<&str>) -> Option<String> {
    let tag = tag?.trim();
    let lower = tag.to_ascii_lowercase();
    match lower.as_str() {
        "" | "und" | "unk" | "unknown" | "none" => None,
        _ => Some(lower),
    }
}

/// Trims a free-text tag and drops it when empty.
pub(crate) fn non_empty(tag: Option<&str>) -> Option<String> {
    let tag = tag?.trim();
    if tag.is_empty() { None } else { Some(tag.to_owned()) }
}

/// Bits per component from an FFmpeg pixel format name.
///
/// Both readers derive the depth from the pixel format, because ffprobe leaves
/// `bits_per_raw_sample` out for HEVC and Matroska, and one rule keeps them in agreement.
pub(crate) fn bit_depth_from_pix_fmt(pix_fmt: &str) -> Option<u8> {
    let name = pix_fmt.trim();
    if name.is_empty() || name == "none" {
        return None;
    }
    let base = name.strip_suffix("le").or_else(|| name.strip_suffix("be")).unwrap_or(name);
    // Packed formats whose digits are not a component depth.
    match base {
        "p010" | "y210" | "x2rgb10" | "x2bgr10" | "v30x" | "xv30" => return Some(10),
        "p012" | "y212" | "xv36" => return Some(12),
        "p016" | "rgb48" | "bgr48" | "rgba64" | "bgra64" | "ya16" | "y216" => return Some(16),
        _ => {}
    }
    let digits: String = base.chars().rev().take_while(char::is_ascii_digit).collect();
    let digits: String = digits.chars().rev().collect();
    match digits.parse::<u8>() {
        Ok(depth @ 9..=16) => Some(depth),
        // Names such as `yuv420p`, `nv12`, `rgb24` or `gray` are 8 bits per component.
        _ => Some(8),
    }
}

/// Parses a rational such as `24000/1001` or `25/1`; `None` for `0/0` and malformed values.
pub(crate) fn rate_from_parts(numerator: i64, denominator: i64) -> Option<f64> {
    if numerator <= 0 || denominator <= 0 {
        return None;
    }
    Some(numerator as f64 / denominator as f64)
}

/// Parses Matroska's `DURATION` tag (`HH:MM:SS.nnnnnnnnn`) into seconds.
pub(crate) fn parse_clock_duration(text: &str) -> Option<f64> {
    let mut parts = text.trim().split(':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || hours < 0.0 || minutes < 0.0 || seconds < 0.0 {
        return None;
    }
    Some(hours * 3600.0 + minutes * 60.0 + seconds)
}

/// FFmpeg's name for a channel mask, as `av_channel_layout_describe` prints it (FFmpeg 5.1).
pub(crate) fn channel_layout_name(mask: u64) -> Option<&'static str> {
    // Masks from libavutil/channel_layout.h; the order of FFmpeg's own table does not matter
    // because every mask appears once.
    Some(match mask {
        0x4 => "mono",
        0x3 => "stereo",
        0xb => "2.1",
        0x7 => "3.0",
        0x103 => "3.0(back)",
        0x107 => "4.0",
        0x33 => "quad",
        0x603 => "quad(side)",
        0xf => "3.1",
        0x37 => "5.0",
        0x607 => "5.0(side)",
        0x10f => "4.1",
        0x3f => "5.1",
        0x60f => "5.1(side)",
        0x707 => "6.0",
        0x6c3 => "6.0(front)",
        0x137 => "hexagonal",
        0x70f => "6.1",
        0x13f => "6.1(back)",
        0x6cb => "6.1(front)",
        0x637 => "7.0",
        0x6c7 => "7.0(front)",
        0x63f => "7.1",
        0x6cf => "7.1(wide)",
        0xff => "7.1(wide-side)",
        0x737 => "octagonal",
        0x6000_0000 => "downmix",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_drop_undetermined_and_lowercase() {
        assert_eq!(normalise_language(Some("und")), None);
        assert_eq!(normalise_language(Some(" ")), None);
        assert_eq!(normalise_language(None), None);
        assert_eq!(normalise_language(Some("ENG")), Some("eng".to_owned()));
    }

    #[test]
    fn bit_depth_follows_pixel_format() {
        assert_eq!(bit_depth_from_pix_fmt("yuv420p"), Some(8));
        assert_eq!(bit_depth_from_pix_fmt("yuv444p"), Some(8));
        assert_eq!(bit_depth_from_pix_fmt("yuv420p10le"), Some(10));
        assert_eq!(bit_depth_from_pix_fmt("yuv420p12be"), Some(12));
        assert_eq!(bit_depth_from_pix_fmt("p010le"), Some(10));
        assert_eq!(bit_depth_from_pix_fmt("rgb24"), Some(8));
        assert_eq!(bit_depth_from_pix_fmt("none"), None);
    }

    #[test]
    fn matroska_duration_tag_parses() {
        assert_eq!(parse_clock_duration("00:00:01.003000000"), Some(1.003));
        assert_eq!(parse_clock_duration("01:30:00.5"), Some(5400.5));
        assert_eq!(parse_clock_duration("garbage"), None);
    }

    #[test]
    fn kodi_hdr_types() {
        assert_eq!(HdrType::Hdr10.kodi_hdr_type(), Some("hdr10"));
        assert_eq!(HdrType::DolbyVisionHdr10.kodi_hdr_type(), Some("dolbyvision"));
        assert_eq!(HdrType::Sdr.kodi_hdr_type(), None);
    }
}
