//! Health-check status as `GET /v1/checks` reports it.
//!
//! # Example
//! ```
//! use pebble_client::{CheckInfo, CheckStatus};
//! let c: CheckInfo = serde_json::from_str(r#"{"name":"up","status":"down","failures":3,"threshold":3}"#)?;
//! assert_eq!(c.status, CheckStatus::Down);
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::change::ChangeId;
use super::string_enum::string_enum;

string_enum! {
    /// A check's level (`level` in layers and check info).
    #[derive(Default)]
    pub enum CheckLevel {
        /// Counts for liveness.
        Alive = "alive",
        /// Counts for readiness.
        Ready = "ready",
        /// No level (`""`).
        #[default]
        Unset = "",
    }
}

string_enum! {
    /// A check's startup mode.
    #[derive(Default)]
    pub enum CheckStartup {
        /// Runs when the plan is applied (the default).
        Enabled = "enabled",
        /// Must be started explicitly.
        Disabled = "disabled",
        /// Not set (`""`).
        #[default]
        Unset = "",
    }
}

string_enum! {
    /// A check's current status.
    pub enum CheckStatus {
        /// Passing (fewer than `threshold` failures in a row).
        Up = "up",
        /// Failing (`threshold` failures in a row reached).
        Down = "down",
        /// Not running (stopped, or startup disabled).
        Inactive = "inactive",
    }
}

/// One check's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CheckInfo {
    /// Check name.
    pub name: String,
    /// Its level.
    #[serde(default, skip_serializing_if = "is_unset_level")]
    pub level: CheckLevel,
    /// Its startup mode (Pebble ≥ 1.19).
    #[serde(default, skip_serializing_if = "is_unset_startup")]
    pub startup: CheckStartup,
    /// Current status.
    pub status: CheckStatus,
    /// Successes in a row (Pebble ≥ 1.28).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub successes: u64,
    /// Failures in a row.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: u64,
    /// Failures in a row that make the check `down`.
    #[serde(default)]
    pub threshold: u64,
    /// The change running this check (perform-check or recover-check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<ChangeId>,
    /// The previous such change (Pebble ≥ 1.29).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_change_id: Option<ChangeId>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_unset_level(l: &CheckLevel) -> bool {
    *l == CheckLevel::Unset
}

fn is_unset_startup(s: &CheckStartup) -> bool {
    *s == CheckStartup::Unset
}

/// What `POST /v1/checks/refresh` returns: the check after one synchronous run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshedCheck {
    /// The check's status after the run.
    pub info: CheckInfo,
    /// The run's error, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_reference_shape() {
        let json = r#"{"name":"chk","level":"alive","startup":"enabled","status":"up","successes":4,"threshold":3,"change-id":"7","prev-change-id":"5"}"#;
        let c: CheckInfo = serde_json::from_str(json).unwrap();
        assert_eq!(c.level, CheckLevel::Alive);
        assert_eq!(c.change_id, Some(ChangeId::from("7")));
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
    }

    #[test]
    fn old_pebble_minimal_shape() {
        let c: CheckInfo =
            serde_json::from_str(r#"{"name":"chk","status":"weird","threshold":3}"#).unwrap();
        assert_eq!(c.status, CheckStatus::Unknown("weird".into()));
        assert_eq!(c.startup, CheckStartup::Unset);
    }
}
