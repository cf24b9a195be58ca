//! [`Context`]: runs one event against a [`State`] through the real dispatcher.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::container::PebbleOptions;
use crate::context::JujuContext;
use crate::dispatch::{DispatchInput, Inspector, StoreSpec, dispatch_inspected};
use crate::dispatch::{EventInputs, juju_event};
use crate::event::EventKind;
use crate::framework::{Charm, Ctx, Observers};
use crate::juju_version::JujuVersionError;
use crate::log::CharmLayer;
use crate::metadata::{CharmMeta, MetadataError};
use crate::model::ModelType;
use crate::resilience::Clock;
use crate::store::{DeferredEntry, JujuStore, MemoryStore, StoreData};
use crate::testing::breaker::StoredBreaker;
use crate::testing::consistency;
use crate::testing::error::RunError;
use crate::testing::event::{On, TestEvent};
use crate::testing::juju::{ActionState, JujuSim, JujuState};
use crate::testing::output::{ActionOutput, Output, RunHistory};
use crate::testing::state::State;

/// The Juju version a run reports unless set with [`Context::juju_version`].
pub const DEFAULT_JUJU_VERSION: &str = "3.6.4";

type Factory<C> = Box<dyn Fn() -> C>;

/// Runs a charm's events: one [`Context::run`] is one hook, exactly as Juju would run it.
///
/// Each run builds the hook's environment, a simulated Juju ([`JujuSim`]) from the state, a
/// simulated Pebble per container, and an in-memory store holding the state's event counter,
/// deferred queue and charm state; then calls the same [`dispatch`](crate::dispatch::dispatch) as production (deferred
/// events first, the event, collect-status, commit or rollback) and reads it all back.
///
/// ```
/// use ops::prelude::*;
/// use ops::metadata::CharmMeta;
/// use ops::testing::{Context, State};
///
/// #[derive(Default)]
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
/// let ctx = Context::<Web>::new(CharmMeta::from_charmcraft_yaml("name: web")?);
/// let out = ctx.run(ctx.on.start(), &State::new())?;
/// assert_eq!(out.state.juju.unit_status, Status::active("ready"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Context<C: Charm> {
    meta: Arc<CharmMeta>,
    factory: Factory<C>,
    juju_version: String,
    pebble: PebbleOptions,
    clock: Option<Arc<dyn Clock>>,
    juju_storage: bool,
    charm_root: Option<PathBuf>,
    layers: Vec<CharmLayer>,
    /// The event constructors, Scenario-style: `ctx.on.config_changed()`.
    pub on: On,
}

impl<C: Charm> std::fmt::Debug for Context<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("charm", &self.meta.name)
            .field("juju_version", &self.juju_version)
            .finish_non_exhaustive()
    }
}

impl<C: Charm + Default> Context<C> {
    /// A context for charm `C` (built with `Default` for every run) with metadata `meta`.
    pub fn new(meta: CharmMeta) -> Self {
        Self::with_factory(meta, C::default)
    }

    /// A context reading the metadata from a charm directory (`charmcraft.yaml`, or the
    /// packed `metadata.yaml`, `config.yaml` and `actions.yaml`).
    pub fn from_charm_dir(dir: impl AsRef<Path>) -> Result<Self, MetadataError> {
        Ok(Self::new(CharmMeta::from_charm_dir(dir)?))
    }
}

impl<C: Charm> Context<C> {
    /// A context that builds the charm with `factory` for every run (one value per hook, as
    /// in production).
    pub fn with_factory(meta: CharmMeta, factory: impl Fn() -> C + 'static) -> Self {
        Context {
            meta: Arc::new(meta),
            factory: Box::new(factory),
            juju_version: DEFAULT_JUJU_VERSION.to_owned(),
            pebble: PebbleOptions::default(),
            clock: None,
            juju_storage: false,
            charm_root: None,
            layers: Vec::new(),
            on: On,
        }
    }

    /// Sets the Juju version runs report (`JUJU_VERSION`) and the simulated Juju behaves as
    /// ([`JujuState::juju_version`]): `secret-set` before 3.6, `relation-model-get` from
    /// 3.6.2, ... A string that is not a Juju version makes every run fail with
    /// [`RunError::Inconsistent`].
    #[must_use]
    pub fn juju_version(mut self, version: &str) -> Self {
        self.juju_version = version.to_owned();
        self
    }

