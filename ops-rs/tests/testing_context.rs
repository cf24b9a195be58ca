//! The state-transition API tested on itself: every event constructor, every State field in
//! and out, deferral round trips (and Scenario 8.9's three defects, absent here), rollback.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ops::event::{Event, EventKind};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::{OpenedPort, RelationState, SecretOwnership, SecretState};
use ops::testing::{ContainerState, Context, NoticeState, RunError, State, TestEvent};
use serde_json::json;

const META: &str = r#"
name: rec
containers:
  web:
    resource: web-image
resources:
  web-image:
    type: oci-image
requires:
  db:
    interface: pg
peers:
  peers:
    interface: rec-peer
storage:
  data:
    type: filesystem
    location: /data
config:
  options:
    defer:
      type: boolean
      default: false
    fail:
      type: boolean
      default: false
    port:
      type: int
      default: 80
actions:
  backup:
    params:
      to:
        type: string
      level:
        type: integer
        default: 3
        minimum: 1
        maximum: 9
    required: [to]
  explode: {}
"#;

#[derive(Default, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Rec {
    #[serde(default)]
    seen: Vec<String>,
}

#[derive(Default)]
struct Recorder;

fn all_kinds() -> Vec<EventKind> {
    vec![
        EventKind::Install,
        EventKind::Start,
        EventKind::Stop,
        EventKind::Remove,
        EventKind::UpgradeCharm,
        EventKind::ConfigChanged,
        EventKind::UpdateStatus,
        EventKind::LeaderElected,
        EventKind::LeaderSettingsChanged,
        EventKind::PreSeriesUpgrade,
        EventKind::PostSeriesUpgrade,
        EventKind::CollectMetrics,
        EventKind::relation_created("db"),
        EventKind::relation_joined("db"),
        EventKind::relation_changed("db"),
        EventKind::relation_departed("db"),
        EventKind::relation_broken("db"),
        EventKind::relation_changed("peers"),
        EventKind::storage_attached("data"),
        EventKind::storage_detaching("data"),
        EventKind::SecretChanged,
        EventKind::SecretExpired,
        EventKind::SecretRotate,
        EventKind::SecretRemove,
        EventKind::pebble_ready("web"),
        EventKind::pebble_custom_notice("web"),
        EventKind::pebble_check_failed("web"),
        EventKind::pebble_check_recovered("web"),
    ]
}

impl Charm for Recorder {
    type Stored = Rec;
    fn observe(on: &mut Observers<Self>) {
        on.many("record", all_kinds(), |_c, ctx, ev: &mut Event| {
            let line = format!("{}|{ev:?}", ev.kind());
            ctx.stored_mut().seen.push(line);
            let model = ctx.model().clone();
            if model.config_value("defer")? == Some(json!(true))
                && ev.kind().defer_refusal().is_none()
            {
                ev.defer()?;
            }
            if model.config_value("fail")? == Some(json!(true)) {
                tracing::warn!("about to fail");
                return Err(HandlerError::msg("asked to fail"));
            }
            Ok(())
        });
        on.action("backup", "on_backup", |_c, ctx, ev| {
            let to = ev.params["to"].clone();
            let level = ev.params["level"].clone();
            ctx.model().action_log("backing up")?;
            ctx.model()
                .action_set_results(&json!({"where": {"to": to, "level": level}}))?;
            Ok(())
        });
        on.action("explode", "on_explode", |_c, ctx, _ev| {
            ctx.model().action_fail("it blew up")?;
            Ok(())
        });
        on.collect_unit_status("collect", |_c, ctx, _ev| {
            ctx.add_unit_status(Status::active(""))?;
            Ok(())
        });
    }
}

fn ctx() -> Context<Recorder> {
    Context::new(CharmMeta::from_charmcraft_yaml(META).expect("test metadata"))
}

fn db() -> RelationState {
    RelationState::new(3, "db", "pg")
        .remote_unit("pg/0", [("host", "10.0.0.1")])
        .remote_unit("pg/1", [("host", "10.0.0.2")])
}

