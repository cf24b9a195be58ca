//! The custom events: `certificate-available` with the right payload, once per certificate
//! (again when the certificate changes), deferrable with its payload; `certificate-revoked`
//! once; renewal through secret expiry and through the charm; the stored hints never cause
//! churn.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ops::event::Custom;
use ops::prelude::*;
use ops::testing::{Context, Output, State};
use ops_interface_tls_certificates::v1::{
    CertificateAvailable, CertificateRevoked, Mode, RequirerState, TlsRequirer, labels,
};
use support::provider::{Ca, certificates_bag, entry};
use support::*;

/// The requirer sent its CSR; the provider answered with `cert`.
struct Answered {
    ctx: Context<TestCharm>,
    before: State,
    out: Output,
    csr: String,
    cert: String,
    ca: Ca,
}

fn answered(build: fn() -> TlsRequirer, leader: bool, mode: Mode) -> Answered {
    let ctx = context(build);
    let rel = relation();
    let sent = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().leader(leader).relation(rel.clone()),
        )
        .unwrap();
    let (csr, _) = csrs(&sent.state, mode).remove(0);
    let ca = Ca::root("ca");
    let cert = ca.sign(&csr, false);
    let before = with_relation(&sent.state, |r| {
        r.remote_app_data(certificates_bag(&[entry(
            &cert,
            &csr,
            &ca.pem,
            &[&cert, &ca.pem],
            false,
        )]))
    });
    let out = ctx.run(ctx.on.relation_changed(&rel), &before).unwrap();
    Answered {
        ctx,
        before,
        out,
        csr,
        cert,
        ca,
    }
}

#[test]
fn certificate_available_carries_the_certificate_its_csr_the_ca_and_the_chain() {
    let a = answered(unit_requirer, false, Mode::Unit);
    assert!(
        a.out
            .emitted_events
            .iter()
            .any(|e| e.kind() == EventKind::custom_of::<CertificateAvailable>(KEY))
    );
    assert_eq!(
        a.out.emitted_of::<CertificateAvailable>().unwrap(),
        [CertificateAvailable {
            certificate: a.cert.clone(),
            certificate_signing_request: a.csr.clone(),
            ca: a.ca.pem.clone(),
            chain: vec![a.cert.clone(), a.ca.pem.clone()],
            mode: Mode::Unit,
            relation_id: RELATION_ID as u32,
        }]
    );
}

#[test]
fn it_fires_once_per_certificate_and_again_when_the_certificate_changes() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let rel = relation();
    // The same data again: nothing new, nothing emitted, no secret touched.
    let again = a
        .ctx
        .run(a.ctx.on.relation_changed(&rel), &a.out.state)
        .unwrap();
    assert!(
        again
            .emitted_of::<CertificateAvailable>()
            .unwrap()
            .is_empty()
    );
    assert_eq!(again.tools_called(), ["relation-get", "relation-get"]);
    // The provider re-issues the certificate for the same CSR.
    let reissued = a.ca.sign(&a.csr, false);
    let state = with_relation(&a.out.state, |r| {
        r.remote_app_data(certificates_bag(&[entry(
            &reissued,
            &a.csr,
            &a.ca.pem,
            &[],
            false,
        )]))
    });
    let out = a.ctx.run(a.ctx.on.relation_changed(&rel), &state).unwrap();
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].certificate, reissued);
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &a.csr);
    let secret = out.state.secret_by_id(&label).unwrap();
    assert_eq!(secret.latest().unwrap().content["certificate"], reissued);
}

#[test]
fn with_its_stored_state_lost_it_checks_the_secret_and_emits_nothing_twice() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let mut state = a.out.state.clone();
    state.components.clear();
    let out = a
        .ctx
        .run(a.ctx.on.relation_changed(&relation()), &state)
        .unwrap();
    assert!(
        out.emitted_of::<CertificateAvailable>().unwrap().is_empty(),
        "the secret holds the same certificate"
    );
    assert!(
        !out.tools_called()
            .iter()
            .any(|t| *t == "relation-set" || *t == "secret-add")
    );
    // And the hints are back.
    let st: RequirerState = out.state.component_stored_as(KEY).unwrap();
    assert_ne!(st, RequirerState::default());
}

