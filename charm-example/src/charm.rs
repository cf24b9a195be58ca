//! [`WebKv`]: the charm, and which handler observes which event.

use ops::prelude::*;

use ops_interface_ingress::v2::{IngressRequirer, Ready, Revoked};
use ops_interface_prometheus_scrape::v0::MetricsEndpointProvider;

use crate::state::Stored;
use crate::website::{self, Website};
use crate::workload::CONTAINER;
use crate::{ingress, metrics, reconcile};

/// The webkv charm.
///
/// It holds nothing between hooks itself (Juju runs one process per event): what must last
/// is in [`Stored`], saved by the framework in the same transaction as the deferred queue.
/// Its field is a component, the way charm libraries plug in.
#[derive(Debug)]
pub struct WebKv {
    /// The `website` relation: emits [`UrlRequested`](website::UrlRequested), publishes the URL.
    pub website: Website,
    /// The `ingress` relation, through the ingress v2 interface library.
    pub ingress: IngressRequirer,
    /// The `metrics-endpoint` relation, through the prometheus_scrape v0 interface library.
    pub metrics: MetricsEndpointProvider,
    /// Charm tracing: where the hooks' spans go (the `charm-tracing` relation, with the CA
    /// from `receive-ca-cert`). Only with the `tracing` feature.
    #[cfg(feature = "tracing")]
    pub tracing: ops_tracing::Tracing,
}

impl Default for WebKv {
    fn default() -> Self {
        WebKv {
            website: Website::default(),
            ingress: ingress::requirer(),
            metrics: metrics::provider(),
            #[cfg(feature = "tracing")]
            tracing: ops_tracing::Tracing::new("charm-tracing").ca_relation("receive-ca-cert"),
        }
    }
}

impl Charm for WebKv {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        // A component: the website relation's own handlers, which emit `website/url-requested`.
        on.component(website::KEY, |c: &mut Self| &mut c.website);
        // Holistic: every event that may change the outcome runs the same reconcile
        // (Juju events and the component's custom event alike).
        // Handler names are stable: they identify deferred events across hooks.
        on.many("reconcile", reconcile::triggers(), Self::reconcile);
        // The workload says it is ready: finish what the reconcile started.
        on.pebble_custom_notice(CONTAINER, "on_web_notice", Self::on_web_notice);
        // Interface libraries: components like `website`, from their own crates.
        on.component(ingress::KEY, |c: &mut Self| &mut c.ingress);
        on.config_changed("on_config_for_ingress", Self::on_config_for_ingress);
        on.custom::<Ready>(ingress::KEY, "on_ingress_ready", Self::on_ingress_ready);
        on.custom::<Revoked>(ingress::KEY, "on_ingress_revoked", Self::on_ingress_revoked);
        on.component(metrics::KEY, |c: &mut Self| &mut c.metrics);
        #[cfg(feature = "tracing")]
        on.component("tracing", |c: &mut Self| &mut c.tracing);
        on.action("set-key", "on_set_key", Self::on_set_key);
        on.action("backup", "on_backup", Self::on_backup);
        // The only place a status is decided, at the end of every hook.
        on.collect_unit_status("collect_unit_status", Self::collect_unit_status);
    }
}
