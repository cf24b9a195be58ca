//! A unit's view of the model: written into its state file before each of its hooks (what
//! its hook tools answer), and read back after a hook that succeeded (what it changed).
//!
//! Before a hook ([`apply`]): leadership, config, the relations it knows (the members it
//! was told of with their current databags, departed members' last databags, the remote
//! application's databag, its own and its application's), its application's status and its
//! fellow units' statuses, every charm secret of the model as it may see it (its own to
//! manage, granted to read, or there but `permission denied`), its network bindings
//! (`10.1.<app>.<10 + unit>` on every endpoint) and its goal state. What is the unit's own
//! (statuses it set, ports, stored state, logs) is left alone.
//!
//! After a hook ([`collect`]): its unit databags, its application databags (the leader's),
//! its statuses, and its secrets ([`Registry::collect`]).

use std::collections::BTreeMap;

use ops::testing::juju::{Goal, JujuState, Network, RelationState, SecretOwnership, SecretState};

use super::agent::{Agent, Effect};
use super::secrets::Registry;
use super::truth::{AppState, Truth};
use crate::error::Result;

/// Writes `agent`'s view into its state file, for the hook of `effect` (`None`: between
/// hooks, for expectations).
pub fn apply(
    truth: &Truth,
    registry: &Registry,
    agent: &Agent,
    effect: Option<&Effect>,
) -> Result<()> {
    let Some(app) = truth.apps.get(&agent.app) else {
        return Ok(());
    };
    agent
        .sim
        .update_model(|st| write(truth, registry, agent, app, effect, st))
}

fn write(
    truth: &Truth,
    registry: &Registry,
    agent: &Agent,
    app: &AppState,
    effect: Option<&Effect>,
    st: &mut JujuState,
) {
    let unit = agent.unit.as_str();
    st.leader = app.leader.as_deref() == Some(unit);
    st.leadership_lost_after = None;
    st.config.values = app.config.clone().into_iter().collect();
    st.app_status = app.status.clone();
    st.other_unit_statuses = app
        .units
        .iter()
        .filter(|u| u.as_str() != unit)
        .filter_map(|u| truth.unit_statuses.get(u).map(|s| (u.clone(), s.clone())))
        .collect();
    st.relations = relations(truth, agent, effect);
    st.secrets = secrets(truth, registry, agent, &st.secrets);
    let address = app.address(unit);
    st.networks = super::truth::endpoints(&app.meta)
        .into_iter()
        .map(|(name, _, _)| name)
        .chain(app.meta.extra_bindings.iter().cloned())
        .map(|name| (name, Network::with_address(&address)))
        .collect();
    let goal = |status: &str| Goal::new(status, "");
    st.goal_state.units = app
        .units
        .iter()
        .map(|u| (u.clone(), goal("active")))
        .collect();
    let mut goal_relations: BTreeMap<String, BTreeMap<String, Goal>> = BTreeMap::new();
    for rel in truth.relations.values().filter(|r| !r.dying) {
        let Some(end) = rel.end_of(&agent.app) else {
            continue;
        };
        let remote = rel.remote_app(&agent.app);
        let entry = goal_relations.entry(end.endpoint.clone()).or_default();
        entry.insert(remote.to_owned(), goal("joined"));
        for u in truth
            .apps
            .get(remote)
            .map(|a| a.units.as_slice())
            .unwrap_or(&[])
        {
            if u != unit {
                entry.insert(u.clone(), goal("active"));
            }
        }
    }
    st.goal_state.relations = goal_relations;
}

