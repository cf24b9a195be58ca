use std::collections::{HashMap, HashSet};

use super::*;
use crate::event::EventType;
use crate::framework::{HandlerError, HandlerResult};
use crate::hookcmds::{RecordingRunner, ToolCall};
use crate::store::DeferredEntry;

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct S {
    #[serde(default)]
    n: u32,
}

/// A test charm: records calls as `handler:kind[:re]#id`, defers or fails on demand.
#[derive(Default)]
struct T {
    log: Vec<String>,
    defer: HashSet<&'static str>,
    fail: Option<&'static str>,
    unit: Vec<Status>,
    app: Vec<Status>,
    seen: Vec<Event>,
}

impl T {
    fn step(
        &mut self,
        name: &'static str,
        ctx: &mut Ctx<T>,
        kind: EventKind,
        id: u64,
    ) -> Result<bool, HandlerError> {
        let re = if ctx.is_reemitted() { ":re" } else { "" };
        self.log.push(format!("{name}:{kind}{re}#{id}"));
        ctx.stored_mut().n += 1;
        if self.fail == Some(name) {
            let io = std::io::Error::other("disk full");
            return Err(HandlerError::from(io).context("cannot write config"));
        }
        Ok(self.defer.contains(name))
    }
}

macro_rules! h {
    ($name:literal) => {
        |c: &mut T, ctx: &mut Ctx<T>, ev: &mut _| -> HandlerResult {
            let (kind, id) = (ev.kind(), ev.id());
            if c.step($name, ctx, kind, id)? {
                ev.defer();
            }
            Ok(())
        }
    };
}

impl Charm for T {
    type Stored = S;
    fn observe(on: &mut Observers<Self>) {
        on.install("on_install", h!("on_install"));
        on.start("on_start", h!("on_start"));
        on.config_changed("on_config", h!("on_config"));
        on.update_status("on_update", h!("on_update"));
        on.relation_changed("db", "on_db", h!("on_db"));
        on.collect_metrics("on_metrics", h!("on_metrics"));
        on.many(
            "reconcile",
            [EventKind::ConfigChanged, EventKind::pebble_ready("web")],
            |c, ctx, ev| {
                if c.step("reconcile", ctx, ev.kind(), ev.id())? {
                    ev.defer()?;
                }
                Ok(())
            },
        );
        on.stop("on_stop", |c, ctx, ev| {
            c.step("on_stop", ctx, ev.kind(), ev.id())?;
            Ok(())
        });
        on.action("backup", "on_backup", |c, ctx, ev| {
            c.step("on_backup", ctx, ev.kind(), ev.id())?;
            c.seen.push(ev.clone().into_event());
            Ok(())
        });
        on.collect_app_status("collect_app", |c, ctx, ev| {
            c.step("collect_app", ctx, ev.kind(), ev.id())?;
            for s in c.app.clone() {
                ctx.add_app_status(s)?;
            }
            Ok(())
        });
        on.collect_unit_status("collect_unit", |c, ctx, ev| {
            c.step("collect_unit", ctx, ev.kind(), ev.id())?;
            for s in c.unit.clone() {
                ctx.add_unit_status(s)?;
            }
            Ok(())
        });
        on.pre_commit("pre_commit", |c, ctx, ev| {
            c.step("pre_commit", ctx, ev.kind(), ev.id())?;
            Ok(())
        });
        on.commit("commit", |c, ctx, ev| {
            c.step("commit", ctx, ev.kind(), ev.id())?;
            Ok(())
        });
    }
}

fn runner(leader: bool) -> RecordingRunner {
    RecordingRunner::new(move |c: &ToolCall| {
        Ok(match c.tool.as_str() {
            "is-leader" => {
                if leader {
                    b"true".to_vec()
                } else {
                    b"false".to_vec()
                }
            }
            "action-get" => br#"{"target": "s3"}"#.to_vec(),
            _ => Vec::new(),
        })
    })
}

