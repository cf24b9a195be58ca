//! Every databag the requirer writes fits the interface's schema (ours, in `tests/schemas/`,
//! naming the upstream models it encodes), on every path: first join, the provider's answer,
//! a changed request, renewal (secret expiry and the safety net), revocation, a regenerated
//! key, a request withdrawn, departure and broken; in unit mode, app mode and both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::model::LogLevel;
use ops::testing::{Output, State};
use ops_interface_tls_certificates::v1::{
    CertificateAvailable, CertificateRevoked, Mode, TlsRequirer,
};
use support::provider::{Ca, answer_all, certificates_bag, entry};
use support::schema::assert_requirer_bags_valid;
use support::*;
use time::{Duration, OffsetDateTime};

/// Runs `event` on `state`, checks our databags, and returns the output.
fn step(
    ctx: &ops::testing::Context<TestCharm>,
    event: ops::testing::TestEvent,
    state: &State,
    path: &str,
) -> Output {
    let out = ctx
        .run(event, state)
        .unwrap_or_else(|e| panic!("{path}: the hook failed: {e}"));
    assert_requirer_bags_valid(&out.state, path);
    out
}

/// The provider answers every CSR in our databags (unit and app).
fn provider_answers(state: &State, ca: &Ca) -> State {
    let mut all = csrs(state, Mode::Unit);
    all.extend(csrs(state, Mode::App));
    let bag = certificates_bag(&answer_all(ca, &all));
    with_relation(state, |r| r.remote_app_data(bag))
}

/// The whole life of a relation, checking the bags after each step.
fn lifecycle(build: fn() -> TlsRequirer, leader: bool, modes: &[Mode]) {
    let ctx = context(build);
    let ca = Ca::root("provider CA");
    let rel = relation();
    let state = State::new().leader(leader).relation(rel.clone());

    // First join: created, joined, changed (nothing from the provider yet).
    let out = step(&ctx, ctx.on.relation_created(&rel), &state, "created");
    for mode in modes {
        assert_eq!(csrs(&out.state, *mode).len(), 1, "created: one {mode} CSR");
    }
    let unit = format!("{PROVIDER}/0");
    let out = step(
        &ctx,
        ctx.on.relation_joined(&rel, &unit),
        &out.state,
        "joined",
    );
    let out = step(&ctx, ctx.on.relation_changed(&rel), &out.state, "changed");
    let first: Vec<_> = modes.iter().map(|m| csrs(&out.state, *m)).collect();

    // The provider answers.
    let answered = provider_answers(&out.state, &ca);
    let out = step(&ctx, ctx.on.relation_changed(&rel), &answered, "answered");
    assert_eq!(
        out.emitted_of::<CertificateAvailable>().unwrap().len(),
        modes.len(),
        "answered: one certificate per mode"
    );
    let now: Vec<_> = modes.iter().map(|m| csrs(&out.state, *m)).collect();
    assert_eq!(now, first, "answered: the CSRs stay");

    // Renewal: a certificate secret expires.
    let cert_secret = out
        .state
        .juju
        .secrets
        .iter()
        .find(|s| {
            s.label
                .as_deref()
                .is_some_and(|l| l.contains("-certificate-"))
        })
        .unwrap()
        .clone();
    let out = step(
        &ctx,
        ctx.on.secret_expired(&cert_secret, 1),
        &out.state,
        "secret expired",
    );
    let renewed: Vec<_> = modes.iter().map(|m| csrs(&out.state, *m)).collect();
    assert_ne!(renewed, now, "secret expired: a CSR was replaced");
    assert!(out.state.secret_by_id(&cert_secret.id).is_none());

    // The provider answers the new CSR.
    let answered = provider_answers(&out.state, &ca);
    let out = step(&ctx, ctx.on.relation_changed(&rel), &answered, "renewed");

    // Revocation: the provider marks everything revoked (its CA changed).
    let revoked = with_relation(&out.state, |r| {
        let mut all = csrs(&out.state, Mode::Unit);
        all.extend(csrs(&out.state, Mode::App));
        let entries: Vec<_> = all
            .iter()
            .map(|(csr, is_ca)| {
                let cert = ca.sign(csr, *is_ca);
                entry(&cert, csr, &ca.pem, &[&cert, &ca.pem], true)
            })
            .collect();
        r.remote_app_data(certificates_bag(&entries))
    });
    let out = step(&ctx, ctx.on.relation_changed(&rel), &revoked, "revoked");
    assert_eq!(
        out.emitted_of::<CertificateRevoked>().unwrap().len(),
        modes.len()
    );

    // A regenerated key replaces the CSRs.
    let before = csrs(&out.state, modes[0]);
    let params = serde_json::json!({"mode": modes[0].to_string()});
    let out = step(
        &ctx,
        ctx.on.action("regenerate-key", params),
        &out.state,
        "regenerated",
    );
    assert_ne!(csrs(&out.state, modes[0]), before, "regenerated: new CSR");

    // Departure of the provider's unit: nothing to do.
    let out = step(
        &ctx,
        ctx.on.relation_departed(&rel, &unit),
        &out.state,
        "departed",
    );

    // Broken: the relation goes, with our keys and certificates.
    let out = step(&ctx, ctx.on.relation_broken(&rel), &out.state, "broken");
    assert!(
        secret_labels(&out.state).is_empty(),
        "broken: secrets left {:?}",
        secret_labels(&out.state)
    );
}

