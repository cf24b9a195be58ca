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
        "secret-set-old-juju.yaml",
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

/// Runs `yaml` (a scenario) against the test charm; asserts it held.
fn holds(yaml: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let r = juju_sim(&inline(dir.path(), yaml), &[]);
    assert_eq!(r.code, 0, "{:?} {:?} {}", r.failures(), r.notes(), r.stderr);
    r
}

/// Row 3: two `secret-set` calls in one hook keep content, description and label on every
/// Juju the simulator plays: 3.4 (each call replaces the last and resets the label), 3.5
/// (replaces, resets the rest before 3.5.5), 3.6 (merged).
#[test]
fn secret_content_and_info_in_one_hook_on_juju_34_35_36() {
    for (version, revision) in [("3.4.6", 2), ("3.5.4", 2), ("3.5.5", 2), ("3.6.4", 2)] {
        let r = holds(&format!(
            r#"
model:
  juju-version: {version}
  secrets:
    - {{id: "secret:d0qbv8r9fp2s0v7c8gmh", owner: unit, label: db, content: {{password: old}}}}
steps:
  - deploy
  - action: {{name: rotate-secret, params: {{label: db, password: new}}}}
  - action: {{name: show-secret, params: {{label: db}}}}
    expect:
      action-results: {{password: new, description: rotated, label: db, revision: "{revision}"}}
"#
        ));
        let hook = r.step_hook(2, "rotate-secret");
        let calls = Trace::calls(hook);
        let sets = calls.iter().filter(|c| c.starts_with("secret-set")).count();
        assert_eq!(sets, 2, "Juju {version}: {calls:?}");
        let peeks = calls.iter().any(|c| c.contains("--peek"));
        assert_eq!(peeks, version != "3.6.4", "Juju {version}: {calls:?}");
    }
}

/// Row 3: a juju-version that is none is refused when the scenario is read.
#[test]
fn a_bad_juju_version_is_a_scenario_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = juju_sim(
        &inline(dir.path(), "model: {juju-version: 3.x}\nsteps: [deploy]\n"),
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("model.juju-version") && r.stderr.contains("is not a Juju version"),
        "{}",
        r.stderr
    );
}

/// Row 7: on Kubernetes (the default model type) a port range is refused with Juju's reason,
/// by the model before any tool runs.
#[test]
fn port_range_refused_on_kubernetes() {
    let r = holds(
        r#"
steps:
  - deploy
  - action: {name: open-range, params: {from: 8000, to: 8099}}
    expect:
      ports: [8080/tcp]
"#,
    );
    let note = r
        .notes()
        .into_iter()
        .find(|n| n.starts_with("action open-range completed"))
        .unwrap();
    assert!(
        note.contains(
            "refused: cannot open port range 8000-8099/tcp: port ranges are not supported for \
             k8s applications, please specify a single port"
        ),
        "{note}"
    );
    let calls = Trace::calls(r.step_hook(2, "open-range"));
    assert!(
        !calls.iter().any(|c| c.starts_with("open-port")),
        "{calls:?}"
    );
}

/// Row 7: a charm with containers is a sidecar charm, which Juju deploys only on Kubernetes.
#[test]
fn a_sidecar_charm_on_a_machine_model_is_a_scenario_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = juju_sim(
        &inline(dir.path(), "model: {type: machine}\nsteps: [deploy]\n"),
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("model.type") && r.stderr.contains("Kubernetes"),
        "{}",
        r.stderr
    );
}

/// Row 8: the leader reads its units' statuses from `status-get --application`, which Juju
/// (and the simulator) nests inside the application's status.
#[test]
fn leader_reads_unit_statuses() {
    holds(
        r#"
model: {leader: true}
steps:
  - deploy
  - action: {name: unit-statuses}
    expect:
      action-results: {app: unknown, sim-test-0: "active: serving on 8080"}
"#,
    );
}

/// Row 9: Juju guarantees leadership for 30 s; the charm's clock passes 31 s between two
/// questions, and the lease lapsed meanwhile: the second answer is Juju's, not the cache's.
#[test]
fn leadership_is_asked_again_after_the_lease() {
    let r = holds(
        r#"
model: {leader: true}
steps:
  - deploy
  - lose-leadership: {after: 1}
  - action: {name: leader-lease}
    expect:
      action-results: {first: "true", second: "false"}
"#,
    );
    let calls = Trace::calls(r.step_hook(3, "leader-lease"));
    let asked = calls.iter().filter(|c| c.starts_with("is-leader")).count();
    assert_eq!(asked, 2, "{calls:?}");
}

/// Row 12: `network-get -r` of a relation Juju no longer knows says "relation not found";
/// the model then asks for the endpoint's own addresses, as Python ops does.
#[test]
fn network_of_a_gone_relation_is_the_endpoints() {
    let r = holds(
        r#"
model:
  networks: {website: 10.1.2.3}
steps:
  - deploy
  - action: {name: network, params: {id: 99}}
    expect:
      action-results: {ingress: 10.1.2.3}
"#,
    );
    let calls: Vec<String> = Trace::calls(r.step_hook(2, "network"))
        .into_iter()
        .filter(|c| c.starts_with("network-get"))
        .collect();
    assert_eq!(
        calls,
        [
            "network-get --format=json -r 99 website  [exit 2]",
            "network-get --format=json website"
        ]
    );
}
