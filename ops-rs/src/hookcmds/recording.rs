//! A hook-tool runner for tests: answers from a closure and records every call.

use std::sync::{Arc, Mutex};

use super::{HookToolFailure, HookToolRunner};

/// One recorded hook-tool invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The tool, e.g. `status-set`.
    pub tool: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// What was fed on stdin, if anything.
    pub stdin: Option<Vec<u8>>,
}

impl ToolCall {
    /// The call as a shell-like line, e.g. `status-set --application=false active -- ready`.
    pub fn line(&self) -> String {
        std::iter::once(self.tool.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

type Answer = dyn Fn(&ToolCall) -> Result<Vec<u8>, HookToolFailure> + Send + Sync;

/// A [`HookToolRunner`] that answers every call from a closure and records it.
///
/// ```
/// use ops::hookcmds::{HookToolRunner, RecordingRunner};
/// let runner = RecordingRunner::new(|call| match call.tool.as_str() {
///     "is-leader" => Ok(b"true".to_vec()),
///     _ => Ok(Vec::new()),
/// });
/// let out = runner.run("is-leader", &["--format=json".into()], None).unwrap();
/// assert_eq!(out, b"true");
/// assert_eq!(runner.calls()[0].line(), "is-leader --format=json");
/// ```
#[derive(Clone)]
pub struct RecordingRunner {
    answer: Arc<Answer>,
    calls: Arc<Mutex<Vec<ToolCall>>>,
}

impl std::fmt::Debug for RecordingRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingRunner")
            .field("calls", &self.calls().len())
            .finish_non_exhaustive()
    }
}

impl RecordingRunner {
    /// A runner whose answers come from `answer`.
    pub fn new(
        answer: impl Fn(&ToolCall) -> Result<Vec<u8>, HookToolFailure> + Send + Sync + 'static,
    ) -> Self {
        RecordingRunner {
            answer: Arc::new(answer),
            calls: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<ToolCall> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The calls so far as lines (see [`ToolCall::line`]).
    pub fn lines(&self) -> Vec<String> {
        self.calls().iter().map(ToolCall::line).collect()
    }

    /// The calls to `tool` so far.
    pub fn calls_to(&self, tool: &str) -> Vec<ToolCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.tool == tool)
            .collect()
    }
}

impl HookToolRunner for RecordingRunner {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolFailure> {
        let call = ToolCall {
            tool: tool.to_owned(),
            args: args.to_vec(),
            stdin: stdin.map(<[u8]>::to_vec),
        };
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call.clone());
        (self.answer)(&call)
    }
}
