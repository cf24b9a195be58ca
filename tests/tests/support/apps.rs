//! Scenarios of several applications through juju-sim: the test charms `kv-client` (Rust,
//! `tests/charms/kv-client`) and `py-web` (Python ops, `tests/charms/py-web`) beside each
//! other and beside webkv.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Trace, program, workspace};

/// A scenario of the whole-program tests, in `tests/scenarios/`.
pub fn scenario(name: &str) -> PathBuf {
    workspace()
        .join("tests/scenarios")
        .join(format!("{name}.yaml"))
}

/// One run: its JSON trace (the [`Trace`] it dereferences to) and the model's work
/// directory (`<work>/model`, one subdirectory per unit).
pub struct Run {
    pub trace: Trace,
    pub work: tempfile::TempDir,
}

impl std::ops::Deref for Run {
    type Target = Trace;
    fn deref(&self) -> &Trace {
        &self.trace
    }
}

impl Run {
    /// The directory of unit `unit` (`app/N`).
    pub fn unit_dir(&self, unit: &str) -> PathBuf {
        self.work.path().join("model").join(unit.replace('/', "-"))
    }

    /// Panics with the trace unless juju-sim exited 0 with every expectation met.
    pub fn assert_ok(&self) {
        assert!(
            self.code == 0 && self.failures().is_empty(),
            "juju-sim exited {} with failures {:?}\nhooks: {:?}\nnotes: {:?}\nstderr:\n{}",
            self.code,
            self.failures(),
            self.unit_hooks(),
            self.notes(),
            self.stderr
        );
    }
}

/// Runs `scenario` (the `kv-client` charm built, as the scenarios find it next to juju-sim).
pub fn run(scenario: &Path, extra: &[&str]) -> Run {
    assert!(
        Path::new(env!("CARGO_BIN_EXE_kv-client")).is_file(),
        "kv-client is built with the tests"
    );
    let work = tempfile::Builder::new().prefix("apps").tempdir().unwrap();
    let trace = Trace::run(
        Command::new(program("juju-sim"))
            .args([
                "run",
                "--format",
                "json",
                "--log-level",
                "debug",
                "--scenario",
            ])
            .arg(scenario)
            .arg("--work-dir")
            .arg(work.path().join("model"))
            .args(extra),
    );
    Run { trace, work }
}

/// The environment variable naming a virtualenv with Python `ops` for the Python test
/// charm (`.ci/run` creates one: `target/ops-venv`).
pub const OPS_VENV: &str = "JUJU_SIM_OPS_VENV";

/// The virtualenv with `ops`: `$JUJU_SIM_OPS_VENV`, or `target/ops-venv` if `.ci/run` made
/// it; `None` if there is neither (the Python test is then skipped). A virtualenv named but
/// without `ops` fails the test.
pub fn ops_venv() -> Option<PathBuf> {
    let venv = match std::env::var_os(OPS_VENV) {
        Some(v) => PathBuf::from(v),
        None => {
            let made = workspace().join("target/ops-venv");
            if !made.join("bin/python").exists() {
                return None;
            }
            made
        }
    };
    let ok = Command::new(venv.join("bin/python"))
        .args(["-c", "import ops"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} has no Python ops: {}/bin/pip install ops",
        venv.display(),
        venv.display()
    );
    Some(venv)
}

/// The PyPI packages of the Python interface libraries the interoperation test charms use
/// (`tests/charms/py-tls-ca`, `py-db`, `py-client`), as `.ci/run` installs them beside ops.
pub const INTERFACE_PACKAGES: &str = "charmlibs-interfaces-tls-certificates dpcharmlibs-interfaces";

/// The virtualenv with ops (see [`ops_venv`]) if it also has the Python interface libraries;
/// otherwise why not, in one line that says how to get them.
pub fn interface_venv() -> Result<PathBuf, String> {
    let how = format!(
        "run `python3 -m venv target/ops-venv && target/ops-venv/bin/pip install ops \
         {INTERFACE_PACKAGES}` (as .ci/run does) or set {OPS_VENV}=<such a venv>"
    );
    let Some(venv) = ops_venv() else {
        return Err(format!("no virtualenv with Python ops: {how}"));
    };
    let ok = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import charmlibs.interfaces.tls_certificates, dpcharmlibs.interfaces",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(venv)
    } else {
        Err(format!(
            "{} lacks the Python interface libraries: {how}",
            venv.display()
        ))
    }
}

/// The Python test charm `tests/charms/<name>` as charmcraft packs it, in `dir`: its
/// metadata (and config, if it has one), dispatch and source, and `venv` linked to the
/// virtualenv.
pub fn py_charm(dir: &Path, name: &str, venv: &Path) -> PathBuf {
    let src = workspace().join("tests/charms").join(name);
    let charm = dir.join(name);
    std::fs::create_dir_all(&charm).unwrap();
    for f in ["metadata.yaml", "config.yaml", "dispatch"] {
        if src.join(f).exists() {
            std::fs::copy(src.join(f), charm.join(f)).unwrap();
        }
    }
    std::os::unix::fs::symlink(src.join("src"), charm.join("src")).unwrap();
    std::os::unix::fs::symlink(venv, charm.join("venv")).unwrap();
    charm
}
