//! Scenario files: the initial model and the steps to drive through it (format in
//! `juju-sim/scenarios/README.md`).
//!
//! Parsing checks the shape of everything and names the step and field of each problem;
//! [`Scenario::validate`] then checks the scenario against the charm's metadata (endpoints,
//! containers, config options, actions).
//!
//! # Example
//! ```
//! use juju_sim::scenario::{Action, Scenario};
//! let s = Scenario::parse("s.yaml", "
//! model: {leader: true, config: {port: 8080}}
//! steps:
//!   - deploy
//!   - config: {port: 9090}
//!     expect: {unit-status: active}
//! ").unwrap();
//! assert!(s.model.leader);
//! assert!(matches!(s.steps[0].action, Action::Deploy));
//! assert_eq!(s.steps[1].expect.unit_status.as_deref(), Some("active"));
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::{Result, SimError};
use super::expect::Expect;
use super::model::ModelSpec;
use super::yaml::{self, Node, kind};

mod apps;
mod parse;
mod validate;

pub use apps::{
    APP_STEP_KEYWORDS, AppAction, AppSpec, AppStep, Apps, EndpointRef, Integration, is_app_name,
    is_unit_name, parse_targets,
};
use parse::parse_step;

/// A parsed scenario.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// The file it came from (for errors).
    pub file: String,
    /// A description.
    pub description: String,
    /// How often Juju retries a failed hook (overrides `--retries`).
    pub retries: Option<u32>,
    /// The initial model.
    pub model: ModelSpec,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The variables substituted into the file (`vars:` and `--var`, free ports resolved).
    pub vars: BTreeMap<String, String>,
    /// A model of several applications (`applications:`): their charms, relations and steps.
    /// [`steps`](Self::steps) is then empty, and [`model`](Self::model) holds only the model's
    /// name, Juju version and type.
    pub apps: Option<Apps>,
}

/// One step: what happens, then what must hold.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where it is in the file, e.g. `steps[2] (relate)`.
    pub path: String,
    /// What happens.
    pub action: Action,
    /// What must hold afterwards.
    pub expect: Expect,
}

