//! The HTTPS receiver's certificates (`--otlp-tls`): a CA made for the run, an intermediate
//! it signs, and the receiver's certificate for its address, `127.0.0.1`, `::1` and
//! `localhost`, issued by the intermediate. The receiver sends its certificate and the
//! intermediate; a charm trusts the CA, as it would the CA a `certificate_transfer` provider
//! publishes for a real Tempo.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpStream};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The receiver's CA, intermediate and server certificate.
pub struct Authority {
    ca_pem: String,
    intermediate_pem: String,
    config: Arc<ServerConfig>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private keys stay out of the output.
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// Why the certificates could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make the OTLP receiver's certificates: {0}")]
pub struct AuthorityError(String);

fn fail(e: impl std::fmt::Display) -> AuthorityError {
    AuthorityError(e.to_string())
}

fn ca_params(name: &str) -> Result<CertificateParams, AuthorityError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Ok(params)
}

impl Authority {
    /// New certificates, the server's valid for `ip` (the address the receiver listens on)
    /// besides the loopback names.
    pub fn new(ip: IpAddr) -> Result<Authority, AuthorityError> {
        let ca = CertifiedIssuer::self_signed(
            ca_params("juju-sim OTLP receiver CA")?,
            KeyPair::generate().map_err(fail)?,
        )
        .map_err(fail)?;
        let intermediate = CertifiedIssuer::signed_by(
            ca_params("juju-sim OTLP receiver intermediate")?,
            KeyPair::generate().map_err(fail)?,
            &ca,
        )
        .map_err(fail)?;
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).map_err(fail)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "juju-sim OTLP receiver");
        for addr in [
            ip,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ] {
            if !leaf.subject_alt_names.contains(&SanType::IpAddress(addr)) {
                leaf.subject_alt_names.push(SanType::IpAddress(addr));
            }
        }
        let leaf_key = KeyPair::generate().map_err(fail)?;
        let leaf_cert = leaf.signed_by(&leaf_key, &intermediate).map_err(fail)?;
        let chain = vec![leaf_cert.der().clone(), intermediate.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(fail)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(fail)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Authority {
            ca_pem: ca.pem(),
            intermediate_pem: intermediate.pem(),
            config: Arc::new(config),
        })
    }

    /// The CA (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The intermediate (PEM).
    pub fn intermediate_pem(&self) -> &str {
        &self.intermediate_pem
    }

    /// The server's TLS settings.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config)
    }
}

/// The TLS side of an accepted connection, its handshake done (a client that does not trust
/// the certificate fails here, and says why).
pub fn accept(
    config: Arc<ServerConfig>,
    tcp: TcpStream,
) -> io::Result<StreamOwned<ServerConnection, TcpStream>> {
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|e| io::Error::new(e.kind(), format!("TLS handshake: {e}")))?;
    }
    Ok(stream)
}
