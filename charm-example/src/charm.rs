//! [`WebKv`]: the charm, and which handler observes which event.

use ops::prelude::*;

use crate::reconcile;
use crate::state::Stored;
use crate::workload::CONTAINER;

/// The webkv charm.
///
/// It holds nothing between hooks itself (Juju runs one process per event): what must last
/// is in [`Stored`], saved by the framework in the same transaction as the deferred queue.
#[derive(Debug, Default)]
pub struct WebKv;

impl Charm for WebKv {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        // Holistic: every event that may change the outcome runs the same reconcile.
        // Handler names are stable: they identify deferred events across hooks.
        on.many("reconcile", reconcile::triggers(), Self::reconcile);
        // The workload says it is ready: finish what the reconcile started.
        on.pebble_custom_notice(CONTAINER, "on_web_notice", Self::on_web_notice);
        on.action("set-key", "on_set_key", Self::on_set_key);
        on.action("backup", "on_backup", Self::on_backup);
        // The only place a status is decided, at the end of every hook.
        on.collect_unit_status("collect_unit_status", Self::collect_unit_status);
    }
}
