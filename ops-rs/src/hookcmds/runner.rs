//! The seam between the model and Juju: run one hook tool, get its stdout.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Runs one Juju hook tool.
///
/// Implementations must pass `args` as an argument vector (never through a shell) and feed
/// `stdin` when given. On exit status 0 they return stdout; otherwise a [`HookToolFailure`].
pub trait HookToolRunner: Send + Sync {
    /// Run `tool` with `args`; return its stdout.
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolFailure>;
}

/// A hook tool that could not be run, or exited non-zero.
///
/// `args` are as the caller passed them; callers that pass secret material must pass it
/// through files (`key#file=/path`), so argv never holds a secret. `Debug` and `Display` show
/// the tool, arguments, exit code and stderr.
#[derive(Clone, PartialEq, Eq)]
pub struct HookToolFailure {
    /// The tool, e.g. `relation-get`.
    pub tool: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Exit code; `None` if the tool could not be started or was killed by a signal.
    pub exit_code: Option<i32>,
    /// What the tool wrote to stderr (or why it could not be started).
    pub stderr: String,
}

impl HookToolFailure {
    /// The failure of `tool`, run as `program`, that could not be started: `error` is why
    /// (`Argument list too long (os error 7)` for a command line Linux refuses, see
    /// [`limits`](super::limits)). No exit code: the tool never ran.
    pub fn not_started(
        tool: &str,
        args: &[String],
        program: &std::path::Path,
        error: &std::io::Error,
    ) -> HookToolFailure {
        HookToolFailure {
            tool: tool.to_owned(),
            args: args.to_vec(),
            exit_code: None,
            stderr: format!("cannot run {}: {error}", program.display()),
        }
    }

    /// Redacts what must not be shown: the values of `action-set` arguments (results may be
    /// sensitive), leaving their keys. Every failure a typed hook-tool call returns is
    /// already redacted; a [`HookToolRunner`] of your own returns raw ones.
    pub fn redact(&mut self) {
        if self.tool == "action-set" {
            for a in &mut self.args {
                if let Some((k, v)) = a.split_once('=')
                    && v != "<redacted>"
                {
                    *a = format!("{k}=<redacted>");
                }
            }
        }
    }
}

impl fmt::Debug for HookToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The longest argument a failure shows whole.
const SHOWN_ARG_LEN: usize = 256;

impl fmt::Display for HookToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hook tool `{}", self.tool)?;
        for a in &self.args {
            // A long argument (a whole log line, a failure message) would bury the reason:
            // its beginning and its length say which one it was.
            if a.len() > SHOWN_ARG_LEN {
                let head = super::limits::split_utf8(a, SHOWN_ARG_LEN / 2)[0];
                write!(f, " {head}...({} bytes)", a.len())?;
            } else {
                write!(f, " {a}")?;
            }
        }
        match self.exit_code {
            Some(code) => write!(f, "` exited with code {code}")?,
            None => write!(f, "` did not run to completion")?,
        }
        let err = self.stderr.trim();
        if !err.is_empty() {
            write!(f, ": {err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for HookToolFailure {}

/// Runs the real hook tools as child processes, found on `PATH` (or in a given directory).
#[derive(Debug, Clone, Default)]
pub struct ProcessRunner {
    dir: Option<PathBuf>,
}

impl ProcessRunner {
    /// Runs tools found on `PATH`, as Juju sets it for a hook.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs tools from `dir` instead of `PATH`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
        }
    }
}

impl HookToolRunner for ProcessRunner {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolFailure> {
        let program = match &self.dir {
            Some(d) => d.join(tool),
            None => PathBuf::from(tool),
        };
        let failure = |exit_code, stderr: String| HookToolFailure {
            tool: tool.to_owned(),
            args: args.to_vec(),
            exit_code,
            stderr,
        };
        // The tool inherits the hook's environment as it is (`JUJU_CONTEXT_ID` and the rest):
        // nothing is added, so `std` passes the process's own environment on rather than
        // building a copy for each call (see `crate::context` on `OPERATOR_DISPATCH`).
        let mut child = Command::new(&program)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HookToolFailure::not_started(tool, args, &program, &e))?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A tool that exits without reading its input closes the pipe: its exit status
            // and stderr say what went wrong, so a write error here is not reported on its own.
            let _ = pipe.write_all(input);
        }
        let out = child
            .wait_with_output()
            .map_err(|e| failure(None, format!("cannot wait for {}: {e}", program.display())))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(failure(
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_tool_with_stdin_and_args() {
        let r = ProcessRunner::new();
        let out = r.run("cat", &[], Some(b"hello")).unwrap();
        assert_eq!(out, b"hello");
        let out = r.run("echo", &["a b".into(), "--".into()], None).unwrap();
        assert_eq!(out, b"a b --\n");
    }

    #[test]
    fn failure_carries_code_and_stderr() {
        let r = ProcessRunner::new();
        let e = r
            .run("sh", &["-c".into(), "echo oops >&2; exit 3".into()], None)
            .unwrap_err();
        assert_eq!(e.exit_code, Some(3));
        assert_eq!(e.stderr, "oops\n");
        assert!(e.to_string().contains("exited with code 3: oops"));
    }

    #[test]
    fn tools_inherit_the_environment_unchanged() {
        let out = ProcessRunner::new()
            .run(
                "sh",
                &[
                    "-c".into(),
                    "printf '%s|%s' \"${OPERATOR_DISPATCH-unset}\" \"${PATH:+path}\"".into(),
                ],
                None,
            )
            .unwrap();
        assert_eq!(out, b"unset|path");
    }

    #[test]
    fn an_argument_linux_refuses_is_a_failure_that_says_so() {
        use crate::hookcmds::limits::{MAX_ARG_LEN, fits_on_command_line};
        let r = ProcessRunner::new();
        let fits = vec!["x".repeat(MAX_ARG_LEN)];
        assert!(fits_on_command_line("true", &fits));
        r.run("true", &fits, None).unwrap();
        let too_long = vec!["x".repeat(MAX_ARG_LEN + 1)];
        assert!(!fits_on_command_line("true", &too_long));
        let e = r.run("true", &too_long, None).unwrap_err();
        assert_eq!(e.exit_code, None);
        assert_eq!(
            e.stderr,
            "cannot run true: Argument list too long (os error 7)"
        );
        // Many arguments that fit one by one, too many together.
        // (Whatever the stack limit: Linux never allows more than 6 MiB.)
        let many = vec!["x".repeat(100_000); 70];
        assert!(!fits_on_command_line("true", &many));
        let e = r.run("true", &many, None).unwrap_err();
        assert_eq!(
            e.stderr,
            "cannot run true: Argument list too long (os error 7)"
        );
    }

    #[test]
    fn a_failure_shows_long_arguments_by_their_beginning_and_length() {
        let f = HookToolFailure {
            tool: "juju-log".into(),
            args: vec!["--".into(), "x".repeat(1000)],
            exit_code: None,
            stderr: "cannot run juju-log".into(),
        };
        let shown = f.to_string();
        assert!(
            shown.contains(&format!(" {}...(1000 bytes)` ", "x".repeat(128))),
            "{shown}"
        );
        assert!(shown.len() < 300);
    }

    #[test]
    fn missing_tool_is_a_failure_not_a_panic() {
        let e = ProcessRunner::new()
            .run("no-such-hook-tool-xyz", &[], None)
            .unwrap_err();
        assert_eq!(e.exit_code, None);
        assert!(e.stderr.contains("cannot run no-such-hook-tool-xyz"));
    }
}
