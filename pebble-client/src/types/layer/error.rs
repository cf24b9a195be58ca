//! Why a layer or plan was rejected.

/// A layer or plan Pebble would reject, with Pebble's own wording where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The YAML does not parse or has unknown fields.
    #[error("cannot parse layer YAML: {message}")]
    Parse {
        /// The parser's message (with line and column).
        message: String,
    },
    /// The YAML could not be written.
    #[error("cannot write layer YAML: {message}")]
    Serialize {
        /// The serializer's message.
        message: String,
    },
    /// A layer or the combined plan breaks one of Pebble's rules. The message is Pebble's.
    #[error("{message}")]
    Invalid {
        /// What is wrong, e.g. `plan must define "command" for service "web"`.
        message: String,
    },
    /// Services order each other in a loop through `before`/`after`.
    #[error("services in before/after loop: {}", services.join(", "))]
    Cycle {
        /// The services in the loop, sorted.
        services: Vec<String>,
    },
}

impl PlanError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            message: message.into(),
        }
    }
}
