//! Service status as `GET /v1/services` reports it.
//!
//! # Example
//! ```
//! use pebble_client::{ServiceInfo, ServiceStatus};
//! let s: ServiceInfo = serde_json::from_str(r#"{"name":"svc","startup":"enabled","current":"active"}"#)?;
//! assert_eq!(s.current, ServiceStatus::Active);
//! assert!(s.is_running());
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::string_enum::string_enum;
use super::time::Timestamp;

string_enum! {
    /// Whether a service starts on `replan`/`autostart` (`startup` in layers and service info).
    #[derive(Default)]
    pub enum ServiceStartup {
        /// Starts on replan/autostart.
        Enabled = "enabled",
        /// Does not start automatically.
        Disabled = "disabled",
        /// Not set (`""`): effectively disabled.
        #[default]
        Unset = "",
    }
}

string_enum! {
    /// The current state of a service.
    pub enum ServiceStatus {
        /// Running.
        Active = "active",
        /// Not running.
        Inactive = "inactive",
        /// Waiting to be restarted after exiting.
        Backoff = "backoff",
        /// Stopped after an error.
        Error = "error",
    }
}

/// One service's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ServiceInfo {
    /// Service name.
    pub name: String,
    /// Its startup mode.
    #[serde(default)]
    pub startup: ServiceStartup,
    /// Its current state.
    pub current: ServiceStatus,
    /// Since when it is in that state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_since: Option<Timestamp>,
}

impl ServiceInfo {
    /// Whether it is running (`active`).
    pub fn is_running(&self) -> bool {
        self.current == ServiceStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tolerance() {
        let json = r#"{"name":"svc","startup":"","current":"sleeping","current-since":"2024-03-12T03:05:46.086111123Z"}"#;
        let s: ServiceInfo = serde_json::from_str(json).unwrap();
        assert_eq!(s.startup, ServiceStartup::Unset);
        assert_eq!(s.current, ServiceStatus::Unknown("sleeping".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
    }
}
