//! Shared by the `reliability_*` tests (and the component tests, with their own charm): a unit
//! of the reliability charm laid out as juju-sim lays it out (charm directory, hook tools on `PATH`, model state file), whose `dispatch` is
//! spawned directly, in its own process group, so a test can SIGKILL it and every hook tool it
//! started.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use juju_sim::hook_env::Hook;
use juju_sim::workdir::{CharmSource, WorkDir};
use ops::store::{STATE_FILE, SqliteStore, Store, StoreData};
use ops::testing::juju::{JujuState, RelationState};

use super::program;

/// The reliability charm's metadata directory.
pub fn charm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charms/reliability")
}

/// A model for the reliability charm: leader, one `website` relation with `client/0`.
pub fn model() -> JujuState {
    JujuState::new("reliability/0")
        .leader(true)
        .relation(RelationState::new(1, "website", "client").remote_unit("client/0", [("x", "1")]))
}

/// One unit in a temporary work directory.
pub struct Unit {
    _tmp: tempfile::TempDir,
    /// Its work directory.
    pub work: WorkDir,
    /// Extra variables for every hook (e.g. `RELIABILITY_BLOB_ROWS`).
    pub extra_env: BTreeMap<String, String>,
    seq: u64,
}

impl Unit {
    /// A fresh unit of the reliability charm with the model `state`.
    pub fn new(state: &JujuState) -> Unit {
        Unit::of(
            charm_dir(),
            PathBuf::from(env!("CARGO_BIN_EXE_reliability-charm")),
            state,
        )
    }

    /// A fresh unit of the charm whose metadata is in `dir` and whose `dispatch` is
    /// `binary`, with the model `state`.
    pub fn of(dir: PathBuf, binary: PathBuf, state: &JujuState) -> Unit {
        let tmp = tempfile::tempdir().unwrap();
        let work = WorkDir::new(tmp.path().join("unit"));
        let charm = CharmSource {
            dir,
            dispatch: Some(binary),
        };
        work.create(&charm, &program("hook-tool"), None, state)
            .unwrap();
        Unit {
            _tmp: tmp,
            work,
            extra_env: BTreeMap::new(),
            seq: 0,
        }
    }

    /// The unit's state file.
    pub fn state_file(&self) -> PathBuf {
        self.work.charm_dir().join(STATE_FILE)
    }

    /// The environment Juju's unit agent gives `hook` (as juju-sim builds it), plus
    /// [`extra_env`](Self::extra_env).
    pub fn env(&mut self, hook: &Hook) -> BTreeMap<String, String> {
        self.seq += 1;
        let state = self.work.load_state().unwrap();
        let mut env = hook.agent_env(
            &self.work,
            &state,
            "3.6.4",
            format!("{}-{}", state.unit, self.seq),
            [],
        );
        env.extend(self.extra_env.clone());
        env
    }

