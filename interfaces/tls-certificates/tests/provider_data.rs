//! Every shape of databag the Python side writes is read correctly: the provider's
//! `certificates` as self-signed-certificates writes them (with and without a chain, an
//! intermediate CA, other units' certificates beside ours, fields of older versions, revoked
//! entries), `request_errors` under both names for the CSR, `capabilities`; and what the
//! Python requirer library left behind when a charm moves to this one (its CSR in our
//! databag, its `RSA PRIVATE KEY` in the key secret). Each provider databag is first held to
//! the provider schema, so the test data is the protocol's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use ops::model::LogLevel;
use ops::testing::State;
use ops::testing::juju::{SecretOwnership, SecretState};
use ops_interface_tls_certificates::v1::labels;
use ops_interface_tls_certificates::v1::{
    CertificateAvailable, CertificateDenied, CertificateRequest, KeyAlgorithm, Mode, PrivateKey,
    TlsRequirer,
};
use support::provider::{Ca, Py, certificates_bag, dumps, entry, obj, s};
use support::schema::provider_bag_errors;
use support::*;

/// The state after the requirer sent its CSR (unit mode), and that CSR.
fn sent(ctx: &ops::testing::Context<TestCharm>, leader: bool) -> (State, String) {
    let rel = relation();
    let out = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().leader(leader).relation(rel),
        )
        .unwrap();
    let (csr, _) = csrs(&out.state, Mode::Unit).remove(0);
    (out.state, csr)
}

/// Runs relation-changed with `bag` as the provider's application data (checked against the
/// provider schema first).
fn provider_says(
    ctx: &ops::testing::Context<TestCharm>,
    state: &State,
    bag: Vec<(String, String)>,
) -> ops::testing::Output {
    let map: BTreeMap<String, String> = bag.iter().cloned().collect();
    let errors = provider_bag_errors(&map);
    assert!(
        errors.is_empty(),
        "the test's provider data is off-protocol: {errors:?}"
    );
    let state = with_relation(state, |r| r.remote_app_data(bag));
    ctx.run(ctx.on.relation_changed(&relation()), &state)
        .unwrap()
}

fn warnings(out: &ops::testing::Output) -> Vec<&str> {
    let mut lines = out.log_messages_at(LogLevel::Warning);
    lines.extend(out.log_messages_at(LogLevel::Error));
    lines
}

#[test]
fn self_signed_certificates_answer_with_an_rsa_ca_and_a_chain() {
    let ctx = context(unit_requirer);
    let (state, csr) = sent(&ctx, false);
    let ca = Ca::root_rsa("self-signed-certificates-operator");
    let cert = ca.sign(&csr, false);
    let out = provider_says(
        &ctx,
        &state,
        certificates_bag(&[entry(&cert, &csr, &ca.pem, &[&cert, &ca.pem], false)]),
    );
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].certificate, cert);
    assert_eq!(got[0].ca, ca.pem);
    assert_eq!(got[0].chain, [cert.clone(), ca.pem.clone()]);
    assert_eq!(got[0].certificate_signing_request, csr);
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
    // The certificate is stored, unit-owned, under the Python library's label.
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &csr);
    let secret = out.state.secret_by_id(&label).unwrap();
    assert_eq!(secret.owner, SecretOwnership::Unit);
    assert_eq!(secret.latest().unwrap().content["certificate"], cert);
    assert_eq!(secret.latest().unwrap().content["csr"], csr);
    assert!(secret.expire.is_some());
}

#[test]
fn no_chain_a_null_chain_and_older_fields_are_read() {
    let ctx = context(unit_requirer);
    let (state, csr) = sent(&ctx, false);
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    // Older providers: no chain, and `recommended_expiry_notification_time`.
    let older = obj(vec![
        ("ca", s(&ca.pem)),
        ("certificate_signing_request", s(&csr)),
        ("certificate", s(&cert)),
        ("recommended_expiry_notification_time", Py::Int(168)),
    ]);
    let out = provider_says(&ctx, &state, certificates_bag(&[older]));
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].chain.is_empty());
    // A null chain, from a provider that dumps None.
    let (state, csr) = sent(&ctx, false);
    let cert = ca.sign(&csr, false);
    let null_chain = obj(vec![
        ("ca", s(&ca.pem)),
        ("certificate_signing_request", s(&csr)),
        ("certificate", s(&cert)),
        ("chain", Py::Null),
        ("revoked", Py::Null),
    ]);
    let out = provider_says(&ctx, &state, certificates_bag(&[null_chain]));
    assert_eq!(out.emitted_of::<CertificateAvailable>().unwrap().len(), 1);
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}

#[test]
fn an_intermediate_ca_and_a_three_certificate_chain() {
    let ctx = context(unit_requirer);
    let (state, csr) = sent(&ctx, false);
    let root = Ca::root("root");
    let intermediate = root.intermediate("intermediate");
    let cert = intermediate.sign(&csr, false);
    let out = provider_says(
        &ctx,
        &state,
        certificates_bag(&[entry(
            &cert,
            &csr,
            &intermediate.pem,
            &[&cert, &intermediate.pem, &root.pem],
            false,
        )]),
    );
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got[0].ca, intermediate.pem);
    assert_eq!(got[0].chain.len(), 3);
    assert_eq!(
        got[0].chain_as_pem(),
        format!("{cert}\n\n{}\n\n{}", intermediate.pem, root.pem)
    );
}

