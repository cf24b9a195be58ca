//! [`Harness`]: step-by-step charm tests (Python ops' `Harness`), on the same runner as
//! [`Context`](super::Context).
//!
//! The harness keeps one [`State`] and changes it as a test goes: each step changes the model
//! as Juju would and, once [`begin`](Harness::begin) was called, runs the event Juju would
//! send, through the real dispatcher. Unlike ops' Harness, deferred events re-run before
//! the next event and collect-status runs after every event, as in production. A failed
//! hook returns the error and leaves the harness's state as it was before the step.
//!
//! ```
//! use ops::prelude::*;
//! use ops::metadata::CharmMeta;
//! use ops::testing::Harness;
//!
//! #[derive(Default)]
//! struct Web;
//! impl Charm for Web {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.collect_unit_status("collect", |_c, ctx, _ev| {
//!             let ready = !ctx.model().relation_ids("db")?.is_empty();
//!             ctx.add_unit_status(if ready { Status::active("") } else { Status::blocked("needs db") })?;
//!             Ok(())
//!         });
//!     }
//! }
//! let meta = CharmMeta::from_charmcraft_yaml("name: web\nrequires:\n  db: {interface: pg}\n")?;
//! let mut h = Harness::<Web>::new(meta);
//! h.begin_with_initial_hooks()?;
//! assert_eq!(h.unit_status(), &Status::blocked("needs db"));
//! let id = h.add_relation("db", "pg")?;
//! h.add_relation_unit(id, "pg/0")?;
//! assert_eq!(h.unit_status(), &Status::active(""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod model;
mod pebble;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::container::PebbleOptions;
use crate::event::{CustomEvent, CustomEventData};
use crate::framework::Charm;
use crate::metadata::CharmMeta;
use crate::status::Status;
use crate::testing::container::ContainerState;
use crate::testing::context::{DEFAULT_JUJU_VERSION, RunSettings, run_event};
use crate::testing::error::RunError;
use crate::testing::event::{On, TestEvent};
use crate::testing::juju::{
    Databag, RelationState, SecretContent, SecretGrant, SecretOwnership, SecretState,
    StorageInstance,
};
use crate::testing::output::{ActionOutput, Output};
use crate::testing::state::State;

type Factory<C> = Box<dyn Fn() -> C>;

/// A step-by-step test of one unit of a charm (see the [module docs](crate::testing)).
pub struct Harness<C: Charm> {
    meta: Arc<CharmMeta>,
    factory: Factory<C>,
    juju_version: String,
    pebble: PebbleOptions,
    state: State,
    begun: bool,
    ungranted: Vec<SecretState>,
    secret_seq: u64,
    last: Option<Output>,
    /// Storage instances added but not attached, by name.
    detached: Vec<(String, StorageInstance)>,
    /// Where [`add_resource`](Self::add_resource) writes resources (made on first use).
    resources_dir: Option<tempfile::TempDir>,
    /// The harness's simulated time, for notices' repeat-after.
    clock: Duration,
    /// When each (container, notice key) last repeated, on that clock.
    repeats: BTreeMap<(String, String), Duration>,
    /// The commands the charm ran, per container, across the hooks so far.
    execs: BTreeMap<String, Vec<pebble_client::testing::ExecRecord>>,
    /// The custom events emitted across the hooks so far.
    emitted: Vec<CustomEventData>,
}

impl<C: Charm> std::fmt::Debug for Harness<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("charm", &self.meta.name)
            .field("begun", &self.begun)
            .finish_non_exhaustive()
    }
}

impl<C: Charm + Default> Harness<C> {
    /// A harness for charm `C` (built with `Default` for every hook) with metadata `meta`;
    /// the unit is `<name>/0`.
    pub fn new(meta: CharmMeta) -> Self {
        Self::with_factory(meta, C::default)
    }
}

fn bag<K: Into<String>, V: Into<String>>(kv: impl IntoIterator<Item = (K, V)>) -> Databag {
    kv.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
}

impl<C: Charm> Harness<C> {
    /// A harness that builds the charm with `factory` for every hook.
    pub fn with_factory(meta: CharmMeta, factory: impl Fn() -> C + 'static) -> Self {
        let state = State::new().unit(&format!("{}/0", meta.name));
        Harness {
            meta: Arc::new(meta),
            factory: Box::new(factory),
            juju_version: DEFAULT_JUJU_VERSION.to_owned(),
            pebble: PebbleOptions::default(),
            state,
            begun: false,
            ungranted: Vec::new(),
            secret_seq: 0,
            last: None,
            detached: Vec::new(),
            resources_dir: None,
            clock: Duration::ZERO,
            repeats: BTreeMap::new(),
            execs: BTreeMap::new(),
            emitted: Vec::new(),
        }
    }

