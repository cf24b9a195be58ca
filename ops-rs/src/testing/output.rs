//! [`Output`]: the new state, and what the charm did during the run.

use std::collections::BTreeMap;

use pebble_client::testing::ExecRecord;

use crate::event::CustomEventData;
use crate::framework::HandlerCall;
use crate::testing::juju::{LogLine, ToolRecord};
use crate::testing::state::State;

/// What an action answered.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ActionOutput {
    /// Results set with `action-set`, nested at the dots of their keys.
    pub results: serde_json::Map<String, serde_json::Value>,
    /// Messages written with `action-log`.
    pub logs: Vec<String>,
    /// The failure message, if the charm failed the action (`action-fail`).
    pub failure: Option<String>,
}

/// The result of one run: the state to assert on (and feed to the next run), and the record
/// of what the charm did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Output {
    /// The unit's state after the run.
    pub state: State,
    /// The `juju-log` calls of this run, one entry per call: the lines the deferred queue's
    /// pass logs arrive together, as one message with a line each (see
    /// [`log_messages`](Self::log_messages) for the lines one by one).
    pub juju_log: Vec<LogLine>,
    /// Every hook-tool call of this run, in order (secret content redacted).
    pub tool_calls: Vec<ToolRecord>,
    /// Every handler call of this run, in order (re-emitted deferred events first).
    pub handler_calls: Vec<HandlerCall>,
    /// The custom events emitted during this run, in order, with their ids (the run's own
    /// event too, when it is a custom one): Scenario's `emitted_events`.
    pub emitted_events: Vec<CustomEventData>,
    /// The action's answer, for an action.
    pub action: Option<ActionOutput>,
    /// The commands the charm ran in each container during this run (those Pebble started:
    /// an unknown executable ran nothing), oldest first: command, environment and working
    /// directory as the charm asked for them, user and group, timeout, and stdin. Keyed by
    /// container name; containers where nothing ran are absent.
    pub exec_history: BTreeMap<String, Vec<ExecRecord>>,
}

impl Output {
    /// The hook-tool calls as command lines, e.g. `status-set --application=false active -- `.
    pub fn tool_lines(&self) -> Vec<String> {
        self.tool_calls.iter().map(ToolRecord::line).collect()
    }

    /// The logged lines, without levels, in order: a message that holds several lines (a
    /// batch from the deferred queue's pass) gives each of them.
    pub fn log_messages(&self) -> Vec<&str> {
        self.juju_log
            .iter()
            .flat_map(|l| l.message.lines())
            .collect()
    }

    /// The commands run in `container`, oldest first (empty if none).
    pub fn execs(&self, container: &str) -> &[ExecRecord] {
        self.exec_history.get(container).map_or(&[], Vec::as_slice)
    }

    /// The command lines run in `container`, words joined with spaces (e.g.
    /// `tar -cf /tmp/b.tar /data`), oldest first.
    pub fn exec_lines(&self, container: &str) -> Vec<String> {
        self.execs(container)
            .iter()
            .map(|r| r.command.join(" "))
            .collect()
    }

    /// The names of the handlers called, in order.
    pub fn handlers_called(&self) -> Vec<&str> {
        self.handler_calls
            .iter()
            .map(|c| c.handler.as_str())
            .collect()
    }
}
