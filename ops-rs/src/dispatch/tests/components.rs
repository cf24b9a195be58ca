//! Components and custom events through real dispatches: emission order, deferral and
//! re-emission with the payload, component state saved and rolled back, two instances of one
//! component, events of a removed library in a stored queue.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::event::{CHARM_EMITTER, CustomEvent, RelationChanged};
use crate::framework::{Component, ComponentCtx, ComponentObservers};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Ready {
    host: String,
}
impl CustomEvent for Ready {
    const NAME: &'static str = "ready";
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Gone;
impl CustomEvent for Gone {
    const NAME: &'static str = "gone";
    const DEFERRABLE: bool = false;
}

type Log = Rc<RefCell<Vec<String>>>;

/// A library component: counts the changes on its endpoint and emits `Ready`.
struct Requirer {
    endpoint: String,
    log: Log,
    fail_after_emit: bool,
}

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Seen {
    #[serde(default)]
    changes: u32,
}

impl<C: Charm> Component<C> for Requirer {
    type Stored = Seen;
    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_changed(&self.endpoint, "on_changed", Self::on_changed);
    }
}

impl Requirer {
    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        _ev: &mut RelationChanged,
    ) -> HandlerResult {
        ctx.stored_mut()?.changes += 1;
        let changes = ctx.stored()?.changes;
        self.log
            .borrow_mut()
            .push(format!("{}:changed#{changes}", ctx.key()));
        ctx.emit(Ready {
            host: format!("{}-host", ctx.key()),
        })?;
        self.log.borrow_mut().push(format!("{}:emitted", ctx.key()));
        if self.fail_after_emit {
            return Err(HandlerError::msg("the library fails after emitting"));
        }
        Ok(())
    }
}

/// A charm with two instances of the component, observing their events.
struct Two {
    primary: Requirer,
    replica: Requirer,
    log: Log,
    defer_ready: bool,
}

impl Two {
    fn new(log: &Log) -> Two {
        let requirer = |endpoint: &str| Requirer {
            endpoint: endpoint.to_owned(),
            log: log.clone(),
            fail_after_emit: false,
        };
        Two {
            primary: requirer("db"),
            replica: requirer("replica"),
            log: log.clone(),
            defer_ready: false,
        }
    }
}

impl Charm for Two {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.relation_changed("db", "charm_first", |c, _ctx, _ev| {
            c.log.borrow_mut().push("charm:first".into());
            Ok(())
        });
        on.component("primary", |c: &mut Two| &mut c.primary);
        on.component("replica", |c: &mut Two| &mut c.replica);
        on.relation_changed("db", "charm_last", |c, _ctx, _ev| {
            c.log.borrow_mut().push("charm:last".into());
            Ok(())
        });
        on.custom::<Ready>("primary", "on_primary_ready", |c, _ctx, ev| {
            c.log
                .borrow_mut()
                .push(format!("charm:ready {} from {}", ev.host, ev.emitter()));
            if c.defer_ready {
                ev.defer()?;
            }
            Ok(())
        });
        on.many(
            "on_any_ready",
            [
                EventKind::custom_of::<Ready>("primary"),
                EventKind::custom_of::<Ready>("replica"),
            ],
            |c, _ctx, ev| {
                c.log.borrow_mut().push(format!("charm:many {}", ev.kind()));
                Ok(())
            },
        );
    }
}

fn relation_changed(endpoint: &str) -> JujuContext {
    crate::test_support::env::context(
        &format!("hooks/{endpoint}-relation-changed"),
        &[
            ("JUJU_RELATION", endpoint),
            ("JUJU_RELATION_ID", &format!("{endpoint}:3")),
            ("JUJU_REMOTE_UNIT", "pg/0"),
        ],
    )
}

fn run_two(charm: &mut Two, endpoint: &str, store: &MemoryStore) -> DispatchOutcome {
    let input = DispatchInput::new(relation_changed(endpoint), Arc::new(runner(false)));
    dispatch(charm, input, StoreSpec::Memory(store.clone()))
}

#[test]
fn emitted_events_run_when_the_emitting_handler_returns_in_registration_order() {
    let log = Log::default();
    let store = MemoryStore::default();
    let out = run_two(&mut Two::new(&log), "db", &store);
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(
        *log.borrow(),
        [
            "charm:first",
            "primary:changed#1",
            "primary:emitted",
            // The emitted event's handlers, in registration order, before the next handler.
            "charm:ready primary-host from primary",
            "charm:many primary/ready",
            "charm:last",
        ]
    );
    let names: Vec<&str> = out.calls.iter().map(|c| c.handler.as_str()).collect();
    assert_eq!(
        names,
        [
            "charm_first",
            "primary/on_changed",
            "on_primary_ready",
            "on_any_ready",
            "charm_last"
        ]
    );
    assert_eq!(out.emitted.len(), 1);
    assert_eq!(out.emitted[0].kind(), EventKind::custom("primary", "ready"));
    assert_eq!(
        out.emitted[0].payload,
        serde_json::json!({"host": "primary-host"})
    );
}

