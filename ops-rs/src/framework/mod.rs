//! The framework: the [`Charm`] trait, handler registration ([`Observers`]), the handler
//! context ([`Ctx`]), handler results, and the deferred queue.
//!
//! The unit of deferral is (event, handler): a handler that defers its event is called again
//! with it at the start of the next dispatch, before the new event, until it returns without
//! deferring. See [`crate::dispatch`] for the whole sequence.

mod charm;
mod component;
mod component_state;
mod ctx;
mod emit;
mod handler;
mod observers;
mod queue;

pub use charm::Charm;
pub use component::{Component, ComponentCtx, ComponentObservers};
pub use component_state::ComponentStateError;
pub use ctx::{Ctx, StatusError};
pub use handler::{HandlerError, HandlerResult};
pub use observers::{ObserveError, Observers};

pub(crate) use ctx::CallInfo;
pub(crate) use emit::Emitter;
pub use emit::{EmitError, HandlerCall};
pub(crate) use queue::Queue;
