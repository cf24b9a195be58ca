//! A running command: its streams, signals, and waiting for its exit.

use std::sync::Arc;
use std::time::Duration;

use super::control::Control;
use super::output::{ExecError, ExecOutput, ExitStatus};
use super::streams::{Deadline, ExecReader, ExecStdin, Tasks};
use crate::Client;
use crate::error::{ChangeError, Error, TimeoutPhase};
use crate::types::{ChangeId, ChangeStatus};

/// How long [`ExecProcess::wait`] waits when the command has no timeout: Pebble's long polls
/// are each bounded by the request timeout, so this only stops a command that runs for ever.
const NO_TIMEOUT_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A command started by [`Client::exec`].
///
/// Take the streams you need (`stdin`, `stdout`, `stderr`, like [`std::process::Child`]);
/// those left in place are closed (stdin) or drained and discarded (outputs) by
/// [`wait`](Self::wait). [`wait_output`](Self::wait_output) collects the outputs instead.
///
/// Dropping the handle (and every stream taken from it) before the command ends closes its
/// websockets abruptly, which makes Pebble kill the command: nothing is left running in the
/// background of the charm.
///
/// # Example
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pebble_client::testing::{ExecResponse, SimPebble};
/// use pebble_client::{Client, ExecOptions};
/// use tokio::io::AsyncWriteExt;
///
/// let dir = tempfile::tempdir()?;
/// let sim = SimPebble::spawn(dir.path().join("pebble.socket"))?;
/// sim.exec_handler("tr a-z A-Z", |input| {
///     ExecResponse::exit(0).stdout(input.stdin.to_ascii_uppercase())
/// });
/// let client = Client::new(sim.socket_path())?;
///
/// let mut process = client.exec(&ExecOptions::new(["tr", "a-z", "A-Z"])).await?;
/// let mut stdin = process.stdin.take().unwrap();
/// stdin.write_all(b"hello").await?;
/// stdin.shutdown().await?; // sends Pebble's end marker: the command sees EOF
/// let output = process.wait_output().await?;
/// assert_eq!(output.stdout, b"HELLO");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ExecProcess {
    /// The command's stdin, unless given with [`ExecOptions::stdin`](super::ExecOptions::stdin).
    pub stdin: Option<ExecStdin>,
    /// The command's stdout (and stderr when combined; the terminal in terminal mode).
    pub stdout: Option<ExecReader>,
    /// The command's stderr, when split (the default).
    pub stderr: Option<ExecReader>,
    pub(crate) client: Client,
    pub(crate) change_id: ChangeId,
    pub(crate) task_id: String,
    pub(crate) command: Vec<String>,
    pub(crate) control: Control,
    pub(crate) deadline: Deadline,
    pub(crate) _tasks: Arc<Tasks>,
}

impl ExecProcess {
    /// The id of the `exec` change running the command.
    pub fn change_id(&self) -> &ChangeId {
        &self.change_id
    }

    /// The id of the change's task (its websockets hang off it).
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// The command and its arguments.
    pub fn command(&self) -> &[String] {
        &self.command
    }

    /// Sends a signal to the command through the control websocket: `"SIGTERM"`, `"TERM"`
    /// or `"term"`. Fails with [`Error::Websocket`] once the command has exited.
    pub async fn send_signal(&self, signal: &str) -> Result<(), Error> {
        self.control.signal(signal).await
    }

    /// Tells Pebble the terminal's new size (terminal mode).
    pub async fn resize(&self, width: u32, height: u32) -> Result<(), Error> {
        self.control.resize(width, height).await
    }

    /// Waits for the command to exit and returns its status, whatever the code (the caller
    /// checks [`ExitStatus::success`]).
    ///
    /// Stdin, if still here, is closed first; outputs still here are discarded. Outputs taken
    /// earlier must be read by the caller, or a chatty command blocks once their buffers
    /// fill. Fails with [`Error::Change`] when Pebble ended the command's change in error
    /// (its timeout: exit code -1 in the change's task data), and with [`Error::Timeout`]
    /// when the command's timeout plus the margin passes without an answer.
    pub async fn wait(mut self) -> Result<ExitStatus, Error> {
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        self.exit_status().await
    }

    /// Waits for the command to exit, collecting stdout and stderr (those still here).
    ///
    /// A non-zero exit is an [`Error::Exec`] carrying the command, the code and both
    /// outputs; otherwise like [`wait`](Self::wait).
    pub async fn wait_output(mut self) -> Result<ExecOutput, Error> {
        self.stdin = None;
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let (stdout, stderr, status) =
            tokio::try_join!(read(stdout), read(stderr), self.exit_status())?;
        let output = ExecOutput {
            stdout,
            stderr,
            status,
        };
        if status.success() {
            Ok(output)
        } else {
            Err(ExecError::new(self.command.clone(), output).into())
        }
    }

    /// Writes `data` to stdin and closes it while collecting the outputs, then waits like
    /// [`wait_output`](Self::wait_output): no deadlock however large `data` and the output
    /// are. A command that exits without reading all of `data` is not an error (its exit
    /// status decides). Fails with [`Error::InvalidArgument`] if stdin was taken or given
    /// with [`ExecOptions::stdin`](super::ExecOptions::stdin).
    pub async fn wait_output_with_stdin(
        mut self,
        data: impl Into<bytes::Bytes>,
    ) -> Result<ExecOutput, Error> {
        let Some(mut stdin) = self.stdin.take() else {
            return Err(Error::InvalidArgument {
                message: "this process has no stdin left to write: it was taken, or given with ExecOptions::stdin".into(),
            });
        };
        let data = data.into();
        let write = async move {
            use tokio::io::AsyncWriteExt;
            let written = async {
                stdin.write_all(&data).await?;
                stdin.shutdown().await
            };
            if let Err(e) = written.await {
                tracing::debug!(target: "pebble_client::exec", error = %e, "stdin not fully written");
            }
            Ok::<(), Error>(())
        };
        let (_, output) = tokio::try_join!(write, self.wait_output())?;
        Ok(output)
    }

    /// Waits on the change and reads the exit code from its task.
    async fn exit_status(&self) -> Result<ExitStatus, Error> {
        let limit = match self.deadline.at {
            Some(at) => at.saturating_duration_since(tokio::time::Instant::now()),
            None => NO_TIMEOUT_WAIT,
        };
        let change = match self.client.wait_change(&self.change_id, limit).await {
            Err(Error::Timeout {
                phase: TimeoutPhase::WaitChange,
                ..
            }) => return Err(self.deadline.error()),
            other => other?,
        };
        if change.err.is_some() || change.status != ChangeStatus::Done {
            return Err(ChangeError::new(change).into());
        }
        let code = change
            .tasks
            .first()
            .and_then(|t| t.data.get("exit-code"))
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| {
                Error::protocol(format!(
                    "exec change {} has no exit-code in its task data",
                    self.change_id
                ))
            })?;
        let code = i32::try_from(code)
            .map_err(|_| Error::protocol(format!("exit code {code} is out of range")))?;
        Ok(ExitStatus(code))
    }
}

async fn read(reader: Option<ExecReader>) -> Result<Vec<u8>, Error> {
    match reader {
        Some(mut r) => r.read_all().await,
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    fn _assert_send_sync() {
        fn is<T: Send + Sync + 'static>() {}
        is::<super::ExecProcess>();
        is::<super::ExecReader>();
        is::<super::ExecStdin>();
    }
}
