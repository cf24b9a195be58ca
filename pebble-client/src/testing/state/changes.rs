//! Changes and tasks: Pebble's status rules, summaries, errors and change-update notice points.

use std::collections::BTreeMap;

use serde_json::Value;
use time::OffsetDateTime;

use crate::types::{Change, ChangeId, ChangeStatus, Task, TaskProgress, Timestamp};

/// Pebble's priority when deriving a change's status from its tasks.
const STATUS_ORDER: [ChangeStatus; 10] = [
    ChangeStatus::Abort,
    ChangeStatus::Undoing,
    ChangeStatus::Undo,
    ChangeStatus::Doing,
    ChangeStatus::Do,
    ChangeStatus::Wait,
    ChangeStatus::Error,
    ChangeStatus::Undone,
    ChangeStatus::Done,
    ChangeStatus::Hold,
];

/// One task of a change.
#[derive(Debug, Clone)]
pub(crate) struct TaskRecord {
    pub id: u64,
    pub kind: String,
    pub summary: String,
    pub status: ChangeStatus,
    pub log: Vec<String>,
    pub spawn_time: OffsetDateTime,
    pub ready_time: Option<OffsetDateTime>,
    /// The service (or check) this task acts on.
    pub target: String,
    pub data: BTreeMap<String, Value>,
}

/// One change.
#[derive(Debug, Clone)]
pub(crate) struct ChangeRecord {
    pub id: u64,
    pub kind: String,
    pub summary: String,
    /// An explicit status overriding the derived one (changes with no tasks).
    pub forced: Option<ChangeStatus>,
    pub tasks: Vec<TaskRecord>,
    pub spawn_time: OffsetDateTime,
    pub ready_time: Option<OffsetDateTime>,
    pub service_names: Vec<String>,
    /// Extra data for change-update notices (`check-name`).
    pub notice_data: BTreeMap<String, String>,
    /// The status last announced by a change-update notice.
    pub last_notice_status: Option<ChangeStatus>,
}

impl ChangeRecord {
    /// The change's status: forced, else derived from its tasks by Pebble's priority.
    pub(crate) fn status(&self) -> ChangeStatus {
        if let Some(s) = &self.forced {
            return s.clone();
        }
        STATUS_ORDER
            .into_iter()
            .find(|s| self.tasks.iter().any(|t| t.status == *s))
            .unwrap_or(ChangeStatus::Hold)
    }

    /// Pebble's `err` text, when any task failed: every `ERROR` line of each failed task.
    pub(crate) fn err(&self) -> Option<String> {
        let failed: Vec<String> = self
            .tasks
            .iter()
            .filter(|t| t.status == ChangeStatus::Error)
            .flat_map(|t| {
                let errors: Vec<&String> = t.log.iter().filter(|l| l.contains(" ERROR ")).collect();
                let lines: Vec<String> = if errors.is_empty() {
                    vec![String::new()]
                } else {
                    errors
                        .iter()
                        .map(|l| strip_log_prefix(l).to_owned())
                        .collect()
                };
                lines
                    .into_iter()
                    .map(|l| format!("- {} ({l})", t.summary))
                    .collect::<Vec<_>>()
            })
            .collect();
        if failed.is_empty() {
            None
        } else {
            Some(format!(
                "cannot perform the following tasks:\n{}",
                failed.join("\n")
            ))
        }
    }

    /// The changeInfo wire form.
    pub(crate) fn to_change(&self) -> Change {
        let status = self.status();
        Change {
            id: ChangeId(self.id.to_string()),
            kind: self.kind.clone(),
            summary: self.summary.clone(),
            ready: status.is_ready(),
            status,
            tasks: self.tasks.iter().map(TaskRecord::to_task).collect(),
            err: self.err(),
            spawn_time: Timestamp::new(self.spawn_time),
            ready_time: self.ready_time.map(Timestamp::new),
            data: BTreeMap::new(),
        }
    }
}

/// Task logs are stored Pebble-style: `<time> ERROR <message>`.
fn strip_log_prefix(line: &str) -> &str {
    line.split_once(" ERROR ")
        .or_else(|| line.split_once(" INFO "))
        .map(|(_, m)| m)
        .unwrap_or(line)
}

