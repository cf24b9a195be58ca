//! The interpreter: runs one hook-tool command line against a [`JujuState`].
//!
//! [`execute`] is the whole of it: look the tool up, parse its command line as Juju does,
//! run it, and record the call. A tool that fails leaves the state as it was.
//! [`JujuSim`] shares one state between calls and implements [`HookToolRunner`].
//!
//! ```
//! use ops::testing::juju::{JujuState, execute};
//! let mut state = JujuState::new("web/0");
//! let out = execute(&mut state, "status-set", &["--application".into(), "active".into()], None);
//! assert_eq!(out.exit_code, 1);
//! assert_eq!(out.stderr, b"ERROR this unit is not the leader\n");
//! assert_eq!(state.calls[0].exit_code, 1);
//! ```

use std::sync::{Arc, Mutex, MutexGuard};

use crate::hookcmds::limits::fits_on_command_line;
use crate::hookcmds::{HookToolFailure, HookToolRunner};

/// Linux's `E2BIG`: "Argument list too long".
const E2BIG: i32 = 7;

use super::error::ToolError;
use super::record::ToolRecord;
use super::state::JujuState;
use super::tools::{self, Call};

/// What one hook-tool run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// Exit code: 0 success, 1 failure, 2 bad command line.
    pub exit_code: i32,
}

/// The hook tools the interpreter knows, sorted.
pub fn tool_names() -> Vec<&'static str> {
    tools::names()
}

/// Runs `tool` with `args` (and `stdin`) against `state`, as Juju would, and records the call.
pub fn execute(
    state: &mut JujuState,
    tool: &str,
    args: &[String],
    stdin: Option<&[u8]>,
) -> ToolOutput {
    // A failing call leaves the model as it was. The call and log records only grow, and
    // grow with every call: they are set aside rather than cloned (cloning them made each
    // call cost as much as all the calls before it), and cut back to their length on failure.
    let (calls, logs) = (
        std::mem::take(&mut state.calls),
        std::mem::take(&mut state.logs),
    );
    let before = state.clone();
    let (calls_len, logs_len) = (calls.len(), logs.len());
    state.calls = calls;
    state.logs = logs;
    let result = match tools::lookup(tool) {
        None => Err(ToolError::failed(format!(
            "unknown hook tool {tool:?} (juju-sim knows: {})",
            tools::names().join(", ")
        ))),
        Some(t) => (t.spec)().parse(args).and_then(|parsed| {
            let mut call = Call {
                state: &mut *state,
                args: parsed,
                stdin,
            };
            (t.run)(&mut call)
        }),
    };
    let out = match result {
        Ok(stdout) => ToolOutput {
            stdout,
            stderr: Vec::new(),
            exit_code: 0,
        },
        Err(e) => {
            if e.exit_code() != 0 {
                let (mut calls, mut logs) = (
                    std::mem::take(&mut state.calls),
                    std::mem::take(&mut state.logs),
                );
                calls.truncate(calls_len);
                logs.truncate(logs_len);
                *state = before;
                state.calls = calls;
                state.logs = logs;
            }
            ToolOutput {
                stdout: e.stdout(),
                stderr: e.stderr().into_bytes(),
                exit_code: e.exit_code(),
            }
        }
    };
    state
        .calls
        .push(ToolRecord::new(tool, args, stdin, out.exit_code));
    out
}

/// An in-memory Juju for one unit: a shared [`JujuState`] answering hook tools.
///
/// Cheap to clone; clones share the state.
#[derive(Debug, Clone)]
pub struct JujuSim {
    state: Arc<Mutex<JujuState>>,
}

impl JujuSim {
    /// A sim over `state`.
    pub fn new(state: JujuState) -> Self {
        JujuSim {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// A sim over a state shared with other code.
    pub fn from_shared(state: Arc<Mutex<JujuState>>) -> Self {
        JujuSim { state }
    }

    /// The shared state.
    pub fn shared(&self) -> Arc<Mutex<JujuState>> {
        Arc::clone(&self.state)
    }

    fn lock(&self) -> MutexGuard<'_, JujuState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A snapshot of the state.
    pub fn state(&self) -> JujuState {
        self.lock().clone()
    }

    /// Reads or changes the state in place (e.g. to make this unit leader between hooks).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut JujuState) -> R) -> R {
        f(&mut self.lock())
    }

    /// The calls so far as lines, e.g. `is-leader --format=json`.
    pub fn lines(&self) -> Vec<String> {
        self.lock().calls.iter().map(ToolRecord::line).collect()
    }

    /// Runs a tool and returns everything it produced.
    pub fn execute(&self, tool: &str, args: &[String], stdin: Option<&[u8]>) -> ToolOutput {
        execute(&mut self.lock(), tool, args, stdin)
    }
}

impl HookToolRunner for JujuSim {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolFailure> {
        // A real hook tool is a program: Linux refuses to start it with a command line that is
        // too long, and nothing reaches Juju (see `hookcmds::limits`).
        if !fits_on_command_line(tool, args) {
            let e2big = std::io::Error::from_raw_os_error(E2BIG);
            return Err(HookToolFailure::not_started(
                tool,
                args,
                std::path::Path::new(tool),
                &e2big,
            ));
        }
        let out = self.execute(tool, args, stdin);
        if out.exit_code == 0 {
            Ok(out.stdout)
        } else {
            Err(HookToolFailure {
                tool: tool.to_owned(),
                args: args.to_vec(),
                exit_code: Some(out.exit_code),
                signal: None,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_tool_fails_clearly() {
        let sim = JujuSim::new(JujuState::new("a/0"));
        let e = sim.run("no-such-tool", &[], None).unwrap_err();
        assert_eq!(e.exit_code, Some(1));
        assert!(e.stderr.contains("unknown hook tool \"no-such-tool\""));
    }

    #[test]
    fn help_goes_to_stdout() {
        let sim = JujuSim::new(JujuState::new("a/0"));
        for tool in tool_names() {
            let out = sim.execute(tool, &["--help".into()], None);
            assert_eq!(out.exit_code, 0, "{tool}");
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(
                text.starts_with(&format!("Usage: {tool}")),
                "{tool}: {text}"
            );
        }
    }

    #[test]
    fn failed_call_leaves_state_unchanged() {
        let sim = JujuSim::new(JujuState::new("a/0").action("a", serde_json::json!({})));
        let out = sim.execute("action-set", &["ok=1".into(), "BAD=2".into()], None);
        assert_eq!(out.exit_code, 2);
        assert!(sim.state().action.unwrap().results.is_empty());
    }

    #[test]
    fn a_command_line_linux_refuses_never_reaches_juju() {
        use crate::hookcmds::limits::MAX_ARG_LEN;
        let sim = JujuSim::new(JujuState::new("a/0"));
        let long = "x".repeat(MAX_ARG_LEN + 1);
        let e = sim.run("juju-log", &["--".into(), long], None).unwrap_err();
        // What `ProcessRunner` reports when the kernel refuses to start the tool.
        assert_eq!(e.exit_code, None);
        assert_eq!(
            e.stderr,
            "cannot run juju-log: Argument list too long (os error 7)"
        );
        assert!(sim.state().calls.is_empty() && sim.state().logs.is_empty());
        sim.run("juju-log", &["--".into(), "x".repeat(MAX_ARG_LEN)], None)
            .unwrap();
    }

    #[test]
    fn runner_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<JujuSim>();
    }
}
