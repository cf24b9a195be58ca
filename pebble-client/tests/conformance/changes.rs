//! Changes: listing, getting, waiting, aborting, and their errors.

use std::time::Duration;

use pebble_client::{ChangeId, ChangeSelect, ChangeStatus, Error, TimeoutPhase};

use crate::fixture::{Pebble, service_layer};

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        list_get_and_wait,
        wait_times_out,
        unknown_change,
        abort_a_ready_change,
    ]
}

async fn list_get_and_wait(p: &Pebble) {
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let client = p.client();
    let id = client.start_services(&["svc"]).await.unwrap();
    let waited = client
        .wait_change(&id, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(waited.ready);
    assert_eq!(waited.status, ChangeStatus::Done);
    assert!(waited.ready_time.is_some());
    let got = client.get_change(&id).await.unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.status, ChangeStatus::Done);
    let all = client.get_changes(ChangeSelect::All, None).await.unwrap();
    assert!(all.iter().any(|c| c.id == id), "{all:?}");
    let ready = client
        .get_changes(ChangeSelect::Ready, Some("svc"))
        .await
        .unwrap();
    assert!(ready.iter().any(|c| c.id == id));
    let other = client
        .get_changes(ChangeSelect::All, Some("other"))
        .await
        .unwrap();
    assert!(other.iter().all(|c| c.id != id));
    let in_progress = client
        .get_changes(ChangeSelect::InProgress, None)
        .await
        .unwrap();
    assert!(in_progress.iter().all(|c| c.id != id));
}

/// A change that stays in progress: the wait ends with the client's timeout error.
async fn wait_times_out(p: &Pebble) {
    // A start waits out Pebble's 1 s okay delay, so the change is in progress meanwhile.
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let client = p.client();
    let id = client.start_services(&["svc"]).await.unwrap();
    let err = client
        .wait_change(&id, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::WaitChange,
                ..
            }
        ),
        "{err}"
    );
    client
        .wait_change_ok(&id, Duration::from_secs(30))
        .await
        .unwrap();
}

async fn unknown_change(p: &Pebble) {
    let client = p.client();
    let id = ChangeId("999".into());
    let err = client.get_change(&id).await.unwrap_err();
    assert_eq!(err.api_status(), Some(404));
    assert_eq!(
        err.api().unwrap().message,
        "cannot find change with id \"999\""
    );
    // Waiting: the /wait 404 falls back to polling, which ends in the same 404.
    let err = client
        .wait_change(&id, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(404), "{err}");
}

async fn abort_a_ready_change(p: &Pebble) {
    p.layer("base", &service_layer("svc", "sleep 1000", &[]))
        .await;
    let client = p.client();
    let id = client.stop_services(&["svc"]).await.unwrap();
    client
        .wait_change_ok(&id, Duration::from_secs(30))
        .await
        .unwrap();
    let err = client.abort_change(&id).await.unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        format!("cannot abort change {} with nothing pending", id.as_str())
    );
}
