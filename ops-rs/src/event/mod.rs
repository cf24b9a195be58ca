//! Typed events: one struct per Juju hook, the framework's own events, and the runtime
//! [`Event`] enum over all of them.
//!
//! Every event a handler receives has been rebuilt from its stored form (encoded to JSON and
//! decoded again), whether it is new or re-emitted from the deferred queue, so what is stored
//! always carries everything a handler can see.
//!
//! # Deferring
//!
//! Only [`Deferrable`] events can be deferred: actions, `secret-expired`, `secret-rotate`,
//! `stop`, `remove` and the framework's events are not, so deferring them does not compile,
//! and the compiler says why (the message of [`Deferrable`]). Where the kind is only known at
//! run time, [`Event::defer`] returns a [`DeferError`] naming the event and the reason.
//!
//! `defer()` has one signature everywhere, `fn defer(&mut self) -> Result<(), DeferError>`,
//! so `ev.defer()?;` reads the same in a handler of one kind and in a handler of many
//! ([`Event`]), and moving code between the two changes nothing. For a typed event the
//! `Result` is always `Ok` (the compiler already refused the kinds that cannot be
//! deferred); for [`Event`] it is the run-time check, as Python ops' `defer()` raises for an
//! action.
//!
//! ```
//! use ops::event::{ConfigChanged, DeferError, Event, EventKind};
//! fn on_config(ev: &mut ConfigChanged) -> Result<(), DeferError> {
//!     ev.defer()?; // deferrable: compiles, never fails
//!     Ok(())
//! }
//! fn holistic(ev: &mut Event) -> Result<(), DeferError> {
//!     if ev.kind() == EventKind::ConfigChanged {
//!         ev.defer()?; // checked at run time
//!     }
//!     Ok(())
//! }
//! ```
//!
//! ```compile_fail,E0277
//! use ops::prelude::*;
//! fn on_backup(ev: &mut ActionEvent) -> HandlerResult {
//!     ev.defer()?; // error: `ActionEvent` cannot be deferred (actions answer now)
//!     Ok(())
//! }
//! ```
//!
//! # Event ids
//!
//! Every event a dispatch emits (the Juju event, each deferred event re-emitted, custom
//! events, the framework's own) takes the next number of the unit's event counter as its
//! [`event_id`](Event::event_id) (the number in Python ops' `event.handle`, e.g.
//! `on/config_changed[5]`). What holds:
//!
//! - **An id is unique among the unit's deferred events**, and above every id stored before
//!   it: a deferred event keeps its id from hook to hook, and two never share one.
//! - **The counter is saved only when the dispatch saves something**: it deferred an event,
//!   or changed the charm's stored state, a component's or a circuit breaker's. A dispatch
//!   that saves nothing writes nothing to disk (most hooks: see `BENCHMARKS.md`, "A dispatch
//!   that changes nothing writes nothing"), and the next dispatch gives out the same ids
//!   again. A failed dispatch rolls the counter back with everything else.
//!
//! So an id names an event within the unit's store; it is not a key unique across hooks.
//! The testing API's `State::event_counter` follows the same rule.
//!
//! # Which id is which
//!
//! The event's own id is always the method `event_id()`. The ids of the Juju objects an
//! event is about are fields named for the object, as Python ops names them through the
//! object (`event.secret.id`, `event.relation.id`, `event.notice.id`, `event.id` of an
//! action):
//!
//! | Event | Field | Python ops |
//! | --- | --- | --- |
//! | secret events | `secret_id` | `event.secret.id` |
//! | relation events | `relation_id` | `event.relation.id` |
//! | `pebble-custom-notice` | `notice_id` | `event.notice.id` |
//! | actions | `uuid` | `event.id` |
//! | storage events | `index` (with `storage_name`) | `event.storage.index` |
//! | any event | `event_id()` | `event.handle` (its `[N]`) |
//!
//! No event has a field or method named plain `id`, so `ev.id` cannot mean one thing on one
//! event and another on the next (a custom event's payload may have its own `id`: a
//! [`Custom`] derefs to it, and its event id stays `event_id()`).
//!
//! ```
//! use ops::event::SecretChanged;
//! fn on_secret(ev: &mut SecretChanged) -> (String, u64) {
//!     (ev.secret_id.clone(), ev.event_id())
//! }
//! ```

