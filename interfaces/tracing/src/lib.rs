//! The `tracing` relation interface for ops-rs charms: how a charm asks a Tempo (or any
//! OTLP collector) charm for a receiver and learns its URL. Wire-compatible with the Python
//! libraries on the other side (`charms.tempo_coordinator_k8s.v0.tracing`, and
//! `charmlibs-interfaces-tracing`).
//!
//! | Module | Interface version | Python library |
//! |---|---|---|
//! | [`v2`] | `tracing` v2 | `charms.tempo_coordinator_k8s.v0.tracing` (the v2 databags) |
//!
//! The requirer is a [`Component`](ops::framework::Component): the charm holds it and
//! registers it; `ops-tracing` uses it to find where to send a charm's own spans.

pub mod v2;
