//! One unit's agent: what the unit has been told so far, and the next hook it runs, decided
//! as Juju's uniter decides it.
//!
//! Juju's unit agent compares what it has told the charm (its local state) with what the
//! controller says now (the remote state), and runs one hook at a time, in this order
//! (`internal/worker/uniter/resolver.go`, `relation/resolver.go`):
//!
//! | Order | Hook | When |
//! |---|---|---|
//! | 1 | `install` | not installed yet |
//! | 2 | `<r>-relation-created` | a relation it has not been told of |
//! | 3 | `leader-elected` / `leader-settings-changed` | it became leader / it is not, and has not been told, or the leader changed |
//! | 4 | workload events | a container's Pebble has news (after `start`) |
//! | 5 | `secret-changed`, `secret-remove` | a secret it tracks has a newer revision; a revision of its own secret is obsolete |
//! | 6 | actions and `hook:` steps | queued |
//! | 7 | `config-changed` | config changed (also the first time), then `start` once |
//! | 8 | relation hooks | per relation, by id: `changed` right after `joined`; `departed` for members gone; `broken`; `changed` for the remote application's databag (version above 0); `joined` for new members; `changed` for members whose databag version moved |
//! | 9 | `update-status` | asked for |
//!
//! A unit being removed departs every member of every relation (`JUJU_DEPARTING_UNIT` is
//! itself), runs `relation-broken` for each relation but its peer relations, then `stop`
//! and `remove`.

use std::collections::{BTreeMap, VecDeque};

use ops::testing::juju::Databag;

use super::secrets::Registry;
use super::truth::{Truth, app_of, initial_unit_settings};
use crate::hook_env::Hook;
use crate::runner::Sim;

/// One relation as the unit knows it.
#[derive(Debug, Clone, Default)]
pub struct RelationLocal {
    /// The unit's endpoint.
    pub endpoint: String,
    /// The application on the other side (its own for a peer relation).
    pub remote_app: String,
    /// Whether relation-created ran.
    pub created: bool,
    /// The members it was told of (joined), with the settings version it last saw.
    pub members: BTreeMap<String, u64>,
    /// The remote application's databag version it last saw.
    pub app_versions: BTreeMap<String, u64>,
    /// A member that joined and whose relation-changed comes next.
    pub changed_pending: Option<String>,
    /// Members that departed, with their last databag (readable while the relation lasts).
    pub departed: BTreeMap<String, Databag>,
}

/// What running a hook changes in the agent's local state (or the controller's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// install ran.
    Install,
    /// start ran.
    Start,
    /// stop ran.
    Stop,
    /// remove ran.
    Remove,
    /// leader-elected (`leader`) or leader-settings-changed ran, at this leader settings
    /// version.
    Leader {
        /// Whether it was told it leads.
        leader: bool,
        /// The application's leader settings version.
        version: u64,
    },
    /// config-changed ran for this config version.
    Config(u64),
    /// relation-created ran: the unit enters the relation's scope.
    Created(u64),
    /// relation-joined ran for a member.
    Joined {
        /// The relation.
        relation: u64,
        /// The member.
        unit: String,
        /// Its settings version.
        version: u64,
    },
    /// relation-changed ran for a member.
    Changed {
        /// The relation.
        relation: u64,
        /// The member.
        unit: String,
        /// Its settings version.
        version: u64,
    },
    /// relation-changed ran for the remote application's databag.
    AppChanged {
        /// The relation.
        relation: u64,
        /// The application.
        app: String,
        /// Its databag version.
        version: u64,
    },
    /// relation-departed ran for a member.
    Departed {
        /// The relation.
        relation: u64,
        /// The member.
        unit: String,
    },
    /// relation-broken ran: the relation is gone for the unit.
    Broken(u64),
    /// secret-changed ran for this revision.
    SecretChanged {
        /// The secret's xid.
        xid: String,
        /// The revision told.
        revision: u32,
    },
    /// secret-remove ran for this obsolete revision.
    SecretObsolete {
        /// The secret's xid.
        xid: String,
        /// The revision.
        revision: u32,
    },
    /// The first queued hook ran.
    Queued,
    /// update-status ran.
    UpdateStatus,
    /// A workload event's hook ran.
    Workload,
}

