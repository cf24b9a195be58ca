//! The circuit breaker's policy and state machine (pure: time comes in as a timestamp).
//!
//! - **Closed**: calls go through; each failure is remembered with its time. When
//!   `failures` of them fall within `window`, the breaker opens. Failures older than the
//!   window are forgotten; a success does not erase the recent ones (N failures in a window,
//!   not N in a row, so a flapping service trips it too).
//! - **Open**: calls fail fast, without running, until `cool_down` has passed since it
//!   opened.
//! - **Half-open**: after the cool-down, calls go through as trials; the first outcome
//!   decides: a success closes the breaker (forgetting the failures), a failure re-opens it
//!   for another cool-down.
//!
//! If the wall clock jumps back before the time the breaker opened, the cool-down restarts
//! from the new "now" rather than lasting until the old, far-away end.

use std::sync::Arc;
use std::time::Duration;

use super::wall_clock::{SystemWallClock, WallClock, duration_ms};

/// How a circuit breaker trips and recovers. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use ops::resilience::BreakerPolicy;
/// let p = BreakerPolicy::default()
///     .failures(3)
///     .window(Duration::from_secs(600))
///     .cool_down(Duration::from_secs(300));
/// assert_eq!(p.get_failures(), 3);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct BreakerPolicy {
    failures: u32,
    window: Duration,
    cool_down: Duration,
    clock: Arc<dyn WallClock>,
}

impl Default for BreakerPolicy {
    /// 3 failures within 15 minutes open it for 5 minutes: with update-status every 5
    /// minutes, a dependency down for three hooks in a row is left alone for one.
    fn default() -> Self {
        BreakerPolicy {
            failures: 3,
            window: Duration::from_secs(15 * 60),
            cool_down: Duration::from_secs(5 * 60),
            clock: Arc::new(SystemWallClock),
        }
    }
}

impl BreakerPolicy {
    /// Failures within the window that open the breaker (at least 1).
    pub fn failures(mut self, n: u32) -> Self {
        self.failures = n.max(1);
        self
    }

    /// How far back failures count.
    pub fn window(mut self, d: Duration) -> Self {
        self.window = d;
        self
    }

    /// How long an open breaker fails fast before it lets a trial call through.
    pub fn cool_down(mut self, d: Duration) -> Self {
        self.cool_down = d;
        self
    }

