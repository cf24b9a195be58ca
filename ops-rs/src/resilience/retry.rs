//! [`Retry`]: retry a sync or async closure, with the caller's classifier.
//!
//! There is no "retry on any error": a `Retry` is made from what is transient — a
//! predicate on the error ([`Retry::when`]), an error type found in the error's chain
//! ([`Retry::on_error`]), or a predicate on a successful result such as an HTTP 503
//! ([`Retry::when_ok`]) — and combined with `or_*`. When retrying ends, the last outcome is
//! returned as it was, `Ok` or `Err`.
//!
//! ```
//! use std::time::Duration;
//! use ops::resilience::{RecordingSleeper, Retry, RetryPolicy};
//!
//! struct Response { status: u16, retry_after: Option<Duration> }
//! # let sleeper = RecordingSleeper::new();
//! # let policy = RetryPolicy::default().sleeper(sleeper.clone()).clock(sleeper.clock());
//! # let mut replies = vec![
//! #     Ok(Response { status: 200, retry_after: None }),
//! #     Ok(Response { status: 503, retry_after: Some(Duration::from_millis(300)) }),
//! #     Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
//! # ];
//! # let mut get = || replies.pop().unwrap();
//! let response = Retry::when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionRefused)
//!     .or_when_ok(|r: &Response| r.status == 503)
//!     .hint(|out| out.as_ref().ok().and_then(|r| r.retry_after))
//!     .named("fetch-config")
//!     .policy(&policy)
//!     .call(|| get())?;
//! assert_eq!(response.status, 200);
//! assert_eq!(sleeper.waits()[1], Duration::from_millis(300)); // the server's hint
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt::{self, Display};
use std::future::Future;
use std::time::Duration;

use pebble_client::retry::{Attempts, RetryPolicy};

use super::retrying::{Hooks, RetryEvent, after_failure};

type Pred<'a, X> = Box<dyn Fn(&X) -> bool + Send + Sync + 'a>;
type HintFn<'a, T, E> = Box<dyn Fn(&Result<T, E>) -> Option<Duration> + Send + Sync + 'a>;

/// A retried call: what is transient, the policy, a name, hooks. Build with
/// [`when`](Retry::when), [`on_error`](Retry::on_error) or [`when_ok`](Retry::when_ok), then
/// [`call`](Retry::call) or [`call_async`](Retry::call_async).
///
/// Without [`policy`](Retry::policy) it uses [`RetryPolicy::default`] (figures in
/// [`pebble_client::retry`]);
/// without [`named`](Retry::named) its name in logs and the hook summary is `call`.
#[must_use = "a Retry does nothing until .call() or .call_async()"]
pub struct Retry<'a, T, E> {
    name: Cow<'a, str>,
    policy: Option<&'a RetryPolicy>,
    on_err: Option<Pred<'a, E>>,
    on_ok: Option<Pred<'a, T>>,
    hint: Option<HintFn<'a, T, E>>,
    hooks: Hooks<'a>,
}

impl<T, E> fmt::Debug for Retry<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("name", &self.name)
            .field("policy", &self.policy)
            .field("on_err", &self.on_err.is_some())
            .field("on_ok", &self.on_ok.is_some())
            .field("hint", &self.hint.is_some())
            .field("hooks", &self.hooks)
            .finish()
    }
}

fn or<'a, X: 'a>(
    prev: Option<Pred<'a, X>>,
    next: impl Fn(&X) -> bool + Send + Sync + 'a,
) -> Pred<'a, X> {
    match prev {
        Some(prev) => Box::new(move |x| prev(x) || next(x)),
        None => Box::new(next),
    }
}

/// Whether `X` is `e` or one of its sources.
fn chain_has<X: StdError + 'static>(e: &(dyn StdError + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<X>() {
            return true;
        }
        cur = err.source();
    }
    false
}

impl<'a, T: 'a, E: 'a> Retry<'a, T, E> {
    fn empty() -> Self {
        Retry {
            name: Cow::Borrowed("call"),
            policy: None,
            on_err: None,
            on_ok: None,
            hint: None,
            hooks: Hooks::default(),
        }
    }

    /// Retries errors for which `transient` is true.
    pub fn when(transient: impl Fn(&E) -> bool + Send + Sync + 'a) -> Self {
        Self::empty().or_when(transient)
    }