/// A hook due, and what running it changes.
#[derive(Debug, Clone)]
pub struct Due {
    /// The hook.
    pub hook: Hook,
    /// What it changes.
    pub effect: Effect,
}

/// A unit's agent: the unit (its [`Sim`]) and what it has been told.
#[derive(Debug)]
pub struct Agent {
    /// The unit, `app/N`.
    pub unit: String,
    /// Its application.
    pub app: String,
    /// The unit itself: work directory, Pebbles, hooks.
    pub sim: Sim,
    /// Being removed.
    pub dying: bool,
    /// install ran.
    pub installed: bool,
    /// start ran.
    pub started: bool,
    /// stop ran.
    pub stopped: bool,
    /// remove ran: the agent is done.
    pub removed: bool,
    /// What it was told last: leader (true) or not (false).
    pub leader_seen: Option<bool>,
    /// The leader settings version it was told of.
    pub leader_settings_seen: u64,
    /// The config version config-changed ran for.
    pub config_seen: u64,
    /// The relations it knows, by id.
    pub relations: BTreeMap<u64, RelationLocal>,
    /// Per secret xid, the revision it tracks and the label it knows it by (from its last
    /// hook).
    pub tracked: BTreeMap<String, (u32, Option<String>)>,
    /// Per secret xid, the newest revision secret-changed told it of.
    pub secrets_told: BTreeMap<String, u32>,
    /// Actions and hooks asked for by steps, in order.
    pub queued: VecDeque<Hook>,
    /// update-status was asked for.
    pub update_status: bool,
}

impl Agent {
    /// A new unit's agent.
    pub fn new(unit: &str, sim: Sim) -> Agent {
        Agent {
            unit: unit.to_owned(),
            app: app_of(unit).to_owned(),
            sim,
            dying: false,
            installed: false,
            started: false,
            stopped: false,
            removed: false,
            leader_seen: None,
            leader_settings_seen: 0,
            config_seen: 0,
            relations: BTreeMap::new(),
            tracked: BTreeMap::new(),
            secrets_told: BTreeMap::new(),
            queued: VecDeque::new(),
            update_status: false,
        }
    }

    /// The next hook this unit runs, if any (see the module docs for the order).
    pub fn next(&mut self, truth: &Truth, registry: &Registry) -> Option<Due> {
        let app = truth.apps.get(&self.app)?;
        let due = |hook: Hook, effect: Effect| Some(Due { hook, effect });
        if self.dying {
            for id in self.relations.keys().copied().collect::<Vec<_>>() {
                if let Some(d) = self.relation_hook(id, truth) {
                    return Some(d);
                }
            }
            if self.started && !self.stopped {
                return due(Hook::plain("stop"), Effect::Stop);
            }
            if self.installed && !self.removed {
                return due(Hook::plain("remove"), Effect::Remove);
            }
            return None;
        }
        if !self.installed {
            return due(Hook::plain("install"), Effect::Install);
        }
        for (id, rel) in &truth.relations {
            let Some(end) = rel.end_of(&self.app) else {
                continue;
            };
            if rel.dying || self.relations.get(id).is_some_and(|l| l.created) {
                continue;
            }
            let remote_app = rel.remote_app(&self.app).to_owned();
            self.relations.entry(*id).or_insert_with(|| RelationLocal {
                endpoint: end.endpoint.clone(),
                remote_app: remote_app.clone(),
                ..RelationLocal::default()
            });
            let hook = Hook::relation(&end.endpoint, *id, "relation-created", &remote_app, None);
            return due(hook, Effect::Created(*id));
        }
        let leader = app.leader.as_deref() == Some(self.unit.as_str());
        if leader && self.leader_seen != Some(true) {
            return due(
                Hook::plain("leader-elected"),
                Effect::Leader {
                    leader: true,
                    version: app.leader_settings_version,
                },
            );
        }
        if !leader
            && (self.leader_seen != Some(false)
                || self.leader_settings_seen != app.leader_settings_version)
        {
            return due(
                Hook::plain("leader-settings-changed"),
                Effect::Leader {
                    leader: false,
                    version: app.leader_settings_version,
                },
            );
        }
        if self.started
            && let Some(hook) = self.sim.next_workload_hook()
        {
            return due(hook, Effect::Workload);
        }
        if let Some(d) = self.secret_hook(truth, registry, leader) {
            return Some(d);
        }
        if let Some(hook) = self.queued.front() {
            return due(hook.clone(), Effect::Queued);
        }
        if self.config_seen != app.config_version {
            return due(
                Hook::plain("config-changed"),
                Effect::Config(app.config_version),
            );
        }
        if !self.started {
            return due(Hook::plain("start"), Effect::Start);
        }
        for id in self.relations.keys().copied().collect::<Vec<_>>() {
            if let Some(d) = self.relation_hook(id, truth) {
                return Some(d);
            }
        }
        if self.update_status {
            return due(Hook::plain("update-status"), Effect::UpdateStatus);
        }
        None
    }