/// A relation to create: in the initial model or with a `relate` step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelationSpec {
    /// This charm's endpoint.
    pub endpoint: String,
    /// The remote application (this app for a peer relation).
    pub app: String,
    /// The relation id (default: the next free one).
    pub id: Option<u64>,
    /// Remote units with their databags.
    pub units: BTreeMap<String, BTreeMap<String, String>>,
    /// The remote application's databag.
    pub app_data: BTreeMap<String, String>,
    /// This unit's databag.
    pub local_unit_data: BTreeMap<String, String>,
    /// This application's databag.
    pub local_app_data: BTreeMap<String, String>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// A new unit: storage-attached, install, relation-created, leader-elected or
    /// leader-settings-changed, config-changed, start, then pebble-ready per container and
    /// joined/changed for units already in relations.
    Deploy,
    /// Change config (→ config-changed).
    Config(Map<String, Value>),
    /// A new relation (→ created, joined and changed per unit).
    Relate(RelationSpec),
    /// Remote data changes (→ relation-changed).
    RelationChanged {
        /// The endpoint.
        endpoint: String,
        /// The remote unit whose databag changes (`None`: only the app databag).
        unit: Option<String>,
        /// New keys of the unit's databag (an empty value deletes the key).
        unit_data: BTreeMap<String, String>,
        /// New keys of the remote app's databag.
        app_data: BTreeMap<String, String>,
    },
    /// A remote unit leaves (→ relation-departed).
    Depart {
        /// The endpoint.
        endpoint: String,
        /// The unit.
        unit: String,
    },
    /// The relation is removed (→ departed per unit, broken).
    Break {
        /// The endpoint.
        endpoint: String,
        /// The remote application was removed, taking the relation with it: Juju then sends
        /// relation-broken with `JUJU_REMOTE_APP` empty (seen on Juju 3.4).
        app_removed: bool,
    },
    /// A new revision of a secret (→ secret-changed on observers).
    SecretChanged {
        /// The secret id.
        id: String,
        /// The new content.
        content: BTreeMap<String, String>,
    },
    /// → secret-rotate (owner).
    SecretRotate {
        /// The secret id.
        id: String,
    },
    /// → secret-expired (owner).
    SecretExpired {
        /// The secret id.
        id: String,
        /// The revision (default: the latest).
        revision: Option<u32>,
    },
    /// → secret-remove (owner: a revision nobody tracks any more).
    SecretRemove {
        /// The secret id.
        id: String,
        /// The revision (default: the latest).
        revision: Option<u32>,
    },
    /// Run an action.
    Action {
        /// The action.
        name: String,
        /// Its parameters.
        params: Map<String, Value>,
    },
    /// A workload records a custom notice (as `pebble notify` does).
    Notice {
        /// The container.
        container: String,
        /// The key, `example.com/path`.
        key: String,
        /// Data.
        data: BTreeMap<String, String>,
    },
    /// A Pebble check fails (its perform-check change errors).
    CheckFailed {
        /// The container.
        container: String,
        /// The check.
        check: String,
    },
    /// A failed check recovers.
    CheckRecovered {
        /// The container.
        container: String,
        /// The check.
        check: String,
    },
    /// → update-status.
    UpdateStatus,
    /// A charm refresh: containers restart, then upgrade-charm, config-changed, start,
    /// pebble-ready.
    UpgradeCharm,
    /// Leadership changes (→ leader-elected, or leader-settings-changed).
    Leader(bool),
    /// The leadership lease lapses in the middle of a later hook: `is-leader` answers true
    /// `after` more times, then false (no hook runs for the step itself).
    LoseLeadership {
        /// How many more true answers.
        after: u32,
    },
    /// → start.
    Start,
    /// → stop.
    Stop,
    /// Removal: departed/broken for every relation, storage-detaching, stop, remove.
    Remove,
    /// Run any hook by name, with extra environment.
    Hook {
        /// The hook (`config-changed`, `actions/x` for actions).
        name: String,
        /// Extra environment variables.
        env: BTreeMap<String, String>,
    },
    /// A container's Pebble stops answering (its socket vanishes), for a while or until
    /// `pebble-up`.
    PebbleDown {
        /// The container.
        container: String,
        /// How long (`None`: until `pebble-up`).
        duration: Option<Duration>,
    },
    /// A container's Pebble answers again.
    PebbleUp {
        /// The container.
        container: String,
    },
    /// A container restarts: a new Pebble (new boot id, empty plan) → pebble-ready.
    PebbleRestart {
        /// The container.
        container: String,
    },
    /// The next `times` invocations of a hook tool fail.
    ToolFault {
        /// The tool, e.g. `relation-set`.
        tool: String,
        /// How many invocations fail.
        times: u32,
    },
    /// Garbage is written into the unit's `.unit-state.db`.
    CorruptState,
    /// Wait, then deliver workload events that arrived meanwhile.
    Wait(Duration),
    /// Deliver workload events as they arrive until the expectations hold, or fail the
    /// step once `timeout` has passed.
    WaitUntil {
        /// What must hold.
        until: Box<Expect>,
        /// How long to wait at most.
        timeout: Duration,
    },
    /// Pebble misbehaves for some requests (until `pebble-up`, or `times` requests).
    PebbleFault {
        /// The container.
        container: String,
        /// Only requests to this path (e.g. `/v1/files`); all requests if `None`.
        path: Option<String>,
        /// What happens to them.
        fault: pebble_client::testing::Fault,
        /// How many requests it hits (`None`: until `pebble-up`).
        times: Option<u32>,
    },
}

impl Action {
    /// The step's keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Deploy => "deploy",
            Action::Config(_) => "config",
            Action::Relate(_) => "relate",
            Action::RelationChanged { .. } => "relation-changed",
            Action::Depart { .. } => "depart",
            Action::Break { .. } => "break",
            Action::SecretChanged { .. } => "secret-changed",
            Action::SecretRotate { .. } => "secret-rotate",
            Action::SecretExpired { .. } => "secret-expired",
            Action::SecretRemove { .. } => "secret-remove",
            Action::Action { .. } => "action",
            Action::Notice { .. } => "notice",
            Action::CheckFailed { .. } => "check-failed",
            Action::CheckRecovered { .. } => "check-recovered",
            Action::UpdateStatus => "update-status",
            Action::UpgradeCharm => "upgrade-charm",
            Action::Leader(_) => "leader",
            Action::LoseLeadership { .. } => "lose-leadership",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Remove => "remove",
            Action::Hook { .. } => "hook",
            Action::PebbleDown { .. } => "pebble-down",
            Action::PebbleUp { .. } => "pebble-up",
            Action::PebbleRestart { .. } => "pebble-restart",
            Action::ToolFault { .. } => "tool-fault",
            Action::CorruptState => "corrupt-state",
            Action::Wait(_) | Action::WaitUntil { .. } => "wait",
            Action::PebbleFault { .. } => "pebble-fault",
        }
    }
}

