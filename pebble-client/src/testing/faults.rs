//! Fault injection: scripted misbehaviour of the simulated daemon, per request or per connection.
//!
//! Request faults are [`FaultRule`]s: a [`Fault`] plus which requests it hits (a path, or any)
//! and how many times (a count, or until cleared). Rules are checked in the order they were
//! added; `Delay` and `Maintenance` rules combine with whatever follows, the others end the
//! request. Socket-level faults (absent socket, refused connections, dropped connections) are
//! methods of [`SimPebble`](super::SimPebble).
//!
//! # Example
//! ```
//! use pebble_client::testing::{Fault, FaultRule};
//! let rule = FaultRule::new(Fault::error(500, "boom")).path("/v1/services").times(2);
//! assert_eq!(rule.remaining(), Some(2));
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use crate::Maintenance;

/// Builds the `maintenance` objects Pebble sends while it restarts.
fn maintenance(kind: &str, message: &str) -> Maintenance {
    Maintenance {
        kind: kind.into(),
        message: message.into(),
    }
}

/// A body that is not a valid Pebble envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Garbage {
    /// A 200 `application/json` response whose body is not JSON at all.
    NotJson,
    /// A 200 response holding the first half of a valid envelope.
    Truncated,
    /// A valid envelope served as `text/html`.
    WrongContentType,
}

/// One way for a request to go wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Wait this long before answering (the answer itself is normal unless another rule hits).
    Delay(Duration),
    /// Answer with an error envelope instead of handling the request.
    Error {
        /// HTTP status code.
        status: u16,
        /// `result.kind`, if any.
        kind: Option<String>,
        /// `result.message`.
        message: String,
    },
    /// Read the whole request, then close the connection without answering.
    Reset,
    /// Answer with a body that is not a valid envelope.
    Garbage(Garbage),
    /// Handle the request normally but add `maintenance` to the envelope.
    Maintenance(Maintenance),
}

impl Fault {
    /// An error envelope with this status and message and no kind.
    pub fn error(status: u16, message: impl Into<String>) -> Fault {
        Fault::Error {
            status,
            kind: None,
            message: message.into(),
        }
    }

    /// An error envelope with a kind.
    pub fn error_kind(status: u16, kind: impl Into<String>, message: impl Into<String>) -> Fault {
        Fault::Error {
            status,
            kind: Some(kind.into()),
            message: message.into(),
        }
    }

    /// `maintenance: {"kind":"daemon-restart","message":"daemon is restarting"}`.
    pub fn daemon_restart() -> Fault {
        Fault::Maintenance(maintenance("daemon-restart", "daemon is restarting"))
    }

    /// `maintenance: {"kind":"system-restart","message":"system is restarting"}`.
    pub fn system_restart() -> Fault {
        Fault::Maintenance(maintenance("system-restart", "system is restarting"))
    }
}

/// A fault with the requests it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    fault: Fault,
    path: Option<String>,
    remaining: Option<u32>,
}

impl FaultRule {
    /// A rule hitting every request until cleared.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            fault,
            path: None,
            remaining: None,
        }
    }

    /// Only requests to this exact path (no query string), e.g. `/v1/services`.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> FaultRule {
        self.path = Some(path.into());
        self
    }

    /// Only the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> FaultRule {
        self.remaining = Some(n);
        self
    }

    /// How many more requests this rule will hit (`None`: until cleared).
    pub fn remaining(&self) -> Option<u32> {
        self.remaining
    }

    /// The fault this rule injects.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }
}

/// What the request faults decided for one request.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    pub delay: Duration,
    pub maintenance: Option<Maintenance>,
    pub terminal: Option<Fault>,
}

/// Every fault currently scripted, plus the request counters.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    rules: Vec<FaultRule>,
    /// Connections to close right after accepting them.
    pub drop_connections: u32,
    /// Requests seen, by path.
    pub counts: BTreeMap<String, u64>,
    /// Connections accepted.
    pub connections: u64,
}

impl FaultState {
    /// Adds a rule after the existing ones.
    pub(crate) fn push(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    /// Removes every request rule and pending connection drop.
    pub(crate) fn clear(&mut self) {
        self.rules.clear();
        self.drop_connections = 0;
    }

    /// Counts a request to `path` and consumes the rules that hit it.
    pub(crate) fn on_request(&mut self, path: &str) -> FaultPlan {
        *self.counts.entry(path.to_owned()).or_default() += 1;
        let mut plan = FaultPlan::default();
        for rule in &mut self.rules {
            if rule.path.as_deref().is_some_and(|p| p != path) || rule.remaining == Some(0) {
                continue;
            }
            if let Some(n) = &mut rule.remaining {
                *n -= 1;
            }
            match &rule.fault {
                Fault::Delay(d) => plan.delay += *d,
                Fault::Maintenance(m) => plan.maintenance = Some(m.clone()),
                other => {
                    plan.terminal = Some(other.clone());
                    break;
                }
            }
        }
        self.rules.retain(|r| r.remaining != Some(0));
        plan
    }

    /// Whether the next accepted connection must be dropped (consumes one).
    pub(crate) fn take_connection_drop(&mut self) -> bool {
        self.connections += 1;
        if self.drop_connections > 0 {
            self.drop_connections -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_consumed_and_counted() {
        let mut f = FaultState::default();
        f.push(FaultRule::new(Fault::Delay(Duration::from_millis(5))).times(1));
        f.push(FaultRule::new(Fault::Reset).path("/v1/services").times(2));
        let p = f.on_request("/v1/services");
        assert_eq!(p.delay, Duration::from_millis(5));
        assert_eq!(p.terminal, Some(Fault::Reset));
        assert_eq!(f.on_request("/v1/changes").terminal, None);
        assert_eq!(f.on_request("/v1/services").terminal, Some(Fault::Reset));
        assert_eq!(f.on_request("/v1/services").terminal, None);
        assert_eq!(f.counts["/v1/services"], 3);
        assert!(f.rules.is_empty());
    }

    #[test]
    fn maintenance_combines_with_a_normal_answer() {
        let mut f = FaultState::default();
        f.push(FaultRule::new(Fault::daemon_restart()));
        let p = f.on_request("/v1/system-info");
        assert_eq!(p.maintenance.unwrap().kind, "daemon-restart");
        assert!(p.terminal.is_none());
    }
}