#[test]
fn two_instances_keep_their_own_state_and_observe_their_own_endpoint() {
    let log = Log::default();
    let store = MemoryStore::default();
    run_two(&mut Two::new(&log), "db", &store).result.unwrap();
    run_two(&mut Two::new(&log), "db", &store).result.unwrap();
    run_two(&mut Two::new(&log), "replica", &store)
        .result
        .unwrap();
    let states = store.data().components;
    assert_eq!(states["primary"], r#"{"changes":2}"#);
    assert_eq!(states["replica"], r#"{"changes":1}"#);
    // The replica's Ready reaches only the handler that observes the replica.
    let last: Vec<String> = log.borrow().iter().rev().take(3).cloned().collect();
    assert_eq!(
        last,
        [
            "charm:many replica/ready",
            "replica:emitted",
            "replica:changed#1"
        ]
    );
}

#[test]
fn a_deferred_custom_event_is_stored_with_its_payload_and_reemitted_next_dispatch() {
    let log = Log::default();
    let store = MemoryStore::default();
    let mut charm = Two::new(&log);
    charm.defer_ready = true;
    run_two(&mut charm, "db", &store).result.unwrap();
    let queue = store.data().queue;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].handler, "on_primary_ready");
    assert_eq!(queue[0].kind, "custom");
    assert_eq!(queue[0].source.as_deref(), Some("primary/ready"));
    let first_id = queue[0].event_id;

    // The next dispatch (another hook) re-emits it first, with its payload and its id.
    log.borrow_mut().clear();
    let mut charm = Two::new(&log);
    let input = DispatchInput::new(context("hooks/update-status"), Arc::new(runner(false)));
    let out = dispatch(&mut charm, input, StoreSpec::Memory(store.clone()));
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(*log.borrow(), ["charm:ready primary-host from primary"]);
    assert!(out.calls[0].reemitted);
    assert_eq!(out.calls[0].event_id, first_id);
    assert!(store.data().queue.is_empty());
}

#[test]
fn a_failed_hook_rolls_back_the_components_state_and_its_events_effects() {
    let log = Log::default();
    let store = MemoryStore::default();
    run_two(&mut Two::new(&log), "db", &store).result.unwrap();
    let before = store.data();
    let mut charm = Two::new(&log);
    charm.primary.fail_after_emit = true;
    charm.defer_ready = true;
    let out = run_two(&mut charm, "db", &store);
    let e = out.result.unwrap_err().to_string();
    assert!(e.contains("primary/on_changed"), "{e}");
    assert_eq!(store.data(), before, "state, queue and counter as before");
}

#[test]
fn a_removed_librarys_events_in_a_stored_queue_are_dropped_with_a_warning() {
    let log = Log::default();
    let store = MemoryStore::default();
    let mut charm = Two::new(&log);
    charm.defer_ready = true;
    run_two(&mut charm, "db", &store).result.unwrap();
    assert_eq!(store.data().queue.len(), 1);

    // The next revision of the charm no longer has the library.
    struct Without;
    impl Charm for Without {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.update_status("tick", |_, _, _| Ok(()));
        }
    }
    let r = runner(false);
    let input = DispatchInput::new(context("hooks/update-status"), Arc::new(r.clone()));
    let out = dispatch(&mut Without, input, StoreSpec::Memory(store.clone()));
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert!(store.data().queue.is_empty());
    let warnings = logs(&r, "WARNING");
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("dropping deferred primary/ready")),
        "{warnings:?}"
    );
}

/// A charm that emits its own events, one of them not deferrable.
struct Emits;
impl Charm for Emits {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("on_config", |_c, ctx, _ev| {
            ctx.emit(Gone)?;
            Ok(())
        });
        on.many(
            "on_gone",
            [EventKind::custom_of::<Gone>(CHARM_EMITTER)],
            |_c, _ctx, ev| {
                ev.defer()?;
                Ok(())
            },
        );
    }
}

#[test]
fn a_custom_event_declared_not_deferrable_is_refused_at_run_time_by_many() {
    let input = DispatchInput::new(context("hooks/config-changed"), Arc::new(runner(false)));
    let out = dispatch(&mut Emits, input, StoreSpec::Memory(MemoryStore::default()));
    let e = out.result.unwrap_err().to_string();
    assert!(e.contains("charm/gone"), "{e}");
    assert!(e.contains("not deferrable"), "{e}");
}

#[test]
fn bad_component_keys_are_refused_before_any_handler_runs() {
    struct Bad(Requirer, Requirer);
    impl Charm for Bad {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.component("db", |c: &mut Bad| &mut c.0);
            on.component("db", |c: &mut Bad| &mut c.1);
        }
    }
    let log = Log::default();
    let requirer = || Requirer {
        endpoint: "db".into(),
        log: log.clone(),
        fail_after_emit: false,
    };
    let input = DispatchInput::new(relation_changed("db"), Arc::new(runner(false)));
    let out = dispatch(
        &mut Bad(requirer(), requirer()),
        input,
        StoreSpec::Memory(MemoryStore::default()),
    );
    let e = out.result.unwrap_err().to_string();
    assert!(
        e.contains("component key \"db\" is used by two components"),
        "{e}"
    );
    assert!(log.borrow().is_empty());
}
