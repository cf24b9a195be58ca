//! [`Container::exec`]: running a command in the workload container, and [`ExecProcess`],
//! the running command (Python ops' `Container.exec` and `ExecProcess`). Retries, time
//! limits and secrets are documented on [`Container::exec`].

use std::io::Read;
use std::time::Duration;

use pebble_client::blocking::{self, ExecReader, ExecStdin};
use pebble_client::{Error as PebbleError, ExecError, ExecOptions, ExecOutput, ExitStatus};

use super::{Container, ContainerError};

impl Container {
    /// Starts a command in the container and returns it running, with its streams.
    ///
    /// The command is the executable (looked up in Pebble's `PATH`, or an absolute path)
    /// and its arguments; [`ExecOptions`] sets the environment, working directory, user
    /// and group, timeout, stdin data and whether stderr is combined into stdout. Then:
    /// [`ExecProcess::wait_output`] for its output (a non-zero exit is an error carrying the
    /// exit code and both outputs), [`ExecProcess::wait`] to only wait, or the streams
    /// ([`ExecProcess::stdin`], [`ExecProcess::stdout`], [`ExecProcess::stderr`]) for
    /// streaming.
    ///
    /// Exec is the tool when the charm needs the workload's own programs, with the
    /// workload's files, users and environment: a backup or migration the workload binary
    /// knows how to do, a `tar` of its data directory, a config check. For plain file
    /// access the files API ([`Container::push`], [`Container::pull`]) is simpler; for
    /// long-running processes, a Pebble service is the right tool (Pebble restarts it and
    /// keeps its logs).
    ///
    /// # Retries
    /// Starting the command (`POST /v1/exec`) is retried by the container's policy **only
    /// when the request never reached Pebble** (socket missing, connection refused, or
    /// reset before sending): a second POST would run the command twice. Nothing after the
    /// start (the websockets, the wait) is retried. A handler that wants to run a command
    /// again after a failure decides that itself, knowing whether it is safe to repeat.
    ///
    /// # Time limits
    /// Every step is bounded by the client's request timeout, and the wait for the command
    /// by its [`ExecOptions::timeout`] plus that margin; Pebble kills a command at its
    /// timeout ([`ContainerError::ExecTimedOut`]). A command without a timeout is waited for
    /// as long as it runs: give one to anything that could hang.
    ///
    /// # Secrets
    /// Pass secrets in the environment or on stdin, never on the command line: the command
    /// and its arguments appear in error messages and logs; the environment and stdin never
    /// do.
    ///
    /// # Errors
    /// - [`ContainerError::ExecutableNotFound`]: Pebble has no such executable;
    /// - [`ContainerError::is_unreachable`]: Pebble could not be reached (defer, or fail the
    ///   hook so Juju retries it). The command did not run, except when the connection broke
    ///   after the request was sent (the source is a `ConnectionReset` with `sent: true`):
    ///   then it may have started;
    /// - [`ContainerError::Pebble`] for Pebble's other refusals (a missing working
    ///   directory, an unknown user) and invalid options (an empty command).
    ///
    /// # Example
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ops::container::{Container, ExecOptions};
    /// use pebble_client::testing::{ExecResponse, SimPebble};
    /// # let dir = tempfile::tempdir()?;
    /// # let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
    /// # let web = Container::from_client("web", pebble_client::blocking::Client::new(sim.socket_path())?);
    /// sim.exec_handler("webkv-server check-config", |input| {
    ///     let ok = input.environment.get("WEBKV_PORT").is_some_and(|p| p.parse::<u16>().is_ok());
    ///     if ok { ExecResponse::exit(0).stdout("ok") } else { ExecResponse::exit(2).stderr("bad port") }
    /// });
    ///
    /// let opts = ExecOptions::new(["webkv-server", "check-config"]).env("WEBKV_PORT", "8080");
    /// let output = web.exec(&opts)?.wait_output()?;
    /// assert_eq!(output.stdout, b"ok");
    ///
    /// let opts = ExecOptions::new(["webkv-server", "check-config"]).env("WEBKV_PORT", "http");
    /// let err = web.exec(&opts)?.wait_output().unwrap_err();
    /// assert_eq!(err.exit_code(), Some(2));
    /// assert_eq!(err.exec_error().map(|e| e.stderr()), Some(&b"bad port"[..]));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exec(&self, options: &ExecOptions) -> Result<ExecProcess, ContainerError> {
        let context = ExecContext {
            container: self.name().to_owned(),
            command: options.command().to_vec(),
            timeout: options.get_timeout(),
        };
        let mut inner = self
            .pebble()
            .exec(options)
            .map_err(|e| context.error("start", e))?;
        Ok(ExecProcess {
            stdin: inner.stdin.take(),
            stdout: inner.stdout.take(),
            stderr: inner.stderr.take(),
            inner,
            context,
        })
    }

    /// Runs a command to its end and returns its output: [`exec`](Self::exec) then
    /// [`ExecProcess::wait_output`]. Stdin data, if any, goes in
    /// [`ExecOptions::stdin`].
    ///
    /// # Errors
    /// As [`exec`](Self::exec) and [`ExecProcess::wait_output`]: a non-zero exit is
    /// [`ContainerError::ExecFailed`] with the exit code and both outputs.
    ///
    /// # Example
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ops::container::{Container, ExecOptions};
    /// use pebble_client::testing::{ExecResponse, SimPebble};
    /// # let dir = tempfile::tempdir()?;
    /// # let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
    /// # let web = Container::from_client("web", pebble_client::blocking::Client::new(sim.socket_path())?);
    /// sim.exec_handler("sha256sum", |input| {
    ///     ExecResponse::exit(0).stdout(format!("{} bytes hashed", input.stdin.len()))
    /// });
    /// let output = web.exec_output(&ExecOptions::new(["sha256sum"]).stdin("some data"))?;
    /// assert_eq!(output.stdout_lossy(), "9 bytes hashed");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exec_output(&self, options: &ExecOptions) -> Result<ExecOutput, ContainerError> {
        self.exec(options)?.wait_output()
    }
}

