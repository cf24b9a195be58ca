//! Against the Python library itself (`charmlibs-interfaces-tls-certificates` from PyPI), when
//! a Python with it is named by `OPS_TLS_PYTHON`: our CSR is one its requirer matches to the
//! same request and labels as we do, and what its provider code writes for it is a
//! certificate we announce. Without `OPS_TLS_PYTHON` the test says how to run it and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::testing::State;
use ops_interface_tls_certificates::v1::{CertificateAvailable, Mode, labels};
use support::*;

#[test]
fn the_python_library_reads_our_csr_and_we_read_its_answer() {
    let Some(python) = std::env::var_os("OPS_TLS_PYTHON") else {
        eprintln!(
            "skipped: set OPS_TLS_PYTHON to a Python with charmlibs-interfaces-tls-certificates \
             (python3 -m venv v && v/bin/pip install charmlibs-interfaces-tls-certificates; \
             OPS_TLS_PYTHON=v/bin/python cargo test -p ops-interface-tls-certificates \
             --test python_library)"
        );
        return;
    };
    let ctx = context(unit_requirer);
    let rel = relation();
    let sent = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    let (csr, _) = csrs(&sent.state, Mode::Unit).remove(0);

    let dir = tempfile_dir();
    let csr_path = dir.join("csr.pem");
    let out_path = dir.join("out.json");
    std::fs::write(&csr_path, &csr).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/python_library_check.py"
    );
    let status = std::process::Command::new(&python)
        .arg(script)
        .arg(&csr_path)
        .arg(&out_path)
        .status()
        .expect("OPS_TLS_PYTHON runs");
    assert!(status.success(), "the Python side failed: {status}");
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(
        out["same_text"], true,
        "the library re-encodes our CSR to the same text"
    );
    assert_eq!(
        out["attributes_match"], true,
        "the library matches it to the same request"
    );
    assert_eq!(out["sha256"].as_str().unwrap(), labels::sha256_hex(&csr));

    // The library's provider databag, as its model dumps it.
    let bag: Vec<(String, String)> = out["databag"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let map = bag.iter().cloned().collect();
    let errors = support::schema::provider_bag_errors(&map);
    assert!(errors.is_empty(), "{errors:?}");
    let state = with_relation(&sent.state, |r| r.remote_app_data(bag));
    let got = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    let events = got.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(events.len(), 1, "{:#?}", got.juju_log);
    let payload = &events[0];
    assert_eq!(payload.certificate, out["certificate"].as_str().unwrap());
    assert_eq!(payload.ca, out["ca"].as_str().unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

/// A fresh directory under the target directory's temporary space.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ops-tls-python-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
