//! Linux's and Juju's limits with real processes: ops-rs' hook-tool calls run against the
//! `hook-tool` binary (so the kernel itself refuses a command line that is too long), and the
//! test charm under `juju-sim`. What fits reaches the model whole; what cannot fit fails with
//! an error naming the limit before a tool runs. The limits are in `ops::hookcmds::limits`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use juju_sim::state_file;
use ops::hookcmds::limits::{MAX_ARG_LEN, MAX_STATE_VALUE_LEN};
use ops::hookcmds::secret::{SecretContent, SecretMetadata, SecretOwner};
use ops::hookcmds::{self, HookToolError, HookToolFailure, HookToolRunner};
use ops::status::Status;
use ops::store::{JujuStore, Store, StoreData, StoreError};
use ops::testing::juju::{ActionState, JujuSim, JujuState, RelationState};
use serde_json::{Value, json};

mod support;
use support::Trace;

/// Juju's hook tools as processes: `hook-tool` linked under every tool's name, over a state
/// file; a [`HookToolRunner`] like the one a charm uses in production.
#[derive(Clone)]
struct Tools {
    dir: Arc<tempfile::TempDir>,
    state: PathBuf,
}

impl Tools {
    fn new(state: &JujuState) -> Tools {
        let dir = tempfile::tempdir().unwrap();
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_hook-tool"));
        for tool in ops::testing::juju::tool_names() {
            std::os::unix::fs::symlink(&bin, dir.path().join(tool)).unwrap();
        }
        let path = dir.path().join("state.json");
        state_file::save(&path, state).unwrap();
        Tools {
            dir: Arc::new(dir),
            state: path,
        }
    }

    /// The model with the calls and log lines.
    fn saved(&self) -> JujuState {
        state_file::load(&self.state).unwrap()
    }
}

