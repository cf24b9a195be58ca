//! Running a command through a test's handler: read stdin to its end, ask the handler, write
//! the answer; signals and the timeout end it as they would a real process.

use tokio::sync::mpsc;
use tokio::time::Instant;

use rustix::process::Signal;

use super::session::{Io, Outcome, Spec, next_signal, send};
use super::{Behaviour, Handler};

/// Runs the handler for `spec`; returns once the end markers are sent (never, for a stall).
pub(crate) async fn run(
    spec: &Spec,
    handler: &Handler,
    io: &mut Io,
    mut signals: mpsc::Receiver<Signal>,
) -> Outcome {
    let deadline = spec.timeout.map(|t| Instant::now() + t);
    let expired = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expired);
    let timed_out = || Outcome::TimedOut(spec.timeout.unwrap_or_default());
    let killed = |s: Signal| Outcome::Exited(128 + s.as_raw());

    // Phase 1: stdin until the client's end marker.
    let mut stdin = Vec::new();
    let read = async {
        while let Some(chunk) = io.next_stdin().await {
            stdin.extend_from_slice(&chunk);
        }
    };
    let interrupted = tokio::select! {
        () = read => None,
        s = next_signal(&mut signals) => Some(killed(s)),
        () = &mut expired => Some(timed_out()),
    };
    if let Some(outcome) = interrupted {
        io.end().await;
        return outcome;
    }

    spec.stdin_log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone_from(&stdin);
    let mut input = spec.input.clone();
    input.stdin = stdin;
    let response = handler(&input);
    if response.behaviour == Behaviour::Stall {
        send(&io.stdout, &response.stdout).await;
        let _ = io.freeze.send(true);
        // A broken Pebble: nothing more, ever (until the server stops).
        return std::future::pending().await;
    }

    // Phase 2: output, then exit (or run until signalled or timed out).
    let work = async {
        send(&io.stdout, &response.stdout).await;
        send(&io.stderr, &response.stderr).await;
        match response.behaviour {
            Behaviour::Exit(code) => code,
            Behaviour::Hang | Behaviour::Stall => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        code = work => Outcome::Exited(code),
        s = next_signal(&mut signals) => killed(s),
        () = &mut expired => timed_out(),
    };
    io.end().await;
    outcome
}
