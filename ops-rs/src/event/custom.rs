//! Custom events: typed events a component (or the charm) declares and emits during a
//! dispatch, observed like Juju's.
//!
//! A custom event is a serde struct that implements [`CustomEvent`]: its name, and whether
//! handlers may defer it. Its emitter is identified by a key: a component's key (two
//! instances of one library emit the same type under two keys), or `charm` for the charm's
//! own. A handler registered with
//! [`Observers::custom`](crate::framework::Observers::custom) receives a [`Custom<T>`]; one
//! registered with [`Observers::many`](crate::framework::Observers::many) receives the runtime
//! [`Event::Custom`](crate::event::Event::Custom), whose [`CustomEventData`] holds the payload
//! as JSON.
//!
//! ```
//! use ops::event::{Custom, CustomEvent, EventKind};
//!
//! #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! struct DatabaseCreated {
//!     endpoints: String,
//! }
//! impl CustomEvent for DatabaseCreated {
//!     const NAME: &'static str = "database-created";
//! }
//! assert_eq!(
//!     EventKind::custom_of::<DatabaseCreated>("db").to_string(),
//!     "db/database-created"
//! );
//! fn on_created(ev: &mut Custom<DatabaseCreated>) -> Result<(), ops::event::DeferError> {
//!     assert!(!ev.endpoints.is_empty()); // the payload, through Deref
//!     ev.defer()?; // deferrable unless its declaration says otherwise
//!     Ok(())
//! }
//! ```
//!
//! A custom event that is not deferrable has no usable `defer()`: calling it does not
//! compile (the check runs when the call is compiled into the charm).
//!
//! ```compile_fail
//! use ops::event::{Custom, CustomEvent};
//! #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! struct Rotated;
//! impl CustomEvent for Rotated {
//!     const NAME: &'static str = "rotated";
//!     const DEFERRABLE: bool = false;
//! }
//! fn on_rotated(ev: &mut Custom<Rotated>) { let _ = ev.defer(); }
//! fn main() { let _ = on_rotated as fn(&mut Custom<Rotated>); }
//! ```

use std::fmt::Debug;
use std::ops::{Deref, DerefMut};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Event, EventKind, EventMeta, EventType};

/// The emitter key of custom events the charm emits itself (with
/// [`Ctx::emit`](crate::framework::Ctx::emit)); no component may use it.
pub const CHARM_EMITTER: &str = "charm";

/// A custom event type: a serde struct with a name, emitted by a component or the charm.
///
/// Its payload is stored with it when a handler defers it, so everything a handler reads must
/// be in the struct and round-trip through serde.
pub trait CustomEvent: Serialize + DeserializeOwned + Clone + Debug + 'static {
    /// The event's name within its emitter: lower-case words joined by `-`, e.g.
    /// `database-created`. With the emitter's key it makes the event's kind
    /// (`<emitter>/<name>`), which names it in deferred queues across upgrades: keep it stable.
    const NAME: &'static str;
    /// Whether a handler may defer it (default: yes). An event that must be handled in the
    /// dispatch that emits it says `false`; [`Custom::defer`] then does not compile and
    /// [`Event::defer`] refuses it at run time.
    const DEFERRABLE: bool = true;
}

/// A custom event without its type: what the deferred queue stores and what a handler of
/// many kinds receives as [`Event::Custom`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct CustomEventData {
    /// The emitter's key: a component's key, or [`CHARM_EMITTER`].
    pub emitter: String,
    /// The event's name ([`CustomEvent::NAME`]).
    pub name: String,
    /// Whether handlers may defer it ([`CustomEvent::DEFERRABLE`]).
    pub deferrable: bool,
    /// The event's payload, as JSON.
    pub payload: serde_json::Value,
    #[serde(skip)]
    pub(crate) meta: EventMeta,
}