/// What a running command's errors need to say where and what.
#[derive(Debug, Clone)]
struct ExecContext {
    container: String,
    command: Vec<String>,
    timeout: Option<Duration>,
}

impl ExecContext {
    /// Maps a Pebble error met while doing `what` (`start`, `wait for`, …) to the most
    /// specific [`ContainerError`].
    fn error(&self, what: &str, e: PebbleError) -> ContainerError {
        let container = self.container.clone();
        if let PebbleError::Exec(error) = e {
            return ContainerError::ExecFailed { container, error };
        }
        if let Some(executable) = e.missing_executable().map(str::to_owned) {
            return ContainerError::ExecutableNotFound {
                container,
                executable,
                source: e,
            };
        }
        if let Some(timeout) = self.timeout.filter(|_| e.is_exec_timeout()) {
            return ContainerError::ExecTimedOut {
                container,
                command: self.command.clone(),
                timeout,
                source: e,
            };
        }
        ContainerError::pebble(container, format!("{what} command {:?}", self.command), e)
    }
}

/// A command started by [`Container::exec`] (Python ops' `ExecProcess`).
///
/// Like [`std::process::Child`], the streams are public fields to take: write to
/// [`stdin`](Self::stdin) (a [`std::io::Write`]; dropping or
/// [`close`](ExecStdin::close)-ing it sends end of file), read [`stdout`](Self::stdout) and
/// [`stderr`](Self::stderr) (each a [`std::io::Read`]). Those left in place are handled by
/// the wait: stdin closed, outputs collected ([`wait_output`](Self::wait_output)) or
/// discarded ([`wait`](Self::wait)).
///
/// Outputs taken must be read: a command writing more than the buffers hold (a few hundred
/// KiB) waits until they are. To write a large stdin while the command writes a large
/// output, use [`wait_output_with_stdin`](Self::wait_output_with_stdin), or read the
/// outputs on another thread.
///
/// Dropping the process before the command ends closes its websockets, and Pebble then
/// kills the command: nothing is left running behind the hook.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use std::io::{Read, Write};
/// use ops::container::{Container, ExecOptions};
/// use pebble_client::testing::{ExecResponse, SimPebble};
/// # let dir = tempfile::tempdir()?;
/// # let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
/// # let web = Container::from_client("web", pebble_client::blocking::Client::new(sim.socket_path())?);
/// sim.exec_handler("tr a-z A-Z", |input| ExecResponse::exit(0).stdout(input.stdin.to_ascii_uppercase()));
///
/// let mut process = web.exec(&ExecOptions::new(["tr", "a-z", "A-Z"]))?;
/// let mut stdin = process.stdin.take().expect("stdin is not given in the options");
/// stdin.write_all(b"hello")?;
/// stdin.close()?; // end of file for the command
/// let mut upper = String::new();
/// process.stdout.take().expect("stdout").read_to_string(&mut upper)?;
/// assert_eq!(upper, "HELLO");
/// process.wait()?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ExecProcess {
    /// The command's stdin, unless given with [`ExecOptions::stdin`].
    pub stdin: Option<ExecStdin>,
    /// The command's stdout (and its stderr, with [`ExecOptions::combine_stderr`]).
    pub stdout: Option<ExecReader>,
    /// The command's stderr, unless combined into stdout.
    pub stderr: Option<ExecReader>,
    inner: blocking::ExecProcess,
    context: ExecContext,
}

