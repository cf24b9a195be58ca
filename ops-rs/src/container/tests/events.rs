//! Workload events: their container, and data fetched from Pebble only when asked for.

use pebble_client::{CheckInfo, CheckStatus, Notice, ServiceStatus};

use super::dispatch::run_hook;
use super::{LAYER, my_uid, sim_in};
use crate::container::{ContainerError, PebbleOptions};
use crate::framework::{Charm, HandlerResult, Observers};

/// Observes every workload event of `web`; fetches the lazy data when `fetch` is set.
#[derive(Default)]
struct Workload {
    fetch: bool,
    notice: Option<Result<Notice, String>>,
    check: Option<CheckInfo>,
    ready: bool,
}

impl Charm for Workload {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.pebble_ready("web", "on_ready", |c, ctx, ev| -> HandlerResult {
            ev.container(ctx)?.replan()?;
            c.ready = true;
            Ok(())
        });
        on.pebble_custom_notice("web", "on_notice", |c, ctx, ev| -> HandlerResult {
            if c.fetch {
                c.notice = Some(ev.notice(ctx).map_err(|e: ContainerError| e.to_string()));
            }
            Ok(())
        });
        on.pebble_check_failed("web", "on_failed", |c, ctx, ev| -> HandlerResult {
            if c.fetch {
                c.check = Some(ev.info(ctx)?);
            }
            Ok(())
        });
        on.pebble_check_recovered("web", "on_recovered", |c, ctx, ev| -> HandlerResult {
            c.check = Some(ev.info(ctx)?);
            Ok(())
        });
    }
}

fn notice_env<'a>(id: &'a str, key: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("JUJU_WORKLOAD_NAME", "web"),
        ("JUJU_NOTICE_ID", id),
        ("JUJU_NOTICE_TYPE", "custom"),
        ("JUJU_NOTICE_KEY", key),
    ]
}

#[test]
fn pebble_ready_gives_the_container() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    let mut charm = Workload::default();
    let env = [("JUJU_WORKLOAD_NAME", "web")];
    let (out, _r, _s) = run_hook(
        &mut charm,
        dir.path(),
        "web-pebble-ready",
        &env,
        true,
        PebbleOptions::default(),
    );
    out.result.unwrap();
    assert!(charm.ready);
    let web = sim
        .services()
        .into_iter()
        .find(|s| s.name == "web")
        .unwrap();
    assert_eq!(web.current, ServiceStatus::Active);
}

#[test]
fn the_notice_is_fetched_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let id = sim
        .notify(my_uid(&sim), "example.com/ready", &[("port", "80")], None)
        .unwrap();
    let env = notice_env(&id, "example.com/ready");

    let mut lazy = Workload::default();
    let hook = "web-pebble-custom-notice";
    let (out, _r, _s) = run_hook(&mut lazy, dir.path(), hook, &env, true, Default::default());
    out.result.unwrap();
    assert!(lazy.notice.is_none());
    assert_eq!(sim.total_requests(), 0, "nothing asked, nothing fetched");
    assert_eq!(sim.connections(), 0);

    let mut eager = Workload {
        fetch: true,
        ..Workload::default()
    };
    let (out, _r, _s) = run_hook(&mut eager, dir.path(), hook, &env, true, Default::default());
    out.result.unwrap();
    let notice = eager.notice.unwrap().unwrap();
    assert_eq!(notice.id.as_str(), id);
    assert_eq!(notice.last_data.get("port").map(String::as_str), Some("80"));
    assert_eq!(sim.requests(&format!("/v1/notices/{id}")), 1);
}

#[test]
fn a_notice_that_is_not_the_announced_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let id = sim
        .notify(my_uid(&sim), "example.com/ready", &[], None)
        .unwrap();
    let hook = "web-pebble-custom-notice";
    let mut charm = Workload {
        fetch: true,
        ..Workload::default()
    };
    let env = notice_env(&id, "example.com/other");
    run_hook(&mut charm, dir.path(), hook, &env, true, Default::default())
        .0
        .result
        .unwrap();
    let e = charm.notice.unwrap().unwrap_err();
    assert!(
        e.contains("but the event announced custom \"example.com/other\""),
        "{e}"
    );

    let mut charm = Workload {
        fetch: true,
        ..Workload::default()
    };
    let env = notice_env("999", "example.com/ready");
    run_hook(&mut charm, dir.path(), hook, &env, true, Default::default())
        .0
        .result
        .unwrap();
    let e = charm.notice.unwrap().unwrap_err();
    assert!(
        e.starts_with("notice \"999\" not found in container web"),
        "{e}"
    );
}

#[test]
fn check_events_read_the_check_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.add_layer("base", LAYER).unwrap();
    sim.fail_check("up", "connection refused").unwrap();
    let env = [
        ("JUJU_WORKLOAD_NAME", "web"),
        ("JUJU_PEBBLE_CHECK_NAME", "up"),
    ];
    let mut lazy = Workload::default();
    let hook = "web-pebble-check-failed";
    run_hook(&mut lazy, dir.path(), hook, &env, true, Default::default())
        .0
        .result
        .unwrap();
    assert!(lazy.check.is_none());
    assert_eq!(sim.total_requests(), 0);

    let mut eager = Workload {
        fetch: true,
        ..Workload::default()
    };
    run_hook(&mut eager, dir.path(), hook, &env, true, Default::default())
        .0
        .result
        .unwrap();
    let info = eager.check.unwrap();
    assert_eq!(
        (info.name.as_str(), &info.status),
        ("up", &CheckStatus::Down)
    );
    assert_eq!(sim.requests("/v1/checks"), 1);

    sim.recover_check("up").unwrap();
    let mut charm = Workload::default();
    run_hook(
        &mut charm,
        dir.path(),
        "web-pebble-check-recovered",
        &env,
        true,
        Default::default(),
    )
    .0
    .result
    .unwrap();
    assert_eq!(charm.check.unwrap().status, CheckStatus::Up);

    // A check gone from the plan fails the handler with a clear error.
    let env = [
        ("JUJU_WORKLOAD_NAME", "web"),
        ("JUJU_PEBBLE_CHECK_NAME", "gone"),
    ];
    let out = run_hook(
        &mut Workload::default(),
        dir.path(),
        "web-pebble-check-recovered",
        &env,
        true,
        Default::default(),
    )
    .0;
    let e = out.result.unwrap_err().to_string();
    assert!(
        e.contains("check \"gone\" not found in container web"),
        "{e}"
    );
}
