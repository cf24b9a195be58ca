//! The Harness tested on itself: initial hooks in ops' order, model changes and their events,
//! deferral that re-runs on the next event, rollback on failure, actions, secrets, notices.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ops::event::{Event, EventKind};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::SecretOwnership;
use ops::testing::{Harness, RunError, State};
use serde_json::json;

const META: &str = r#"
name: app
containers:
  web:
    resource: img
resources:
  img:
    type: oci-image
requires:
  db:
    interface: pg
peers:
  peers:
    interface: p
config:
  options:
    mode:
      type: string
      default: normal
actions:
  hello:
    params:
      name:
        type: string
"#;

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Log {
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Default)]
struct App;

impl Charm for App {
    type Stored = Log;
    fn observe(on: &mut Observers<Self>) {
        let kinds = vec![
            EventKind::Install,
            EventKind::Start,
            EventKind::ConfigChanged,
            EventKind::LeaderElected,
            EventKind::LeaderSettingsChanged,
            EventKind::relation_created("db"),
            EventKind::relation_joined("db"),
            EventKind::relation_changed("db"),
            EventKind::relation_departed("db"),
            EventKind::relation_broken("db"),
            EventKind::relation_created("peers"),
            EventKind::pebble_ready("web"),
            EventKind::pebble_custom_notice("web"),
            EventKind::SecretChanged,
            EventKind::SecretRotate,
            EventKind::SecretExpired,
            EventKind::SecretRemove,
        ];
        on.many("log", kinds, |_c, ctx, ev: &mut Event| {
            let mode = ctx.model().config_value("mode")?;
            let tag = if ctx.is_reemitted() { "re:" } else { "" };
            ctx.stored_mut().events.push(format!("{tag}{}", ev.kind()));
            match mode.as_ref().and_then(|m| m.as_str()) {
                Some("defer") if ev.kind() == EventKind::ConfigChanged => ev.defer()?,
                Some("fail") if ev.kind() != EventKind::ConfigChanged => {
                    return Err(HandlerError::msg("failing on purpose"));
                }
                _ => {}
            }
            Ok(())
        });
        on.action("hello", "on_hello", |_c, ctx, ev| {
            ctx.model().action_log("hi")?;
            ctx.model().action_set_results(&json!({"greeting": format!("hello {}", ev.params["name"].as_str().unwrap_or("?"))}))?;
            Ok(())
        });
        on.collect_unit_status("collect", |_c, ctx, _ev| {
            let n = ctx.stored().events.len();
            ctx.add_unit_status(Status::active(format!("{n} events")))?;
            Ok(())
        });
    }
}

fn harness() -> Harness<App> {
    Harness::new(CharmMeta::from_charmcraft_yaml(META).unwrap())
}

fn events(h: &Harness<App>) -> Vec<String> {
    h.stored::<Log>().unwrap().events
}

#[test]
fn initial_hooks_in_ops_order() {
    let mut h = harness().initial_state(
        State::new().leader(true).relation(
            ops::testing::juju::RelationState::new(7, "db", "pg")
                .remote_app_data([("x", "1")])
                .remote_unit("pg/0", [("y", "2")]),
        ),
    );
    h.begin_with_initial_hooks().unwrap();
    assert_eq!(
        events(&h),
        [
            "install",
            "db-relation-created",
            "peers-relation-created",
            "leader-elected",
            "config-changed",
            "start",
            "web-pebble-ready",
            "db-relation-changed",
            "db-relation-joined",
            "db-relation-changed",
        ]
    );
    assert!(h.container("web").unwrap().can_connect);
    assert_eq!(h.unit_status(), &Status::active("10 events"));
}

#[test]
fn steps_before_begin_only_change_the_state() {
    let mut h = harness();
    h.set_leader(true).unwrap();
    let id = h.add_relation("db", "pg").unwrap();
    h.add_relation_unit(id, "pg/0").unwrap();
    assert!(events(&h).is_empty());
    h.begin();
    h.update_relation_data(id, "pg/0", [("k", "v")]).unwrap();
    assert_eq!(events(&h), ["db-relation-changed"]);
    assert_eq!(h.relation_data(id, "pg/0").unwrap()["k"], "v");
}

