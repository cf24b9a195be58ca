//! The example charm (webkv) deployed through juju-sim with its workload really running:
//! the unit goes active because the workload's own `pebble notify` reaches the charm, and
//! the workload's processes do not outlive juju-sim, also when it is interrupted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::example::{Run, answers, charm_binary, free_port, repo, run, scenario};
use support::program;

#[test]
fn every_webkv_scenario_is_valid_for_the_example_charm() {
    // The example charm's scenarios (metadata in the repository root); juju-sim's own
    // generic ones are checked in its tests.
    let webkv = ops::metadata::CharmMeta::from_charm_dir(repo()).unwrap();
    let w = support::validate_scenarios(&repo().join("charm-example/scenarios"), &webkv);
    assert!(w >= 11, "{w} webkv scenarios");
}

#[test]
fn deploy_goes_active_when_the_workloads_own_notice_arrives() {
    let port = free_port();
    let r = run(&scenario("webkv-deploy"), port, &[]);
    r.assert_ok();

    // Juju's order, then the workload events: pebble-ready, then the workload's notice.
    assert_eq!(
        r.hooks(),
        [
            "install",
            "leader-elected",
            "config-changed",
            "start",
            "web-pebble-ready",
            "web-pebble-custom-notice"
        ]
    );
    // No scenario step recorded a notice: the start wrapper, run by Pebble as the webkv
    // service, did (`pebble notify webkv.example.com/ready port=<port>`).
    let steps: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e["event"] == "step")
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["deploy", "wait"]);
    let notice = format!("custom notice 2 webkv.example.com/ready [port={port}]");
    assert!(
        r.notes().iter().any(|n| n.contains(&notice)),
        "{:?}",
        r.notes()
    );
    let hook = r.hook("web-pebble-custom-notice");
    assert!(
        hook["context"]
            .as_str()
            .unwrap()
            .contains("key=webkv.example.com/ready"),
        "{hook}"
    );

    // Before the notice the charm reports starting; the notice handler makes it active.
    assert_eq!(
        r.hook("web-pebble-ready")["unit_status"],
        format!("maintenance: starting webkv on :{port}")
    );
    let calls = Run::calls(hook);
    assert!(
        calls.contains(&format!(
            "status-set --application=false active -- serving on :{port}"
        )),
        "{calls:?}"
    );
    let leader = Run::calls(r.hook("leader-elected"));
    assert!(
        leader.contains(&format!("open-port {port}/tcp")),
        "{leader:?}"
    );
    assert!(
        leader
            .iter()
            .any(|c| c.starts_with("secret-add --label webkv-admin-token")),
        "{leader:?}"
    );

    // The final model.
    assert_eq!(r.unit_status(), format!("active: serving on :{port}"));
    assert_eq!(r.ports(), [format!("{port}/tcp")]);
    assert_eq!(r.summary()["deferred"].as_array().map(Vec::len), Some(0));
    assert_eq!(r.summary()["failures"], 0);

    // The charm wrote the workload's files into the container; the server's data directory
    // was mapped into it (nothing on the host's /var/lib/webkv).
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(r.web_file("/etc/webkv/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["port"], port);
    assert!(r.web_file("/usr/local/bin/webkv-start").is_file());
    assert!(r.web_file("/var/lib/webkv").is_dir());

    // juju-sim stopped the workload when it ended.
    assert!(
        !answers(port),
        "webkv still answers on {port} after juju-sim ended"
    );
}

#[test]
fn ctrl_c_stops_the_workload() {
    let charm = charm_binary();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    // The deploy scenario, then a long wait to be interrupted in.
    let text = std::fs::read_to_string(scenario("webkv-deploy")).unwrap() + "\n  - wait: 10m\n";
    let file = dir.path().join("interrupted.yaml");
    std::fs::write(&file, text).unwrap();
    let mut child = Command::new(program("juju-sim"))
        .args(["run", "--charm"])
        .arg(repo())
        .arg("--dispatch")
        .arg(&charm)
        .args(["--real-processes", "--scenario"])
        .arg(&file)
        .arg("--var")
        .arg(format!("port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !answers(port) {
        assert!(Instant::now() < deadline, "webkv never answered on {port}");
        assert!(child.try_wait().unwrap().is_none(), "juju-sim ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "juju-sim exits 128 + SIGINT");
    // Its temporary work directory goes too (named on its first stdout line).
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let work = first
        .rsplit(" in ")
        .next()
        .map(|w| std::path::PathBuf::from(w.trim()))
        .unwrap();
    assert!(first.starts_with("juju-sim: unit webkv/0"), "{first}");
    assert!(
        !work.exists(),
        "{} was left behind: {:?}",
        work.display(),
        std::fs::read_dir(&work).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    // The service runs in a process group of its own (a terminal's Ctrl-C does not reach
    // it): juju-sim stopped it before exiting.
    let deadline = Instant::now() + Duration::from_secs(30);
    while answers(port) {
        assert!(
            Instant::now() < deadline,
            "webkv still answers on {port} after juju-sim was interrupted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn run_example_is_a_valid_bash_script() {
    let script = repo().join("run-example");
    let status = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success(), "bash -n run-example");
    let text = std::fs::read_to_string(&script).unwrap();
    for needle in [
        "set -euo pipefail",
        "--real-processes",
        "charm-example/scenarios/webkv-deploy.yaml",
        "rustup",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
}
