//! A whole dispatch under the collector: the span tree ops builds, secrets kept out of it, and
//! spans buffered while no collector is known, then delivered on a later hook.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use ops::context::JujuContext;
use ops::dispatch::{DispatchInput, StoreSpec, dispatch};
use ops::hookcmds::{RecordingRunner, ToolCall};
use ops::log::CharmLayer;
use ops::model::{SecretContent, SecretMetadata, SecretOwner};
use ops::prelude::*;
use ops::store::MemoryStore;
use ops_tracing::encode::Origin;
use ops_tracing::{Buffer, Destination, Session, TraceParent, set_destination};
use prost::Message as _;

const SECRET: &str = "hunter2-very-secret";

struct Web;

impl Charm for Web {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("on_config", |_c, ctx, _ev| {
            let content = SecretContent::from_pairs([("password", SECRET)]);
            ctx.model()
                .add_secret(&content, SecretOwner::Unit, &SecretMetadata::default())?;
            ctx.model()
                .relation("db", 1)
                .local_unit_data()
                .set("password", SECRET)?;
            tracing::info_span!("charm work", step = "render").in_scope(|| {
                tracing::warn!("something to look at");
            });
            Ok(())
        });
        on.collect_unit_status("on_status", |_c, ctx, _ev| {
            ctx.add_unit_status(Status::active("ready"))?;
            Ok(())
        });
    }
}

fn runner() -> RecordingRunner {
    RecordingRunner::new(|c: &ToolCall| {
        Ok(match c.tool.as_str() {
            "is-leader" => b"true".to_vec(),
            "secret-add" => b"secret:d0qbv8r9fp2s0v7c8gmg\n".to_vec(),
            "relation-get" => b"{}".to_vec(),
            _ => Vec::new(),
        })
    })
}

fn context(hook: &str, charm_dir: &std::path::Path) -> JujuContext {
    let dir = charm_dir.to_str().unwrap().to_owned();
    JujuContext::from_vars([
        ("JUJU_DISPATCH_PATH", format!("hooks/{hook}").as_str()),
        ("JUJU_HOOK_NAME", hook),
        ("JUJU_UNIT_NAME", "web/0"),
        ("JUJU_MODEL_NAME", "m"),
        ("JUJU_MODEL_UUID", "u"),
        ("JUJU_VERSION", "3.6.4"),
        ("JUJU_CHARM_DIR", dir.as_str()),
    ])
    .unwrap()
}

fn session(dir: &std::path::Path) -> Session {
    let origin = Origin {
        unit: "web/0".into(),
        model: "m".into(),
        model_uuid: "u".into(),
        charm_type: "Web".into(),
    };
    Session::new(
        dir,
        origin,
        TraceParent::from_juju(
            Some("4bf92f3577b34da6a3ce929d0e0e4736"),
            Some("00f067aa0ba902b7"),
        ),
    )
}

/// Runs `hook` under `session`'s collector; returns the spans collected (without finishing).
fn run(hook: &str, dir: &std::path::Path, s: &Session) -> u8 {
    let input = DispatchInput::new(context(hook, dir), Arc::new(runner()))
        .layers(vec![CharmLayer::new(s.collector())]);
    dispatch(&mut Web, input, StoreSpec::Memory(MemoryStore::default())).exit_code()
}

fn spans_of(request: &ExportTraceServiceRequest) -> Vec<&Span> {
    request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .collect()
}

fn string_attr(span: &Span, key: &str) -> Option<String> {
    let v = span.attributes.iter().find(|a| a.key == key)?;
    Some(format!("{:?}", v.value.as_ref()?.value.as_ref()?))
}

