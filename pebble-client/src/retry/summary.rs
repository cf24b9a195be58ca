//! [`RetrySummary`]: how many retries each named call made on this thread, and how long
//! they waited — the per-hook summary.
//!
//! Recording is off until [`RetrySummary::record`] starts it on the current thread; the
//! retry loop then adds every retry and every give-up to it, whoever runs the loop (the
//! Pebble client or charm code). ops-rs records one summary per dispatch and logs it.
//! Recording costs nothing on the success path: only failed attempts touch it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

thread_local! {
    static CURRENT: RefCell<Option<RetrySummary>> = const { RefCell::new(None) };
}

/// The retries of one named call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallRetries {
    /// Retries made (attempts after the first).
    pub retries: u32,
    /// Time spent waiting between attempts.
    pub waited: Duration,
    /// How many times retrying stopped with the call still failing.
    pub gave_up: u32,
}

/// Retries per call name, in name order.
///
/// ```
/// use std::time::Duration;
/// use pebble_client::retry::{Attempts, Next, RecordingSleeper, RetryPolicy, RetrySummary};
///
/// let sleeper = RecordingSleeper::new();
/// let policy = RetryPolicy::default().max_attempts(2).sleeper(sleeper.clone()).clock(sleeper.clock());
/// let recording = RetrySummary::record();
/// let mut attempts = Attempts::start(&policy, "fetch");
/// assert!(matches!(attempts.next(None), Next::Retry(_)));
/// assert!(matches!(attempts.next(None), Next::GiveUp(_)));
/// let summary = recording.finish();
/// let fetch = summary.get("fetch").unwrap();
/// assert_eq!((fetch.retries, fetch.gave_up), (1, 1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrySummary {
    calls: BTreeMap<String, CallRetries>,
}

/// Records retries on this thread until [`finish`](Recording::finish)ed or dropped.
///
/// Recordings nest: an inner recording sees only its own retries, and they are added to the
/// outer one when it finishes.
#[derive(Debug)]
#[must_use = "recording stops when this guard is dropped"]
pub struct Recording {
    outer: Option<RetrySummary>,
    done: bool,
}

impl RetrySummary {
    /// Starts recording retries on the current thread.
    pub fn record() -> Recording {
        let outer = CURRENT.with(|c| c.borrow_mut().replace(RetrySummary::default()));
        Recording { outer, done: false }
    }

    /// Whether no call retried.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The retries of the call named `name`.
    pub fn get(&self, name: &str) -> Option<&CallRetries> {
        self.calls.get(name)
    }

    /// Every call that retried, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CallRetries)> {
        self.calls.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Retries of all calls.
    pub fn total_retries(&self) -> u32 {
        self.calls.values().map(|c| c.retries).sum()
    }

    /// Time all calls spent waiting.
    pub fn total_waited(&self) -> Duration {
        self.calls.values().map(|c| c.waited).sum()
    }

    fn merge(&mut self, other: RetrySummary) {
        for (name, c) in other.calls {
            let e = self.calls.entry(name).or_default();
            e.retries += c.retries;
            e.waited += c.waited;
            e.gave_up += c.gave_up;
        }
    }
}

impl fmt::Display for RetrySummary {
    /// `db: 2 retries, waited 150ms; get-plan: 1 retry, waited 40ms, gave up 1 time`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, c)) in self.calls.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let s = if c.retries == 1 { "y" } else { "ies" };
            write!(f, "{name}: {} retr{s}, waited {:?}", c.retries, c.waited)?;
            if c.gave_up > 0 {
                let s = if c.gave_up == 1 { "" } else { "s" };
                write!(f, ", gave up {} time{s}", c.gave_up)?;
            }
        }
        Ok(())
    }
}

impl Recording {
    /// Stops recording and returns what was recorded (also added to an outer recording).
    pub fn finish(mut self) -> RetrySummary {
        self.stop()
    }

    fn stop(&mut self) -> RetrySummary {
        self.done = true;
        let outer = self.outer.take();
        CURRENT
            .try_with(|c| {
                let mut cur = c.borrow_mut();
                let mine = cur.take().unwrap_or_default();
                if let Some(mut outer) = outer {
                    outer.merge(mine.clone());
                    *cur = Some(outer);
                }
                mine
            })
            .unwrap_or_default()
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if !self.done {
            self.stop();
        }
    }
}

pub(super) fn record_retry(name: &str, wait: Duration) {
    let _ = CURRENT.try_with(|c| {
        if let Some(s) = c.borrow_mut().as_mut() {
            let e = entry(s, name);
            e.retries += 1;
            e.waited += wait;
        }
    });
}

pub(super) fn record_give_up(name: &str) {
    let _ = CURRENT.try_with(|c| {
        if let Some(s) = c.borrow_mut().as_mut() {
            entry(s, name).gave_up += 1;
        }
    });
}

fn entry<'s>(s: &'s mut RetrySummary, name: &str) -> &'s mut CallRetries {
    s.calls.entry(name.to_owned()).or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_recorded_without_a_recording() {
        record_retry("x", Duration::from_millis(5));
        let r = RetrySummary::record();
        assert!(r.finish().is_empty());
    }

    #[test]
    fn recordings_nest_and_merge_outward() {
        let outer = RetrySummary::record();
        record_retry("a", Duration::from_millis(10));
        let inner = RetrySummary::record();
        record_retry("a", Duration::from_millis(5));
        record_give_up("b");
        let inner = inner.finish();
        assert_eq!(inner.get("a").map(|c| c.retries), Some(1));
        let outer = outer.finish();
        assert_eq!(
            outer.get("a"),
            Some(&CallRetries {
                retries: 2,
                waited: Duration::from_millis(15),
                gave_up: 0
            })
        );
        assert_eq!(outer.get("b").map(|c| c.gave_up), Some(1));
        assert_eq!(outer.total_retries(), 2);
        assert_eq!(outer.total_waited(), Duration::from_millis(15));
        assert_eq!(
            outer.to_string(),
            "a: 2 retries, waited 15ms; b: 0 retries, waited 0ns, gave up 1 time"
        );
    }

    #[test]
    fn a_dropped_recording_stops() {
        drop(RetrySummary::record());
        record_retry("x", Duration::ZERO);
        assert!(RetrySummary::record().finish().is_empty());
    }
}
