//! Spans: what a dispatch does, as `tracing` spans a tracing layer (the `ops-tracing` crate)
//! turns into OpenTelemetry spans. Their names and attributes follow Python `ops[tracing]`.
//!
//! Spans are compiled in only with the `spans` feature. Without it, `span!` is a
//! zero-sized no-op whose field expressions are never evaluated, so a charm that does not
//! trace pays nothing (BENCHMARKS.md, "Charm tracing").
//!
//! | Span | Where | Attributes |
//! | --- | --- | --- |
//! | `ops.main` | the whole dispatch | `juju.hook`, `juju.unit`, `juju.event` |
//! | `ops.reemit` | the pass over the deferred queue | `queued` |
//! | `emit <kind>` (`ops.emit`) | one event emitted | `kind`, `event_id` |
//! | `<kind>: <handler>` (`ops.handler`) | one handler call | `handler`, `event_name`, `reemitted`, `deferred` |
//! | `ops.collect_status` | the collect-status decision | `leader`, `unit_status`, `app_status`, `candidates` |
//! | `<tool>` (`ops.hook_tool`) | one hook tool (never `juju-log`) | `call`, `args` ([`tool_args`]: values of sensitive tools redacted) |
//! | `pebble <call>` | one Pebble request (`pebble-client`) | `http.request.method`, `url.path`, `http.response.status_code` |
//! | `pebble attempt` | one try of a retried Pebble call | `attempt` |
//!
//! A span whose name is computed carries it in the `otel.name` field (the convention
//! `tracing-opentelemetry` reads too); the static name in parentheses is its `tracing` name.

/// A span at INFO under the `ops` target when the `spans` feature is on; `Span::none()`
/// (nothing evaluated) without it.
#[cfg(feature = "spans")]
macro_rules! span {
    ($name:literal $(, $($fields:tt)*)?) => {
        tracing::info_span!(target: "ops", $name $(, $($fields)*)?)
    };
}

/// A span at INFO under the `ops` target when the `spans` feature is on; [`NoSpan`]
/// (nothing evaluated, nothing compiled) without it.
#[cfg(not(feature = "spans"))]
macro_rules! span {
    ($($anything:tt)*) => {
        crate::spans::NoSpan
    };
}

pub(crate) use span;

/// No span: what [`span!`] is without the `spans` feature. Its methods are the ones the
/// framework calls on a span, and do nothing, so the calls compile to nothing.
#[cfg(not(feature = "spans"))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoSpan;

#[cfg(not(feature = "spans"))]
impl NoSpan {
    /// Does nothing (`Span::enter`).
    #[inline(always)]
    pub(crate) fn enter(&self) -> NoSpan {
        NoSpan
    }

    /// Does nothing (`Span::record`).
    #[inline(always)]
    pub(crate) fn record<V>(&self, _field: &str, _value: V) -> &Self {
        self
    }
}

/// A span that records nothing, of the type [`span!`] gives.
#[cfg(feature = "spans")]
#[inline(always)]
pub(crate) fn none() -> tracing::Span {
    tracing::Span::none()
}

/// A span that records nothing, of the type [`span!`] gives.
#[cfg(not(feature = "spans"))]
#[inline(always)]
pub(crate) fn none() -> NoSpan {
    NoSpan
}

/// The text a value takes in a redacted argument.
pub const REDACTED: &str = "<redacted>";

/// Tools whose `key=value` arguments may carry secrets or other sensitive data: their values
/// are replaced by [`REDACTED`], their keys kept. (Secret content itself never reaches a
/// command line: `secret-add`/`secret-set` pass it as `key#file=...`; it is redacted too.)
const SENSITIVE: &[&str] = &[
    "action-set",
    "relation-set",
    "secret-add",
    "secret-set",
    "state-set",
];

/// A hook tool's arguments as a span shows them: every `key=value` argument of a tool that
/// may carry sensitive values becomes `key=<redacted>`; options (`--app`, `-r 3`) stay.
///
/// ```
/// use ops::spans::tool_args;
/// let args = ["-r".to_owned(), "3".to_owned(), "password=hunter2".to_owned()];
/// assert_eq!(tool_args("relation-set", &args), ["-r", "3", "password=<redacted>"]);
/// assert_eq!(tool_args("relation-get", &args), ["-r", "3", "password=hunter2"]);
/// ```
pub fn tool_args(tool: &str, args: &[String]) -> Vec<String> {
    if !SENSITIVE.contains(&tool) {
        return args.to_vec();
    }
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((k, _)) if !a.starts_with('-') => format!("{k}={REDACTED}"),
            _ => a.clone(),
        })
        .collect()
}
