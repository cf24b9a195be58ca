//! The handshake test charm: two instances of `handshake_lib::v0::Handshake`, on `left` and
//! `right`, and a journal (its stored state) of the handlers that ran, in order, which the
//! tests read back.
//!
//! - Its own handlers `first` and `last` observe `left-relation-changed` around the `left`
//!   component, so the journal shows where the component's emitted events run.
//! - `on_left_greeted` defers a greeting of `later` until config `accept-later` is true, and
//!   fails the hook on a greeting of `fail` (after the component has recorded it).
//! - `any_greeting` observes both instances' `greeted` with `on.many`, beside Juju events.

use handshake_lib::v0::{Greeted, Handshake, Parted};
use ops::event::Custom;
use ops::framework::HandlerError;
use ops::prelude::*;

/// The charm.
#[derive(Debug)]
pub struct Pair {
    /// The library on `left`.
    pub left: Handshake,
    /// The library on `right`.
    pub right: Handshake,
}

impl Default for Pair {
    fn default() -> Self {
        Self {
            left: Handshake::new("left", "hello from the left"),
            right: Handshake::new("right", "hello from the right"),
        }
    }
}

/// The stored state: what ran, in order.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Journal {
    /// One line per handler call.
    pub lines: Vec<String>,
}

fn note<C: Charm<Stored = Journal>>(ctx: &mut Ctx<C>, line: String) {
    ctx.stored_mut().lines.push(line);
}

impl Charm for Pair {
    type Stored = Journal;

    fn observe(on: &mut Observers<Self>) {
        on.relation_changed("left", "first", |_c, ctx, _ev| {
            note(ctx, "first".into());
            Ok(())
        });
        on.component("left", |c: &mut Self| &mut c.left);
        on.component("right", |c: &mut Self| &mut c.right);
        on.custom::<Greeted>("left", "on_left_greeted", Self::on_left_greeted);
        on.custom::<Greeted>("right", "on_right_greeted", |_c, ctx, ev| {
            note(ctx, format!("right greeted: {}", ev.greeting));
            Ok(())
        });
        on.custom::<Parted>("left", "on_left_parted", |_c, ctx, ev| {
            note(ctx, format!("left parted: {}", ev.greeting));
            Ok(())
        });
        on.many(
            "any_greeting",
            [
                EventKind::custom_of::<Greeted>("left"),
                EventKind::custom_of::<Greeted>("right"),
                EventKind::ConfigChanged,
            ],
            |_c, ctx, ev: &mut Event| {
                note(ctx, format!("any: {}", ev.kind()));
                Ok(())
            },
        );
        on.relation_changed("left", "last", |_c, ctx, _ev| {
            note(ctx, "last".into());
            Ok(())
        });
    }
}

/// Config `accept-later`.
fn accepts_later(ctx: &Ctx<Pair>) -> Result<bool, HandlerError> {
    let value = ctx.model().config_value("accept-later")?;
    Ok(value.and_then(|v| v.as_bool()).unwrap_or(false))
}

impl Pair {
    fn on_left_greeted(&mut self, ctx: &mut Ctx<Self>, ev: &mut Custom<Greeted>) -> HandlerResult {
        match ev.greeting.as_str() {
            "fail" => Err(HandlerError::msg(
                "the left side refuses a greeting of \"fail\"",
            )),
            "later" if !accepts_later(ctx)? => {
                note(ctx, "left greeted: later (deferred)".into());
                ev.defer()?;
                Ok(())
            }
            greeting => {
                note(ctx, format!("left greeted: {greeting}"));
                Ok(())
            }
        }
    }
}