impl CustomEventData {
    /// The data of `event`, emitted by `emitter`.
    pub(crate) fn of<T: CustomEvent>(
        emitter: &str,
        event: &T,
    ) -> Result<CustomEventData, serde_json::Error> {
        Ok(CustomEventData {
            emitter: emitter.to_owned(),
            name: T::NAME.to_owned(),
            deferrable: T::DEFERRABLE,
            payload: serde_json::to_value(event)?,
            meta: EventMeta::default(),
        })
    }

    /// This event's kind: `<emitter>/<name>`.
    pub fn kind(&self) -> EventKind {
        EventKind::custom(&self.emitter, &self.name)
    }

    /// The event's id: unique among the unit's deferred events; given out again after a
    /// dispatch that saved nothing (see [Event ids](crate::event#event-ids)).
    pub fn event_id(&self) -> u64 {
        self.meta.id
    }

    /// The payload as `T`.
    ///
    /// # Errors
    ///
    /// The payload does not fit `T` (another type, or the type changed since it was stored).
    pub fn payload_as<T: CustomEvent>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.payload.clone())
    }
}

/// A typed custom event as its handler receives it: the payload (through `Deref`), its
/// emitter, its id, and deferral.
#[derive(Debug, Clone, PartialEq)]
pub struct Custom<T: CustomEvent> {
    payload: T,
    emitter: String,
    meta: EventMeta,
}

impl<T: CustomEvent> Custom<T> {
    /// The payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }

    /// The emitter's key: the component's key, or [`CHARM_EMITTER`].
    pub fn emitter(&self) -> &str {
        &self.emitter
    }

    /// This event's kind: `<emitter>/<name>`.
    pub fn kind(&self) -> EventKind {
        EventKind::custom(&self.emitter, T::NAME)
    }

    /// The event's id: unique among the unit's deferred events; given out again after a
    /// dispatch that saved nothing (see [Event ids](crate::event#event-ids)).
    pub fn event_id(&self) -> u64 {
        self.meta.id
    }

    /// Defers this event for the current handler: it is stored with its payload and the
    /// handler is called with it again, before the next event, until it returns without
    /// deferring. Does not compile for an event declared with `DEFERRABLE = false`. Never
    /// fails otherwise (the `Result` is the one every `defer()` has: see
    /// [Deferring](crate::event#deferring)).
    pub fn defer(&mut self) -> Result<(), super::DeferError> {
        super::Deferrable::mark_deferred(self);
        Ok(())
    }

    /// Whether the current handler deferred this event.
    pub fn is_deferred(&self) -> bool {
        self.meta.deferred
    }
}

impl<T: CustomEvent> Deref for Custom<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.payload
    }
}

impl<T: CustomEvent> DerefMut for Custom<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.payload
    }
}

impl<T: CustomEvent> super::Deferrable for Custom<T> {
    fn mark_deferred(&mut self) {
        const {
            assert!(
                T::DEFERRABLE,
                "this custom event is declared with DEFERRABLE = false: handle it in this dispatch"
            );
        }
        tracing::debug!("deferring {}", self.kind());
        self.meta.deferred = true;
    }
}

impl<T: CustomEvent> EventType for Custom<T> {
    fn into_event(self) -> Event {
        // The payload came from JSON, so it goes back to JSON; `Null` only if the type's own
        // Serialize fails, which a handler's changes to it cannot cause for a plain struct.
        let payload = serde_json::to_value(&self.payload).unwrap_or(serde_json::Value::Null);
        Event::Custom(CustomEventData {
            emitter: self.emitter,
            name: T::NAME.to_owned(),
            deferrable: T::DEFERRABLE,
            payload,
            meta: self.meta,
        })
    }

    fn from_event(event: Event) -> Option<Self> {
        match event {
            Event::Custom(data) if data.name == T::NAME => {
                let payload = serde_json::from_value(data.payload).ok()?;
                Some(Custom {
                    payload,
                    emitter: data.emitter,
                    meta: data.meta,
                })
            }
            _ => None,
        }
    }

    fn is_deferred(&self) -> bool {
        self.meta.deferred
    }

    fn event_id(&self) -> u64 {
        self.meta.id
    }
}