fn consumed() -> SecretState {
    SecretState::new(
        "secret:cr0ahn1dqe3k7mqmsc2g",
        SecretOwnership::Consumer,
        [("pw", "x")],
    )
    .label("db-pass")
}

fn owned() -> SecretState {
    SecretState::new(
        "secret:cr0ahn1dqe3k7mqmsc2h",
        SecretOwnership::Application,
        [("pw", "y")],
    )
    .with_revision([("pw", "z")])
    .label("mine")
}

fn web() -> ContainerState {
    ContainerState::new("web")
        .layer(
            "base",
            "checks:\n  alive:\n    override: replace\n    http:\n      url: http://localhost/\n",
        )
        .expect("layer")
        .notice(NoticeState::custom("example.com/ready").data([("stage", "2")]))
}

fn full_state() -> State {
    State::new()
        .leader(true)
        .relation(db())
        .relation(RelationState::peer(4, "peers", "rec").remote_unit("rec/1", [("a", "b")]))
        .secret(consumed())
        .secret(owned())
        .storage("data", 0, "/data/0")
        .container(web())
}

/// Every event the Recorder observes, with the detail its handler must see.
fn every_event(ctx: &Context<Recorder>) -> Vec<(TestEvent, &'static str)> {
    let on = ctx.on;
    vec![
        (on.install(), "install"),
        (on.start(), "start"),
        (on.stop(), "stop"),
        (on.remove(), "remove"),
        (on.upgrade_charm(), "upgrade-charm"),
        (on.config_changed(), "config-changed"),
        (on.update_status(), "update-status"),
        (on.leader_elected(), "leader-elected"),
        (on.leader_settings_changed(), "leader-settings-changed"),
        (on.pre_series_upgrade(), "pre-series-upgrade"),
        (on.post_series_upgrade(), "post-series-upgrade"),
        (on.relation_created(&db()), "relation_id: 3"),
        (on.relation_joined(&db(), "pg/1"), "\"pg/1\""),
        (on.relation_changed(&db()), "\"pg/0\""),
        (
            on.relation_departed(&db(), "pg/1"),
            "departing_unit: Some(\"pg/1\")",
        ),
        (on.relation_broken(&db()), "db-relation-broken"),
        (
            on.relation_changed(
                &RelationState::peer(4, "peers", "rec").remote_unit("rec/1", [("a", "b")]),
            ),
            "\"rec/1\"",
        ),
        (
            on.storage_attached("data", 0),
            "location: Some(\"/data/0\")",
        ),
        (on.storage_detaching("data", 0), "index: 0"),
        (on.secret_changed(&consumed()), "cr0ahn1dqe3k7mqmsc2g"),
        (on.secret_expired(&owned(), 1), "revision: 1"),
        (on.secret_rotate(&owned()), "\"mine\""),
        (on.secret_remove(&owned(), 1), "cr0ahn1dqe3k7mqmsc2h"),
        (on.pebble_ready("web"), "web-pebble-ready"),
        (
            on.pebble_custom_notice("web", "example.com/ready"),
            "example.com/ready",
        ),
        (on.pebble_check_failed("web", "alive"), "\"alive\""),
        (on.pebble_check_recovered("web", "alive"), "\"alive\""),
    ]
}

#[test]
fn every_event_constructor_reaches_its_handler_with_its_data() {
    let ctx = ctx();
    let state = full_state();
    for (ev, detail) in every_event(&ctx) {
        let kind = ev.kind().clone();
        let out = ctx
            .run(ev, &state)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let seen = out.state.stored_as::<Rec>().unwrap().seen;
        assert_eq!(seen.len(), 1, "{kind}: {seen:?}");
        assert!(seen[0].starts_with(&format!("{kind}|")), "{kind}: {seen:?}");
        assert!(seen[0].contains(detail), "{kind}: {detail} not in {seen:?}");
        assert_eq!(out.state.juju.unit_status, Status::active(""), "{kind}");
    }
}

