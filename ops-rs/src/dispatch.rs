//! One dispatch: the whole life of a hook process, from the context to commit.
//!
//! **Internal** (hidden from the docs): charms run through [`crate::main`] and tests through
//! `ops::testing`; this module is public only for the workspace's own tests, benchmarks
//! and simulators, with no stability promise.
//!
//! [`dispatch`] is used by [`crate::main`] in production and by the testing API, with an
//! injected [`JujuContext`], hook-tool runner and store. The sequence (Python ops'
//! `_Manager`):
//!
//! 0. Remove the secret content files a killed hook left behind
//!    ([`sweep_stale`](crate::hookcmds::secret::files::sweep_stale)).
//! 1. Build the Juju event from the context (`action-get --format=json` for an action's
//!    parameters, `storage-get` for a storage location).
//! 2. Open the store and begin ONE transaction; load the event counter, the deferred queue
//!    and the charm's state.
//! 3. Re-emit the deferred queue, oldest first, as it was when the pass began.
//! 4. Emit the Juju event to its handlers, in registration order (an unknown event: none).
//! 5. Collect status: if leader, `collect-app-status` and the app status set to the highest
//!    added; then `collect-unit-status` and the unit status. Nothing added, no `status-set`.
//! 6. `pre-commit`, `commit`; save the counter, queue, state and circuit breakers; commit;
//!    log the retry summary if anything retried. Exit 0.
//!
//! `collect-metrics` and `meter-status-changed` skip 3 and 5. If anything fails, everything
//! rolls back (queue, state, counter), the error chain is logged once with `juju-log` at
//! ERROR, and the exit code is 1; except when a handler gave up on the hook on purpose
//! ([`GaveUp`](crate::framework::GaveUp)): everything rolls back as well, but the reason is
//! logged at WARNING and the exit code is 0.

use std::path::PathBuf;
use std::sync::Arc;

use crate::container::PebbleOptions;
use crate::context::{ContextError, JujuContext};
use crate::error_chain::error_chain;
use crate::event::{CustomEventData, Event, EventKind};
use crate::framework::{
    Charm, Ctx, EmitError, Emitter, HandlerCall, ObserveError, Observers, Queue,
};
use crate::hookcmds::HookToolRunner;
use crate::juju_version::JujuVersion;
use crate::log::CharmLayer;
use crate::metadata::CharmMeta;
use crate::model::{CurrentHook, LogLevel, Model, ModelError, ModelType, StatusTarget};
use crate::resilience::Clock;
use crate::spans::span;
use crate::status::Status;
use crate::store::{JujuStore, MemoryStore, SqliteStore, Store, StoreData, StoreError};

/// Which state store a dispatch uses.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreSpec {
    /// An SQLite file (normally `<charm dir>/.unit-state.db`).
    Sqlite(PathBuf),
    /// Juju's controller-side store, through the dispatch's hook-tool runner.
    Juju,
    /// In memory (tests, the testing API).
    Memory(MemoryStore),
}

/// What a dispatch needs from outside.
///
/// Build it with [`DispatchInput::new`] and, for a real charm, [`DispatchInput::meta`].
#[derive(Clone)]
#[non_exhaustive]
pub struct DispatchInput {
    /// The hook context.
    pub context: JujuContext,
    /// How to run hook tools.
    pub runner: Arc<dyn HookToolRunner>,
    /// The charm's metadata (containers, relations, config options, actions), if known.
    pub meta: Option<Arc<CharmMeta>>,
    /// The Pebble clients' settings (retry policies, timeouts).
    pub pebble: PebbleOptions,
    /// The model's type, when something other than the metadata says so (see
    /// [`ModelType`]); `None`: a charm with containers is on Kubernetes, others unknown.
    pub model_type: Option<ModelType>,
    /// The clock the model times leadership with (`None`: the system's monotonic clock).
    pub clock: Option<Arc<dyn Clock>>,
    /// The charm's own `tracing` layers, beside the `juju-log` layer.
    pub layers: Vec<CharmLayer>,
    /// The trace this dispatch's spans belong to, when a layer exports them (see
    /// [`DispatchInput::trace_id`]).
    pub trace_id: Option<String>,
    /// The event to dispatch instead of the one the context names (the testing API's custom
    /// events, which Juju never dispatches).
    pub(crate) main_event: Option<Event>,
}

