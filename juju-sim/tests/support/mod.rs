//! Shared by juju-sim's integration tests and, through `tests/tests/support/`, by the
//! workspace's whole-program tests: reading juju-sim's JSON trace ([`Trace`]), and the
//! programs a test runs that Cargo gives no `CARGO_BIN_EXE_` for ([`program`]).

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)] // test helpers

pub mod trace;

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

pub use trace::Trace;

/// The workspace root (the example charm's directory: its `charmcraft.yaml` is there).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The directory this test was built into (`target/debug`; the test itself is in `deps/`):
/// the workspace's programs are built there too.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// One `cargo build` that makes some of the workspace's programs.
struct Build {
    /// The package built.
    package: &'static str,
    /// Which of its targets (`--bins`, `--example NAME`).
    targets: &'static [&'static str],
    /// What it makes, relative to [`bin_dir`].
    outputs: &'static [&'static str],
    /// The directories whose files the outputs must be newer than, from the workspace root.
    sources: &'static [&'static str],
}

/// The programs tests run from packages other than their own, or that are examples.
const BUILDS: &[Build] = &[
    Build {
        package: "juju-sim",
        targets: &["--bins"],
        outputs: &["juju-sim", "hook-tool", "pebble-sim"],
        sources: &["juju-sim/src", "ops-rs/src", "pebble-client/src"],
    },
    Build {
        package: "charm-example",
        targets: &["--bins"],
        outputs: &["charm-example", "webkv-server"],
        sources: &["charm-example/src", "ops-rs/src", "pebble-client/src"],
    },
    Build {
        package: "juju-sim",
        targets: &["--example", "sim-test-charm"],
        outputs: &["examples/sim-test-charm"],
        sources: &[
            "juju-sim/examples/sim-test-charm",
            "ops-rs/src",
            "pebble-client/src",
        ],
    },
    Build {
        package: "ops-tracing",
        targets: &["--example", "traced-charm"],
        outputs: &["examples/traced-charm"],
        sources: &[
            "ops-tracing/src",
            "ops-tracing/examples/traced-charm",
            "interfaces/tracing/src",
            "ops-rs/src",
            "pebble-client/src",
        ],
    },
];

fn newest(dir: &Path, newest_so_far: &mut SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            newest(&p, newest_so_far);
        } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
            *newest_so_far = (*newest_so_far).max(m);
        }
    }
}

/// The builds checked (and run if needed) in this test process, by their first output.
static CHECKED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// The workspace program `name` — `juju-sim`, `hook-tool`, `pebble-sim`, `charm-example`,
/// `webkv-server`, `sim-test-charm` (an example of juju-sim) or `traced-charm` (an example of
/// ops-tracing) — in [`bin_dir`].
///
/// Cargo gives a test `CARGO_BIN_EXE_` only for its own package's binaries, so these are
/// taken from the directory the test was built into, and built there first (`cargo build -p
/// PACKAGE --bins`, or `--example`) when missing or older than their sources. `cargo test
/// --workspace` builds them all anyway.
pub fn program(name: &str) -> PathBuf {
    let (build, output) = BUILDS
        .iter()
        .find_map(|b| {
            b.outputs
                .iter()
                .find(|o| Path::new(o).file_name().is_some_and(|f| f == name))
                .map(|o| (b, *o))
        })
        .unwrap_or_else(|| panic!("no workspace program {name}"));
    let bin = bin_dir();
    let mut checked = CHECKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if checked.contains(build.outputs[0]) {
        return bin.join(output);
    }
    let repo = workspace();
    let mut sources = SystemTime::UNIX_EPOCH;
    for d in build.sources {
        newest(&repo.join(d), &mut sources);
    }
    let fresh = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= sources)
    };
    if !build.outputs.iter().all(|o| fresh(&bin.join(o))) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&repo)
            .args(["build", "-p", build.package])
            .args(build.targets)
            .arg("--target-dir")
            .arg(bin.parent().unwrap());
        if bin.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo to build {}: {e}", build.package));
        assert!(
            out.status.success(),
            "cargo build -p {} {} failed:\n{}",
            build.package,
            build.targets.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for o in build.outputs {
        assert!(
            bin.join(o).is_file(),
            "no {} after building",
            bin.join(o).display()
        );
    }
    checked.insert(build.outputs[0]);
    bin.join(output)
}

/// Loads and validates every scenario file in `dir` against `meta` (a scenario of several
/// applications against its own charms), panicking with the first error; returns how many
/// there were.
pub fn validate_scenarios(dir: &Path, meta: &ops::metadata::CharmMeta) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yaml") {
            // What `--otlp-tls` defines, for the HTTPS tracing scenarios (no CA: only the
            // scenario's shape is checked here).
            let tls = BTreeMap::from([("otlp-ca-certificates".to_owned(), "[]".to_owned())]);
            let s = juju_sim::Scenario::load_with_builtins(&p, &BTreeMap::new(), &tls)
                .unwrap_or_else(|e| panic!("{e}"));
            if s.apps.is_some() {
                // Several applications: checked against each one's own charm.
                juju_sim::controller::Controller::check(&s).unwrap_or_else(|e| panic!("{e}"));
            } else {
                s.validate(meta).unwrap_or_else(|e| panic!("{e}"));
            }
            n += 1;
        }
    }
    n
}