#[test]
fn restricted_and_unknown_hooks() {
    let ctx = ctx();
    let out = ctx.run(ctx.on.collect_metrics(), &State::new()).unwrap();
    assert_eq!(out.state.juju.unit_status, Status::Unknown(String::new()));
    let out = ctx
        .run(ctx.on.hook("meter-status-changed"), &State::new())
        .unwrap();
    assert!(out.handler_calls.is_empty());
    let out = ctx.run(ctx.on.hook("no-such-hook"), &State::new()).unwrap();
    assert_eq!(out.handlers_called(), ["collect"]);
}

#[test]
fn every_deferrable_event_round_trips_through_deferral() {
    let ctx = ctx();
    let state = full_state().config("defer", true);
    for (ev, _) in every_event(&ctx) {
        let kind = ev.kind().clone();
        if kind.defer_refusal().is_some() {
            continue;
        }
        // Deferred by the charm in one run ...
        let first = ctx.run(ev.clone(), &state).unwrap();
        assert_eq!(first.state.deferred.len(), 1, "{kind}");
        let original = first.state.stored_as::<Rec>().unwrap().seen[0].clone();
        // ... re-emitted in the next, with the same data and id.
        let mut next = first.state.clone();
        next.juju.config.values.insert("defer".into(), json!(false));
        if matches!(kind, EventKind::RelationBroken(_)) {
            next = next.relation(db());
        }
        let second = ctx.run(ctx.on.install(), &next).unwrap();
        let seen = second.state.stored_as::<Rec>().unwrap().seen;
        assert_eq!(seen[1], original, "{kind}");
        assert!(second.handler_calls[0].reemitted, "{kind}");
        assert!(second.state.deferred.is_empty(), "{kind}");

        // A deferred entry built by the test from the state is the same as the one the
        // charm stored, storage locations and notice ids included.
        let built = ctx.deferred_in(&ev, "record", &state).unwrap();
        assert_eq!(built.kind, first.state.deferred[0].kind, "{kind}");
        assert_eq!(built.source, first.state.deferred[0].source, "{kind}");
        assert_eq!(built.data, first.state.deferred[0].data, "{kind}");
        // Without the state, a custom notice needs its id given.
        if matches!(kind, EventKind::PebbleCustomNotice(_)) {
            let e = ctx.deferred(&ev, "record").unwrap_err();
            assert!(e.to_string().contains("TestEvent::notice_id"), "{e}");
        }
    }
}

#[test]
fn scenario_defect_1_event_counter_round_trips_so_deferred_events_are_never_overwritten() {
    let ctx = ctx();
    let db2 = RelationState::new(5, "db", "pg2").remote_unit("pg2/0", [("host", "h2")]);
    let state = State::new()
        .relation(db())
        .relation(db2.clone())
        .config("defer", true);
    let one = ctx.run(ctx.on.relation_changed(&db()), &state).unwrap();
    let two = ctx.run(ctx.on.relation_changed(&db2), &one.state).unwrap();
    // Both are queued, with distinct ids that keep growing across runs.
    let q = &two.state.deferred;
    assert_eq!(q.len(), 2);
    assert!(q[0].data.contains("\"relation_id\":3"));
    assert!(q[1].data.contains("\"relation_id\":5"));
    assert!(q[1].event_id > q[0].event_id);
    assert!(two.state.event_counter > one.state.event_counter);
    // Handled once each, relation 3 first.
    let mut last = two.state.clone();
    last.juju.config.values.insert("defer".into(), json!(false));
    let three = ctx.run(ctx.on.update_status(), &last).unwrap();
    let seen = three.state.stored_as::<Rec>().unwrap().seen;
    let handled: Vec<&String> = seen.iter().skip(3).collect();
    assert!(handled[0].contains("relation_id: 3"), "{handled:?}");
    assert!(handled[1].contains("relation_id: 5"), "{handled:?}");
    assert!(three.state.deferred.is_empty());
}

