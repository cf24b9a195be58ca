//! Failure: any failing stage rolls everything back, the retry sees the state from before,
//! and bad registrations, bad stored state and panics are clear errors.

use super::*;

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
    assert_eq!(t3.log[0], "on_update:update-status#9"); // t2 saved (its state changed): new ids
    assert_eq!(store.data().charm_state.as_deref(), Some(r#"{"n":12}"#));
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

/// A charm whose install handler changes its state, then gives up on the hook.
struct GivesUp;

impl Charm for GivesUp {
    type Stored = S;
    fn observe(on: &mut Observers<Self>) {
        on.install("on_install", |_c: &mut GivesUp, ctx, _ev| {
            ctx.stored_mut().n = 7;
            Err(crate::framework::GaveUp::new("the config cannot work").into())
        });
        on.collect_unit_status("collect", |_c: &mut GivesUp, ctx, _ev| {
            ctx.add_unit_status(Status::active("fine"))?;
            Ok(())
        });
    }
}

#[test]
fn giving_up_rolls_back_but_exits_zero_with_a_warning() {
    let store = MemoryStore::default();
    let before = store.data();
    let (out, r) = run_with(&mut GivesUp, "hooks/install", &store, false);
    assert_eq!(out.exit_code(), 0);
    assert!(out.result.is_ok());
    assert_eq!(store.data(), before, "nothing saved");
    assert!(logs(&r, "ERROR").is_empty());
    assert_eq!(
        logs(&r, "WARNING"),
        [
            "handler on_install gave up on the hook: the config cannot work; nothing this hook did is saved"
        ]
    );
    // No collect-status: no status-set.
    assert!(
        tools(&r).iter().all(|l| !l.starts_with("status-set")),
        "{:?}",
        tools(&r)
    );
}
