//! Reducing a fraction to the nearest one with bounded terms, the way FFmpeg's demuxers derive
//! frame rates (`av_reduce`), so a native reader's rate is the same `f64` ffprobe prints.
//!
//! Matroska's rate is 10⁹ ÷ `DefaultDuration` reduced with terms up to 30,000 (so 41,708,333 ns
//! becomes 24000/1001, not 1000000000/41708333); MP4's is the sample count times the time
//! scale over the duration, with terms up to `i32::MAX`.

/// `numerator / denominator` as the closest fraction whose terms do not exceed `max`, by
/// continued fractions; `None` when either input is not positive.
pub(crate) fn reduce(numerator: u64, denominator: u64, max: u64) -> Option<(u64, u64)> {
    if numerator == 0 || denominator == 0 || max == 0 {
        return None;
    }
    let divisor = gcd(numerator, denominator);
    let (mut num, mut den) = (numerator / divisor, denominator / divisor);
    if num <= max && den <= max {
        return Some((num, den));
    }
    // Convergents h/k of the continued fraction of num/den: (previous, current).
    let (mut h0, mut k0, mut h1, mut k1) = (0u64, 1u64, 1u64, 0u64);
    while den != 0 {
        let term = num / den;
        let remainder = num - den * term;
        let (h2, k2) = (term.saturating_mul(h1).saturating_add(h0), term.saturating_mul(k1).saturating_add(k0));
        if h2 > max || k2 > max {
            // The best semiconvergent within bounds, if it is closer than the last convergent.
            // A zero h1 or k1 (the first step) puts no bound on that term.
            let mut best = term;
            if let Some(bound) = (max - h0).checked_div(h1) {
                best = best.min(bound);
            }
            if let Some(bound) = (max - k0).checked_div(k1) {
                best = best.min(bound);
            }
            if u128::from(den) * u128::from(2 * best * k1 + k0) > u128::from(num) * u128::from(k1) {
                h1 = best * h1 + h0;
                k1 = best * k1 + k0;
            }
            break;
        }
        (h0, k0, h1, k1) = (h1, k1, h2, k2);
        num = den;
        den = remainder;
    }
    (k1 != 0 && h1 != 0).then_some((h1, k1))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matroska_default_durations_reduce_like_ffmpeg() {
        assert_eq!(reduce(1_000_000_000, 41_708_333, 30_000), Some((24_000, 1_001)));
        assert_eq!(reduce(1_000_000_000, 40_000_000, 30_000), Some((25, 1)));
        assert_eq!(reduce(1_000_000_000, 33_366_666, 30_000), Some((30_000, 1_001)));
        assert_eq!(reduce(1_000_000_000, 41_666_666, 30_000), Some((24, 1)));
    }

    #[test]
    fn small_fractions_are_only_cancelled() {
        assert_eq!(reduce(48_000, 2_002, i32::MAX as u64), Some((24_000, 1_001)));
        assert_eq!(reduce(0, 5, 100), None);
        assert_eq!(reduce(5, 0, 100), None);
    }
}
