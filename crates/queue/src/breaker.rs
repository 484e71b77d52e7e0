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
    /// The cool-down is over and one call is trying the service: the others keep waiting.
    trial_running: bool,
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

    /// Asks to call the service now. `Err(wait)` while the circuit is open, or while the one trial
    /// call let through after the cool-down is still running; the caller then reports the call's
    /// end with [`Breakers::record_success`], [`Breakers::record_failure`] or [`Breakers::record_neutral`].
    pub fn try_call(&self, service: &str) -> Result<(), Duration> {
        let mut circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        let Some(circuit) = circuits.get_mut(service) else { return Ok(()) };
        let Some(open_until) = circuit.open_until else { return Ok(()) };
        if let Some(left) = open_until.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()) {
            return Err(left);
        }
        if circuit.trial_running {
            // Half-open: one call at a time finds out whether the service is back.
            return Err(self.policy.cool_down);
        }
        circuit.trial_running = true;
        Ok(())
    }

    /// Records a successful call: the circuit closes.
    pub fn record_success(&self, service: &str) {
        let mut circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        if let Some(circuit) = circuits.get_mut(service) {
            circuit.consecutive_failures = 0;
            circuit.open_until = None;
            circuit.trial_running = false;
        }
    }

    /// Records a failed call. Returns true when this failure opened (or re-opened) the circuit.
    pub fn record_failure(&self, service: &str) -> bool {
        let mut circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        let circuit = circuits.entry(service.to_owned()).or_default();
        circuit.trial_running = false;
        circuit.consecutive_failures = circuit.consecutive_failures.saturating_add(1);
        if circuit.consecutive_failures >= self.policy.failure_threshold {
            let now = Instant::now();
            // A cool-down too long for the clock means "open for good" in practice.
            circuit.open_until =
                Some(now.checked_add(self.policy.cool_down).unwrap_or(now + Duration::from_secs(86_400 * 365)));
            return true;
        }
        false
    }

    /// The services whose circuit is open now, with how long until one call is let through,
    /// by name.
    pub fn open_circuits(&self) -> Vec<(String, Duration)> {
        let circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        let now = Instant::now();
        let mut open: Vec<(String, Duration)> = circuits
            .iter()
            .filter_map(|(service, circuit)| {
                let left = circuit.open_until?.checked_duration_since(now).filter(|left| !left.is_zero())?;
                Some((service.clone(), left))
            })
            .collect();
        open.sort();
        open
    }

    /// Records a call that says nothing about the service (a permanent error, a cancellation):
    /// the circuit stays as it is, but a trial call no longer blocks the next one.
    pub fn record_neutral(&self, service: &str) {
        let mut circuits = self.circuits.lock().expect("breaker lock is never poisoned: no panics while held");
        if let Some(circuit) = circuits.get_mut(service) {
            circuit.trial_running = false;
        }
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
        let open = breakers.open_circuits();
        assert_eq!(open.iter().map(|(service, _)| service.as_str()).collect::<Vec<_>>(), ["tmdb"]);
        breakers.record_success("tmdb");
        assert!(breakers.open_for("tmdb").is_none());
        assert!(breakers.open_circuits().is_empty());
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

    #[test]
    fn half_open_lets_one_trial_call_through_at_a_time() {
        let breakers = Breakers::new(BreakerPolicy { failure_threshold: 2, cool_down: Duration::from_millis(20) });
        assert_eq!(breakers.try_call("tmdb"), Ok(()), "closed");
        assert_eq!(breakers.try_call("tmdb"), Ok(()), "closed circuits let every call through");
        breakers.record_failure("tmdb");
        breakers.record_failure("tmdb");
        assert!(breakers.try_call("tmdb").is_err(), "open");
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(breakers.try_call("tmdb"), Ok(()), "the trial");
        assert!(breakers.try_call("tmdb").is_err(), "no second call while the trial runs");
        breakers.record_neutral("tmdb");
        assert_eq!(breakers.try_call("tmdb"), Ok(()), "a neutral end lets the next trial through");
        assert!(breakers.record_failure("tmdb"), "a failed trial re-opens at once");
        assert!(breakers.try_call("tmdb").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(breakers.try_call("tmdb"), Ok(()));
        breakers.record_success("tmdb");
        assert_eq!(breakers.try_call("tmdb"), Ok(()), "closed again");
        assert_eq!(breakers.try_call("tmdb"), Ok(()));
    }

    #[test]
    fn a_huge_cool_down_does_not_panic() {
        let breakers = Breakers::new(BreakerPolicy { failure_threshold: 1, cool_down: Duration::MAX });
        assert!(breakers.record_failure("kodi:1"));
        assert!(breakers.try_call("kodi:1").is_err());
    }
}
