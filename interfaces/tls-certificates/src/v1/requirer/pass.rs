//! One pass over a relation, the requirer's whole job (the Python library's `_configure`):
//!
//! 1. Work out the requests of each mode this unit handles (app mode: the leader only).
//! 2. Make sure each mode has its private key (generated and stored on first use).
//! 3. Read the provider's data: certificates, refusals.
//! 4. Put our databags right: drop CSRs that match no request or not the key, and those being
//!    renewed (a secret expired, or a certificate past the safety threshold); add a CSR for
//!    each request without one; write each bag once, only if it changed.
//! 5. For each certificate issued for one of our CSRs: check it (parses, our key, CA as
//!    asked), store it in its secret and announce it when new or changed; a revoked one is
//!    removed and announced. Announce each new refusal.
//!
//! Bad data from the provider is a warning that names the relation, the key and the entry;
//! it never fails the hook.

use std::collections::{BTreeMap, BTreeSet};

use ops::model::{Model, Relation};
use time::OffsetDateTime;

use super::TlsRequirer;
use crate::v1::error::TlsError;
use crate::v1::events::{CertificateAvailable, CertificateDenied, CertificateRevoked};
use crate::v1::key::PrivateKey;
use crate::v1::labels::sha256_hex;
use crate::v1::request::{CertificateRequest, Mode};
use crate::v1::wire::{self, CsrEntry, ProviderData};
use crate::v1::x509::{normalize_pem, read_certificate, read_csr};

/// One of our CSRs as it stands in our databag after the pass.
#[derive(Debug, Clone)]
pub(crate) struct OurCsr {
    pub(crate) mode: Mode,
    pub(crate) pem: String,
    pub(crate) is_ca: bool,
}

/// What a pass has to tell the charm.
#[derive(Debug)]
pub(crate) enum Announcement {
    Available(CertificateAvailable),
    Revoked(CertificateRevoked),
    Denied(CertificateDenied),
}

/// The result of a pass.
#[derive(Debug, Default)]
pub(crate) struct PassOutcome {
    pub(crate) announcements: Vec<Announcement>,
    /// The fingerprints of the refusals standing now (announced before or in this pass).
    pub(crate) denied: BTreeSet<String>,
}

/// The fingerprint of a refusal: its CSR, code and name.
fn refusal_fingerprint(csr: &str, code: i64, name: &str) -> String {
    sha256_hex(&format!("{csr}\n{code}\n{name}"))
}

/// How to say which relation a line is about.
fn describe(relation: &Relation) -> String {
    match relation.remote_app() {
        Ok(Some(app)) => format!("{}:{} ({app})", relation.endpoint(), relation.id()),
        _ => format!("{}:{}", relation.endpoint(), relation.id()),
    }
}

impl TlsRequirer {
    /// The modes this unit handles now: app mode on the leader only.
    pub(crate) fn active_modes(&self, model: &Model) -> Result<Vec<Mode>, TlsError> {
        let mut modes = Vec::new();
        for mode in self.modes().collect::<Vec<_>>() {
            if mode == Mode::App && !model.is_leader()? {
                continue;
            }
            modes.push(mode);
        }
        Ok(modes)
    }

    /// The provider's data on `relation`, its problems logged.
    pub(crate) fn provider_data(&self, relation: &Relation) -> Result<ProviderData, TlsError> {
        let Some(bag) = relation.remote_app_data()? else {
            return Ok(ProviderData::default());
        };
        let mut problems = Vec::new();
        let data = wire::read_provider(&bag.get_all()?, &mut problems);
        if !problems.is_empty() {
            let rel = describe(relation);
            for p in problems {
                tracing::warn!("provider data on {rel}: {p}");
            }
        }
        Ok(data)
    }

