//! The `website` relation (interface `http`) as a component: [`Website`] is the charm
//! library pattern (see `ops::framework::Component`) on the smallest scale.
//!
//! The component observes the relation's Juju events itself, reads what the consumer says
//! (the `path` it uses, kept in the component's stored state, [`Consumers`]) and turns them
//! into one custom event, [`UrlRequested`]: "a consumer wants the URL". The charm observes that event among
//! the triggers of its reconcile, as it would a Juju event, and the reconcile (which knows the
//! port and whether the workload serves) calls [`Website::publish`].
//!
//! The application data bag carries `url` (`http://<address>:<port>`). Only the leader may
//! write its application's bag: the framework refuses a non-leader's write before any hook
//! tool runs, so the check below is the charm's job, not an error path.

use ops::event::{CustomEvent, RelationBroken, RelationChanged, RelationJoined};
use ops::framework::{Component, ComponentCtx, ComponentObservers};
use ops::model::ModelError;
use ops::prelude::*;

/// The relation endpoint, as declared in `charmcraft.yaml`.
pub const RELATION: &str = "website";
/// The key the leader writes in the application data bag.
pub const URL_KEY: &str = "url";
/// The key a consumer may write in its application data bag: the path it uses.
pub const PATH_KEY: &str = "path";
/// The key the charm registers the component under: its custom events are
/// `website/<name>`, its handlers `website/<handler>`.
pub const KEY: &str = "website";

/// Emitted when a consumer joins the `website` relation or its data changes: the charm
/// should (re)publish the URL. Deferrable, like every custom event that does not say
/// otherwise; the payload is stored with it if a handler defers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UrlRequested {
    /// The relation the request came on.
    pub relation_id: u32,
    /// The consumer application.
    pub app: String,
    /// The path the consumer says it uses (its application data's `path`), if it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl CustomEvent for UrlRequested {
    const NAME: &'static str = "url-requested";
}

/// The `website` relation's provider side, held by the charm as a field and registered
/// with `on.component(KEY, ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website {
    endpoint: String,
}

impl Default for Website {
    fn default() -> Self {
        Self {
            endpoint: RELATION.to_owned(),
        }
    }
}

/// What the component remembers: the path each consumer said it uses, by relation id.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Consumers {
    /// The consumers' paths, by relation id.
    #[serde(default)]
    pub paths: std::collections::BTreeMap<u32, String>,
}

impl<C: Charm> Component<C> for Website {
    type Stored = Consumers;

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_joined(&self.endpoint, "on_joined", Self::on_joined);
        on.relation_changed(&self.endpoint, "on_changed", Self::on_changed);
        on.relation_broken(&self.endpoint, "on_broken", Self::on_broken);
    }
}

impl Website {
    fn on_joined<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationJoined,
    ) -> HandlerResult {
        let app = ev.remote_app.clone().unwrap_or_default();
        self.request(ctx, ev.relation_id, app)
    }

    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        let app = ev.remote_app.clone().unwrap_or_default();
        self.request(ctx, ev.relation_id, app)
    }

    fn on_broken<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationBroken,
    ) -> HandlerResult {
        ctx.stored_mut()?.paths.remove(&ev.relation_id);
        Ok(())
    }

    /// Reads what the consumer says (its `path`), remembers it, and emits the request.
    fn request<C: Charm>(
        &self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        relation_id: u32,
        app: String,
    ) -> HandlerResult {
        let relation = ctx.model().relation(&self.endpoint, relation_id);
        let path = match relation.remote_app_data()? {
            Some(bag) => bag.get(PATH_KEY)?,
            None => None,
        };
        let paths = &mut ctx.stored_mut()?.paths;
        if paths.get(&relation_id) != path.as_ref() {
            match &path {
                Some(p) => {
                    tracing::info!("{app} uses path {p} on {}:{relation_id}", self.endpoint);
                    paths.insert(relation_id, p.clone());
                }
                None => {
                    paths.remove(&relation_id);
                }
            }
        }
        ctx.emit(UrlRequested {
            relation_id,
            app,
            path,
        })?;
        Ok(())
    }

    /// On the leader, writes `url` for a workload serving on `port` into every relation's
    /// application data on this endpoint (only where it differs, so a re-delivered notice or
    /// a repeated reconcile does not wake the remote side). A no-op on other units.
    pub fn publish<C: Charm>(&self, ctx: &Ctx<C>, port: u16) -> Result<(), ModelError> {
        publish_url(ctx, &self.endpoint, port)
    }
}

fn publish_url<C: Charm>(ctx: &Ctx<C>, endpoint: &str, port: u16) -> Result<(), ModelError> {
    let model = ctx.model();
    if !model.is_leader()? {
        return Ok(());
    }
    let relations = model.relations(endpoint)?;
    if relations.is_empty() {
        return Ok(());
    }
    let url = format!("http://{}:{port}", address(ctx, endpoint)?);
    for relation in relations {
        let bag = relation.local_app_data();
        if bag.get(URL_KEY)?.as_deref() != Some(url.as_str()) {
            tracing::info!("publishing {url} on {endpoint}:{}", relation.id());
            bag.set(URL_KEY, url.clone())?;
        }
    }
    Ok(())
}

/// The address remote units reach this unit on: the ingress address Juju gives the
/// endpoint's binding (`network-get website`). If Juju has none, the unit's stable
/// Kubernetes DNS name, `<app>-<n>.<app>-endpoints.<model>.svc.cluster.local` (the pod's
/// name in the headless service Juju creates for a sidecar application).
fn address<C: Charm>(ctx: &Ctx<C>, endpoint: &str) -> Result<String, ModelError> {
    let model = ctx.model();
    let ingress = match model.network(endpoint) {
        Ok(network) => network.ingress_address().map(str::to_owned),
        Err(ModelError::HookTool(failure)) => {
            tracing::warn!("network-get {endpoint} failed ({failure})");
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(address) = ingress {
        return Ok(address);
    }
    tracing::info!("no ingress address for {endpoint}: using the pod's DNS name");
    Ok(pod_dns_name(
        model.unit_name(),
        model.app_name(),
        &ctx.juju_context().model_name,
    ))
}

/// `webkv/1` in model `prod` → `webkv-1.webkv-endpoints.prod.svc.cluster.local`.
fn pod_dns_name(unit: &str, app: &str, model: &str) -> String {
    let pod = unit.replace('/', "-");
    format!("{pod}.{app}-endpoints.{model}.svc.cluster.local")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_is_the_pods_stable_dns_name() {
        assert_eq!(
            pod_dns_name("webkv/1", "webkv", "prod"),
            "webkv-1.webkv-endpoints.prod.svc.cluster.local"
        );
    }
}
