//! The combined plan, as `GET /v1/plan?format=yaml` returns it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Check, LogTarget, PlanError, Service, parse_yaml};

/// The plan: every layer combined. Defaults are not written into it (use the `effective_*`
/// accessors), except a check's `threshold`, which Pebble itself fills in.
///
/// Unknown top-level sections (Pebble extensions) are ignored when parsing, since the plan
/// comes from the server; unknown fields inside services, checks and log targets are errors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Plan {
    /// Services by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// Checks by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    /// Log targets by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_targets: BTreeMap<String, LogTarget>,
}

impl Plan {
    /// Parses plan YAML (an empty document is an empty plan).
    pub fn from_yaml(yaml: &str) -> Result<Self, PlanError> {
        parse_yaml(yaml)
    }

    /// Writes the plan as YAML the way Pebble does (`GET /v1/plan`): sections in Pebble's
    /// order (services, checks, log-targets), 4-space indents, Go's quoting.
    pub fn to_yaml(&self) -> Result<String, PlanError> {
        if self.services.is_empty() && self.checks.is_empty() && self.log_targets.is_empty() {
            return Ok("{}\n".to_owned());
        }
        super::go_yaml::to_go_yaml(self)
    }
}
