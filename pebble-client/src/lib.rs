//! A typed client for [Pebble](https://github.com/canonical/pebble)'s HTTP API over its unix socket.
//!
//! The crate is split by concern:
//! - [`types`]: Pebble's data types (changes, services, layers and the plan with Pebble's merge
//!   rules, files, checks, notices, identities), free of I/O and shared with the simulated
//!   Pebble. All are re-exported at the crate root.
//! - `testing` (feature `testing`): a simulated Pebble speaking the real wire protocol on a
//!   unix socket, with in-memory state and fault injection.

pub mod types;

pub use types::*;

#[cfg(feature = "testing")]
pub mod testing;
