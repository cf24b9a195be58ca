//! One exec task's life: waiting for its websockets within the connect window, running the
//! command (handler or child process), serving the control websocket, and recording the
//! outcome in the change (`exit-code` in the task data; an error for timeouts).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use rustix::process::Signal;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::{ExecInput, Handler};
use crate::testing::Shared;
use crate::testing::wire::format_duration;
use crate::types::ChangeStatus;

/// A websocket as the server sees it.
pub(crate) type ServerWs = WebSocketStream<TokioIo<Upgraded>>;
/// A sending half shared by the output pumps (stdout and stderr share stdio when combined).
pub(crate) type Sink = Arc<tokio::sync::Mutex<SplitSink<ServerWs, Message>>>;

/// Largest data frame sent.
const CHUNK: usize = 32 * 1024;
/// How long closing a websocket may take before it is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// How the command runs.
pub(crate) enum Mode {
    /// A test's handler.
    Handler(Handler),
    /// A real executable at this host path.
    Child(PathBuf),
}

/// Everything the runner needs from the request.
pub(crate) struct Spec {
    pub mode: Mode,
    /// Where the stdin received is recorded for the exec history.
    pub stdin_log: super::StdinLog,
    pub input: ExecInput,
    pub host_dir: PathBuf,
    pub timeout: Option<Duration>,
    pub split_stderr: bool,
    pub user_id: Option<u32>,
    pub group_id: Option<u32>,
    /// For a real child with path mapping on: the sim root, and the environment keys the
    /// request set (only their values are mapped).
    pub map_paths: Option<(PathBuf, std::collections::BTreeSet<String>)>,
}

/// How the command ended.
pub(crate) enum Outcome {
    /// Exited with this code (`128 + n` when killed by signal `n`).
    Exited(i32),
    /// Killed at its timeout.
    TimedOut(Duration),
    /// Could not run; the message goes to the task log.
    Failed(String),
}

/// The websockets a task offers, each connectable once.
pub(crate) struct Session {
    slots: Mutex<BTreeMap<&'static str, Option<oneshot::Sender<ServerWs>>>>,
}

/// The runner's ends of the websocket slots.
pub(crate) struct Receivers {
    control: oneshot::Receiver<ServerWs>,
    stdio: oneshot::Receiver<ServerWs>,
    stderr: Option<oneshot::Receiver<ServerWs>>,
}

/// The answer to a connect attempt.
pub(crate) enum Claim {
    /// No such websocket for this task.
    Unknown,
    /// Already connected.
    Taken,
    /// Free: hand the websocket over here.
    Free(oneshot::Sender<ServerWs>),
}

impl Session {
    pub(crate) fn new(split_stderr: bool) -> (Self, Receivers) {
        let mut slots = BTreeMap::new();
        let mut slot = |name: &'static str| {
            let (tx, rx) = oneshot::channel();
            slots.insert(name, Some(tx));
            rx
        };
        let receivers = Receivers {
            control: slot("control"),
            stdio: slot("stdio"),
            stderr: split_stderr.then(|| slot("stderr")),
        };
        let session = Self {
            slots: Mutex::new(slots),
        };
        (session, receivers)
    }

    /// Claims the websocket `id`.
    pub(crate) fn claim(&self, id: &str) -> Claim {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots.get_mut(id) {
            None => Claim::Unknown,
            Some(slot) => slot.take().map_or(Claim::Taken, Claim::Free),
        }
    }
}

/// The command's streams.
pub(crate) struct Io {
    stdin: Option<SplitStream<ServerWs>>,
    pub stdout: Sink,
    pub stderr: Sink,
    pub split: bool,
    /// Set to make the control websocket stop reading (and so stop answering pings).
    pub freeze: watch::Sender<bool>,
    _stderr_reader: Option<SplitStream<ServerWs>>,
}

impl Io {
    fn new(stdio: ServerWs, stderr: Option<ServerWs>, freeze: watch::Sender<bool>) -> Self {
        let (out, stdin) = stdio.split();
        let stdout: Sink = Arc::new(tokio::sync::Mutex::new(out));
        let (stderr, reader, split) = match stderr {
            Some(ws) => {
                let (sink, reader) = ws.split();
                (Arc::new(tokio::sync::Mutex::new(sink)), Some(reader), true)
            }
            None => (Arc::clone(&stdout), None, false),
        };
        Self {
            stdin: Some(stdin),
            stdout,
            stderr,
            split,
            freeze,
            _stderr_reader: reader,
        }
    }

    /// The next chunk of stdin; `None` at the client's end marker or when it goes away.
    pub(crate) async fn next_stdin(&mut self) -> Option<Bytes> {
        let stream = self.stdin.as_mut()?;
        loop {
            match stream.next().await {
                Some(Ok(Message::Binary(data))) => return Some(data),
                Some(Ok(Message::Text(t))) if is_end(t.as_str()) => break,
                Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
                _ => break,
            }
        }
        self.stdin = None;
        None
    }

    /// Takes the stdin stream (for a pump task).
    pub(crate) fn take_stdin(&mut self) -> Option<SplitStream<ServerWs>> {
        self.stdin.take()
    }

    /// Sends the end markers: on stdio, and on stderr when split.
    pub(crate) async fn end(&self) {
        send_end(&self.stdout).await;
        if self.split {
            send_end(&self.stderr).await;
        }
    }

    async fn close(self) {
        let close = async {
            let _ = self.stdout.lock().await.close().await;
            if self.split {
                let _ = self.stderr.lock().await.close().await;
            }
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, close).await;
    }
}

