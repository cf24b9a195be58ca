//! The example charm (webkv) under faults, with its workload really running: Pebble away
//! for less than the retry budget (ridden out, no defer), Pebble lost part-way for longer
//! (deferred, waiting, finished on a later hook), a hook that fails (rolled back, retried,
//! succeeds) and a corrupt unit state file (a clear error, the unit in error).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use serde_json::Value;
use support::example::{Run, free_port, run, scenario};

fn logs(hook: &Value) -> Vec<String> {
    hook["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn pebble_down_shorter_than_the_retry_budget_is_ridden_out() {
    let port = free_port();
    let r = run(&scenario("webkv-fault-pebble-down-short"), port, &[]);
    r.assert_ok();
    let changed = r.step_hook(4, "config-changed");
    assert_eq!(changed["hook"], "config-changed");
    assert_eq!(changed["exit_code"], 0);
    assert_eq!(changed["deferred"], serde_json::json!([]));
    let logs = logs(changed);
    assert!(
        logs.iter()
            .any(|l| l.starts_with("Pebble call failed; retrying")),
        "{logs:?}"
    );
    // The work was done in that hook: the service restarted with the new greeting.
    assert_eq!(
        changed["unit_status"],
        format!("maintenance: starting webkv on :{port}")
    );
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
    assert_eq!(r.summary()["deferred"], serde_json::json!([]));
}

#[test]
fn pebble_lost_for_longer_defers_then_finishes_on_a_later_hook() {
    let port = free_port();
    let r = run(&scenario("webkv-fault-pebble-down-long"), port, &[]);
    r.assert_ok();
    let changed = r.step_hook(4, "config-changed");
    assert_eq!(changed["hook"], "config-changed");
    assert_eq!(changed["exit_code"], 0);
    assert_eq!(
        changed["unit_status"],
        "waiting: waiting for Pebble in the web container"
    );
    assert_eq!(
        changed["deferred"],
        serde_json::json!(["config-changed by reconcile"])
    );
    let logs = logs(changed);
    assert!(
        logs.iter().any(|l| l.contains("giving up on Pebble call")),
        "{logs:?}"
    );
    // The next hook re-emits the deferred config-changed first; it now succeeds.
    let update = r.step_hook(6, "update-status");
    assert_eq!(update["hook"], "update-status");
    assert_eq!(update["deferred"], serde_json::json!([]));
    let l = self::logs(update);
    assert!(
        l.iter()
            .any(|m| m.starts_with("re-emitting deferred config-changed")),
        "{l:?}"
    );
    assert_eq!(
        update["unit_status"],
        format!("maintenance: starting webkv on :{port}")
    );
    // Pebble gone before a hook: waiting without a defer; the container's restart brings
    // pebble-ready, and the unit is active again.
    let early = r.step_hook(9, "config-changed");
    assert_eq!(early["deferred"], serde_json::json!([]));
    assert_eq!(
        early["unit_status"],
        "waiting: waiting for Pebble in the web container"
    );
    assert_eq!(r.step_hooks(10)[0], "web-pebble-ready");
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
}

#[test]
fn a_failed_hook_is_rolled_back_and_its_retry_succeeds() {
    let port = free_port();
    let r = run(&scenario("webkv-fault-hook-retry"), port, &[]);
    r.assert_ok();
    let step = r.step_events(4);
    let first = step[0];
    assert_eq!(
        (
            first["hook"].as_str(),
            first["attempt"].as_u64(),
            first["exit_code"].as_i64()
        ),
        (Some("config-changed"), Some(1), Some(1))
    );
    assert_eq!(
        first["unit_status"],
        "error: hook failed: \"config-changed\""
    );
    let calls = Run::calls(first);
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("status-set") && c.ends_with("[exit 1]")),
        "{calls:?}"
    );
    assert!(
        step.iter()
            .any(|e| e["event"] == "hook-failed" && e["retry"] == 1),
        "{step:?}"
    );
    let retry = step
        .iter()
        .find(|e| e["event"] == "hook" && e["attempt"] == 2)
        .unwrap();
    assert_eq!(retry["hook"], "config-changed");
    assert_eq!(retry["exit_code"], 0);
    let s = r.summary();
    assert_eq!(
        (s["failures"].as_u64(), s["retries"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["hooks_given_up"], 0);
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
}

#[test]
fn a_corrupt_state_file_is_a_clear_error_on_every_retry() {
    let port = free_port();
    let r = run(&scenario("webkv-fault-corrupt-state"), port, &[]);
    r.assert_ok();
    let attempts: Vec<&Value> = r
        .step_events(4)
        .into_iter()
        .filter(|e| e["event"] == "hook")
        .collect();
    assert_eq!(attempts.len(), 2, "the hook and its one retry");
    for a in &attempts {
        assert_eq!(a["hook"], "update-status");
        assert_eq!(a["exit_code"], 1);
        let l = logs(a);
        assert!(
            l.iter().any(|m| m.contains("is corrupt")
                && m.contains("move it aside to start with an empty state")),
            "{l:?}"
        );
    }
    assert_eq!(r.summary()["hooks_given_up"], 1);
    assert_eq!(r.unit_status(), "error: hook failed: \"update-status\"");
}
