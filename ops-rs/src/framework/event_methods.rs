//! The one list of the events a handler is registered for by a method of its own
//! (`on.install(..)`, `on.relation_changed("db", ..)`), shared by the charm's
//! [`Observers`](super::Observers) and a component's
//! [`ComponentObservers`](super::ComponentObservers), so that the two offer the same events.
//!
//! `juju_event_methods!(plain, sourced)` calls the macro `plain!` with the events that have no
//! source, as `method(Type) = kind;`, and `sourced!` with those named after an endpoint,
//! storage, action or container, as `method(Type) = EventKind variant;`. Each caller defines
//! the two macros to write its own method signature. The framework's `pre-commit` and
//! `commit` are not in the list: only the charm observes them.

macro_rules! juju_event_methods {
    ($plain:ident, $sourced:ident) => {
        $plain! {
            /// `install`
            install(Install) = EventKind::Install;
            /// `start`
            start(Start) = EventKind::Start;
            /// `stop`
            stop(Stop) = EventKind::Stop;
            /// `remove`
            remove(Remove) = EventKind::Remove;
            /// `upgrade-charm`
            upgrade_charm(UpgradeCharm) = EventKind::UpgradeCharm;
            /// `config-changed`
            config_changed(ConfigChanged) = EventKind::ConfigChanged;
            /// `update-status`
            update_status(UpdateStatus) = EventKind::UpdateStatus;
            /// `leader-elected`
            leader_elected(LeaderElected) = EventKind::LeaderElected;
            /// `leader-settings-changed`
            leader_settings_changed(LeaderSettingsChanged) = EventKind::LeaderSettingsChanged;
            /// `pre-series-upgrade`
            pre_series_upgrade(PreSeriesUpgrade) = EventKind::PreSeriesUpgrade;
            /// `post-series-upgrade`
            post_series_upgrade(PostSeriesUpgrade) = EventKind::PostSeriesUpgrade;
            /// `collect-metrics`
            collect_metrics(CollectMetrics) = EventKind::CollectMetrics;
            /// `secret-changed`
            secret_changed(SecretChanged) = EventKind::SecretChanged;
            /// `secret-expired`
            secret_expired(SecretExpired) = EventKind::SecretExpired;
            /// `secret-rotate`
            secret_rotate(SecretRotate) = EventKind::SecretRotate;
            /// `secret-remove`
            secret_remove(SecretRemove) = EventKind::SecretRemove;
            /// The framework's `collect-app-status` (leader only): add candidate statuses
            /// with [`Ctx::add_app_status`]. Leadership is asked of Juju (`is-leader`) at the
            /// end of a dispatch only if this is observed or a handler added an application
            /// status.
            collect_app_status(CollectStatus) = EventKind::CollectAppStatus;
            /// The framework's `collect-unit-status`: add candidate statuses with
            /// [`Ctx::add_unit_status`].
            collect_unit_status(CollectStatus) = EventKind::CollectUnitStatus;
        }

        $sourced! {
            /// `<endpoint>-relation-created`
            relation_created(RelationCreated) = RelationCreated;
            /// `<endpoint>-relation-joined`
            relation_joined(RelationJoined) = RelationJoined;
            /// `<endpoint>-relation-changed`
            relation_changed(RelationChanged) = RelationChanged;
            /// `<endpoint>-relation-departed`
            relation_departed(RelationDeparted) = RelationDeparted;
            /// `<endpoint>-relation-broken`
            relation_broken(RelationBroken) = RelationBroken;
            /// `<storage>-storage-attached`
            storage_attached(StorageAttached) = StorageAttached;
            /// `<storage>-storage-detaching`
            storage_detaching(StorageDetaching) = StorageDetaching;
            /// The action `<source>` (`actions/<source>`).
            action(ActionEvent) = Action;
            /// `<container>-pebble-ready`
            pebble_ready(PebbleReady) = PebbleReady;
            /// `<container>-pebble-custom-notice`
            pebble_custom_notice(PebbleCustomNotice) = PebbleCustomNotice;
            /// `<container>-pebble-check-failed`
            pebble_check_failed(PebbleCheckFailed) = PebbleCheckFailed;
            /// `<container>-pebble-check-recovered`
            pebble_check_recovered(PebbleCheckRecovered) = PebbleCheckRecovered;
        }
    };
}

pub(crate) use juju_event_methods;
