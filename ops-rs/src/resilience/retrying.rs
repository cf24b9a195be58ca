//! [`Retrying`]: retry a block of code — the caller writes the loop and says, in each
//! failure arm, that the failure is transient.
//!
//! ```
//! use ops::resilience::{RecordingSleeper, RetryPolicy, Retrying};
//!
//! # let sleeper = RecordingSleeper::new();
//! # let policy = RetryPolicy::default().sleeper(sleeper.clone()).clock(sleeper.clock());
//! # let mut replies = vec![Ok("v2"), Err("503"), Err("connection refused")];
//! # let mut fetch = || replies.pop().unwrap();
//! fn is_transient(e: &str) -> bool { e == "connection refused" || e == "503" }
//!
//! let mut retrying = Retrying::new(&policy, "fetch-version");
//! let version = loop {
//!     match fetch() {
//!         Ok(v) => break v,
//!         Err(e) if is_transient(e) => retrying.retry(e)?, // sleeps, or gives `e` back
//!         Err(e) => return Err(e),
//!     }
//! };
//! assert_eq!(version, "v2");
//! assert_eq!(retrying.attempt(), 3);
//! # Ok::<(), &str>(())
//! ```

use std::fmt::{self, Display};
use std::time::Duration;

use pebble_client::retry::{Attempts, GiveUp, Next, RetryPolicy};

/// What the retry hooks see: one failed attempt, and what happens next.
#[non_exhaustive]
pub struct RetryEvent<'e> {
    /// The operation's name.
    pub name: &'e str,
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// Time since the first attempt started.
    pub elapsed: Duration,
    /// The wait before the next attempt; `None` when giving up.
    pub wait: Option<Duration>,
    /// Why retrying stopped; `None` when retrying.
    pub gave_up: Option<GiveUp>,
    /// The failure (the error, or a note that the result asked for a retry).
    pub cause: &'e dyn Display,
}

impl fmt::Debug for RetryEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryEvent")
            .field("name", &self.name)
            .field("attempt", &self.attempt)
            .field("elapsed", &self.elapsed)
            .field("wait", &self.wait)
            .field("gave_up", &self.gave_up)
            .field("cause", &format_args!("{}", self.cause))
            .finish()
    }
}

type Hook<'a> = Box<dyn FnMut(&RetryEvent<'_>) + Send + 'a>;

/// The on-retry and on-give-up hooks of a retried operation.
#[derive(Default)]
pub(crate) struct Hooks<'a> {
    pub(crate) on_retry: Option<Hook<'a>>,
    pub(crate) on_give_up: Option<Hook<'a>>,
}

impl fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("on_retry", &self.on_retry.is_some())
            .field("on_give_up", &self.on_give_up.is_some())
            .finish()
    }
}

/// After a transient failure: decide, log, call the hooks. `Some(wait)` to retry.
pub(crate) fn after_failure(
    attempts: &mut Attempts<'_>,
    hooks: &mut Hooks<'_>,
    cause: &dyn Display,
    hint: Option<Duration>,
) -> Option<Duration> {
    let attempt = attempts.attempt();
    let next = attempts.next(hint);
    let mut event = RetryEvent {
        name: attempts.name(),
        attempt,
        elapsed: attempts.elapsed(),
        wait: None,
        gave_up: None,
        cause,
    };
    match next {
        Next::Retry(wait) => {
            tracing::warn!(
                target: "ops::resilience",
                call = event.name,
                attempt,
                wait = ?wait,
                hinted = hint.is_some(),
                cause = %cause,
                "{} failed; retrying",
                event.name
            );
            event.wait = Some(wait);
            if let Some(h) = hooks.on_retry.as_mut() {
                h(&event);
            }
            Some(wait)
        }
        Next::GiveUp(why) => {
            tracing::warn!(
                target: "ops::resilience",
                call = event.name,
                attempts = attempt,
                why = why.reason(),
                cause = %cause,
                "giving up on {}",
                event.name
            );
            event.gave_up = Some(why);
            if let Some(h) = hooks.on_give_up.as_mut() {
                h(&event);
            }
            None
        }
    }
}

/// Retries of a block of code under a [`RetryPolicy`]: the `retry_context` form.
///
/// Make an attempt; on a failure you judge transient call [`retry`](Self::retry) (or
/// [`retry_after`](Self::retry_after) with a server hint), which sleeps and returns `Ok`
/// when another attempt is allowed, or hands the failure back as `Err` when the policy,
/// its deadline or the hook [`Budget`](super::Budget) says stop. Nothing is retried that
/// you did not pass to `retry`.
#[derive(Debug)]
pub struct Retrying<'a> {
    attempts: Attempts<'a>,
    hooks: Hooks<'a>,
}

