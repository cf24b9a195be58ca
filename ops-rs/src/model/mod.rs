//! The model: what Juju tells a unit about itself and its world, over the hook tools.
//!
//! A [`Model`] is built once per dispatch by the dispatcher (see [`Model::new`],
//! [`Model::with_meta`], [`Model::with_current_hook`]) and handed to handlers. It answers from a
//! per-dispatch cache where Juju's answer cannot change within the hook (see the `cache`
//! table in [`Model`]'s docs), checks what Juju would refuse before running any tool (writing
//! another unit's relation data, setting app status as a non-leader, invalid action result
//! keys, ...), and never puts secret content on a command line.
//!
//! # Juju versions
//!
//! The model knows the Juju running the hook ([`Model::juju_version`], from `JUJU_VERSION`).
//! ops-rs supports Juju 3.4 and later
//! ([`JujuVersion::OLDEST_SUPPORTED`](crate::juju_version::JujuVersion::OLDEST_SUPPORTED)); these
//! calls need more, or work around what older releases do:
//!
//! | Call | Needs | On an older Juju |
//! |---|---|---|
//! | [`Relation::remote_model_uuid`] (`relation-model-get`) | 3.6.2 | [`ModelError::Unsupported`], no tool runs |
//! | [`Secret::set_content`], [`Secret::set_info`] (`secret-set`) | 3.6 for one call each | the model also reads the content (`secret-get --peek`) and metadata (`secret-info-get`) and resends them, as Python ops does: each `secret-set` of a hook replaces the earlier ones, and before 3.5.5 resets the metadata it leaves out; content equal to the latest revision still makes a new revision |
//! | [`Model::cloud_spec`] on Kubernetes (`credential-get`) | 3.6.10 | Juju answers with an error |
//!
//! What Juju refuses in a Kubernetes model is refused before any tool runs when the model
//! knows it is there ([`ModelType`]): port ranges ([`Model::open_port`]).
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use ops::hookcmds::RecordingRunner;
//! use ops::model::Model;
//! use ops::status::Status;
//! let runner = RecordingRunner::new(|call| match call.tool.as_str() {
//!     "is-leader" => Ok(b"true".to_vec()),
//!     "config-get" => Ok(br#"{"port": 8080}"#.to_vec()),
//!     _ => Ok(Vec::new()),
//! });
//! let model = Model::new(Arc::new(runner.clone()), "web/0");
//! #[derive(serde::Deserialize)]
//! struct Config { port: u16 }
//! let cfg: Config = model.config().unwrap();
//! assert_eq!(cfg.port, 8080);
//! model.set_status(ops::model::StatusTarget::App, &Status::active("serving")).unwrap();
//! assert_eq!(runner.lines(), [
//!     "config-get --format=json",
//!     "is-leader --format=json",
//!     "status-set --application=true active -- serving",
//! ]);
//! ```

mod action;
mod cache;
mod config;
mod error;
mod network;
mod port;
mod relation;
mod secret;
mod secret_ref;
mod status;
mod storage;
mod unit;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pebble_client::retry::SystemClock;

pub use crate::hookcmds::LogLevel;
pub use crate::hookcmds::goal_state::{Goal, GoalState};
pub use crate::hookcmds::network::{Address, BindAddress, Network};
pub use crate::hookcmds::port::{Port, Protocol};
pub use crate::hookcmds::secret::{
    SecretContent, SecretInfo, SecretMetadata, SecretOwner, SecretRevision, SecretRotate,
};
pub use crate::hookcmds::status::StatusInfo;
pub use error::ModelError;
#[cfg(feature = "testing")]
pub(crate) use port::K8S_PORT_RANGE;
pub use relation::{BagOwner, DataBag, Relation};
pub use secret::Secret;
pub use secret_ref::SecretRef;
pub use storage::Storage;

use crate::hookcmds::HookToolRunner;
pub use crate::juju_version::JujuVersion;
use crate::metadata::CharmMeta;
use crate::resilience::Clock;
use cache::Cache;

/// Whose status: this unit's, or its application's (leader only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusTarget {
    /// The unit running this hook.
    Unit,
    /// The application (only the leader may set it).
    App,
}