    /// Retries successful results for which `retry` is true (an HTTP 503, "not ready yet");
    /// no error is retried unless added with [`or_when`](Self::or_when).
    pub fn when_ok(retry: impl Fn(&T) -> bool + Send + Sync + 'a) -> Self {
        Self::empty().or_when_ok(retry)
    }

    /// Also retries errors for which `transient` is true.
    pub fn or_when(mut self, transient: impl Fn(&E) -> bool + Send + Sync + 'a) -> Self {
        self.on_err = Some(or(self.on_err.take(), transient));
        self
    }

    /// Also retries successful results for which `retry` is true.
    pub fn or_when_ok(mut self, retry: impl Fn(&T) -> bool + Send + Sync + 'a) -> Self {
        self.on_ok = Some(or(self.on_ok.take(), retry));
        self
    }

    /// The server's hint for the wait before the next attempt (Retry-After), read from the
    /// outcome. A hint replaces the backoff and its cap; one that would end past the
    /// deadline or the hook budget ends the retries instead.
    pub fn hint(
        mut self,
        hint: impl Fn(&Result<T, E>) -> Option<Duration> + Send + Sync + 'a,
    ) -> Self {
        self.hint = Some(Box::new(hint));
        self
    }

    /// The name in logs, hooks and the hook's retry summary.
    pub fn named(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// The policy (the same type the Pebble client uses).
    pub fn policy(mut self, policy: &'a RetryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Calls `f` before each retry (after logging it).
    pub fn on_retry(mut self, f: impl FnMut(&RetryEvent<'_>) + Send + 'a) -> Self {
        self.hooks.on_retry = Some(Box::new(f));
        self
    }

    /// Calls `f` when giving up (after logging it).
    pub fn on_give_up(mut self, f: impl FnMut(&RetryEvent<'_>) + Send + 'a) -> Self {
        self.hooks.on_give_up = Some(Box::new(f));
        self
    }

    fn transient(&self, out: &Result<T, E>) -> bool {
        match out {
            Ok(v) => self.on_ok.as_ref().is_some_and(|p| p(v)),
            Err(e) => self.on_err.as_ref().is_some_and(|p| p(e)),
        }
    }

    /// Runs `f` until its outcome is not transient or retrying ends; returns that outcome.
    pub fn call(mut self, mut f: impl FnMut() -> Result<T, E>) -> Result<T, E>
    where
        E: Display,
    {
        let default;
        let policy = match self.policy {
            Some(p) => p,
            None => {
                default = RetryPolicy::default();
                &default
            }
        };
        let mut attempts = Attempts::start(policy, &self.name);
        loop {
            let out = f();
            if !self.transient(&out) {
                return out;
            }
            let hint = self.hint.as_ref().and_then(|h| h(&out));
            match after_failure(&mut attempts, &mut self.hooks, &Cause(&out), hint) {
                Some(wait) => attempts.sleep_blocking(wait),
                None => return out,
            }
        }
    }

    /// Runs the future from `f` until its outcome is not transient or retrying ends.
    pub async fn call_async<F, Fut>(mut self, mut f: F) -> Result<T, E>
    where
        E: Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let default;
        let policy = match self.policy {
            Some(p) => p,
            None => {
                default = RetryPolicy::default();
                &default
            }
        };
        let mut attempts = Attempts::start(policy, &self.name);
        loop {
            let out = f().await;
            if !self.transient(&out) {
                return out;
            }
            let hint = self.hint.as_ref().and_then(|h| h(&out));
            match after_failure(&mut attempts, &mut self.hooks, &Cause(&out), hint) {
                Some(wait) => attempts.sleep(wait).await,
                None => return out,
            }
        }
    }
}

impl<'a, T: 'a, E: StdError + 'static> Retry<'a, T, E> {
    /// Retries errors that are an `X`, or caused by one (anywhere in the source chain).
    pub fn on_error<X: StdError + 'static>() -> Self {
        Self::when(|e: &E| chain_has::<X>(e))
    }

    /// Also retries errors that are, or are caused by, an `X`.
    pub fn or_on_error<X: StdError + 'static>(self) -> Self {
        self.or_when(|e: &E| chain_has::<X>(e))
    }
}

/// The failure of an outcome, for logs and hooks.
struct Cause<'o, T, E>(&'o Result<T, E>);

impl<T, E: Display> Display for Cause<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ok(_) => f.write_str("the result asked for a retry"),
            Err(e) => e.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests;
