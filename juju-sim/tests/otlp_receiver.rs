//! `juju-sim run --otlp-receiver` with a charm built with ops-tracing (`traced-charm`, an
//! example of ops-tracing): the spans of hooks run before the tracing relation wait in the
//! unit's buffer and arrive with the first hook that knows the receiver; later hooks send
//! their own; every request decodes as OTLP and forms one tree per hook; no secret is in it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code panics on purpose

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod support;
use support::Trace;

const SECRET_VALUE: &str = "traced-charm-secret-value-7f3a";

const SCENARIO: &str = r#"
model: {leader: true}
steps:
  - deploy
  - config: {message: hello}
  - relate:
      endpoint: charm-tracing
      app: tempo
      units: [tempo/0]
      app-data:
        receivers: '[{"protocol": {"name": "otlp_http", "type": "http"}, "url": "${otlp-receiver}"}]'
    expect:
      relation-data: {endpoint: charm-tracing, app: {receivers: '["otlp_http"]'}}
  - config: {message: traced}
"#;

/// The hooks whose `ops.main` span a received request holds, in order.
fn hooks(request: &Value) -> Vec<String> {
    request["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "ops.main")
        .map(|s| s["attributes"]["juju.hook"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs the traced charm through `scenario` under juju-sim's OTLP receiver (with `extra`
/// options); the trace, and what the receiver saved (`--otlp-out`).
fn run_traced(scenario: &str, extra: &[&str]) -> (Trace, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.yaml");
    std::fs::write(&file, scenario).unwrap();
    let saved = dir.path().join("spans.jsonl");
    let charm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops-tracing/examples/traced-charm");
    let r = Trace::run(
        Command::new(env!("CARGO_BIN_EXE_juju-sim"))
            .args(["run", "--format", "json", "--otlp-receiver"])
            .args(extra)
            .arg("--otlp-out")
            .arg(&saved)
            .arg("--charm")
            .arg(&charm)
            .arg("--dispatch")
            .arg(support::program("traced-charm"))
            .arg("--scenario")
            .arg(&file),
    );
    assert_eq!(r.code, 0, "{:?} {}", r.failures(), r.stderr);
    let text = std::fs::read_to_string(&saved).unwrap();
    (r, text)
}

/// The requests the receiver saved, one JSON object each.
fn received(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn buffered_spans_arrive_with_the_first_hook_that_knows_the_receiver() {
    let (r, text) = run_traced(SCENARIO, &[]);
    assert!(!text.contains(SECRET_VALUE), "a secret reached a span");
    let requests = received(&text);
    let per_request: Vec<Vec<String>> = requests.iter().map(hooks).collect();
    assert_eq!(
        per_request,
        [
            // Buffered while no receiver was known, sent with relation-created's own.
            vec![
                "install",
                "leader-elected",
                "config-changed",
                "start",
                "config-changed",
                "charm-tracing-relation-created",
            ],
            vec!["charm-tracing-relation-joined"],
            vec!["charm-tracing-relation-changed"],
            vec!["config-changed"],
        ]
    );

    // Each hook is one tree: every span but ops.main hangs from a span of the same request,
    // all in ops.main's trace.
    for request in &requests {
        let spans = request["spans"].as_array().unwrap();
        let ids: Vec<&str> = spans
            .iter()
            .map(|s| s["span_id"].as_str().unwrap())
            .collect();
        for s in spans {
            let parent = s["parent_span_id"].as_str().unwrap();
            if s["name"] == "ops.main" {
                assert_eq!(parent, "", "no Juju span: ops.main is the root");
            } else {
                assert!(ids.contains(&parent), "{s} has no parent here");
            }
        }
    }
    // The install hook's secret-add shows its arguments, the content file redacted.
    let install = &requests[0]["spans"];
    let secret_add = install
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "secret-add")
        .unwrap();
    let args = secret_add["attributes"]["args"].as_str().unwrap();
    assert!(args.contains("password#file=<redacted>"), "{args}");

    // The trace shows them too: a `spans` event after each hook that sent some.
    let shown = r.events.iter().filter(|e| e["event"] == "spans").count();
    assert_eq!(shown, 4);
}

const HTTPS_SCENARIO: &str = r#"
model: {leader: true}
steps:
  - deploy
  # An https:// receiver: nothing is sent until the CA relation brings the CA to trust.
  - relate:
      endpoint: charm-tracing
      app: tempo
      units: [tempo/0]
      app-data:
        receivers: '[{"protocol": {"name": "otlp_http", "type": "http"}, "url": "${otlp-receiver}"}]'
  - config: {message: waiting}
  - relate:
      endpoint: receive-ca-cert
      app: ca
      units: [ca/0]
      app-data:
        certificates: '${otlp-ca-certificates}'
  - config: {message: traced}
  # The CA goes: spans are kept again.
  - break: {endpoint: receive-ca-cert}
  - update-status
"#;

#[test]
fn over_https_spans_wait_for_the_ca_relation_then_arrive_verified() {
    let (r, text) = run_traced(HTTPS_SCENARIO, &["--otlp-tls", "--log-level", "debug"]);
    let requests = received(&text);
    let per_request: Vec<Vec<String>> = requests.iter().map(hooks).collect();
    let first = &per_request[0];
    // Everything up to the CA's relation-changed came in one request, once it was trusted.
    assert_eq!(
        first.first().map(String::as_str),
        Some("install"),
        "{per_request:?}"
    );
    assert_eq!(
        first.last().map(String::as_str),
        Some("receive-ca-cert-relation-changed"),
        "{per_request:?}"
    );
    assert!(first.iter().any(|h| h == "charm-tracing-relation-changed"));
    // Then each hook its own, until the CA relation is broken: relation-broken and
    // update-status keep theirs.
    assert_eq!(
        per_request[1..],
        [
            vec!["config-changed".to_owned()],
            vec!["receive-ca-cert-relation-departed".to_owned()]
        ],
    );
    // No hook failed for want of a CA, and nothing was sent in the clear.
    assert!(r.failures().is_empty(), "{:?}", r.failures());

    // Every hook logged its trace id as Python ops does; the sent ones match the spans'.
    let logged: Vec<String> = r
        .logs()
        .into_iter()
        .filter_map(|m| {
            m.strip_prefix("Starting root trace with id='")
                .and_then(|rest| rest.strip_suffix("'."))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(logged.len(), r.hooks().len(), "{logged:?} {:#?}", r.logs());
    for request in &requests {
        for s in request["spans"].as_array().unwrap() {
            if s["name"] == "ops.main" {
                let id = s["trace_id"].as_str().unwrap().trim_start_matches('0');
                assert!(logged.iter().any(|l| l == id), "{id} not logged");
            }
        }
    }
}
