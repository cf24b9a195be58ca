//! Actions: `juju run <unit> <action>`, dispatched as `actions/<name>`.

use std::fmt;

use serde::de::DeserializeOwned;

use super::{EventKind, EventMeta};

/// An action invoked by an operator. Its parameters are fetched with
/// `action-get --format=json` when the dispatch starts.
///
/// Not deferrable: an action must answer its caller now.
///
/// ```compile_fail,E0277
/// use ops::prelude::*;
/// fn on_backup(ev: &mut ops::event::ActionEvent) -> HandlerResult { ev.defer()?; Ok(()) }
/// ```
///
/// `Debug` shows the parameter names, never their values (they may be secret).
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ActionEvent {
    /// The action's name, e.g. `backup`.
    pub name: String,
    /// The id Juju gave this run.
    pub uuid: String,
    /// The parameters, as JSON (an object).
    pub params: serde_json::Value,
    #[serde(skip)]
    pub(crate) meta: EventMeta,
}

/// The action's parameters do not fit the type asked for.
#[derive(Debug, thiserror::Error)]
#[error("the parameters of action {action} do not fit {type_name}: {reason}")]
pub struct ActionParamsError {
    /// The action.
    pub action: String,
    /// The type asked for.
    pub type_name: &'static str,
    /// What did not fit (never a value).
    pub reason: String,
}

impl ActionEvent {
    /// This event's kind.
    pub fn kind(&self) -> EventKind {
        EventKind::Action(self.name.clone())
    }

    /// The event's id: unique among the unit's deferred events; given out again after a
    /// dispatch that saved nothing (see [Event ids](crate::event#event-ids)).
    pub fn event_id(&self) -> u64 {
        self.meta.id
    }

    /// The parameters as a typed value.
    ///
    /// ```
    /// # use ops::event::ActionEvent;
    /// #[derive(serde::Deserialize)]
    /// struct Backup { target: String }
    /// fn on_backup(ev: &mut ActionEvent) -> Result<(), ops::event::ActionParamsError> {
    ///     let p: Backup = ev.params()?;
    ///     let _ = p.target;
    ///     Ok(())
    /// }
    /// ```
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, ActionParamsError> {
        serde_json::from_value(self.params.clone()).map_err(|e| ActionParamsError {
            action: self.name.clone(),
            type_name: std::any::type_name::<T>(),
            reason: format!("{:?} error", e.classify()),
        })
    }
}

impl fmt::Debug for ActionEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&String> = self
            .params
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        f.debug_struct("ActionEvent")
            .field("name", &self.name)
            .field("uuid", &self.uuid)
            .field("params", &keys)
            .finish_non_exhaustive()
    }
}
