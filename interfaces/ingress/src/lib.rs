//! The `ingress` relation interface for ops-rs charms, wire-compatible with the Python
//! library charms on the other side use (`charms.traefik_k8s.v2.ingress`, which
//! traefik-k8s provides).
//!
//! | Module | Interface version | Python library |
//! |---|---|---|
//! | [`v2`] | `ingress` v2 | `charms.traefik_k8s.v2.ingress`, LIBAPI 2, LIBPATCH 21 |
//!
//! Each side is a [`Component`](ops::framework::Component) the charm holds as a field and
//! registers with [`Observers::component`](ops::framework::Observers::component); its custom
//! events are observed with [`Observers::custom`](ops::framework::Observers::custom) under
//! the key the charm chose. See [`v2`] for an example.

mod host;
pub mod v2;

pub use host::local_fqdn;