/// What the current hook is about, from the environment Juju sets (the dispatcher fills it).
///
/// ```
/// use ops::model::CurrentHook;
/// // relation-departed of db:3, remote unit pg/1 leaving
/// let ctx = CurrentHook::default()
///     .relation("db", 3)
///     .remote_app("pg")
///     .remote_unit("pg/1")
///     .departing_unit("pg/1");
/// assert_eq!(ctx.relation, Some(("db".to_string(), 3)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrentHook {
    /// The relation of a relation event: `JUJU_RELATION` and the id of `JUJU_RELATION_ID`.
    pub relation: Option<(String, u32)>,
    /// `JUJU_REMOTE_APP`: the remote application of the current relation event.
    pub remote_app: Option<String>,
    /// `JUJU_REMOTE_UNIT`.
    pub remote_unit: Option<String>,
    /// `JUJU_DEPARTING_UNIT` (relation-departed).
    pub departing_unit: Option<String>,
    /// The relation being broken (relation-broken): excluded from [`Model::relations`].
    pub broken_relation_id: Option<u32>,
    /// `JUJU_ACTION_NAME`: the running action, whose params metadata checks.
    pub action_name: Option<String>,
}

impl CurrentHook {
    /// Sets the current relation (`JUJU_RELATION`, id from `JUJU_RELATION_ID`).
    #[must_use]
    pub fn relation(mut self, endpoint: impl Into<String>, id: u32) -> Self {
        self.relation = Some((endpoint.into(), id));
        self
    }
    /// Sets `JUJU_REMOTE_APP`.
    #[must_use]
    pub fn remote_app(mut self, app: impl Into<String>) -> Self {
        self.remote_app = Some(app.into());
        self
    }
    /// Sets `JUJU_REMOTE_UNIT`.
    #[must_use]
    pub fn remote_unit(mut self, unit: impl Into<String>) -> Self {
        self.remote_unit = Some(unit.into());
        self
    }
    /// Sets `JUJU_DEPARTING_UNIT`.
    #[must_use]
    pub fn departing_unit(mut self, unit: impl Into<String>) -> Self {
        self.departing_unit = Some(unit.into());
        self
    }
    /// Marks relation `id` as being broken (relation-broken hooks).
    #[must_use]
    pub fn broken_relation(mut self, id: u32) -> Self {
        self.broken_relation_id = Some(id);
        self
    }
    /// Sets the running action's name.
    #[must_use]
    pub fn action(mut self, name: impl Into<String>) -> Self {
        self.action_name = Some(name.into());
        self
    }
}

/// What kind of model the unit runs in.
///
/// Juju refuses some things on Kubernetes that it allows on machines (port ranges, rebooting);
/// the model refuses them up front when it knows it is on Kubernetes. The dispatcher decides
/// from the charm's metadata: a charm with `containers` is a sidecar charm, and Juju deploys
/// those only on Kubernetes. (Python ops does not decide at all: it leaves every refusal to
/// Juju. Juju also passes `KUBERNETES_SERVICE_HOST` into a Kubernetes unit's hooks, which the
/// hook context will use to know a container-less charm is on Kubernetes too.)
///
/// ```
/// use ops::model::ModelType;
/// assert_eq!(ModelType::Kubernetes.to_string(), "kubernetes");
/// assert_eq!("machine".parse::<ModelType>(), Ok(ModelType::Machine));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ModelType {
    /// A Kubernetes model (Juju's CAAS): sidecar charms, one pod per unit.
    #[default]
    Kubernetes,
    /// A machine model (Juju's IAAS): units on machines or LXD containers.
    Machine,
}

impl ModelType {
    /// `kubernetes` or `machine`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModelType::Kubernetes => "kubernetes",
            ModelType::Machine => "machine",
        }
    }
}

impl std::fmt::Display for ModelType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ModelType {
    type Err = String;

    /// `kubernetes` (or `k8s`) and `machine` (or `iaas`, `lxd`).
    fn from_str(s: &str) -> Result<ModelType, String> {
        match s {
            "kubernetes" | "k8s" | "caas" => Ok(ModelType::Kubernetes),
            "machine" | "iaas" | "lxd" => Ok(ModelType::Machine),
            other => Err(format!(
                "unknown model type {other:?}: expected \"kubernetes\" or \"machine\""
            )),
        }
    }
}