    /// Sets the clock the model times leadership with in runs (as
    /// [`MainOptions::clock`](crate::MainOptions::clock) does for a charm): a test moves a
    /// [`ManualClock`](crate::resilience::ManualClock) the charm also holds, to see
    /// `is-leader` asked again once Juju's 30-second guarantee has passed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use ops::prelude::*;
    /// use ops::resilience::ManualClock;
    /// use ops::testing::{Context, State};
    /// struct Long(ManualClock);
    /// impl Charm for Long {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.update_status("long", |c, ctx, _| {
    ///             ctx.model().is_leader()?;
    ///             c.0.advance(Duration::from_secs(31)); // a long hook
    ///             ctx.model().is_leader()?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let clock = ManualClock::new();
    /// let charm_clock = clock.clone();
    /// let meta = ops::metadata::CharmMeta::from_charmcraft_yaml("name: app")?;
    /// let ctx = Context::with_factory(meta, move || Long(charm_clock.clone())).clock(Arc::new(clock));
    /// let out = ctx.run(ctx.on.update_status(), &State::new().leader(true))?;
    /// assert_eq!(out.tool_calls.iter().filter(|c| c.tool == "is-leader").count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Sets the Pebble clients' settings for runs (as the charm's `main` would with
    /// [`MainOptions::pebble`](crate::MainOptions::pebble)): the retry budget above all.
    /// Retries never sleep in tests, whatever the policy.
    ///
    /// ```
    /// use ops::container::{PebbleOptions, RetryPolicy};
    /// # use ops::prelude::*;
    /// # #[derive(Default)] struct App;
    /// # impl Charm for App { type Stored = (); fn observe(_: &mut Observers<Self>) {} }
    /// let ctx = ops::testing::Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app")?)
    ///     .pebble(PebbleOptions::default().retry(RetryPolicy::default().max_attempts(3)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pebble(mut self, options: PebbleOptions) -> Self {
        self.pebble = options;
        self
    }

    /// Keeps the charm's state in the simulated Juju's controller-side store, as a charm
    /// started with [`MainOptions::juju_storage`](crate::MainOptions::juju_storage) does,
    /// instead of in memory: every run then loads it with `state-get` and commits it with
    /// `state-set`, within Juju's limits (see [`crate::hookcmds::limits`]).
    ///
    /// The state's [`stored`](State::stored), [`deferred`](State::deferred),
    /// [`event_counter`](State::event_counter) and [`breakers`](State::breakers) are written
    /// into [`JujuState::controller_state`] before the run and read back from it after; or,
    /// when they are all empty, `controller_state` is used as it is (to start from what an
    /// older ops-rs wrote there, say). The output's `controller_state` keeps only the keys
    /// the charm set itself.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = Vec<String>;
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.install("install", |_, ctx, _| {
    ///             ctx.stored_mut().push("x".repeat(100_000)); // more than one Juju value
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app")?)
    ///     .juju_storage(true);
    /// let out = ctx.run(ctx.on.install(), &State::new())?;
    /// assert_eq!(out.state.stored.unwrap()[0].as_str().map(str::len), Some(100_000));
    /// assert!(out.tool_calls.iter().any(|c| c.tool == "state-set"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn juju_storage(mut self, yes: bool) -> Self {
        self.juju_storage = yes;
        self
    }

    /// Gives runs a charm directory holding the files of `dir` (Scenario's `charm_root`):
    /// the charm's own templates, scripts and data, as the packed charm would have them.
    ///
    /// Every run copies `dir` into a fresh temporary directory and points `JUJU_CHARM_DIR`
    /// (the charm's [`JujuContext::charm_dir`]) at the copy, so what a run writes there is
    /// gone at the next run and `dir` itself is never changed. (Scenario runs in the
    /// directory itself; a copy keeps one test from seeing what another wrote.) Without a
    /// charm root the charm directory is an empty temporary one.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = String;
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.install("render", |_, ctx, _| {
    ///             let path = ctx.juju_context().charm_dir.join("templates/motd.txt");
    ///             *ctx.stored_mut() = std::fs::read_to_string(path)?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let root = tempfile::tempdir()?;
    /// std::fs::create_dir(root.path().join("templates"))?;
    /// std::fs::write(root.path().join("templates/motd.txt"), "hello")?;
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app")?)
    ///     .charm_root(root.path());
    /// let out = ctx.run(ctx.on.install(), &State::new())?;
    /// assert_eq!(out.state.stored_as::<String>()?, "hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn charm_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.charm_root = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Adds a `tracing` layer to every run's subscriber, beside the `juju-log` layer, as
    /// [`MainOptions::layer`](crate::MainOptions::layer) does in production: a test sees the
    /// events and spans the charm and the framework raise (with `ops-rs`'s `spans` feature,
    /// the spans in [`crate::spans`]), or runs a charm's own layer as its `main` would.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use ops::prelude::*;
    /// use ops::testing::{Context, State};
    /// use tracing_subscriber::layer::{Context as LayerCtx, Layer};
    ///
    /// /// Keeps the message of every event.
    /// #[derive(Clone, Default)]
    /// struct Messages(Arc<Mutex<Vec<String>>>);
    /// impl<S: tracing::Subscriber> Layer<S> for Messages {
    ///     fn on_event(&self, event: &tracing::Event<'_>, _: LayerCtx<'_, S>) {
    ///         struct Message<'a>(&'a mut String);
    ///         impl tracing::field::Visit for Message<'_> {
    ///             fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
    ///                 if f.name() == "message" { *self.0 = format!("{v:?}"); }
    ///             }
    ///         }
    ///         let mut m = String::new();
    ///         event.record(&mut Message(&mut m));
    ///         self.0.lock().unwrap().push(m);
    ///     }
    /// }
    ///
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.install("on_install", |_, _, _| {
    ///             tracing::info!("installing");
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let seen = Messages::default();
    /// let ctx = Context::<App>::new(ops::metadata::CharmMeta::from_charmcraft_yaml("name: app")?)
    ///     .layer(seen.clone());
    /// let out = ctx.run(ctx.on.install(), &State::new())?;
    /// assert!(seen.0.lock().unwrap().contains(&"installing".to_owned()));
    /// // The juju-log layer still forwards.
    /// assert!(out.juju_log.iter().any(|l| l.message == "installing"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Clone + Send + Sync + 'static,
    {
        self.layers.push(CharmLayer::new(layer));
        self
    }

    /// The charm's metadata.
    pub fn meta(&self) -> &CharmMeta {
        &self.meta
    }

    fn settings(&self) -> RunSettings<'_> {
        RunSettings {
            juju_version: &self.juju_version,
            pebble: &self.pebble,
            clock: self.clock.as_ref(),
            juju_storage: self.juju_storage,
            charm_root: self.charm_root.as_deref(),
            layers: &self.layers,
        }
    }

    /// Runs `event` against `state` and returns the new state and what the charm did.
    ///
    /// `state` is not changed. If the dispatch fails (a handler error, as in production
    /// everything rolls back) the result is [`RunError::Dispatch`] with the error and the
    /// run's `juju-log` lines. A state that does not fit the event or the metadata is
    /// [`RunError::Inconsistent`].
    pub fn run(&self, event: TestEvent, state: &State) -> Result<Output, RunError> {
        run_event(&self.meta, &*self.factory, self.settings(), &event, state)
    }

    /// Runs `event` against `state` as [`Context::run`] does, and calls `inspect` with the
    /// charm and its [`Ctx`] (the model, the stored state, the containers) once the event and
    /// collect-status are handled, before `pre-commit` and the commit: Scenario's
    /// `with ctx(event, state) as mgr: mgr.run(); mgr.charm`. Returns the output and what
    /// `inspect` returned.
    ///
    /// What `inspect` does counts: a hook tool it runs is in the output's
    /// [`tool_calls`](Output::tool_calls), a change to the stored state is committed. If the
    /// dispatch fails before the look (a handler error), `inspect` is not called and the
    /// result is [`RunError::Dispatch`].
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::testing::{Context, State};
    /// #[derive(Default)]
    /// struct Web { rendered: Option<String> }
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("render", |c, ctx, _| {
    ///             let port = ctx.model().config_value("port")?;
    ///             c.rendered = port.map(|p| format!("listen {p}"));
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(
    ///     "name: web\nconfig:\n  options:\n    port: {type: int, default: 80}\n",
    /// )?;
    /// let ctx = Context::<Web>::new(meta);
    /// let state = State::new().config("port", 8080);
    /// let (_out, (rendered, unit)) = ctx.run_inspect(ctx.on.config_changed(), &state, |charm, ctx| {
    ///     (charm.rendered.clone(), ctx.model().unit_name().to_owned())
    /// })?;
    /// assert_eq!(rendered.as_deref(), Some("listen 8080"));
    /// assert_eq!(unit, "web/0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_inspect<R>(
        &self,
        event: TestEvent,
        state: &State,
        inspect: impl FnOnce(&mut C, &mut Ctx<C>) -> R,
    ) -> Result<(Output, R), RunError> {
        let mut inspect = Some(inspect);
        let mut result = None;
        let mut look = |charm: &mut C, ctx: &mut Ctx<C>| {
            if let Some(f) = inspect.take() {
                result = Some(f(charm, ctx));
            }
        };
        let out = run_event_inspected(
            &self.meta,
            &*self.factory,
            self.settings(),
            (&event, state),
            Some(&mut look),
        )?;
        let result = result.ok_or_else(|| {
            RunError::inconsistent(format!(
                "{} ran without reaching the point where the charm is inspected (a \
                 restricted hook that does nothing with Juju's state store)",
                event.kind
            ))
        })?;
        Ok((out, result))
    }

    /// The deferred-queue entry `handler` would store for `event` (Scenario's
    /// `ctx.on.X().deferred(handler)`): add it to a state with [`State::defer`].
    ///
    /// Without a state, what the event does not carry is unknown: a custom notice's id must
    /// be set with [`TestEvent::notice_id`], a storage event's location with
    /// [`TestEvent::storage_location`] (else it has none). [`Context::deferred_in`] takes
    /// both from the state.
    ///
    /// `handler` must be a name the charm (or one of its components, as `<key>/<name>`)
    /// registered for the event's kind: a dispatch drops an entry whose handler does not
    /// exist without a word (the handler was removed in an upgrade), so a typo here would
    /// make a test pass for the wrong reason. Such a name is
    /// [`RunError::Inconsistent`], naming the handlers that do observe the event.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::metadata::CharmMeta;
    /// use ops::testing::Context;
    /// #[derive(Default)]
    /// struct App;
    /// impl Charm for App {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.config_changed("reconcile", |_c, _ctx, _ev| Ok(()));
    ///     }
    /// }
    /// let ctx = Context::<App>::new(CharmMeta::from_charmcraft_yaml("name: app")?);
    /// assert!(ctx.deferred(&ctx.on.config_changed(), "reconcile").is_ok());
    /// let typo = ctx.deferred(&ctx.on.config_changed(), "reconcilee").unwrap_err();
    /// assert!(typo.to_string().contains("\"reconcile\""), "{typo}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deferred(&self, event: &TestEvent, handler: &str) -> Result<DeferredEntry, RunError> {
        self.check_handler(event, handler)?;
        deferred_entry(&self.meta, event, handler, None)
    }

    /// The deferred-queue entry an older revision of the charm stored for `event` and a
    /// handler this charm no longer has (removed, renamed, or its library gone): what
    /// [`deferred`](Self::deferred) refuses, for a test of what a dispatch does with such an
    /// entry (it drops it, with a warning for a custom event whose emitter is gone).
    pub fn deferred_by_older_revision(
        &self,
        event: &TestEvent,
        handler: &str,
    ) -> Result<DeferredEntry, RunError> {
        deferred_entry(&self.meta, event, handler, None)
    }

    /// Refuses a handler name that nothing registered for `event`'s kind.
    fn check_handler(&self, event: &TestEvent, handler: &str) -> Result<(), RunError> {
        let mut charm = (self.factory)();
        let on = Observers::of(&mut charm);
        let names = on.handler_names(&event.kind);
        if names.contains(&handler) {
            return Ok(());
        }
        let known = if names.is_empty() {
            format!("nothing observes {}", event.kind)
        } else {
            let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
            format!("the handlers of {} are {}", event.kind, quoted.join(", "))
        };
        Err(RunError::inconsistent(format!(
            "no handler named {handler:?} observes {}, so a dispatch would drop this deferred \
             entry without running it; {known}",
            event.kind
        )))
    }

    /// The deferred-queue entry `handler` would store for `event` in `state`: a custom
    /// notice's id is the notice's id in the state's container, a storage event's location
    /// the instance's in the state.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::metadata::CharmMeta;
    /// use ops::testing::{ContainerState, Context, NoticeState, State};
    /// # #[derive(Default)] struct App;
    /// # impl Charm for App {
    /// #     type Stored = ();
    /// #     fn observe(on: &mut Observers<Self>) {
    /// #         on.pebble_custom_notice("web", "on_notice", |_c, _ctx, _ev| Ok(()));
    /// #     }
    /// # }
    /// let meta = CharmMeta::from_charmcraft_yaml("name: app\ncontainers:\n  web: {resource: img}\n")?;
    /// let ctx = Context::<App>::new(meta);
    /// let web = ContainerState::new("web")
    ///     .notice(NoticeState::custom("example.com/a"))
    ///     .notice(NoticeState::custom("example.com/b"));
    /// let state = State::new().container(web);
    /// let ev = ctx.on.pebble_custom_notice("web", "example.com/b");
    /// let entry = ctx.deferred_in(&ev, "on_notice", &state)?;
    /// assert!(entry.data.contains("\"2\"")); // notice b's id
    /// let state = state.defer(entry);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deferred_in(
        &self,
        event: &TestEvent,
        handler: &str,
        state: &State,
    ) -> Result<DeferredEntry, RunError> {
        self.check_handler(event, handler)?;
        deferred_entry(&self.meta, event, handler, Some(state))
    }
}

/// `JUJU_NOTICE_ID` for a custom-notice event: the event's own, or the notice's id in the
/// state's container. Empty for other events.
fn notice_id_var(
    event: &TestEvent,
    state: Option<&State>,
) -> Result<Vec<(&'static str, String)>, RunError> {
    let (Some(c), Some(key)) = (&event.container, &event.notice_key) else {
        return Ok(Vec::new());
    };
    if event.notice_id.is_some() {
        return Ok(Vec::new()); // already among the event's variables
    }
    let Some(state) = state else {
        return Err(RunError::inconsistent(format!(
            "a deferred custom notice needs its id: set it with TestEvent::notice_id, or use \
             Context::deferred_in with the state holding notice {key:?}"
        )));
    };
    let id = state
        .containers
        .get(c)
        .and_then(|ct| ct.notice_id_of(key))
        .ok_or_else(|| {
            RunError::inconsistent(format!(
                "notice {key:?} is not in container {c:?}; add it with ContainerState::notice"
            ))
        })?;
    Ok(vec![("JUJU_NOTICE_ID", id.to_string())])
}

/// The variables every hook gets, for `unit`.
/// What Juju gives every hook of the unit: unit, model, version, charm directory; the
/// variables it exports empty where they do not apply; and on Kubernetes the pod's
/// `KUBERNETES_SERVICE_HOST`, which Juju passes on.
fn base_vars(juju: &JujuState, version: &str, charm_dir: &Path) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("JUJU_UNIT_NAME", juju.unit.clone()),
        ("JUJU_MODEL_NAME", juju.model.name.clone()),
        ("JUJU_MODEL_UUID", juju.model.uuid.clone()),
        ("JUJU_VERSION", version.to_owned()),
        ("JUJU_CHARM_DIR", charm_dir.display().to_string()),
        (
            "JUJU_MACHINE_ID",
            juju.machine_id.clone().unwrap_or_default(),
        ),
        (
            "JUJU_PRINCIPAL_UNIT",
            juju.principal_unit.clone().unwrap_or_default(),
        ),
        (
            "JUJU_AVAILABILITY_ZONE",
            juju.availability_zone.clone().unwrap_or_default(),
        ),
    ];
    if juju.model.model_type == ModelType::Kubernetes {
        vars.push((
            "KUBERNETES_SERVICE_HOST",
            KUBERNETES_SERVICE_HOST.to_owned(),
        ));
    }
    vars
}

/// The address the simulated pods' `KUBERNETES_SERVICE_HOST` holds (the cluster's API
/// service; nothing connects to it).
pub(crate) const KUBERNETES_SERVICE_HOST: &str = "10.152.183.1";

/// The deferred entry for `event` and `handler` (seq and id are given by [`State::defer`]),
/// with what only the state knows taken from `state` if given.
pub(crate) fn deferred_entry(
    meta: &CharmMeta,
    event: &TestEvent,
    handler: &str,
    state: Option<&State>,
) -> Result<DeferredEntry, RunError> {
    if let Some(reason) = event.kind.defer_refusal() {
        return Err(RunError::inconsistent(format!(
            "{} cannot be deferred: {reason}",
            event.kind
        )));
    }
    let mut juju = JujuState::new(&format!("{}/0", meta.name));
    juju.unit = format!("{}/0", meta.name);
    let mut vars = base_vars(&juju, DEFAULT_JUJU_VERSION, Path::new("/charm"));
    vars.extend(event.vars());
    vars.extend(notice_id_var(event, state)?);
    let context = JujuContext::from_vars(vars)?;
    let storage_location = event.storage_location.clone().or_else(|| {
        let (name, index) = event.storage.as_ref()?;
        let instances = state?.juju.storage.get(name)?;
        let inst = instances.iter().find(|s| s.index == *index)?;
        Some(inst.location.clone())
    });
    let inputs = EventInputs {
        storage_location,
        ..EventInputs::default()
    };
    let ev = match event.custom_event() {
        Some(custom) => Some(custom),
        None => juju_event(&context, inputs)?,
    };
    let Some(ev) = ev else {
        return Err(RunError::inconsistent(format!(
            "{} is not an event this framework knows, so nothing can defer it",
            event.kind
        )));
    };
    Ok(DeferredEntry {
        seq: 0,
        event_id: 0,
        handler: handler.to_owned(),
        kind: event.kind.generic_name().to_owned(),
        source: event.kind.source().map(str::to_owned),
        data: ev.encode()?,
    })
}

/// How a run is made, besides the event and the state.
pub(crate) struct RunSettings<'a> {
    /// `JUJU_VERSION`, also the simulated Juju's version.
    pub juju_version: &'a str,
    /// The Pebble clients' settings.
    pub pebble: &'a PebbleOptions,
    /// The model's clock, if not the system's.
    pub clock: Option<&'a Arc<dyn Clock>>,
    /// Whether the charm keeps its state in Juju's controller-side store.
    pub juju_storage: bool,
    /// The directory whose files the run's charm directory holds.
    pub charm_root: Option<&'a Path>,
    /// The charm's own `tracing` layers, as [`MainOptions::layer`](crate::MainOptions::layer)
    /// adds them in production.
    pub layers: &'a [CharmLayer],
}

