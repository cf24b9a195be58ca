//! Hook-tool calls per event of a charm using the requirer, pinned: the figures in the
//! README's table come from here. `juju-log` calls are counted apart (the framework's own
//! debug lines are among them).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use ops::testing::State;
use ops_interface_ingress::v2::IngressConfig;
use support::*;

const FQDN: &str = "web-0.web-endpoints.test-model.svc.cluster.local";

/// A relation to traefik that has published the URL, and the leader's state after its first
/// relation-changed (bags written, URL known).
fn steady() -> (ops::testing::juju::RelationState, State) {
    let ctx = web(IngressConfig::new(8080).host(FQDN));
    let rel =
        to_traefik().remote_app_data([("ingress", r#"{"url": "http://10.0.0.9/test-model-web"}"#)]);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &web_state(&rel))
        .unwrap();
    (rel, out.state)
}

#[test]
fn first_relation_changed_on_the_leader() {
    let ctx = web(IngressConfig::new(8080).host(FQDN));
    let rel =
        to_traefik().remote_app_data([("ingress", r#"{"url": "http://10.0.0.9/test-model-web"}"#)]);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &web_state(&rel))
        .unwrap();
    assert_eq!(
        out.tools_called_lines(),
        [
            "network-get --format=json -r 1 ingress",
            "relation-get --format=json -r ingress:1 - web/0",
            "relation-set -r ingress:1 --file -",
            "is-leader --format=json",
            "opened-ports --format=json",
            "relation-get --format=json -r ingress:1 --app - web",
            "relation-set -r ingress:1 --app --file -",
            "relation-get --format=json -r ingress:1 --app - traefik",
        ]
    );
    // The framework's "emitting" lines for the hook and for `ready`, and the charm's own line:
    // the library logs nothing when all is well.
    assert_eq!(out.tool_count("juju-log"), 3, "{:?}", out.juju_log);
}

#[test]
fn steady_relation_changed_writes_nothing() {
    let ctx = web(IngressConfig::new(8080).host(FQDN));
    let (rel, state) = steady();
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(
        out.tools_called_lines(),
        [
            "network-get --format=json -r 1 ingress",
            "relation-get --format=json -r ingress:1 - web/0",
            "is-leader --format=json",
            "opened-ports --format=json",
            "relation-get --format=json -r ingress:1 --app - web",
            "relation-get --format=json -r ingress:1 --app - traefik",
        ]
    );
    assert_eq!(out.tool_count("juju-log"), 1, "{:?}", out.juju_log);
}

#[test]
fn a_non_leader_asks_less() {
    let ctx = web(IngressConfig::new(8080).host(FQDN));
    let (rel, state) = steady();
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &state.leader(false))
        .unwrap();
    assert_eq!(
        out.tools_called_lines(),
        [
            "network-get --format=json -r 1 ingress",
            "relation-get --format=json -r ingress:1 - web/0",
            "is-leader --format=json",
            "relation-get --format=json -r ingress:1 --app - traefik",
        ]
    );
}

#[test]
fn leader_elected_and_upgrade_list_the_relations_first() {
    let ctx = web(IngressConfig::new(8080).host(FQDN));
    let (_, state) = steady();
    for event in [ctx.on.leader_elected(), ctx.on.upgrade_charm()] {
        let out = ctx.run(event, &state).unwrap();
        assert_eq!(
            out.tools_called_lines(),
            [
                "relation-ids ingress --format=json",
                "network-get --format=json -r 1 ingress",
                "relation-get --format=json -r ingress:1 - web/0",
                "is-leader --format=json",
                "opened-ports --format=json",
                "relation-get --format=json -r ingress:1 --app - web",
            ]
        );
    }
}

#[test]
fn broken_and_unrelated_events_call_nothing() {
    let ctx = web(IngressConfig::new(8080).host(FQDN));
    let (rel, state) = steady();
    let broken = ctx.run(ctx.on.relation_broken(&rel), &state).unwrap();
    assert!(
        broken.tools_called_lines().is_empty(),
        "{:?}",
        broken.tools_called_lines()
    );
    let status = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert!(
        status.tools_called_lines().is_empty(),
        "{:?}",
        status.tools_called_lines()
    );
    // The framework's own "emitting update-status" debug line.
    assert_eq!(status.tool_count("juju-log"), 1, "{:?}", status.juju_log);
}