fn context(path: &str) -> JujuContext {
    let mut m: HashMap<&str, &str> = [
        ("JUJU_DISPATCH_PATH", path),
        ("JUJU_UNIT_NAME", "web/0"),
        ("JUJU_MODEL_NAME", "m"),
        ("JUJU_MODEL_UUID", "u"),
        ("JUJU_VERSION", "3.6.4"),
        ("JUJU_CHARM_DIR", "/charm"),
        ("JUJU_RELATION", "db"),
        ("JUJU_RELATION_ID", "db:3"),
        ("JUJU_REMOTE_UNIT", "pg/0"),
        ("JUJU_ACTION_NAME", "backup"),
        ("JUJU_ACTION_UUID", "1"),
    ]
    .into_iter()
    .collect();
    if let Some(h) = path.strip_prefix("hooks/") {
        m.insert("JUJU_HOOK_NAME", h);
    }
    JujuContext::from_vars(m).unwrap()
}

fn run_with<C: Charm>(
    charm: &mut C,
    path: &str,
    store: &MemoryStore,
    leader: bool,
) -> (DispatchOutcome, RecordingRunner) {
    let r = runner(leader);
    let input = DispatchInput::new(context(path), Arc::new(r.clone()));
    (dispatch(charm, input, StoreSpec::Memory(store.clone())), r)
}

fn run(charm: &mut T, path: &str, store: &MemoryStore) -> (DispatchOutcome, RecordingRunner) {
    run_with(charm, path, store, false)
}

fn tools(r: &RecordingRunner) -> Vec<String> {
    r.lines()
        .into_iter()
        .filter(|l| !l.starts_with("juju-log"))
        .collect()
}

