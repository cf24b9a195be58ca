//! The simulated Juju model: everything the hook tools read and write, serde-serializable.
//!
//! [`JujuState`] is also the format of `juju-sim`'s state file (JSON, with a `version`
//! field, [`STATE_VERSION`]). Builder methods keep a test's setup to a few lines.
//!
//! ```
//! use ops::testing::juju::{JujuState, RelationState};
//! let state = JujuState::new("web/0")
//!     .leader(true)
//!     .config("port", 8080)
//!     .relation(RelationState::new(1, "db", "mysql").remote_unit("mysql/0", [("host", "h")]));
//! let json = state.to_json().unwrap();
//! assert_eq!(JujuState::from_json(&json).unwrap(), state);
//! ```

mod misc;
mod relation;
mod secret;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::juju_version::JujuVersion;
use crate::model::ModelType;
use crate::status::Status;

/// The Juju a state simulates unless set: the testing API's default,
/// [`DEFAULT_JUJU_VERSION`](crate::testing::DEFAULT_JUJU_VERSION) (a test holds it to
/// parse).
fn default_juju_version() -> JujuVersion {
    crate::testing::DEFAULT_JUJU_VERSION
        .parse()
        .unwrap_or(JujuVersion::UNKNOWN)
}

pub use misc::{
    ActionState, Address, BindAddress, Goal, GoalState, LogLine, Network, OpenedPort, Protocol,
    Reboot, StorageInstance,
};
pub use relation::{Databag, RelationState, SubordinateRelation};
pub use secret::{
    SecretContent, SecretGrant, SecretOwnership, SecretRevisionState, SecretState, secret_xid,
};

use super::record::ToolRecord;

/// The version of the state format this code writes and reads.
pub const STATE_VERSION: u32 = 1;

/// A state file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Not valid JSON for a [`JujuState`].
    #[error("invalid juju-sim state: {0}")]
    Invalid(#[from] serde_json::Error),
    /// Written by a different version of the format.
    #[error("juju-sim state version {found} is not supported (expected {STATE_VERSION})")]
    Version {
        /// The version in the file.
        found: u32,
    },
}

/// The model this unit lives in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model name.
    pub name: String,
    /// Model UUID.
    pub uuid: String,
    /// Kubernetes (the default, as in Python ops' Scenario) or machines: Juju refuses some
    /// things on Kubernetes (port ranges).
    #[serde(default, rename = "type", with = "model_type_serde")]
    pub model_type: ModelType,
}

/// [`ModelType`] as `kubernetes` / `machine` in the state file.
mod model_type_serde {
    use super::ModelType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &ModelType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ModelType, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What Juju's hook context keeps for the length of one hook, and forgets at the next: the
/// simulated Juju needs it to behave as Juju does within a hook. Reset with
/// [`JujuState::begin_hook`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ThisHook {
    /// Secrets this hook changed with `secret-set`, by xid, as they were before the hook's
    /// first `secret-set` of them: before Juju 3.6 a `secret-set` replaces the hook's earlier
    /// ones, so the simulated Juju goes back to this and applies the last call alone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets_before_set: BTreeMap<String, SecretState>,
    /// Secrets this hook created (`secret-add`), by xid: a `secret-set` of one is merged into
    /// its creation, on every Juju.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets_added: Vec<String>,
}

impl ThisHook {
    fn is_empty(&self) -> bool {
        *self == ThisHook::default()
    }
}

/// What the current hook is about, as the defaults Juju gives the relation and storage
/// tools.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ToolDefaults {
    /// The relation of a relation hook (`JUJU_RELATION_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_id: Option<u64>,
    /// The remote unit of a relation hook (`JUJU_REMOTE_UNIT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_unit: Option<String>,
    /// The remote application of a relation hook (`JUJU_REMOTE_APP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_app: Option<String>,
    /// The storage of a storage hook (`JUJU_STORAGE_ID`, `name/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
}

/// The charm's configuration: declared options with their defaults, and values set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Declared options and their defaults (`null`: no default).
    #[serde(default)]
    pub defaults: BTreeMap<String, Value>,
    /// Values the operator set.
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
}

