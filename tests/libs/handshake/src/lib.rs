//! handshake: a small charm library, written as a library outside ops-rs would be, that the
//! workspace's tests use to hold the component API to what libraries need.
//!
//! The protocol (version 0, hence the module [`v0`]): on each relation of the endpoint, the
//! leader of each side writes `greeting` into its application data bag; each side reads the
//! other's. The component keeps the greetings it has seen in its stored state, emits
//! [`v0::Greeted`] when a remote greeting appears or changes and [`v0::Parted`] when a relation
//! that had greeted goes away, and adds a `waiting` status candidate while no greeting has
//! arrived.

pub mod v0;
