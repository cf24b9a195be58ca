//! Containers in the state-transition API, through the charm's real `ContainerState`: layers,
//! services, files and notices against the simulated Pebble, read back into the output
//! state and carried across runs; Pebble faults; deferral round trips with containers.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ops::container::{PebbleOptions, PushOptions, RetryPolicy, ServiceStatus};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::{ContainerState, Context, NoticeState, PebbleFault, RunError, State};
use serde_json::json;

const META: &str = r#"
name: web
containers:
  web:
    resource: img
resources:
  img:
    type: oci-image
config:
  options:
    port: {type: int, default: 80}
    defer-notices: {type: boolean, default: false}
actions:
  show-config: {}
"#;

const LAYER: &str = "services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\nchecks:\n  alive:\n    override: replace\n    level: alive\n    tcp:\n      port: 80\n";

#[derive(Default, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Seen {
    #[serde(default)]
    configured: u32,
    #[serde(default)]
    waiting: bool,
    #[serde(default)]
    notices: Vec<String>,
}

#[derive(Default)]
struct Web;

impl Charm for Web {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.pebble_ready("web", "configure", |c, ctx, ev| {
            if !c.configure(ctx)? {
                ev.defer()?;
            }
            Ok(())
        });
        on.config_changed("configure", |c, ctx, ev| {
            if !c.configure(ctx)? {
                ev.defer()?;
            }
            Ok(())
        });
        on.pebble_custom_notice("web", "on_notice", Self::on_notice);
        on.action("show-config", "show", |_c, ctx, _ev| {
            let text = ctx.container("web")?.pull_string("/etc/web.conf")?;
            ctx.model().action_set_results(&json!({"config": text}))?;
            Ok(())
        });
        on.collect_unit_status("collect", |_c, ctx, _ev| {
            let s = if ctx.stored().waiting {
                Status::waiting("waiting for Pebble")
            } else {
                Status::active("")
            };
            ctx.add_unit_status(s)?;
            Ok(())
        });
    }
}

impl Web {
    /// Writes the config, adds the layer, replans; `false` (defer) while Pebble is
    /// unreachable.
    fn configure(&mut self, ctx: &mut Ctx<Self>) -> Result<bool, ops::framework::HandlerError> {
        let port = ctx.model().config_value("port")?.unwrap_or(json!(80));
        let web = ctx.container("web")?;
        let done = web
            .push(
                "/etc/web.conf",
                format!("port={port}\n"),
                &PushOptions::new().make_dirs(true),
            )
            .and_then(|()| web.add_layer_yaml("web", LAYER, true))
            .and_then(|()| web.replan());
        match done {
            Err(e) if e.is_unreachable() => {
                ctx.stored_mut().waiting = true;
                Ok(false)
            }
            r => {
                r?;
                ctx.stored_mut().waiting = false;
                ctx.stored_mut().configured += 1;
                Ok(true)
            }
        }
    }

    /// Records the notice; fetches it from Pebble only for `example.com/fetch-*` keys.
    fn on_notice(&mut self, ctx: &mut Ctx<Self>, ev: &mut PebbleCustomNotice) -> HandlerResult {
        if ctx.model().config_value("defer-notices")? == Some(json!(true)) {
            ev.defer()?;
            return Ok(());
        }
        let line = if ev.notice_key.starts_with("example.com/fetch") {
            let n = ev.notice(ctx)?;
            let data: Vec<String> = n
                .last_data
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{}#{} x{} {}", n.key, n.id, n.occurrences, data.join(","))
        } else {
            format!("{}#{}", ev.notice_key, ev.notice_id)
        };
        ctx.stored_mut().notices.push(line);
        Ok(())
    }
}

fn ctx() -> Context<Web> {
    Context::new(CharmMeta::from_charmcraft_yaml(META).unwrap())
}

/// The `juju-log` messages about Pebble retries.
fn retries(log: &[&str]) -> Vec<String> {
    log.iter()
        .filter(|l| l.contains("Pebble call"))
        .map(|l| (*l).to_owned())
        .collect()
}