    /// Sets the Pebble clients' settings for the hooks (see
    /// [`Context::pebble`](super::Context::pebble)).
    #[must_use]
    pub fn pebble(mut self, options: PebbleOptions) -> Self {
        self.pebble = options;
        self
    }

    /// Sets the state to start from (before [`begin`](Self::begin)).
    #[must_use]
    pub fn initial_state(mut self, state: State) -> Self {
        self.state = state;
        if self.state.juju.unit.is_empty() {
            self.state.juju.unit = format!("{}/0", self.meta.name);
        }
        self
    }

    /// Starts emitting events: steps before this only change the state.
    pub fn begin(&mut self) {
        self.begun = true;
    }

    /// Begins and runs the hooks Juju runs when a unit starts, as ops orders them:
    /// storage-attached per instance, install, relation-created per relation (peer relations
    /// of the metadata added if missing), leader-elected or leader-settings-changed,
    /// config-changed, start, pebble-ready per container (which can then connect), and per
    /// relation relation-changed for the remote app's data, then joined and changed per unit.
    pub fn begin_with_initial_hooks(&mut self) -> Result<(), RunError> {
        self.begun = true;
        let app = self.state.juju.app().to_owned();
        let mut next = self.next_relation_id();
        for endpoint in self.meta.peers.keys() {
            if !self
                .state
                .juju
                .relations
                .iter()
                .any(|r| &r.endpoint == endpoint)
            {
                self.state
                    .juju
                    .relations
                    .push(RelationState::peer(next, endpoint, &app));
                next += 1;
            }
        }
        for name in self.meta.containers.keys() {
            let c = self
                .state
                .containers
                .remove(name)
                .unwrap_or_else(|| ContainerState::new(name));
            self.state
                .containers
                .insert(name.clone(), c.can_connect(true));
        }
        let storage: Vec<(String, u32)> = self
            .state
            .juju
            .storage
            .iter()
            .flat_map(|(n, v)| v.iter().map(move |s| (n.clone(), s.index)))
            .collect();
        for (name, index) in storage {
            self.emit(On.storage_attached(&name, index))?;
        }
        self.emit(On.install())?;
        let relations = self.state.juju.relations.clone();
        for r in &relations {
            self.emit(On.relation_created(r))?;
        }
        if self.state.juju.leader {
            self.emit(On.leader_elected())?;
        } else {
            self.emit(On.leader_settings_changed())?;
        }
        self.emit(On.config_changed())?;
        self.emit(On.start())?;
        let containers: Vec<String> = self.state.containers.keys().cloned().collect();
        for c in containers {
            self.emit(On.pebble_ready(&c))?;
        }
        for r in &relations {
            if !r.remote_app_data.is_empty() {
                self.emit(On.relation_changed(r).remote_unit(None))?;
            }
            for unit in r.remote_units.keys() {
                self.emit(On.relation_joined(r, unit))?;
                self.emit(On.relation_changed(r).remote_unit(Some(unit)))?;
            }
        }
        Ok(())
    }

    /// Runs `event` now (if begun): the state changes only if the hook succeeds.
    pub fn emit(&mut self, event: TestEvent) -> Result<(), RunError> {
        if !self.begun {
            return Ok(());
        }
        let out = run_event(
            &self.meta,
            &*self.factory,
            RunSettings {
                juju_version: &self.juju_version,
                pebble: &self.pebble,
                clock: None,
                juju_storage: false,
                charm_root: None,
                layers: &[],
            },
            &event,
            &self.state,
        )?;
        self.state = out.state.clone();
        self.emitted.extend(out.emitted_events.iter().cloned());
        for (container, records) in &out.exec_history {
            self.execs
                .entry(container.clone())
                .or_default()
                .extend(records.iter().cloned());
        }
        self.last = Some(out);
        Ok(())
    }

    /// Changes the state and runs `event`; on failure the state is restored.
    fn step(
        &mut self,
        change: impl FnOnce(&mut State),
        event: Option<TestEvent>,
    ) -> Result<(), RunError> {
        let before = self.state.clone();
        change(&mut self.state);
        if let Some(ev) = event {
            if let Err(e) = self.emit(ev) {
                self.state = before;
                return Err(e);
            }
        }
        Ok(())
    }

    fn next_relation_id(&self) -> u64 {
        self.state
            .juju
            .relations
            .iter()
            .map(|r| r.id + 1)
            .max()
            .unwrap_or(1)
    }

