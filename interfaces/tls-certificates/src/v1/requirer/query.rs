//! What a charm asks of the requirer from its own handlers: the certificates it holds and
//! their key (a holistic charm reads them on every reconcile), and the actions on them.

use std::collections::BTreeSet;

use ops::model::{Model, Relation};
use time::OffsetDateTime;

use super::pass::Replace;
use super::{RequirerState, TlsRequirer};
use crate::v1::error::TlsError;
use crate::v1::key::PrivateKey;
use crate::v1::request::{CertificateRequest, Mode};
use crate::v1::wire::{self, ProviderCapabilities, RequestErrorEntry};
use crate::v1::x509::{normalize_pem, read_certificate, read_csr};

/// A certificate the provider issued for one of our CSRs, checked: not revoked, for our key,
/// a CA certificate if and only if one was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssignedCertificate {
    /// The certificate, PEM.
    pub certificate: String,
    /// The CSR it answers, PEM.
    pub certificate_signing_request: String,
    /// The CA certificate that signed it, PEM.
    pub ca: String,
    /// The chain, leaf first, as the provider sent it (may be empty).
    pub chain: Vec<String>,
    /// Whose certificate.
    pub mode: Mode,
    /// The request it answers (read from the CSR).
    pub request: CertificateRequest,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The relation it came on.
    pub relation_id: u32,
}

impl TlsRequirer {
    /// The relation of this endpoint, if any (the first, when the charm's metadata allows
    /// several: a requirer serves one provider).
    fn the_relation(&self, model: &Model) -> Result<Option<Relation>, TlsError> {
        let relations = model.relations(&self.endpoint)?;
        if relations.len() > 1 {
            tracing::warn!(
                "{} relations on endpoint {}: using {}:{} (set `limit: 1` on the endpoint)",
                relations.len(),
                self.endpoint,
                self.endpoint,
                relations[0].id()
            );
        }
        Ok(relations.into_iter().next())
    }

    /// The certificates this unit holds now, of every mode it handles (app mode: on the
    /// leader). Reads the relation and the keys; writes nothing.
    ///
    /// # Errors
    ///
    /// A hook tool failed, or a stored key cannot be read.
    pub fn assigned_certificates(
        &mut self,
        model: &Model,
    ) -> Result<Vec<AssignedCertificate>, TlsError> {
        let Some(relation) = self.the_relation(model)? else {
            return Ok(Vec::new());
        };
        let provider = self.provider_data(&relation)?;
        let mut out = Vec::new();
        for mode in self.active_modes(model)? {
            let Some(key) = self.key(model, mode, false)? else {
                continue;
            };
            let public = key.public_key_raw()?;
            let bag = match mode {
                Mode::Unit => relation.local_unit_data(),
                Mode::App => relation.local_app_data(),
            };
            let ours = wire::read_csrs(&bag.get_all()?, &mut Vec::new());
            for entry in ours {
                let csr = normalize_pem(&entry.certificate_signing_request);
                let Ok(csr_info) = read_csr(&csr, entry.ca) else {
                    continue;
                };
                let found = provider
                    .certificates
                    .iter()
                    .find(|c| !c.revoked && normalize_pem(&c.certificate_signing_request) == csr);
                let Some(cert) = found else { continue };
                let certificate = normalize_pem(&cert.certificate);
                let Ok(info) = read_certificate(&certificate, "certificate") else {
                    continue;
                };
                if info.public_key != public || info.is_ca != entry.ca {
                    continue;
                }
                out.push(AssignedCertificate {
                    certificate,
                    certificate_signing_request: csr,
                    ca: normalize_pem(&cert.ca),
                    chain: cert.chain.iter().map(|c| normalize_pem(c)).collect(),
                    mode,
                    request: csr_info.attributes,
                    not_before: info.not_before,
                    not_after: info.not_after,
                    relation_id: relation.id(),
                });
            }
        }
        Ok(out)
    }

