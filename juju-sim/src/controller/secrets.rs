//! Charm secrets across applications, as Juju's controller keeps them.
//!
//! A secret belongs to an application (managed by its leader, readable by all its units) or
//! to one unit. Its owner grants it over a relation (`secret-grant -r <id> [--unit u]`) to
//! the application on the other side (or to one unit of it). What the owner does in a hook
//! reaches the registry when the hook succeeds; every unit's view is rebuilt from it before
//! each of its hooks ([`super::view`]). The rules follow Juju's secrets facade
//! (`apiserver/facades/agent/secretsmanager`, `getSecretContent` and `canRead`) and the
//! uniter's secrets resolver:
//!
//! - a unit with access reads the revision it tracks (pinned at its first read; `--refresh`
//!   moves it to the latest);
//! - a unit without access to a secret that exists (never granted, or revoked, or its
//!   relation removed) gets the facade's `ErrPerm`, which the hook tool
//!   (`internal/worker/uniter/runner/jujuc/secret-get.go`) prints as
//!   `ERROR permission denied`; a secret removed by its owner is `not found`;
//! - a new revision runs `secret-changed` on every unit that tracks an older one (consumers,
//!   and the other units of an owning application), once per revision;
//! - a revision that is not the latest and that no consumer tracks any more is obsolete: the
//!   owner (the leader, for an application's secret) runs `secret-remove` for it, once.

use std::collections::{BTreeMap, BTreeSet};

use ops::testing::juju::{SecretOwnership, SecretState};

use super::truth::Truth;

/// One secret as the controller holds it.
#[derive(Debug, Clone)]
pub struct Record {
    /// The owning application (of the owning unit, for a unit's secret).
    pub owner_app: String,
    /// The owning unit, for a unit's secret.
    pub owner_unit: Option<String>,
    /// The secret as its owner sees it: label, metadata, revisions, grants (no tracked
    /// revision: that is each unit's own).
    pub secret: SecretState,
    /// The revision each unit outside the owners tracks.
    pub tracked_by: BTreeMap<String, u32>,
    /// Obsolete revisions the owner was told about (`secret-remove`).
    pub obsolete_told: BTreeSet<u32>,
}

impl Record {
    /// The newest revision.
    pub fn latest(&self) -> u32 {
        self.secret.latest().map_or(0, |r| r.revision)
    }

    /// Whether `unit` (of `app`) owns it: the owning unit, or any unit of the owning
    /// application.
    pub fn owned_by(&self, unit: &str, app: &str) -> bool {
        match &self.owner_unit {
            Some(u) => u == unit,
            None => self.owner_app == app,
        }
    }

    /// Whether `unit` manages it: the owning unit, or the leader of the owning application.
    pub fn managed_by(&self, unit: &str, app: &str, leader: bool) -> bool {
        match &self.owner_unit {
            Some(u) => u == unit,
            None => self.owner_app == app && leader,
        }
    }

    /// Revisions older than the latest that no unit outside the owners tracks, and that the
    /// owner was not told about yet.
    pub fn obsolete(&self) -> Vec<u32> {
        let latest = self.latest();
        self.secret
            .revisions
            .iter()
            .map(|r| r.revision)
            .filter(|r| *r < latest && !self.obsolete_told.contains(r))
            .filter(|r| !self.tracked_by.values().any(|t| t == r))
            .collect()
    }
}

/// Every charm secret of the model, by xid.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// The secrets.
    pub records: BTreeMap<String, Record>,
}

impl Registry {
    /// Whether `unit` (of `app`) may read `record`: it owns it, or a grant over a live
    /// relation reaches its application (or the unit itself).
    pub fn readable(&self, record: &Record, unit: &str, app: &str, truth: &Truth) -> bool {
        if record.owned_by(unit, app) {
            return true;
        }
        record.secret.grants.iter().any(|g| {
            let over_live_relation = truth.relations.get(&g.relation_id).is_some_and(|r| {
                !r.dying && r.end_of(app).is_some() && r.remote_app(&record.owner_app) == app
            });
            over_live_relation && g.unit.as_deref().is_none_or(|u| u == unit)
        })
    }

    /// Takes what `unit` (of `app`; `leader` or not) did to secrets in a hook that
    /// succeeded: the secrets it manages as they now are (added, updated, removed), and the
    /// revisions it tracks of the others.
    pub fn collect(&mut self, unit: &str, app: &str, leader: bool, secrets: &[SecretState]) {
        let mut managed = BTreeSet::new();
        for s in secrets {
            let xid = s.xid().to_owned();
            let manages = match s.owner {
                SecretOwnership::Unit => true,
                SecretOwnership::Application => leader,
                SecretOwnership::Consumer => false,
            };
            if manages {
                let owner_unit = (s.owner == SecretOwnership::Unit).then(|| unit.to_owned());
                let record = self.records.entry(xid.clone()).or_insert_with(|| Record {
                    owner_app: app.to_owned(),
                    owner_unit,
                    secret: s.clone(),
                    tracked_by: BTreeMap::new(),
                    obsolete_told: BTreeSet::new(),
                });
                record.secret = SecretState {
                    tracked: None,
                    denied: false,
                    ..s.clone()
                };
                managed.insert(xid);
            } else if s.owner == SecretOwnership::Consumer
                && let Some(record) = self.records.get_mut(&xid)
            {
                match s.tracked {
                    Some(t) if !s.denied => {
                        record.tracked_by.insert(unit.to_owned(), t);
                    }
                    _ => {
                        record.tracked_by.remove(unit);
                    }
                }
            }
        }
        // What it manages and no longer has, it removed.
        self.records
            .retain(|xid, r| !r.managed_by(unit, app, leader) || managed.contains(xid));
    }

