//! Exec in the testing API: `Exec` handlers on a testing `ContainerState`, the exec history in
//! the run's `Output` and in the Harness, unknown commands and an unreachable Pebble.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use ops::container::{ContainerError, ExecOptions, PebbleOptions, RetryPolicy};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::{ContainerState, Context, Exec, ExecResponse, Harness, PebbleFault, State};
use serde_json::json;

const META: &str = r#"
name: app
containers:
  web:
    resource: img
resources:
  img:
    type: oci-image
actions:
  run:
    params:
      command: {type: string}
      input: {type: string}
"#;

/// Runs the action's command (words split on spaces) with the action's input on stdin, and
/// answers its output, or fails the action with the exec error's message.
#[derive(Default)]
struct App;

impl Charm for App {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.action("run", "run", |_c, ctx, _ev| {
            #[derive(serde::Deserialize)]
            struct Params {
                command: String,
                #[serde(default)]
                input: String,
            }
            let p: Params = ctx.model().action_params()?;
            let web = ctx.container("web")?;
            let opts = ExecOptions::new(p.command.split(' '))
                .env("MODE", "test")
                .working_dir("/")
                .timeout(Duration::from_secs(5))
                .stdin(p.input);
            match web.exec_output(&opts) {
                Ok(out) => ctx.model().action_set_results(&json!({
                    "out": out.stdout_lossy(),
                    "err": out.stderr_lossy(),
                }))?,
                Err(e @ ContainerError::ExecFailed { .. }) => {
                    ctx.model().action_fail(&e.to_string())?;
                }
                Err(e) => return Err(e.into()),
            }
            Ok(())
        });
    }
}

fn ctx() -> Context<App> {
    Context::<App>::new(CharmMeta::from_charmcraft_yaml(META).unwrap())
}

fn run(ctx: &Context<App>, state: &State, command: &str, input: &str) -> ops::testing::Output {
    ctx.run(
        ctx.on
            .action("run", json!({"command": command, "input": input})),
        state,
    )
    .unwrap()
}

#[test]
fn fixed_answers_and_the_history() {
    let ctx = ctx();
    let web = ContainerState::new("web")
        .exec(Exec::new("echo").stdout("hi\n").stderr("warn"))
        .exec(Exec::new("echo fail").exit_code(4).stderr("broken"));
    let state = State::new().container(web);

    let out = run(&ctx, &state, "echo hello", "some input");
    let action = out.action.clone().unwrap();
    assert_eq!(action.results["out"], "hi\n");
    assert_eq!(action.results["err"], "warn");
    assert_eq!(out.exec_lines("web"), ["echo hello"]);
    let r = &out.execs("web")[0];
    assert_eq!(r.environment.get("MODE").map(String::as_str), Some("test"));
    assert_eq!(r.environment.len(), 1, "only what the charm set");
    assert_eq!(r.working_dir.as_deref(), Some("/"));
    assert_eq!(r.timeout, Some(Duration::from_secs(5)));
    assert_eq!(r.stdin, b"some input");
    assert!(out.execs("other").is_empty());

    // The longest prefix wins; a non-zero exit carries code and stderr.
    let out = run(&ctx, &state, "echo fail now", "");
    let failure = out.action.unwrap().failure.unwrap();
    assert!(failure.contains("exit code 4"), "{failure}");
    assert!(failure.contains("broken"), "{failure}");

    // The registrations are state: kept in the output state for the next run.
    assert_eq!(
        out.state.containers["web"].execs,
        state.containers["web"].execs
    );
}

#[test]
fn a_handler_sees_command_env_and_stdin() {
    let ctx = ctx();
    let web = ContainerState::new("web").exec(Exec::handler("rev", |input| {
        let mut s = input.stdin.clone();
        s.reverse();
        ExecResponse::exit(0).stdout(format!(
            "{} {} {}",
            input.command[1..].join(","),
            input.environment["MODE"],
            String::from_utf8_lossy(&s)
        ))
    }));
    let out = run(&ctx, &State::new().container(web), "rev a b", "abc");
    assert_eq!(out.action.unwrap().results["out"], "a,b test cba");
}

#[test]
fn an_unregistered_command_fails_at_once_like_an_unknown_executable() {
    let ctx = ctx();
    let state = State::new().container(ContainerState::new("web").exec(Exec::new("ls")));
    let started = Instant::now();
    let err = ctx
        .run(
            ctx.on
                .action("run", json!({"command": "webkv-server dump"})),
            &state,
        )
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let msg = format!("{err}");
    assert!(
        msg.contains("cannot run \"webkv-server\" in container web: no such executable"),
        "{msg}"
    );
    assert!(msg.contains("ops::testing::ContainerState::exec"), "{msg}");
}

#[test]
fn exec_while_pebble_is_unreachable_is_a_clear_error_without_a_hang() {
    let ctx = ctx().pebble(PebbleOptions::default().retry(RetryPolicy::default().max_attempts(3)));
    let state = State::new()
        .container(ContainerState::new("web").exec(Exec::new("ls")))
        .pebble_fault("web", PebbleFault::unreachable());
    let started = Instant::now();
    let err = ctx
        .run(ctx.on.action("run", json!({"command": "ls"})), &state)
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let msg = format!("{err}");
    assert!(msg.contains("socket not found"), "{msg}");
    assert!(
        err.juju_log()
            .iter()
            .any(|l| l.message.contains("giving up on Pebble call call=exec")),
        "{:?}",
        err.juju_log()
    );
}

#[test]
fn the_harness_registers_execs_and_keeps_the_history_across_hooks() {
    let mut h = Harness::<App>::new(CharmMeta::from_charmcraft_yaml(META).unwrap());
    h.set_can_connect("web", true);
    h.handle_exec("web", Exec::new("date").stdout("today"));
    let a = h
        .run_action("run", json!({"command": "date -u", "input": "x"}))
        .unwrap();
    assert_eq!(a.results["out"], "today");
    h.handle_exec("web", Exec::new("date").stdout("tomorrow"));
    let a = h.run_action("run", json!({"command": "date"})).unwrap();
    assert_eq!(
        a.results["out"], "tomorrow",
        "the registration was replaced"
    );
    let lines: Vec<String> = h
        .exec_history("web")
        .iter()
        .map(|r| r.command.join(" "))
        .collect();
    assert_eq!(lines, ["date -u", "date"]);
    assert_eq!(h.exec_history("web")[0].stdin, b"x");
    assert_eq!(h.last_output().unwrap().exec_lines("web"), ["date"]);
}
