//! Scenarios of several applications: `applications:`, `relations:` and their steps and
//! expectations (format in `juju-sim/scenarios/README.md`, "Several applications").
//!
//! # Example
//! ```
//! use juju_sim::scenario::{AppAction, Scenario};
//! let s = Scenario::parse("s.yaml", "
//! applications:
//!   web: {charm: charms/web, units: 2}
//!   client: {charm: charms/client}
//! relations:
//!   - [web:website, client:website]
//! steps:
//!   - deploy
//!   - config: {web: {port: 9090}}
//!     expect:
//!       client/0: {unit-status: active}
//! ").unwrap();
//! let apps = s.apps.unwrap();
//! assert_eq!(apps.applications[0].units, 2);
//! assert_eq!(apps.relations[0].ends[0].endpoint.as_deref(), Some("website"));
//! assert!(matches!(apps.steps[1].action, AppAction::Config(_)));
//! assert!(apps.steps[1].expect.contains_key("client/0"));
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use super::Action;
use super::parse::parse_step;
use crate::error::Result;
use crate::expect::Expect;
use crate::image::Image;
use crate::yaml::{self, Node, kind, scalar};

/// The applications, relations and steps of a scenario with `applications:`.
#[derive(Debug, Clone, Default)]
pub struct Apps {
    /// The applications, in file order.
    pub applications: Vec<AppSpec>,
    /// Relations that exist once both of their applications are deployed.
    pub relations: Vec<Integration>,
    /// The steps.
    pub steps: Vec<AppStep>,
}

/// One application: its charm, units and settings.
#[derive(Debug, Clone, Default)]
pub struct AppSpec {
    /// The application's name.
    pub name: String,
    /// The charm directory (metadata, and `dispatch` unless [`dispatch`](Self::dispatch)).
    pub charm: PathBuf,
    /// An executable to use as the charm's `dispatch`.
    pub dispatch: Option<PathBuf>,
    /// How many units it starts with.
    pub units: u32,
    /// The leader's unit number (default: the first unit).
    pub leader: Option<u32>,
    /// Config values set by the operator.
    pub config: Map<String, Value>,
    /// Container images.
    pub images: BTreeMap<String, Image>,
    /// Resources: name to path.
    pub resources: BTreeMap<String, String>,
    /// Whether hooks run in a private mount namespace (`None`: decided by the charm).
    pub mount_namespace: Option<bool>,
}

/// One side of a relation: `app:endpoint`, or `app` alone (the endpoint is then found by
/// interface, as `juju integrate` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRef {
    /// The application.
    pub app: String,
    /// The endpoint, if given.
    pub endpoint: Option<String>,
}

impl std::fmt::Display for EndpointRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.endpoint {
            Some(e) => write!(f, "{}:{e}", self.app),
            None => f.write_str(&self.app),
        }
    }
}

/// A relation between two applications, as `relate: [a:x, b:y]` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// Where it is written, e.g. `relations[1]`.
    pub path: String,
    /// Its two sides.
    pub ends: [EndpointRef; 2],
}

/// One step of a scenario with several applications.
#[derive(Debug, Clone)]
pub struct AppStep {
    /// Where it is in the file, e.g. `steps[2] (relate)`.
    pub path: String,
    /// What happens.
    pub action: AppAction,
    /// What must hold afterwards, per unit (`app/N`) or application (every unit of it).
    pub expect: BTreeMap<String, Expect>,
}