/// Whether a text frame is the end marker `{"command":"end"}`.
fn is_end(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["command"] == "end")
}

/// Sends `data` in binary frames; false when the websocket is gone.
pub(crate) async fn send(sink: &Sink, data: &[u8]) -> bool {
    let mut sink = sink.lock().await;
    for chunk in data.chunks(CHUNK) {
        if sink
            .send(Message::Binary(Bytes::copy_from_slice(chunk)))
            .await
            .is_err()
        {
            return false;
        }
    }
    true
}

/// Sends the end marker.
pub(crate) async fn send_end(sink: &Sink) {
    let _ = sink
        .lock()
        .await
        .send(Message::text(r#"{"command":"end"}"#))
        .await;
}

/// A signal by Pebble's name (`SIGTERM`).
pub(crate) fn signal_by_name(name: &str) -> Option<Signal> {
    Some(match name {
        "SIGHUP" => Signal::HUP,
        "SIGINT" => Signal::INT,
        "SIGQUIT" => Signal::QUIT,
        "SIGKILL" => Signal::KILL,
        "SIGUSR1" => Signal::USR1,
        "SIGUSR2" => Signal::USR2,
        "SIGPIPE" => Signal::PIPE,
        "SIGALRM" => Signal::ALARM,
        "SIGTERM" => Signal::TERM,
        "SIGCONT" => Signal::CONT,
        "SIGSTOP" => Signal::STOP,
        "SIGTSTP" => Signal::TSTP,
        "SIGWINCH" => Signal::WINCH,
        _ => return None,
    })
}

/// Waits for the next signal from the control websocket (never, once it is gone).
pub(crate) async fn next_signal(signals: &mut mpsc::Receiver<Signal>) -> Signal {
    match signals.recv().await {
        Some(s) => s,
        None => std::future::pending().await,
    }
}

/// Waits until the command is done.
async fn finished(done: &mut watch::Receiver<bool>) {
    let _ = done.wait_for(|d| *d).await;
}

/// Serves the control websocket: forwards signals, SIGKILL on an abnormal close, and
/// closes it when the command is done.
async fn serve_control(
    rx: oneshot::Receiver<ServerWs>,
    signals: mpsc::Sender<Signal>,
    mut done: watch::Receiver<bool>,
    mut frozen: watch::Receiver<bool>,
) {
    let ws = tokio::select! {
        ws = rx => ws.ok(),
        () = finished(&mut done) => None,
    };
    let Some(mut ws) = ws else { return };
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                    if v["command"] == "signal" {
                        if let Some(sig) = v["signal"]["name"].as_str().and_then(signal_by_name) {
                            let _ = signals.send(sig).await;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) => break,
                None | Some(Err(_)) => {
                    let _ = signals.send(Signal::KILL).await;
                    break;
                }
                Some(Ok(_)) => {}
            },
            () = finished(&mut done) => {
                let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(None)).await;
                break;
            }
            () = finished(&mut frozen) => {
                // A stalled Pebble: the socket stays open and nothing is read or answered.
                let _keep = ws;
                return std::future::pending().await;
            }
        }
    }
}

/// Runs one exec task from connect window to recorded outcome.
pub(crate) async fn run(shared: Arc<Shared>, change: u64, task: u64, spec: Spec, rx: Receivers) {
    shared.with(|st, now| st.set_task(change, 0, ChangeStatus::Doing, None, now));
    let (done_tx, done_rx) = watch::channel(false);
    let (sig_tx, sig_rx) = mpsc::channel(8);
    let (freeze, frozen) = watch::channel(false);
    let control = tokio::spawn(serve_control(rx.control, sig_tx, done_rx, frozen));
    let window = shared.exec.settings.connect_window;
    let (stdio_rx, stderr_rx) = (rx.stdio, rx.stderr);
    let connected = tokio::time::timeout(window, async move {
        let stdio = stdio_rx.await.ok()?;
        let stderr = match stderr_rx {
            Some(r) => Some(r.await.ok()?),
            None => None,
        };
        Some((stdio, stderr))
    })
    .await;
    let (outcome, io) = match connected {
        Ok(Some((stdio, stderr))) => {
            let mut io = Io::new(stdio, stderr, freeze);
            let outcome = match &spec.mode {
                Mode::Handler(h) => super::handler::run(&spec, h, &mut io, sig_rx).await,
                Mode::Child(path) => super::child::run(&spec, path, &mut io, sig_rx).await,
            };
            (outcome, Some(io))
        }
        _ => (
            Outcome::Failed(format!(
                "exec {task}: timeout waiting for websocket connections: context deadline exceeded"
            )),
            None,
        ),
    };
    // As Pebble: the output is sent; close control, record the exit, then tidy up.
    let _ = done_tx.send(true);
    shared.exec.remove_session(task);
    shared.with(|st, now| {
        let (code, status, log) = match outcome {
            Outcome::Exited(c) => (c, ChangeStatus::Done, None),
            Outcome::TimedOut(d) => (
                -1,
                ChangeStatus::Error,
                Some(format!(
                    "timed out after {}: context deadline exceeded",
                    format_duration(d)
                )),
            ),
            Outcome::Failed(m) => (-1, ChangeStatus::Error, Some(m)),
        };
        if let Some(t) = st.change_mut(change).and_then(|c| c.tasks.first_mut()) {
            t.data.insert("exit-code".into(), json!(code));
        }
        st.set_task(change, 0, status, log, now);
    });
    if let Some(io) = io {
        io.close().await;
    }
    let abort = control.abort_handle();
    if tokio::time::timeout(CLOSE_WAIT, control).await.is_err() {
        abort.abort();
    }
}
