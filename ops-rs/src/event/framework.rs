//! The framework's own events: collect-status, pre-commit and commit. None is deferrable:
//! they are part of the current dispatch.

use super::{Event, EventKind, EventMeta, event_struct};

event_struct! {
    /// `collect-app-status` (leader only) or `collect-unit-status`: add statuses with
    /// [`Ctx::add_app_status`](crate::framework::Ctx::add_app_status) or
    /// [`Ctx::add_unit_status`](crate::framework::Ctx::add_unit_status); the framework sets
    /// the highest-priority one.
    ///
    /// Not deferrable:
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn collect(ev: &mut ops::event::CollectStatus) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    CollectStatus {
        /// `true` for collect-app-status, `false` for collect-unit-status.
        application: bool,
    }
    kind = |s| if s.application { EventKind::CollectAppStatus } else { EventKind::CollectUnitStatus };
}

event_struct! {
    /// `pre-commit`: after the event and collect-status, before the state is saved.
    ///
    /// Not deferrable:
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn pre_commit(ev: &mut ops::event::PreCommit) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    PreCommit {}
    kind = |_s| EventKind::PreCommit;
}

event_struct! {
    /// `commit`: the last event of a dispatch; the state is saved right after it.
    ///
    /// Not deferrable:
    ///
    /// ```compile_fail,E0277
    /// use ops::prelude::*;
    /// fn commit(ev: &mut ops::event::Commit) -> HandlerResult { ev.defer()?; Ok(()) }
    /// ```
    Commit {}
    kind = |_s| EventKind::Commit;
}

impl Event {
    /// A framework event (pre-commit, commit, collect-status); `None` for other kinds.
    pub(crate) fn framework(kind: &EventKind) -> Option<Event> {
        let meta = EventMeta::default();
        Some(match kind {
            EventKind::PreCommit => Event::PreCommit(PreCommit { meta }),
            EventKind::Commit => Event::Commit(Commit { meta }),
            EventKind::CollectAppStatus => Event::CollectStatus(CollectStatus {
                application: true,
                meta,
            }),
            EventKind::CollectUnitStatus => Event::CollectStatus(CollectStatus {
                application: false,
                meta,
            }),
            _ => return None,
        })
    }
}
