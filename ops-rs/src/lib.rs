//! ops-rs: the framework for writing Juju charms in Rust.
//!
//! (crate tour written as the modules land)

pub mod hookcmds;
pub mod metadata;
pub mod model;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
