//! [`Observers`]: registering handlers, each under a stable name.

use super::component::{Accessor, Component, ComponentObservers};
use super::{Charm, Ctx, HandlerError, HandlerResult};
use crate::event::*;

/// A component's registration, run once the charm is known: it registers the component's
/// handlers (its `observe` sees the instance) at the place the charm registered it.
type Attach<C> = Box<dyn Fn(&mut C, &mut Observers<C>)>;

/// A handler after type erasure: takes the rebuilt event, says whether it deferred it.
pub(crate) type ErasedHandler<C> = dyn Fn(&mut C, &mut Ctx<C>, Event) -> Result<bool, HandlerError>;

/// One registration: a handler name, the kinds it observes, the handler.
pub(crate) struct Registration<C: Charm> {
    pub(crate) name: String,
    pub(crate) kinds: Vec<EventKind>,
    pub(crate) handler: Box<ErasedHandler<C>>,
}

/// The charm's registrations are not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObserveError {
    /// Two registrations use the same handler name for the same event kind.
    #[error(
        "handler name {name:?} is registered twice for {kind}; handler names identify \
         deferred events across dispatches, so give each registration its own name"
    )]
    DuplicateHandler {
        /// The handler name.
        name: String,
        /// The event kind.
        kind: EventKind,
    },
    /// A handler was registered with an empty name.
    #[error("a handler for {kind} is registered with an empty name; give it a stable name")]
    EmptyName {
        /// The event kind.
        kind: EventKind,
    },
    /// `many()` was given no kinds.
    #[error("handler {name:?} is registered with `many` but for no event kind")]
    NoKinds {
        /// The handler name.
        name: String,
    },
    /// A component's key is empty, has a `/`, is `charm`, or is used twice.
    #[error(
        "component key {key:?} {why}; keys name a component's state and events across \
         dispatches, so give each a stable, unique name without '/'"
    )]
    BadComponentKey {
        /// The key.
        key: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// The charm's handler registrations, in order. Handlers of an event run in the order they
/// were registered.
///
/// Each registration has a **stable handler name**: it identifies deferred entries across
/// processes, so renaming a handler drops its deferred events (with a warning). The same name
/// may not be used twice for the same event kind.
///
/// ```
/// use ops::prelude::*;
/// struct Web;
/// impl Charm for Web {
///     type Stored = ();
///     fn observe(on: &mut Observers<Self>) {
///         on.config_changed("on_config", |_c, _ctx, _ev| Ok(()));
///         on.relation_changed("db", "on_db_changed", |_c, _ctx, ev| {
///             let _id = ev.relation_id;
///             Ok(())
///         });
///         on.many(
///             "reconcile",
///             [EventKind::ConfigChanged, EventKind::pebble_ready("web")],
///             |_c, _ctx, ev| {
///                 let _kind = ev.kind();
///                 Ok(())
///             },
///         );
///     }
/// }
/// let mut on = Observers::<Web>::new();
/// Web::observe(&mut on);
/// assert_eq!(on.handler_names(&EventKind::ConfigChanged), ["on_config", "reconcile"]);
/// ```
pub struct Observers<C: Charm> {
    regs: Vec<Registration<C>>,
    /// Components to attach: the index in `regs` where the charm registered each.
    components: Vec<(usize, String, Attach<C>)>,
    component_keys: Vec<String>,
}

impl<C: Charm> std::fmt::Debug for Observers<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.regs.iter().map(|r| (&r.name, &r.kinds)))
            .finish()
    }
}

