//! HDR classification with Radarr's rules (`VideoFileInfoReader.GetHdrFormat`).
//!
//! Both readers gather the same [`HdrSignals`] (bit depth, colour tags and which side data
//! the stream or its first frame carries) and this one function turns them into an
//! [`HdrType`], so a file is classified the same way whichever reader saw it.

use crate::model::HdrType;

/// Transfer characteristic of PQ (HDR10, HDR10+, PQ10 and Dolby Vision's HDR10 base).
pub(crate) const TRANSFER_PQ: &str = "smpte2084";
/// Transfer characteristic of hybrid log-gamma.
pub(crate) const TRANSFER_HLG: &str = "arib-std-b67";
/// Primaries of every HDR format Radarr recognises.
pub(crate) const PRIMARIES_BT2020: &str = "bt2020";

/// What a reader saw on a video stream that bears on its HDR format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HdrSignals {
    /// Bits per colour component.
    pub(crate) bit_depth: Option<u8>,
    /// Colour primaries name, e.g. `bt2020`.
    pub(crate) color_primaries: Option<String>,
    /// Transfer characteristic name, e.g. `smpte2084`.
    pub(crate) color_transfer: Option<String>,
    /// `dv_bl_signal_compatibility_id` of a Dolby Vision configuration record, when present.
    pub(crate) dovi_compatibility: Option<u8>,
    /// Mastering display metadata (SMPTE ST 2086) was present.
    pub(crate) mastering_display: bool,
    /// Content light level metadata (MaxCLL/MaxFALL) was present.
    pub(crate) content_light_level: bool,
    /// SMPTE 2094-40 (HDR10+) dynamic metadata was present.
    pub(crate) hdr10_plus: bool,
}

impl HdrSignals {
    /// Whether the first frame's side data could change the answer, so a reader should look.
    ///
    /// Static and dynamic metadata only matter for PQ streams and for Dolby Vision with an
    /// HDR10 base, and streams below 10 bits are SDR whatever they carry.
    pub(crate) fn needs_frame_side_data(&self) -> bool {
        if self.bit_depth.unwrap_or(0) < 10 {
            return false;
        }
        if let Some(compatibility) = self.dovi_compatibility {
            return matches!(compatibility, 1 | 6) && !self.hdr10_plus;
        }
        self.color_primaries.as_deref() == Some(PRIMARIES_BT2020)
            && self.color_transfer.as_deref() == Some(TRANSFER_PQ)
            && !self.hdr10_plus
            && !(self.mastering_display || self.content_light_level)
    }

    /// Classifies the stream.
    pub(crate) fn classify(&self) -> HdrType {
        // Radarr treats everything below 10 bits as SDR, even with HDR tags or a DOVI record.
        if self.bit_depth.unwrap_or(0) < 10 {
            return HdrType::Sdr;
        }
        if let Some(compatibility) = self.dovi_compatibility {
            return match compatibility {
                1 | 6 if self.hdr10_plus => HdrType::DolbyVisionHdr10Plus,
                1 | 6 => HdrType::DolbyVisionHdr10,
                2 => HdrType::DolbyVisionSdr,
                4 => HdrType::DolbyVisionHlg,
                _ => HdrType::DolbyVision,
            };
        }
        if self.color_primaries.as_deref() != Some(PRIMARIES_BT2020) {
            return HdrType::Sdr;
        }
        match self.color_transfer.as_deref() {
            Some(TRANSFER_HLG) => HdrType::Hlg,
            Some(TRANSFER_PQ) if self.hdr10_plus => HdrType::Hdr10Plus,
            Some(TRANSFER_PQ) if self.mastering_display || self.content_light_level => HdrType::Hdr10,
            Some(TRANSFER_PQ) => HdrType::Pq10,
            _ => HdrType::Sdr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pq(bit_depth: u8) -> HdrSignals {
        HdrSignals {
            bit_depth: Some(bit_depth),
            color_primaries: Some(PRIMARIES_BT2020.to_owned()),
            color_transfer: Some(TRANSFER_PQ.to_owned()),
            ..HdrSignals::default()
        }
    }

    #[test]
    fn eight_bit_is_sdr_whatever_the_tags() {
        let mut signals = pq(8);
        signals.dovi_compatibility = Some(1);
        assert_eq!(signals.classify(), HdrType::Sdr);
        assert!(!signals.needs_frame_side_data());
    }

    #[test]
    fn pq_without_metadata_is_pq10_and_asks_for_the_first_frame() {
        let signals = pq(10);
        assert_eq!(signals.classify(), HdrType::Pq10);
        assert!(signals.needs_frame_side_data());
    }

    #[test]
    fn pq_with_static_metadata_is_hdr10() {
        let mut signals = pq(10);
        signals.content_light_level = true;
        assert_eq!(signals.classify(), HdrType::Hdr10);
        signals.hdr10_plus = true;
        assert_eq!(signals.classify(), HdrType::Hdr10Plus);
    }

    #[test]
    fn hlg_and_dolby_vision_compatibility() {
        let mut signals = pq(10);
        signals.color_transfer = Some(TRANSFER_HLG.to_owned());
        assert_eq!(signals.classify(), HdrType::Hlg);
        for (compatibility, expected) in [
            (0, HdrType::DolbyVision),
            (1, HdrType::DolbyVisionHdr10),
            (2, HdrType::DolbyVisionSdr),
            (4, HdrType::DolbyVisionHlg),
            (6, HdrType::DolbyVisionHdr10),
        ] {
            signals.dovi_compatibility = Some(compatibility);
            assert_eq!(signals.classify(), expected, "compatibility {compatibility}");
        }
        signals.dovi_compatibility = Some(6);
        signals.hdr10_plus = true;
        assert_eq!(signals.classify(), HdrType::DolbyVisionHdr10Plus);
    }

    #[test]
    fn bt709_ten_bit_is_sdr() {
        let mut signals = pq(10);
        signals.color_primaries = Some("bt709".to_owned());
        signals.color_transfer = Some("bt709".to_owned());
        assert_eq!(signals.classify(), HdrType::Sdr);
    }
}
