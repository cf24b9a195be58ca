//! juju-sim's model of several applications, with small shell charms written by each test:
//! the order Juju runs hooks in across units, relation data carried both ways until the
//! model is quiet, departures and removals, leadership, the errors of bad scenarios, and
//! the private mount namespace that puts a script charm's Pebble at /charm/containers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers panic on purpose

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::Trace;

/// What every shell charm's dispatch starts with: strict, a log line naming the hook and its
/// relation environment, and `ids ENDPOINT` for relation ids.
const PRELUDE: &str = r#"#!/bin/sh
set -eu
hook="${JUJU_DISPATCH_PATH#*/}"
juju-log "ran $hook remote-unit=${JUJU_REMOTE_UNIT:-} remote-app=${JUJU_REMOTE_APP:-} departing=${JUJU_DEPARTING_UNIT:-}"
ids() { relation-ids "$1" --format=json | tr -d '[]"' | tr ',' ' '; }
leader=$(is-leader --format=json)
"#;

/// A charm in `dir/name`: metadata (name added) and a dispatch script (prelude added).
fn charm(dir: &Path, name: &str, metadata: &str, config: Option<&str>, body: &str) -> PathBuf {
    let c = dir.join(name);
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(
        c.join("metadata.yaml"),
        format!("name: {name}\nsummary: s\ndescription: d\n{metadata}"),
    )
    .unwrap();
    if let Some(config) = config {
        std::fs::write(c.join("config.yaml"), config).unwrap();
    }
    let d = c.join("dispatch");
    std::fs::write(&d, format!("{PRELUDE}{body}")).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    c
}

/// The provider: every unit writes `addr`, the leader `host` and `version` (config).
fn prov(dir: &Path) -> PathBuf {
    charm(
        dir,
        "prov",
        "provides: {db: {interface: pg}}\npeers: {ring: {interface: prov-ring}}\n",
        Some("options: {version: {type: string, default: \"1\"}}\n"),
        r#"for id in $(ids db); do
  relation-set -r "$id" addr="$JUJU_UNIT_NAME"
  if [ "$leader" = true ]; then relation-set -r "$id" --app host=prov version="$(config-get version)"; fi
done
status-set active "version $(config-get version)"
"#,
    )
}

/// The requirer: writes `user`, shows what the provider's leader wrote.
fn req(dir: &Path) -> PathBuf {
    charm(
        dir,
        "req",
        "requires: {db: {interface: pg}}\n",
        None,
        r#"for id in $(ids db); do
  relation-set -r "$id" user="$JUJU_UNIT_NAME"
  app=$(relation-list -r "$id" --app)
  status-set active "host=$(relation-get -r "$id" --app host "$app") version=$(relation-get -r "$id" --app version "$app")"
done
"#,
    )
}

