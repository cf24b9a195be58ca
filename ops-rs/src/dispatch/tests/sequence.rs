//! The sequence of a dispatch: the order of its steps, what each event carries, unknown
//! and restricted events, what `Ctx` and the model know of the hook.

use super::*;

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

/// Juju runs workload hooks only for containers the charm declares: one for another container
/// is refused before anything runs, naming the variable.
#[test]
fn a_workload_hook_for_an_undeclared_container_is_refused() {
    let meta = CharmMeta::from_charmcraft_yaml("name: web\ncontainers:\n  web: {resource: img}\n")
        .unwrap();
    let store = MemoryStore::default();
    for (container, ok) in [("web", true), ("db", false)] {
        let path = format!("hooks/{container}-pebble-ready");
        let context =
            crate::test_support::env::context(&path, &[("JUJU_WORKLOAD_NAME", container)]);
        let r = runner(false);
        let input = DispatchInput::new(context, Arc::new(r.clone())).meta(Arc::new(meta.clone()));
        let out = dispatch(&mut T::default(), input, StoreSpec::Memory(store.clone()));
        assert_eq!(out.result.is_ok(), ok, "{container}: {:?}", out.result);
        if !ok {
            let message = out.result.unwrap_err().to_string();
            assert!(message.contains("JUJU_WORKLOAD_NAME"), "{message}");
            assert!(message.contains("declares"), "{message}");
            assert!(tools(&r).is_empty(), "nothing ran: {:?}", tools(&r));
        }
    }
}

/// The model is told the Juju version and, for a charm with containers, that it is on
/// Kubernetes; a `JUJU_VERSION` that is none is refused with the context, naming the
/// variable.
#[test]
fn the_model_knows_the_juju_version_and_the_model_type() {
    struct Probe(Vec<String>);
    impl Charm for Probe {
        type Stored = ();
        fn observe(on: &mut Observers<Self>) {
            on.install("probe", |c, ctx, _| {
                c.0.push(format!(
                    "{} {:?}",
                    ctx.model().juju_version(),
                    ctx.model().model_type()
                ));
                Ok(())
            });
        }
    }
    let try_vars = |version: &'static str| {
        JujuContext::from_vars([
            ("JUJU_DISPATCH_PATH", "hooks/install"),
            ("JUJU_HOOK_NAME", "install"),
            ("JUJU_UNIT_NAME", "web/0"),
            ("JUJU_MODEL_NAME", "m"),
            ("JUJU_MODEL_UUID", "u"),
            ("JUJU_VERSION", version),
            ("JUJU_CHARM_DIR", "/charm"),
        ])
    };
    let vars = |version| try_vars(version).unwrap();
    let sidecar = Arc::new(
        crate::metadata::CharmMeta::from_charmcraft_yaml(
            "name: web\ncontainers:\n  web:\n    resource: img\nresources:\n  img:\n    type: oci-image\n",
        )
        .unwrap(),
    );
    let mut p = Probe(Vec::new());
    let input = DispatchInput::new(vars("3.5.4"), Arc::new(runner(false))).meta(sidecar);
    let out = dispatch(&mut p, input, StoreSpec::Memory(MemoryStore::default()));
    assert!(out.result.is_ok(), "{:?}", out.result);
    let input = DispatchInput::new(vars("3.6-beta2"), Arc::new(runner(false)));
    dispatch(&mut p, input, StoreSpec::Memory(MemoryStore::default()));
    let input = DispatchInput::new(vars("3.6.4"), Arc::new(runner(false)))
        .model_type(crate::model::ModelType::Kubernetes);
    dispatch(&mut p, input, StoreSpec::Memory(MemoryStore::default()));
    assert_eq!(
        p.0,
        [
            "3.5.4 Some(Kubernetes)",
            "3.6-beta2 None",
            "3.6.4 Some(Kubernetes)"
        ]
    );

    let e = try_vars("3.six").unwrap_err().to_string();
    assert!(
        e.contains("JUJU_VERSION=\"3.six\"") && e.contains("3.6.4 or 3.6-beta2"),
        "{e}"
    );
}

#[test]
fn the_root_trace_id_is_logged_as_python_ops_logs_it_after_the_queue() {
    let store = MemoryStore::default();
    run(&mut deferring(&["on_start"]), "hooks/start", &store);
    let r = runner(false);
    let input = DispatchInput::new(context("hooks/config-changed"), Arc::new(r.clone()))
        .trace_id(Some("004BF92F3577B34DA6A3CE929D0E0E47".to_owned()));
    let out = dispatch(&mut T::default(), input, StoreSpec::Memory(store.clone()));
    assert!(out.result.is_ok());
    let debug = logs(&r, "DEBUG");
    let at = |needle: &str| debug.iter().position(|l| l.contains(needle));
    let trace = at("Starting root trace").expect("the trace id line");
    assert_eq!(
        debug[trace],
        "Starting root trace with id='4bf92f3577b34da6a3ce929d0e0e47'."
    );
    // After the deferred queue, right after the line naming the Juju event.
    assert_eq!(at("emitting config-changed"), Some(trace - 1));
    assert!(at("re-emitting").is_some_and(|q| q < trace), "{debug:#?}");

    // Without a trace, no such line.
    let (_, r) = run(&mut T::default(), "hooks/config-changed", &store);
    assert!(!logs(&r, "DEBUG").iter().any(|l| l.contains("root trace")));
}
