//! The initial model of a scenario, and how it becomes the unit's [`JujuState`].

use std::collections::BTreeMap;

use ops::juju_version::JujuVersion;
use ops::metadata::CharmMeta;
use ops::model::ModelType;
use ops::testing::juju::{
    JujuState, Network, RelationState, SecretOwnership, SecretRevisionState, SecretState,
};
use serde_json::{Map, Value};

use super::error::Result;
use super::image::Image;
use super::scenario::RelationSpec;
use super::yaml::{Node, kind, scalar};

/// The model before the first step.
#[derive(Debug, Clone, Default)]
pub struct ModelSpec {
    /// The unit (default `<charm name>/0`).
    pub unit: Option<String>,
    /// The model name (default `sim-model`).
    pub name: Option<String>,
    /// The Juju version the hooks see and the hook tools behave as (default `3.6.4`);
    /// checked to be one when the scenario is read.
    pub juju_version: Option<String>,
    /// The model's type (default Kubernetes).
    pub model_type: ModelType,
    /// Whether this unit is the leader.
    pub leader: bool,
    /// Config values set by the operator (defaults come from the metadata).
    pub config: Map<String, Value>,
    /// Relations that exist when the unit is deployed.
    pub relations: Vec<RelationSpec>,
    /// Secrets.
    pub secrets: Vec<SecretState>,
    /// Storage: name to the locations of its instances.
    pub storage: BTreeMap<String, Vec<String>>,
    /// Resources: name to path.
    pub resources: BTreeMap<String, String>,
    /// Network bindings: name to IP address.
    pub networks: BTreeMap<String, String>,
    /// Container images: what each container's filesystem holds at deploy.
    pub images: BTreeMap<String, Image>,
}

impl ModelSpec {
    /// Parses the `model:` section.
    pub fn parse(n: Node<'_>) -> Result<ModelSpec> {
        n.map(&[
            "unit",
            "name",
            "juju-version",
            "type",
            "leader",
            "config",
            "relations",
            "secrets",
            "storage",
            "resources",
            "networks",
            "images",
        ])?;
        let config = match n.value.get("config") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(v) => {
                return Err(n.field_err("config", format!("expected a map, got {}", kind(v))));
            }
        };
        let list = |key: &str| -> Result<&[Value]> {
            match n.value.get(key) {
                None | Some(Value::Null) => Ok(&[]),
                Some(Value::Array(a)) => Ok(a),
                Some(v) => Err(n.field_err(key, format!("expected a list, got {}", kind(v)))),
            }
        };
        let mut relations = Vec::new();
        for (i, r) in list("relations")?.iter().enumerate() {
            let path = format!("{}.relations[{}]", n.path(), i + 1);
            relations.push(RelationSpec::parse(Node::root(n.file_name(), r, &path))?);
        }
        let mut secrets = Vec::new();
        for (i, s) in list("secrets")?.iter().enumerate() {
            let path = format!("{}.secrets[{}]", n.path(), i + 1);
            secrets.push(parse_secret(Node::root(n.file_name(), s, &path))?);
        }
        let storage = match n.value.get("storage") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    let locs = match v {
                        Value::Array(a) => a.iter().map(scalar).collect::<Option<Vec<_>>>(),
                        other => scalar(other).map(|s| vec![s]),
                    };
                    locs.map(|l| (k.clone(), l)).ok_or_else(|| {
                        n.field_err(
                            "storage",
                            format!("{k}: expected a location or a list of locations"),
                        )
                    })
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(n.field_err("storage", format!("expected a map, got {}", kind(v))));
            }
        };
        let images = match n.value.get("images") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(c, v)| {
                    let path = format!("{}.images.{c}", n.path());
                    Image::parse(Node::root(n.file_name(), v, &path)).map(|i| (c.clone(), i))
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(n.field_err(
                    "images",
                    format!("expected a map of container to image, got {}", kind(v)),
                ));
            }
        };
        let juju_version = n.opt_str("juju-version")?;
        if let Some(v) = &juju_version {
            v.parse::<JujuVersion>()
                .map_err(|e| n.field_err("juju-version", e.to_string()))?;
        }
        let model_type = match n.opt_str("type")? {
            None => ModelType::Kubernetes,
            Some(t) => t.parse().map_err(|e: String| n.field_err("type", e))?,
        };
        Ok(ModelSpec {
            images,
            unit: n.opt_str("unit")?,
            name: n.opt_str("name")?,
            juju_version,
            model_type,
            leader: n.opt_bool("leader")?.unwrap_or(false),
            config,
            relations,
            secrets,
            storage,
            resources: n.opt_string_map("resources")?,
            networks: n.opt_string_map("networks")?,
        })
    }

    /// The unit's model state before deploy: metadata defaults, then the scenario's values.
    pub fn to_state(&self, meta: &CharmMeta) -> JujuState {
        let unit = self
            .unit
            .clone()
            .unwrap_or_else(|| format!("{}/0", meta.name));
        let mut state = JujuState::new(&unit)
            .leader(self.leader)
            .model(
                self.name.as_deref().unwrap_or("sim-model"),
                "7e5a3c1d-0b4f-4d6e-9a21-5c3b8f0d2e41",
            )
            .model_type(self.model_type);
        for (name, opt) in &meta.config.options {
            state = state.config_default(name, opt.default.clone().unwrap_or(Value::Null));
        }
        for (k, v) in &self.config {
            state = state.config(k, v.clone());
        }
        for spec in &self.relations {
            let id = spec.id.unwrap_or_else(|| next_relation_id(&state));
            state.relations.push(spec.to_relation(id, meta));
        }
        state.secrets = self.secrets.clone();
        for (name, locations) in &self.storage {
            for (i, loc) in locations.iter().enumerate() {
                state = state.storage(name, u32::try_from(i).unwrap_or(u32::MAX), loc);
            }
        }
        for (name, path) in &self.resources {
            state = state.resource(name, path);
        }
        for (binding, ip) in &self.networks {
            state = state.network(binding, Network::with_address(ip));
        }
        state
    }
}

