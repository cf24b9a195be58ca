//! Testing support: run a charm against simulated Juju (and, from sibling modules, Pebble).
//!
//! [`juju`] is an in-memory Juju model and an interpreter that answers every hook tool's
//! command line as Juju does. It backs the unit-testing API in-process (as a
//! [`HookToolRunner`](crate::hookcmds::HookToolRunner)) and the `juju-sim` hook-tool binary,
//! which keeps the same model in a state file.

pub mod juju;
