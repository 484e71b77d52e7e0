//! Dolby audio: AC-3 and E-AC-3 sync frames and MP4's `dac3`/`dec3` records, and TrueHD's
//! major sync, with channel layouts and Atmos signalling as FFmpeg's decoders report them.
//!
//! Atmos: E-AC-3 JOC is `flag_ec3_extension_type_a` (the `dec3` tail, or the first bit
//! chunk of a frame's `addbsi`), TrueHD Atmos is the 16-channel presentation flag of the major
//! sync's `substream_info`. FFmpeg names both profiles only from 6.1/7.0 on
//! (`Dolby Digital Plus + Dolby Atmos`, `Dolby TrueHD + Dolby Atmos`); ffprobe 5.1 prints no
//! profile, so these profiles are a deliberate difference from it.

use super::bits::{BitReader, be16};
use super::names::{self, ch};
use super::{AudioBitstream, AudioCodec};

pub(crate) const EAC3_ATMOS: &str = "Dolby Digital Plus + Dolby Atmos";
pub(crate) const TRUEHD_ATMOS: &str = "Dolby TrueHD + Dolby Atmos";

/// `ff_ac3_channel_layout_tab`, by acmod.
fn acmod_layout(acmod: u8) -> u64 {
    match acmod {
        1 => ch::FC,
        3 => ch::FL | ch::FR | ch::FC,
        4 => ch::FL | ch::FR | ch::BC,
        5 => ch::FL | ch::FR | ch::FC | ch::BC,
        6 => ch::FL | ch::FR | ch::SL | ch::SR,
        7 => ch::FL | ch::FR | ch::FC | ch::SL | ch::SR,
        // 0 is dual mono, which FFmpeg outputs as stereo.
        _ => ch::FL | ch::FR,
    }
}

/// `ff_eac3_custom_channel_map_locations`, by chanmap bit from the most significant; the
/// first five and LFE are already in the independent stream's layout.
const CUSTOM_LOCATIONS: [u64; 16] = [
    0,
    0,
    0,
    0,
    0,
    ch::FLC | ch::FRC,
    ch::BL | ch::BR,
    ch::BC,
    ch::TC,
    ch::SDL | ch::SDR,
    ch::WL | ch::WR,
    ch::TFL | ch::TFR,
    ch::TFC,
    ch::TBL | ch::TBR,
    ch::LFE2,
    0,
];

fn ac3_rate(fscod: u8, fscod2: Option<u8>) -> Option<u32> {
    match (fscod, fscod2) {
        (0, _) => Some(48000),
        (1, _) => Some(44100),
        (2, _) => Some(32000),
        (3, Some(0)) => Some(24000),
        (3, Some(1)) => Some(22050),
        (3, Some(2)) => Some(16000),
        _ => None,
    }
}

/// One AC-3 or E-AC-3 sync frame's header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SyncFrame {
    pub(crate) eac3: bool,
    /// E-AC-3 `strmtyp`: 0 independent, 1 dependent, 2 AC-3 converted.
    pub(crate) stream_type: u8,
    pub(crate) substream_id: u8,
    /// Frame size in bytes.
    pub(crate) size: usize,
    pub(crate) sample_rate: Option<u32>,
    pub(crate) acmod: u8,
    pub(crate) lfe: bool,
    pub(crate) chanmap: Option<u16>,
    pub(crate) atmos: bool,
}

/// AC-3 frame sizes in 16-bit words for 48 kHz, by frmsizecod / 2; 44.1 and 32 kHz scale.
const AC3_BITRATES: [u32; 19] =
    [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640];

pub(crate) fn parse_sync_frame(frame: &[u8]) -> Option<SyncFrame> {
    if be16(frame, 0)? != 0x0b77 {
        return None;
    }
    let bsid = frame.get(5)? >> 3;
    if bsid <= 10 {
        parse_ac3(frame)
    } else if bsid <= 16 {
        parse_eac3(frame)
    } else {
        None
    }
}

