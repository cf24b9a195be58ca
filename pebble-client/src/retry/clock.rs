//! Time sources and sleepers for the retry loop, injectable so tests never really wait.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A source of "now" for deadlines.
pub trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// Sleeps between attempts.
pub trait Sleeper: Send + Sync + Debug {
    /// Waits for `d` (async retries).
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;

    /// Waits for `d`, blocking the thread (retries of synchronous code). The default blocks
    /// with `std::thread::sleep`, and not at all when [`super::set_sleep_enabled`] is off;
    /// a sleeper that only records waits overrides it.
    fn sleep_blocking(&self, d: Duration) {
        if super::sleep_enabled() {
            std::thread::sleep(d);
        }
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Sleeps with `tokio::time::sleep`, or `std::thread::sleep` for blocking retries (either
/// is a no-op when [`super::set_sleep_enabled`] is off).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if super::sleep_enabled() {
                tokio::time::sleep(d).await;
            }
        })
    }
}

/// A clock that only moves when told to (or when a [`RecordingSleeper`] sleeps).
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at the current instant.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

/// A sleeper that never waits: it records each wait and advances its [`ManualClock`].
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper {
    waits: Arc<Mutex<Vec<Duration>>>,
    clock: ManualClock,
}

impl RecordingSleeper {
    /// A sleeper with its own manual clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The clock this sleeper advances (give it to the policy too).
    pub fn clock(&self) -> ManualClock {
        self.clock.clone()
    }

    /// The waits so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl RecordingSleeper {
    fn record(&self, d: Duration) {
        self.waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(d);
        self.clock.advance(d);
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.record(d);
        Box::pin(std::future::ready(()))
    }

    fn sleep_blocking(&self, d: Duration) {
        self.record(d);
    }
}