#[test]
fn scenario_defect_2_secret_events_restore_after_deferral() {
    let ctx = ctx();
    let deferred = ctx
        .deferred(&ctx.on.secret_changed(&consumed()), "record")
        .unwrap();
    let state = State::new().secret(consumed()).defer(deferred);
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let seen = out.state.stored_as::<Rec>().unwrap().seen;
    assert!(seen[0].starts_with("secret-changed|"), "{seen:?}");
    assert!(seen[0].contains("cr0ahn1dqe3k7mqmsc2g") && seen[0].contains("db-pass"));
    assert!(out.state.deferred.is_empty());
}

#[test]
fn scenario_defect_3_output_queue_keeps_queue_order() {
    let ctx = ctx();
    let mut state = State::new().config("defer", true);
    for ev in [
        ctx.on.update_status(),
        ctx.on.start(),
        ctx.on.config_changed(),
    ] {
        state = ctx.run(ev, &state).unwrap().state;
    }
    let names: Vec<String> = state.deferred_names().into_iter().map(|(_, k)| k).collect();
    assert_eq!(names, ["update-status", "start", "config-changed"]);
    // Fed back, the order is kept and re-emission follows it.
    let again = ctx.run(ctx.on.install(), &state).unwrap();
    let names: Vec<String> = again
        .state
        .deferred_names()
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    assert_eq!(
        names,
        ["update-status", "start", "config-changed", "install"]
    );
    let order: Vec<String> = again
        .handler_calls
        .iter()
        .filter(|c| c.reemitted)
        .map(|c| c.kind.to_string())
        .collect();
    assert_eq!(order, ["update-status", "start", "config-changed"]);
}

#[test]
fn a_failed_run_is_an_error_with_the_logs_and_leaves_the_input_unchanged() {
    let ctx = ctx();
    let state = full_state()
        .config("fail", true)
        .unit_status(Status::waiting("w"));
    let before = state.clone();
    let err = ctx.run(ctx.on.config_changed(), &state).unwrap_err();
    assert_eq!(state, before);
    let RunError::Dispatch { error, juju_log } = &err else {
        panic!("{err}")
    };
    assert!(error.to_string().contains("asked to fail"));
    assert!(juju_log.iter().any(|l| l.message.contains("about to fail")));
    assert!(juju_log.last().is_some_and(|l| l.level == "ERROR"));
    assert!(err.juju_log().len() >= 2);
}

#[test]
fn state_fields_go_in_and_come_out() {
    let ctx = ctx();
    let state = full_state()
        .config("port", 8080)
        .opened_port(OpenedPort::tcp(8080))
        .app_status(Status::blocked("b"))
        .stored(&Rec {
            seen: vec!["earlier".into()],
        })
        .unwrap();
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let s = &out.state;
    assert!(s.juju.leader);
    assert_eq!(s.juju.config.values["port"], json!(8080));
    assert_eq!(s.juju.config.defaults["defer"], json!(false));
    assert_eq!(s.juju.relations, state.juju.relations);
    assert_eq!(s.juju.secrets.len(), 2);
    assert_eq!(s.juju.opened_ports, [OpenedPort::tcp(8080)]);
    assert_eq!(s.juju.storage["data"][0].location, "/data/0");
    assert_eq!(s.juju.app_status, Status::blocked("b"));
    assert_eq!(s.juju.unit_status, Status::active(""));
    assert_eq!(s.juju.unit_status_history, [Status::Unknown(String::new())]);
    assert_eq!(
        s.stored_as::<Rec>().unwrap().seen,
        [
            "earlier",
            "update-status|UpdateStatus(UpdateStatus { meta: EventMeta { id: 1, deferred: false } })"
        ]
    );
    // update-status, collect-unit, pre-commit, commit: nothing proposes an application status,
    // so leadership is not asked and collect-app-status is not emitted.
    assert_eq!(s.event_counter, 4);
    assert!(
        !out.tool_lines()
            .iter()
            .any(|l| l == "is-leader --format=json")
    );
    assert!(s.juju.calls.is_empty() && s.juju.logs.is_empty());
    let web = &s.containers["web"];
    assert_eq!(web.layers[0].0, "base");
    assert!(web.plan.checks.contains_key("alive"));
    assert_eq!(web.notices[0].key, "example.com/ready");
    assert_eq!(web.notices[0].data["stage"], "2");
}