/// The next free relation id.
pub fn next_relation_id(state: &JujuState) -> u64 {
    state.relations.iter().map(|r| r.id + 1).max().unwrap_or(1)
}

impl RelationSpec {
    /// The relation as the model holds it.
    pub fn to_relation(&self, id: u64, meta: &CharmMeta) -> RelationState {
        let mut r = if meta.is_peer(&self.endpoint) {
            RelationState::peer(id, &self.endpoint, &self.app)
        } else {
            RelationState::new(id, &self.endpoint, &self.app)
        };
        if let Some(m) = meta.relation(&self.endpoint) {
            r = r.interface(&m.interface);
        }
        r.remote_units = self.units.clone();
        r.remote_app_data = self.app_data.clone();
        r.local_unit_data = self.local_unit_data.clone();
        r.local_app_data = self.local_app_data.clone();
        r
    }
}

fn parse_secret(n: Node<'_>) -> Result<SecretState> {
    n.map(&[
        "id",
        "owner",
        "label",
        "content",
        "revision",
        "tracked",
        "description",
    ])?;
    let id = n.req_str("id")?;
    let owner = match n.opt_str("owner")?.as_deref() {
        None | Some("consumer") => SecretOwnership::Consumer,
        Some("app" | "application") => SecretOwnership::Application,
        Some("unit") => SecretOwnership::Unit,
        Some(o) => {
            return Err(n.field_err("owner", format!("{o:?} is not one of: app, unit, consumer")));
        }
    };
    let revision = n.opt_u64("revision")?.unwrap_or(1);
    let revision = u32::try_from(revision).map_err(|_| n.field_err("revision", "too large"))?;
    let mut s = SecretState::new(&id, owner, n.opt_string_map("content")?);
    s.revisions = vec![SecretRevisionState {
        revision,
        content: s.revisions.remove(0).content,
    }];
    s.label = n.opt_str("label")?;
    s.description = n.opt_str("description")?;
    s.tracked = match n.opt_u64("tracked")? {
        Some(t) => Some(u32::try_from(t).map_err(|_| n.field_err("tracked", "too large"))?),
        None => (owner == SecretOwnership::Consumer).then_some(revision),
    };
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn builds_the_state() {
        let meta = CharmMeta::from_charmcraft_yaml(
            "name: web\nprovides: {website: {interface: http}}\npeers: {cluster: {interface: p}}\nconfig: {options: {port: {type: int, default: 80}, name: {type: string}}}\n",
        )
        .unwrap();
        let s = Scenario::parse(
            "s.yaml",
            r#"
model:
  leader: true
  config: {port: 8080}
  relations:
    - {endpoint: website, app: client, units: {client/0: {a: b}}, app-data: {x: y}}
    - {endpoint: cluster, app: web, units: [web/1]}
  secrets:
    - {id: "secret:abc", label: db-pass, content: {password: hunter2}}
  storage: {data: /srv/data}
  resources: {image: /tmp/image}
  networks: {website: 10.1.2.3}
"#,
        )
        .unwrap();
        let st = s.model.to_state(&meta);
        assert_eq!(st.unit, "web/0");
        assert!(st.leader);
        assert_eq!(st.config.effective(false)["port"], 8080);
        assert_eq!(st.relations[0].id, 1);
        assert_eq!(st.relations[0].interface, "http");
        assert_eq!(st.relations[0].remote_units["client/0"]["a"], "b");
        assert!(st.relations[1].peer);
        assert_eq!(st.relations[1].id, 2);
        assert_eq!(st.secrets[0].tracked, Some(1));
        assert_eq!(st.storage["data"][0].location, "/srv/data");
        assert_eq!(st.resources["image"], "/tmp/image");
        assert!(st.networks.contains_key("website"));
    }
}
