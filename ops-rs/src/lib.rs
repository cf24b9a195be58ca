//! ops-rs: the framework for writing Juju charms in Rust.
//!
//! A charm is a binary whose `main` calls [`main`] with a value implementing
//! [`Charm`](framework::Charm). Juju runs it once per event; the framework reads the hook
//! context, re-emits deferred events, calls the charm's handlers with typed events, collects
//! status, and saves the charm's stored state, all in one transaction.
//!
//! ```no_run
//! use ops::prelude::*;
//!
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Stored {
//!     #[serde(default)]
//!     reconciled: u32,
//! }
//!
//! struct Web;
//! impl Charm for Web {
//!     type Stored = Stored;
//!     fn observe(on: &mut Observers<Self>) {
//!         on.install("on_install", Self::on_install);
//!         on.many(
//!             "reconcile",
//!             [EventKind::ConfigChanged, EventKind::pebble_ready("web"),
//!              EventKind::relation_changed("db"), EventKind::SecretChanged],
//!             Self::reconcile,
//!         );
//!         on.action("backup", "on_backup", Self::on_backup);
//!         on.collect_unit_status("collect", Self::collect);
//!     }
//! }
//! impl Web {
//!     fn on_install(&mut self, _ctx: &mut Ctx<Self>, _ev: &mut Install) -> HandlerResult {
//!         tracing::info!("installing");
//!         Ok(())
//!     }
//!     fn reconcile(&mut self, ctx: &mut Ctx<Self>, ev: &mut Event) -> HandlerResult {
//!         ctx.stored_mut().reconciled += 1;
//!         let database_ready = false;
//!         if !database_ready {
//!             ctx.add_unit_status(Status::waiting("waiting for the database"))?;
//!             ev.defer()?; // Err for kinds that cannot be deferred
//!         }
//!         Ok(())
//!     }
//!     fn on_backup(&mut self, _ctx: &mut Ctx<Self>, ev: &mut ActionEvent) -> HandlerResult {
//!         let _target: Option<String> = ev.params::<serde_json::Value>()?
//!             .get("target").and_then(|t| t.as_str()).map(str::to_owned);
//!         Ok(())
//!     }
//!     fn collect(&mut self, ctx: &mut Ctx<Self>, _ev: &mut CollectStatus) -> HandlerResult {
//!         ctx.add_unit_status(Status::active(""))?;
//!         Ok(())
//!     }
//! }
//! fn main() -> std::process::ExitCode {
//!     ops::main(Web)
//! }
//! ```
//!
//! # The public API, by tier
//!
//! **For charm authors** — what the guides use; changes here follow semver:
//!
//! - [`main`], [`main_with`] and [`MainOptions`]: the charm's entry point;
//!   [`DispatchError`]: why a dispatch failed (what a testing run reports).
//! - [`prelude`]: `use ops::prelude::*;` brings the names almost every charm uses.
//! - [`framework`]: [`Charm`](framework::Charm), [`Observers`](framework::Observers),
//!   [`Ctx`](framework::Ctx), handler results and errors; for charm libraries,
//!   [`Component`](framework::Component) and custom events, with the
//!   [guide to writing, testing and publishing a library](framework::libraries).
//! - [`event`]: one typed event per hook, the runtime [`Event`](event::Event) and
//!   [`EventKind`](event::EventKind), deferral.
//! - [`model`]: the unit, application, config, relations, secrets, actions, storage, ports,
//!   networks, over Juju's hook tools; [`status`]: workload statuses.
//! - [`container`]: workload containers through Pebble, with retry policies.
//! - [`resilience`]: retry any call, circuit breakers kept in the state store, hook budgets;
//!   the [guide to temporary errors](resilience::guide).
//! - [`metadata`]: the charm's metadata, config options and actions as parsed from
//!   `charmcraft.yaml` (or `metadata.yaml`, `config.yaml`, `actions.yaml`).
//! - [`host`]: the unit's fully qualified host name, as Python's `socket.getfqdn()` finds it
//!   (what relation protocols publish).
//! - [`juju_version`]: the running Juju's version and what it supports
//!   ([`Model::juju_version`](model::Model::juju_version)).
//! - [`context`]: what Juju told this hook through its environment
//!   ([`Ctx::juju_context`](framework::Ctx::juju_context) hands it to a handler).
//! - `testing` (feature `testing`): state-transition runs and a Harness against an in-memory
//!   Juju and simulated Pebbles.
//!
//! **For library and tool authors** — documented and tested, but outside the stability
//! promise (they follow Juju and may change in a minor release, as Python ops says of its
//! `hookcmds`):
//!
//! - [`hookcmds`]: one typed function per Juju hook tool, over a
//!   [`HookToolRunner`](hookcmds::HookToolRunner), with its own
//!   [`HookToolError`](hookcmds::HookToolError); no caching, no access checks (the model
//!   adds those).
//! - [`log`]: the `tracing` layer that forwards to `juju-log` (charms just use `tracing`'s
//!   macros: during a dispatch, events reach `juju debug-log` at the matching level).
//!
//! **Internal** — `#[doc(hidden)]`, public only for this workspace's own tests, benchmarks
//! and simulators; no promise at all:
//!
//! - `dispatch`: the engine under [`main`] and `testing` (one dispatch with an injected
//!   context, hook-tool runner and store). Charms run through [`main`]; tests through
//!   `testing`.
//! - `store`: the unit's state store and the format of its `.unit-state.db`, which `juju-sim`
//!   inspects and the crash tests check byte for byte; the schema changes when it must.
//!
//! # Layers
//!
//! Modules depend on lower layers only, never on their own layer or above, so the crate reads
//! bottom up. `tests/layers.rs` checks every `crate::` path of the library's code against this
//! list:
//!
//! 1. `status`, `metadata`, `resilience`, `error_chain`, `juju_version`, `host`, `spans` — no
//!    other module of the crate.
//! 2. `hookcmds` (Juju's hook tools), `container` (Pebble, through `pebble-client`).
//! 3. `model` (over the hook tools), `store` (the state store), `event` (typed events).
//! 4. `log` (`tracing` to `juju-log` through the model), `context` (the environment, naming
//!    the event to dispatch).
//! 5. `framework` (charms, handlers, `Ctx`, emitting and deferring).
//! 6. `dispatch` (the sequence of one hook process).
//! 7. `entry` (`main`), `prelude`, `testing`.

pub mod container;
pub mod context;
#[doc(hidden)] // Internal: the engine under `main` and `testing` (see the tiers above).
pub mod dispatch;
mod entry;
mod error_chain;
pub mod event;
pub mod framework;
pub mod hookcmds;
pub mod host;
pub mod juju_version;
pub mod log;
pub mod metadata;
pub mod model;
pub mod prelude;
pub mod resilience;
pub mod spans;
pub mod status;
#[doc(hidden)] // Internal: the state store and its file format (see the tiers above).
pub mod store;
#[cfg(test)]
mod test_support;
#[cfg(feature = "testing")]
pub mod testing;

pub use dispatch::DispatchError;
pub use entry::{MainOptions, main, main_with};

/// The repository README's Rust examples, compiled as doctests so they cannot drift (with the
/// `testing` feature, which some of them use, as the README's test command enables).
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