#[test]
fn the_charms_container_calls_reach_the_sim_and_the_output_state() {
    let ctx = ctx();
    let out = ctx
        .run(
            ctx.on.pebble_ready("web"),
            &State::new().container(ContainerState::new("web")),
        )
        .unwrap();
    let web = &out.state.containers["web"];
    assert_eq!(web.layers.len(), 1);
    assert_eq!(web.layers[0].0, "web");
    assert!(web.plan.services.contains_key("web"));
    assert_eq!(web.service("web").unwrap().current, ServiceStatus::Active);
    assert_eq!(web.file_text("/etc/web.conf").as_deref(), Some("port=80\n"));
    assert_eq!(web.checks[0].name, "alive");
    assert_eq!(out.state.juju.unit_status, Status::active(""));

    // The next run starts from that: the service still runs, the layer is there once.
    let next = out.state.clone().config("port", 8080);
    let out2 = ctx.run(ctx.on.config_changed(), &next).unwrap();
    let web = &out2.state.containers["web"];
    assert_eq!(
        web.file_text("/etc/web.conf").as_deref(),
        Some("port=8080\n")
    );
    assert_eq!(web.service("web").unwrap().current, ServiceStatus::Active);
    assert_eq!(web.layers.len(), 1);
    assert_eq!(out2.state.stored_as::<Seen>().unwrap().configured, 2);

    // An action pulls the file the charm pushed in an earlier run.
    let shown = ctx
        .run(ctx.on.action("show-config", json!({})), &out2.state)
        .unwrap();
    assert_eq!(shown.action.unwrap().results["config"], "port=8080\n");
}

#[test]
fn notices_are_fetched_only_when_the_handler_asks() {
    let ctx = ctx();
    let web = ContainerState::new("web")
        .notice(NoticeState::custom("example.com/lazy"))
        .notice(
            NoticeState::custom("example.com/fetch-me")
                .data([("stage", "2")])
                .occurrences(3),
        )
        // Every notice fetch fails: a handler that does not fetch never sees it.
        .pebble_fault(PebbleFault::error(500, "notices are broken").path("/v1/notices/1"))
        .pebble_fault(PebbleFault::error(500, "notices are broken").path("/v1/notices/2"));
    let state = State::new().container(web);
    let lazy = ctx
        .run(
            ctx.on.pebble_custom_notice("web", "example.com/lazy"),
            &state,
        )
        .unwrap();
    assert_eq!(
        lazy.state.stored_as::<Seen>().unwrap().notices,
        ["example.com/lazy#1"]
    );
    let err = ctx
        .run(
            ctx.on.pebble_custom_notice("web", "example.com/fetch-me"),
            &state,
        )
        .unwrap_err();
    assert!(err.to_string().contains("notices are broken"), "{err}");

    // Without the fault, the handler gets the whole notice.
    let mut ok = state.clone();
    ok.containers.get_mut("web").unwrap().faults.clear();
    let out = ctx
        .run(
            ctx.on.pebble_custom_notice("web", "example.com/fetch-me"),
            &ok,
        )
        .unwrap();
    assert_eq!(
        out.state.stored_as::<Seen>().unwrap().notices,
        ["example.com/fetch-me#2 x3 stage=2"]
    );
    // Faults are for one run only.
    assert!(out.state.containers["web"].faults.is_empty());
}

