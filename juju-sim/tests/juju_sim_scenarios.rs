//! juju-sim against the ops-rs test charm (the `sim-test-charm` example, metadata beside it in
//! `examples/sim-test-charm/`), through the shipped scenarios and a few inline ones.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod support;
use support::Trace;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The test charm's directory (its metadata).
fn charm_dir() -> PathBuf {
    root().join("examples/sim-test-charm")
}

type Run = Trace;

fn juju_sim(scenario: &Path, extra: &[&str]) -> Run {
    Trace::run(
        Command::new(env!("CARGO_BIN_EXE_juju-sim"))
            .args(["run", "--format", "json", "--log-level", "debug", "--charm"])
            .arg(charm_dir())
            .arg("--dispatch")
            .arg(support::program("sim-test-charm"))
            .arg("--scenario")
            .arg(scenario)
            .args(extra),
    )
}

fn shipped(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

fn inline(dir: &Path, yaml: &str) -> PathBuf {
    let p = dir.join("scenario.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

#[test]
fn every_shipped_scenario_is_valid_for_a_web_sidecar_charm() {
    // The generic scenarios fit any `web` sidecar charm (here the test charm). The example
    // charm's `webkv-*` ones are checked against it in the workspace's tests.
    let generic = ops::metadata::CharmMeta::from_charm_dir(charm_dir()).unwrap();
    let n = support::validate_scenarios(&root().join("scenarios"), &generic);
    assert!(n >= 12, "{n} generic scenarios");
}

#[test]
fn deploy_runs_hooks_in_juju_order_then_pebble_ready() {
    let r = juju_sim(&shipped("deploy.yaml"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.hooks(),
        [
            "install",
            "leader-elected",
            "config-changed",
            "start",
            "web-pebble-ready",
            "update-status"
        ]
    );
    let cc = r.hook("config-changed");
    let calls: Vec<&str> = cc["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(calls.contains(&"open-port 8080/tcp"), "{calls:?}");
    assert_eq!(cc["unit_status"], "active: serving on 8080");
    assert!(r.logs().contains(&"installing sim-test".to_owned()));
}

#[test]
fn shipped_scenarios_hold_against_the_test_charm() {
    for name in [
        "config-change.yaml",
        "relation-lifecycle.yaml",
        "secret-changed.yaml",
        "action.yaml",
        "update-status.yaml",
        "stop-remove.yaml",
        "checks.yaml",
    ] {
        let r = juju_sim(&shipped(name), &[]);
        let fails: Vec<&Value> = r
            .events
            .iter()
            .filter(|e| e["event"] == "expect" && e["ok"] == false)
            .collect();
        assert_eq!(r.code, 0, "{name}: {fails:?} {}", r.stderr);
    }
}

#[test]
fn custom_notice_runs_the_notice_hook_with_its_env() {
    let r = juju_sim(&shipped("custom-notice.yaml"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let h = r.hook("web-pebble-custom-notice");
    assert!(
        h["context"]
            .as_str()
            .unwrap()
            .contains("key=example.com/ready"),
        "{h}"
    );
    assert!(
        r.logs()
            .iter()
            .any(|l| l.starts_with("custom notice example.com/ready id ")
                && l.ends_with("type custom")),
        "{:?}",
        r.logs()
    );
    assert_eq!(h["unit_status"], "active: notice example.com/ready");
}

#[test]
fn check_failure_and_recovery_become_hooks() {
    let r = juju_sim(&shipped("checks.yaml"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let failed = r.hook("web-pebble-check-failed");
    assert_eq!(failed["context"], "check=alive");
    assert_eq!(failed["unit_status"], "maintenance: check alive failing");
    assert!(r.logs().contains(&"check recovered: alive".to_owned()));
}

#[test]
fn a_failing_tool_fails_the_hook_which_is_retried_and_succeeds() {
    let r = juju_sim(&shipped("fault-hook-retry.yaml"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let attempts: Vec<&Value> = r
        .events
        .iter()
        .filter(|e| e["event"] == "hook" && e["hook"] == "config-changed")
        .collect();
    let last_two = &attempts[attempts.len() - 2..];
    assert_eq!(last_two[0]["exit_code"], 1);
    assert_eq!(
        last_two[0]["unit_status"],
        "error: hook failed: \"config-changed\""
    );
    assert_eq!(last_two[1]["attempt"], 2);
    assert_eq!(last_two[1]["unit_status"], "active: serving on 9090");
    assert_eq!(r.summary()["retries"], 1);
    assert_eq!(r.summary()["failures"], 1);
}

#[test]
fn a_corrupt_unit_state_fails_every_retry_with_the_frameworks_error() {
    let r = juju_sim(&shipped("fault-corrupt-state.yaml"), &[]);
    assert_eq!(
        r.code, 0,
        "the failure is expected by the scenario: {}",
        r.stderr
    );
    assert!(
        r.logs()
            .iter()
            .any(|l| l.contains(".unit-state.db is corrupt") && l.contains("move it aside")),
        "{:?}",
        r.logs()
    );
    assert_eq!(r.summary()["hooks_given_up"], 1);
    assert_eq!(
        r.summary()["unit_status"],
        "error: hook failed: \"update-status\""
    );
}

#[test]
fn pebble_down_longer_than_the_retry_budget_defers_until_a_later_event() {
    let r = juju_sim(&shipped("fault-pebble-down-long.yaml"), &[]);
    let fails: Vec<&Value> = r
        .events
        .iter()
        .filter(|e| e["event"] == "expect" && e["ok"] == false)
        .collect();
    assert_eq!(r.code, 0, "{fails:?} {}", r.stderr);
    assert!(
        r.logs()
            .iter()
            .any(|l| l.starts_with("Pebble is not ready"))
    );
}

#[test]
fn a_container_restart_fires_pebble_ready_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = inline(
        dir.path(),
        "steps:\n  - deploy\n  - pebble-restart:\n      container: web\n    expect: {hooks: [web-pebble-ready], unit-status: active}\n",
    );
    let r = juju_sim(&s, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.hooks()
            .iter()
            .filter(|h| *h == "web-pebble-ready")
            .count(),
        2
    );
}

/// Juju sends relation-broken with `JUJU_REMOTE_APP` empty once the remote application was
/// removed (seen on Juju 3.4.4): an ops-rs charm must run it, not refuse its environment, or
/// the relation can never be removed.
#[test]
fn relation_broken_runs_after_the_remote_application_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let s = inline(
        dir.path(),
        "steps:\n  - deploy\n  - relate: {endpoint: website, app: client, units: [client/0]}\n  - break: {endpoint: website, app-removed: true}\n    expect: {hooks: [website-relation-departed, website-relation-broken], exit-code: 0}\n",
    );
    let r = juju_sim(&s, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn failed_expectations_fail_the_run_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let s = inline(
        dir.path(),
        "steps:\n  - deploy:\n    expect: {unit-status: \"blocked: nope\"}\n",
    );
    let r = juju_sim(&s, &[]);
    assert_eq!(r.code, 1);
    let e = r.events.iter().find(|e| e["event"] == "expect").unwrap();
    assert_eq!(
        e["failures"][0],
        "unit-status: expected \"blocked: nope\", got \"active: serving on 8080\""
    );
}

#[test]
fn state_out_writes_the_final_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("final.json");
    let r = juju_sim(
        &shipped("relation-lifecycle.yaml"),
        &["--state-out", out.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st =
        ops::testing::juju::JujuState::from_json(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert!(
        st.relations.is_empty(),
        "the relation was broken and removed"
    );
    assert_eq!(st.app_version, "port-8080");
}