    /// The command that runs `dispatch` for `hook`: a clean environment, the charm directory
    /// as working directory, its own process group, output captured.
    pub fn command(&mut self, hook: &Hook) -> Command {
        let mut cmd = Command::new(self.work.charm_dir().join("dispatch"));
        cmd.env_clear()
            .envs(self.env(hook))
            .current_dir(self.work.charm_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        cmd
    }

    /// Runs `hook` to the end.
    pub fn run(&mut self, hook: &Hook) -> Output {
        self.command(hook).output().unwrap()
    }

    /// Runs `hook` and asserts it succeeded.
    pub fn run_ok(&mut self, hook: &Hook) {
        let out = self.run(hook);
        assert!(
            out.status.success(),
            "{} failed: {}",
            hook.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The model state file's content.
    pub fn model(&self) -> JujuState {
        self.work.load_state().unwrap()
    }

    /// Forgets the hook-tool records and logs (keeps the model file small in long runs).
    pub fn clear_records(&self) {
        let mut st = self.model();
        st.calls.clear();
        st.logs.clear();
        self.work.save_state(&st).unwrap();
    }

    /// Every `juju-log` message of the unit so far, one per line.
    pub fn logs(&self) -> String {
        self.model().log_messages().join("\n")
    }

    /// Replaces hook tool `name` with a shell script (`#!/bin/sh` and `script`).
    pub fn replace_tool(&self, name: &str, script: &str) {
        let path = self.work.bin_dir().join(name);
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Puts hook tool `name` back (a link to juju-sim's `hook-tool`).
    pub fn restore_tool(&self, name: &str) {
        let path = self.work.bin_dir().join(name);
        let _ = std::fs::remove_file(&path);
        std::os::unix::fs::symlink(program("hook-tool"), &path).unwrap();
    }

    /// Makes the unit's programs its own: the charm's `dispatch` and the hook tools become
    /// copies inside the work directory instead of links into the build's `target/`, so a
    /// user who cannot reach the checkout (the tests run a hook as `nobody`) can run them.
    pub fn own_programs(&self) {
        let dispatch = self.work.charm_dir().join("dispatch");
        let binary = std::fs::canonicalize(&dispatch).unwrap();
        std::fs::remove_file(&dispatch).unwrap();
        std::fs::copy(&binary, &dispatch).unwrap();
        let tool = self.work.root.join("hook-tool");
        std::fs::copy(program("hook-tool"), &tool).unwrap();
        for entry in std::fs::read_dir(self.work.bin_dir()).unwrap() {
            let link = entry.unwrap().path();
            if std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
            {
                std::fs::remove_file(&link).unwrap();
                std::os::unix::fs::symlink(&tool, &link).unwrap();
            }
        }
    }

    /// The unit's stored data, after checking the file's integrity; `Err` with SQLite's
    /// complaint if the file is damaged.
    pub fn stored(&self) -> Result<StoreData, String> {
        stored_at(&self.state_file())
    }
}

/// Checks the state file at `path` (recovering a hot journal, as the next hook would) and
/// loads it; the read transaction is rolled back.
pub fn stored_at(path: &Path) -> Result<StoreData, String> {
    if path.exists() {
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        if check != "ok" {
            return Err(format!("integrity_check: {check}"));
        }
    }
    let mut store = SqliteStore::open(path).map_err(|e| e.to_string())?;
    store.load().map_err(|e| e.to_string())
}

/// Polls `done` until it holds, at most `patience` (a bound for a test that would otherwise
/// hang, never a measure of speed); panics naming `what` if it never does.
pub fn wait_for(what: &str, patience: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < patience,
            "gave up after {patience:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Why a user other than the one running the tests (who is `nobody` here) cannot reach
/// `path`, if they cannot: the first directory on the way that others may not search.
pub fn unreachable_by_others(path: &Path) -> Option<String> {
    let mut dir = path.to_path_buf();
    loop {
        let mode = std::fs::metadata(&dir).ok()?.permissions().mode();
        if mode & 0o001 == 0 {
            return Some(format!(
                "{} (mode {:o}) cannot be searched by other users",
                dir.display(),
                mode & 0o777
            ));
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// SIGKILLs the process group led by `child` (the charm and any hook tool it runs) and reaps
/// the charm.
pub fn kill_group(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.wait();
}

/// The hook-tool lock a killed hook tool may leave behind (juju-sim's, not Juju's).
pub fn remove_stale_tool_lock(unit: &Unit) {
    let mut lock = unit.work.state_file().into_os_string();
    lock.push(".lock");
    let _ = std::fs::remove_file(lock);
}

/// Hook `i` of the crash sequence: every fourth a `config-changed`, the others a custom notice
/// `example.com/n<i>` (notice id `i`).
pub fn crash_hook(i: u64) -> Hook {
    if i % 4 == 0 {
        Hook::plain("config-changed")
    } else {
        Hook::custom_notice("web", &i.to_string(), &format!("example.com/n{i}"))
    }
}

/// A seed from `var`, or a fresh one; printed so a failure can be replayed.
pub fn seed(var: &str) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("seed: {var}={seed}");
    seed
}

/// A count from `var`, or `default`.
pub fn count(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
