//! `juju-sim`: runs any charm directory whose `dispatch` is executable (Rust or Python)
//! exactly as Juju's unit agent would, against a simulated model and simulated Pebbles,
//! driven by scenario files.
//!
//! The pieces, in the order a run uses them:
//! - [`cli`]: the command line.
//! - [`scenario`], [`model`], [`expect`], [`yaml`], [`vars`]: scenario files (format in
//!   `tests/scenarios/README.md`); [`image`]: what containers hold before the charm runs.
//! - [`workdir`]: the unit's directory: charm, hook tools, model state file, sockets;
//!   [`state_file`]: the model state file and its journal of hook-tool calls.
//! - [`pebbles`]: one simulated Pebble per container; [`notices`]: Pebble → workload hooks.
//! - [`hook_env`]: a hook's dispatch path and environment; [`process`]: running dispatch.
//! - [`runner`]: hooks with rollback and retry; [`steps`]: scenario steps → hooks.
//! - [`faults`], [`unit_state`]: hook-tool faults, the unit's state file.
//! - [`cleanup`]: real workload processes stopped on SIGINT, SIGTERM and SIGHUP.
//! - [`tool_times`]: how long each hook-tool call took (for benchmarks).
//! - [`trace`]: the trace and summary.

pub mod cleanup;
pub mod cli;
pub mod error;
pub mod expect;
pub mod faults;
pub mod hook_env;
pub mod image;
pub mod model;
pub mod notices;
pub mod pebbles;
pub mod process;
pub mod runner;
pub mod scenario;
pub mod state_file;
pub mod steps;
pub mod tool_times;
pub mod trace;
pub mod unit_state;
pub mod vars;
pub mod workdir;
pub mod yaml;

pub use error::SimError;
pub use runner::{Options, Sim};
pub use scenario::Scenario;