impl<C: Charm> Default for Observers<C> {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! plain {
    ($($(#[$doc:meta])* $method:ident($ty:ty) = $kind:expr;)*) => {$(
        $(#[$doc])*
        pub fn $method(
            &mut self,
            name: &str,
            handler: impl Fn(&mut C, &mut Ctx<C>, &mut $ty) -> HandlerResult + 'static,
        ) -> &mut Self {
            self.register(name, vec![$kind], handler)
        }
    )*};
}

macro_rules! sourced {
    ($($(#[$doc:meta])* $method:ident($ty:ty) = $kind:ident;)*) => {$(
        $(#[$doc])*
        pub fn $method(
            &mut self,
            source: &str,
            name: &str,
            handler: impl Fn(&mut C, &mut Ctx<C>, &mut $ty) -> HandlerResult + 'static,
        ) -> &mut Self {
            self.register(name, vec![EventKind::$kind(source.to_owned())], handler)
        }
    )*};
}

impl<C: Charm> Observers<C> {
    /// No registrations.
    pub fn new() -> Self {
        Observers {
            regs: Vec::new(),
            components: Vec::new(),
            component_keys: Vec::new(),
        }
    }

    /// The charm's registrations, its components' among them where the charm registered
    /// each (the components' `observe` sees the instances the charm holds).
    pub(crate) fn of_charm(charm: &mut C) -> Self {
        let mut on = Self::new();
        C::observe(&mut on);
        on.attach_components(charm);
        on
    }

    /// Runs each component's `observe` and puts its handlers where the charm registered it.
    pub(crate) fn attach_components(&mut self, charm: &mut C) {
        let pending = std::mem::take(&mut self.components);
        // From the last, so the earlier insertion points stay where they are.
        for (at, _key, attach) in pending.into_iter().rev() {
            let mut sub = Observers::new();
            attach(charm, &mut sub);
            sub.attach_components(charm);
            let tail = self.regs.split_off(at.min(self.regs.len()));
            self.regs.extend(sub.regs);
            self.regs.extend(tail);
            self.component_keys.extend(sub.component_keys);
        }
    }

    /// Registers the component `key`, reached in the charm through `accessor`: its handlers
    /// run at this place among the charm's own (see [`Component`]). Each instance of a
    /// library needs its own key; keys are stable names (they key the component's stored state
    /// and its events in deferred queues).
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::framework::{Component, ComponentObservers};
    ///
    /// struct Ticker;
    /// impl<C: Charm> Component<C> for Ticker {
    ///     type Stored = u32;
    ///     fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
    ///         on.update_status("tick", |_t, ctx, _ev| {
    ///             *ctx.stored_mut()? += 1;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// struct Web { ticker: Ticker }
    /// impl Charm for Web {
    ///     type Stored = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.update_status("first", |_c, _ctx, _ev| Ok(()));
    ///         on.component("ticker", |c: &mut Web| &mut c.ticker);
    ///     }
    /// }
    /// let mut web = Web { ticker: Ticker };
    /// let on = Observers::of(&mut web);
    /// assert_eq!(on.handler_names(&EventKind::UpdateStatus), ["first", "ticker/tick"]);
    /// ```
    pub fn component<K: Component<C>>(&mut self, key: &str, accessor: Accessor<C, K>) -> &mut Self {
        let at = self.regs.len();
        self.component_keys.push(key.to_owned());
        let owned = key.to_owned();
        let attach = move |charm: &mut C, on: &mut Observers<C>| {
            let component: &K = accessor(charm);
            let mut sub = ComponentObservers::new(on, &owned, accessor);
            component.observe(&mut sub);
        };
        self.components.push((at, key.to_owned(), Box::new(attach)));
        self
    }

    /// The registrations of `charm` as a dispatch makes them: the charm's `observe`, then its
    /// components' at the places it registered them.
    pub fn of(charm: &mut C) -> Self {
        Self::of_charm(charm)
    }

    /// The custom event `T` emitted by `emitter` (a component's key, or
    /// [`CHARM_EMITTER`](crate::event::CHARM_EMITTER) for the charm's own).
    pub fn custom<T: CustomEvent>(
        &mut self,
        emitter: &str,
        name: &str,
        handler: impl Fn(&mut C, &mut Ctx<C>, &mut Custom<T>) -> HandlerResult + 'static,
    ) -> &mut Self {
        self.register(name, vec![EventKind::custom_of::<T>(emitter)], handler)
    }

    pub(crate) fn register<E: EventType>(
        &mut self,
        name: &str,
        kinds: Vec<EventKind>,
        handler: impl Fn(&mut C, &mut Ctx<C>, &mut E) -> HandlerResult + 'static,
    ) -> &mut Self {
        let handler_name = name.to_owned();
        let erased = move |charm: &mut C, ctx: &mut Ctx<C>, event: Event| {
            let kind = event.kind();
            let mut typed = E::from_event(event).ok_or_else(|| {
                HandlerError::msg(format!(
                    "handler {handler_name} cannot take a {kind} event (a framework bug)"
                ))
            })?;
            handler(charm, ctx, &mut typed)?;
            Ok(typed.is_deferred())
        };
        self.regs.push(Registration {
            name: name.to_owned(),
            kinds,
            handler: Box::new(erased),
        });
        self
    }

    /// Registers one handler for many kinds (the holistic pattern): it receives the runtime
    /// [`Event`], whose [`Event::defer`] checks at run time that the kind can be deferred.
    pub fn many(
        &mut self,
        name: &str,
        kinds: impl IntoIterator<Item = EventKind>,
        handler: impl Fn(&mut C, &mut Ctx<C>, &mut Event) -> HandlerResult + 'static,
    ) -> &mut Self {
        self.register(name, kinds.into_iter().collect(), handler)
    }

    super::event_methods::juju_event_methods!(plain, sourced);

    plain! {
        /// The framework's `pre-commit`, after collect-status.
        pre_commit(PreCommit) = EventKind::PreCommit;
        /// The framework's `commit`, the last event before the state is saved.
        commit(Commit) = EventKind::Commit;
    }

    /// The names of the handlers of `kind`, in the order they run.
    pub fn handler_names(&self, kind: &EventKind) -> Vec<&str> {
        self.for_kind(kind).map(|r| r.name.as_str()).collect()
    }

    pub(crate) fn for_kind(&self, kind: &EventKind) -> impl Iterator<Item = &Registration<C>> {
        let kind = kind.clone();
        self.regs.iter().filter(move |r| r.kinds.contains(&kind))
    }

    pub(crate) fn find(&self, name: &str, kind: &EventKind) -> Option<&Registration<C>> {
        self.for_kind(kind).find(|r| r.name == name)
    }

    /// Checks the registrations: names non-empty and unique per event kind, component keys
    /// non-empty, without `/`, not `charm`, and unique.
    pub fn check(&self) -> Result<(), ObserveError> {
        let mut keys = std::collections::HashSet::new();
        for key in &self.component_keys {
            let why = if key.is_empty() {
                Some("is empty")
            } else if key.contains('/') {
                Some("has a '/'")
            } else if key == CHARM_EMITTER {
                Some("is the charm's own emitter key")
            } else if !keys.insert(key.as_str()) {
                Some("is used by two components")
            } else {
                None
            };
            if let Some(why) = why {
                return Err(ObserveError::BadComponentKey {
                    key: key.clone(),
                    why,
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.regs {
            if r.kinds.is_empty() {
                return Err(ObserveError::NoKinds {
                    name: r.name.clone(),
                });
            }
            for k in &r.kinds {
                if r.name.is_empty() {
                    return Err(ObserveError::EmptyName { kind: k.clone() });
                }
                if !seen.insert((r.name.as_str(), k)) {
                    return Err(ObserveError::DuplicateHandler {
                        name: r.name.clone(),
                        kind: k.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct C;
    impl Charm for C {
        type Stored = ();
        fn observe(_on: &mut Observers<Self>) {}
    }

    #[test]
    fn duplicate_names_per_kind_are_an_error() {
        let mut on = Observers::<C>::new();
        on.config_changed("a", |_, _, _| Ok(()));
        on.many(
            "a",
            [EventKind::Start, EventKind::ConfigChanged],
            |_, _, _| Ok(()),
        );
        let e = on.check().unwrap_err();
        assert_eq!(
            e,
            ObserveError::DuplicateHandler {
                name: "a".into(),
                kind: EventKind::ConfigChanged
            }
        );
        assert!(
            e.to_string()
                .contains("registered twice for config-changed")
        );
    }

    #[test]
    fn same_name_for_different_kinds_is_fine() {
        let mut on = Observers::<C>::new();
        on.relation_changed("db", "on_changed", |_, _, _| Ok(()));
        on.relation_changed("cache", "on_changed", |_, _, _| Ok(()));
        assert!(on.check().is_ok());
        assert!(
            on.find("on_changed", &EventKind::relation_changed("cache"))
                .is_some()
        );
        assert!(
            on.find("on_changed", &EventKind::relation_changed("x"))
                .is_none()
        );
    }

    #[test]
    fn empty_names_and_kinds_are_errors() {
        let mut on = Observers::<C>::new();
        on.install("", |_, _, _| Ok(()));
        assert!(matches!(on.check(), Err(ObserveError::EmptyName { .. })));
        let mut on = Observers::<C>::new();
        on.many("x", [], |_, _, _| Ok(()));
        assert!(matches!(on.check(), Err(ObserveError::NoKinds { .. })));
    }
}