    /// The certificate that answers `request` in `mode`, if this unit holds one.
    ///
    /// # Errors
    ///
    /// As [`assigned_certificates`](Self::assigned_certificates).
    pub fn assigned_certificate(
        &mut self,
        model: &Model,
        mode: Mode,
        request: &CertificateRequest,
    ) -> Result<Option<AssignedCertificate>, TlsError> {
        Ok(self
            .assigned_certificates(model)?
            .into_iter()
            .find(|c| c.mode == mode && c.request == *request))
    }

    /// The private key of `mode`, if it exists and this unit may read it (app mode: the
    /// leader). Hand its PEM to the workload; never log it.
    ///
    /// # Errors
    ///
    /// A hook tool failed, or the stored key cannot be read.
    pub fn private_key(
        &mut self,
        model: &Model,
        mode: Mode,
    ) -> Result<Option<PrivateKey>, TlsError> {
        if mode == Mode::App && !model.is_leader()? {
            return Ok(None);
        }
        self.key(model, mode, false)
    }

    /// Replaces the private key of `mode` with a new one and replaces the CSRs made with the
    /// old one (the certificates follow from the provider). Returns `false`, with a warning,
    /// where there is nothing to replace: no key yet, or app mode on a unit that does not lead.
    ///
    /// # Errors
    ///
    /// A hook tool failed, or the new key or CSRs could not be made.
    pub fn regenerate_private_key(&mut self, model: &Model, mode: Mode) -> Result<bool, TlsError> {
        if mode == Mode::App && !model.is_leader()? {
            tracing::warn!("only the leader can regenerate the app private key");
            return Ok(false);
        }
        if self.key(model, mode, false)?.is_none() {
            tracing::warn!("no {mode} private key to regenerate yet");
            return Ok(false);
        }
        self.replace_key(model, mode)?;
        if let Some(relation) = self.the_relation(model)? {
            self.sync_csrs(
                model,
                &relation,
                &Replace::new(),
                &mut RequirerState::default(),
            )?;
        }
        Ok(true)
    }

    /// Asks for a new certificate in place of `certificate` now: its CSR is replaced by a new
    /// one and its stored copy removed (the Python library's `renew_certificate`).
    ///
    /// # Errors
    ///
    /// A hook tool failed, or the new CSR could not be made.
    pub fn renew_certificate(
        &mut self,
        model: &Model,
        certificate: &AssignedCertificate,
    ) -> Result<(), TlsError> {
        let csr = normalize_pem(&certificate.certificate_signing_request);
        if let Some(relation) = self.the_relation(model)? {
            self.sync_csrs(
                model,
                &relation,
                &Replace::from([(csr.clone(), "the charm asked for a renewal")]),
                &mut RequirerState::default(),
            )?;
        }
        self.remove_certificate(model, certificate.mode, &csr)?;
        Ok(())
    }

    /// What the provider says it can issue, if it says (best effort: `None` also when its
    /// data cannot be read, which is logged).
    ///
    /// # Errors
    ///
    /// A hook tool failed.
    pub fn provider_capabilities(
        &self,
        model: &Model,
    ) -> Result<Option<ProviderCapabilities>, TlsError> {
        let Some(relation) = self.the_relation(model)? else {
            return Ok(None);
        };
        Ok(self.provider_data(&relation)?.capabilities)
    }

    /// The provider's refusals of our CSRs standing now.
    ///
    /// # Errors
    ///
    /// A hook tool failed.
    pub fn request_errors(&mut self, model: &Model) -> Result<Vec<RequestErrorEntry>, TlsError> {
        let Some(relation) = self.the_relation(model)? else {
            return Ok(Vec::new());
        };
        let provider = self.provider_data(&relation)?;
        let mut ours = BTreeSet::new();
        for mode in self.active_modes(model)? {
            let bag = match mode {
                Mode::Unit => relation.local_unit_data(),
                Mode::App => relation.local_app_data(),
            };
            for e in wire::read_csrs(&bag.get_all()?, &mut Vec::new()) {
                ours.insert(normalize_pem(&e.certificate_signing_request));
            }
        }
        Ok(provider
            .request_errors
            .into_iter()
            .filter(|e| ours.contains(&normalize_pem(&e.certificate_signing_request)))
            .collect())
    }
}
