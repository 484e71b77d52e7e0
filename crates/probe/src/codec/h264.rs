//! H.264: the `avcC` record, the SPS (profile, chroma format, bit depth, VUI colour) and the
//! first access unit's slice header and picture-timing SEI (field order), read the way
//! FFmpeg's `h264_ps.c` and `h264_parser.c` read them.
//!
//! Hand-written rather than `scuffle-h264`: that crate brings six more crates, allocates from
//! the record's counts, and does not parse PPS, slice headers or SEI, which the field order
//! needs; the few fields needed here take a small Exp-Golomb reader.

use super::bits::{BitReader, unescape};
use super::names::{self, Chroma};
use super::{VideoBitstream, nal_units};

/// What the SPS says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sps {
    pub(crate) profile_idc: u8,
    pub(crate) constraint_flags: u8,
    pub(crate) chroma_format_idc: u32,
    pub(crate) bit_depth: u8,
    pub(crate) log2_max_frame_num: u32,
    pub(crate) poc_type: u32,
    pub(crate) log2_max_poc_lsb: u32,
    pub(crate) delta_pic_order_always_zero: bool,
    pub(crate) offset_for_top_to_bottom_field: i64,
    pub(crate) frame_mbs_only: bool,
    pub(crate) full_range: bool,
    pub(crate) colour_primaries: Option<u64>,
    pub(crate) transfer: Option<u64>,
    pub(crate) matrix: Option<u64>,
    /// `(cpb_removal_delay_length, dpb_output_delay_length)` when HRD parameters exist.
    pub(crate) hrd_delay_lengths: Option<(u32, u32)>,
    pub(crate) pic_struct_present: bool,
    pub(crate) separate_colour_plane: bool,
}

/// Profiles whose SPS carries chroma format and bit depth (H.264 7.3.2.1.1).
const HIGH_PROFILES: [u8; 13] = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];

