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
//! #     {"secret_id": "secret://uuid/cr0ahn1dqe3k7mqmsc2g", "label": null, "revision": 2}))?;
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
    /// The event's `secret_id` and `label` fields (implemented by ops-rs for the four secret
    /// events; read the fields themselves).
    #[doc(hidden)]
    fn id_and_label(&self) -> (&str, Option<&str>);

    /// The secret's globally unique identifier: the last part of the event's `secret_id`,
    /// the same whether Juju gave `secret:<id>` or `secret://<model uuid>/<id>`, so the one to
    /// compare.
    fn unique_identifier(&self) -> &str {
        unique_identifier(self.id_and_label().0)
    }

    /// The secret, not read yet: no hook tool runs until a method of [`Secret`] needs one
    /// (its content is read with `secret-get` only when asked for), as Python ops'
    /// `SecretEvent.secret`.
    fn secret(&self, model: &Model) -> Secret {
        let (id, label) = self.id_and_label();
        model.secret(Some(id), label)
    }
}

/// A secret event about one revision: `secret-expired` (the revision expired) and
/// `secret-remove` (no one tracks the revision any more).
pub trait SecretRevisionEvent: SecretEvent {
    /// The event's `revision` field (implemented by ops-rs; read the field itself).
    #[doc(hidden)]
    fn revision_number(&self) -> u64;

    /// Removes that revision (`secret-remove --revision`): what an owner does on
    /// `secret-remove`, and on `secret-expired` once a new revision is in place. Reads
    /// nothing first.
    fn remove_revision(&self, model: &Model) -> Result<(), ModelError> {
        self.secret(model).remove_revision(self.revision_number())
    }
}

macro_rules! secret_event {
    ($($t:ident),*) => {$(
        impl SecretEvent for $t {
            fn id_and_label(&self) -> (&str, Option<&str>) {
                (&self.secret_id, self.label.as_deref())
            }
        }
    )*};
}
secret_event!(SecretChanged, SecretExpired, SecretRotate, SecretRemove);

impl SecretRevisionEvent for SecretExpired {
    fn revision_number(&self) -> u64 {
        self.revision
    }
}

impl SecretRevisionEvent for SecretRemove {
    fn revision_number(&self) -> u64 {
        self.revision
    }
}
