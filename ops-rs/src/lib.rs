//! ops-rs: the framework for writing Juju charms in Rust.
//!
//! A charm is a binary whose `main` calls [`main`] with a value implementing
//! [`Charm`](framework::Charm). Juju runs it once per event; the framework reads the hook
//! context, re-emits deferred events, calls the charm's handlers with typed events, collects
//! status, and saves the charm's typed state, all in one transaction.
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
//!     type State = Stored;
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
//!         ctx.state_mut().reconciled += 1;
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
//! # Tour
//!
//! - [`context`]: the hook context from the environment, validated per hook.
//! - [`event`]: one typed event per hook, [`event::Event`] and [`event::EventKind`].
//! - [`framework`]: [`framework::Charm`], [`framework::Observers`], [`framework::Ctx`],
//!   handler results and the deferred queue.
//! - [`dispatch`]: the sequence of one hook process; also what the testing API drives.
//! - [`store`]: the state store (SQLite file, Juju's controller-side store, memory).
//! - [`log`]: `tracing` to `juju-log`.
//! - [`container`]: workload containers through Pebble ([`container::Container`]), with
//!   retry policies and errors that tell "defer" from "fail".
//! - [`resilience`]: retry any call, circuit breakers kept in the state store, hook time
//!   budgets; the [guide to temporary errors](resilience::guide).
//! - [`model`], [`hookcmds`], [`status`], [`metadata`]: the Juju model over the hook tools,
//!   and the charm's metadata.
//! - `testing` (feature `testing`): an in-memory Juju for charm tests and `juju-sim`.

pub mod container;
pub mod context;
pub mod dispatch;
mod entry;
pub mod event;
pub mod framework;
pub mod hookcmds;
pub mod log;
pub mod metadata;
pub mod model;
pub mod prelude;
pub mod resilience;
pub mod status;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use entry::{MainOptions, main, main_with};

/// The repository README's Rust examples, compiled as doctests so they cannot drift (with the
/// `testing` feature, which some of them use, as the README's test command enables).
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
