//! The state store under a dispatch: SQLite end to end, nothing written when nothing
//! changed, store errors.

use super::*;

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
                ev.defer()?;
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

#[test]
fn event_ids_are_given_out_again_after_a_dispatch_that_saved_nothing() {
    /// Records the ids its handlers see; defers config-changed once; changes no state.
    #[derive(Default)]
    struct Ids(Vec<(String, u64)>);
    impl Charm for Ids {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.update_status("seen", |c, _ctx, ev| {
                c.0.push(("update-status".into(), ev.event_id()));
                Ok(())
            });
            on.config_changed("later", |c, ctx, ev| {
                c.0.push(("config-changed".into(), ev.event_id()));
                if !ctx.is_reemitted() {
                    ev.defer()?;
                }
                Ok(())
            });
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::store::STATE_FILE);
    let go = |hook: &str| {
        let mut c = Ids::default();
        let input = DispatchInput::new(context(hook), Arc::new(runner(false)));
        dispatch(&mut c, input, StoreSpec::Sqlite(path.clone()))
            .result
            .unwrap();
        c.0
    };
    let counter = || {
        SqliteStore::open(&path)
            .unwrap()
            .load()
            .unwrap()
            .event_counter
    };
    go("hooks/update-status"); // the first saves the charm's (empty) state
    let saved = counter();
    // Two dispatches that save nothing: the same ids, the counter where it was.
    let a = go("hooks/update-status");
    let b = go("hooks/update-status");
    assert_eq!(a, b);
    assert_eq!(a[0].1, saved + 1);
    assert_eq!(counter(), saved);
    // A deferral is saved, counter and all: the deferred event's id is never given out
    // again while it waits, and it keeps it when re-emitted.
    let deferred = go("hooks/config-changed")[0].1;
    assert_eq!(deferred, saved + 1);
    assert!(counter() >= deferred);
    let next = go("hooks/update-status");
    assert_eq!(next[0], ("config-changed".to_owned(), deferred));
    assert!(next[1].1 > deferred, "{next:?}");
}
