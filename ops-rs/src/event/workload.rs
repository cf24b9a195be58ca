//! Workload (Pebble) hooks: `<container>-pebble-ready`, `-pebble-custom-notice`,
//! `-pebble-check-failed`, `-pebble-check-recovered`.
//!
//! Each gives its container (`ev.container(ctx)`); a custom notice's full data
//! ([`PebbleCustomNotice::notice`]) and a check's status ([`PebbleCheckFailed::info`]) are
//! fetched from Pebble only when asked for. The events store only names and ids.

use pebble_client::{CheckInfo, Notice};

use super::{EventKind, deferrable, event_struct};
use crate::container::{Container, ContainerError, ContainerLookup, NoticeMismatch};

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

macro_rules! workload_container {
    ($($name:ident),*) => {$(
        impl $name {
            /// The event's container, through its Pebble (the dispatch's shared connection).
            pub fn container(&self, ctx: &impl ContainerLookup) -> Result<Container, ContainerError> {
                ctx.container(&self.container)
            }
        }
    )*};
}

workload_container!(
    PebbleReady,
    PebbleCustomNotice,
    PebbleCheckFailed,
    PebbleCheckRecovered
);

impl PebbleCustomNotice {
    /// The whole notice, fetched from Pebble (`GET /v1/notices/<id>`) when called, never
    /// before: its data, occurrences and times. The event itself holds only the id, type and
    /// key. A notice whose type or key is not the event's is a
    /// [`ContainerError::NoticeMismatch`]; one Pebble no longer has (it expired, or Pebble
    /// restarted) is a [`ContainerError::NoticeNotFound`].
    ///
    /// ```no_run
    /// use ops::prelude::*;
    /// # struct Web;
    /// # impl Charm for Web { type Stored = (); fn observe(_: &mut Observers<Self>) {} }
    /// fn on_notice(_c: &mut Web, ctx: &mut Ctx<Web>, ev: &mut PebbleCustomNotice) -> HandlerResult {
    ///     if ev.notice_key == "example.com/ready" {
    ///         let notice = ev.notice(ctx)?;
    ///         tracing::info!("workload ready ({} times)", notice.occurrences);
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn notice(&self, ctx: &impl ContainerLookup) -> Result<Notice, ContainerError> {
        let container = self.container(ctx)?;
        let notice = container.get_notice(&self.notice_id)?;
        if notice.notice_type.as_str() != self.notice_type || notice.key != self.notice_key {
            return Err(ContainerError::NoticeMismatch(Box::new(NoticeMismatch {
                container: self.container.clone(),
                id: self.notice_id.clone(),
                expected_type: self.notice_type.clone(),
                expected_key: self.notice_key.clone(),
                actual_type: notice.notice_type.as_str().to_owned(),
                actual_key: notice.key,
            })));
        }
        Ok(notice)
    }
}

macro_rules! check_info {
    ($($name:ident),*) => {$(
        impl $name {
            /// The check's current status, fetched from Pebble
            /// (`GET /v1/checks?names=<name>`) when called: it may have changed since the
            /// event was emitted (a deferred event especially). A check no longer in the
            /// plan is a [`ContainerError::CheckNotFound`].
            pub fn info(&self, ctx: &impl ContainerLookup) -> Result<CheckInfo, ContainerError> {
                self.container(ctx)?.get_check(&self.check_name)
            }
        }
    )*};
}

check_info!(PebbleCheckFailed, PebbleCheckRecovered);
