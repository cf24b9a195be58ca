//! [`IngressError`]: what the ingress components' calls return.

use ops::model::ModelError;

use super::bag::DataError;
use super::config::ConfigError;
use super::url::UrlError;

/// Why an ingress call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngressError {
    /// The configuration cannot be carried by the protocol.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The other side's data does not fit the protocol.
    #[error(transparent)]
    Remote(#[from] DataError),
    /// A URL to publish is not an ingress URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// A hook tool failed (or Juju refused the access).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Data could not be encoded as JSON.
    #[error("cannot encode ingress data as JSON: {0}")]
    Encode(#[from] serde_json::Error),
}
