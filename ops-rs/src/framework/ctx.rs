//! [`Ctx`]: what a handler gets besides its event.

use std::sync::Arc;
use std::time::Duration;

use pebble_client::retry::{Budget, SystemClock};

use super::Charm;
use super::component_state::{ComponentStateError, ComponentStates};
use crate::container::{Connections, Container, ContainerError, ContainerLookup, PebbleOptions};
use crate::context::JujuContext;
use crate::event::{CHARM_EMITTER, CustomEvent, CustomEventData, Event, EventKind};
use crate::model::Model;
use crate::resilience::{Breaker, BreakerPolicy, DispatchResilience};
use crate::status::Status;

/// A status that a charm cannot add (error, unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot add status '{}': a charm may add only active, blocked, maintenance or waiting \
     (Juju sets error and unknown itself)",
    status.name()
)]
pub struct StatusError {
    /// The status refused.
    pub status: Status,
}

/// What a handler call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallInfo {
    pub(crate) handler: String,
    pub(crate) kind: EventKind,
    pub(crate) reemitted: bool,
}

/// The handler's view of the dispatch: the model, the charm's stored state, the statuses to
/// collect, and the Juju context.
///
/// One `Ctx` lives for the whole dispatch; changes to the state are saved when the dispatch
/// commits and rolled back if any handler fails.
pub struct Ctx<C: Charm> {
    model: Model,
    context: Arc<JujuContext>,
    stored: C::Stored,
    unit_statuses: Vec<Status>,
    app_statuses: Vec<Status>,
    call: Option<CallInfo>,
    pebble: Connections,
    resilience: DispatchResilience,
    components: ComponentStates,
    /// Custom events emitted by the running handler, to emit when it returns.
    emitted: Vec<Event>,
}

