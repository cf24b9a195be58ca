//! Collect-status: which status wins, when leadership is asked, what cannot be added.

use super::*;

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
