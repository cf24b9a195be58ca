//! [`IngressConfig`]: what the requirer asks the provider for.

use std::net::IpAddr;

use super::data::{HealthCheck, Scheme};

/// The ingress a requirer asks for: the port its units serve on and how to route to them.
/// The Python library's `IngressPerAppRequirer(charm, port=..., ...)` arguments, typed.
///
/// ```
/// use ops_interface_ingress::v2::{HealthCheck, IngressConfig, Scheme};
/// let config = IngressConfig::new(8080)
///     .scheme(Scheme::Https)
///     .strip_prefix(true)
///     .healthcheck(HealthCheck::new("/health"));
/// assert_eq!(config.port, 8080);
/// assert!(config.check().is_ok());
/// assert!(IngressConfig::new(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IngressConfig {
    /// The port the units serve on.
    pub port: u16,
    /// The scheme the provider uses to reach the units (default `http`).
    pub scheme: Scheme,
    /// Whether the provider strips the URL's path prefix before forwarding (default no).
    pub strip_prefix: bool,
    /// Whether the provider redirects plain HTTP to HTTPS (default no).
    pub redirect_https: bool,
    /// The host name each unit publishes (default: the unit's fully qualified name, as
    /// Python's `socket.getfqdn()` finds it).
    pub host: Option<String>,
    /// The address each unit publishes (default: the relation binding's bind address, from
    /// `network-get`).
    pub ip: Option<IpAddr>,
    /// A health check for the provider to run, if any.
    pub healthcheck: Option<HealthCheck>,
}

/// An [`IngressConfig`] the protocol cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The port is 0 or 65535.
    #[error(
        "ingress port {0} is out of range: the ingress v2 protocol carries 1 to 65534 (the \
         Python provider refuses the rest); give IngressConfig::new the port the workload \
         serves on"
    )]
    Port(u16),
    /// The host name is empty.
    #[error("the ingress host name is empty; leave it unset to publish the unit's FQDN")]
    EmptyHost,
    /// The health check has no path.
    #[error(
        "the ingress health check has an empty path; give HealthCheck::new a path such as /health"
    )]
    EmptyHealthCheckPath,
}

impl IngressConfig {
    /// Ingress to `port`, over `http`, no prefix stripping, no redirect, the unit's FQDN and
    /// bind address.
    pub fn new(port: u16) -> Self {
        IngressConfig {
            port,
            scheme: Scheme::Http,
            strip_prefix: false,
            redirect_https: false,
            host: None,
            ip: None,
            healthcheck: None,
        }
    }

    /// Sets the scheme.
    #[must_use]
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// Sets whether the provider strips the path prefix.
    #[must_use]
    pub fn strip_prefix(mut self, yes: bool) -> Self {
        self.strip_prefix = yes;
        self
    }

    /// Sets whether the provider redirects HTTP to HTTPS.
    #[must_use]
    pub fn redirect_https(mut self, yes: bool) -> Self {
        self.redirect_https = yes;
        self
    }

    /// Sets the host name units publish.
    #[must_use]
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_owned());
        self
    }

    /// Sets the address units publish.
    #[must_use]
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the health check.
    #[must_use]
    pub fn healthcheck(mut self, check: HealthCheck) -> Self {
        self.healthcheck = Some(check);
        self
    }

    /// Checks that the protocol can carry this configuration.
    ///
    /// # Errors
    ///
    /// See [`ConfigError`].
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.port == 0 || self.port == u16::MAX {
            return Err(ConfigError::Port(self.port));
        }
        if self.host.as_deref() == Some("") {
            return Err(ConfigError::EmptyHost);
        }
        if self.healthcheck.as_ref().is_some_and(|h| h.path.is_empty()) {
            return Err(ConfigError::EmptyHealthCheckPath);
        }
        Ok(())
    }
}
