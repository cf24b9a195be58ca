//! Hook-tool calls per event of a charm using the provider, pinned: the figures in the
//! README's table come from here. `juju-log` calls are counted apart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use ops::testing::State;
use ops_interface_prometheus_scrape::v0::MetricsEndpointConfig;
use support::*;

fn ctx() -> ops::testing::Context<Exporter> {
    exporter(MetricsEndpointConfig::new())
}

/// The leader after its first relation-joined: everything published.
fn steady() -> (ops::testing::juju::RelationState, State) {
    let ctx = ctx();
    let rel = to_prometheus(&[]);
    let out = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    (rel, out.state)
}

const UNIT_GET: &str = "relation-get --format=json -r metrics-endpoint:1 - exporter/0";
const APP_GET: &str = "relation-get --format=json -r metrics-endpoint:1 --app - exporter";
const NETWORK: &str = "network-get --format=json -r 1 metrics-endpoint";
const IDS: &str = "relation-ids metrics-endpoint --format=json";

#[test]
fn first_relation_joined_on_the_leader() {
    let ctx = ctx();
    let rel = to_prometheus(&[]);
    let out = ctx
        .run(
            ctx.on.relation_joined(&rel, "prometheus/0"),
            &state(true, "10.1.2.3", &rel),
        )
        .unwrap();
    assert_eq!(
        out.tools_called_lines(),
        [
            IDS,
            NETWORK,
            UNIT_GET,
            "relation-set -r metrics-endpoint:1 --file -",
            "is-leader --format=json",
            APP_GET,
            "relation-set -r metrics-endpoint:1 --app --file -",
        ]
    );
    assert_eq!(out.tool_count("juju-log"), 1, "{:?}", out.juju_log);
}

#[test]
fn steady_events_write_nothing() {
    let ctx = ctx();
    let (rel, state) = steady();
    let joined = ctx
        .run(ctx.on.relation_joined(&rel, "prometheus/0"), &state)
        .unwrap();
    assert_eq!(
        joined.tools_called_lines(),
        [IDS, NETWORK, UNIT_GET, "is-leader --format=json", APP_GET]
    );
    let changed = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(
        changed.tools_called_lines(),
        [
            IDS,
            NETWORK,
            UNIT_GET,
            "is-leader --format=json",
            "relation-get --format=json -r metrics-endpoint:1 --app - prometheus",
        ]
    );
    let status = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(status.tools_called_lines(), [IDS, NETWORK, UNIT_GET]);
    for out in [&joined, &changed, &status] {
        assert_eq!(out.tool_count("juju-log"), 1, "{:?}", out.juju_log);
    }
}

#[test]
fn a_non_leader_relation_changed_asks_less() {
    let ctx = ctx();
    let (rel, state) = steady();
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &state.leader(false))
        .unwrap();
    assert_eq!(
        out.tools_called_lines(),
        [IDS, NETWORK, UNIT_GET, "is-leader --format=json"]
    );
}

#[test]
fn unrelated_events_call_nothing_without_a_relation() {
    let ctx = ctx();
    let out = ctx.run(ctx.on.update_status(), &State::new()).unwrap();
    assert_eq!(out.tools_called_lines(), [IDS]);
    let out = ctx.run(ctx.on.start(), &State::new()).unwrap();
    assert!(out.tools_called_lines().is_empty());
}
