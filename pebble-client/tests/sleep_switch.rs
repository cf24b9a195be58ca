//! The process-global sleep switch (its own test binary, since it is global).

mod support;

use std::time::Duration;

use pebble_client::Client;
use pebble_client::retry::{RetryPolicy, set_sleep_enabled};
use serde_json::json;
use support::{Reply, Server, socket_in};

#[tokio::test]
async fn disabled_sleeping_does_not_wait() {
    set_sleep_enabled(false);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| {
        Reply::Json(
            500,
            json!({"type":"error","status-code":500,"status":"Internal Server Error",
            "result":{"message":"system is restarting","kind":"system-restart"}}),
        )
    });
    // Waits of up to an hour: if the default (tokio) sleeper slept, this test would hang.
    let policy = RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_secs(3600))
        .max_delay(Duration::from_secs(3600))
        .deadline(Duration::from_secs(1_000_000));
    let client = Client::builder(&server.path).retry(policy).build().unwrap();
    let err = client.system_info().await.unwrap_err();
    assert!(err.is_maintenance());
    assert_eq!(server.requests(), 4);
}
