//! Checks that a state, an event and the charm's metadata fit together before a run, so a
//! test fails with what is wrong instead of with a charm error it did not mean to test.

use crate::event::EventKind;
use crate::metadata::{CharmMeta, RelationScope};
use crate::model::ModelType;
use crate::testing::error::RunError;
use crate::testing::event::TestEvent;
use crate::testing::juju::SecretOwnership;
use crate::testing::state::State;

/// Returns the first inconsistency found, if any.
pub(crate) fn check(meta: &CharmMeta, state: &State, event: &TestEvent) -> Result<(), RunError> {
    let bad = |s: String| Err(RunError::inconsistent(s));
    for (key, value) in &state.juju.config.values {
        match meta.config.options.get(key) {
            None => {
                return bad(format!(
                    "config option {key:?} is set in the state but not declared in the \
                     charm's config options; declare it or remove it from the state"
                ));
            }
            Some(opt) if !value.is_null() && !opt.kind.accepts(value) => {
                return bad(format!(
                    "config option {key:?} is declared as {} but the state sets {value}",
                    opt.kind.as_str()
                ));
            }
            Some(_) => {}
        }
    }
    for r in &state.juju.relations {
        if meta.relation(&r.endpoint).is_none() {
            return bad(format!(
                "relation {} uses endpoint {:?}, which the charm's metadata does not declare",
                r.id, r.endpoint
            ));
        }
        if state.juju.relations.iter().filter(|o| o.id == r.id).count() > 1 {
            return bad(format!("relation id {} is used twice in the state", r.id));
        }
    }
    check_subordinates(meta, state)?;
    check_model(meta, state)?;
    for name in state.containers.keys() {
        if !meta.containers.contains_key(name) {
            return bad(format!(
                "container {name:?} is in the state but not in the charm's metadata"
            ));
        }
    }
    for name in state.juju.storage.keys() {
        if !meta.storage.contains_key(name) {
            return bad(format!(
                "storage {name:?} is in the state but not in the charm's metadata"
            ));
        }
    }
    check_event(meta, state, event)
}

/// Container-scoped relations are [`SubordinateRelation`]s and only those; each links one
/// remote unit; a principal unit belongs to a subordinate charm.
///
/// [`SubordinateRelation`]: crate::testing::juju::SubordinateRelation
fn check_subordinates(meta: &CharmMeta, state: &State) -> Result<(), RunError> {
    let bad = |s: String| Err(RunError::inconsistent(s));
    for r in &state.juju.relations {
        let Some(endpoint) = meta.relation(&r.endpoint) else {
            continue;
        };
        let container = endpoint.scope == RelationScope::Container;
        if container && !r.subordinate {
            return bad(format!(
                "endpoint {:?} is container-scoped (scope: container), so relation {} must be \
                 a SubordinateRelation, with the one unit on this machine",
                r.endpoint, r.id
            ));
        }
        if r.subordinate && !container {
            return bad(format!(
                "relation {} is a SubordinateRelation, but endpoint {:?} is not \
                 container-scoped; declare it with scope: container or use RelationState::new",
                r.id, r.endpoint
            ));
        }
        if r.subordinate && r.remote_units.len() > 1 {
            return bad(format!(
                "subordinate relation {} links {} remote units; a container-scoped relation \
                 links at most one (the unit on the same machine)",
                r.id,
                r.remote_units.len()
            ));
        }
    }
    if let Some(principal) = &state.juju.principal_unit {
        if !meta.subordinate {
            return bad(format!(
                "the state names principal unit {principal:?}, but the charm is not a \
                 subordinate (subordinate: true in its metadata)"
            ));
        }
        let related = state
            .juju
            .relations
            .iter()
            .filter(|r| r.subordinate)
            .any(|r| r.remote_units.contains_key(principal));
        let any_sub = state.juju.relations.iter().any(|r| r.subordinate);
        if any_sub && !related {
            return bad(format!(
                "principal unit {principal:?} is not the remote unit of any subordinate \
                 relation in the state"
            ));
        }
    }
    Ok(())
}

/// Model details that Juju never combines: a machine on Kubernetes, containers on machines.
fn check_model(meta: &CharmMeta, state: &State) -> Result<(), RunError> {
    let bad = |s: String| Err(RunError::inconsistent(s));
    let k8s = state.juju.model.model_type == ModelType::Kubernetes;
    if let (true, Some(machine)) = (k8s, &state.juju.machine_id) {
        return bad(format!(
            "the state sets machine id {machine:?} in a Kubernetes model; Juju exports \
             JUJU_MACHINE_ID only on machines (State::model_type(ModelType::Machine))"
        ));
    }
    if !k8s && !meta.containers.is_empty() {
        return bad(
            "the charm declares containers (a sidecar charm), which Juju deploys only on \
             Kubernetes, but the state's model is a machine model"
                .to_owned(),
        );
    }
    Ok(())
}