/// One run: the heart of both [`Context`] and the Harness.
pub(crate) fn run_event<C: Charm>(
    meta: &Arc<CharmMeta>,
    factory: &dyn Fn() -> C,
    settings: RunSettings<'_>,
    event: &TestEvent,
    state: &State,
) -> Result<Output, RunError> {
    run_event_inspected(meta, factory, settings, (event, state), None)
}

/// [`run_event`], with a look at the charm before the commit.
fn run_event_inspected<C: Charm>(
    meta: &Arc<CharmMeta>,
    factory: &dyn Fn() -> C,
    settings: RunSettings<'_>,
    (event, state): (&TestEvent, &State),
    inspect: Option<Inspector<'_, C>>,
) -> Result<Output, RunError> {
    let RunSettings {
        juju_version,
        pebble,
        clock,
        juju_storage,
        charm_root,
        layers,
    } = settings;
    consistency::check(meta, state, event)?;
    let mut juju = prepare_juju(meta, state, event);
    juju.juju_version = juju_version.parse().map_err(|e: JujuVersionError| {
        RunError::inconsistent(format!("Context::juju_version: {e}"))
    })?;

    let tmp = tempfile::Builder::new()
        .prefix("ops-testing")
        .tempdir()
        .map_err(|e| RunError::inconsistent(format!("cannot create a temp dir: {e}")))?;
    let charm_dir = tmp.path().join("charm");
    prepare_charm_dir(&charm_dir, charm_root)?;
    let containers_dir = tmp.path().join("containers");
    if !state.containers.is_empty() {
        pebble_client::retry::set_sleep_enabled(false);
    }
    let mut sims = Vec::new();
    for c in state.containers.values() {
        sims.push((c.name.clone(), c.start_sim(&containers_dir)?));
    }

    let mut vars = base_vars(&juju, juju_version, &charm_dir);
    vars.extend(event.vars());
    vars.push((
        "OPS_RS_CONTAINERS_DIR",
        containers_dir.display().to_string(),
    ));
    if event.notice_id.is_none() {
        vars.extend(notice_id_var(event, Some(state))?);
    }
    let context = JujuContext::from_vars(vars)?;
    if let EventKind::Action(name) = &event.kind {
        let mut params = match &event.action_params {
            Some(serde_json::Value::Object(m)) => m.clone(),
            _ => serde_json::Map::new(),
        };
        if let Some(a) = meta.actions.get(name) {
            a.validate_params(&mut params)
                .map_err(|p| RunError::inconsistent(format!("action {name:?}: {p}")))?;
        }
        let mut action = ActionState::new(name, serde_json::Value::Object(params));
        action.uuid = event.action_id.clone();
        juju.action = Some(action);
    }

    let breakers = state
        .breakers
        .iter()
        .map(|(name, b)| Ok((name.clone(), b.to_json(name)?)))
        .collect::<Result<_, RunError>>()?;
    let data = StoreData {
        event_counter: state.event_counter,
        queue: state.deferred.clone(),
        charm_state: state.stored.as_ref().map(ToString::to_string),
        breakers,
        components: state
            .components
            .iter()
            .map(|(key, v)| (key.clone(), v.to_string()))
            .collect(),
    };
    let store = MemoryStore::with_data(data.clone());
    let store_spec = if juju_storage {
        put_in_juju_store(&mut juju, &data)?;
        StoreSpec::Juju
    } else {
        StoreSpec::Memory(store.clone())
    };
    let sim = JujuSim::new(juju);
    let mut charm = factory();
    let mut input = DispatchInput::new(context, Arc::new(sim.clone()))
        .meta(Arc::clone(meta))
        .pebble(pebble.clone())
        .layers(layers.to_vec());
    if let Some(clock) = clock {
        input = input.clock(Arc::clone(clock));
    }
    if let Some(custom) = event.custom_event() {
        input = input.main_event(custom);
    }
    let outcome = dispatch_inspected(&mut charm, input, store_spec, inspect);
    let mut after = sim.state();
    if let Err(error) = outcome.result {
        return Err(RunError::Dispatch {
            error: Box::new(error),
            juju_log: after.logs,
        });
    }

    let juju_log = std::mem::take(&mut after.logs);
    let tool_calls = std::mem::take(&mut after.calls);
    let history = RunHistory::from_calls(&tool_calls, &state.juju.app_version);
    let action = after.action.take().map(|a| ActionOutput {
        results: a.results,
        logs: a.logs,
        failure: a.failure,
    });
    after.begin_hook(Default::default());
    if let (EventKind::RelationBroken(_), Some(r)) = (&event.kind, &event.relation) {
        after.relations.retain(|rel| rel.id != r.id);
    }
    let data = if juju_storage {
        take_from_juju_store(&mut after)?
    } else {
        store.data()
    };
    let stored = match data.charm_state {
        Some(json) => Some(serde_json::from_str(&json).map_err(|e| RunError::Stored {
            detail: format!("the dispatch saved state that is not JSON: {e}"),
        })?),
        None => None,
    };
    let breakers = data
        .breakers
        .iter()
        .map(|(name, json)| Ok((name.clone(), StoredBreaker::from_json(name, json)?)))
        .collect::<Result<_, RunError>>()?;
    let components = data
        .components
        .iter()
        .map(|(key, json)| {
            serde_json::from_str(json)
                .map(|v| (key.clone(), v))
                .map_err(|e| RunError::Stored {
                    detail: format!(
                        "the dispatch saved a state of component {key:?} that is not JSON: {e}"
                    ),
                })
        })
        .collect::<Result<_, RunError>>()?;
    let mut containers = state.containers.clone();
    let mut exec_history = std::collections::BTreeMap::new();
    for (name, sim) in &sims {
        if let Some(c) = state.containers.get(name) {
            containers.insert(name.clone(), c.read_back(sim.as_ref())?);
        }
        let history = sim.as_ref().map(|s| s.exec_history()).unwrap_or_default();
        if !history.is_empty() {
            exec_history.insert(name.clone(), history);
        }
    }
    drop(sims);
    Ok(Output {
        state: State {
            juju: after,
            containers,
            stored,
            deferred: data.queue,
            event_counter: data.event_counter,
            breakers,
            components,
        },
        juju_log,
        tool_calls,
        handler_calls: outcome.calls,
        emitted_events: outcome.emitted,
        action,
        exec_history,
        workload_version_history: history.workload_versions,
        removed_secret_revisions: history.removed_secret_revisions,
        requested_storages: history.requested_storages,
    })
}

