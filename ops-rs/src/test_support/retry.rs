//! Retry fixtures: a recording policy, a tiny executor, and a model whose `juju-log` lines
//! are recorded.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use pebble_client::retry::{RecordingSleeper, RetryPolicy};

/// A default policy whose sleeper records waits and advances the policy's clock.
pub(crate) fn recording_policy() -> (RetryPolicy, RecordingSleeper) {
    let sleeper = RecordingSleeper::new();
    let policy = RetryPolicy::default()
        .sleeper(sleeper.clone())
        .clock(sleeper.clock());
    (policy, sleeper)
}

/// Polls `fut` to completion; the futures under test never wait for a wake-up.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// A model whose hook tools are recorded (for checking `juju-log` lines).
pub(crate) fn logging_model() -> (crate::hookcmds::RecordingRunner, crate::model::Model) {
    let r = crate::hookcmds::RecordingRunner::new(|_c: &crate::hookcmds::ToolCall| Ok(Vec::new()));
    let m = crate::model::Model::new(std::sync::Arc::new(r.clone()), "web/0");
    (r, m)
}
