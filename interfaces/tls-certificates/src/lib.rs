//! The `tls-certificates` relation interface for ops-rs charms: the requirer side, wire
//! compatible with the Python library `charmlibs-interfaces-tls-certificates` (v4 semantics)
//! that providers such as `self-signed-certificates`, `vault-k8s` and `lego` use.
//!
//! Each protocol version of the interface is a module; today there is [`v1`] (the interface's
//! v1, which the Python library calls v4). A charm holds a [`v1::TlsRequirer`] as a field,
//! registers it as a component, and observes its events.
//!
//! | Module | What it is |
//! |---|---|
//! | [`v1`] | the requirer component, its configuration and events (start here) |
//! | [`v1::wire`] | the relation data, as the Python library writes and reads it |
//! | [`v1::labels`] | the secrets the requirer keeps, under the Python library's labels |

pub mod v1;

/// The README's Rust examples, compiled and run as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