#[test]
fn a_stale_key_hint_is_checked_against_the_secret_before_anything_is_removed() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let mut state = a.out.state.clone();
    // A hint for some other key.
    let mut stored = state.components[KEY].clone();
    stored["unit_public_key"] = serde_json::json!("00ff");
    state.components.insert(KEY.to_owned(), stored);
    let out = a
        .ctx
        .run(a.ctx.on.relation_changed(&relation()), &state)
        .unwrap();
    assert_eq!(csrs(&out.state, Mode::Unit), [(a.csr.clone(), false)]);
    assert!(!out.tools_called().contains(&"relation-set"));
    assert!(out.emitted_of::<CertificateAvailable>().unwrap().is_empty());
}

/// A charm that defers `certificate-available` until its workload is there.
#[derive(Default)]
struct Deferring {
    tls: Option<TlsRequirer>,
}

impl Charm for Deferring {
    type Stored = Vec<String>;
    fn observe(on: &mut Observers<Self>) {
        on.component(KEY, |c: &mut Deferring| {
            c.tls.get_or_insert_with(unit_requirer)
        });
        on.custom::<CertificateAvailable>(
            KEY,
            "on_certificate",
            |_c, ctx, ev: &mut Custom<CertificateAvailable>| {
                if ctx.model().config_value("common-name")?
                    != Some(serde_json::json!("ready.example.com"))
                {
                    ev.defer()?;
                    return Ok(());
                }
                let cert = ev.certificate.clone();
                ctx.stored_mut().push(cert);
                Ok(())
            },
        );
    }
}

#[test]
fn a_deferred_certificate_available_comes_back_with_its_payload() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let ctx = Context::<Deferring>::with_factory(meta(), Deferring::default);
    let mut before = a.before.clone();
    before.stored = None; // another charm's state type
    let out = ctx
        .run(ctx.on.relation_changed(&relation()), &before)
        .unwrap();
    assert_eq!(out.state.deferred.len(), 1);
    let ready = out.state.clone().config("common-name", "ready.example.com");
    let out = ctx.run(ctx.on.update_status(), &ready).unwrap();
    assert!(out.state.deferred.is_empty());
    assert_eq!(out.state.stored_as::<Vec<String>>().unwrap(), [a.cert]);
}

#[test]
fn revocation_is_announced_once_and_the_stored_copy_removed() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let rel = relation();
    let revoked = with_relation(&a.out.state, |r| {
        r.remote_app_data(certificates_bag(&[entry(
            &a.cert,
            &a.csr,
            &a.ca.pem,
            &[],
            true,
        )]))
    });
    let out = a
        .ctx
        .run(a.ctx.on.relation_changed(&rel), &revoked)
        .unwrap();
    assert_eq!(
        out.emitted_of::<CertificateRevoked>().unwrap(),
        [CertificateRevoked {
            certificate: a.cert.clone(),
            certificate_signing_request: a.csr.clone(),
            mode: Mode::Unit,
            relation_id: RELATION_ID as u32,
        }]
    );
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &a.csr);
    assert!(out.state.secret_by_id(&label).is_none());
    // Still revoked on the next hook: said once.
    let again = a
        .ctx
        .run(a.ctx.on.relation_changed(&rel), &out.state)
        .unwrap();
    assert!(again.emitted_of::<CertificateRevoked>().unwrap().is_empty());
    // The provider issues a new certificate for the same CSR: available again.
    let fresh = a.ca.sign(&a.csr, false);
    let state = with_relation(&again.state, |r| {
        r.remote_app_data(certificates_bag(&[entry(
            &fresh,
            &a.csr,
            &a.ca.pem,
            &[],
            false,
        )]))
    });
    let out = a.ctx.run(a.ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(
        out.emitted_of::<CertificateAvailable>().unwrap()[0].certificate,
        fresh
    );
}