impl DispatchInput {
    /// Dispatches `event` instead of the event the context names: how the testing API runs a
    /// custom event, which Juju never dispatches.
    #[cfg(feature = "testing")]
    pub(crate) fn main_event(mut self, event: Event) -> Self {
        self.main_event = Some(event);
        self
    }

    /// A dispatch of the hook in `context`, running hook tools with `runner`, without metadata.
    pub fn new(context: JujuContext, runner: Arc<dyn HookToolRunner>) -> Self {
        DispatchInput {
            context,
            runner,
            meta: None,
            pebble: PebbleOptions::default(),
            model_type: None,
            clock: None,
            layers: Vec::new(),
            trace_id: None,
            main_event: None,
        }
    }

    /// The model's type, over what the context says (`KUBERNETES_SERVICE_HOST`, which
    /// Kubernetes sets in the pod and Juju passes to the hook) and what the metadata implies.
    #[must_use]
    pub fn model_type(mut self, model_type: ModelType) -> Self {
        self.model_type = Some(model_type);
        self
    }

    /// The clock the model times leadership with (tests move a
    /// [`ManualClock`](crate::resilience::ManualClock) instead of waiting 30 s).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The charm's own `tracing` layers (see [`CharmLayer`]).
    #[must_use]
    pub fn layers(mut self, layers: Vec<CharmLayer>) -> Self {
        self.layers = layers;
        self
    }

    /// The id of the trace a layer exports this dispatch's spans under (32 hex digits, as
    /// `ops-tracing` gives it): logged at DEBUG as `Starting root trace with id='…'.` right
    /// before the Juju event is emitted, the line Python ops writes and tools such as jhack
    /// read to find the hook's trace. Leading zeros are dropped, as Python's `hex()` does.
    #[must_use]
    pub fn trace_id(mut self, trace_id: Option<String>) -> Self {
        self.trace_id = trace_id;
        self
    }

    /// The Pebble clients' settings: retry policies (charm-wide and per container) and
    /// timeouts.
    #[must_use]
    pub fn pebble(mut self, options: PebbleOptions) -> Self {
        self.pebble = options;
        self
    }

    /// The charm-wide Pebble retry policy (keeping the other Pebble settings).
    #[must_use]
    pub fn pebble_retry(mut self, policy: pebble_client::retry::RetryPolicy) -> Self {
        self.pebble.retry = policy;
        self
    }

    /// The charm's metadata: the model uses it for config defaults and types, action
    /// parameter validation, and the charm's containers.
    #[must_use]
    pub fn meta(mut self, meta: Arc<CharmMeta>) -> Self {
        self.meta = Some(meta);
        self
    }
}

impl std::fmt::Debug for DispatchInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DispatchInput")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

/// What happened in a dispatch.
#[derive(Debug)]
pub struct DispatchOutcome {
    /// The Juju event dispatched.
    pub event: EventKind,
    /// Every handler call that returned, in order (including those of a failed dispatch).
    pub calls: Vec<HandlerCall>,
    /// The custom events emitted, in order, with their ids (including those of a failed
    /// dispatch).
    pub emitted: Vec<CustomEventData>,
    /// `Ok` if the dispatch committed; the error (already logged) otherwise.
    pub result: Result<(), DispatchError>,
}

impl DispatchOutcome {
    /// The process exit code: 0 on success, 1 on failure.
    pub fn exit_code(&self) -> u8 {
        if self.result.is_ok() { 0 } else { 1 }
    }
}

