//! Charm libraries: a library crate outside ops-rs (`tests/libs/handshake`) defines a component
//! with stored state and two custom events; the handshake test charm (`tests/charms/handshake`)
//! holds two instances of it. Through the testing API and through the compiled charm run as
//! Juju runs it (real SQLite store, hook tools as processes): emission order, two instances
//! side by side, deferral and re-emission of a custom event with its payload across
//! dispatches, rollback of component state on a failed hook, the testing API's and the
//! Harness's custom-event entry points, and a removed library's events in a stored queue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "../charms/handshake/charm.rs"]
#[allow(dead_code)]
mod charm;

use std::path::{Path, PathBuf};

use charm::{Journal, Pair};
use handshake_lib::v0::{Greeted, Seen};
use juju_sim::hook_env::Hook;
use ops::status::Status;
use ops::testing::juju::{JujuState, RelationState};
use ops::testing::{Context, Harness, State};
use support::reliability::Unit;

const LEFT_ID: u64 = 1;
const RIGHT_ID: u64 = 2;

fn charm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charms/handshake")
}

fn ctx() -> Context<Pair> {
    Context::from_charm_dir(charm_dir()).unwrap()
}

fn left(greeting: &str) -> RelationState {
    RelationState::new(LEFT_ID, "left", "alpha")
        .remote_unit("alpha/0", [("x", "1")])
        .remote_app_data([("greeting", greeting)])
}

fn right(greeting: &str) -> RelationState {
    RelationState::new(RIGHT_ID, "right", "beta")
        .remote_unit("beta/0", [("x", "1")])
        .remote_app_data([("greeting", greeting)])
}

fn journal(state: &State) -> Vec<String> {
    state.stored_as::<Journal>().unwrap().lines
}

fn greeted(relation_id: u64, app: &str, greeting: &str, previous: Option<&str>) -> Greeted {
    Greeted {
        relation_id: relation_id as u32,
        app: app.into(),
        greeting: greeting.into(),
        previous: previous.map(Into::into),
    }
}

// ----- through the testing API -----

#[test]
fn emitted_events_run_right_after_the_emitting_handler_in_registration_order() {
    let ctx = ctx();
    let rel = left("hi");
    let state = State::new().leader(true).relation(rel.clone());
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();

    let handlers: Vec<&str> = out
        .handler_calls
        .iter()
        .map(|c| c.handler.as_str())
        .collect();
    assert_eq!(
        handlers,
        [
            "first",
            "left/on_changed",
            // left/greeted, emitted by left/on_changed: its observers in registration order,
            // before the next handler of the relation event.
            "on_left_greeted",
            "any_greeting",
            "last",
            "left/on_collect",
            "right/on_collect",
        ]
    );
    assert_eq!(
        journal(&out.state),
        ["first", "left greeted: hi", "any: left/greeted", "last"]
    );
    let emitted: Vec<Greeted> = out
        .emitted_events
        .iter()
        .map(|e| e.payload_as().unwrap())
        .collect();
    assert_eq!(emitted, [greeted(LEFT_ID, "alpha", "hi", None)]);
    assert_eq!(out.emitted_events[0].emitter, "left");

    // The component's state is in the output, under its key; the other instance saved none.
    let seen: Seen = out.state.component_stored_as("left").unwrap();
    assert_eq!(seen.greetings.get(&(LEFT_ID as u32)).unwrap(), "hi");
    assert_eq!(seen.changes, 1);
    assert!(!out.state.components.contains_key("right"));
    // Each instance added a status candidate; the one still waiting wins.
    assert_eq!(
        out.state.juju.unit_status,
        Status::waiting("waiting for a greeting on right")
    );
}

#[test]
fn two_instances_keep_their_own_state_and_observe_their_own_endpoint() {
    let ctx = ctx();
    let (l, r) = (left("hi"), right("hey"));
    let state = State::new()
        .leader(true)
        .relation(l.clone())
        .relation(r.clone())
        .component_stored("left", &Seen::default())
        .unwrap();
    let out = ctx.run(ctx.on.relation_changed(&r), &state).unwrap();
    assert_eq!(
        journal(&out.state),
        ["right greeted: hey", "any: right/greeted"]
    );
    let right_seen: Seen = out.state.component_stored_as("right").unwrap();
    let left_seen: Seen = out.state.component_stored_as("left").unwrap();
    assert_eq!(right_seen.changes, 1);
    assert_eq!(left_seen, Seen::default());

    // Then the left: each instance counts only its own.
    let out = ctx
        .run(ctx.on.relation_changed(&l), &out.state.clone())
        .unwrap();
    let right_seen: Seen = out.state.component_stored_as("right").unwrap();
    let left_seen: Seen = out.state.component_stored_as("left").unwrap();
    assert_eq!((left_seen.changes, right_seen.changes), (1, 1));
}

