//! [`Tracing`]: the component a charm holds to say where its spans go.

use ops::framework::{
    Charm, Component, ComponentCtx, ComponentObservers, HandlerError, HandlerResult,
};
use ops::metadata::RelationRole;
use ops::model::{Model, ModelError};
use ops_interface_tracing::v2::{Protocol, TracingError, TracingRequirer};

use crate::destination::{Destination, set_destination};

/// Charm tracing's component (Python: `ops_tracing.Tracing`): asks the provider on the
/// `tracing` endpoint for an OTLP/HTTP receiver and, when the relation, the leadership, the
/// charm or the CA changes, sets the destination the spans go to (its URL plus `/v1/traces`).
///
/// For an `https://` receiver, what is trusted is, as in Python:
///
/// - with [`ca_relation`](Self::ca_relation): the CA list the `certificate_transfer`
///   provider publishes; until it has published one, no spans are sent (they are buffered);
/// - otherwise, with [`ca_data`](Self::ca_data): that fixed CA list;
/// - otherwise, the system's CA list.
///
/// The endpoints must be declared as Python checks them (a `requires` endpoint of interface
/// `tracing`, and of `certificate_transfer` for the CA): a handler fails with an error naming
/// the endpoint otherwise.
///
/// Register it under any key; run the charm with [`crate::main`] so the spans are collected
/// and sent.
///
/// ```
/// use ops::prelude::*;
/// use ops_tracing::Tracing;
/// struct Web { tracing: Tracing }
/// impl Charm for Web {
///     type Stored = ();
///     fn observe(on: &mut Observers<Self>) {
///         on.component("tracing", |c: &mut Web| &mut c.tracing);
///     }
/// }
/// let mut web = Web { tracing: Tracing::new("charm-tracing").ca_relation("receive-ca-cert") };
/// let on = Observers::of(&mut web);
/// assert_eq!(
///     on.handler_names(&EventKind::relation_changed("charm-tracing")),
///     ["tracing/on_tracing_changed"]
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Tracing {
    requirer: TracingRequirer,
    ca_endpoint: Option<String>,
    ca_data: Option<String>,
}

impl Tracing {
    /// Tracing over the `tracing` relation on `endpoint`.
    pub fn new(endpoint: &str) -> Self {
        Tracing {
            requirer: TracingRequirer::new(endpoint, &[Protocol::OTLP_HTTP]),
            ca_endpoint: None,
            ca_data: None,
        }
    }

    /// Takes the CA for an HTTPS receiver from the `certificate_transfer` relation on
    /// `endpoint` (v1: the provider's `certificates`; v0 providers: a unit's `ca`).
    #[must_use]
    pub fn ca_relation(mut self, endpoint: &str) -> Self {
        self.ca_endpoint = Some(endpoint.to_owned());
        self
    }

    /// Trusts this fixed CA list (PEM certificates) for an HTTPS receiver, when no
    /// [`ca_relation`](Self::ca_relation) is named (Python's `ca_data`).
    #[must_use]
    pub fn ca_data(mut self, pem: impl Into<String>) -> Self {
        self.ca_data = Some(pem.into());
        self
    }

    /// Where spans should go, from the relations as they are now (`None`: nowhere yet).
    pub fn destination(&self, model: &Model) -> Result<Option<Destination>, ModelError> {
        let base = match self.requirer.url(model, Protocol::OTLP_HTTP) {
            Ok(Some(url)) => url,
            Ok(None) => return Ok(None),
            Err(TracingError::Model(e)) => return Err(e),
            Err(e) => {
                tracing::warn!("not sending spans: {e}");
                return Ok(None);
            }
        };
        if !base.starts_with("http://") && !base.starts_with("https://") {
            tracing::warn!("not sending spans: the tracing receiver {base:?} is not an HTTP URL");
            return Ok(None);
        }
        let url = format!("{}/v1/traces", base.trim_end_matches('/'));
        if url.starts_with("http://") {
            return Ok(Some(Destination { url, ca: None }));
        }
        let ca = match &self.ca_endpoint {
            None => self.ca_data.clone(),
            Some(endpoint) => match relation_ca(model, endpoint)? {
                Some(ca) => Some(ca),
                None => {
                    tracing::debug!(
                        "not sending spans to {url} yet: no CA on the {endpoint:?} relation"
                    );
                    return Ok(None);
                }
            },
        };
        Ok(Some(Destination { url, ca }))
    }

