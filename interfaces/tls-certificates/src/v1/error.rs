//! [`TlsError`]: why a requirer call failed; [`ConfigError`]: why a configuration is refused.

use ops::model::ModelError;

use super::key::KeyError;
use super::request::Mode;
use super::x509::X509Error;

/// Why a call of the requirer failed.
///
/// Bad data from the provider is never one of these: it is logged, and skipped. What is left
/// is Juju refusing or failing a hook tool (the hook fails and Juju retries it), and the
/// charm's own requests or keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A hook tool failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The private key could not be generated or read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A CSR could not be built.
    #[error(transparent)]
    X509(#[from] X509Error),
    /// The charm's requests for a mode could not be worked out.
    #[error(
        "the {mode} certificate requests of endpoint {endpoint:?} cannot be worked out: {reason}"
    )]
    Requests {
        /// The endpoint.
        endpoint: String,
        /// The mode.
        mode: Mode,
        /// What the charm's function said.
        reason: String,
    },
    /// The private key in its secret is not one this library can use.
    #[error(
        "the {mode} private key in secret {label:?} cannot be used: {reason}; regenerate it \
         (TlsRequirer::regenerate_private_key)"
    )]
    StoredKey {
        /// The mode.
        mode: Mode,
        /// The secret's label.
        label: String,
        /// Why.
        reason: String,
    },
}

/// Why a requirer's configuration is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The endpoint name is empty.
    #[error("the requirer needs the name of its tls-certificates endpoint")]
    NoEndpoint,
    /// The renewal time is outside (0.5, 1.0].
    #[error(
        "renewal_relative_time {0} must be more than 0.5 and at most 1.0 (the fraction of \
         the certificate's remaining validity after which it is renewed; 0.9 by default)"
    )]
    RenewalTime(f64),
    /// The same request in both modes.
    #[error(
        "the same certificate request (common name {0:?}) is made in both unit and app mode; \
         give each mode its own requests, or use unit mode for a certificate every unit needs"
    )]
    SameRequestInBothModes(String),
}
