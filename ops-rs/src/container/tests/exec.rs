//! `Container::exec` through a real socket: output, non-zero exits with their outputs,
//! stdin round trips, timeouts, signals, unknown executables and an unreachable Pebble.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use pebble_client::blocking::Client;
use pebble_client::retry::RetryPolicy;
use pebble_client::testing::{ExecResponse, SimPebble};

use super::{container, recorded, sim_in};
use crate::container::{Container, ContainerError, ExecOptions};

fn real_sim(dir: &std::path::Path) -> SimPebble {
    SimPebble::builder(dir.join("pebble.socket"))
        .real_exec(true)
        .start()
        .unwrap()
}

#[test]
fn wait_output_returns_stdout_and_stderr_split_or_combined() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("greet", |input| {
        ExecResponse::exit(0)
            .stdout(format!(
                "hello {} from {}",
                input.environment["WHO"], input.working_dir
            ))
            .stderr("note")
    });
    let c = container(&sim);
    let opts = ExecOptions::new(["greet"])
        .env("WHO", "juju")
        .working_dir("/");
    let out = c.exec(&opts).unwrap().wait_output().unwrap();
    assert_eq!(out.stdout_lossy(), "hello juju from /");
    assert_eq!(out.stderr, b"note");
    assert!(out.status.success());

    let out = c.exec_output(&opts.combine_stderr(true)).unwrap();
    assert_eq!(out.stdout_lossy(), "hello juju from /note");
    assert!(out.stderr.is_empty());
    let history = sim.exec_history();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].environment["WHO"], "juju");
    assert!(history[1].combine_stderr);
}

#[test]
fn a_non_zero_exit_is_an_error_carrying_code_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("migrate", |_| {
        ExecResponse::exit(3)
            .stdout("applied 1 of 2")
            .stderr("no such table: kv")
    });
    let c = container(&sim);
    let err = c
        .exec(&ExecOptions::new(["migrate", "--all"]))
        .unwrap()
        .wait_output()
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(3));
    let exec = err.exec_error().unwrap();
    assert_eq!(exec.command(), ["migrate", "--all"]);
    assert_eq!(exec.stdout(), b"applied 1 of 2");
    assert_eq!(exec.stderr(), b"no such table: kv");
    assert!(!err.is_unreachable() && !err.is_timeout());
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            r#"in container web, command ["migrate", "--all"] exited with exit code 3"#
        ),
        "{msg}"
    );
    assert!(msg.contains("no such table: kv"), "{msg}");

    // wait(): an error too, like Python ops; wait_status(): the status, whatever it is.
    let err = c
        .exec(&ExecOptions::new(["migrate"]))
        .unwrap()
        .wait()
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(3));
    let status = c
        .exec(&ExecOptions::new(["migrate"]))
        .unwrap()
        .wait_status()
        .unwrap();
    assert_eq!(status.code(), 3);
    c.exec(&ExecOptions::new(["migrate"]).combine_stderr(true))
        .unwrap()
        .wait_output()
        .map(drop)
        .unwrap_err();
}

#[test]
fn stdin_round_trips_as_bytes_a_reader_and_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let sim = real_sim(dir.path());
    let c = container(&sim);
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();

    let out = c
        .exec_output(&ExecOptions::new(["cat"]).stdin(data.clone()))
        .unwrap();
    assert!(out.stdout == data);

    let out = c
        .exec(&ExecOptions::new(["cat"]))
        .unwrap()
        .wait_output_with_stdin(data.clone())
        .unwrap();
    assert!(out.stdout == data);

    let out = c
        .exec(&ExecOptions::new(["cat"]))
        .unwrap()
        .wait_output_with_stdin_from(std::io::Cursor::new(data.clone()))
        .unwrap();
    assert!(out.stdout == data);

    let mut p = c.exec(&ExecOptions::new(["cat"])).unwrap();
    let mut stdin = p.stdin.take().unwrap();
    stdin.write_all(b"streamed").unwrap();
    stdin.close().unwrap();
    let mut text = String::new();
    p.stdout.take().unwrap().read_to_string(&mut text).unwrap();
    assert_eq!(text, "streamed");
    p.wait().unwrap();
    assert_eq!(sim.exec_history()[3].stdin, b"streamed");
}

