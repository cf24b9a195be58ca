//! The blocking form of exec: the process handle and its streams as `std::io` types, each
//! call blocking on the blocking client's runtime.

use std::io::{self, Read, Write};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

use super::{ExecOutput, ExitStatus};
use crate::error::Error;

/// Blocks on `fut`, refusing inside an async runtime.
fn block<T>(runtime: &Runtime, fut: impl Future<Output = T>) -> Result<T, Error> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::BlockingInRuntime);
    }
    Ok(runtime.block_on(fut))
}

fn io_block<T>(runtime: &Runtime, fut: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    block(runtime, fut).map_err(io::Error::other)?
}

/// A command started by [`blocking::Client::exec`](crate::blocking::Client::exec); the
/// blocking twin of [`crate::ExecProcess`], with the same semantics.
///
/// # Example
/// ```
/// use pebble_client::testing::{ExecResponse, SimPebble};
/// use pebble_client::{ExecOptions, blocking::Client};
/// use std::io::{Read, Write};
///
/// let dir = tempfile::tempdir()?;
/// let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
/// sim.exec_handler("rev", |input| {
///     let mut out = input.stdin.clone();
///     out.reverse();
///     ExecResponse::exit(0).stdout(out)
/// });
/// let client = Client::new(sim.socket_path())?;
///
/// let output = client.exec(&ExecOptions::new(["rev"]).stdin("abc"))?.wait_output()?;
/// assert_eq!(output.stdout, b"cba");
///
/// let mut process = client.exec(&ExecOptions::new(["rev"]))?;
/// let mut stdin = process.stdin.take().unwrap();
/// stdin.write_all(b"xyz")?;
/// stdin.close()?;
/// let mut out = String::new();
/// process.stdout.take().unwrap().read_to_string(&mut out)?;
/// assert_eq!(out, "zyx");
/// assert!(process.wait()?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ExecProcess {
    /// The command's stdin (see [`crate::ExecProcess::stdin`]).
    pub stdin: Option<ExecStdin>,
    /// The command's stdout (see [`crate::ExecProcess::stdout`]).
    pub stdout: Option<ExecReader>,
    /// The command's stderr, when split (see [`crate::ExecProcess::stderr`]).
    pub stderr: Option<ExecReader>,
    inner: Option<crate::ExecProcess>,
    runtime: Arc<Runtime>,
}

impl ExecProcess {
    pub(crate) fn new(mut inner: crate::ExecProcess, runtime: Arc<Runtime>) -> Self {
        let wrap = |r: crate::ExecReader| ExecReader {
            inner: r,
            runtime: Arc::clone(&runtime),
        };
        Self {
            stdin: inner.stdin.take().map(|w| ExecStdin {
                inner: Some(w),
                runtime: Arc::clone(&runtime),
            }),
            stdout: inner.stdout.take().map(wrap),
            stderr: inner.stderr.take().map(wrap),
            inner: Some(inner),
            runtime,
        }
    }

    fn inner(&self) -> Result<&crate::ExecProcess, Error> {
        self.inner.as_ref().ok_or_else(|| Error::InvalidArgument {
            message: "this exec process was already waited for".into(),
        })
    }

    /// The async process inside.
    pub fn as_async(&self) -> Option<&crate::ExecProcess> {
        self.inner.as_ref()
    }

    /// See [`crate::ExecProcess::send_signal`].
    pub fn send_signal(&self, signal: &str) -> Result<(), Error> {
        block(&self.runtime, self.inner()?.send_signal(signal))?
    }

    /// See [`crate::ExecProcess::resize`].
    pub fn resize(&self, width: u32, height: u32) -> Result<(), Error> {
        block(&self.runtime, self.inner()?.resize(width, height))?
    }

    /// See [`crate::ExecProcess::wait`].
    pub fn wait(mut self) -> Result<ExitStatus, Error> {
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        let inner = self.take_inner()?;
        block(&self.runtime, inner.wait())?
    }

    /// See [`crate::ExecProcess::wait_output`]; give stdin data with
    /// [`ExecOptions::stdin`](crate::ExecOptions::stdin).
    pub fn wait_output(mut self) -> Result<ExecOutput, Error> {
        self.stdin = None;
        let mut inner = self.take_inner()?;
        inner.stdout = self.stdout.take().map(|r| r.inner);
        inner.stderr = self.stderr.take().map(|r| r.inner);
        block(&self.runtime, inner.wait_output())?
    }

    /// See [`crate::ExecProcess::wait_output_with_stdin`].
    pub fn wait_output_with_stdin(
        mut self,
        data: impl Into<bytes::Bytes>,
    ) -> Result<ExecOutput, Error> {
        let mut inner = self.take_inner()?;
        inner.stdin = self.stdin.take().and_then(|mut w| w.inner.take());
        inner.stdout = self.stdout.take().map(|r| r.inner);
        inner.stderr = self.stderr.take().map(|r| r.inner);
        block(&self.runtime, inner.wait_output_with_stdin(data))?
    }

    fn take_inner(&mut self) -> Result<crate::ExecProcess, Error> {
        self.inner.take().ok_or_else(|| Error::InvalidArgument {
            message: "this exec process was already waited for".into(),
        })
    }
}

impl Drop for ExecProcess {
    fn drop(&mut self) {
        // Run the runtime once so aborted pump tasks close their websockets now (Pebble then
        // kills a command still running) rather than at the client's next call.
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        let had_inner = self.inner.take().is_some();
        if had_inner && tokio::runtime::Handle::try_current().is_err() {
            self.runtime.block_on(tokio::task::yield_now());
        }
    }
}

/// A running command's stdin, written without an async runtime; [`close`](Self::close) (or
/// dropping it) sends Pebble's end marker.
///
/// The blocking twin of the async [`ExecStdin`](crate::ExecStdin).
#[derive(Debug)]
pub struct ExecStdin {
    inner: Option<crate::ExecStdin>,
    runtime: Arc<Runtime>,
}

impl ExecStdin {
    /// Closes stdin: the command sees end of file.
    pub fn close(mut self) -> io::Result<()> {
        match self.inner.take() {
            Some(mut w) => io_block(&self.runtime, async move { w.shutdown().await }),
            None => Ok(()),
        }
    }

    fn writer(&mut self) -> io::Result<&mut crate::ExecStdin> {
        self.inner
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "stdin is closed"))
    }
}

impl Write for ExecStdin {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let runtime = Arc::clone(&self.runtime);
        let w = self.writer()?;
        io_block(&runtime, w.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        let runtime = Arc::clone(&self.runtime);
        let w = self.writer()?;
        io_block(&runtime, w.flush())
    }
}

impl Drop for ExecStdin {
    fn drop(&mut self) {
        if let Some(mut w) = self.inner.take() {
            if tokio::runtime::Handle::try_current().is_err() {
                let _ = self.runtime.block_on(async move { w.shutdown().await });
            }
        }
    }
}

/// A running command's stdout or stderr, read without an async runtime.
///
/// The blocking twin of the async [`ExecReader`](crate::ExecReader).
#[derive(Debug)]
pub struct ExecReader {
    inner: crate::ExecReader,
    runtime: Arc<Runtime>,
}

impl ExecReader {
    /// Reads everything until the end marker, with the client's error on failure.
    pub fn read_all(&mut self) -> Result<Vec<u8>, Error> {
        block(&self.runtime, self.inner.read_all())?
    }
}

impl Read for ExecReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io_block(&self.runtime, self.inner.read(buf))
    }
}