/// What a step of a scenario with several applications does; every step then runs hooks
/// until the model is quiet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AppAction {
    /// Deploy these applications (empty: every one not deployed yet).
    Deploy(Vec<String>),
    /// Relate two applications.
    Relate(Integration),
    /// Remove a relation.
    RemoveRelation(Integration),
    /// Add units to an application.
    AddUnit {
        /// The application.
        app: String,
        /// How many.
        count: u32,
    },
    /// Remove units.
    RemoveUnit(Vec<String>),
    /// Remove an application and all its units.
    RemoveApplication(String),
    /// Change config: application to option to value (`null` unsets).
    Config(BTreeMap<String, Map<String, Value>>),
    /// Make this unit its application's leader.
    Leader(String),
    /// Run an action on a unit.
    Action {
        /// The unit.
        unit: String,
        /// The action.
        name: String,
        /// Its parameters.
        params: Map<String, Value>,
    },
    /// update-status on every unit.
    UpdateStatus,
    /// Any hook on a unit, with extra environment.
    Hook {
        /// The unit.
        unit: String,
        /// The hook.
        name: String,
        /// Extra environment.
        env: BTreeMap<String, String>,
    },
    /// A step of one unit (`notice`, `check-failed`, `check-recovered`, `pebble-down`,
    /// `pebble-up`, `pebble-restart`, `pebble-fault`, `tool-fault`, `corrupt-state`), as in a
    /// scenario of one application.
    Unit {
        /// The unit.
        unit: String,
        /// The step.
        action: Action,
    },
    /// Sleep, then run what arrived meanwhile.
    Wait(Duration),
    /// Run hooks as they come until none has been due for `quiet_for`.
    WaitQuiet {
        /// How long nothing may be due.
        quiet_for: Duration,
        /// How long to wait at most.
        timeout: Duration,
    },
    /// Run hooks as they come until the expectations hold.
    WaitUntil {
        /// What must hold, per unit or application.
        until: BTreeMap<String, Expect>,
        /// How long to wait at most.
        timeout: Duration,
    },
}

/// The step keywords of a scenario with several applications.
pub const APP_STEP_KEYWORDS: &[&str] = &[
    "deploy",
    "relate",
    "remove-relation",
    "add-unit",
    "remove-unit",
    "remove-application",
    "config",
    "leader",
    "action",
    "update-status",
    "hook",
    "notice",
    "check-failed",
    "check-recovered",
    "pebble-down",
    "pebble-up",
    "pebble-restart",
    "pebble-fault",
    "tool-fault",
    "corrupt-state",
    "wait",
];

/// Unit steps: a step of a scenario of one application, with `unit`.
const UNIT_STEPS: &[&str] = &[
    "notice",
    "check-failed",
    "check-recovered",
    "pebble-down",
    "pebble-up",
    "pebble-restart",
    "pebble-fault",
    "tool-fault",
    "corrupt-state",
];

impl AppAction {
    /// The step's keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            AppAction::Deploy(_) => "deploy",
            AppAction::Relate(_) => "relate",
            AppAction::RemoveRelation(_) => "remove-relation",
            AppAction::AddUnit { .. } => "add-unit",
            AppAction::RemoveUnit(_) => "remove-unit",
            AppAction::RemoveApplication(_) => "remove-application",
            AppAction::Config(_) => "config",
            AppAction::Leader(_) => "leader",
            AppAction::Action { .. } => "action",
            AppAction::UpdateStatus => "update-status",
            AppAction::Hook { .. } => "hook",
            AppAction::Unit { action, .. } => action.keyword(),
            AppAction::Wait(_) | AppAction::WaitQuiet { .. } | AppAction::WaitUntil { .. } => {
                "wait"
            }
        }
    }
}

/// The keys of the top-level `applications:` map of YAML `text`, in the file's order (empty
/// if it cannot be read: the parse proper reports that).
pub fn declared_order(text: &str) -> Vec<String> {
    serde_norway::from_str::<serde_norway::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("applications")
                .and_then(serde_norway::Value::as_mapping)
                .map(|m| {
                    m.keys()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect()
                })
        })
        .unwrap_or_default()
}

/// Whether `s` is a unit name, `app/N`.
pub fn is_unit_name(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, n)| {
        is_app_name(a) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether `s` is a valid application name as Juju allows it: lowercase letters, digits and
/// single hyphens, starting with a letter, not ending with a hyphen, no hyphen followed by a
/// digit-only part.
pub fn is_app_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && !p.chars().all(|c| c.is_ascii_digit())
        })
}

