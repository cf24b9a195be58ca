//! What the controller knows: applications (units, leader, config), relations (endpoints,
//! who is in scope, every databag with its version) — the model every unit's view is made
//! from.

use std::collections::{BTreeMap, BTreeSet};

use ops::metadata::CharmMeta;
use ops::status::Status;
use ops::testing::juju::Databag;
use serde_json::{Map, Value};

use crate::scenario::AppSpec;

/// Everything the controller knows about the model's applications and relations.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// The applications, by name (declared, deployed or not).
    pub apps: BTreeMap<String, AppState>,
    /// The relations, by id (peer relations too).
    pub relations: BTreeMap<u64, RelationState>,
    /// Each unit's workload status (for the leader's `status-get --application`).
    pub unit_statuses: BTreeMap<String, Status>,
    /// The last relation id handed out.
    pub last_relation_id: u64,
}

impl Truth {
    /// A new relation id.
    pub fn next_relation_id(&mut self) -> u64 {
        self.last_relation_id += 1;
        self.last_relation_id
    }
}

/// One application.
#[derive(Debug, Clone)]
pub struct AppState {
    /// What the scenario declared.
    pub spec: AppSpec,
    /// Its charm's metadata.
    pub meta: CharmMeta,
    /// Its place among the applications (from 1), for its units' addresses.
    pub index: u32,
    /// Whether it was deployed.
    pub deployed: bool,
    /// Its units that are alive (not being removed), in order.
    pub units: Vec<String>,
    /// The number of its next unit.
    pub next_unit: u32,
    /// The leader, if any unit is alive.
    pub leader: Option<String>,
    /// Config values set by the operator.
    pub config: Map<String, Value>,
    /// Bumped on every config change (units run config-changed when theirs is older).
    pub config_version: u64,
    /// Bumped when the leader changes (the others run leader-settings-changed).
    pub leader_settings_version: u64,
    /// The application status (the leader sets it).
    pub status: Status,
    /// The application is being removed.
    pub dying: bool,
}

impl AppState {
    /// The address of unit number `n` of this application: `10.1.<app>.<10 + n>`.
    pub fn address(&self, unit: &str) -> String {
        let n: u32 = unit
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        format!("10.1.{}.{}", self.index, 10 + n % 240)
    }
}

/// The role of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `provides`.
    Provider,
    /// `requires`.
    Requirer,
    /// `peers`.
    Peer,
}

impl Role {
    /// How metadata spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Provider => "provides",
            Role::Requirer => "requires",
            Role::Peer => "peers",
        }
    }
}

/// One side of a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// The application.
    pub app: String,
    /// Its endpoint.
    pub endpoint: String,
    /// The interface.
    pub interface: String,
    /// The endpoint's role.
    pub role: Role,
}

/// A databag and how often it changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The data.
    pub data: Databag,
    /// Bumped on every change (Juju's settings version).
    pub version: u64,
}

impl Settings {
    /// Replaces the data if it differs, bumping the version; returns whether it changed.
    pub fn set(&mut self, data: &Databag) -> bool {
        if &self.data == data {
            return false;
        }
        self.data = data.clone();
        self.version += 1;
        true
    }
}

/// A relation between two applications, or a peer relation of one.
#[derive(Debug, Clone)]
pub struct RelationState {
    /// Its id.
    pub id: u64,
    /// Its sides: two, or one for a peer relation.
    pub ends: Vec<End>,
    /// Each unit's databag (kept after the unit leaves, for departed hooks).
    pub unit_settings: BTreeMap<String, Settings>,
    /// Each application's databag.
    pub app_settings: BTreeMap<String, Settings>,
    /// The units in scope: the ones other units see as joined.
    pub scope: BTreeSet<String>,
    /// Being removed: every unit departs its members, then runs relation-broken.
    pub dying: bool,
    /// One of the applications was removed (relation-broken then has no remote app).
    pub app_removed: bool,
}

impl RelationState {
    /// Whether this is a peer relation.
    pub fn is_peer(&self) -> bool {
        self.ends.len() == 1
    }