impl Config {
    /// The effective settings: values over defaults; with `all`, unset options as `null`.
    pub fn effective(&self, all: bool) -> BTreeMap<String, Value> {
        let mut out: BTreeMap<String, Value> = self.defaults.clone();
        out.extend(self.values.clone());
        if !all {
            out.retain(|_, v| !v.is_null());
        }
        out
    }
}

/// The simulated Juju model as one unit sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JujuState {
    /// The state format version, [`STATE_VERSION`] (not Juju's: that is
    /// [`juju_version`](Self::juju_version)).
    pub version: u32,
    /// The version of the simulated Juju (`JUJU_VERSION`): the hook tools behave as that
    /// release does. The testing API's `Context::juju_version` and juju-sim's
    /// `model.juju-version` set it for every hook. What changes with it:
    ///
    /// | Juju | Several `secret-set` of one secret in a hook | What a `secret-set` leaves out | Content equal to the latest revision | `relation-model-get` |
    /// |---|---|---|---|---|
    /// | 3.6.2 and later | merged field by field | kept | no new revision | yes |
    /// | 3.6.0, 3.6.1 | merged field by field | kept | no new revision | no such tool |
    /// | 3.5.5 – 3.5.x | the hook's last call replaces the earlier ones | kept | a new revision | no such tool |
    /// | 3.5.0 – 3.5.4 | the last call replaces the earlier ones | description, expiry, rotation reset; label kept | a new revision | no such tool |
    /// | before 3.5 | the last call replaces the earlier ones | all reset, label too | a new revision | no such tool |
    ///
    /// A `secret-set` of a secret created in the same hook is merged into its creation on
    /// every version. (Sources: juju/juju#18154 and LP#2081034 for the merging; Python ops'
    /// `_ModelBackend.secret_set` for the resets before 3.5.5 and 3.5, and its
    /// `SecretState.set_content` for identical content.)
    #[serde(default = "default_juju_version")]
    pub juju_version: JujuVersion,
    /// The model.
    pub model: ModelInfo,
    /// This unit, `app/N`.
    pub unit: String,
    /// The machine this unit runs on (`JUJU_MACHINE_ID`, e.g. `0` or `0/lxd/1`): machine
    /// models only; Juju exports it empty on Kubernetes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    /// The availability zone of the unit's machine or pod (`JUJU_AVAILABILITY_ZONE`), if the
    /// cloud has zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// For a subordinate unit, the principal unit it is deployed with
    /// (`JUJU_PRINCIPAL_UNIT`, e.g. `mysql/0`); `None` for a principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_unit: Option<String>,
    /// Whether this unit is the leader.
    #[serde(default)]
    pub leader: bool,
    /// `is-leader` answers true this many more times, then this unit loses leadership in
    /// the middle of a hook (the lease lapses, as when the unit agent cannot renew it with the
    /// controller) and answers false; `None`: leadership holds. Leadership is only gained
    /// between hooks (a new leader is elected, then told in `leader-elected`), so once
    /// `is-leader` says false it says false until the hook ends, as Juju's hook context does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leadership_lost_after: Option<u32>,
    /// What Juju keeps for the length of the current hook (see [`ThisHook`]).
    #[serde(default, skip_serializing_if = "ThisHook::is_empty")]
    pub this_hook: ThisHook,
    /// What the current hook is about, as the hook tools' defaults (`relation-get` without
    /// `-r` reads the hook's relation, `storage-get` without `-s` the hook's storage).
    #[serde(default, alias = "context")]
    pub tool_defaults: ToolDefaults,
    /// Configuration.
    #[serde(default)]
    pub config: Config,
    /// Relations, peer relations included.
    #[serde(default)]
    pub relations: Vec<RelationState>,
    /// Secrets this unit owns or was granted.
    #[serde(default)]
    pub secrets: Vec<SecretState>,
    /// The unit's workload status.
    pub unit_status: Status,
    /// Earlier unit statuses, oldest first.
    #[serde(default)]
    pub unit_status_history: Vec<Status>,
    /// The application's status.
    pub app_status: Status,
    /// Earlier application statuses, oldest first.
    #[serde(default)]
    pub app_status_history: Vec<Status>,
    /// Statuses of the application's other units (for `status-get --application`).
    #[serde(default)]
    pub other_unit_statuses: BTreeMap<String, Status>,
    /// Ports this unit opened.
    #[serde(default)]
    pub opened_ports: Vec<OpenedPort>,
    /// The action being run, if this is an action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionState>,
    /// Lines written with `juju-log`, oldest first.
    #[serde(default)]
    pub logs: Vec<LogLine>,
    /// Storage: name to attached instances. A declared storage with no instance maps to `[]`.
    #[serde(default)]
    pub storage: BTreeMap<String, Vec<StorageInstance>>,
    /// Storage requested with `storage-add`: name to count.
    #[serde(default)]
    pub storage_requests: BTreeMap<String, u32>,
    /// Resources: name to the path `resource-get` prints.
    #[serde(default)]
    pub resources: BTreeMap<String, String>,
    /// Network bindings: endpoint or extra-binding name to its network.
    #[serde(default)]
    pub networks: BTreeMap<String, Network>,
    /// What `goal-state` answers.
    #[serde(default)]
    pub goal_state: GoalState,
    /// The application version set with `application-version-set`.
    #[serde(default)]
    pub app_version: String,
    /// The controller-side key-value store (`state-get`, `state-set`).
    #[serde(default)]
    pub controller_state: BTreeMap<String, String>,
    /// A reboot the charm asked for with `juju-reboot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot: Option<Reboot>,
    /// What `credential-get` answers (the cloud spec); `None`: the charm is not trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Value>,
    /// Counter behind new secret ids.
    #[serde(default)]
    pub secret_seq: u64,
    /// Every hook-tool call so far, oldest first.
    #[serde(default)]
    pub calls: Vec<ToolRecord>,
}

