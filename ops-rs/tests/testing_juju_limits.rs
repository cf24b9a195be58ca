//! Juju's and Linux's limits on what a charm sends through the hook tools, through the
//! testing API (the in-memory Juju is as strict as Juju and the kernel): whatever fits reaches
//! Juju whole; what cannot fit fails with an error naming the limit, before any tool runs.
//! The limits themselves are in `ops::hookcmds::limits`.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use ops::hookcmds::HookToolRunner;
use ops::hookcmds::limits::MAX_ARG_LEN;
use ops::hookcmds::secret::{SecretContent, SecretMetadata, SecretOwner};
use ops::metadata::CharmMeta;
use ops::model::{LogLevel, StatusTarget};
use ops::prelude::*;
use ops::testing::juju::{JujuSim, JujuState, RelationState};
use ops::testing::{Context, Output, RunError, State};
use serde_json::{Value, json};

const META: &str = r#"
name: lim
requires:
  db:
    interface: pg
actions:
  run:
    params:
      case:
        type: string
    required: [case]
"#;

/// A charm that sends one oversized (or awkward) thing per case of its `run` action, and
/// keeps whatever `install` is asked to keep in its stored state.
#[derive(Default)]
struct Lim;

/// Text of `n` bytes.
fn bytes(c: char, n: usize) -> String {
    c.to_string().repeat(n / c.len_utf8())
}

/// What `install` stores, by the unit's name (the test's only way in before the charm runs).
fn to_store(unit: &str) -> Value {
    match unit {
        "lim/1" => json!({"blob": bytes('s', 300_000)}),
        "lim/2" => json!({"blob": bytes('s', 3_000_000)}),
        "lim/3" => json!({"text": "a\u{7f}b\u{80}c\u{85}d\u{9f}e\u{2028}f\u{fffe}g"}),
        _ => json!({"n": 1}),
    }
}

impl Charm for Lim {
    type Stored = Value;

    fn observe(on: &mut Observers<Self>) {
        on.install("on_install", |_, ctx, _| {
            let unit = ctx.model().unit_name().to_owned();
            *ctx.stored_mut() = to_store(&unit);
            Ok(())
        });
        on.config_changed("on_config", |_, ctx, _| {
            if let Some(n) = ctx.stored().get("n").and_then(Value::as_u64) {
                ctx.stored_mut()["n"] = json!(n + 1);
            }
            Ok(())
        });
        on.action("run", "on_run", |_, ctx, ev| {
            let case = ev.params["case"].as_str().unwrap_or_default().to_owned();
            let m = ctx.model().clone();
            match case.as_str() {
                "many-results" => {
                    let results: serde_json::Map<String, Value> = (0..25)
                        .map(|i| (format!("part-{i:02}"), json!(bytes('r', 100_000))))
                        .collect();
                    m.action_set_results(&results)?;
                }
                "one-long-result" => m.action_set_results(&json!({"dump": bytes('r', 200_000)}))?,
                "long-failure" => {
                    m.action_fail(&format!("backup failed: {}", bytes('e', 1 << 20)))?;
                }
                "long-multibyte-log" => m.juju_log(LogLevel::Info, &bytes('é', 200_000))?,
                "long-action-log" => m.action_log(&bytes('p', 300_000))?,
                "long-status" => {
                    m.set_status(StatusTarget::Unit, &Status::blocked(bytes('s', 200_000)))?
                }
                "long-version" => m.set_workload_version(&bytes('v', 200_000))?,
                "relation-control" => {
                    m.relation("db", 3)
                        .local_unit_data()
                        .set("v", "a\u{7f}b\u{85}c  \u{2028}  d\u{9f}\u{ffff}")?;
                }
                "reserved-key" => m.action_set_results(&json!({"out": {"stdout": "x"}}))?,
                "empty-key-part" => m.action_set_results(&json!({"a..b": "x"}))?,
                "short-secret-key" => {
                    let content = SecretContent::from_pairs([("a-b", "x")]);
                    m.add_secret(&content, SecretOwner::Unit, &SecretMetadata::default())?;
                }
                "big-secret-value" => {
                    let content = SecretContent::from_pairs([("blob", bytes('x', 750_001))]);
                    m.add_secret(&content, SecretOwner::Unit, &SecretMetadata::default())?;
                }
                "big-secret" => {
                    let half = bytes('x', 400_000);
                    let content = SecretContent::from_pairs([("one", &half), ("two", &half)]);
                    m.add_secret(&content, SecretOwner::Unit, &SecretMetadata::default())?;
                }
                other => return Err(HandlerError::msg(format!("unknown case {other}"))),
            }
            Ok(())
        });
    }
}

