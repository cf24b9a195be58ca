//! The model: what Juju tells a unit about itself and its world, over the hook tools.
//!
//! (The minimal core the dispatcher needs; the full model grows around it.)

use std::sync::{Arc, Mutex};

use crate::hookcmds::{HookToolFailure, HookToolRunner};
use crate::status::Status;

/// An error from the model: a hook tool failed or answered something unexpected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A hook tool failed.
    #[error(transparent)]
    HookTool(#[from] HookToolFailure),
    /// A hook tool's answer could not be understood.
    #[error("unexpected answer from `{tool}`: {detail}")]
    BadAnswer {
        /// The tool.
        tool: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// The charm asked for something the model does not allow (e.g. setting `error` status).
    #[error("{0}")]
    Invalid(String),
}

/// The level of a `juju-log` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// TRACE
    Trace,
    /// DEBUG
    Debug,
    /// INFO
    Info,
    /// WARNING
    Warning,
    /// ERROR
    Error,
}

impl LogLevel {
    /// The level as `juju-log --log-level` takes it.
    pub fn as_juju(&self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }
}

/// Whose status: this unit's, or its application's (leader only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusTarget {
    /// The unit running this hook.
    Unit,
    /// The application (only the leader may set it).
    App,
}

/// The unit's view of the Juju model during one dispatch.
///
/// Cheap to clone; clones share the hook-tool runner and the per-dispatch cache.
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

struct Inner {
    runner: Arc<dyn HookToolRunner>,
    unit_name: String,
    app_name: String,
    leader: Mutex<Option<bool>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("unit", &self.inner.unit_name)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// A model for unit `unit_name` (`app/N`) over `runner`.
    pub fn new(runner: Arc<dyn HookToolRunner>, unit_name: &str) -> Self {
        let app_name = unit_name.split('/').next().unwrap_or(unit_name).to_owned();
        Model {
            inner: Arc::new(Inner {
                runner,
                unit_name: unit_name.to_owned(),
                app_name,
                leader: Mutex::new(None),
            }),
        }
    }

    /// The hook-tool runner behind this model.
    pub fn runner(&self) -> &Arc<dyn HookToolRunner> {
        &self.inner.runner
    }

    /// This unit's name, e.g. `web/0`.
    pub fn unit_name(&self) -> &str {
        &self.inner.unit_name
    }

    /// This unit's application name, e.g. `web`.
    pub fn app_name(&self) -> &str {
        &self.inner.app_name
    }

    pub(crate) fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, ModelError> {
        Ok(self.inner.runner.run(tool, args, stdin)?)
    }

    /// Whether this unit is the leader (`is-leader`; asked once per dispatch).
    pub fn is_leader(&self) -> Result<bool, ModelError> {
        let mut cached = self.inner.leader.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = *cached {
            return Ok(l);
        }
        let out = self.run("is-leader", &["--format=json".into()], None)?;
        let leader: bool = serde_json::from_slice(&out).map_err(|e| ModelError::BadAnswer {
            tool: "is-leader".into(),
            detail: format!("expected true or false: {e}"),
        })?;
        *cached = Some(leader);
        Ok(leader)
    }

    /// Sets this unit's or the application's status (`status-set`).
    pub fn set_status(&self, target: StatusTarget, status: &Status) -> Result<(), ModelError> {
        if !status.is_settable() {
            return Err(ModelError::Invalid(format!(
                "a charm cannot set status '{}': only active, blocked, maintenance and waiting",
                status.name()
            )));
        }
        let app = matches!(target, StatusTarget::App);
        let args = vec![
            format!("--application={app}"),
            status.name().to_owned(),
            "--".to_owned(),
            status.message().to_owned(),
        ];
        self.run("status-set", &args, None)?;
        Ok(())
    }

    /// Writes a line to the Juju debug log (`juju-log`).
    pub fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ModelError> {
        let args = vec![
            "--log-level".to_owned(),
            level.as_juju().to_owned(),
            "--".to_owned(),
            message.to_owned(),
        ];
        self.run("juju-log", &args, None)?;
        Ok(())
    }
}