    /// The wall clock (tests pass a [`ManualWallClock`](super::ManualWallClock)).
    pub fn clock(mut self, clock: impl WallClock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Failures within the window that open the breaker.
    pub fn get_failures(&self) -> u32 {
        self.failures
    }

    /// The window.
    pub fn get_window(&self) -> Duration {
        self.window
    }

    /// The cool-down.
    pub fn get_cool_down(&self) -> Duration {
        self.cool_down
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerStatus {
    /// Calls go through; `recent_failures` happened within the window.
    Closed {
        /// Failures within the window.
        recent_failures: u32,
    },
    /// Calls fail fast until `until_ms` (milliseconds since the Unix epoch).
    Open {
        /// The end of the cool-down.
        until_ms: i64,
    },
    /// The cool-down is over: the next call is a trial.
    HalfOpen,
}

/// A breaker's persisted state (one JSON document per name in the state store).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct BreakerState {
    /// Times (ms since the epoch) of failures within the window, while closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) failures: Vec<i64>,
    /// When it opened (ms since the epoch); `None` while closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) opened_at: Option<i64>,
}

impl BreakerState {
    /// Whether there is nothing worth storing (closed, no recent failures).
    pub(crate) fn is_idle(&self) -> bool {
        self.opened_at.is_none() && self.failures.is_empty()
    }

    pub(crate) fn status(&mut self, p: &BreakerPolicy, now: i64) -> BreakerStatus {
        match self.opened_at {
            Some(opened) => {
                let opened = if now < opened {
                    // The clock jumped back: restart the cool-down from now.
                    self.opened_at = Some(now);
                    now
                } else {
                    opened
                };
                let until = opened.saturating_add(duration_ms(p.cool_down));
                if now < until {
                    BreakerStatus::Open { until_ms: until }
                } else {
                    BreakerStatus::HalfOpen
                }
            }
            None => {
                self.forget_old(p, now);
                BreakerStatus::Closed {
                    recent_failures: u32::try_from(self.failures.len()).unwrap_or(u32::MAX),
                }
            }
        }
    }

    fn forget_old(&mut self, p: &BreakerPolicy, now: i64) {
        let since = now.saturating_sub(duration_ms(p.window));
        self.failures.retain(|&t| t > since && t <= now);
    }

    pub(crate) fn record_success(&mut self, p: &BreakerPolicy, now: i64) {
        if self.opened_at.is_some() {
            *self = BreakerState::default();
        } else {
            self.forget_old(p, now);
        }
    }

    /// Records a failure; returns whether this opened (or re-opened) the breaker.
    pub(crate) fn record_failure(&mut self, p: &BreakerPolicy, now: i64) -> bool {
        if self.opened_at.is_some() {
            // A failed trial (or a failure reported while open): another cool-down.
            self.opened_at = Some(now);
            return true;
        }
        self.forget_old(p, now);
        self.failures.push(now);
        if self.failures.len() >= p.failures as usize {
            self.failures.clear();
            self.opened_at = Some(now);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn policy() -> BreakerPolicy {
        BreakerPolicy::default()
            .failures(3)
            .window(Duration::from_secs(600))
            .cool_down(Duration::from_secs(300))
    }

    #[test]
    fn opens_after_n_failures_within_the_window() {
        let p = policy();
        let mut s = BreakerState::default();
        assert!(!s.record_failure(&p, 0));
        assert!(!s.record_failure(&p, MIN));
        assert_eq!(
            s.status(&p, MIN),
            BreakerStatus::Closed { recent_failures: 2 }
        );
        assert!(s.record_failure(&p, 2 * MIN));
        assert_eq!(
            s.status(&p, 3 * MIN),
            BreakerStatus::Open { until_ms: 7 * MIN }
        );
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let p = policy();
        let mut s = BreakerState::default();
        s.record_failure(&p, 0);
        s.record_failure(&p, 2 * MIN);
        assert!(!s.record_failure(&p, 11 * MIN)); // the first is 11 min old
        assert_eq!(
            s.status(&p, 11 * MIN),
            BreakerStatus::Closed { recent_failures: 2 }
        );
        assert_eq!(
            s.status(&p, 30 * MIN),
            BreakerStatus::Closed { recent_failures: 0 }
        );
        assert!(s.is_idle());
    }

    #[test]
    fn a_success_while_closed_keeps_recent_failures() {
        let p = policy();
        let mut s = BreakerState::default();
        s.record_failure(&p, 0);
        s.record_success(&p, MIN);
        s.record_failure(&p, 2 * MIN);
        assert!(s.record_failure(&p, 3 * MIN));
    }

    #[test]
    fn half_open_trial_closes_or_reopens() {
        let p = policy().failures(1);
        let mut s = BreakerState::default();
        assert!(s.record_failure(&p, 0));
        assert_eq!(s.status(&p, 5 * MIN), BreakerStatus::HalfOpen);
        assert!(s.record_failure(&p, 5 * MIN)); // the trial failed
        assert_eq!(
            s.status(&p, 6 * MIN),
            BreakerStatus::Open { until_ms: 10 * MIN }
        );
        assert_eq!(s.status(&p, 10 * MIN), BreakerStatus::HalfOpen);
        s.record_success(&p, 10 * MIN); // the trial worked
        assert_eq!(
            s.status(&p, 10 * MIN),
            BreakerStatus::Closed { recent_failures: 0 }
        );
        assert!(s.is_idle());
    }

    #[test]
    fn a_clock_jumping_back_restarts_the_cool_down() {
        let p = policy().failures(1);
        let mut s = BreakerState::default();
        s.record_failure(&p, 1_000 * MIN);
        assert_eq!(
            s.status(&p, 10 * MIN),
            BreakerStatus::Open { until_ms: 15 * MIN }
        );
        assert_eq!(s.status(&p, 15 * MIN), BreakerStatus::HalfOpen);
    }

    #[test]
    fn the_stored_form_is_small_json() {
        let p = policy();
        let mut s = BreakerState::default();
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("{}"));
        s.record_failure(&p, 42);
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some(r#"{"failures":[42]}"#)
        );
        let back: BreakerState = serde_json::from_str(r#"{"opened_at":7}"#).unwrap_or_default();
        assert_eq!(back.opened_at, Some(7));
    }
}
