//! The retry loop and the classification of failures.

use std::future::Future;
use std::time::Duration;

use super::{Attempts, Call, Next, RetryPolicy};
use crate::error::{Error, TimeoutPhase};

/// Whether `err` from `call` may be retried (see the [module docs](super)).
pub(crate) fn is_retryable(err: &Error, call: Call) -> bool {
    match err {
        Error::SocketNotFound { .. }
        | Error::ConnectionRefused { .. }
        | Error::ConnectionReset { sent: false, .. }
        | Error::Timeout {
            phase: TimeoutPhase::Connect,
            ..
        } => true,
        Error::ConnectionReset { sent: true, .. }
        | Error::Timeout {
            phase: TimeoutPhase::Response,
            ..
        } => call.idempotent(),
        Error::Api(_) => err.is_maintenance(),
        _ => false,
    }
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or the policy is exhausted, with
    /// `call`'s idempotency deciding post-send retries. The deadline counts from just before
    /// the first attempt, and no wait ends past the thread's [`Budget`](super::Budget). The
    /// client uses this for every call; it is public so code built on the client can retry
    /// its own sequences the same way. The loop is [`Attempts`] with Pebble's classifier.
    pub async fn run<T, F, Fut>(&self, call: Call, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_within(call, |_| attempt()).await
    }

    /// Like [`run`](Self::run), giving each attempt the time left before the policy's
    /// deadline (the whole deadline for the first attempt; the full deadline too when it is
    /// zero, which allows one attempt), so the client can bound the attempt by it.
    pub(crate) async fn run_within<T, F, Fut>(&self, call: Call, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut(Duration) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempts = Attempts::start(self, call.name());
        loop {
            let left = self.deadline.saturating_sub(attempts.elapsed());
            let err = match attempt(left).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !is_retryable(&err, call) {
                return Err(err);
            }
            let wait = match attempts.next(None) {
                Next::Retry(wait) => wait,
                Next::GiveUp(why) => {
                    give_up(call, attempts.attempt(), why.reason(), &err);
                    return Err(err);
                }
            };
            tracing::warn!(
                target: "pebble_client::retry",
                call = call.name(),
                attempt = attempts.attempt() - 1,
                wait = ?wait,
                cause = %err,
                "Pebble call failed; retrying"
            );
            attempts.sleep(wait).await;
        }
    }
}

fn give_up(call: Call, attempts: u32, why: &str, err: &Error) {
    tracing::warn!(
        target: "pebble_client::retry",
        call = call.name(),
        attempts,
        why,
        cause = %err,
        "giving up on Pebble call"
    );
}
