//! Exec against the simulated Pebble running real child processes: streams, exit codes,
//! signals, Pebble's timeout and validation.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pebble_client::testing::SimPebble;
use pebble_client::{ChangeStatus, Client, Error, ExecOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn sim() -> (tempfile::TempDir, SimPebble) {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_exec(true)
        .start()
        .unwrap();
    (dir, sim)
}

fn client(sim: &SimPebble) -> Client {
    Client::new(sim.socket_path()).unwrap()
}

fn sh(script: &str) -> ExecOptions {
    ExecOptions::new(["/bin/sh", "-c", script])
}

#[tokio::test]
async fn echo_output_and_environment() {
    let (_d, sim) = sim();
    let out = client(&sim)
        .exec(&sh("echo \"$GREETING\" from $(pwd)").env("GREETING", "hello"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    let root = sim.root().canonicalize().unwrap();
    assert_eq!(
        out.stdout_lossy(),
        format!("hello from {}\n", root.display())
    );
    assert!(out.stderr.is_empty());
    assert!(out.status.success());
}

#[tokio::test]
async fn working_dir_is_mapped_under_the_root() {
    let (_d, sim) = sim();
    std::fs::create_dir_all(sim.root().join("srv/app")).unwrap();
    let out = client(&sim)
        .exec(&ExecOptions::new(["pwd"]).working_dir("/srv/app"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert!(out.stdout_lossy().trim_end().ends_with("/srv/app"));
}

#[tokio::test]
async fn missing_working_dir_is_a_500() {
    let (_d, sim) = sim();
    let err = client(&sim)
        .exec(&ExecOptions::new(["pwd"]).working_dir("/nonexistent-xyz"))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(500), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn large_stdin_round_trips_through_cat_without_deadlock() {
    let (_d, sim) = sim();
    let data: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut process = client(&sim).exec(&ExecOptions::new(["cat"])).await.unwrap();
    let mut stdin = process.stdin.take().unwrap();
    let mut stdout = process.stdout.take().unwrap();
    let input = data.clone();
    let writer = tokio::spawn(async move {
        stdin.write_all(&input).await.unwrap();
        stdin.shutdown().await.unwrap();
    });
    let mut out = Vec::new();
    stdout.read_to_end(&mut out).await.unwrap();
    writer.await.unwrap();
    assert_eq!(out.len(), data.len());
    assert!(out == data);
    assert!(process.wait().await.unwrap().success());
}

#[tokio::test]
async fn stdin_given_up_front_feeds_the_command() {
    let (_d, sim) = sim();
    let data = vec![b'x'; 3 * 1024 * 1024];
    let out = client(&sim)
        .exec(&ExecOptions::new(["wc", "-c"]).stdin(data))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout_lossy().trim(), "3145728");
}

#[tokio::test]
async fn stderr_split_and_combined() {
    let (_d, sim) = sim();
    let c = client(&sim);
    let split = c
        .exec(&sh("echo out; echo err >&2"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(split.stdout, b"out\n");
    assert_eq!(split.stderr, b"err\n");

    let process = c
        .exec(&sh("echo out; echo err >&2").combine_stderr(true))
        .await
        .unwrap();
    assert!(process.stderr.is_none());
    let combined = process.wait_output().await.unwrap();
    assert_eq!(combined.stdout, b"out\nerr\n");
    assert!(combined.stderr.is_empty());
}

#[tokio::test]
async fn non_zero_exit_is_an_exec_error_with_outputs() {
    let (_d, sim) = sim();
    let err = client(&sim)
        .exec(&sh("echo partial; echo broken >&2; exit 3"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap_err();
    let exec = err.exec_error().expect("an exec error");
    assert_eq!(exec.exit_code(), 3);
    assert_eq!(exec.stdout(), b"partial\n");
    assert_eq!(exec.stderr(), b"broken\n");
    assert_eq!(exec.command()[0], "/bin/sh");
    assert!(err.to_string().contains("exited with exit code 3"), "{err}");
}

#[tokio::test]
async fn wait_returns_any_exit_code() {
    let (_d, sim) = sim();
    let status = client(&sim)
        .exec(&ExecOptions::new(["false"]))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(status.code(), 1);
}

#[tokio::test]
async fn sigterm_ends_sleep_with_its_status() {
    let (_d, sim) = sim();
    let process = client(&sim)
        .exec(&ExecOptions::new(["sleep", "30"]))
        .await
        .unwrap();
    process.send_signal("SIGTERM").await.unwrap();
    let status = process.wait().await.unwrap();
    assert_eq!(status.code(), 143);
    assert_eq!(status.signal(), Some(15));
}

#[tokio::test]
async fn pebble_timeout_kills_with_exit_code_minus_one() {
    let (_d, sim) = sim();
    let err = client(&sim)
        .exec(&ExecOptions::new(["sleep", "30"]).timeout(Duration::from_millis(200)))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap_err();
    let change = err.change().expect("a change error");
    assert_eq!(change.status, ChangeStatus::Error);
    assert_eq!(change.tasks[0].data["exit-code"], -1);
    assert!(err.to_string().contains("timed out after 200ms"), "{err}");
}

#[tokio::test]
async fn executable_not_found_is_a_400() {
    let (_d, sim) = sim();
    let err = client(&sim)
        .exec(&ExecOptions::new(["no-such-command-xyz"]))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400));
    assert!(
        err.to_string()
            .contains(r#"cannot find executable "no-such-command-xyz""#),
        "{err}"
    );
}

/// Posts a raw body to `/v1/exec` (the client always sends a valid timeout).
async fn raw_exec(sim: &SimPebble, body: &str) -> String {
    let mut stream = tokio::net::UnixStream::connect(sim.socket_path())
        .await
        .unwrap();
    let req = format!(
        "POST /v1/exec HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).await.unwrap();
    resp
}

#[tokio::test]
async fn pebble_validation_errors() {
    let (_d, sim) = sim();
    let resp = raw_exec(&sim, r#"{"command":["true"],"timeout":"soon"}"#).await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(resp.contains("invalid timeout"), "{resp}");
    let resp = raw_exec(&sim, r#"{"command":[]}"#).await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(resp.contains("must specify command"), "{resp}");
    let resp = raw_exec(&sim, r#"{"command":["true"],"interactive":true}"#).await;
    assert!(resp.starts_with("HTTP/1.1 500"), "{resp}");
    assert!(sim.changes().is_empty());
}

#[tokio::test]
async fn dropping_the_handle_kills_the_command() {
    let (_d, sim) = sim();
    let c = client(&sim);
    let process = c.exec(&ExecOptions::new(["sleep", "30"])).await.unwrap();
    let id = process.change_id().clone();
    drop(process);
    let change = c.wait_change(&id, Duration::from_secs(10)).await.unwrap();
    assert_eq!(change.tasks[0].data["exit-code"], 137);
    assert!(matches!(
        c.get_change(&id).await,
        Ok(ch) if ch.ready
    ));
    let _: Option<Error> = None;
}