impl Apps {
    /// Parses `applications:`, `relations:` and `steps:` (`dir`: the scenario's directory,
    /// for relative charm paths; `order`: the applications' names in the order the file
    /// declares them, which the JSON form of the YAML does not keep).
    pub fn parse(
        file: &str,
        root: &Value,
        dir: &std::path::Path,
        order: &[String],
    ) -> Result<Apps> {
        let apps_value = root.get("applications").unwrap_or(&Value::Null);
        let top = Node::root(file, apps_value, "applications");
        let Some(map) = apps_value.as_object().filter(|m| !m.is_empty()) else {
            return Err(top.err(format!(
                "expected a map of application name to {{charm, dispatch, units, ...}}, got {}",
                kind(apps_value)
            )));
        };
        let mut applications = Vec::new();
        for (name, v) in map {
            let path = format!("applications.{name}");
            let n = Node::root(file, v, &path);
            if !is_app_name(name) {
                return Err(n.err(format!(
                    "{name:?} is not an application name (lowercase letters, digits and \
                     hyphens, starting with a letter, e.g. web-client)"
                )));
            }
            applications.push(AppSpec::parse(name, n, dir)?);
        }
        applications.sort_by_key(|a| order.iter().position(|o| *o == a.name));
        let relations = match root.get("relations") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let path = format!("relations[{}]", i + 1);
                    Integration::parse(Node::root(file, v, &path))
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(Node::root(file, v, "relations").err(format!(
                    "expected a list of relations like [app-a:db, app-b:database], got {}",
                    kind(v)
                )));
            }
        };
        let steps = match root.get("steps") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| parse_app_step(file, i + 1, v))
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(Node::root(file, v, "steps")
                    .err(format!("expected a list of steps, got {}", kind(v))));
            }
        };
        Ok(Apps {
            applications,
            relations,
            steps,
        })
    }

    /// The application `name`.
    pub fn app(&self, name: &str) -> Option<&AppSpec> {
        self.applications.iter().find(|a| a.name == name)
    }
}

impl AppSpec {
    fn parse(name: &str, n: Node<'_>, dir: &std::path::Path) -> Result<AppSpec> {
        n.map(&[
            "charm",
            "dispatch",
            "units",
            "leader",
            "config",
            "images",
            "resources",
            "mount-namespace",
        ])?;
        let path_of = |s: String| {
            let p = PathBuf::from(s);
            if p.is_relative() { dir.join(p) } else { p }
        };
        let units = n.opt_u64("units")?.unwrap_or(1);
        let units = u32::try_from(units)
            .ok()
            .filter(|u| (1..=100).contains(u))
            .ok_or_else(|| n.field_err("units", "expected 1 to 100 units"))?;
        let leader = match n.opt_str("leader")? {
            None => None,
            Some(l) => {
                let number = l
                    .strip_prefix(name)
                    .and_then(|r| r.strip_prefix('/'))
                    .and_then(|r| r.parse::<u32>().ok())
                    .filter(|u| *u < units)
                    .ok_or_else(|| {
                        n.field_err(
                            "leader",
                            format!(
                                "{l:?} is not one of its units ({name}/0 to {name}/{})",
                                units - 1
                            ),
                        )
                    })?;
                Some(number)
            }
        };
        let config = match n.value.get("config") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(v) => {
                return Err(n.field_err("config", format!("expected a map, got {}", kind(v))));
            }
        };
        let images = match n.value.get("images") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(c, v)| {
                    let path = format!("{}.images.{c}", n.path());
                    Image::parse(Node::root(n.file_name(), v, &path))
                        .map(|i| (c.clone(), i.relative_to(dir)))
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(n.field_err(
                    "images",
                    format!("expected a map of container to image, got {}", kind(v)),
                ));
            }
        };
        Ok(AppSpec {
            name: name.to_owned(),
            charm: path_of(n.req_str("charm")?),
            dispatch: n.opt_str("dispatch")?.map(path_of),
            units,
            leader,
            config,
            images,
            resources: n.opt_string_map("resources")?,
            mount_namespace: n.opt_bool("mount-namespace")?,
        })
    }
}

impl EndpointRef {
    /// Parses `app:endpoint` or `app`.
    pub fn parse(s: &str) -> Option<EndpointRef> {
        let (app, endpoint) = match s.split_once(':') {
            Some((a, e)) if !e.is_empty() => (a, Some(e.to_owned())),
            Some(_) => return None,
            None => (s, None),
        };
        is_app_name(app).then(|| EndpointRef {
            app: app.to_owned(),
            endpoint,
        })
    }
}

impl Integration {
    /// Parses `[app-a:db, app-b:database]` (either endpoint may be left out).
    pub fn parse(n: Node<'_>) -> Result<Integration> {
        let items = match n.value {
            Value::Array(a) if a.len() == 2 => a,
            other => {
                return Err(n.err(format!(
                    "expected two sides like [app-a:db, app-b:database], got {}",
                    match other {
                        Value::Array(a) => format!("a list of {}", a.len()),
                        v => kind(v).to_owned(),
                    }
                )));
            }
        };
        let side = |v: &Value| {
            scalar(v)
                .and_then(|s| EndpointRef::parse(&s))
                .ok_or_else(|| {
                    n.err(format!(
                        "{v} is not a side of a relation: `app:endpoint`, or `app` when the \
                     endpoint is clear from the interfaces"
                    ))
                })
        };
        let ends = [side(&items[0])?, side(&items[1])?];
        if ends[0].app == ends[1].app {
            return Err(n.err(format!(
                "both sides are {}: peer relations exist on their own, for every peers \
                 endpoint of a charm",
                ends[0].app
            )));
        }
        Ok(Integration {
            path: n.path().to_owned(),
            ends,
        })
    }
}

