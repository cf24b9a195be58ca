//! [`State`]: everything a run starts from and ends with.
//!
//! The Juju side ([`JujuState`]: leadership, config, relations, secrets, statuses, ports,
//! storage, ...) plus what only the unit keeps: its containers, the charm's stored state, the
//! deferred queue, the event counter and the circuit breakers. An output `State` is a valid input to the next run.
//!
//! ```
//! use ops::testing::State;
//! use ops::testing::juju::{RelationState, SecretState, SecretOwnership};
//! use ops::status::Status;
//! #[derive(serde::Serialize)]
//! struct Stored { runs: u32 }
//! let state = State::new()
//!     .leader(true)
//!     .config("port", 8080)
//!     .relation(RelationState::new(1, "db", "pg").remote_app_data([("host", "10.0.0.7")]))
//!     .secret(SecretState::new("secret:abc", SecretOwnership::Consumer, [("password", "x")]))
//!     .unit_status(Status::maintenance("installing"))
//!     .stored(&Stored { runs: 2 })?;
//! assert_eq!(state.juju.relations[0].remote_app_data["host"], "10.0.0.7");
//! assert_eq!(state.stored_json(), Some(&serde_json::json!({"runs": 2})));
//! # Ok::<(), ops::testing::RunError>(())
//! ```

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::framework::Charm;
use crate::metadata::{CharmMeta, RelationRole, RelationScope, StorageType};
use crate::status::Status;
use crate::store::DeferredEntry;
use crate::testing::breaker::StoredBreaker;
use crate::testing::container::ContainerState;
use crate::testing::context::Context;
use crate::testing::error::RunError;
use crate::testing::juju::{
    Databag, JujuState, OpenedPort, RelationState, SecretState, StorageInstance,
    SubordinateRelation,
};
use crate::testing::pebble_fault::PebbleFault;

