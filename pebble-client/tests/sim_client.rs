//! The real client (async and blocking) against the simulated Pebble: endpoints, validation
//! errors, long polls, services state machine, and every fault kind with retry counting.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pebble_client::testing::{Fault, FaultRule, Garbage, SimPebble};
use pebble_client::{
    AddNotice, ChangeStatus, Client, Error, ListFilesOptions, NoticeType, NoticesQuery,
    PushOptions, RemoveOptions, ServiceStatus, retry::RetryPolicy,
};

const LAYER: &str = "services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n  db:\n    override: replace\n    command: /bin/db\nchecks:\n  up:\n    override: replace\n    level: alive\n    tcp:\n      port: 80\n";

fn sim() -> (tempfile::TempDir, SimPebble) {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    (dir, sim)
}

fn client(sim: &SimPebble) -> Client {
    Client::builder(sim.socket_path())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn system_info_boot_id_is_stable() {
    let (_d, sim) = sim();
    let c = client(&sim);
    let info = c.system_info().await.unwrap();
    assert_eq!(info.boot_id, sim.boot_id());
    assert_eq!(c.system_info().await.unwrap().boot_id, info.boot_id);
}

#[tokio::test]
async fn services_run_through_changes() {
    let (_d, sim) = sim();
    sim.add_layer("base", LAYER).unwrap();
    let c = client(&sim);
    let id = c.autostart_services().await.unwrap();
    let ch = c.wait_change(&id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ch.status, ChangeStatus::Done);
    assert_eq!(ch.summary, "Autostart service \"web\"");
    let svcs = c.get_services(&[]).await.unwrap();
    assert_eq!(svcs[1].name, "web");
    assert_eq!(svcs[1].current, ServiceStatus::Active);
    assert_eq!(svcs[0].current, ServiceStatus::Inactive);

    sim.fail_next_start("db", "exited quickly with code 1");
    let id = c.start_services(&["db"]).await.unwrap();
    let err = c
        .wait_change_ok(&id, Duration::from_secs(5))
        .await
        .unwrap_err();
    let ch = err.change().expect("a change error");
    assert_eq!(ch.status, ChangeStatus::Error);
    assert_eq!(
        ch.err.as_deref(),
        Some(
            "cannot perform the following tasks:\n- Start service \"db\" (service start attempt: exited quickly with code 1)"
        )
    );

    let id = c.replan_services().await.unwrap();
    let ch = c.wait_change(&id, Duration::from_secs(5)).await.unwrap();
    // As Pebble: every enabled service gets a start task, a no-op for one running.
    assert_eq!(ch.summary, "Replan service \"web\"");
    assert_eq!(ch.status, ChangeStatus::Done);

    let err = c.start_services(&["nope"]).await.unwrap_err();
    assert_eq!(err.api_status(), Some(400));
    assert_eq!(
        err.api().unwrap().message,
        "cannot start services: service \"nope\" does not exist"
    );
}

#[tokio::test]
async fn autostart_without_default_services() {
    let (_d, sim) = sim();
    let err = client(&sim).autostart_services().await.unwrap_err();
    assert_eq!(err.api_kind(), Some("no-default-services"));
}

#[tokio::test]
async fn layers_combine_and_conflict() {
    let (_d, sim) = sim();
    let c = client(&sim);
    c.add_layer_yaml("base", LAYER, false).await.unwrap();
    let err = c.add_layer_yaml("base", LAYER, false).await.unwrap_err();
    assert_eq!(err.api().unwrap().message, "layer \"base\" already exists");
    c.add_layer_yaml(
        "base",
        "services:\n  web:\n    override: merge\n    environment:\n      K: V\n",
        true,
    )
    .await
    .unwrap();
    let plan = c.get_plan().await.unwrap();
    assert_eq!(plan.services["web"].environment["K"], "V");
    assert_eq!(sim.layer_labels(), vec!["base"]);
}

#[tokio::test]
async fn permissions_that_are_not_a_mode_are_refused_before_sending() {
    let (_d, sim) = sim();
    let c = client(&sim);
    let err = c
        .push("/f", "x", &PushOptions::new().permissions(0o4755))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { message } if message.contains("0o4755")),
        "{err}"
    );
    let err = c
        .make_dir(
            "/d",
            &pebble_client::MakeDirOptions::new().permissions(0o1000),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    assert_eq!(sim.requests("/v1/files"), 0, "nothing reached Pebble");
    assert!(sim.host_path("/f").is_ok_and(|p| !p.exists()));
}