impl<C: Charm> std::fmt::Debug for Ctx<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("unit", &self.model.unit_name())
            .field("event", &self.context.event_kind)
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl<C: Charm> Ctx<C> {
    pub(crate) fn new(model: Model, context: Arc<JujuContext>, stored: C::Stored) -> Self {
        let pebble = Connections::new(context.containers_dir.clone(), PebbleOptions::default());
        Ctx {
            model,
            context,
            stored,
            unit_statuses: Vec::new(),
            app_statuses: Vec::new(),
            call: None,
            pebble,
            resilience: DispatchResilience::new(),
            components: ComponentStates::default(),
            emitted: Vec::new(),
        }
    }

    /// Uses `options` for the Pebble clients (before any container is used).
    pub(crate) fn set_pebble_options(&mut self, options: PebbleOptions) {
        self.pebble = Connections::new(self.pebble.dir().to_path_buf(), options);
    }

    /// The workload container `name`, through its Pebble.
    ///
    /// Every handle on one container in a dispatch shares one connection (opened at the
    /// first call). With the charm's metadata (always, under [`crate::main`]), a name it does
    /// not declare is a [`ContainerError::UnknownContainer`] listing those it does; without
    /// metadata any name is accepted.
    ///
    /// ```no_run
    /// use ops::prelude::*;
    /// # struct Web;
    /// # impl Charm for Web { type Stored = (); fn observe(_: &mut Observers<Self>) {} }
    /// fn on_config(_c: &mut Web, ctx: &mut Ctx<Web>, _ev: &mut ConfigChanged) -> HandlerResult {
    ///     let web = ctx.container("web")?;
    ///     web.push("/etc/web.conf", "port = 8080\n", &Default::default())?;
    ///     web.restart(&["web"])?;
    ///     Ok(())
    /// }
    /// ```
    pub fn container(&self, name: &str) -> Result<Container, ContainerError> {
        if let Some(meta) = self.model.meta()
            && !meta.containers.contains_key(name)
        {
            return Err(ContainerError::UnknownContainer {
                name: name.to_owned(),
                declared: meta.containers.keys().cloned().collect(),
            });
        }
        self.pebble.container(name)
    }

    /// Every container the charm's metadata declares, by name order (none without
    /// metadata).
    pub fn containers(&self) -> Result<Vec<Container>, ContainerError> {
        match self.model.meta() {
            Some(meta) => meta
                .containers
                .keys()
                .map(|name| self.pebble.container(name))
                .collect(),
            None => Ok(Vec::new()),
        }
    }

    /// The Pebble settings of this dispatch.
    pub fn pebble_options(&self) -> &PebbleOptions {
        self.pebble.options()
    }

    /// The Juju model, over the hook tools.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The Juju context of this dispatch (from the environment).
    pub fn juju_context(&self) -> &JujuContext {
        &self.context
    }

    /// The charm's stored state ([`Charm::Stored`]).
    pub fn stored(&self) -> &C::Stored {
        &self.stored
    }

    /// The charm's stored state, to change; saved when the dispatch commits.
    pub fn stored_mut(&mut self) -> &mut C::Stored {
        &mut self.stored
    }

    /// Adds a candidate for the unit's status; at the end of the dispatch the framework sets
    /// the highest-priority one (blocked > maintenance > waiting > active, the first added
    /// wins a tie). Usable from any handler. Error and unknown are refused.
    pub fn add_unit_status(&mut self, status: Status) -> Result<(), StatusError> {
        Self::add(&mut self.unit_statuses, status)
    }

    /// Adds a candidate for the application's status, set the same way on the leader. On a
    /// non-leader the statuses added are discarded, as are those added during
    /// collect-unit-status (after the application's status was set).
    pub fn add_app_status(&mut self, status: Status) -> Result<(), StatusError> {
        Self::add(&mut self.app_statuses, status)
    }

    fn add(list: &mut Vec<Status>, status: Status) -> Result<(), StatusError> {
        if !status.is_settable() {
            return Err(StatusError { status });
        }
        list.push(status);
        Ok(())
    }

    /// The statuses added so far for the unit, in order.
    pub fn unit_statuses(&self) -> &[Status] {
        &self.unit_statuses
    }

    /// The statuses added so far for the application, in order.
    pub fn app_statuses(&self) -> &[Status] {
        &self.app_statuses
    }

    /// Whether the current call re-emits an event deferred by an earlier dispatch.
    pub fn is_reemitted(&self) -> bool {
        self.call.as_ref().is_some_and(|c| c.reemitted)
    }

    /// The name of the handler being called.
    pub fn handler_name(&self) -> Option<&str> {
        self.call.as_ref().map(|c| c.handler.as_str())
    }

    /// The kind of the event being handled.
    pub fn event_kind(&self) -> Option<&EventKind> {
        self.call.as_ref().map(|c| &c.kind)
    }

    /// Emits the custom event `event` as the charm's own (emitter
    /// [`CHARM_EMITTER`](crate::event::CHARM_EMITTER)): its handlers run when the current
    /// handler returns, before anything else (see
    /// [`Component`](crate::framework::Component#emitting)).
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::event::{Custom, CustomEvent, CHARM_EMITTER};
    ///
    /// #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    /// struct Reconfigured { port: u16 }
    /// impl CustomEvent for Reconfigured { const NAME: &'static str = "reconfigured"; }
    ///
    /// struct Web;
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("on_config", |_c, ctx, _ev| {
    ///             ctx.emit(Reconfigured { port: 8080 })?;
    ///             Ok(())
    ///         });
    ///         on.custom::<Reconfigured>(CHARM_EMITTER, "on_reconfigured", |_c, _ctx, ev| {
    ///             tracing::info!("now on port {}", ev.port);
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// The event's payload cannot be encoded as JSON.
    pub fn emit<T: CustomEvent>(&mut self, event: T) -> Result<(), serde_json::Error> {
        self.emit_as(CHARM_EMITTER, &event)
    }

    pub(crate) fn emit_as<T: CustomEvent>(
        &mut self,
        emitter: &str,
        event: &T,
    ) -> Result<(), serde_json::Error> {
        let data = CustomEventData::of(emitter, event)?;
        tracing::debug!("emitting {}", data.kind());
        self.emitted.push(Event::Custom(data));
        Ok(())
    }

    /// The custom events emitted by the handler that just returned.
    pub(crate) fn take_emitted(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.emitted)
    }

    pub(crate) fn component_state_mut<S>(
        &mut self,
        key: &str,
    ) -> Result<&mut S, ComponentStateError>
    where
        S: serde::Serialize + serde::de::DeserializeOwned + Default + 'static,
    {
        self.components.get_mut::<S>(key)
    }

    pub(crate) fn load_components(&mut self, stored: std::collections::BTreeMap<String, String>) {
        self.components = ComponentStates::load(stored);
    }

    pub(crate) fn save_components(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, ComponentStateError> {
        self.components.save()
    }

    pub(crate) fn set_call(&mut self, call: Option<CallInfo>) {
        self.call = call;
    }

    pub(crate) fn take_app_statuses(&mut self) -> Vec<Status> {
        std::mem::take(&mut self.app_statuses)
    }

    pub(crate) fn take_unit_statuses(&mut self) -> Vec<Status> {
        std::mem::take(&mut self.unit_statuses)
    }

    /// Breakers and the hook budget (see [`crate::resilience`]).
    pub(crate) fn resilience(&self) -> &DispatchResilience {
        &self.resilience
    }

    pub(crate) fn resilience_mut(&mut self) -> &mut DispatchResilience {
        &mut self.resilience
    }
}

// Resilience: breakers kept in the state store, and the hook's time budget.
impl<C: Charm> Ctx<C> {
    /// The circuit breaker `name` (one per dependency), tripping and recovering by
    /// `policy`. Its state is the unit's: loaded from the state store, saved when the
    /// dispatch commits, rolled back if it fails. The handle is for this dispatch only.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ops::prelude::*;
    /// use ops::resilience::{BreakerError, BreakerPolicy};
    ///
    /// struct Web;
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.update_status("check", Self::check);
    ///     }
    /// }
    /// impl Web {
    ///     fn check(&mut self, ctx: &mut Ctx<Self>, _ev: &mut UpdateStatus) -> HandlerResult {
    ///         let db = ctx.breaker("db", &BreakerPolicy::default());
    ///         match db.call(|| ping_database()) {
    ///             Ok(()) => ctx.add_unit_status(Status::active(""))?,
    ///             Err(BreakerError::Open(open)) => ctx.add_unit_status(Status::waiting(open.to_string()))?,
    ///             Err(BreakerError::Failed(e)) => {
    ///                 ctx.add_unit_status(Status::waiting(format!("database unreachable: {e}")))?
    ///             }
    ///         }
    ///         Ok(())
    ///     }
    /// }
    /// fn ping_database() -> Result<(), std::io::Error> { Ok(()) }
    /// ```
    pub fn breaker(&self, name: &str, policy: &BreakerPolicy) -> Breaker {
        self.resilience.breaker(name, policy)
    }

    /// Limits the whole dispatch to `total`, counted from its start: from now on, no retry
    /// on this thread — the charm's or the Pebble client's — waits past it (see
    /// [`Budget`]), and no hook tool runs much past it (a tool still running then is killed:
    /// see [`ProcessRunner`](crate::hookcmds::ProcessRunner)). Setting it again replaces the
    /// previous hook budget; a [`Budget`] started inside a handler can only shorten it.
    pub fn set_hook_budget(&mut self, total: Duration) {
        self.resilience.set_hook_budget(total);
    }

    /// The time left before the nearest budget on this thread (the hook budget, or a
    /// shorter one started in the handler); `None` without any. Use it to decide between
    /// one more try and deferring.
    pub fn hook_budget_remaining(&self) -> Option<Duration> {
        Budget::current_remaining(&SystemClock)
    }
}

impl<C: Charm> ContainerLookup for Ctx<C> {
    fn container(&self, name: &str) -> Result<Container, ContainerError> {
        Ctx::container(self, name)
    }
}