/// Why a dispatch failed. Its `Display` includes the chain of causes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// A handler failed, or an event could not be stored or rebuilt.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The charm's registrations are invalid.
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// The environment does not describe the hook.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A hook tool the framework needs failed.
    #[error("{what} failed: {source}")]
    Model {
        /// What the framework was doing.
        what: &'static str,
        /// The model's error.
        #[source]
        source: ModelError,
    },
    /// The charm's stored state does not fit its type.
    #[error(
        "the stored charm state does not fit {type_name} ({detail}); if a field was added, \
         give it #[serde(default)] so state saved by an older revision still loads"
    )]
    State {
        /// The charm's state type.
        type_name: &'static str,
        /// What did not fit (never the data).
        detail: String,
    },
}

/// Runs one dispatch of `charm` for the event in `input.context`, against `store`.
///
/// Logs go to `juju-log` through `input.runner` for the duration (see [`crate::log`]). On
/// failure, nothing is saved and the error is logged once at ERROR.
///
/// ```
/// use std::sync::Arc;
/// use ops::prelude::*;
/// use ops::context::JujuContext;
/// use ops::dispatch::{dispatch, DispatchInput, StoreSpec};
/// use ops::hookcmds::RecordingRunner;
/// use ops::store::MemoryStore;
///
/// struct Web;
/// impl Charm for Web {
///     type Stored = ();
///     fn observe(on: &mut Observers<Self>) {
///         on.collect_unit_status("collect", |_c, ctx, _ev| {
///             ctx.add_unit_status(Status::active("ready"))?;
///             Ok(())
///         });
///     }
/// }
/// let runner = RecordingRunner::new(|c| Ok(if c.tool == "is-leader" { b"false".to_vec() } else { vec![] }));
/// let context = JujuContext::from_vars([
///     ("JUJU_DISPATCH_PATH", "hooks/start"), ("JUJU_HOOK_NAME", "start"),
///     ("JUJU_UNIT_NAME", "web/0"), ("JUJU_MODEL_NAME", "m"), ("JUJU_MODEL_UUID", "u"),
///     ("JUJU_VERSION", "3.6.4"), ("JUJU_CHARM_DIR", "/charm"),
/// ]).unwrap();
/// let store = MemoryStore::default();
/// let out = dispatch(&mut Web, DispatchInput::new(context, Arc::new(runner.clone())),
///                    StoreSpec::Memory(store.clone()));
/// assert_eq!(out.exit_code(), 0);
/// let tools: Vec<String> = runner.lines().into_iter().filter(|l| !l.starts_with("juju-log")).collect();
/// // No application status is proposed, so leadership is not asked.
/// assert_eq!(tools, ["status-set --application=false active -- ready"]);
/// assert_eq!(store.data().event_counter, 4); // start, collect-unit-status, pre-commit, commit
/// ```
pub fn dispatch<C: Charm>(
    charm: &mut C,
    input: DispatchInput,
    store: StoreSpec,
) -> DispatchOutcome {
    dispatch_inspected(charm, input, store, None)
}

/// A look at the charm in the middle of a dispatch: after the event and collect-status,
/// before `pre-commit` and the commit (the testing API's `Context::run_inspect`).
pub(crate) type Inspector<'a, C> = &'a mut dyn FnMut(&mut C, &mut Ctx<C>);

