//! The retry policy: how many attempts, how long to wait, and for how long in all.

use std::sync::Arc;
use std::time::Duration;

use super::clock::{Clock, Sleeper, SystemClock, TokioSleeper};

/// How a call is retried. Cheap to clone (the clock and sleeper are shared).
///
/// Build from [`RetryPolicy::default`] (charm-hook defaults, see the [module docs](super))
/// or [`RetryPolicy::never`] and adjust with the setters.
#[derive(Debug, Clone)]
#[must_use]
pub struct RetryPolicy {
    pub(super) max_attempts: u32,
    pub(super) base: Duration,
    pub(super) factor: f64,
    pub(super) cap: Duration,
    pub(super) deadline: Duration,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) sleeper: Arc<dyn Sleeper>,
}

impl Default for RetryPolicy {
    /// The defaults, stated once in the [module's table](crate::retry) and held to it here:
    ///
    /// ```
    /// use std::time::Duration;
    /// use pebble_client::retry::RetryPolicy;
    /// let p = RetryPolicy::default();
    /// assert_eq!(p.get_max_attempts(), 6);
    /// assert_eq!(p.get_base_delay(), Duration::from_millis(50));
    /// assert_eq!(p.get_factor(), 2.0);
    /// assert_eq!(p.get_max_delay(), Duration::from_millis(500));
    /// assert_eq!(p.get_deadline(), Duration::from_secs(2));
    /// ```
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_millis(50),
            factor: 2.0,
            cap: Duration::from_millis(500),
            deadline: Duration::from_secs(2),
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries (for tests, or calls the caller retries itself).
    pub fn never() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, including the first (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The upper bound of the first wait.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base = d;
        self
    }

    /// The growth of the wait bound per retry (at least 1.0).
    pub fn factor(mut self, f: f64) -> Self {
        self.factor = if f.is_finite() { f.max(1.0) } else { 1.0 };
        self
    }

    /// The largest wait bound.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.cap = d;
        self
    }

    /// The time budget from the start of the first attempt, attempts included.
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }

    /// The clock used for the deadline.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The sleeper used between attempts.
    pub fn sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Attempts in all.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The time budget.
    pub fn get_deadline(&self) -> Duration {
        self.deadline
    }

    /// The bound of the first wait.
    pub fn get_base_delay(&self) -> Duration {
        self.base
    }

    /// How much the wait bound grows per retry.
    pub fn get_factor(&self) -> f64 {
        self.factor
    }

    /// The longest wait bound.
    pub fn get_max_delay(&self) -> Duration {
        self.cap
    }

    /// The wait bound before retry `n` (from 0): `min(cap, base·factorⁿ)`.
    pub fn wait_bound(&self, retry: u32) -> Duration {
        let exp = i32::try_from(retry).unwrap_or(i32::MAX);
        let bound = self.base.as_secs_f64() * self.factor.powi(exp);
        if !bound.is_finite() || bound >= self.cap.as_secs_f64() {
            self.cap
        } else {
            Duration::from_secs_f64(bound.max(0.0))
        }
    }

    /// A random wait in `[0, wait_bound(retry)]` (full jitter).
    pub fn jittered_wait(&self, retry: u32) -> Duration {
        let bound = self.wait_bound(retry);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_grow_then_cap() {
        let p = RetryPolicy::default();
        let bounds: Vec<u128> = (0..6).map(|n| p.wait_bound(n).as_millis()).collect();
        assert_eq!(bounds, [50, 100, 200, 400, 500, 500]);
        assert_eq!(p.wait_bound(10_000), Duration::from_millis(500));
        for n in 0..6 {
            assert!(p.jittered_wait(n) <= p.wait_bound(n));
        }
    }

    #[test]
    fn setters_clamp() {
        let p = RetryPolicy::never().max_attempts(0).factor(f64::NAN);
        assert_eq!(p.max_attempts, 1);
        assert_eq!(p.factor, 1.0);
    }
}
