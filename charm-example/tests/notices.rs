//! The ready notice: other keys ignored, re-delivery harmless, stale notices not mistaken
//! for the current start.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use charm_example::workload::{CONTAINER, READY_NOTICE};
use common::*;
use ops::status::Status;
use ops::testing::NoticeState;

fn started() -> ops::testing::State {
    let ctx = ctx();
    next(
        &ctx.run(ctx.on.pebble_ready(CONTAINER), &unit(true, web()))
            .unwrap(),
    )
}

#[test]
fn a_notice_with_another_key_is_ignored() {
    let ctx = ctx();
    let mut state = started();
    let other = NoticeState::custom("webkv.example.com/other").data([("port", "8080")]);
    state
        .containers
        .get_mut(CONTAINER)
        .unwrap()
        .notices
        .push(other);
    let out = ctx
        .run(
            ctx.on
                .pebble_custom_notice(CONTAINER, "webkv.example.com/other"),
            &state,
        )
        .unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    assert_eq!(published_url(&out.state), None);
}

#[test]
fn a_redelivered_notice_is_idempotent() {
    let ctx = ctx();
    let active = active_leader(unit(true, web()));
    let url = published_url(&active);
    // Juju re-delivers the same notice after an agent restart.
    let again = ctx
        .run(
            ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE),
            &active,
        )
        .unwrap();
    assert_eq!(
        again.state.juju.unit_status,
        Status::active("serving on :8080")
    );
    assert_eq!(published_url(&again.state), url);
    assert!(
        !ran(&again, "relation-set"),
        "nothing to change: {:#?}",
        again.tool_lines()
    );
    assert_eq!(again.state.stored, active.stored);
}

#[test]
fn a_notice_from_before_a_restart_is_not_readiness() {
    let ctx = ctx();
    let active = active_leader(unit(true, web()));
    // A config change restarts the service; the old notice is still in Pebble.
    let restarted = ctx
        .run(ctx.on.config_changed(), &active.config("greeting", "hej"))
        .unwrap();
    let state = next(&restarted);
    let stale = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        stale.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    // The restarted wrapper notifies again: now it is ready.
    let state = notify_ready(next(&stale), 8080);
    let fresh = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        fresh.state.juju.unit_status,
        Status::active("serving on :8080")
    );
}

#[test]
fn a_notice_for_another_port_is_ignored() {
    let ctx = ctx();
    let state = notify_ready(started(), 9999);
    let out = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
}

#[test]
fn a_notice_without_a_port_is_ignored() {
    let ctx = ctx();
    let mut state = started();
    let bare = NoticeState::custom(READY_NOTICE);
    state
        .containers
        .get_mut(CONTAINER)
        .unwrap()
        .notices
        .push(bare);
    let out = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        out.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
}
