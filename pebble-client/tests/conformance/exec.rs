//! Exec: streams, exit codes, stdin, environment, working directory, timeout, signals, and
//! Pebble's refusals.

use std::time::Duration;

use pebble_client::{Error, ExecOptions};
use tokio::io::AsyncWriteExt;

use crate::fixture::Pebble;

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        output_and_exit_codes,
        stdin_in_and_out,
        streamed_stdin,
        environment_and_working_dir,
        combined_stderr,
        timeout_kills_the_command,
        signal_through_control,
        missing_executable,
        missing_working_dir,
        handle_dropped_after_exit,
        as_another_user,
    ]
}

fn sh(script: &str) -> ExecOptions {
    ExecOptions::new(["/bin/sh", "-c", script])
}

async fn output_and_exit_codes(p: &Pebble) {
    let client = p.client();
    let out = client
        .exec(&sh("echo out; echo err >&2"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(out.status.code(), 0);
    let err = client
        .exec(&sh("echo partial; echo failing >&2; exit 7"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap_err();
    let e = err.exec_error().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.exit_code(), 7);
    assert_eq!(e.stdout(), b"partial\n");
    assert_eq!(e.stderr(), b"failing\n");
    // wait() gives the status whatever the code.
    let status = client
        .exec(&sh("exit 3"))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(status.code(), 3);
}

async fn stdin_in_and_out(p: &Pebble) {
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let out = p
        .client()
        .exec(&ExecOptions::new(["cat"]).stdin(data.clone()))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout.len(), data.len());
    assert_eq!(out.stdout, data);
}

async fn streamed_stdin(p: &Pebble) {
    let mut process = p
        .client()
        .exec(&ExecOptions::new(["wc", "-c"]))
        .await
        .unwrap();
    let mut stdin = process.stdin.take().unwrap();
    for _ in 0..10 {
        stdin.write_all(&[b'x'; 1000]).await.unwrap();
    }
    stdin.shutdown().await.unwrap();
    let out = process.wait_output().await.unwrap();
    assert_eq!(out.stdout_lossy().trim(), "10000");
}

async fn environment_and_working_dir(p: &Pebble) {
    let dir = p.path("");
    let dir = dir.trim_end_matches('/');
    let out = p
        .client()
        .exec(
            &sh("echo \"$GREETING|$(pwd)|$PATH|$LANG\"")
                .env("GREETING", "hello")
                .working_dir(dir),
        )
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    let text = out.stdout_lossy();
    let parts: Vec<&str> = text.trim_end().split('|').collect();
    assert_eq!(parts[0], "hello");
    // The sim maps the directory under its root.
    assert!(parts[1].ends_with(dir), "{text}");
    assert!(!parts[2].is_empty(), "{text}");
    if p.is_real() {
        // Pebble's defaults when its own environment has none.
        assert_eq!(parts[3], "C.UTF-8", "{text}");
    }
}

async fn combined_stderr(p: &Pebble) {
    let out = p
        .client()
        .exec(&sh("echo one; echo two >&2").combine_stderr(true))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    let mut lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["one", "two"]);
    assert!(out.stderr.is_empty());
}

async fn timeout_kills_the_command(p: &Pebble) {
    let err = p
        .client()
        .exec(&ExecOptions::new(["sleep", "10"]).timeout(Duration::from_millis(500)))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap_err();
    assert!(err.is_exec_timeout(), "{err}");
    let change = err.change().unwrap();
    assert_eq!(change.tasks[0].data["exit-code"], -1);
    assert!(
        change
            .err
            .as_deref()
            .unwrap_or("")
            .contains("timed out after 500ms"),
        "{:?}",
        change.err
    );
}

async fn signal_through_control(p: &Pebble) {
    let process = p
        .client()
        .exec(&ExecOptions::new(["sleep", "30"]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    process.send_signal("SIGTERM").await.unwrap();
    let status = process.wait().await.unwrap();
    // Killed by SIGTERM: 128 + 15.
    assert_eq!(status.code(), 143);
}

async fn missing_executable(p: &Pebble) {
    let err = p
        .client()
        .exec(&ExecOptions::new(["no-such-command-xyz"]))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(err.missing_executable(), Some("no-such-command-xyz"));
}

async fn missing_working_dir(p: &Pebble) {
    let err = p
        .client()
        .exec(&ExecOptions::new(["pwd"]).working_dir("/no/such/dir"))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(500), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "cannot call exec: working directory \"/no/such/dir\" does not exist"
    );
}

/// The command exits and Pebble closes the control websocket before the handle is dropped
/// (with a stream still held): nothing may panic in the background (the harness fails the
/// run on any panic in a runtime thread).
async fn handle_dropped_after_exit(p: &Pebble) {
    let client = p.client();
    let mut process = client
        .exec(&ExecOptions::new(["echo", "hi"]))
        .await
        .unwrap();
    let mut stdout = process.stdout.take().unwrap();
    assert_eq!(stdout.read_all().await.unwrap(), b"hi\n");
    let id = process.change_id().clone();
    client
        .wait_change(&id, Duration::from_secs(30))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(process);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stdout);
    let _ = Error::BlockingInRuntime; // keeps the import honest for readers
}

/// A command runs as the user asked for, by name, with that user's HOME and USER; a user
/// whose home does not exist needs a working directory; `USER` is root's by default.
async fn as_another_user(p: &Pebble) {
    if !rustix::process::geteuid().is_root() {
        return;
    }
    let client = p.client();
    let out = client
        .exec(&sh("echo \"$USER\""))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout_lossy(), "root\n");
    let out = client
        .exec(
            &sh("id -un; id -gn; echo \"$HOME $USER\"")
                .user("daemon")
                .working_dir("/"),
        )
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout_lossy(), "daemon\ndaemon\n/usr/sbin daemon\n");
    let out = client
        .exec(&sh("id -u; id -g").user_id(2).working_dir("/"))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(
        out.stdout_lossy(),
        "2\n2\n",
        "a uid alone gets its primary group"
    );
    let err = client
        .exec(&ExecOptions::new(["id"]).user("nobody"))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(500), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "cannot call exec: home directory \"/nonexistent\" does not exist"
    );
    let err = client
        .exec(&ExecOptions::new(["id"]).user("no-such-user-xyz"))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "user: unknown user no-such-user-xyz"
    );
}
