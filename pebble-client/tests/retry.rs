//! Retry behaviour against a scripted server: what is retried, what is not, and the deadline.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pebble_client::retry::{RecordingSleeper, RetryPolicy};
use pebble_client::{AddNotice, Client, Error};
use serde_json::json;
use support::{HookSleeper, Reply, Server, socket_in};

fn sysinfo() -> Reply {
    Reply::sync(json!({"boot-id":"b","version":"v1.32.1"}))
}

fn policy_with(sleeper: &HookSleeper) -> RetryPolicy {
    RetryPolicy::default()
        .sleeper(sleeper.clone())
        .clock(sleeper.clock.clone())
}

#[tokio::test]
async fn socket_appearing_late_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let path = socket_in(&dir);
    let server: Arc<Mutex<Option<Server>>> = Arc::default();
    let (slot, p) = (server.clone(), path.clone());
    let sleeper = HookSleeper::new(move |n| {
        if n == 2 {
            *slot.lock().unwrap() = Some(Server::start(&p, |_| sysinfo()));
        }
    });
    let client = Client::builder(&path)
        .retry(policy_with(&sleeper))
        .build()
        .unwrap();
    let info = client.system_info().await.unwrap();
    assert_eq!(info.version, "v1.32.1");
    assert_eq!(
        sleeper.waits().len(),
        2,
        "two SocketNotFound failures, then success"
    );
    assert_eq!(server.lock().unwrap().as_ref().unwrap().requests(), 1);
}

#[tokio::test]
async fn refused_twice_then_ok() {
    let dir = tempfile::tempdir().unwrap();
    let path = socket_in(&dir);
    // A socket file nobody listens on: connect gets ECONNREFUSED.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let server: Arc<Mutex<Option<Server>>> = Arc::default();
    let (slot, p) = (server.clone(), path.clone());
    let sleeper = HookSleeper::new(move |n| {
        if n == 2 {
            *slot.lock().unwrap() = Some(Server::start(&p, |_| sysinfo()));
        }
    });
    let never = Client::builder(&path)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    assert!(matches!(
        never.system_info().await,
        Err(Error::ConnectionRefused { .. })
    ));
    let client = Client::builder(&path)
        .retry(policy_with(&sleeper))
        .build()
        .unwrap();
    client.system_info().await.unwrap();
    assert_eq!(sleeper.waits().len(), 2);
}

#[tokio::test]
async fn api_errors_are_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| {
        Reply::error(
            400,
            "Bad Request",
            "cannot start services: service \"x\" does not exist",
            None,
        )
    });
    let sleeper = HookSleeper::new(|_| {});
    let client = Client::builder(&server.path)
        .retry(policy_with(&sleeper))
        .build()
        .unwrap();
    let err = client.start_services(&["x"]).await.unwrap_err();
    assert_eq!(err.api_status(), Some(400));
    assert_eq!(server.requests(), 1);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn deadline_is_honoured_and_never_overslept() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| Reply::Hangup);
    let sleeper = HookSleeper::new(|_| {});
    let policy = policy_with(&sleeper)
        .max_attempts(1000)
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(300))
        .deadline(Duration::from_secs(1));
    let client = Client::builder(&server.path).retry(policy).build().unwrap();
    let err = client.system_info().await.unwrap_err();
    assert!(
        matches!(err, Error::ConnectionReset { sent: true, .. }),
        "{err}"
    );
    let waits = sleeper.waits();
    let total: Duration = waits.iter().sum();
    assert!(
        total < Duration::from_secs(1),
        "slept {total:?} past the deadline"
    );
    assert!(waits.iter().all(|w| *w <= Duration::from_millis(300)));
    assert_eq!(server.requests(), waits.len() + 1);
    assert!(
        server.requests() < 1000,
        "stopped by the deadline, not attempts"
    );
}

#[tokio::test]
async fn max_attempts_bounds_retries() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| Reply::Hangup);
    let sleeper = RecordingSleeper::new();
    let policy = RetryPolicy::default()
        .max_attempts(4)
        .deadline(Duration::from_secs(3600))
        .sleeper(sleeper.clone())
        .clock(sleeper.clock());
    let client = Client::builder(&server.path).retry(policy).build().unwrap();
    client.get_services(&[]).await.unwrap_err();
    assert_eq!(server.requests(), 4);
    assert_eq!(sleeper.waits().len(), 3);
}

#[tokio::test]
async fn post_send_failure_retried_only_when_safe() {
    let dir = tempfile::tempdir().unwrap();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let server = Server::start(&socket_in(&dir), move |r| {
        let n = c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match (r.path.as_str(), n) {
            ("/v1/notices", _) => Reply::Hangup,
            (_, 1 | 2) => Reply::Hangup,
            _ => sysinfo(),
        }
    });
    let sleeper = HookSleeper::new(|_| {});
    let client = Client::builder(&server.path)
        .retry(policy_with(&sleeper))
        .build()
        .unwrap();
    // Unsafe: notify counts occurrences, so a failure after sending is final.
    let err = client
        .notify(&AddNotice::new("example.com/ready"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ConnectionReset { sent: true, .. }),
        "{err}"
    );
    assert_eq!(server.requests(), 1);
    // Safe: a GET is repeated (requests 2 and 3 hang up, 4 answers).
    client.system_info().await.unwrap();
    assert_eq!(server.requests(), 4);
    assert_eq!(sleeper.waits().len(), 2);
}

#[tokio::test]
async fn maintenance_is_retried_even_for_unsafe_calls() {
    let dir = tempfile::tempdir().unwrap();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let server = Server::start(&socket_in(&dir), move |_| {
        if c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::Json(
                500,
                json!({"type":"error","status-code":500,"status":"Internal Server Error",
                "result":{"message":"daemon is restarting","kind":"daemon-restart"},
                "maintenance":{"kind":"daemon-restart","message":"daemon is restarting"}}),
            )
        } else {
            Reply::sync(json!({"id":"7"}))
        }
    });
    let sleeper = HookSleeper::new(|_| {});
    let client = Client::builder(&server.path)
        .retry(policy_with(&sleeper))
        .build()
        .unwrap();
    let id = client
        .notify(&AddNotice::new("example.com/ready"))
        .await
        .unwrap();
    assert_eq!(id.as_str(), "7");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn per_call_policy_shares_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| sysinfo());
    let client = Client::builder(&server.path).build().unwrap();
    client.system_info().await.unwrap();
    client
        .with_retry(RetryPolicy::never())
        .system_info()
        .await
        .unwrap();
    client.system_info().await.unwrap();
    assert_eq!(server.requests(), 3);
    assert_eq!(server.connections(), 1, "one persistent connection");
}

#[tokio::test]
async fn invalid_notice_key_never_reaches_pebble() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| sysinfo());
    let client = Client::new(&server.path).unwrap();
    let err = client
        .notify(&AddNotice::new("Example.com/x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    assert_eq!(server.requests(), 0);
}