/// How long Juju guarantees leadership after `is-leader` answered true: Juju's uniter claims
/// the lease for a minute and renews it every 30 seconds, so a true answer holds for at
/// least this long (Python ops' `LEASE_RENEWAL_PERIOD`). [`Model::is_leader`] asks again
/// after it.
///
/// ```
/// assert_eq!(ops::model::LEADERSHIP_LEASE.as_secs(), 30);
/// ```
pub const LEADERSHIP_LEASE: Duration = Duration::from_secs(30);

/// The unit's view of the Juju model during one dispatch.
///
/// Cheap to clone; clones share the hook-tool runner and the per-dispatch cache. Built by the
/// dispatcher:
///
/// ```
/// # use std::sync::Arc;
/// # use ops::hookcmds::RecordingRunner;
/// use ops::juju_version::JujuVersion;
/// use ops::metadata::CharmMeta;
/// use ops::model::{CurrentHook, Model, ModelType};
/// # let runner = Arc::new(RecordingRunner::new(|_| Ok(Vec::new())));
/// let meta = Arc::new(CharmMeta::from_charmcraft_yaml("name: web").unwrap());
/// let model = Model::new(runner, "web/0")
///     .with_meta(meta)
///     .with_juju_version(JujuVersion::new(3, 6, 4))
///     .with_model_type(ModelType::Kubernetes)
///     .with_current_hook(CurrentHook::default().relation("db", 3).broken_relation(3));
/// assert_eq!(model.app_name(), "web");
/// assert_eq!(model.juju_version().to_string(), "3.6.4");
/// ```
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

/// What a model is built from (everything but its cache).
#[derive(Clone)]
struct Parts {
    runner: Arc<dyn HookToolRunner>,
    unit_name: String,
    app_name: String,
    meta: Option<Arc<CharmMeta>>,
    hook: CurrentHook,
    juju_version: JujuVersion,
    model_type: Option<ModelType>,
    model_uuid: Option<String>,
    clock: Arc<dyn Clock>,
}

struct Inner {
    parts: Parts,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.inner.parts;
        f.debug_struct("Model")
            .field("unit", &p.unit_name)
            .field("juju_version", &p.juju_version)
            .field("model_type", &p.model_type)
            .field("hook", &p.hook)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// A model for unit `unit_name` (`app/N`) over `runner`. Its Juju version is
    /// [`JujuVersion::UNKNOWN`] and its model type unknown until set
    /// ([`with_juju_version`](Self::with_juju_version),
    /// [`with_model_type`](Self::with_model_type)); the dispatcher sets both.
    pub fn new(runner: Arc<dyn HookToolRunner>, unit_name: &str) -> Self {
        let app_name = unit_name.split('/').next().unwrap_or(unit_name).to_owned();
        Self::build(Parts {
            runner,
            unit_name: unit_name.to_owned(),
            app_name,
            meta: None,
            hook: CurrentHook::default(),
            juju_version: JujuVersion::UNKNOWN,
            model_type: None,
            model_uuid: None,
            clock: Arc::new(SystemClock),
        })
    }

    fn build(parts: Parts) -> Self {
        Model {
            inner: Arc::new(Inner {
                parts,
                cache: Mutex::new(Cache::default()),
            }),
        }
    }

    fn rebuild(self, change: impl FnOnce(&mut Parts)) -> Self {
        let mut parts = self.inner.parts.clone();
        change(&mut parts);
        Self::build(parts)
    }

    /// The same model with the charm's metadata: config defaults and types, action parameter
    /// schemas, and which endpoints are peers. Call while building (it starts a fresh cache).
    #[must_use]
    pub fn with_meta(self, meta: Arc<CharmMeta>) -> Self {
        self.rebuild(|p| p.meta = Some(meta))
    }

    /// The same model with what the current hook is about (see [`CurrentHook`]). Call while
    /// building (it starts a fresh cache).
    #[must_use]
    pub fn with_current_hook(self, hook: CurrentHook) -> Self {
        self.rebuild(|p| p.hook = hook)
    }

    /// The same model for Juju `version` (`JUJU_VERSION`): calls work around what older
    /// Juju releases get wrong, and refuse what they lack. Call while building (it starts a
    /// fresh cache).
    #[must_use]
    pub fn with_juju_version(self, version: JujuVersion) -> Self {
        self.rebuild(|p| p.juju_version = version)
    }

