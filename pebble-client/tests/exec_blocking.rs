//! The blocking exec API against the simulated Pebble with real processes.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::time::Duration;

use pebble_client::blocking::Client;
use pebble_client::testing::SimPebble;
use pebble_client::{Error, ExecOptions, TimeoutPhase};

fn sim() -> (tempfile::TempDir, SimPebble) {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_exec(true)
        .start()
        .unwrap();
    (dir, sim)
}

#[test]
fn wait_output_with_stdin_data() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let data = vec![b'z'; 4 * 1024 * 1024];
    let out = client
        .exec(&ExecOptions::new(["cat"]).stdin(data.clone()))
        .unwrap()
        .wait_output()
        .unwrap();
    assert!(out.stdout == data);
}

#[test]
fn wait_output_with_stdin_writes_while_reading() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let data = vec![b'q'; 3 * 1024 * 1024];
    let out = client
        .exec(&ExecOptions::new(["cat"]))
        .unwrap()
        .wait_output_with_stdin(data.clone())
        .unwrap();
    assert!(out.stdout == data);
    // A command that reads none of it: its exit status decides.
    let out = client
        .exec(&ExecOptions::new(["true"]))
        .unwrap()
        .wait_output_with_stdin(vec![0u8; 1024 * 1024])
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn streams_from_two_threads() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let mut process = client.exec(&ExecOptions::new(["cat"])).unwrap();
    let mut stdin = process.stdin.take().unwrap();
    let mut stdout = process.stdout.take().unwrap();
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 7) as u8).collect();
    let input = data.clone();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).unwrap();
        stdin.close().unwrap();
    });
    let mut out = Vec::new();
    stdout.read_to_end(&mut out).unwrap();
    writer.join().unwrap();
    assert!(out == data);
    assert!(process.wait().unwrap().success());
}

#[test]
fn non_zero_exit_and_signals() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let err = client
        .exec(&ExecOptions::new([
            "/bin/sh",
            "-c",
            "echo nope >&2; exit 4",
        ]))
        .unwrap()
        .wait_output()
        .unwrap_err();
    let exec = err.exec_error().unwrap();
    assert_eq!((exec.exit_code(), exec.stderr()), (4, &b"nope\n"[..]));

    let process = client.exec(&ExecOptions::new(["sleep", "30"])).unwrap();
    process.send_signal("SIGINT").unwrap();
    assert_eq!(process.wait().unwrap().code(), 130);
}

#[test]
fn dropping_a_running_process_kills_it() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let process = client.exec(&ExecOptions::new(["sleep", "30"])).unwrap();
    let id = process.as_async().unwrap().change_id().clone();
    drop(process);
    let change = client.wait_change(&id, Duration::from_secs(10)).unwrap();
    assert_eq!(change.tasks[0].data["exit-code"], 137);
}

#[test]
fn a_stalled_command_ends_with_a_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    sim.exec_handler("stuck", |_| {
        pebble_client::testing::ExecResponse::stall().stdout("x")
    });
    let client = Client::builder(sim.socket_path())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .exec(&ExecOptions::new(["stuck"]).timeout(Duration::from_millis(100)))
        .unwrap()
        .wait_output()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Exec,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refused_inside_a_runtime() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt
        .block_on(async { client.exec(&ExecOptions::new(["true"])) })
        .unwrap_err();
    assert!(matches!(err, Error::BlockingInRuntime));
}

#[test]
fn the_history_records_a_real_process_and_its_stdin() {
    let (_d, sim) = sim();
    let client = Client::new(sim.socket_path()).unwrap();
    let out = client
        .exec(&ExecOptions::new(["cat"]).stdin("hello"))
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout, b"hello");
    let history = sim.exec_history();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].command, ["cat"]);
    assert_eq!(history[0].stdin, b"hello");
    assert_eq!(history[0].working_dir, None);
    assert!(!history[0].combine_stderr);
}