    /// The side of application `app`.
    pub fn end_of(&self, app: &str) -> Option<&End> {
        self.ends.iter().find(|e| e.app == app)
    }

    /// The application on the other side from `app` (`app` itself for a peer relation).
    pub fn remote_app<'a>(&'a self, app: &'a str) -> &'a str {
        self.ends
            .iter()
            .find(|e| e.app != app)
            .map_or(app, |e| e.app.as_str())
    }

    /// The units in scope that `unit` (of `app`) sees as its relation's members.
    pub fn members_for(&self, unit: &str, app: &str) -> BTreeMap<String, u64> {
        let remote = self.remote_app(app);
        self.scope
            .iter()
            .filter(|u| u.as_str() != unit && app_of(u) == remote)
            .map(|u| {
                let v = self.unit_settings.get(u).map_or(0, |s| s.version);
                (u.clone(), v)
            })
            .collect()
    }

    /// How the relation is written in the trace: `web:db client:database` or `web:peers`.
    pub fn describe(&self) -> String {
        self.ends
            .iter()
            .map(|e| format!("{}:{}", e.app, e.endpoint))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The application of unit `app/N`.
pub fn app_of(unit: &str) -> &str {
    unit.split('/').next().unwrap_or(unit)
}

/// The settings a unit's databag starts with when it enters a relation's scope, as Juju
/// writes them: its addresses.
pub fn initial_unit_settings(address: &str) -> Databag {
    [
        ("egress-subnets", format!("{address}/32")),
        ("ingress-address", address.to_owned()),
        ("private-address", address.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The endpoints of a charm with their roles and interfaces.
pub fn endpoints(meta: &CharmMeta) -> Vec<(String, Role, String)> {
    let mut out = Vec::new();
    for (role, map) in [
        (Role::Provider, &meta.provides),
        (Role::Requirer, &meta.requires),
        (Role::Peer, &meta.peers),
    ] {
        for (name, r) in map {
            out.push((name.clone(), role, r.interface.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel() -> RelationState {
        let end = |app: &str, role| End {
            app: app.into(),
            endpoint: "db".into(),
            interface: "pg".into(),
            role,
        };
        RelationState {
            id: 3,
            ends: vec![end("app", Role::Requirer), end("pg", Role::Provider)],
            unit_settings: BTreeMap::new(),
            app_settings: BTreeMap::new(),
            scope: ["app/0", "app/1", "pg/0"].map(String::from).into(),
            dying: false,
            app_removed: false,
        }
    }

    #[test]
    fn members_are_the_other_side_in_scope() {
        let mut r = rel();
        r.unit_settings.insert(
            "pg/0".into(),
            Settings {
                data: Databag::new(),
                version: 4,
            },
        );
        assert_eq!(
            r.members_for("app/0", "app"),
            [("pg/0".to_owned(), 4)].into()
        );
        assert_eq!(
            r.members_for("pg/0", "pg").keys().collect::<Vec<_>>(),
            ["app/0", "app/1"]
        );
        assert_eq!(r.remote_app("pg"), "app");
        assert_eq!(r.describe(), "app:db pg:db");
    }

    #[test]
    fn peers_see_each_other() {
        let mut r = rel();
        r.ends.truncate(1);
        r.scope = ["app/0", "app/1"].map(String::from).into();
        assert!(r.is_peer());
        assert_eq!(r.remote_app("app"), "app");
        assert_eq!(
            r.members_for("app/0", "app").keys().collect::<Vec<_>>(),
            ["app/1"]
        );
    }

    #[test]
    fn settings_bump_only_on_change() {
        let mut s = Settings::default();
        let bag: Databag = [("a".to_owned(), "b".to_owned())].into();
        assert!(s.set(&bag));
        assert!(!s.set(&bag));
        assert_eq!(s.version, 1);
        assert_eq!(
            initial_unit_settings("10.1.1.10")["egress-subnets"],
            "10.1.1.10/32"
        );
    }
}