/// Creates the run's charm directory, holding a copy of `root`'s files if given.
fn prepare_charm_dir(charm_dir: &Path, root: Option<&Path>) -> Result<(), RunError> {
    let fail = |dir: &Path, e: std::io::Error| RunError::CharmRoot {
        dir: root.unwrap_or(dir).to_path_buf(),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(charm_dir).map_err(|e| fail(charm_dir, e))?;
    let Some(root) = root else {
        return Ok(());
    };
    if !root.is_dir() {
        return Err(RunError::CharmRoot {
            dir: root.to_path_buf(),
            detail: "not a directory".to_owned(),
        });
    }
    copy_tree(root, charm_dir).map_err(|e| fail(root, e))
}

/// Copies the files and directories under `from` into `to` (symbolic links as links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Writes `data` into the controller-side store of `juju`, as [`JujuStore`] keeps it; with no
/// data, leaves the store as the test gave it.
fn put_in_juju_store(juju: &mut JujuState, data: &StoreData) -> Result<(), RunError> {
    if *data == StoreData::default() {
        return Ok(());
    }
    if juju
        .controller_state
        .keys()
        .any(|k| JujuStore::is_own_key(k))
    {
        return Err(RunError::inconsistent(
            "the state has both stored state (stored, deferred, event counter or breakers) and \
             ops-rs keys in juju.controller_state: give one or the other",
        ));
    }
    let keys = JujuStore::encode(data).map_err(|e| RunError::Stored {
        detail: e.to_string(),
    })?;
    juju.controller_state.extend(keys);
    Ok(())
}

/// The framework's data in the controller-side store of `juju`, taking its keys out.
fn take_from_juju_store(juju: &mut JujuState) -> Result<StoreData, RunError> {
    let data = JujuStore::decode(&juju.controller_state).map_err(|e| RunError::Stored {
        detail: format!("the dispatch left Juju's state store unreadable: {e}"),
    })?;
    juju.controller_state
        .retain(|k, _| !JujuStore::is_own_key(k));
    Ok(data)
}

/// The simulated Juju's state for the run: the state's, with the unit named, the config
/// defaults of the metadata, no calls or logs yet, and the hook context of the event.
fn prepare_juju(meta: &CharmMeta, state: &State, event: &TestEvent) -> JujuState {
    let mut juju = state.juju.clone();
    if juju.unit.is_empty() {
        juju.unit = format!("{}/0", meta.name);
    }
    juju.calls.clear();
    juju.logs.clear();
    juju.action = None;
    juju.begin_hook(Default::default());
    for (key, opt) in &meta.config.options {
        juju.config
            .defaults
            .entry(key.clone())
            .or_insert_with(|| opt.default.clone().unwrap_or(serde_json::Value::Null));
    }
    for (name, _) in meta.storage.iter() {
        juju.storage.entry(name.clone()).or_default();
    }
    if let Some(r) = &event.relation {
        juju = juju.in_relation_hook(r.id, event.remote_unit.as_deref());
        if event.remote_app_removed {
            juju.tool_defaults.remote_app = None;
        }
        if let Some(rel) = juju.relation_by_id_mut(r.id) {
            if let Some(u) = &event.departing_unit {
                if let Some(bag) = rel.remote_units.remove(u) {
                    rel.departed_units.insert(u.clone(), bag);
                }
            }
            if matches!(event.kind, EventKind::RelationBroken(_)) {
                rel.broken = true;
            }
        }
    }
    if let Some((name, index)) = &event.storage {
        juju.tool_defaults.storage_id = Some(format!("{name}/{index}"));
    }
    if meta.subordinate && juju.principal_unit.is_none() {
        // Juju tells a subordinate its principal in every hook.
        juju.principal_unit = juju
            .relations
            .iter()
            .filter(|r| r.subordinate)
            .find_map(|r| r.remote_units.keys().next().cloned());
    }
    juju
}
