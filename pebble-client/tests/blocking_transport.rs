//! The blocking client's own connection (a plain socket, no runtime in the request path)
//! against the simulated Pebble: it keeps its connection, notices when Pebble went away
//! before sending, honours the request timeout in both directions (a stalled answer, and a
//! long poll that is meant to outlast it), waits for room in a full listen backlog, carries
//! large bodies both ways, and is shared by clones on several threads.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::time::{Duration, Instant};

use pebble_client::blocking::Client;
use pebble_client::retry::RetryPolicy;
use pebble_client::testing::{Fault, FaultRule, SimPebble};
use pebble_client::{Error, NoticeType, NoticesQuery, PushOptions, TimeoutPhase};

/// Asserts that `err` is a timeout waiting for `phase`.
fn assert_timeout(err: &Error, phase: TimeoutPhase) {
    assert!(
        matches!(err, Error::Timeout { phase: p, .. } if *p == phase),
        "expected a {phase:?} timeout, got: {err}"
    );
}

fn client(path: &std::path::Path, timeout: Duration) -> Client {
    Client::builder(path)
        .retry(RetryPolicy::never())
        .timeout(timeout)
        .build()
        .unwrap()
}

#[test]
fn one_connection_carries_every_call_until_pebble_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pebble.socket");
    let sim = SimPebble::start(&path).unwrap();
    let c = client(&path, Duration::from_secs(5));
    let first = c.system_info().unwrap().boot_id;
    for _ in 0..20 {
        c.get_services(&[]).unwrap();
    }
    assert_eq!(sim.connections(), 1, "every call on one kept connection");

    // Pebble restarts between two calls: the kept connection is found closed before anything
    // is written to it, so even with retries off the next call just reconnects.
    sim.shutdown();
    let sim = SimPebble::start(&path).unwrap();
    let again = c.system_info().unwrap().boot_id;
    assert_ne!(first, again, "answered by the new daemon");
    assert_eq!(sim.connections(), 1);
}

#[test]
fn a_stalled_answer_times_out_at_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    sim.inject(
        FaultRule::new(Fault::Delay(Duration::from_secs(3)))
            .path("/v1/services")
            .times(1),
    );
    let c = client(sim.socket_path(), Duration::from_millis(200));
    let started = Instant::now();
    let err = c.get_services(&[]).unwrap_err();
    assert_timeout(&err, TimeoutPhase::Response);
    // Bounded by the timeout, not by the stall (generous: the machine may be slow).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The stalled connection was dropped; the next call gets a fresh one and an answer.
    c.get_services(&[]).unwrap();
}

#[test]
fn a_long_poll_outlasts_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    // Request timeout 100 ms, poll 600 ms: the socket's read timeout must be raised for the
    // poll, or the call would fail at 100 ms.
    let c = client(sim.socket_path(), Duration::from_millis(100));
    let q = NoticesQuery::new()
        .types([NoticeType::Custom])
        .timeout(Duration::from_millis(600));
    let started = Instant::now();
    assert!(c.get_notices(&q).unwrap().is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(550),
        "the poll ran its course: {:?}",
        started.elapsed()
    );
    // And the same connection still serves short calls at the short timeout.
    c.system_info().unwrap();
    assert_eq!(sim.connections(), 1);
}

#[test]
fn large_bodies_go_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    let c = client(sim.socket_path(), Duration::from_secs(10));
    // Past the size that is sent in the same write as the head.
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    c.push(
        "/data/blob",
        content.clone(),
        &PushOptions::default().make_dirs(true),
    )
    .unwrap();
    let back = c.pull("/data/blob").unwrap();
    assert_eq!(back.len(), content.len());
    assert!(back[..] == content[..]);
}

/// Fills the listen backlog of a socket nobody accepts on: connects without blocking until
/// the kernel answers `EAGAIN`. Returns the connections, which hold the backlog full.
fn fill_backlog(path: &std::path::Path) -> Vec<std::os::fd::OwnedFd> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let addr = SocketAddrUnix::new(path).unwrap();
    let mut held = Vec::new();
    loop {
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => held.push(fd),
            Err(rustix::io::Errno::AGAIN) => return held,
            Err(e) => panic!("filling the backlog: {e}"),
        }
        assert!(held.len() < 100_000, "the backlog never filled");
    }
}

/// A listener whose backlog is full (Pebble too busy to accept) makes both clients wait for
/// room, up to their timeout, rather than fail at once with an error that is not retried.
#[test]
fn a_full_listen_backlog_waits_for_room_up_to_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pebble.socket");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let _held = fill_backlog(&path);
    let short = Duration::from_millis(150);

    let blocking = client(&path, short);
    let err = blocking.system_info().unwrap_err();
    assert_timeout(&err, TimeoutPhase::Connect);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let async_client = pebble_client::Client::builder(&path)
        .retry(RetryPolicy::never())
        .timeout(short)
        .build()
        .unwrap();
    let err = rt.block_on(async_client.system_info()).unwrap_err();
    assert_timeout(&err, TimeoutPhase::Connect);

    // Room appears while a client waits: it connects (and then waits for an answer that this
    // listener never gives, so the request times out after being sent).
    let accepter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let first = listener.accept().unwrap();
        (listener, first)
    });
    let patient = client(&path, Duration::from_secs(2));
    let err = patient.system_info().unwrap_err();
    assert_timeout(&err, TimeoutPhase::Response);
    drop(accepter.join().unwrap());
}

/// Clones of one blocking client on several threads share its connection: each request holds
/// it for its exchange, and every call gets its own answer.
#[test]
fn clones_on_several_threads_share_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    let c = client(sim.socket_path(), Duration::from_secs(5));
    let boot_id = c.system_info().unwrap().boot_id;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            let boot_id = boot_id.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    assert_eq!(c.system_info().unwrap().boot_id, boot_id);
                    assert!(c.get_services(&[]).unwrap().is_empty());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sim.connections(), 1);
    assert_eq!(sim.total_requests(), 1 + 4 * 50 * 2);
}
