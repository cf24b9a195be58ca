//! What `benchmarks/compare` relies on, checked cheaply in the default test run (no timing
//! is asserted): its scenario fits the webkv charm, and juju-sim's JSON trace carries the
//! per-hook figures it reads (wall time in µs, hook-tool calls and their time).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use std::process::Command;

use juju_sim::Scenario;
use serde_json::Value;

mod support;
use support::{program, workspace};

#[test]
fn the_benchmark_scenario_fits_the_webkv_charm() {
    let meta = ops::metadata::CharmMeta::from_charm_dir(workspace()).unwrap();
    let s = Scenario::load(&workspace().join("benchmarks/scenarios/webkv.yaml")).unwrap();
    s.validate(&meta).unwrap();
}

#[test]
fn the_trace_has_the_figures_the_benchmark_reads() {
    let sim = workspace().join("juju-sim");
    let out = Command::new(program("juju-sim"))
        .args(["run", "--format", "json", "--charm"])
        .arg(sim.join("examples/sim-test-charm"))
        .arg("--dispatch")
        .arg(program("sim-test-charm"))
        .arg("--scenario")
        .arg(sim.join("scenarios/config-change.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hooks: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "hook")
        .collect();
    let cc = hooks
        .iter()
        .rfind(|h| h["hook"] == "config-changed")
        .unwrap();
    let calls = cc["calls"].as_array().unwrap().len() as u64;
    let tool_calls = cc["tool_calls"].as_u64().unwrap();
    // `calls` leaves juju-log out; `tool_calls` counts every call.
    assert!(calls > 0 && tool_calls >= calls, "{cc}");
    let (wall, tools) = (
        cc["duration_us"].as_u64().unwrap(),
        cc["tool_us"].as_u64().unwrap(),
    );
    assert!(tools > 0 && tools <= wall, "{cc}");
    if let Some(rss) = cc.get("peak_rss_kb") {
        assert!(rss.as_u64().unwrap() > 0, "{cc}");
    }
    // The dispatch process's own CPU time: some, and no more than its wall time.
    let cpu = cc["cpu_us"].as_u64().unwrap();
    assert!(cpu > 0 && cpu <= wall, "{cc}");
}
