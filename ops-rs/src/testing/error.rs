//! [`RunError`]: why a run did not produce an output state.

use crate::context::ContextError;
use crate::dispatch::DispatchError;
use crate::event::EventDecodeError;
use crate::testing::juju::LogLine;

/// Why [`Context::run`](super::Context::run) (or a [`Harness`](super::Harness) step) failed.
/// The input state is never changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The state, the event and the metadata do not fit together; the message says what
    /// and how to fix the test.
    #[error("inconsistent test state: {problem}")]
    Inconsistent {
        /// What does not fit.
        problem: String,
    },
    /// The dispatch failed (a handler returned an error, or the framework could not run):
    /// as in production, nothing the charm did was kept.
    #[error("the charm failed: {error}")]
    Dispatch {
        /// The dispatch's error.
        #[source]
        error: Box<DispatchError>,
        /// The `juju-log` lines of the failed run (the error is the last one).
        juju_log: Vec<LogLine>,
    },
    /// The environment the run built is not valid for the event (a bug in the test's event).
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A deferred event could not be built.
    #[error(transparent)]
    Event(#[from] EventDecodeError),
    /// The charm's stored state could not be encoded or decoded.
    #[error("the charm's stored state: {detail}")]
    Stored {
        /// What failed (never the data).
        detail: String,
    },
    /// The charm root ([`Context::charm_root`](super::Context::charm_root)) could not be
    /// copied into the run's charm directory.
    #[error("the charm root {dir:?} cannot be used: {detail}")]
    CharmRoot {
        /// The directory.
        dir: std::path::PathBuf,
        /// What failed.
        detail: String,
    },
    /// A simulated Pebble could not be started, seeded or read.
    #[error("the simulated Pebble of container {container:?}: {detail}")]
    Pebble {
        /// The container.
        container: String,
        /// What failed.
        detail: String,
    },
}

impl RunError {
    /// The dispatch error, if the charm failed.
    pub fn dispatch_error(&self) -> Option<&DispatchError> {
        match self {
            RunError::Dispatch { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The `juju-log` lines of a failed run (empty for other errors).
    pub fn juju_log(&self) -> &[LogLine] {
        match self {
            RunError::Dispatch { juju_log, .. } => juju_log,
            _ => &[],
        }
    }

    pub(crate) fn inconsistent(problem: impl Into<String>) -> Self {
        RunError::Inconsistent {
            problem: problem.into(),
        }
    }
}
