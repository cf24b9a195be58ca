//! Support for the whole-program tests, one module tree: every test file says `mod support;`
//! and takes what it needs.
//!
//! - [`program`]: the workspace's programs (juju-sim, hook-tool, pebble-sim, the example
//!   charm and its workload, juju-sim's `sim-test-charm` example), found next to the test
//!   executable and built when missing or stale; [`Trace`]: a `juju-sim run --format json`
//!   trace. Both are juju-sim's own test support (`juju-sim/tests/support/`), shared.
//! - [`example`]: the example charm (webkv) run through juju-sim with its workload running.
//! - [`apps`]: scenarios of several applications (`tests/scenarios/`, and webkv with a
//!   client) through juju-sim, and the Python charm's virtualenv.
//! - [`reliability`]: a unit of the reliability charm whose `dispatch` a test spawns and kills.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)] // test helpers panic on purpose; each test uses a part

#[path = "../../../juju-sim/tests/support/mod.rs"]
mod sim;

pub mod apps;
pub mod example;
pub mod reliability;

pub use sim::{Trace, bin_dir, program, validate_scenarios, workspace};
