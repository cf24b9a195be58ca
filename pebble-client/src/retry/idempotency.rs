//! Every Pebble call, with whether it is safe to repeat after it may have reached Pebble.

/// A Pebble API call, as the retry loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Call {
    /// `GET /v1/system-info`.
    SystemInfo,
    /// `GET /v1/health`.
    Health,
    /// `GET /v1/changes`.
    GetChanges,
    /// `GET /v1/changes/{id}`.
    GetChange,
    /// `GET /v1/changes/{id}/wait`.
    WaitChange,
    /// `POST /v1/changes/{id}` `abort`.
    AbortChange,
    /// `GET /v1/services`.
    GetServices,
    /// `POST /v1/services` `start`.
    StartServices,
    /// `POST /v1/services` `stop`.
    StopServices,
    /// `POST /v1/services` `restart`.
    RestartServices,
    /// `POST /v1/services` `autostart`.
    AutostartServices,
    /// `POST /v1/services` `replan`.
    Replan,
    /// `GET /v1/plan`.
    GetPlan,
    /// `POST /v1/layers` with `combine: false`.
    AddLayer,
    /// `POST /v1/layers` with `combine: true`.
    CombineLayer,
    /// `GET /v1/files?action=read`.
    Pull,
    /// `POST /v1/files` multipart `write`.
    Push,
    /// `GET /v1/files?action=list`.
    ListFiles,
    /// `POST /v1/files` `make-dirs` with `make-parents`.
    MakeDirParents,
    /// `POST /v1/files` `make-dirs` without `make-parents`.
    MakeDir,
    /// `POST /v1/files` `remove` with `recursive`.
    RemoveRecursive,
    /// `POST /v1/files` `remove` without `recursive`.
    Remove,
    /// `GET /v1/checks`.
    GetChecks,
    /// `POST /v1/checks` `start`.
    StartChecks,
    /// `POST /v1/checks` `stop`.
    StopChecks,
    /// `POST /v1/checks/refresh`.
    RefreshCheck,
    /// `POST /v1/signals`.
    SendSignal,
    /// `GET /v1/identities`.
    GetIdentities,
    /// `POST /v1/identities` `add`.
    AddIdentities,
    /// `POST /v1/identities` `update`.
    UpdateIdentities,
    /// `POST /v1/identities` `replace`.
    ReplaceIdentities,
    /// `POST /v1/identities` `remove`.
    RemoveIdentities,
    /// `GET /v1/notices`.
    GetNotices,
    /// `GET /v1/notices/{id}`.
    GetNotice,
    /// `POST /v1/notices` `add`.
    Notify,
    /// `POST /v1/exec` (the websockets and the wait after it are never retried).
    Exec,
    /// `GET /v1/logs` (for a follow, only opening the stream is retried).
    GetLogs,
}

impl Call {
    /// Every call, in the order of the table on [`Call::idempotent`].
    pub const ALL: [Call; 37] = [
        Call::SystemInfo,
        Call::Health,
        Call::GetChanges,
        Call::GetChange,
        Call::WaitChange,
        Call::AbortChange,
        Call::GetServices,
        Call::StartServices,
        Call::StopServices,
        Call::RestartServices,
        Call::AutostartServices,
        Call::Replan,
        Call::GetPlan,
        Call::AddLayer,
        Call::CombineLayer,
        Call::Pull,
        Call::Push,
        Call::ListFiles,
        Call::MakeDirParents,
        Call::MakeDir,
        Call::RemoveRecursive,
        Call::Remove,
        Call::GetChecks,
        Call::StartChecks,
        Call::StopChecks,
        Call::RefreshCheck,
        Call::SendSignal,
        Call::GetIdentities,
        Call::AddIdentities,
        Call::UpdateIdentities,
        Call::ReplaceIdentities,
        Call::RemoveIdentities,
        Call::GetNotices,
        Call::GetNotice,
        Call::Notify,
        Call::Exec,
        Call::GetLogs,
    ];

