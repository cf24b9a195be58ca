//! The simulated daemon's in-memory state and the rules that change it.

pub(crate) mod changes;
pub(crate) mod checks;
pub(crate) mod files;
pub(crate) mod identities;
pub(crate) mod notices;
pub(crate) mod plan;
pub(crate) mod services;

use std::collections::BTreeMap;

use time::OffsetDateTime;

use changes::{ChangeRecord, Changes, skip_notice};
use notices::{Notices, Occurrence};

use crate::types::ChangeStatus;

/// Everything the daemon knows, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub changes: Changes,
    pub notices: Notices,
    pub plan: plan::PlanState,
    pub services: services::Services,
    pub checks: checks::Checks,
    pub identities: identities::Identities,
    /// Set when a waiter (notices or change long poll) may want to look again.
    pub wake: bool,
}

impl State {
    /// Records a notice occurrence; wakes waiters when it is new or repeated.
    pub(crate) fn add_notice(
        &mut self,
        user_id: Option<u32>,
        kind: &str,
        key: &str,
        occ: Occurrence,
        now: OffsetDateTime,
    ) -> u64 {
        let (id, woke) = self.notices.add(user_id, kind, key, occ, now);
        self.wake |= woke;
        id
    }

    /// The change with this id.
    pub(crate) fn change_mut(&mut self, id: u64) -> Option<&mut ChangeRecord> {
        self.changes.by_id.get_mut(&id)
    }

    /// Sets a task's status (and log line), then updates its change.
    pub(crate) fn set_task(
        &mut self,
        change: u64,
        task: usize,
        status: ChangeStatus,
        log: Option<String>,
        now: OffsetDateTime,
    ) {
        if let Some(t) = self.change_mut(change).and_then(|c| c.tasks.get_mut(task)) {
            if status.is_ready() {
                t.ready_time = Some(now);
            }
            t.status = status;
            if let Some(line) = log {
                let level = if t.status == ChangeStatus::Error {
                    "ERROR"
                } else {
                    "INFO"
                };
                t.log.push(format!(
                    "{} {level} {line}",
                    crate::testing::wire::format_time(now)
                ));
            }
        }
        self.change_updated(change, now);
    }

    /// Adds a log line to a task without changing its status.
    pub(crate) fn log_task(
        &mut self,
        change: u64,
        task: usize,
        level: &str,
        line: &str,
        now: OffsetDateTime,
    ) {
        if let Some(t) = self.change_mut(change).and_then(|c| c.tasks.get_mut(task)) {
            t.log.push(format!(
                "{} {level} {line}",
                crate::testing::wire::format_time(now)
            ));
        }
    }

    /// Recomputes readiness and emits a change-update notice on a status transition.
    pub(crate) fn change_updated(&mut self, id: u64, now: OffsetDateTime) {
        let Some(c) = self.changes.by_id.get_mut(&id) else {
            return;
        };
        let status = c.status();
        if status.is_ready() && c.ready_time.is_none() {
            c.ready_time = Some(now);
        }
        self.wake = true;
        if skip_notice(c.last_notice_status.as_ref(), &status) {
            return;
        }
        c.last_notice_status = Some(status);
        let mut data: BTreeMap<String, String> = c.notice_data.clone();
        data.insert("kind".into(), c.kind.clone());
        let key = id.to_string();
        self.add_notice(
            None,
            "change-update",
            &key,
            Occurrence {
                data,
                repeat_after: None,
            },
            now,
        );
    }
}
