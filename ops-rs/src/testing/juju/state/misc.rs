//! The smaller parts of the model: ports, the action, logs, storage, networks, goal state, reboot.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A port protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (no port).
    Icmp,
}

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

/// One address of a network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// The host name, if any.
    #[serde(default)]
    pub hostname: String,
    /// The IP address.
    pub value: String,
    /// Its subnet.
    #[serde(default)]
    pub cidr: String,
}

/// One interface a binding is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BindAddress {
    /// MAC address.
    #[serde(default)]
    pub mac_address: String,
    /// Interface name.
    #[serde(default)]
    pub interface_name: String,
    /// Its addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
}

/// What `network-get` answers for a binding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Network {
    /// Interfaces and addresses the workload binds to.
    #[serde(default)]
    pub bind_addresses: Vec<BindAddress>,
    /// Subnets outgoing traffic comes from.
    #[serde(default)]
    pub egress_subnets: Vec<String>,
    /// Addresses other units reach this one on.
    #[serde(default)]
    pub ingress_addresses: Vec<String>,
}

impl Network {
    /// A network with one interface `eth0` holding `ip` (also the ingress address, egress `/32`).
    pub fn with_address(ip: &str) -> Self {
        Network {
            bind_addresses: vec![BindAddress {
                mac_address: String::new(),
                interface_name: "eth0".to_owned(),
                addresses: vec![Address {
                    hostname: String::new(),
                    value: ip.to_owned(),
                    cidr: format!("{ip}/32"),
                }],
            }],
            egress_subnets: vec![format!("{ip}/32")],
            ingress_addresses: vec![ip.to_owned()],
        }
    }

    /// The answer as Juju prints it (addresses also under the older key `address`).
    pub fn to_juju(&self) -> Value {
        let binds: Vec<Value> = self
            .bind_addresses
            .iter()
            .map(|b| {
                let addrs: Vec<Value> = b
                    .addresses
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "hostname": a.hostname, "value": a.value,
                            "address": a.value, "cidr": a.cidr,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "mac-address": b.mac_address,
                    "interface-name": b.interface_name,
                    "addresses": addrs,
                })
            })
            .collect();
        serde_json::json!({
            "bind-addresses": binds,
            "egress-subnets": self.egress_subnets,
            "ingress-addresses": self.ingress_addresses,
        })
    }
}

/// A unit's or application's goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    /// `active`, `waiting`, `dying`, ...
    pub status: String,
    /// Since when, RFC 3339.
    pub since: String,
}

/// What `goal-state` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalState {
    /// This application's units.
    #[serde(default)]
    pub units: BTreeMap<String, Goal>,
    /// Per endpoint: related applications and units.
    #[serde(default)]
    pub relations: BTreeMap<String, BTreeMap<String, Goal>>,
}

/// A reboot asked for with `juju-reboot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reboot {
    /// After the hook completes.
    AfterHook,
    /// Now (`--now`): the hook is killed and re-run after the reboot.
    Now,
}
