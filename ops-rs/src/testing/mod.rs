//! Testing your charm: run events against simulated Juju and Pebble through the real
//! dispatcher.
//!
//! - [`Context`] and [`State`]: Scenario-style state transitions, one event per run.
//! - [`Harness`]: step by step, for tests that build the model as they go.
//! - [`juju`]: the simulated Juju (an in-memory model answering every hook tool), also used
//!   by the `juju-sim` hook-tool binary.
//!
#![doc = include_str!("../docs/testing.md")]

mod breaker;
mod check_health;
mod consistency;
mod container;
mod container_sim;
mod context;
mod error;
mod event;
mod harness;
pub mod juju;
mod mount;
mod output;
mod pebble_fault;
mod state;

pub use crate::store::DeferredEntry;
pub use breaker::StoredBreaker;
pub use check_health::DEFAULT_CHECK_FAILURE;
pub use container::{CheckHealth, ContainerState, Exec, HostMount, NoticeState};
pub use context::{Context, DEFAULT_JUJU_VERSION};
pub use error::RunError;
pub use event::{CUSTOM_EVENT_HOOK, DEFAULT_ACTION_ID, On, TestEvent};
pub use harness::Harness;
pub use output::{ActionOutput, Output};
/// What a simulated command sees ([`Exec::handler`]), answers, and what the exec history
/// records ([`Output::exec_history`]).
pub use pebble_client::testing::{ExecInput, ExecRecord, ExecResponse};
pub use pebble_fault::PebbleFault;
pub use state::State;
