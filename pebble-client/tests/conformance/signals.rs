//! Signals to services, and Pebble's errors for services that cannot take one.

use std::time::Duration;

use pebble_client::ServiceStatus;

use crate::fixture::{Pebble, service_layer};

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![signal_a_running_service, signal_errors]
}

/// The service traps SIGHUP and writes a file, so the test sees the signal arrive.
async fn signal_a_running_service(p: &Pebble) {
    let marker = p.path("got-hup");
    let host = p.host_path(&marker);
    // The sim runs commands on the host: the script writes the host path.
    let script = format!(
        "trap 'echo hup > {}' HUP; while true; do sleep 0.1; done",
        host.display()
    );
    p.layer("base", &service_layer("svc", &script, &[])).await;
    let client = p.client();
    let id = client.start_services(&["svc"]).await.unwrap();
    client
        .wait_change_ok(&id, Duration::from_secs(30))
        .await
        .unwrap();
    client.send_signal("SIGHUP", &["svc"]).await.unwrap();
    crate::fixture::until("the service to get SIGHUP", || host.exists()).await;
    p.until_service("svc", ServiceStatus::Active).await;
}

async fn signal_errors(p: &Pebble) {
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let client = p.client();
    // Not running (never started), and not in the plan at all: the same words.
    let err = client.send_signal("SIGHUP", &["svc"]).await.unwrap_err();
    assert_eq!(err.api_status(), Some(500), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "cannot send signal to \"svc\": service is not running"
    );
    let err = client
        .send_signal("SIGHUP", &["svc", "nope"])
        .await
        .unwrap_err();
    assert_eq!(
        err.api().unwrap().message,
        "cannot send signal to \"svc\": service is not running; cannot send signal to \"nope\": service is not running"
    );
    let id = client.start_services(&["svc"]).await.unwrap();
    client
        .wait_change_ok(&id, Duration::from_secs(30))
        .await
        .unwrap();
    let err = client.send_signal("SIGFOO", &["svc"]).await.unwrap_err();
    assert_eq!(
        err.api().unwrap().message,
        "cannot send signal to \"svc\": invalid signal name \"SIGFOO\""
    );
}
