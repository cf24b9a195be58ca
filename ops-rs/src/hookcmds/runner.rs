//! The seam between the model and Juju: run one hook tool, get its stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pebble_client::retry::{Budget, SystemClock};

use super::failure::{HookToolFailure, clean_stderr};

/// The least time a bounded tool call gets, however little is left of its budget: a healthy
/// agent answers in milliseconds, and the calls that report a failure need a moment too.
pub const TOOL_FLOOR: Duration = Duration::from_secs(5);

/// How long a stopped tool's output is waited for once it is killed (a process it started
/// may keep the pipes open).
const STOPPED_OUTPUT_WAIT: Duration = Duration::from_secs(1);

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

/// Runs the real hook tools as child processes, found on `PATH` (or in a given directory).
///
/// # How long a tool may run
///
/// Juju bounds neither a hook nor a hook-tool call: the unit agent waits for the hook
/// process for as long as it runs (`runCharmProcessOnLocal` in Juju's
/// `internal/worker/uniter/runner/runner.go`), killing it only when an action is cancelled
/// or `juju-reboot --now` asks for it; a tool (a `jujuc` client) waits on the agent's answer
/// just as long, and Python ops calls tools without a timeout. A tool that never answers
/// therefore holds the hook, and the unit, forever.
///
/// [`ProcessRunner`] keeps that default, with two bounds on top:
///
/// - **The nearest [`Budget`] on the thread**, such as the hook budget a handler sets with
///   [`Ctx::set_hook_budget`](crate::framework::Ctx::set_hook_budget): a tool still running
///   when it ends (or [`TOOL_FLOOR`] after it started, if that is later) is killed with
///   `SIGKILL`, and the call fails with a [`HookToolFailure`] that says so. Let that error
///   fail the hook: Juju may already have recorded the call in the hook's context, which it
///   applies only if the hook succeeds, and it retries a failed hook.
/// - **After one tool was stopped**, every later call of the same runner gets at most
///   [`TOOL_FLOOR`]: an agent that did not answer one call is unlikely to answer the next, and
///   the failure still has to be logged (with `juju-log`) and the hook to end.
///
/// Without a budget, a call has no bound, as in Juju and Python ops: how long a tool takes
/// depends on the controller, and a hook that killed a slow-but-working tool would fail
/// where it would have succeeded.
#[derive(Debug, Clone)]
pub struct ProcessRunner {
    dir: Option<PathBuf>,
    /// Whether a tool of this runner (or a clone of it) had to be stopped.
    stopped_one: Arc<AtomicBool>,
    floor: Duration,
}

impl Default for ProcessRunner {
    fn default() -> Self {
        ProcessRunner {
            dir: None,
            stopped_one: Arc::new(AtomicBool::new(false)),
            floor: TOOL_FLOOR,
        }
    }
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
            ..Self::default()
        }
    }

    /// The least time a bounded call gets ([`TOOL_FLOOR`] unless tests shorten it).
    #[cfg(test)]
    pub(crate) fn floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// How long the next call may run: the nearest budget's time left (at least the floor),
    /// the floor alone after a stopped tool, or no bound.
    fn bound(&self) -> Option<Duration> {
        let budget = Budget::current_remaining(&SystemClock);
        match budget {
            Some(left) => Some(left.max(self.floor)),
            None if self.stopped_one.load(Ordering::Relaxed) => Some(self.floor),
            None => None,
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
        let failure = |exit_code, signal, stderr: String| HookToolFailure {
            tool: tool.to_owned(),
            args: args.to_vec(),
            exit_code,
            signal,
            stderr,
        };
        let bound = self.bound();
        // The tool inherits the hook's environment as it is (`JUJU_CONTEXT_ID` and the rest):
        // nothing is added, so `std` passes the process's own environment on rather than
        // building a copy for each call (see `crate::context` on `OPERATOR_DISPATCH`).
        let child = Command::new(&program)
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
        let cannot_wait = |e: std::io::Error| {
            failure(
                None,
                None,
                format!("cannot wait for {}: {e}", program.display()),
            )
        };
        let out = match bound {
            None => feed_and_wait(child, stdin).map_err(cannot_wait)?,
            Some(bound) => match wait_bounded(child, stdin.map(<[u8]>::to_vec), bound) {
                Bounded::Done(out) => out.map_err(cannot_wait)?,
                Bounded::Stopped { stderr } => {
                    self.stopped_one.store(true, Ordering::Relaxed);
                    let mut why = format!(
                        "ops-rs stopped it: no answer within {:.1} s, the time its budget left \
                         it (Juju's agent may be stuck or the controller unreachable)",
                        bound.as_secs_f64()
                    );
                    if !stderr.is_empty() {
                        why.push_str("; its stderr so far: ");
                        why.push_str(&clean_stderr(&stderr));
                    }
                    return Err(failure(None, Some(SIGKILL), why));
                }
            },
        };
        if out.status.success() {
            return Ok(out.stdout);
        }
        use std::os::unix::process::ExitStatusExt;
        Err(failure(
            out.status.code(),
            out.status.signal(),
            clean_stderr(&out.stderr),
        ))
    }
}

