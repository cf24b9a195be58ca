//! The errors `juju-sim` reports: each says what went wrong and what to do about it.

use std::path::PathBuf;

/// Everything that can stop a simulation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A scenario file is not valid: the message names the step and field.
    #[error("{file}: {path}: {message}")]
    Scenario {
        /// The scenario file (or `<scenario>`).
        file: String,
        /// Where in the file, e.g. `steps[2] (relate).units`.
        path: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The charm directory cannot be used.
    #[error("{0}")]
    Charm(String),
    /// The charm's metadata cannot be read.
    #[error(transparent)]
    Metadata(#[from] ops::metadata::MetadataError),
    /// The `hook-tool` binary was not found.
    #[error(
        "cannot find the hook-tool binary at {0}: build it with `cargo build -p juju-sim` \
         or install it with `cargo install --path juju-sim` (it belongs next to juju-sim), or \
         pass --hook-tool PATH"
    )]
    HookToolMissing(PathBuf),
    /// A file or directory operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done, e.g. `cannot write`.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The model state file is unreadable.
    #[error("model state file {path}: {source}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ops::testing::juju::StateError,
    },
    /// The model state files (model and journal) cannot be read or written.
    #[error(transparent)]
    StateFile(#[from] super::state_file::StateFileError),
    /// A container image could not be installed.
    #[error("image of container {container}: {message}")]
    Image {
        /// The container.
        container: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// A simulated Pebble could not be started or driven.
    #[error("container {container}: {message}")]
    Pebble {
        /// The container.
        container: String,
        /// What went wrong.
        message: String,
    },
    /// The charm's `dispatch` could not be started or waited for.
    #[error("cannot run {path}: {source}; is it executable and built for this machine?")]
    Spawn {
        /// The dispatch path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A scenario step cannot be applied to the current model (e.g. an unknown relation).
    #[error("step {step} ({name}): {message}")]
    Step {
        /// 1-based step number.
        step: usize,
        /// The step's kind.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The model of several applications does not settle: hooks keep causing hooks.
    #[error(
        "the model is not quiet: {unit} ran {hooks} hooks in a row (the last: {last}); do \
         two charms answer each other's relation-changed with a new value every time? \
         (--settle-limit raises the limit)"
    )]
    NotQuiet {
        /// The unit that ran most.
        unit: String,
        /// How many hooks it ran.
        hooks: usize,
        /// The last ones, `unit hook`.
        last: String,
    },
    /// Workload events keep coming (a notice handler that notifies again, forever?).
    #[error(
        "more than {0} workload events in a row: does a notice handler trigger another notice every time?"
    )]
    EventStorm(usize),
}

impl SimError {
    /// An I/O error on `path`.
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SimError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

/// The result type of juju-sim.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
