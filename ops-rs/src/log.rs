//! Logging: `tracing` events from the charm and the framework go to `juju-log` during a
//! dispatch, at the matching level, and to stderr when `JUJU_DEBUG` is set.
//!
//! [`crate::dispatch::dispatch`] installs the subscriber for its duration, so charm code just
//! uses the `tracing` macros. A charm that wants its own layers too (a formatter, a metrics
//! counter, `ops-tracing`'s exporter) adds them with
//! [`MainOptions::layer`](crate::MainOptions::layer): they run beside the `juju-log` layer in
//! the dispatch's subscriber ([`CharmLayer`]), so both see every event and span.
//!
//! ```
//! fn on_config() {
//!     tracing::info!(port = 8080, "configuring the workload");
//!     // -> juju-log --log-level INFO -- configuring the workload port=8080
//! }
//! ```
//!
//! Levels map as ERROR → ERROR, WARN → WARNING, INFO → INFO, DEBUG → DEBUG, TRACE → TRACE.
//! TRACE events are forwarded only by a layer built with [`JujuLogLayer::with_max_level`].
//! A `juju-log` call never logs itself: events raised while forwarding are dropped.
//!
//! Libraries' events are forwarded too. In particular the Pebble client reports each retry
//! and each give-up (target `pebble_client::retry`) at WARN, so they reach `juju debug-log`
//! as WARNING lines with the call, attempt, wait and cause:
//! `Pebble call failed; retrying call=get-services attempt=1 wait=31ms cause=…` and
//! `giving up on Pebble call call=get-services attempts=6 why=no attempts left cause=…`.
//!
//! While the deferred queue is re-emitted, consecutive lines of one level are sent together:
//! one `juju-log` call whose message has one line per event, in order. Each `juju-log` is a
//! process, and a long queue would otherwise cost two per deferred event (the framework's
//! "re-emitting deferred …" line and the handler's own). Everywhere else, one event is one
//! call.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

use crate::model::{LogLevel, Model};

thread_local! {
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
    /// `Some` while [`batched`] runs on this thread: the lines not yet sent.
    static BATCH: RefCell<Option<Option<Pending>>> = const { RefCell::new(None) };
}

/// The most bytes one batched `juju-log` message carries (well under Linux's 128 KiB limit
/// for one argument).
const BATCH_LIMIT: usize = 16 * 1024;

/// Lines of one level waiting to be sent as one `juju-log` message.
struct Pending {
    model: Model,
    level: LogLevel,
    text: String,
}

impl Pending {
    fn send(self) {
        forward(&self.model, self.level, &self.text);
    }
}

/// Runs `f` with consecutive `juju-log` lines of one level sent together, one call per run of
/// lines (at most [`BATCH_LIMIT`] bytes each); whatever is pending is sent when `f` returns
/// or unwinds. Nested calls join the outer batch.
pub(crate) fn batched<R>(f: impl FnOnce() -> R) -> R {
    struct Flush;
    impl Drop for Flush {
        fn drop(&mut self) {
            let pending = BATCH.with(|b| b.borrow_mut().take()).flatten();
            if let Some(p) = pending {
                p.send();
            }
        }
    }
    let outer = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        if b.is_none() {
            *b = Some(None);
            true
        } else {
            false
        }
    });
    // Only the outermost call sends (a `Flush` made and dropped here would send early).
    let _flush = if outer { Some(Flush) } else { None };
    f()
}

/// Sends one message to `juju-log`; if that fails, to stderr. Events raised meanwhile are
/// dropped.
fn forward(model: &Model, level: LogLevel, message: &str) {
    FORWARDING.with(|f| f.set(true));
    let result = model.juju_log(level, message);
    FORWARDING.with(|f| f.set(false));
    if let Err(e) = result {
        eprintln!("{} {message} (juju-log failed: {e})", level.as_juju());
    }
}

/// A `tracing` layer that sends each event to `juju-log` through a [`Model`].
#[derive(Debug, Clone)]
pub struct JujuLogLayer {
    model: Model,
    max_level: LevelFilter,
}

impl JujuLogLayer {
    /// Forwards events down to DEBUG.
    pub fn new(model: Model) -> Self {
        JujuLogLayer {
            model,
            max_level: LevelFilter::DEBUG,
        }
    }

    /// Forwards events down to `max_level` (e.g. `LevelFilter::TRACE`).
    #[must_use]
    pub fn with_max_level(mut self, max_level: LevelFilter) -> Self {
        self.max_level = max_level;
        self
    }
}

