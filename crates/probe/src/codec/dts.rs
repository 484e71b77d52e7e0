//! DTS: the core frame header and the DTS-HD extension substream (EXSS), named as FFmpeg's
//! `dcadec` names them: `DTS`, `DTS-ES` (XCh/XXCH in the core), `DTS 96/24` (X96),
//! `DTS-HD HRA` (XBR/XXCH/X96 in the substream), `DTS-HD MA` (XLL), `DTS Express` (LBR).
//!
//! DTS:X is the XLL payload carrying the object sync words FFmpeg 6.1+ looks for
//! (`0x02000850`, IMAX `0xF14000D0`); ffprobe 5.1 calls those streams `DTS-HD MA`, so
//! `DTS-HD MA + DTS:X` is a deliberate difference from it. The layout of an HD stream is the
//! speaker mask of the substream's first asset, the one FFmpeg's XLL decoder outputs.

use super::AudioBitstream;
use super::bits::{BitReader, find};
use super::names::{self, ch};

const SYNC_CORE: [u8; 4] = [0x7f, 0xfe, 0x80, 0x01];
const SYNC_EXSS: [u8; 4] = [0x64, 0x58, 0x20, 0x25];
const SYNC_XLL: [u8; 4] = [0x41, 0xa2, 0x95, 0x47];
const SYNC_LBR: [u8; 4] = [0x0a, 0x80, 0x19, 0x21];
const SYNC_XBR: [u8; 4] = [0x65, 0x5e, 0x31, 0x5e];
const SYNC_X96: [u8; 4] = [0x1d, 0x95, 0xf2, 0x62];
const SYNC_XXCH: [u8; 4] = [0x47, 0x00, 0x4a, 0x03];
const SYNC_XLL_X: [u8; 4] = [0x02, 0x00, 0x08, 0x50];
const SYNC_XLL_X_IMAX: [u8; 4] = [0xf1, 0x40, 0x00, 0xd0];

const CORE_RATES: [u32; 16] = [0, 8000, 16000, 32000, 0, 0, 11025, 22050, 44100, 0, 0, 12000, 24000, 48000, 0, 0];
const EXSS_RATES: [u32; 16] = [
    8000, 16000, 32000, 64000, 128000, 22050, 44100, 88200, 176400, 352800, 12000, 24000, 48000, 96000, 192000, 384000,
];

/// DTS speaker bits (`DCA_SPEAKER_*`) mapped to FFmpeg channels (`dca2wav_norm`).
const SPEAKERS: [u64; 28] = [
    ch::FC,
    ch::FL,
    ch::FR,
    ch::SL,
    ch::SR,
    ch::LFE,
    ch::BC,
    ch::BL,
    ch::BR,
    ch::SL,
    ch::SR,
    ch::FLC,
    ch::FRC,
    ch::TFL,
    ch::TFC,
    ch::TFR,
    ch::LFE,
    ch::FLC,
    ch::FRC,
    ch::TC,
    ch::TFL,
    ch::TFR,
    ch::TBC,
    ch::TBL,
    ch::TBR,
    ch::BC,
    ch::BL,
    ch::BR,
];

/// Speaker-pair activity mask bits (the EXSS asset's `nuSpkrActivityMask`) to speaker bits.
const PAIRS: [u32; 16] = [
    1 << 0,
    (1 << 1) | (1 << 2),
    (1 << 3) | (1 << 4),
    1 << 5,
    1 << 6,
    (1 << 13) | (1 << 15),
    (1 << 7) | (1 << 8),
    1 << 14,
    1 << 19,
    (1 << 11) | (1 << 12),
    (1 << 17) | (1 << 18),
    (1 << 9) | (1 << 10),
    1 << 16,
    (1 << 20) | (1 << 21),
    1 << 22,
    (1 << 23) | (1 << 24),
];

fn speakers_to_mask(speakers: u32) -> u64 {
    SPEAKERS
        .iter()
        .enumerate()
        .filter(|(bit, _)| speakers & (1 << bit) != 0)
        .fold(0, |mask, (_, channel)| mask | channel)
}

