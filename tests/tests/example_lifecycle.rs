//! The example charm (webkv) through its lifecycle with its workload really running: config
//! changes, a relation's whole life, a secret's new revision, actions against the running
//! server, custom notices, update-status, stop and remove. Each test runs a shipped
//! scenario (whose own `expect:`s must hold) and checks the trace and the final model.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use serde_json::Value;
use support::example::{Run, answers, free_port, run, scenario};

fn json_file(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn config_changes_restart_the_service_and_move_the_port() {
    let port = free_port();
    let r = run(&scenario("webkv-config-change"), port, &[]);
    r.assert_ok();
    // Step 3: a new greeting: the config file changes, the service restarts, and the charm
    // reports starting until the restarted workload notifies.
    let hooks = r.step_hooks(3);
    assert_eq!(hooks[0], "config-changed", "{hooks:?}");
    let changed = r.step_hook(3, "config-changed");
    assert_eq!(
        changed["unit_status"],
        format!("maintenance: starting webkv on :{port}")
    );
    // Step 5: the port moves: the old one closes, the new one opens.
    let detail = r
        .events
        .iter()
        .find(|e| e["event"] == "step" && e["step"] == 5)
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_port: u16 = serde_json::from_str::<Value>(&detail).unwrap()["port"]
        .as_u64()
        .unwrap()
        .try_into()
        .unwrap();
    let calls = Run::calls(r.step_hook(5, "config-changed"));
    assert!(
        calls.contains(&format!("close-port {port}/tcp")),
        "{calls:?}"
    );
    assert!(
        calls.contains(&format!("open-port {new_port}/tcp")),
        "{calls:?}"
    );

    assert_eq!(r.unit_status(), format!("active: serving on :{new_port}"));
    assert_eq!(r.ports(), [format!("{new_port}/tcp")]);
    let config = json_file(&r.web_file("/etc/webkv/config.json"));
    assert_eq!(config["greeting"], "hello again");
    assert_eq!(config["port"], new_port);
    assert!(!answers(new_port));
}

#[test]
fn traefik_and_prometheus_reach_webkv_through_the_interface_libraries() {
    let port = free_port();
    let r = run(&scenario("webkv-interfaces"), port, &[]);
    r.assert_ok();
    // The ingress request, written on relation-changed as Traefik's Python library expects.
    let changed = r.step_events(3)[2];
    assert!(
        Run::calls(changed)
            .iter()
            .any(|c| c.starts_with("relation-set -r ingress:")),
        "{:?}",
        Run::calls(changed)
    );
    // The scrape job, written once on the leader on relation-joined.
    let joined = r.step_events(5)[1];
    let sets: Vec<String> = Run::calls(joined)
        .into_iter()
        .filter(|c| c.starts_with("relation-set -r metrics-endpoint:"))
        .collect();
    assert_eq!(sets.len(), 2, "the unit bag and the app bag: {sets:?}");
}

#[test]
fn the_leader_publishes_its_url_for_the_relations_life() {
    let port = free_port();
    let r = run(&scenario("webkv-relation"), port, &[]);
    r.assert_ok();
    assert_eq!(
        r.step_hooks(3),
        [
            "website-relation-created",
            "website-relation-joined",
            "website-relation-changed",
            "website-relation-joined",
            "website-relation-changed"
        ]
    );
    // The first joined publishes the URL (the workload is ready); later hooks find it set.
    let joined = r.step_events(3)[1];
    let calls = Run::calls(joined);
    assert!(
        calls.contains(&"network-get --format=json website".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("relation-set -r website:")),
        "{calls:?}"
    );
    let later = Run::calls(r.step_events(3)[2]);
    assert!(
        !later.iter().any(|c| c.starts_with("relation-set")),
        "unchanged data is not written again: {later:?}"
    );
    assert_eq!(r.step_hooks(5), ["website-relation-departed"]);
    assert_eq!(
        r.step_hooks(6),
        ["website-relation-departed", "website-relation-broken"]
    );
    // The relation is gone from the final model; the unit still serves.
    assert_eq!(r.state["relations"], serde_json::json!([]));
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
}

#[test]
fn a_new_secret_revision_restarts_webkv_with_the_new_token() {
    let port = free_port();
    let r = run(&scenario("webkv-secret"), port, &[]);
    r.assert_ok();
    assert_eq!(r.step_hooks(4)[0], "secret-changed");
    let secret_changed = r.step_hook(4, "secret-changed");
    assert!(
        secret_changed["context"]
            .as_str()
            .unwrap()
            .contains("secret=secret:d0qbv8r9fp2s0v7c8gmg"),
        "{secret_changed}"
    );
    assert_eq!(
        secret_changed["unit_status"],
        format!("maintenance: starting webkv on :{port}")
    );
    // The server runs with the new token; the write made with it reached the server's data
    // file, in the container.
    let config = json_file(&r.web_file("/etc/webkv/config.json"));
    assert_eq!(config["admin-token"], "second-token");
    let data = json_file(&r.web_file("/var/lib/webkv/data.json"));
    assert_eq!(data["colour"], "green");
    let notes = r.notes();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.starts_with("action set-key completed"))
            .count(),
        2,
        "{notes:?}"
    );
}

