//! The command's streams: stdin as an [`AsyncWrite`], stdout and stderr as [`AsyncRead`]s,
//! each pumped to or from its websocket by a background task.
//!
//! Data travels in binary frames; `{"command":"end"}` in a text frame marks the end of a
//! stream. Every read and write is bounded by the process's deadline (its timeout plus a
//! margin), so a stalled websocket ends in an error, never a hang. The pump tasks are
//! aborted when the process handle and every stream handle are dropped.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::Message;

use super::ws::{END, Ws, is_end, text};
use crate::error::{Error, TimeoutPhase};

/// How many chunks of output may wait for a reader before the pump stops reading.
const OUTPUT_QUEUE: usize = 16;
/// The stdin pipe's buffer and the largest frame sent.
const STDIN_CHUNK: usize = 64 * 1024;

/// Aborts the pump tasks when the last handle (process or stream) is dropped.
#[derive(Debug, Default)]
pub(crate) struct Tasks(std::sync::Mutex<Vec<AbortHandle>>);

impl Tasks {
    /// Spawns a pump task owned by this set.
    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(fut).abort_handle();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle);
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for h in self
            .0
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            h.abort();
        }
    }
}

/// When the client stops waiting: the deadline (the command's timeout plus a margin), and
/// the control websocket's liveness (Pebble answering pings), for commands without one.
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    pub at: Option<Instant>,
    pub after: Duration,
    pub alive: watch::Receiver<bool>,
}

/// Completes when the control websocket is found dead.
type Dead = std::sync::Mutex<Pin<Box<dyn Future<Output = ()> + Send>>>;

impl Deadline {
    /// The timeout error for this deadline.
    pub(crate) fn error(&self) -> Error {
        Error::Timeout {
            phase: TimeoutPhase::Exec,
            after: self.after,
        }
    }

    fn sleep(&self) -> Option<Pin<Box<Sleep>>> {
        self.at.map(|at| Box::pin(tokio::time::sleep_until(at)))
    }

    fn dead(&self) -> Dead {
        let mut alive = self.alive.clone();
        std::sync::Mutex::new(Box::pin(async move {
            // A closed channel means the control task ended normally: never dead then.
            if alive.wait_for(|a| !*a).await.is_err() {
                std::future::pending::<()>().await;
            }
        }))
    }

    /// Polls the deadline and the liveness; the error to end the stream with, if any.
    fn poll_expired(
        &self,
        sleep: &mut Option<Pin<Box<Sleep>>>,
        dead: &mut Dead,
        cx: &mut Context<'_>,
    ) -> Option<io::Error> {
        if let Some(s) = sleep {
            if s.as_mut().poll(cx).is_ready() {
                return Some(to_io(io::ErrorKind::TimedOut, self.error()));
            }
        }
        let dead = dead.get_mut().unwrap_or_else(|e| e.into_inner());
        if dead.as_mut().poll(cx).is_ready() {
            return Some(to_io(io::ErrorKind::ConnectionAborted, dead_control()));
        }
        None
    }
}

/// The error for a control websocket that stopped answering pings.
pub(crate) fn dead_control() -> Error {
    Error::Websocket {
        websocket: "control",
        detail: "Pebble stopped answering pings on it; the connection is stalled".into(),
    }
}

/// Wraps a client error in an `io::Error` (recovered by [`from_io`]).
fn to_io(kind: io::ErrorKind, e: Error) -> io::Error {
    io::Error::new(kind, e)
}

/// Recovers the client error inside an `io::Error` from a stream, or describes it.
pub(crate) fn from_io(e: io::Error, websocket: &'static str) -> Error {
    if e.get_ref().is_some_and(|i| i.is::<Error>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(err) = inner.downcast::<Error>() {
                return *err;
            }
        }
        return Error::Websocket {
            websocket,
            detail: "stream error".into(),
        };
    }
    Error::Websocket {
        websocket,
        detail: e.to_string(),
    }
}

/// The command's stdout or stderr. Reads end (`Ok(0)`) at Pebble's end-of-stream marker.
///
/// A read fails with an [`Error::Websocket`] inside the `io::Error` when the websocket breaks,
/// and with an [`Error::Timeout`] when the process's deadline passes (see
/// [`ExecOptions::timeout`](super::ExecOptions::timeout)). [`ExecProcess::wait_output`](super::ExecProcess::wait_output)
/// turns those back into [`Error`]s.
pub struct ExecReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    buf: Bytes,
    done: bool,
    deadline: Deadline,
    sleep: Option<Pin<Box<Sleep>>>,
    dead: Dead,
    name: &'static str,
    _tasks: Arc<Tasks>,
}

impl ExecReader {
    /// Which stream this is: `stdio` (stdout) or `stderr`.
    pub fn websocket(&self) -> &'static str {
        self.name
    }

    /// Reads everything until the end marker.
    pub async fn read_all(&mut self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.read_to_end(&mut out)
            .await
            .map_err(|e| from_io(e, self.name))?;
        Ok(out)
    }
}

impl std::fmt::Debug for ExecReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecReader")
            .field("websocket", &self.name)
            .field("buffered", &self.buf.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ExecStdin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecStdin").finish_non_exhaustive()
    }
}