/// The state of one unit, before or after a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct State {
    /// What Juju knows: leadership, config, relations, secrets, statuses (with history),
    /// opened ports, storage, resources, networks, goal state. The unit is `<charm>/0`
    /// unless set (an empty unit name is filled in by the run).
    pub juju: JujuState,
    /// The workload containers, by name.
    pub containers: BTreeMap<String, ContainerState>,
    /// The charm's typed state (`Charm::Stored`) as JSON; `None`: never saved.
    pub stored: Option<Value>,
    /// The deferred queue, in queue order.
    pub deferred: Vec<DeferredEntry>,
    /// The last event id saved. A run that saves nothing (no deferral, no change to the
    /// stored state, a component's or a breaker's) leaves it as it was, and the next run
    /// gives out the same ids again, as a dispatch does ([Event ids](crate::event#event-ids)).
    pub event_counter: u64,
    /// The circuit breakers (see [`crate::resilience`]) with something to remember, by name.
    pub breakers: BTreeMap<String, StoredBreaker>,
    /// The components' stored states as JSON, by key (see
    /// [`Component`](crate::framework::Component)); a component with none is absent.
    pub components: BTreeMap<String, Value>,
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    /// An empty state: not leader, no config values, no relations, unknown statuses.
    pub fn new() -> Self {
        State {
            juju: JujuState::new(""),
            containers: BTreeMap::new(),
            stored: None,
            deferred: Vec::new(),
            event_counter: 0,
            breakers: BTreeMap::new(),
            components: BTreeMap::new(),
        }
    }

    /// Sets the unit's name (default `<charm name>/0`).
    #[must_use]
    pub fn unit(mut self, unit: &str) -> Self {
        self.juju.unit = unit.to_owned();
        self
    }

    /// A state with everything the charm's metadata declares, as if every relation were
    /// made and every container up (Scenario's `State.from_context`):
    ///
    /// - the unit `<charm>/0`;
    /// - every config option with a default, set to it;
    /// - a relation for every endpoint, ids from 1 in the metadata's order (requires,
    ///   provides, peers): a peer relation with no other unit, a
    ///   [`SubordinateRelation`](crate::testing::juju::SubordinateRelation) with `remote/0`
    ///   for a container-scoped endpoint, else a relation with application `remote` and one
    ///   unit `remote/0`, all databags empty;
    /// - every container, Pebble answering, nothing in it;
    /// - instance 0 of every storage, at its metadata location (or under
    ///   `/var/lib/juju/storage/`).
    ///
    /// Change it with the builder methods: [`State::relation`] replaces the relation with
    /// the same id, [`State::container`] the container with the same name, [`State::config`]
    /// the option's value.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::testing::{Context, State};
    /// use ops::testing::juju::RelationState;
    /// # #[derive(Default)] struct App;
    /// # impl Charm for App { type Stored = (); fn observe(_: &mut Observers<Self>) {} }
    /// let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(
    ///     "name: app\nrequires:\n  db: {interface: pg}\npeers:\n  cluster: {interface: c}\n\
    ///      containers:\n  web: {resource: img}\n\
    ///      config:\n  options:\n    port: {type: int, default: 80}\n",
    /// )?;
    /// let ctx = Context::<App>::new(meta);
    /// let state = State::from_context(&ctx)
    ///     .relation(RelationState::new(1, "db", "pg").remote_app_data([("host", "10.0.0.7")]));
    /// assert_eq!(state.juju.relations.len(), 2);
    /// assert!(state.juju.relations[1].peer);
    /// assert_eq!(state.juju.config.values["port"], 80);
    /// assert!(state.containers["web"].can_connect);
    /// ctx.run(ctx.on.start(), &state)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_context<C: Charm>(ctx: &Context<C>) -> Self {
        State::from_meta(ctx.meta())
    }

    /// [`State::from_context`] from the metadata alone.
    pub fn from_meta(meta: &CharmMeta) -> Self {
        let mut state = State::new().unit(&format!("{}/0", meta.name));
        for (key, opt) in &meta.config.options {
            if let Some(default) = opt.default.as_ref().filter(|d| !d.is_null()) {
                state = state.config(key, default.clone());
            }
        }
        for (id, (endpoint, rel)) in (1..).zip(meta.relations()) {
            let relation: RelationState = if rel.role == RelationRole::Peer {
                RelationState::peer(id, endpoint, &meta.name)
            } else if rel.scope == RelationScope::Container {
                SubordinateRelation::new(id, endpoint, "remote/0").into()
            } else {
                RelationState::new(id, endpoint, "remote").remote_unit("remote/0", Databag::new())
            };
            state = state.relation(relation.interface(&rel.interface));
        }
        for name in meta.containers.keys() {
            state = state.container(ContainerState::new(name));
        }
        for (name, storage) in &meta.storage {
            let location = storage
                .location
                .clone()
                .unwrap_or_else(|| format!("/var/lib/juju/storage/{name}/0"));
            let mut instance = StorageInstance::filesystem(0, &location);
            if storage.kind == StorageType::Block {
                instance.kind = "block".to_owned();
            }
            state.juju.storage.insert(name.clone(), vec![instance]);
        }
        state
    }

    /// Sets the model's name and UUID (`JUJU_MODEL_NAME`, `JUJU_MODEL_UUID`; default
    /// `test-model` and a fixed UUID).
    #[must_use]
    pub fn model(mut self, name: &str, uuid: &str) -> Self {
        self.juju = self.juju.model(name, uuid);
        self
    }

    /// Sets the model's type: Kubernetes (the default; the run exports
    /// `KUBERNETES_SERVICE_HOST` as Juju passes it to a pod) or machines (LXD, VMs).
    #[must_use]
    pub fn model_type(mut self, model_type: crate::model::ModelType) -> Self {
        self.juju = self.juju.model_type(model_type);
        self
    }

    /// Sets the machine the unit runs on (`JUJU_MACHINE_ID`): machine models only.
    #[must_use]
    pub fn machine_id(mut self, machine: &str) -> Self {
        self.juju = self.juju.machine_id(machine);
        self
    }

    /// Sets the availability zone (`JUJU_AVAILABILITY_ZONE`).
    #[must_use]
    pub fn availability_zone(mut self, zone: &str) -> Self {
        self.juju = self.juju.availability_zone(zone);
        self
    }

    /// Sets the principal unit of a subordinate charm (`JUJU_PRINCIPAL_UNIT`). Unset, a
    /// subordinate's run takes it from its container-scoped relation's remote unit.
    #[must_use]
    pub fn principal_unit(mut self, unit: &str) -> Self {
        self.juju = self.juju.principal_unit(unit);
        self
    }

    /// Sets leadership.
    #[must_use]
    pub fn leader(mut self, leader: bool) -> Self {
        self.juju.leader = leader;
        self
    }

    /// Sets a configuration value (options not set take the metadata's default).
    #[must_use]
    pub fn config(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.juju.config.values.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a relation (a peer relation: [`RelationState::peer`]; a container-scoped one:
    /// [`SubordinateRelation`](crate::testing::juju::SubordinateRelation)), replacing the
    /// relation with the same id if there is one (as one from [`State::from_context`]).
    #[must_use]
    pub fn relation(mut self, relation: impl Into<RelationState>) -> Self {
        let relation = relation.into();
        match self.juju.relations.iter_mut().find(|r| r.id == relation.id) {
            Some(r) => *r = relation,
            None => self.juju.relations.push(relation),
        }
        self
    }

    /// Adds a secret this unit owns or was granted.
    #[must_use]
    pub fn secret(mut self, secret: SecretState) -> Self {
        self.juju.secrets.push(secret);
        self
    }

    /// Attaches storage instance `name/index` at `location`.
    #[must_use]
    pub fn storage(mut self, name: &str, index: u32, location: &str) -> Self {
        self.juju = self.juju.storage(name, index, location);
        self
    }

    /// Adds an opened port.
    #[must_use]
    pub fn opened_port(mut self, port: OpenedPort) -> Self {
        self.juju.opened_ports.push(port);
        self
    }

    /// Sets the unit's workload status.
    #[must_use]
    pub fn unit_status(mut self, status: Status) -> Self {
        self.juju.unit_status = status;
        self
    }

    /// Sets the application's status.
    #[must_use]
    pub fn app_status(mut self, status: Status) -> Self {
        self.juju.app_status = status;
        self
    }

    /// Adds a workload container.
    #[must_use]
    pub fn container(mut self, container: ContainerState) -> Self {
        self.containers.insert(container.name.clone(), container);
        self
    }

    /// Injects a Pebble fault into container `container` for the next run (a container not
    /// in the state yet is added, empty). Request faults last one run;
    /// [`PebbleFault::Unreachable`] is `can_connect = false`, which stays.
    #[must_use]
    pub fn pebble_fault(mut self, container: &str, fault: PebbleFault) -> Self {
        let c = self
            .containers
            .remove(container)
            .unwrap_or_else(|| ContainerState::new(container));
        self.containers
            .insert(container.to_owned(), c.pebble_fault(fault));
        self
    }

    /// Sets the charm's stored state.
    pub fn stored<T: Serialize>(mut self, value: &T) -> Result<Self, RunError> {
        self.stored = Some(serde_json::to_value(value).map_err(|e| RunError::Stored {
            detail: format!("cannot encode it: {e}"),
        })?);
        Ok(self)
    }

    /// Appends a deferred event (see [`Context::deferred`](super::Context::deferred)) to
    /// the queue, giving it the next event id and queue position, as a dispatch would.
    #[must_use]
    pub fn defer(mut self, mut entry: DeferredEntry) -> Self {
        self.event_counter += 1;
        entry.event_id = self.event_counter;
        entry.seq = self.deferred.iter().map(|e| e.seq).max().unwrap_or(0) + 1;
        self.deferred.push(entry);
        self
    }

    /// Sets a circuit breaker's stored state, as earlier hooks left it.
    #[must_use]
    pub fn breaker(mut self, name: &str, breaker: StoredBreaker) -> Self {
        self.breakers.insert(name.to_owned(), breaker);
        self
    }

    /// Sets the stored state of component `key` (what its handlers read with
    /// [`ComponentCtx::stored`](crate::framework::ComponentCtx::stored)).
    ///
    /// # Errors
    ///
    /// The value cannot be encoded as JSON.
    pub fn component_stored<T: Serialize>(
        mut self,
        key: &str,
        value: &T,
    ) -> Result<Self, RunError> {
        let json = serde_json::to_value(value).map_err(|e| RunError::Stored {
            detail: format!("cannot encode the state of component {key:?}: {e}"),
        })?;
        self.components.insert(key.to_owned(), json);
        Ok(self)
    }

    /// The stored state of component `key` as `T` (its default if it has none).
    ///
    /// # Errors
    ///
    /// The stored state does not fit `T`.
    pub fn component_stored_as<T: DeserializeOwned + Default>(
        &self,
        key: &str,
    ) -> Result<T, RunError> {
        match self.components.get(key) {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| RunError::Stored {
                detail: format!("the state of component {key:?} does not fit: {e}"),
            }),
            None => Ok(T::default()),
        }
    }

    /// The charm's stored state as JSON.
    pub fn stored_json(&self) -> Option<&Value> {
        self.stored.as_ref()
    }

    /// The charm's stored state as its type (`T::default()` if it was never saved).
    pub fn stored_as<T: DeserializeOwned + Default>(&self) -> Result<T, RunError> {
        match &self.stored {
            None => Ok(T::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| RunError::Stored {
                detail: format!("it does not fit {}: {e}", std::any::type_name::<T>()),
            }),
        }
    }

    /// The unit's status.
    pub fn unit_status_now(&self) -> &Status {
        &self.juju.unit_status
    }

    /// The application's status.
    pub fn app_status_now(&self) -> &Status {
        &self.juju.app_status
    }

    /// A relation by id.
    pub fn relation_by_id(&self, id: u64) -> Option<&RelationState> {
        self.juju.relation_by_id(id)
    }

    /// A secret by id (any form) or label.
    pub fn secret_by_id(&self, id: &str) -> Option<&SecretState> {
        self.juju.secret_by_id(id).or_else(|| {
            self.juju
                .secrets
                .iter()
                .find(|s| s.label.as_deref() == Some(id))
        })
    }

    /// The deferred queue as `(handler, event)` names, in queue order, e.g.
    /// `("on_db", "db-relation-changed")`.
    pub fn deferred_names(&self) -> Vec<(String, String)> {
        self.deferred
            .iter()
            .map(|e| {
                let kind = crate::event::EventKind::from_parts(&e.kind, e.source.as_deref())
                    .map_or_else(|| e.kind.clone(), |k| k.to_string());
                (e.handler.clone(), kind)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defer_numbers_like_a_dispatch() {
        let entry = DeferredEntry {
            seq: 0,
            event_id: 0,
            handler: "h".into(),
            kind: "start".into(),
            source: None,
            data: "{}".into(),
        };
        let s = State::new().defer(entry.clone()).defer(entry);
        assert_eq!(s.event_counter, 2);
        let ids: Vec<(u64, u64)> = s.deferred.iter().map(|e| (e.seq, e.event_id)).collect();
        assert_eq!(ids, [(1, 1), (2, 2)]);
        assert_eq!(s.deferred_names()[0], ("h".to_owned(), "start".to_owned()));
    }

    #[test]
    fn stored_round_trip() {
        #[derive(Serialize, serde::Deserialize, Default, PartialEq, Debug)]
        struct S {
            n: u32,
        }
        let s = State::new().stored(&S { n: 3 }).unwrap();
        assert_eq!(s.stored_as::<S>().unwrap(), S { n: 3 });
        assert_eq!(State::new().stored_as::<S>().unwrap(), S::default());
        assert!(s.stored_as::<Vec<u8>>().is_err());
    }
}