#[test]
fn notice_ids_are_stable_so_a_deferred_notice_finds_its_notice() {
    let ctx = ctx();
    let web = ContainerState::new("web")
        .layer("base", LAYER)
        .unwrap()
        .notice(NoticeState::custom("example.com/first"))
        .notice(NoticeState::custom("example.com/fetch-later").data([("n", "1")]));
    let state = State::new().container(web).config("defer-notices", true);
    let first = ctx
        .run(
            ctx.on
                .pebble_custom_notice("web", "example.com/fetch-later"),
            &state,
        )
        .unwrap();
    assert_eq!(first.state.deferred_names()[0].0, "on_notice");
    assert!(first.state.deferred[0].data.contains("\"2\""));
    let ids: Vec<_> = first.state.containers["web"]
        .notices
        .iter()
        .map(|n| n.id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2"]);

    // The first notice expires; a new one arrives. Ids do not move.
    let mut next = first.state.clone().config("defer-notices", false);
    let mut web = next.containers.remove("web").unwrap();
    web.notices.remove(0);
    web = web.notice(NoticeState::custom("example.com/new"));
    assert_eq!(web.notices[1].id.as_deref(), Some("3"));
    next = next.container(web);
    let second = ctx.run(ctx.on.update_status(), &next).unwrap();
    assert!(second.handler_calls[0].reemitted);
    assert_eq!(
        second.state.stored_as::<Seen>().unwrap().notices,
        ["example.com/fetch-later#2 x1 n=1"]
    );
    assert!(second.state.deferred.is_empty());
    let ids: Vec<_> = second.state.containers["web"]
        .notices
        .iter()
        .map(|n| (n.key.clone(), n.id.clone().unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("example.com/fetch-later".to_owned(), "2".to_owned()),
            ("example.com/new".to_owned(), "3".to_owned())
        ]
    );
}

#[test]
fn a_test_built_deferred_notice_refers_to_the_right_notice() {
    let ctx = ctx();
    let web = ContainerState::new("web")
        .notice(NoticeState::custom("example.com/a"))
        .notice(NoticeState::custom("example.com/fetch-b").data([("x", "y")]));
    let state = State::new().container(web);
    let ev = ctx.on.pebble_custom_notice("web", "example.com/fetch-b");
    let entry = ctx.deferred_in(&ev, "on_notice", &state).unwrap();
    // The same entry, built without the state from the notice's id.
    let id = state.containers["web"]
        .notice_by_key("example.com/fetch-b")
        .unwrap()
        .id
        .clone();
    let again = ctx
        .deferred(&ev.clone().notice_id(&id.unwrap()), "on_notice")
        .unwrap();
    assert_eq!(entry, again);
    let out = ctx
        .run(ctx.on.update_status(), &state.defer(entry))
        .unwrap();
    assert_eq!(
        out.state.stored_as::<Seen>().unwrap().notices,
        ["example.com/fetch-b#2 x1 x=y"]
    );
}

#[test]
fn event_counter_and_queue_order_round_trip_with_containers() {
    let ctx = ctx();
    let state = State::new()
        .container(ContainerState::new("web").notice(NoticeState::custom("example.com/fetch-n")))
        .config("defer-notices", true)
        .pebble_fault("web", PebbleFault::unreachable());
    // Deferred: config-changed (Pebble unreachable) ...
    let one = ctx.run(ctx.on.config_changed(), &state).unwrap();
    // Pebble is up again but still closes every file request: config-changed stays deferred.
    let mut s = one.state.clone();
    s.containers.get_mut("web").unwrap().can_connect = true;
    let s = s.pebble_fault("web", PebbleFault::refuses(100).path("/v1/files"));
    let two = ctx
        .run(
            ctx.on.pebble_custom_notice("web", "example.com/fetch-n"),
            &s,
        )
        .unwrap();
    // ... then the notice (its handler defers), behind it in the queue.
    let names: Vec<String> = two
        .state
        .deferred_names()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(names, ["config-changed", "web-pebble-custom-notice"]);
    let ids: Vec<u64> = two.state.deferred.iter().map(|e| e.event_id).collect();
    assert!(ids[0] < ids[1]);
    assert!(two.state.event_counter > one.state.event_counter);
    // Both re-run in queue order and complete.
    let three = ctx
        .run(
            ctx.on.update_status(),
            &two.state.clone().config("defer-notices", false),
        )
        .unwrap();
    let handlers: Vec<_> = three
        .handler_calls
        .iter()
        .filter(|c| c.reemitted)
        .map(|c| c.handler.as_str())
        .collect();
    assert_eq!(handlers, ["configure", "on_notice"]);
    assert!(three.state.deferred.is_empty());
    assert!(three.state.event_counter > two.state.event_counter);
    assert_eq!(three.state.juju.unit_status, Status::active(""));
}

#[test]
fn failing_check_messages_and_forced_statuses_round_trip() {
    let ctx = ctx();
    let web = ContainerState::new("web")
        .layer("base", LAYER)
        .unwrap()
        .failing_check("alive", "connection refused on port 80")
        .service_status("web", ServiceStatus::Error);
    let mut state = State::new().container(web);
    for _ in 0..2 {
        let out = ctx.run(ctx.on.update_status(), &state).unwrap();
        let web = &out.state.containers["web"];
        assert_eq!(web.failing_checks["alive"], "connection refused on port 80");
        assert_eq!(web.checks[0].status, ops::container::CheckStatus::Down);
        assert_eq!(web.service("web").unwrap().current, ServiceStatus::Error);
        assert_eq!(web.service_statuses["web"], ServiceStatus::Error);
        state = out.state;
    }
}

#[test]
fn an_outage_within_the_retry_budget_is_absorbed_and_logged() {
    let ctx = ctx();
    let state = State::new()
        .container(ContainerState::new("web"))
        .pebble_fault("web", PebbleFault::refuses(2).path("/v1/files"));
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        out.state.containers["web"]
            .file_text("/etc/web.conf")
            .as_deref(),
        Some("port=80\n")
    );
    assert!(out.state.deferred.is_empty());
    assert_eq!(out.state.juju.unit_status, Status::active(""));
    let lines = retries(&out.log_messages());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains("call=push attempt=1"), "{}", lines[0]);
}