impl TaskRecord {
    fn to_task(&self) -> Task {
        Task {
            id: self.id.to_string(),
            kind: self.kind.clone(),
            summary: self.summary.clone(),
            status: self.status.clone(),
            log: self.log.clone(),
            progress: TaskProgress {
                label: String::new(),
                done: i64::from(self.status.is_ready()),
                total: 1,
            },
            spawn_time: Timestamp::new(self.spawn_time),
            ready_time: self.ready_time.map(Timestamp::new),
            data: self.data.clone(),
        }
    }
}

/// Pebble skips change-update notices for Doing↔Do and Undoing↔Undo flapping.
pub(crate) fn skip_notice(old: Option<&ChangeStatus>, new: &ChangeStatus) -> bool {
    match old {
        Some(old) if old == new => true,
        Some(ChangeStatus::Doing) => *new == ChangeStatus::Do,
        Some(ChangeStatus::Undoing) => *new == ChangeStatus::Undo,
        _ => false,
    }
}

/// Every change, by id.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub by_id: BTreeMap<u64, ChangeRecord>,
    last_change_id: u64,
    last_task_id: u64,
}

/// A task to create: kind, summary and target.
pub(crate) struct NewTask {
    pub kind: String,
    pub summary: String,
    pub target: String,
}

impl Changes {
    /// Creates a change with its tasks in `Do`; returns its id.
    pub(crate) fn create(
        &mut self,
        kind: &str,
        summary: String,
        tasks: Vec<NewTask>,
        now: OffsetDateTime,
    ) -> u64 {
        self.last_change_id += 1;
        let id = self.last_change_id;
        let tasks = tasks
            .into_iter()
            .map(|t| {
                self.last_task_id += 1;
                TaskRecord {
                    id: self.last_task_id,
                    kind: t.kind,
                    summary: t.summary,
                    status: ChangeStatus::Do,
                    log: Vec::new(),
                    spawn_time: now,
                    ready_time: None,
                    target: t.target,
                    data: BTreeMap::new(),
                }
            })
            .collect();
        self.by_id.insert(
            id,
            ChangeRecord {
                id,
                kind: kind.to_owned(),
                summary,
                forced: None,
                tasks,
                spawn_time: now,
                ready_time: None,
                service_names: Vec::new(),
                notice_data: BTreeMap::new(),
                last_notice_status: None,
            },
        );
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn change(statuses: &[ChangeStatus]) -> ChangeRecord {
        let mut c = Changes::default();
        let now = datetime!(2024-01-01 0:00 UTC);
        let tasks = statuses
            .iter()
            .map(|_| NewTask {
                kind: "start".into(),
                summary: "Start service \"a\"".into(),
                target: "a".into(),
            })
            .collect();
        let id = c.create("start", "Start".into(), tasks, now);
        let mut ch = c.by_id.remove(&id).unwrap();
        for (t, s) in ch.tasks.iter_mut().zip(statuses) {
            t.status = s.clone();
        }
        ch
    }

    #[test]
    fn status_is_derived_by_priority() {
        assert_eq!(
            change(&[ChangeStatus::Done, ChangeStatus::Doing]).status(),
            ChangeStatus::Doing
        );
        assert_eq!(
            change(&[ChangeStatus::Done, ChangeStatus::Error]).status(),
            ChangeStatus::Error
        );
        assert_eq!(
            change(&[ChangeStatus::Error, ChangeStatus::Hold]).status(),
            ChangeStatus::Error
        );
        assert_eq!(
            change(&[ChangeStatus::Done, ChangeStatus::Done]).status(),
            ChangeStatus::Done
        );
        assert_eq!(change(&[]).status(), ChangeStatus::Hold);
    }

    #[test]
    fn err_lists_failed_tasks_with_their_last_log() {
        let mut ch = change(&[ChangeStatus::Error]);
        ch.tasks[0]
            .log
            .push("2024-01-01T00:00:00Z ERROR cannot start service: exited quickly".into());
        assert_eq!(
            ch.err().unwrap(),
            "cannot perform the following tasks:\n- Start service \"a\" (cannot start service: exited quickly)"
        );
    }

    #[test]
    fn doing_do_flapping_is_not_announced() {
        assert!(skip_notice(Some(&ChangeStatus::Doing), &ChangeStatus::Do));
        assert!(!skip_notice(Some(&ChangeStatus::Do), &ChangeStatus::Doing));
        assert!(!skip_notice(None, &ChangeStatus::Do));
    }
}
