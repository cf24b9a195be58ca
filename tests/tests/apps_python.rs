//! A Python ops charm (py-web, `tests/charms/py-web`: plain `ops` from PyPI, unchanged)
//! beside the Rust test charm kv-client in one model (`tests/scenarios/python-beside-rust.yaml`):
//! it reaches its Pebble at /charm/containers/web/pebble.socket (its hooks run in a private
//! mount namespace), and relation data flows both ways.
//!
//! Needs a virtualenv with ops: `JUJU_SIM_OPS_VENV=<venv>` (or `target/ops-venv`, which
//! `.ci/run` creates). Without one the test is skipped, saying so in one line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use support::{Trace, apps};

#[test]
fn a_python_charm_beside_a_rust_one() {
    let Some(venv) = apps::ops_venv() else {
        eprintln!(
            "skipped a_python_charm_beside_a_rust_one: no virtualenv with Python ops; run \
             `python3 -m venv target/ops-venv && target/ops-venv/bin/pip install ops` (as \
             .ci/run does) or set {}=<venv>",
            apps::OPS_VENV
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let charm = apps::py_charm(dir.path(), "py-web", &venv);
    let r = apps::run(
        &apps::scenario("python-beside-rust"),
        &["--var", &format!("py-web={}", charm.display())],
    );
    if let Some(line) = r
        .stderr
        .lines()
        .find(|l| l.contains("private mount namespace"))
    {
        eprintln!("skipped a_python_charm_beside_a_rust_one: {line}");
        return;
    }
    r.assert_ok();

    // Pebble reached from Python: the layer planned, the file pushed and pulled back in
    // the container's filesystem.
    let clients = std::fs::read_to_string(
        r.unit_dir("py-web/0")
            .join("workloads/web/srv/py-web/clients"),
    )
    .unwrap();
    assert_eq!(clients, "kv-client/0\n");
    // Python wrote its URL (ops sends relation data through relation-set --file -) and
    // read the Rust units' data; Rust read Python's URL.
    let wrote: Vec<String> = r
        .attempts()
        .into_iter()
        .filter(|e| e["unit"] == "py-web/0")
        .flat_map(Trace::calls)
        .filter(|c| c.starts_with("relation-set "))
        .collect();
    assert!(
        wrote.iter().any(|c| c.contains("--app")),
        "py-web/0's relation-set calls: {wrote:?}"
    );
    let joined = r.unit_hook("py-web/0", "website-relation-joined");
    assert!(
        joined["context"]
            .as_str()
            .unwrap()
            .contains("unit=kv-client/"),
        "{joined}"
    );
    let s = r.summary();
    assert_eq!(
        s["units"]["kv-client/0"]["unit_status"],
        "active: using http://10.1.1.10:9001"
    );
    assert_eq!(
        s["units"]["py-web/0"]["unit_status"],
        "active: serving http://10.1.1.10:9001 for kv-client/0 at /changed"
    );
}
