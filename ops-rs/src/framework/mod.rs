//! The framework: the [`Charm`] trait, handler registration ([`Observers`]), the handler
//! context ([`Ctx`]), handler results, the deferred queue, and the pieces of charm libraries:
//! [`Component`]s with their own handlers, state and custom events (the
//! [guide to charm libraries](libraries)).
//!
//! The unit of deferral is (event, handler): a handler that defers its event is called again
//! with it at the start of the next dispatch, before the new event, until it returns without
//! deferring. See [`crate::dispatch`] for the whole sequence.

mod charm;
mod component;
mod component_state;
mod ctx;
mod emit;
mod event_methods;
mod give_up;
mod handler;
mod observers;
mod queue;
mod secret_event;

pub use charm::Charm;
pub use component::{Component, ComponentCtx, ComponentObservers};
pub use component_state::ComponentStateError;
pub use ctx::{Ctx, StatusError};
pub use give_up::{GaveUp, InvalidConfig, InvalidParams};
pub use handler::{HandlerError, HandlerResult};
pub use observers::{ObserveError, Observers};
pub use secret_event::{SecretEvent, SecretRevisionEvent};

/// The guide to charm libraries.
#[cfg_attr(feature = "testing", doc = include_str!("../docs/libraries.md"))]
#[cfg_attr(
    not(feature = "testing"),
    doc = "The guide to charm libraries: build the docs with the `testing` feature (as docs.rs \
           does), whose API its examples use."
)]
pub mod libraries {}

pub(crate) use ctx::CallInfo;
pub(crate) use emit::Emitter;
pub use emit::{EmitError, HandlerCall};
pub(crate) use queue::Queue;