#[test]
fn relation_lifecycle_and_data() {
    let mut h = harness();
    h.begin();
    let id = h.add_relation("db", "pg").unwrap();
    h.add_relation_unit(id, "pg/0").unwrap();
    h.update_relation_data(id, "pg", [("db", "main")]).unwrap();
    h.update_relation_data(id, "app/0", [("mine", "1")])
        .unwrap(); // local: no event
    h.remove_relation_unit(id, "pg/0").unwrap();
    h.remove_relation(id).unwrap();
    assert_eq!(
        events(&h),
        [
            "db-relation-created",
            "db-relation-joined",
            "db-relation-changed",
            "db-relation-changed",
            "db-relation-departed",
            "db-relation-broken",
        ]
    );
    assert!(h.state().relation_by_id(id).is_none());
}

#[test]
fn deferred_events_rerun_on_the_next_event() {
    let mut h = harness();
    h.begin();
    h.update_config([("mode", json!("defer"))], &[]).unwrap();
    assert_eq!(h.state().deferred.len(), 1);
    h.update_config([], &["mode"]).unwrap();
    // The deferred config-changed ran first (and succeeded), then the new one.
    assert_eq!(
        events(&h),
        ["config-changed", "re:config-changed", "config-changed"]
    );
    assert!(h.state().deferred.is_empty());
}

#[test]
fn a_failed_hook_leaves_the_state_as_before() {
    let mut h = harness();
    h.begin();
    h.update_config([("mode", json!("fail"))], &[]).unwrap();
    let before = h.state().clone();
    let err = h.add_relation("db", "pg").unwrap_err();
    assert!(matches!(err, RunError::Dispatch { .. }), "{err}");
    assert!(err.to_string().contains("failing on purpose"));
    assert_eq!(h.state(), &before);
    assert!(h.state().juju.relations.iter().all(|r| r.endpoint != "db"));
}

#[test]
fn actions_status_and_leadership() {
    let mut h = harness();
    let out = h.run_action("hello", json!({"name": "bob"})).unwrap();
    assert_eq!(out.results["greeting"], "hello bob");
    assert_eq!(out.logs, ["hi"]);
    h.begin();
    h.set_leader(true).unwrap();
    h.set_leader(true).unwrap(); // already leader: no event
    assert_eq!(events(&h), ["leader-elected"]);
    h.evaluate_status().unwrap();
    assert_eq!(h.unit_status(), &Status::active("1 events"));
}

#[test]
fn secrets() {
    let mut h = harness();
    h.begin();
    let theirs = h.add_secret(SecretOwnership::Consumer, [("pw", "a")]);
    assert!(h.set_secret_content(&theirs, [("pw", "b")]).is_err()); // not granted yet
    h.grant_secret(&theirs, None).unwrap();
    h.set_secret_content(&theirs, [("pw", "b")]).unwrap();
    let mine = h.add_secret(SecretOwnership::Application, [("k", "v")]);
    h.set_secret_content(&mine, [("k", "w")]).unwrap(); // owner: no event
    h.set_leader(true).unwrap();
    h.trigger_secret_rotation(&mine).unwrap();
    h.trigger_secret_expiration(&mine, 1).unwrap();
    h.trigger_secret_removal(&mine, 1).unwrap();
    assert_eq!(
        events(&h),
        [
            "secret-changed",
            "leader-elected",
            "secret-rotate",
            "secret-expired",
            "secret-remove"
        ]
    );
    assert_eq!(h.state().secret_by_id(&theirs).unwrap().revisions.len(), 2);
}

#[test]
fn pebble_notify_records_and_emits() {
    let mut h = harness();
    h.begin();
    h.container_pebble_ready("web").unwrap();
    let id = h
        .pebble_notify("web", "example.com/ready", [("a", "1")])
        .unwrap();
    assert!(!id.is_empty());
    let again = h
        .pebble_notify("web", "example.com/ready", [("a", "2")])
        .unwrap();
    assert_eq!(id, again);
    let n = &h.container("web").unwrap().notices[0];
    assert_eq!(n.occurrences, 2);
    assert_eq!(n.data["a"], "2");
    assert_eq!(
        events(&h),
        [
            "web-pebble-ready",
            "web-pebble-custom-notice",
            "web-pebble-custom-notice"
        ]
    );
}
