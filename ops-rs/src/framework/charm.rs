//! The [`Charm`] trait: what a charm author implements.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Observers;

/// A charm: its stored state's type and the handlers it registers.
///
/// The framework builds one value of the charm per process (one dispatch) and calls its
/// handlers with a [`Ctx`](super::Ctx) that gives the model, the stored state and statuses.
///
/// ```
/// use ops::prelude::*;
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Stored { installs: u32 }
///
/// struct Web;
/// impl Charm for Web {
///     type Stored = Stored;
///     fn observe(on: &mut Observers<Self>) {
///         on.install("on_install", Self::on_install);
///     }
/// }
/// impl Web {
///     fn on_install(&mut self, ctx: &mut Ctx<Self>, _ev: &mut Install) -> HandlerResult {
///         ctx.stored_mut().installs += 1;
///         Ok(())
///     }
/// }
/// ```
pub trait Charm: Sized + 'static {
    /// The charm's stored state (ops' `StoredState`): persisted between hooks, saved in the
    /// same transaction as the deferred queue, read and changed with
    /// [`Ctx::stored`](super::Ctx::stored) and [`Ctx::stored_mut`](super::Ctx::stored_mut).
    /// Use `()` for none. Give new fields `#[serde(default)]` so the state
    /// written by an older revision of the charm still loads.
    type Stored: Serialize + DeserializeOwned + Default + 'static;

    /// Registers the charm's handlers. Called once per dispatch.
    fn observe(on: &mut Observers<Self>);
}