fn check_event(meta: &CharmMeta, state: &State, ev: &TestEvent) -> Result<(), RunError> {
    let bad = |s: String| Err(RunError::inconsistent(s));
    if let Some(r) = &ev.relation {
        let Some(rel) = state.juju.relation_by_id(r.id) else {
            return bad(format!(
                "the event {} is for relation {}, which is not in the state; add it with \
                 State::relation",
                ev.kind, r.id
            ));
        };
        if rel.endpoint != r.endpoint {
            return bad(format!(
                "the event is for {}:{}, but relation {} in the state is on endpoint {:?}",
                r.endpoint, r.id, r.id, rel.endpoint
            ));
        }
        if let Some(u) = &ev.remote_unit {
            if !rel.remote_units.contains_key(u) && !rel.departed_units.contains_key(u) {
                return bad(format!(
                    "the event's remote unit {u:?} is not a unit of relation {} in the state",
                    r.id
                ));
            }
        }
    }
    if let Some(id) = &ev.secret_id {
        let Some(secret) = state.juju.secret_by_id(id) else {
            return bad(format!(
                "the event {} is for secret {id:?}, which is not in the state; add it with \
                 State::secret",
                ev.kind
            ));
        };
        let owner_only = matches!(
            ev.kind,
            EventKind::SecretRotate | EventKind::SecretExpired | EventKind::SecretRemove
        );
        if owner_only && secret.owner == SecretOwnership::Consumer {
            return bad(format!(
                "Juju sends {} only to a secret's owner, but the state says this unit \
                 consumes {id:?}",
                ev.kind
            ));
        }
        if ev.kind == EventKind::SecretChanged && secret.owner != SecretOwnership::Consumer {
            return bad(format!(
                "Juju sends secret-changed only to observers, but this unit owns {id:?}"
            ));
        }
        if let Some(rev) = ev.secret_revision {
            if secret.revision(rev).is_none() {
                return bad(format!("secret {id:?} has no revision {rev} in the state"));
            }
        }
    }
    if let Some((name, index)) = &ev.storage {
        if !meta.storage.contains_key(name) {
            return bad(format!("storage {name:?} is not in the charm's metadata"));
        }
        let attached = state
            .juju
            .storage
            .get(name)
            .is_some_and(|v| v.iter().any(|s| s.index == *index));
        if !attached {
            return bad(format!(
                "storage {name}/{index} is not in the state; add it with State::storage"
            ));
        }
    }
    if let EventKind::Action(name) = &ev.kind {
        let Some(action) = meta.actions.get(name) else {
            return bad(format!("action {name:?} is not in the charm's actions"));
        };
        let mut params = match &ev.action_params {
            Some(serde_json::Value::Object(m)) => m.clone(),
            None => serde_json::Map::new(),
            Some(other) => return bad(format!("action params must be an object, not {other}")),
        };
        if let Err(p) = action.validate_params(&mut params) {
            return bad(format!("action {name:?}: {p}"));
        }
    }
    if let Some(c) = &ev.container {
        if !meta.containers.contains_key(c) {
            return bad(format!("container {c:?} is not in the charm's metadata"));
        }
        let Some(container) = state.containers.get(c) else {
            return bad(format!(
                "the event {} is for container {c:?}, which is not in the state; add it \
                 with State::container",
                ev.kind
            ));
        };
        if let Some(key) = &ev.notice_key {
            if !container.notices.iter().any(|n| &n.key == key) {
                return bad(format!(
                    "the custom notice {key:?} is not in container {c:?}; add it with \
                     ContainerState::notice"
                ));
            }
            if !container.can_connect {
                return bad(format!(
                    "container {c:?} cannot connect, so Pebble cannot have sent notice {key:?}"
                ));
            }
        }
        if let Some(check) = &ev.check {
            let declared = container
                .layers
                .iter()
                .any(|(_, l)| l.checks.contains_key(check));
            if !declared {
                return bad(format!(
                    "check {check:?} is not in any layer of container {c:?}"
                ));
            }
        }
    }
    if ev.kind == EventKind::LeaderElected && !state.juju.leader {
        return bad("leader-elected goes to the new leader: set State::leader(true)".to_owned());
    }
    Ok(())
}
