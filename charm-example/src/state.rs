//! [`Stored`]: the facts the charm keeps between hooks (ops' `StoredState`).
//!
//! Handlers record facts here; only [collect-status](crate::status) turns them into a
//! status. Every field has `#[serde(default)]` so that state written by an older revision of
//! the charm still loads after `juju refresh`.

use serde::{Deserialize, Serialize};

/// The charm's persisted state, saved in the same transaction as the deferred queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Where the last reconcile left the unit.
    #[serde(default)]
    pub phase: Phase,
    /// What the workload said about its readiness since it was last (re)started.
    #[serde(default)]
    pub readiness: Readiness,
    /// Where the ingress provider routes to webkv, once it said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_url: Option<String>,
}

/// Where the last reconcile left the unit: the facts collect-status reports on.
///
/// Each variant is refreshed by the events that can change it (config-changed for the
/// config, secret and peer events for the token, pebble-ready for Pebble), all of which run
/// the reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum Phase {
    /// No reconcile has run yet (the first hooks of a new unit).
    #[default]
    NotReconciled,
    /// The operator must change something; the message says what.
    Blocked {
        /// What is wrong and how to fix it, naming the config option.
        message: String,
    },
    /// Pebble in the workload container could not be reached.
    WaitingForPebble,
    /// A non-leader waits for the leader to share the admin token.
    WaitingForToken {
        /// What exactly is awaited.
        message: String,
    },
    /// The service is configured and started on `port`; it is ready once it says so.
    Started {
        /// The port it was started on.
        port: u16,
    },
}

/// The workload's readiness, learnt from its `webkv.example.com/ready` custom notice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// The port the workload reported ready on, since it was last (re)started.
    #[serde(default)]
    pub port: Option<u16>,
    /// How many ready notices Pebble had recorded when the service was last (re)started:
    /// a notice with no more occurrences than this is from an earlier start (Juju
    /// re-delivers notices after an agent restart) and proves nothing about this one.
    #[serde(default)]
    pub stale_through: u64,
}

impl Readiness {
    /// Readiness after (re)starting the service, when Pebble had recorded `seen` ready
    /// notices so far: not ready until a newer one arrives.
    pub fn restarted(seen: u64) -> Self {
        Readiness {
            port: None,
            stale_through: seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_or_empty_state_loads_with_defaults() {
        let empty: Stored = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Stored::default());
        let started: Stored =
            serde_json::from_str(r#"{"phase": {"phase": "started", "port": 8080}}"#).unwrap();
        assert_eq!(started.phase, Phase::Started { port: 8080 });
        assert_eq!(started.readiness, Readiness::default());
    }

    #[test]
    fn a_restart_forgets_readiness_and_remembers_the_notices_seen() {
        let r = Readiness::restarted(3);
        assert_eq!(r.port, None);
        assert_eq!(r.stale_through, 3);
    }
}
