//! The secrets the requirer keeps (labels and content in [`labels`](crate::v1::labels)): the
//! private key of each mode, and a copy of each certificate whose expiry starts its renewal.

use ops::model::{Model, ModelError, SecretContent, SecretMetadata, SecretOwner, SecretRevision};
use time::OffsetDateTime;

use super::TlsRequirer;
use crate::v1::error::TlsError;
use crate::v1::key::PrivateKey;
use crate::v1::labels;
use crate::v1::request::Mode;

/// The content key of the private key secret.
const PRIVATE_KEY: &str = "private-key";
/// The content keys of a certificate secret.
const CERTIFICATE: &str = "certificate";
const CSR: &str = "csr";

/// `Ok(None)` for a secret that does not exist; other errors as they are.
fn found<T>(r: Result<T, ModelError>) -> Result<Option<T>, ModelError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_secret_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl TlsRequirer {
    fn key_label(&self, model: &Model, mode: Mode) -> String {
        labels::private_key(mode, model.unit_name(), &self.endpoint)
    }

    /// The key of `mode`: read this hook already, or from its secret (the latest revision, in
    /// one call), or, with `create`, generated and stored (an unreadable stored key is then
    /// replaced, with an error logged). Without `create`, `None` when there is no key yet.
    pub(crate) fn key(
        &mut self,
        model: &Model,
        mode: Mode,
        create: bool,
    ) -> Result<Option<PrivateKey>, TlsError> {
        let label = self.key_label(model, mode);
        let secret = match self.keys.get(&mode) {
            Some(Some(k)) => return Ok(Some(k.clone())),
            Some(None) => None,
            None => found(model.get_secret_with(None, Some(&label), SecretRevision::Refresh))?,
        };
        let Some(mut secret) = secret else {
            self.keys.insert(mode, None);
            if !create {
                return Ok(None);
            }
            let key = PrivateKey::generate(self.key_algorithm)?;
            let owner = match mode {
                Mode::Unit => SecretOwner::Unit,
                Mode::App => SecretOwner::Application,
            };
            model.add_secret(
                &SecretContent::from_pairs([(PRIVATE_KEY, key.pem())]),
                owner,
                &SecretMetadata::default().label(&label),
            )?;
            tracing::info!(
                "generated the {mode} private key for endpoint {} ({:?})",
                self.endpoint,
                key.algorithm()
            );
            self.keys.insert(mode, Some(key.clone()));
            return Ok(Some(key));
        };
        let content = secret.content()?;
        let read = match content.get(PRIVATE_KEY) {
            Some(pem) => PrivateKey::from_pem(pem).map_err(|e| e.to_string()),
            None => Err(format!("it has no `{PRIVATE_KEY}` key")),
        };
        let key = match read {
            Ok(key) => key,
            Err(reason) if create => {
                tracing::error!(
                    "the {mode} private key in secret {label:?} cannot be used ({reason}); \
                     replacing it with a new one"
                );
                let key = PrivateKey::generate(self.key_algorithm)?;
                secret.set_content(&SecretContent::from_pairs([(PRIVATE_KEY, key.pem())]))?;
                key
            }
            Err(reason) => {
                return Err(TlsError::StoredKey {
                    mode,
                    label,
                    reason,
                });
            }
        };
        self.keys.insert(mode, Some(key.clone()));
        Ok(Some(key))
    }

    /// Replaces the key of `mode` with a new one (its secret gets a new revision).
    pub(crate) fn replace_key(
        &mut self,
        model: &Model,
        mode: Mode,
    ) -> Result<PrivateKey, TlsError> {
        let label = self.key_label(model, mode);
        let key = PrivateKey::generate(self.key_algorithm)?;
        let content = SecretContent::from_pairs([(PRIVATE_KEY, key.pem())]);
        match found(model.get_secret_with(None, Some(&label), SecretRevision::Refresh))? {
            Some(mut secret) => secret.set_content(&content)?,
            None => {
                let owner = match mode {
                    Mode::Unit => SecretOwner::Unit,
                    Mode::App => SecretOwner::Application,
                };
                model.add_secret(&content, owner, &SecretMetadata::default().label(&label))?;
            }
        }
        tracing::info!(
            "replaced the {mode} private key for endpoint {}",
            self.endpoint
        );
        self.keys.insert(mode, Some(key.clone()));
        Ok(key)
    }

    /// Removes the key secret of `mode`; whether there was one.
    pub(crate) fn remove_key(&mut self, model: &Model, mode: Mode) -> Result<bool, TlsError> {
        self.keys.remove(&mode);
        let label = self.key_label(model, mode);
        Ok(found(model.secret(None, Some(&label)).remove_all_revisions())?.is_some())
    }

    /// Stores `certificate` (issued for `csr`) in its secret, expiring at the renewal time;
    /// whether it is new or changed. An unchanged one costs one `secret-get`.
    pub(crate) fn store_certificate(
        &self,
        model: &Model,
        mode: Mode,
        csr: &str,
        certificate: &str,
        not_after: OffsetDateTime,
    ) -> Result<bool, TlsError> {
        let label = labels::certificate(mode, model.unit_name(), &self.endpoint, csr);
        let content = SecretContent::from_pairs([(CERTIFICATE, certificate), (CSR, csr)]);
        let expire = self.renewal_time(not_after);
        match found(model.get_secret_with(None, Some(&label), SecretRevision::Refresh))? {
            Some(mut secret) => {
                let stored = secret.content()?;
                if stored
                    .get(CERTIFICATE)
                    .map(crate::v1::x509::normalize_pem)
                    .as_deref()
                    == Some(certificate)
                {
                    return Ok(false);
                }
                secret.set_content(&content)?;
                secret.set_info(&SecretMetadata::default().expire(expire))?;
            }
            None => {
                model.add_secret(
                    &content,
                    SecretOwner::Unit,
                    &SecretMetadata::default().label(&label).expire(expire),
                )?;
            }
        }
        Ok(true)
    }

    /// Removes the certificate secret of `csr`; whether there was one.
    pub(crate) fn remove_certificate(
        &self,
        model: &Model,
        mode: Mode,
        csr: &str,
    ) -> Result<bool, TlsError> {
        let label = labels::certificate(mode, model.unit_name(), &self.endpoint, csr);
        Ok(found(model.secret(None, Some(&label)).remove_all_revisions())?.is_some())
    }

    /// When a certificate that ends at `not_after`, received now, is renewed: the Python
    /// library's `now + (not_after - now) * renewal_relative_time`.
    pub(crate) fn renewal_time(&self, not_after: OffsetDateTime) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now + (not_after - now) * self.renewal_relative_time
    }

    /// Which mode's certificate secret `label` is, if it is one of this endpoint's.
    pub(crate) fn certificate_label_mode(&self, model: &Model, label: &str) -> Option<Mode> {
        [Mode::Unit, Mode::App].into_iter().find(|mode| {
            let prefix = labels::certificate_prefix(*mode, model.unit_name(), &self.endpoint);
            label
                .strip_prefix(&prefix)
                .is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        })
    }

    /// Whether `label` is one of this endpoint's private key labels.
    pub(crate) fn is_key_label(&self, model: &Model, label: &str) -> bool {
        [Mode::Unit, Mode::App]
            .into_iter()
            .any(|mode| self.key_label(model, mode) == label)
    }

    /// The CSR a certificate secret holds (the latest revision), if it still exists.
    pub(crate) fn csr_of_certificate_secret(
        &self,
        model: &Model,
        id: &str,
    ) -> Result<Option<String>, TlsError> {
        let Some(mut secret) =
            found(model.get_secret_with(Some(id), None, SecretRevision::Refresh))?
        else {
            return Ok(None);
        };
        Ok(secret
            .content()?
            .get(CSR)
            .map(crate::v1::x509::normalize_pem))
    }
}