fn parse_ac3(frame: &[u8]) -> Option<SyncFrame> {
    let mut r = BitReader::new(frame.get(4..)?);
    let fscod = r.u8(2)?;
    let frmsizecod = r.u8(6)?;
    r.skip(5 + 3)?;
    let acmod = r.u8(3)?;
    if acmod & 1 != 0 && acmod != 1 {
        r.skip(2)?;
    }
    if acmod & 4 != 0 {
        r.skip(2)?;
    }
    if acmod == 2 {
        r.skip(2)?;
    }
    let lfe = r.flag()?;
    let kbps = *AC3_BITRATES.get(usize::from(frmsizecod / 2))?;
    let words = match fscod {
        0 => kbps * 2,
        1 => kbps * 320 / 147 + u32::from(frmsizecod & 1),
        2 => kbps * 3,
        _ => return None,
    };
    Some(SyncFrame {
        size: usize::try_from(words * 2).ok()?,
        sample_rate: ac3_rate(fscod, None),
        acmod,
        lfe,
        ..SyncFrame::default()
    })
}

fn parse_eac3(frame: &[u8]) -> Option<SyncFrame> {
    let mut r = BitReader::new(frame.get(2..)?);
    let mut out = SyncFrame { eac3: true, stream_type: r.u8(2)?, substream_id: r.u8(3)?, ..SyncFrame::default() };
    out.size = (usize::try_from(r.bits(11)?).ok()? + 1) * 2;
    let fscod = r.u8(2)?;
    let (fscod2, blocks) = if fscod == 3 { (Some(r.u8(2)?), 6) } else { (None, [1, 2, 3, 6][usize::from(r.u8(2)?)]) };
    out.sample_rate = ac3_rate(fscod, fscod2);
    out.acmod = r.u8(3)?;
    out.lfe = r.flag()?;
    // Everything after the channel configuration only matters for the dependent stream's
    // channel map and the Atmos flag; a frame cut short keeps what was read.
    let _ = eac3_bsi_tail(&mut r, &mut out, fscod, blocks);
    Some(out)
}

/// The rest of E-AC-3's `bsi()` (ATSC A/52 E.2.2.2) up to `addbsi`.
fn eac3_bsi_tail(r: &mut BitReader<'_>, out: &mut SyncFrame, fscod: u8, blocks: usize) -> Option<()> {
    let acmod = out.acmod;
    r.skip(5 + 5)?; // bsid, dialnorm
    if r.flag()? {
        r.skip(8)?;
    }
    if acmod == 0 {
        r.skip(5)?;
        if r.flag()? {
            r.skip(8)?;
        }
    }
    if out.stream_type == 1 && r.flag()? {
        out.chanmap = Some(u16::try_from(r.bits(16)?).ok()?);
    }
    if r.flag()? {
        // mixmdate
        if acmod > 2 {
            r.skip(2)?;
        }
        if acmod & 1 != 0 && acmod > 2 {
            r.skip(6)?;
        }
        if acmod & 4 != 0 {
            r.skip(6)?;
        }
        if out.lfe && r.flag()? {
            r.skip(5)?;
        }
        if out.stream_type == 0 {
            if r.flag()? {
                r.skip(6)?;
            }
            if acmod == 0 && r.flag()? {
                r.skip(6)?;
            }
            if r.flag()? {
                r.skip(6)?;
            }
            match r.bits(2)? {
                1 => r.skip(5)?,
                2 => r.skip(12)?,
                3 => {
                    let length = usize::try_from(r.bits(5)?).ok()? + 2;
                    r.skip(length * 8)?;
                }
                _ => {}
            }
            if acmod < 2 {
                if r.flag()? {
                    r.skip(14)?;
                }
                if acmod == 0 && r.flag()? {
                    r.skip(14)?;
                }
            }
            if r.flag()? {
                if blocks == 1 {
                    r.skip(5)?;
                } else {
                    for _ in 0..blocks {
                        if r.flag()? {
                            r.skip(5)?;
                        }
                    }
                }
            }
        }
    }
    if r.flag()? {
        // infomdate
        r.skip(5)?;
        if acmod == 2 {
            r.skip(4)?;
        }
        if acmod >= 6 {
            r.skip(2)?;
        }
        if r.flag()? {
            r.skip(8)?;
        }
        if acmod == 0 && r.flag()? {
            r.skip(8)?;
        }
        if fscod < 3 {
            r.skip(1)?;
        }
    }
    if out.stream_type == 0 && blocks != 6 {
        r.skip(1)?;
    }
    if out.stream_type == 2 {
        let blkid = if blocks == 6 { true } else { r.flag()? };
        if blkid {
            r.skip(6)?;
        }
    }
    if r.flag()? {
        // addbsi: the first byte's lowest bit is flag_ec3_extension_type_a.
        r.skip(6)?;
        r.skip(7)?;
        out.atmos = r.flag()?;
    }
    Some(())
}

