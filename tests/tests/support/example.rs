//! Running the compiled example charm (`charm-example`, the webkv charm) through juju-sim
//! with real workload processes, and reading back the trace and the final model.
//!
//! The charm, its workload binary and juju-sim live in other packages, so Cargo gives no
//! `CARGO_BIN_EXE_` for them: they come from [`program`], built when missing or stale.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

use super::{Trace, program, workspace};

/// The repository root (the example charm's directory: `charmcraft.yaml` is there).
pub fn repo() -> PathBuf {
    workspace()
}

/// `charm-example` (the charm's dispatch), with `webkv-server` next to it; built first if
/// missing or older than the sources.
pub fn charm_binary() -> PathBuf {
    program("charm-example")
}

/// A scenario of the example charm, in `charm-example/scenarios/`.
pub fn scenario(name: &str) -> PathBuf {
    repo()
        .join("charm-example/scenarios")
        .join(format!("{name}.yaml"))
}

/// Ports handed out in this test process (tests run side by side: one port each).
static TAKEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A free TCP port for webkv, not handed out before in this process.
pub fn free_port() -> u16 {
    let mut taken = TAKEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let port = juju_sim::vars::free_port(&taken).expect("a free port");
    taken.insert(port);
    port
}

/// One juju-sim run: its JSON trace (the [`Trace`] it dereferences to), the final model,
/// the work directory.
pub struct Run {
    pub trace: Trace,
    pub state: Value,
    pub work: tempfile::TempDir,
}

impl std::ops::Deref for Run {
    type Target = Trace;
    fn deref(&self) -> &Trace {
        &self.trace
    }
}

impl Run {
    /// The hook tool calls of a hook attempt.
    pub fn calls(hook: &Value) -> Vec<String> {
        Trace::calls(hook)
    }

    /// The final unit status, `name: message`.
    pub fn unit_status(&self) -> String {
        let s = &self.state["unit-status"];
        format!(
            "{}: {}",
            s["status"].as_str().unwrap(),
            s["message"].as_str().unwrap()
        )
    }

    /// The final opened ports, `8080/tcp`.
    pub fn ports(&self) -> Vec<String> {
        self.state["opened-ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}/{}", p["from"], p["protocol"].as_str().unwrap()))
            .collect()
    }

    /// A file in container `web`'s root.
    pub fn web_file(&self, path: &str) -> PathBuf {
        self.work
            .path()
            .join("u/workloads/web")
            .join(path.trim_start_matches('/'))
    }

    /// Panics with the trace unless juju-sim exited 0 with every expectation met.
    pub fn assert_ok(&self) {
        assert!(
            self.code == 0 && self.failures().is_empty(),
            "juju-sim exited {} with failures {:?}\nhooks: {:?}\nnotes: {:?}\nstderr:\n{}",
            self.code,
            self.failures(),
            self.hooks(),
            self.notes(),
            self.stderr
        );
    }
}

/// Runs the example charm through `scenario` with real processes and `port` for webkv.
pub fn run(scenario: &Path, port: u16, extra: &[&str]) -> Run {
    let charm = charm_binary();
    let work = tempfile::Builder::new().prefix("ex").tempdir().unwrap();
    let state = work.path().join("state-out.json");
    let trace = Trace::run(
        Command::new(program("juju-sim"))
            .args(["run", "--format", "json", "--log-level", "debug", "--charm"])
            .arg(repo())
            .arg("--dispatch")
            .arg(&charm)
            .arg("--real-processes")
            .arg("--scenario")
            .arg(scenario)
            .arg("--var")
            .arg(format!("port={port}"))
            .arg("--work-dir")
            .arg(work.path().join("u"))
            .arg("--state-out")
            .arg(&state)
            .args(extra),
    );
    let state = std::fs::read_to_string(&state)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    Run { trace, state, work }
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn answers(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        std::time::Duration::from_millis(500),
    )
    .is_ok()
}