#[test]
fn an_outage_beyond_the_budget_is_unreachable_then_the_deferred_event_completes() {
    let ctx = ctx().pebble(PebbleOptions::default().retry(RetryPolicy::default().max_attempts(3)));
    // Pebble closes more connections than the budget allows ...
    let state = State::new()
        .container(ContainerState::new("web"))
        .pebble_fault("web", PebbleFault::refuses(5));
    let first = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(
        first.state.juju.unit_status,
        Status::waiting("waiting for Pebble")
    );
    assert_eq!(first.state.deferred_names()[0].1, "config-changed");
    let lines = retries(&first.log_messages());
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("giving up on Pebble call call=push attempts=3")
    );
    // ... or is not there at all.
    let gone = state
        .clone()
        .pebble_fault("web", PebbleFault::unreachable());
    let out = ctx.run(ctx.on.config_changed(), &gone).unwrap();
    assert_eq!(out.state.deferred.len(), 1);
    // Next hook, Pebble is back: the deferred event re-runs first and completes.
    let second = ctx.run(ctx.on.update_status(), &first.state).unwrap();
    assert!(second.handler_calls[0].reemitted);
    assert!(second.state.deferred.is_empty());
    assert_eq!(second.state.juju.unit_status, Status::active(""));
    assert_eq!(
        second.state.containers["web"]
            .file_text("/etc/web.conf")
            .as_deref(),
        Some("port=80\n")
    );
}

#[test]
fn an_error_answer_reaches_the_charm_with_status_kind_and_message() {
    let ctx = ctx();
    let state = State::new()
        .container(ContainerState::new("web"))
        .pebble_fault(
            "web",
            PebbleFault::error(400, "cannot write: disk full")
                .kind("generic-file-error")
                .path("/v1/files")
                .times(1),
        );
    let err = ctx.run(ctx.on.config_changed(), &state).unwrap_err();
    let RunError::Dispatch { error, juju_log } = &err else {
        panic!("{err}")
    };
    let chain = format!("{error:?}");
    assert!(chain.contains("disk full"), "{chain}");
    assert!(chain.contains("400"), "{chain}");
    assert!(chain.contains("generic-file-error"), "{chain}");
    assert!(juju_log.iter().all(|l| !l.message.contains("retrying")));
}
