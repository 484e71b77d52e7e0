//! How long a rate limit lasts: `Retry-After` in both of its forms, the waits assumed when
//! a provider does not say, and the end of OMDb's day for a spent daily quota.

use std::time::Duration;

use chrono::{DateTime, Days, Utc};

/// The wait after a 429 without a usable `Retry-After`. TMDB's old limit counted requests
/// over 10 s windows and today's 429s usually omit the header, so one window is a wait that
/// is long enough without idling for minutes; Fanart.tv and OMDb get the same.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The longest wait taken from a `Retry-After`: a value beyond a day is more likely a
/// misconfigured server than a real limit, and a job should not sleep for a year.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait a `Retry-After` value asks for, measured from `now`: delay-seconds (`120`) or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`). A date in the past means "now", given as one
/// second so that a caller never spins. `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    // IMF-fixdate, the HTTP-date form servers must send, is an RFC 2822 date with "GMT".
    let date = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    let wait = (date - now).to_std().unwrap_or(Duration::ZERO);
    Some(wait.max(Duration::from_secs(1)).min(MAX_RETRY_AFTER))
}

/// The wait until the next midnight UTC after `now`.
///
/// OMDb does not say when a spent daily quota resets; we assume it resets at midnight
/// UTC (docs/peers/providers.md, "OMDb"). A wait that ends too early costs one more refused
/// request and another wait, never a lost result.
pub fn until_next_utc_midnight(now: DateTime<Utc>) -> Duration {
    let next_midnight = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .and_then(|tomorrow| tomorrow.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc());
    match next_midnight {
        Some(midnight) => (midnight - now).to_std().unwrap_or(Duration::from_secs(1)).max(Duration::from_secs(1)),
        // Only at the end of chrono's calendar (year 262143).
        None => MAX_RETRY_AFTER,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn seconds_form() {
        let now = at("2024-05-01T12:00:00Z");
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999", now), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn http_date_form_counts_from_now() {
        let now = at("2015-10-21T07:27:00Z");
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::from_secs(1)));
    }

    #[test]
    fn garbage_is_not_a_wait() {
        let now = at("2024-05-01T12:00:00Z");
        for value in ["", "soon", "-5", "1.5", "Wed, 32 Oct 2015 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(value, now), None, "{value:?}");
        }
    }

    #[test]
    fn next_utc_midnight() {
        assert_eq!(until_next_utc_midnight(at("2024-05-01T23:59:30Z")), Duration::from_secs(30));
        assert_eq!(until_next_utc_midnight(at("2024-05-01T00:00:00Z")), Duration::from_secs(86_400));
        assert_eq!(until_next_utc_midnight(at("2024-02-28T12:00:00+02:00")), Duration::from_secs(14 * 3600));
    }
}