    /// Steps 1 to 4: the requests, the keys, and our databags; `drop` are CSRs to replace
    /// (normalized PEM). Returns our CSRs and the keys.
    pub(crate) fn sync_csrs(
        &mut self,
        model: &Model,
        relation: &Relation,
        drop: &BTreeSet<String>,
    ) -> Result<(Vec<OurCsr>, BTreeMap<Mode, PrivateKey>), TlsError> {
        let rel = describe(relation);
        let mut ours = Vec::new();
        let mut keys = BTreeMap::new();
        for mode in self.active_modes(model)? {
            let requests = match self.requests(model, mode) {
                Ok(r) => Some(r),
                Err(reason) => {
                    let e = TlsError::Requests {
                        endpoint: self.endpoint.clone(),
                        mode,
                        reason,
                    };
                    tracing::error!("{e}; the {mode} CSRs on {rel} are left as they are");
                    None
                }
            };
            let Some(key) = self.key(model, mode, true)? else {
                continue;
            };
            let public = key.public_key_raw()?;
            let bag = match mode {
                Mode::Unit => relation.local_unit_data(),
                Mode::App => relation.local_app_data(),
            };
            let mut problems = Vec::new();
            let current = wire::read_csrs(&bag.get_all()?, &mut problems);
            for p in problems {
                tracing::warn!("our own {mode} databag on {rel} is rewritten: {p}");
            }
            let mut kept: Vec<(CsrEntry, Option<CertificateRequest>)> = Vec::new();
            for entry in &current {
                let pem = normalize_pem(&entry.certificate_signing_request);
                if drop.contains(&pem) {
                    tracing::info!("renewing: replacing a {mode} CSR on {rel}");
                    continue;
                }
                let info = match read_csr(&pem, entry.ca) {
                    Ok(info) => info,
                    Err(e) => {
                        tracing::warn!("removing an unreadable {mode} CSR from {rel}: {e}");
                        continue;
                    }
                };
                if info.public_key != public {
                    tracing::info!(
                        "removing a {mode} CSR from {rel}: it was made with another private key"
                    );
                    continue;
                }
                if let Some(requests) = &requests {
                    let wanted = !info.other_sans && requests.contains(&info.attributes);
                    let duplicate = kept
                        .iter()
                        .any(|(_, r)| r.as_ref() == Some(&info.attributes));
                    if !wanted || duplicate {
                        tracing::info!(
                            "removing a {mode} CSR from {rel}: it matches no certificate request"
                        );
                        continue;
                    }
                }
                let entry = CsrEntry {
                    certificate_signing_request: pem,
                    ca: entry.ca,
                };
                kept.push((entry, Some(info.attributes)));
            }
            if let Some(requests) = &requests {
                for request in requests {
                    if kept.iter().any(|(_, r)| r.as_ref() == Some(request)) {
                        continue;
                    }
                    let pem = crate::v1::x509::generate_csr(request, &key)?;
                    tracing::info!(
                        "requesting a {mode} certificate for {} on {rel}",
                        request_name(request)
                    );
                    kept.push((
                        CsrEntry {
                            certificate_signing_request: pem,
                            ca: request.is_ca(),
                        },
                        Some(request.clone()),
                    ));
                }
            }
            let entries: Vec<CsrEntry> = kept.into_iter().map(|(e, _)| e).collect();
            if entries != current {
                bag.update([(wire::CSRS_KEY, wire::csrs_value(&entries))])?;
            }
            ours.extend(entries.into_iter().map(|e| OurCsr {
                mode,
                pem: e.certificate_signing_request,
                is_ca: e.ca,
            }));
            keys.insert(mode, key);
        }
        Ok((ours, keys))
    }

    /// The whole pass over `relation` (steps 1 to 5), with `drop` CSRs replaced and the
    /// refusals in `denied_before` already announced.
    pub(crate) fn pass(
        &mut self,
        model: &Model,
        relation: &Relation,
        drop: &BTreeSet<String>,
        denied_before: &BTreeSet<String>,
    ) -> Result<PassOutcome, TlsError> {
        let provider = self.provider_data(relation)?;
        let mut drop = drop.clone();
        drop.extend(self.expiring(model, &provider)?);
        let (ours, keys) = self.sync_csrs(model, relation, &drop)?;
        self.announce(model, relation, &provider, &ours, &keys, denied_before)
    }

    /// The CSRs whose certificate is past the safety threshold and not yet expired: the
    /// Python library's safety net for a `secret-expired` that did not come or failed.
    fn expiring(
        &mut self,
        model: &Model,
        provider: &ProviderData,
    ) -> Result<Vec<String>, TlsError> {
        let threshold = (self.renewal_relative_time + 0.05).min(0.99);
        let now = OffsetDateTime::now_utc();
        let mut publics = Vec::new();
        for mode in self.active_modes(model)? {
            if let Some(key) = self.key(model, mode, false)? {
                publics.push(key.public_key_raw()?);
            }
        }
        let mut out = Vec::new();
        for cert in provider.certificates.iter().filter(|c| !c.revoked) {
            let Ok(info) = read_certificate(&cert.certificate, "certificate") else {
                continue;
            };
            if !publics.contains(&info.public_key) {
                continue;
            }
            let safety = info.not_before + (info.not_after - info.not_before) * threshold;
            if now >= safety && now < info.not_after {
                tracing::warn!(
                    "a certificate is close to its end ({}) and was not renewed: renewing it now",
                    info.not_after
                );
                out.push(normalize_pem(&cert.certificate_signing_request));
            }
        }
        Ok(out)
    }

