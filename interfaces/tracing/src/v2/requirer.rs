//! [`TracingRequirer`]: asks the provider for receivers and reads their URLs.

use ops::event::{RelationBroken, RelationChanged};
use ops::framework::{Charm, Component, ComponentCtx, ComponentObservers, HandlerResult};
use ops::model::{Model, ModelError, Relation};

use super::data::{Protocol, ProviderAppData, RequirerAppData};
use super::events::{EndpointChanged, EndpointRemoved};

/// What went wrong reading or writing `tracing` relation data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracingError {
    /// A hook tool failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The provider's data does not follow the protocol (the charm should carry on without
    /// tracing, and say so).
    #[error("the tracing provider's data is not valid: {detail}")]
    Remote {
        /// What is wrong (never the data's secrets: this databag has none).
        detail: String,
    },
}

/// The requirer side of `tracing` v2, on one endpoint: publishes the protocols asked for (as
/// leader, when the relation is created, on leader-elected and upgrade-charm) and reads the
/// URL the provider publishes for each.
///
/// Registered as a component, it emits [`EndpointChanged`] when the provider's receivers
/// arrive or change, and [`EndpointRemoved`] when they go (relation-broken, or data that is
/// missing or not valid), under the key it was registered with:
/// `on.custom::<EndpointChanged>("tracing", ..)`.
///
/// ```
/// use ops::prelude::*;
/// use ops_interface_tracing::v2::{Protocol, TracingRequirer};
/// struct Web { tracing: TracingRequirer }
/// impl Charm for Web {
///     type Stored = ();
///     fn observe(on: &mut Observers<Self>) {
///         on.component("tracing", |c: &mut Web| &mut c.tracing);
///     }
/// }
/// let mut web = Web { tracing: TracingRequirer::new("charm-tracing", &[Protocol::OTLP_HTTP]) };
/// let on = Observers::of(&mut web);
/// assert_eq!(
///     on.handler_names(&EventKind::relation_created("charm-tracing")),
///     ["tracing/on_created"]
/// );
/// ```
#[derive(Debug, Clone)]
pub struct TracingRequirer {
    endpoint: String,
    protocols: Vec<Protocol>,
}

impl TracingRequirer {
    /// A requirer on `endpoint` asking for `protocols`.
    pub fn new(endpoint: &str, protocols: &[Protocol]) -> Self {
        TracingRequirer {
            endpoint: endpoint.to_owned(),
            protocols: protocols.to_vec(),
        }
    }

    /// The endpoint's name.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What the provider published on the endpoint's relation (the first, if several), or
    /// `None` without a relation or before the provider answered.
    pub fn provider_data(&self, model: &Model) -> Result<Option<ProviderAppData>, TracingError> {
        match model.relations(&self.endpoint)?.into_iter().next() {
            Some(relation) => provider_data_of(&relation),
            None => Ok(None),
        }
    }

    /// The URL of the provider's receiver for `protocol`, if it published one.
    pub fn url(&self, model: &Model, protocol: Protocol) -> Result<Option<String>, TracingError> {
        Ok(self
            .provider_data(model)?
            .and_then(|d| d.url_for(protocol).map(str::to_owned)))
    }

    /// Publishes the protocols asked for on every relation of the endpoint, if this unit is
    /// the leader (only the leader may write the application databag).
    pub fn request(&self, model: &Model) -> Result<(), TracingError> {
        let relations = model.relations(&self.endpoint)?;
        if relations.is_empty() || !model.is_leader()? {
            return Ok(());
        }
        let data = RequirerAppData {
            receivers: self.protocols.iter().map(|p| p.0.to_owned()).collect(),
        };
        let value = data.receivers_value();
        for relation in relations {
            let bag = relation.local_app_data();
            if bag.get("receivers")?.as_deref() != Some(value.as_str()) {
                bag.set("receivers", value.clone())?;
            }
        }
        Ok(())
    }

    fn on_request<C: Charm>(&mut self, ctx: &mut ComponentCtx<'_, C, Self>) -> HandlerResult {
        self.request(ctx.model())?;
        Ok(())
    }

    /// The provider's data on the changed relation: its receivers, or gone.
    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        let relation = ctx.model().relation(&ev.endpoint, ev.relation_id);
        let data = match provider_data_of(&relation) {
            Ok(data) => data,
            Err(TracingError::Model(e)) => return Err(e.into()),
            Err(e) => {
                tracing::info!("{}: {e}", self.endpoint);
                None
            }
        };
        let relation_id = ev.relation_id;
        match data {
            Some(data) => ctx.emit(EndpointChanged {
                relation_id,
                receivers: data.receivers,
            })?,
            None => ctx.emit(EndpointRemoved { relation_id })?,
        }
        Ok(())
    }

    fn on_broken<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationBroken,
    ) -> HandlerResult {
        ctx.emit(EndpointRemoved {
            relation_id: ev.relation_id,
        })?;
        Ok(())
    }
}

impl<C: Charm> Component<C> for TracingRequirer {
    type Stored = ();

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_created(&self.endpoint, "on_created", |r, ctx, _| r.on_request(ctx));
        on.leader_elected("on_leader_elected", |r, ctx, _| r.on_request(ctx));
        on.upgrade_charm("on_upgrade_charm", |r, ctx, _| r.on_request(ctx));
        on.relation_changed(&self.endpoint, "on_changed", Self::on_changed);
        on.relation_broken(&self.endpoint, "on_broken", Self::on_broken);
    }
}

/// What the provider published on `relation`, or `None` before it answered.
fn provider_data_of(relation: &Relation) -> Result<Option<ProviderAppData>, TracingError> {
    let Some(bag) = relation.remote_app_data()? else {
        return Ok(None);
    };
    match bag.get("receivers")? {
        Some(value) => ProviderAppData::from_receivers(&value).map(Some),
        None => Ok(None),
    }
}