/// [`dispatch`], calling `inspect` (if any) once the event and collect-status are handled
/// and before the commit.
pub(crate) fn dispatch_inspected<C: Charm>(
    charm: &mut C,
    input: DispatchInput,
    store: StoreSpec,
    inspect: Option<Inspector<'_, C>>,
) -> DispatchOutcome {
    let context = Arc::new(input.context);
    let pebble = input.pebble;
    let model = build_model(
        &context,
        input.runner,
        input.meta,
        ModelInputs {
            juju_version: context.juju_version.clone(),
            model_type: input.model_type,
            clock: input.clock,
        },
    );
    let event = match &input.main_event {
        Some(ev) => ev.kind(),
        None => context.event_kind.clone(),
    };
    let main_event = input.main_event;
    let trace_id = input.trace_id;
    let mut calls = Vec::new();
    let mut emitted = Vec::new();
    let subscriber = crate::log::subscriber_with(model.clone(), context.debug, &input.layers);
    let result = tracing::subscriber::with_default(subscriber, || {
        let root = span!(
            "ops.main",
            juju.unit = %context.unit_name,
            juju.event = %event,
            juju.hook = %context.event_kind,
            juju.model = %context.model_name,
        );
        let _root = root.enter();
        crate::resilience::with_retry_summary(|| {
            let out = Outcomes {
                calls: &mut calls,
                emitted: &mut emitted,
            };
            run(
                charm,
                &context,
                &model,
                (store, pebble, main_event, trace_id.as_deref()),
                (out, inspect),
            )
        })
    });
    let result = match result {
        Err(e) => match gave_up(&e) {
            Some(reason) => {
                let message = format!("{reason}; nothing this hook did is saved");
                if model.juju_log(LogLevel::Warning, &message).is_err() {
                    eprintln!("{message}");
                }
                Ok(())
            }
            None => Err(e),
        },
        ok => ok,
    };
    if let Err(e) = &result {
        let message = error_chain(e);
        if model.juju_log(LogLevel::Error, &message).is_err()
            || matches!(context.event_kind, EventKind::Action(_))
        {
            eprintln!("{message}");
        }
    }
    DispatchOutcome {
        event,
        calls,
        emitted,
        result,
    }
}

/// The handler's [`GaveUp`](crate::framework::GaveUp), if the dispatch failed because a
/// handler gave up on the hook on purpose: such a dispatch ends successfully, saving nothing.
fn gave_up(e: &DispatchError) -> Option<String> {
    let DispatchError::Emit(EmitError::Handler { handler, error, .. }) = e else {
        return None;
    };
    crate::framework::GaveUp::in_error(error).map(|g| format!("handler {handler} {g}"))
}

/// What the model is given besides the context: the Juju version, what says the model type,
/// the clock.
struct ModelInputs {
    juju_version: JujuVersion,
    model_type: Option<ModelType>,
    clock: Option<Arc<dyn Clock>>,
}

/// The model for this dispatch: the unit, its metadata, the Juju version, the model type,
/// and what Juju said about the hook (the event's relation and remote units; the relation
/// being broken is left out of `Model::relations`).
///
/// The model type is the input's if given; else Kubernetes if the environment says so
/// (`KUBERNETES_SERVICE_HOST`) or the charm has containers (Juju deploys sidecar charms
/// nowhere else); else it is unknown.
fn build_model(
    context: &JujuContext,
    runner: Arc<dyn HookToolRunner>,
    meta: Option<Arc<CharmMeta>>,
    inputs: ModelInputs,
) -> Model {
    let mut hook = CurrentHook::default();
    let relation_id = context.relation_id;
    if let (Some(endpoint), Some(id)) = (&context.relation_name, relation_id) {
        hook = hook.relation(endpoint.clone(), id);
        if matches!(context.event_kind, EventKind::RelationBroken(_)) {
            hook = hook.broken_relation(id);
        }
    }
    if let Some(app) = &context.remote_app {
        hook = hook.remote_app(app.clone());
    }
    if let Some(unit) = &context.remote_unit {
        hook = hook.remote_unit(unit.clone());
    }
    if let Some(unit) = &context.departing_unit {
        hook = hook.departing_unit(unit.clone());
    }
    if let Some(action) = &context.action_name {
        hook = hook.action(action.clone());
    }
    let sidecar = meta.as_ref().is_some_and(|m| !m.containers.is_empty());
    let model_type = inputs
        .model_type
        .or((context.kubernetes || sidecar).then_some(ModelType::Kubernetes));
    let mut model = Model::new(runner, &context.unit_name)
        .with_current_hook(hook)
        .with_juju_version(inputs.juju_version)
        .with_model_uuid(&context.model_uuid);
    if let Some(t) = model_type {
        model = model.with_model_type(t);
    }
    if let Some(clock) = inputs.clock {
        model = model.with_clock(clock);
    }
    match meta {
        Some(meta) => model.with_meta(meta),
        None => model,
    }
}

fn model_err(what: &'static str) -> impl FnOnce(ModelError) -> DispatchError {
    move |source| DispatchError::Model { what, source }
}

