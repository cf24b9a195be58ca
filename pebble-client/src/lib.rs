//! A typed client for [Pebble](https://github.com/canonical/pebble)'s HTTP API over its unix socket.
//!
//! The crate is split by concern:
//! - [`types`]: Pebble's data types (changes, services, layers and the plan with Pebble's merge
//!   rules, files, checks, notices, identities), free of I/O and shared with the simulated
//!   Pebble. All are re-exported at the crate root.

pub mod types;

pub use types::*;
