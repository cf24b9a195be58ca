//! HTTPS to the collector (the `https` feature): rustls, TLS 1.3 only, HTTP/1.1 by ALPN, as
//! `ops[tracing]` sets up its `ssl` context.
//!
//! What is trusted: the PEM certificates the charm was given (from the `certificate_transfer`
//! relation, or [`Tracing::ca_data`](crate::Tracing::ca_data)), any of which may be an
//! intermediate (the chain need not reach a root: Python's `VERIFY_X509_PARTIAL_CHAIN`); or,
//! with none given, the system's CA list (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the
//! distribution's bundle, as OpenSSL finds it).

use std::io;
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::export::Connection;

impl Connection for StreamOwned<ClientConnection, TcpStream> {
    fn socket(&self) -> &TcpStream {
        self.get_ref()
    }
}

/// The client settings trusting `ca` (PEM), or the system's CA list for `None`.
pub(crate) fn client_config(ca: Option<&str>) -> Result<Arc<ClientConfig>, String> {
    let roots = match ca {
        Some(pem) => roots_from_pem(pem)?,
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("cannot set up TLS 1.3: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TLS connection to `host` over `tcp`; the handshake happens with the first write.
pub(crate) fn connect(
    config: Arc<ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host:?} is not a name TLS can verify: {e}"),
        )
    })?;
    let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    Ok(StreamOwned::new(conn, tcp))
}

fn roots_from_pem(pem: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let mut problems = Vec::new();
    for (i, cert) in CertificateDer::pem_slice_iter(pem.as_bytes()).enumerate() {
        match cert {
            Ok(cert) => {
                if let Err(e) = roots.add(cert) {
                    problems.push(format!("certificate {}: {e}", i + 1));
                }
            }
            Err(e) => problems.push(format!("PEM block {}: {e}", i + 1)),
        }
    }
    if roots.is_empty() {
        let why = if problems.is_empty() {
            "the CA list holds no PEM certificate".to_owned()
        } else {
            format!(
                "no certificate in the CA list is usable ({})",
                problems.join("; ")
            )
        };
        return Err(why);
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let detail = found
            .errors
            .first()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err(format!(
            "no CA was given and the system's CA list is empty{detail}; relate a \
             certificate_transfer provider, or set SSL_CERT_FILE"
        ));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_list_without_certificates_is_refused_with_the_reason() {
        let e = roots_from_pem("not a certificate").unwrap_err();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        let garbled = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = roots_from_pem(garbled).unwrap_err();
        assert!(e.contains("certificate 1"), "{e}");
    }
}