    /// Step 5: store, check and announce what the provider says of our CSRs.
    fn announce(
        &mut self,
        model: &Model,
        relation: &Relation,
        provider: &ProviderData,
        ours: &[OurCsr],
        keys: &BTreeMap<Mode, PrivateKey>,
        denied_before: &BTreeSet<String>,
    ) -> Result<PassOutcome, TlsError> {
        let rel = describe(relation);
        let mut out = PassOutcome::default();
        let mut publics = BTreeMap::new();
        for (mode, key) in keys {
            publics.insert(*mode, key.public_key_raw()?);
        }
        for (i, cert) in provider.certificates.iter().enumerate() {
            let csr = normalize_pem(&cert.certificate_signing_request);
            let Some(our) = ours.iter().find(|o| o.pem == csr) else {
                // Another unit's, or one we replaced: said only when it carries our key.
                if let Ok(info) = read_certificate(&cert.certificate, "certificate") {
                    if publics.values().any(|p| *p == info.public_key) {
                        tracing::debug!(
                            "{rel}: `certificates` entry {i} is for a CSR of ours that we no \
                             longer request (replaced or removed); ignored"
                        );
                    }
                }
                continue;
            };
            let mode = our.mode;
            let certificate = normalize_pem(&cert.certificate);
            if cert.revoked {
                if self.remove_certificate(model, mode, &csr)? {
                    tracing::warn!("{rel}: the provider revoked our {mode} certificate");
                    out.announcements
                        .push(Announcement::Revoked(CertificateRevoked {
                            certificate,
                            certificate_signing_request: csr,
                            mode,
                            relation_id: relation.id(),
                        }));
                }
                continue;
            }
            let problem = |why: String| {
                tracing::warn!(
                    "provider data on {rel}: `certificates` entry {i} is skipped: {why}"
                );
            };
            let info = match read_certificate(&certificate, "certificate") {
                Ok(info) => info,
                Err(e) => {
                    problem(e.to_string());
                    continue;
                }
            };
            if info.is_ca != our.is_ca {
                problem(if our.is_ca {
                    "we asked for a CA certificate and got one that is not".into()
                } else {
                    "it is a CA certificate and we asked for one that is not".into()
                });
                continue;
            }
            if publics.get(&mode) != Some(&info.public_key) {
                problem("the certificate is not for our private key".into());
                continue;
            }
            let ca = normalize_pem(&cert.ca);
            if let Err(e) = read_certificate(&ca, "CA certificate") {
                problem(e.to_string());
                continue;
            }
            let mut chain = Vec::new();
            let mut bad_chain = None;
            for (j, c) in cert.chain.iter().enumerate() {
                let c = normalize_pem(c);
                match read_certificate(&c, "chain certificate") {
                    Ok(_) => chain.push(c),
                    Err(e) => {
                        bad_chain = Some(format!("chain entry {j}: {e}"));
                        break;
                    }
                }
            }
            if let Some(why) = bad_chain {
                problem(why);
                continue;
            }
            if self.store_certificate(model, mode, &csr, &certificate, info.not_after)? {
                tracing::info!(
                    "{rel}: received a {mode} certificate for {} (until {})",
                    info.common_name.as_deref().unwrap_or("(no common name)"),
                    info.not_after
                );
                out.announcements
                    .push(Announcement::Available(CertificateAvailable {
                        certificate,
                        certificate_signing_request: csr,
                        ca,
                        chain,
                        mode,
                        relation_id: relation.id(),
                    }));
            }
        }
        for refusal in &provider.request_errors {
            let csr = normalize_pem(&refusal.certificate_signing_request);
            let Some(our) = ours.iter().find(|o| o.pem == csr) else {
                continue;
            };
            let fingerprint = refusal_fingerprint(&csr, refusal.error.code, &refusal.error.name);
            if !denied_before.contains(&fingerprint) {
                tracing::warn!(
                    "{rel}: the provider refused our {} CSR: {} ({} {})",
                    our.mode,
                    refusal.error.message,
                    refusal.error.code,
                    refusal.error.name
                );
                out.announcements
                    .push(Announcement::Denied(CertificateDenied {
                        certificate_signing_request: csr,
                        error: refusal.error.clone(),
                        mode: our.mode,
                        relation_id: relation.id(),
                    }));
            }
            out.denied.insert(fingerprint);
        }
        Ok(out)
    }
}

/// How a log line names a request: its common name, else its first SAN.
pub(crate) fn request_name(request: &CertificateRequest) -> String {
    if let Some(cn) = request.common_name() {
        return cn.to_owned();
    }
    if let Some(dns) = request.sans_dns().next() {
        return dns.to_owned();
    }
    request
        .sans_ip()
        .next()
        .map(ToString::to_string)
        .unwrap_or_default()
}
