//! A typed client for [Pebble](https://github.com/canonical/pebble)'s HTTP API over its unix socket.
//!
//! (crate tour written as the modules land)

pub mod types;
