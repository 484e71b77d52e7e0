//! Circuit breakers per external service, so jobs that need a failing service snooze instead of failing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When a circuit opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long it stays open before one trial run is let through.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy { failure_threshold: 5, cool_down: Duration::from_secs(60) }
    }
}

#[derive(Debug, Default)]
struct Circuit {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

/// The breakers of one process, keyed by service name (`"tmdb"`, `"kodi:3"`).
#[derive(Debug, Default)]
pub struct Breakers {
    policy: BreakerPolicy,
    circuits: Mutex<HashMap<String, Circuit>>,
}

impl Breakers {
    /// Breakers with a policy.
    pub fn new(policy: BreakerPolicy) -> Breakers {
        Breakers { policy, circuits: Mutex::new(HashMap::new()) }
    }

    /// How long until the service may be tried again; `None` when the circuit is closed or half-open.
    pub fn open_for(&self, service: &str) -> Option<Duration> {
        let circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        let open_until = circuits.get(service)?.open_until?;
        open_until.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
    }

    /// Records a successful call: the circuit closes.
    pub fn record_success(&self, service: &str) {
        let mut circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        if let Some(circuit) = circuits.get_mut(service) {
            circuit.consecutive_failures = 0;
            circuit.open_until = None;
        }
    }

    /// Records a failed call. Returns true when this failure opened (or re-opened) the circuit.
    pub fn record_failure(&self, service: &str) -> bool {
        let mut circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        let circuit = circuits.entry(service.to_owned()).or_default();
        circuit.consecutive_failures = circuit.consecutive_failures.saturating_add(1);
        if circuit.consecutive_failures >= self.policy.failure_threshold {
            circuit.open_until = Some(Instant::now() + self.policy.cool_down);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_closes_on_success() {
        let breakers = Breakers::new(BreakerPolicy { failure_threshold: 3, cool_down: Duration::from_secs(30) });
        assert!(!breakers.record_failure("tmdb"));
        assert!(!breakers.record_failure("tmdb"));
        assert!(breakers.open_for("tmdb").is_none());
        assert!(breakers.record_failure("tmdb"));
        let left = breakers.open_for("tmdb").expect("open after three failures");
        assert!(left > Duration::from_secs(29));
        assert!(breakers.open_for("fanart").is_none(), "circuits are per service");
        breakers.record_success("tmdb");
        assert!(breakers.open_for("tmdb").is_none());
    }

    #[test]
    fn half_open_after_cool_down_and_a_failure_reopens() {
        let breakers = Breakers::new(BreakerPolicy { failure_threshold: 1, cool_down: Duration::from_millis(20) });
        breakers.record_failure("kodi:1");
        assert!(breakers.open_for("kodi:1").is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(breakers.open_for("kodi:1").is_none(), "a trial run is let through after the cool-down");
        assert!(breakers.record_failure("kodi:1"));
        assert!(breakers.open_for("kodi:1").is_some());
    }
}
