//! The hook tools, one file per group as in Juju's `jujuc` package, and their registry.

mod action;
mod app_version;
mod config;
mod credential;
mod goal_state;
mod leader;
mod log;
mod network;
mod port;
mod reboot;
mod relation;
mod resource;
mod secret;
mod secret_input;
mod state;
mod status;
mod storage;

use super::args::{Parsed, Spec};
use super::error::ToolError;
use super::output::{Format, render};
use super::state::JujuState;

/// One call being answered.
pub(crate) struct Call<'a> {
    /// The model.
    pub state: &'a mut JujuState,
    /// The parsed command line.
    pub args: Parsed,
    /// Standard input, if the caller gave any.
    pub stdin: Option<&'a [u8]>,
}

/// What a tool returns: stdout, or why it failed.
pub(crate) type ToolResult = Result<Vec<u8>, ToolError>;

/// A tool: its command-line spec and its body.
#[derive(Clone, Copy)]
pub(crate) struct Tool {
    pub spec: fn() -> Spec,
    pub run: fn(&mut Call<'_>) -> ToolResult,
}

const TOOLS: &[(&str, Tool)] = &[
    ("action-fail", action::FAIL),
    ("action-get", action::GET),
    ("action-log", action::LOG),
    ("action-set", action::SET),
    ("application-version-set", app_version::SET),
    ("close-port", port::CLOSE),
    ("config-get", config::GET),
    ("credential-get", credential::GET),
    ("goal-state", goal_state::GET),
    ("is-leader", leader::IS_LEADER),
    ("juju-log", log::LOG),
    ("juju-reboot", reboot::REBOOT),
    ("network-get", network::GET),
    ("open-port", port::OPEN),
    ("opened-ports", port::OPENED),
    ("relation-get", relation::GET),
    ("relation-ids", relation::IDS),
    ("relation-list", relation::LIST),
    ("relation-model-get", relation::MODEL_GET),
    ("relation-set", relation::SET),
    ("resource-get", resource::GET),
    ("secret-add", secret::ADD),
    ("secret-get", secret::GET),
    ("secret-grant", secret::GRANT),
    ("secret-ids", secret::IDS),
    ("secret-info-get", secret::INFO_GET),
    ("secret-remove", secret::REMOVE),
    ("secret-revoke", secret::REVOKE),
    ("secret-set", secret::SET),
    ("state-delete", state::DELETE),
    ("state-get", state::GET),
    ("state-set", state::SET),
    ("status-get", status::GET),
    ("status-set", status::SET),
    ("storage-add", storage::ADD),
    ("storage-get", storage::GET),
    ("storage-list", storage::LIST),
];

pub(crate) fn lookup(name: &str) -> Option<Tool> {
    TOOLS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

pub(crate) fn names() -> Vec<&'static str> {
    TOOLS.iter().map(|(n, _)| *n).collect()
}

impl Call<'_> {
    /// Renders `value` in the format asked for, or `default`.
    pub fn output(&self, default: Format, value: &serde_json::Value) -> ToolResult {
        render(Format::from_args(&self.args, default)?, value)
    }

    /// Fails with Juju's "unrecognized args" if more than `max` positional arguments remain.
    pub fn at_most(&self, max: usize) -> Result<(), ToolError> {
        match self.args.positional.get(max..) {
            Some(extra) if !extra.is_empty() => Err(ToolError::usage(format!(
                "unrecognized args: {}",
                extra
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ))),
            _ => Ok(()),
        }
    }

    /// The relation named by `-r`/`--relation`, or the hook's relation.
    pub fn relation_id(&self) -> Result<u64, ToolError> {
        let Some((spelled, value)) = self.args.value_spelled("r") else {
            return self
                .state
                .tool_defaults
                .relation_id
                .filter(|id| self.state.relation_by_id(*id).is_some())
                .ok_or_else(|| ToolError::usage("no relation id specified"));
        };
        let tail = value.rsplit(':').next().unwrap_or(value);
        let id: u64 = tail.parse().map_err(|_| {
            ToolError::usage(format!(
                "invalid value {value:?} for option {spelled}: invalid relation id"
            ))
        })?;
        if self.state.relation_by_id(id).is_none() {
            return Err(ToolError::usage(format!(
                "invalid value {value:?} for option {spelled}: relation not found"
            )));
        }
        Ok(id)
    }