fn logs(r: &RecordingRunner, level: &str) -> Vec<String> {
    let prefix = format!("juju-log --log-level {level} -- ");
    r.lines()
        .into_iter()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        // A batched message (the deferred queue's pass) holds one line per event.
        .flat_map(|m| m.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

fn queue_handlers(store: &MemoryStore) -> Vec<(u64, String, String)> {
    store
        .data()
        .queue
        .into_iter()
        .map(|e| {
            (
                e.seq,
                e.handler,
                EventKind::from_parts(&e.kind, e.source.as_deref())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn deferring(names: &[&'static str]) -> T {
    T {
        defer: names.iter().copied().collect(),
        ..T::default()
    }
}

#[test]
fn the_order_of_a_dispatch() {
    let store = MemoryStore::default();
    let (out, _) = run(&mut deferring(&["on_install"]), "hooks/install", &store);
    assert_eq!(out.exit_code(), 0);
    let mut t = T {
        unit: vec![Status::active("ready")],
        app: vec![Status::waiting("peers")],
        ..T::default()
    };
    let (out, r) = run_with(&mut t, "hooks/config-changed", &store, true);
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(
        t.log,
        [
            "on_install:install:re#1",
            "on_config:config-changed#5",
            "reconcile:config-changed#5",
            "collect_app:collect-app-status#6",
            "collect_unit:collect-unit-status#7",
            "pre_commit:pre-commit#8",
            "commit:commit#9",
        ]
    );
    assert_eq!(
        r.lines(),
        [
            "juju-log --log-level DEBUG -- re-emitting deferred install, 1 of 1, to handler on_install",
            "juju-log --log-level DEBUG -- emitting config-changed",
            "is-leader --format=json",
            "status-set --application=true waiting -- peers",
            "status-set --application=false active -- ready",
        ]
    );
    let data = store.data();
    assert_eq!(data.event_counter, 9);
    assert!(data.queue.is_empty());
    assert_eq!(data.charm_state.as_deref(), Some(r#"{"n":11}"#));
    let calls: Vec<(String, bool)> = out
        .calls
        .iter()
        .map(|c| (c.handler.clone(), c.reemitted))
        .collect();
    assert_eq!(calls[0], ("on_install".to_owned(), true));
    assert_eq!(calls.len(), 7);
}

fn assert_rolled_back(
    store: &MemoryStore,
    before: &StoreData,
    out: &DispatchOutcome,
    r: &RecordingRunner,
    expect: &str,
) {
    assert_eq!(out.exit_code(), 1);
    assert_eq!(&store.data(), before);
    let errors = logs(r, "ERROR");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0], expect);
}

#[test]
fn a_failure_at_any_stage_rolls_everything_back() {
    let cases = [
        (
            "on_start",
            "handler on_start failed on deferred start: cannot write config: caused by disk full",
            false,
        ),
        (
            "on_config",
            "handler on_config failed on config-changed: cannot write config: caused by disk full",
            false,
        ),
        (
            "collect_unit",
            "handler collect_unit failed on collect-unit-status: cannot write config: caused by disk full",
            false,
        ),
        (
            "commit",
            "handler commit failed on commit: cannot write config: caused by disk full",
            true,
        ),
    ];
    for (failing, expect, sets_status) in cases {
        let store = MemoryStore::default();
        run(&mut deferring(&["on_start"]), "hooks/start", &store);
        let before = store.data();
        assert_eq!(before.queue.len(), 1);
        let mut t = T {
            fail: Some(failing),
            unit: vec![Status::active("")],
            ..T::default()
        };
        let (out, r) = run(&mut t, "hooks/config-changed", &store);
        assert_rolled_back(&store, &before, &out, &r, expect);
        let status_sets = r.calls_to("status-set").len();
        assert_eq!(status_sets, usize::from(sets_status), "{failing}");
    }
}

#[test]
fn a_retry_after_failure_sees_the_state_from_before_and_reuses_ids() {
    let store = MemoryStore::default();
    run(&mut T::default(), "hooks/install", &store);
    let mut t = T {
        fail: Some("on_update"),
        ..T::default()
    };
    run(&mut t, "hooks/update-status", &store);
    let mut t2 = T::default();
    run(&mut t2, "hooks/update-status", &store);
    assert_eq!(t.log[0], t2.log[0]); // same id: the failed dispatch rolled back
    assert_eq!(t2.log[0], "on_update:update-status#5");
    let mut t3 = T::default();
    run(&mut t3, "hooks/update-status", &store);
    assert_eq!(t3.log[0], "on_update:update-status#9"); // committed ids are never reused
    assert_eq!(store.data().charm_state.as_deref(), Some(r#"{"n":12}"#));
}

#[test]
fn queue_is_fifo_and_redeferred_entries_keep_their_place() {
    let store = MemoryStore::default();
    run(&mut deferring(&["on_start"]), "hooks/start", &store);
    run(
        &mut deferring(&["on_start", "on_config"]),
        "hooks/config-changed",
        &store,
    );
    let before = queue_handlers(&store);
    assert_eq!(
        before
            .iter()
            .map(|(_, h, k)| format!("{h} {k}"))
            .collect::<Vec<_>>(),
        ["on_start start", "on_config config-changed"]
    );
    let mut t = deferring(&["on_start", "on_config"]);
    let (_, r) = run(&mut t, "hooks/update-status", &store);
    assert_eq!(queue_handlers(&store), before);
    assert_eq!(
        &t.log[..3],
        [
            "on_start:start:re#1",
            "on_config:config-changed:re#5",
            "on_update:update-status#9"
        ]
    );
    let debug = logs(&r, "DEBUG");
    assert!(
        debug.contains(&"re-emitting deferred start, 1 of 2, to handler on_start".to_owned()),
        "{debug:?}"
    );
    assert!(
        debug.contains(
            &"re-emitting deferred config-changed, 2 of 2, to handler on_config".to_owned()
        )
    );
    // Once the handler succeeds, its entry goes; the other keeps its place.
    run(
        &mut deferring(&["on_config"]),
        "hooks/update-status",
        &store,
    );
    assert_eq!(
        queue_handlers(&store),
        [(before[1].0, "on_config".into(), "config-changed".into())]
    );
}

#[test]
fn identical_entries_are_stored_once_and_not_rerun_in_the_same_pass() {
    let store = MemoryStore::default();
    for _ in 0..3 {
        let mut t = deferring(&["on_config"]);
        run(&mut t, "hooks/config-changed", &store);
        let on_config: Vec<&String> = t
            .log
            .iter()
            .filter(|l| l.starts_with("on_config"))
            .collect();
        assert_eq!(on_config.len(), 1, "{:?}", t.log);
    }
    assert_eq!(queue_handlers(&store).len(), 1);
    // Different data (another relation) is not a duplicate.
    let store = MemoryStore::default();
    run(
        &mut deferring(&["on_db"]),
        "hooks/db-relation-changed",
        &store,
    );
    let r2 = runner(false);
    let mut ctx2 = context("hooks/db-relation-changed");
    ctx2.relation_id = Some(4);
    let mut t = deferring(&["on_db"]);
    dispatch(
        &mut t,
        DispatchInput::new(ctx2, Arc::new(r2)),
        StoreSpec::Memory(store.clone()),
    );
    assert_eq!(queue_handlers(&store).len(), 2);
    assert_eq!(t.log.iter().filter(|l| l.starts_with("on_db")).count(), 2);
}

#[test]
fn deferrals_during_reemission_run_next_dispatch_not_this_one() {
    let store = MemoryStore::default();
    run(&mut deferring(&["on_start"]), "hooks/start", &store);
    let mut t = deferring(&["on_start"]);
    run(&mut t, "hooks/update-status", &store);
    assert_eq!(
        t.log.iter().filter(|l| l.starts_with("on_start")).count(),
        1
    );
}

fn entry(seq: u64, handler: &str, kind: &str, source: Option<&str>, data: &str) -> DeferredEntry {
    DeferredEntry {
        seq,
        event_id: seq,
        handler: handler.into(),
        kind: kind.into(),
        source: source.map(Into::into),
        data: data.into(),
    }
}

#[test]
fn entries_of_gone_handlers_or_undecodable_events_are_dropped_with_a_warning() {
    let store = MemoryStore::with_data(StoreData {
        event_counter: 10,
        queue: vec![
            entry(1, "on_config_v1", "config-changed", None, "{}"),
            entry(
                2,
                "on_db",
                "relation-changed",
                Some("db"),
                r#"{"password":"hunter2"}"#,
            ),
            entry(3, "on_x", "frobnicate", None, "{}"),
            entry(4, "on_start", "start", None, "{}"),
        ],
        charm_state: None,
        ..StoreData::default()
    });
    let mut t = T::default();
    let (out, r) = run(&mut t, "hooks/update-status", &store);
    assert!(out.result.is_ok());
    assert!(store.data().queue.is_empty());
    assert_eq!(t.log[0], "on_start:start:re#4");
    let warnings = logs(&r, "WARNING");
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("no handler named \"on_config_v1\""));
    assert!(
        warnings[1].contains("db-relation-changed") && !warnings[1].contains("hunter2"),
        "{}",
        warnings[1]
    );
    assert!(warnings[2].contains("frobnicate"));
}

#[test]
fn every_event_kind_round_trips_through_the_queue() {
    struct All(Vec<Event>);
    impl Charm for All {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            let kinds: Vec<EventKind> = crate::event::tests::samples()
                .iter()
                .map(Event::kind)
                .collect();
            on.many("all", kinds, |c, _ctx, ev| {
                c.0.push(ev.clone());
                Ok(())
            });
        }
    }
    let samples = crate::event::tests::samples();
    let queue = samples
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            let k = ev.kind();
            entry(
                i as u64 + 1,
                "all",
                k.generic_name(),
                k.source(),
                &ev.encode().unwrap(),
            )
        })
        .collect();
    let store = MemoryStore::with_data(StoreData {
        event_counter: 100,
        queue,
        charm_state: None,
        ..StoreData::default()
    });
    let mut all = All(Vec::new());
    let (out, _) = run_with(&mut all, "hooks/not-a-hook", &store, true);
    assert!(out.result.is_ok(), "{:?}", out.result);
    let reemitted = &all.0[..samples.len()];
    for (i, (got, want)) in reemitted.iter().zip(&samples).enumerate() {
        assert_eq!(got.id(), i as u64 + 1);
        let mut want = want.clone();
        want.meta_mut().id = got.id();
        assert_eq!(got, &want);
    }
    assert!(store.data().queue.is_empty());
}

/// Reads its action's parameters through the model, as charms do.
#[derive(Default)]
struct ReadsParams(Option<serde_json::Map<String, serde_json::Value>>);

impl Charm for ReadsParams {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.action("backup", "on_backup", |c, ctx, _ev| {
            c.0 = Some(ctx.model().action_params_map()?);
            Ok(())
        });
    }
}

#[test]
fn an_action_runs_action_get_once() {
    let mut c = ReadsParams::default();
    let (out, r) = run_with(&mut c, "actions/backup", &MemoryStore::default(), false);
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(c.0.unwrap()["target"], "s3");
    let gets = tools(&r)
        .into_iter()
        .filter(|l| l.starts_with("action-get"))
        .count();
    assert_eq!(gets, 1, "{:?}", tools(&r));
}

#[test]
fn new_events_reach_handlers_rebuilt_with_everything_juju_gave() {
    let store = MemoryStore::default();
    let mut t = T::default();
    let (out, r) = run(&mut t, "actions/backup", &store);
    assert!(out.result.is_ok());
    assert_eq!(tools(&r)[0], "action-get --format=json");
    let Some(Event::Action(a)) = t.seen.first() else {
        panic!("no action seen")
    };
    assert_eq!((a.name.as_str(), a.uuid.as_str()), ("backup", "1"));
    assert_eq!(a.params, serde_json::json!({"target": "s3"}));
}

#[test]
fn status_rules() {
    // Highest priority wins, the first added wins a tie; leader sets app status first.
    let store = MemoryStore::default();
    let mut t = T {
        unit: vec![
            Status::active("a"),
            Status::blocked("b1"),
            Status::waiting("w"),
            Status::blocked("b2"),
        ],
        app: vec![Status::maintenance("m"), Status::active("x")],
        ..T::default()
    };
    let (_, r) = run_with(&mut t, "hooks/update-status", &store, true);
    assert_eq!(
        tools(&r),
        [
            "is-leader --format=json",
            "status-set --application=true maintenance -- m",
            "status-set --application=false blocked -- b1",
        ]
    );
    // A choice is explained in one line; a single candidate needs no line.
    assert_eq!(
        logs(&r, "DEBUG")
            .iter()
            .filter(|l| l.contains("candidates"))
            .collect::<Vec<_>>(),
        [
            "application status maintenance: m, the highest of 2 candidates: maintenance: m; active: x",
            "unit status blocked: b1, the highest of 4 candidates: active: a; blocked: b1; waiting: w; blocked: b2",
        ]
    );
    // A non-leader: no collect-app-status, app statuses discarded (debug), unit set.
    let mut t = T {
        unit: vec![Status::waiting("w")],
        app: vec![Status::active("x")],
        ..T::default()
    };
    let (_, r) = run(&mut t, "hooks/update-status", &store);
    assert!(!t.log.iter().any(|l| l.starts_with("collect_app")));
    assert_eq!(
        tools(&r),
        [
            "is-leader --format=json",
            "status-set --application=false waiting -- w"
        ]
    );
    // Nothing added: no status-set at all.
    let (_, r) = run(&mut T::default(), "hooks/update-status", &store);
    assert_eq!(tools(&r), ["is-leader --format=json"]);
    // App statuses added by a normal handler on a non-leader are discarded with a debug line.
    struct AppAdder;
    impl Charm for AppAdder {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.update_status("u", |_, ctx, _| {
                ctx.add_app_status(Status::blocked("x"))?;
                Ok(())
            });
        }
    }
    let (out, r) = run_with(
        &mut AppAdder,
        "hooks/update-status",
        &MemoryStore::default(),
        false,
    );
    assert!(out.result.is_ok());
    assert!(r.calls_to("status-set").is_empty());
    assert!(logs(&r, "DEBUG").iter().any(|l| l.contains("discarding 1 application status(es): this unit is not the leader")));
    assert_eq!(r.calls_to("is-leader").len(), 1);
}

#[test]
fn leadership_is_asked_only_when_an_application_status_is_proposed() {
    // No collect-app-status handler and no application candidate: nothing needs to know
    // whether this unit leads, so no is-leader call (Python ops makes one every dispatch).
    struct UnitOnly;
    impl Charm for UnitOnly {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.collect_unit_status("unit", |_, ctx, _| {
                ctx.add_unit_status(Status::active("up"))?;
                Ok(())
            });
        }
    }
    for leader in [true, false] {
        let (out, r) = run_with(
            &mut UnitOnly,
            "hooks/update-status",
            &MemoryStore::default(),
            leader,
        );
        assert!(out.result.is_ok());
        assert_eq!(tools(&r), ["status-set --application=false active -- up"]);
    }
    // An application candidate added during collect-unit-status comes too late either way:
    // discarded without asking.
    struct LateApp;
    impl Charm for LateApp {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.collect_unit_status("unit", |_, ctx, _| {
                ctx.add_app_status(Status::blocked("late"))?;
                Ok(())
            });
        }
    }
    let (out, r) = run_with(
        &mut LateApp,
        "hooks/update-status",
        &MemoryStore::default(),
        true,
    );
    assert!(out.result.is_ok());
    assert!(r.calls_to("is-leader").is_empty());
    assert!(r.calls_to("status-set").is_empty());
    assert!(logs(&r, "DEBUG").iter().any(|l| {
        l.contains("discarding 1 application status(es): added during collect-unit-status")
    }));
}

#[test]
fn error_and_unknown_statuses_are_refused() {
    let mut t = T {
        unit: vec![Status::Error("boom".into())],
        ..T::default()
    };
    let store = MemoryStore::default();
    let (out, r) = run(&mut t, "hooks/update-status", &store);
    assert_eq!(out.exit_code(), 1);
    assert!(logs(&r, "ERROR")[0].contains("cannot add status 'error'"));
    let mut t = T {
        app: vec![Status::Unknown(String::new())],
        ..T::default()
    };
    let (out, _) = run_with(&mut t, "hooks/update-status", &store, true);
    assert!(
        out.result
            .unwrap_err()
            .to_string()
            .contains("cannot add status 'unknown'")
    );
}

#[test]
fn unknown_events_still_run_the_queue_collect_status_and_commit() {
    let store = MemoryStore::default();
    run(&mut deferring(&["on_start"]), "hooks/start", &store);
    let mut t = T::default();
    let (out, r) = run(&mut t, "hooks/no-such-hook", &store);
    assert!(out.result.is_ok());
    assert_eq!(
        t.log,
        [
            "on_start:start:re#1",
            "collect_unit:collect-unit-status#5",
            "pre_commit:pre-commit#6",
            "commit:commit#7"
        ]
    );
    assert!(
        logs(&r, "DEBUG")
            .iter()
            .any(|l| l.contains("no-such-hook is not an event this framework knows"))
    );
}

#[test]
fn restricted_contexts_skip_the_queue_and_collect_status() {
    let store = MemoryStore::default();
    run(&mut deferring(&["on_start"]), "hooks/start", &store);
    let mut t = T {
        unit: vec![Status::active("")],
        ..T::default()
    };
    let (out, r) = run(&mut t, "hooks/collect-metrics", &store);
    assert!(out.result.is_ok());
    assert_eq!(
        t.log,
        [
            "on_metrics:collect-metrics#5",
            "pre_commit:pre-commit#6",
            "commit:commit#7"
        ]
    );
    assert!(tools(&r).is_empty());
    assert_eq!(store.data().queue.len(), 1);
    let mut t = T::default();
    run(&mut t, "hooks/meter-status-changed", &store);
    assert_eq!(t.log, ["pre_commit:pre-commit#8", "commit:commit#9"]);
}

#[test]
fn restricted_context_with_juju_storage_does_nothing() {
    let r = runner(false);
    let mut t = T::default();
    let input = DispatchInput::new(context("hooks/collect-metrics"), Arc::new(r.clone()));
    let out = dispatch(&mut t, input, StoreSpec::Juju);
    assert!(out.result.is_ok());
    assert!(t.log.is_empty());
    assert!(tools(&r).is_empty());
}

#[test]
fn duplicate_handler_names_fail_the_dispatch_clearly() {
    struct Dup;
    impl Charm for Dup {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.config_changed("same", |_, _, _| Ok(()));
            on.many("same", [EventKind::ConfigChanged], |_, _, _| Ok(()));
        }
    }
    let (out, r) = run_with(
        &mut Dup,
        "hooks/config-changed",
        &MemoryStore::default(),
        false,
    );
    assert_eq!(out.exit_code(), 1);
    assert!(logs(&r, "ERROR")[0].contains("\"same\" is registered twice for config-changed"));
}

