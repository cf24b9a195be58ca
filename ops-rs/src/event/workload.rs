//! Workload (Pebble) hooks: `<container>-pebble-ready`, `-pebble-custom-notice`,
//! `-pebble-check-failed`, `-pebble-check-recovered`.

use super::{EventKind, deferrable, event_struct};

event_struct! {
    /// `<container>-pebble-ready`: Pebble in the container answers.
    PebbleReady {
        /// The container's name.
        container: String,
    }
    kind = |s| EventKind::PebbleReady(s.container.clone());
}

event_struct! {
    /// `<container>-pebble-custom-notice`: the workload recorded a custom notice
    /// (`pebble notify <key>`). Notices are re-delivered after agent restarts: keep the
    /// handler idempotent.
    PebbleCustomNotice {
        /// The container's name.
        container: String,
        /// The notice's id.
        notice_id: String,
        /// The notice's type (`custom`).
        notice_type: String,
        /// The notice's key, e.g. `example.com/ready`.
        notice_key: String,
    }
    kind = |s| EventKind::PebbleCustomNotice(s.container.clone());
}

event_struct! {
    /// `<container>-pebble-check-failed`: a Pebble health check reached its failure threshold.
    PebbleCheckFailed {
        /// The container's name.
        container: String,
        /// The check's name.
        check_name: String,
    }
    kind = |s| EventKind::PebbleCheckFailed(s.container.clone());
}

event_struct! {
    /// `<container>-pebble-check-recovered`: a failed Pebble check passes again.
    PebbleCheckRecovered {
        /// The container's name.
        container: String,
        /// The check's name.
        check_name: String,
    }
    kind = |s| EventKind::PebbleCheckRecovered(s.container.clone());
}

deferrable!(
    PebbleReady,
    PebbleCustomNotice,
    PebbleCheckFailed,
    PebbleCheckRecovered
);