impl JujuState {
    /// A model `test-model` with unit `unit` (`app/N`), not leader, unknown statuses.
    pub fn new(unit: &str) -> Self {
        JujuState {
            version: STATE_VERSION,
            juju_version: default_juju_version(),
            model: ModelInfo {
                name: "test-model".to_owned(),
                uuid: "00000000-0000-4000-8000-000000000000".to_owned(),
                model_type: ModelType::Kubernetes,
            },
            unit: unit.to_owned(),
            machine_id: None,
            availability_zone: None,
            principal_unit: None,
            leader: false,
            leadership_lost_after: None,
            this_hook: ThisHook::default(),
            tool_defaults: ToolDefaults::default(),
            config: Config::default(),
            relations: Vec::new(),
            secrets: Vec::new(),
            unit_status: Status::Unknown(String::new()),
            unit_status_history: Vec::new(),
            app_status: Status::Unknown(String::new()),
            app_status_history: Vec::new(),
            other_unit_statuses: BTreeMap::new(),
            opened_ports: Vec::new(),
            action: None,
            logs: Vec::new(),
            storage: BTreeMap::new(),
            storage_requests: BTreeMap::new(),
            resources: BTreeMap::new(),
            networks: BTreeMap::new(),
            goal_state: GoalState::default(),
            app_version: String::new(),
            controller_state: BTreeMap::new(),
            reboot: None,
            credential: None,
            secret_seq: 0,
            calls: Vec::new(),
        }
    }

    /// This unit's application name.
    pub fn app(&self) -> &str {
        self.unit.split('/').next().unwrap_or(&self.unit)
    }

    /// Sets leadership.
    #[must_use]
    pub fn leader(mut self, leader: bool) -> Self {
        self.leader = leader;
        self
    }

    /// Sets the model name and UUID.
    #[must_use]
    pub fn model(mut self, name: &str, uuid: &str) -> Self {
        self.model.name = name.to_owned();
        self.model.uuid = uuid.to_owned();
        self
    }

    /// Sets the model type (Kubernetes by default).
    ///
    /// ```
    /// use ops::model::ModelType;
    /// use ops::testing::juju::JujuState;
    /// assert_eq!(JujuState::new("web/0").model.model_type, ModelType::Kubernetes);
    /// let machine = JujuState::new("web/0").model_type(ModelType::Machine);
    /// assert!(machine.to_json().unwrap().contains("\"type\": \"machine\""));
    /// ```
    #[must_use]
    pub fn model_type(mut self, model_type: ModelType) -> Self {
        self.model.model_type = model_type;
        self
    }

