//! [`IngressProvider`]: reads what requirers ask for and publishes their URLs
//! (`IngressPerAppProvider`).

use ops::event::CustomEvent;
use ops::framework::{Charm, Component, ComponentCtx, ComponentObservers, Ctx, HandlerResult};
use ops::model::{Model, Relation};

use super::data::{IngressUrlData, ProviderAppData, RequirerAppData, RequirerUnitData};
use super::error::IngressError;
use super::url::IngressUrl;

/// One requirer unit's data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequirerUnit {
    /// The unit, e.g. `web/0`.
    pub unit: String,
    /// What it published.
    pub data: RequirerUnitData,
}

/// Everything a requirer published on one relation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequirerData {
    /// The application's bag.
    pub app: RequirerAppData,
    /// Each unit's bag, in unit order.
    pub units: Vec<RequirerUnit>,
}

/// Emitted on `relation-changed` and `relation-departed` when the requirer's data is
/// complete and valid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataProvided {
    /// The relation.
    pub relation_id: u32,
    /// The requirer's data.
    pub data: RequirerData,
}

impl CustomEvent for DataProvided {
    const NAME: &'static str = "data-provided";
}

/// Emitted on `relation-broken`: stop routing to that requirer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataRemoved {
    /// The relation.
    pub relation_id: u32,
}

impl CustomEvent for DataRemoved {
    const NAME: &'static str = "data-removed";
}

/// The provider side of ingress v2, as a [`Component`]: emits [`DataProvided`] and
/// [`DataRemoved`]; the charm routes and calls [`publish_url`](Self::publish_url).
///
/// A requirer whose data is incomplete or invalid (a unit that has not written `host` yet, a
/// value that is not JSON) is not ready, as in the Python library: a line says why, at INFO
/// (it is expected while units join), and nothing is emitted.
#[derive(Debug, Clone)]
pub struct IngressProvider {
    endpoint: String,
}

impl IngressProvider {
    /// A provider on `endpoint`.
    pub fn new(endpoint: &str) -> Self {
        IngressProvider {
            endpoint: endpoint.to_owned(),
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What the requirer on `relation_id` asked for.
    ///
    /// # Errors
    ///
    /// The data is incomplete or invalid ([`IngressError::Remote`]), or a hook tool failed.
    pub fn requirer_data(
        &self,
        model: &Model,
        relation_id: u32,
    ) -> Result<RequirerData, IngressError> {
        read_requirer(&model.relation(&self.endpoint, relation_id))
    }

    /// Publishes `url` to the requirer on `relation_id` (leader only).
    ///
    /// # Errors
    ///
    /// `url` is not an HTTP(S) URL (nothing is written), this unit is not the leader, or a
    /// hook tool failed.
    pub fn publish_url<C: Charm>(
        &self,
        ctx: &Ctx<C>,
        relation_id: u32,
        url: &str,
    ) -> Result<(), IngressError> {
        let url = IngressUrl::parse(url)?;
        let data = ProviderAppData {
            ingress: Some(IngressUrlData { url }),
        };
        let bag = ctx
            .model()
            .relation(&self.endpoint, relation_id)
            .local_app_data();
        let current = bag.get_all()?;
        let changes: Vec<(String, Option<String>)> = data
            .to_bag()?
            .into_iter()
            .filter(|(k, v)| current.get(k) != Some(v))
            .map(|(k, v)| (k, Some(v)))
            .collect();
        bag.update(changes)?;
        Ok(())
    }

    /// Withdraws the URL published on `relation_id` (leader only).
    ///
    /// # Errors
    ///
    /// This unit is not the leader, or a hook tool failed.
    pub fn wipe_url<C: Charm>(&self, ctx: &Ctx<C>, relation_id: u32) -> Result<(), IngressError> {
        let bag = ctx
            .model()
            .relation(&self.endpoint, relation_id)
            .local_app_data();
        if bag.get("ingress")?.is_some() {
            bag.remove("ingress")?;
        }
        Ok(())
    }

    fn on_relation<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        relation_id: u32,
    ) -> HandlerResult {
        match self.requirer_data(ctx.model(), relation_id) {
            Ok(data) => ctx.emit(DataProvided { relation_id, data })?,
            Err(IngressError::Remote(e)) => {
                tracing::info!("the ingress requirer is not ready: {e}");
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

impl<C: Charm> Component<C> for IngressProvider {
    type Stored = ();

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_changed(&self.endpoint, "on_changed", |p, ctx, ev| {
            p.on_relation(ctx, ev.relation_id)
        });
        on.relation_departed(&self.endpoint, "on_departed", |p, ctx, ev| {
            p.on_relation(ctx, ev.relation_id)
        });
        on.relation_broken(&self.endpoint, "on_broken", |_p, ctx, ev| {
            ctx.emit(DataRemoved {
                relation_id: ev.relation_id,
            })?;
            Ok(())
        });
    }
}

/// The requirer's application and unit data on `relation`.
fn read_requirer(relation: &Relation) -> Result<RequirerData, IngressError> {
    let where_ = format!("{}:{}", relation.endpoint(), relation.id());
    let Some(app_bag) = relation.remote_app_data()? else {
        return Err(super::bag::DataError::Invalid {
            bag: format!("relation {where_}"),
            error: "Juju does not name the remote application (yet)".to_owned(),
        }
        .into());
    };
    let app = RequirerAppData::from_bag(
        &app_bag.get_all()?,
        &format!("the ingress requirer's application data on {where_}"),
    )?;
    let mut units = Vec::new();
    for unit in relation.units()? {
        let data = RequirerUnitData::from_bag(
            &relation.unit_data(&unit).get_all()?,
            &format!("the data of ingress requirer unit {unit} on {where_}"),
        )?;
        units.push(RequirerUnit { unit, data });
    }
    Ok(RequirerData { app, units })
}
