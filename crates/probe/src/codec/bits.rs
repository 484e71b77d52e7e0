//! A bounds-checked MSB-first bit reader with Exp-Golomb codes, for the parameter sets and
//! frame headers the codec parsers read.
//!
//! Every read returns `None` past the end instead of panicking, so a truncated or hostile
//! header simply stops the parse where it breaks.

/// Reads bits from a byte slice, most significant bit first.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits from the start of `bytes`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Bits left to read.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_mul(8).saturating_sub(self.pos)
    }

    /// Position in bits.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Some(bit == 1)
    }

    pub(crate) fn flag(&mut self) -> Option<bool> {
        self.bit()
    }

    /// Reads up to 64 bits as an unsigned number.
    pub(crate) fn bits(&mut self, count: u32) -> Option<u64> {
        if count > 64 || usize::try_from(count).ok()? > self.remaining() {
            return None;
        }
        let mut value: u64 = 0;
        for _ in 0..count {
            value = (value << 1) | u64::from(self.bit()?);
        }
        Some(value)
    }

    pub(crate) fn u8(&mut self, count: u32) -> Option<u8> {
        u8::try_from(self.bits(count.min(8))?).ok()
    }

    pub(crate) fn u32(&mut self, count: u32) -> Option<u32> {
        u32::try_from(self.bits(count.min(32))?).ok()
    }

    pub(crate) fn skip(&mut self, count: usize) -> Option<()> {
        if count > self.remaining() {
            return None;
        }
        self.pos += count;
        Some(())
    }

    /// Unsigned Exp-Golomb (`ue(v)`); `None` for codes longer than 32 bits, which no valid
    /// header holds.
    pub(crate) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0u32;
        while !self.bit()? {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        u32::try_from((1u64 << zeros) - 1 + rest).ok()
    }

    /// Signed Exp-Golomb (`se(v)`).
    pub(crate) fn se(&mut self) -> Option<i64> {
        let code = i64::from(self.ue()?);
        Some(if code % 2 == 1 { (code + 1) / 2 } else { -(code / 2) })
    }

    /// AV1's `leb128()`: up to 8 bytes, 7 bits each.
    pub(crate) fn leb128(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for index in 0..8 {
            let byte = self.bits(8)?;
            value |= (byte & 0x7f) << (index * 7);
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// AV1's `uvlc()`.
    pub(crate) fn uvlc(&mut self) -> Option<u64> {
        let mut zeros = 0u32;
        while !self.bit()? {
            zeros += 1;
            if zeros >= 32 {
                return None;
            }
        }
        Some((1u64 << zeros) - 1 + self.bits(zeros)?)
    }
}

/// Removes emulation-prevention bytes (`00 00 03` becomes `00 00`) from a NAL unit payload.
pub(crate) fn unescape(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len());
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte == 3 {
            zeros = 0;
            continue;
        }
        zeros = if byte == 0 { zeros + 1 } else { 0 };
        out.push(byte);
    }
    out
}

/// Big-endian u16 at `offset`.
pub(crate) fn be16(bytes: &[u8], offset: usize) -> Option<u16> {
    Some(u16::from_be_bytes(*bytes.get(offset..)?.first_chunk::<2>()?))
}

/// Big-endian u32 at `offset`.
pub(crate) fn be32(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_be_bytes(*bytes.get(offset..)?.first_chunk::<4>()?))
}

/// Little-endian u32 at `offset`.
pub(crate) fn le32(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*bytes.get(offset..)?.first_chunk::<4>()?))
}

/// The offset of the first occurrence of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bits_and_exp_golomb() {
        // 1 | 010 | 011 | 00100 | 0...: ue = 0, 1, 2, 3
        let mut reader = BitReader::new(&[0b1010_0110, 0b0100_0000]);
        assert_eq!(reader.ue(), Some(0));
        assert_eq!(reader.ue(), Some(1));
        assert_eq!(reader.ue(), Some(2));
        assert_eq!(reader.ue(), Some(3));
        assert_eq!(reader.ue(), None);
        let mut reader = BitReader::new(&[0b0110_1000]);
        assert_eq!(reader.se(), Some(-1));
        assert_eq!(reader.se(), Some(1));
        assert_eq!(reader.bits(4), None);
        let mut reader = BitReader::new(&[0xab, 0xcd]);
        assert_eq!(reader.bits(12), Some(0xabc));
        assert_eq!(reader.remaining(), 4);
    }

    #[test]
    fn runs_out_without_panicking() {
        let mut reader = BitReader::new(&[0, 0, 0, 0, 0]);
        assert_eq!(reader.ue(), None);
        assert_eq!(BitReader::new(&[]).bit(), None);
        assert_eq!(BitReader::new(&[0xff; 9]).leb128(), None);
        assert_eq!(be32(&[1, 2, 3], 0), None);
        assert_eq!(be16(&[1, 2, 3], 1), Some(0x0203));
    }
}
