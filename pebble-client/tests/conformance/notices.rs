//! Notices: custom notices from the client and from `pebble notify`, filters, the long poll.

use std::time::Duration;

use pebble_client::{AddNotice, NoticeId, NoticeType, NoticesQuery};

use crate::fixture::Pebble;

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        notify_and_repeat,
        filters,
        long_poll_wakes_on_a_new_notice,
        long_poll_times_out_empty,
        notify_from_the_cli,
        unknown_notice,
    ]
}

async fn notify_and_repeat(p: &Pebble) {
    let client = p.client();
    let id = client
        .notify(&AddNotice::new("example.com/a").data("k", "v"))
        .await
        .unwrap();
    let n = client.get_notice(&id).await.unwrap();
    assert_eq!(n.notice_type, NoticeType::Custom);
    assert_eq!(n.key, "example.com/a");
    assert_eq!(n.occurrences, 1);
    assert_eq!(n.last_data["k"], "v");
    assert_eq!(
        n.user_id,
        Some(0),
        "the caller's uid (the tests run as root)"
    );
    let again = client
        .notify(&AddNotice::new("example.com/a"))
        .await
        .unwrap();
    assert_eq!(again, id, "the same key is the same notice");
    let n = client.get_notice(&id).await.unwrap();
    assert_eq!(n.occurrences, 2);
    assert!(n.last_data.is_empty(), "last-data is the last occurrence's");
}

async fn filters(p: &Pebble) {
    let client = p.client();
    for key in ["example.com/x", "example.com/y"] {
        client.notify(&AddNotice::new(key)).await.unwrap();
    }
    let x = client
        .get_notices(&NoticesQuery::new().keys(["example.com/x"]))
        .await
        .unwrap();
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].key, "example.com/x");
    let custom = client
        .get_notices(&NoticesQuery::new().types([NoticeType::Custom]))
        .await
        .unwrap();
    assert_eq!(custom.len(), 2);
    assert!(
        custom[0].last_repeated <= custom[1].last_repeated,
        "oldest first"
    );
    let after = client
        .get_notices(&NoticesQuery::new().after(custom[0].last_repeated))
        .await
        .unwrap();
    assert!(
        after.iter().all(|n| n.key != "example.com/x"),
        "strictly after"
    );
}

async fn long_poll_wakes_on_a_new_notice(p: &Pebble) {
    let client = p.client();
    let poller = client.clone();
    let poll = tokio::spawn(async move {
        poller
            .get_notices(
                &NoticesQuery::new()
                    .keys(["example.com/wake"])
                    .timeout(Duration::from_secs(20)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .notify(&AddNotice::new("example.com/wake").data("n", "1"))
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(30), poll)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].last_data["n"], "1");
}

async fn long_poll_times_out_empty(p: &Pebble) {
    let got = p
        .client()
        .get_notices(
            &NoticesQuery::new()
                .keys(["example.com/never"])
                .timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    assert!(got.is_empty());
}

/// A workload's `pebble notify` (the real CLI; on the sim, its handle does what the sim's
/// own `pebble` command does, which lives outside this crate).
async fn notify_from_the_cli(p: &Pebble) {
    match p.cli(&["notify", "example.com/cli", "a=b"]) {
        Some(out) => assert!(out.status.success(), "{out:?}"),
        None => {
            p.with_sim(|sim| sim.notify(0, "example.com/cli", &[("a", "b")], None))
                .unwrap()
                .unwrap();
        }
    }
    let got = p
        .client()
        .get_notices(&NoticesQuery::new().keys(["example.com/cli"]))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].last_data["a"], "b");
    assert_eq!(got[0].notice_type, NoticeType::Custom);
}

async fn unknown_notice(p: &Pebble) {
    let err = p
        .client()
        .get_notice(&NoticeId("999".into()))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(404), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "cannot find notice with ID \"999\""
    );
}