impl std::fmt::Debug for ExecProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The command only: the environment and stdin may hold secrets.
        f.debug_struct("ExecProcess")
            .field("container", &self.context.container)
            .field("command", &self.context.command)
            .field("timeout", &self.context.timeout)
            .finish_non_exhaustive()
    }
}

impl ExecProcess {
    /// The command and its arguments.
    pub fn command(&self) -> &[String] {
        &self.context.command
    }

    /// The container it runs in.
    pub fn container(&self) -> &str {
        &self.context.container
    }

    /// Sends a signal to the command: `"SIGTERM"`, `"TERM"` or `"term"`. A command killed
    /// by signal `n` exits with code `128 + n`.
    ///
    /// # Errors
    /// [`ContainerError::Pebble`] when the signal cannot be delivered (the command has
    /// already exited, or the name is not a signal).
    pub fn send_signal(&self, signal: &str) -> Result<(), ContainerError> {
        self.inner
            .send_signal(signal)
            .map_err(|e| self.context.error(&format!("send {signal} to"), e))
    }

    /// Waits for the command to exit; a non-zero exit is an error (as Python ops' `wait`).
    /// Stdin, if still here, is closed first; outputs still here are discarded, so the
    /// error of a non-zero exit has the exit code but empty outputs: use
    /// [`wait_output`](Self::wait_output) to keep them.
    ///
    /// # Errors
    /// [`ContainerError::ExecFailed`] for a non-zero exit (with the exit code, empty
    /// outputs); others as [`wait_status`](Self::wait_status).
    pub fn wait(self) -> Result<(), ContainerError> {
        let context = self.context.clone();
        let status = self.wait_status()?;
        if status.success() {
            return Ok(());
        }
        let output = ExecOutput {
            stdout: Vec::new(),
            stderr: Vec::new(),
            status,
        };
        Err(ContainerError::ExecFailed {
            container: context.container,
            error: Box::new(ExecError::new(context.command, output)),
        })
    }

    /// Waits for the command to exit and returns its status, whatever the code (like
    /// [`std::process::Child::wait`]: check [`ExitStatus::success`]).
    ///
    /// # Errors
    /// [`ContainerError::ExecTimedOut`] when Pebble killed the command at its timeout;
    /// [`ContainerError::Pebble`] when Pebble stopped answering (a timeout past the
    /// command's timeout plus the request timeout) or the connection broke.
    pub fn wait_status(self) -> Result<ExitStatus, ContainerError> {
        self.finish(blocking::ExecProcess::wait)
    }

    /// Waits for the command to exit, collecting stdout and stderr (those not taken).
    ///
    /// # Errors
    /// [`ContainerError::ExecFailed`] for a non-zero exit: its
    /// [`exec_error`](ContainerError::exec_error) has the exit code and both outputs;
    /// others as [`wait_status`](Self::wait_status).
    pub fn wait_output(self) -> Result<ExecOutput, ContainerError> {
        self.finish(blocking::ExecProcess::wait_output)
    }

    /// Writes `data` to the command's stdin and closes it while collecting the outputs,
    /// then waits as [`wait_output`](Self::wait_output): no deadlock however large the
    /// input and the output. A command that exits without reading all of `data` is not an
    /// error (its exit code decides).
    ///
    /// # Errors
    /// [`ContainerError::Pebble`] (invalid argument) if stdin was taken, or given with
    /// [`ExecOptions::stdin`]; others as [`wait_output`](Self::wait_output).
    pub fn wait_output_with_stdin(
        self,
        data: impl Into<Vec<u8>>,
    ) -> Result<ExecOutput, ContainerError> {
        let data = data.into();
        self.finish(|inner| inner.wait_output_with_stdin(data))
    }

