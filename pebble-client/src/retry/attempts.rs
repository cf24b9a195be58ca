//! [`Attempts`]: the bookkeeping of one retried operation — the single retry mechanism that
//! the Pebble client and ops-rs's retry helpers both drive.
//!
//! The caller makes an attempt, classifies a failure itself, and asks [`Attempts::next`]
//! whether to try again: the answer applies the policy (attempts, full-jitter backoff, the
//! deadline counted from the first attempt), a server hint, and the thread's
//! [`Budget`](super::Budget); it also feeds the [`RetrySummary`](super::RetrySummary). The
//! caller then sleeps with [`Attempts::sleep`] or [`Attempts::sleep_blocking`] and logs as
//! it sees fit.

use std::fmt;
use std::time::{Duration, Instant};

use super::RetryPolicy;
use super::budget::Budget;
use super::summary;

/// Why retrying stopped with the operation still failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUp {
    /// The policy's attempts are used up.
    Attempts,
    /// The next wait would end at or past the policy's deadline.
    Deadline,
    /// The next wait would end at or past the thread's [`Budget`].
    Budget,
}

impl GiveUp {
    /// A short reason, for logs: `no attempts left`, `deadline reached`, `hook budget reached`.
    pub fn reason(self) -> &'static str {
        match self {
            GiveUp::Attempts => "no attempts left",
            GiveUp::Deadline => "deadline reached",
            GiveUp::Budget => "hook budget reached",
        }
    }
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Sleep this long, then make the next attempt.
    Retry(Duration),
    /// Stop: return the failure.
    GiveUp(GiveUp),
}

/// One retried operation: its name, policy, start time and attempt count.
///
/// ```
/// use std::time::Duration;
/// use pebble_client::retry::{Attempts, GiveUp, Next, RecordingSleeper, RetryPolicy};
///
/// let sleeper = RecordingSleeper::new();
/// let policy = RetryPolicy::default()
///     .max_attempts(3)
///     .sleeper(sleeper.clone())
///     .clock(sleeper.clock());
/// let mut attempts = Attempts::start(&policy, "read-config");
/// let mut tries = 0;
/// let result: Result<u32, &str> = loop {
///     tries += 1;
///     let outcome = if tries < 3 { Err("busy") } else { Ok(7) };
///     match outcome {
///         Err(e) if e == "busy" => match attempts.next(None) {
///             Next::Retry(wait) => attempts.sleep_blocking(wait),
///             Next::GiveUp(_) => break Err(e),
///         },
///         other => break other,
///     }
/// };
/// assert_eq!(result, Ok(7));
/// assert_eq!(sleeper.waits().len(), 2);
/// assert_eq!(attempts.attempt(), 3);
/// ```
#[derive(Debug)]
pub struct Attempts<'a> {
    policy: &'a RetryPolicy,
    name: &'a str,
    start: Instant,
    attempt: u32,
    waited: Duration,
}

impl<'a> Attempts<'a> {
    /// Starts the operation `name` under `policy`: the deadline counts from now.
    pub fn start(policy: &'a RetryPolicy, name: &'a str) -> Self {
        Attempts {
            policy,
            name,
            start: policy.clock.now(),
            attempt: 1,
            waited: Duration::ZERO,
        }
    }

