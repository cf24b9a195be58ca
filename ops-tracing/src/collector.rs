//! [`SpanCollector`]: a `tracing` layer that turns the spans of one dispatch into OTLP spans.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{Span, Status, span, status};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::ids::{TraceParent, random_id};

/// The most spans one dispatch keeps; later ones are counted and dropped (a runaway loop of
/// hook tools must not fill the buffer).
pub const MAX_SPANS: usize = 10_000;

/// The most events (WARN and ERROR log lines) one span keeps.
pub const MAX_EVENTS_PER_SPAN: usize = 32;

/// A `tracing` layer collecting every span of a dispatch as an OTLP [`Span`] of one trace.
///
/// Names and attributes are the spans' own (`ops::spans` lists the framework's); a field
/// `otel.name` renames a span. WARN and ERROR events become span events; an ERROR event marks
/// its span's status as an error. Clones share what was collected.
#[derive(Debug, Clone)]
pub struct SpanCollector {
    parent: TraceParent,
    collected: Arc<Mutex<Collected>>,
}

#[derive(Debug, Default)]
struct Collected {
    spans: Vec<Span>,
    dropped: usize,
}

/// A span not yet closed, kept in the registry's extensions.
struct Open(Span);

impl SpanCollector {
    /// A collector whose spans join `parent`'s trace.
    pub fn new(parent: TraceParent) -> Self {
        SpanCollector {
            parent,
            collected: Arc::default(),
        }
    }

    /// The trace the spans belong to.
    pub fn trace_parent(&self) -> TraceParent {
        self.parent
    }

    /// The spans closed so far (taken: a second call returns only later ones), and how many
    /// were dropped over [`MAX_SPANS`].
    pub fn take(&self) -> (Vec<Span>, usize) {
        let mut c = self
            .collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let dropped = std::mem::take(&mut c.dropped);
        (std::mem::take(&mut c.spans), dropped)
    }
}

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A string attribute.
pub(crate) fn kv(key: &str, value: impl Into<String>) -> KeyValue {
    attr(key, any_value::Value::StringValue(value.into()))
}

fn attr(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// Records fields as attributes; `otel.name` renames the span.
struct Fields<'a>(&'a mut Span);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: any_value::Value) {
        if field.name() == "otel.name" {
            if let any_value::Value::StringValue(s) = value {
                self.0.name = s;
            }
            return;
        }
        let attrs = &mut self.0.attributes;
        match attrs.iter_mut().find(|a| a.key == field.name()) {
            Some(a) => a.value = Some(AnyValue { value: Some(value) }),
            None => attrs.push(attr(field.name(), value)),
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, any_value::Value::StringValue(value.to_owned()));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, any_value::Value::BoolValue(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, any_value::Value::IntValue(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(
            field,
            any_value::Value::IntValue(i64::try_from(value).unwrap_or(i64::MAX)),
        );
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, any_value::Value::DoubleValue(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, any_value::Value::StringValue(format!("{value:?}")));
    }
}

/// An event's message and other fields, as one line.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

impl<S> Layer<S> for SpanCollector
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(this) = ctx.span(id) else { return };
        let parent = this
            .parent()
            .and_then(|p| p.extensions().get::<Open>().map(|o| o.0.span_id.clone()))
            .or_else(|| self.parent.span_id.map(|s| s.to_vec()))
            .unwrap_or_default();
        let mut span = Span {
            trace_id: self.parent.trace_id.to_vec(),
            span_id: random_id::<8>().to_vec(),
            parent_span_id: parent,
            name: attrs.metadata().name().to_owned(),
            kind: span::SpanKind::Internal as i32,
            start_time_unix_nano: now_nanos(),
            ..Span::default()
        };
        attrs.record(&mut Fields(&mut span));
        this.extensions_mut().insert(Open(span));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(this) = ctx.span(id) else { return };
        if let Some(open) = this.extensions_mut().get_mut::<Open>() {
            values.record(&mut Fields(&mut open.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let Some(this) = ctx.event_span(event) else {
            return;
        };
        let mut ext = this.extensions_mut();
        let Some(open) = ext.get_mut::<Open>() else {
            return;
        };
        let mut line = Line::default();
        event.record(&mut line);
        if level == Level::ERROR {
            open.0.status = Some(Status {
                message: line.0.clone(),
                code: status::StatusCode::Error as i32,
            });
        }
        if open.0.events.len() >= MAX_EVENTS_PER_SPAN {
            open.0.dropped_events_count += 1;
            return;
        }
        open.0.events.push(span::Event {
            time_unix_nano: now_nanos(),
            name: line.0,
            attributes: vec![kv("level", level.as_str())],
            ..span::Event::default()
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(this) = ctx.span(&id) else { return };
        let Some(Open(mut span)) = this.extensions_mut().remove::<Open>() else {
            return;
        };
        span.end_time_unix_nano = now_nanos();
        let mut c = self
            .collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if c.spans.len() < MAX_SPANS {
            c.spans.push(span);
        } else {
            c.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn collect(f: impl FnOnce()) -> Vec<Span> {
        let parent = TraceParent::from_juju(
            Some("4bf92f3577b34da6a3ce929d0e0e4736"),
            Some("00f067aa0ba902b7"),
        );
        let c = SpanCollector::new(parent);
        let sub = tracing_subscriber::registry().with(c.clone());
        tracing::subscriber::with_default(sub, f);
        c.take().0
    }

    fn attr_of<'a>(span: &'a Span, key: &str) -> Option<&'a any_value::Value> {
        span.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.as_ref())
    }

    #[test]
    fn spans_nest_under_jujus_span_and_keep_their_fields() {
        let spans = collect(|| {
            let outer = tracing::info_span!("ops.main", unit = "web/0");
            let _o = outer.enter();
            let inner = tracing::info_span!(
                "ops.handler",
                otel.name = "start: charm/on_start",
                deferred = tracing::field::Empty
            );
            let _i = inner.enter();
            inner.record("deferred", true);
            tracing::warn!(attempt = 1, "Pebble call failed");
            tracing::info!("not kept");
        });
        assert_eq!(spans.len(), 2);
        let (inner, outer) = (&spans[0], &spans[1]);
        assert_eq!(outer.name, "ops.main");
        assert_eq!(
            outer.parent_span_id,
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert_eq!(outer.trace_id[0], 0x4b);
        assert_eq!(inner.name, "start: charm/on_start");
        assert_eq!(inner.parent_span_id, outer.span_id);
        assert_eq!(inner.trace_id, outer.trace_id);
        assert_eq!(
            attr_of(inner, "deferred"),
            Some(&any_value::Value::BoolValue(true))
        );
        assert_eq!(
            attr_of(outer, "unit"),
            Some(&any_value::Value::StringValue("web/0".into()))
        );
        assert_eq!(inner.events.len(), 1);
        assert_eq!(inner.events[0].name, "Pebble call failed attempt=1");
        assert!(inner.end_time_unix_nano >= inner.start_time_unix_nano);
    }

    #[test]
    fn an_error_event_marks_its_span() {
        let spans = collect(|| {
            tracing::info_span!("work").in_scope(|| tracing::error!("broke"));
        });
        let status = spans[0].status.as_ref().unwrap();
        assert_eq!(status.code, status::StatusCode::Error as i32);
        assert_eq!(status.message, "broke");
    }
}
