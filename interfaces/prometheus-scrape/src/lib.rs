//! The `prometheus_scrape` relation interface for ops-rs charms, wire-compatible with the
//! Python library Prometheus uses on the other side (`charms.prometheus_k8s.v0.prometheus_scrape`).
//!
//! | Module | Interface version | Python library |
//! |---|---|---|
//! | [`v0`] | `prometheus_scrape` v0 | `charms.prometheus_k8s.v0.prometheus_scrape`, LIBAPI 0, LIBPATCH 61 (with `cosl` for topology and rules) |
//!
//! The provider is a [`Component`](ops::framework::Component) the charm holds as a field and
//! registers with [`Observers::component`](ops::framework::Observers::component). See [`v0`]
//! for an example.

mod host;
pub mod v0;

pub use host::local_fqdn;
