//! [`MetricsEndpointProvider`]: tells Prometheus what to scrape and which alerts to evaluate.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ops::event::{CustomEvent, EventKind, RelationChanged};
use ops::framework::{Charm, Component, ComponentCtx, ComponentObservers, Ctx, HandlerResult};
use ops::model::{DataBag, Model, ModelError, Relation};
use serde_json::Value;

use super::config::MetricsEndpointConfig;
use super::rules::{AlertRules, host_health_rules};
use super::topology::JujuTopology;

/// The unit bag's keys (all plain strings, not JSON).
pub mod unit_keys {
    /// The address Prometheus scrapes (`*` of wildcard targets).
    pub const ADDRESS: &str = "prometheus_scrape_unit_address";
    /// The unit's name, labelling its metrics.
    pub const NAME: &str = "prometheus_scrape_unit_name";
    /// A path prefix, behind an ingress (absent otherwise).
    pub const PATH: &str = "prometheus_scrape_unit_path";
    /// The unit's fully qualified name (absent behind an ingress).
    pub const FQDN: &str = "prometheus_scrape_unit_fqdn";
    /// All of them: the keys the provider owns in its unit bag.
    pub const ALL: [&str; 4] = [ADDRESS, NAME, PATH, FQDN];
}

/// The application bag's keys (each value JSON).
pub mod app_keys {
    /// The topology, `{"model", "model_uuid", "application", "unit", "charm_name"}`.
    pub const SCRAPE_METADATA: &str = "scrape_metadata";
    /// The list of scrape jobs.
    pub const SCRAPE_JOBS: &str = "scrape_jobs";
    /// The alert rules, `{"groups": [...]}` or `{}`.
    pub const ALERT_RULES: &str = "alert_rules";
    /// In the consumer's application bag: what it thought of our rules and jobs.
    pub const CONSUMER_EVENT: &str = "event";
}

/// Emitted (on the leader) when Prometheus reports on the alert rules it got from us, in
/// its application bag's `event` key.
///
/// As in the Python library, `valid` is what Prometheus said, `true` when it said nothing;
/// Prometheus writes only `errors`, so check [`has_errors`](Self::has_errors).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertRuleStatusChanged {
    /// The relation.
    pub relation_id: u32,
    /// Whether Prometheus said the rules are valid.
    pub valid: bool,
    /// What Prometheus found wrong (empty if nothing).
    pub errors: String,
}

impl AlertRuleStatusChanged {
    /// Whether the rules are in trouble: not valid, or errors reported.
    pub fn has_errors(&self) -> bool {
        !self.valid || !self.errors.is_empty()
    }
}

impl CustomEvent for AlertRuleStatusChanged {
    const NAME: &'static str = "alert-rule-status-changed";
}

/// Emitted (on the leader) when Prometheus reports that our scrape jobs do not validate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvalidScrapeJob {
    /// The relation.
    pub relation_id: u32,
    /// What Prometheus found wrong.
    pub errors: String,
}

impl CustomEvent for InvalidScrapeJob {
    const NAME: &'static str = "invalid-scrape-job";
}

type ConfigFn = Box<dyn Fn(&Model) -> Result<MetricsEndpointConfig, ModelError>>;

/// The provider side of `prometheus_scrape` v0 (`MetricsEndpointProvider`), as a
/// [`Component`].
///
/// | Event | What it writes |
/// |---|---|
/// | `relation-joined` on the endpoint | everything: unit bags of every relation; on the leader, `scrape_metadata`, `scrape_jobs` and `alert_rules` |
/// | `leader-elected`, `upgrade-charm`, and the [`refresh_on`](Self::refresh_on) events | everything |
/// | `relation-changed` on the endpoint | the unit bags; on the leader, reads Prometheus' `event` and emits [`AlertRuleStatusChanged`] / [`InvalidScrapeJob`] |
/// | `update-status` | the unit bags (a rescheduled pod comes back with a new address) |
///
/// The Python library writes everything on `relation-joined` and on its `refresh_event`
/// (the container's `pebble-ready` in a sidecar charm, found in the metadata; give it with
/// `refresh_on`), and the unit bags on `relation-changed` and `update-status`;
/// `leader-elected` and `upgrade-charm` are ours (a new leader's `unit`, new rules shipped
/// with a new revision). Only keys whose values changed are written: at most one
/// `relation-set` per bag, none when nothing changed.
///
/// Nothing the consumer writes, no missing network and no bad rule file fails a hook: each is
/// a log line saying what is wrong.
pub struct MetricsEndpointProvider {
    endpoint: String,
    config: ConfigFn,
    refresh: Vec<EventKind>,
}

