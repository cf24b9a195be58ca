//! Workload status: what a unit or application tells the operator.
//!
//! Statuses are compared by priority for collect-status (holistic handling):
//! blocked > maintenance > waiting > active. `error` and `unknown` are set by Juju
//! and can never be added by a charm.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A unit or application status, with its message.
///
/// ```
/// use ops::status::Status;
/// let s = Status::blocked("set the 'port' option");
/// assert_eq!(s.name(), "blocked");
/// assert!(s.priority() > Status::active("").priority());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", content = "message", rename_all = "lowercase")]
pub enum Status {
    /// The workload is serving; the message says how.
    Active(String),
    /// An operator must act (bad config, missing relation) before the charm can go on.
    Blocked(String),
    /// The charm is doing work that needs no operator action (installing, starting).
    Maintenance(String),
    /// The charm waits on something outside it that will resolve itself (a relation's data, Pebble).
    Waiting(String),
    /// Set by Juju when a hook failed. A charm cannot set it.
    Error(String),
    /// Set by Juju before a charm has said anything. A charm cannot set it.
    Unknown(String),
}

impl Status {
    /// `active` with a message.
    pub fn active(msg: impl Into<String>) -> Self {
        Status::Active(msg.into())
    }
    /// `blocked` with a message.
    pub fn blocked(msg: impl Into<String>) -> Self {
        Status::Blocked(msg.into())
    }
    /// `maintenance` with a message.
    pub fn maintenance(msg: impl Into<String>) -> Self {
        Status::Maintenance(msg.into())
    }
    /// `waiting` with a message.
    pub fn waiting(msg: impl Into<String>) -> Self {
        Status::Waiting(msg.into())
    }

    /// The status name as Juju spells it (`active`, `blocked`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Active(_) => "active",
            Status::Blocked(_) => "blocked",
            Status::Maintenance(_) => "maintenance",
            Status::Waiting(_) => "waiting",
            Status::Error(_) => "error",
            Status::Unknown(_) => "unknown",
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Status::Active(m)
            | Status::Blocked(m)
            | Status::Maintenance(m)
            | Status::Waiting(m)
            | Status::Error(m)
            | Status::Unknown(m) => m,
        }
    }

    /// Builds a status from Juju's name and a message; `None` for a name Juju does not use.
    pub fn from_name(name: &str, message: impl Into<String>) -> Option<Self> {
        let m = message.into();
        Some(match name {
            "active" => Status::Active(m),
            "blocked" => Status::Blocked(m),
            "maintenance" => Status::Maintenance(m),
            "waiting" => Status::Waiting(m),
            "error" => Status::Error(m),
            "unknown" => Status::Unknown(m),
            _ => return None,
        })
    }

    /// Priority in collect-status: error 5, blocked 4, maintenance 3, waiting 2, active 1,
    /// unknown 0 (the same order as Python ops).
    pub fn priority(&self) -> u8 {
        match self {
            Status::Error(_) => 5,
            Status::Blocked(_) => 4,
            Status::Maintenance(_) => 3,
            Status::Waiting(_) => 2,
            Status::Active(_) => 1,
            Status::Unknown(_) => 0,
        }
    }

    /// Whether a charm may set (or add) this status: only active, blocked, maintenance, waiting.
    pub fn is_settable(&self) -> bool {
        !matches!(self, Status::Error(_) | Status::Unknown(_))
    }

    /// The highest-priority status of `statuses`; the first added wins a tie.
    ///
    /// ```
    /// use ops::status::Status;
    /// let all = [Status::active(""), Status::blocked("b1"), Status::waiting(""), Status::blocked("b2")];
    /// assert_eq!(Status::highest(&all), Some(&Status::blocked("b1")));
    /// ```
    pub fn highest(statuses: &[Status]) -> Option<&Status> {
        statuses
            .iter()
            .fold(None, |best: Option<&Status>, s| match best {
                Some(b) if b.priority() >= s.priority() => Some(b),
                _ => Some(s),
            })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message().is_empty() {
            f.write_str(self.name())
        } else {
            write!(f, "{}: {}", self.name(), self.message())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_is_first_of_top_priority() {
        assert_eq!(Status::highest(&[]), None);
        let s = [
            Status::waiting("w"),
            Status::maintenance("m1"),
            Status::active("a"),
            Status::maintenance("m2"),
        ];
        assert_eq!(Status::highest(&s), Some(&Status::maintenance("m1")));
    }

    #[test]
    fn only_four_are_settable() {
        assert!(Status::active("").is_settable());
        assert!(!Status::Error(String::new()).is_settable());
        assert!(!Status::Unknown(String::new()).is_settable());
    }

    #[test]
    fn round_trips_names() {
        for n in [
            "active",
            "blocked",
            "maintenance",
            "waiting",
            "error",
            "unknown",
        ] {
            assert_eq!(Status::from_name(n, "x").map(|s| s.name()), Some(n));
        }
        assert_eq!(Status::from_name("terminated", ""), None);
    }
}
