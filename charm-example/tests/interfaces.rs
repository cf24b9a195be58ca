//! The interface libraries in the example: ingress (v2) asks Traefik for a route to the
//! configured port and records the URL Traefik gives; prometheus_scrape (v0) tells Prometheus
//! to scrape `/metrics` on that port. The remote data is what the Python libraries on the
//! other side write (Traefik's `ingress` key holds JSON with the URL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use charm_example::state::Stored;
use common::*;
use ops::testing::juju::{Network, RelationState};
use ops::testing::{Output, State};

const INGRESS_ID: u64 = 3;
const METRICS_ID: u64 = 4;
const URL: &str = "http://traefik.example.com/test-model-webkv";

fn ingress() -> RelationState {
    RelationState::new(INGRESS_ID, "ingress", "traefik")
        .interface("ingress")
        .remote_unit("traefik/0", [("x", "y")])
}

fn prometheus() -> RelationState {
    RelationState::new(METRICS_ID, "metrics-endpoint", "prometheus")
        .interface("prometheus_scrape")
        .remote_unit("prometheus/0", [("x", "y")])
}

fn with_networks(mut state: State) -> State {
    state.juju = state
        .juju
        .network("ingress", Network::with_address(ADDRESS))
        .network("metrics-endpoint", Network::with_address(ADDRESS));
    state
}

fn app_bag(out: &Output, id: u64) -> std::collections::BTreeMap<String, String> {
    out.state.relation_by_id(id).unwrap().local_app_data.clone()
}

#[test]
fn ingress_asks_for_the_configured_port_and_records_the_url_traefik_gives() {
    let ctx = ctx();
    let state = with_networks(active_leader(unit(true, web()))).relation(ingress());

    // Joining: the library writes the request (every value JSON-encoded, as Python does).
    let joined = ctx
        .run(ctx.on.relation_changed(&ingress()), &state)
        .unwrap();
    let bag = app_bag(&joined, INGRESS_ID);
    assert_eq!(bag["name"], "\"webkv\"");
    assert_eq!(bag["port"], "8080");
    assert_eq!(bag["model"], "\"test-model\"");
    assert!(joined.emitted_events.is_empty(), "no URL yet");

    // Traefik answers with the URL: `ingress/ready`, recorded by the charm.
    let mut answered = next(&joined);
    let rel = answered
        .juju
        .relations
        .iter_mut()
        .find(|r| r.id == INGRESS_ID)
        .unwrap();
    rel.remote_app_data
        .insert("ingress".into(), format!("{{\"url\": \"{URL}\"}}"));
    let ready = ctx
        .run(ctx.on.relation_changed(&ingress()), &answered)
        .unwrap();
    let kinds: Vec<String> = ready
        .emitted_events
        .iter()
        .map(|e| e.kind().to_string())
        .collect();
    assert_eq!(kinds, ["ingress/ready"]);
    let stored: Stored = ready.state.stored_as().unwrap();
    assert_eq!(stored.ingress_url.as_deref(), Some(URL));

    // A new port reaches the request on config-changed.
    let moved = next(&ready).config("port", 9090);
    let out = ctx.run(ctx.on.config_changed(), &moved).unwrap();
    assert_eq!(app_bag(&out, INGRESS_ID)["port"], "9090");
}

#[test]
fn prometheus_is_told_to_scrape_metrics_on_the_configured_port() {
    let ctx = ctx();
    let state = with_networks(active_leader(unit(true, web()))).relation(prometheus());
    let out = ctx
        .run(
            ctx.on.relation_joined(&prometheus(), "prometheus/0"),
            &state,
        )
        .unwrap();
    let bag = app_bag(&out, METRICS_ID);
    let jobs: serde_json::Value = serde_json::from_str(&bag["scrape_jobs"]).unwrap();
    assert_eq!(jobs[0]["metrics_path"], "/metrics");
    assert_eq!(jobs[0]["static_configs"][0]["targets"][0], "*:8080");
    let metadata: serde_json::Value = serde_json::from_str(&bag["scrape_metadata"]).unwrap();
    assert_eq!(metadata["application"], "webkv");
    assert_eq!(metadata["charm_name"], "webkv");

    // A new port: the job follows on config-changed.
    let moved = next(&out).config("port", 9090);
    let out = ctx.run(ctx.on.config_changed(), &moved).unwrap();
    let jobs: serde_json::Value =
        serde_json::from_str(&app_bag(&out, METRICS_ID)["scrape_jobs"]).unwrap();
    assert_eq!(jobs[0]["static_configs"][0]["targets"][0], "*:9090");
}