impl std::fmt::Debug for MetricsEndpointProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsEndpointProvider")
            .field("endpoint", &self.endpoint)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl MetricsEndpointProvider {
    /// A provider on `endpoint` (conventionally `metrics-endpoint`) publishing `config`.
    pub fn new(endpoint: &str, config: MetricsEndpointConfig) -> Self {
        Self::from_fn(endpoint, move |_| Ok(config.clone()))
    }

    /// A provider whose configuration is read when it publishes (e.g. a port from the
    /// charm's configuration).
    pub fn from_fn(
        endpoint: &str,
        config: impl Fn(&Model) -> Result<MetricsEndpointConfig, ModelError> + 'static,
    ) -> Self {
        MetricsEndpointProvider {
            endpoint: endpoint.to_owned(),
            config: Box::new(config),
            refresh: Vec::new(),
        }
    }

    /// Also publishes everything on `kind`: the workload container's `pebble-ready` (what
    /// the Python library picks in a sidecar charm), `config-changed` when the jobs depend
    /// on the configuration, ...
    #[must_use]
    pub fn refresh_on(mut self, kind: EventKind) -> Self {
        self.refresh.push(kind);
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Publishes everything now, to every relation on the endpoint (the Python library's
    /// `set_scrape_job_spec`).
    ///
    /// # Errors
    ///
    /// A hook tool failed.
    pub fn publish<C: Charm>(&self, ctx: &Ctx<C>) -> Result<(), ModelError> {
        let model = ctx.model();
        let relations = model.relations(&self.endpoint)?;
        if relations.is_empty() {
            return Ok(());
        }
        let config = (self.config)(model)?;
        for relation in &relations {
            write_unit(model, relation, &config)?;
        }
        if !model.is_leader()? {
            return Ok(());
        }
        let desired = app_bag(ctx, &config);
        for relation in &relations {
            write_keys(&relation.local_app_data(), &desired, &[])?;
        }
        Ok(())
    }

    /// Publishes this unit's address to every relation (`_set_unit_ip`).
    fn publish_units<C: Charm>(&self, ctx: &Ctx<C>) -> Result<(), ModelError> {
        let model = ctx.model();
        let relations = model.relations(&self.endpoint)?;
        if relations.is_empty() {
            return Ok(());
        }
        let config = (self.config)(model)?;
        for relation in &relations {
            write_unit(model, relation, &config)?;
        }
        Ok(())
    }

    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        self.publish_units(ctx)?;
        if !ctx.model().is_leader()? {
            return Ok(());
        }
        let relation = ctx.model().relation(&self.endpoint, ev.relation_id);
        let Some(bag) = relation.remote_app_data()? else {
            return Ok(());
        };
        let Some(raw) = bag.get(app_keys::CONSUMER_EVENT)? else {
            return Ok(());
        };
        let report = match serde_json::from_str::<Value>(&raw) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                tracing::warn!(
                    "ignoring Prometheus' report on relation {}:{}: `event` is not a JSON object: {other}",
                    self.endpoint,
                    ev.relation_id
                );
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(
                    "ignoring Prometheus' report on relation {}:{}: `event` is not JSON ({e}): {raw:?}",
                    self.endpoint,
                    ev.relation_id
                );
                return Ok(());
            }
        };
        if report.is_empty() {
            return Ok(());
        }
        let valid = report.get("valid").is_none_or(truthy);
        ctx.emit(AlertRuleStatusChanged {
            relation_id: ev.relation_id,
            valid,
            errors: text_of(report.get("errors")),
        })?;
        if report.get("scrape_job_errors").is_some_and(truthy) {
            ctx.emit(InvalidScrapeJob {
                relation_id: ev.relation_id,
                errors: text_of(report.get("scrape_job_errors")),
            })?;
        }
        Ok(())
    }
}

impl<C: Charm> Component<C> for MetricsEndpointProvider {
    type Stored = ();

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_joined(&self.endpoint, "on_joined", |p, ctx, _| {
            p.publish(ctx)?;
            Ok(())
        });
        on.relation_changed(&self.endpoint, "on_changed", Self::on_changed);
        on.update_status("on_update_status", |p, ctx, _| {
            p.publish_units(ctx)?;
            Ok(())
        });
        on.leader_elected("on_leader_elected", |p, ctx, _| {
            p.publish(ctx)?;
            Ok(())
        });
        on.upgrade_charm("on_upgrade_charm", |p, ctx, _| {
            p.publish(ctx)?;
            Ok(())
        });
        if !self.refresh.is_empty() {
            on.many("on_refresh", self.refresh.clone(), |p, ctx, _| {
                p.publish(ctx)?;
                Ok(())
            });
        }
    }
}

/// Python's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A reported value as text: a string as it is, anything else as JSON, nothing as "".
fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The topology of this unit.
fn topology<C: Charm>(ctx: &Ctx<C>) -> JujuTopology {
    let model = ctx.model();
    let juju = ctx.juju_context();
    JujuTopology {
        model: juju.model_name.clone(),
        model_uuid: juju.model_uuid.clone(),
        application: model.app_name().to_owned(),
        unit: model.unit_name().to_owned(),
        charm_name: model
            .meta()
            .map_or_else(|| model.app_name().to_owned(), |m| m.name.clone()),
    }
}

