//! Bad data from the provider never fails the hook: each case gives a warning that names the
//! relation, the key and the entry, and the good entries beside a bad one are still used.
//! Bad data of our own (a corrupt databag, an unreadable key) is repaired, with a line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::model::LogLevel;
use ops::testing::juju::{SecretOwnership, SecretState};
use ops::testing::{Output, State};
use ops_interface_tls_certificates::v1::{CertificateAvailable, CertificateDenied, Mode, labels};
use support::provider::{Ca, Py, certificates_bag, dumps, entry, obj, s};
use support::*;

struct Sent {
    ctx: ops::testing::Context<TestCharm>,
    state: State,
    csr: String,
    ca: Ca,
    cert: String,
}

fn sent() -> Sent {
    let ctx = context(unit_requirer);
    let rel = relation();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &State::new().relation(rel))
        .unwrap();
    let (csr, _) = csrs(&out.state, Mode::Unit).remove(0);
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    Sent {
        ctx,
        state: out.state,
        csr,
        ca,
        cert,
    }
}

/// Runs relation-changed with `bag` as the provider's data: the hook must succeed.
fn run(t: &Sent, bag: Vec<(String, String)>) -> Output {
    let state = with_relation(&t.state, |r| r.remote_app_data(bag));
    t.ctx
        .run(t.ctx.on.relation_changed(&relation()), &state)
        .unwrap_or_else(|e| panic!("bad remote data failed the hook: {e}"))
}

fn warning_with(out: &Output, parts: &[&str]) {
    let lines = out.log_messages_at(LogLevel::Warning);
    assert!(
        lines.iter().any(|l| parts.iter().all(|p| l.contains(p))),
        "no warning with {parts:?} in {:#?}",
        out.juju_log
    );
}

fn bag(key: &str, value: &str) -> Vec<(String, String)> {
    vec![(key.to_owned(), value.to_owned())]
}

#[test]
fn certificates_that_are_not_json_or_not_a_list() {
    let t = sent();
    for (value, says) in [
        ("{not json", "`certificates` is not JSON"),
        (
            "{\"certificate\": \"x\"}",
            "`certificates` is JSON an object, expected a list",
        ),
        (
            "\"a string\"",
            "`certificates` is JSON a string, expected a list",
        ),
        ("null", "`certificates` is JSON null, expected a list"),
    ] {
        let out = run(&t, bag("certificates", value));
        warning_with(&out, &["certificates:7 (self-signed-certificates)", says]);
        assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
    }
}

#[test]
fn entries_with_missing_fields_or_wrong_types_are_skipped_and_the_good_one_is_used() {
    let t = sent();
    let good = entry(&t.cert, &t.csr, &t.ca.pem, &[&t.cert], false);
    let entries = Py::List(vec![
        obj(vec![("certificate", s(&t.cert)), ("ca", s(&t.ca.pem))]),
        obj(vec![
            ("certificate", Py::Int(5)),
            ("certificate_signing_request", s(&t.csr)),
            ("ca", s(&t.ca.pem)),
        ]),
        obj(vec![
            ("certificate", s(&t.cert)),
            ("certificate_signing_request", s(&t.csr)),
            ("ca", s(&t.ca.pem)),
            ("chain", s("not a list")),
        ]),
        Py::Str("not an object".into()),
        good,
    ]);
    let out = run(&t, bag("certificates", &dumps(&entries)));
    warning_with(
        &out,
        &[
            "`certificates` entry 0 is skipped",
            "missing field `certificate_signing_request`",
        ],
    );
    warning_with(&out, &["`certificates` entry 1 is skipped", "invalid type"]);
    warning_with(&out, &["`certificates` entry 2 is skipped"]);
    warning_with(&out, &["`certificates` entry 3 is skipped"]);
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1, "the good entry is used");
    assert_eq!(got[0].certificate, t.cert);
}

#[test]
fn unparsable_pems_are_skipped_with_what_is_wrong() {
    let t = sent();
    let broken_cert = t.cert.replace("MII", "AAA");
    let cases = [
        (
            entry("not a pem", &t.csr, &t.ca.pem, &[], false),
            "the certificate is not PEM text",
        ),
        (
            entry(&broken_cert, &t.csr, &t.ca.pem, &[], false),
            "not an X.509 certificate",
        ),
        (
            entry(&t.csr, &t.csr, &t.ca.pem, &[], false),
            "is a PEM \"CERTIFICATE REQUEST\" block, expected \"CERTIFICATE\"",
        ),
        (
            entry(&t.cert, &t.csr, "garbage", &[], false),
            "the CA certificate is not PEM text",
        ),
        (
            entry(&t.cert, &t.csr, &t.ca.pem, &[&t.cert, "garbage"], false),
            "chain entry 1",
        ),
    ];
    for (e, says) in cases {
        let out = run(&t, certificates_bag(&[e]));
        warning_with(&out, &["`certificates` entry 0 is skipped", says]);
        assert!(
            out.emitted_of::<CertificateAvailable>().unwrap().is_empty(),
            "{says}"
        );
        assert!(
            !secret_labels(&out.state)
                .iter()
                .any(|l| l.contains("-certificate-")),
            "{says}: nothing stored"
        );
    }
}

