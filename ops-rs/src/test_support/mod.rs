//! Fixtures for the crate's unit tests, in one place (compiled only for `cargo test`).
//!
//! - [`env`]: the environment Juju gives a hook, and the [`JujuContext`] read from it.
//! - [`runners`]: hook-tool runners that answer, fail, or play a small Juju.
//! - [`retry`]: a recording retry policy and a tiny executor.
//!
//! Tests beside the code use these rather than writing their own; a fixture that only one
//! file needs stays in that file.
//!
//! [`JujuContext`]: crate::context::JujuContext

pub(crate) mod env;
pub(crate) mod retry;
pub(crate) mod runners;
