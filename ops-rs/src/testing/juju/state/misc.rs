//! The smaller parts of the model: ports, the action, logs, storage, networks, goal state, reboot.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A port protocol: the model's own [`Protocol`](crate::model::Protocol).
pub use crate::hookcmds::port::Protocol;

/// A port or port range this unit opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OpenedPort {
    /// The protocol.
    pub protocol: Protocol,
    /// First port (0 for ICMP).
    #[serde(default)]
    pub from: u16,
    /// Last port (equal to `from` for one port).
    #[serde(default)]
    pub to: u16,
    /// The endpoints it applies to; `None`: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Vec<String>>,
}

impl OpenedPort {
    /// One TCP port on all endpoints.
    pub fn tcp(port: u16) -> Self {
        OpenedPort {
            protocol: Protocol::Tcp,
            from: port,
            to: port,
            endpoints: None,
        }
    }
}

impl fmt::Display for OpenedPort {
    /// As `opened-ports` prints it: `icmp`, `80/tcp`, `8000-8099/udp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.protocol {
            Protocol::Icmp => return f.write_str("icmp"),
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        if self.from == self.to {
            write!(f, "{}/{proto}", self.from)
        } else {
            write!(f, "{}-{}/{proto}", self.from, self.to)
        }
    }
}

/// The action being run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActionState {
    /// The action's name.
    pub name: String,
    /// Its id (`JUJU_ACTION_UUID`).
    pub uuid: String,
    /// Its parameters.
    #[serde(default)]
    pub params: Value,
    /// Results set with `action-set`, nested at the dots of their keys.
    #[serde(default)]
    pub results: serde_json::Map<String, Value>,
    /// Messages written with `action-log`.
    #[serde(default)]
    pub logs: Vec<String>,
    /// The failure message, if `action-fail` was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl ActionState {
    /// An action `name` with `params` and a fixed test uuid.
    pub fn new(name: &str, params: Value) -> Self {
        ActionState {
            name: name.to_owned(),
            uuid: "00000000-0000-4000-8000-00000000000a".to_owned(),
            params,
            results: serde_json::Map::new(),
            logs: Vec::new(),
            failure: None,
        }
    }
}

/// One `juju-log` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The level, e.g. `INFO`.
    pub level: String,
    /// The message.
    pub message: String,
}

/// One attached storage instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageInstance {
    /// Its index (the `N` of `name/N`).
    pub index: u32,
    /// `filesystem` or `block`.
    pub kind: String,
    /// Where it is mounted (or the block device).
    pub location: String,
}

impl StorageInstance {
    /// A filesystem instance at `location`.
    pub fn filesystem(index: u32, location: &str) -> Self {
        StorageInstance {
            index,
            kind: "filesystem".to_owned(),
            location: location.to_owned(),
        }
    }
}

/// Networks and goal state: the model's own types ([`Network`](crate::model::Network),
/// [`GoalState`](crate::model::GoalState), ...), so what a test seeds is what the charm reads.
pub use crate::hookcmds::goal_state::{Goal, GoalState};
pub use crate::hookcmds::network::{Address, BindAddress, Network};

/// A reboot asked for with `juju-reboot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reboot {
    /// After the hook completes.
    AfterHook,
    /// Now (`--now`): the hook is killed and re-run after the reboot.
    Now,
}
