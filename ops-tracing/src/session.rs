//! [`Session`]: one dispatch's tracing, from collecting its spans to sending them.

use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::trace::v1::{Status, status};

use crate::buffer::Buffer;
use crate::collector::SpanCollector;
use crate::destination::{Destination, DestinationFile, take_decided};
use crate::encode::{Origin, encode, request};
use crate::export::{self, ExportError};
use crate::ids::TraceParent;

/// One dispatch's tracing: the collector to add as a layer, then [`Session::finish`].
#[derive(Debug)]
pub struct Session {
    collector: SpanCollector,
    trace_id: [u8; 16],
    charm_dir: PathBuf,
    origin: Origin,
}

/// What [`Session::finish`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Spans this dispatch added to the buffer.
    pub spans: usize,
    /// Records (dispatches) sent to the collector.
    pub sent: usize,
    /// Records dropped: the buffer was full, or the collector refused them for good.
    pub dropped: usize,
    /// Where they went, if anywhere.
    pub destination: Option<Destination>,
    /// What went wrong (also printed to stderr); the hook's result is never affected.
    pub problems: Vec<String>,
}

impl Session {
    /// A session for the hook described by this process's environment (`JUJU_CHARM_DIR`,
    /// `JUJU_UNIT_NAME`, `JUJU_MODEL_NAME`, `JUJU_MODEL_UUID`, and Juju 4's
    /// `JUJU_TRACE_ID`/`JUJU_SPAN_ID`); `None` outside a hook, or when the charm runs itself
    /// again (`OPERATOR_DISPATCH`).
    pub fn from_env<C>() -> Option<Session> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if std::env::var_os(ops::context::OPERATOR_DISPATCH).is_some() {
            return None;
        }
        let origin = Origin {
            unit: var("JUJU_UNIT_NAME")?,
            model: var("JUJU_MODEL_NAME").unwrap_or_default(),
            model_uuid: var("JUJU_MODEL_UUID").unwrap_or_default(),
            charm_type: short_type_name::<C>().to_owned(),
        };
        let parent = TraceParent::from_juju(
            var("JUJU_TRACE_ID").as_deref(),
            var("JUJU_SPAN_ID").as_deref(),
        );
        Some(Session::new(
            Path::new(&var("JUJU_CHARM_DIR")?),
            origin,
            parent,
        ))
    }

    /// A session keeping its buffer in `charm_dir`.
    pub fn new(charm_dir: &Path, origin: Origin, parent: TraceParent) -> Self {
        Session {
            collector: SpanCollector::new(parent),
            trace_id: parent.trace_id,
            charm_dir: charm_dir.to_path_buf(),
            origin,
        }
    }

    /// The trace this dispatch's spans belong to, as 32 hex digits (what
    /// [`ops::MainOptions::trace_id`] logs for jhack and the like).
    pub fn trace_id(&self) -> String {
        self.trace_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The layer to run the dispatch under.
    pub fn collector(&self) -> SpanCollector {
        self.collector.clone()
    }

    /// Buffers the dispatch's spans (marking `ops.main` as failed if `failed`), saves the
    /// destination the dispatch chose, and sends the oldest buffered batch there if there is
    /// one, within [`EXPORT_DEADLINE`](crate::export::EXPORT_DEADLINE). Never fails: problems
    /// go to stderr and the report.
    pub fn finish(self, failed: bool) -> Report {
        let mut report = Report::default();
        let (mut spans, over) = self.collector.take();
        let decided = take_decided();
        if spans.is_empty() && decided.is_none() {
            return report;
        }
        if failed && let Some(root) = spans.iter_mut().find(|s| s.name == "ops.main") {
            root.status = Some(Status {
                message: "the dispatch failed (see juju debug-log)".into(),
                code: status::StatusCode::Error as i32,
            });
        }
        if over > 0 {
            report.problems.push(format!(
                "{over} spans over the limit of {} were dropped",
                crate::collector::MAX_SPANS
            ));
        }
        report.spans = spans.len();
        let buffer = Buffer::in_dir(&self.charm_dir);
        if !spans.is_empty() {
            match buffer.append(&encode(&request(&self.origin, spans))) {
                Ok(dropped) => report.dropped += dropped,
                Err(e) => report.problems.push(format!(
                    "cannot buffer spans in {}: {e}",
                    buffer.path().display()
                )),
            }
        }
        let file = DestinationFile::in_dir(&self.charm_dir);
        let destination = match decided {
            Some(d) => {
                if let Err(e) = file.save(d.as_ref()) {
                    report
                        .problems
                        .push(format!("cannot save the tracing destination: {e}"));
                }
                d
            }
            None => file.load(),
        };
        if let Some(d) = &destination {
            flush(&buffer, d, &mut report);
        }
        report.destination = destination;
        for p in &report.problems {
            eprintln!("ops-tracing: {p}");
        }
        report
    }
}

/// Sends the oldest batch; drops it once delivered or refused for good.
fn flush(buffer: &Buffer, destination: &Destination, report: &mut Report) {
    let (body, n) = match buffer.batch() {
        Ok(b) => b,
        Err(e) => {
            report
                .problems
                .push(format!("cannot read the span buffer: {e}"));
            return;
        }
    };
    if n == 0 {
        return;
    }
    let result = export::send(&destination.url, destination.ca.as_deref(), &body);
    let done = match &result {
        Ok(()) => {
            report.sent += n;
            true
        }
        Err(e) if !e.retryable() => {
            report.dropped += n;
            true
        }
        Err(_) => false,
    };
    if let Err(e) = result {
        report.problems.push(describe(&e));
    }
    if done && let Err(e) = buffer.drop_oldest(n) {
        report
            .problems
            .push(format!("cannot remove sent spans from the buffer: {e}"));
    }
}

fn describe(e: &ExportError) -> String {
    if e.retryable() {
        format!("{e}; the spans stay buffered for a later hook")
    } else {
        format!("{e}; those spans are dropped")
    }
}

/// `Web` for `my_charm::Web`.
fn short_type_name<C>() -> &'static str {
    let full = std::any::type_name::<C>();
    full.rsplit("::").next().unwrap_or(full)
}
