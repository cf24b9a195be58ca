//! What an adversarial probe of the compiled charm broke, each now a test with real
//! processes (the reliability charm's `dispatch`, juju-sim's hook tools, signals):
//!
//! - two dispatches at once on one charm directory: the second waits for the first, saying
//!   so, and both commit (they used to wait on each other forever);
//! - secret content files outlive neither a `SIGTERM` (removed before the process ends) nor a
//!   `SIGKILL` (removed by the next dispatch);
//! - a hook tool that never answers is stopped at the hook budget, and the hook fails cleanly
//!   with the state as before.
//!
//! The waits below have a generous bound so that a regression fails the test instead of
//! hanging it; none of them measures speed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code panics on purpose

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use juju_sim::hook_env::Hook;
use ops::testing::juju::{SecretOwnership, SecretState};
use support::reliability::{Unit, kill_group, model, wait_for};

/// How long a step may take before the test gives up on it (a hang, not slowness).
const PATIENCE: Duration = Duration::from_secs(180);

/// Waits for `child` to end, killing its process group if it does not within `PATIENCE`.
fn finish(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > PATIENCE {
            kill_group(child);
            panic!("{what} did not finish within {PATIENCE:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_dispatch_waits_for_the_first_says_so_and_both_commit() {
    let mut unit = Unit::new(&model());
    unit.extra_env
        .insert("RELIABILITY_BLOB_ROWS".into(), "100".into());
    unit.run_ok(&Hook::plain("config-changed"));
    let generation = |u: &Unit| {
        let data = u.stored().unwrap();
        let state: serde_json::Value =
            serde_json::from_str(data.charm_state.as_deref().unwrap()).unwrap();
        state["generation"].as_u64().unwrap()
    };
    let before = generation(&unit);
    let release = unit.work.root.join("release");
    let held = unit.work.root.join("release.held");

    // The first hook stops inside its handler, holding the state file.
    unit.extra_env
        .insert("RELIABILITY_HOLD".into(), release.display().to_string());
    let mut first = unit
        .command(&Hook::plain("config-changed"))
        .spawn()
        .unwrap();
    unit.extra_env.remove("RELIABILITY_HOLD");
    wait_for("the first hook to hold", PATIENCE, || held.exists());

    // A second one (a `juju exec`, a debug-hooks session) starts meanwhile.
    let mut second = unit
        .command(&Hook::plain("config-changed"))
        .spawn()
        .unwrap();
    let says_it_waits = |u: &Unit| {
        u.logs()
            .contains("waiting for another process to finish with the state file")
    };
    let said = (0..PATIENCE.as_millis() / 20).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        says_it_waits(&unit)
    });
    if !said {
        std::fs::write(&release, "").unwrap();
        kill_group(&mut first);
        kill_group(&mut second);
        panic!(
            "the second dispatch never said it was waiting for the first: {}",
            unit.logs()
        );
    }
    let logs = unit.logs();
    let path = unit.state_file().display().to_string();
    assert!(logs.contains(&path), "{logs}");

    // The first goes on and commits; then the second runs and commits on top of it.
    std::fs::write(&release, "").unwrap();
    let a = finish(&mut first, "the first hook");
    let b = finish(&mut second, "the second hook");
    let stderr = |c: &mut Child| {
        let mut s = String::new();
        if let Some(mut e) = c.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
        }
        s
    };
    assert!(a.success(), "first: {a:?} {}", stderr(&mut first));
    assert!(b.success(), "second: {b:?} {}", stderr(&mut second));
    assert_eq!(generation(&unit), before + 2, "both hooks' work is there");
    let logs = unit.logs();
    assert!(
        logs.contains(&format!("the state file {path} is free after")),
        "{logs}"
    );
    eprintln!("{logs}");
}

/// A unit that has a secret of another application to read, and a
/// temporary directory of its own (where secret content goes).
fn unit_with_a_secret() -> (Unit, PathBuf) {
    let state = model().secret(
        SecretState::new(
            "secret:d0rel2v8r9fp2s0v7c8g",
            SecretOwnership::Consumer,
            [("password", "S3CRET-rel2")],
        )
        .label("db-password"),
    );
    let mut unit = Unit::new(&state);
    let tmp = unit.work.root.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    unit.extra_env
        .insert("TMPDIR".into(), tmp.display().to_string());
    (unit, tmp)
}