fn scenario(dir: &Path, yaml: &str) -> PathBuf {
    let p = dir.join("scenario.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

fn juju_sim(scenario: &Path, extra: &[&str]) -> Trace {
    Trace::run(
        Command::new(env!("CARGO_BIN_EXE_juju-sim"))
            .args([
                "run",
                "--format",
                "json",
                "--log-level",
                "debug",
                "--scenario",
            ])
            .arg(scenario)
            .args(extra),
    )
}

fn assert_ok(r: &Trace) {
    assert!(
        r.code == 0 && r.failures().is_empty(),
        "exit {} failures {:?}\nhooks {:?}\nstderr:\n{}",
        r.code,
        r.failures(),
        r.unit_hooks(),
        r.stderr
    );
}

/// The log line of a hook attempt (the prelude's `ran ...`).
fn ran(hook: &serde_json::Value) -> String {
    hook["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .find(|m| m.starts_with("ran "))
        .unwrap_or_default()
        .to_owned()
}

const TWO_APPS: &str = r#"
applications:
  prov: {charm: prov, units: 2}
  req: {charm: req}
steps:
  - deploy
  - relate: [prov, req]
    expect:
      req/0:
        unit-status: "active: host=prov version=1"
        relation-data:
          endpoint: db
          unit: {user: req/0}
          remote-app: {host: prov, version: "1"}
          remote-units:
            prov/0: {addr: prov/0, ingress-address: 10.1.1.10, private-address: 10.1.1.10}
            prov/1: {addr: prov/1, ingress-address: 10.1.1.11}
      prov:
        relation-data: {endpoint: db, remote-units: {req/0: {user: req/0}}}
      prov/0:
        relation-data: {endpoint: db, app: {host: prov, version: "1"}}
  - config: {prov: {version: "2"}}
    expect:
      req/0: {unit-status: "active: host=prov version=2", hooks: [db-relation-changed]}
      prov: {hooks: [config-changed]}
"#;

#[test]
fn two_applications_converge_in_juju_order() {
    let dir = tempfile::tempdir().unwrap();
    prov(dir.path());
    req(dir.path());
    let r = juju_sim(&scenario(dir.path(), TWO_APPS), &[]);
    assert_ok(&r);

    // Deploy: each unit's own sequence as Juju runs it; one hook at a time, round the units.
    assert_eq!(
        r.hooks_of("prov/0")[..7],
        [
            "install",
            "ring-relation-created",
            "leader-elected",
            "config-changed",
            "start",
            "ring-relation-joined",
            "ring-relation-changed"
        ]
    );
    assert_eq!(
        r.hooks_of("prov/1")[..5],
        [
            "install",
            "ring-relation-created",
            "leader-settings-changed",
            "config-changed",
            "start"
        ]
    );
    assert_eq!(
        r.step_unit_hooks(1)[..3],
        ["prov/0 install", "prov/1 install", "req/0 install"]
    );
    let peer_join = r.unit_hook("prov/0", "ring-relation-joined");
    assert_eq!(peer_join["context"], "relation=ring:1 unit=prov/1");
    assert!(
        ran(peer_join).contains("remote-unit=prov/1 remote-app=prov "),
        "{}",
        ran(peer_join)
    );

    // Relate: created on both sides, then every member joined then changed at once; the
    // provider's application data as a changed hook with no remote unit.
    let req_hooks: Vec<String> = r
        .step_unit_hooks(2)
        .into_iter()
        .filter_map(|h| h.strip_prefix("req/0 ").map(str::to_owned))
        .collect();
    assert_eq!(req_hooks[0], "db-relation-created");
    let steps = r.step_events(2);
    let req_events: Vec<&serde_json::Value> = steps
        .iter()
        .copied()
        .filter(|e| e["event"] == "hook" && e["unit"] == "req/0")
        .collect();
    for (i, e) in req_events.iter().enumerate() {
        if e["hook"] == "db-relation-joined" {
            let next = req_events[i + 1];
            assert_eq!(next["hook"], "db-relation-changed");
            assert_eq!(
                next["context"], e["context"],
                "changed follows joined for the same unit"
            );
        }
    }
    let joined: Vec<&str> = req_events
        .iter()
        .filter(|e| e["hook"] == "db-relation-joined")
        .map(|e| e["context"].as_str().unwrap())
        .collect();
    assert_eq!(
        joined,
        ["relation=db:2 unit=prov/0", "relation=db:2 unit=prov/1"]
    );
    let app_changed = req_events
        .iter()
        .find(|e| e["hook"] == "db-relation-changed" && e["context"] == "relation=db:2")
        .expect("a relation-changed for the provider's application data");
    assert!(
        ran(app_changed).contains("remote-unit= remote-app=prov "),
        "{}",
        ran(app_changed)
    );
    // The provider's units were told of req/0 too, with its unit data.
    for u in ["prov/0", "prov/1"] {
        let j = r.unit_hook(u, "db-relation-joined");
        assert_eq!(j["context"], "relation=db:2 unit=req/0");
    }

    // One config change on one side: exactly one relation-changed on the other (the
    // leader's new version), then quiet.
    assert_eq!(
        r.step_unit_hooks(3),
        [
            "prov/0 config-changed",
            "prov/1 config-changed",
            "req/0 db-relation-changed"
        ]
    );
    let s = r.summary();
    assert_eq!(
        s["units"]["req/0"]["unit_status"],
        "active: host=prov version=2"
    );
}

#[test]
fn a_leaving_leader_departs_everything_and_leadership_moves() {
    let dir = tempfile::tempdir().unwrap();
    prov(dir.path());
    req(dir.path());
    let yaml = r#"
applications:
  prov: {charm: prov, units: 2}
  req: {charm: req}
relations:
  - [prov:db, req:db]
steps:
  - deploy
  - remove-unit: prov/0
    expect:
      req/0: {hooks: [db-relation-departed], unit-status: "active: host=prov version=1"}
      prov/1: {hooks: [leader-elected, ring-relation-departed]}
  - remove-application: req
    expect:
      prov/1: {hooks: [db-relation-departed, db-relation-broken]}
  - wait: {until: quiet, for: 300ms, timeout: 10s}
    expect:
      prov/1: {hooks: [], unit-status: "active: version 1"}
"#;
    let r = juju_sim(&scenario(dir.path(), yaml), &[]);
    assert_ok(&r);
    // The leaving unit: every member departs (itself the departing unit), relation-broken
    // for all but its peer relation, then stop and remove.
    let leaving: Vec<String> = r
        .step_unit_hooks(2)
        .into_iter()
        .filter_map(|h| h.strip_prefix("prov/0 ").map(str::to_owned))
        .collect();
    assert_eq!(
        leaving,
        [
            "ring-relation-departed",
            "db-relation-departed",
            "db-relation-broken",
            "stop",
            "remove"
        ]
    );
    let steps = r.step_events(2);
    let hook = |unit: &str, name: &str| {
        *steps
            .iter()
            .find(|e| e["event"] == "hook" && e["unit"] == unit && e["hook"] == name)
            .unwrap()
    };
    assert_eq!(
        hook("prov/0", "db-relation-departed")["context"],
        "relation=db:2 unit=req/0 departing=prov/0"
    );
    assert_eq!(
        hook("req/0", "db-relation-departed")["context"],
        "relation=db:2 unit=prov/0 departing=prov/0"
    );
    assert_eq!(
        hook("prov/1", "ring-relation-departed")["context"],
        "relation=ring:1 unit=prov/0 departing=prov/0"
    );
    assert!(
        r.notes()
            .iter()
            .any(|n| n == "prov/1 is elected leader of prov")
    );
    assert!(r.notes().iter().any(|n| n == "prov/0 is gone"));
    // The application goes: its relation breaks on the other side with no remote app.
    let broken = r.step_events(3);
    let broken = broken
        .iter()
        .find(|e| e["unit"] == "prov/1" && e["hook"] == "db-relation-broken")
        .unwrap();
    assert!(
        ran(broken).contains("remote-unit= remote-app= "),
        "{}",
        ran(broken)
    );
    assert!(
        r.step_events(4).iter().any(|e| e["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("quiet after "))),
        "{:?}",
        r.step_events(4)
    );
    let s = r.summary();
    assert_eq!(s["units"]["req/0"]["removed"], true);
    assert_eq!(s["units"]["prov/0"]["removed"], true);
    assert!(s["units"]["prov/1"].get("removed").is_none());
}

#[test]
fn charms_that_answer_each_other_forever_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"for id in $(ids chat); do relation-set -r "$id" n="$(date +%s%N)"; done
"#;
    charm(
        dir.path(),
        "ping",
        "provides: {chat: {interface: chat}}\n",
        None,
        body,
    );
    charm(
        dir.path(),
        "pong",
        "requires: {chat: {interface: chat}}\n",
        None,
        body,
    );
    let yaml = "applications: {ping: {charm: ping}, pong: {charm: pong}}\nrelations: [[ping, pong]]\nsteps: [deploy]\n";
    let r = juju_sim(&scenario(dir.path(), yaml), &["--settle-limit", "12"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the model is not quiet: ") && r.stderr.contains("ran 12 hooks in a row"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("chat-relation-changed"), "{}", r.stderr);
}

#[test]
fn bad_scenarios_say_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    prov(dir.path());
    req(dir.path());
    // Two requirers of the same interface make `relate: [prov, both]` ambiguous.
    charm(
        dir.path(),
        "both",
        "requires: {db: {interface: pg}, backup: {interface: pg}}\n",
        None,
        "",
    );
    let cases = [
        (
            "applications: {prov: {charm: prov}, req: {charm: req}}\nrelations: [[prov:nope, req]]\n",
            "relations[1]: prov has no endpoint \"nope\" (it has: db, ring)",
        ),
        (
            "applications: {prov: {charm: prov}, req: {charm: req}}\nrelations: [[prov:ring, req:db]]\n",
            "relations[1]: no relation between prov:ring and req:db",
        ),
        (
            "applications: {prov: {charm: prov}, both: {charm: both}}\nsteps: [{relate: [prov, both]}]\n",
            "steps[1] (relate).relate: prov and both can be related in several ways (prov:db both:backup; prov:db both:db): name the endpoints",
        ),
        (
            "applications: {prov: {charm: prov}}\nsteps: [{config: {prov: {version: 3}}}]\n",
            "steps[1] (config).config.prov.version: option \"version\" is of type string, got 3",
        ),
        (
            "applications: {prov: {charm: prov}}\nsteps: [{action: {unit: prov/0, name: go}}]\n",
            "steps[1] (action).action.name: charm prov has no action \"go\"",
        ),
        (
            "applications: {prov: {charm: prov}}\nsteps: [{remove-unit: web/0}]\n",
            "steps[1] (remove-unit).remove-unit: no application \"web\" (the scenario has: prov)",
        ),
        (
            "applications: {prov: {charm: missing}}\n",
            "applications.prov.charm: ",
        ),
    ];
    for (yaml, want) in cases {
        let r = juju_sim(&scenario(dir.path(), yaml), &[]);
        assert_eq!(r.code, 2, "{yaml}: {}", r.stderr);
        assert!(
            r.stderr.contains(want),
            "{yaml}\nwant {want}\ngot {}",
            r.stderr
        );
    }
    // At run time: a unit that is not there.
    let r = juju_sim(
        &scenario(
            dir.path(),
            "applications: {prov: {charm: prov}}\nsteps: [deploy, {remove-unit: prov/7}]\n",
        ),
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("step 2 (remove-unit): no unit prov/7 in the model"),
        "{}",
        r.stderr
    );
    // A scenario of several applications names its charms: no --charm.
    let r = juju_sim(
        &scenario(dir.path(), "applications: {prov: {charm: prov}}\n"),
        &["--charm", "."],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("leave out --charm, --dispatch and --image"),
        "{}",
        r.stderr
    );
}

/// A script charm with a container: at pebble-ready it asks Pebble, at the path Python ops
/// uses, to record a notice; the notice's hook sets the status.
fn shellweb(dir: &Path) -> PathBuf {
    charm(
        dir,
        "shellweb",
        "containers: {web: {resource: img}}\nresources: {img: {type: oci-image}}\n",
        None,
        r#"case "$hook" in
web-pebble-ready)
  if [ -S /charm/containers/web/pebble.socket ]; then
    PEBBLE_SOCKET=/charm/containers/web/pebble.socket pebble notify example.com/from-hook
  else
    status-set blocked "no socket at /charm/containers/web/pebble.socket"
  fi ;;
web-pebble-custom-notice) status-set active "notice $JUJU_NOTICE_KEY" ;;
esac
"#,
    )
}

const SHELLWEB: &str = r#"
applications:
  shellweb: {charm: shellweb}
steps:
  - deploy
  - wait:
      until: {shellweb/0: {unit-status: "active: notice example.com/from-hook"}}
      timeout: 20s
"#;

#[test]
fn a_script_charm_finds_its_pebble_at_charm_containers() {
    let host_had_charm = Path::new("/charm").exists();
    let dir = tempfile::tempdir().unwrap();
    shellweb(dir.path());
    let file = scenario(dir.path(), SHELLWEB);
    let r = juju_sim(&file, &[]);
    if r.stderr
        .contains("cannot give the hooks of charm shellweb a private mount namespace")
    {
        // Neither root nor user namespaces here: the line says so and what to do.
        eprintln!("skipped: {}", r.stderr.trim());
        return;
    }
    assert_ok(&r);
    assert_eq!(
        r.hooks_of("shellweb/0"),
        [
            "install",
            "leader-elected",
            "config-changed",
            "start",
            "web-pebble-ready",
            "web-pebble-custom-notice"
        ]
    );
    assert_eq!(
        Path::new("/charm").exists(),
        host_had_charm,
        "the namespace leaves the host's / alone"
    );
    // Without the namespace the socket is not there, as for a Python charm under juju-sim
    // before: the charm says so.
    let r = juju_sim(&file, &["--mount-namespace", "never"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.summary()["units"]["shellweb/0"]["unit_status"],
        "blocked: no socket at /charm/containers/web/pebble.socket"
    );
}

#[test]
fn an_unprivileged_user_gets_the_namespace_too() {
    // As root, run the same model as `nobody` (a user namespace then holds the mount
    // namespace); not root, the test above already runs unprivileged.
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: not root (the other namespace test runs unprivileged)");
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    shellweb(dir.path());
    let file = scenario(dir.path(), SHELLWEB);
    for p in [dir.path().join("shellweb"), file.clone()] {
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
    }
    let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644));
    let work = dir.path().join("work");
    let r = Trace::run(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_juju-sim"))
            .args(["run", "--format", "json", "--scenario"])
            .arg(&file)
            .arg("--work-dir")
            .arg(&work)
            .env("HOME", dir.path()),
    );
    if r.stderr
        .contains("cannot give the hooks of charm shellweb a private mount namespace")
    {
        eprintln!("skipped: {}", r.stderr.trim());
        return;
    }
    if r.code == 2 && r.stderr.contains("Permission denied") {
        // The build directory is not readable by `nobody` here.
        eprintln!(
            "skipped: juju-sim's binaries are not readable by nobody: {}",
            r.stderr.trim()
        );
        return;
    }
    assert_ok(&r);
    let unit = work.join("shellweb-0");
    let owner =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(unit.join("state.json")).unwrap());
    assert_eq!(owner, 65534, "the unit's files are nobody's");
}

#[test]
fn a_models_work_directory_and_final_state_are_per_unit() {
    let dir = tempfile::tempdir().unwrap();
    prov(dir.path());
    let file = scenario(
        dir.path(),
        "applications: {prov: {charm: prov, units: 2}}\nsteps: [deploy]\n",
    );
    let work = dir.path().join("model");
    let state = dir.path().join("state.json");
    let r = juju_sim(
        &file,
        &[
            "--work-dir",
            work.to_str().unwrap(),
            "--state-out",
            state.to_str().unwrap(),
        ],
    );
    assert_ok(&r);
    let states: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(states["prov/1"]["unit"], "prov/1");
    assert_eq!(states["prov/0"]["leader"], true);
    assert_eq!(states["prov/1"]["unit-status"]["message"], "version 1");
    // Each unit is a unit directory of its own, for `juju-sim hook`; the model's is not.
    let out = Command::new(env!("CARGO_BIN_EXE_juju-sim"))
        .args(["hook", "update-status", "--work-dir"])
        .arg(&work)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is a model of several applications: run the hook in one unit's directory"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_juju-sim"))
        .args(["hook", "update-status", "--work-dir"])
        .arg(work.join("prov-1"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second run into the same directory starts the model afresh.
    let r = juju_sim(&file, &["--work-dir", work.to_str().unwrap()]);
    assert_ok(&r);
    // Any other non-empty directory is refused.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("x"), "").unwrap();
    let r = juju_sim(&file, &["--work-dir", other.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("is not empty and not a juju-sim model directory"),
        "{}",
        r.stderr
    );
}
