//! Ingress v2: the protocol of `charms.traefik_k8s.v2.ingress` (LIBPATCH 21), which
//! traefik-k8s provides. The requirer publishes its model, application name and port (and
//! optionally scheme, prefix stripping, HTTPS redirect, health check) in its application bag,
//! and each unit its host name and address; the provider answers with one URL for the whole
//! application in its application bag. The fields are in [`data`].
//!
//! | Type | Python | Role |
//! |---|---|---|
//! | [`IngressRequirer`] | `IngressPerAppRequirer` | asks for ingress; emits [`Ready`] and [`Revoked`] |
//! | [`IngressProvider`] | `IngressPerAppProvider` | reads requests; emits [`DataProvided`] and [`DataRemoved`]; publishes URLs |
//! | [`IngressConfig`] | the requirer's constructor arguments | what to ask for |
//!
//! # Example
//!
//! A charm that serves on 8080 behind traefik and logs its public URL:
//!
//! ```
//! use ops::prelude::*;
//! use ops::metadata::CharmMeta;
//! use ops::testing::{Context, State};
//! use ops::testing::juju::RelationState;
//! use ops_interface_ingress::v2::{IngressConfig, IngressRequirer, Ready};
//!
//! struct Web {
//!     ingress: IngressRequirer,
//! }
//! impl Default for Web {
//!     fn default() -> Self {
//!         Web { ingress: IngressRequirer::new("ingress", IngressConfig::new(8080).host("web.local")) }
//!     }
//! }
//! impl Charm for Web {
//!     type Stored = ();
//!     fn observe(on: &mut Observers<Self>) {
//!         on.component("ingress", |c: &mut Web| &mut c.ingress);
//!         on.custom::<Ready>("ingress", "on_ingress_ready", |_c, _ctx, ev| {
//!             tracing::info!("reachable at {}", ev.url);
//!             Ok(())
//!         });
//!     }
//! }
//!
//! let meta = CharmMeta::from_charmcraft_yaml(
//!     "name: web\nrequires:\n  ingress: {interface: ingress, limit: 1}\n",
//! )?;
//! let ctx = Context::<Web>::new(meta);
//! // traefik has published the URL.
//! let ingress = RelationState::new(1, "ingress", "traefik")
//!     .remote_unit("traefik/0", [("ingress-address", "10.0.0.9")])
//!     .remote_app_data([("ingress", r#"{"url": "http://10.0.0.9/test-model-web"}"#)]);
//! let state = State::new().leader(true).relation(ingress.clone());
//! let out = ctx.run(ctx.on.relation_changed(&ingress), &state)?;
//!
//! let rel = out.state.relation_by_id(1).unwrap();
//! assert_eq!(rel.local_app_data["port"], "8080"); // every value JSON, as the Python library writes
//! assert_eq!(rel.local_app_data["model"], "\"test-model\"");
//! assert_eq!(rel.local_unit_data["host"], "\"web.local\"");
//! assert_eq!(out.emitted_events[0].payload["url"], "http://10.0.0.9/test-model-web");
//! assert!(out.log_messages().contains(&"reachable at http://10.0.0.9/test-model-web"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod bag;
mod config;
pub mod data;
mod error;
mod provider;
mod requirer;
mod url;

pub use bag::{Bag, DataError};
pub use config::{ConfigError, IngressConfig};
pub use data::{HealthCheck, Scheme};
pub use error::IngressError;
pub use provider::{DataProvided, DataRemoved, IngressProvider, RequirerData, RequirerUnit};
pub use requirer::{IngressRequirer, Ready, RequirerState, Revoked};
pub use url::{IngressUrl, UrlError};
