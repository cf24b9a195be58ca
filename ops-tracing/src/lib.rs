//! Charm tracing for ops-rs (Python: `ops[tracing]`): every dispatch, event, handler, hook
//! tool and Pebble request of a charm becomes an OpenTelemetry span, sent over OTLP/HTTP
//! (protobuf) to the receiver a Tempo (or any OTLP collector) charm publishes on the
//! `tracing` relation.
//!
//! Two lines in a charm: hold a [`Tracing`] component, and start with [`main`] instead of
//! `ops::main`.
//!
//! ```no_run
//! use ops::prelude::*;
//! use ops_tracing::Tracing;
//!
//! struct Web { tracing: Tracing }
//! impl Charm for Web {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         // `charm-tracing` requires interface `tracing` in the charm's metadata.
//!         on.component("tracing", |c: &mut Web| &mut c.tracing);
//!     }
//! }
//! fn main() -> std::process::ExitCode {
//!     ops_tracing::main(Web { tracing: Tracing::new("charm-tracing") })
//! }
//! ```
//!
//! How it works:
//!
//! - The framework's spans (the table in [`ops::spans`], compiled in by `ops-rs`'s `spans`
//!   feature, which this crate turns on) and the charm's own `tracing` spans are collected by
//!   a layer ([`SpanCollector`]) added beside the `juju-log` layer
//!   ([`ops::MainOptions::layer`]). When Juju 4 sets `JUJU_TRACE_ID` and `JUJU_SPAN_ID`,
//!   the spans join Juju's trace under Juju's span for the hook.
//! - When the dispatch ends, its spans are appended to a bounded file in the charm directory
//!   ([`Buffer`], at most [`BUFFER_LIMIT`] bytes, oldest dropped first).
//! - If a destination is known, the oldest buffered batch (up to [`buffer::SEND_LIMIT`]) is
//!   POSTed there, within [`EXPORT_DEADLINE`]. Spans that cannot be sent stay buffered for
//!   a later hook. Nothing here fails a hook: problems go to stderr.
//! - `https://` receivers (the `https` feature, on by default): TLS 1.3 with rustls, trusting
//!   the CA list [`Tracing`] found (see there), or the system's. Without the feature only
//!   `http://` receivers are sent to (`default-features = false`).
//! - The dispatch logs `Starting root trace with id='…'.` at DEBUG before the Juju event, as
//!   Python ops does (jhack reads it to find a hook's trace).
//! - [`Tracing`] decides the destination from the `tracing` relation (and the CA from a
//!   `certificate_transfer` relation) when they change; it is kept in a file between hooks.
//!
//! Secrets never reach a span: secret content is never on a hook tool's command line, and
//! the values of `relation-set`, `action-set`, `state-set`, `secret-add` and `secret-set`
//! arguments are redacted ([`ops::spans::tool_args`]).

pub mod buffer;
mod collector;
mod component;
mod destination;
pub mod encode;
pub mod export;
mod ids;
mod session;
#[cfg(feature = "https")]
mod tls;

use std::process::ExitCode;

use ops::framework::Charm;

pub use buffer::{BUFFER_FILE, BUFFER_LIMIT, Buffer};
pub use collector::{MAX_EVENTS_PER_SPAN, MAX_SPANS, SpanCollector};
pub use component::Tracing;
pub use destination::{DESTINATION_FILE, Destination, set_destination};
pub use export::EXPORT_DEADLINE;
pub use ids::TraceParent;
pub use session::{Report, Session};

/// Runs `charm` as [`ops::main`] does, with its spans collected and sent.
pub fn main<C: Charm>(charm: C) -> ExitCode {
    main_with(charm, ops::MainOptions::default())
}

/// [`main`], with options.
pub fn main_with<C: Charm>(charm: C, options: ops::MainOptions) -> ExitCode {
    let Some(session) = Session::from_env::<C>() else {
        return ops::main_with(charm, options);
    };
    let options = options
        .layer(session.collector())
        .trace_id(session.trace_id());
    let code = ops::main_with(charm, options);
    session.finish(code != ExitCode::SUCCESS);
    code
}