#[test]
fn runtime_defer_guard_fails_the_handler_with_the_reason() {
    struct Guard;
    impl Charm for Guard {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.many("teardown", [EventKind::Stop], |_, _, ev| {
                ev.defer()?;
                Ok(())
            });
        }
    }
    let (out, r) = run_with(&mut Guard, "hooks/stop", &MemoryStore::default(), false);
    assert_eq!(out.exit_code(), 1);
    let e = &logs(&r, "ERROR")[0];
    assert!(
        e.starts_with(
            "handler teardown failed on stop: cannot defer stop: no event will follow it"
        ),
        "{e}"
    );
}

#[test]
fn a_state_that_does_not_fit_its_type_is_a_clear_error() {
    let store = MemoryStore::with_data(StoreData {
        charm_state: Some(r#"{"n":"many"}"#.into()),
        ..StoreData::default()
    });
    let (out, _) = run(&mut T::default(), "hooks/install", &store);
    let msg = out.result.unwrap_err().to_string();
    assert!(
        msg.contains("dispatch::tests::S")
            && msg.contains("#[serde(default)]")
            && !msg.contains("many"),
        "{msg}"
    );
}

#[test]
fn ctx_knows_the_call() {
    struct Probe(Vec<String>);
    impl Charm for Probe {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.install("probe", |c, ctx, _| {
                c.0.push(format!(
                    "{:?} {:?} {} {}",
                    ctx.handler_name(),
                    ctx.event_kind().map(ToString::to_string),
                    ctx.juju_context().unit_name,
                    ctx.model().app_name()
                ));
                Ok(())
            });
        }
    }
    let mut p = Probe(Vec::new());
    run_with(&mut p, "hooks/install", &MemoryStore::default(), false);
    assert_eq!(p.0, ["Some(\"probe\") Some(\"install\") web/0 web"]);
}