#[test]
fn unit_mode_every_path() {
    lifecycle(unit_requirer, false, &[Mode::Unit]);
}

#[test]
fn app_mode_every_path() {
    lifecycle(app_requirer, true, &[Mode::App]);
}

#[test]
fn both_modes_every_path() {
    lifecycle(both_requirer, true, &[Mode::Unit, Mode::App]);
}

/// A follower in app mode writes nothing at all.
#[test]
fn a_follower_in_app_mode_writes_nothing() {
    let ctx = context(app_requirer);
    let rel = relation();
    let out = step(
        &ctx,
        ctx.on.relation_created(&rel),
        &State::new().relation(rel.clone()),
        "follower",
    );
    let r = relation_in(&out.state);
    assert!(r.local_unit_data.is_empty() && r.local_app_data.is_empty());
    assert!(out.state.juju.secrets.is_empty());
    assert!(!out.tools_called().contains(&"relation-set"));
}

/// A changed request replaces the CSR; a request withdrawn leaves no key (not `[]`).
#[test]
fn changed_and_withdrawn_requests() {
    let ctx = context(config_requirer);
    let rel = relation();
    let state = State::new().relation(rel.clone());
    let out = step(&ctx, ctx.on.relation_created(&rel), &state, "created");
    let first = csrs(&out.state, Mode::Unit);
    let changed = out.state.clone().config("common-name", "shop.example.com");
    let out = step(&ctx, ctx.on.config_changed(), &changed, "config changed");
    let second = csrs(&out.state, Mode::Unit);
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);

    // An empty common name cannot be requested: the computed request fails, the CSR stays.
    let broken = out.state.clone().config("common-name", "");
    let out = step(&ctx, ctx.on.config_changed(), &broken, "bad config");
    assert_eq!(csrs(&out.state, Mode::Unit), second);
    assert!(
        out.log_messages_at(LogLevel::Error)
            .iter()
            .any(|l| l.contains("cannot be worked out") && l.contains("left as they are")),
        "{:#?}",
        out.juju_log
    );

    // With no request left, the key goes from the bag.
    let ctx = context(|| {
        TlsRequirer::builder(ENDPOINT)
            .requests_from(Mode::Unit, |_| Ok(vec![]))
            .build()
            .unwrap()
    });
    let out = step(&ctx, ctx.on.relation_changed(&rel), &out.state, "withdrawn");
    assert!(
        !relation_in(&out.state)
            .local_unit_data
            .contains_key("certificate_signing_requests")
    );
}

/// The safety net renews a certificate past its threshold without a secret expiry.
#[test]
fn safety_net_renewal() {
    let ctx = context(unit_requirer);
    let ca = Ca::root("provider CA");
    let rel = relation();
    let out = step(
        &ctx,
        ctx.on.relation_created(&rel),
        &State::new().relation(rel.clone()),
        "created",
    );
    let (csr, _) = csrs(&out.state, Mode::Unit).remove(0);
    // Issued 96 days ago for 100 days: past 95% (0.9 + 0.05), not expired.
    let cert = ca.sign_at(
        &csr,
        false,
        OffsetDateTime::now_utc() - Duration::days(96),
        100,
    );
    let bag = certificates_bag(&[entry(&cert, &csr, &ca.pem, &[&cert], false)]);
    let state = with_relation(&out.state, |r| r.remote_app_data(bag));
    let out = step(&ctx, ctx.on.relation_changed(&rel), &state, "safety net");
    let now = csrs(&out.state, Mode::Unit);
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, csr, "the CSR was replaced");
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
}

/// The schema has teeth: what the Python library would never write fails it.
#[test]
fn the_schema_refuses_what_the_python_library_never_writes() {
    use std::collections::BTreeMap;
    use support::schema::requirer_bag_errors;
    let ctx = context(unit_requirer);
    let rel = relation();
    let out = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    let good = relation_in(&out.state).local_unit_data;
    assert!(requirer_bag_errors(&good).is_empty());
    let (csr, _) = csrs(&out.state, Mode::Unit).remove(0);
    let bag = |v: String| BTreeMap::from([("certificate_signing_requests".to_owned(), v)]);
    let bad = [
        ("an empty list", bag("[]".into())),
        ("no ca", bag(serde_json::json!([{"certificate_signing_request": csr}]).to_string())),
        ("ca as a string", bag(serde_json::json!([{"certificate_signing_request": csr, "ca": "false"}]).to_string())),
        ("a trailing newline", bag(serde_json::json!([{"certificate_signing_request": format!("{csr}\n"), "ca": false}]).to_string())),
        ("base64 instead of PEM", bag(serde_json::json!([{"certificate_signing_request": "LS0tLS1CRUdJTg==", "ca": false}]).to_string())),
        ("the same CSR twice", bag(serde_json::json!([{"certificate_signing_request": csr, "ca": false}, {"certificate_signing_request": csr, "ca": false}]).to_string())),
        ("not JSON", bag("[{".into())),
        ("another key", BTreeMap::from([("csr".to_owned(), csr.clone())])),
    ];
    for (what, bag) in bad {
        assert!(
            !requirer_bag_errors(&bag).is_empty(),
            "{what} passed the schema"
        );
    }
}