    /// A unit is gone: its secrets with it, and what it tracked.
    pub fn forget_unit(&mut self, unit: &str) {
        self.records
            .retain(|_, r| r.owner_unit.as_deref() != Some(unit));
        for r in self.records.values_mut() {
            r.tracked_by.remove(unit);
        }
    }

    /// An application is gone: its secrets with it.
    pub fn forget_app(&mut self, app: &str) {
        self.records.retain(|_, r| r.owner_app != app);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::truth::{End, RelationState, Role};
    use ops::testing::juju::SecretGrant;

    const ID: &str = "secret:cr0ahn1dqe3k7mqmsc2g";

    fn truth() -> Truth {
        let end = |app: &str, role| End {
            app: app.into(),
            endpoint: "token".into(),
            interface: "t".into(),
            role,
        };
        let mut t = Truth::default();
        t.relations.insert(
            4,
            RelationState {
                id: 4,
                ends: vec![end("keeper", Role::Provider), end("reader", Role::Requirer)],
                unit_settings: BTreeMap::new(),
                app_settings: BTreeMap::new(),
                scope: BTreeSet::new(),
                dying: false,
                app_removed: false,
            },
        );
        t
    }

    fn owned(grants: Vec<SecretGrant>) -> SecretState {
        let mut s = SecretState::new(ID, SecretOwnership::Application, [("token", "a")]);
        s.grants = grants;
        s
    }

    #[test]
    fn grants_reach_the_other_side_only() {
        let t = truth();
        let mut reg = Registry::default();
        reg.collect("keeper/0", "keeper", true, &[owned(vec![])]);
        let r = &reg.records["cr0ahn1dqe3k7mqmsc2g"];
        assert!(reg.readable(r, "keeper/1", "keeper", &t), "its app's units");
        assert!(!reg.readable(r, "reader/0", "reader", &t), "not granted");
        let grant = SecretGrant {
            relation_id: 4,
            unit: None,
        };
        reg.collect("keeper/0", "keeper", true, &[owned(vec![grant])]);
        let r = &reg.records["cr0ahn1dqe3k7mqmsc2g"];
        assert!(reg.readable(r, "reader/1", "reader", &t));
        let one = SecretGrant {
            relation_id: 4,
            unit: Some("reader/0".into()),
        };
        reg.collect("keeper/0", "keeper", true, &[owned(vec![one])]);
        let r = &reg.records["cr0ahn1dqe3k7mqmsc2g"];
        assert!(reg.readable(r, "reader/0", "reader", &t));
        assert!(!reg.readable(r, "reader/1", "reader", &t));
        let mut dying = t.clone();
        dying.relations.get_mut(&4).unwrap().dying = true;
        assert!(!reg.readable(r, "reader/0", "reader", &dying));
    }

    #[test]
    fn only_managers_change_it_and_removal_is_seen() {
        let mut reg = Registry::default();
        reg.collect("keeper/0", "keeper", true, &[owned(vec![])]);
        // A non-leader's copy changes nothing, and its absence removes nothing.
        let mut other = owned(vec![]);
        other.push_revision([("token", "b")].into_iter().collect());
        reg.collect("keeper/1", "keeper", false, &[other]);
        reg.collect("keeper/1", "keeper", false, &[]);
        assert_eq!(reg.records["cr0ahn1dqe3k7mqmsc2g"].latest(), 1);
        // The leader removed it.
        reg.collect("keeper/0", "keeper", true, &[]);
        assert!(reg.records.is_empty());
    }

    #[test]
    fn obsolete_revisions_are_the_untracked_old_ones() {
        let mut reg = Registry::default();
        let mut s = owned(vec![]);
        reg.collect("keeper/0", "keeper", true, std::slice::from_ref(&s));
        let mut consumed = SecretState::new(ID, SecretOwnership::Consumer, [("token", "a")]);
        consumed.tracked = Some(1);
        reg.collect("reader/0", "reader", false, &[consumed.clone()]);
        s.push_revision([("token", "b")].into_iter().collect());
        reg.collect("keeper/0", "keeper", true, std::slice::from_ref(&s));
        let r = &reg.records["cr0ahn1dqe3k7mqmsc2g"];
        assert_eq!(r.latest(), 2);
        assert!(r.obsolete().is_empty(), "reader/0 still tracks 1");
        consumed.tracked = Some(2);
        reg.collect("reader/0", "reader", false, &[consumed]);
        assert_eq!(reg.records["cr0ahn1dqe3k7mqmsc2g"].obsolete(), [1]);
        reg.forget_app("keeper");
        assert!(reg.records.is_empty());
    }
}