#[test]
fn the_testing_api_emits_a_custom_event_directly() {
    let ctx = ctx();
    let event = greeted(RIGHT_ID, "beta", "straight in", None);
    let out = ctx
        .run(ctx.on.custom("right", &event).unwrap(), &State::new())
        .unwrap();
    // Only the event's observers ran: no component handler, no Juju event.
    assert_eq!(
        journal(&out.state),
        ["right greeted: straight in", "any: right/greeted"]
    );
    assert_eq!(out.emitted_events.len(), 1);
    assert_eq!(
        out.emitted_events[0].payload_as::<Greeted>().unwrap(),
        event
    );
}

#[test]
fn a_custom_event_deferred_in_the_testing_api_is_reemitted_with_its_payload() {
    let ctx = ctx();
    let rel = left("later");
    let state = State::new().leader(true).relation(rel.clone());
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(
        out.state.deferred_names(),
        [("on_left_greeted".to_owned(), "left/greeted".to_owned())]
    );

    let accepting = out.state.clone().config("accept-later", true);
    let out = ctx.run(ctx.on.config_changed(), &accepting).unwrap();
    assert!(out.state.deferred.is_empty());
    let lines = journal(&out.state);
    assert_eq!(
        lines[lines.len() - 2..],
        ["left greeted: later", "any: config-changed"]
    );
    assert!(out.handler_calls[0].reemitted);
}

#[test]
fn a_removed_librarys_events_in_a_stored_queue_are_dropped_with_a_warning() {
    let ctx = ctx();
    // A queue saved by an older revision whose `gone` library emitted `gone/greeted`.
    let old = ctx
        .on
        .custom("gone", &greeted(9, "x", "old", None))
        .unwrap();
    // (`deferred` refuses a handler this charm does not have: that is the point here.)
    assert!(ctx.deferred(&old, "on_gone_greeted").is_err());
    let entry = ctx
        .deferred_by_older_revision(&old, "on_gone_greeted")
        .unwrap();
    let mut state = State::new();
    state.deferred.push(entry);
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert!(out.state.deferred.is_empty());
    assert!(
        out.juju_log
            .iter()
            .any(|l| l.level == "WARNING" && l.message.contains("gone/greeted")),
        "{:?}",
        out.juju_log
    );
}

#[test]
fn the_harness_emits_custom_events_and_shows_component_state() {
    let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(
        &std::fs::read_to_string(charm_dir().join("charmcraft.yaml")).unwrap(),
    )
    .unwrap();
    let mut h = Harness::<Pair>::new(meta);
    h.set_leader(true).unwrap();
    h.begin();
    let id = h.add_relation("left", "alpha").unwrap();
    h.add_relation_unit(id, "alpha/0").unwrap();
    h.update_relation_data(id, "alpha", [("greeting", "hi")])
        .unwrap();
    let seen: Seen = h.component_stored("left").unwrap();
    assert_eq!(seen.greetings.get(&(id as u32)).unwrap(), "hi");

    h.emit_custom("right", &greeted(7, "beta", "direct", None))
        .unwrap();
    let kinds: Vec<String> = h
        .emitted_events()
        .iter()
        .map(|e| e.kind().to_string())
        .collect();
    assert_eq!(kinds, ["left/greeted", "right/greeted"]);
    let journal: Journal = h.stored().unwrap();
    assert!(journal.lines.contains(&"right greeted: direct".to_owned()));
}

// ----- the compiled charm, as Juju runs it -----

fn unit(state: &JujuState) -> Unit {
    Unit::of(
        charm_dir(),
        PathBuf::from(env!("CARGO_BIN_EXE_handshake-charm")),
        state,
    )
}

