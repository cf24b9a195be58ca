//! A log-forwarding target in a layer (`log-targets:` entries).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Override;
use crate::types::string_enum::string_enum;

string_enum! {
    /// The protocol a log target speaks.
    pub enum LogTargetType {
        /// Grafana Loki.
        Loki = "loki",
        /// OpenTelemetry.
        OpenTelemetry = "opentelemetry",
        /// Syslog.
        Syslog = "syslog",
    }
}

/// One log target in a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LogTarget {
    /// How this definition combines with earlier layers (required in a layer).
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// The protocol (required in the combined plan).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub target_type: Option<LogTargetType>,
    /// Where to send logs (required in the combined plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Which services: names, `all`, `-name` to remove one, `-all` to remove all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Labels added to every entry (`pebble_` prefix reserved).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}