    fn relation(&self, id: u64) -> Result<RelationState, RunError> {
        self.state
            .relation_by_id(id)
            .cloned()
            .ok_or_else(|| RunError::inconsistent(format!("there is no relation {id}")))
    }

    // ----- leadership and config -----

    /// Sets leadership; becoming leader runs leader-elected.
    pub fn set_leader(&mut self, leader: bool) -> Result<(), RunError> {
        let elected = leader && !self.state.juju.leader;
        self.step(
            |s| s.juju.leader = leader,
            elected.then(|| On.leader_elected()),
        )
    }

    /// Sets and unsets config values and runs config-changed.
    pub fn update_config<'a>(
        &mut self,
        set: impl IntoIterator<Item = (&'a str, Value)>,
        unset: &[&str],
    ) -> Result<(), RunError> {
        let set: Vec<(String, Value)> = set.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.step(
            |s| {
                for (k, v) in set {
                    s.juju.config.values.insert(k, v);
                }
                for k in unset {
                    s.juju.config.values.remove(*k);
                }
            },
            Some(On.config_changed()),
        )
    }

    // ----- relations -----

    /// Adds a relation on `endpoint` with `remote_app` (a peer relation if the endpoint is a
    /// peer endpoint) and runs relation-created; returns its id.
    pub fn add_relation(&mut self, endpoint: &str, remote_app: &str) -> Result<u64, RunError> {
        let id = self.next_relation_id();
        let mut rel = if self.meta.is_peer(endpoint) {
            RelationState::peer(id, endpoint, remote_app)
        } else {
            RelationState::new(id, endpoint, remote_app)
        };
        // A container-scoped endpoint relates a subordinate and its principal.
        rel.subordinate = self
            .meta
            .relation(endpoint)
            .is_some_and(|r| r.scope == crate::metadata::RelationScope::Container);
        let ev = On.relation_created(&rel);
        self.step(|s| s.juju.relations.push(rel), Some(ev))?;
        Ok(id)
    }

    /// Adds remote unit `unit` to relation `id` and runs relation-joined, then
    /// relation-changed.
    pub fn add_relation_unit(&mut self, id: u64, unit: &str) -> Result<(), RunError> {
        let rel = self.relation(id)?.remote_unit(unit, Databag::new());
        let before = self.state.clone();
        let r = rel.clone();
        let result = self
            .step(
                move |s| {
                    if let Some(x) = s.juju.relation_by_id_mut(id) {
                        *x = r;
                    }
                },
                Some(On.relation_joined(&rel, unit)),
            )
            .and_then(|()| self.emit(On.relation_changed(&rel).remote_unit(Some(unit))));
        if result.is_err() {
            self.state = before;
        }
        result
    }

    /// Removes remote unit `unit` from relation `id` (runs relation-departed).
    pub fn remove_relation_unit(&mut self, id: u64, unit: &str) -> Result<(), RunError> {
        let rel = self.relation(id)?;
        let ev = On.relation_departed(&rel, unit);
        let u = unit.to_owned();
        self.step(
            move |s| {
                if let Some(r) = s.juju.relation_by_id_mut(id) {
                    if let Some(b) = r.remote_units.remove(&u) {
                        r.departed_units.insert(u, b);
                    }
                }
            },
            Some(ev),
        )
    }

    /// Removes relation `id`: relation-departed for each remote unit, then relation-broken.
    pub fn remove_relation(&mut self, id: u64) -> Result<(), RunError> {
        let before = self.state.clone();
        let units: Vec<String> = self.relation(id)?.remote_units.keys().cloned().collect();
        let result = (|| {
            for u in &units {
                let rel = self.relation(id)?;
                self.emit(On.relation_departed(&rel, u))?;
            }
            let rel = self.relation(id)?;
            self.emit(On.relation_broken(&rel))?;
            if !self.begun {
                self.state.juju.relations.retain(|r| r.id != id);
            }
            Ok(())
        })();
        if result.is_err() {
            self.state = before;
        }
        result
    }

