//! [`JujuTopology`]: where metrics and alerts come from, as `cosl.JujuTopology` names it.

use serde::{Deserialize, Serialize};

/// The Juju topology of this unit: `scrape_metadata` on the wire, and the `juju_*` labels
/// put on every alert rule.
///
/// ```
/// use ops_interface_prometheus_scrape::v0::JujuTopology;
/// let t = JujuTopology {
///     model: "cos".into(),
///     model_uuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8".into(),
///     application: "zinc-k8s".into(),
///     unit: "zinc-k8s/0".into(),
///     charm_name: "zinc-k8s".into(),
/// };
/// assert_eq!(t.identifier(), "cos_c2e9f4d5_zinc-k8s");
/// assert_eq!(
///     serde_json::to_string(&t).unwrap(),
///     r#"{"model":"cos","model_uuid":"c2e9f4d5-dcb3-4870-8509-330eb9745ee8","application":"zinc-k8s","unit":"zinc-k8s/0","charm_name":"zinc-k8s"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JujuTopology {
    /// The model's name.
    pub model: String,
    /// The model's UUID.
    pub model_uuid: String,
    /// The application's name.
    pub application: String,
    /// The unit's name (of the leader, which writes `scrape_metadata`).
    pub unit: String,
    /// The charm's name (from its metadata).
    pub charm_name: String,
}

impl JujuTopology {
    /// `<model>_<first 8 characters of the UUID>_<application>`, with `/` as `_`: the prefix of
    /// alert group names and, on the consumer, of job names and rule files.
    pub fn identifier(&self) -> String {
        let short: String = self.model_uuid.chars().take(8).collect();
        format!("{}_{}_{}", self.model, short, self.application).replace('/', "_")
    }

    /// The labels every alert rule gets (unless it sets them itself): `juju_model`,
    /// `juju_model_uuid`, `juju_application`, `juju_charm`; empty values left out. Never
    /// `juju_unit`: rules travel in the application's bag, one copy for all units.
    pub fn alert_labels(&self) -> Vec<(&'static str, &str)> {
        [
            ("juju_model", self.model.as_str()),
            ("juju_model_uuid", self.model_uuid.as_str()),
            ("juju_application", self.application.as_str()),
            ("juju_charm", self.charm_name.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}
