//! Service output through `/v1/logs`: the last lines, and following new ones.

use std::time::Duration;

use crate::fixture::{Pebble, service_layer};

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![recent_lines, follow_new_lines, no_output_yet]
}

async fn start(p: &Pebble, name: &str, script: &str) {
    let yaml = service_layer(name, script, &[]);
    p.client().add_layer_yaml(name, &yaml, false).await.unwrap();
    let id = p.client().start_services(&[name]).await.unwrap();
    p.client()
        .wait_change_ok(&id, Duration::from_secs(30))
        .await
        .unwrap();
}

async fn recent_lines(p: &Pebble) {
    start(p, "a", "echo one; echo two >&2; echo three; sleep 1000").await;
    start(p, "b", "echo bee; sleep 1000").await;
    let client = p.client();
    let all = client.logs(&[], None).await.unwrap();
    let a: Vec<&str> = all
        .iter()
        .filter(|l| l.service == "a")
        .map(|l| l.message.as_str())
        .collect();
    // stdout and stderr are one stream in Pebble's log; their order is the kernel's.
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["one", "three", "two"], "{all:?}");
    assert!(all.iter().any(|l| l.service == "b" && l.message == "bee"));
    assert!(
        all.windows(2).all(|w| w[0].time <= w[1].time),
        "merged in time order: {all:?}"
    );
    let last = client.logs(&["a"], Some(2)).await.unwrap();
    assert_eq!(last.len(), 2, "{last:?}");
    assert!(last.iter().all(|l| l.service == "a"));
    assert_eq!(last[1].message, a[2]);
    assert!(client.logs(&["a"], Some(0)).await.unwrap().is_empty());
}

async fn follow_new_lines(p: &Pebble) {
    start(
        p,
        "ticker",
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done",
    )
    .await;
    let mut follower = p.client().follow_logs(&["ticker"], Some(1)).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        let line = tokio::time::timeout(Duration::from_secs(30), follower.next())
            .await
            .expect("a line within 30 s")
            .unwrap()
            .expect("the stream goes on");
        assert_eq!(line.service, "ticker");
        got.push(line.message);
    }
    let numbers: Vec<u64> = got
        .iter()
        .map(|m| m.strip_prefix("tick ").unwrap().parse().unwrap())
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive lines: {got:?}"
    );
    // The client's other calls go on while the follow is open.
    assert!(p.client().get_services(&[]).await.unwrap().len() == 1);
}

async fn no_output_yet(p: &Pebble) {
    p.layer("base", &service_layer("quiet", "sleep 1000", &[]))
        .await;
    let client = p.client();
    assert!(client.logs(&[], None).await.unwrap().is_empty());
    assert!(
        client
            .logs(&["quiet", "nope"], Some(5))
            .await
            .unwrap()
            .is_empty()
    );
}
