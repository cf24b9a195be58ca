//! Layers and the combined plan: Pebble's configuration model, with its merge rules.
//!
//! A [`Layer`] is what a charm sends with `add_layer`; Pebble stacks layers and combines them
//! into the [`Plan`] (see [`combine_layers`]). Maps are `BTreeMap`s so YAML output is
//! deterministic; unset fields are omitted; unknown fields are an error, as in Pebble.
//!
//! # Example
//! ```
//! use pebble_client::{Layer, Service, combine_layers};
//! let mut layer = Layer::default();
//! layer.services.insert("web".into(), Service::replace("/bin/web --port 8080").enabled());
//! let yaml = layer.to_yaml()?;
//! assert_eq!(yaml, "services:\n  web:\n    startup: enabled\n    override: replace\n    command: /bin/web --port 8080\n");
//! assert_eq!(Layer::from_yaml(&yaml)?, layer);
//!
//! let plan = combine_layers(&[layer])?;
//! assert_eq!(plan.services["web"].effective_backoff_limit().to_string(), "30s");
//! # Ok::<(), pebble_client::PlanError>(())
//! ```

mod check;
mod combine;
mod error;
mod go_yaml;
mod log_target;
mod plan;
mod service;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use check::{
    Check, DEFAULT_CHECK_PERIOD, DEFAULT_CHECK_THRESHOLD, DEFAULT_CHECK_TIMEOUT, ExecCheck,
    HttpCheck, TcpCheck,
};
pub use combine::{combine_labelled_layers, combine_layers};
pub use error::PlanError;
pub use log_target::{LogTarget, LogTargetType};
pub use plan::Plan;
pub use service::{
    DEFAULT_BACKOFF_DELAY, DEFAULT_BACKOFF_FACTOR, DEFAULT_BACKOFF_LIMIT, DEFAULT_KILL_DELAY,
    Service, ServiceAction,
};
pub use validate::validate_label;

/// How a definition in a layer combines with the same name in earlier layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Override {
    /// Start from the earlier definition and apply the fields set here.
    Merge,
    /// Drop the earlier definition and use this one.
    Replace,
}

/// A configuration layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Layer {
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
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

impl Layer {
    /// Parses layer YAML, rejecting unknown fields, then checks it as Pebble checks a layer
    /// ([`Layer::validate`]).
    pub fn from_yaml(yaml: &str) -> Result<Self, PlanError> {
        let layer: Self = parse_yaml(yaml)?;
        layer.validate()?;
        Ok(layer)
    }

    /// Writes the layer as YAML (kebab-case keys, unset fields omitted, maps sorted).
    pub fn to_yaml(&self) -> Result<String, PlanError> {
        to_yaml(self)
    }
}

/// Parses YAML into `T`; an empty document is the default value (as Go's yaml does).
pub(crate) fn parse_yaml<T: Default + serde::de::DeserializeOwned>(
    yaml: &str,
) -> Result<T, PlanError> {
    let blank = yaml
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if blank {
        return Ok(T::default());
    }
    serde_norway::from_str(yaml).map_err(|e| PlanError::Parse {
        message: e.to_string(),
    })
}

/// Writes YAML.
pub(crate) fn to_yaml<T: Serialize>(value: &T) -> Result<String, PlanError> {
    serde_norway::to_string(value).map_err(|e| PlanError::Serialize {
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