/// Every file under `tmp`, at any depth (secret content goes in
/// `ops-rs-secrets-<uid>/call-*/<key>`; wherever it went, it is found).
fn content_files(tmp: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![tmp.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Starts `secret-changed` with `secret-add` hanging, and waits for the copy's content file.
fn hook_inside_secret_add(unit: &mut Unit, tmp: &Path) -> Child {
    unit.replace_tool("secret-add", "exec sleep 600");
    let hook = Hook::secret(
        "changed",
        "secret:d0rel2v8r9fp2s0v7c8g",
        Some("db-password"),
        Some(1),
    );
    let mut child = unit.command(&hook).spawn().unwrap();
    wait_for("the content file", PATIENCE, || {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the hook ended ({status:?}) before secret-add: {}",
                unit.logs()
            );
        }
        !content_files(tmp).is_empty()
    });
    let files = content_files(tmp);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        std::fs::read_to_string(&files[0]).unwrap(),
        "S3CRET-rel2-copy"
    );
    child
}

#[test]
fn secret_content_files_do_not_outlive_a_sigterm() {
    let (mut unit, tmp) = unit_with_a_secret();
    let mut child = hook_inside_secret_add(&mut unit, &tmp);
    // SIGTERM to the charm alone (as systemd sends it to every process of the unit's agent,
    // the hook tool would get its own).
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = finish(&mut child, "the charm after SIGTERM");
    kill_group(&mut child); // the hanging tool
    assert_eq!(
        status.signal(),
        Some(15),
        "it ends by the signal: {status:?}"
    );
    assert_eq!(content_files(&tmp), Vec::<PathBuf>::new());
}

#[test]
fn secret_content_files_left_by_a_sigkill_go_at_the_next_dispatch() {
    let (mut unit, tmp) = unit_with_a_secret();
    let mut child = hook_inside_secret_add(&mut unit, &tmp);
    kill_group(&mut child);
    // Nothing can run at a SIGKILL: the file is still there...
    let left = content_files(&tmp);
    assert_eq!(left.len(), 1);
    // ...until the next hook, whatever it is.
    unit.restore_tool("secret-add");
    unit.run_ok(&Hook::plain("update-status"));
    assert_eq!(content_files(&tmp), Vec::<PathBuf>::new());
    let logs = unit.logs();
    assert!(
        logs.contains("removed 1 secret content directory left in")
            && logs.contains("by a hook that was killed"),
        "{logs}"
    );
}

#[test]
fn a_hook_tool_that_never_answers_is_stopped_at_the_hook_budget() {
    let mut unit = Unit::new(&model());
    unit.extra_env
        .insert("RELIABILITY_BLOB_ROWS".into(), "100".into());
    unit.run_ok(&Hook::plain("config-changed"));
    let before = unit.stored().unwrap();
    // The relation tools hang (a stuck agent); the charm gives the hook 200 ms.
    unit.replace_tool(
        "relation-ids",
        "echo 'asking the agent' >&2; exec sleep 600",
    );
    unit.extra_env
        .insert("RELIABILITY_HOOK_BUDGET_MS".into(), "200".into());
    let mut child = unit
        .command(&Hook::plain("config-changed"))
        .spawn()
        .unwrap();
    let status = finish(&mut child, "the hook with a hanging tool");
    kill_group(&mut child);
    assert_eq!(status.code(), Some(1), "the hook fails: {status:?}");
    let logs = unit.logs();
    assert!(
        logs.contains(
            "hook tool `relation-ids website --format=json` was killed by signal 9 (SIGKILL): \
             ops-rs stopped it: no answer within 5.0 s"
        ) && logs.contains("its stderr so far: asking the agent"),
        "{logs}"
    );
    assert_eq!(unit.stored().unwrap(), before, "rolled back");
    // Juju retries the hook; with the agent answering again, it succeeds.
    unit.restore_tool("relation-ids");
    unit.run_ok(&Hook::plain("config-changed"));
}
