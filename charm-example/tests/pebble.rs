//! Pebble outages: where the reconcile waits without deferring, where a retry absorbs
//! the outage, and where it defers and finishes on a later event.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use charm_example::workload::{CONTAINER, SERVICE};
use common::*;
use ops::status::Status;
use pebble_client::testing::{Fault, FaultRule};

#[test]
fn pebble_unreachable_at_the_start_waits_and_does_not_defer() {
    let ctx = ctx();
    let state = unit(true, web().can_connect(false));
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::waiting("waiting for Pebble in the web container")
    );
    assert!(
        out.state.deferred.is_empty(),
        "pebble-ready will run the reconcile"
    );
}

#[test]
fn an_outage_within_the_retry_budget_is_absorbed_without_a_defer() {
    let ctx = ctx();
    // Two dropped requests on the layer call: the client retries and the third attempt
    // succeeds.
    let flaky = web().fault(FaultRule::new(Fault::Reset).path("/v1/layers").times(2));
    let out = ctx
        .run(ctx.on.pebble_ready(CONTAINER), &unit(true, flaky))
        .unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert!(out.state.deferred.is_empty());
    assert!(
        out.state.containers[CONTAINER]
            .plan
            .services
            .contains_key(SERVICE)
    );
    let retries = out
        .log_messages()
        .into_iter()
        .filter(|m| m.contains("retrying"))
        .count();
    assert_eq!(retries, 2, "{:#?}", out.log_messages());
}

#[test]
fn an_outage_beyond_the_budget_part_way_defers_and_finishes_on_a_later_event() {
    let ctx = ctx();
    // Pebble answers at first (the files are written), then the layer call keeps failing.
    let down = web().fault(FaultRule::new(Fault::Reset).path("/v1/layers").times(100));
    let state = unit(true, down);
    let failed = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        failed.state.juju.unit_status,
        Status::waiting("waiting for Pebble in the web container")
    );
    assert_eq!(
        failed.state.deferred_names(),
        [("reconcile".to_owned(), "config-changed".to_owned())]
    );
    assert!(failed.state.containers[CONTAINER].plan.services.is_empty());
    assert!(
        failed
            .log_messages()
            .iter()
            .any(|m| m.contains("deferring config-changed")),
        "{:#?}",
        failed.log_messages()
    );

    // Pebble is back (faults last one run); the next event, whatever it is, re-runs the
    // deferred reconcile first.
    let later = ctx.run(ctx.on.update_status(), &next(&failed)).unwrap();
    assert!(later.handler_calls[0].reemitted);
    assert_eq!(later.handler_calls[0].handler, "reconcile");
    assert!(later.state.deferred.is_empty());
    assert_eq!(
        later.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert!(
        later.state.containers[CONTAINER]
            .plan
            .services
            .contains_key(SERVICE)
    );
}

#[test]
fn pebble_refusing_a_request_fails_the_hook_so_juju_retries_it() {
    let ctx = ctx();
    let refusing = web().fault(FaultRule::new(Fault::error(400, "bad layer")).path("/v1/layers"));
    let state = unit(true, refusing);
    let err = ctx.run(ctx.on.config_changed(), &state).unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("bad layer"), "{text}");
}
