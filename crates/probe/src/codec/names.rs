//! FFmpeg's names for colour codes, pixel formats and channel layouts, so every parser
//! prints what ffprobe prints.

use crate::model::channel_layout_name;

/// `av_color_primaries_name` (ISO/IEC 23091-2 codes); unspecified (2) and codes FFmpeg has
/// no name for are `None`. ffprobe prints FFmpeg's `reserved` for 0 and 3.
pub(crate) fn primaries(code: u64) -> Option<&'static str> {
    Some(match code {
        0 | 3 => "reserved",
        1 => "bt709",
        4 => "bt470m",
        5 => "bt470bg",
        6 => "smpte170m",
        7 => "smpte240m",
        8 => "film",
        9 => "bt2020",
        10 => "smpte428",
        11 => "smpte431",
        12 => "smpte432",
        22 => "ebu3213",
        _ => return None,
    })
}

/// `av_color_transfer_name`; unspecified (2) and unnamed codes are `None`.
pub(crate) fn transfer(code: u64) -> Option<&'static str> {
    Some(match code {
        0 | 3 => "reserved",
        1 => "bt709",
        4 => "gamma22",
        5 => "gamma28",
        6 => "smpte170m",
        7 => "smpte240m",
        8 => "linear",
        9 => "log100",
        10 => "log316",
        11 => "iec61966-2-4",
        12 => "bt1361e",
        13 => "iec61966-2-1",
        14 => "bt2020-10",
        15 => "bt2020-12",
        16 => "smpte2084",
        17 => "smpte428",
        18 => "arib-std-b67",
        _ => return None,
    })
}

/// Chroma subsampling of a planar YUV format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chroma {
    Gray,
    Yuv420,
    Yuv422,
    Yuv444,
    /// 4:4:4 carrying RGB (matrix coefficients 0), which FFmpeg names `gbrp`.
    Gbr,
}

/// FFmpeg's planar pixel format for a chroma layout and bit depth; `full_range` picks the
/// deprecated `yuvj` names the H.264 and HEVC decoders still report for 8-bit full range.
pub(crate) fn pix_fmt(chroma: Chroma, depth: u8, full_range: bool) -> Option<String> {
    let base = match chroma {
        Chroma::Gray => "gray",
        Chroma::Yuv420 if depth == 8 && full_range => "yuvj420p",
        Chroma::Yuv422 if depth == 8 && full_range => "yuvj422p",
        Chroma::Yuv444 if depth == 8 && full_range => "yuvj444p",
        Chroma::Yuv420 => "yuv420p",
        Chroma::Yuv422 => "yuv422p",
        Chroma::Yuv444 => "yuv444p",
        Chroma::Gbr => "gbrp",
    };
    match depth {
        8 => Some(base.to_owned()),
        9 | 10 | 12 | 14 | 16 => Some(format!("{base}{depth}le")),
        _ => None,
    }
}

/// Channel names in mask bit order, as `av_channel_layout_describe` abbreviates them.
const CHANNEL_NAMES: [&str; 36] = [
    "FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR", "TC", "TFL", "TFC", "TFR", "TBL", "TBC",
    "TBR", "", "", "", "", "", "", "", "", "", "", "", "DL", "DR", "WL", "WR", "SDL", "SDR", "LFE2",
];

/// `av_channel_layout_describe` for a native channel mask: the layout's name when it has
/// one, else `N channels (FL+FR+…)`.
pub(crate) fn describe_layout(mask: u64) -> Option<String> {
    if mask == 0 {
        return None;
    }
    if let Some(name) = channel_layout_name(mask) {
        return Some(name.to_owned());
    }
    let names: Vec<&str> = (0..64u32)
        .filter(|bit| mask & (1u64 << bit) != 0)
        .map(|bit| CHANNEL_NAMES.get(bit as usize).copied().filter(|name| !name.is_empty()).unwrap_or("?"))
        .collect();
    Some(format!("{} channels ({})", names.len(), names.join("+")))
}

/// Channel-mask bits (libavutil's `AV_CH_*`).
pub(crate) mod ch {
    pub(crate) const FL: u64 = 0x1;
    pub(crate) const FR: u64 = 0x2;
    pub(crate) const FC: u64 = 0x4;
    pub(crate) const LFE: u64 = 0x8;
    pub(crate) const BL: u64 = 0x10;
    pub(crate) const BR: u64 = 0x20;
    pub(crate) const FLC: u64 = 0x40;
    pub(crate) const FRC: u64 = 0x80;
    pub(crate) const BC: u64 = 0x100;
    pub(crate) const SL: u64 = 0x200;
    pub(crate) const SR: u64 = 0x400;
    pub(crate) const TC: u64 = 0x800;
    pub(crate) const TFL: u64 = 0x1000;
    pub(crate) const TFC: u64 = 0x2000;
    pub(crate) const TFR: u64 = 0x4000;
    pub(crate) const TBL: u64 = 0x8000;
    pub(crate) const TBC: u64 = 0x1_0000;
    pub(crate) const TBR: u64 = 0x2_0000;
    pub(crate) const WL: u64 = 0x8000_0000;
    pub(crate) const WR: u64 = 0x1_0000_0000;
    pub(crate) const SDL: u64 = 0x2_0000_0000;
    pub(crate) const SDR: u64 = 0x4_0000_0000;
    pub(crate) const LFE2: u64 = 0x8_0000_0000;
}

/// Number of channels in a mask.
pub(crate) fn channel_count(mask: u64) -> u32 {
    mask.count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_ffmpeg() {
        assert_eq!(primaries(9), Some("bt2020"));
        assert_eq!(primaries(2), None);
        assert_eq!(transfer(16), Some("smpte2084"));
        assert_eq!(transfer(18), Some("arib-std-b67"));
        assert_eq!(transfer(14), Some("bt2020-10"));
        assert_eq!(pix_fmt(Chroma::Yuv420, 10, false).as_deref(), Some("yuv420p10le"));
        assert_eq!(pix_fmt(Chroma::Gray, 8, false).as_deref(), Some("gray"));
        assert_eq!(pix_fmt(Chroma::Yuv420, 8, true).as_deref(), Some("yuvj420p"));
        assert_eq!(describe_layout(0x60f).as_deref(), Some("5.1(side)"));
        assert_eq!(describe_layout(0x60b).as_deref(), Some("5 channels (FL+FR+LFE+SL+SR)"));
        assert_eq!(describe_layout(0), None);
    }
}
