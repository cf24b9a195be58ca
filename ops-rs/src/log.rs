//! Logging: `tracing` events from the charm and the framework go to `juju-log` during a
//! dispatch, at the matching level, and to stderr when `JUJU_DEBUG` is set.
//!
//! [`crate::dispatch::dispatch`] installs the subscriber for its duration, so charm code just
//! uses the `tracing` macros:
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

use std::cell::Cell;
use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

use crate::model::{LogLevel, Model};

thread_local! {
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
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
        FORWARDING.with(|f| f.set(true));
        let result = self.model.juju_log(juju_level(level), &line.message);
        FORWARDING.with(|f| f.set(false));
        if let Err(e) = result {
            eprintln!("{} {} (juju-log failed: {e})", level, line.message);
        }
    }
}

/// The subscriber a dispatch runs under: `juju-log`, plus stderr when `debug` (`JUJU_DEBUG`).
pub fn subscriber(model: Model, debug: bool) -> impl Subscriber + Send + Sync {
    let stderr = debug.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .without_time()
            .with_target(false)
            .with_filter(LevelFilter::DEBUG)
    });
    tracing_subscriber::registry()
        .with(JujuLogLayer::new(model))
        .with(stderr)
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
    fn a_runner_that_logs_does_not_recurse() {
        let r = RecordingRunner::new(|c: &ToolCall| {
            tracing::info!("running {}", c.tool);
            Ok(Vec::new())
        });
        let m = Model::new(Arc::new(r.clone()), "web/0");
        tracing::subscriber::with_default(subscriber(m, false), || tracing::info!("hello"));
        assert_eq!(r.lines(), ["juju-log --log-level INFO -- hello"]);
    }
}
