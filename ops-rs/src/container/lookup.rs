//! [`ContainerLookup`]: where a workload event finds its container.

use super::{Container, ContainerError};

/// Hands out the charm's workload containers by name.
///
/// [`Ctx`](crate::framework::Ctx) implements it: a workload event reaches its container
/// through the handler's context (`ev.container(ctx)`, as
/// [`PebbleReady::container`](crate::event::PebbleReady::container)), with the same checks
/// and the same shared connection as [`Ctx::container`](crate::framework::Ctx::container).
/// The events take this trait rather than the `Ctx` itself so that they sit below the
/// framework, not beside it.
pub trait ContainerLookup {
    /// The workload container `name`, through its Pebble.
    ///
    /// # Errors
    ///
    /// [`ContainerError::UnknownContainer`] for a name the charm's metadata does not declare.
    fn container(&self, name: &str) -> Result<Container, ContainerError>;
}