/// The core audio modes FFmpeg decodes, as speaker bits (`audio_mode_ch_mask`).
fn amode_speakers(amode: u8) -> Option<u32> {
    Some(match amode {
        0 => 1,
        1..=4 => 0b110,
        5 => 0b111,
        6 => 0b110 | (1 << 6),
        7 => 0b111 | (1 << 6),
        8 => 0b11110,
        9 => 0b11111,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, Default)]
struct Core {
    size: usize,
    sample_rate: u32,
    speakers: u32,
    /// `ext_audio_id` when `ext_audio` is set: 0 XCh, 2 X96, 6 XXCH.
    extension: Option<u8>,
}

fn parse_core(frame: &[u8]) -> Option<Core> {
    if frame.get(..4)? != SYNC_CORE {
        return None;
    }
    let mut r = BitReader::new(frame.get(4..)?);
    r.skip(1 + 5 + 1 + 7)?;
    let size = usize::try_from(r.bits(14)?).ok()? + 1;
    let amode = r.u8(6)?;
    let sample_rate = *CORE_RATES.get(usize::from(r.u8(4)?))?;
    r.skip(5 + 1 + 1 + 1 + 1 + 1)?;
    let extension_id = r.u8(3)?;
    let extension = r.flag()?.then_some(extension_id);
    r.skip(1)?;
    let lfe = r.u8(2)?;
    let mut speakers = amode_speakers(amode)?;
    if lfe != 0 {
        speakers |= 1 << 5;
    }
    if extension == Some(0) {
        speakers |= 1 << 6;
    }
    Some(Core { size, sample_rate, speakers, extension })
}

#[derive(Debug, Clone, Copy, Default)]
struct Asset {
    sample_rate: Option<u32>,
    channels: Option<u32>,
    speakers: Option<u32>,
}

/// The extension substream header and its first asset descriptor (`dca_exss.c`).
fn parse_exss(exss: &[u8]) -> Option<Asset> {
    let mut r = BitReader::new(exss.get(4..)?);
    r.skip(8)?;
    let index = r.u32(2)?;
    let wide = r.flag()?;
    r.skip(if wide { 12 + 20 } else { 8 + 16 })?;
    let size_bits = if wide { 20 } else { 16 };
    let static_fields = r.flag()?;
    let mut assets = 1;
    if static_fields {
        r.skip(2 + 3)?;
        if r.flag()? {
            r.skip(36)?;
        }
        let presentations = r.u32(3)? + 1;
        assets = r.u32(3)? + 1;
        let mut masks = Vec::new();
        for _ in 0..presentations {
            masks.push(r.bits(index + 1)?);
        }
        for mask in masks {
            for bit in 0..=index {
                if mask & (1 << bit) != 0 {
                    r.skip(8)?;
                }
            }
        }
        if r.flag()? {
            r.skip(2)?;
            let mask_bits = (r.u32(2)? + 1) << 2;
            let configs = r.u32(2)? + 1;
            r.skip(usize::try_from(mask_bits * configs).ok()?)?;
        }
    }
    for _ in 0..assets {
        r.skip(size_bits)?;
    }
    r.skip(9 + 3)?;
    let mut asset = Asset::default();
    if static_fields {
        if r.flag()? {
            r.skip(4)?;
        }
        if r.flag()? {
            r.skip(24)?;
        }
        if r.flag()? {
            let text = usize::try_from(r.bits(10)?).ok()? + 1;
            r.skip(text * 8)?;
        }
        r.skip(5)?;
        asset.sample_rate = EXSS_RATES.get(usize::from(r.u8(4)?)).copied();
        let channels = r.u32(8)? + 1;
        asset.channels = Some(channels);
        if r.flag()? {
            if channels > 2 {
                r.skip(1)?;
            }
            if channels > 6 {
                r.skip(1)?;
            }
            if r.flag()? {
                let bits = (r.u32(2)? + 1) << 2;
                let pairs = r.u32(bits)?;
                let speakers = PAIRS
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| pairs & (1 << bit) != 0)
                    .fold(0, |speakers, (_, pair)| speakers | pair);
                asset.speakers = Some(speakers);
            }
        }
    }
    Some(asset)
}

pub(crate) fn parse(packet: Option<&[u8]>, out: &mut AudioBitstream) {
    let Some(packet) = packet else { return };
    let core = parse_core(packet);
    let exss_start = match core {
        Some(core) => packet.get(core.size..).filter(|rest| rest.starts_with(&SYNC_EXSS)),
        None => packet.starts_with(&SYNC_EXSS).then_some(packet),
    };
    let has = |sync: &[u8; 4]| exss_start.is_some_and(|exss| find(exss, sync).is_some());
    let asset = exss_start.and_then(parse_exss);
    let profile = if has(&SYNC_XLL) {
        if has(&SYNC_XLL_X_IMAX) {
            "DTS-HD MA + DTS:X IMAX"
        } else if has(&SYNC_XLL_X) {
            "DTS-HD MA + DTS:X"
        } else {
            "DTS-HD MA"
        }
    } else if core.is_none() && has(&SYNC_LBR) {
        "DTS Express"
    } else if has(&SYNC_XBR) || has(&SYNC_XXCH) || has(&SYNC_X96) {
        "DTS-HD HRA"
    } else if matches!(core.and_then(|core| core.extension), Some(0 | 6)) {
        "DTS-ES"
    } else if core.and_then(|core| core.extension) == Some(2) {
        "DTS 96/24"
    } else if core.is_some() {
        "DTS"
    } else {
        return;
    };
    out.profile = Some(profile.to_owned());
    let lossless = has(&SYNC_XLL);
    let speakers = match (lossless, asset.and_then(|asset| asset.speakers), core) {
        (true, Some(speakers), _) => Some(speakers),
        (_, _, Some(core)) => Some(core.speakers),
        (_, speakers, None) => speakers,
    };
    if let Some(mask) = speakers.map(speakers_to_mask).filter(|mask| *mask != 0) {
        out.channels = Some(names::channel_count(mask));
        out.channel_layout = names::describe_layout(mask);
    } else if let Some(channels) = asset.and_then(|asset| asset.channels) {
        out.channels = Some(channels);
    }
    out.sample_rate = match (lossless, asset.and_then(|asset| asset.sample_rate), core) {
        (true, Some(rate), _) => Some(rate),
        (_, _, Some(core)) if core.sample_rate > 0 => Some(core.sample_rate),
        (_, rate, _) => rate,
    };
}