    /// Reads the file named by `path`, or stdin for `-`.
    pub fn read_input(&self, path: &str) -> Result<Vec<u8>, ToolError> {
        if path == "-" {
            return Ok(self.stdin.unwrap_or_default().to_vec());
        }
        std::fs::read(path).map_err(|e| ToolError::failed(format!("open {path}: {e}")))
    }
}

/// Parses YAML (or JSON, which is YAML) key-value settings, every value a string.
pub(crate) fn parse_settings(
    data: &[u8],
) -> Result<std::collections::BTreeMap<String, String>, ToolError> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Ok(Default::default());
    }
    // yaml.v2's reader takes only these characters raw (anywhere in the input: escapes are
    // decoded later, so `\u007f` in a quoted string is fine).
    if let Ok(text) = std::str::from_utf8(data) {
        let allowed = |c: char| {
            matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
                | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
        };
        if !text.chars().all(allowed) {
            return Err(ToolError::failed(
                "yaml: control characters are not allowed",
            ));
        }
    }
    let value: serde_norway::Value =
        serde_norway::from_slice(data).map_err(|e| ToolError::failed(format!("yaml: {e}")))?;
    let serde_norway::Value::Mapping(map) = value else {
        return Err(ToolError::failed(
            "yaml: cannot unmarshal settings into map[string]string",
        ));
    };
    let scalar = |v: &serde_norway::Value| -> Option<String> {
        match v {
            serde_norway::Value::String(s) => Some(s.clone()),
            serde_norway::Value::Bool(b) => Some(b.to_string()),
            serde_norway::Value::Number(n) => Some(n.to_string()),
            serde_norway::Value::Null => Some(String::new()),
            _ => None,
        }
    };
    map.iter()
        .map(|(k, v)| match (scalar(k), scalar(v)) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(ToolError::failed(
                "yaml: cannot unmarshal !!map into string",
            )),
        })
        .collect()
}

/// Parses `key=value` arguments (Juju's `keyvalues.Parse`, duplicates refused).
pub(crate) fn parse_key_values(
    args: &[String],
) -> Result<std::collections::BTreeMap<String, String>, ToolError> {
    let mut out = std::collections::BTreeMap::new();
    for arg in args {
        let Some((k, v)) = arg.split_once('=') else {
            return Err(ToolError::usage(format!(
                "expected \"key=value\", got {arg:?}"
            )));
        };
        if k.is_empty() {
            return Err(ToolError::usage(format!(
                "expected \"key=value\", got {arg:?}"
            )));
        }
        if out.insert(k.to_owned(), v.to_owned()).is_some() {
            return Err(ToolError::usage(format!(
                "key {k:?} specified more than once"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::super::{JujuState, ToolOutput, execute};

    /// Runs `line` (split on spaces) against `state`.
    pub fn run(state: &mut JujuState, line: &str) -> ToolOutput {
        run_in(state, line, None)
    }

    /// Runs `line` with stdin.
    pub fn run_in(state: &mut JujuState, line: &str, stdin: Option<&[u8]>) -> ToolOutput {
        let mut words = line.split(' ');
        let tool = words.next().unwrap_or_default();
        let args: Vec<String> = words.map(str::to_owned).collect();
        execute(state, tool, &args, stdin)
    }

    /// Runs `line`, asserts exit 0, returns stdout as a string.
    pub fn ok(state: &mut JujuState, line: &str) -> String {
        let out = run(state, line);
        assert_eq!(
            out.exit_code,
            0,
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `line`, asserts the exit code, returns stderr as a string.
    pub fn err(state: &mut JujuState, line: &str, code: i32) -> String {
        let out = run(state, line);
        assert_eq!(
            out.exit_code,
            code,
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}
