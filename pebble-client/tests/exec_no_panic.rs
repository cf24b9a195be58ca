//! Exec's background tasks never panic, whatever order the command's end and the handle's drop
//! come in. A panic in a task is invisible to the caller (tokio catches it) but would kill a
//! hook built with `panic = "abort"`, so this file counts panics with a process-wide hook (it
//! is its own test binary, so no other test's panic is counted).

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pebble_client::testing::SimPebble;
use pebble_client::{Client, ExecOptions};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));
}

/// The command exits, Pebble closes the control websocket, and only then is the process
/// handle dropped while a stream taken from it is still held: the control task sees its
/// command channel close after the socket did. Before the fix its `select!` was left with
/// no enabled branch and panicked ("all branches are disabled and there is no else branch").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_after_pebble_closed_control_does_not_panic() {
    count_panics();
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_exec(true)
        .start()
        .unwrap();
    let client = Client::new(sim.socket_path()).unwrap();
    for round in 0..5 {
        let mut process = client
            .exec(&ExecOptions::new(["/bin/echo", "hi"]))
            .await
            .unwrap();
        let mut stdout = process.stdout.take().unwrap();
        assert_eq!(stdout.read_all().await.unwrap(), b"hi\n");
        let change = process.change_id().clone();
        client
            .wait_change(&change, Duration::from_secs(20))
            .await
            .unwrap();
        // Pebble closes control when the command is done; give the client's task time to
        // read the close frame before the handle goes.
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(process);
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(stdout);
        assert_eq!(PANICS.load(Ordering::SeqCst), 0, "round {round}");
    }
    // And through the usual path: wait_output returns, the handle drops at once.
    for _ in 0..5 {
        let out = client
            .exec(&ExecOptions::new(["/bin/true"]))
            .await
            .unwrap()
            .wait_output()
            .await
            .unwrap();
        assert!(out.status.success());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
}
