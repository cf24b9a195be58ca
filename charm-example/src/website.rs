//! The `website` relation (interface `http`): the leader publishes where webkv answers.
//!
//! The application data bag carries `url` (`http://<address>:<port>`). Only the leader may
//! write its application's bag: the framework refuses a non-leader's write before any hook
//! tool runs, so the check below is the charm's job, not an error path.

use ops::model::ModelError;
use ops::prelude::*;

/// The relation endpoint, as declared in `charmcraft.yaml`.
pub const RELATION: &str = "website";
/// The key the leader writes in the application data bag.
pub const URL_KEY: &str = "url";

/// On the leader, writes `url` for a workload serving on `port` into every `website`
/// relation's application data (only where it differs, so a re-delivered notice or a
/// repeated reconcile does not wake the remote side). A no-op on other units.
pub fn publish_url<C: Charm>(ctx: &Ctx<C>, port: u16) -> Result<(), ModelError> {
    let model = ctx.model();
    if !model.is_leader()? {
        return Ok(());
    }
    let relations = model.relations(RELATION)?;
    if relations.is_empty() {
        return Ok(());
    }
    let url = format!("http://{}:{port}", address(ctx)?);
    for relation in relations {
        let bag = relation.local_app_data();
        if bag.get(URL_KEY)?.as_deref() != Some(url.as_str()) {
            tracing::info!("publishing {url} on {RELATION}:{}", relation.id());
            bag.set(URL_KEY, url.clone())?;
        }
    }
    Ok(())
}

/// The address remote units reach this unit on: the ingress address Juju gives the
/// `website` binding (`network-get website`). If Juju has none, the unit's stable
/// Kubernetes DNS name, `<app>-<n>.<app>-endpoints.<model>.svc.cluster.local` (the pod's
/// name in the headless service Juju creates for a sidecar application).
fn address<C: Charm>(ctx: &Ctx<C>) -> Result<String, ModelError> {
    let model = ctx.model();
    let ingress = match model.network(RELATION) {
        Ok(network) => network.ingress_address().map(str::to_owned),
        Err(ModelError::HookTool(failure)) => {
            tracing::warn!("network-get {RELATION} failed ({failure})");
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(address) = ingress {
        return Ok(address);
    }
    tracing::info!("no ingress address for {RELATION}: using the pod's DNS name");
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