/// The idempotency table's two rows for `POST /v1/layers`: combining is repeated after a
/// reset that came after sending (`combine-layer`), adding is not (`add-layer`).
#[tokio::test]
async fn add_layer_is_retried_after_send_only_when_combining() {
    let (_d, sim) = sim();
    let c = client(&sim);
    sim.inject(FaultRule::new(Fault::Reset).path("/v1/layers").times(1));
    c.add_layer_yaml("base", LAYER, true).await.unwrap();
    assert_eq!(sim.requests("/v1/layers"), 2, "combine: retried once");

    sim.inject(FaultRule::new(Fault::Reset).path("/v1/layers").times(1));
    let err = c.add_layer_yaml("extra", LAYER, false).await.unwrap_err();
    assert!(
        matches!(err, Error::ConnectionReset { sent: true, .. }),
        "{err}"
    );
    assert_eq!(sim.requests("/v1/layers"), 3, "add: not repeated");
}

#[tokio::test]
async fn files_round_trip_with_per_path_errors() {
    let (_d, sim) = sim();
    let c = client(&sim);
    c.push(
        "/etc/app/a.conf",
        "hello",
        &PushOptions::new().make_dirs(true).permissions(0o600),
    )
    .await
    .unwrap();
    assert!(sim.host_path("/etc/app/a.conf").unwrap().exists());
    assert_eq!(&c.pull("/etc/app/a.conf").await.unwrap()[..], b"hello");
    let err = c.pull("/missing").await.unwrap_err();
    assert_eq!(err.path_error().unwrap().kind.as_str(), "not-found");
    let list = c
        .list_files("/etc/app", &ListFilesOptions::new().pattern("*.conf"))
        .await
        .unwrap();
    assert_eq!(list[0].permissions, "600");
    let err = c
        .list_files("/nope", &ListFilesOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(404));
    c.remove_path("/etc", &RemoveOptions::new().recursive(true))
        .await
        .unwrap();
    assert!(!sim.host_path("/etc").unwrap().exists());
}

#[tokio::test]
async fn notices_long_poll_wakes_and_times_out() {
    let (_d, sim) = sim();
    let c = client(&sim);
    let q = NoticesQuery::new()
        .types([NoticeType::Custom])
        .timeout(Duration::from_millis(50));
    assert!(c.get_notices(&q).await.unwrap().is_empty());

    let waiter = {
        let c = c.clone();
        tokio::spawn(async move {
            let q = NoticesQuery::new()
                .types([NoticeType::Custom])
                .timeout(Duration::from_secs(30));
            c.get_notices(&q).await
        })
    };
    while sim.requests("/v1/notices") < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // A notice of another user is not visible to this caller and must not wake it.
    sim.notify(u32::MAX - 1, "example.com/ready", &[], None)
        .unwrap();
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(sim.socket_path()).unwrap());
    let id = sim
        .notify(uid, "example.com/ready", &[("a", "b")], None)
        .unwrap();
    let got = waiter.await.unwrap().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id.as_str(), id);

    let add = AddNotice::new("example.com/x").repeat_after(Duration::from_secs(3600));
    let nid = c.notify(&add).await.unwrap();
    c.notify(&add).await.unwrap();
    let n = c.get_notice(&nid).await.unwrap();
    assert_eq!(n.occurrences, 2);
    assert_eq!(n.last_repeated, n.first_occurred);
}

#[tokio::test]
async fn check_failure_produces_change_notices() {
    let (_d, sim) = sim();
    sim.add_layer("base", LAYER).unwrap();
    sim.fail_check("up", "connection refused").unwrap();
    let c = client(&sim);
    let checks = c
        .get_checks(pebble_client::CheckLevel::Unset, &[])
        .await
        .unwrap();
    assert_eq!(checks[0].status.as_str(), "down");
    let kinds: Vec<String> = sim
        .notices()
        .iter()
        .filter_map(|n| n.last_data.get("kind").cloned())
        .collect();
    assert!(kinds.contains(&"perform-check".to_owned()));
    assert!(kinds.contains(&"recover-check".to_owned()));
    sim.recover_check("up").unwrap();
    assert_eq!(sim.checks()[0].status.as_str(), "up");
}

