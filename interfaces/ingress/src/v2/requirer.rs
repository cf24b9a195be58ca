//! [`IngressRequirer`]: asks for ingress and tells the charm the URL (`IngressPerAppRequirer`).

use std::net::IpAddr;

use ops::event::{CustomEvent, RelationBroken};
use ops::framework::{Charm, Component, ComponentCtx, ComponentObservers, Ctx, HandlerResult};
use ops::model::{Model, ModelError, Relation};

use super::bag::{self, Bag};
use super::config::IngressConfig;
use super::data::{ProviderAppData, RequirerAppData, RequirerUnitData};
use super::error::IngressError;
use super::url::IngressUrl;

/// Emitted when the provider publishes a URL for this application, or changes it (not when
/// it publishes the same URL again).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ready {
    /// The ingress relation.
    pub relation_id: u32,
    /// Where the application is now reachable.
    pub url: IngressUrl,
}

impl CustomEvent for Ready {
    const NAME: &'static str = "ready";
}

/// Emitted when the ingress relation is removed, and when the provider withdraws the URL it
/// had published.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revoked {
    /// The ingress relation.
    pub relation_id: u32,
}

impl CustomEvent for Revoked {
    const NAME: &'static str = "revoked";
}

/// What the requirer remembers between hooks: the URL it last announced with [`Ready`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequirerState {
    /// The URL of the last [`Ready`], until [`Revoked`].
    #[serde(default)]
    pub current_url: Option<IngressUrl>,
}

type ConfigFn = Box<dyn Fn(&Model) -> Result<Option<IngressConfig>, ModelError>>;

/// The requirer side of ingress v2, as a [`Component`]: publishes what the provider needs to
/// route to this application, and emits [`Ready`] and [`Revoked`].
///
/// It writes the application's bag (leader) and each unit's bag on `relation-changed`,
/// `relation-departed`, `leader-elected` and `upgrade-charm`, as the Python library does,
/// writing only the keys whose values changed (one `relation-set` per bag at most, none when
/// nothing changed). It owns the relation's bags: keys the protocol does not define are
/// removed, except Juju's own (`ingress-address`, `private-address`, `egress-subnets`).
///
/// Bad data from the provider (a value that is not JSON, a URL that is not HTTP(S)) is logged
/// at WARNING with what is wrong and treated as no news: the hook succeeds and no event is
/// emitted. A bind address that cannot be read is logged and `ip` left out.
pub struct IngressRequirer {
    endpoint: String,
    config: ConfigFn,
}

