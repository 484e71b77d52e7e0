//! The hook in front of every request, where the app puts its rate limit and quota (which
//! must hold across processes, so they live with the database), and the simple in-process
//! limiter the clients use when the app gives none.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::provider::Provider;

/// Called by a client before each request it sends.
///
/// An implementation may wait (pacing requests), or refuse with a [`Refusal`] when the call
/// must not happen now (a daily quota is spent): the client then sends nothing and answers
/// [`ProviderError::RateLimited`](crate::ProviderError::RateLimited) with
/// [`RateLimitKind::Local`](crate::RateLimitKind::Local).
#[async_trait]
pub trait Gate: Send + Sync {
    /// Waits until a request to `provider` may go out, or refuses it.
    async fn before_request(&self, provider: Provider) -> Result<(), Refusal>;
}

/// A gate's "not now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// When the request may be tried again.
    pub retry_after: Duration,
}

/// A gate that lets every request through at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ungated;

#[async_trait]
impl Gate for Ungated {
    async fn before_request(&self, _provider: Provider) -> Result<(), Refusal> {
        Ok(())
    }
}

/// An in-process limit of `n` requests per second: requests are spaced `1/n` s apart, in
/// the order they asked, and never refused.
///
/// It holds for the clients that share it within one process only; the app replaces it with
/// a gate backed by the database when several processes share a provider's limit. Spacing
/// rather than bursting keeps any one-second window at `n` requests or fewer.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// The earliest moment the next request may go out.
    next_slot: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limit of `requests` per second.
    pub fn per_second(requests: NonZeroU32) -> Self {
        RateLimiter { interval: Duration::from_secs(1) / requests.get(), next_slot: Mutex::new(None) }
    }

    /// The time between two requests.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Reserves the next free slot and returns it; the caller waits until then.
    fn reserve(&self) -> Instant {
        let now = Instant::now();
        // A poisoned lock only means another task panicked between two plain assignments;
        // the slot it holds is still a valid instant.
        let mut next_slot = self.next_slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = next_slot.map_or(now, |next| next.max(now));
        *next_slot = Some(slot + self.interval);
        slot
    }
}

#[async_trait]
impl Gate for RateLimiter {
    async fn before_request(&self, _provider: Provider) -> Result<(), Refusal> {
        // The lock is released before waiting; a dropped caller leaves its slot unused,
        // which only makes the limit stricter.
        let slot = self.reserve();
        tokio::time::sleep_until(slot).await;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_the_interval() {
        let limiter = RateLimiter::per_second(NonZeroU32::new(4).unwrap());
        assert_eq!(limiter.interval(), Duration::from_millis(250));
        let start = Instant::now();
        let mut passed_at = Vec::new();
        for _ in 0..5 {
            limiter.before_request(Provider::Tmdb).await.unwrap();
            passed_at.push(start.elapsed());
        }
        let expected: Vec<Duration> = (0..5).map(|slot| Duration::from_millis(250 * slot)).collect();
        assert_eq!(passed_at, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_limit() {
        let limiter = Arc::new(RateLimiter::per_second(NonZeroU32::new(10).unwrap()));
        let start = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                tokio::spawn(async move {
                    limiter.before_request(Provider::Omdb).await.unwrap();
                    start.elapsed()
                })
            })
            .collect();
        let mut passed_at = Vec::new();
        for task in tasks {
            passed_at.push(task.await.unwrap());
        }
        passed_at.sort();
        // In any one-second window, at most 10 requests pass.
        for (index, at) in passed_at.iter().enumerate().skip(10) {
            assert!(*at - passed_at[index - 10] >= Duration::from_secs(1), "{passed_at:?}");
        }
        assert_eq!(passed_at.last().copied(), Some(Duration::from_millis(1900)));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_lets_the_next_request_through_at_once() {
        let limiter = RateLimiter::per_second(NonZeroU32::new(2).unwrap());
        limiter.before_request(Provider::Fanart).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        limiter.before_request(Provider::Fanart).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