#[test]
fn actions_answer_with_results_logs_and_failure() {
    let ctx = ctx();
    let out = ctx
        .run(
            ctx.on.action("backup", json!({"to": "s3"})).action_id("7"),
            &State::new(),
        )
        .unwrap();
    let a = out.action.unwrap();
    assert_eq!(a.results["where"], json!({"to": "s3", "level": "3"}));
    assert_eq!(a.logs, ["backing up"]);
    assert_eq!(a.failure, None);
    let out = ctx
        .run(ctx.on.action("explode", json!({})), &State::new())
        .unwrap();
    assert_eq!(out.action.unwrap().failure.as_deref(), Some("it blew up"));
    // Params are checked against the metadata.
    let err = ctx
        .run(ctx.on.action("backup", json!({})), &State::new())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("required parameter 'to' is missing"),
        "{err}"
    );
}

#[test]
fn relation_departed_and_broken_change_the_relation_as_juju_does() {
    let ctx = ctx();
    let state = State::new().relation(db());
    let out = ctx
        .run(ctx.on.relation_departed(&db(), "pg/1"), &state)
        .unwrap();
    let rel = out.state.relation_by_id(3).unwrap();
    assert!(!rel.remote_units.contains_key("pg/1"));
    assert!(rel.departed_units.contains_key("pg/1"));
    let out = ctx.run(ctx.on.relation_broken(&db()), &state).unwrap();
    assert!(out.state.relation_by_id(3).is_none());
}

#[test]
fn inconsistent_states_are_explained() {
    let ctx = ctx();
    let cases: Vec<(TestEvent, State, &str)> = vec![
        (
            ctx.on.relation_changed(&db()),
            State::new(),
            "not in the state",
        ),
        (
            ctx.on.secret_changed(&consumed()),
            State::new(),
            "State::secret",
        ),
        (
            ctx.on.secret_rotate(&consumed()),
            State::new().secret(consumed()),
            "only to a secret's owner",
        ),
        (ctx.on.pebble_ready("web"), State::new(), "State::container"),
        (
            ctx.on.pebble_custom_notice("web", "example.com/other"),
            State::new().container(web()),
            "not in container",
        ),
        (
            ctx.on.pebble_check_failed("web", "nope"),
            State::new().container(web()),
            "check \"nope\"",
        ),
        (
            ctx.on.storage_attached("data", 1),
            State::new(),
            "State::storage",
        ),
        (ctx.on.leader_elected(), State::new(), "leader(true)"),
        (
            ctx.on.action("nope", json!({})),
            State::new(),
            "not in the charm's actions",
        ),
        (
            ctx.on.action("backup", json!({"to": "s3", "level": 10})),
            State::new(),
            "parameter 'level' must be at most 9, got 10",
        ),
        (
            ctx.on.start(),
            State::new().config("nope", 1),
            "not declared",
        ),
        (
            ctx.on.start(),
            State::new().config("port", "x"),
            "declared as int",
        ),
        (
            ctx.on.start(),
            State::new().relation(RelationState::new(1, "cache", "r")),
            "does not declare",
        ),
    ];
    for (ev, state, msg) in cases {
        let kind = ev.kind().clone();
        let err = ctx.run(ev, &state).unwrap_err();
        assert!(
            matches!(err, RunError::Inconsistent { .. }),
            "{kind}: {err}"
        );
        assert!(err.to_string().contains(msg), "{kind}: {err}");
    }
    let err = ctx.deferred(&ctx.on.stop(), "record").unwrap_err();
    assert!(err.to_string().contains("cannot be deferred"));
}