/// Every step keyword, for help and errors.
pub const STEP_KEYWORDS: &[&str] = &[
    "deploy",
    "config",
    "relate",
    "relation-changed",
    "depart",
    "break",
    "secret-changed",
    "secret-rotate",
    "secret-expired",
    "secret-remove",
    "action",
    "notice",
    "check-failed",
    "check-recovered",
    "update-status",
    "upgrade-charm",
    "leader",
    "lose-leadership",
    "start",
    "stop",
    "remove",
    "hook",
    "pebble-down",
    "pebble-up",
    "pebble-restart",
    "pebble-fault",
    "tool-fault",
    "corrupt-state",
    "wait",
];

impl Scenario {
    /// Reads and parses a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Scenario> {
        Scenario::load_with(path, &BTreeMap::new())
    }

    /// Reads and parses a scenario file, substituting its variables ([`super::vars`]) with
    /// `overrides` (`--var`) over its `vars:` defaults.
    pub fn load_with(
        path: &std::path::Path,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Scenario> {
        Self::load_with_builtins(path, overrides, &BTreeMap::new())
    }

    /// [`Scenario::load_with`], with more built-in variables (`otlp-receiver`, when the
    /// receiver runs).
    pub fn load_with_builtins(
        path: &std::path::Path,
        overrides: &BTreeMap<String, String>,
        extra: &BTreeMap<String, String>,
    ) -> Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::io("cannot read scenario", path, e))?;
        let file = path.display().to_string();
        let dir = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
            .unwrap_or_default();
        let mut builtins = BTreeMap::new();
        builtins.insert("scenario-dir".to_owned(), dir.display().to_string());
        if let Some(bin) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(std::path::Path::to_path_buf))
        {
            builtins.insert("bin-dir".to_owned(), bin.display().to_string());
        }
        // Without `--otlp-receiver`: OTLP/HTTP's standard port on this host, where a collector
        // of your own may listen (spans sent nowhere stay in the unit's buffer).
        builtins.insert(
            "otlp-receiver".to_owned(),
            crate::otlp::DEFAULT_RECEIVER.to_owned(),
        );
        builtins.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        let (text, vars) = super::vars::substitute(&file, &text, overrides, &builtins)?;
        let mut scenario = Scenario::parse_in(&file, &text, &dir)?;
        scenario.vars = vars;
        for image in scenario.model.images.values_mut() {
            *image = std::mem::take(image).relative_to(&dir);
        }
        Ok(scenario)
    }

    /// The scenario used when none is given: deploy.
    pub fn deploy_only() -> Scenario {
        Scenario {
            file: "<default scenario>".to_owned(),
            description: "deploy".to_owned(),
            steps: vec![Step {
                path: "steps[1] (deploy)".to_owned(),
                action: Action::Deploy,
                expect: Expect::default(),
            }],
            ..Scenario::default()
        }
    }

    /// Parses scenario YAML (relative charm paths of `applications:` stay relative).
    pub fn parse(file: &str, text: &str) -> Result<Scenario> {
        Scenario::parse_in(file, text, std::path::Path::new(""))
    }

    /// Parses scenario YAML; relative charm paths of `applications:` are taken from `dir`.
    pub fn parse_in(file: &str, text: &str, dir: &std::path::Path) -> Result<Scenario> {
        let root = yaml::parse(file, text)?;
        let node = Node::root(file, &root, "(top level)");
        if root.get("applications").is_some() {
            node.map(&[
                "description",
                "retries",
                "vars",
                "model",
                "applications",
                "relations",
                "steps",
            ])?;
            let model = match root.get("model") {
                None | Some(Value::Null) => ModelSpec::default(),
                Some(v) => {
                    let n = Node::root(file, v, "model");
                    n.map(&["name", "juju-version", "type"])?;
                    ModelSpec::parse(n)?
                }
            };
            return Ok(Scenario {
                file: file.to_owned(),
                description: node.opt_str("description")?.unwrap_or_default(),
                retries: retries(&node)?,
                model,
                steps: Vec::new(),
                vars: BTreeMap::new(),
                apps: Some(Apps::parse(file, &root, dir, &apps::declared_order(text))?),
            });
        }
        node.map(&["description", "retries", "vars", "model", "steps"])?;
        let retries = retries(&node)?;
        let model = match root.get("model") {
            None | Some(Value::Null) => ModelSpec::default(),
            Some(v) => ModelSpec::parse(Node::root(file, v, "model"))?,
        };
        let steps = match root.get("steps") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| parse_step(file, i + 1, v))
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(node.field_err(
                    "steps",
                    format!("expected a list of steps, got {}", kind(v)),
                ));
            }
        };
        Ok(Scenario {
            file: file.to_owned(),
            description: node.opt_str("description")?.unwrap_or_default(),
            retries,
            model,
            steps,
            vars: BTreeMap::new(),
            apps: None,
        })
    }
}