    /// Updates the databag of `app_or_unit` in relation `id` (an empty value deletes a
    /// key). For the remote side, runs relation-changed (with the unit as remote unit, or
    /// none for the remote app's bag), as Juju does; the local side changes silently.
    pub fn update_relation_data<K: Into<String>, V: Into<String>>(
        &mut self,
        id: u64,
        app_or_unit: &str,
        kv: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), RunError> {
        let mut rel = self.relation(id)?;
        let local_unit = self.state.juju.unit.clone();
        let local_app = self.state.juju.app().to_owned();
        let (target, remote_unit): (&mut Databag, Option<Option<String>>) =
            if app_or_unit == local_unit {
                (&mut rel.local_unit_data, None)
            } else if app_or_unit == local_app && !rel.peer {
                (&mut rel.local_app_data, None)
            } else if app_or_unit == rel.remote_app && !rel.peer {
                (&mut rel.remote_app_data, Some(None))
            } else if rel.peer && app_or_unit == local_app {
                (&mut rel.local_app_data, None)
            } else if let Some(b) = rel.remote_units.get_mut(app_or_unit) {
                (b, Some(Some(app_or_unit.to_owned())))
            } else {
                return Err(RunError::inconsistent(format!(
                    "{app_or_unit:?} is not in relation {id}; add the unit first"
                )));
            };
        for (k, v) in bag(kv) {
            if v.is_empty() {
                target.remove(&k);
            } else {
                target.insert(k, v);
            }
        }
        let ev = remote_unit.map(|u| On.relation_changed(&rel).remote_unit(u.as_deref()));
        self.step(
            move |s| {
                if let Some(x) = s.juju.relation_by_id_mut(id) {
                    *x = rel;
                }
            },
            ev,
        )
    }

    /// The databag of `app_or_unit` in relation `id`.
    pub fn relation_data(&self, id: u64, app_or_unit: &str) -> Option<&Databag> {
        let rel = self.state.relation_by_id(id)?;
        if app_or_unit == self.state.juju.unit {
            Some(&rel.local_unit_data)
        } else if app_or_unit == self.state.juju.app() {
            Some(&rel.local_app_data)
        } else if app_or_unit == rel.remote_app {
            Some(&rel.remote_app_data)
        } else {
            rel.unit_bag(app_or_unit)
        }
    }

    // ----- actions and status -----

    /// Runs action `name` with `params`; returns its results, logs and failure message.
    pub fn run_action(&mut self, name: &str, params: Value) -> Result<ActionOutput, RunError> {
        let was = self.begun;
        self.begun = true;
        let r = self.emit(On.action(name, params));
        self.begun = was;
        r?;
        Ok(self
            .last
            .as_ref()
            .and_then(|o| o.action.clone())
            .unwrap_or_default())
    }

    /// Runs collect-status now (with the deferred queue, as any dispatch): a hook nothing
    /// observes, so only the queue and the status handlers run.
    pub fn evaluate_status(&mut self) -> Result<(), RunError> {
        let was = self.begun;
        self.begun = true;
        let r = self.emit(On.hook("ops-rs-evaluate-status"));
        self.begun = was;
        r
    }

    /// The unit's status.
    pub fn unit_status(&self) -> &Status {
        &self.state.juju.unit_status
    }

    /// The application's status.
    pub fn app_status(&self) -> &Status {
        &self.state.juju.app_status
    }

    /// The charm's stored state.
    pub fn stored<T: DeserializeOwned + Default>(&self) -> Result<T, RunError> {
        self.state.stored_as()
    }

    /// The stored state of the component registered under `key` (its `Default` if it has
    /// saved none yet).
    pub fn component_stored<T: DeserializeOwned + Default>(
        &self,
        key: &str,
    ) -> Result<T, RunError> {
        self.state.component_stored_as(key)
    }