#[test]
fn other_units_certificates_beside_ours_are_left_alone() {
    let ctx = context(unit_requirer);
    let (state, csr) = sent(&ctx, false);
    let ca = Ca::root("ca");
    // Another unit of our application: its own key, its own CSR.
    let other_ctx = context(unit_requirer);
    let (other_state, other_csr) = sent(&other_ctx, false);
    drop(other_state);
    let mine = ca.sign(&csr, false);
    let theirs = ca.sign(&other_csr, false);
    let out = provider_says(
        &ctx,
        &state,
        certificates_bag(&[
            entry(&theirs, &other_csr, &ca.pem, &[&theirs, &ca.pem], false),
            entry(&mine, &csr, &ca.pem, &[&mine, &ca.pem], false),
        ]),
    );
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].certificate, mine);
    assert!(
        out.log_messages().iter().all(|l| !l.contains("entry 0")),
        "{:#?}",
        out.juju_log
    );
}

#[test]
fn pems_with_a_trailing_newline_match_our_stripped_csr() {
    let ctx = context(unit_requirer);
    let (state, csr) = sent(&ctx, false);
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    let (c, r, a) = (
        format!("{cert}\n"),
        format!("{csr}\n"),
        format!("{}\n", ca.pem),
    );
    let out = provider_says(
        &ctx,
        &state,
        certificates_bag(&[entry(&c, &r, &a, &[&c], false)]),
    );
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].certificate, cert,
        "stripped, as the Python library writes it"
    );
}

#[test]
fn a_ca_certificate_for_a_ca_request() {
    let ctx = context(|| {
        TlsRequirer::builder(ENDPOINT)
            .request(
                Mode::Unit,
                CertificateRequest::builder()
                    .common_name("intermediate.example.com")
                    .ca(true)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    });
    let (state, _) = sent(&ctx, false);
    let (csr, is_ca) = csrs(&state, Mode::Unit).remove(0);
    assert!(is_ca, "`ca: true` beside the CSR");
    let ca = Ca::root("root");
    let cert = ca.sign(&csr, true);
    let out = provider_says(
        &ctx,
        &state,
        certificates_bag(&[entry(&cert, &csr, &ca.pem, &[&cert, &ca.pem], false)]),
    );
    assert_eq!(out.emitted_of::<CertificateAvailable>().unwrap().len(), 1);
}

#[test]
fn app_mode_certificates_are_stored_by_the_leader_under_the_app_label() {
    let ctx = context(app_requirer);
    let rel = relation();
    let out = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().leader(true).relation(rel),
        )
        .unwrap();
    let (csr, _) = csrs(&out.state, Mode::App).remove(0);
    let key_secret = out
        .state
        .secret_by_id(&labels::private_key(Mode::App, "web/0", ENDPOINT))
        .unwrap();
    assert_eq!(key_secret.owner, SecretOwnership::Application);
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    let out = provider_says(
        &ctx,
        &out.state,
        certificates_bag(&[entry(&cert, &csr, &ca.pem, &[&cert], false)]),
    );
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got[0].mode, Mode::App);
    let label = labels::certificate(Mode::App, "web/0", ENDPOINT, &csr);
    assert_eq!(
        out.state.secret_by_id(&label).unwrap().owner,
        SecretOwnership::Unit
    );
}

#[test]
fn request_errors_under_the_librarys_and_the_specs_name_are_announced_once() {
    let ctx = context(both_requirer);
    let rel = relation();
    let out = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().leader(true).relation(rel),
        )
        .unwrap();
    let (unit_csr, _) = csrs(&out.state, Mode::Unit).remove(0);
    let (app_csr, _) = csrs(&out.state, Mode::App).remove(0);
    let error = |code: i64, name: &str| {
        obj(vec![
            ("code", Py::Int(code)),
            ("name", s(name)),
            ("message", s("IP identifiers are not allowed by this CA")),
            ("reason", s("ip in san")),
            ("provider", s("letsencrypt")),
            (
                "endpoint",
                s("https://acme-staging-v02.api.letsencrypt.org/directory"),
            ),
        ])
    };
    let errors = Py::List(vec![
        // The library's `_RequestError`: `csr`.
        obj(vec![
            ("csr", s(&unit_csr)),
            ("error", error(101, "ip_not_allowed")),
        ]),
        // The interface schema's `RequestError`: `certificate_signing_request`.
        obj(vec![
            ("certificate_signing_request", s(&app_csr)),
            ("error", error(201, "server_not_available")),
        ]),
    ]);
    let bag = vec![("request_errors".to_owned(), dumps(&errors))];
    let out = provider_says(&ctx, &out.state, bag.clone());
    let denied = out.emitted_of::<CertificateDenied>().unwrap();
    assert_eq!(denied.len(), 2);
    assert_eq!(denied[0].mode, Mode::Unit);
    assert_eq!(denied[0].error.code, 101);
    assert_eq!(denied[0].error.name, "ip_not_allowed");
    assert_eq!(denied[0].error.reason.as_deref(), Some("ip in san"));
    assert_eq!(denied[1].mode, Mode::App);
    assert_eq!(denied[1].certificate_signing_request, app_csr);
    // The same refusals again: not announced again.
    let again = provider_says(&ctx, &out.state, bag);
    assert!(again.emitted_of::<CertificateDenied>().unwrap().is_empty());
}

