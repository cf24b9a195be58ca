//! Version 0 of the handshake protocol: [`Handshake`], its events [`Greeted`] and
//! [`Parted`], and its stored state [`Seen`].
//!
//! ```
//! use handshake_lib::v0::{Greeted, Handshake};
//! use ops::event::Custom;
//! use ops::prelude::*;
//!
//! #[derive(Default)]
//! struct Charm2 {
//!     left: Handshake,
//! }
//! impl Charm for Charm2 {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.component("left", |c: &mut Self| &mut c.left);
//!         on.custom::<Greeted>("left", "on_greeted", |_c, _ctx, ev: &mut Custom<Greeted>| {
//!             tracing::info!("{} says {}", ev.app, ev.greeting);
//!             Ok(())
//!         });
//!     }
//! }
//! let mut charm = Charm2 { left: Handshake::new("left", "hello") };
//! let on = Observers::of(&mut charm);
//! assert_eq!(
//!     on.handler_names(&EventKind::relation_changed("left")),
//!     ["left/on_changed"]
//! );
//! ```

use std::collections::BTreeMap;

use ops::event::{CollectStatus, CustomEvent, RelationBroken, RelationChanged, RelationJoined};
use ops::framework::{Component, ComponentCtx, ComponentObservers};
use ops::prelude::*;

/// The key each side writes in its application data bag.
pub const GREETING_KEY: &str = "greeting";

/// A remote application's greeting appeared or changed on a relation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Greeted {
    /// The relation.
    pub relation_id: u32,
    /// The remote application.
    pub app: String,
    /// Its greeting.
    pub greeting: String,
    /// Its greeting before this one, if it had greeted.
    pub previous: Option<String>,
}

impl CustomEvent for Greeted {
    const NAME: &'static str = "greeted";
}

/// A relation whose remote side had greeted is gone. Not deferrable: the relation is gone by
/// the next hook, so a handler must act now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Parted {
    /// The relation that was broken.
    pub relation_id: u32,
    /// The greeting last seen on it.
    pub greeting: String,
}

impl CustomEvent for Parted {
    const NAME: &'static str = "parted";
    const DEFERRABLE: bool = false;
}

/// What the component remembers between hooks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    /// The last greeting seen on each relation, by relation id.
    #[serde(default)]
    pub greetings: BTreeMap<u32, String>,
    /// How many greetings (new or changed) it has seen in all.
    #[serde(default)]
    pub changes: u64,
}

/// The handshake component on one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    endpoint: String,
    greeting: String,
}

impl Default for Handshake {
    /// On endpoint `handshake`, greeting `hello`.
    fn default() -> Self {
        Self::new("handshake", "hello")
    }
}

impl Handshake {
    /// A handshake on `endpoint` that sends `greeting`.
    pub fn new(endpoint: &str, greeting: &str) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            greeting: greeting.to_owned(),
        }
    }

    /// The endpoint it speaks on.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn on_joined<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationJoined,
    ) -> HandlerResult {
        if !ctx.model().is_leader()? {
            return Ok(());
        }
        let relation = ctx.model().relation(&ev.endpoint, ev.relation_id);
        let bag = relation.local_app_data();
        if bag.get(GREETING_KEY)?.as_deref() != Some(self.greeting.as_str()) {
            bag.set(GREETING_KEY, self.greeting.clone())?;
        }
        Ok(())
    }

    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        let relation = ctx.model().relation(&ev.endpoint, ev.relation_id);
        let greeting = match relation.remote_app_data()? {
            Some(bag) => bag.get(GREETING_KEY)?,
            None => None,
        };
        let Some(greeting) = greeting else {
            return Ok(());
        };
        let seen = ctx.stored_mut()?;
        let previous = seen.greetings.get(&ev.relation_id).cloned();
        if previous.as_deref() == Some(greeting.as_str()) {
            return Ok(());
        }
        seen.greetings.insert(ev.relation_id, greeting.clone());
        seen.changes += 1;
        ctx.emit(Greeted {
            relation_id: ev.relation_id,
            app: ev.remote_app.clone().unwrap_or_default(),
            greeting,
            previous,
        })?;
        Ok(())
    }

    fn on_broken<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationBroken,
    ) -> HandlerResult {
        if let Some(greeting) = ctx.stored_mut()?.greetings.remove(&ev.relation_id) {
            ctx.emit(Parted {
                relation_id: ev.relation_id,
                greeting,
            })?;
        }
        Ok(())
    }

    fn on_collect<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        _ev: &mut CollectStatus,
    ) -> HandlerResult {
        if ctx.stored()?.greetings.is_empty() {
            let message = format!("waiting for a greeting on {}", self.endpoint);
            ctx.add_unit_status(Status::waiting(message))?;
        }
        Ok(())
    }
}

impl<C: Charm> Component<C> for Handshake {
    type Stored = Seen;

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_joined(&self.endpoint, "on_joined", Self::on_joined);
        on.relation_changed(&self.endpoint, "on_changed", Self::on_changed);
        on.relation_broken(&self.endpoint, "on_broken", Self::on_broken);
        on.collect_unit_status("on_collect", Self::on_collect);
    }
}
