//! The retry loop and the classification of failures.

use std::future::Future;

use super::{Call, RetryPolicy};
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
    /// Runs `attempt` until it succeeds, fails for good, or the policy is exhausted. The
    /// deadline counts from just before the first attempt.
    pub(crate) async fn run<T, F, Fut>(&self, call: Call, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let start = self.clock.now();
        let mut n: u32 = 1;
        loop {
            let err = match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !is_retryable(&err, call) {
                return Err(err);
            }
            if n >= self.max_attempts {
                give_up(call, n, "no attempts left", &err);
                return Err(err);
            }
            let wait = self.jittered_wait(n - 1);
            let elapsed = self.clock.now().saturating_duration_since(start);
            if elapsed + wait >= self.deadline {
                give_up(call, n, "deadline reached", &err);
                return Err(err);
            }
            tracing::warn!(
                target: "pebble_client::retry",
                call = call.name(),
                attempt = n,
                wait = ?wait,
                cause = %err,
                "Pebble call failed; retrying"
            );
            self.sleeper.sleep(wait).await;
            n += 1;
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