fn left_changed() -> Hook {
    Hook::relation(
        "left",
        LEFT_ID,
        "relation-changed",
        "alpha",
        Some("alpha/0"),
    )
}

/// Sets the remote application's greeting on the left relation in the unit's model.
fn set_remote_greeting(unit: &Unit, greeting: &str) {
    let mut model = unit.model();
    let rel = model
        .relations
        .iter_mut()
        .find(|r| r.id == LEFT_ID)
        .unwrap();
    rel.remote_app_data
        .insert("greeting".into(), greeting.into());
    unit.work.save_state(&model).unwrap();
}

fn stored_journal(unit: &Unit) -> Vec<String> {
    let data = unit.stored().unwrap();
    let json = data.charm_state.unwrap_or_else(|| "{}".into());
    serde_json::from_str::<Journal>(&json).unwrap().lines
}

fn stored_seen(unit: &Unit) -> Seen {
    let data = unit.stored().unwrap();
    data.components
        .get("left")
        .map(|json| serde_json::from_str(json).unwrap())
        .unwrap_or_default()
}

#[test]
fn a_deferred_custom_event_is_reemitted_with_its_payload_by_the_next_dispatch() {
    let state = JujuState::new("handshake/0")
        .leader(true)
        .relation(left("later"));
    let mut unit = unit(&state);
    unit.run_ok(&left_changed());

    let data = unit.stored().unwrap();
    assert_eq!(data.queue.len(), 1, "{:?}", data.queue);
    let entry = &data.queue[0];
    assert_eq!(entry.handler, "on_left_greeted");
    let payload: serde_json::Value = serde_json::from_str(&entry.data).unwrap();
    assert_eq!(
        payload["payload"]["greeting"], "later",
        "the payload is stored with the event: {payload}"
    );

    // The next hook re-emits it first, with the payload, to the handler that deferred it.
    let mut model = unit.model();
    model
        .config
        .values
        .insert("accept-later".into(), true.into());
    unit.work.save_state(&model).unwrap();
    unit.run_ok(&Hook::plain("config-changed"));
    assert!(unit.stored().unwrap().queue.is_empty());
    let lines = stored_journal(&unit);
    assert_eq!(
        lines,
        [
            "first",
            "left greeted: later (deferred)",
            "any: left/greeted",
            "last",
            "left greeted: later",
            "any: config-changed",
        ]
    );
}

#[test]
fn a_failed_hook_rolls_back_the_components_state_with_the_charms() {
    let state = JujuState::new("handshake/0")
        .leader(true)
        .relation(left("hi"));
    let mut unit = unit(&state);
    unit.run_ok(&left_changed());
    let before = unit.stored().unwrap();
    assert_eq!(stored_seen(&unit).changes, 1);

    // The component records "fail" and emits; the charm's handler of the event fails the hook.
    set_remote_greeting(&unit, "fail");
    let out = unit.run(&left_changed());
    assert!(!out.status.success());
    let logs = unit.model().logs;
    assert!(
        logs.iter()
            .any(|l| l.level == "ERROR" && l.message.contains("refuses a greeting")),
        "{logs:?}"
    );
    assert_eq!(
        unit.stored().unwrap(),
        before,
        "nothing of the failed hook stays"
    );

    // The next greeting's `previous` is the last one committed.
    set_remote_greeting(&unit, "bye");
    unit.run_ok(&left_changed());
    let seen = stored_seen(&unit);
    assert_eq!(seen.greetings.get(&(LEFT_ID as u32)).unwrap(), "bye");
    assert_eq!(seen.changes, 2);
    assert!(stored_journal(&unit).contains(&"left greeted: bye".to_owned()));
}

#[test]
fn a_broken_relation_emits_the_not_deferrable_parted_event() {
    let state = JujuState::new("handshake/0")
        .leader(true)
        .relation(left("hi"));
    let mut unit = unit(&state);
    unit.run_ok(&left_changed());
    let mut model = unit.model();
    for r in &mut model.relations {
        r.broken = true;
    }
    unit.work.save_state(&model).unwrap();
    unit.run_ok(&Hook::relation(
        "left",
        LEFT_ID,
        "relation-broken",
        "alpha",
        None,
    ));
    assert!(stored_journal(&unit).contains(&"left parted: hi".to_owned()));
    assert!(stored_seen(&unit).greetings.is_empty());
}
