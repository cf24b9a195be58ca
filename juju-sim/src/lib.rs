//! Run Juju charms locally, exactly as Juju's unit agent would: no Juju controller, no
//! Kubernetes, no container.
//!
//! This crate is three programs and the library they share. Install them together (hook-tool
//! and pebble-sim are found next to juju-sim):
//!
//! ```sh
//! cargo install --path juju-sim
//! ```
//!
//! | Program | What it does |
//! |---|---|
//! | `juju-sim` | runs any charm directory whose `dispatch` is executable (Rust or Python) against a simulated model and one simulated Pebble per container, driven by a scenario file, or a model of several related applications (`applications:`); prints every hook, the hook tools it called and the status after it |
//! | `hook-tool` | Juju's hook tools (`config-get`, `relation-set`, `status-set`, ...) as one multi-call binary over a model state file and a journal of its calls |
//! | `pebble-sim` | a simulated Pebble daemon speaking Pebble's HTTP API on a unix socket; also the `pebble notify` command workloads call |
//!
//! The scenario format, with the generic scenarios it ships, is described in
//! `juju-sim/scenarios/README.md`; `juju-sim --help` lists the options.
//!
//! # The public surface, by tier
//!
//! - **The product** (stable, what the README documents): the three programs, their command
//!   lines and help, the scenario format, the hook environment they give a charm, and the
//!   trace's JSON (`juju-sim run --format json`).
//! - **The library** below: the programs' implementation, public so that the workspace's
//!   whole-program tests and benchmarks can drive and inspect a run. No stability promise:
//!   use the programs.
//!
//! # The library, in the order a run uses it
//!
//! - [`cli`]: the command line ([`cli::main`] is all of `juju-sim`'s `main`).
//! - [`scenario`], [`model`], [`expect`], [`yaml`], [`vars`]: scenario files;
//!   [`image`]: what containers hold before the charm runs.
//! - [`workdir`]: the unit's directory: charm, hook tools, model state file, sockets;
//!   [`state_file`]: the model state file and its journal of hook-tool calls.
//! - [`pebbles`]: one simulated Pebble per container; [`notices`]: Pebble → workload hooks.
//! - [`hook_env`]: a hook's dispatch path and environment; [`process`]: running dispatch;
//!   [`namespace`]: the private mount namespace that puts a Python charm's Pebble sockets at
//!   `/charm/containers`.
//! - [`runner`]: hooks with rollback and retry ([`Sim`], [`Options`]); [`steps`]: scenario
//!   steps → hooks.
//! - [`controller`]: a model of several applications (`applications:` in the scenario): one
//!   [`Sim`] per unit, each unit's next hook decided as Juju's unit agent decides it,
//!   relation data, leadership and secrets carried between them.
//! - [`faults`], [`unit_state`]: hook-tool faults, the unit's state file.
//! - [`cleanup`]: real workload processes stopped on SIGINT, SIGTERM and SIGHUP.
//! - [`tool_times`]: how long each hook-tool call took (for benchmarks).
//! - [`trace`]: the trace and summary; [`error`]: [`SimError`], what a run can fail with.
//!
//! The model itself (hook tools answered as Juju would) is `ops::testing::juju` in ops-rs, and
//! the simulated Pebble is `pebble_client::testing`: the simulators run the same code charm
//! unit tests do.

pub mod cleanup;
pub mod cli;
pub mod controller;
pub mod error;
pub mod expect;
pub mod faults;
pub mod hook_env;
pub mod image;
pub mod model;
pub mod namespace;
pub mod notices;
pub mod otlp;
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