/// The channel mask of an independent frame plus the dependent frames that follow it.
fn frames_layout(packet: &[u8]) -> Option<(SyncFrame, u64)> {
    let first = parse_sync_frame(packet)?;
    let mut mask = acmod_layout(first.acmod) | if first.lfe { ch::LFE } else { 0 };
    let mut rest = packet.get(first.size..).unwrap_or_default();
    let mut atmos = first.atmos;
    for _ in 0..8 {
        let Some(frame) = parse_sync_frame(rest) else { break };
        if frame.size == 0 {
            break;
        }
        if frame.eac3 && frame.stream_type == 1 && frame.substream_id == 0 {
            if let Some(chanmap) = frame.chanmap {
                mask |= custom_channels(chanmap);
            }
        } else if frame.stream_type != 1 {
            // The next independent substream or frame: a different program.
            break;
        }
        atmos |= frame.atmos;
        rest = rest.get(frame.size..).unwrap_or_default();
    }
    Some((SyncFrame { atmos, ..first }, mask))
}

fn custom_channels(chanmap: u16) -> u64 {
    CUSTOM_LOCATIONS
        .iter()
        .enumerate()
        .filter(|(index, _)| chanmap & (1 << (15 - index)) != 0)
        .fold(0, |mask, (_, location)| mask | location)
}

/// `dac3`: fscod 2, bsid 5, bsmod 3, acmod 3, lfeon 1, bit_rate_code 5.
fn parse_dac3(body: &[u8]) -> Option<(Option<u32>, u64)> {
    let mut r = BitReader::new(body);
    let fscod = r.u8(2)?;
    r.skip(8)?;
    let acmod = r.u8(3)?;
    let lfe = r.flag()?;
    Some((ac3_rate(fscod, None), acmod_layout(acmod) | if lfe { ch::LFE } else { 0 }))
}

/// `dec3`: the first independent substream's configuration and dependent-substream channel
/// locations, and the JOC flag after the substream list.
fn parse_dec3(body: &[u8]) -> Option<(Option<u32>, u64, bool)> {
    let mut r = BitReader::new(body);
    r.skip(13)?;
    let substreams = r.u32(3)? + 1;
    let mut first = None;
    for _ in 0..substreams {
        let fscod = r.u8(2)?;
        r.skip(5 + 1 + 1 + 3)?;
        let acmod = r.u8(3)?;
        let lfe = r.flag()?;
        r.skip(3)?;
        let dependents = r.u8(4)?;
        let mut mask = acmod_layout(acmod) | if lfe { ch::LFE } else { 0 };
        if dependents > 0 {
            let chan_loc = r.bits(9)?;
            // chan_loc's bits are chanmap bits 5 to 12 and 14 (LFE2), most significant first.
            for (bit, index) in [5usize, 6, 7, 8, 9, 10, 11, 12, 14].iter().enumerate() {
                if chan_loc & (1 << (8 - bit)) != 0 {
                    mask |= CUSTOM_LOCATIONS.get(*index).copied().unwrap_or(0);
                }
            }
        } else {
            r.skip(1)?;
        }
        first.get_or_insert((ac3_rate(fscod, None), mask));
    }
    let (rate, mask) = first?;
    let atmos = r.remaining() >= 16 && {
        r.skip(7)?;
        r.flag()?
    };
    Some((rate, mask, atmos))
}

