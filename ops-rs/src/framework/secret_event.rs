//! [`SecretEvent`]: the secret of a secret event, as a handle read only when used.
//!
//! ```
//! use std::sync::Arc;
//! use ops::prelude::*;
//! use ops::hookcmds::RecordingRunner;
//! use ops::model::Model;
//! let runner = RecordingRunner::new(|_| Ok(Vec::new()));
//! let model = Model::new(Arc::new(runner.clone()), "web/0");
//! # let ev: SecretRemove = serde_json::from_value(serde_json::json!(
//! #     {"id": "secret://uuid/cr0ahn1dqe3k7mqmsc2g", "label": null, "revision": 2}))?;
//! // in a secret-remove handler:
//! assert_eq!(ev.unique_identifier(), "cr0ahn1dqe3k7mqmsc2g");
//! ev.remove_revision(&model)?; // no secret-get: only the removal runs
//! assert_eq!(runner.lines(), ["secret-remove secret://uuid/cr0ahn1dqe3k7mqmsc2g --revision 2"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::event::{SecretChanged, SecretExpired, SecretRemove, SecretRotate};
use crate::hookcmds::secret::uri::unique_identifier;
use crate::model::{Model, ModelError, Secret};

/// An event about one secret: `secret-changed`, `secret-expired`, `secret-rotate`,
/// `secret-remove`.
pub trait SecretEvent {
    /// The secret's id as Juju gave it (`JUJU_SECRET_ID`): `secret:<id>`, or
    /// `secret://<model uuid>/<id>`. Compare secrets by
    /// [`unique_identifier`](Self::unique_identifier), which is the same in both forms.
    fn secret_id(&self) -> &str;

    /// The label this unit gave the secret, if any.
    fn secret_label(&self) -> Option<&str>;

    /// The secret's globally unique identifier (the last part of its id).
    fn unique_identifier(&self) -> &str {
        unique_identifier(self.secret_id())
    }

    /// The secret, not read yet: no hook tool runs until a method of [`Secret`] needs one
    /// (its content is read with `secret-get` only when asked for), as Python ops'
    /// `SecretEvent.secret`.
    fn secret(&self, model: &Model) -> Secret {
        model.secret(Some(self.secret_id()), self.secret_label())
    }
}

/// A secret event about one revision: `secret-expired` (the revision expired) and
/// `secret-remove` (no one tracks the revision any more).
pub trait SecretRevisionEvent: SecretEvent {
    /// The revision the event is about.
    fn secret_revision(&self) -> u64;

    /// Removes that revision (`secret-remove --revision`): what an owner does on
    /// `secret-remove`, and on `secret-expired` once a new revision is in place. Reads
    /// nothing first.
    fn remove_revision(&self, model: &Model) -> Result<(), ModelError> {
        self.secret(model).remove_revision(self.secret_revision())
    }
}

macro_rules! secret_event {
    ($($t:ident),*) => {$(
        impl SecretEvent for $t {
            fn secret_id(&self) -> &str {
                &self.id
            }
            fn secret_label(&self) -> Option<&str> {
                self.label.as_deref()
            }
        }
    )*};
}
secret_event!(SecretChanged, SecretExpired, SecretRotate, SecretRemove);

impl SecretRevisionEvent for SecretExpired {
    fn secret_revision(&self) -> u64 {
        self.revision
    }
}

impl SecretRevisionEvent for SecretRemove {
    fn secret_revision(&self) -> u64 {
        self.revision
    }
}