mod action;
mod custom;
mod framework;
mod kind;
mod lifecycle;
mod relation;
mod secret;
mod storage;
mod workload;

pub use action::{ActionEvent, ActionParamsError};
pub use custom::{CHARM_EMITTER, Custom, CustomEvent, CustomEventData};
pub use framework::{CollectStatus, Commit, PreCommit};
pub use kind::EventKind;
pub use lifecycle::{
    CollectMetrics, ConfigChanged, Install, LeaderElected, LeaderSettingsChanged,
    PostSeriesUpgrade, PreSeriesUpgrade, Remove, Start, Stop, UpdateStatus, UpgradeCharm,
};
pub use relation::{
    RelationBroken, RelationChanged, RelationCreated, RelationDeparted, RelationJoined,
};
pub use secret::{SecretChanged, SecretExpired, SecretRemove, SecretRotate};
pub use storage::{StorageAttached, StorageDetaching};
pub use workload::{PebbleCheckFailed, PebbleCheckRecovered, PebbleCustomNotice, PebbleReady};

/// What the framework tracks about an event besides its data: its id and whether the
/// current handler deferred it. Never stored with the data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EventMeta {
    pub(crate) id: u64,
    pub(crate) deferred: bool,
}

/// Deferring an event whose kind cannot be deferred.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot defer {event}: {reason}")]
pub struct DeferError {
    /// The event.
    pub event: EventKind,
    /// Why it cannot be deferred.
    pub reason: &'static str,
}

/// A stored event could not be decoded into its type (the charm changed, or the store was
/// edited). The message never includes the event's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode a stored {kind} event: {reason}")]
pub struct EventDecodeError {
    /// The stored kind (as stored, it may not be a kind this framework knows).
    pub kind: String,
    /// What did not fit (never the data itself).
    pub reason: String,
}

impl EventDecodeError {
    fn from_json(kind: &str, e: &serde_json::Error) -> Self {
        EventDecodeError {
            kind: kind.to_owned(),
            reason: format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ),
        }
    }
}

/// A typed event a handler can observe: converts to and from the runtime [`Event`].
///
/// Implemented by every event struct and by [`Event`] itself (for handlers that observe many
/// kinds). In the prelude, so that `ev.defer()` on an event that cannot be deferred is the
/// compiler's explanation (see [`Deferrable`]) rather than "no method named `defer`".
pub trait EventType: Sized + 'static {
    /// Wraps this event in the runtime enum.
    fn into_event(self) -> Event;
    /// Unwraps the runtime enum, if it holds this type.
    fn from_event(event: Event) -> Option<Self>;
    /// Whether the current handler deferred this event.
    fn is_deferred(&self) -> bool;
    /// The event's id: unique among the unit's deferred events; given out again after a
    /// dispatch that saved nothing (see [Event ids](crate::event#event-ids)).
    fn event_id(&self) -> u64;

    /// Defers this event for the current handler; compiles only for [`Deferrable`] events
    /// (each of which also has it as its own method, so it works without this trait in
    /// scope). Never fails: see [Deferring](crate::event#deferring).
    fn defer(&mut self) -> Result<(), DeferError>
    where
        Self: Deferrable,
    {
        self.mark_deferred();
        Ok(())
    }
}

/// An event a handler may defer: every Juju event but actions, `secret-expired`,
/// `secret-rotate`, `stop` and `remove`; custom events declared deferrable. Not the
/// framework's own events, nor the runtime [`Event`] (its kind is known at run time:
/// [`Event::defer`] checks it then).
///
/// Deferring any other event does not compile, with this trait's message:
///
/// ```text
/// error[E0277]: `ActionEvent` cannot be deferred
///   = note: actions cannot be deferred: answer the caller now (set results), or fail the action
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be deferred",
    label = "this event cannot be deferred",
    note = "actions cannot be deferred: answer the caller now (set results), or fail the action",
    note = "secret-expired and secret-rotate come again until the secret has a new revision: \
            handle them now",
    note = "stop and remove have no later event to re-run them; the framework's own events \
            (pre-commit, commit, collect-status) are part of this dispatch",
    note = "a handler of many kinds receives `Event`, whose `defer()` checks the kind at run time"
)]
pub trait Deferrable: EventType {
    /// Marks the event deferred (what `defer()` does).
    #[doc(hidden)]
    fn mark_deferred(&mut self);
}

