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

use super::{RequirerState, TlsRequirer};
use crate::v1::error::TlsError;
use crate::v1::events::{CertificateAvailable, CertificateDenied, CertificateRevoked};
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

/// CSRs to replace (normalized PEM), each with why, for the log line.
pub(crate) type Replace = BTreeMap<String, &'static str>;

/// The public key of each mode a pass works with, and whether it was read from its secret in
/// this pass (else it is the hint kept in the stored state).
pub(crate) type PublicKeys = BTreeMap<Mode, (Vec<u8>, bool)>;

/// What a pass has to tell the charm.
#[derive(Debug)]
pub(crate) enum Announcement {
    Available(CertificateAvailable),
    Revoked(CertificateRevoked),
    Denied(CertificateDenied),
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

    /// The public key of `mode`: the hint in `state` (unit mode) unless `verify`, else read
    /// from the key secret (made first when `create`), updating the hint.
    pub(crate) fn public_key(
        &mut self,
        model: &Model,
        mode: Mode,
        state: &mut RequirerState,
        create: bool,
        verify: bool,
    ) -> Result<Option<Vec<u8>>, TlsError> {
        if mode == Mode::Unit && !verify {
            if let Some(hint) = state.unit_public_key.as_deref().and_then(from_hex) {
                return Ok(Some(hint));
            }
        }
        let Some(key) = self.key(model, mode, create)? else {
            return Ok(None);
        };
        let public = key.public_key_raw()?;
        if mode == Mode::Unit {
            state.unit_public_key = Some(to_hex(&public));
        }
        Ok(Some(public))
    }