/// `SIGKILL`, what a stopped tool is ended with.
const SIGKILL: i32 = 9;

/// Writes `stdin` to the tool and waits for it to end, collecting its output.
fn feed_and_wait(mut child: Child, stdin: Option<&[u8]>) -> std::io::Result<Output> {
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A tool that exits without reading its input closes the pipe: its exit status
        // and stderr say what went wrong, so a write error here is not reported on its own.
        let _ = pipe.write_all(input);
    }
    child.wait_with_output()
}

/// How a bounded call ended.
enum Bounded {
    /// The tool ended by itself (or could not be waited for).
    Done(std::io::Result<Output>),
    /// It ran past its bound and was killed; what it had written to stderr, if it could be
    /// read.
    Stopped { stderr: Vec<u8> },
}

/// Feeds and waits for `child` on a helper thread, killing it if it runs past `bound`.
///
/// The kill goes through a pidfd opened before the helper can reap the child, so it reaches
/// this tool and no process that took its pid later (a plain pid is used only where the
/// kernel has no pidfds).
fn wait_bounded(child: Child, stdin: Option<Vec<u8>>, bound: Duration) -> Bounded {
    let pid = rustix::process::Pid::from_child(&child);
    let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok();
    let (tx, rx) = std::sync::mpsc::channel();
    let helper = std::thread::Builder::new()
        .name("ops-hook-tool".into())
        .spawn(move || {
            let _ = tx.send(feed_and_wait(child, stdin.as_deref()));
        });
    if let Err(e) = helper {
        return Bounded::Done(Err(e));
    }
    use std::sync::mpsc::RecvTimeoutError;
    match rx.recv_timeout(bound) {
        Ok(out) => return Bounded::Done(out),
        Err(RecvTimeoutError::Disconnected) => {
            return Bounded::Done(Err(std::io::Error::other("the waiting thread ended")));
        }
        Err(RecvTimeoutError::Timeout) => {}
    }
    let kill = rustix::process::Signal::KILL;
    let _ = match &pidfd {
        Some(fd) => rustix::process::pidfd_send_signal(fd, kill),
        None => rustix::process::kill_process(pid, kill),
    };
    match rx.recv_timeout(STOPPED_OUTPUT_WAIT) {
        // It may have ended by itself just before the kill: then that is its answer.
        Ok(Ok(out)) if !stopped_by(&out, kill) => Bounded::Done(Ok(out)),
        Ok(Ok(out)) => Bounded::Stopped { stderr: out.stderr },
        _ => Bounded::Stopped { stderr: Vec::new() },
    }
}

