//! Sign-in attempt limits: at most [`MAX_FAILURES`] failed sign-ins per [`WINDOW`] for each client
//! address and for each account name (issue 11), kept in memory.
//!
//! Argon2 makes each guess cost time, but not few enough of them: without a limit anyone who
//! reaches the page can guess passwords all day. Two keys, because an attacker can spread
//! guesses over many accounts from one address, or over many addresses against one account.
//! An attempt counts before its password is checked, so parallel guesses cannot slip in while
//! the first ones are still being verified; a successful sign-in clears its address and account.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per key within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most; beyond, the stalest are forgotten, so a spray of made-up account
/// names cannot grow memory without bound.
const MAX_KEYS: usize = 10_000;
/// Account names are keyed by at most this many characters (longer ones are no account).
const MAX_NAME_CHARS: usize = 256;

/// What attempts are counted by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Account(String),
}

/// The failed attempts of every key, in memory: a restart forgets them, which costs an attacker
/// a restart they cannot cause.
#[derive(Debug, Default)]
pub struct SignInLimits {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// Another sign-in may be tried only after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl SignInLimits {
    /// Records an attempt by `address` for `account`, counted as a failure until
    /// [`SignInLimits::succeeded`] says otherwise; refused when either key is at its limit.
    pub fn attempt(&self, address: IpAddr, account: &str) -> Result<(), RetryAfter> {
        self.attempt_at(Instant::now(), address, account)
    }

    /// The attempt succeeded: its address and account start afresh.
    pub fn succeeded(&self, address: IpAddr, account: &str) {
        let mut failures = self.lock();
        failures.remove(&Key::Address(address));
        failures.remove(&account_key(account));
    }

    fn attempt_at(&self, now: Instant, address: IpAddr, account: &str) -> Result<(), RetryAfter> {
        let keys = [Key::Address(address), account_key(account)];
        let mut failures = self.lock();
        let mut wait = Duration::ZERO;
        for key in &keys {
            if let Some(times) = failures.get_mut(key) {
                forget_expired(times, now);
                if times.len() >= MAX_FAILURES {
                    let oldest = times.front().copied().unwrap_or(now);
                    wait = wait.max((oldest + WINDOW).saturating_duration_since(now));
                }
            }
        }
        if !wait.is_zero() {
            return Err(RetryAfter(wait));
        }
        for key in keys {
            if !failures.contains_key(&key) && failures.len() >= MAX_KEYS {
                make_room(&mut failures, now);
            }
            let times = failures.entry(key.clone()).or_default();
            times.push_back(now);
            if times.len() == MAX_FAILURES {
                tracing::warn!(?key, "sign-in limit reached: further attempts are refused for a while");
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        // A panic while the map was held leaves it consistent enough to count attempts.
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn account_key(account: &str) -> Key {
    Key::Account(account.trim().chars().take(MAX_NAME_CHARS).collect())
}

fn forget_expired(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|time| now.saturating_duration_since(*time) >= WINDOW) {
        times.pop_front();
    }
}

/// Drops keys with no failure left in the window, or else the tenth whose last failure is
/// oldest: evicting in bulk keeps a spray of made-up names from costing a full sweep per attempt.
fn make_room(failures: &mut HashMap<Key, VecDeque<Instant>>, now: Instant) {
    failures.retain(|_, times| {
        forget_expired(times, now);
        !times.is_empty()
    });
    if failures.len() >= MAX_KEYS {
        let mut by_age: Vec<(Option<Instant>, Key)> =
            failures.iter().map(|(key, times)| (times.back().copied(), key.clone())).collect();
        by_age.sort_unstable_by_key(|(last, _)| *last);
        for (_, key) in by_age.into_iter().take(MAX_KEYS / 10) {
            failures.remove(&key);
        }
    }
}

/// The client's address: the peer, or, when the peer is a reverse proxy on this machine
/// (loopback with forwarding headers), the client it names. Forwarding headers from any other
/// peer are ignored: anyone could send them to spread guesses over made-up addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ClientAddress, Infallible> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_canonical());
        // Without connection info (never the case behind the server) all clients share one key.
        let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = if peer.is_loopback() { forwarded_client(&parts.headers) } else { None };
        Ok(ClientAddress(forwarded.unwrap_or(peer)))
    }
}

/// The client a proxy names: `X-Real-IP`, else the last `X-Forwarded-For` entry (the one the
/// nearest proxy added), else the last `for=` of `Forwarded`.
fn forwarded_client(headers: &HeaderMap) -> Option<IpAddr> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(address) = header("x-real-ip").and_then(parse_address) {
        return Some(address);
    }
    if let Some(address) = header("x-forwarded-for").and_then(|value| value.rsplit(',').next()).and_then(parse_address)
    {
        return Some(address);
    }
    header("forwarded")?
        .rsplit(',')
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("for"))
        .and_then(|(_, value)| parse_address(value))
}

/// `203.0.113.9`, `"[2001:db8::1]:4711"`, `203.0.113.9:4711`.
fn parse_address(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(address) = value.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Ok(socket) = value.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    value.strip_prefix('[').and_then(|rest| rest.split_once(']')).and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn each_key_allows_five_failures_per_window() {
        let limits = SignInLimits::default();
        let start = Instant::now();
        for attempt in 0..MAX_FAILURES {
            let address = IpAddr::V4(Ipv4Addr::new(198, 51, 100, u8::try_from(attempt).expect("small")));
            assert_eq!(limits.attempt_at(start, address, "ann"), Ok(()));
        }
        let refused = limits.attempt_at(start + Duration::from_secs(60), HOME, "ann").expect_err("account limit");
        assert_eq!(refused, RetryAfter(WINDOW - Duration::from_secs(60)));
        assert_eq!(limits.attempt_at(start + WINDOW, HOME, "ann"), Ok(()), "the window has passed");
    }

    #[test]
    fn success_clears_its_address_and_account() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            limits.attempt_at(now, HOME, " ann ").expect("allowed");
        }
        limits.succeeded(HOME, "ann");
        for _ in 0..MAX_FAILURES {
            limits.attempt_at(now, HOME, "ann").expect("allowed again");
        }
        assert!(limits.attempt_at(now, HOME, "bob").is_err(), "the address is at its limit");
    }

    #[test]
    fn memory_stays_bounded() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        for index in 0..MAX_KEYS + 100 {
            let address = IpAddr::V6(std::net::Ipv6Addr::from(u128::try_from(index).expect("fits")));
            let _ = limits.attempt_at(now, address, &format!("user{index}"));
        }
        assert!(limits.lock().len() <= MAX_KEYS);
    }

    #[test]
    fn forwarded_clients_are_read_from_the_usual_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_client(&headers), None);
        headers.insert("forwarded", HeaderValue::from_static("for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\""));
        assert_eq!(forwarded_client(&headers), "2001:db8::1".parse().ok());
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1, 203.0.113.9"));
        assert_eq!(forwarded_client(&headers), "203.0.113.9".parse().ok());
        headers.insert("x-real-ip", HeaderValue::from_static("198.51.100.2"));
        assert_eq!(forwarded_client(&headers), "198.51.100.2".parse().ok());
    }
}