/// A deferred entry for a handler nothing registered would be dropped by the dispatch without
/// running (as for a handler removed in an upgrade): building one is refused, naming the
/// handlers that do observe the event (issue 19, item 10).
#[test]
fn a_deferred_entry_for_a_handler_nothing_observes_is_refused() {
    let ctx = ctx();
    let ev = ctx.on.config_changed();
    assert!(ctx.deferred(&ev, "record").is_ok());
    for err in [
        ctx.deferred(&ev, "recordd").unwrap_err(),
        ctx.deferred_in(&ev, "recordd", &State::new()).unwrap_err(),
    ] {
        assert!(matches!(err, RunError::Inconsistent { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("no handler named \"recordd\" observes config-changed"),
            "{msg}"
        );
        assert!(
            msg.contains("the handlers of config-changed are \"record\""),
            "{msg}"
        );
    }
    // What an older revision stored for a handler since removed can still be built.
    let old = ctx.deferred_by_older_revision(&ev, "gone").unwrap();
    assert_eq!(old.handler, "gone");
    let out = ctx
        .run(ctx.on.update_status(), &State::new().defer(old))
        .unwrap();
    assert!(out.state.deferred.is_empty(), "the dispatch drops it");
}

/// Juju sends relation-broken with `JUJU_REMOTE_APP` empty once the remote application was
/// removed (seen on Juju 3.4.4): the charm's handler runs, and its event has no remote app.
#[test]
fn relation_broken_runs_after_the_remote_application_is_removed() {
    let ctx = ctx();
    let rel = db();
    let ev = ctx.on.relation_broken(&rel).remote_app_removed();
    assert_eq!(ev.var("JUJU_REMOTE_APP").as_deref(), Some(""));
    let out = ctx.run(ev, &State::new().relation(rel)).unwrap();
    assert!(
        out.handlers_called().contains(&"record"),
        "{:?}",
        out.handlers_called()
    );
}

/// The testing API keeps the event counter as a dispatch does: a run that saves nothing
/// leaves it where it was, so the next run from its output gives out the same ids; a
/// deferral is saved, counter and all ([Event ids](ops::event#event-ids)).
#[test]
fn the_event_counter_moves_only_when_a_run_saves_something() {
    #[derive(Default)]
    struct Quiet;
    impl Charm for Quiet {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.update_status("seen", |_, _, _| Ok(()));
            on.config_changed("later", |_, ctx, ev| {
                if !ctx.is_reemitted() {
                    ev.defer()?;
                }
                Ok(())
            });
        }
    }
    let ctx = Context::<Quiet>::new(CharmMeta::from_charmcraft_yaml("name: quiet\n").unwrap());
    let first = ctx.run(ctx.on.update_status(), &State::new()).unwrap();
    let a = ctx.run(ctx.on.update_status(), &first.state).unwrap();
    let b = ctx.run(ctx.on.update_status(), &a.state).unwrap();
    assert_eq!(a.state.event_counter, first.state.event_counter);
    assert_eq!(b.state.event_counter, first.state.event_counter);
    assert_eq!(a.handler_calls[0].event_id, b.handler_calls[0].event_id);
    assert_eq!(a.handler_calls[0].event_id, first.state.event_counter + 1);
    let deferred = ctx.run(ctx.on.config_changed(), &b.state).unwrap();
    let id = deferred.handler_calls[0].event_id;
    assert_eq!(deferred.state.deferred[0].event_id, id);
    assert!(deferred.state.event_counter >= id);
    let after = ctx.run(ctx.on.update_status(), &deferred.state).unwrap();
    assert_eq!(after.handler_calls[0].event_id, id);
    assert!(after.handler_calls[0].reemitted);
    assert!(after.handler_calls[1].event_id > id);
}
