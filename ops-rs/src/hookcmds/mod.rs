//! Juju's hook tools (`config-get`, `relation-set`, `status-set`, ...), run as processes.
//!
//! Everything the model does goes through a [`HookToolRunner`]: in production the
//! [`ProcessRunner`] runs the real tools Juju puts on `PATH` (arguments are passed as an
//! argument vector, never through a shell); tests plug in a [`RecordingRunner`] or an
//! in-memory Juju instead.
//!
//! The other modules here are one typed function per hook tool, grouped as Juju groups them:
//! each builds the exact argument vector Python ops uses and parses the answer. They fail with
//! this layer's own [`HookToolError`]: the tool failed ([`HookToolError::Failed`], exit code
//! and stderr kept), its answer is not what the tool documents (not JSON, wrong shape, empty:
//! [`HookToolError::BadAnswer`] naming the tool), or the call was refused before running.
//! What a failure *means* (relation gone, secret not found, permission denied) is decided
//! by the [`Model`](crate::model::Model) when it maps the error to a
//! [`ModelError`](crate::model::ModelError). These functions do no caching and no access
//! checks: that is the model's job too, and charms should normally use it.
//!
//! # Example
//!
//! ```
//! use ops::hookcmds::{self, RecordingRunner};
//! let runner = RecordingRunner::new(|call| match call.tool.as_str() {
//!     "relation-ids" => Ok(br#"["db:3","db:7"]"#.to_vec()),
//!     _ => Ok(Vec::new()),
//! });
//! assert_eq!(hookcmds::relation::relation_ids(&runner, "db").unwrap(), vec![3, 7]);
//! assert_eq!(runner.lines(), ["relation-ids db --format=json"]);
//! ```

pub mod action;
pub mod app_version;
pub mod config;
pub mod credential;
mod error;
mod failure;
pub mod goal_state;
pub mod leader;
pub mod limits;
pub mod log;
pub mod network;
pub mod port;
pub mod reboot;
mod recording;
pub mod relation;
pub mod resource;
mod runner;
pub mod secret;
pub mod state;
pub mod status;
pub mod storage;
mod yaml_safe;

pub use error::HookToolError;
pub use failure::{HookToolFailure, STDERR_SHOWN, clean_stderr};
pub use log::LogLevel;
pub use recording::{RecordingRunner, ToolCall};
pub use runner::{HookToolRunner, ProcessRunner, TOOL_FLOOR};

use crate::spans::span;
use serde::de::DeserializeOwned;

/// Runs `tool`; a failure comes back redacted ([`HookToolFailure::redact`]). A command line
/// Linux would refuse to start is refused here, naming the limit (the functions that can
/// split or cut what they send have done so already; see [`limits`]).
pub(crate) fn run(
    runner: &dyn HookToolRunner,
    tool: &str,
    args: Vec<String>,
    stdin: Option<&[u8]>,
) -> Result<Vec<u8>, HookToolError> {
    if !limits::fits_on_command_line(tool, &args) {
        let longest = args.iter().map(String::len).max().unwrap_or(0);
        let detail = if longest > limits::MAX_ARG_LEN {
            format!(
                "one of its arguments is {longest} bytes, more than the {} bytes Linux passes \
                 in one command-line argument",
                limits::MAX_ARG_LEN
            )
        } else {
            format!(
                "its arguments take more than the {} bytes Linux passes to a program",
                limits::MAX_ARGV_TOTAL
            )
        };
        return Err(HookToolError::Invalid(format!(
            "cannot run `{tool}`: {detail}; send less through it"
        )));
    }
    // `juju-log` gets no span: logs travel on their own (as in Python ops).
    let span = if tool == "juju-log" {
        crate::spans::none()
    } else {
        span!(
            "ops.hook_tool",
            otel.name = tool,
            call = "subprocess.run",
            args = ?crate::spans::tool_args(tool, &args),
        )
    };
    let _span = span.enter();
    runner.run(tool, &args, stdin).map_err(|mut failure| {
        failure.redact();
        HookToolError::Failed(failure)
    })
}

/// Parses a JSON answer. The error names the tool and what was expected; it never quotes the
/// answer when `sensitive` (secret content must not reach errors).
pub(crate) fn parse_json<T: DeserializeOwned>(
    tool: &str,
    out: &[u8],
    expected: &str,
    sensitive: bool,
) -> Result<T, HookToolError> {
    if out.iter().all(u8::is_ascii_whitespace) {
        return Err(HookToolError::bad_answer(
            tool,
            format!("empty answer, expected {expected} as JSON"),
        ));
    }
    serde_json::from_slice(out).map_err(|e| {
        let detail = if sensitive {
            format!(
                "expected {expected} as JSON; the answer does not fit at line {} column {} \
                 (content not shown: it may be secret)",
                e.line(),
                e.column()
            )
        } else {
            let text = String::from_utf8_lossy(out);
            let shown: String = text.trim().chars().take(200).collect();
            format!("expected {expected} as JSON ({e}); got: {shown}")
        };
        HookToolError::bad_answer(tool, detail)
    })
}

/// Runs `tool` and parses its JSON answer.
pub(crate) fn run_json<T: DeserializeOwned>(
    runner: &dyn HookToolRunner,
    tool: &str,
    args: Vec<String>,
    expected: &str,
) -> Result<T, HookToolError> {
    let out = run(runner, tool, args, None)?;
    parse_json(tool, &out, expected, false)
}

/// Converts an argument list of `&str` to owned strings.
pub(crate) fn args<const N: usize>(a: [&str; N]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

/// A relation reference as Juju takes it: `endpoint:id`.
pub(crate) fn relation_ref(endpoint: &str, id: u32) -> String {
    format!("{endpoint}:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn a_command_line_linux_would_refuse_is_refused_before_the_tool_runs() {
        let r = answering("[]");
        let endpoint = "e".repeat(limits::MAX_ARG_LEN + 1);
        let e = relation::relation_ids(&r, &endpoint).unwrap_err();
        assert!(matches!(e, HookToolError::Invalid(_)), "{e}");
        assert!(
            e.to_string()
                .contains("more than the 131071 bytes Linux passes"),
            "{e}"
        );
        assert!(
            !e.to_string().contains("eeeeeeee"),
            "the argument is not quoted: {e}"
        );
        let many = vec!["a".repeat(100_000); 30];
        let e = run(&r, "juju-log", many, None).unwrap_err();
        assert!(e.to_string().contains("2097152 bytes"), "{e}");
        assert!(r.calls().is_empty());
    }
}