    /// Sets the machine this unit runs on (`JUJU_MACHINE_ID`; a machine model's).
    #[must_use]
    pub fn machine_id(mut self, machine: &str) -> Self {
        self.machine_id = Some(machine.to_owned());
        self
    }

    /// Sets the availability zone (`JUJU_AVAILABILITY_ZONE`).
    #[must_use]
    pub fn availability_zone(mut self, zone: &str) -> Self {
        self.availability_zone = Some(zone.to_owned());
        self
    }

    /// Makes this unit a subordinate of `unit` (`JUJU_PRINCIPAL_UNIT`).
    #[must_use]
    pub fn principal_unit(mut self, unit: &str) -> Self {
        self.principal_unit = Some(unit.to_owned());
        self
    }

    /// Sets the version of the simulated Juju.
    ///
    /// ```
    /// use ops::testing::juju::JujuState;
    /// let state = JujuState::new("web/0").juju_version("3.5.4".parse().unwrap());
    /// assert!(!state.juju_version.coalesces_secret_set());
    /// ```
    #[must_use]
    pub fn juju_version(mut self, version: JujuVersion) -> Self {
        self.juju_version = version;
        self
    }

    /// Makes `is-leader` answer true `answers` more times, then lose leadership (see
    /// [`leadership_lost_after`](Self::leadership_lost_after)).
    ///
    /// ```
    /// use ops::hookcmds::HookToolRunner;
    /// use ops::testing::juju::{JujuSim, JujuState};
    /// let sim = JujuSim::new(JujuState::new("web/0").leader(true).leadership_lost_after(1));
    /// let ask = || sim.run("is-leader", &["--format=json".into()], None).unwrap();
    /// assert_eq!(ask(), b"true\n");
    /// assert_eq!(ask(), b"false\n");
    /// ```
    #[must_use]
    pub fn leadership_lost_after(mut self, answers: u32) -> Self {
        self.leadership_lost_after = Some(answers);
        self
    }

    /// Starts a hook: what Juju kept for the last one ([`ThisHook`]) is forgotten, and the
    /// tools' defaults are the new hook's.
    ///
    /// ```
    /// use ops::testing::juju::{JujuState, ToolDefaults};
    /// let mut state = JujuState::new("web/0");
    /// state.this_hook.secrets_added.push("cr0ahn1dqe3k7mqmsc2g".into());
    /// state.begin_hook(ToolDefaults::default());
    /// assert!(state.this_hook.secrets_added.is_empty());
    /// ```
    pub fn begin_hook(&mut self, defaults: ToolDefaults) {
        self.this_hook = ThisHook::default();
        self.tool_defaults = defaults;
    }

    /// Sets a configuration value.
    #[must_use]
    pub fn config(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.config.values.insert(key.to_owned(), value.into());
        self
    }

    /// Declares a configuration option with its default (`Value::Null`: none).
    #[must_use]
    pub fn config_default(mut self, key: &str, default: impl Into<Value>) -> Self {
        self.config.defaults.insert(key.to_owned(), default.into());
        self
    }

    /// Adds a relation.
    #[must_use]
    pub fn relation(mut self, relation: RelationState) -> Self {
        self.relations.push(relation);
        self
    }

    /// Adds a secret.
    #[must_use]
    pub fn secret(mut self, secret: SecretState) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Makes this hook an action with `params`.
    #[must_use]
    pub fn action(mut self, name: &str, params: Value) -> Self {
        self.action = Some(ActionState::new(name, params));
        self
    }

    /// Makes this hook a relation hook for `relation_id` and `remote_unit`.
    #[must_use]
    pub fn in_relation_hook(mut self, relation_id: u64, remote_unit: Option<&str>) -> Self {
        let remote_app = self
            .relations
            .iter()
            .find(|r| r.id == relation_id)
            .map(|r| r.remote_app.clone());
        self.tool_defaults.relation_id = Some(relation_id);
        self.tool_defaults.remote_unit = remote_unit.map(str::to_owned);
        self.tool_defaults.remote_app = remote_app;
        self
    }

    /// Attaches storage instance `name/index` at `location`.
    #[must_use]
    pub fn storage(mut self, name: &str, index: u32, location: &str) -> Self {
        self.storage
            .entry(name.to_owned())
            .or_default()
            .push(StorageInstance::filesystem(index, location));
        self
    }

