//! A service definition in a layer (`services:` entries).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Override;
use crate::types::duration::GoDuration;
use crate::types::service::ServiceStartup;
use crate::types::string_enum::string_enum;

string_enum! {
    /// What Pebble does when a service exits or a check fails.
    pub enum ServiceAction {
        /// Restart the service (with backoff). Pebble's default.
        Restart = "restart",
        /// Shut Pebble down (exit code depends on the context).
        Shutdown = "shutdown",
        /// Do nothing.
        Ignore = "ignore",
        /// Shut Pebble down with a failure exit code (only for `on-success`).
        FailureShutdown = "failure-shutdown",
        /// Shut Pebble down with exit code 0 (for `on-failure` and `on-check-failure`).
        SuccessShutdown = "success-shutdown",
    }
}

/// One service in a layer. Every field is optional in a layer; `override` is required when
/// the layer is combined, and `command` in the combined plan.
///
/// Field order follows Pebble's own YAML output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Service {
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it starts on replan/autostart.
    #[serde(default, skip_serializing_if = "is_unset_startup")]
    pub startup: ServiceStartup,
    /// How this definition combines with earlier layers (required in a layer).
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// The command line (shell-like quoting, no shell), with optional `[ default args ]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Start after these services (when both start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Start before these services (when both start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// These services must run too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// The workload this service belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Run as this uid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// Run as this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Run with this gid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// Run with this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// What to do when it exits with code 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<ServiceAction>,
    /// What to do when it exits with a non-zero code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<ServiceAction>,
    /// What to do when a named check fails.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on_check_failure: BTreeMap<String, ServiceAction>,
    /// First restart delay (default 500ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_delay: Option<GoDuration>,
    /// Delay multiplier per restart (default 2.0, at least 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    /// Longest restart delay (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<GoDuration>,
    /// Time between SIGTERM and SIGKILL on stop (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_delay: Option<GoDuration>,
}

fn is_unset_startup(s: &ServiceStartup) -> bool {
    *s == ServiceStartup::Unset
}

/// Pebble's default `backoff-delay`.
pub const DEFAULT_BACKOFF_DELAY: GoDuration = GoDuration::from_millis(500);
/// Pebble's default `backoff-factor`.
pub const DEFAULT_BACKOFF_FACTOR: f64 = 2.0;
/// Pebble's default `backoff-limit`.
pub const DEFAULT_BACKOFF_LIMIT: GoDuration = GoDuration::from_secs(30);
/// Pebble's default `kill-delay`.
pub const DEFAULT_KILL_DELAY: GoDuration = GoDuration::from_secs(5);

impl Service {
    /// A service with `override: replace` and this command: the usual way to define one.
    pub fn replace(command: impl Into<String>) -> Self {
        Self {
            override_: Some(Override::Replace),
            command: Some(command.into()),
            ..Self::default()
        }
    }

    /// Sets `startup: enabled`.
    #[must_use]
    pub fn enabled(mut self) -> Self {
        self.startup = ServiceStartup::Enabled;
        self
    }

    /// `backoff-delay`, or Pebble's default when unset.
    pub fn effective_backoff_delay(&self) -> GoDuration {
        self.backoff_delay.unwrap_or(DEFAULT_BACKOFF_DELAY)
    }

    /// `backoff-factor`, or Pebble's default when unset.
    pub fn effective_backoff_factor(&self) -> f64 {
        self.backoff_factor.unwrap_or(DEFAULT_BACKOFF_FACTOR)
    }

    /// `backoff-limit`, or Pebble's default when unset.
    pub fn effective_backoff_limit(&self) -> GoDuration {
        self.backoff_limit.unwrap_or(DEFAULT_BACKOFF_LIMIT)
    }

    /// `kill-delay`, or Pebble's default when unset.
    pub fn effective_kill_delay(&self) -> GoDuration {
        self.kill_delay.unwrap_or(DEFAULT_KILL_DELAY)
    }
}