fn retries(node: &Node<'_>) -> Result<Option<u32>> {
    node.opt_u64("retries")?
        .map(|r| u32::try_from(r).map_err(|_| node.field_err("retries", "too large")))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops::metadata::CharmMeta;

    #[test]
    fn every_keyword_parses() {
        let s = Scenario::parse(
            "s.yaml",
            r#"
steps:
  - deploy
  - config: {port: 1}
  - relate: {endpoint: website, app: client, units: [client/0]}
  - relation-changed: {endpoint: website, unit: client/0, unit-data: {a: b}}
  - depart: {endpoint: website, unit: client/0}
  - break: {endpoint: website}
  - secret-changed: {id: "secret:abc", content: {k: v}}
  - secret-rotate: {id: "secret:abc"}
  - secret-expired: {id: "secret:abc", revision: 1}
  - secret-remove: {id: "secret:abc"}
  - action: {name: greet, params: {who: x}}
  - notice: {container: web, key: example.com/ready}
  - check-failed: {container: web, check: alive}
  - check-recovered: {container: web, check: alive}
  - update-status
  - upgrade-charm
  - leader: false
  - lose-leadership: {after: 1}
  - start
  - stop
  - remove
  - hook: install
  - pebble-down: {container: web, for: 500ms}
  - pebble-up: web
  - pebble-restart: {container: web}
  - pebble-fault: {container: web, path: /v1/files, fault: reset}
  - tool-fault: {tool: relation-set}
  - corrupt-state
  - wait: 10ms
"#,
        )
        .unwrap();
        let kws: Vec<&str> = s.steps.iter().map(|s| s.action.keyword()).collect();
        assert_eq!(kws, STEP_KEYWORDS);
    }

    #[test]
    fn errors_name_step_and_field() {
        let e = Scenario::parse("s.yaml", "steps:\n  - deploy\n  - relate: {endpoint: w}\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "s.yaml: steps[2] (relate).relate.app: this field is required"
        );
        let e = Scenario::parse("s.yaml", "steps: [dance]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("steps[1]: unknown step \"dance\""), "{e}");
        let e = Scenario::parse("s.yaml", "steps: [{notice: {container: web, key: nodot}}]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("steps[1] (notice).notice.key"), "{e}");
        let e = Scenario::parse("s.yaml", "steps: [{stop: null, start: null}]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("one action"), "{e}");
    }

    #[test]
    fn validates_against_metadata() {
        let meta = CharmMeta::from_charmcraft_yaml(
            "name: web\ncontainers: {web: {}}\nprovides: {website: {interface: http}}\nconfig: {options: {port: {type: int, default: 80}}}\n",
        )
        .unwrap();
        let ok = Scenario::parse(
            "s.yaml",
            "steps: [{config: {port: 9}}, {relate: {endpoint: website, app: c}}]",
        )
        .unwrap();
        ok.validate(&meta).unwrap();
        let bad = Scenario::parse("s.yaml", "steps: [deploy, {config: {port: nine}}]").unwrap();
        let e = bad.validate(&meta).unwrap_err().to_string();
        assert!(
            e.contains("steps[2] (config).port: option \"port\" is of type int"),
            "{e}"
        );
        let bad =
            Scenario::parse("s.yaml", "steps: [{notice: {container: db, key: a.b/c}}]").unwrap();
        let e = bad.validate(&meta).unwrap_err().to_string();
        assert!(e.contains("no container \"db\" (it has: web)"), "{e}");
    }
}
