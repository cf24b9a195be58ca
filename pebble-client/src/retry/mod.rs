//! Retrying Pebble calls: exponential backoff with full jitter, bounded by attempts and time.
//!
//! Every [`Client`](crate::Client) call runs through a [`RetryPolicy`]. A hook is a short
//! process, so the defaults give up after about two seconds and let the charm decide (defer
//! with a waiting status, or fail the hook so Juju retries it):
//!
//! | setting | default |
//! | --- | --- |
//! | attempts | 6 (the first try plus 5 retries) |
//! | first wait | up to 50 ms |
//! | growth | ×2 per retry |
//! | longest wait | 500 ms |
//! | deadline | 2 s from the start of the first attempt, attempts included |
//!
//! Waits use *full jitter*: before retry `n` (from 0) the loop sleeps a random time in
//! `[0, min(cap, base·factorⁿ)]`. The loop never sleeps past the deadline: when
//! `elapsed + wait` would reach it, it gives up instead.
//!
//! # How long a call can take
//!
//! **The deadline bounds the whole call**, attempts and waits together: each attempt
//! (connecting included) may take the client's request timeout or the time left before the
//! deadline, whichever is shorter. So a Pebble that is silent, answers half a response, or
//! trickles it byte by byte ends a call with [`Error::Timeout`](crate::Error::Timeout) at the
//! deadline, however the time splits between attempts and waits. A deadline of zero allows
//! one attempt, bounded by the request timeout. Beyond that bound:
//! - a long poll adds its poll time to its attempt (each slice of
//!   [`wait_change`](crate::Client::wait_change), [`get_notices`](crate::Client::get_notices)
//!   with a `timeout`);
//! - an exec'd command, once started, is bounded by its own timeout, not by the policy (see
//!   [`Client::exec`](crate::Client::exec));
//! - a streamed file transfer ([`push_file`](crate::Client::push_file),
//!   [`pull_file`](crate::Client::pull_file) and the `_path` forms) takes as long as the
//!   file needs: each of its steps must progress within the request timeout;
//! - a followed log ([`follow_logs`](crate::Client::follow_logs)) is read for as long as the
//!   caller reads it;
//! - the thread's [`Budget`] shortens waits, never attempts.
//!
//! Other documents link here rather than repeat the figures.
//!
//! # What is retried
//!
//! Only failures that are transient *and* safe to repeat:
//! - connection-phase failures — socket not found, connection refused, reset before the
//!   request was sent, connect timeout — always: nothing reached Pebble;
//! - failures after the request was sent (reset, EOF, response timeout) only for calls that
//!   are safe to repeat; see [`Call::idempotent`] for the table and its reasons. **A
//!   non-idempotent request must never be repeated blindly**: `notify` counts occurrences,
//!   `restart` would restart twice, a layer `add` would fail with "already exists";
//! - an API error marked `maintenance` (Pebble is restarting), always: Pebble refused it;
//! - never any other API error, a protocol error, a change error or a path error.
//!
//! Every retry is logged with `tracing` (target `pebble_client::retry`, fields `call`,
//! `attempt`, `wait`, `cause`), and so is giving up.
//!
//! # One mechanism for every retry
//!
//! The loop's bookkeeping is [`Attempts`]: the caller classifies a failure, and
//! [`Attempts::next`] applies the policy, an optional server hint (Retry-After), and the
//! thread's [`Budget`] (a time limit for the whole hook: no retry waits past it). Both the
//! Pebble client and ops-rs's `resilience` toolkit (retry of any call, closure or block)
//! drive it, so they share the policy type, the sleep switch below, budgets, and the
//! per-hook [`RetrySummary`] of retries per call name.
//!
//! # Why hand-written
//!
//! The loop is ~60 lines. Backoff crates give schedules, but not a deadline that includes
//! attempt time, the idempotency-aware classification above, or an injectable sleeper and
//! clock so tests never really wait; gluing those on would be longer than the loop.
//!
//! # Tests
//!
//! [`RetryPolicy::never`] makes one attempt. [`set_sleep_enabled`]`(false)` turns every
//! sleep into a no-op process-wide, async or blocking (waits are still computed and
//! logged). For exact assertions, [`RecordingSleeper`] records waits and advances a
//! [`ManualClock`].
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use pebble_client::retry::{RetryPolicy, RecordingSleeper};
//!
//! let sleeper = RecordingSleeper::new();
//! let policy = RetryPolicy::default()
//!     .max_attempts(3)
//!     .deadline(Duration::from_secs(1))
//!     .sleeper(sleeper.clone())
//!     .clock(sleeper.clock());
//! assert_eq!(policy.get_max_attempts(), 3);
//! assert!(RetryPolicy::never().get_max_attempts() == 1);
//! ```

mod attempts;
mod budget;
mod clock;
mod idempotency;
mod policy;
mod run;
mod summary;

use std::sync::atomic::{AtomicBool, Ordering};

pub use attempts::{Attempts, GiveUp, Next};
pub use budget::Budget;
pub use clock::{Clock, ManualClock, RecordingSleeper, Sleeper, SystemClock, TokioSleeper};
pub use idempotency::Call;
pub use policy::RetryPolicy;
pub use summary::{CallRetries, Recording, RetrySummary};

static SLEEP_ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns retry sleeping on or off for the whole process (tests switch it off). Waits are
/// still computed, logged and passed to recording sleepers; only real sleeping stops.
pub fn set_sleep_enabled(enabled: bool) {
    SLEEP_ENABLED.store(enabled, Ordering::Relaxed);
}

/// Whether retry sleeping is on (see [`set_sleep_enabled`]).
pub fn sleep_enabled() -> bool {
    SLEEP_ENABLED.load(Ordering::Relaxed)
}