#[test]
fn secret_expiry_renews_with_a_new_csr_and_the_new_certificate_is_announced() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &a.csr);
    let secret = a.out.state.secret_by_id(&label).unwrap().clone();
    let out = a
        .ctx
        .run(a.ctx.on.secret_expired(&secret, 1), &a.out.state)
        .unwrap();
    let now = csrs(&out.state, Mode::Unit);
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, a.csr);
    assert!(out.state.secret_by_id(&label).is_none());
    // The new CSR asks for the same thing: same key, same request.
    let new_cert = a.ca.sign(&now[0].0, false);
    let state = with_relation(&out.state, |r| {
        r.remote_app_data(certificates_bag(&[
            entry(&a.cert, &a.csr, &a.ca.pem, &[], false),
            entry(&new_cert, &now[0].0, &a.ca.pem, &[], false),
        ]))
    });
    let out = a
        .ctx
        .run(a.ctx.on.relation_changed(&relation()), &state)
        .unwrap();
    let got = out.emitted_of::<CertificateAvailable>().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].certificate, new_cert);
}

#[test]
fn secret_events_of_other_secrets_are_not_ours() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let other = ops::testing::juju::SecretState::new(
        "secret:cq0ther0secret000000",
        ops::testing::juju::SecretOwnership::Unit,
        [("password", "x")],
    )
    .label("db-password");
    let state = a.out.state.clone().secret(other.clone());
    let out = a
        .ctx
        .run(a.ctx.on.secret_expired(&other, 1), &state)
        .unwrap();
    assert!(out.tools_called().is_empty(), "{:?}", out.tools_called());
    let out = a
        .ctx
        .run(a.ctx.on.secret_remove(&other, 1), &state)
        .unwrap();
    assert!(out.tools_called().is_empty(), "{:?}", out.tools_called());
}

#[test]
fn secret_remove_of_our_certificate_secret_removes_the_revision() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &a.csr);
    let mut state = a.out.state.clone();
    let i = state
        .juju
        .secrets
        .iter()
        .position(|s| s.label.as_deref() == Some(label.as_str()))
        .unwrap();
    let secret = state.juju.secrets[i]
        .clone()
        .with_revision([("certificate", "newer")]);
    state.juju.secrets[i] = secret.clone();
    let out = a
        .ctx
        .run(a.ctx.on.secret_remove(&secret, 1), &state)
        .unwrap();
    assert_eq!(out.tools_called(), ["secret-remove"]);
    let left = out.state.secret_by_id(&label).unwrap();
    assert_eq!(left.revisions.len(), 1);
    assert_eq!(left.revisions[0].revision, 2);
}

#[test]
fn the_charm_can_read_its_certificate_and_key_and_renew_it() {
    let a = answered(unit_requirer, false, Mode::Unit);
    struct Reader;
    impl Charm for Reader {
        type Stored = Vec<String>;
        fn observe(on: &mut Observers<Self>) {
            on.update_status("read", |_c, ctx, _| {
                let mut tls = unit_requirer();
                let certs = tls.assigned_certificates(ctx.model())?;
                let key = tls.private_key(ctx.model(), Mode::Unit)?;
                let assigned =
                    tls.assigned_certificate(ctx.model(), Mode::Unit, &request("web.example.com"))?;
                let stored = ctx.stored_mut();
                stored.push(format!("{}", certs.len()));
                stored.push(format!("{}", key.is_some()));
                stored.push(format!("{}", assigned.is_some()));
                if let Some(c) = certs.first() {
                    stored.push(c.certificate.clone());
                    tls.renew_certificate(ctx.model(), c)?;
                }
                Ok(())
            });
        }
    }
    let ctx = Context::<Reader>::with_factory(meta(), || Reader);
    let mut state = a.out.state.clone();
    state.stored = None; // another charm's state type
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let seen = out.state.stored_as::<Vec<String>>().unwrap();
    assert_eq!(seen[..3], ["1", "true", "true"]);
    assert_eq!(seen[3], a.cert);
    let now = csrs(&out.state, Mode::Unit);
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, a.csr, "renewed");
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &a.csr);
    assert!(out.state.secret_by_id(&label).is_none());
}