/// The application bag: `scrape_metadata`, `scrape_jobs`, `alert_rules`, each JSON.
fn app_bag<C: Charm>(ctx: &Ctx<C>, config: &MetricsEndpointConfig) -> BTreeMap<String, String> {
    let topology = topology(ctx);
    let (jobs, dropped) = config.jobs_to_send();
    if !dropped.is_empty() {
        tracing::warn!(
            "scrape job options not sent (the protocol carries only the Python library's \
             ALLOWED_KEYS): {}",
            dropped.join(", ")
        );
    }
    let mut rules = AlertRules::new(topology.clone());
    if config.forward_alert_rules {
        let dir = ctx.juju_context().charm_dir.join(&config.alert_rules_path);
        for problem in rules.add_dir(&dir) {
            tracing::error!("{problem}; the other rules are still sent");
        }
        if config.generic_alert_rules {
            // Our own rules fit the format: a failure here is a bug in this library.
            if let Err(e) = rules.add_groups(host_health_rules(), &topology.identifier()) {
                tracing::error!("the generic HostHealth rules are not sent: {e}");
            }
        }
    }
    let json = |v: Result<String, serde_json::Error>| v.unwrap_or_else(|_| "{}".to_owned());
    BTreeMap::from([
        (
            app_keys::SCRAPE_METADATA.to_owned(),
            json(serde_json::to_string(&topology)),
        ),
        (
            app_keys::SCRAPE_JOBS.to_owned(),
            json(serde_json::to_string(&jobs)),
        ),
        (
            app_keys::ALERT_RULES.to_owned(),
            rules.as_json().to_string(),
        ),
    ])
}

/// Writes this unit's address, name, path and FQDN to `relation`.
fn write_unit(
    model: &Model,
    relation: &Relation,
    config: &MetricsEndpointConfig,
) -> Result<(), ModelError> {
    let fqdn = crate::host::local_fqdn;
    let external = config.external_url.as_deref().and_then(|url| {
        let parsed = host_and_path(url);
        if parsed.is_none() {
            tracing::warn!(
                "the external URL {url:?} has no host; publishing the unit's own address"
            );
        }
        parsed
    });
    let (address, path, unit_fqdn) = match external {
        Some((host, path)) => (host, path, String::new()),
        None => match bind_address(model, relation) {
            Some(ip) => (ip.to_string(), String::new(), fqdn()),
            None => {
                let name = fqdn();
                (name.clone(), String::new(), name)
            }
        },
    };
    let desired: BTreeMap<String, String> = [
        (unit_keys::ADDRESS, address),
        (unit_keys::PATH, path),
        (unit_keys::NAME, model.unit_name().to_owned()),
        (unit_keys::FQDN, unit_fqdn),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    write_keys(&relation.local_unit_data(), &desired, &unit_keys::ALL)
}

/// Makes `bag` hold `desired`, and not hold the keys of `owned` that `desired` lacks, with at
/// most one `relation-set`; other keys are left alone.
fn write_keys(
    bag: &DataBag,
    desired: &BTreeMap<String, String>,
    owned: &[&str],
) -> Result<(), ModelError> {
    let current = bag.get_all()?;
    let mut changes: Vec<(String, Option<String>)> = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    changes.extend(
        owned
            .iter()
            .filter(|k| !desired.contains_key(**k) && current.contains_key(**k))
            .map(|k| ((*k).to_owned(), None)),
    );
    bag.update(changes)
}

/// The relation binding's bind address, if it is an IP address.
fn bind_address(model: &Model, relation: &Relation) -> Option<IpAddr> {
    let network = match model.relation_network(relation) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(
                "cannot read the bind address of {}:{}, publishing the unit's FQDN: {e}",
                relation.endpoint(),
                relation.id()
            );
            return None;
        }
    };
    let first = network
        .bind_addresses
        .iter()
        .flat_map(|b| b.addresses.iter())
        .next()?;
    first.value.parse().ok()
}

/// The host (lower case, without port) and path of `url` (`http://` assumed without a
/// scheme), as Python's `urlparse(url).hostname` and `.path`.
fn host_and_path(url: &str) -> Option<(String, String)> {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest,
        None => url,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return None;
    }
    let path = tail.split(['?', '#']).next().unwrap_or("");
    Some((host.to_ascii_lowercase(), path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_urls_split_as_urlparse_does() {
        assert_eq!(
            host_and_path("https://Metrics.Example.org:8443/demo-web/x?y=1"),
            Some(("metrics.example.org".into(), "/demo-web/x".into()))
        );
        assert_eq!(
            host_and_path("foo.bar"),
            Some(("foo.bar".into(), String::new()))
        );
        assert_eq!(
            host_and_path("http://[fd00::1]:80/p"),
            Some(("fd00::1".into(), "/p".into()))
        );
        assert_eq!(host_and_path("http:///p"), None);
    }

    #[test]
    fn truthiness_is_pythons() {
        use serde_json::json;
        for (v, t) in [
            (json!(null), false),
            (json!(""), false),
            (json!("false"), true),
            (json!(0), false),
            (json!([]), false),
            (json!({"a": 1}), true),
        ] {
            assert_eq!(truthy(&v), t, "{v}");
        }
        assert_eq!(text_of(Some(&json!(["a"]))), r#"["a"]"#);
    }
}