    /// secret-changed for a secret it tracks with a newer revision (not its own to manage),
    /// or secret-remove for an obsolete revision of one it manages.
    fn secret_hook(&self, truth: &Truth, registry: &Registry, leader: bool) -> Option<Due> {
        for (xid, (tracked, label)) in &self.tracked {
            let Some(record) = registry.records.get(xid) else {
                continue;
            };
            if record.managed_by(&self.unit, &self.app, leader)
                || !registry.readable(record, &self.unit, &self.app, truth)
            {
                continue;
            }
            let latest = record.latest();
            let told = self.secrets_told.get(xid).copied().unwrap_or(0);
            if latest > *tracked && latest > told {
                return Some(Due {
                    hook: Hook::secret("changed", &record.secret.id, label.as_deref(), None),
                    effect: Effect::SecretChanged {
                        xid: xid.clone(),
                        revision: latest,
                    },
                });
            }
        }
        for (xid, record) in &registry.records {
            if !record.managed_by(&self.unit, &self.app, leader) {
                continue;
            }
            if let Some(revision) = record.obsolete().first().copied() {
                return Some(Due {
                    hook: Hook::secret(
                        "remove",
                        &record.secret.id,
                        record.secret.label.as_deref(),
                        Some(revision),
                    ),
                    effect: Effect::SecretObsolete {
                        xid: xid.clone(),
                        revision,
                    },
                });
            }
        }
        None
    }

    /// The next hook of relation `id`, as Juju's relation resolver picks it.
    fn relation_hook(&mut self, id: u64, truth: &Truth) -> Option<Due> {
        let local = self.relations.get(&id)?;
        if !local.created {
            return None;
        }
        let rel = truth.relations.get(&id);
        let broken = self.dying || rel.is_none_or(|r| r.dying);
        let peer = rel.is_some_and(|r| r.is_peer());
        let (members, apps): (BTreeMap<String, u64>, BTreeMap<String, u64>) = match rel {
            Some(r) if !broken => {
                let remote = r.remote_app(&self.app);
                let apps = r
                    .app_settings
                    .get(remote)
                    .filter(|s| s.version > 0)
                    .map(|s| (remote.to_owned(), s.version))
                    .into_iter()
                    .collect();
                (r.members_for(&self.unit, &self.app), apps)
            }
            _ => (BTreeMap::new(), BTreeMap::new()),
        };
        let ep = local.endpoint.clone();
        let remote_app = local.remote_app.clone();
        let due = |hook: Hook, effect: Effect| Some(Due { hook, effect });
        if let Some(u) = &local.changed_pending {
            let version = members
                .get(u)
                .or_else(|| local.members.get(u))
                .copied()
                .unwrap_or(0);
            let hook = Hook::relation(&ep, id, "relation-changed", app_of(u), Some(u));
            return due(
                hook,
                Effect::Changed {
                    relation: id,
                    unit: u.clone(),
                    version,
                },
            );
        }
        if let Some(u) = local.members.keys().find(|u| !members.contains_key(*u)) {
            let departing = if self.dying { &self.unit } else { u };
            let hook = Hook::departing(&ep, id, app_of(u), u, departing);
            return due(
                hook,
                Effect::Departed {
                    relation: id,
                    unit: u.clone(),
                },
            );
        }
        if broken {
            if peer || rel.is_none() && local.remote_app == self.app {
                // Juju runs no relation-broken for a peer relation: it ends with the unit.
                self.relations.remove(&id);
                return None;
            }
            let shown = if rel.is_some_and(|r| r.app_removed) {
                ""
            } else {
                remote_app.as_str()
            };
            return due(
                Hook::relation(&ep, id, "relation-broken", shown, None),
                Effect::Broken(id),
            );
        }
        for (a, v) in &apps {
            if local.app_versions.get(a) != Some(v) {
                return due(
                    Hook::relation(&ep, id, "relation-changed", a, None),
                    Effect::AppChanged {
                        relation: id,
                        app: a.clone(),
                        version: *v,
                    },
                );
            }
        }
        if let Some((u, v)) = members
            .iter()
            .find(|(u, _)| !local.members.contains_key(*u))
        {
            return due(
                Hook::relation(&ep, id, "relation-joined", app_of(u), Some(u)),
                Effect::Joined {
                    relation: id,
                    unit: u.clone(),
                    version: *v,
                },
            );
        }
        if let Some((u, v)) = members
            .iter()
            .find(|(u, v)| local.members.get(*u) != Some(*v))
        {
            return due(
                Hook::relation(&ep, id, "relation-changed", app_of(u), Some(u)),
                Effect::Changed {
                    relation: id,
                    unit: u.clone(),
                    version: *v,
                },
            );
        }
        None
    }