/// A workload hook for a container the charm's metadata does not declare cannot be Juju's:
/// Juju runs workload hooks only for declared containers.
fn check_declared(context: &JujuContext, model: &Model) -> Result<(), ContextError> {
    let (Some(container), Some(meta)) = (context.event_kind.container(), model.meta()) else {
        return Ok(());
    };
    if meta.containers.contains_key(container) {
        return Ok(());
    }
    Err(ContextError::Malformed {
        var: "JUJU_WORKLOAD_NAME",
        value: context.workload_name.clone().unwrap_or_default(),
        hook: context.event_kind.to_string(),
        expected: "a container the charm's metadata declares",
    })
}

fn open_store(spec: StoreSpec, model: &Model) -> Result<Box<dyn Store>, StoreError> {
    Ok(match spec {
        StoreSpec::Sqlite(path) => Box::new(SqliteStore::open(path)?),
        StoreSpec::Juju => Box::new(JujuStore::new(model.runner().clone())),
        StoreSpec::Memory(m) => Box::new(m),
    })
}

/// `Starting root trace with id='…'.`: Python ops' line, in its format (jhack matches it
/// exactly), with the id as Python's `hex()` writes it (lower case, no leading zeros).
fn log_root_trace(id: &str) {
    let id = id.trim_start_matches('0').to_ascii_lowercase();
    tracing::debug!("Starting root trace with id='{id}'.");
}

/// Where a dispatch records what happened.
struct Outcomes<'a> {
    calls: &'a mut Vec<HandlerCall>,
    emitted: &'a mut Vec<CustomEventData>,
}

