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
    /// The workload versions the charm replaced during this run, oldest first: each
    /// `application-version-set` adds the version it replaced, if there was one (the current
    /// version is [`JujuState::app_version`](crate::testing::juju::JujuState::app_version)),
    /// as Scenario's `workload_version_history`.
    pub workload_version_history: Vec<String>,
    /// The secret revisions the charm removed during this run (`secret-remove --revision`),
    /// in order: Scenario's `removed_secret_revisions`. Removing a whole secret adds none.
    pub removed_secret_revisions: Vec<u64>,
    /// The storage the charm asked Juju for during this run (`storage-add`): name to count,
    /// Scenario's `requested_storages`.
    pub requested_storages: BTreeMap<String, u32>,
}

/// What a run's successful hook-tool calls add up to, for the output's history fields.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RunHistory {
    pub(crate) workload_versions: Vec<String>,
    pub(crate) removed_secret_revisions: Vec<u64>,
    pub(crate) requested_storages: BTreeMap<String, u32>,
}

impl RunHistory {
    /// Reads the history from `calls`, the workload version having been `version` before.
    pub(crate) fn from_calls(calls: &[ToolRecord], version: &str) -> Self {
        let mut out = RunHistory::default();
        let mut current = version.to_owned();
        for call in calls.iter().filter(|c| c.exit_code == 0) {
            let positional = positional(&call.args);
            match call.tool.as_str() {
                "application-version-set" => {
                    let new = positional.first().map_or("", |s| s.as_str()).to_owned();
                    let old = std::mem::replace(&mut current, new);
                    if !old.is_empty() {
                        out.workload_versions.push(old);
                    }
                }
                "secret-remove" => {
                    if let Some(rev) = flag_value(&call.args, "--revision") {
                        if let Ok(rev) = rev.parse() {
                            out.removed_secret_revisions.push(rev);
                        }
                    }
                }
                "storage-add" => {
                    for spec in positional {
                        let (name, count) = spec.split_once('=').unwrap_or((spec, "1"));
                        let count: u32 = count.parse().unwrap_or(1);
                        *out.requested_storages.entry(name.to_owned()).or_default() += count;
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The arguments that are not flags (everything after `--` counts as positional).
fn positional(args: &[String]) -> Vec<&String> {
    let mut out = Vec::new();
    let mut rest = false;
    let mut skip_value = false;
    for a in args {
        if rest {
            out.push(a);
        } else if a == "--" {
            rest = true;
        } else if skip_value {
            skip_value = false;
        } else if a.starts_with("--") {
            skip_value = !a.contains('=') && a == "--revision";
        } else {
            out.push(a);
        }
    }
    out
}

/// The value of `--flag value` or `--flag=value`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            return it.next().map(String::as_str);
        }
        if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            return Some(v);
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tool: &str, args: &[&str], exit_code: i32) -> ToolRecord {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        ToolRecord::new(tool, &args, None, exit_code)
    }

    #[test]
    fn history_from_successful_calls() {
        let calls = [
            call("application-version-set", &["--", "1.2"], 0),
            call("application-version-set", &["--", "1.5"], 0),
            call("application-version-set", &["--", "9"], 1),
            call("secret-remove", &["secret:abc", "--revision", "3"], 0),
            call("secret-remove", &["secret:abc", "--revision=4"], 0),
            call("secret-remove", &["secret:abc"], 0),
            call("secret-remove", &["secret:abc", "--revision", "5"], 2),
            call("storage-add", &["data=2"], 0),
            call("storage-add", &["data", "logs=1"], 0),
        ];
        let h = RunHistory::from_calls(&calls, "1");
        assert_eq!(h.workload_versions, ["1", "1.2"]);
        assert_eq!(h.removed_secret_revisions, [3, 4]);
        assert_eq!(
            h.requested_storages,
            [("data".to_owned(), 3), ("logs".to_owned(), 1)].into()
        );
        // No version before: nothing replaced by the first set.
        let h = RunHistory::from_calls(&calls[..1], "");
        assert!(h.workload_versions.is_empty());
    }
}
