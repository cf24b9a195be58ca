//! [`Component`]: a charm library's unit of behaviour, with its observers
//! ([`ComponentObservers`]) and its handlers' context ([`ComponentCtx`]).

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::component_state::ComponentStateError;
use super::{Charm, Ctx, HandlerResult, Observers};
use crate::event::*;

///  Components: what charm libraries are made of. A component is a value the charm holds (a
///  field) and registers once under a key; it observes events with its own methods, keeps its
///  own stored state, and emits custom events the charm observes.
///
///  Python ops builds libraries from `ops.Object`s with their own `StoredState` and
///  `ObjectEvents`; here a library implements [`Component`]:
///
///  ```
///  use ops::prelude::*;
///  use ops::event::{Custom, CustomEvent, RelationChanged};
///  use ops::framework::{Component, ComponentCtx, ComponentObservers};
///
///  /// The custom event the library emits.
///  #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
///  pub struct Ready { pub host: String }
///  impl CustomEvent for Ready { const NAME: &'static str = "ready"; }
///
///  /// The library: one instance per relation endpoint.
///  pub struct Requirer { endpoint: String }
///  #[derive(Default, serde::Serialize, serde::Deserialize)]
///  pub struct Seen { #[serde(default)] pub changes: u32 }
///
///  impl<C: Charm> Component<C> for Requirer {
///      type Stored = Seen;
///      fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
///          on.relation_changed(&self.endpoint, "on_changed", Self::on_changed);
///      }
///  }
///  impl Requirer {
///      fn on_changed<C: Charm>(
///          &mut self,
///          ctx: &mut ComponentCtx<'_, C, Self>,
///          ev: &mut RelationChanged,
///      ) -> HandlerResult {
///          ctx.stored_mut()?.changes += 1;
///          let relation = ctx.model().relation(&ev.endpoint, ev.relation_id);
///          let host = match relation.remote_app_data()? {
///              Some(bag) => bag.get("host")?,
///              None => None,
///          };
///          if let Some(host) = host {
///              ctx.emit(Ready { host })?;
///          }
///          Ok(())
///      }
///  }
///
///  // The charm holds two, on two endpoints, and observes their custom events.
///  struct Web { primary: Requirer, replica: Requirer }
///  impl Charm for Web {
///      type Stored = ();
///      fn observe(on: &mut Observers<Self>) {
///          on.component("primary", |c: &mut Web| &mut c.primary);
///          on.component("replica", |c: &mut Web| &mut c.replica);
///          on.custom::<Ready>("primary", "on_primary_ready", |_c, _ctx, ev| {
///              tracing::info!("primary at {}", ev.host);
///              Ok(())
///          });
///      }
///  }
///  ```
///
///  # What a component gets
///
///  - Its handlers, registered with its own `observe`, which sees the instance (so an endpoint
///    name can be configuration). They run in the order the charm registered the component
///    among its own handlers. Their names are prefixed with the key (`primary/on_changed`):
///    two instances never collide, and deferred entries name their instance.
///  - [`ComponentCtx`]: everything [`Ctx`] gives (the model, containers, statuses, breakers),
///    the component's own stored state ([`ComponentCtx::stored_mut`]), saved and rolled back
///    with the charm's, and [`ComponentCtx::emit`], whose events carry the component's key.
///
///  # Emitting
///
///  An emitted custom event's handlers run when the emitting handler returns, before anything
///  else: before the next handler of the current event, in registration order. (Python ops
///  runs them inside `emit()`; here the emitting handler holds the charm mutably, so they run
///  right after it.) A handler that fails after emitting fails the dispatch, and everything
///  rolls back, the emitted events' effects on the stored state included.
///
///  A custom event inherits nothing from the event whose handler emitted it: emitted from an
///  action handler, it is deferrable if its declaration says so, and deferring it defers only
///  it (the action still answers now).
///
///  A component whose events do not fire costs nothing: its state is read from the store with
///  everything else in the one read a dispatch makes, and is decoded only when a handler asks.
///
/// Register one with [`Observers::component`].
pub trait Component<C: Charm>: Sized + 'static {
    /// The component's stored state, saved in the same transaction as the charm's (use `()`
    /// for none). Give new fields `#[serde(default)]` so state saved by an older version of
    /// the library still loads.
    type Stored: Serialize + DeserializeOwned + Default + 'static;

    /// Registers the component's handlers. Called once per dispatch, with the instance.
    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>);
}

/// The accessor from the charm to one of its components.
pub(crate) type Accessor<C, K> = fn(&mut C) -> &mut K;

/// Where a component registers its handlers: the same methods as [`Observers`], whose
/// handlers take the component and a [`ComponentCtx`].
pub struct ComponentObservers<'a, C: Charm, K: Component<C>> {
    on: &'a mut Observers<C>,
    key: &'a str,
    accessor: Accessor<C, K>,
}

impl<C: Charm, K: Component<C>> std::fmt::Debug for ComponentObservers<'_, C, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentObservers")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