    /// The same model, known to be in a model of type `model_type`: what Juju refuses there
    /// is refused before any tool runs. Call while building (it starts a fresh cache).
    #[must_use]
    pub fn with_model_type(self, model_type: ModelType) -> Self {
        self.rebuild(|p| p.model_type = Some(model_type))
    }

    /// The same model, known to have UUID `uuid` (`JUJU_MODEL_UUID`): secret ids given as a
    /// bare unique identifier are expanded to the full URI with it (see
    /// [`canonical_id`](crate::hookcmds::secret::uri::canonical_id)). Call while building (it
    /// starts a fresh cache).
    #[must_use]
    pub fn with_model_uuid(self, uuid: &str) -> Self {
        self.rebuild(|p| p.model_uuid = Some(uuid.to_owned()))
    }

    /// The model's UUID, if known (the dispatcher sets it from `JUJU_MODEL_UUID`).
    pub fn model_uuid(&self) -> Option<&str> {
        self.inner.parts.model_uuid.as_deref()
    }

    /// The same model timing leadership with `clock` (see [`Model::is_leader`]): tests move
    /// a [`ManualClock`](crate::resilience::ManualClock) instead of waiting. Call while
    /// building (it starts a fresh cache).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use ops::hookcmds::RecordingRunner;
    /// use ops::model::Model;
    /// use ops::resilience::ManualClock;
    /// let runner = RecordingRunner::new(|_| Ok(b"true".to_vec()));
    /// let clock = ManualClock::new();
    /// let model = Model::new(Arc::new(runner.clone()), "web/0").with_clock(Arc::new(clock.clone()));
    /// assert!(model.is_leader()?);
    /// clock.advance(Duration::from_secs(31));
    /// assert!(model.is_leader()?);
    /// assert_eq!(runner.calls().len(), 2); // asked again once the lease could have lapsed
    /// # Ok::<(), ops::model::ModelError>(())
    /// ```
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.rebuild(|p| p.clock = clock)
    }

    /// The hook-tool runner behind this model.
    pub fn runner(&self) -> &Arc<dyn HookToolRunner> {
        &self.inner.parts.runner
    }

    pub(crate) fn tools(&self) -> &dyn HookToolRunner {
        &*self.inner.parts.runner
    }

    /// This unit's name, e.g. `web/0`.
    pub fn unit_name(&self) -> &str {
        &self.inner.parts.unit_name
    }

    /// This unit's application name, e.g. `web`.
    pub fn app_name(&self) -> &str {
        &self.inner.parts.app_name
    }

    /// The charm's metadata, if the model was given it.
    pub fn meta(&self) -> Option<&Arc<CharmMeta>> {
        self.inner.parts.meta.as_ref()
    }

    /// What the current hook is about.
    pub fn current_hook(&self) -> &CurrentHook {
        &self.inner.parts.hook
    }

    pub(crate) fn cache(&self) -> MutexGuard<'_, Cache> {
        self.inner.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers from the cache, or runs `fetch` and caches its answer. The lock is not held
    /// while the tool runs.
    pub(crate) fn memo<T: Clone>(
        &self,
        get: impl FnOnce(&Cache) -> Option<T>,
        fetch: impl FnOnce() -> Result<T, ModelError>,
        put: impl FnOnce(&mut Cache, T),
    ) -> Result<T, ModelError> {
        if let Some(v) = get(&self.cache()) {
            return Ok(v);
        }
        let v = fetch()?;
        put(&mut self.cache(), v.clone());
        Ok(v)
    }

    #[allow(dead_code)] // kept for crate-internal callers (the framework branch uses it)
    pub(crate) fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, ModelError> {
        self.inner
            .parts
            .runner
            .run(tool, args, stdin)
            .map_err(ModelError::from_failure)
    }

    /// The version of the Juju running this hook (`JUJU_VERSION`; [`JujuVersion::UNKNOWN`]
    /// where Juju did not say).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ops::hookcmds::RecordingRunner;
    /// use ops::model::{JujuVersion, Model};
    /// # let runner = Arc::new(RecordingRunner::new(|_| Ok(Vec::new())));
    /// let model = Model::new(runner, "web/0").with_juju_version("3.5.4".parse()?);
    /// if !model.juju_version().has_relation_model_get() {
    ///     // relation-model-get is not there: use what the relation data says instead
    /// }
    /// assert!(*model.juju_version() < JujuVersion::new(3, 6, 0));
    /// # Ok::<(), ops::juju_version::JujuVersionError>(())
    /// ```
    pub fn juju_version(&self) -> &JujuVersion {
        &self.inner.parts.juju_version
    }

    /// The type of model this unit is in, if known (see [`ModelType`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ops::hookcmds::RecordingRunner;
    /// use ops::model::{Model, ModelType};
    /// # let runner = Arc::new(RecordingRunner::new(|_| Ok(Vec::new())));
    /// let model = Model::new(runner, "web/0");
    /// assert_eq!(model.model_type(), None);
    /// assert_eq!(model.with_model_type(ModelType::Machine).model_type(), Some(ModelType::Machine));
    /// ```
    pub fn model_type(&self) -> Option<ModelType> {
        self.inner.parts.model_type
    }

    /// Whether this unit is the leader (`is-leader`).
    ///
    /// Juju guarantees leadership for [`LEADERSHIP_LEASE`] (30 s) after a true answer, so a
    /// true answer is kept that long and then asked again, as Python ops does: a long hook can
    /// lose leadership. A false answer is kept for the whole dispatch: Juju's hook context
    /// answers false for the rest of the hook once it has (its leadership context marks the
    /// unit a minion), so asking again could not change it. The time is taken before the tool
    /// runs, so the answer is never trusted past what Juju promised.
    pub fn is_leader(&self) -> Result<bool, ModelError> {
        let now = self.inner.parts.clock.now();
        if let Some((answer, asked)) = self.cache().leader {
            if !answer || now.saturating_duration_since(asked) <= LEADERSHIP_LEASE {
                return Ok(answer);
            }
        }
        let answer = crate::hookcmds::leader::is_leader(self.tools())?;
        self.cache().leader = Some((answer, now));
        Ok(answer)
    }

    /// Writes a line to the Juju debug log (`juju-log`). Juju takes any text, but one
    /// command-line argument holds at most
    /// [`MAX_ARG_LEN`](crate::hookcmds::limits::MAX_ARG_LEN) bytes (Linux's limit): a longer
    /// message is sent whole over several calls, cut on character boundaries.
    pub fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ModelError> {
        crate::hookcmds::log::juju_log(self.tools(), level, message).map_err(ModelError::from)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::resilience::ManualClock;
    use crate::test_support::runners::{juju, model};

    /// A true answer holds for the 30 s Juju guarantees, then is asked again (and can have
    /// turned false); false holds for the dispatch, as Juju's hook context keeps it.
    #[test]
    fn leadership_is_asked_again_after_the_lease() {
        let answers = Arc::new(std::sync::Mutex::new(vec!["false", "true"]));
        let a = answers.clone();
        let r = crate::hookcmds::RecordingRunner::new(move |_| {
            let next = a.lock().unwrap().pop().unwrap_or("false");
            Ok(next.as_bytes().to_vec())
        });
        let clock = ManualClock::new();
        let m = model(&r).with_clock(Arc::new(clock.clone()));
        assert!(m.is_leader().unwrap());
        clock.advance(Duration::from_secs(30));
        assert!(m.is_leader().unwrap(), "within the lease");
        assert_eq!(r.calls().len(), 1);
        clock.advance(Duration::from_millis(1));
        assert!(!m.is_leader().unwrap(), "asked again: the lease lapsed");
        assert_eq!(r.calls().len(), 2);
        clock.advance(Duration::from_secs(3600));
        assert!(!m.is_leader().unwrap());
        assert_eq!(r.calls().len(), 2, "false is final within the hook");
    }

    #[test]
    fn version_and_type_default_to_unknown() {
        let r = juju(&[]);
        let m = crate::model::Model::new(Arc::new(r), "web/0");
        assert_eq!(*m.juju_version(), crate::juju_version::JujuVersion::UNKNOWN);
        assert_eq!(m.model_type(), None);
        let text = format!("{m:?}");
        assert!(
            text.contains("0.0.0") || text.contains("major: 0"),
            "{text}"
        );
    }
}
