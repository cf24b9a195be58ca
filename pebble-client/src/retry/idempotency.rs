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
    /// Whether repeating the call after it may have reached Pebble leaves the same result as
    /// doing it once. Only these are retried after a post-send failure.
    ///
    /// | call | safe | why |
    /// | --- | --- | --- |
    /// | every `GET` (system-info, health, changes, wait, services, plan, pull, list, checks, identities, notices, logs) | yes | reads only |
    /// | abort change | no | a second abort fails with "nothing pending" |
    /// | start, stop services | yes | the end state is the same; a second change is a no-op |
    /// | autostart, replan | yes | converge to the plan; a second run finds nothing to do |
    /// | restart services | **no** | restarts the workload twice |
    /// | add layer (`combine: false`) | **no** | the second add fails: "layer already exists" |
    /// | add layer (`combine: true`) | yes | `replace` entries are identical; `merge` lists may repeat names, which Pebble tolerates |
    /// | push | yes | atomic write of the same content |
    /// | make-dir with parents | yes | an existing directory is fine |
    /// | make-dir without parents | **no** | the second fails: "exists" |
    /// | remove recursive | yes | removing a missing path succeeds |
    /// | remove non-recursive | **no** | the second fails: "not found" |
    /// | start, stop checks | yes | the end state is the same |
    /// | refresh check | yes | runs the check once more, no state change |
    /// | send signal | **no** | the workload would get the signal twice |
    /// | add identities | **no** | the second fails: "already exists" |
    /// | update, replace identities | yes | same end state |
    /// | remove identities | **no** | the second fails: "not found" |
    /// | notify | **no** | counts an occurrence each time (and may wake watchers) |
    /// | exec | **no** | each POST starts the command once more (a migration would run twice) |
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
}