fn ctx() -> Context<Lim> {
    Context::new(CharmMeta::from_charmcraft_yaml(META).expect("test metadata"))
}

fn state() -> State {
    State::new().relation(RelationState::new(3, "db", "pg").remote_unit("pg/0", [("h", "x")]))
}

fn run(case: &str) -> Result<Output, RunError> {
    let c = ctx();
    c.run(c.on.action("run", json!({"case": case})), &state())
}

/// The error and its sources, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn failure(case: &str) -> String {
    match run(case) {
        Ok(_) => panic!("{case}: the run succeeded"),
        Err(e) => chain(&e),
    }
}

// Row 2: the Juju-side store over 64 KiB.

fn juju_store_run(unit: &str, state: &State) -> Result<Output, RunError> {
    let c = ctx().juju_storage(true);
    let mut state = state.clone();
    state.juju.unit = unit.to_owned();
    c.run(c.on.install(), &state)
}

#[test]
fn the_juju_store_keeps_a_state_larger_than_one_juju_value() {
    let out = juju_store_run("lim/1", &State::new()).unwrap();
    assert_eq!(out.state.stored, Some(to_store("lim/1")));
    // Written in pieces Juju takes, each within its value limit (the simulator refuses more).
    let sets: Vec<_> = out
        .tool_calls
        .iter()
        .filter(|c| c.tool == "state-set")
        .collect();
    assert_eq!(sets.len(), 1, "one state-set for the whole commit");
    // And read back by the next hook.
    let c = ctx().juju_storage(true);
    let next = c.run(c.on.config_changed(), &out.state).unwrap();
    assert_eq!(next.state.stored, Some(to_store("lim/1")));
}

#[test]
fn the_juju_store_refuses_more_than_juju_keeps_and_says_which_limit() {
    let e = juju_store_run("lim/2", &State::new()).unwrap_err();
    let text = chain(&e);
    assert!(
        text.contains("2097152 bytes Juju keeps for a unit"),
        "{text}"
    );
    assert!(text.contains("max-charm-state-size"), "{text}");
    assert!(!text.contains("state-set"), "refused before Juju: {text}");
}

#[test]
fn the_juju_store_loads_what_the_one_key_layout_wrote_and_moves_it() {
    // What ops-rs before the layout in parts left in Juju's store.
    let mut old = State::new();
    old.juju.controller_state.insert(
        "ops-rs-state".into(),
        r#"{"version":1,"event_counter":4,"queue":[],"charm_state":"{\"n\":41}"}"#.into(),
    );
    old.juju
        .controller_state
        .insert("charm-own".into(), "kept".into());
    let c = ctx().juju_storage(true);
    let out = c.run(c.on.config_changed(), &old).unwrap();
    assert_eq!(out.state.stored, Some(json!({"n": 42})));
    assert!(
        out.tool_lines()
            .contains(&"state-delete ops-rs-state".to_owned()),
        "{:?}",
        out.tool_lines()
    );
    assert_eq!(
        out.state.juju.controller_state,
        BTreeMap::from([("charm-own".to_owned(), "kept".to_owned())])
    );
}

// Row 4: values on the command line over 128 KiB.

#[test]
fn action_results_past_one_command_line_are_set_in_several_calls() {
    let out = run("many-results").unwrap();
    let results = &out.action.as_ref().unwrap().results;
    assert_eq!(results.len(), 25);
    assert!(results.values().all(|v| v == &json!(bytes('r', 100_000))));
    let calls = out
        .tool_lines()
        .iter()
        .filter(|l| l.starts_with("action-set"))
        .count();
    assert!(calls > 1, "{calls} action-set calls");
}

#[test]
fn a_result_too_long_for_one_argument_is_refused_naming_the_limit() {
    let text = failure("one-long-result");
    assert!(text.contains("action result 'dump'"), "{text}");
    assert!(
        text.contains(&format!("at most {MAX_ARG_LEN} bytes")),
        "{text}"
    );
    assert!(!text.contains("Argument list too long"), "{text}");
}

