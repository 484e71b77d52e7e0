//! A minimal H.264/HEVC SEI scanner for HDR metadata in the first video packet.
//!
//! Decoding a 4K HEVC frame only to learn whether it carries mastering-display metadata costs
//! tens of milliseconds; encoders such as x265 put that SEI (and the light-level and HDR10+
//! ones) in the first access unit, where reading a few bytes finds it. Some muxers copy the
//! SEI into the `hvcC` record's arrays instead, so `hevc` scans those units too.

use super::bits::unescape;

/// HDR side data found in SEI messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeiHdr {
    /// Mastering display colour volume (payload type 137).
    pub(crate) mastering_display: bool,
    /// Content light level information (payload type 144).
    pub(crate) content_light_level: bool,
    /// SMPTE ST 2094-40 (HDR10+) in ITU-T T.35 user data (payload type 4).
    pub(crate) hdr10_plus: bool,
}

impl SeiHdr {
    #[cfg(test)]
    pub(crate) fn any(self) -> bool {
        self.mastering_display || self.content_light_level || self.hdr10_plus
    }
}

/// Which bitstream the packet holds; the NAL header differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    H264,
    Hevc,
}

const PAYLOAD_USER_DATA_REGISTERED: u32 = 4;
const PAYLOAD_MASTERING_DISPLAY: u32 = 137;
const PAYLOAD_CONTENT_LIGHT_LEVEL: u32 = 144;

/// Scans a packet in either length-prefixed (MP4/Matroska, 4-byte lengths) or Annex B
/// (MPEG-TS) framing. Unparseable input yields nothing found, never a panic. The readers get
/// the same through `video_bitstream`, which knows the record's NAL length size.
#[cfg(test)]
pub(crate) fn scan_packet(codec: Codec, packet: &[u8]) -> SeiHdr {
    let mut found = SeiHdr::default();
    let nal_units = length_prefixed_units(packet).unwrap_or_else(|| annex_b_units(packet));
    for nal in nal_units {
        if let Some(payload) = sei_payload(codec, nal) {
            scan_sei_messages(&unescape(payload), &mut found);
        }
    }
    found
}

/// Scans one NAL unit (with its header); anything but an SEI unit is ignored.
pub(crate) fn scan_nal(codec: Codec, nal: &[u8], found: &mut SeiHdr) {
    if let Some(payload) = sei_payload(codec, nal) {
        scan_sei_messages(&unescape(payload), found);
    }
}

#[cfg(test)]
/// Splits a packet of 4-byte big-endian length prefixes; `None` when the lengths do not tile
/// the packet exactly, which means it is not in that framing.
fn length_prefixed_units(packet: &[u8]) -> Option<Vec<&[u8]>> {
    let mut units = Vec::new();
    let mut rest = packet;
    while !rest.is_empty() {
        let (length, tail) = rest.split_first_chunk::<4>()?;
        let length = usize::try_from(u32::from_be_bytes(*length)).ok()?;
        if length == 0 || length > tail.len() {
            return None;
        }
        let (unit, tail) = tail.split_at(length);
        units.push(unit);
        rest = tail;
    }
    Some(units)
}