/// Parses an SPS NAL unit (with its header byte, still escaped).
pub(crate) fn parse_sps(nal: &[u8]) -> Option<Sps> {
    let rbsp = unescape(nal.get(1..)?);
    let mut r = BitReader::new(&rbsp);
    let mut sps = Sps { profile_idc: r.u8(8)?, constraint_flags: r.u8(8)?, ..Sps::default() };
    let _level = r.bits(8)?;
    let _id = r.ue()?;
    sps.chroma_format_idc = 1;
    sps.bit_depth = 8;
    if HIGH_PROFILES.contains(&sps.profile_idc) {
        sps.chroma_format_idc = r.ue()?;
        if sps.chroma_format_idc > 3 {
            return None;
        }
        if sps.chroma_format_idc == 3 {
            sps.separate_colour_plane = r.flag()?;
        }
        let luma = r.ue()?;
        let _chroma_depth = r.ue()?;
        sps.bit_depth = u8::try_from(luma.checked_add(8)?).ok().filter(|depth| *depth <= 14)?;
        let _bypass = r.flag()?;
        if r.flag()? {
            let lists = if sps.chroma_format_idc == 3 { 12 } else { 8 };
            for list in 0..lists {
                if r.flag()? {
                    skip_scaling_list(&mut r, if list < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    sps.log2_max_frame_num = r.ue()?.checked_add(4).filter(|bits| *bits <= 16)?;
    sps.poc_type = r.ue()?;
    match sps.poc_type {
        0 => sps.log2_max_poc_lsb = r.ue()?.checked_add(4).filter(|bits| *bits <= 16)?,
        1 => {
            sps.delta_pic_order_always_zero = r.flag()?;
            let _offset_for_non_ref_pic = r.se()?;
            sps.offset_for_top_to_bottom_field = r.se()?;
            let cycle = r.ue()?;
            if cycle > 255 {
                return None;
            }
            for _ in 0..cycle {
                r.se()?;
            }
        }
        2 => {}
        _ => return None,
    }
    let _max_num_ref_frames = r.ue()?;
    let _gaps = r.flag()?;
    let _width_mbs = r.ue()?;
    let _height_map_units = r.ue()?;
    sps.frame_mbs_only = r.flag()?;
    if !sps.frame_mbs_only {
        let _mbaff = r.flag()?;
    }
    let _direct_8x8 = r.flag()?;
    if r.flag()? {
        for _ in 0..4 {
            r.ue()?;
        }
    }
    if r.flag().unwrap_or(false) {
        // A truncated VUI still leaves what was read before it.
        let _ = parse_vui(&mut r, &mut sps);
    }
    Some(sps)
}

fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Option<()> {
    let mut last: i64 = 8;
    let mut next: i64 = 8;
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se()? + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

fn parse_vui(r: &mut BitReader<'_>, sps: &mut Sps) -> Option<()> {
    if r.flag()? && r.bits(8)? == 255 {
        r.skip(32)?;
    }
    if r.flag()? {
        r.skip(1)?;
    }
    if r.flag()? {
        let _video_format = r.bits(3)?;
        sps.full_range = r.flag()?;
        if r.flag()? {
            sps.colour_primaries = Some(r.bits(8)?);
            sps.transfer = Some(r.bits(8)?);
            sps.matrix = Some(r.bits(8)?);
        }
    }
    if r.flag()? {
        r.ue()?;
        r.ue()?;
    }
    if r.flag()? {
        r.skip(65)?;
    }
    let nal_hrd = r.flag()?;
    let mut lengths = None;
    if nal_hrd {
        lengths = Some(parse_hrd(r)?);
    }
    let vcl_hrd = r.flag()?;
    if vcl_hrd {
        lengths = Some(parse_hrd(r)?);
    }
    if nal_hrd || vcl_hrd {
        r.skip(1)?;
    }
    sps.hrd_delay_lengths = lengths;
    sps.pic_struct_present = r.flag()?;
    Some(())
}

fn parse_hrd(r: &mut BitReader<'_>) -> Option<(u32, u32)> {
    let count = r.ue()?.checked_add(1).filter(|count| *count <= 32)?;
    r.skip(8)?;
    for _ in 0..count {
        r.ue()?;
        r.ue()?;
        r.skip(1)?;
    }
    r.skip(5)?;
    let cpb = r.u32(5)? + 1;
    let dpb = r.u32(5)? + 1;
    r.skip(5)?;
    Some((cpb, dpb))
}

/// The part of the PPS the slice header needs.
#[derive(Debug, Clone, Copy, Default)]
struct Pps {
    bottom_field_pic_order_in_frame_present: bool,
}

fn parse_pps(nal: &[u8]) -> Option<Pps> {
    let rbsp = unescape(nal.get(1..)?);
    let mut r = BitReader::new(&rbsp);
    r.ue()?;
    r.ue()?;
    let _cabac = r.flag()?;
    Some(Pps { bottom_field_pic_order_in_frame_present: r.flag()? })
}

/// `avcC`: version 1, profile, compatibility, level, length size, then the SPS and PPS lists.
pub(crate) struct AvcConfig<'a> {
    pub(crate) nal_length_size: usize,
    pub(crate) sps: Vec<&'a [u8]>,
    pub(crate) pps: Vec<&'a [u8]>,
}

pub(crate) fn parse_avcc(record: &[u8]) -> Option<AvcConfig<'_>> {
    if *record.first()? != 1 {
        return None;
    }
    let nal_length_size = usize::from(record.get(4)? & 3) + 1;
    let mut pos = 5;
    let mut lists: [Vec<&[u8]>; 2] = [Vec::new(), Vec::new()];
    for (index, list) in lists.iter_mut().enumerate() {
        let count = usize::from(*record.get(pos)? & if index == 0 { 0x1f } else { 0xff });
        pos += 1;
        for _ in 0..count {
            let length = usize::from(super::bits::be16(record, pos)?);
            let unit = record.get(pos + 2..pos + 2 + length)?;
            list.push(unit);
            pos += 2 + length;
        }
    }
    let [sps, pps] = lists;
    Some(AvcConfig { nal_length_size, sps, pps })
}

/// FFmpeg's `ff_h264_get_profile` and profile names.
pub(crate) fn profile_name(sps: &Sps) -> Option<&'static str> {
    let constrained = sps.constraint_flags & 0x40 != 0; // constraint_set1_flag
    let intra = sps.constraint_flags & 0x10 != 0; // constraint_set3_flag
    Some(match sps.profile_idc {
        66 if constrained => "Constrained Baseline",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 if intra => "High 10 Intra",
        110 => "High 10",
        122 if intra => "High 4:2:2 Intra",
        122 => "High 4:2:2",
        144 => "High 4:4:4",
        244 if intra => "High 4:4:4 Intra",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4",
        118 => "Multiview High",
        128 => "Stereo High",
        _ => return None,
    })
}

/// The H.264 decoder's pixel format (`h264_slice.c: get_pixel_format`): monochrome decodes
/// as 4:2:0, RGB matrix 4:4:4 as `gbrp`, and 8-bit full range as `yuvj`.
pub(crate) fn pix_fmt(sps: &Sps) -> Option<String> {
    let rgb = sps.matrix == Some(0);
    let chroma = match sps.chroma_format_idc {
        3 if rgb => Chroma::Gbr,
        3 => Chroma::Yuv444,
        2 => Chroma::Yuv422,
        _ => Chroma::Yuv420,
    };
    names::pix_fmt(chroma, sps.bit_depth, sps.full_range && sps.bit_depth == 8)
}

const NAL_SLICE: u8 = 1;
const NAL_IDR: u8 = 5;
const NAL_SEI: u8 = 6;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;

/// Fills a [`VideoBitstream`] from the `avcC` record and the first packet.
pub(crate) fn parse(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut VideoBitstream) {
    let avcc = config.and_then(parse_avcc);
    let length_size = avcc.as_ref().map_or(4, |record| record.nal_length_size);
    let mut sps = avcc.as_ref().and_then(|record| record.sps.iter().find_map(|nal| parse_sps(nal)));
    let mut pps = avcc.as_ref().and_then(|record| record.pps.iter().find_map(|nal| parse_pps(nal)));
    let units = packet.map(|packet| nal_units(packet, length_size)).unwrap_or_default();
    // Matroska's `V_MPEG4/ISO/AVC` always has the record; in-band parameter sets (Annex B
    // style packets) are the fallback.
    for unit in &units {
        match unit.first().map(|header| header & 0x1f) {
            Some(NAL_SPS) if sps.is_none() => sps = parse_sps(unit),
            Some(NAL_PPS) if pps.is_none() => pps = parse_pps(unit),
            _ => {}
        }
    }
    let Some(sps) = sps else { return };
    out.profile = profile_name(&sps).map(str::to_owned);
    out.pix_fmt = pix_fmt(&sps);
    out.color_primaries = sps.colour_primaries.and_then(names::primaries).map(str::to_owned);
    out.color_transfer = sps.transfer.and_then(names::transfer).map(str::to_owned);
    out.field_order = field_order(&sps, pps.unwrap_or_default(), &units).map(str::to_owned);
}

/// `h264_parser.c`'s field order for the first picture: progressive when every picture is a
/// frame; else from the picture-timing SEI's `pic_struct` when the SPS says it is present,
/// else from the top and bottom field order counts of the first slice.
fn field_order(sps: &Sps, pps: Pps, units: &[&[u8]]) -> Option<&'static str> {
    if sps.frame_mbs_only {
        return Some("progressive");
    }
    let mut pic_struct = None;
    let mut first_field: Option<bool> = None;
    for unit in units {
        let Some(&header) = unit.first() else { continue };
        match header & 0x1f {
            NAL_SEI if pic_struct.is_none() => pic_struct = sei_pic_struct(sps, unit),
            NAL_SLICE | NAL_IDR => {
                let slice = parse_slice(sps, pps, unit)?;
                match (slice.field, first_field) {
                    (None, _) => {
                        if sps.pic_struct_present
                            && let Some(pic_struct) = pic_struct
                        {
                            return Some(match pic_struct {
                                3 | 5 => "tt",
                                4 | 6 => "bb",
                                _ => "progressive",
                            });
                        }
                        return Some(match slice.bottom_minus_top.cmp(&0) {
                            std::cmp::Ordering::Greater => "tt",
                            std::cmp::Ordering::Less => "bb",
                            std::cmp::Ordering::Equal => "progressive",
                        });
                    }
                    (Some(bottom), None) => first_field = Some(bottom),
                    // The second field of the pair decides, as in the parser.
                    (Some(bottom), Some(first)) if bottom != first => {
                        return Some(if first { "bb" } else { "tt" });
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    None
}

struct Slice {
    /// `Some(bottom_field_flag)` for a field picture.
    field: Option<bool>,
    /// BottomFieldOrderCnt − TopFieldOrderCnt of a frame picture.
    bottom_minus_top: i64,
}

fn parse_slice(sps: &Sps, pps: Pps, nal: &[u8]) -> Option<Slice> {
    let header = *nal.first()?;
    // The header fields come first, so a few escaped bytes are enough.
    let rbsp = unescape(nal.get(1..nal.len().min(64))?);
    let mut r = BitReader::new(&rbsp);
    r.ue()?;
    r.ue()?;
    r.ue()?;
    if sps.separate_colour_plane {
        r.skip(2)?;
    }
    r.bits(sps.log2_max_frame_num)?;
    let mut field = None;
    if !sps.frame_mbs_only && r.flag()? {
        field = Some(r.flag()?);
    }
    if header & 0x1f == NAL_IDR {
        r.ue()?;
    }
    let mut bottom_minus_top = 0;
    match sps.poc_type {
        0 => {
            r.bits(sps.log2_max_poc_lsb)?;
            if pps.bottom_field_pic_order_in_frame_present && field.is_none() {
                bottom_minus_top = r.se()?;
            }
        }
        1 if !sps.delta_pic_order_always_zero => {
            let top = r.se()?;
            let bottom = if pps.bottom_field_pic_order_in_frame_present && field.is_none() { r.se()? } else { 0 };
            bottom_minus_top = sps.offset_for_top_to_bottom_field.saturating_add(bottom).saturating_sub(top);
        }
        1 => bottom_minus_top = sps.offset_for_top_to_bottom_field,
        _ => {}
    }
    Some(Slice { field, bottom_minus_top })
}

/// The `pic_struct` of a picture-timing SEI message (payload type 1) in this SEI NAL unit.
fn sei_pic_struct(sps: &Sps, nal: &[u8]) -> Option<u8> {
    let rbsp = unescape(nal.get(1..)?);
    let mut pos = 0;
    while pos + 2 <= rbsp.len() {
        let payload_type = super::sei::read_ff_coded(&rbsp, &mut pos)?;
        let size = usize::try_from(super::sei::read_ff_coded(&rbsp, &mut pos)?).ok()?;
        let payload = rbsp.get(pos..pos.checked_add(size)?)?;
        if payload_type == 1 {
            let mut r = BitReader::new(payload);
            if let Some((cpb, dpb)) = sps.hrd_delay_lengths {
                r.skip(usize::try_from(cpb + dpb).ok()?)?;
            }
            return if sps.pic_struct_present { r.u8(4) } else { None };
        }
        pos += size;
    }
    None
}
