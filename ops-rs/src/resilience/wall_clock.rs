//! Wall-clock time for circuit breakers, injectable so tests move it by hand.
//!
//! A breaker's state outlives the hook process, so it is timed with wall-clock timestamps
//! (milliseconds since the Unix epoch) stored with the state, not with [`std::time::Instant`].

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time, in milliseconds since the Unix epoch.
pub trait WallClock: Send + Sync + Debug {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now_ms(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            // A clock before 1970 is broken; treat it as the epoch.
            Err(_) => 0,
        }
    }
}

/// A wall clock that moves only when told; clones share the time.
///
/// ```
/// use std::time::Duration;
/// use ops::resilience::{ManualWallClock, WallClock};
/// let clock = ManualWallClock::at_ms(1_000);
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now_ms(), 3_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualWallClock {
    ms: Arc<AtomicI64>,
}

impl ManualWallClock {
    /// A clock standing at `ms` milliseconds since the epoch.
    pub fn at_ms(ms: i64) -> Self {
        ManualWallClock {
            ms: Arc::new(AtomicI64::new(ms)),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.ms.fetch_add(duration_ms(d), Ordering::SeqCst);
    }

    /// Sets the clock (backwards too: wall clocks can jump).
    pub fn set_ms(&self, ms: i64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl WallClock for ManualWallClock {
    fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}

/// `d` in whole milliseconds, saturating.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemWallClock.now_ms() > 1_577_836_800_000);
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualWallClock::at_ms(5);
        let b = a.clone();
        a.advance(Duration::from_millis(10));
        assert_eq!(b.now_ms(), 15);
        b.set_ms(1);
        assert_eq!(a.now_ms(), 1);
    }
}
