//! juju-sim runs any charm: here `#!/bin/sh` dispatch scripts calling hook tools, as a
//! Python charm's dispatch would. Checks the hook environment, tool records, rollback and
//! retry, `juju-sim hook`, and the errors users see.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ops::testing::juju::JujuState;

const META: &str = "name: shell
containers: {web: {}}
provides: {website: {interface: http}}
config: {options: {port: {type: int, default: 80}}}
actions: {greet: {params: {name: {type: string, maxLength: 8}}}}
";

/// A charm directory whose dispatch is `body` (after a shebang).
fn charm(dir: &Path, body: &str) -> PathBuf {
    let c = dir.join("charm");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("metadata.yaml"), META).unwrap();
    std::fs::write(c.join("dispatch"), format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(c.join("dispatch"), std::fs::Permissions::from_mode(0o755)).unwrap();
    c
}

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_juju-sim"))
        .args(args)
        .env("JUJU_SIM_TEST_LEAK", "x")
        .output()
        .unwrap()
}

fn run(charm: &Path, work: &Path, scenario: &str, extra: &[&str]) -> Output {
    let s = work.with_extension("yaml");
    std::fs::write(&s, scenario).unwrap();
    let mut args = vec![
        "run",
        "--charm",
        charm.to_str().unwrap(),
        "--work-dir",
        work.to_str().unwrap(),
        "--scenario",
        s.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sim(&args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Per hook run: the `KEY=VALUE` environment it saw.
fn envs(work: &Path) -> Vec<Vec<(String, String)>> {
    let log = std::fs::read_to_string(work.join("charm/env.log")).unwrap();
    log.split("----\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            b.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
    env.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

const DUMP_ENV: &str = r#"{ env | grep -E '^(JUJU_|CHARM_DIR|OPS_RS_|PATH=|JUJU_SIM_TEST_LEAK)' | sort; echo ----; } >> "$JUJU_CHARM_DIR/env.log"
juju-log "ran $JUJU_DISPATCH_PATH""#;

#[test]
fn hooks_get_jujus_environment() {
    let dir = tempfile::tempdir().unwrap();
    let c = charm(dir.path(), DUMP_ENV);
    let work = dir.path().join("w");
    let o = run(
        &c,
        &work,
        r#"
model: {unit: shell/3, name: prod}
steps:
  - deploy
  - relate: {endpoint: website, app: client, units: [client/0]}
  - depart: {endpoint: website, unit: client/0}
  - break: {endpoint: website, app-removed: true}
  - action: {name: greet, params: {name: x}}
  - notice: {container: web, key: example.com/ready}
"#,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let envs = envs(&work);
    let by_hook = |p: &str| {
        envs.iter()
            .find(|e| get(e, "JUJU_DISPATCH_PATH") == Some(p))
            .unwrap_or_else(|| panic!("no {p}"))
    };
    let install = by_hook("hooks/install");
    assert_eq!(get(install, "JUJU_HOOK_NAME"), Some("install"));
    assert_eq!(get(install, "JUJU_UNIT_NAME"), Some("shell/3"));
    assert_eq!(get(install, "JUJU_MODEL_NAME"), Some("prod"));
    assert!(get(install, "JUJU_MODEL_UUID").is_some_and(|u| u.len() == 36));
    assert_eq!(get(install, "JUJU_VERSION"), Some("3.6.4"));
    assert_eq!(
        get(install, "JUJU_CHARM_DIR"),
        Some(work.join("charm").to_str().unwrap())
    );
    assert_eq!(
        get(install, "OPS_RS_CONTAINERS_DIR"),
        Some(work.join("containers").to_str().unwrap())
    );
    assert!(get(install, "JUJU_CONTEXT_ID").is_some());
    assert!(
        get(install, "PATH")
            .unwrap()
            .starts_with(work.join("bin").to_str().unwrap())
    );
    assert_eq!(
        get(install, "JUJU_SIM_TEST_LEAK"),
        None,
        "juju-sim's own environment does not leak"
    );
    assert_eq!(get(install, "JUJU_RELATION"), None);
    // Exported in every hook, empty where they do not apply (no machine on Kubernetes, no
    // principal for a principal unit), as Juju's HookVars does.
    for var in [
        "JUJU_MACHINE_ID",
        "JUJU_PRINCIPAL_UNIT",
        "JUJU_AVAILABILITY_ZONE",
        "JUJU_API_ADDRESSES",
    ] {
        assert_eq!(get(install, var), Some(""), "{var}");
    }

    let joined = by_hook("hooks/website-relation-joined");
    assert_eq!(get(joined, "JUJU_RELATION"), Some("website"));
    assert_eq!(get(joined, "JUJU_RELATION_ID"), Some("website:1"));
    assert_eq!(get(joined, "JUJU_REMOTE_UNIT"), Some("client/0"));
    assert_eq!(get(joined, "JUJU_REMOTE_APP"), Some("client"));
    let created = by_hook("hooks/website-relation-created");
    assert_eq!(
        get(created, "JUJU_REMOTE_UNIT"),
        Some(""),
        "exported, empty"
    );
    let departed = by_hook("hooks/website-relation-departed");
    assert_eq!(get(departed, "JUJU_DEPARTING_UNIT"), Some("client/0"));
    // The remote application was removed: Juju sends relation-broken with it empty.
    let broken = by_hook("hooks/website-relation-broken");
    assert_eq!(get(broken, "JUJU_REMOTE_APP"), Some(""));
    assert_eq!(get(broken, "JUJU_REMOTE_UNIT"), Some(""));
    let action = by_hook("actions/greet");
    assert_eq!(get(action, "JUJU_ACTION_NAME"), Some("greet"));
    let id = get(action, "JUJU_ACTION_UUID").unwrap();
    assert!(
        id.parse::<u64>().is_ok(),
        "Juju 3's action ids are numbers: {id}"
    );
    assert_eq!(
        get(action, "JUJU_ACTION_TAG"),
        Some(format!("action-{id}").as_str())
    );
    assert_eq!(
        get(action, "JUJU_HOOK_NAME"),
        None,
        "actions have no hook name"
    );
    let ready = by_hook("hooks/web-pebble-ready");
    assert_eq!(get(ready, "JUJU_WORKLOAD_NAME"), Some("web"));
    let notice = by_hook("hooks/web-pebble-custom-notice");
    assert_eq!(get(notice, "JUJU_NOTICE_KEY"), Some("example.com/ready"));
    assert_eq!(get(notice, "JUJU_NOTICE_TYPE"), Some("custom"));
    assert!(get(notice, "JUJU_NOTICE_ID").is_some());
}

#[test]
fn a_failed_hook_is_rolled_back_but_what_juju_sends_at_once_stays() {
    // Juju's hook context sends relation data, ports and secrets to the controller when the
    // hook succeeds, but statuses, the workload version and log lines as the tools run.
    let dir = tempfile::tempdir().unwrap();
    let c = charm(
        dir.path(),
        r#"
case "$JUJU_DISPATCH_PATH" in
  hooks/website-relation-changed)
    application-version-set 2.0
    relation-set url=http://x
    status-set active changed
    juju-log "about to fail"
    exit 1 ;;
esac
"#,
    );
    let work = dir.path().join("w");
    let out = dir.path().join("state.json");
    let o = run(
        &c,
        &work,
        r#"
steps:
  - deploy
  - relate: {endpoint: website, app: client, units: [client/0]}
    expect: {exit-code: 1, unit-status: "error: hook failed: \"website-relation-changed\""}
"#,
        &["--retries", "0", "--state-out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "the failure is expected: {}", text(&o));
    let st = JujuState::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(st.app_version, "2.0", "application-version-set stands");
    assert!(
        st.relations[0].local_unit_data.is_empty(),
        "relation-set rolled back"
    );
    assert_eq!(
        st.unit_status.to_string(),
        "error: hook failed: \"website-relation-changed\""
    );
    assert_eq!(
        st.unit_status_history
            .last()
            .map(|s| s.to_string())
            .as_deref(),
        Some("active: changed"),
        "the error replaced the status the failed hook set"
    );
    assert!(
        st.log_messages().contains(&"about to fail"),
        "juju-log lines stay"
    );
    let lines: Vec<String> = st.calls.iter().map(|c| c.line()).collect();
    assert!(
        lines.contains(&"relation-set url=http://x".to_owned()),
        "calls stay recorded: {lines:?}"
    );
    assert!(text(&o).contains("no retries left"));
}

#[test]
fn a_hook_that_fails_once_succeeds_on_retry_with_the_charms_status() {
    let dir = tempfile::tempdir().unwrap();
    let c = charm(
        dir.path(),
        r#"
if [ "$JUJU_HOOK_NAME" = config-changed ]; then
  if [ ! -f "$JUJU_CHARM_DIR/failed-once" ]; then
    touch "$JUJU_CHARM_DIR/failed-once"; status-set blocked first; exit 3
  fi
  status-set active "port $(config-get port)"
fi
"#,
    );
    let work = dir.path().join("w");
    let o = run(
        &c,
        &work,
        "model: {config: {port: 99}}\nsteps:\n  - deploy:\n    expect: {unit-status: \"active: port 99\", exit-code: 0}\n",
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("exit 3"), "{t}");
    assert!(t.contains("-> config-changed (retry 1)"), "{t}");
    assert!(t.contains("1 retries"), "{t}");
}

#[test]
fn the_status_history_of_retried_and_given_up_hooks() {
    // The error status of an attempt that is retried leaves no trace in the history; that of
    // an attempt given up is a status like any other (the one it replaced goes into the
    // history). The statuses a failed attempt set stand, as in Juju, where `status-set`
    // reaches the controller at once: the retry starts from them.
    let dir = tempfile::tempdir().unwrap();
    let c = charm(
        dir.path(),
        r#"
case "$JUJU_HOOK_NAME" in
  install) status-set maintenance installing ;;
  config-changed)
    if [ ! -f "$JUJU_CHARM_DIR/failed-once" ]; then
      touch "$JUJU_CHARM_DIR/failed-once"; status-set blocked first; exit 3
    fi
    status-set active ready ;;
  update-status) status-set waiting never; exit 1 ;;
esac
"#,
    );
    let work = dir.path().join("w");
    let out = dir.path().join("state.json");
    let o = run(
        &c,
        &work,
        r#"
steps:
  - deploy:
    expect: {unit-status: "active: ready", exit-code: 0}
  - update-status:
    expect: {exit-code: 1, unit-status: "error: hook failed: \"update-status\""}
"#,
        &["--retries", "1", "--state-out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let st = JujuState::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let history: Vec<String> = st
        .unit_status_history
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        history,
        [
            "unknown",                 // install's status-set
            "maintenance: installing", // config-changed's failed attempt's status-set
            "blocked: first",          // config-changed's retry's status-set
            "active: ready",           // update-status's first attempt's status-set
            "waiting: never",          // update-status's retry's status-set
            "waiting: never",          // replaced by the error of the attempt given up
        ]
    );
    assert_eq!(
        st.unit_status.to_string(),
        "error: hook failed: \"update-status\""
    );
    assert!(
        st.app_status_history.is_empty(),
        "{:?}",
        st.app_status_history
    );
}

#[test]
fn relation_tools_default_to_the_hooks_relation() {
    let dir = tempfile::tempdir().unwrap();
    let c = charm(
        dir.path(),
        r#"
if [ "$JUJU_HOOK_NAME" = website-relation-changed ]; then
  relation-set "seen=$(relation-get host)"
fi
"#,
    );
    let work = dir.path().join("w");
    let o = run(
        &c,
        &work,
        r#"
steps:
  - relate: {endpoint: website, app: client, units: {client/0: {host: 10.0.0.9}}}
    expect: {relation-data: {endpoint: website, unit: {seen: 10.0.0.9}}}
"#,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_workload_notifying_through_pebble_is_delivered() {
    let dir = tempfile::tempdir().unwrap();
    // The charm plays the workload: in start it notifies through the container's socket.
    let c = charm(
        dir.path(),
        r#"
if [ "$JUJU_HOOK_NAME" = start ]; then
  PEBBLE_SOCKET="$OPS_RS_CONTAINERS_DIR/web/pebble.socket" pebble notify example.com/started phase=boot
fi
if [ "$JUJU_HOOK_NAME" = web-pebble-custom-notice ]; then
  juju-log "got $JUJU_NOTICE_KEY"
fi
"#,
    );
    let work = dir.path().join("w");
    let o = run(
        &c,
        &work,
        "steps:\n  - deploy:\n    expect: {log-contains: got example.com/started}\n",
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn juju_sim_hook_runs_one_hook_in_a_kept_work_dir() {
    let dir = tempfile::tempdir().unwrap();
    let c = charm(
        dir.path(),
        r#"[ "$JUJU_HOOK_NAME" = update-status ] && status-set maintenance "tick $JUJU_RELATION_ID"; exit 0"#,
    );
    let work = dir.path().join("w");
    let o = run(&c, &work, "steps: [deploy]", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = sim(&[
        "hook",
        "update-status",
        "--work-dir",
        work.to_str().unwrap(),
        "--env",
        "JUJU_RELATION_ID=website:7",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let st = juju_sim::state_file::load(&work.join("state.json")).unwrap();
    assert_eq!(st.unit_status.to_string(), "maintenance: tick website:7");
}

#[test]
fn errors_tell_the_user_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let c = charm(dir.path(), "exit 0");
    std::fs::remove_file(c.join("dispatch")).unwrap();
    let o = sim(&["run", "--charm", c.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("no executable dispatch in") && text(&o).contains("pass --dispatch"),
        "{}",
        text(&o)
    );

    let c = charm(dir.path(), "exit 0");
    let work = dir.path().join("w");
    let o = run(
        &c,
        &work,
        "steps:\n  - relate: {endpoint: db, app: pg}\n",
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(
            "steps[1] (relate).relate.endpoint: the charm has no endpoint \"db\" (it has: website)"
        ),
        "{}",
        text(&o)
    );

    let o = run(
        &c,
        &work,
        "steps: [deploy]",
        &["--hook-tool", "/nonexistent/hook-tool"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("cannot find the hook-tool binary"),
        "{}",
        text(&o)
    );

    let o = sim(&[
        "hook",
        "install",
        "--work-dir",
        dir.path().join("nope").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("is not a juju-sim work directory"),
        "{}",
        text(&o)
    );

    let o = sim(&["--help"]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("Scenario format: juju-sim/scenarios/README.md")
    );
}

/// `juju run` checks an action's parameters against its whole schema (here `maxLength`, not
/// only the type) and refuses the action before any hook runs; juju-sim refuses the scenario
/// the same way, naming the step.
#[test]
fn an_action_juju_would_refuse_runs_no_hook() {
    let dir = tempfile::tempdir().unwrap();
    let c = charm(dir.path(), DUMP_ENV);
    let work = dir.path().join("w");
    let o = run(
        &c,
        &work,
        "steps:\n  - deploy\n  - action: {name: greet, params: {name: much too long}}\n",
        &[],
    );
    assert!(!o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("steps[2] (action)"), "{t}");
    assert!(
        t.contains("parameter 'name' must be at most 8 characters long"),
        "{t}"
    );
    assert!(!work.join("charm/env.log").exists(), "no hook ran");
}
