//! The model: what Juju tells a unit about itself and its world, over the hook tools.
//!
//! A [`Model`] is built once per dispatch by the dispatcher (see [`Model::new`],
//! [`Model::with_meta`], [`Model::with_current_hook`]) and handed to handlers. It answers from a
//! per-dispatch cache where Juju's answer cannot change within the hook (see the `cache`
//! table in [`Model`]'s docs), checks what Juju would refuse before running any tool (writing
//! another unit's relation data, setting app status as a non-leader, invalid action result
//! keys, ...), and never puts secret content on a command line.
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
mod status;
mod storage;
mod unit;

use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::hookcmds::LogLevel;
pub use crate::hookcmds::goal_state::{Goal, GoalState};
pub use crate::hookcmds::network::{Address, BindAddress, Network};
pub use crate::hookcmds::port::{Port, Protocol};
pub use crate::hookcmds::secret::{
    SecretContent, SecretInfo, SecretMetadata, SecretOwner, SecretRevision, SecretRotate,
};
pub use crate::hookcmds::status::StatusInfo;
pub use error::ModelError;
pub use relation::{BagOwner, DataBag, Relation};
pub use secret::Secret;
pub use storage::Storage;

use crate::hookcmds::HookToolRunner;
use crate::metadata::CharmMeta;
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

/// The unit's view of the Juju model during one dispatch.
///
/// Cheap to clone; clones share the hook-tool runner and the per-dispatch cache. Built by the
/// dispatcher:
///
/// ```
/// # use std::sync::Arc;
/// # use ops::hookcmds::RecordingRunner;
/// use ops::metadata::CharmMeta;
/// use ops::model::{CurrentHook, Model};
/// # let runner = Arc::new(RecordingRunner::new(|_| Ok(Vec::new())));
/// let meta = Arc::new(CharmMeta::from_charmcraft_yaml("name: web").unwrap());
/// let model = Model::new(runner, "web/0")
///     .with_meta(meta)
///     .with_current_hook(CurrentHook::default().relation("db", 3).broken_relation(3));
/// assert_eq!(model.app_name(), "web");
/// ```
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

struct Inner {
    runner: Arc<dyn HookToolRunner>,
    unit_name: String,
    app_name: String,
    meta: Option<Arc<CharmMeta>>,
    hook: CurrentHook,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("unit", &self.inner.unit_name)
            .field("hook", &self.inner.hook)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// A model for unit `unit_name` (`app/N`) over `runner`.
    pub fn new(runner: Arc<dyn HookToolRunner>, unit_name: &str) -> Self {
        let app_name = unit_name.split('/').next().unwrap_or(unit_name).to_owned();
        Self::build(
            runner,
            unit_name.to_owned(),
            app_name,
            None,
            CurrentHook::default(),
        )
    }

    fn build(
        runner: Arc<dyn HookToolRunner>,
        unit_name: String,
        app_name: String,
        meta: Option<Arc<CharmMeta>>,
        hook: CurrentHook,
    ) -> Self {
        Model {
            inner: Arc::new(Inner {
                runner,
                unit_name,
                app_name,
                meta,
                hook,
                cache: Mutex::new(Cache::default()),
            }),
        }
    }

    /// The same model with the charm's metadata: config defaults and types, action parameter
    /// schemas, and which endpoints are peers. Call while building (it starts a fresh cache).
    #[must_use]
    pub fn with_meta(self, meta: Arc<CharmMeta>) -> Self {
        let i = &self.inner;
        Self::build(
            i.runner.clone(),
            i.unit_name.clone(),
            i.app_name.clone(),
            Some(meta),
            i.hook.clone(),
        )
    }

    /// The same model with what the current hook is about (see [`CurrentHook`]). Call while
    /// building (it starts a fresh cache).
    #[must_use]
    pub fn with_current_hook(self, hook: CurrentHook) -> Self {
        let i = &self.inner;
        Self::build(
            i.runner.clone(),
            i.unit_name.clone(),
            i.app_name.clone(),
            i.meta.clone(),
            hook,
        )
    }

    /// The hook-tool runner behind this model.
    pub fn runner(&self) -> &Arc<dyn HookToolRunner> {
        &self.inner.runner
    }

    pub(crate) fn tools(&self) -> &dyn HookToolRunner {
        &*self.inner.runner
    }

    /// This unit's name, e.g. `web/0`.
    pub fn unit_name(&self) -> &str {
        &self.inner.unit_name
    }

    /// This unit's application name, e.g. `web`.
    pub fn app_name(&self) -> &str {
        &self.inner.app_name
    }

    /// The charm's metadata, if the model was given it.
    pub fn meta(&self) -> Option<&Arc<CharmMeta>> {
        self.inner.meta.as_ref()
    }

    /// What the current hook is about.
    pub fn current_hook(&self) -> &CurrentHook {
        &self.inner.hook
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
            .runner
            .run(tool, args, stdin)
            .map_err(ModelError::from_failure)
    }

    /// Whether this unit is the leader (`is-leader`; asked once per dispatch).
    pub fn is_leader(&self) -> Result<bool, ModelError> {
        self.memo(
            |c| c.leader,
            || crate::hookcmds::leader::is_leader(self.tools()).map_err(ModelError::from),
            |c, v| c.leader = Some(v),
        )
    }

    /// Writes a line to the Juju debug log (`juju-log`). Juju takes any text, but one
    /// command-line argument holds at most
    /// [`MAX_ARG_LEN`](crate::hookcmds::limits::MAX_ARG_LEN) bytes (Linux's limit): a longer
    /// message is sent whole over several calls, cut on character boundaries.
    pub fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ModelError> {
        crate::hookcmds::log::juju_log(self.tools(), level, message).map_err(ModelError::from)
    }
}