#[test]
fn a_regenerated_key_replaces_the_csrs_and_causes_no_churn_after() {
    let a = answered(unit_requirer, false, Mode::Unit);
    let params = serde_json::json!({"mode": "unit"});
    let out = a
        .ctx
        .run(a.ctx.on.action("regenerate-key", params), &a.out.state)
        .unwrap();
    assert_eq!(out.action.as_ref().unwrap().results["regenerated"], "true");
    let after = csrs(&out.state, Mode::Unit);
    assert_ne!(after[0].0, a.csr);
    // The component's hint was not updated by the action; the next pass checks it and keeps
    // the new CSR.
    let next = a
        .ctx
        .run(a.ctx.on.relation_changed(&relation()), &out.state)
        .unwrap();
    assert_eq!(csrs(&next.state, Mode::Unit), after);
    assert!(!next.tools_called().contains(&"relation-set"));
    // A certificate for the old key is no longer ours.
    assert!(
        next.emitted_of::<CertificateAvailable>()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn two_requests_two_certificates() {
    let ctx = context(|| {
        TlsRequirer::builder(ENDPOINT)
            .request(Mode::Unit, request("web.example.com"))
            .request(Mode::Unit, request("admin.example.com"))
            .build()
            .unwrap()
    });
    let rel = relation();
    let sent = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    let ours = csrs(&sent.state, Mode::Unit);
    assert_eq!(ours.len(), 2);
    let ca = Ca::root("ca");
    let bag = certificates_bag(&support::provider::answer_all(&ca, &ours));
    let state = with_relation(&sent.state, |r| r.remote_app_data(bag));
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_of::<CertificateAvailable>().unwrap().len(), 2);
    assert_eq!(
        secret_labels(&out.state)
            .iter()
            .filter(|l| l.contains("-certificate-"))
            .count(),
        2
    );
}

/// On the oldest Juju ops-rs supports (3.4, where each `secret-set` of a hook replaces the
/// earlier ones), a re-issued certificate is stored with its content and its expiry, and
/// a renewal works the same.
#[test]
fn on_juju_3_4_a_reissued_certificate_is_stored_with_its_expiry() {
    let ctx = context(unit_requirer).juju_version("3.4.0");
    let rel = relation();
    let sent = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State::new().relation(rel.clone()),
        )
        .unwrap();
    let (csr, _) = csrs(&sent.state, Mode::Unit).remove(0);
    let ca = Ca::root("ca");
    let first = ca.sign(&csr, false);
    let state = with_relation(&sent.state, |r| {
        r.remote_app_data(certificates_bag(&[entry(
            &first,
            &csr,
            &ca.pem,
            &[],
            false,
        )]))
    });
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(out.emitted_of::<CertificateAvailable>().unwrap().len(), 1);
    let label = labels::certificate(Mode::Unit, "web/0", ENDPOINT, &csr);
    let expiry_before = out.state.secret_by_id(&label).unwrap().expire.clone();
    let second = ca.sign_at(
        &csr,
        false,
        time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        30,
    );
    let state = with_relation(&out.state, |r| {
        r.remote_app_data(certificates_bag(&[entry(
            &second,
            &csr,
            &ca.pem,
            &[],
            false,
        )]))
    });
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(
        out.emitted_of::<CertificateAvailable>().unwrap()[0].certificate,
        second
    );
    let secret = out.state.secret_by_id(&label).unwrap();
    assert_eq!(secret.latest().unwrap().content["certificate"], second);
    assert_eq!(secret.latest().unwrap().content["csr"], csr);
    assert!(secret.expire.is_some());
    assert_ne!(
        secret.expire, expiry_before,
        "the shorter certificate expires sooner"
    );
    let out = ctx
        .run(ctx.on.secret_expired(secret, 2), &out.state)
        .unwrap();
    assert_ne!(csrs(&out.state, Mode::Unit)[0].0, csr);
}
