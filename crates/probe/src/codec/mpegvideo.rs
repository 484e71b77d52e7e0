//! MPEG-1/2 and MPEG-4 Part 2 video: profile and chroma format from the sequence header and
//! its extension (or MPEG-4's visual object sequence header), and MPEG-2's field order from
//! the first picture coding extension, as FFmpeg's `mpegvideo_parser.c` derives it.

use super::VideoBitstream;
use super::names::{self, Chroma};

/// The payloads after each `00 00 01 xx` start code, with their code byte.
fn start_codes(bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos + 4 <= bytes.len() {
            if bytes.get(pos..pos + 3) == Some(&[0, 0, 1]) {
                let code = *bytes.get(pos + 3)?;
                let start = pos + 4;
                pos = start;
                return Some((code, bytes.get(start..)?));
            }
            pos += 1;
        }
        None
    })
}

/// FFmpeg's MPEG-2 profile names by `profile_and_level_indication`'s profile bits.
fn mpeg2_profile(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "4:2:2",
        1 => "High",
        2 => "Spatially Scalable",
        3 => "SNR Scalable",
        4 => "Main",
        5 => "Simple",
        _ => return None,
    })
}

/// Fills a [`VideoBitstream`] for MPEG-1 or MPEG-2 video.
pub(crate) fn parse_mpeg12(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut VideoBitstream) {
    let mut progressive_sequence = None;
    let mut chroma_format = 1;
    let mut field_order = None;
    let mut seen_sequence = false;
    for bytes in config.into_iter().chain(packet) {
        for (code, rest) in start_codes(bytes) {
            match code {
                0xb3 => seen_sequence = true,
                0xb5 => {
                    let (Some(&b0), Some(&b1)) = (rest.first(), rest.get(1)) else { continue };
                    match b0 >> 4 {
                        1 if progressive_sequence.is_none() => {
                            out.profile = mpeg2_profile(b0 & 7).map(str::to_owned);
                            progressive_sequence = Some(b1 & 0x08 != 0);
                            chroma_format = (b1 >> 1) & 3;
                        }
                        8 if field_order.is_none() => {
                            let (Some(&b3), Some(&b4)) = (rest.get(3), rest.get(4)) else { continue };
                            let progressive_frame = b4 & 0x80 != 0;
                            field_order = Some(if progressive_sequence != Some(true) && !progressive_frame {
                                if b3 & 0x80 != 0 { "tt" } else { "bb" }
                            } else {
                                "progressive"
                            });
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    if seen_sequence || progressive_sequence.is_some() {
        let chroma = match chroma_format {
            2 => Chroma::Yuv422,
            3 => Chroma::Yuv444,
            _ => Chroma::Yuv420,
        };
        out.pix_fmt = names::pix_fmt(chroma, 8, false);
    }
    out.field_order = field_order.map(str::to_owned);
}

/// FFmpeg's MPEG-4 Part 2 profile names, by the upper nibble of
/// `profile_and_level_indication`.
fn mpeg4_profile(nibble: u8) -> Option<&'static str> {
    Some(match nibble {
        0 => "Simple Profile",
        1 => "Simple Scalable Profile",
        2 => "Core Profile",
        3 => "Main Profile",
        4 => "N-bit Profile",
        5 => "Scalable Texture Profile",
        6 => "Simple Face Animation Profile",
        7 => "Basic Animated Texture Profile",
        8 => "Hybrid Profile",
        9 => "Advanced Real Time Simple Profile",
        10 => "Code Scalable Profile",
        11 => "Advanced Coding Profile",
        12 => "Advanced Core Profile",
        13 => "Advanced Scalable Texture Profile",
        14 => "Simple Studio Profile",
        15 => "Advanced Simple Profile",
        _ => return None,
    })
}

/// Fills a [`VideoBitstream`] for MPEG-4 Part 2 from the decoder configuration (`esds`
/// DecoderSpecificInfo, Matroska CodecPrivate) or the first packet.
pub(crate) fn parse_mpeg4(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut VideoBitstream) {
    for bytes in config.into_iter().chain(packet) {
        let mut codes = start_codes(bytes);
        if let Some(level) = codes.find_map(|(code, rest)| (code == 0xb0).then(|| rest.first().copied()).flatten()) {
            out.profile = mpeg4_profile(level >> 4).map(str::to_owned);
            out.pix_fmt = Some("yuv420p".to_owned());
            return;
        }
    }
}