#[test]
fn a_certificate_that_is_not_for_our_key_or_not_what_we_asked() {
    let t = sent();
    // The provider lists our CSR with a certificate for another key (another unit's).
    let other = sent();
    let wrong_key = t.ca.sign(&other.csr, false);
    let out = run(
        &t,
        certificates_bag(&[entry(&wrong_key, &t.csr, &t.ca.pem, &[], false)]),
    );
    warning_with(
        &out,
        &[
            "`certificates` entry 0 is skipped",
            "not for our private key",
        ],
    );
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
    // A CA certificate where we asked for none.
    let ca_cert = t.ca.sign(&t.csr, true);
    let out = run(
        &t,
        certificates_bag(&[entry(&ca_cert, &t.csr, &t.ca.pem, &[], false)]),
    );
    warning_with(
        &out,
        &["it is a CA certificate and we asked for one that is not"],
    );
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
}

#[test]
fn a_certificate_for_a_csr_we_never_sent() {
    let t = sent();
    // A CSR made with our key that is not (or no longer) in our databag: said, at debug.
    let ctx = context(unit_requirer);
    let replaced = {
        let key_secret = t
            .state
            .secret_by_id(&labels::private_key(Mode::Unit, "web/0", ENDPOINT))
            .unwrap()
            .clone();
        let rel = relation();
        let out = ctx
            .run(
                ctx.on.relation_created(&rel),
                &State::new().relation(rel).secret(key_secret),
            )
            .unwrap();
        csrs(&out.state, Mode::Unit).remove(0).0
    };
    assert_ne!(replaced, t.csr);
    let cert = t.ca.sign(&replaced, false);
    let out = run(
        &t,
        certificates_bag(&[entry(&cert, &replaced, &t.ca.pem, &[], false)]),
    );
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
    assert!(
        out.log_messages_at(LogLevel::Debug)
            .iter()
            .any(|l| l
                .contains("`certificates` entry 0 is for a CSR of ours that we no longer request")),
        "{:#?}",
        out.juju_log
    );
    // A CSR that is not PEM at all: not ours, nothing to say, nothing done.
    let out = run(
        &t,
        certificates_bag(&[entry(&t.cert, "junk", &t.ca.pem, &[], false)]),
    );
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
}

#[test]
fn bad_request_errors_and_capabilities() {
    let t = sent();
    let errors = Py::List(vec![
        obj(vec![("csr", s(&t.csr))]),
        obj(vec![(
            "error",
            obj(vec![
                ("code", Py::Int(101)),
                ("name", s("x")),
                ("message", s("m")),
            ]),
        )]),
        obj(vec![
            ("csr", s(&t.csr)),
            ("error", obj(vec![("code", s("101"))])),
        ]),
    ]);
    let mut data = bag("request_errors", &dumps(&errors));
    data.push(("capabilities".into(), "[1, 2]".into()));
    let out = run(&t, data);
    warning_with(
        &out,
        &[
            "`request_errors` entry 0 is skipped",
            "missing field `error`",
        ],
    );
    warning_with(
        &out,
        &["`request_errors` entry 1 is skipped", "names no CSR"],
    );
    warning_with(&out, &["`request_errors` entry 2 is skipped"]);
    warning_with(&out, &["`capabilities` is not a capabilities object"]);
    assert!(out.emitted_of::<CertificateDenied>().unwrap().is_empty());
}

#[test]
fn our_own_databag_corrupted_is_rewritten() {
    let t = sent();
    let state = with_relation(&t.state, |r| {
        r.local_unit_data([("certificate_signing_requests", "{corrupt")])
    });
    let out = t
        .ctx
        .run(t.ctx.on.relation_changed(&relation()), &state)
        .unwrap();
    warning_with(
        &out,
        &[
            "our own unit databag on certificates:7",
            "is rewritten",
            "not JSON",
        ],
    );
    assert_eq!(csrs(&out.state, Mode::Unit).len(), 1);
    support::schema::assert_requirer_bags_valid(&out.state, "rewritten");
}

#[test]
fn an_unreadable_key_in_its_secret_is_replaced_with_an_error_line() {
    let label = labels::private_key(Mode::Unit, "web/0", ENDPOINT);
    let broken = SecretState::new(
        "secret:cqbrokenk3s3cret0000",
        SecretOwnership::Unit,
        [("private-key", "this is not a key")],
    )
    .label(&label);
    let ctx = context(unit_requirer);
    let rel = relation();
    let out = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().relation(rel).secret(broken),
        )
        .unwrap();
    assert!(
        out.log_messages_at(LogLevel::Error)
            .iter()
            .any(|l| l.contains(&label) && l.contains("replacing it with a new one")),
        "{:#?}",
        out.juju_log
    );
    let secret = out.state.secret_by_id(&label).unwrap();
    assert!(secret.latest().unwrap().content["private-key"].starts_with("-----BEGIN"));
    assert_eq!(csrs(&out.state, Mode::Unit).len(), 1);
}

#[test]
fn no_provider_data_at_all_is_fine_and_quiet() {
    let t = sent();
    let out = run(&t, Vec::new());
    assert!(
        out.log_messages_at(LogLevel::Warning).is_empty(),
        "{:#?}",
        out.juju_log
    );
}

#[test]
fn an_expired_certificate_is_not_stored_or_announced() {
    let t = sent();
    let past = time::OffsetDateTime::now_utc() - time::Duration::days(100);
    let expired = t.ca.sign_at(&t.csr, false, past, 30);
    let out = run(
        &t,
        certificates_bag(&[entry(&expired, &t.csr, &t.ca.pem, &[], false)]),
    );
    warning_with(
        &out,
        &[
            "`certificates` entry 0 is skipped",
            "the certificate expired at",
        ],
    );
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
    assert!(
        !secret_labels(&out.state)
            .iter()
            .any(|l| l.contains("-certificate-"))
    );
    assert_eq!(
        csrs(&out.state, Mode::Unit),
        [(t.csr.clone(), false)],
        "no renewal loop"
    );
}