impl AsyncRead for ExecReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.buf.is_empty() {
                let n = this.buf.len().min(out.remaining());
                out.put_slice(&this.buf.split_to(n));
                return Poll::Ready(Ok(()));
            }
            if this.done {
                return Poll::Ready(Ok(()));
            }
            match this.rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.buf = chunk,
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending => {
                    if let Some(e) = this
                        .deadline
                        .poll_expired(&mut this.sleep, &mut this.dead, cx)
                    {
                        this.done = true;
                        return Poll::Ready(Err(e));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// The command's stdin. Closing it ([`AsyncWriteExt::shutdown`](tokio::io::AsyncWriteExt::shutdown))
/// or dropping it sends Pebble's end marker, so a command reading stdin sees end of file.
///
/// Writes fail with [`Error::Timeout`] inside the `io::Error` when the process's deadline
/// passes, and with `BrokenPipe` when the websocket is gone.
pub struct ExecStdin {
    pipe: DuplexStream,
    deadline: Deadline,
    sleep: Option<Pin<Box<Sleep>>>,
    dead: Dead,
    _tasks: Arc<Tasks>,
}

impl ExecStdin {
    fn check_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        match self
            .deadline
            .poll_expired(&mut self.sleep, &mut self.dead, cx)
        {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Pending,
        }
    }
}

impl AsyncWrite for ExecStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.pipe).poll_write(cx, buf) {
            Poll::Pending => self.check_deadline(cx),
            ready => ready,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.pipe).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.pipe).poll_shutdown(cx)
    }
}

/// Starts pumping `stream` (binary frames until the end marker) into a new reader.
pub(crate) fn output(
    tasks: &Arc<Tasks>,
    stream: SplitStream<Ws>,
    name: &'static str,
    deadline: Deadline,
) -> ExecReader {
    let (tx, rx) = mpsc::channel(OUTPUT_QUEUE);
    tasks.spawn(pump_output(stream, tx, name));
    ExecReader {
        rx,
        buf: Bytes::new(),
        done: false,
        sleep: deadline.sleep(),
        dead: deadline.dead(),
        deadline,
        name,
        _tasks: Arc::clone(tasks),
    }
}

async fn pump_output(
    mut stream: SplitStream<Ws>,
    tx: mpsc::Sender<io::Result<Bytes>>,
    name: &'static str,
) {
    let broken = |detail: String| {
        let e = Error::Websocket {
            websocket: name,
            detail,
        };
        Err(to_io(io::ErrorKind::ConnectionAborted, e))
    };
    loop {
        let failure = match stream.next().await {
            // A dropped reader is fine: keep draining so the command is never blocked.
            Some(Ok(Message::Binary(data))) => {
                let _ = tx.send(Ok(data)).await;
                continue;
            }
            Some(Ok(Message::Text(t))) if is_end(t.as_str()) => return,
            Some(Ok(Message::Text(t))) => {
                tracing::debug!(target: "pebble_client::exec", websocket = name, frame = %t.as_str(), "ignoring unknown I/O command");
                continue;
            }
            Some(Ok(Message::Close(_))) | None => {
                broken("Pebble closed it before the end-of-output marker".into())
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => broken(e.to_string()),
        };
        let _ = tx.send(failure).await;
        return;
    }
}

/// Starts pumping a new stdin writer into `sink`; the end marker follows its end.
pub(crate) fn stdin(
    tasks: &Arc<Tasks>,
    sink: SplitSink<Ws, Message>,
    deadline: Deadline,
) -> ExecStdin {
    let (pipe, source) = tokio::io::duplex(STDIN_CHUNK);
    tasks.spawn(pump_input(source, sink));
    ExecStdin {
        pipe,
        sleep: deadline.sleep(),
        dead: deadline.dead(),
        deadline,
        _tasks: Arc::clone(tasks),
    }
}

/// Starts sending `data` then the end marker into `sink`.
pub(crate) fn fixed_stdin(tasks: &Arc<Tasks>, sink: SplitSink<Ws, Message>, data: Bytes) {
    tasks.spawn(pump_input(std::io::Cursor::new(data), sink));
}

async fn pump_input(mut source: impl AsyncRead + Unpin + Send, mut sink: SplitSink<Ws, Message>) {
    let mut buf = vec![0u8; STDIN_CHUNK];
    loop {
        match source.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let frame = Message::Binary(Bytes::copy_from_slice(&buf[..n]));
                if sink.send(frame).await.is_err() {
                    // The websocket is gone; dropping `source` makes writes fail.
                    return;
                }
            }
        }
    }
    let _ = sink.send(text(END)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_give_back_the_client_error() {
        let (_tx, alive) = watch::channel(true);
        let d = Deadline {
            at: None,
            after: Duration::from_secs(3),
            alive,
        };
        let io = to_io(io::ErrorKind::TimedOut, d.error());
        let e = from_io(io, "stdio");
        assert!(matches!(
            e,
            Error::Timeout {
                phase: TimeoutPhase::Exec,
                ..
            }
        ));
        let plain = from_io(io::Error::other("boom"), "stderr");
        assert!(plain.to_string().contains("stderr"), "{plain}");
    }
}