macro_rules! component_plain {
    ($($(#[$doc:meta])* $method:ident($ty:ty) = $kind:expr;)*) => {$(
        $(#[$doc])*
        pub fn $method(
            &mut self,
            name: &str,
            handler: impl Fn(&mut K, &mut ComponentCtx<'_, C, K>, &mut $ty) -> HandlerResult + 'static,
        ) -> &mut Self {
            self.register(name, vec![$kind], handler)
        }
    )*};
}

macro_rules! component_sourced {
    ($($(#[$doc:meta])* $method:ident($ty:ty) = $kind:ident;)*) => {$(
        $(#[$doc])*
        pub fn $method(
            &mut self,
            source: &str,
            name: &str,
            handler: impl Fn(&mut K, &mut ComponentCtx<'_, C, K>, &mut $ty) -> HandlerResult + 'static,
        ) -> &mut Self {
            self.register(name, vec![EventKind::$kind(source.to_owned())], handler)
        }
    )*};
}

impl<'a, C: Charm, K: Component<C>> ComponentObservers<'a, C, K> {
    pub(crate) fn new(on: &'a mut Observers<C>, key: &'a str, accessor: Accessor<C, K>) -> Self {
        ComponentObservers { on, key, accessor }
    }

    /// The component's key (what the charm registered it under).
    pub fn key(&self) -> &str {
        self.key
    }

    fn register<E: EventType>(
        &mut self,
        name: &str,
        kinds: Vec<EventKind>,
        handler: impl Fn(&mut K, &mut ComponentCtx<'_, C, K>, &mut E) -> HandlerResult + 'static,
    ) -> &mut Self {
        let key = self.key.to_owned();
        let accessor = self.accessor;
        let full_name = format!("{}/{name}", self.key);
        self.on
            .register(&full_name, kinds, move |charm: &mut C, ctx, ev: &mut E| {
                let component = accessor(charm);
                let mut cctx = ComponentCtx {
                    ctx,
                    key: &key,
                    component: PhantomData,
                };
                handler(component, &mut cctx, ev)
            });
        self
    }

    /// Registers one handler for many kinds; it receives the runtime [`Event`].
    pub fn many(
        &mut self,
        name: &str,
        kinds: impl IntoIterator<Item = EventKind>,
        handler: impl Fn(&mut K, &mut ComponentCtx<'_, C, K>, &mut Event) -> HandlerResult + 'static,
    ) -> &mut Self {
        self.register(name, kinds.into_iter().collect(), handler)
    }

    /// The custom event `T` emitted by `emitter` (another component's key, or `charm`; the
    /// component's own key to observe what it emits itself).
    pub fn custom<T: CustomEvent>(
        &mut self,
        emitter: &str,
        name: &str,
        handler: impl Fn(&mut K, &mut ComponentCtx<'_, C, K>, &mut Custom<T>) -> HandlerResult + 'static,
    ) -> &mut Self {
        self.register(name, vec![EventKind::custom_of::<T>(emitter)], handler)
    }

    // The same events as the charm's `Observers`, but `pre-commit` and `commit`.
    super::event_methods::juju_event_methods!(component_plain, component_sourced);
}

/// A component handler's view of the dispatch: everything [`Ctx`] gives (through `Deref`),
/// plus the component's own stored state and emission under its key.
pub struct ComponentCtx<'a, C: Charm, K: Component<C>> {
    ctx: &'a mut Ctx<C>,
    key: &'a str,
    component: PhantomData<fn() -> K>,
}

impl<C: Charm, K: Component<C>> std::fmt::Debug for ComponentCtx<'_, C, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentCtx")
            .field("key", &self.key)
            .field("ctx", &self.ctx)
            .finish()
    }
}

impl<C: Charm, K: Component<C>> ComponentCtx<'_, C, K> {
    /// The component's key.
    pub fn key(&self) -> &str {
        self.key
    }

    /// The component's stored state (its type's default until first saved).
    ///
    /// # Errors
    ///
    /// The stored state does not fit [`Component::Stored`] (a field added without
    /// `#[serde(default)]`, say).
    pub fn stored(&mut self) -> Result<&K::Stored, ComponentStateError> {
        self.stored_mut().map(|s| &*s)
    }

    /// The component's stored state, to change; saved when the dispatch commits, rolled back
    /// with everything else if it fails.
    ///
    /// # Errors
    ///
    /// As [`stored`](Self::stored).
    pub fn stored_mut(&mut self) -> Result<&mut K::Stored, ComponentStateError> {
        self.ctx.component_state_mut::<K::Stored>(self.key)
    }

    /// Emits `event` under the component's key: its handlers run when this handler returns
    /// (see [`Component`]).
    ///
    /// # Errors
    ///
    /// The event's payload cannot be encoded as JSON.
    pub fn emit<T: CustomEvent>(&mut self, event: T) -> Result<(), serde_json::Error> {
        self.ctx.emit_as(self.key, &event)
    }
}

impl<C: Charm, K: Component<C>> Deref for ComponentCtx<'_, C, K> {
    type Target = Ctx<C>;
    fn deref(&self) -> &Ctx<C> {
        self.ctx
    }
}

impl<C: Charm, K: Component<C>> DerefMut for ComponentCtx<'_, C, K> {
    fn deref_mut(&mut self) -> &mut Ctx<C> {
        self.ctx
    }
}