#[test]
fn actions_talk_to_the_running_server() {
    let port = free_port();
    let r = run(&scenario("webkv-action"), port, &[]);
    r.assert_ok();
    let notes = r.notes();
    assert!(
        notes.contains(
            &"action set-key completed; results: {\"key\":\"greeting.fr\",\"stored\":\"true\"}"
                .to_owned()
        ),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("action set-key failed: invalid key \"bad/key\"")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.starts_with(
            "action set-key failed: the store is full (max-keys is 1): raise max-keys"
        )),
        "{notes:?}"
    );
    // A failed action is not a failed hook: the unit is not in error, nothing retried.
    assert_eq!(r.summary()["failures"], 0);
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
    let data = json_file(&r.web_file("/var/lib/webkv/data.json"));
    assert_eq!(data, serde_json::json!({"greeting.fr": "bonjour"}));
}

#[test]
fn stale_and_foreign_notices_are_ignored_and_a_restarted_container_notifies_again() {
    let port = free_port();
    let r = run(&scenario("webkv-custom-notice"), port, &[]);
    r.assert_ok();
    let stale = r.step_events(3);
    let hook = stale.iter().find(|e| e["event"] == "hook").unwrap();
    let logs: Vec<&str> = hook["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("ready notice for :1, but the service now uses")),
        "{logs:?}"
    );
    // After the container restart: pebble-ready (new boot id), and a notice from the new
    // workload (a new Pebble: its first notice again).
    let mut after = r.step_hooks(5);
    after.extend(r.step_hooks(6));
    assert_eq!(after[0], "web-pebble-ready", "{after:?}");
    assert!(
        after.contains(&"web-pebble-custom-notice".to_owned()),
        "{after:?}"
    );
    assert_eq!(
        r.hooks()
            .iter()
            .filter(|h| *h == "web-pebble-ready")
            .count(),
        2
    );
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
}

#[test]
fn update_status_then_removal_in_jujus_order() {
    let port = free_port();
    let r = run(&scenario("webkv-stop-remove"), port, &[]);
    r.assert_ok();
    let hooks = r.hooks();
    // The relation existed before deploy: created before leader-elected; joined and changed
    // after pebble-ready.
    let pos = |h: &str| hooks.iter().position(|x| x == h).unwrap();
    assert!(
        pos("website-relation-created") < pos("leader-elected"),
        "{hooks:?}"
    );
    assert!(
        pos("web-pebble-ready") < pos("website-relation-joined"),
        "{hooks:?}"
    );
    assert_eq!(r.step_hooks(3), ["update-status"]);
    assert_eq!(
        r.step_hooks(4),
        [
            "website-relation-departed",
            "website-relation-broken",
            "stop",
            "remove"
        ]
    );
    assert_eq!(r.state["relations"], serde_json::json!([]));
    assert!(!answers(port), "the workload is gone with the unit");
}
