//! Step 1 of a dispatch: the Juju event, built from the [`JujuContext`] and what Juju is
//! asked for besides (an action's parameters, a storage's location).

use crate::context::{ContextError, JujuContext};
use crate::event::*;
use crate::hookcmds;
use crate::model::Model;

use super::{DispatchError, model_err};

/// What the dispatcher fetched from Juju for the event, beyond the environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventInputs {
    /// `action-get --format=json`, for actions.
    pub(crate) action_params: Option<serde_json::Value>,
    /// `storage-get location`, for storage events.
    pub(crate) storage_location: Option<String>,
}

fn need<T: Clone>(
    value: &Option<T>,
    var: &'static str,
    kind: &EventKind,
) -> Result<T, ContextError> {
    value.clone().ok_or_else(|| ContextError::Missing {
        var,
        hook: kind.to_string(),
    })
}

/// What the dispatch asks Juju for besides the environment: an action's parameters
/// (`action-get`), a storage instance's location (`storage-get`; unknown is not an error).
pub(crate) fn fetch_inputs(
    context: &JujuContext,
    model: &Model,
) -> Result<EventInputs, DispatchError> {
    let mut inputs = EventInputs::default();
    match &context.event_kind {
        EventKind::Action(_) => {
            let params = model.action_params_raw().map_err(model_err("action-get"))?;
            inputs.action_params = Some(serde_json::Value::Object(params));
        }
        EventKind::StorageAttached(_) | EventKind::StorageDetaching(_) => {
            if let (Some(name), Some(index)) = (&context.storage_name, context.storage_index) {
                match hookcmds::storage::storage_location(model.runner().as_ref(), name, index) {
                    Ok(location) => inputs.storage_location = location.to_str().map(str::to_owned),
                    Err(e) => tracing::debug!("storage location unknown: {e}"),
                }
            }
        }
        _ => {}
    }
    Ok(inputs)
}

/// The event Juju dispatched, built from the context; `None` for an unknown event.
pub(crate) fn juju_event(
    ctx: &JujuContext,
    inputs: EventInputs,
) -> Result<Option<Event>, ContextError> {
    let k = &ctx.event_kind;
    let meta = EventMeta::default();
    macro_rules! rel {
        ($t:ident, $ep:expr) => {
            Event::$t($t {
                endpoint: $ep.clone(),
                relation_id: need(&ctx.relation_id, "JUJU_RELATION_ID", k)?,
                remote_app: ctx.remote_app.clone(),
                remote_unit: ctx.remote_unit.clone(),
                departing_unit: ctx.departing_unit.clone(),
                meta,
            })
        };
    }
    macro_rules! sto {
        ($t:ident, $name:expr) => {
            Event::$t($t {
                storage_name: $name.clone(),
                index: need(&ctx.storage_index, "JUJU_STORAGE_ID", k)?,
                location: inputs.storage_location.clone(),
                meta,
            })
        };
    }
    macro_rules! check {
        ($t:ident, $c:expr) => {
            Event::$t($t {
                container: $c.clone(),
                check_name: need(&ctx.check_name, "JUJU_PEBBLE_CHECK_NAME", k)?,
                meta,
            })
        };
    }
    let secret_id = || need(&ctx.secret_id, "JUJU_SECRET_ID", k);
    let revision = || need(&ctx.secret_revision, "JUJU_SECRET_REVISION", k);
    let label = ctx.secret_label.clone();
    Ok(Some(match k {
        EventKind::Install => Event::Install(Install { meta }),
        EventKind::Start => Event::Start(Start { meta }),
        EventKind::Stop => Event::Stop(Stop { meta }),
        EventKind::Remove => Event::Remove(Remove { meta }),
        EventKind::UpgradeCharm => Event::UpgradeCharm(UpgradeCharm { meta }),
        EventKind::ConfigChanged => Event::ConfigChanged(ConfigChanged { meta }),
        EventKind::UpdateStatus => Event::UpdateStatus(UpdateStatus { meta }),
        EventKind::LeaderElected => Event::LeaderElected(LeaderElected { meta }),
        EventKind::LeaderSettingsChanged => {
            Event::LeaderSettingsChanged(LeaderSettingsChanged { meta })
        }
        EventKind::PreSeriesUpgrade => Event::PreSeriesUpgrade(PreSeriesUpgrade { meta }),
        EventKind::PostSeriesUpgrade => Event::PostSeriesUpgrade(PostSeriesUpgrade { meta }),
        EventKind::CollectMetrics => Event::CollectMetrics(CollectMetrics { meta }),
        EventKind::RelationCreated(ep) => rel!(RelationCreated, ep),
        EventKind::RelationJoined(ep) => rel!(RelationJoined, ep),
        EventKind::RelationChanged(ep) => rel!(RelationChanged, ep),
        EventKind::RelationDeparted(ep) => rel!(RelationDeparted, ep),
        EventKind::RelationBroken(ep) => rel!(RelationBroken, ep),
        EventKind::StorageAttached(name) => sto!(StorageAttached, name),
        EventKind::StorageDetaching(name) => sto!(StorageDetaching, name),
        EventKind::SecretChanged => Event::SecretChanged(SecretChanged {
            secret_id: secret_id()?,
            label,
            meta,
        }),
        EventKind::SecretExpired => Event::SecretExpired(SecretExpired {
            secret_id: secret_id()?,
            label,
            revision: revision()?,
            meta,
        }),
        EventKind::SecretRotate => Event::SecretRotate(SecretRotate {
            secret_id: secret_id()?,
            label,
            meta,
        }),
        EventKind::SecretRemove => Event::SecretRemove(SecretRemove {
            secret_id: secret_id()?,
            label,
            revision: revision()?,
            meta,
        }),
        EventKind::Action(name) => Event::Action(ActionEvent {
            name: name.clone(),
            uuid: need(&ctx.action_uuid, "JUJU_ACTION_UUID", k)?,
            params: inputs
                .action_params
                .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
            meta,
        }),
        EventKind::PebbleReady(c) => Event::PebbleReady(PebbleReady {
            container: c.clone(),
            meta,
        }),
        EventKind::PebbleCustomNotice(c) => Event::PebbleCustomNotice(PebbleCustomNotice {
            container: c.clone(),
            notice_id: need(&ctx.notice_id, "JUJU_NOTICE_ID", k)?,
            notice_type: need(&ctx.notice_type, "JUJU_NOTICE_TYPE", k)?,
            notice_key: need(&ctx.notice_key, "JUJU_NOTICE_KEY", k)?,
            meta,
        }),
        EventKind::PebbleCheckFailed(c) => check!(PebbleCheckFailed, c),
        EventKind::PebbleCheckRecovered(c) => check!(PebbleCheckRecovered, c),
        EventKind::PreCommit
        | EventKind::Commit
        | EventKind::CollectAppStatus
        | EventKind::CollectUnitStatus => return Ok(Event::framework(k)),
        EventKind::Custom(_) | EventKind::Unknown(_) => return Ok(None),
    }))
}