fn run<C: Charm>(
    charm: &mut C,
    context: &Arc<JujuContext>,
    model: &Model,
    (store_spec, pebble, main_event, trace_id): (
        StoreSpec,
        PebbleOptions,
        Option<Event>,
        Option<&str>,
    ),
    (out, inspect): (Outcomes<'_>, Option<Inspector<'_, C>>),
) -> Result<(), DispatchError> {
    // Secret content that a killed hook could not remove (`hookcmds::secret::files`).
    let content_root = crate::hookcmds::secret::files::content_root();
    crate::hookcmds::secret::files::sweep_stale(&content_root);
    let observers = Observers::<C>::of_charm(charm);
    observers.check()?;
    let kind = &context.event_kind;
    let restricted = kind.is_restricted();
    if restricted && matches!(store_spec, StoreSpec::Juju) {
        tracing::debug!(
            "{kind} runs in a restricted context without Juju's state store: nothing to do"
        );
        return Ok(());
    }
    check_declared(context, model)?;
    let juju_event = match main_event {
        Some(ev) => Some(ev),
        None => juju_event::juju_event(context, juju_event::fetch_inputs(context, model)?)?,
    };
    let kind = &juju_event
        .as_ref()
        .map_or_else(|| kind.clone(), Event::kind);

    let mut store = open_store(store_spec, model)?;
    let data = store.load()?;
    let before = data.clone();
    let state = match &data.charm_state {
        Some(json) => {
            serde_json::from_str::<C::Stored>(json).map_err(|e| DispatchError::State {
                type_name: std::any::type_name::<C::Stored>(),
                detail: format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?
        }
        None => C::Stored::default(),
    };
    let mut ctx = Ctx::new(model.clone(), context.clone(), state);
    ctx.set_pebble_options(pebble);
    let mut em = Emitter {
        charm,
        ctx,
        observers,
        queue: Queue::new(data.queue),
        counter: data.event_counter,
        calls: out.calls,
        emitted: out.emitted,
    };
    em.ctx.resilience_mut().load_breakers(data.breakers);
    em.ctx.load_components(data.components);

    if !restricted {
        em.reemit()?;
    }
    match juju_event {
        Some(ev) => {
            tracing::debug!("emitting {kind}");
            if let Some(id) = trace_id {
                log_root_trace(id);
            }
            em.emit(ev)?;
        }
        None => tracing::debug!("{kind} is not an event this framework knows: nothing observes it"),
    }
    if !restricted {
        collect_status(&mut em, model)?;
    }
    if let Some(inspect) = inspect {
        inspect(em.charm, &mut em.ctx);
    }
    for k in [EventKind::PreCommit, EventKind::Commit] {
        if let Some(ev) = Event::framework(&k) {
            em.emit(ev)?;
        }
    }

    let charm_state = serde_json::to_string(em.ctx.stored()).map_err(|e| DispatchError::State {
        type_name: std::any::type_name::<C::Stored>(),
        detail: format!("cannot encode it: {e}"),
    })?;
    let after = StoreData {
        event_counter: em.counter,
        queue: em.queue.into_entries(),
        charm_state: Some(charm_state),
        breakers: em.ctx.resilience().save_breakers(),
        components: em.ctx.save_components().map_err(EmitError::from)?,
    };
    // Unchanged: nothing to write (and no juju-log line to say so: that would be a process).
    if after.changed_since(&before) {
        store.save(&after)?;
    }
    store.commit()?;
    Ok(())
}

fn collect_status<C: Charm>(em: &mut Emitter<'_, C>, model: &Model) -> Result<(), DispatchError> {
    // Leadership matters here only if something proposes an application status: a
    // collect-app-status handler, or a candidate a handler already added. Otherwise asking
    // Juju would be a hook-tool call for nothing (Python ops asks every time).
    let app_proposed = em
        .observers
        .for_kind(&EventKind::CollectAppStatus)
        .next()
        .is_some()
        || !em.ctx.app_statuses().is_empty();
    let span = span!(
        "ops.collect_status",
        leader = tracing::field::Empty,
        unit_status = tracing::field::Empty,
        app_status = tracing::field::Empty,
        candidates = tracing::field::Empty,
    );
    let _span = span.enter();
    let leader = if app_proposed {
        model.is_leader().map_err(model_err("is-leader"))?
    } else {
        false
    };
    span.record("leader", leader);
    if leader {
        if let Some(ev) = Event::framework(&EventKind::CollectAppStatus) {
            em.emit(ev)?;
        }
        set_highest(model, StatusTarget::App, &em.ctx.take_app_statuses())?;
    }
    if let Some(ev) = Event::framework(&EventKind::CollectUnitStatus) {
        em.emit(ev)?;
    }
    set_highest(model, StatusTarget::Unit, &em.ctx.take_unit_statuses())?;
    let discarded = em.ctx.take_app_statuses();
    if !discarded.is_empty() {
        tracing::debug!(
            "discarding {} application status(es): {}",
            discarded.len(),
            if leader || !app_proposed {
                "added during collect-unit-status, after the application's status was settled"
            } else {
                "this unit is not the leader"
            }
        );
    }
    Ok(())
}

fn set_highest(
    model: &Model,
    target: StatusTarget,
    statuses: &[Status],
) -> Result<(), DispatchError> {
    if let Some(s) = Status::highest(statuses) {
        #[cfg(feature = "spans")]
        let span = tracing::Span::current();
        #[cfg(feature = "spans")]
        if !span.is_disabled() {
            let field = match target {
                StatusTarget::Unit => "unit_status",
                StatusTarget::App => "app_status",
            };
            span.record(field, tracing::field::display(s));
            span.record("candidates", statuses.len());
        }
        // With a choice to explain, say what was chosen from (one juju-log line; a single
        // candidate is explained by the status itself, and a line would be a process).
        if statuses.len() > 1 {
            let whose = match target {
                StatusTarget::Unit => "unit",
                StatusTarget::App => "application",
            };
            let all: Vec<String> = statuses.iter().map(ToString::to_string).collect();
            tracing::debug!(
                "{whose} status {s}, the highest of {} candidates: {}",
                statuses.len(),
                all.join("; ")
            );
        }
        model
            .set_status(target, s)
            .map_err(model_err("status-set"))?;
    }
    Ok(())
}

mod juju_event;
#[cfg(test)]
mod tests;

#[cfg(feature = "testing")]
pub(crate) use juju_event::{EventInputs, juju_event};
