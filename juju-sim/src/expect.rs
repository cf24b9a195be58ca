//! `expect:` assertions: what must hold after a step, so scenarios double as tests.

use std::collections::BTreeMap;

use ops::testing::juju::{JujuState, LogLine};
use serde_json::{Map, Value};

use super::error::Result;
use super::yaml::{Node, kind, scalar};

/// The databags one relation must hold, as this unit sees them (a subset match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelationData {
    /// The endpoint.
    pub endpoint: String,
    /// Keys of this unit's databag.
    pub unit: BTreeMap<String, String>,
    /// Keys of this application's databag.
    pub app: BTreeMap<String, String>,
    /// Keys of the remote application's databag.
    pub remote_app: BTreeMap<String, String>,
    /// Per remote unit it was told of, keys of its databag.
    pub remote_units: BTreeMap<String, BTreeMap<String, String>>,
}

/// What must hold after a step. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    /// `name` or `name: message`.
    pub unit_status: Option<String>,
    /// `name` or `name: message`.
    pub app_status: Option<String>,
    /// Exit code of the step's last hook run.
    pub exit_code: Option<i32>,
    /// The hooks the step ran, in order (retries of a hook count once).
    pub hooks: Option<Vec<String>>,
    /// Texts that some `juju-log` line of the step must contain.
    pub log_contains: Vec<String>,
    /// Texts that no `juju-log` line of the step may contain.
    pub log_not_contains: Vec<String>,
    /// Local relation data.
    pub relation_data: Vec<RelationData>,
    /// Action results (a subset match).
    pub action_results: Option<Map<String, Value>>,
    /// The action failed with a message containing this.
    pub action_failed: Option<String>,
    /// The application version.
    pub app_version: Option<String>,
    /// Opened ports, as `opened-ports` prints them (`8080/tcp`).
    pub ports: Option<Vec<String>>,
    /// How many events are deferred in the unit's state file.
    pub deferred: Option<usize>,
    /// Per container, service statuses (`active`, `inactive`, ...).
    pub services: BTreeMap<String, BTreeMap<String, String>>,
}

/// The fields of `expect:`.
pub const FIELDS: &[&str] = &[
    "unit-status",
    "app-status",
    "exit-code",
    "hooks",
    "log-contains",
    "log-not-contains",
    "relation-data",
    "action-results",
    "action-failed",
    "app-version",
    "ports",
    "deferred",
    "services",
];

/// What a step produced, for checking.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The hooks run (final attempts), in order, with their exit codes.
    pub hooks: Vec<(String, i32)>,
    /// The `juju-log` lines of the step.
    pub logs: Vec<LogLine>,
    /// The deferred events (kinds), if the state file could be read.
    pub deferred: Option<Vec<String>>,
    /// Per container, service name to status.
    pub services: BTreeMap<String, BTreeMap<String, String>>,
}

fn strings(n: &Node<'_>, key: &str) -> Result<Vec<String>> {
    match n.value.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| scalar(v).ok_or_else(|| n.field_err(key, "expected strings")))
            .collect(),
        Some(v) => scalar(v).map(|s| vec![s]).ok_or_else(|| {
            n.field_err(
                key,
                format!("expected a string or a list of strings, got {}", kind(v)),
            )
        }),
    }
}

