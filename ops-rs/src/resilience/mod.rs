//! Resilience for charm code: retry any call, circuit breakers that span hooks, and hook
//! time budgets — on the same retry mechanism as the Pebble client.
//!
//! ```
//! use std::time::Duration;
//! use ops::resilience::{set_sleep_enabled, Retry, RetryPolicy};
//!
//! set_sleep_enabled(false); // tests: no real waiting (the Pebble client's switch too)
//! let mut replies = vec![Ok(42), Err("connection refused")];
//! let policy = RetryPolicy::default().deadline(Duration::from_secs(5));
//! let answer = Retry::when(|e: &&str| *e == "connection refused") // what is transient
//!     .named("ask-db")
//!     .policy(&policy)
//!     .call(|| replies.pop().unwrap_or(Err("no reply")));
//! assert_eq!(answer, Ok(42));
//! ```
//!
//! # Pieces
//!
//! - [`Retry`]: a sync or async closure, retried while the caller's classifier says the
//!   outcome is transient — an error predicate, an error type in the chain, or a result
//!   such as an HTTP 503 — with a server hint (Retry-After) honoured within the deadline.
//!   **Nothing retries by default**: a `Retry` cannot be built without a classifier.
//! - [`Retrying`]: the same for a block of code (`loop { … retrying.retry(e)? … }`).
//! - [`RetryPolicy`]: the policy type of [`pebble_client::retry`] — attempts, exponential
//!   backoff with full jitter and a cap, a deadline that counts attempt time, injectable
//!   clock and sleeper. Both drive [`pebble_client::retry::Attempts`], the one retry loop.
//! - Hooks ([`Retry::on_retry`], [`Retry::on_give_up`], [`RetryEvent`]) for counters and
//!   logs; every retry and give-up is also logged with `tracing` (target
//!   `ops::resilience`; the Pebble client's under `pebble_client::retry`), which the
//!   dispatch forwards to `juju-log`.
//! - The per-dispatch [`RetrySummary`]: retries and time waited per call name, the charm's
//!   and the Pebble client's, logged at INFO at the end of a dispatch in which anything
//!   retried.
//! - [`Budget`] and [`Ctx::set_hook_budget`](crate::framework::Ctx::set_hook_budget): a
//!   time limit for the whole hook that every nested retry respects, Pebble's included.
//!   The rule: **no retry waits past its policy's deadline or the nearest budget on its
//!   thread**; the first attempt is always made and a started attempt is never cut short.
//!   Hook-tool calls are the exception: Juju bounds none, so the budget is their only
//!   bound, and a tool still running at its end is killed
//!   ([`ProcessRunner`](crate::hookcmds::ProcessRunner) says when and why).
//! - [`Breaker`] from [`Ctx::breaker`](crate::framework::Ctx::breaker): after N failures
//!   of a dependency within a window, calls fail fast for a cool-down, then a trial call
//!   closes or re-opens it. Its state lives in the unit's state store (wall-clock
//!   timestamps) and commits or rolls back with the hook.
//! - [`set_sleep_enabled`]: the process-wide switch that turns retry sleeping off in
//!   tests, shared with the Pebble client; [`RecordingSleeper`] and [`ManualClock`] for
//!   exact assertions, [`ManualWallClock`] for breakers.
//!
//! The [guide] says when to retry, defer, wait for a Pebble notice, or fail the hook.

pub(crate) mod breaker;
mod breakers;
mod dispatch_state;
mod retry;
mod retrying;
mod summary;
#[cfg(test)]
mod tests;
mod wall_clock;

pub use breaker::{BreakerPolicy, BreakerStatus};
pub use breakers::{Breaker, BreakerError, BreakerOpen};
pub use pebble_client::retry::{
    Budget, CallRetries, Clock, GiveUp, ManualClock, RecordingSleeper, RetryPolicy, RetrySummary,
    Sleeper, set_sleep_enabled, sleep_enabled,
};
pub use retry::Retry;
pub use retrying::{RetryEvent, Retrying};
pub use wall_clock::{ManualWallClock, SystemWallClock, WallClock};

pub(crate) use dispatch_state::DispatchResilience;
pub(crate) use summary::with_retry_summary;

#[doc = include_str!("../docs/temporary-errors.md")]
pub mod guide {}
