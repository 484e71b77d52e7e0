//! AV1: the `av1C` record and the sequence header OBU (in the record's `configOBUs` or the
//! first packet), read as FFmpeg's `av1_parser.c` reads them for profile and pixel format.

use super::VideoBitstream;
use super::bits::BitReader;
use super::names::{self, Chroma};

const OBU_SEQUENCE_HEADER: u8 = 1;

/// What the sequence header (or failing it, `av1C`) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SequenceHeader {
    pub(crate) profile: u8,
    pub(crate) bit_depth: u8,
    pub(crate) mono: bool,
    pub(crate) subsampling: (bool, bool),
    pub(crate) colour: Option<(u64, u64, u64)>,
}

/// The `av1C` fields (4 bytes), then its `configOBUs`.
fn parse_av1c(record: &[u8]) -> Option<(SequenceHeader, &[u8])> {
    let mut r = BitReader::new(record);
    if !r.flag()? || r.bits(7)? != 1 {
        return None;
    }
    let profile = r.u8(3)?;
    r.skip(6)?;
    let high_bitdepth = r.flag()?;
    let twelve_bit = r.flag()?;
    let mono = r.flag()?;
    let subsampling = (r.flag()?, r.flag()?);
    let header = SequenceHeader {
        profile,
        bit_depth: if twelve_bit {
            12
        } else if high_bitdepth {
            10
        } else {
            8
        },
        mono,
        subsampling,
        colour: None,
    };
    Some((header, record.get(4..)?))
}

/// Finds and parses the first sequence header OBU in a run of OBUs (low-overhead format).
pub(crate) fn find_sequence_header(mut obus: &[u8]) -> Option<SequenceHeader> {
    for _ in 0..64 {
        let header = *obus.first()?;
        let kind = (header >> 3) & 0xf;
        let extension = header & 0x4 != 0;
        let has_size = header & 0x2 != 0;
        let mut r = BitReader::new(obus.get(1 + usize::from(extension)..)?);
        let size = if has_size { usize::try_from(r.leb128()?).ok()? } else { r.remaining() / 8 };
        let start = 1 + usize::from(extension) + r.position() / 8;
        let payload = obus.get(start..start.checked_add(size)?).or_else(|| obus.get(start..))?;
        if kind == OBU_SEQUENCE_HEADER {
            return parse_sequence_header(payload);
        }
        obus = obus.get(start.checked_add(size)?..)?;
    }
    None
}

fn parse_sequence_header(payload: &[u8]) -> Option<SequenceHeader> {
    let mut r = BitReader::new(payload);
    let profile = r.u8(3)?;
    r.skip(1)?;
    let reduced = r.flag()?;
    if reduced {
        r.skip(5)?;
    } else {
        let mut decoder_model_info = false;
        let mut buffer_delay_length = 0;
        if r.flag()? {
            r.skip(64)?;
            if r.flag()? {
                r.uvlc()?;
            }
            decoder_model_info = r.flag()?;
            if decoder_model_info {
                buffer_delay_length = r.u32(5)? + 1;
                r.skip(32 + 5 + 5)?;
            }
        }
        let initial_display_delay = r.flag()?;
        let points = r.u32(5)? + 1;
        for _ in 0..points {
            r.skip(12)?;
            if r.bits(5)? > 7 {
                r.skip(1)?;
            }
            if decoder_model_info && r.flag()? {
                r.skip(usize::try_from(buffer_delay_length * 2 + 1).ok()?)?;
            }
            if initial_display_delay && r.flag()? {
                r.skip(4)?;
            }
        }
    }
    let width_bits = r.u32(4)? + 1;
    let height_bits = r.u32(4)? + 1;
    r.skip(usize::try_from(width_bits + height_bits).ok()?)?;
    if !reduced && r.flag()? {
        r.skip(7)?;
    }
    r.skip(3)?;
    if !reduced {
        r.skip(4)?;
        let order_hint = r.flag()?;
        if order_hint {
            r.skip(2)?;
        }
        let force_screen_content_tools = if r.flag()? { 2 } else { r.bits(1)? };
        if force_screen_content_tools > 0 && !r.flag()? {
            r.skip(1)?;
        }
        if order_hint {
            r.skip(3)?;
        }
    }
    r.skip(3)?;
    // color_config()
    let high_bitdepth = r.flag()?;
    let bit_depth = if profile == 2 && high_bitdepth {
        if r.flag()? { 12 } else { 10 }
    } else if high_bitdepth {
        10
    } else {
        8
    };
    let mono = profile != 1 && r.flag()?;
    let colour = if r.flag()? { Some((r.bits(8)?, r.bits(8)?, r.bits(8)?)) } else { None };
    let subsampling = if mono {
        (true, true)
    } else if colour == Some((1, 13, 0)) {
        (false, false)
    } else {
        r.skip(1)?;
        match profile {
            0 => (true, true),
            1 => (false, false),
            _ if bit_depth == 12 => {
                let x = r.flag()?;
                (x, x && r.flag()?)
            }
            _ => (true, false),
        }
    };
    Some(SequenceHeader { profile, bit_depth, mono, subsampling, colour })
}

/// FFmpeg's AV1 profile names.
pub(crate) fn profile_name(profile: u8) -> Option<&'static str> {
    Some(match profile {
        0 => "Main",
        1 => "High",
        2 => "Professional",
        _ => return None,
    })
}

/// `av1_parser.c`'s pixel format: grey for monochrome, `gbrp` for sRGB with the identity
/// matrix, else planar YUV by subsampling.
pub(crate) fn pix_fmt(header: &SequenceHeader) -> Option<String> {
    let chroma = if header.mono {
        Chroma::Gray
    } else if header.colour == Some((1, 13, 0)) {
        Chroma::Gbr
    } else {
        match header.subsampling {
            (true, true) => Chroma::Yuv420,
            (true, false) => Chroma::Yuv422,
            (false, false) => Chroma::Yuv444,
            (false, true) => return None,
        }
    };
    names::pix_fmt(chroma, header.bit_depth, false)
}

/// Fills a [`VideoBitstream`] from the `av1C` record and the first packet.
pub(crate) fn parse(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut VideoBitstream) {
    let record = config.and_then(parse_av1c);
    let header = record
        .as_ref()
        .and_then(|(_, obus)| find_sequence_header(obus))
        .or_else(|| packet.and_then(find_sequence_header))
        .or_else(|| record.map(|(header, _)| header));
    out.field_order = Some("progressive".to_owned());
    let Some(header) = header else { return };
    out.profile = profile_name(header.profile).map(str::to_owned);
    out.pix_fmt = pix_fmt(&header);
    if let Some((primaries, transfer, _)) = header.colour {
        out.color_primaries = names::primaries(primaries).map(str::to_owned);
        out.color_transfer = names::transfer(transfer).map(str::to_owned);
    }
}
