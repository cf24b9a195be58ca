//! The example charm (webkv) and a second charm (the Rust test charm kv-client, two units)
//! in one model, through a relation both read and write: the run converges with both
//! active, and a change on either side reaches the other
//! (`charm-example/scenarios/webkv-and-client.yaml`, with webkv's workload running).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use support::apps;
use support::example::{charm_binary, free_port, repo};
use support::program;

#[test]
fn webkv_and_a_client_converge_and_changes_cross_the_relation() {
    charm_binary();
    program("webkv-server");
    let (port, new_port) = (free_port(), free_port());
    let r = apps::run(
        &repo().join("charm-example/scenarios/webkv-and-client.yaml"),
        &[
            "--real-processes",
            "--var",
            &format!("port={port}"),
            "--var",
            &format!("new-port={new_port}"),
        ],
    );
    r.assert_ok();

    // Converged: webkv active and serving, each client active with webkv's URL.
    let wait = r.step_events(2);
    assert!(
        wait.iter().any(|e| e["text"]
            .as_str()
            .is_some_and(|t| t.contains("the conditions hold"))),
        "{wait:?}"
    );
    // webkv wrote (its leader's URL), read by the clients through relation-changed for
    // webkv's application data (no remote unit), with JUJU_REMOTE_APP=webkv.
    let url_changed = r
        .attempts()
        .into_iter()
        .find(|e| {
            e["unit"] == "kv-client/0"
                && e["hook"] == "website-relation-changed"
                && e["context"] == "relation=website:3"
        })
        .expect("kv-client/0 told of webkv's application data");
    assert!(
        support::Trace::calls(url_changed)
            .iter()
            .any(|c| c == "relation-get --format=json -r website:3 --app - webkv"),
        "{:?}",
        support::Trace::calls(url_changed)
    );
    // The clients wrote, webkv was told per client unit (JUJU_REMOTE_UNIT).
    for unit in ["kv-client/0", "kv-client/1"] {
        assert!(
            r.attempts().iter().any(|e| e["unit"] == "webkv/0"
                && e["hook"] == "website-relation-changed"
                && e["context"] == format!("relation=website:3 unit={unit}")),
            "webkv/0 told of {unit}'s data: {:?}",
            r.hooks_of("webkv/0")
        );
    }
    // A new port on webkv: its leader rewrites the URL, and only that reaches the clients.
    let step3: Vec<String> = r.step_unit_hooks(3);
    assert!(
        step3.contains(&"kv-client/0 website-relation-changed".to_owned()),
        "{step3:?}"
    );
    // The client's own change reaches webkv as one relation-changed, and webkv reads it.
    assert_eq!(
        r.step_unit_hooks(5),
        [
            "kv-client/0 config-changed",
            "kv-client/1 config-changed",
            "webkv/0 website-relation-changed"
        ]
    );
    let logs = r.logs();
    assert!(
        logs.iter()
            .any(|l| l.starts_with("kv-client uses path /other on website:")),
        "{logs:?}"
    );
    let s = r.summary();
    assert_eq!(
        s["units"]["webkv/0"]["unit_status"],
        format!("active: serving on :{new_port}")
    );
    assert_eq!(s["units"]["kv-client/0"]["removed"], true);
    // The workload stops with juju-sim.
    assert!(
        !support::example::answers(new_port),
        "webkv-server outlived juju-sim"
    );
}