/// Splits an Annex B byte stream at its `00 00 01` start codes.
pub(crate) fn annex_b_units(packet: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut idx = 0;
    while idx + 3 <= packet.len() {
        if packet[idx] == 0 && packet[idx + 1] == 0 && packet[idx + 2] == 1 {
            starts.push(idx + 3);
            idx += 3;
        } else {
            idx += 1;
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(unit_idx, &start)| {
            let end = starts.get(unit_idx + 1).map_or(packet.len(), |next| next - 3);
            // A four-byte start code leaves a zero at the end of the previous unit.
            let unit = &packet[start..end.max(start)];
            unit.strip_suffix(&[0]).unwrap_or(unit)
        })
        .collect()
}

/// The SEI RBSP of a NAL unit, or `None` when the unit is not an SEI.
fn sei_payload(codec: Codec, nal: &[u8]) -> Option<&[u8]> {
    match codec {
        // nal_unit_type 6, one header byte.
        Codec::H264 => (nal.first()? & 0x1f == 6).then(|| &nal[1..]),
        // Prefix SEI is nal_unit_type 39, two header bytes.
        Codec::Hevc => ((nal.first()? >> 1) & 0x3f == 39 && nal.len() >= 2).then(|| &nal[2..]),
    }
}

/// Reads an SEI value coded as a run of 0xFF bytes plus a final byte.
pub(crate) fn read_ff_coded(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value: u32 = 0;
    loop {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value = value.checked_add(u32::from(byte))?;
        if byte != 0xff {
            return Some(value);
        }
    }
}

fn scan_sei_messages(rbsp: &[u8], found: &mut SeiHdr) {
    let mut pos = 0;
    // The RBSP ends with the stop bit byte 0x80; a message needs at least two header bytes.
    while pos + 2 <= rbsp.len() && rbsp[pos..] != [0x80] {
        let (Some(payload_type), Some(payload_size)) = (read_ff_coded(rbsp, &mut pos), read_ff_coded(rbsp, &mut pos))
        else {
            return;
        };
        let Some(payload) = usize::try_from(payload_size).ok().and_then(|size| rbsp.get(pos..pos.checked_add(size)?))
        else {
            return;
        };
        match payload_type {
            PAYLOAD_MASTERING_DISPLAY => found.mastering_display = true,
            PAYLOAD_CONTENT_LIGHT_LEVEL => found.content_light_level = true,
            PAYLOAD_USER_DATA_REGISTERED => found.hdr10_plus |= is_hdr10_plus(payload),
            _ => {}
        }
        pos += payload.len();
    }
}

/// ITU-T T.35 country 0xB5 (USA), provider 0x003C (Samsung), oriented code 0x0001,
/// application identifier 4: the SMPTE ST 2094-40 registration HDR10+ uses.
fn is_hdr10_plus(payload: &[u8]) -> bool {
    payload.len() >= 6 && payload[..5] == [0xb5, 0x00, 0x3c, 0x00, 0x01] && payload[5] == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of the first packet of an x265 HDR10 encode (VPS, then the two SEIs).
    const X265_FIRST_PACKET: &[u8] = &[
        0x00, 0x00, 0x00, 0x09, 0x4e, 0x01, 0x90, 0x04, 0x03, 0xe8, 0x01, 0x90, 0x80, //
        0x00, 0x00, 0x00, 0x1e, 0x4e, 0x01, 0x89, 0x18, 0x33, 0xc2, 0x86, 0xc4, 0x1d, 0x4c, 0x0b, 0xb8, 0x84, 0xd0,
        0x3e, 0x80, 0x3d, 0x13, 0x40, 0x42, 0x00, 0x98, 0x96, 0x80, 0x00, 0x00, 0x03, 0x00, 0x01, 0x80,
    ];

    #[test]
    fn finds_x265_mastering_and_light_level() {
        let found = scan_packet(Codec::Hevc, X265_FIRST_PACKET);
        assert!(found.mastering_display && found.content_light_level && !found.hdr10_plus);
    }

    #[test]
    fn finds_hdr10_plus_in_annex_b_h264() {
        let packet = [0, 0, 0, 1, 0x06, 0x04, 0x07, 0xb5, 0x00, 0x3c, 0x00, 0x01, 0x04, 0x01, 0x80];
        assert!(scan_packet(Codec::H264, &packet).hdr10_plus);
    }

    #[test]
    fn garbage_finds_nothing_and_does_not_panic() {
        for len in 0..64 {
            let bytes: Vec<u8> = (0..len).map(|n| (n * 37 + 11) as u8).collect();
            assert!(!scan_packet(Codec::Hevc, &bytes).any());
            assert!(!scan_packet(Codec::H264, &bytes).any());
        }
        assert!(!scan_packet(Codec::Hevc, &[0, 0, 0, 3, 0x4e, 0x01, 0xff]).any());
    }
}