/// The relations `agent` knows, as its hook tools see them.
fn relations(truth: &Truth, agent: &Agent, effect: Option<&Effect>) -> Vec<RelationState> {
    let mut out = Vec::new();
    for (id, local) in &agent.relations {
        let Some(rel) = truth.relations.get(id) else {
            continue;
        };
        let Some(end) = rel.end_of(&agent.app) else {
            continue;
        };
        let remote = rel.remote_app(&agent.app);
        let mut r = if rel.is_peer() {
            RelationState::peer(*id, &end.endpoint, &agent.app)
        } else {
            RelationState::new(*id, &end.endpoint, remote)
        }
        .interface(&end.interface);
        let data = |u: &str| {
            rel.unit_settings
                .get(u)
                .map(|s| s.data.clone())
                .unwrap_or_default()
        };
        r.remote_units = local.members.keys().map(|u| (u.clone(), data(u))).collect();
        r.departed_units = local.departed.clone();
        r.remote_app_data = rel
            .app_settings
            .get(remote)
            .map(|s| s.data.clone())
            .unwrap_or_default();
        r.local_unit_data = data(&agent.unit);
        r.local_app_data = rel
            .app_settings
            .get(&agent.app)
            .map(|s| s.data.clone())
            .unwrap_or_default();
        match effect {
            Some(Effect::Departed { relation, unit }) if relation == id => {
                if let Some(bag) = r.remote_units.remove(unit) {
                    r.departed_units.insert(unit.clone(), bag);
                }
            }
            Some(Effect::Broken(relation)) if relation == id => {
                r.broken = true;
                r.remote_units.clear();
            }
            _ => {}
        }
        out.push(r);
    }
    out
}

/// Every charm secret of the model as `agent` may see it; `before` is its view so far (for
/// the revision it tracks and the label it gave a secret it consumes).
fn secrets(
    truth: &Truth,
    registry: &Registry,
    agent: &Agent,
    before: &[SecretState],
) -> Vec<SecretState> {
    registry
        .records
        .iter()
        .map(|(xid, record)| {
            let old = before.iter().find(|s| s.xid() == xid);
            let tracked = old.and_then(|s| s.tracked);
            if record.owned_by(&agent.unit, &agent.app) {
                SecretState {
                    owner: if record.owner_unit.is_some() {
                        SecretOwnership::Unit
                    } else {
                        SecretOwnership::Application
                    },
                    tracked,
                    denied: false,
                    ..record.secret.clone()
                }
            } else {
                let mut s = SecretState::new(
                    &record.secret.id,
                    SecretOwnership::Consumer,
                    std::iter::empty::<(String, String)>(),
                );
                s.revisions = record.secret.revisions.clone();
                s.label = old
                    .filter(|o| o.owner == SecretOwnership::Consumer)
                    .and_then(|o| o.label.clone());
                s.tracked = tracked;
                s.denied = !registry.readable(record, &agent.unit, &agent.app, truth);
                s
            }
        })
        .collect()
}

/// Takes what `agent`'s hook changed (it succeeded): databags, statuses, secrets.
pub fn collect(truth: &mut Truth, registry: &mut Registry, agent: &mut Agent) -> Result<()> {
    let st = agent.sim.model()?;
    let leader = truth
        .apps
        .get(&agent.app)
        .is_some_and(|a| a.leader.as_deref() == Some(agent.unit.as_str()));
    for r in st.relations.iter().filter(|r| !r.broken) {
        let Some(rel) = truth.relations.get_mut(&r.id) else {
            continue;
        };
        rel.unit_settings
            .entry(agent.unit.clone())
            .or_default()
            .set(&r.local_unit_data);
        if leader {
            rel.app_settings
                .entry(agent.app.clone())
                .or_default()
                .set(&r.local_app_data);
        }
    }
    truth
        .unit_statuses
        .insert(agent.unit.clone(), st.unit_status.clone());
    if leader && let Some(app) = truth.apps.get_mut(&agent.app) {
        app.status = st.app_status.clone();
    }
    registry.collect(&agent.unit, &agent.app, leader, &st.secrets);
    agent.tracked = st
        .secrets
        .iter()
        .filter(|s| !s.denied)
        .filter_map(|s| {
            s.tracked
                .map(|t| (s.xid().to_owned(), (t, s.label.clone())))
        })
        .collect();
    Ok(())
}