    /// Whether repeating the call after it may have reached Pebble leaves the same result as
    /// doing it once. Only these are retried after a failure once the request was sent (a
    /// reset connection, a timeout waiting for the answer, an answer marked `maintenance`);
    /// a failure before sending (no socket, connection refused) is retried for every call.
    ///
    /// This is the one table of which calls are repeated after they were sent: one row per
    /// call, named as [`Call::name`] names it (what retry logs print). A unit test holds
    /// every row to this function, and ops' `PebbleFault` docs to the table.
    ///
    /// | call | client method | retried after send | why |
    /// | --- | --- | --- | --- |
    /// | `system-info` | `system_info` | yes | a read |
    /// | `health` | `health` | yes | a read |
    /// | `get-changes` | `get_changes` | yes | a read |
    /// | `get-change` | `get_change` | yes | a read |
    /// | `wait-change` | `wait_change` | yes | a read (a long poll) |
    /// | `abort-change` | `abort_change` | **no** | a second abort fails with "nothing pending" |
    /// | `get-services` | `get_services` | yes | a read |
    /// | `start-services` | `start_services` | yes | the end state is the same; a second change is a no-op |
    /// | `stop-services` | `stop_services` | yes | the end state is the same; a second change is a no-op |
    /// | `restart-services` | `restart_services` | **no** | restarts the workload twice |
    /// | `autostart-services` | `autostart_services` | yes | converges to the plan; a second run finds nothing to do |
    /// | `replan` | `replan_services` | yes | converges to the plan; a second run finds nothing to do |
    /// | `get-plan` | `get_plan` | yes | a read |
    /// | `add-layer` | `add_layer(.., combine = false)` | **no** | the second add fails: "layer already exists" |
    /// | `combine-layer` | `add_layer(.., combine = true)` | yes | `replace` entries are identical; `merge` lists may repeat names, which Pebble tolerates |
    /// | `pull` | `pull` | yes | a read |
    /// | `push` | `push`, `push_file` | yes | an atomic write of the same content |
    /// | `list-files` | `list_files` | yes | a read |
    /// | `make-dir-parents` | `make_dir` with `make_parents` | yes | an existing directory is fine |
    /// | `make-dir` | `make_dir` without `make_parents` | **no** | the second fails: "exists" |
    /// | `remove-recursive` | `remove_path` with `recursive` | yes | removing a missing path succeeds |
    /// | `remove` | `remove_path` without `recursive` | **no** | the second fails: "not found" |
    /// | `get-checks` | `get_checks` | yes | a read |
    /// | `start-checks` | `start_checks` | yes | the end state is the same |
    /// | `stop-checks` | `stop_checks` | yes | the end state is the same |
    /// | `refresh-check` | `refresh_check` | yes | runs the check once more, no state change |
    /// | `send-signal` | `send_signal` | **no** | the workload would get the signal twice |
    /// | `get-identities` | `get_identities` | yes | a read |
    /// | `add-identities` | `add_identities` | **no** | the second fails: "already exists" |
    /// | `update-identities` | `update_identities` | yes | the same end state |
    /// | `replace-identities` | `replace_identities` | yes | the same end state |
    /// | `remove-identities` | `remove_identities` | **no** | the second fails: "not found" |
    /// | `get-notices` | `get_notices` | yes | a read |
    /// | `get-notice` | `get_notice` | yes | a read |
    /// | `notify` | `notify` | **no** | counts an occurrence each time (and may wake watchers) |
    /// | `exec` | `exec` | **no** | each POST starts the command once more (a migration would run twice); the websockets and the wait after it are never retried |
    /// | `get-logs` | `logs`, `follow_logs` | yes | a read (for a follow, only opening the stream) |
    pub fn idempotent(self) -> bool {
        !matches!(
            self,
            Self::AbortChange
                | Self::RestartServices
                | Self::AddLayer
                | Self::MakeDir
                | Self::Remove
                | Self::SendSignal
                | Self::AddIdentities
                | Self::RemoveIdentities
                | Self::Notify
                | Self::Exec
        )
    }

    /// The call a [`name`](Self::name) names, if any.
    pub fn by_name(name: &str) -> Option<Call> {
        Call::ALL.into_iter().find(|c| c.name() == name)
    }

