//! A health-check definition in a layer (`checks:` entries).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Override;
use crate::types::check::{CheckLevel, CheckStartup};
use crate::types::duration::GoDuration;

/// One check in a layer. Exactly one of `http`, `tcp`, `exec` must be set in the combined plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Check {
    /// How this definition combines with earlier layers (required in a layer).
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// `alive` or `ready`.
    #[serde(default, skip_serializing_if = "is_unset_level")]
    pub level: CheckLevel,
    /// `enabled` (default) or `disabled`.
    #[serde(default, skip_serializing_if = "is_unset_startup")]
    pub startup: CheckStartup,
    /// Time between runs (default 10s, not zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<GoDuration>,
    /// Time allowed per run (default 3s, capped at `period`, not zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    /// Failures in a row before the check is down (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// An HTTP GET that must answer 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// A TCP port that must accept a connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpCheck>,
    /// A command that must exit 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecCheck>,
}

fn is_unset_level(l: &CheckLevel) -> bool {
    *l == CheckLevel::Unset
}

fn is_unset_startup(s: &CheckStartup) -> bool {
    *s == CheckStartup::Unset
}

/// Pebble's default check `period`.
pub const DEFAULT_CHECK_PERIOD: GoDuration = GoDuration::from_secs(10);
/// Pebble's default check `timeout`.
pub const DEFAULT_CHECK_TIMEOUT: GoDuration = GoDuration::from_secs(3);
/// Pebble's default check `threshold`.
pub const DEFAULT_CHECK_THRESHOLD: u32 = 3;

impl Check {
    /// `period`, or Pebble's default.
    pub fn effective_period(&self) -> GoDuration {
        self.period.unwrap_or(DEFAULT_CHECK_PERIOD)
    }

    /// `timeout` (or Pebble's default), capped at the effective period, as Pebble runs it.
    pub fn effective_timeout(&self) -> GoDuration {
        self.timeout
            .unwrap_or(DEFAULT_CHECK_TIMEOUT)
            .min(self.effective_period())
    }

    /// `threshold`, or Pebble's default.
    pub fn effective_threshold(&self) -> u32 {
        match self.threshold {
            Some(n) if n != 0 => n,
            _ => DEFAULT_CHECK_THRESHOLD,
        }
    }
}

/// An HTTP check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct HttpCheck {
    /// The URL to GET (required in the combined plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// A TCP check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TcpCheck {
    /// The port (required in the combined plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The host (default `localhost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// An exec check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExecCheck {
    /// The command line (required in the combined plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Take environment, user, group and working dir from this service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_context: Option<String>,
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
}
