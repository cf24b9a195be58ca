//! System information and health (`/v1/system-info`, `/v1/health`).
//!
//! # Example
//! ```
//! use pebble_client::SystemInfo;
//! let s: SystemInfo = serde_json::from_str(r#"{"boot-id":"b","version":"v1.32.1"}"#)?;
//! assert_eq!(s.version, "v1.32.1");
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

/// What `GET /v1/system-info` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SystemInfo {
    /// Changes on every Pebble start (Juju fires pebble-ready on a change).
    pub boot_id: String,
    /// The TCP HTTP address, when Pebble listens on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_address: Option<String>,
    /// The HTTPS address, when Pebble listens on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_address: Option<String>,
    /// Pebble's version, e.g. `v1.32.1`.
    pub version: String,
}

/// What `GET /v1/health` returns (Pebble answers 502 with this body when unhealthy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Whether no selected check is `down`.
    pub healthy: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let json = r#"{"boot-id":"x","http-address":":38813","version":"v1.32.1"}"#;
        let s: SystemInfo = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
        let h: Health = serde_json::from_str(r#"{"healthy":false}"#).unwrap();
        assert!(!h.healthy);
    }
}
