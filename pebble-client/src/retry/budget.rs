//! [`Budget`]: a time limit for a whole stretch of work (a hook) that every retry respects.
//!
//! A budget is per thread: [`Budget::start`] registers a deadline on the current thread
//! and returns a guard; until the guard is dropped, every retry loop running on this thread
//! (the Pebble client's and any code using [`Attempts`](super::Attempts)) gives up rather
//! than sleep past it. Budgets nest: the earliest deadline on the thread wins, so an inner
//! budget can shorten the time left but never extend it.
//!
//! The rule, in one line: **a retry never waits past the policy's deadline or the nearest
//! budget, whichever comes first**; the budget never cuts an attempt short (the policy's
//! deadline and the request timeout bound it: see [how long a call can take](super#how-long-a-call-can-take)),
//! and the first attempt is always made.
//!
//! The blocking Pebble client runs its calls on the calling thread, so it sees the budget.
//! Async code sees it when polled on the thread that started the budget (a current-thread
//! runtime); a task on another thread does not, and should start its own budget from
//! [`Budget::deadline`].

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use super::clock::{Clock, SystemClock};

thread_local! {
    static BUDGETS: RefCell<Vec<(u64, Instant)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// A deadline registered on the current thread until this guard is dropped.
///
/// ```
/// use std::time::Duration;
/// use pebble_client::retry::{Budget, ManualClock};
///
/// let clock = ManualClock::new();
/// let hook = Budget::start_with_clock(Duration::from_secs(30), &clock);
/// {
///     let _step = Budget::start_with_clock(Duration::from_secs(60), &clock);
///     // The hook's 30 s still bind: an inner budget never extends an outer one.
///     assert_eq!(Budget::current(), Some(hook.deadline()));
/// }
/// clock.advance(Duration::from_secs(10));
/// assert_eq!(hook.remaining(&clock), Duration::from_secs(20));
/// drop(hook);
/// assert_eq!(Budget::current(), None);
/// ```
#[derive(Debug)]
#[must_use = "the budget ends when this guard is dropped"]
pub struct Budget {
    id: u64,
    deadline: Instant,
}

impl Budget {
    /// A budget of `limit` from now (real time).
    pub fn start(limit: Duration) -> Budget {
        Self::start_with_clock(limit, &SystemClock)
    }

    /// A budget of `limit` from `clock`'s now (tests pass the [`ManualClock`](super::ManualClock)
    /// their retry policies use).
    pub fn start_with_clock(limit: Duration, clock: &dyn Clock) -> Budget {
        let now = clock.now();
        // An unrepresentable deadline is as good as none: a century is enough.
        let deadline = now
            .checked_add(limit)
            .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
            .unwrap_or(now);
        Self::until(deadline)
    }

    /// A budget ending at `deadline`.
    pub fn until(deadline: Instant) -> Budget {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1));
            id
        });
        BUDGETS.with(|b| b.borrow_mut().push((id, deadline)));
        Budget { id, deadline }
    }

    /// This budget's own deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The time left before this budget's deadline, by `clock` (zero once past).
    pub fn remaining(&self, clock: &dyn Clock) -> Duration {
        self.deadline.saturating_duration_since(clock.now())
    }

    /// The earliest deadline of the budgets started on this thread, if any.
    pub fn current() -> Option<Instant> {
        BUDGETS.with(|b| b.borrow().iter().map(|&(_, d)| d).min())
    }

    /// The time left before the earliest budget on this thread, by `clock`; `None` without
    /// a budget.
    pub fn current_remaining(clock: &dyn Clock) -> Option<Duration> {
        Self::current().map(|d| d.saturating_duration_since(clock.now()))
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        // Dropped on another thread, or after the thread-local is gone: nothing to remove.
        let _ = BUDGETS.try_with(|b| b.borrow_mut().retain(|&(id, _)| id != self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::ManualClock;

    #[test]
    fn the_earliest_budget_wins_and_guards_drop_in_any_order() {
        let clock = ManualClock::new();
        assert_eq!(Budget::current(), None);
        let long = Budget::start_with_clock(Duration::from_secs(60), &clock);
        let short = Budget::start_with_clock(Duration::from_secs(5), &clock);
        assert_eq!(Budget::current(), Some(short.deadline()));
        drop(long);
        assert_eq!(Budget::current(), Some(short.deadline()));
        assert_eq!(
            Budget::current_remaining(&clock),
            Some(Duration::from_secs(5))
        );
        clock.advance(Duration::from_secs(9));
        assert_eq!(Budget::current_remaining(&clock), Some(Duration::ZERO));
        drop(short);
        assert_eq!(Budget::current(), None);
    }

    #[test]
    fn budgets_are_per_thread() {
        let _b = Budget::start(Duration::from_secs(1));
        let other = std::thread::spawn(Budget::current).join().ok().flatten();
        assert_eq!(other, None);
        assert!(Budget::current().is_some());
    }

    #[test]
    fn a_huge_limit_does_not_overflow() {
        let b = Budget::start(Duration::MAX);
        assert!(b.remaining(&SystemClock) > Duration::from_secs(3600));
    }
}