    /// A short name for logs, e.g. `start-services`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SystemInfo => "system-info",
            Self::Health => "health",
            Self::GetChanges => "get-changes",
            Self::GetChange => "get-change",
            Self::WaitChange => "wait-change",
            Self::AbortChange => "abort-change",
            Self::GetServices => "get-services",
            Self::StartServices => "start-services",
            Self::StopServices => "stop-services",
            Self::RestartServices => "restart-services",
            Self::AutostartServices => "autostart-services",
            Self::Replan => "replan",
            Self::GetPlan => "get-plan",
            Self::AddLayer => "add-layer",
            Self::CombineLayer => "combine-layer",
            Self::Pull => "pull",
            Self::Push => "push",
            Self::ListFiles => "list-files",
            Self::MakeDirParents => "make-dir-parents",
            Self::MakeDir => "make-dir",
            Self::RemoveRecursive => "remove-recursive",
            Self::Remove => "remove",
            Self::GetChecks => "get-checks",
            Self::StartChecks => "start-checks",
            Self::StopChecks => "stop-checks",
            Self::RefreshCheck => "refresh-check",
            Self::SendSignal => "send-signal",
            Self::GetIdentities => "get-identities",
            Self::AddIdentities => "add-identities",
            Self::UpdateIdentities => "update-identities",
            Self::ReplaceIdentities => "replace-identities",
            Self::RemoveIdentities => "remove-identities",
            Self::GetNotices => "get-notices",
            Self::GetNotice => "get-notice",
            Self::Notify => "notify",
            Self::Exec => "exec",
            Self::GetLogs => "get-logs",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant is in `Call::ALL` once (the match fails to compile when a variant is
    /// added and not listed here; the count then fails if `ALL` misses it).
    #[test]
    fn all_lists_every_call_once() {
        let position = |c: Call| match c {
            Call::SystemInfo
            | Call::Health
            | Call::GetChanges
            | Call::GetChange
            | Call::WaitChange
            | Call::AbortChange
            | Call::GetServices
            | Call::StartServices
            | Call::StopServices
            | Call::RestartServices
            | Call::AutostartServices
            | Call::Replan
            | Call::GetPlan
            | Call::AddLayer
            | Call::CombineLayer
            | Call::Pull
            | Call::Push
            | Call::ListFiles
            | Call::MakeDirParents
            | Call::MakeDir
            | Call::RemoveRecursive
            | Call::Remove
            | Call::GetChecks
            | Call::StartChecks
            | Call::StopChecks
            | Call::RefreshCheck
            | Call::SendSignal
            | Call::GetIdentities
            | Call::AddIdentities
            | Call::UpdateIdentities
            | Call::ReplaceIdentities
            | Call::RemoveIdentities
            | Call::GetNotices
            | Call::GetNotice
            | Call::Notify
            | Call::Exec
            | Call::GetLogs => Call::ALL.iter().filter(|a| **a == c).count(),
        };
        for c in Call::ALL {
            assert_eq!(position(c), 1, "{}", c.name());
        }
        let names: std::collections::HashSet<&str> = Call::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Call::ALL.len(), "names are unique");
    }

    /// The rows of the table on `Call::idempotent` (from this file's source): call name and
    /// whether it says the call is retried after send.
    fn table_rows() -> Vec<(String, bool)> {
        include_str!("idempotency.rs")
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix("/// | `"))
            .filter_map(|rest| {
                let (name, rest) = rest.split_once('`')?;
                let cells: Vec<&str> = rest.split('|').map(str::trim).collect();
                // cells: "", method, retried, why, ""
                let retried = match *cells.get(2)? {
                    "yes" => true,
                    "**no**" => false,
                    _ => return None,
                };
                Some((name.to_owned(), retried))
            })
            .collect()
    }

    #[test]
    fn the_table_is_the_code() {
        let rows = table_rows();
        assert_eq!(rows.len(), Call::ALL.len(), "one row per call: {rows:?}");
        for (row, call) in rows.iter().zip(Call::ALL) {
            assert_eq!(row.0, call.name(), "rows follow Call::ALL");
            assert_eq!(
                row.1,
                call.idempotent(),
                "{}: the table disagrees with idempotent()",
                row.0
            );
        }
    }

    #[test]
    fn unsafe_calls() {
        for c in [
            Call::Notify,
            Call::RestartServices,
            Call::AddLayer,
            Call::SendSignal,
            Call::Exec,
        ] {
            assert!(!c.idempotent(), "{}", c.name());
        }
        for c in [
            Call::Push,
            Call::GetPlan,
            Call::Replan,
            Call::CombineLayer,
            Call::WaitChange,
        ] {
            assert!(c.idempotent(), "{}", c.name());
        }
    }

    /// What `name` a call has, for the tables in other crates' docs that cite calls by name.
    #[test]
    fn by_name_finds_every_call() {
        for c in Call::ALL {
            assert_eq!(Call::by_name(c.name()), Some(c));
        }
        assert_eq!(Call::by_name("no-such-call"), None);
    }
}