    /// What happens at the controller before the hook runs: a unit about to run
    /// relation-created has its databag with its addresses (Juju writes them as it enters
    /// the scope).
    pub fn prepare(&self, effect: &Effect, truth: &mut Truth, address: &str) {
        if let Effect::Created(id) = effect
            && let Some(rel) = truth.relations.get_mut(id)
        {
            rel.unit_settings
                .entry(self.unit.clone())
                .or_insert_with(|| super::truth::Settings {
                    data: initial_unit_settings(address),
                    version: 1,
                });
        }
    }

    /// Records that the hook of `effect` ran (succeeded, or failed every retry and was left
    /// behind as `juju resolved --no-retry` would).
    pub fn commit(&mut self, effect: &Effect, truth: &mut Truth, registry: &mut Registry) {
        match effect {
            Effect::Install => self.installed = true,
            Effect::Start => {
                self.started = true;
                self.sim.watcher.active = true;
            }
            Effect::Stop => {
                self.stopped = true;
                self.sim.watcher.active = false;
            }
            Effect::Remove => self.removed = true,
            Effect::Leader { leader, version } => {
                self.leader_seen = Some(*leader);
                self.leader_settings_seen = *version;
            }
            Effect::Config(v) => self.config_seen = *v,
            Effect::Created(id) => {
                if let Some(l) = self.relations.get_mut(id) {
                    l.created = true;
                }
                if let Some(rel) = truth.relations.get_mut(id)
                    && !self.dying
                {
                    rel.scope.insert(self.unit.clone());
                }
            }
            Effect::Joined {
                relation,
                unit,
                version,
            } => {
                if let Some(l) = self.relations.get_mut(relation) {
                    l.members.insert(unit.clone(), *version);
                    l.departed.remove(unit);
                    l.changed_pending = Some(unit.clone());
                }
            }
            Effect::Changed {
                relation,
                unit,
                version,
            } => {
                if let Some(l) = self.relations.get_mut(relation) {
                    l.members.insert(unit.clone(), *version);
                    if l.changed_pending.as_deref() == Some(unit.as_str()) {
                        l.changed_pending = None;
                    }
                }
            }
            Effect::AppChanged {
                relation,
                app,
                version,
            } => {
                if let Some(l) = self.relations.get_mut(relation) {
                    l.app_versions.insert(app.clone(), *version);
                }
            }
            Effect::Departed { relation, unit } => {
                let data = truth
                    .relations
                    .get(relation)
                    .and_then(|r| r.unit_settings.get(unit))
                    .map(|s| s.data.clone())
                    .unwrap_or_default();
                if let Some(l) = self.relations.get_mut(relation) {
                    l.members.remove(unit);
                    l.departed.insert(unit.clone(), data);
                    if l.changed_pending.as_deref() == Some(unit.as_str()) {
                        l.changed_pending = None;
                    }
                }
            }
            Effect::Broken(id) => {
                self.relations.remove(id);
                if let Some(rel) = truth.relations.get_mut(id) {
                    rel.scope.remove(&self.unit);
                }
            }
            Effect::SecretChanged { xid, revision } => {
                self.secrets_told.insert(xid.clone(), *revision);
            }
            Effect::SecretObsolete { xid, revision } => {
                if let Some(r) = registry.records.get_mut(xid) {
                    r.obsolete_told.insert(*revision);
                }
            }
            Effect::Queued => {
                self.queued.pop_front();
            }
            Effect::UpdateStatus => self.update_status = false,
            Effect::Workload => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::os::unix::fs::PermissionsExt;

    use ops::metadata::CharmMeta;
    use ops::status::Status;
    use ops::testing::juju::JujuState;

    use super::*;
    use crate::controller::truth::{AppState, End, RelationState, Role, Settings};
    use crate::runner::Options;
    use crate::trace::{Format, LogLevel, Trace};
    use crate::workdir::{CharmSource, WorkDir};

    /// An agent of `web/0` (a charm with no containers; its hooks never run here), and the
    /// model: `web` (units web/0, web/1; web/0 leads) and `db`, relation 1 between them
    /// with db/0 in scope, peer relation 2 of `web`.
    fn setup(dir: &std::path::Path) -> (Agent, Truth) {
        let charm = dir.join("charm");
        std::fs::create_dir_all(&charm).unwrap();
        std::fs::write(charm.join("metadata.yaml"), "name: web\n").unwrap();
        let dispatch = charm.join("dispatch");
        std::fs::write(&dispatch, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&dispatch, std::fs::Permissions::from_mode(0o755)).unwrap();
        let options = Options {
            hook_tool: dispatch.clone(),
            ..Options::default()
        };
        let trace = Trace::new(Box::new(std::io::sink()), Format::Text, LogLevel::Error);
        let sim = Sim::create(
            &CharmSource {
                dir: charm,
                dispatch: None,
            },
            WorkDir::new(dir.join("work")),
            &JujuState::new("web/0"),
            options,
            trace,
        )
        .unwrap();
        let mut truth = Truth::default();
        let app = |name: &str, units: &[&str]| AppState {
            spec: crate::scenario::AppSpec::default(),
            meta: CharmMeta::from_charmcraft_yaml(&format!("name: {name}\n")).unwrap(),
            index: 1,
            deployed: true,
            units: units.iter().map(|u| (*u).to_owned()).collect(),
            next_unit: 2,
            leader: Some(units[0].to_owned()),
            config: Default::default(),
            config_version: 1,
            leader_settings_version: 1,
            status: Status::Unknown(String::new()),
            dying: false,
        };
        truth
            .apps
            .insert("web".into(), app("web", &["web/0", "web/1"]));
        truth.apps.insert("db".into(), app("db", &["db/0"]));
        let end = |app: &str, endpoint: &str, role| End {
            app: app.into(),
            endpoint: endpoint.into(),
            interface: "i".into(),
            role,
        };
        let settings = |v: u64| Settings {
            data: Default::default(),
            version: v,
        };
        truth.relations.insert(
            1,
            RelationState {
                id: 1,
                ends: vec![
                    end("web", "db", Role::Requirer),
                    end("db", "client", Role::Provider),
                ],
                unit_settings: [("db/0".to_owned(), settings(1))].into(),
                app_settings: BTreeMap::new(),
                scope: ["db/0".to_owned()].into(),
                dying: false,
                app_removed: false,
            },
        );
        truth.relations.insert(
            2,
            RelationState {
                id: 2,
                ends: vec![end("web", "peers", Role::Peer)],
                unit_settings: [("web/1".to_owned(), settings(1))].into(),
                app_settings: BTreeMap::new(),
                scope: ["web/1".to_owned()].into(),
                dying: false,
                app_removed: false,
            },
        );
        truth.last_relation_id = 2;
        (Agent::new("web/0", sim), truth)
    }

    /// Runs the agent until quiet (committing each hook as if it ran), returning the hooks.
    fn drain(agent: &mut Agent, truth: &mut Truth) -> Vec<String> {
        let mut registry = Registry::default();
        let mut out = Vec::new();
        while let Some(d) = agent.next(truth, &registry) {
            let ctx = d.hook.summary();
            out.push(format!("{} {ctx}", d.hook.name).trim_end().to_owned());
            agent.commit(&d.effect, truth, &mut registry);
            assert!(out.len() < 100, "{out:?}");
        }
        out
    }

    #[test]
    fn a_new_unit_starts_in_juju_order() {
        let dir = tempfile::tempdir().unwrap();
        let (mut agent, mut truth) = setup(dir.path());
        assert_eq!(
            drain(&mut agent, &mut truth),
            [
                "install",
                "db-relation-created relation=db:1",
                "peers-relation-created relation=peers:2",
                "leader-elected",
                "config-changed",
                "start",
                "db-relation-joined relation=db:1 unit=db/0",
                "db-relation-changed relation=db:1 unit=db/0",
                "peers-relation-joined relation=peers:2 unit=web/1",
                "peers-relation-changed relation=peers:2 unit=web/1",
            ]
        );
        // It entered both scopes.
        assert!(truth.relations[&1].scope.contains("web/0"));
        assert!(truth.relations[&2].scope.contains("web/0"));
    }

    #[test]
    fn changes_come_as_juju_orders_them() {
        let dir = tempfile::tempdir().unwrap();
        let (mut agent, mut truth) = setup(dir.path());
        drain(&mut agent, &mut truth);
        let db = truth.relations.get_mut(&1).unwrap();
        // The remote app's databag (first written), a member's change, a new member, one
        // gone: departed first, then the app, then joined (and its changed), then changed.
        db.app_settings.insert(
            "db".into(),
            Settings {
                data: Default::default(),
                version: 1,
            },
        );
        db.unit_settings.get_mut("db/0").unwrap().version = 2;
        db.unit_settings.insert("db/1".into(), Settings::default());
        db.scope.insert("db/1".into());
        let peers = truth.relations.get_mut(&2).unwrap();
        peers.scope.remove("web/1");
        assert_eq!(
            drain(&mut agent, &mut truth),
            [
                "db-relation-changed relation=db:1",
                "db-relation-joined relation=db:1 unit=db/1",
                "db-relation-changed relation=db:1 unit=db/1",
                "db-relation-changed relation=db:1 unit=db/0",
                "peers-relation-departed relation=peers:2 unit=web/1 departing=web/1",
            ]
        );
        // Settings at the version already seen: nothing more.
        assert!(drain(&mut agent, &mut truth).is_empty());
    }

    #[test]
    fn leadership_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let (mut agent, mut truth) = setup(dir.path());
        drain(&mut agent, &mut truth);
        let web = truth.apps.get_mut("web").unwrap();
        web.leader = Some("web/1".into());
        web.leader_settings_version += 1;
        web.config_version += 1;
        agent.update_status = true;
        assert_eq!(
            drain(&mut agent, &mut truth),
            ["leader-settings-changed", "config-changed", "update-status"]
        );
    }

    #[test]
    fn a_dying_unit_departs_breaks_and_goes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut agent, mut truth) = setup(dir.path());
        drain(&mut agent, &mut truth);
        agent.dying = true;
        assert_eq!(
            drain(&mut agent, &mut truth),
            [
                "db-relation-departed relation=db:1 unit=db/0 departing=web/0",
                "db-relation-broken relation=db:1",
                "peers-relation-departed relation=peers:2 unit=web/1 departing=web/0",
                "stop",
                "remove",
            ]
        );
        assert!(agent.removed && agent.relations.is_empty());
        let scopes: BTreeSet<&String> = truth.relations[&1].scope.iter().collect();
        assert!(!scopes.contains(&"web/0".to_owned()));
    }

    #[test]
    fn a_removed_relation_departs_then_breaks_without_the_removed_app() {
        let dir = tempfile::tempdir().unwrap();
        let (mut agent, mut truth) = setup(dir.path());
        drain(&mut agent, &mut truth);
        let db = truth.relations.get_mut(&1).unwrap();
        db.dying = true;
        db.app_removed = true;
        let hooks = drain(&mut agent, &mut truth);
        assert_eq!(
            hooks,
            [
                "db-relation-departed relation=db:1 unit=db/0 departing=db/0",
                "db-relation-broken relation=db:1",
            ]
        );
    }
}