#[test]
fn sqlite_end_to_end_with_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::store::STATE_FILE);
    let go = |t: &mut T, hook: &str| {
        let input = DispatchInput::new(context(hook), Arc::new(runner(false)));
        dispatch(t, input, StoreSpec::Sqlite(path.clone()))
    };
    assert!(
        go(&mut deferring(&["on_config"]), "hooks/config-changed")
            .result
            .is_ok()
    );
    assert!(
        go(
            &mut T {
                fail: Some("on_update"),
                ..T::default()
            },
            "hooks/update-status"
        )
        .result
        .is_err()
    );
    let mut t = T::default();
    assert!(go(&mut t, "hooks/update-status").result.is_ok());
    assert_eq!(t.log[0], "on_config:config-changed:re#1");
    assert_eq!(t.log[1], "on_update:update-status#5");
    let mut s = SqliteStore::open(&path).unwrap();
    let data = s.load().unwrap();
    assert!(data.queue.is_empty());
    assert_eq!(data.event_counter, 8);
}

#[test]
fn a_dispatch_that_changes_nothing_writes_nothing() {
    /// Changes nothing, except that it defers config-changed.
    struct Quiet;
    impl Charm for Quiet {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.update_status("noop", |_c, _ctx, _ev| Ok(()));
            on.config_changed("later", |_c, _ctx, ev| {
                ev.defer();
                Ok(())
            });
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::store::STATE_FILE);
    let go = || {
        let input = DispatchInput::new(context("hooks/update-status"), Arc::new(runner(false)));
        dispatch(&mut Quiet, input, StoreSpec::Sqlite(path.clone()))
            .result
            .unwrap();
    };
    go(); // the first run saves the charm's (empty) state
    let bytes = std::fs::read(&path).unwrap();
    let counter = SqliteStore::open(&path)
        .unwrap()
        .load()
        .unwrap()
        .event_counter;
    assert!(counter > 0);
    go();
    go();
    // Byte for byte the same file: no transaction wrote to it (so no journal, no fsync).
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    assert!(!std::path::Path::new(&journal).exists());
    // A deferral is a change: the queue and the counter are saved, and the new id is above
    // every id saved before.
    let input = DispatchInput::new(context("hooks/config-changed"), Arc::new(runner(false)));
    dispatch(&mut Quiet, input, StoreSpec::Sqlite(path.clone()))
        .result
        .unwrap();
    let data = SqliteStore::open(&path).unwrap().load().unwrap();
    assert_eq!(data.queue.len(), 1);
    assert!(data.queue[0].event_id > counter);
    assert!(data.event_counter >= data.queue[0].event_id);
}