/// Whether `out` is that of a process ended by `signal`.
fn stopped_by(out: &Output, signal: rustix::process::Signal) -> bool {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal() == Some(signal.as_raw())
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
    fn missing_tool_is_a_failure_not_a_panic() {
        let e = ProcessRunner::new()
            .run("no-such-hook-tool-xyz", &[], None)
            .unwrap_err();
        assert_eq!(e.exit_code, None);
        assert!(e.stderr.contains("cannot run no-such-hook-tool-xyz"));
    }

    /// A tool in a directory of its own: `script` as a shell script named `name`.
    fn tool(dir: &std::path::Path, name: &str, script: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn a_tool_that_cannot_be_executed_did_not_answer() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = tool(dir.path(), "relation-get", "echo hi");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = ProcessRunner::in_dir(dir.path())
            .run("relation-get", &[], None)
            .unwrap_err();
        assert!(!e.answered());
        assert_eq!((e.exit_code, e.signal), (None, None));
        assert!(
            e.to_string()
                .contains("did not run to completion: cannot run")
                && e.to_string().contains("Permission denied (os error 13)"),
            "{e}"
        );
    }

    #[test]
    fn a_tool_killed_by_a_signal_names_it() {
        let dir = tempfile::tempdir().unwrap();
        tool(dir.path(), "relation-get", "echo dying >&2; kill -SEGV $$");
        let e = ProcessRunner::in_dir(dir.path())
            .run("relation-get", &[], None)
            .unwrap_err();
        assert_eq!((e.exit_code, e.signal), (None, Some(11)));
        assert_eq!(
            e.to_string(),
            "hook tool `relation-get` was killed by signal 11 (SIGSEGV): dying"
        );
    }

    #[test]
    fn stderr_is_cut_and_cleaned_as_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        tool(
            dir.path(),
            "status-set",
            "printf '\\033[31mERROR\\033[0m first\\n' >&2; head -c 5000000 /dev/zero | tr '\\0' x >&2; exit 1",
        );
        let e = ProcessRunner::in_dir(dir.path())
            .run("status-set", &[], None)
            .unwrap_err();
        assert!(
            e.stderr.starts_with("\\x1b[31mERROR\\x1b[0m first\n"),
            "{}",
            &e.stderr[..40]
        );
        assert!(e.stderr.len() <= crate::hookcmds::STDERR_SHOWN + 64);
        assert!(e.stderr.contains("bytes of stderr not shown"));
        assert!(e.to_string().len() < crate::hookcmds::STDERR_SHOWN + 200);
    }

    #[test]
    fn a_tool_that_never_answers_is_stopped_at_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        tool(
            dir.path(),
            "relation-get",
            "echo waiting >&2; exec sleep 600",
        );
        let runner = ProcessRunner::in_dir(dir.path()).floor(Duration::from_millis(50));
        // Without a budget, nothing bounds a call that answers.
        tool(dir.path(), "is-leader", "echo true");
        assert_eq!(runner.run("is-leader", &[], None).unwrap(), b"true\n");
        let budget = Budget::start(Duration::from_millis(300));
        let e = runner.run("relation-get", &[], Some(b"input")).unwrap_err();
        drop(budget);
        assert_eq!((e.exit_code, e.signal), (None, Some(9)));
        assert!(!e.answered());
        let shown = e.to_string();
        assert!(
            shown.starts_with("hook tool `relation-get` was killed by signal 9 (SIGKILL): ops-rs stopped it: no answer within")
                && shown.contains("its stderr so far: waiting"),
            "{shown}"
        );
        // The agent did not answer one call: the next ones get the floor, budget or not.
        assert_eq!(runner.bound(), Some(Duration::from_millis(50)));
        let again = runner.clone().run("relation-get", &[], None).unwrap_err();
        assert_eq!(again.signal, Some(9));
        // A fresh runner starts unbounded.
        assert_eq!(ProcessRunner::in_dir(dir.path()).bound(), None);
    }

    #[test]
    fn a_stopped_tool_whose_child_keeps_its_output_open_does_not_hold_the_call() {
        let dir = tempfile::tempdir().unwrap();
        // The shell waits on a child that inherited stdout and stderr.
        tool(dir.path(), "relation-get", "sleep 600; echo never");
        let runner = ProcessRunner::in_dir(dir.path()).floor(Duration::from_millis(50));
        let _budget = Budget::start(Duration::from_millis(100));
        let e = runner.run("relation-get", &[], None).unwrap_err();
        assert_eq!(e.signal, Some(9), "{e}");
    }

    #[test]
    fn a_bounded_call_that_answers_in_time_is_an_ordinary_call() {
        let _budget = Budget::start(Duration::from_secs(600));
        let r = ProcessRunner::new();
        assert_eq!(r.run("cat", &[], Some(b"hello")).unwrap(), b"hello");
        let e = r
            .run("sh", &["-c".into(), "echo oops >&2; exit 3".into()], None)
            .unwrap_err();
        assert_eq!((e.exit_code, e.signal), (Some(3), None));
        assert_eq!(e.stderr, "oops\n");
    }
}