/// Parses `expect:` of a step with several applications: a map of unit or application to
/// expectations.
pub fn parse_targets(n: Node<'_>) -> Result<BTreeMap<String, Expect>> {
    let Some(m) = n.value.as_object() else {
        return Err(n.err(format!(
            "expected a map of unit (app/N) or application to expectations, e.g. \
             {{web/0: {{unit-status: active}}}}, got {}",
            kind(n.value)
        )));
    };
    m.iter()
        .map(|(target, v)| {
            let path = format!("{}.{target}", n.path());
            if crate::expect::FIELDS.contains(&target.as_str()) {
                return Err(Node::root(n.file_name(), v, &path).err(format!(
                    "with `applications:`, expectations are given per unit or application, \
                     e.g. {{web/0: {{{target}: ...}}}} or {{web: {{{target}: ...}}}}"
                )));
            }
            if !is_unit_name(target) && !is_app_name(target) {
                return Err(Node::root(n.file_name(), v, &path).err(format!(
                    "{target:?} is neither a unit (app/N) nor an application: with \
                     `applications:`, expectations are given per unit or application"
                )));
            }
            Expect::parse(Node::root(n.file_name(), v, &path)).map(|e| (target.clone(), e))
        })
        .collect()
}

fn parse_app_step(file: &str, n: usize, v: &Value) -> Result<AppStep> {
    let at = format!("steps[{n}]");
    let (key, body, expect) = super::parse::split_step(file, n, v, APP_STEP_KEYWORDS)?;
    let path = format!("{at} ({key})");
    let bp = format!("{path}.{key}");
    let b = Node::root(file, &body, &bp);
    let names = |what: &str| -> Result<Vec<String>> {
        match &body {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) => a
                .iter()
                .map(|v| scalar(v).ok_or_else(|| b.err(format!("expected {what} names"))))
                .collect(),
            v => scalar(v)
                .map(|s| vec![s])
                .ok_or_else(|| b.err(format!("expected a {what} name or a list of them"))),
        }
    };
    let unit_of = |n: &Node<'_>| -> Result<String> {
        let u = n.req_str("unit")?;
        if !is_unit_name(&u) {
            return Err(n.field_err("unit", format!("{u:?} is not a unit name (app/N)")));
        }
        Ok(u)
    };
    let action = match key.as_str() {
        "deploy" => {
            let apps = names("application")?;
            AppAction::Deploy(apps)
        }
        "relate" | "remove-relation" => {
            let i = Integration::parse(b)?;
            if key == "relate" {
                AppAction::Relate(i)
            } else {
                AppAction::RemoveRelation(i)
            }
        }
        "add-unit" => match &body {
            Value::Object(_) => {
                b.map(&["app", "count"])?;
                let count = b.opt_u64("count")?.unwrap_or(1);
                AppAction::AddUnit {
                    app: b.req_str("app")?,
                    count: u32::try_from(count)
                        .ok()
                        .filter(|c| (1..=100).contains(c))
                        .ok_or_else(|| b.field_err("count", "expected 1 to 100"))?,
                }
            }
            v => AppAction::AddUnit {
                app: scalar(v).ok_or_else(|| {
                    b.err("`add-unit` takes an application name, or {app, count}")
                })?,
                count: 1,
            },
        },
        "remove-unit" => {
            let units = names("unit")?;
            if units.is_empty() {
                return Err(b.err("`remove-unit` takes a unit name (app/N) or a list of them"));
            }
            if let Some(u) = units.iter().find(|u| !is_unit_name(u)) {
                return Err(b.err(format!("{u:?} is not a unit name (app/N)")));
            }
            AppAction::RemoveUnit(units)
        }
        "remove-application" => AppAction::RemoveApplication(
            scalar(&body).ok_or_else(|| b.err("`remove-application` takes an application name"))?,
        ),
        "config" => {
            let Some(m) = body.as_object() else {
                return Err(b.err(format!(
                    "with `applications:`, `config` takes application to options, e.g. \
                     {{web: {{port: 9090}}}}, got {}",
                    kind(&body)
                )));
            };
            let mut out = BTreeMap::new();
            for (app, opts) in m {
                let Some(opts) = opts.as_object() else {
                    return Err(b.field_err(
                        app,
                        format!("expected a map of option to value, got {}", kind(opts)),
                    ));
                };
                out.insert(app.clone(), opts.clone());
            }
            AppAction::Config(out)
        }
        "leader" => {
            let u = scalar(&body).filter(|u| is_unit_name(u)).ok_or_else(|| {
                b.err("with `applications:`, `leader` takes the unit (app/N) to make leader")
            })?;
            AppAction::Leader(u)
        }
        "action" => {
            b.map(&["unit", "name", "params"])?;
            let params = match body.get("params") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(v) => {
                    return Err(b.field_err("params", format!("expected a map, got {}", kind(v))));
                }
            };
            AppAction::Action {
                unit: unit_of(&b)?,
                name: b.req_str("name")?,
                params,
            }
        }
        "update-status" => AppAction::UpdateStatus,
        "hook" => {
            b.map(&["unit", "name", "env"])?;
            AppAction::Hook {
                unit: unit_of(&b)?,
                name: b.req_str("name")?,
                env: b.opt_string_map("env")?,
            }
        }
        k if UNIT_STEPS.contains(&k) => {
            let (unit, rest) = match &body {
                Value::String(u) if k == "corrupt-state" => (u.clone(), Value::Null),
                Value::Object(m) => {
                    let unit = unit_of(&b)?;
                    let mut rest = m.clone();
                    rest.remove("unit");
                    let rest = if rest.is_empty() && k == "corrupt-state" {
                        Value::Null
                    } else {
                        Value::Object(rest)
                    };
                    (unit, rest)
                }
                _ => {
                    return Err(b.err(format!(
                        "with `applications:`, `{k}` takes a map with the `unit` it happens to"
                    )));
                }
            };
            if !is_unit_name(&unit) {
                return Err(b.err(format!("{unit:?} is not a unit name (app/N)")));
            }
            let mut single = Map::new();
            single.insert(key.clone(), rest);
            let step = parse_step(file, n, &Value::Object(single))?;
            AppAction::Unit {
                unit,
                action: step.action,
            }
        }
        "wait" => {
            match &body {
                Value::Object(_) => {
                    b.map(&["until", "for", "timeout"])?;
                    let timeout = b
                        .opt_duration("timeout")?
                        .unwrap_or(Duration::from_secs(60));
                    match body.get("until") {
                        Some(Value::String(q)) if q == "quiet" => AppAction::WaitQuiet {
                            quiet_for: b.opt_duration("for")?.unwrap_or_default(),
                            timeout,
                        },
                        Some(u @ Value::Object(_)) => {
                            if body.get("for").is_some() {
                                return Err(b.field_err("for", "only with `until: quiet`"));
                            }
                            AppAction::WaitUntil {
                                until: parse_targets(Node::root(file, u, &format!("{bp}.until")))?,
                                timeout,
                            }
                        }
                        _ => {
                            return Err(b.field_err(
                                "until",
                                "expected `quiet`, or expectations per unit or application, e.g. \
                             {web/0: {unit-status: active}}",
                            ));
                        }
                    }
                }
                v => {
                    let s = scalar(v).ok_or_else(|| {
                    b.err("`wait` takes a duration like 500ms, or {until: quiet} or {until: {...}}")
                })?;
                    AppAction::Wait(yaml::parse_duration(&s).ok_or_else(|| {
                        b.err(format!("{s:?} is not a duration like 500ms or 2s"))
                    })?)
                }
            }
        }
        other => {
            let hint = if super::STEP_KEYWORDS.contains(&other) {
                " (a step of scenarios of one application)"
            } else {
                ""
            };
            return Err(Node::root(file, v, &at).err(format!(
                "unknown step {other:?}{hint}; with `applications:` the steps are: {}",
                APP_STEP_KEYWORDS.join(", ")
            )));
        }
    };
    let expect = match &expect {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(e) => parse_targets(Node::root(file, e, &format!("{path}.expect")))?,
    };
    Ok(AppStep {
        path,
        action,
        expect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn names() {
        for ok in ["web", "web-client", "a1", "kv-client2"] {
            assert!(is_app_name(ok), "{ok}");
        }
        for bad in [
            "", "Web", "1web", "web-", "web--x", "web-1", "web_x", "web/0",
        ] {
            assert!(!is_app_name(bad), "{bad}");
        }
        assert!(is_unit_name("web/0") && is_unit_name("kv-client/12"));
        assert!(!is_unit_name("web") && !is_unit_name("web/") && !is_unit_name("web/x"));
    }

    #[test]
    fn every_step_parses() {
        let s = Scenario::parse(
            "s.yaml",
            r#"
applications:
  web: {charm: c, units: 2, leader: web/1, config: {port: 1}}
  db: {charm: /abs/d, dispatch: bin/d}
steps:
  - deploy
  - relate: [web:db, db]
  - remove-relation: [web:db, db:client]
  - add-unit: {app: web, count: 2}
  - remove-unit: [web/1, web/2]
  - remove-application: db
  - config: {web: {port: 2}}
  - leader: web/0
  - action: {unit: web/0, name: greet, params: {who: x}}
  - update-status
  - hook: {unit: web/0, name: install}
  - notice: {unit: web/0, container: web, key: example.com/ready}
  - check-failed: {unit: web/0, container: web, check: alive}
  - check-recovered: {unit: web/0, container: web, check: alive}
  - pebble-down: {unit: web/0, container: web, for: 1s}
  - pebble-up: {unit: web/0, container: web}
  - pebble-restart: {unit: web/0, container: web}
  - pebble-fault: {unit: web/0, container: web, fault: reset}
  - tool-fault: {unit: web/0, tool: relation-set}
  - corrupt-state: web/0
  - wait: {until: quiet, for: 1s}
"#,
        )
        .unwrap();
        let apps = s.apps.unwrap();
        let kws: Vec<&str> = apps.steps.iter().map(|s| s.action.keyword()).collect();
        assert_eq!(kws, APP_STEP_KEYWORDS);
        assert_eq!(apps.applications[0].leader, Some(1));
        assert!(apps.applications[0].charm.ends_with("c"));
        assert_eq!(apps.applications[1].charm, PathBuf::from("/abs/d"));
        assert!(matches!(
            &apps.steps[13].action,
            AppAction::Unit { unit, action: Action::CheckRecovered { .. } } if unit == "web/0"
        ));
    }

    #[test]
    fn errors_name_the_place() {
        let err = |text: &str| Scenario::parse("s.yaml", text).unwrap_err().to_string();
        let e = err("applications: {web: {units: 2}}");
        assert_eq!(e, "s.yaml: applications.web.charm: this field is required");
        let e = err("applications: {Web: {charm: c}}");
        assert!(
            e.contains("applications.Web: \"Web\" is not an application name"),
            "{e}"
        );
        let e = err("applications: {web: {charm: c, leader: web/3}}");
        assert!(e.contains("web/0 to web/0"), "{e}");
        let e = err("applications: {web: {charm: c}}\nrelations: [[web:db]]");
        assert!(e.contains("relations[1]: expected two sides"), "{e}");
        let e = err("applications: {web: {charm: c}}\nrelations: [[web:db, web:x]]");
        assert!(e.contains("peer relations exist on their own"), "{e}");
        let e = err("applications: {web: {charm: c}}\nsteps: [relation-changed]");
        assert!(
            e.contains("(a step of scenarios of one application)"),
            "{e}"
        );
        let e = err(
            "applications: {web: {charm: c}}\nsteps: [{update-status: null, expect: {unit-status: active}}]",
        );
        assert!(
            e.contains(
                "steps[1] (update-status).expect.unit-status: with `applications:`, \
                 expectations are given per unit or application"
            ),
            "{e}"
        );
        let e = err(
            "applications: {web: {charm: c}}\nsteps: [{update-status: null, expect: {Web/0: {}}}]",
        );
        assert!(
            e.contains("\"Web/0\" is neither a unit (app/N) nor an application"),
            "{e}"
        );
        let e =
            err("applications: {web: {charm: c}}\nsteps: [{notice: {container: web, key: a.b/c}}]");
        assert!(
            e.contains("steps[1] (notice).notice.unit: this field is required"),
            "{e}"
        );
        let e = err("applications: {web: {charm: c}}\nmodel: {leader: true}");
        assert!(e.contains("model.leader: unknown field"), "{e}");
    }
}
