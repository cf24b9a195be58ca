//! A full disk and a read-only charm directory: the hook fails with a clear error naming the
//! state file, the state file keeps exactly its previous content, and nothing half-written is
//! left behind.
//!
//! The full disk is a file-size limit (`ulimit -f`, with SIGXFSZ ignored so writes fail with
//! EFBIG as on a full filesystem) — no mount or root needed. The read-only directory is a
//! 0555 charm directory; when the tests run as root (who ignores permission bits) the charm
//! runs as `nobody`, from copies of its programs inside the unit's work directory (the
//! checkout, and so `target/`, may sit where `nobody` cannot go: a clone in a `mktemp -d`
//! directory, or under `/root`). If `nobody` cannot reach the work directory either (a
//! `TMPDIR` others cannot search), the test says so and checks nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use juju_sim::hook_env::Hook;
use support::reliability::{Unit, model, unreachable_by_others};

const NOBODY: u32 = 65534;

fn chmod(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_full_disk_fails_the_hook_cleanly_and_keeps_the_old_state() {
    let mut unit = Unit::new(&model());
    unit.extra_env
        .insert("RELIABILITY_BLOB_ROWS".into(), "100".into());
    unit.run_ok(&Hook::plain("config-changed"));
    unit.clear_records();
    let before = unit.stored().unwrap();
    let size_before = std::fs::metadata(unit.state_file()).unwrap().len();

    // The next hook writes ~1.5 MB of state; files may not grow past 256 KiB.
    unit.extra_env
        .insert("RELIABILITY_BLOB_ROWS".into(), "20000".into());
    let mut cmd = unit.command(&Hook::plain("config-changed"));
    let dispatch = unit.work.charm_dir().join("dispatch");
    let mut limited = Command::new("bash");
    limited
        .arg("-c")
        .arg("ulimit -f 256; trap '' XFSZ; exec \"$0\"")
        .arg(&dispatch);
    limited.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            limited.env(k, v);
        }
    }
    limited
        .current_dir(unit.work.charm_dir())
        .stdin(std::process::Stdio::null())
        .process_group(0);
    let _ = &mut cmd;
    let out = limited.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let logged = unit
        .model()
        .logs
        .iter()
        .map(|l| l.message.clone())
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("full disk: {logged}");
    let path = unit.state_file().display().to_string();
    assert!(
        logged.contains(&format!(
            "cannot write the state file {path} (committing failed"
        )),
        "the error names the state file: {logged}"
    );
    assert!(
        logged.contains("is the disk full or the charm directory read-only? Nothing was saved"),
        "the error says the write failed: {logged}"
    );
    assert_eq!(unit.stored().unwrap(), before, "the old state, exactly");
    assert_eq!(
        std::fs::metadata(unit.state_file()).unwrap().len(),
        size_before,
        "no partial write left in the file"
    );
    // Once there is room again, the same hook succeeds.
    unit.run_ok(&Hook::plain("config-changed"));
    assert!(unit.stored().unwrap().event_counter > before.event_counter);
}

/// Makes `cmd` unable to write a 0555 directory: as `nobody` when running as root.
fn unprivileged(cmd: &mut Command) {
    if rustix::process::geteuid().is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
}

/// Opens the work directory to `nobody` (the hook tools write the model file), with the
/// unit's programs copied into it; `Err` with the reason if `nobody` still cannot reach it.
fn share_with_nobody(unit: &Unit) -> Result<(), String> {
    if !rustix::process::geteuid().is_root() {
        return Ok(());
    }
    unit.own_programs();
    let root = &unit.work.root;
    chmod(root.parent().unwrap(), 0o755);
    chmod(root, 0o777);
    chmod(&unit.work.state_file(), 0o666);
    // The model's journal of hook-tool records, which the tools append to.
    let records = unit.work.records_file();
    if records.exists() {
        chmod(&records, 0o666);
    }
    // hook-tool's flock file, left by the tools of earlier hooks run as root.
    let lock = unit.work.root.join("state.json.lock");
    if lock.exists() {
        chmod(&lock, 0o666);
    }
    match unreachable_by_others(root) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// Prints why the test checks nothing.
fn skipped(why: &str) {
    eprintln!(
        "skipped: this test runs a hook as `nobody`, who cannot reach the unit's work \
         directory: {why}. Run it with TMPDIR set to a directory other users can search \
         (e.g. TMPDIR=/tmp)"
    );
}

#[test]
fn a_read_only_charm_directory_fails_the_hook_cleanly() {
    // No state file yet: it cannot be created.
    let mut unit = Unit::new(&model());
    if let Err(why) = share_with_nobody(&unit) {
        return skipped(&why);
    }
    chmod(&unit.work.charm_dir(), 0o555);
    let mut cmd = unit.command(&Hook::plain("config-changed"));
    unprivileged(&mut cmd);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let logs = unit.model().log_messages().join("\n");
    let path = unit.state_file().display().to_string();
    assert!(
        logs.contains(&format!(
            "cannot open the state file {path}: Permission denied"
        )),
        "{logs}"
    );
    assert!(!unit.state_file().exists(), "nothing was created");

    // A state file from an earlier hook, in a directory that became read-only: SQLite cannot
    // create its journal, so nothing may be written.
    let mut unit = Unit::new(&model());
    unit.extra_env
        .insert("RELIABILITY_BLOB_ROWS".into(), "100".into());
    unit.run_ok(&Hook::plain("config-changed"));
    unit.clear_records();
    let before = unit.stored().unwrap();
    let bytes_before = std::fs::read(unit.state_file()).unwrap();
    if let Err(why) = share_with_nobody(&unit) {
        return skipped(&why);
    }
    if rustix::process::geteuid().is_root() {
        std::os::unix::fs::chown(unit.state_file(), Some(NOBODY), Some(NOBODY)).unwrap();
        let journal = unit.state_file().with_file_name(".unit-state.db-journal");
        if journal.exists() {
            std::os::unix::fs::chown(&journal, Some(NOBODY), Some(NOBODY)).unwrap();
        }
    }
    chmod(&unit.work.charm_dir(), 0o555);
    let mut cmd = unit.command(&Hook::plain("config-changed"));
    unprivileged(&mut cmd);
    let out = cmd.output().unwrap();
    let logs = unit.model().log_messages().join("\n");
    chmod(&unit.work.charm_dir(), 0o755);
    assert_eq!(out.status.code(), Some(1), "{logs}");
    assert!(
        logs.contains(&format!(
            "state store {path}",
            path = unit.state_file().display()
        )) || logs.contains("state file"),
        "{logs}"
    );
    assert_eq!(
        std::fs::read(unit.state_file()).unwrap(),
        bytes_before,
        "not a byte changed"
    );
    assert_eq!(unit.stored().unwrap(), before);
    eprintln!("read-only: {logs}");
}
