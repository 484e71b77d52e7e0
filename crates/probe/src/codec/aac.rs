//! AAC: the MPEG-4 AudioSpecificConfig (`esds` DecoderSpecificInfo, Matroska CodecPrivate),
//! named as FFmpeg's decoder reports it: explicit SBR signalling (object type 5 or 29, or the
//! backward-compatible 0x2b7 sync extension) makes `HE-AAC`/`HE-AACv2` at the SBR output
//! rate, and parametric stereo turns a mono core into stereo.
//!
//! Implicit SBR (an LC config whose frames carry SBR data) is only visible by decoding the
//! frames, so such a stream reads as `LC` at the core rate where ffprobe says `HE-AAC`.

use super::AudioBitstream;
use super::bits::BitReader;
use super::names::{self, ch};

const SAMPLE_RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

const AOT_SBR: u8 = 5;
const AOT_PS: u8 = 29;

/// What the AudioSpecificConfig says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Asc {
    /// The core object type (2 for LC under SBR).
    pub(crate) object_type: u8,
    pub(crate) sample_rate: u32,
    pub(crate) channel_config: u8,
    pub(crate) sbr: bool,
    pub(crate) ps: bool,
    pub(crate) ext_sample_rate: Option<u32>,
}

fn object_type(r: &mut BitReader<'_>) -> Option<u8> {
    let kind = r.u8(5)?;
    if kind == 31 { Some(32 + r.u8(6)?) } else { Some(kind) }
}

fn sample_rate(r: &mut BitReader<'_>) -> Option<u32> {
    let index = r.u8(4)?;
    if index == 15 { r.u32(24) } else { SAMPLE_RATES.get(usize::from(index)).copied() }
}

pub(crate) fn parse_asc(bytes: &[u8]) -> Option<Asc> {
    let mut r = BitReader::new(bytes);
    let mut asc = Asc { object_type: object_type(&mut r)?, ..Asc::default() };
    asc.sample_rate = sample_rate(&mut r)?;
    asc.channel_config = r.u8(4)?;
    if asc.object_type == AOT_SBR || asc.object_type == AOT_PS {
        asc.sbr = true;
        asc.ps = asc.object_type == AOT_PS;
        asc.ext_sample_rate = Some(sample_rate(&mut r)?);
        asc.object_type = object_type(&mut r)?;
    }
    // GASpecificConfig, then the backward-compatible extension; a config that stops early
    // keeps what was read.
    if matches!(asc.object_type, 1..=4 | 6 | 7 | 17 | 19..=23) && asc.channel_config != 0 {
        let _ = extension(&mut r, &mut asc);
    }
    Some(asc)
}

fn extension(r: &mut BitReader<'_>, asc: &mut Asc) -> Option<()> {
    r.skip(1)?;
    if r.flag()? {
        r.skip(14)?;
    }
    let extension_flag = r.flag()?;
    if extension_flag {
        if matches!(asc.object_type, 6 | 20) {
            r.skip(3)?;
        }
        if matches!(asc.object_type, 17 | 19..=23) {
            r.skip(3)?;
        }
        r.skip(1)?;
    }
    if asc.sbr || r.remaining() < 16 || r.bits(11)? != 0x2b7 {
        return Some(());
    }
    if object_type(r)? == AOT_SBR && r.flag()? {
        asc.sbr = true;
        asc.ext_sample_rate = Some(sample_rate(r)?);
        if r.remaining() >= 12 && r.bits(11)? == 0x548 {
            asc.ps = r.flag()?;
        }
    }
    Some(())
}

/// FFmpeg's AAC channel layouts by channelConfiguration (`aacdectab.h`).
fn layout(config: u8) -> Option<u64> {
    Some(match config {
        1 => ch::FC,
        2 => ch::FL | ch::FR,
        3 => ch::FL | ch::FR | ch::FC,
        4 => ch::FL | ch::FR | ch::FC | ch::BC,
        5 => ch::FL | ch::FR | ch::FC | ch::BL | ch::BR,
        6 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BL | ch::BR,
        7 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BL | ch::BR | ch::FLC | ch::FRC,
        11 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BL | ch::BR | ch::BC,
        12 => ch::FL | ch::FR | ch::FC | ch::LFE | ch::BL | ch::BR | ch::SL | ch::SR,
        _ => return None,
    })
}

/// FFmpeg's profile name: `object_type - 1` in its numbering, HE for SBR, HEv2 for PS.
fn profile(asc: &Asc) -> Option<&'static str> {
    if asc.ps {
        return Some("HE-AACv2");
    }
    if asc.sbr {
        return Some("HE-AAC");
    }
    Some(match asc.object_type {
        1 => "Main",
        2 => "LC",
        3 => "SSR",
        4 => "LTP",
        23 => "LD",
        39 => "ELD",
        _ => return None,
    })
}

pub(crate) fn parse(config: Option<&[u8]>, out: &mut AudioBitstream) {
    let Some(asc) = config.and_then(parse_asc) else { return };
    out.profile = profile(&asc).map(str::to_owned);
    out.sample_rate = Some(if asc.sbr { asc.ext_sample_rate.unwrap_or(asc.sample_rate) } else { asc.sample_rate })
        .filter(|rate| *rate > 0);
    let mask = if asc.ps && asc.channel_config == 1 { Some(ch::FL | ch::FR) } else { layout(asc.channel_config) };
    if let Some(mask) = mask {
        out.channels = Some(names::channel_count(mask));
        out.channel_layout = names::describe_layout(mask);
    }
}
