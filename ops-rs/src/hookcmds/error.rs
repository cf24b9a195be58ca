//! [`HookToolError`]: what a typed hook-tool call can fail with.
//!
//! This is the lowest layer's own error. It says *what happened* (the tool failed, answered
//! something unexpected, or was asked for something it would refuse) and leaves the meaning
//! to the [`Model`](crate::model::Model), which maps it to a
//! [`ModelError`](crate::model::ModelError) (relation gone, secret not found, permission
//! denied...), as Python ops' `hookcmds.Error` is mapped by its model.

use super::HookToolFailure;

/// A typed hook-tool call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HookToolError {
    /// The tool ran and failed: its exit code and stderr are in the failure.
    #[error(transparent)]
    Failed(#[from] HookToolFailure),
    /// The tool's answer could not be understood (not JSON, wrong shape, empty).
    #[error("unexpected answer from `{tool}`: {detail}")]
    BadAnswer {
        /// The tool.
        tool: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// The call was refused before the tool ran: Juju would refuse it too (a bad key, a
    /// value that cannot be encoded, a status Juju does not take), so it never reached Juju.
    #[error("{0}")]
    Invalid(String),
}

impl HookToolError {
    pub(crate) fn bad_answer(tool: &str, detail: impl Into<String>) -> HookToolError {
        HookToolError::BadAnswer {
            tool: tool.to_owned(),
            detail: detail.into(),
        }
    }

    /// The failure of the tool, when it ran and failed.
    pub fn failure(&self) -> Option<&HookToolFailure> {
        match self {
            HookToolError::Failed(f) => Some(f),
            _ => None,
        }
    }
}
