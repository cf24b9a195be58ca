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
    /// Whether the endpoint is container-scoped (`scope: container`): the relation between a
    /// subordinate and its principal, which links the two units on one machine only, so
    /// [`remote_units`](Self::remote_units) holds exactly one unit. Built with
    /// [`SubordinateRelation`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub subordinate: bool,
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

/// The setters of the databags both kinds of relation have (`remote_app_data`,
/// `local_unit_data`, `local_app_data`), written once for [`RelationState`] and
/// [`SubordinateRelation`].
macro_rules! bag_setters {
    () => {
        bag_setters!(@one remote_app_data, "Sets the remote application's databag.");
        bag_setters!(@one local_unit_data, "Sets this unit's databag.");
        bag_setters!(@one local_app_data, "Sets this application's databag.");
    };
    (@one $field:ident, $doc:literal) => {
        #[doc = $doc]
        #[must_use]
        pub fn $field<K: Into<String>, V: Into<String>>(
            mut self,
            data: impl IntoIterator<Item = (K, V)>,
        ) -> Self {
            self.$field = bag(data);
            self
        }
    };
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
            subordinate: false,
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

    bag_setters!();

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

/// A container-scoped relation (`scope: container`), between a subordinate charm and its
/// principal (Scenario's `SubordinateRelation`): the other side is one unit, the one on the
/// same machine, with its unit databag [`remote_unit_data`](Self::remote_unit_data).
///
/// From the subordinate's side the remote unit is its principal; from the principal's side,
/// the subordinate unit deployed with it. Add it to a state with
/// [`State::relation`](crate::testing::State::relation); it becomes a [`RelationState`] whose
/// [`subordinate`](RelationState::subordinate) flag is set and whose only remote unit is that unit.
///
/// ```
/// use ops::testing::juju::{RelationState, SubordinateRelation};
/// let r: RelationState = SubordinateRelation::new(4, "juju-info", "mysql/0")
///     .remote_unit_data([("private-address", "10.0.0.4")])
///     .remote_app_data([("k", "v")])
///     .into();
/// assert!(r.subordinate);
/// assert_eq!(r.remote_app, "mysql");
/// assert_eq!(r.remote_units["mysql/0"]["private-address"], "10.0.0.4");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubordinateRelation {
    /// The relation id.
    pub id: u64,
    /// This charm's endpoint (declared with `scope: container`).
    pub endpoint: String,
    /// The interface name.
    pub interface: String,
    /// The unit on the other side, `app/N`.
    pub remote_unit: String,
    /// That unit's databag.
    pub remote_unit_data: Databag,
    /// The remote application's databag.
    pub remote_app_data: Databag,
    /// This unit's databag.
    pub local_unit_data: Databag,
    /// This application's databag.
    pub local_app_data: Databag,
}

impl SubordinateRelation {
    /// A container-scoped relation `endpoint:id` with `remote_unit` (`app/N`), databags
    /// empty.
    pub fn new(id: u64, endpoint: &str, remote_unit: &str) -> Self {
        SubordinateRelation {
            id,
            endpoint: endpoint.to_owned(),
            interface: String::new(),
            remote_unit: remote_unit.to_owned(),
            remote_unit_data: Databag::new(),
            remote_app_data: Databag::new(),
            local_unit_data: Databag::new(),
            local_app_data: Databag::new(),
        }
    }

    /// Sets the interface name.
    #[must_use]
    pub fn interface(mut self, interface: &str) -> Self {
        self.interface = interface.to_owned();
        self
    }

    /// Sets the remote unit's databag.
    #[must_use]
    pub fn remote_unit_data<K: Into<String>, V: Into<String>>(
        mut self,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.remote_unit_data = bag(data);
        self
    }

    bag_setters!();

    /// The remote application: the remote unit's name up to its `/`.
    pub fn remote_app(&self) -> &str {
        self.remote_unit
            .split_once('/')
            .map_or(self.remote_unit.as_str(), |(app, _)| app)
    }
}

impl From<SubordinateRelation> for RelationState {
    fn from(s: SubordinateRelation) -> RelationState {
        let mut r = RelationState::new(s.id, &s.endpoint, s.remote_app());
        r.interface = s.interface;
        r.subordinate = true;
        r.remote_units.insert(s.remote_unit, s.remote_unit_data);
        r.remote_app_data = s.remote_app_data;
        r.local_unit_data = s.local_unit_data;
        r.local_app_data = s.local_app_data;
        r
    }
}
