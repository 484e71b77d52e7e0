//! VP8 and VP9: the first frame's header (profile, bit depth, colour space, subsampling) and
//! MP4's `vpcC` record (the only place VP9 colour primaries and transfer are written).

use super::VideoBitstream;
use super::bits::BitReader;
use super::names::{self, Chroma};

/// What a VP9 key frame's uncompressed header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Vp9Frame {
    pub(crate) profile: u8,
    pub(crate) bit_depth: u8,
    pub(crate) rgb: bool,
    pub(crate) subsampling: (bool, bool),
}

pub(crate) fn parse_vp9_frame(frame: &[u8]) -> Option<Vp9Frame> {
    let mut r = BitReader::new(frame);
    if r.bits(2)? != 2 {
        return None;
    }
    let low = r.u8(1)?;
    let profile = (r.u8(1)? << 1) | low;
    if profile == 3 {
        r.skip(1)?;
    }
    if r.flag()? {
        return None; // show_existing_frame
    }
    if r.flag()? {
        return None; // not a key frame
    }
    r.skip(2)?;
    if r.bits(24)? != 0x49_83_42 {
        return None;
    }
    let bit_depth = if profile >= 2 { if r.flag()? { 12 } else { 10 } } else { 8 };
    let rgb = r.bits(3)? == 7;
    let subsampling = if rgb {
        (false, false)
    } else {
        r.skip(1)?;
        if profile == 1 || profile == 3 { (r.flag()?, r.flag()?) } else { (true, true) }
    };
    Some(Vp9Frame { profile, bit_depth, rgb, subsampling })
}

/// The VP9 decoder's pixel format.
fn vp9_pix_fmt(frame: &Vp9Frame) -> Option<String> {
    let chroma = match (frame.rgb, frame.subsampling) {
        (true, _) => Chroma::Gbr,
        (false, (true, true)) => Chroma::Yuv420,
        (false, (true, false)) => Chroma::Yuv422,
        (false, (false, false)) => Chroma::Yuv444,
        (false, (false, true)) => {
            let base = "yuv440p";
            return match frame.bit_depth {
                8 => Some(base.to_owned()),
                depth => Some(format!("{base}{depth}le")),
            };
        }
    };
    names::pix_fmt(chroma, frame.bit_depth, false)
}

/// `vpcC` version 1 (after the full box's version and flags, which are skipped when
/// present): profile, level, bit depth, chroma subsampling, range, colour codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VpcC {
    pub(crate) profile: u8,
    pub(crate) bit_depth: u8,
    pub(crate) chroma_subsampling: u8,
    pub(crate) primaries: u8,
    pub(crate) transfer: u8,
    pub(crate) matrix: u8,
}

pub(crate) fn parse_vpcc(record: &[u8]) -> Option<VpcC> {
    let body = if record.len() >= 12 && record.get(1..4) == Some(&[0, 0, 0]) { record.get(4..)? } else { record };
    let mut r = BitReader::new(body);
    let profile = r.u8(8)?;
    r.skip(8)?;
    let bit_depth = r.u8(4)?;
    let chroma_subsampling = r.u8(3)?;
    r.skip(1)?;
    Some(VpcC { profile, bit_depth, chroma_subsampling, primaries: r.u8(8)?, transfer: r.u8(8)?, matrix: r.u8(8)? })
}

/// Fills a [`VideoBitstream`] for VP9.
pub(crate) fn parse_vp9(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut VideoBitstream) {
    let vpcc = config.and_then(parse_vpcc);
    let frame = packet.and_then(parse_vp9_frame);
    out.field_order = Some("progressive".to_owned());
    if let Some(frame) = frame {
        out.profile = Some(format!("Profile {}", frame.profile));
        out.pix_fmt = vp9_pix_fmt(&frame);
    } else if let Some(record) = vpcc {
        out.profile = (record.profile <= 3).then(|| format!("Profile {}", record.profile));
        let chroma = match record.chroma_subsampling {
            0 | 1 => Chroma::Yuv420,
            2 => Chroma::Yuv422,
            3 if record.matrix == 0 => Chroma::Gbr,
            3 => Chroma::Yuv444,
            _ => return,
        };
        out.pix_fmt = names::pix_fmt(chroma, record.bit_depth, false);
    }
    if let Some(record) = vpcc {
        out.color_primaries = names::primaries(u64::from(record.primaries)).map(str::to_owned);
        out.color_transfer = names::transfer(u64::from(record.transfer)).map(str::to_owned);
    }
}

/// Fills a [`VideoBitstream`] for VP8: the profile is the frame tag's version number, which
/// ffprobe prints as a bare number because FFmpeg has no names for it.
pub(crate) fn parse_vp8(packet: Option<&[u8]>, out: &mut VideoBitstream) {
    out.field_order = Some("progressive".to_owned());
    out.pix_fmt = Some("yuv420p".to_owned());
    let Some(packet) = packet else { return };
    let Some(&tag) = packet.first() else { return };
    let key_frame = tag & 1 == 0;
    if key_frame && packet.get(3..6) == Some(&[0x9d, 0x01, 0x2a]) {
        out.profile = Some(((tag >> 1) & 7).to_string());
    }
}
