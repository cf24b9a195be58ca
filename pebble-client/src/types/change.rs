//! Changes and tasks: Pebble's record of asynchronous work (`/v1/changes`).
//!
//! # Example
//! ```
//! use pebble_client::{Change, ChangeStatus};
//! let c: Change = serde_json::from_str(r#"{"id":"42","kind":"start","summary":"Start service \"svc\"",
//!     "status":"Done","ready":true,"spawn-time":"2024-03-12T03:05:46.086111123Z"}"#)?;
//! assert_eq!(c.id.as_str(), "42");
//! assert_eq!(c.status, ChangeStatus::Done);
//! assert!(c.tasks.is_empty());
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::string_enum::string_enum;
use super::time::Timestamp;

/// The id of a change (a decimal string chosen by Pebble).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChangeId(pub String);

impl ChangeId {
    /// The id as Pebble spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ChangeId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for ChangeId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

string_enum! {
    /// The status of a change or task (Pebble's `state.Status`).
    pub enum ChangeStatus {
        /// Default status (`"Default"`); seen only transiently.
        Default = "Default",
        /// Waiting to run.
        Do = "Do",
        /// Running.
        Doing = "Doing",
        /// Finished successfully.
        Done = "Done",
        /// Aborted before running.
        Abort = "Abort",
        /// Waiting to be undone.
        Undo = "Undo",
        /// Being undone.
        Undoing = "Undoing",
        /// Undone.
        Undone = "Undone",
        /// Held (will not run).
        Hold = "Hold",
        /// Failed.
        Error = "Error",
        /// Waiting for an external event.
        Wait = "Wait",
    }
}

impl ChangeStatus {
    /// Whether the status is final (Pebble's `Status.Ready()`): Done, Undone, Hold or Error.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Done | Self::Undone | Self::Hold | Self::Error)
    }
}

/// A change: a set of tasks Pebble runs for one request (start, replan, exec, a check failure…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Change {
    /// Its id.
    pub id: ChangeId,
    /// What kind of change (`start`, `stop`, `replan`, `exec`, `perform-check`, …).
    pub kind: String,
    /// Human summary, e.g. `Start service "svc"`.
    pub summary: String,
    /// Current status.
    pub status: ChangeStatus,
    /// Its tasks (omitted by Pebble when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Whether the change has finished (successfully or not).
    pub ready: bool,
    /// The error, when it failed: `cannot perform the following tasks:\n- …`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// When it was created.
    pub spawn_time: Timestamp,
    /// When it became ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<Timestamp>,
    /// Extra data (e.g. `check-name` for check changes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, serde_json::Value>,
}

impl Change {
    /// The logs of tasks that did not finish well, one `- summary: log line` per line, for
    /// error messages.
    pub fn failed_task_logs(&self) -> String {
        let mut out = String::new();
        for task in &self.tasks {
            if matches!(task.status, ChangeStatus::Done) || task.log.is_empty() {
                continue;
            }
            for line in &task.log {
                out.push_str(&format!("\n- {}: {}", task.summary, line));
            }
        }
        out
    }
}

/// A task of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Task {
    /// Task id.
    pub id: String,
    /// Task kind.
    pub kind: String,
    /// Human summary.
    pub summary: String,
    /// Current status.
    pub status: ChangeStatus,
    /// Log lines (omitted by Pebble when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// Progress.
    #[serde(default)]
    pub progress: TaskProgress,
    /// When it was created.
    pub spawn_time: Timestamp,
    /// When it became ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<Timestamp>,
    /// Extra data (`exit-code` for exec tasks).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, serde_json::Value>,
}

/// How far a task has got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskProgress {
    /// A label (often empty).
    #[serde(default)]
    pub label: String,
    /// Units done.
    #[serde(default)]
    pub done: i64,
    /// Units in all.
    #[serde(default)]
    pub total: i64,
}

/// Which changes `GET /v1/changes` lists (`select=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ChangeSelect {
    /// Changes not yet ready (Pebble's default).
    #[default]
    InProgress,
    /// Changes that are ready.
    Ready,
    /// Every change.
    All,
}

impl ChangeSelect {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Ready => "ready",
            Self::All => "all",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = r#"{"id":"42","kind":"start","summary":"Start service \"svc\"","status":"Error",
      "tasks":[{"id":"43","kind":"start","summary":"Start service \"svc\"","status":"Error",
        "log":["2024-03-12T03:05:46Z ERROR cannot start service: exited quickly with code 1"],
        "progress":{"label":"","done":1,"total":1},"spawn-time":"2024-03-12T03:05:46.086111123Z",
        "ready-time":"2024-03-12T03:05:47Z","data":{"exit-code":1}}],
      "ready":true,"err":"cannot perform the following tasks:\n- Start service \"svc\" (boom)",
      "spawn-time":"2024-03-12T03:05:46.086111123Z","ready-time":"2024-03-12T03:05:47+00:00",
      "data":{"check-name":"chk"}}"#;

    #[test]
    fn parses_the_reference_shape() {
        let c: Change = serde_json::from_str(FAILED).unwrap();
        assert_eq!(c.status, ChangeStatus::Error);
        assert!(c.status.is_ready());
        assert_eq!(c.tasks[0].data["exit-code"], 1);
        assert_eq!(c.data["check-name"], "chk");
        assert!(c.failed_task_logs().contains("exited quickly"));
        let again: Change = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn unknown_status_is_tolerated() {
        let s: ChangeStatus = serde_json::from_str("\"Paused\"").unwrap();
        assert_eq!(s, ChangeStatus::Unknown("Paused".into()));
        assert!(!s.is_ready());
    }

    #[test]
    fn omitted_fields_default() {
        let c: Change = serde_json::from_str(
            r#"{"id":"1","kind":"replan","summary":"Replan - no services","status":"Done","ready":true,"spawn-time":"2024-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert!(v.get("err").is_none() && v.get("tasks").is_none() && v.get("data").is_none());
    }
}