macro_rules! event_struct {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)? }
        kind = |$s:ident| $kind:expr;
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fdoc])* pub $field: $ty, )*
            #[serde(skip)]
            pub(crate) meta: $crate::event::EventMeta,
        }

        impl $name {
            /// This event's kind, with its source.
            pub fn kind(&self) -> $crate::event::EventKind {
                let $s = self;
                $kind
            }
            /// The event's id: unique among the unit's deferred events; given out again after
            /// a dispatch that saved nothing (see [Event ids](crate::event#event-ids)).
            pub fn event_id(&self) -> u64 {
                self.meta.id
            }
        }
    };
}
pub(crate) use event_struct;

macro_rules! deferrable {
    ($($name:ident),* $(,)?) => {$(
        impl $crate::event::Deferrable for $name {
            fn mark_deferred(&mut self) {
                tracing::debug!("deferring {}", self.kind());
                self.meta.deferred = true;
            }
        }

        impl $name {
            /// Defers this event for the current handler: the handler is called again with
            /// it, before the next event, until it returns without deferring. The handler
            /// keeps running after `defer()`; return when you are done.
            ///
            /// Never fails (this event is [`Deferrable`](crate::event::Deferrable)); the
            /// `Result` is [`Event::defer`](crate::event::Event::defer)'s, so `ev.defer()?`
            /// reads the same in every handler (see
            /// [Deferring](crate::event#deferring)).
            pub fn defer(&mut self) -> Result<(), $crate::event::DeferError> {
                $crate::event::Deferrable::mark_deferred(self);
                Ok(())
            }
            /// Whether the current handler deferred this event.
            pub fn is_deferred(&self) -> bool {
                self.meta.deferred
            }
        }
    )*};
}
pub(crate) use deferrable;