impl<'a> Retrying<'a> {
    /// Starts retrying the operation `name` under `policy` (the deadline counts from now).
    pub fn new(policy: &'a RetryPolicy, name: &'a str) -> Self {
        Retrying {
            attempts: Attempts::start(policy, name),
            hooks: Hooks::default(),
        }
    }

    /// Calls `f` before each retry (after logging it).
    #[must_use]
    pub fn on_retry(mut self, f: impl FnMut(&RetryEvent<'_>) + Send + 'a) -> Self {
        self.hooks.on_retry = Some(Box::new(f));
        self
    }

    /// Calls `f` when giving up (after logging it).
    #[must_use]
    pub fn on_give_up(mut self, f: impl FnMut(&RetryEvent<'_>) + Send + 'a) -> Self {
        self.hooks.on_give_up = Some(Box::new(f));
        self
    }

    /// The number of the current attempt, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempts.attempt()
    }

    /// Time since the first attempt started.
    pub fn elapsed(&self) -> Duration {
        self.attempts.elapsed()
    }

    /// `err` is transient: sleep and return `Ok(())` to try again, or `Err(err)` to stop.
    pub fn retry<E: Display>(&mut self, err: E) -> Result<(), E> {
        self.retry_after(err, None)
    }

    /// Like [`retry`](Self::retry), waiting `hint` (a server's Retry-After) instead of the
    /// backoff when given; a hint that would end past the deadline or budget stops.
    pub fn retry_after<E: Display>(&mut self, err: E, hint: Option<Duration>) -> Result<(), E> {
        match after_failure(&mut self.attempts, &mut self.hooks, &err, hint) {
            Some(wait) => {
                self.attempts.sleep_blocking(wait);
                Ok(())
            }
            None => Err(err),
        }
    }

    /// [`retry`](Self::retry) for async code: sleeps with the policy's async sleeper.
    pub async fn retry_async<E: Display>(&mut self, err: E) -> Result<(), E> {
        self.retry_after_async(err, None).await
    }

    /// [`retry_after`](Self::retry_after) for async code.
    pub async fn retry_after_async<E: Display>(
        &mut self,
        err: E,
        hint: Option<Duration>,
    ) -> Result<(), E> {
        match after_failure(&mut self.attempts, &mut self.hooks, &err, hint) {
            Some(wait) => {
                self.attempts.sleep(wait).await;
                Ok(())
            }
            None => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::test_support::retry::{block_on, recording_policy};

    #[test]
    fn retries_until_success_and_counts_attempts() {
        let (policy, sleeper) = recording_policy();
        let mut r = Retrying::new(&policy, "x");
        let mut n = 0;
        let v: Result<u32, String> = loop {
            n += 1;
            if n < 3 {
                if let Err(e) = r.retry(format!("busy {n}")) {
                    break Err(e);
                }
                continue;
            }
            break Ok(n);
        };
        assert_eq!(v, Ok(3));
        assert_eq!(sleeper.waits().len(), 2);
    }

    #[test]
    fn gives_the_error_back_when_exhausted_and_calls_the_hooks() {
        let (policy, _) = recording_policy();
        let policy = policy.max_attempts(2);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s1, s2) = (seen.clone(), seen.clone());
        let mut r = Retrying::new(&policy, "x")
            .on_retry(move |e| {
                s1.lock()
                    .unwrap()
                    .push(format!("retry {} {}", e.attempt, e.cause))
            })
            .on_give_up(move |e| {
                s2.lock()
                    .unwrap()
                    .push(format!("give up {} {:?}", e.attempt, e.gave_up))
            });
        assert_eq!(r.retry("a"), Ok(()));
        assert_eq!(r.retry("b"), Err("b"));
        assert_eq!(
            *seen.lock().unwrap(),
            ["retry 1 a", "give up 2 Some(Attempts)"]
        );
    }

    #[test]
    fn async_retry_uses_the_async_sleeper() {
        let (policy, sleeper) = recording_policy();
        let mut r = Retrying::new(&policy, "x");
        let hint = Some(Duration::from_millis(700));
        assert_eq!(block_on(r.retry_after_async("e", hint)), Ok(()));
        assert!(block_on(r.retry_async("e")).is_ok());
        assert_eq!(sleeper.waits()[0], Duration::from_millis(700));
        assert_eq!(sleeper.waits().len(), 2);
    }
}
