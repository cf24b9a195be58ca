//! The requirer's custom events. Their payloads are public data only (certificates, CSRs,
//! CAs): never the private key, which stays in its secret.

use ops::event::CustomEvent;
use serde::{Deserialize, Serialize};

use super::request::Mode;
use super::wire::ProviderError;

/// `certificate-available`: the provider issued a certificate for one of our CSRs, new or
/// changed since it was last stored (the Python library's `certificate_available`, which
/// fires on every relation event that sees the certificate; this one fires once per
/// certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateAvailable {
    /// The certificate, PEM.
    pub certificate: String,
    /// The CSR it answers, PEM.
    pub certificate_signing_request: String,
    /// The CA certificate that signed it, PEM.
    pub ca: String,
    /// The chain as the provider sent it, leaf first (may be empty).
    pub chain: Vec<String>,
    /// Whose certificate: this unit's or the application's.
    pub mode: Mode,
    /// The relation it came on.
    pub relation_id: u32,
}

impl CustomEvent for CertificateAvailable {
    const NAME: &'static str = "certificate-available";
}

impl CertificateAvailable {
    /// The chain as one PEM text, certificates separated by a blank line (the Python event's
    /// `chain_as_pem`).
    pub fn chain_as_pem(&self) -> String {
        self.chain.join("\n\n")
    }
}

/// `certificate-revoked`: the provider revoked a certificate we held (it marks it
/// `revoked`, as self-signed-certificates does when its CA changes). Stop using it; the
/// provider issues a new one for the same CSR, which comes as `certificate-available`.
///
/// The Python library (v4) only removes its stored copy; this event says so to the charm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRevoked {
    /// The revoked certificate, PEM.
    pub certificate: String,
    /// The CSR it answered, PEM.
    pub certificate_signing_request: String,
    /// Whose certificate.
    pub mode: Mode,
    /// The relation.
    pub relation_id: u32,
}

impl CustomEvent for CertificateRevoked {
    const NAME: &'static str = "certificate-revoked";
}

/// `certificate-denied`: the provider could not issue a certificate for one of our CSRs and
/// said why (`request_errors`); emitted once per CSR and error (the Python library's
/// `certificate_denied`, which fires on every relation event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateDenied {
    /// The refused CSR, PEM.
    pub certificate_signing_request: String,
    /// Why.
    pub error: ProviderError,
    /// Whose request.
    pub mode: Mode,
    /// The relation.
    pub relation_id: u32,
}

impl CustomEvent for CertificateDenied {
    const NAME: &'static str = "certificate-denied";
}
