//! System info, health without checks, and the client across Pebble starting late, stopping
//! and restarting.

use std::time::Duration;

use pebble_client::retry::RetryPolicy;
use pebble_client::{CheckLevel, Client, Error};

use crate::fixture::Pebble;

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        system_info,
        health_without_checks,
        retry_while_pebble_starts_late,
        stop_and_restart,
    ]
}

async fn system_info(p: &Pebble) {
    let info = p.client().system_info().await.unwrap();
    assert!(info.version.starts_with('v'), "{}", info.version);
    assert_eq!(info.boot_id.len(), 36, "{}", info.boot_id);
    if p.is_real() {
        assert_eq!(info.version, "v1.32.1");
    }
}

async fn health_without_checks(p: &Pebble) {
    let client = p.client();
    for level in [CheckLevel::Unset, CheckLevel::Alive, CheckLevel::Ready] {
        assert!(client.health(level, &[]).await.unwrap().healthy);
    }
}

/// A call made while Pebble is not up yet succeeds once it is, within the retry deadline.
async fn retry_while_pebble_starts_late(p: &Pebble) {
    p.stop().await;
    let client = Client::builder(p.socket())
        .retry(
            RetryPolicy::default()
                .deadline(Duration::from_secs(20))
                .max_attempts(100),
        )
        .build()
        .unwrap();
    let call = tokio::spawn(async move { client.system_info().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.restart().await;
    let info = tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!info.boot_id.is_empty());
}

/// A stopped Pebble is a connect error, never retried into something else; after a restart
/// the same client reconnects.
///
/// The boot id differs on purpose: the real Pebble reports the kernel's boot id
/// (`/proc/sys/kernel/random/boot_id`), the same across daemon restarts on one machine; the
/// sim makes a new one at each start, because juju-sim uses a sim restart to model a
/// container restart (a new pod, a new boot id, hence pebble-ready).
async fn stop_and_restart(p: &Pebble) {
    let client = p.client_no_retry();
    let before = client.system_info().await.unwrap().boot_id;
    p.stop().await;
    let err = client.system_info().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert!(
        matches!(
            err,
            Error::SocketNotFound { .. } | Error::ConnectionRefused { .. }
        ),
        "{err}"
    );
    p.restart().await;
    let after = client.system_info().await.unwrap().boot_id;
    if p.is_real() {
        let kernel = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
        assert_eq!(after, kernel.trim());
        assert_eq!(before, after);
    } else {
        assert_ne!(
            before, after,
            "a restarted sim models a restarted container"
        );
    }
}