pub(crate) fn parse_ac3_family(
    codec: AudioCodec,
    config: Option<&[u8]>,
    packet: Option<&[u8]>,
    out: &mut AudioBitstream,
) {
    let from_packet = packet.and_then(frames_layout);
    let from_config = config.and_then(|body| match codec {
        AudioCodec::Eac3 => parse_dec3(body),
        _ => parse_dac3(body).map(|(rate, mask)| (rate, mask, false)),
    });
    let (eac3, rate, mask, atmos) = match (from_packet, from_config) {
        (Some((frame, mask)), config) => {
            (frame.eac3, frame.sample_rate, mask, frame.atmos || config.is_some_and(|(_, _, atmos)| atmos))
        }
        (None, Some((rate, mask, atmos))) => (codec == AudioCodec::Eac3, rate, mask, atmos),
        (None, None) => return,
    };
    out.codec = Some(if eac3 { AudioCodec::Eac3 } else { AudioCodec::Ac3 });
    out.sample_rate = rate;
    out.channels = Some(names::channel_count(mask));
    out.channel_layout = names::describe_layout(mask);
    if eac3 && atmos {
        out.profile = Some(EAC3_ATMOS.to_owned());
    }
}

/// TrueHD's channel groups by `channel_assignment` bit (`thd_layout` in `mlp_parse.c`).
const THD_LAYOUT: [u64; 13] = [
    ch::FL | ch::FR,
    ch::FC,
    ch::LFE,
    ch::SL | ch::SR,
    ch::TFL | ch::TFR,
    ch::FLC | ch::FRC,
    ch::BL | ch::BR,
    ch::BC,
    ch::TC,
    ch::SDL | ch::SDR,
    ch::WL | ch::WR,
    ch::TFC,
    ch::LFE2,
];

fn thd_layout(assignment: u32) -> u64 {
    THD_LAYOUT
        .iter()
        .enumerate()
        .filter(|(bit, _)| assignment & (1 << bit) != 0)
        .fold(0, |mask, (_, group)| mask | group)
}

fn mlp_rate(bits: u32) -> Option<u32> {
    let base = match bits & 8 {
        0 => 48000,
        _ => 44100,
    };
    (bits & 7 <= 6 && bits != 15).then(|| base << (bits & 7))
}

/// The layout and rate from a TrueHD `format_info` word (also the `dmlp` box's first four
/// bytes): the 8-channel presentation when it is set, else the 6-channel one.
fn format_info(word: u32) -> (Option<u32>, u64) {
    let rate = mlp_rate(word >> 28);
    let six = (word >> 15) & 0x1f;
    let eight = word & 0x1fff;
    (rate, thd_layout(if eight != 0 { eight } else { six }))
}

pub(crate) fn parse_truehd(config: Option<&[u8]>, packet: Option<&[u8]>, out: &mut AudioBitstream) {
    let major_sync = packet.and_then(|packet| {
        let offset = super::bits::find(packet.get(..packet.len().min(4096))?, &[0xf8, 0x72, 0x6f, 0xba])?;
        packet.get(offset..)
    });
    let (rate, mask) = if let Some(sync) = major_sync {
        let Some(word) = super::bits::be32(sync, 4) else { return };
        let substream_info = sync.get(17).copied().unwrap_or(0);
        if substream_info & 0x80 != 0 {
            out.profile = Some(TRUEHD_ATMOS.to_owned());
        }
        format_info(word)
    } else if let Some(word) = config.and_then(|body| super::bits::be32(body, 0)) {
        format_info(word)
    } else {
        return;
    };
    out.sample_rate = rate;
    if mask != 0 {
        out.channels = Some(names::channel_count(mask));
        out.channel_layout = names::describe_layout(mask);
    }
}