    /// Reads `reader` to its end, then runs as
    /// [`wait_output_with_stdin`](Self::wait_output_with_stdin) with what was read: stdin
    /// from a file or any other [`Read`]. The input is held in memory; to stream a very
    /// large input, write it to [`stdin`](Self::stdin) and read the outputs on another
    /// thread.
    ///
    /// # Errors
    /// [`ContainerError::StdinSource`] if reading `reader` fails (the command is then
    /// dropped, and Pebble kills it); others as
    /// [`wait_output_with_stdin`](Self::wait_output_with_stdin).
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ops::container::{Container, ExecOptions};
    /// use pebble_client::testing::{ExecResponse, SimPebble};
    /// # let dir = tempfile::tempdir()?;
    /// # let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
    /// # let web = Container::from_client("web", pebble_client::blocking::Client::new(sim.socket_path())?);
    /// sim.exec_handler("wc -c", |input| ExecResponse::exit(0).stdout(input.stdin.len().to_string()));
    /// let file: &[u8] = b"0123456789"; // any Read: a File, a Cursor, a slice
    /// let output = web.exec(&ExecOptions::new(["wc", "-c"]))?.wait_output_with_stdin_from(file)?;
    /// assert_eq!(output.stdout, b"10");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_output_with_stdin_from(
        self,
        mut reader: impl Read,
    ) -> Result<ExecOutput, ContainerError> {
        let mut data = Vec::new();
        if let Err(source) = reader.read_to_end(&mut data) {
            return Err(ContainerError::StdinSource {
                container: self.context.container.clone(),
                command: self.context.command.clone(),
                source,
            });
        }
        self.wait_output_with_stdin(data)
    }

    /// Gives the streams not taken back to the inner process and runs one of its waits,
    /// mapping its error.
    fn finish<T>(
        self,
        wait: impl FnOnce(blocking::ExecProcess) -> Result<T, PebbleError>,
    ) -> Result<T, ContainerError> {
        let ExecProcess {
            stdin,
            stdout,
            stderr,
            mut inner,
            context,
        } = self;
        inner.stdin = stdin;
        inner.stdout = stdout;
        inner.stderr = stderr;
        wait(inner).map_err(|e| context.error("wait for", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: &str) -> PebbleError {
        pebble_client::ApiError {
            status_code: status,
            status: "Bad Request".into(),
            kind: None,
            message: message.into(),
            value: None,
            maintenance: None,
        }
        .into()
    }

    fn context(timeout: Option<Duration>) -> ExecContext {
        ExecContext {
            container: "web".into(),
            command: vec!["backup".into(), "--out".into(), "/b".into()],
            timeout,
        }
    }

    #[test]
    fn pebble_errors_map_to_the_exec_variants() {
        let e = context(None).error("start", api(400, "cannot find executable \"backup\""));
        match &e {
            ContainerError::ExecutableNotFound { executable, .. } => {
                assert_eq!(executable, "backup");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.is_not_found() && !e.is_unreachable());
        assert!(
            e.to_string().contains("install it in the workload image"),
            "{e}"
        );

        let e = context(None).error("start", api(400, "invalid timeout"));
        assert!(matches!(e, ContainerError::Pebble { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            r#"cannot start command ["backup", "--out", "/b"] in container web"#
        );

        let failed = ExecError::new(
            vec!["backup".into()],
            ExecOutput {
                stdout: b"partial".to_vec(),
                stderr: b"disk full".to_vec(),
                status: ExitStatus::from_code(3),
            },
        );
        let e = context(None).error("wait for", failed.into());
        assert_eq!(e.exit_code(), Some(3));
        assert_eq!(e.exec_error().map(ExecError::stdout), Some(&b"partial"[..]));
        let msg = e.to_string();
        assert!(
            msg.starts_with("in container web, command [\"backup\"] exited with exit code 3"),
            "{msg}"
        );
        assert!(msg.contains("disk full"), "{msg}");
    }
}