    /// Steps 1 to 4: the requests, the keys, and our databags; `drop` are CSRs to replace.
    /// Returns our CSRs and, by mode, the public key and whether it was read from its secret
    /// in this pass (else it is the stored hint).
    pub(crate) fn sync_csrs(
        &mut self,
        model: &Model,
        relation: &Relation,
        drop: &Replace,
        state: &mut RequirerState,
    ) -> Result<(Vec<OurCsr>, PublicKeys), TlsError> {
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
            let Some(mut public) = self.public_key(model, mode, state, true, false)? else {
                continue;
            };
            let mut verified = self.keys.contains_key(&mode);
            let bag = match mode {
                Mode::Unit => relation.local_unit_data(),
                Mode::App => relation.local_app_data(),
            };
            let mut problems = Vec::new();
            let current = wire::read_csrs(&bag.get_all()?, &mut problems);
            for p in problems {
                tracing::warn!("our own {mode} databag on {rel} is rewritten: {p}");
            }
            let mut read = Vec::new();
            for entry in &current {
                let pem = normalize_pem(&entry.certificate_signing_request);
                let info = read_csr(&pem, entry.ca);
                if !verified && info.as_ref().is_ok_and(|i| i.public_key != public) {
                    // The hint disagrees with a CSR: ask the secret before removing anything.
                    if let Some(p) = self.public_key(model, mode, state, true, true)? {
                        public = p;
                    }
                    verified = true;
                }
                read.push((entry, pem, info));
            }
            let mut kept: Vec<(CsrEntry, CertificateRequest)> = Vec::new();
            for (entry, pem, info) in read {
                if let Some(why) = drop.get(&pem) {
                    tracing::info!("renewing: replacing a {mode} CSR on {rel}: {why}");
                    continue;
                }
                let info = match info {
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
                    let duplicate = kept.iter().any(|(_, r)| *r == info.attributes);
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
                kept.push((entry, info.attributes));
            }
            if let Some(requests) = &requests {
                let covered = |kept: &[(CsrEntry, CertificateRequest)], r: &CertificateRequest| {
                    kept.iter().any(|(_, k)| k == r)
                };
                if requests.iter().any(|r| !covered(&kept, r)) {
                    let Some(key) = self.key(model, mode, true)? else {
                        continue;
                    };
                    let key_public = key.public_key_raw()?;
                    if key_public != public {
                        // The hint was stale: what was kept was judged against it.
                        tracing::info!("the {mode} private key changed; its CSRs are replaced");
                        kept.clear();
                        public = key_public;
                        if mode == Mode::Unit {
                            state.unit_public_key = Some(to_hex(&public));
                        }
                    }
                    verified = true;
                    for request in requests {
                        if covered(&kept, request) {
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
                            request.clone(),
                        ));
                    }
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
            keys.insert(mode, (public, verified));
        }
        Ok((ours, keys))
    }

    /// The whole pass over `relation` (steps 1 to 5), with `drop` CSRs replaced; `state` is
    /// read and brought up to date.
    pub(crate) fn pass(
        &mut self,
        model: &Model,
        relation: &Relation,
        drop: &Replace,
        state: &mut RequirerState,
    ) -> Result<Vec<Announcement>, TlsError> {
        let provider = self.provider_data(relation)?;
        let mut drop = drop.clone();
        for csr in self.expiring(model, &provider, state)? {
            drop.entry(csr)
                .or_insert("its certificate is near its end and was not renewed (safety net)");
        }
        let (ours, mut keys) = self.sync_csrs(model, relation, &drop, state)?;
        let announcements =
            self.announce(model, relation, &provider, &ours, &mut keys, &drop, state)?;
        // Forget what is no longer ours.
        let csrs: BTreeSet<String> = ours.iter().map(|o| sha256_hex(&o.pem)).collect();
        state.stored.retain(|csr, _| csrs.contains(csr));
        Ok(announcements)
    }

    /// The CSRs whose certificate is past the safety threshold and not yet expired: the
    /// Python library's safety net for a `secret-expired` that did not come or failed.
    fn expiring(
        &mut self,
        model: &Model,
        provider: &ProviderData,
        state: &mut RequirerState,
    ) -> Result<Vec<String>, TlsError> {
        let threshold = (self.renewal_relative_time + 0.05).min(0.99);
        let now = OffsetDateTime::now_utc();
        let mut publics = Vec::new();
        if !provider.certificates.is_empty() {
            for mode in self.active_modes(model)? {
                if let Some(public) = self.public_key(model, mode, state, false, false)? {
                    publics.push(public);
                }
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
                out.push(normalize_pem(&cert.certificate_signing_request));
            }
        }
        Ok(out)
    }

    /// Step 5: store, check and announce what the provider says of our CSRs. `keys` are the
    /// public keys of [`sync_csrs`](Self::sync_csrs); one that is only a hint is checked
    /// against its secret before a certificate is refused for not matching it.
    #[allow(clippy::too_many_arguments)]
    fn announce(
        &mut self,
        model: &Model,
        relation: &Relation,
        provider: &ProviderData,
        ours: &[OurCsr],
        keys: &mut PublicKeys,
        dropped: &Replace,
        state: &mut RequirerState,
    ) -> Result<Vec<Announcement>, TlsError> {
        let rel = describe(relation);
        let mut out = Vec::new();
        for (i, cert) in provider.certificates.iter().enumerate() {
            let csr = normalize_pem(&cert.certificate_signing_request);
            let Some(our) = ours.iter().find(|o| o.pem == csr) else {
                // Another unit's, or one we replaced: said only when it carries our key and
                // was not replaced in this very pass.
                if !dropped.contains_key(&csr) {
                    if let Ok(info) = read_certificate(&cert.certificate, "certificate") {
                        if keys.values().any(|(p, _)| *p == info.public_key) {
                            tracing::debug!(
                                "{rel}: `certificates` entry {i} is for a CSR of ours that we \
                                 no longer request (replaced or removed); ignored"
                            );
                        }
                    }
                }
                continue;
            };
            let mode = our.mode;
            let csr_sha = sha256_hex(&csr);
            let certificate = normalize_pem(&cert.certificate);
            if cert.revoked {
                let had = state.stored.remove(&csr_sha).is_some();
                if had && self.remove_certificate(model, mode, &csr)? {
                    tracing::warn!("{rel}: the provider revoked our {mode} certificate");
                    out.push(Announcement::Revoked(CertificateRevoked {
                        certificate,
                        certificate_signing_request: csr,
                        mode,
                        relation_id: relation.id(),
                    }));
                }
                continue;
            }
            let cert_sha = sha256_hex(&certificate);
            if state.stored.get(&csr_sha) == Some(&cert_sha) {
                continue; // stored and announced before, and checked then
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
            if info.not_after <= OffsetDateTime::now_utc() {
                // Stored, it would expire at once and renew again, in a loop with the provider.
                problem(format!("the certificate expired at {}", info.not_after));
                continue;
            }
            if info.is_ca != our.is_ca {
                problem(if our.is_ca {
                    "we asked for a CA certificate and got one that is not".into()
                } else {
                    "it is a CA certificate and we asked for one that is not".into()
                });
                continue;
            }
            let matches = match keys.get(&mode) {
                Some((p, _)) if *p == info.public_key => true,
                Some((_, false)) => {
                    // Only a hint: ask the secret.
                    let real = self.public_key(model, mode, state, true, true)?;
                    let ok = real.as_ref() == Some(&info.public_key);
                    if let Some(real) = real {
                        keys.insert(mode, (real, true));
                    }
                    ok
                }
                _ => false,
            };
            if !matches {
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
            let changed =
                self.store_certificate(model, mode, &csr, &certificate, info.not_after)?;
            state.stored.insert(csr_sha, cert_sha);
            if changed {
                tracing::info!(
                    "{rel}: received a {mode} certificate for {} (until {})",
                    info.common_name.as_deref().unwrap_or("(no common name)"),
                    info.not_after
                );
                out.push(Announcement::Available(CertificateAvailable {
                    certificate,
                    certificate_signing_request: csr,
                    ca,
                    chain,
                    mode,
                    relation_id: relation.id(),
                }));
            }
        }
        let mut denied = BTreeSet::new();
        for refusal in &provider.request_errors {
            let csr = normalize_pem(&refusal.certificate_signing_request);
            let Some(our) = ours.iter().find(|o| o.pem == csr) else {
                continue;
            };
            let fingerprint = refusal_fingerprint(&csr, refusal.error.code, &refusal.error.name);
            if !state.denied.contains(&fingerprint) {
                tracing::warn!(
                    "{rel}: the provider refused our {} CSR: {} ({} {})",
                    our.mode,
                    refusal.error.message,
                    refusal.error.code,
                    refusal.error.name
                );
                out.push(Announcement::Denied(CertificateDenied {
                    certificate_signing_request: csr,
                    error: refusal.error.clone(),
                    mode: our.mode,
                    relation_id: relation.id(),
                }));
            }
            denied.insert(fingerprint);
        }
        state.denied = denied;
        Ok(out)
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
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
