//! The retry policy's deadline bounds a whole call, attempts included: a silent, half-answering
//! or slow-loris Pebble ends the call at the deadline, not at the request timeout (before, a
//! started attempt ran to the 5 s request timeout whatever the 2 s deadline said).
//!
//! The assertions are on the limit the error reports; wall-clock times are checked only
//! against generous sanity bounds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

use pebble_client::retry::RetryPolicy;
use pebble_client::{Client, Error, TimeoutPhase, blocking};

#[derive(Debug, Clone, Copy)]
enum Misbehaviour {
    /// Reads the request, never answers.
    Silent,
    /// Sends the head and part of the body, then nothing.
    HalfAnswer,
    /// Sends the response one byte every 100 ms, for ever.
    SlowLoris,
}

fn serve(path: &Path, how: Misbehaviour) {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"type\":";
                match how {
                    Misbehaviour::Silent => {}
                    Misbehaviour::HalfAnswer => {
                        let _ = stream.write_all(answer);
                    }
                    Misbehaviour::SlowLoris => {
                        for b in answer.iter().cycle() {
                            if stream.write_all(&[*b]).is_err() {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
                // Hold the connection open until the client gives up.
                let mut rest = Vec::new();
                let _ = std::io::Read::read_to_end(&mut stream, &mut rest);
            });
        }
    });
}

fn check(how: Misbehaviour, deadline: Duration, started: Instant, err: &Error) {
    match err {
        Error::Timeout {
            phase: TimeoutPhase::Response,
            after,
        } => assert!(
            *after <= deadline,
            "{how:?}: the attempt was allowed {after:?}, past the {deadline:?} deadline"
        ),
        other => panic!("{how:?}: expected a response timeout, got {other}"),
    }
    // Sanity only: the request timeout (5 s and 10 s below) is what it took before.
    let took = started.elapsed();
    assert!(took < deadline * 4, "{how:?}: the call took {took:?}");
}

#[test]
fn a_call_ends_at_the_retry_deadline_not_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let hows = [
        Misbehaviour::Silent,
        Misbehaviour::HalfAnswer,
        Misbehaviour::SlowLoris,
    ];
    std::thread::scope(|scope| {
        for (i, how) in hows.into_iter().enumerate() {
            let path = dir.path().join(format!("{i}.socket"));
            serve(&path, how);
            scope.spawn(move || {
                // The blocking client with every default: 5 s request timeout, 2 s deadline.
                let deadline = RetryPolicy::default().get_deadline();
                let client = blocking::Client::new(&path).unwrap();
                let started = Instant::now();
                let err = client.get_services(&[]).unwrap_err();
                check(how, deadline, started, &err);

                // The async client with a long request timeout and a short deadline.
                let deadline = Duration::from_millis(700);
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let client = rt
                    .block_on(async {
                        Client::builder(&path)
                            .timeout(Duration::from_secs(10))
                            .retry(RetryPolicy::default().deadline(deadline))
                            .build()
                    })
                    .unwrap();
                let started = Instant::now();
                let err = rt.block_on(client.get_services(&[])).unwrap_err();
                check(how, deadline, started, &err);
            });
        }
    });
}

/// A long poll gets its poll time on top of the deadline: a `wait_change` slice of 3 s is not
/// cut at a 1 s deadline.
#[tokio::test]
async fn a_long_poll_keeps_its_poll_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pebble.socket");
    serve(&path, Misbehaviour::Silent);
    let deadline = Duration::from_millis(300);
    let client = Client::builder(&path)
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::never().deadline(deadline))
        .build()
        .unwrap();
    let id = pebble_client::ChangeId("1".into());
    let err = client
        .wait_change(&id, Duration::from_millis(900))
        .await
        .unwrap_err();
    match err {
        Error::Timeout {
            phase: TimeoutPhase::Response,
            after,
        } => assert!(
            after > Duration::from_millis(900) && after <= Duration::from_millis(1200),
            "{after:?}"
        ),
        other => panic!("{other}"),
    }
}