#[test]
fn a_failing_stdin_reader_is_its_own_error() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk read error"))
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("cat", |_| ExecResponse::exit(0));
    let err = container(&sim)
        .exec(&ExecOptions::new(["cat"]))
        .unwrap()
        .wait_output_with_stdin_from(Broken)
        .unwrap_err();
    assert!(matches!(err, ContainerError::StdinSource { .. }), "{err:?}");
    assert!(err.to_string().contains("disk read error"), "{err}");
}

#[test]
fn a_command_past_its_timeout_is_killed_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("sleep", |_| ExecResponse::hang());
    let c = container(&sim);
    let started = Instant::now();
    let err = c
        .exec(&ExecOptions::new(["sleep", "60"]).timeout(Duration::from_millis(200)))
        .unwrap()
        .wait_output()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    match &err {
        ContainerError::ExecTimedOut {
            command, timeout, ..
        } => {
            assert_eq!(command, &["sleep", "60"]);
            assert_eq!(*timeout, Duration::from_millis(200));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_timeout() && !err.is_unreachable());
    assert!(
        err.to_string().contains("killed at its 200ms timeout"),
        "{err}"
    );
}

#[test]
fn a_signal_ends_a_running_command() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("serve", |_| ExecResponse::hang());
    let c = container(&sim);
    let p = c.exec(&ExecOptions::new(["serve"])).unwrap();
    assert_eq!(p.command(), ["serve"]);
    assert_eq!(p.container(), "web");
    p.send_signal("SIGTERM").unwrap();
    let status = p.wait_status().unwrap();
    assert_eq!(status.signal(), Some(15));
}

#[test]
fn an_unknown_executable_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let err = container(&sim)
        .exec(&ExecOptions::new(["webkv-server", "backup"]))
        .unwrap_err();
    match &err {
        ContainerError::ExecutableNotFound { executable, .. } => {
            assert_eq!(executable, "webkv-server");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_not_found());
    assert_eq!(err.api().map(|a| a.status_code), Some(400));
    assert!(sim.exec_history().is_empty());
}

#[test]
fn exec_while_pebble_is_unreachable_fails_fast_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (policy, sleeper) = recorded(4);
    let client = Client::builder(dir.path().join("web/pebble.socket"))
        .retry(policy)
        .build()
        .unwrap();
    let c = Container::from_client("web", client);
    let started = Instant::now();
    let err = c.exec(&ExecOptions::new(["true"])).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.is_unreachable(), "{err:?}");
    // Connect-phase failures are retried: the POST never reached Pebble.
    assert_eq!(sleeper.waits().len(), 3);
    assert!(
        err.to_string()
            .starts_with(r#"cannot start command ["true"] in container web"#),
        "{err}"
    );
}

#[test]
fn the_post_is_not_repeated_once_sent() {
    use pebble_client::testing::{Fault, FaultRule};
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("migrate", |_| ExecResponse::exit(0));
    // The connection drops after Pebble read the request: it may have started the command.
    sim.inject(FaultRule::new(Fault::Reset).path("/v1/exec").times(1));
    let err = container(&sim)
        .with_retry(RetryPolicy::default().max_attempts(5))
        .exec(&ExecOptions::new(["migrate"]))
        .unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
    assert_eq!(sim.requests("/v1/exec"), 1, "never sent twice");
}

#[test]
fn an_empty_command_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    let err = container(&sim)
        .exec(&ExecOptions::new(Vec::<String>::new()))
        .unwrap_err();
    assert!(err.to_string().contains("cannot start command []"), "{err}");
    let source = err.pebble_error().unwrap().to_string();
    assert!(source.contains("exec needs a command"), "{source}");
}

#[test]
fn debug_shows_the_command_but_not_env_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim_in(dir.path(), "web");
    sim.exec_handler("login", |_| ExecResponse::exit(0));
    let p = container(&sim)
        .exec(
            &ExecOptions::new(["login"])
                .env("PASSWORD", "hunter2")
                .stdin("hunter2"),
        )
        .unwrap();
    let dbg = format!("{p:?}");
    assert!(dbg.contains("login") && !dbg.contains("hunter2"), "{dbg}");
    p.wait().unwrap();
}
