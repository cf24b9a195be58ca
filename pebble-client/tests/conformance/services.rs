//! Services with real processes: start, stop, restart, autostart, replan, their status and
//! start failures.

use std::time::Duration;

use pebble_client::{ChangeStatus, Error, ServiceStartup, ServiceStatus};

use crate::fixture::{Pebble, service_layer};

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        start_stop_restart,
        startup_defaults_to_disabled,
        autostart_and_replan,
        replan_restarts_a_changed_service,
        a_failed_start_carries_the_output,
        autostart_without_default_services,
        unknown_service,
        names_are_required,
    ]
}

const CHANGE: Duration = Duration::from_secs(30);

async fn start_stop_restart(p: &Pebble) {
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let client = p.client();
    let change = client.start_services(&["svc"]).await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    assert_eq!(done.kind, "start");
    assert_eq!(done.summary, "Start service \"svc\"");
    assert_eq!(done.tasks.len(), 1);
    assert_eq!(done.tasks[0].kind, "start");
    let info = client.get_services(&["svc"]).await.unwrap();
    assert_eq!(info[0].current, ServiceStatus::Active);
    assert!(info[0].current_since.is_some());

    let change = client.restart_services(&["svc"]).await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    assert_eq!(done.kind, "restart");
    let kinds: Vec<&str> = done.tasks.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["stop", "start"]);

    let change = client.stop_services(&["svc"]).await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    assert_eq!(done.summary, "Stop service \"svc\"");
    assert_eq!(
        client.get_services(&["svc"]).await.unwrap()[0].current,
        ServiceStatus::Inactive
    );
    // Starting twice is not an error; stopping a stopped service neither.
    let change = client.stop_services(&["svc"]).await.unwrap();
    client.wait_change_ok(&change, CHANGE).await.unwrap();
}

/// A service whose layer says nothing of `startup` is reported `disabled`.
async fn startup_defaults_to_disabled(p: &Pebble) {
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let info = p.client().get_services(&[]).await.unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].name, "svc");
    assert_eq!(info[0].startup, ServiceStartup::Disabled);
    assert_eq!(info[0].current, ServiceStatus::Inactive);
    assert!(info[0].current_since.is_none());
}

async fn autostart_and_replan(p: &Pebble) {
    // With no service, replan has nothing to do and its change is done at once.
    let client = p.client();
    let change = client.replan_services().await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    assert_eq!(done.summary, "Replan - no services");
    assert!(done.tasks.is_empty());
    let mut yaml = service_layer("on", "sleep 1000", &["startup: enabled"]);
    yaml.push_str(&service_layer("off", "sleep 1000", &[])["services:\n".len()..]);
    p.layer("base", &yaml).await;
    let change = client.autostart_services().await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    assert_eq!(done.kind, "autostart");
    let info = client.get_services(&[]).await.unwrap();
    let status = |n: &str| info.iter().find(|s| s.name == n).unwrap().current.clone();
    assert_eq!(status("on"), ServiceStatus::Active);
    assert_eq!(status("off"), ServiceStatus::Inactive);
    // Nothing changed: replan still starts every enabled service (a no-op for one running).
    let change = client.replan_services().await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    assert_eq!(done.kind, "replan");
    assert_eq!(done.summary, "Replan service \"on\"");
    let kinds: Vec<&str> = done.tasks.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["start"]);
    assert_eq!(
        client.get_services(&["on"]).await.unwrap()[0].current_since,
        info.iter().find(|s| s.name == "on").unwrap().current_since
    );
}

async fn replan_restarts_a_changed_service(p: &Pebble) {
    p.layer(
        "base",
        &service_layer("svc", "sleep 1000", &["startup: enabled"]),
    )
    .await;
    let client = p.client();
    let change = client.replan_services().await.unwrap();
    client.wait_change_ok(&change, CHANGE).await.unwrap();
    let before = client.get_services(&["svc"]).await.unwrap()[0].current_since;
    client
        .add_layer_yaml(
            "more",
            "services:\n  svc:\n    override: merge\n    environment:\n      X: \"1\"\n",
            false,
        )
        .await
        .unwrap();
    let change = client.replan_services().await.unwrap();
    let done = client.wait_change_ok(&change, CHANGE).await.unwrap();
    let kinds: Vec<&str> = done.tasks.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["stop", "start"]);
    let after = client.get_services(&["svc"]).await.unwrap();
    assert_eq!(after[0].current, ServiceStatus::Active);
    assert_ne!(after[0].current_since, before);
}

/// A service that exits within Pebble's okay delay fails its start; the change error and the
/// task log carry Pebble's wording and the service's last output.
async fn a_failed_start_carries_the_output(p: &Pebble) {
    p.layer(
        "base",
        &service_layer("bad", "echo about to fail; echo oops >&2; exit 3", &[]),
    )
    .await;
    let client = p.client();
    let change = client.start_services(&["bad"]).await.unwrap();
    let err = client.wait_change_ok(&change, CHANGE).await.unwrap_err();
    let Error::Change(e) = &err else {
        panic!("not a change error: {err}")
    };
    assert_eq!(e.change.status, ChangeStatus::Error);
    assert_eq!(
        e.change.err.as_deref(),
        Some(
            "cannot perform the following tasks:\n- Start service \"bad\" (service start attempt: exited quickly with code 3, will restart)"
        )
    );
    let log = &e.change.tasks[0].log;
    assert_eq!(log.len(), 2, "{log:?}");
    let message = |l: &str| l.split_once(' ').map(|(_, m)| m.to_owned()).unwrap();
    let first = message(&log[0]);
    assert!(
        first == "INFO Most recent service output:\n    about to fail\n    oops"
            || first == "INFO Most recent service output:\n    oops\n    about to fail",
        "{first:?}"
    );
    assert_eq!(
        message(&log[1]),
        "ERROR service start attempt: exited quickly with code 3, will restart"
    );
    // The error the caller sees has the output too.
    let text = err.to_string();
    assert!(
        text.contains("exited quickly with code 3") && text.contains("about to fail"),
        "{text}"
    );
    // on-failure restart: it backs off and tries again.
    p.until_service("bad", ServiceStatus::Backoff).await;
    let change = client.stop_services(&["bad"]).await.unwrap();
    client.wait_change_ok(&change, CHANGE).await.unwrap();
}

async fn autostart_without_default_services(p: &Pebble) {
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let err = p.client().autostart_services().await.unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(err.api_kind(), Some("no-default-services"));
    assert_eq!(err.api().unwrap().message, "no default services");
}

async fn unknown_service(p: &Pebble) {
    let client = p.client();
    let err = client.start_services(&["nope"]).await.unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "cannot start services: service \"nope\" does not exist"
    );
    let err = client.stop_services(&["nope"]).await.unwrap_err();
    assert_eq!(
        err.api().unwrap().message,
        "cannot stop services: service \"nope\" does not exist"
    );
}

/// The client refuses what Pebble would refuse, before sending.
async fn names_are_required(p: &Pebble) {
    let err = p.client().start_services(&[]).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
}
