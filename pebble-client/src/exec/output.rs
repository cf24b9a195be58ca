//! How a command ended: [`ExitStatus`], its captured [`ExecOutput`], and [`ExecError`] for a
//! non-zero exit.

use std::fmt;

/// How much of each stream an [`ExecError`]'s message shows.
const SHOWN: usize = 1024;

/// The exit code Pebble recorded for a command (`128 + n` when killed by signal `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExitStatus(pub(crate) i32);

impl ExitStatus {
    /// The exit code.
    pub fn code(self) -> i32 {
        self.0
    }

    /// Whether the command exited with code 0.
    pub fn success(self) -> bool {
        self.0 == 0
    }

    /// The signal that killed the command, when its code says so (`128 + n`, `n` in 1..=64).
    pub fn signal(self) -> Option<i32> {
        (129..=192).contains(&self.0).then_some(self.0 - 128)
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.signal() {
            Some(n) => write!(f, "exit code {} (killed by signal {n})", self.0),
            None => write!(f, "exit code {}", self.0),
        }
    }
}

/// A finished command's output and exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Everything the command wrote to stdout (and stderr, when combined).
    pub stdout: Vec<u8>,
    /// Everything the command wrote to stderr (empty when combined).
    pub stderr: Vec<u8>,
    /// How it ended.
    pub status: ExitStatus,
}

impl ExecOutput {
    /// Stdout as text (invalid UTF-8 replaced).
    pub fn stdout_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text (invalid UTF-8 replaced).
    pub fn stderr_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A command that exited with a non-zero code, with everything it wrote.
///
/// Its message shows the command, the code, and up to 1 KiB of each stream.
///
/// # Example
/// ```
/// use pebble_client::{ExecError, ExecOutput};
/// # let output = pebble_client::ExecOutput { stdout: b"".to_vec(), stderr: b"no such table".to_vec(),
/// #     status: pebble_client::ExitStatus::from_code(1) };
/// let err = ExecError::new(vec!["migrate".into()], output);
/// assert_eq!(err.exit_code(), 1);
/// assert!(err.to_string().contains("no such table"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    command: Vec<String>,
    output: ExecOutput,
}

impl ExitStatus {
    /// A status with this exit code (for tests and examples).
    pub fn from_code(code: i32) -> Self {
        Self(code)
    }
}

impl ExecError {
    /// The error for `command` ending with `output`.
    pub fn new(command: Vec<String>, output: ExecOutput) -> Self {
        Self { command, output }
    }

    /// The command and its arguments.
    pub fn command(&self) -> &[String] {
        &self.command
    }

    /// The exit code.
    pub fn exit_code(&self) -> i32 {
        self.output.status.code()
    }

    /// What the command wrote to stdout.
    pub fn stdout(&self) -> &[u8] {
        &self.output.stdout
    }

    /// What the command wrote to stderr.
    pub fn stderr(&self) -> &[u8] {
        &self.output.stderr
    }

    /// The whole output.
    pub fn output(&self) -> &ExecOutput {
        &self.output
    }

    /// Takes the whole output.
    pub fn into_output(self) -> ExecOutput {
        self.output
    }
}

/// Writes up to [`SHOWN`] bytes of a stream, noting what was left out.
fn excerpt(f: &mut fmt::Formatter<'_>, name: &str, data: &[u8]) -> fmt::Result {
    if data.is_empty() {
        return Ok(());
    }
    let shown = &data[..data.len().min(SHOWN)];
    write!(f, "; {name}: {:?}", String::from_utf8_lossy(shown))?;
    if data.len() > SHOWN {
        write!(f, " … ({} more bytes)", data.len() - SHOWN)?;
    }
    Ok(())
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command {:?} exited with {}",
            self.command, self.output.status
        )?;
        excerpt(f, "stdout", &self.output.stdout)?;
        excerpt(f, "stderr", &self.output.stderr)
    }
}

impl std::error::Error for ExecError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_output_is_truncated_in_the_message() {
        let err = ExecError::new(
            vec!["sh".into(), "-c".into(), "yes".into()],
            ExecOutput {
                stdout: vec![b'y'; 10_000],
                stderr: b"oops".to_vec(),
                status: ExitStatus(2),
            },
        );
        let msg = err.to_string();
        assert!(msg.starts_with(r#"command ["sh", "-c", "yes"] exited with exit code 2"#));
        assert!(msg.contains("(8976 more bytes)"), "{msg}");
        assert!(msg.contains("stderr: \"oops\""));
        assert!(msg.len() < 1300);
        assert_eq!(err.stdout().len(), 10_000);
    }

    #[test]
    fn signals_are_read_from_the_code() {
        assert_eq!(ExitStatus(143).signal(), Some(15));
        assert_eq!(ExitStatus(1).signal(), None);
        assert!(ExitStatus(143).to_string().contains("signal 15"));
        assert!(ExitStatus(0).success());
    }
}
