//! HEVC: the `hvcC` record (its parameter-set and SEI arrays) and the SPS (profile, chroma
//! format, bit depth, VUI colour), read the way FFmpeg's `hevc_ps.c` reads them.
//!
//! Hand-written rather than `scuffle-h265` for the reasons given in `h264`: the SPS fields
//! up to the VUI colour description need only the bit reader.

use super::bits::{BitReader, unescape};
use super::names::{self, Chroma};
use super::sei;
use super::{VideoBitstream, nal_units};

const NAL_VPS: u8 = 32;
const NAL_SPS: u8 = 33;
const NAL_SEI_PREFIX: u8 = 39;

/// What the SPS says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sps {
    pub(crate) profile_idc: u8,
    pub(crate) chroma_format_idc: u32,
    pub(crate) bit_depth: u8,
    pub(crate) full_range: bool,
    pub(crate) colour_primaries: Option<u64>,
    pub(crate) transfer: Option<u64>,
    pub(crate) matrix: Option<u64>,
}

fn nal_type(nal: &[u8]) -> Option<u8> {
    Some((nal.first()? >> 1) & 0x3f)
}

/// Parses an SPS NAL unit (with its two header bytes, still escaped).
pub(crate) fn parse_sps(nal: &[u8]) -> Option<Sps> {
    let rbsp = unescape(nal.get(2..)?);
    let mut r = BitReader::new(&rbsp);
    r.skip(4)?;
    let max_sub_layers_minus1 = r.u32(3)?;
    r.skip(1)?;
    let mut sps = Sps { profile_idc: profile_tier_level(&mut r, max_sub_layers_minus1)?, ..Sps::default() };
    r.ue()?;
    sps.chroma_format_idc = r.ue()?;
    if sps.chroma_format_idc > 3 {
        return None;
    }
    if sps.chroma_format_idc == 3 {
        r.skip(1)?;
    }
    r.ue()?;
    r.ue()?;
    if r.flag()? {
        for _ in 0..4 {
            r.ue()?;
        }
    }
    sps.bit_depth = u8::try_from(r.ue()?.checked_add(8)?).ok().filter(|depth| *depth <= 16)?;
    let _chroma_depth = r.ue()?;
    // Everything after the bit depth only serves to reach the VUI; a failure there keeps
    // what is known.
    let _ = parse_to_vui(&mut r, max_sub_layers_minus1, &mut sps);
    Some(sps)
}

/// Reads `profile_tier_level` and returns FFmpeg's profile: `general_profile_idc`, or when
/// that is 0 the first compatible profile flagged.
fn profile_tier_level(r: &mut BitReader<'_>, max_sub_layers_minus1: u32) -> Option<u8> {
    r.skip(3)?;
    let mut profile = r.u8(5)?;
    for index in 0..32u8 {
        if r.flag()? && profile == 0 && index > 0 {
            profile = index;
        }
    }
    r.skip(48)?;
    r.skip(8)?;
    let mut present = Vec::new();
    for _ in 0..max_sub_layers_minus1 {
        present.push((r.flag()?, r.flag()?));
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            r.skip(2)?;
        }
    }
    for (profile_present, level_present) in present {
        if profile_present {
            r.skip(88)?;
        }
        if level_present {
            r.skip(8)?;
        }
    }
    Some(profile)
}

fn parse_to_vui(r: &mut BitReader<'_>, max_sub_layers_minus1: u32, sps: &mut Sps) -> Option<()> {
    let log2_max_poc_lsb = r.ue()?.checked_add(4).filter(|bits| *bits <= 16)?;
    let ordering_all = r.flag()?;
    let first = if ordering_all { 0 } else { max_sub_layers_minus1 };
    for _ in first..=max_sub_layers_minus1 {
        r.ue()?;
        r.ue()?;
        r.ue()?;
    }
    for _ in 0..6 {
        r.ue()?;
    }
    if r.flag()? && r.flag()? {
        skip_scaling_list_data(r)?;
    }
    r.skip(2)?;
    if r.flag()? {
        r.skip(8)?;
        r.ue()?;
        r.ue()?;
        r.skip(1)?;
    }
    let sets = r.ue()?;
    if sets > 64 {
        return None;
    }
    let mut delta_pocs: Vec<u32> = Vec::new();
    for index in 0..sets {
        let count = st_ref_pic_set(r, index, &delta_pocs)?;
        delta_pocs.push(count);
    }
    if r.flag()? {
        let count = r.ue()?;
        if count > 32 {
            return None;
        }
        for _ in 0..count {
            r.skip(usize::try_from(log2_max_poc_lsb).ok()? + 1)?;
        }
    }
    r.skip(2)?;
    if !r.flag()? {
        return Some(());
    }
    // vui_parameters()
    if r.flag()? && r.bits(8)? == 255 {
        r.skip(32)?;
    }
    if r.flag()? {
        r.skip(1)?;
    }
    if r.flag()? {
        r.skip(3)?;
        sps.full_range = r.flag()?;
        if r.flag()? {
            sps.colour_primaries = Some(r.bits(8)?);
            sps.transfer = Some(r.bits(8)?);
            sps.matrix = Some(r.bits(8)?);
        }
    }
    Some(())
}

fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Option<()> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.flag()? {
                r.ue()?;
            } else {
                let coefficients = 64.min(1u32 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.se()?;
                }
                for _ in 0..coefficients {
                    r.se()?;
                }
            }
        }
    }
    Some(())
}

/// Skips `st_ref_pic_set(index)` of the SPS and returns its NumDeltaPocs.
fn st_ref_pic_set(r: &mut BitReader<'_>, index: u32, previous: &[u32]) -> Option<u32> {
    if index != 0 && r.flag()? {
        r.skip(1)?;
        r.ue()?;
        let reference = *previous.last()?;
        let mut count = 0;
        for _ in 0..=reference {
            let used = r.flag()?;
            if used || r.flag()? {
                count += 1;
            }
        }
        return Some(count);
    }
    let negative = r.ue()?;
    let positive = r.ue()?;
    if negative > 16 || positive > 16 {
        return None;
    }
    for _ in 0..negative + positive {
        r.ue()?;
        r.skip(1)?;
    }
    Some(negative + positive)
}

/// FFmpeg 5.1's HEVC profile names.
pub(crate) fn profile_name(profile_idc: u8) -> Option<&'static str> {
    Some(match profile_idc {
        1 => "Main",
        2 => "Main 10",
        3 => "Main Still Picture",
        4 => "Rext",
        _ => return None,
    })
}

/// The HEVC decoder's pixel format (`hevc_ps.c: map_pixel_format` plus the VUI's RGB and
/// full-range adjustments).
pub(crate) fn pix_fmt(sps: &Sps) -> Option<String> {
    let chroma = match sps.chroma_format_idc {
        0 => Chroma::Gray,
        1 => Chroma::Yuv420,
        2 => Chroma::Yuv422,
        _ if sps.matrix == Some(0) => Chroma::Gbr,
        _ => Chroma::Yuv444,
    };
    let full_range = sps.full_range && sps.bit_depth == 8 && chroma == Chroma::Yuv420;
    names::pix_fmt(chroma, sps.bit_depth, full_range)
}

/// `hvcC`: a 23-byte header, then arrays of NAL units by type.
pub(crate) struct HevcConfig<'a> {
    pub(crate) profile_idc: u8,
    pub(crate) nal_length_size: usize,
    pub(crate) units: Vec<&'a [u8]>,
}

pub(crate) fn parse_hvcc(record: &[u8]) -> Option<HevcConfig<'_>> {
    if *record.first()? != 1 {
        return None;
    }
    let profile_idc = record.get(1)? & 0x1f;
    let nal_length_size = usize::from(record.get(21)? & 3) + 1;
    let arrays = *record.get(22)?;
    let mut pos = 23;
    let mut units = Vec::new();
    for _ in 0..arrays {
        let count = super::bits::be16(record, pos + 1)?;
        pos += 3;
        for _ in 0..count {
            let length = usize::from(super::bits::be16(record, pos)?);
            units.push(record.get(pos + 2..pos + 2 + length)?);
            pos += 2 + length;
        }
    }
    Some(HevcConfig { profile_idc, nal_length_size, units })
}

/// Fills a [`VideoBitstream`] from the `hvcC` record and the first packet.
pub(crate) fn parse(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut VideoBitstream) {
    let hvcc = config.and_then(parse_hvcc);
    let length_size = hvcc.as_ref().map_or(4, |record| record.nal_length_size);
    let packet_units = packet.map(|packet| nal_units(packet, length_size)).unwrap_or_default();
    let all_units = hvcc.as_ref().map(|record| record.units.as_slice()).unwrap_or_default().iter().chain(&packet_units);
    let mut sps = None;
    for unit in all_units {
        match nal_type(unit) {
            Some(NAL_SPS) if sps.is_none() => sps = parse_sps(unit),
            Some(NAL_SEI_PREFIX) => sei::scan_nal(sei::Codec::Hevc, unit, &mut out.sei),
            Some(NAL_VPS) | Some(_) | None => {}
        }
    }
    out.field_order = Some("progressive".to_owned());
    let Some(sps) = sps else {
        out.profile = hvcc.and_then(|record| profile_name(record.profile_idc)).map(str::to_owned);
        return;
    };
    out.profile = profile_name(sps.profile_idc).map(str::to_owned);
    out.pix_fmt = pix_fmt(&sps);
    out.color_primaries = sps.colour_primaries.and_then(names::primaries).map(str::to_owned);
    out.color_transfer = sps.transfer.and_then(names::transfer).map(str::to_owned);
}