impl std::fmt::Debug for IngressRequirer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngressRequirer")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl IngressRequirer {
    /// A requirer on `endpoint` asking for `config`.
    pub fn new(endpoint: &str, config: IngressConfig) -> Self {
        Self::from_fn(endpoint, move |_| Ok(Some(config.clone())))
    }

    /// A requirer on `endpoint` whose configuration is read when it publishes, e.g. from the
    /// charm's configuration (the Python library's `scheme` callable, for every field).
    /// `None`: nothing to ask for yet (nothing is published).
    ///
    /// ```
    /// use ops_interface_ingress::v2::{IngressConfig, IngressRequirer};
    /// let ingress = IngressRequirer::from_fn("ingress", |model| {
    ///     let port = model.config_value("port")?.and_then(|v| v.as_u64());
    ///     Ok(port.and_then(|p| u16::try_from(p).ok()).map(IngressConfig::new))
    /// });
    /// assert_eq!(ingress.endpoint(), "ingress");
    /// ```
    pub fn from_fn(
        endpoint: &str,
        config: impl Fn(&Model) -> Result<Option<IngressConfig>, ModelError> + 'static,
    ) -> Self {
        IngressRequirer {
            endpoint: endpoint.to_owned(),
            config: Box::new(config),
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The URL the provider published for this application, read from the relation (the
    /// first one on the endpoint, which has `limit: 1`); `None` without a relation or a URL.
    ///
    /// # Errors
    ///
    /// A hook tool failed, or the provider's data does not fit the protocol
    /// ([`IngressError::Remote`]).
    pub fn url(&self, model: &Model) -> Result<Option<IngressUrl>, IngressError> {
        let Some(relation) = model.relations(&self.endpoint)?.into_iter().next() else {
            return Ok(None);
        };
        read_url(&relation)
    }

    /// Publishes the configuration (read now) to every relation on the endpoint: what a
    /// charm calls when something the configuration depends on changed (its own config, say).
    ///
    /// # Errors
    ///
    /// The configuration cannot be carried ([`IngressError::Config`]) or a hook tool failed.
    pub fn publish<C: Charm>(&self, ctx: &Ctx<C>) -> Result<(), IngressError> {
        let Some(config) = (self.config)(ctx.model())? else {
            return Ok(());
        };
        for relation in ctx.model().relations(&self.endpoint)? {
            publish_to(ctx, &relation, &config)?;
        }
        Ok(())
    }

    fn publish_one<C: Charm>(&self, ctx: &Ctx<C>, relation: &Relation) -> Result<(), IngressError> {
        match (self.config)(ctx.model())? {
            Some(config) => publish_to(ctx, relation, &config),
            None => Ok(()),
        }
    }

    fn on_relation<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        relation_id: u32,
    ) -> HandlerResult {
        let relation = ctx.model().relation(&self.endpoint, relation_id);
        tolerate_config(self.publish_one(ctx, &relation))?;
        let url = match read_url(&relation) {
            Ok(url) => url,
            Err(IngressError::Remote(e)) => {
                tracing::warn!("ignoring the ingress provider's data: {e}");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let state = ctx.stored_mut()?;
        if state.current_url == url {
            return Ok(());
        }
        let had_url = std::mem::replace(&mut state.current_url, url.clone()).is_some();
        match url {
            Some(url) => ctx.emit(Ready { relation_id, url })?,
            None if had_url => ctx.emit(Revoked { relation_id })?,
            None => {}
        }
        Ok(())
    }

    fn on_broken<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationBroken,
    ) -> HandlerResult {
        ctx.stored_mut()?.current_url = None;
        ctx.emit(Revoked {
            relation_id: ev.relation_id,
        })?;
        Ok(())
    }

    fn on_refresh<C: Charm>(&mut self, ctx: &mut ComponentCtx<'_, C, Self>) -> HandlerResult {
        tolerate_config(self.publish(ctx))?;
        Ok(())
    }
}

impl<C: Charm> Component<C> for IngressRequirer {
    type Stored = RequirerState;

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_changed(&self.endpoint, "on_changed", |r, ctx, ev| {
            r.on_relation(ctx, ev.relation_id)
        });
        on.relation_departed(&self.endpoint, "on_departed", |r, ctx, ev| {
            r.on_relation(ctx, ev.relation_id)
        });
        on.relation_broken(&self.endpoint, "on_broken", Self::on_broken);
        on.leader_elected("on_leader_elected", |r, ctx, _| r.on_refresh(ctx));
        on.upgrade_charm("on_upgrade_charm", |r, ctx, _| r.on_refresh(ctx));
    }
}

/// A configuration the protocol cannot carry is the charm's (or its operator's) mistake: in
/// the component's own handlers it is logged at ERROR and nothing is published, rather than
/// failing every hook until it is fixed.
fn tolerate_config(result: Result<(), IngressError>) -> Result<(), IngressError> {
    match result {
        Err(IngressError::Config(e)) => {
            tracing::error!("not publishing ingress data: {e}");
            Ok(())
        }
        other => other,
    }
}

/// The provider's URL on `relation`, if it published one.
fn read_url(relation: &Relation) -> Result<Option<IngressUrl>, IngressError> {
    let Some(bag) = relation.remote_app_data()? else {
        return Ok(None);
    };
    let describe = format!(
        "the ingress provider's data on relation {}:{}",
        relation.endpoint(),
        relation.id()
    );
    let data = ProviderAppData::from_bag(&bag.get_all()?, &describe)?;
    Ok(data.ingress.map(|i| i.url))
}

/// Writes `config` to `relation`: the unit's bag, and the application's on the leader.
fn publish_to<C: Charm>(
    ctx: &Ctx<C>,
    relation: &Relation,
    config: &IngressConfig,
) -> Result<(), IngressError> {
    config.check()?;
    let model = ctx.model();
    let unit = RequirerUnitData {
        host: config.host.clone().unwrap_or_else(crate::host::local_fqdn),
        ip: config.ip.or_else(|| bind_address(model, relation)),
    };
    write_owned(
        &relation.local_unit_data(),
        &unit.to_bag()?,
        &bag::JUJU_UNIT_KEYS,
    )?;
    if !model.is_leader()? {
        return Ok(());
    }
    let is_port_open = model
        .opened_ports()?
        .iter()
        .any(|p| p.port == Some(config.port));
    let app = RequirerAppData {
        model: ctx.juju_context().model_name.clone(),
        name: model.app_name().to_owned(),
        port: config.port,
        is_port_open,
        healthcheck_params: config.healthcheck.clone(),
        strip_prefix: config.strip_prefix,
        redirect_https: config.redirect_https,
        scheme: config.scheme,
    };
    write_owned(&relation.local_app_data(), &app.to_bag()?, &[])?;
    Ok(())
}

/// Makes `bag` hold `desired` (keys in `keep` aside) with at most one `relation-set`.
fn write_owned(bag: &ops::model::DataBag, desired: &Bag, keep: &[&str]) -> Result<(), ModelError> {
    let changes = bag::changes(&bag.get_all()?, desired, keep);
    bag.update(changes)
}

/// The relation binding's bind address (`network-get`), or `None` with a warning.
fn bind_address(model: &Model, relation: &Relation) -> Option<IpAddr> {
    let network = match model.relation_network(relation) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(
                "cannot read the bind address of {}:{}, publishing no ip: {e}",
                relation.endpoint(),
                relation.id()
            );
            return None;
        }
    };
    let first = network
        .bind_addresses
        .iter()
        .flat_map(|b| b.addresses.iter())
        .next()?;
    match first.value.parse() {
        Ok(ip) => Some(ip),
        Err(_) => {
            tracing::warn!(
                "the bind address {:?} of {}:{} is not an IP address, publishing no ip",
                first.value,
                relation.endpoint(),
                relation.id()
            );
            None
        }
    }
}
