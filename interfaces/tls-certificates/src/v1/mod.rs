//! `tls-certificates` v1, with the semantics of the Python library v4
//! (`charmlibs-interfaces-tls-certificates`, formerly `charms.tls_certificates_interface.v4`):
//! the requirer.
//!
//! # Example
//!
//! A charm that wants a certificate for its unit, with names from its config:
//!
//! ```
//! use ops::prelude::*;
//! use ops::event::Custom;
//! use ops::metadata::CharmMeta;
//! use ops::testing::{Context, State};
//! use ops::testing::juju::RelationState;
//! use ops_interface_tls_certificates::v1::{
//!     CertificateAvailable, CertificateRequest, Mode, TlsRequirer,
//! };
//!
//! struct Web {
//!     tls: TlsRequirer,
//! }
//!
//! impl Web {
//!     fn new() -> Result<Web, ops_interface_tls_certificates::v1::ConfigError> {
//!         let tls = TlsRequirer::builder("certificates")
//!             .requests_from(Mode::Unit, |model| {
//!                 let name = format!("{}.example.com", model.app_name());
//!                 Ok(vec![CertificateRequest::builder().common_name(&name).dns(&name).build()?])
//!             })
//!             .refresh_on(EventKind::ConfigChanged)
//!             .build()?;
//!         Ok(Web { tls })
//!     }
//! }
//!
//! impl Charm for Web {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.component("tls", |c: &mut Web| &mut c.tls);
//!         on.custom::<CertificateAvailable>("tls", "on_certificate", Self::on_certificate);
//!     }
//! }
//!
//! impl Web {
//!     fn on_certificate(
//!         &mut self,
//!         ctx: &mut Ctx<Self>,
//!         ev: &mut Custom<CertificateAvailable>,
//!     ) -> HandlerResult {
//!         let key = self.tls.private_key(ctx.model(), ev.mode)?;
//!         // Write ev.certificate, ev.ca and key.pem() where the workload reads them.
//!         tracing::info!("certificate for the web server received ({} bytes)", ev.certificate.len());
//!         let _ = key;
//!         Ok(())
//!     }
//! }
//!
//! let meta = CharmMeta::from_charmcraft_yaml(
//!     "name: web\nrequires:\n  certificates: {interface: tls-certificates, limit: 1}\n",
//! )?;
//! let ctx = Context::with_factory(meta, || Web::new().expect("valid configuration"));
//! let relation = RelationState::new(1, "certificates", "self-signed-certificates");
//! let out = ctx.run(ctx.on.relation_created(&relation), &State::new().relation(relation.clone()))?;
//! // The unit generated its key (in a secret) and sent a CSR.
//! let sent = &out.state.relation_by_id(1).unwrap().local_unit_data;
//! assert!(sent["certificate_signing_requests"].contains("BEGIN CERTIFICATE REQUEST"));
//! assert_eq!(out.state.juju.secrets.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The protocol
//!
//! The relation data is in [`wire`]; the secrets and their labels in [`labels`]. The
//! requirer's life on each event is in the handlers' table below; one pass over the relation
//! is what the Python library's `_configure` does:
//!
//! | Event | The requirer |
//! |---|---|
//! | `<endpoint>-relation-created`, `-changed`, each refresh event | makes sure of its keys, puts its CSRs right (one per request, made with the current key), stores and announces certificates, announces refusals and revocations, renews a certificate past the safety threshold |
//! | `secret-expired` of a certificate secret | replaces that certificate's CSR with a new one, removes the secret |
//! | `secret-remove` of one of its secrets | removes the revision |
//! | `<endpoint>-relation-broken` | removes its private keys and certificate secrets |
//!
//! # Differences from the Python library
//!
//! - `certificate-available` fires once per new or changed certificate, not on every relation
//!   event that sees it; `certificate-denied` once per refusal. `certificate-revoked` is new:
//!   the Python library only drops its stored copy.
//! - A bad entry in the provider's data is skipped with a warning; the library drops the whole
//!   databag. An already expired certificate is skipped (the library stores it, and its secret
//!   expires at once).
//! - Each databag is written at most once per hook.
//! - No OID subject alternative names (rcgen cannot write them), no key supplied by the charm.

mod error;
mod events;
mod key;
pub mod labels;
mod request;
mod requirer;
pub mod wire;
mod x509;

pub use error::{ConfigError, TlsError};
pub use events::{CertificateAvailable, CertificateDenied, CertificateRevoked};
pub use key::{KeyAlgorithm, KeyError, PrivateKey};
pub use request::{CertificateRequest, CertificateRequestBuilder, InvalidRequest, Mode};
pub use requirer::{
    AssignedCertificate, RequestsFn, RequirerState, TlsRequirer, TlsRequirerBuilder,
};
pub use wire::{ProviderCapabilities, ProviderError, RequestErrorEntry};
pub use x509::X509Error;