#[test]
fn store_errors_are_logged_and_fail_the_dispatch() {
    let input = DispatchInput::new(context("hooks/install"), Arc::new(runner(false)));
    let out = dispatch(
        &mut T::default(),
        input,
        StoreSpec::Sqlite("/nonexistent-ops-rs/x.db".into()),
    );
    assert_eq!(out.exit_code(), 1);
    assert!(
        out.result
            .unwrap_err()
            .to_string()
            .contains("/nonexistent-ops-rs/x.db")
    );
}

/// A charm that reads the model in its relation-broken handler.
struct Broken {
    seen: Vec<u32>,
    remote_app: Option<String>,
}

impl Charm for Broken {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.relation_broken("db", "on_broken", |c: &mut Broken, ctx, ev| {
            let model = ctx.model();
            c.seen = model.relations("db")?.iter().map(|r| r.id()).collect();
            c.remote_app = model.relation("db", ev.relation_id).remote_app()?;
            Ok(())
        });
    }
}

#[test]
fn the_model_knows_the_hook_the_broken_relation_is_left_out() {
    let r = RecordingRunner::new(|c: &ToolCall| {
        Ok(match c.tool.as_str() {
            "relation-ids" => br#"["db:1","db:2"]"#.to_vec(),
            "is-leader" => b"false".to_vec(),
            _ => Vec::new(),
        })
    });
    let context = JujuContext::from_vars([
        ("JUJU_DISPATCH_PATH", "hooks/db-relation-broken"),
        ("JUJU_HOOK_NAME", "db-relation-broken"),
        ("JUJU_UNIT_NAME", "web/0"),
        ("JUJU_MODEL_NAME", "m"),
        ("JUJU_MODEL_UUID", "u"),
        ("JUJU_VERSION", "3.6.4"),
        ("JUJU_CHARM_DIR", "/charm"),
        ("JUJU_RELATION", "db"),
        ("JUJU_RELATION_ID", "db:2"),
        ("JUJU_REMOTE_APP", "pg"),
    ])
    .unwrap();
    let mut charm = Broken {
        seen: vec![],
        remote_app: None,
    };
    let out = dispatch(
        &mut charm,
        DispatchInput::new(context, Arc::new(r.clone())),
        StoreSpec::Memory(MemoryStore::default()),
    );
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(charm.seen, [1]);
    assert_eq!(charm.remote_app.as_deref(), Some("pg"));
    // JUJU_REMOTE_APP answered for the event's relation: no relation-list --app call.
    assert!(r.calls_to("relation-list").is_empty());
}

/// A charm whose install handler changes its state, then panics.
struct Panicky;

impl Charm for Panicky {
    type Stored = S;
    fn observe(on: &mut Observers<Self>) {
        on.install("on_install", |_c: &mut Panicky, ctx, _ev| {
            ctx.stored_mut().n = 99;
            panic!("index out of bounds");
        });
    }
}

#[test]
fn a_panicking_handler_fails_the_dispatch_rolls_back_and_is_logged() {
    let store = MemoryStore::with_data(StoreData {
        event_counter: 7,
        queue: vec![],
        charm_state: Some(r#"{"n":1}"#.into()),
        ..StoreData::default()
    });
    let before = store.data();
    let (out, r) = run_with(&mut Panicky, "hooks/install", &store, false);
    assert_eq!(out.exit_code(), 1);
    assert_eq!(store.data(), before, "nothing is saved");
    let errors = logs(&r, "ERROR");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("handler on_install failed on install")
            && errors[0].contains("the handler panicked: index out of bounds"),
        "{}",
        errors[0]
    );
}
