//! Relations as the unit sees them: ids, endpoints, remote units and the four databags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A databag: string keys to string values.
pub type Databag = BTreeMap<String, String>;

/// One relation this unit takes part in.
///
/// ```
/// use ops::testing::juju::RelationState;
/// let r = RelationState::new(3, "db", "mysql")
///     .interface("mysql_client")
///     .remote_unit("mysql/0", [("host", "10.0.0.1")])
///     .remote_app_data([("database", "app")]);
/// assert_eq!(r.remote_units["mysql/0"]["host"], "10.0.0.1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelationState {
    /// The relation id (the `N` of `db:N`).
    pub id: u64,
    /// This charm's endpoint name.
    pub endpoint: String,
    /// The interface name.
    #[serde(default)]
    pub interface: String,
    /// The other application (this application for a peer relation).
    pub remote_app: String,
    /// Whether this is a peer relation.
    #[serde(default)]
    pub peer: bool,
    /// The remote units in the relation, with their unit databags.
    #[serde(default)]
    pub remote_units: BTreeMap<String, Databag>,
    /// Units that have left; their data stays readable for the relation's lifetime.
    #[serde(default)]
    pub departed_units: BTreeMap<String, Databag>,
    /// The remote application's databag (written by its leader).
    #[serde(default)]
    pub remote_app_data: Databag,
    /// This unit's databag.
    #[serde(default)]
    pub local_unit_data: Databag,
    /// This application's databag (only the leader may write it).
    #[serde(default)]
    pub local_app_data: Databag,
    /// The relation is being removed (relation-broken): it lists no units.
    #[serde(default)]
    pub broken: bool,
    /// The model the remote application lives in (`None`: this model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_model_uuid: Option<String>,
}

fn bag<K: Into<String>, V: Into<String>>(data: impl IntoIterator<Item = (K, V)>) -> Databag {
    data.into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

impl RelationState {
    /// A relation `endpoint:id` with `remote_app`, no units and empty databags.
    pub fn new(id: u64, endpoint: &str, remote_app: &str) -> Self {
        RelationState {
            id,
            endpoint: endpoint.to_owned(),
            interface: String::new(),
            remote_app: remote_app.to_owned(),
            peer: false,
            remote_units: BTreeMap::new(),
            departed_units: BTreeMap::new(),
            remote_app_data: Databag::new(),
            local_unit_data: Databag::new(),
            local_app_data: Databag::new(),
            broken: false,
            remote_model_uuid: None,
        }
    }

    /// A peer relation of application `app`.
    pub fn peer(id: u64, endpoint: &str, app: &str) -> Self {
        RelationState {
            peer: true,
            ..RelationState::new(id, endpoint, app)
        }
    }

    /// Sets the interface name.
    #[must_use]
    pub fn interface(mut self, interface: &str) -> Self {
        self.interface = interface.to_owned();
        self
    }

    /// Adds a remote unit (a peer unit for a peer relation) with its databag.
    #[must_use]
    pub fn remote_unit<K: Into<String>, V: Into<String>>(
        mut self,
        unit: &str,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.remote_units.insert(unit.to_owned(), bag(data));
        self
    }

    /// Sets the remote application's databag.
    #[must_use]
    pub fn remote_app_data<K: Into<String>, V: Into<String>>(
        mut self,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.remote_app_data = bag(data);
        self
    }

    /// Sets this unit's databag.
    #[must_use]
    pub fn local_unit_data<K: Into<String>, V: Into<String>>(
        mut self,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.local_unit_data = bag(data);
        self
    }

    /// Sets this application's databag.
    #[must_use]
    pub fn local_app_data<K: Into<String>, V: Into<String>>(
        mut self,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.local_app_data = bag(data);
        self
    }

    /// Marks the relation broken.
    #[must_use]
    pub fn broken(mut self) -> Self {
        self.broken = true;
        self
    }

    /// The relation as Juju names it: `endpoint:id`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.endpoint, self.id)
    }

    /// The databag of a remote unit, present or departed.
    pub fn unit_bag(&self, unit: &str) -> Option<&Databag> {
        self.remote_units
            .get(unit)
            .or_else(|| self.departed_units.get(unit))
    }
}