/// The `juju-log` level for a `tracing` level.
pub fn juju_level(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warning,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for JujuLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = event.metadata().level();
        if self.max_level < *level || FORWARDING.with(Cell::get) {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        line.message.push_str(&line.fields);
        let level = juju_level(level);
        // While batching: append to the pending lines, sending them first if this line
        // cannot join them.
        let batched = BATCH.with(|b| {
            let mut b = b.borrow_mut();
            let slot = b.as_mut()?;
            let full = slot.as_ref().is_some_and(|p| {
                p.level != level || p.text.len() + 1 + line.message.len() > BATCH_LIMIT
            });
            let ready = if full { slot.take() } else { None };
            match slot {
                Some(p) => {
                    p.text.push('\n');
                    p.text.push_str(&line.message);
                }
                None => {
                    *slot = Some(Pending {
                        model: self.model.clone(),
                        level,
                        text: std::mem::take(&mut line.message),
                    });
                }
            }
            Some(ready)
        });
        match batched {
            Some(ready) => {
                if let Some(p) = ready {
                    p.send();
                }
            }
            None => forward(&self.model, level, &line.message),
        }
    }
}

/// A `tracing` layer of the charm's own, boxed for the registry a dispatch builds.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// A layer the charm adds to the subscriber a dispatch runs under (with
/// [`MainOptions::layer`](crate::MainOptions::layer)), beside the `juju-log` layer: how a
/// charm (or `ops-tracing`) composes its own `tracing` subscriber with the framework's
/// logging rather than replacing it.
///
/// The dispatch owns its subscriber, so it takes a fresh box of the layer for each dispatch
/// (a clone of the value given: keep a layer's shared state behind an `Arc`).
///
/// ```
/// use tracing_subscriber::Layer;
/// #[derive(Clone)]
/// struct CountEvents(std::sync::Arc<std::sync::atomic::AtomicUsize>);
/// impl<S: tracing::Subscriber> Layer<S> for CountEvents {
///     fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///     }
/// }
/// let options = ops::MainOptions::default().layer(CountEvents(Default::default()));
/// assert_eq!(options.layers.len(), 1);
/// ```
#[derive(Clone)]
pub struct CharmLayer(Arc<dyn Fn() -> BoxedLayer + Send + Sync>);

impl CharmLayer {
    /// Adds `layer` (cloned for each dispatch).
    pub fn new<L>(layer: L) -> Self
    where
        L: Layer<Registry> + Clone + Send + Sync + 'static,
    {
        CharmLayer(Arc::new(move || Box::new(layer.clone())))
    }

    /// A fresh box of the layer.
    pub fn boxed(&self) -> BoxedLayer {
        (self.0)()
    }
}

impl std::fmt::Debug for CharmLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CharmLayer(..)")
    }
}

/// The subscriber a dispatch runs under: `juju-log`, plus stderr when `debug` (`JUJU_DEBUG`).
pub fn subscriber(model: Model, debug: bool) -> Box<dyn Subscriber + Send + Sync> {
    subscriber_with(model, debug, &[])
}

/// [`subscriber`], plus the charm's own `layers`, all over one span registry. With no layer
/// and no `debug` nothing reads spans, and there is no registry either (BENCHMARKS.md, "No
/// span registry under the `juju-log` layer").
pub fn subscriber_with(
    model: Model,
    debug: bool,
    layers: &[CharmLayer],
) -> Box<dyn Subscriber + Send + Sync> {
    let juju = JujuLogLayer::new(model);
    if layers.is_empty() && !debug {
        return Box::new(juju.with_subscriber(Spanless));
    }
    // One subscriber type for `JUJU_DEBUG` and for charm layers (an empty list, or no stderr
    // layer, costs nothing at run time): a second type would be a second copy of the
    // registry's code in every charm binary. The stderr formatter shows the spans an event
    // is in: it needs the registry.
    // No layers is `None`, not an empty `Vec`: an empty `Vec` layer hints a maximum level of
    // OFF, which under concurrent scoped subscribers can leave every callsite disabled.
    let own: Option<Vec<BoxedLayer>> =
        (!layers.is_empty()).then(|| layers.iter().map(CharmLayer::boxed).collect());
    let stderr = debug.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .without_time()
            .with_target(false)
            .with_filter(LevelFilter::DEBUG)
    });
    Box::new(
        tracing_subscriber::registry()
            .with(own)
            .with(juju)
            .with(stderr),
    )
}

/// The subscriber under [`JujuLogLayer`] when nothing needs spans: it accepts them and keeps
/// nothing. Forwarding to `juju-log` reads no span; a `Registry` would set up its span storage
/// in every dispatch for nothing (measured: BENCHMARKS.md, "No span registry under the
/// `juju-log` layer").
struct Spanless;

impl Subscriber for Spanless {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        // Ids must not be zero; nothing ever looks one up here.
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hookcmds::{RecordingRunner, ToolCall};
    use std::sync::Arc;

    fn model() -> (RecordingRunner, Model) {
        let r = RecordingRunner::new(|_c: &ToolCall| Ok(Vec::new()));
        let m = Model::new(Arc::new(r.clone()), "web/0");
        (r, m)
    }

