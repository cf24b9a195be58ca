//! Running a command as a real child process of the simulator, its stdio bridged to the
//! websockets.
//!
//! The child gets its own process group; the whole group is SIGKILLed at the timeout, when
//! the client drops the control websocket abnormally (as Pebble does), when the command is
//! done (so nothing it started in the background outlives it) and when the runner is
//! dropped: no orphans.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use futures_util::StreamExt;
use rustix::process::{Pid, Signal};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::session::{Io, Outcome, ServerWs, Sink, Spec, next_signal, send};

/// Kills the process group on drop.
struct Group(Option<Pid>);

impl Group {
    fn kill(&self) {
        if let Some(pid) = self.0 {
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `path` for `spec`; returns once its output has been sent with the end markers.
pub(crate) async fn run(
    spec: &Spec,
    path: &Path,
    io: &mut Io,
    mut signals: mpsc::Receiver<Signal>,
) -> Outcome {
    let mut cmd = Command::new(path);
    let map = |key: Option<&str>, value: &str| -> std::ffi::OsString {
        match &spec.map_paths {
            Some((root, keys)) if key.is_none_or(|k| keys.contains(k)) => {
                crate::testing::process::map_container_path(root, value)
                    .map_or_else(|| value.into(), Into::into)
            }
            _ => value.into(),
        }
    };
    cmd.args(spec.input.command.iter().skip(1).map(|a| map(None, a)))
        .env_clear()
        .envs(
            spec.input
                .environment
                .iter()
                .map(|(k, v)| (k, map(Some(k), v))),
        )
        .current_dir(&spec.host_dir)
        .stdin(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let me = rustix::process::getuid().as_raw();
    if let Some(uid) = spec.user_id.filter(|u| *u != me) {
        cmd.uid(uid);
    }
    if let Some(gid) = spec
        .group_id
        .filter(|g| *g != rustix::process::getgid().as_raw())
    {
        cmd.gid(gid);
    }
    let mut combined = None;
    if spec.split_stderr {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        let pipe = rustix::pipe::pipe()
            .map_err(std::io::Error::from)
            .and_then(|(r, w)| Ok((r, w.try_clone()?, w)));
        match pipe {
            Ok((r, w1, w2)) => {
                cmd.stdout(Stdio::from(w1)).stderr(Stdio::from(w2));
                combined = Some(r);
            }
            Err(e) => return failed(io, format!("cannot create output pipe: {e}")).await,
        }
    }
    let spawned = cmd.spawn();
    // The command's copies of the pipe ends go with it, so the reader sees EOF at its exit.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return failed(io, format!("cannot start command: {e}")).await,
    };
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .and_then(Pid::from_raw);
    let group = Group(pid);

    let stdin_pump = match (io.take_stdin(), child.stdin.take()) {
        (Some(ws), Some(pipe)) => Some(tokio::spawn(pump_stdin(
            ws,
            pipe,
            Arc::clone(&spec.stdin_log),
        ))),
        _ => None,
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let combined = match combined.map(tokio::net::unix::pipe::Receiver::from_owned_fd) {
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => return failed(io, format!("cannot read output pipe: {e}")).await,
        None => None,
    };
    let outputs = async {
        tokio::join!(
            async {
                if let Some(r) = stdout {
                    pump_output(r, &io.stdout).await;
                }
                if let Some(r) = combined {
                    pump_output(r, &io.stdout).await;
                }
            },
            async {
                if let Some(r) = stderr {
                    pump_output(r, &io.stderr).await;
                }
            }
        )
    };

    let deadline = spec.timeout.map(|t| Instant::now() + t);
    let exit = async {
        let expired = async move {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expired);
        let outcome = loop {
            tokio::select! {
                status = child.wait() => break match status {
                    Ok(s) => Outcome::Exited(s.code().or_else(|| s.signal().map(|n| 128 + n)).unwrap_or(-1)),
                    Err(e) => Outcome::Failed(format!("cannot wait for command: {e}")),
                },
                s = next_signal(&mut signals) => {
                    if let Some(pid) = pid {
                        let _ = rustix::process::kill_process(pid, s);
                    }
                }
                () = &mut expired => {
                    group.kill();
                    let _ = child.wait().await;
                    break Outcome::TimedOut(spec.timeout.unwrap_or_default());
                }
            }
        };
        // Whatever the command left running in its group goes too.
        group.kill();
        outcome
    };
    let (_, outcome) = tokio::join!(outputs, exit);
    if let Some(p) = stdin_pump {
        p.abort();
    }
    io.end().await;
    outcome
}

/// Ends the streams and reports a command that could not run.
async fn failed(io: &Io, message: String) -> Outcome {
    io.end().await;
    Outcome::Failed(message)
}

/// Client stdin frames into the child's stdin, closed at the end marker.
async fn pump_stdin(
    mut ws: futures_util::stream::SplitStream<ServerWs>,
    mut pipe: ChildStdin,
    log: super::StdinLog,
) {
    while let Some(frame) = ws.next().await {
        match frame {
            Ok(Message::Binary(data)) => {
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&data);
                if pipe.write_all(&data).await.is_err() {
                    break;
                }
            }
            Ok(Message::Text(t)) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                if v["command"] == "end" {
                    break;
                }
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = pipe.shutdown().await;
}

/// A child's output pipe into binary frames (drained and discarded once the client is
/// gone, so the child never blocks on a full pipe).
async fn pump_output(mut r: impl AsyncRead + Unpin, sink: &Sink) {
    let mut buf = vec![0u8; 32 * 1024];
    let mut connected = true;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if connected {
                    connected = send(sink, &buf[..n]).await;
                }
            }
        }
    }
}