    /// Adds a resource at `path`.
    #[must_use]
    pub fn resource(mut self, name: &str, path: &str) -> Self {
        self.resources.insert(name.to_owned(), path.to_owned());
        self
    }

    /// Adds a network binding.
    #[must_use]
    pub fn network(mut self, binding: &str, network: Network) -> Self {
        self.networks.insert(binding.to_owned(), network);
        self
    }

    /// Sets the cloud spec `credential-get` answers (the charm is trusted).
    #[must_use]
    pub fn credential(mut self, spec: Value) -> Self {
        self.credential = Some(spec);
        self
    }

    /// A relation by id.
    pub fn relation_by_id(&self, id: u64) -> Option<&RelationState> {
        self.relations.iter().find(|r| r.id == id)
    }

    /// A relation by id, to change.
    pub fn relation_by_id_mut(&mut self, id: u64) -> Option<&mut RelationState> {
        self.relations.iter_mut().find(|r| r.id == id)
    }

    /// A secret by id (any form) or, failing that, by label.
    pub fn secret_by_id(&self, id: &str) -> Option<&SecretState> {
        let xid = secret_xid(id);
        self.secrets.iter().find(|s| s.xid() == xid)
    }

    /// The `juju-log` messages so far, without levels.
    pub fn log_messages(&self) -> Vec<&str> {
        self.logs.iter().map(|l| l.message.as_str()).collect()
    }

    /// The state as pretty JSON (the state-file format).
    pub fn to_json(&self) -> Result<String, StateError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Reads a state from JSON, checking its version.
    pub fn from_json(json: &str) -> Result<JujuState, StateError> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let v: Versioned = serde_json::from_str(json)?;
        if v.version != STATE_VERSION {
            return Err(StateError::Version { found: v.version });
        }
        Ok(serde_json::from_str(json)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_everything() {
        let state = JujuState::new("web/1")
            .leader(true)
            .juju_version("3.5.4".parse().unwrap())
            .model_type(ModelType::Machine)
            .machine_id("0/lxd/1")
            .availability_zone("zone-a")
            .principal_unit("pg/0")
            .leadership_lost_after(2)
            .config_default("name", Value::Null)
            .config("port", 80)
            .relation(RelationState::peer(2, "peers", "web").local_app_data([("k", "v")]))
            .relation(
                SubordinateRelation::new(3, "juju-info", "pg/0")
                    .remote_unit_data([("a", "b")])
                    .into(),
            )
            .secret(SecretState::new(
                "secret:abc",
                SecretOwnership::Unit,
                [("key", "v")],
            ))
            .action("backup", json!({"to": "/tmp"}))
            .storage("data", 0, "/srv/data")
            .resource("bin", "/res/bin")
            .network("db", Network::with_address("10.1.2.3"))
            .credential(json!({"type": "lxd"}));
        let back = JujuState::from_json(&state.to_json().unwrap()).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.app(), "web");
    }

    #[test]
    fn default_juju_version_is_the_testing_default() {
        assert_eq!(
            JujuState::new("a/0").juju_version.to_string(),
            crate::testing::DEFAULT_JUJU_VERSION
        );
        // A state file written before the field existed simulates the default.
        let mut v: Value = serde_json::from_str(&JujuState::new("a/0").to_json().unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("juju-version");
        v["model"].as_object_mut().unwrap().remove("type");
        let back = JujuState::from_json(&v.to_string()).unwrap();
        assert_eq!(back, JujuState::new("a/0"));
    }

    #[test]
    fn version_is_checked() {
        let mut state = JujuState::new("a/0");
        state.version = 99;
        let e = JujuState::from_json(&state.to_json().unwrap()).unwrap_err();
        assert!(matches!(e, StateError::Version { found: 99 }));
        assert!(JujuState::from_json("{").is_err());
    }

    #[test]
    fn effective_config() {
        let s = JujuState::new("a/0")
            .config_default("x", 1)
            .config_default("y", Value::Null)
            .config("x", 2);
        assert_eq!(
            s.config.effective(false),
            [("x".to_owned(), json!(2))].into()
        );
        assert_eq!(s.config.effective(true).len(), 2);
    }
}
