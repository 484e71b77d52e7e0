//! Retry delays: exponential backoff with jitter.

use std::time::Duration;

/// How long to wait before each retry of a kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub base: Duration,
    /// No delay exceeds this.
    pub max: Duration,
    /// Fraction of the delay randomised either way (0.25 → ±25 %), so that jobs
    /// failing together do not retry together.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { base: Duration::from_secs(2), max: Duration::from_secs(3600), jitter: 0.25 }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based), given a random value in [0, 1).
    pub fn delay_with(&self, attempt: i32, random: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).clamp(0, 30);
        let raw = self.base.as_secs_f64() * 2f64.powi(exponent);
        let capped = raw.min(self.max.as_secs_f64());
        let factor = 1.0 + self.jitter * (2.0 * random - 1.0);
        // `from_secs_f64` panics on overflow (a `max` near `Duration::MAX` with jitter above 1).
        Duration::try_from_secs_f64((capped * factor).max(0.0)).unwrap_or(self.max)
    }

    /// The delay after failed attempt number `attempt`, with fresh randomness.
    pub fn delay(&self, attempt: i32) -> Duration {
        self.delay_with(attempt, fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_per_attempt_and_stops_at_max() {
        let policy = RetryPolicy { base: Duration::from_secs(1), max: Duration::from_secs(10), jitter: 0.0 };
        let delays: Vec<u64> = (1..=6).map(|a| policy.delay_with(a, 0.5).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn huge_delays_saturate_instead_of_panicking() {
        let policy = RetryPolicy { base: Duration::from_secs(1), max: Duration::MAX, jitter: 0.25 };
        assert_eq!(policy.delay_with(i32::MAX, 1.0), Duration::from_secs(1 << 30).mul_f64(1.25));
        let policy = RetryPolicy { base: Duration::MAX, max: Duration::MAX, jitter: 0.5 };
        assert_eq!(policy.delay_with(3, 1.0), Duration::MAX);
    }

    #[test]
    fn jitter_spreads_delays_within_bounds() {
        let policy = RetryPolicy { base: Duration::from_secs(100), max: Duration::from_secs(1000), jitter: 0.25 };
        assert_eq!(policy.delay_with(1, 0.0), Duration::from_secs(75));
        assert_eq!(policy.delay_with(1, 1.0), Duration::from_secs(125));
        let spread: std::collections::HashSet<u128> = (0..50).map(|_| policy.delay(1).as_millis()).collect();
        assert!(spread.len() > 10, "jitter should vary delays, got {spread:?}");
    }
}