impl HookToolRunner for Tools {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolFailure> {
        let program = self.dir.path().join(tool);
        let mut child = Command::new(&program)
            .args(args)
            .env("JUJU_SIM_STATE", &self.state)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HookToolFailure::not_started(tool, args, &program, &e))?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(data).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(HookToolFailure {
                tool: tool.to_owned(),
                args: args.to_vec(),
                exit_code: out.status.code(),
                signal: None,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }
}

fn in_action() -> JujuState {
    let mut s = JujuState::new("web/0")
        .relation(RelationState::new(3, "db", "mysql").remote_unit("mysql/0", [("h", "x")]));
    s.action = Some(ActionState::new("run", json!({})));
    s
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

/// Text of `n` bytes.
fn bytes(c: char, n: usize) -> String {
    c.to_string().repeat(n / c.len_utf8())
}

// The kernel's refusal, and the in-memory Juju's.

#[test]
fn linux_refuses_a_long_argument_and_the_in_memory_juju_says_the_same() {
    let tools = Tools::new(&in_action());
    let long = args(&["--", &bytes('e', MAX_ARG_LEN + 1)]);
    let real = tools.run("action-fail", &long, None).unwrap_err();
    assert_eq!(real.exit_code, None);
    let sim = JujuSim::new(in_action());
    let simulated = sim.run("action-fail", &long, None).unwrap_err();
    assert_eq!(simulated.exit_code, None);
    let reason = |f: &HookToolFailure| f.stderr.rsplit(": ").next().unwrap_or_default().to_owned();
    assert_eq!(reason(&real), "Argument list too long (os error 7)");
    assert_eq!(reason(&simulated), reason(&real));
    assert!(tools.saved().calls.is_empty(), "the tool never ran");
}

// Row 2: the Juju-side store past 64 KiB.

fn store_data(charm_state: String) -> StoreData {
    StoreData {
        event_counter: 3,
        charm_state: Some(charm_state),
        ..StoreData::default()
    }
}

fn commit(tools: &Tools, data: &StoreData) -> Result<(), StoreError> {
    let mut store = JujuStore::new(Arc::new(tools.clone()));
    store.load()?;
    store.save(data)?;
    Box::new(store).commit()
}

fn load(tools: &Tools) -> StoreData {
    JujuStore::new(Arc::new(tools.clone())).load().unwrap()
}

#[test]
fn the_juju_store_keeps_more_than_one_juju_value_through_state_set() {
    let tools = Tools::new(&JujuState::new("web/0"));
    let big = store_data(json!({"blob": bytes('é', 300_000)}).to_string());
    commit(&tools, &big).unwrap();
    assert_eq!(load(&tools), big);
    let saved = tools.saved();
    assert!(
        saved.controller_state.len() > 5,
        "{:?}",
        saved.controller_state.keys()
    );
    assert!(
        saved
            .controller_state
            .values()
            .all(|v| v.len() <= MAX_STATE_VALUE_LEN)
    );
    // Past 2 MiB: refused before state-set runs, naming the limit.
    let huge = store_data(json!({"blob": bytes('x', 3_000_000)}).to_string());
    let e = commit(&tools, &huge).unwrap_err();
    assert!(matches!(e, StoreError::JujuLimit { .. }), "{e}");
    assert!(e.to_string().contains("max-charm-state-size"), "{e}");
    assert_eq!(load(&tools), big);
}

#[test]
fn the_juju_store_reads_and_moves_the_one_key_layout() {
    let mut old = JujuState::new("web/0");
    old.controller_state.insert(
        "ops-rs-state".into(),
        r#"{"version":1,"event_counter":9,"queue":[],"charm_state":"{\"n\":1}"}"#.into(),
    );
    let tools = Tools::new(&old);
    let data = load(&tools);
    assert_eq!(data.charm_state.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(data.event_counter, 9);
    commit(&tools, &store_data(r#"{"n":2}"#.into())).unwrap();
    let saved = tools.saved();
    assert!(!saved.controller_state.contains_key("ops-rs-state"));
    assert_eq!(
        load(&tools).charm_state.as_deref(),
        Some(r#"{"n":2}"#),
        "{:?}",
        saved.controller_state
    );
}

#[test]
fn state_set_refuses_what_juju_refuses_with_its_texts() {
    let tools = Tools::new(&JujuState::new("web/0"));
    let e = tools
        .run(
            "state-set",
            &args(&[&format!("k={}", bytes('v', MAX_STATE_VALUE_LEN + 1))]),
            None,
        )
        .unwrap_err();
    assert_eq!(
        e.stderr,
        "ERROR max allowed value length (65536) exceeded\n"
    );
    let e = tools
        .run(
            "state-set",
            &args(&[&format!("{}=v", bytes('k', 257))]),
            None,
        )
        .unwrap_err();
    assert_eq!(e.stderr, "ERROR max allowed key length (256) exceeded\n");
}

// Row 4: values on the command line.

#[test]
fn long_results_failures_statuses_and_versions_reach_juju_through_real_processes() {
    let tools = Tools::new(&in_action().leader(true));
    let many: serde_json::Map<String, Value> = (0..25)
        .map(|i| (format!("part-{i:02}"), json!(bytes('r', 100_000))))
        .collect();
    hookcmds::action::action_set(&tools, &many).unwrap();
    let failure = format!("backup failed: {}", bytes('e', 1 << 20));
    hookcmds::action::action_fail(&tools, Some(&failure)).unwrap();
    hookcmds::status::status_set(&tools, false, &Status::blocked(bytes('s', 200_000))).unwrap();
    hookcmds::app_version::application_version_set(&tools, &bytes('v', 200_000)).unwrap();
    let saved = tools.saved();
    let action = saved.action.unwrap();
    assert_eq!(action.results.len(), 25);
    assert!(
        action
            .results
            .values()
            .all(|v| v == &json!(bytes('r', 100_000)))
    );
    let failure = action.failure.unwrap();
    assert!(failure.starts_with("backup failed: eee") && failure.len() <= MAX_ARG_LEN);
    assert!(failure.ends_with("too long for one command-line argument]"));
    assert!(saved.unit_status.message().len() <= MAX_ARG_LEN);
    assert!(saved.app_version.len() <= MAX_ARG_LEN);
    // One result too long for an argument: refused before any process.
    let calls = saved.calls.len();
    let e = hookcmds::action::action_set(
        &tools,
        json!({"dump": bytes('d', 200_000)}).as_object().unwrap(),
    )
    .unwrap_err();
    assert!(matches!(e, HookToolError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("at most 131071 bytes"), "{e}");
    assert_eq!(tools.saved().calls.len(), calls);
}

// Row 5: juju-log by bytes.

#[test]
fn a_long_multibyte_log_line_reaches_juju_whole() {
    let tools = Tools::new(&JujuState::new("web/0"));
    let text = bytes('é', 300_000);
    hookcmds::log::juju_log(&tools, hookcmds::LogLevel::Info, &text).unwrap();
    let saved = tools.saved();
    let pieces: Vec<&str> = saved
        .log_messages()
        .into_iter()
        .filter(|l| l.starts_with('é'))
        .collect();
    assert!(pieces.len() >= 3);
    assert_eq!(pieces.concat(), text);
}

// Row 6: characters yaml.v2 refuses raw.

#[test]
fn relation_data_and_state_with_control_characters_arrive_unchanged() {
    let tools = Tools::new(&in_action());
    let value = "a\u{7f}b\u{80}c \u{85} d\u{2028}e\u{fffe}".to_owned();
    let data = BTreeMap::from([("v".to_owned(), value.clone())]);
    hookcmds::relation::relation_set(&tools, "db", 3, &data, false).unwrap();
    hookcmds::state::state_set(&tools, &data).unwrap();
    let saved = tools.saved();
    assert_eq!(saved.relations[0].local_unit_data["v"], value);
    assert_eq!(saved.controller_state["v"], value);
    // Written raw, as serde_json writes it, Juju's reader refuses it.
    let raw = serde_json::to_vec(&data).unwrap();
    let e = tools
        .run(
            "relation-set",
            &args(&["-r", "db:3", "--file", "-"]),
            Some(&raw),
        )
        .unwrap_err();
    assert_eq!(e.exit_code, Some(1));
    assert_eq!(e.stderr, "ERROR yaml: control characters are not allowed\n");
}

// Row 10: keys and secret sizes.

#[test]
fn bad_result_keys_and_secret_content_are_refused_before_the_tool_runs() {
    let tools = Tools::new(&in_action().leader(true));
    for results in [json!({"a": {"stdout": "x"}}), json!({"a..b": "x"})] {
        let e = hookcmds::action::action_set(&tools, results.as_object().unwrap()).unwrap_err();
        assert!(matches!(e, HookToolError::Invalid(_)), "{e}");
    }
    let meta = SecretMetadata::default();
    for content in [
        SecretContent::from_pairs([("a-b", "x")]),
        SecretContent::from_pairs([("big", bytes('x', 750_001))]),
    ] {
        let e =
            hookcmds::secret::secret_add(&tools, &content, &meta, SecretOwner::Unit).unwrap_err();
        assert!(matches!(e, HookToolError::Invalid(_)), "{e}");
    }
    assert!(tools.saved().calls.is_empty());
    // What Juju says to the same requests.
    let e = tools
        .run("action-set", &args(&["a.stdout=x"]), None)
        .unwrap_err();
    assert_eq!(e.exit_code, Some(2));
    assert_eq!(
        e.stderr,
        "ERROR cannot set reserved action key \"stdout\"\n"
    );
    let e = tools
        .run("secret-add", &args(&["a-b=x"]), None)
        .unwrap_err();
    assert_eq!(e.stderr, "ERROR key \"a-b\" not valid\n");
    let file = tools.dir.path().join("big");
    std::fs::write(&file, bytes('x', 750_001)).unwrap();
    let e = tools
        .run(
            "secret-add",
            &args(&["--owner", "unit", &format!("big#file={}", file.display())]),
            None,
        )
        .unwrap_err();
    assert_eq!(
        e.stderr,
        "ERROR base64 encoded secret content for key \"big\" too large: 1000004 bytes\n"
    );
    // Within the limits, the same content goes through.
    let fits = SecretContent::from_pairs([("big", bytes('x', 750_000))]);
    hookcmds::secret::secret_add(&tools, &fits, &meta, SecretOwner::Unit).unwrap();
}

// Row 11: `state-get` of a missing key.

#[test]
fn state_get_of_a_missing_key_is_none_through_the_real_tool() {
    let tools = Tools::new(&JujuState::new("web/0"));
    let out = tools
        .run("state-get", &args(&["--format=json", "missing"]), None)
        .unwrap();
    assert_eq!(out, b"\"\"\n");
    assert_eq!(hookcmds::state::state_get(&tools, "missing").unwrap(), None);
    tools.run("state-set", &args(&["empty="]), None).unwrap();
    assert_eq!(
        hookcmds::state::state_get(&tools, "empty")
            .unwrap()
            .as_deref(),
        Some("")
    );
}

// The same, end to end: the test charm under juju-sim.

fn charm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sim-test-charm")
}

fn juju_sim(dispatch: &Path, scenario: &str) -> Trace {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.yaml");
    std::fs::write(&file, scenario).unwrap();
    Trace::run(
        Command::new(env!("CARGO_BIN_EXE_juju-sim"))
            .args(["run", "--format", "json", "--charm"])
            .arg(charm_dir())
            .arg("--dispatch")
            .arg(dispatch)
            .arg("--scenario")
            .arg(&file),
    )
}

#[test]
fn an_action_failing_with_a_megabyte_message_reports_it_cut_not_lost() {
    let r = juju_sim(
        &support::program("sim-test-charm"),
        r#"
model: {leader: true}
steps:
  - deploy
  - action: {name: limits, params: {case: long-failure}}
    expect:
      exit-code: 0
      action-failed: "backup failed: eeee"
  - action: {name: limits, params: {case: many-results}}
    expect:
      exit-code: 0
      action-results: {part-00: "${r}", part-24: "${r}"}
  - action: {name: limits, params: {case: multibyte-log}}
    expect:
      exit-code: 0
      action-results: {logged: "true"}
"#
        .replace("${r}", &bytes('r', 100_000))
        .as_str(),
    );
    assert_eq!(r.code, 0, "{:?} {}", r.failures(), r.stderr);
    let pieces: String = r
        .logs()
        .iter()
        .filter(|l| l.starts_with('é'))
        .cloned()
        .collect();
    assert_eq!(pieces, bytes('é', 200_000));
}

#[test]
fn a_charm_with_the_juju_store_keeps_state_past_64_kib_across_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("dispatch");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nSIM_TEST_JUJU_STORAGE=1 exec '{}' \"$@\"\n",
            support::program("sim-test-charm").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let r = juju_sim(
        &wrapper,
        r#"
model: {leader: true}
steps:
  - deploy
  - action: {name: limits, params: {case: grow}}
  - action: {name: limits, params: {case: grow}}
  - action: {name: limits, params: {case: grow}}
  - update-status
  - action: {name: limits, params: {case: stored-size}}
    expect:
      exit-code: 0
      action-results: {size: "300000"}
"#,
    );
    assert_eq!(r.code, 0, "{:?} {}", r.failures(), r.stderr);
    assert_eq!(r.summary()["failures"], 0, "{:?}", r.summary());
    // The charm's state is in Juju's store, not in the charm directory.
    let calls: Vec<String> = r.attempts().iter().flat_map(|h| Trace::calls(h)).collect();
    assert!(
        calls.iter().any(|c| c.starts_with("state-set")),
        "{calls:?}"
    );
}
