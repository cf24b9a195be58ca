//! Secret hooks: `secret-changed`, `secret-expired`, `secret-rotate`, `secret-remove`.
//!
//! These events carry the secret's id and label, never its content. The secret's id is the
//! field `secret_id` (Python ops' `event.secret.id`); the event's own number in the unit's
//! store is [`event_id()`](crate::event::EventType::event_id) (Python ops' `event.handle`),
//! as on every event.

use super::{EventKind, deferrable, event_struct};

event_struct! {
    /// `secret-changed`: a secret this unit observes has a new revision.
    SecretChanged {
        /// The secret's id, `secret:...` (Python ops' `event.secret.id`). Stored queues
        /// written before this field was renamed from `id` still decode.
        #[serde(alias = "id")]
        secret_id: String,
        /// The label this unit gave it, if any.
        label: Option<String>,
    }
    kind = |_s| EventKind::SecretChanged;
}

event_struct! {
    /// `secret-expired`: a revision of a secret this charm owns has expired.
    ///
    /// Not deferrable: Juju fires it again until a new revision exists.
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn on_expired(ev: &mut ops::event::SecretExpired) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    SecretExpired {
        /// The secret's id, `secret:...` (Python ops' `event.secret.id`). Stored queues
        /// written before this field was renamed from `id` still decode.
        #[serde(alias = "id")]
        secret_id: String,
        /// The label this unit gave it, if any.
        label: Option<String>,
        /// The revision that expired.
        revision: u64,
    }
    kind = |_s| EventKind::SecretExpired;
}

event_struct! {
    /// `secret-rotate`: a secret this charm owns is due for rotation.
    ///
    /// Not deferrable: Juju fires it again until a new revision exists.
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn on_rotate(ev: &mut ops::event::SecretRotate) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    SecretRotate {
        /// The secret's id, `secret:...` (Python ops' `event.secret.id`). Stored queues
        /// written before this field was renamed from `id` still decode.
        #[serde(alias = "id")]
        secret_id: String,
        /// The label this unit gave it, if any.
        label: Option<String>,
    }
    kind = |_s| EventKind::SecretRotate;
}

event_struct! {
    /// `secret-remove`: a revision of a secret this charm owns is no longer tracked by anyone.
    SecretRemove {
        /// The secret's id, `secret:...` (Python ops' `event.secret.id`). Stored queues
        /// written before this field was renamed from `id` still decode.
        #[serde(alias = "id")]
        secret_id: String,
        /// The label this unit gave it, if any.
        label: Option<String>,
        /// The revision that can be removed.
        revision: u64,
    }
    kind = |_s| EventKind::SecretRemove;
}

deferrable!(SecretChanged, SecretRemove);
