//! The unit's lifecycle hooks: install, start, config-changed, leader-elected, ...

use super::{EventKind, deferrable, event_struct};

macro_rules! lifecycle {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {$(
        event_struct! {
            $(#[$doc])*
            $name {}
            kind = |_s| EventKind::$kind;
        }
    )*};
}

lifecycle! {
    /// `install`: the first hook a unit runs.
    Install => Install;
    /// `start`: after install and the first config-changed.
    Start => Start;
    /// `stop`: the unit is about to be removed. Not deferrable: no event follows it.
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn on_stop(ev: &mut ops::event::Stop) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    Stop => Stop;
    /// `remove`: the last hook a unit runs. Not deferrable: no event follows it.
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn on_remove(ev: &mut ops::event::Remove) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    Remove => Remove;
    /// `upgrade-charm`: a new charm revision was installed.
    UpgradeCharm => UpgradeCharm;
    /// `config-changed`: the charm's configuration may have changed.
    ///
    /// ```
    /// fn on_config(ev: &mut ops::event::ConfigChanged) -> Result<(), ops::event::DeferError> {
    ///     ev.defer()?; // never fails for a deferrable event
    ///     Ok(())
    /// }
    /// ```
    ConfigChanged => ConfigChanged;
    /// `update-status`: fired periodically by Juju.
    UpdateStatus => UpdateStatus;
    /// `leader-elected`: this unit became the leader.
    LeaderElected => LeaderElected;
    /// `leader-settings-changed` (deprecated by Juju).
    LeaderSettingsChanged => LeaderSettingsChanged;
    /// `pre-series-upgrade` (machine charms; removed in Juju 4).
    PreSeriesUpgrade => PreSeriesUpgrade;
    /// `post-series-upgrade` (machine charms; removed in Juju 4).
    PostSeriesUpgrade => PostSeriesUpgrade;
    /// `collect-metrics` (removed in Juju 3.6.11): runs in a restricted context, without the
    /// deferred queue and collect-status.
    CollectMetrics => CollectMetrics;
}

deferrable!(
    Install,
    Start,
    UpgradeCharm,
    ConfigChanged,
    UpdateStatus,
    LeaderElected,
    LeaderSettingsChanged,
    PreSeriesUpgrade,
    PostSeriesUpgrade,
    CollectMetrics,
);