#[test]
fn a_dispatch_is_a_tree_of_spans_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(dir.path());
    assert_eq!(run("config-changed", dir.path(), &s), 0);
    let (spans, dropped) = s.collector().take();
    assert_eq!(dropped, 0);
    let by_name = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name:?} in {:?}", names(&spans)))
    };
    let root = by_name("ops.main");
    assert_eq!(
        root.parent_span_id,
        [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
    );
    let emit = by_name("emit config-changed");
    assert_eq!(emit.parent_span_id, root.span_id);
    let handler = by_name("config-changed: on_config");
    assert_eq!(handler.parent_span_id, emit.span_id);
    assert_eq!(
        string_attr(handler, "deferred").as_deref(),
        Some("BoolValue(false)")
    );
    let secret_add = by_name("secret-add");
    assert_eq!(secret_add.parent_span_id, handler.span_id);
    let relation_set = by_name("relation-set");
    assert_eq!(relation_set.parent_span_id, handler.span_id);
    let work = by_name("charm work");
    assert_eq!(work.parent_span_id, handler.span_id);
    assert_eq!(work.events[0].name, "something to look at");
    let status = by_name("ops.collect_status");
    assert_eq!(status.parent_span_id, root.span_id);
    assert!(
        string_attr(status, "unit_status")
            .unwrap()
            .contains("active: ready"),
        "{status:?}"
    );
    assert!(
        spans.iter().all(|s| s.name != "juju-log"),
        "juju-log is not traced"
    );
    // No attribute, event or name anywhere carries the secret.
    let text = format!("{spans:?}");
    assert!(!text.contains(SECRET), "a secret reached a span");
    assert!(text.contains("password=<redacted>") || text.contains("password#file=<redacted>"));
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

/// A collector that answers 200 to `n` requests and hands back their decoded bodies.
fn receiver(
    n: usize,
) -> (
    String,
    std::thread::JoinHandle<Vec<ExportTraceServiceRequest>>,
) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/traces", l.local_addr().unwrap());
    let t = std::thread::spawn(move || {
        (0..n)
            .map(|_| {
                let (mut s, _) = l.accept().unwrap();
                let mut got = Vec::new();
                let mut chunk = [0u8; 65536];
                let body_at = loop {
                    let k = s.read(&mut chunk).unwrap();
                    got.extend_from_slice(&chunk[..k]);
                    if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&got[..body_at]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                while got.len() < body_at + len {
                    let k = s.read(&mut chunk).unwrap();
                    got.extend_from_slice(&chunk[..k]);
                }
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .unwrap();
                ExportTraceServiceRequest::decode(&got[body_at..body_at + len]).unwrap()
            })
            .collect()
    });
    (url, t)
}

#[test]
fn spans_wait_in_the_buffer_until_a_collector_is_known() {
    let dir = tempfile::tempdir().unwrap();
    // A hook with no destination: its spans are buffered.
    let s = session(dir.path());
    assert_eq!(run("install", dir.path(), &s), 0);
    let report = s.finish(false);
    assert!(report.spans > 0);
    assert_eq!((report.sent, report.destination), (0, None));
    assert_eq!(Buffer::in_dir(dir.path()).records().unwrap().len(), 1);

    // The next hook learns the destination: both hooks' spans arrive, in one request.
    let (url, got) = receiver(1);
    let s = session(dir.path());
    assert_eq!(run("config-changed", dir.path(), &s), 0);
    set_destination(Some(Destination { url, ca: None }));
    let report = s.finish(false);
    assert_eq!(report.sent, 2, "{report:?}");
    assert!(report.problems.is_empty(), "{report:?}");
    let requests = got.join().unwrap();
    let spans = spans_of(&requests[0]);
    let roots: Vec<String> = spans
        .iter()
        .filter(|s| s.name == "ops.main")
        .map(|s| string_attr(s, "juju.hook").unwrap())
        .collect();
    assert_eq!(
        roots,
        [
            r#"StringValue("install")"#,
            r#"StringValue("config-changed")"#
        ]
    );
    assert!(
        !Buffer::in_dir(dir.path()).path().exists(),
        "sent spans leave the buffer"
    );

    // The destination is remembered; a collector that is down keeps the spans buffered.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}/v1/traces", l.local_addr().unwrap());
    drop(l);
    set_destination(Some(Destination {
        url: down,
        ca: None,
    }));
    let s = session(dir.path());
    assert_eq!(run("update-status", dir.path(), &s), 0);
    let report = s.finish(false);
    assert_eq!(report.sent, 0);
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(report.problems[0].contains("stay buffered"), "{report:?}");
    assert_eq!(Buffer::in_dir(dir.path()).records().unwrap().len(), 1);
}