impl Expect {
    /// Parses an `expect:` map.
    pub fn parse(n: Node<'_>) -> Result<Expect> {
        n.map(FIELDS)?;
        let exit_code = n
            .value
            .get("exit-code")
            .filter(|v| !v.is_null())
            .map(|v| {
                v.as_i64()
                    .and_then(|c| i32::try_from(c).ok())
                    .ok_or_else(|| {
                        n.field_err("exit-code", format!("expected a number, got {}", kind(v)))
                    })
            })
            .transpose()?;
        let relation_data = match n.value.get("relation-data") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => {
                let items: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                items
                    .into_iter()
                    .map(|item| {
                        let path = format!("{}.relation-data", n.path());
                        let rn = Node::root(n.file_name(), item, &path);
                        rn.map(&["endpoint", "unit", "app", "remote-app", "remote-units"])?;
                        let remote_units = match item.get("remote-units") {
                            None | Some(Value::Null) => BTreeMap::new(),
                            Some(Value::Object(m)) => m
                                .iter()
                                .map(|(u, bag)| {
                                    super::yaml::string_map(bag)
                                        .map(|b| (u.clone(), b))
                                        .ok_or_else(|| {
                                            rn.field_err(
                                                "remote-units",
                                                format!("{u}: expected a map of strings"),
                                            )
                                        })
                                })
                                .collect::<Result<_>>()?,
                            Some(v) => {
                                return Err(rn.field_err(
                                    "remote-units",
                                    format!("expected a map of unit to databag, got {}", kind(v)),
                                ));
                            }
                        };
                        Ok(RelationData {
                            endpoint: rn.req_str("endpoint")?,
                            unit: rn.opt_string_map("unit")?,
                            app: rn.opt_string_map("app")?,
                            remote_app: rn.opt_string_map("remote-app")?,
                            remote_units,
                        })
                    })
                    .collect::<Result<_>>()?
            }
        };
        let action_results = match n.value.get("action-results") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(v) => {
                return Err(
                    n.field_err("action-results", format!("expected a map, got {}", kind(v)))
                );
            }
        };
        let services = match n.value.get("services") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(c, v)| {
                    super::yaml::string_map(v)
                        .map(|s| (c.clone(), s))
                        .ok_or_else(|| {
                            n.field_err(
                                "services",
                                format!("{c}: expected a map of service to status"),
                            )
                        })
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(n.field_err(
                    "services",
                    format!("expected a map of container to services, got {}", kind(v)),
                ));
            }
        };
        let deferred = n
            .opt_u64("deferred")?
            .map(|d| usize::try_from(d).unwrap_or(usize::MAX));
        Ok(Expect {
            unit_status: n.opt_str("unit-status")?,
            app_status: n.opt_str("app-status")?,
            exit_code,
            hooks: n
                .value
                .get("hooks")
                .map(|_| strings(&n, "hooks"))
                .transpose()?,
            log_contains: strings(&n, "log-contains")?,
            log_not_contains: strings(&n, "log-not-contains")?,
            relation_data,
            action_results,
            action_failed: n.opt_str("action-failed")?,
            app_version: n.opt_str("app-version")?,
            ports: n
                .value
                .get("ports")
                .map(|_| strings(&n, "ports"))
                .transpose()?,
            deferred,
            services,
        })
    }

    /// Whether nothing is expected.
    pub fn is_empty(&self) -> bool {
        *self == Expect::default()
    }

    /// A short description of what is expected, for the trace.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.unit_status {
            parts.push(format!("unit-status {s:?}"));
        }
        if let Some(s) = &self.app_status {
            parts.push(format!("app-status {s:?}"));
        }
        if let Some(h) = &self.hooks {
            parts.push(format!("hooks {}", h.join(", ")));
        }
        if let Some(p) = &self.ports {
            parts.push(format!("ports {}", p.join(", ")));
        }
        if let Some(d) = self.deferred {
            parts.push(format!("deferred {d}"));
        }
        if !self.relation_data.is_empty() {
            parts.push("relation-data".to_owned());
        }
        if !self.services.is_empty() {
            parts.push("services".to_owned());
        }
        if !self.log_contains.is_empty() {
            parts.push(format!(
                "a log containing {:?}",
                self.log_contains.join("/")
            ));
        }
        if parts.is_empty() {
            "the expectations hold".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// Checks the expectations; returns one message per failure.
    pub fn check(&self, state: &JujuState, seen: &Observed) -> Vec<String> {
        let mut fails = Vec::new();
        let status =
            |label: &str, want: &str, got: &ops::status::Status, fails: &mut Vec<String>| {
                let ok = match want.split_once(':') {
                    Some((name, msg)) => got.name() == name.trim() && got.message() == msg.trim(),
                    None => got.name() == want.trim(),
                };
                if !ok {
                    fails.push(format!(
                        "{label}: expected {want:?}, got {:?}",
                        got.to_string()
                    ));
                }
            };
        if let Some(w) = &self.unit_status {
            status("unit-status", w, &state.unit_status, &mut fails);
        }
        if let Some(w) = &self.app_status {
            status("app-status", w, &state.app_status, &mut fails);
        }
        if let Some(code) = self.exit_code {
            let got = seen.hooks.last().map(|h| h.1);
            if got != Some(code) {
                fails.push(format!(
                    "exit-code: expected {code}, got {}",
                    got.map_or("no hook run".to_owned(), |c| c.to_string())
                ));
            }
        }
        if let Some(hooks) = &self.hooks {
            let got: Vec<&str> = seen.hooks.iter().map(|h| h.0.as_str()).collect();
            if got != hooks.iter().map(String::as_str).collect::<Vec<_>>() {
                fails.push(format!("hooks: expected {hooks:?}, got {got:?}"));
            }
        }
        for text in &self.log_contains {
            if !seen.logs.iter().any(|l| l.message.contains(text.as_str())) {
                fails.push(format!(
                    "log-contains: no juju-log line of this step contains {text:?}"
                ));
            }
        }
        for text in &self.log_not_contains {
            if let Some(l) = seen.logs.iter().find(|l| l.message.contains(text.as_str())) {
                fails.push(format!(
                    "log-not-contains: {text:?} was logged: {:?}",
                    l.message
                ));
            }
        }
        for rd in &self.relation_data {
            let Some(rel) = state.relations.iter().find(|r| r.endpoint == rd.endpoint) else {
                fails.push(format!(
                    "relation-data: no relation on endpoint {:?}",
                    rd.endpoint
                ));
                continue;
            };
            let mut bags = vec![
                ("unit".to_owned(), &rd.unit, Some(&rel.local_unit_data)),
                ("app".to_owned(), &rd.app, Some(&rel.local_app_data)),
                (
                    "remote app".to_owned(),
                    &rd.remote_app,
                    Some(&rel.remote_app_data),
                ),
            ];
            for (u, want) in &rd.remote_units {
                bags.push((format!("{u}'s"), want, rel.remote_units.get(u)));
            }
            for (bag_name, want, got) in bags {
                let Some(got) = got else {
                    fails.push(format!(
                        "relation-data {}:{}: {} is not a member it was told of (members: {})",
                        rel.endpoint,
                        rel.id,
                        bag_name.trim_end_matches("'s"),
                        rel.remote_units
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    continue;
                };
                for (k, v) in want {
                    if got.get(k) != Some(v) {
                        fails.push(format!(
                            "relation-data {}:{} {bag_name} databag: expected {k}={v:?}, got {:?}",
                            rel.endpoint,
                            rel.id,
                            got.get(k)
                        ));
                    }
                }
            }
        }
        if let Some(want) = &self.action_results {
            let got = state.action.as_ref().map(|a| &a.results);
            for (k, v) in want {
                let g = got.and_then(|r| r.get(k));
                let same = match (g, v) {
                    (Some(Value::String(a)), b) => Some(a.clone()) == scalar(b),
                    (Some(a), b) => a == b,
                    (None, _) => false,
                };
                if !same {
                    fails.push(format!(
                        "action-results.{k}: expected {v}, got {}",
                        g.map_or("nothing".to_owned(), Value::to_string)
                    ));
                }
            }
        }
        if let Some(want) = &self.action_failed {
            match state.action.as_ref().and_then(|a| a.failure.as_ref()) {
                Some(msg) if msg.contains(want.as_str()) => {}
                got => fails.push(format!(
                    "action-failed: expected a failure containing {want:?}, got {got:?}"
                )),
            }
        }
        if let Some(want) = &self.app_version
            && &state.app_version != want
        {
            fails.push(format!(
                "app-version: expected {want:?}, got {:?}",
                state.app_version
            ));
        }
        if let Some(want) = &self.ports {
            let got: Vec<String> = state.opened_ports.iter().map(ToString::to_string).collect();
            if &got != want {
                fails.push(format!("ports: expected {want:?}, got {got:?}"));
            }
        }
        if let Some(want) = self.deferred {
            match &seen.deferred {
                Some(d) if d.len() == want => {}
                Some(d) => fails.push(format!(
                    "deferred: expected {want} deferred events, got {} {d:?}",
                    d.len()
                )),
                None => fails.push(
                    "deferred: the unit's state file could not be read (not an ops-rs charm?)"
                        .to_owned(),
                ),
            }
        }
        for (container, services) in &self.services {
            for (svc, want) in services {
                let got = seen.services.get(container).and_then(|s| s.get(svc));
                if got != Some(want) {
                    fails.push(format!(
                        "services.{container}.{svc}: expected {want:?}, got {got:?}"
                    ));
                }
            }
        }
        fails
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops::status::Status;
    use serde_json::json;

    fn parse(v: Value) -> Expect {
        Expect::parse(Node::root("s.yaml", &v, "steps[1] (x).expect")).unwrap()
    }

    #[test]
    fn status_and_logs() {
        let e = parse(
            json!({"unit-status": "active: ready", "app-status": "waiting", "log-contains": "hello", "exit-code": 0}),
        );
        let mut st = JujuState::new("a/0");
        st.unit_status = Status::active("ready");
        st.app_status = Status::waiting("x");
        let seen = Observed {
            hooks: vec![("install".into(), 0)],
            logs: vec![LogLine {
                level: "INFO".into(),
                message: "hello world".into(),
            }],
            ..Observed::default()
        };
        assert!(e.check(&st, &seen).is_empty());
        st.unit_status = Status::active("other");
        let f = e.check(&st, &Observed::default());
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f[0].starts_with("unit-status: expected \"active: ready\""));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let v = json!({"unit-statuss": "x"});
        let e = Expect::parse(Node::root("s.yaml", &v, "steps[1] (x).expect")).unwrap_err();
        assert!(
            e.to_string()
                .contains("steps[1] (x).expect.unit-statuss: unknown field")
        );
    }

    #[test]
    fn relation_data_subset() {
        let e = parse(json!({"relation-data": {"endpoint": "website", "unit": {"url": "u"}}}));
        let mut st = JujuState::new("a/0")
            .relation(ops::testing::juju::RelationState::new(1, "website", "c"));
        assert_eq!(e.check(&st, &Observed::default()).len(), 1);
        st.relations[0]
            .local_unit_data
            .insert("url".into(), "u".into());
        assert!(e.check(&st, &Observed::default()).is_empty());
    }
}