    /// Emits the custom event `event` as the component `emitter` (or
    /// [`CHARM_EMITTER`](crate::event::CHARM_EMITTER)) would, in a dispatch of its own:
    /// Scenario's `ctx.on.custom`, for a library's events without the Juju events that
    /// cause them. Deferred events re-run first and collect-status after, as for any event.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::event::{Custom, CustomEvent};
    /// use ops::metadata::CharmMeta;
    /// use ops::testing::Harness;
    ///
    /// #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    /// struct Ready { url: String }
    /// impl CustomEvent for Ready { const NAME: &'static str = "ready"; }
    ///
    /// #[derive(Default)]
    /// struct Web;
    /// impl Charm for Web {
    ///     type Stored = Vec<String>;
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.custom::<Ready>("ingress", "on_ready", |_c, ctx, ev: &mut Custom<Ready>| {
    ///             ctx.stored_mut().push(ev.url.clone());
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let mut h = Harness::<Web>::new(CharmMeta::from_charmcraft_yaml("name: web\n")?);
    /// h.begin();
    /// h.emit_custom("ingress", &Ready { url: "http://x/".into() })?;
    /// assert_eq!(h.stored::<Vec<String>>()?, ["http://x/"]);
    /// assert_eq!(h.emitted_events()[0].kind().to_string(), "ingress/ready");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn emit_custom<T: CustomEvent>(
        &mut self,
        emitter: &str,
        event: &T,
    ) -> Result<(), RunError> {
        let event = On.custom(emitter, event).map_err(|e| RunError::Stored {
            detail: format!("cannot encode the custom event {}: {e}", T::NAME),
        })?;
        self.emit(event)
    }

    /// The custom events emitted since the harness was made, oldest first (those of the
    /// events [`emit_custom`](Self::emit_custom) ran included): Scenario's
    /// `ctx.emitted_events`. Failed hooks emitted nothing.
    pub fn emitted_events(&self) -> &[CustomEventData] {
        &self.emitted
    }

    /// The whole state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What the last hook did (calls, logs, handler calls, action answer).
    pub fn last_output(&self) -> Option<&Output> {
        self.last.as_ref()
    }

    // ----- secrets -----

    /// Adds a secret with `content`: owned by this application or unit (`Application`,
    /// `Unit`), or by another application (`Consumer`: visible to the charm only after
    /// [`grant_secret`](Self::grant_secret)). Returns its id, a secret URI as Juju makes them
    /// (`secret:` and 20 lower-case letters and digits), which the charm's hook tools and
    /// secret events accept.
    pub fn add_secret<K: Into<String>, V: Into<String>>(
        &mut self,
        owner: SecretOwnership,
        content: impl IntoIterator<Item = (K, V)>,
    ) -> String {
        self.secret_seq += 1;
        let id = format!("secret:harness{:013}", self.secret_seq);
        let s = SecretState::new(&id, owner, bag(content));
        if owner == SecretOwnership::Consumer {
            self.ungranted.push(s);
        } else {
            self.state.juju.secrets.push(s);
        }
        id
    }

    /// Grants a secret: another application's secret becomes visible to this charm; a
    /// secret this charm owns is granted to the application of relation `relation_id`.
    pub fn grant_secret(&mut self, id: &str, relation_id: Option<u64>) -> Result<(), RunError> {
        if let Some(pos) = self.ungranted.iter().position(|s| s.id == id) {
            let s = self.ungranted.remove(pos);
            self.state.juju.secrets.push(s);
            return Ok(());
        }
        let secret = self.secret_mut(id)?;
        if let Some(relation_id) = relation_id {
            secret.grants.push(SecretGrant {
                relation_id,
                unit: None,
            });
        }
        Ok(())
    }

    fn secret_mut(&mut self, id: &str) -> Result<&mut SecretState, RunError> {
        let xid = crate::testing::juju::secret_xid(id).to_owned();
        self.state
            .juju
            .secrets
            .iter_mut()
            .find(|s| s.xid() == xid)
            .ok_or_else(|| RunError::inconsistent(format!("no secret {id:?} (granted)")))
    }

    fn secret(&self, id: &str) -> Result<SecretState, RunError> {
        self.state
            .secret_by_id(id)
            .cloned()
            .ok_or_else(|| RunError::inconsistent(format!("no secret {id:?} (granted)")))
    }

    /// Adds a revision with `content`; for another application's secret, runs
    /// secret-changed, as Juju tells observers.
    pub fn set_secret_content<K: Into<String>, V: Into<String>>(
        &mut self,
        id: &str,
        content: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), RunError> {
        let mut secret = self.secret(id)?;
        secret.push_revision(content.into_iter().collect::<SecretContent>());
        let ev = (secret.owner == SecretOwnership::Consumer).then(|| On.secret_changed(&secret));
        let xid = secret.xid().to_owned();
        self.step(
            move |s| {
                if let Some(x) = s.juju.secrets.iter_mut().find(|x| x.xid() == xid) {
                    *x = secret;
                }
            },
            ev,
        )
    }

    /// Runs secret-rotate for a secret this charm owns.
    pub fn trigger_secret_rotation(&mut self, id: &str) -> Result<(), RunError> {
        let s = self.secret(id)?;
        self.step(|_| {}, Some(On.secret_rotate(&s)))
    }

    /// Runs secret-expired for `revision` of a secret this charm owns.
    pub fn trigger_secret_expiration(&mut self, id: &str, revision: u32) -> Result<(), RunError> {
        let s = self.secret(id)?;
        self.step(|_| {}, Some(On.secret_expired(&s, revision)))
    }

    /// Runs secret-remove for `revision` of a secret this charm owns.
    pub fn trigger_secret_removal(&mut self, id: &str, revision: u32) -> Result<(), RunError> {
        let s = self.secret(id)?;
        self.step(|_| {}, Some(On.secret_remove(&s, revision)))
    }
}