    /// The endpoints are declared as this component needs them, if the metadata is known.
    fn check_endpoints(&self, model: &Model) -> Result<(), HandlerError> {
        let Some(meta) = model.meta() else {
            return Ok(());
        };
        let wanted = std::iter::once((self.requirer.endpoint(), "tracing")).chain(
            self.ca_endpoint
                .as_deref()
                .map(|e| (e, "certificate_transfer")),
        );
        for (endpoint, interface) in wanted {
            let problem = match meta.relation(endpoint) {
                None => "is not declared in the charm's metadata".to_owned(),
                Some(r) if r.role != RelationRole::Requires => {
                    format!("is a {:?} endpoint where `requires` is expected", r.role)
                }
                Some(r) if r.interface != interface => format!(
                    "has interface {:?} where {interface:?} is expected",
                    r.interface
                ),
                Some(_) => continue,
            };
            return Err(HandlerError::msg(format!(
                "ops-tracing: endpoint {endpoint:?} {problem}: declare `requires: {endpoint}: \
                 {{interface: {interface}}}`"
            )));
        }
        Ok(())
    }

    fn reconcile<C: Charm>(&mut self, ctx: &mut ComponentCtx<'_, C, Self>) -> HandlerResult {
        self.check_endpoints(ctx.model())?;
        set_destination(self.destination(ctx.model())?);
        Ok(())
    }

    fn request_and_reconcile<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
    ) -> HandlerResult {
        if let Err(e) = self.requirer.request(ctx.model()) {
            tracing::warn!("cannot ask the tracing provider for a receiver: {e}");
        }
        self.reconcile(ctx)
    }
}

impl<C: Charm> Component<C> for Tracing {
    type Stored = ();

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        let endpoint = self.requirer.endpoint().to_owned();
        on.start("on_start", |t, ctx, _| t.reconcile(ctx));
        on.upgrade_charm("on_upgrade_charm", |t, ctx, _| t.request_and_reconcile(ctx));
        on.leader_elected("on_leader_elected", |t, ctx, _| {
            t.request_and_reconcile(ctx)
        });
        on.relation_created(&endpoint, "on_tracing_created", |t, ctx, _| {
            t.request_and_reconcile(ctx)
        });
        on.relation_changed(&endpoint, "on_tracing_changed", |t, ctx, _| {
            t.reconcile(ctx)
        });
        on.relation_broken(&endpoint, "on_tracing_broken", |t, ctx, _| t.reconcile(ctx));
        if let Some(ca) = &self.ca_endpoint {
            on.relation_changed(ca, "on_ca_changed", |t, ctx, _| t.reconcile(ctx));
            on.relation_broken(ca, "on_ca_broken", |t, ctx, _| t.reconcile(ctx));
        }
    }
}

/// The CA list the `certificate_transfer` relation on `endpoint` carries, if any: the v1
/// provider's `certificates` (deduplicated and sorted, joined by newlines, as Python joins
/// them), or else a v0 provider unit's `ca`.
fn relation_ca(model: &Model, endpoint: &str) -> Result<Option<String>, ModelError> {
    let Some(relation) = model.relations(endpoint)?.into_iter().next() else {
        return Ok(None);
    };
    if let Some(bag) = relation.remote_app_data()?
        && let Some(list) = bag.get("certificates")?
    {
        match serde_json::from_str::<std::collections::BTreeSet<String>>(&list) {
            Ok(certs) if !certs.is_empty() => {
                return Ok(Some(certs.into_iter().collect::<Vec<_>>().join("\n")));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("ignoring the CA relation's certificates: {e}"),
        }
    }
    for unit in relation.units()? {
        if let Some(ca) = relation.unit_data(&unit).get("ca")? {
            return Ok(Some(ca));
        }
    }
    Ok(None)
}