macro_rules! event_enum {
    ($( $variant:ident($ty:ident) = $($generic:literal)|+ ; )*) => {
        /// Any event, as a runtime value: what a handler registered with
        /// [`Observers::many`](crate::framework::Observers::many) receives.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $(
                #[doc = concat!("A [`", stringify!($ty), "`] event.")]
                $variant($ty),
            )*
        }

        impl Event {
            /// The kind of this event, with its source.
            pub fn kind(&self) -> EventKind {
                match self { $(Event::$variant(e) => e.kind(),)* }
            }

            pub(crate) fn meta(&self) -> &EventMeta {
                match self { $(Event::$variant(e) => &e.meta,)* }
            }

            pub(crate) fn meta_mut(&mut self) -> &mut EventMeta {
                match self { $(Event::$variant(e) => &mut e.meta,)* }
            }

            /// The stored form of this event's data (JSON; without the id).
            pub(crate) fn encode(&self) -> Result<String, EventDecodeError> {
                let r = match self { $(Event::$variant(e) => serde_json::to_string(e),)* };
                r.map_err(|e| EventDecodeError::from_json(self.kind().generic_name(), &e))
            }

            /// Rebuilds an event from its stored kind, source and data.
            pub(crate) fn decode(
                generic: &str,
                source: Option<&str>,
                data: &str,
            ) -> Result<Event, EventDecodeError> {
                let event = match generic {
                    $(
                        $($generic)|+ => serde_json::from_str::<$ty>(data)
                            .map(Event::$variant)
                            .map_err(|e| EventDecodeError::from_json(generic, &e))?,
                    )*
                    other => {
                        return Err(EventDecodeError {
                            kind: other.to_owned(),
                            reason: "no event type of this kind".into(),
                        })
                    }
                };
                let expected = EventKind::from_parts(generic, source);
                if expected.as_ref() != Some(&event.kind()) {
                    return Err(EventDecodeError {
                        kind: generic.to_owned(),
                        reason: format!(
                            "its data is for {} but it is stored as {} from {:?}",
                            event.kind(), generic, source
                        ),
                    });
                }
                Ok(event)
            }
        }

        $(
            impl EventType for $ty {
                fn into_event(self) -> Event {
                    Event::$variant(self)
                }
                fn from_event(event: Event) -> Option<Self> {
                    match event {
                        Event::$variant(e) => Some(e),
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
        )*
    };
}

event_enum! {
    Install(Install) = "install";
    Start(Start) = "start";
    Stop(Stop) = "stop";
    Remove(Remove) = "remove";
    UpgradeCharm(UpgradeCharm) = "upgrade-charm";
    ConfigChanged(ConfigChanged) = "config-changed";
    UpdateStatus(UpdateStatus) = "update-status";
    LeaderElected(LeaderElected) = "leader-elected";
    LeaderSettingsChanged(LeaderSettingsChanged) = "leader-settings-changed";
    PreSeriesUpgrade(PreSeriesUpgrade) = "pre-series-upgrade";
    PostSeriesUpgrade(PostSeriesUpgrade) = "post-series-upgrade";
    CollectMetrics(CollectMetrics) = "collect-metrics";
    RelationCreated(RelationCreated) = "relation-created";
    RelationJoined(RelationJoined) = "relation-joined";
    RelationChanged(RelationChanged) = "relation-changed";
    RelationDeparted(RelationDeparted) = "relation-departed";
    RelationBroken(RelationBroken) = "relation-broken";
    StorageAttached(StorageAttached) = "storage-attached";
    StorageDetaching(StorageDetaching) = "storage-detaching";
    SecretChanged(SecretChanged) = "secret-changed";
    SecretExpired(SecretExpired) = "secret-expired";
    SecretRotate(SecretRotate) = "secret-rotate";
    SecretRemove(SecretRemove) = "secret-remove";
    Action(ActionEvent) = "action";
    PebbleReady(PebbleReady) = "pebble-ready";
    PebbleCustomNotice(PebbleCustomNotice) = "pebble-custom-notice";
    PebbleCheckFailed(PebbleCheckFailed) = "pebble-check-failed";
    PebbleCheckRecovered(PebbleCheckRecovered) = "pebble-check-recovered";
    PreCommit(PreCommit) = "pre-commit";
    Commit(Commit) = "commit";
    CollectStatus(CollectStatus) = "collect-app-status" | "collect-unit-status";
    Custom(CustomEventData) = "custom";
}

impl Event {
    /// Defers this event for the current handler, if its kind can be deferred.
    ///
    /// Returns a [`DeferError`] naming the event and the reason for actions (they must answer
    /// their caller now), `secret-expired` and `secret-rotate` (Juju fires them again until a
    /// new revision exists), `stop` and `remove` (no event follows them), the framework's
    /// events (they are part of this dispatch), and custom events declared not deferrable.
    pub fn defer(&mut self) -> Result<(), DeferError> {
        let kind = self.kind();
        if let Some(reason) = kind.defer_refusal() {
            return Err(DeferError {
                event: kind,
                reason,
            });
        }
        if let Event::Custom(data) = self
            && !data.deferrable
        {
            return Err(DeferError {
                event: kind,
                reason: "its declaration says it is not deferrable (CustomEvent::DEFERRABLE)",
            });
        }
        tracing::debug!("deferring {kind}");
        self.meta_mut().deferred = true;
        Ok(())
    }

    /// Whether the current handler deferred this event.
    pub fn is_deferred(&self) -> bool {
        self.meta().deferred
    }

    /// The event's id: unique among the unit's deferred events; given out again after a
    /// dispatch that saved nothing (see [Event ids](crate::event#event-ids)).
    pub fn event_id(&self) -> u64 {
        self.meta().id
    }
}

impl EventType for Event {
    fn into_event(self) -> Event {
        self
    }
    fn from_event(event: Event) -> Option<Self> {
        Some(event)
    }
    fn is_deferred(&self) -> bool {
        self.meta().deferred
    }
    fn event_id(&self) -> u64 {
        self.meta().id
    }
}

#[cfg(test)]
pub(crate) mod tests;
