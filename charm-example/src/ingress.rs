//! Ingress through an interface library: `ops-interface-ingress` (protocol v2, as Traefik's
//! Python library speaks it) asks the ingress provider for a route to webkv's port.
//!
//! The library is a component: it publishes the request on the relation's events itself,
//! and emits `ingress/ready` with the URL (and `ingress/revoked`). The charm gives it a
//! function that reads the port from the configuration when it publishes, re-publishes on
//! `config-changed` (a new port), and records the URL it was given.

use ops::model::Model;
use ops::prelude::*;
use ops_interface_ingress::v2::{IngressConfig, IngressRequirer, Ready, Revoked};

use crate::charm::WebKv;

/// The relation endpoint, as declared in `charmcraft.yaml`.
pub const RELATION: &str = "ingress";
/// The key the charm registers the library under.
pub const KEY: &str = "ingress";

/// The requirer on [`RELATION`], asking for the configured port. An invalid port asks for
/// nothing (the reconcile blocks the unit and says why).
pub fn requirer() -> IngressRequirer {
    IngressRequirer::from_fn(RELATION, |model: &Model| {
        let port = model
            .config_value("port")?
            .and_then(|v| v.as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p >= 1024);
        Ok(port.map(IngressConfig::new))
    })
}

impl WebKv {
    /// `config-changed`: the port may have changed; the library writes only what differs.
    pub(crate) fn on_config_for_ingress(
        &mut self,
        ctx: &mut Ctx<Self>,
        _ev: &mut ConfigChanged,
    ) -> HandlerResult {
        if let Err(e) = self.ingress.publish(ctx) {
            // A relation we cannot write to now is not a reason to fail the hook: the next
            // relation event publishes again.
            tracing::warn!("could not update the ingress request: {e}");
        }
        Ok(())
    }

    /// `ingress/ready`: the provider routes to webkv at `ev.url`.
    pub(crate) fn on_ingress_ready(
        &mut self,
        ctx: &mut Ctx<Self>,
        ev: &mut ops::event::Custom<Ready>,
    ) -> HandlerResult {
        tracing::info!("ingress ready: webkv is reachable at {}", ev.url);
        ctx.stored_mut().ingress_url = Some(ev.url.to_string());
        Ok(())
    }

    /// `ingress/revoked`: the route is gone.
    pub(crate) fn on_ingress_revoked(
        &mut self,
        ctx: &mut Ctx<Self>,
        _ev: &mut ops::event::Custom<Revoked>,
    ) -> HandlerResult {
        tracing::info!("ingress revoked");
        ctx.stored_mut().ingress_url = None;
        Ok(())
    }
}