#[test]
fn a_long_failure_message_is_cut_with_a_marker() {
    let out = run("long-failure").unwrap();
    let failure = out.action.unwrap().failure.unwrap();
    assert!(failure.len() <= MAX_ARG_LEN, "{}", failure.len());
    assert!(failure.starts_with("backup failed: eee"));
    assert!(failure.ends_with("more bytes cut: too long for one command-line argument]"));
}

#[test]
fn a_long_status_and_workload_version_are_cut_with_a_marker() {
    let out = run("long-status").unwrap();
    let status = out.state.juju.unit_status;
    assert_eq!(status.name(), "blocked");
    assert!(status.message().len() <= MAX_ARG_LEN);
    assert!(
        status
            .message()
            .ends_with("too long for one command-line argument]")
    );
    let out = run("long-version").unwrap();
    assert!(out.state.juju.app_version.len() <= MAX_ARG_LEN);
    assert!(out.state.juju.app_version.starts_with("vvv"));
}

#[test]
fn a_long_action_log_line_is_sent_whole_in_pieces() {
    let out = run("long-action-log").unwrap();
    let logs = out.action.unwrap().logs;
    assert!(logs.len() > 1);
    assert!(logs.iter().all(|l| l.len() <= MAX_ARG_LEN));
    assert_eq!(logs.concat(), bytes('p', 300_000));
}

// Row 5: juju-log split by bytes.

#[test]
fn a_long_multibyte_log_line_reaches_juju_whole_in_pieces_that_fit() {
    let out = run("long-multibyte-log").unwrap();
    let lines: Vec<&str> = out.log_messages();
    let pieces: Vec<&&str> = lines.iter().filter(|l| l.starts_with('é')).collect();
    assert!(pieces.len() >= 2, "{} pieces", pieces.len());
    assert!(pieces.iter().all(|l| l.len() <= MAX_ARG_LEN));
    assert_eq!(
        pieces.iter().map(|l| **l).collect::<String>(),
        bytes('é', 200_000)
    );
}

// Row 6: characters yaml.v2 refuses raw.

#[test]
fn relation_data_with_characters_yaml_refuses_raw_arrives_unchanged() {
    let out = run("relation-control").unwrap();
    assert_eq!(
        out.state.juju.relations[0].local_unit_data["v"],
        "a\u{7f}b\u{85}c  \u{2028}  d\u{9f}\u{ffff}"
    );
}

#[test]
fn the_juju_store_keeps_characters_yaml_refuses_raw() {
    let out = juju_store_run("lim/3", &State::new()).unwrap();
    assert_eq!(out.state.stored, Some(to_store("lim/3")));
}

// Row 10: action result keys and secret content, checked as Juju checks them.

#[test]
fn action_result_keys_are_checked_part_by_part_before_action_set_runs() {
    let text = failure("reserved-key");
    assert!(
        text.contains("'out.stdout'") && text.contains("reserves"),
        "{text}"
    );
    assert!(
        !text.contains("exited with code"),
        "refused before the tool ran: {text}"
    );
    let text = failure("empty-key-part");
    assert!(text.contains("'a..b'"), "{text}");
    assert!(
        !text.contains("exited with code"),
        "refused before the tool ran: {text}"
    );
}

#[test]
fn secret_keys_and_sizes_are_checked_before_secret_add_runs() {
    for (case, want) in [
        ("short-secret-key", "invalid secret key 'a-b'"),
        (
            "big-secret-value",
            "1000004 bytes as base64, over Juju's limit of 1000000",
        ),
        (
            "big-secret",
            "1066672 bytes as base64, over Juju's limit of 1000000",
        ),
    ] {
        let text = failure(case);
        assert!(text.contains(want), "{case}: {text}");
        assert!(!text.contains("exited with code"), "{case}: {text}");
    }
}

// Row 11: `state-get` on a missing key prints "".

#[test]
fn state_get_tells_a_missing_key_from_an_empty_value() {
    let sim = JujuSim::new(JujuState::new("lim/0"));
    assert_eq!(
        ops::hookcmds::state::state_get(&sim, "missing").unwrap(),
        None
    );
    sim.run(
        "state-set",
        &["empty=".to_owned(), "full=x".to_owned()],
        None,
    )
    .unwrap();
    assert_eq!(
        ops::hookcmds::state::state_get(&sim, "empty")
            .unwrap()
            .as_deref(),
        Some("")
    );
    assert_eq!(
        ops::hookcmds::state::state_get(&sim, "full")
            .unwrap()
            .as_deref(),
        Some("x")
    );
}
