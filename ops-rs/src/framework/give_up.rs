//! Typed config and action parameters that give up on the hook when they do not fit (Python
//! ops' `CharmBase.load_config(errors="blocked")` and `ActionEvent.load_params(errors="fail")`).
//!
//! A config the operator got wrong is not a bug in the charm: failing the hook puts the unit
//! in error and makes Juju retry a hook that will fail the same way until the operator
//! changes the config. Giving up instead sets the unit blocked with the reason (or, for an
//! action, fails the action with it) and ends the hook successfully: nothing the dispatch did
//! is saved (stored state, deferred queue, as a failed hook), collect-status does not run,
//! and the hook exits 0.
//!
//! The testing guide (`ops::testing`, "Giving up on a hook") shows both in a test.

use serde::de::DeserializeOwned;

use super::{Charm, Ctx, HandlerError};
use crate::model::{ModelError, StatusTarget};
use crate::status::Status;

/// What [`Ctx::load_config`] does with a config that does not fit the charm's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InvalidConfig {
    /// Return the error: the handler fails and so does the hook (ops' `errors="raise"`).
    #[default]
    Error,
    /// Set the unit blocked with the reason and end the hook successfully, saving nothing
    /// (ops' `errors="blocked"`).
    Blocked,
}

/// What [`Ctx::load_params`] does with action parameters that do not fit the charm's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InvalidParams {
    /// Return the error: the handler fails, and so does the action, with the error logged.
    #[default]
    Error,
    /// Fail the action with the reason (`action-fail`) and end the hook successfully, saving
    /// nothing (ops' `errors="fail"`).
    Fail,
}

/// The hook gave up on purpose (see [`Ctx::load_config`]): propagated with `?` out of a
/// handler, it ends the dispatch with exit code 0, nothing saved, and a warning logged with
/// the reason. Anything else a handler returns still fails the hook.
///
/// ```
/// use ops::framework::{GaveUp, HandlerError};
/// let e: HandlerError = GaveUp::new("the database is gone for good").into();
/// assert_eq!(e.to_string(), "gave up on the hook: the database is gone for good");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gave up on the hook: {reason}")]
pub struct GaveUp {
    /// Why.
    pub reason: String,
}

impl GaveUp {
    /// Gives up for `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        GaveUp {
            reason: reason.into(),
        }
    }

    /// The `GaveUp` in `error`'s chain, if the handler gave up.
    pub fn in_error(error: &HandlerError) -> Option<&GaveUp> {
        error.chain().find_map(|e| e.downcast_ref::<GaveUp>())
    }
}

impl<C: Charm> Ctx<C> {
    /// The config as the charm's own type (see [`Model::config`](crate::model::Model::config)),
    /// giving up on the hook as `on_invalid` says when it does not fit: with
    /// [`InvalidConfig::Blocked`], the unit's status is set to blocked with the reason at
    /// once and the error returned is [`GaveUp`]. Failures that are not the config's (a hook
    /// tool that fails) are returned as they are.
    pub fn load_config<T: DeserializeOwned>(
        &self,
        on_invalid: InvalidConfig,
    ) -> Result<T, HandlerError> {
        match self.model().config::<T>() {
            Ok(config) => Ok(config),
            Err(e @ ModelError::Config { .. }) if on_invalid == InvalidConfig::Blocked => {
                let reason = e.to_string();
                self.model()
                    .set_status(StatusTarget::Unit, &Status::blocked(reason.clone()))?;
                Err(GaveUp::new(reason).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The action's parameters as the charm's own type (see
    /// [`Model::action_params`](crate::model::Model::action_params)), giving up on the hook as
    /// `on_invalid` says when they do not fit: with [`InvalidParams::Fail`], the action is
    /// failed with the reason (`action-fail`) and the error returned is [`GaveUp`].
    pub fn load_params<T: DeserializeOwned>(
        &self,
        on_invalid: InvalidParams,
    ) -> Result<T, HandlerError> {
        match self.model().action_params::<T>() {
            Ok(params) => Ok(params),
            Err(e @ ModelError::ActionParams { .. }) if on_invalid == InvalidParams::Fail => {
                let reason = e.to_string();
                self.model().action_fail(&reason)?;
                Err(GaveUp::new(reason).into())
            }
            Err(e) => Err(e.into()),
        }
    }
}