    #[test]
    fn levels_map_to_juju_levels() {
        let (r, m) = model();
        let sub = tracing_subscriber::registry()
            .with(JujuLogLayer::new(m).with_max_level(LevelFilter::TRACE));
        tracing::subscriber::with_default(sub, || {
            tracing::error!("e");
            tracing::warn!("w");
            tracing::info!(port = 80, "i");
            tracing::debug!("d");
            tracing::trace!("t");
        });
        assert_eq!(
            r.lines(),
            [
                "juju-log --log-level ERROR -- e",
                "juju-log --log-level WARNING -- w",
                "juju-log --log-level INFO -- i port=80",
                "juju-log --log-level DEBUG -- d",
                "juju-log --log-level TRACE -- t",
            ]
        );
    }

    /// Records the spans opened and the events seen, with the span each event was in.
    #[derive(Clone, Default)]
    struct Seen(Arc<std::sync::Mutex<Vec<String>>>);

    impl<S> Layer<S> for Seen
    where
        S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _id: &tracing::span::Id,
            _ctx: Context<'_, S>,
        ) {
            self.0
                .lock()
                .unwrap()
                .push(format!("span {}", attrs.metadata().name()));
        }
        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut line = Line::default();
            event.record(&mut line);
            let span = ctx.event_span(event).map(|s| s.name()).unwrap_or("-");
            self.0
                .lock()
                .unwrap()
                .push(format!("event {} in {span}", line.message));
        }
    }

    #[test]
    fn a_charm_layer_sees_spans_and_events_beside_juju_log() {
        for debug in [false, true] {
            let (r, m) = model();
            let seen = Seen::default();
            let sub = subscriber_with(m, debug, &[CharmLayer::new(seen.clone())]);
            tracing::subscriber::with_default(sub, || {
                tracing::info_span!("reconcile").in_scope(|| tracing::info!("hello"));
            });
            assert_eq!(r.lines(), ["juju-log --log-level INFO -- hello"]);
            assert_eq!(
                *seen.0.lock().unwrap(),
                ["span reconcile", "event hello in reconcile"],
                "debug={debug}"
            );
        }
    }

    #[test]
    fn trace_is_off_by_default() {
        let (r, m) = model();
        tracing::subscriber::with_default(subscriber(m, false), || {
            tracing::trace!("t");
            tracing::debug!("d");
        });
        assert_eq!(r.lines(), ["juju-log --log-level DEBUG -- d"]);
    }

    #[test]
    fn a_batch_sends_runs_of_one_level_together() {
        let (r, m) = model();
        tracing::subscriber::with_default(subscriber(m, false), || {
            tracing::debug!("before");
            batched(|| {
                tracing::debug!("a");
                batched(|| tracing::debug!("b"));
                tracing::warn!("c");
                tracing::debug!("d");
            });
            tracing::debug!("after");
        });
        assert_eq!(
            r.lines(),
            [
                "juju-log --log-level DEBUG -- before",
                "juju-log --log-level DEBUG -- a\nb",
                "juju-log --log-level WARNING -- c",
                "juju-log --log-level DEBUG -- d",
                "juju-log --log-level DEBUG -- after",
            ]
        );
    }

    #[test]
    fn a_batch_is_split_at_the_size_limit_and_sent_on_unwind() {
        let (r, m) = model();
        let line = "x".repeat(BATCH_LIMIT / 3 - 1);
        tracing::subscriber::with_default(subscriber(m, false), || {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                batched(|| {
                    for _ in 0..4 {
                        tracing::info!("{line}");
                    }
                    panic!("a handler panicked");
                })
            }));
        });
        let lines = r.lines();
        assert_eq!(
            lines.len(),
            2,
            "3 lines fit in one message, the 4th in the next"
        );
        assert_eq!(lines[0].matches('x').count(), 3 * line.len());
        assert_eq!(lines[1].matches('x').count(), line.len());
    }

    #[test]
    fn a_runner_that_logs_does_not_recurse() {
        let r = RecordingRunner::new(|c: &ToolCall| {
            tracing::info!("running {}", c.tool);
            Ok(Vec::new())
        });
        let m = Model::new(Arc::new(r.clone()), "web/0");
        tracing::subscriber::with_default(subscriber(m, false), || tracing::info!("hello"));
        assert_eq!(r.lines(), ["juju-log --log-level INFO -- hello"]);
    }

    #[test]
    fn events_inside_spans_are_forwarded_with_or_without_debug() {
        for debug in [false, true] {
            let (r, m) = model();
            tracing::subscriber::with_default(subscriber(m, debug), || {
                let outer = tracing::info_span!("reconcile", unit = "web/0");
                let _outer = outer.enter();
                tracing::info!(port = 80, "in a span");
                tracing::info_span!("inner").in_scope(|| tracing::warn!("nested"));
                tracing::trace!("not forwarded");
            });
            assert_eq!(
                r.lines(),
                [
                    "juju-log --log-level INFO -- in a span port=80",
                    "juju-log --log-level WARNING -- nested",
                ],
                "debug={debug}"
            );
        }
    }
}