#[test]
fn recorded_check_failures_count_up_to_the_threshold() {
    let (_d, sim) = sim();
    sim.add_layer("base", LAYER).unwrap();
    let threshold = sim.checks()[0].threshold;
    assert!(threshold > 1, "{threshold}");
    sim.record_check_failure("up", "slow").unwrap();
    let c = &sim.checks()[0];
    assert_eq!((c.status.as_str(), c.failures), ("up", 1));
    for _ in 1..threshold {
        sim.record_check_failure("up", "slow").unwrap();
    }
    let c = &sim.checks()[0];
    assert_eq!((c.status.as_str(), c.failures), ("down", threshold));
    sim.record_check_failure("up", "slow").unwrap();
    assert_eq!(sim.checks()[0].failures, threshold + 1);
    sim.stop_check("up").unwrap();
    assert_eq!(sim.checks()[0].status.as_str(), "inactive");
    assert!(sim.stop_check("up").is_err());
    assert!(sim.record_check_failure("up", "slow").is_err());
    assert!(sim.record_check_failure("nope", "slow").is_err());
}

#[tokio::test]
async fn api_errors_are_not_retried() {
    let (_d, sim) = sim();
    sim.inject(FaultRule::new(Fault::error(500, "boom")).path("/v1/system-info"));
    let err = client(&sim).system_info().await.unwrap_err();
    assert_eq!(err.api_status(), Some(500));
    assert_eq!(sim.requests("/v1/system-info"), 1);
}

#[tokio::test]
async fn transient_faults_are_retried() {
    let (_d, sim) = sim();
    let c = client(&sim);
    sim.inject(
        FaultRule::new(Fault::Reset)
            .path("/v1/system-info")
            .times(2),
    );
    c.system_info().await.unwrap();
    assert_eq!(sim.requests("/v1/system-info"), 3);

    sim.inject(
        FaultRule::new(Fault::daemon_restart())
            .path("/v1/services")
            .times(1),
    );
    c.get_services(&[]).await.unwrap();
    assert!(sim.requests("/v1/services") >= 1);

    sim.drop_connections(1);
    c.system_info().await.unwrap();
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let (_d, sim) = sim();
    let c = client(&sim).with_retry(RetryPolicy::never());
    for g in [
        Garbage::NotJson,
        Garbage::Truncated,
        Garbage::WrongContentType,
    ] {
        sim.inject(FaultRule::new(Fault::Garbage(g)).times(1));
        let err = c.system_info().await.unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{g:?}: {err:?}");
    }
}

#[test]
fn socket_faults_with_the_blocking_client() {
    let (_d, sim) = sim();
    let c = pebble_client::blocking::Client::builder(sim.socket_path())
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    sim.remove_socket(None);
    assert!(matches!(
        c.system_info().unwrap_err(),
        Error::SocketNotFound { .. }
    ));
    sim.refuse_connections(None);
    assert!(matches!(
        c.system_info().unwrap_err(),
        Error::ConnectionRefused { .. }
    ));
    sim.restore_socket();
    c.system_info().unwrap();
}

/// How a bare connect to the simulator's socket path went: `o` connected, `r` refused,
/// `n` no socket file, `x` anything else.
fn probe(path: &std::path::Path) -> char {
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => 'o',
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => 'r',
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 'n',
        Err(_) => 'x',
    }
}

/// `refuse_connections` swaps the listening socket for a dead one in one step: a client
/// connecting all through the switch sees connects succeed, then fail with `ECONNREFUSED`,
/// never a missing socket file nor a connect that succeeds after one was refused; and once
/// `refuse_connections` has returned, every connect is refused. (The switch used to unlink the
/// socket, then bind and close a new one: a connect in between found no file, or a listener
/// about to be closed, which the fault matrix reported as `SocketNotFound` or
/// `ConnectionReset` in its "connection refused" row under load.)
#[test]
fn refusing_connections_switches_the_socket_atomically() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    for round in 0..50 {
        let (_d, sim) = sim();
        let path = sim.socket_path().to_path_buf();
        let (started, stop) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let prober = {
            let (path, started, stop) = (path.clone(), started.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = String::new();
                loop {
                    // One last probe after `stop`, so the sequence ends after the switch.
                    let last = stop.load(Ordering::SeqCst);
                    let c = probe(&path);
                    if !seen.ends_with(c) {
                        seen.push(c);
                    }
                    started.store(true, Ordering::SeqCst);
                    if last {
                        break seen;
                    }
                }
            })
        };
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        sim.refuse_connections(None);
        for _ in 0..20 {
            assert_eq!(probe(&path), 'r', "round {round}: after refuse_connections");
        }
        stop.store(true, Ordering::SeqCst);
        let seen = prober.join().unwrap();
        assert!(
            seen == "or",
            "round {round}: connects during the switch went {seen:?} (o: connected, r: refused, n: no socket file)"
        );
    }
}
