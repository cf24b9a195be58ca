//! The deferred queue: FIFO by first deferral, identical entries once, entries that can no
//! longer run dropped, every kind round-tripping, and the runtime guard.

use super::*;

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
        assert_eq!(got.event_id(), i as u64 + 1);
        let mut want = want.clone();
        want.meta_mut().id = got.event_id();
        assert_eq!(got, &want);
    }
    assert!(store.data().queue.is_empty());
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