    /// The operation's name (in logs and the summary).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The policy.
    pub fn policy(&self) -> &'a RetryPolicy {
        self.policy
    }

    /// The number of the current attempt, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Time since the first attempt started, by the policy's clock.
    pub fn elapsed(&self) -> Duration {
        self.policy
            .clock
            .now()
            .saturating_duration_since(self.start)
    }

    /// Time spent waiting between attempts so far (as decided; see [`Next::Retry`]).
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// After a failed attempt that the caller judged transient: whether to retry, and after
    /// what wait.
    ///
    /// The wait is a full-jitter backoff, or `hint` (a server's Retry-After) when given: a
    /// hint replaces the jitter and the per-wait cap, but never the deadline or the budget.
    /// The operation gives up when the attempts are used up, or when `elapsed + wait` would
    /// reach the policy's deadline or `now + wait` the thread's [`Budget`]: it never sleeps
    /// only to have no time left. A retry is counted as soon as it is decided.
    pub fn next(&mut self, hint: Option<Duration>) -> Next {
        let decision = self.decide(hint);
        match decision {
            Next::Retry(wait) => {
                self.attempt += 1;
                self.waited += wait;
                summary::record_retry(self.name, wait);
            }
            Next::GiveUp(_) => summary::record_give_up(self.name),
        }
        decision
    }

    fn decide(&self, hint: Option<Duration>) -> Next {
        let p = self.policy;
        if self.attempt >= p.max_attempts {
            return Next::GiveUp(GiveUp::Attempts);
        }
        let wait = hint.unwrap_or_else(|| p.jittered_wait(self.attempt - 1));
        let now = p.clock.now();
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed.saturating_add(wait) >= p.deadline {
            return Next::GiveUp(GiveUp::Deadline);
        }
        if let Some(budget) = Budget::current() {
            match now.checked_add(wait) {
                Some(end) if end < budget => {}
                _ => return Next::GiveUp(GiveUp::Budget),
            }
        }
        Next::Retry(wait)
    }

    /// Sleeps `wait` with the policy's sleeper (async code).
    pub async fn sleep(&self, wait: Duration) {
        self.policy.sleeper.sleep(wait).await;
    }

    /// Sleeps `wait` with the policy's sleeper, blocking the thread (synchronous code).
    pub fn sleep_blocking(&self, wait: Duration) {
        self.policy.sleeper.sleep_blocking(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::{RecordingSleeper, RetrySummary};

    fn policy(sleeper: &RecordingSleeper) -> RetryPolicy {
        RetryPolicy::default()
            .sleeper(sleeper.clone())
            .clock(sleeper.clock())
    }

    #[test]
    fn stops_when_attempts_are_used_up() {
        let s = RecordingSleeper::new();
        let p = policy(&s).max_attempts(3);
        let mut a = Attempts::start(&p, "x");
        assert!(matches!(a.next(None), Next::Retry(_)));
        assert!(matches!(a.next(None), Next::Retry(_)));
        assert_eq!(a.next(None), Next::GiveUp(GiveUp::Attempts));
        assert_eq!(a.attempt(), 3);
    }

    #[test]
    fn waits_stay_within_the_growing_bound() {
        let s = RecordingSleeper::new();
        let p = policy(&s).max_attempts(6).deadline(Duration::from_secs(60));
        let mut a = Attempts::start(&p, "x");
        for n in 0..5 {
            match a.next(None) {
                Next::Retry(w) => assert!(w <= p.wait_bound(n)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_deadline_counts_attempt_time() {
        let s = RecordingSleeper::new();
        let p = policy(&s).deadline(Duration::from_secs(1));
        let mut a = Attempts::start(&p, "x");
        s.clock().advance(Duration::from_millis(999)); // a slow first attempt
        assert_eq!(
            a.next(Some(Duration::from_millis(1))),
            Next::GiveUp(GiveUp::Deadline)
        );
    }

    #[test]
    fn a_hint_replaces_the_backoff_and_the_cap_but_not_the_deadline() {
        let s = RecordingSleeper::new();
        let p = policy(&s).deadline(Duration::from_secs(10));
        let mut a = Attempts::start(&p, "x");
        let hint = Duration::from_secs(3); // far above the 500 ms cap
        assert_eq!(a.next(Some(hint)), Next::Retry(hint));
        a.sleep_blocking(hint);
        assert_eq!(
            a.next(Some(Duration::from_secs(7))),
            Next::GiveUp(GiveUp::Deadline)
        );
        assert_eq!(s.waits(), [hint]);
        assert_eq!(a.waited(), hint);
    }

    #[test]
    fn the_thread_budget_bounds_waits() {
        let s = RecordingSleeper::new();
        let p = policy(&s).deadline(Duration::from_secs(60));
        let _budget = Budget::start_with_clock(Duration::from_secs(2), &s.clock());
        let mut a = Attempts::start(&p, "x");
        assert_eq!(
            a.next(Some(Duration::from_secs(1))),
            Next::Retry(Duration::from_secs(1))
        );
        a.sleep_blocking(Duration::from_secs(1));
        assert_eq!(
            a.next(Some(Duration::from_secs(1))),
            Next::GiveUp(GiveUp::Budget)
        );
    }

    #[test]
    fn retries_and_give_ups_reach_the_summary() {
        let s = RecordingSleeper::new();
        let p = policy(&s).max_attempts(2);
        let rec = RetrySummary::record();
        let mut a = Attempts::start(&p, "db");
        let Next::Retry(w) = a.next(None) else {
            panic!("expected a retry")
        };
        let _ = a.next(None);
        let summary = rec.finish();
        let db = summary.get("db").copied().unwrap_or_default();
        assert_eq!((db.retries, db.waited, db.gave_up), (1, w, 1));
        assert_eq!(GiveUp::Budget.to_string(), "hook budget reached");
    }
}