#[test]
fn capabilities_are_read() {
    let ctx = context(unit_requirer);
    let (state, _) = sent(&ctx, false);
    let caps = obj(vec![
        ("supports_ip_sans", Py::Bool(false)),
        ("supports_wildcard_dns", Py::Bool(true)),
        ("allowed_domains", Py::List(vec![s("mydomain.com")])),
        ("provider_type", s("acme")),
    ]);
    let state = with_relation(&state, |r| {
        r.remote_app_data([("capabilities".to_owned(), dumps(&caps))])
    });
    let model_caps = std::rc::Rc::new(std::cell::RefCell::new(None));
    let seen = model_caps.clone();
    // Asked from the charm, through the model the run gives it.
    struct Asker(TlsRequirer, std::rc::Rc<std::cell::RefCell<Option<String>>>);
    impl ops::prelude::Charm for Asker {
        type Stored = ();
        fn observe(on: &mut ops::prelude::Observers<Self>) {
            on.update_status("ask", |c, ctx, _| {
                let caps = c.0.provider_capabilities(ctx.model())?;
                *c.1.borrow_mut() = Some(format!("{caps:?}"));
                Ok(())
            });
        }
    }
    let ask =
        ops::testing::Context::with_factory(meta(), move || Asker(unit_requirer(), seen.clone()));
    ask.run(ask.on.update_status(), &state).unwrap();
    let text = model_caps.borrow().clone().unwrap();
    assert!(text.contains("supports_ip_sans: Some(false)"), "{text}");
    assert!(
        text.contains("allowed_domains: Some([\"mydomain.com\"])"),
        "{text}"
    );
    assert!(text.contains("provider_type: Some(\"acme\")"), "{text}");
    assert!(text.contains("supports_subdomain: None"), "{text}");
}

#[test]
fn what_the_python_requirer_left_behind_is_adopted() {
    // A charm that used the Python library: its key secret (PKCS #1), and its CSR in the
    // unit databag, written with Python's json.dumps.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let key_pem = std::fs::read_to_string(format!("{dir}python_private_key.pem")).unwrap();
    let csr = std::fs::read_to_string(format!("{dir}python_csr.pem"))
        .unwrap()
        .trim()
        .to_owned();
    let python_key = PrivateKey::from_pem(&key_pem).unwrap();
    assert_eq!(python_key.algorithm(), KeyAlgorithm::Rsa2048);
    let key_secret = SecretState::new(
        "secret:cqp1th0nk3s3cret0000",
        SecretOwnership::Unit,
        [("private-key", key_pem.trim())],
    )
    .label(&labels::private_key(Mode::Unit, "web/0", ENDPOINT));
    let bag = dumps(&Py::List(vec![obj(vec![
        ("certificate_signing_request", s(&csr)),
        ("ca", Py::Bool(false)),
    ])]));
    let rel = relation().local_unit_data([("certificate_signing_requests", bag.as_str())]);
    let state = State::new().relation(rel.clone()).secret(key_secret);
    let ctx = context(unit_requirer);
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    // The CSR matches our request and the key: kept as it is, nothing rewritten.
    assert!(
        !out.tools_called()
            .iter()
            .any(|t| *t == "relation-set" || *t == "secret-add")
    );
    assert_eq!(csrs(&out.state, Mode::Unit), [(csr.clone(), false)]);
    // And the provider's certificate for it is ours.
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    let out = provider_says(
        &ctx,
        &out.state,
        certificates_bag(&[entry(&cert, &csr, &ca.pem, &[&cert], false)]),
    );
    assert_eq!(out.emitted_of::<CertificateAvailable>().unwrap().len(), 1);
}

/// Standard base64, for the interface README's examples.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The interface README's examples show the PEMs base64-encoded; the Python library (what
/// providers run) writes and reads the PEM text itself, and so does this library: data in the
/// README's form is not ours, and fails nothing.
#[test]
fn the_readmes_base64_form_is_not_what_the_library_writes_and_is_not_taken() {
    assert_eq!(base64("ab"), "YWI=");
    let ctx = context(unit_requirer);
    let (state, csr) = sent(&ctx, false);
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    let readme_form = entry(&base64(&cert), &base64(&csr), &base64(&ca.pem), &[], false);
    let state = with_relation(&state, |r| {
        r.remote_app_data(certificates_bag(&[readme_form]))
    });
    let out = ctx
        .run(ctx.on.relation_changed(&relation()), &state)
        .unwrap();
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}
