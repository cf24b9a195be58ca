//! The Rust interface libraries against the Python ones, for real, in one juju-sim model
//! (`tests/scenarios/python-interface-libraries.yaml`): the Rust charm interop-client
//! (`ops-interface-tls-certificates`, `ops-interface-database`) and its Python twin py-client
//! (`charmlibs-interfaces-tls-certificates`, `dpcharmlibs-interfaces`) ask the Python
//! providers py-tls-ca (`TLSCertificatesProvidesV4`) and py-db
//! (`ResourceProviderEventHandler`) for a certificate and a database, until every side
//! reports success in its status; then a new unit, the database relation removed and made
//! again, and the certificates relations removed.
//!
//! Needs a virtualenv with ops and the Python libraries: `JUJU_SIM_OPS_VENV=<venv>` (or
//! `target/ops-venv`, which `.ci/run` creates with them). Without one the test is skipped,
//! saying so in one line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use support::{Trace, apps};

#[test]
fn rust_and_python_interface_libraries_exchange_until_both_sides_succeed() {
    assert!(
        std::path::Path::new(env!("CARGO_BIN_EXE_interop-client")).is_file(),
        "interop-client is built with the tests"
    );
    let venv = match apps::interface_venv() {
        Ok(venv) => venv,
        Err(why) => {
            eprintln!("skipped rust_and_python_interface_libraries_exchange: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let vars: Vec<String> = ["py-tls-ca", "py-db", "py-client"]
        .iter()
        .flat_map(|name| {
            let charm = apps::py_charm(dir.path(), name, &venv);
            ["--var".to_owned(), format!("{name}={}", charm.display())]
        })
        .collect();
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let r = apps::run(&apps::scenario("python-interface-libraries"), &vars);
    // The scenario's expectations are the success each side reports.
    r.assert_ok();

    let calls_of = |unit: &str| -> Vec<String> {
        r.attempts()
            .into_iter()
            .filter(|e| e["unit"] == unit)
            .flat_map(Trace::calls)
            .collect()
    };
    // TLS: the Rust unit kept its key in a secret of its own and put a CSR in its databag;
    // the Python provider read it (its status counts it) and answered in its application
    // databag, which the Rust library read.
    let rust = calls_of("interop-client/0");
    assert!(
        rust.iter().any(|c| c.starts_with("secret-add ")),
        "interop-client/0 keeps its private key in a secret: {rust:#?}"
    );
    // Database: the credentials came from the Python provider's secret (`secret-user`), not
    // from plain fields: the Rust library read it by the URI the provider wrote.
    let py_db = calls_of("py-db/0");
    assert!(
        py_db
            .iter()
            .any(|c| c.starts_with("secret-add ") || c.starts_with("secret-grant ")),
        "py-db/0 shares credentials as a secret: {py_db:#?}"
    );
    assert!(
        rust.iter()
            .any(|c| c.starts_with("secret-get ") && c.contains("secret:")),
        "interop-client/0 reads the provider's secret by its URI: {rust:#?}"
    );
    // relation-broken: both requirers find their secrets with `secret-ids` and remove them
    // (the Python library reads its plain output line by line).
    for unit in ["py-client/0", "interop-client/0"] {
        let broken = r.unit_hook(unit, "certificates-relation-broken");
        let calls = Trace::calls(broken);
        assert!(
            calls.iter().any(|c| c == "secret-ids")
                || calls.iter().any(|c| c.starts_with("secret-ids ")),
            "{unit} lists its secrets: {calls:#?}"
        );
        assert!(
            calls.iter().any(|c| c.starts_with("secret-remove ")),
            "{unit} removes its secrets: {calls:#?}"
        );
    }
    // No private key, no password in any log line or error output of any unit.
    for line in r.stderr.lines() {
        assert!(
            !line.contains("PRIVATE KEY"),
            "a private key reached the output: {line}"
        );
    }
    // At the end every unit has given its certificate up and kept its database.
    let s = r.summary();
    for unit in ["interop-client/0", "interop-client/1", "interop-client/2"] {
        assert_eq!(
            s["units"][unit]["unit_status"],
            "waiting: no certificate yet; database appdb as interop-client_appdb at \
             py-db-0.py-db-endpoints:5432",
            "{unit}"
        );
    }
}
