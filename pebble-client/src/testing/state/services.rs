//! Services: their status, the backend that runs them, and the change executor.
//!
//! Start, stop, restart, autostart and replan create a change whose tasks go Do → Doing →
//! Done (or Error, with a task log line such as `cannot start service: ...`). The executor
//! runs each task through a [`ServiceBackend`]; the default [`SimulatedBackend`] runs no
//! process. The [`ProcessBackend`](crate::testing::ProcessBackend) runs real child
//! processes: it gets a [`SimView`] through [`ServiceBackend::attach`], reports status
//! changes itself ([`ServiceBackend::tracks_status`]) and kills its processes on
//! [`ServiceBackend::shutdown`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use time::OffsetDateTime;

use super::State;
use super::changes::NewTask;
use crate::testing::{Shared, SimView};
use crate::types::{
    ChangeStatus, Plan, Service, ServiceInfo, ServiceStartup, ServiceStatus, Timestamp,
};

/// A boxed future, as [`ServiceBackend`] methods return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs services for the simulator. The simulated backend runs nothing; the process backend
/// spawns `service.command` and stops it with SIGTERM, then SIGKILL after kill-delay.
pub trait ServiceBackend: Send + Sync + 'static {
    /// Called once, when the simulator starts, with the view of it the backend may use.
    fn attach(&self, _sim: SimView) {}
    /// Whether the backend sets services' `current` status itself (through
    /// [`SimView::set_status`]); if not, the change executor sets `active` after a
    /// successful start, `inactive` after a stop, and `error` after a failed start.
    fn tracks_status(&self) -> bool {
        false
    }
    /// Called when the simulator shuts down (or is dropped): stop everything now. It may
    /// block briefly (until killed processes are reaped).
    fn shutdown(&self) {}
    /// Starts `name` with its plan definition. `Err` is the reason, logged on the task as
    /// `cannot start service: <reason>`.
    fn start(&self, name: &str, service: &Service) -> BoxFuture<Result<(), String>>;
    /// Stops `name`. `Err` is logged as `cannot stop service: <reason>`.
    fn stop(&self, name: &str, service: &Service) -> BoxFuture<Result<(), String>>;
    /// Sends a signal (`SIGHUP`, ...) to a running service.
    fn signal(&self, name: &str, signal: &str) -> Result<(), String>;
}

/// The default backend: no process runs; every start and stop succeeds at once
/// (failures are scripted with [`SimPebble::fail_next_start`](crate::testing::SimPebble::fail_next_start)).
#[derive(Debug, Default, Clone, Copy)]
pub struct SimulatedBackend;

impl ServiceBackend for SimulatedBackend {
    fn start(&self, _name: &str, _service: &Service) -> BoxFuture<Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn stop(&self, _name: &str, _service: &Service) -> BoxFuture<Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn signal(&self, _name: &str, signal: &str) -> Result<(), String> {
        const KNOWN: [&str; 12] = [
            "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGSTOP",
            "SIGCONT", "SIGALRM", "SIGWINCH", "SIGABRT",
        ];
        if KNOWN.contains(&signal) {
            Ok(())
        } else {
            Err(format!("invalid signal name {signal:?}"))
        }
    }
}

/// One service's run state.
#[derive(Debug, Clone)]
pub(crate) struct ServiceRecord {
    pub current: ServiceStatus,
    pub since: Option<OffsetDateTime>,
    /// The definition it was started with, to detect changes on replan.
    pub started_with: Option<Service>,
}

/// Run state of every service that has ever been touched, plus scripted failures.
#[derive(Debug, Default)]
pub(crate) struct Services {
    pub by_name: BTreeMap<String, ServiceRecord>,
    pub fail_next_start: HashMap<String, String>,
}

impl Services {
    /// `GET /v1/services` for the services in the plan (all, or `names`).
    pub(crate) fn infos(&self, plan: &Plan, names: &[String]) -> Vec<ServiceInfo> {
        plan.services
            .iter()
            .filter(|(n, _)| names.is_empty() || names.contains(n))
            .map(|(name, svc)| {
                let rec = self.by_name.get(name);
                ServiceInfo {
                    name: name.clone(),
                    // Pebble reports a service whose layers never set `startup` as disabled.
                    startup: match svc.startup {
                        ServiceStartup::Enabled => ServiceStartup::Enabled,
                        _ => ServiceStartup::Disabled,
                    },
                    current: rec.map_or(ServiceStatus::Inactive, |r| r.current.clone()),
                    current_since: rec.and_then(|r| r.since).map(Timestamp::new),
                }
            })
            .collect()
    }

    /// Whether `name` is active (or backing off, which Pebble treats as running).
    pub(crate) fn is_running(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|r| matches!(r.current, ServiceStatus::Active | ServiceStatus::Backoff))
    }

    /// Sets a service's status.
    pub(crate) fn set(&mut self, name: &str, current: ServiceStatus, now: OffsetDateTime) {
        let rec = self
            .by_name
            .entry(name.to_owned())
            .or_insert(ServiceRecord {
                current: ServiceStatus::Inactive,
                since: None,
                started_with: None,
            });
        rec.current = current;
        rec.since = Some(now);
    }
}

/// Services in start order: the requested ones plus what they `require`, `after` before.
pub(crate) fn start_order(plan: &Plan, names: &[String]) -> Result<Vec<String>, String> {
    let mut wanted = BTreeSet::new();
    let mut todo: Vec<String> = names.to_vec();
    while let Some(n) = todo.pop() {
        let Some(svc) = plan.services.get(&n) else {
            return Err(format!("service {n:?} does not exist"));
        };
        if wanted.insert(n.clone()) {
            todo.extend(svc.requires.iter().cloned());
        }
    }
    Ok(order(plan, &wanted))
}

/// Services in stop order (reverse start order), only those requested.
pub(crate) fn stop_order(plan: &Plan, names: &[String]) -> Result<Vec<String>, String> {
    let mut wanted = BTreeSet::new();
    for n in names {
        if !plan.services.contains_key(n) {
            return Err(format!("service {n:?} does not exist"));
        }
        wanted.insert(n.clone());
    }
    let mut out = order(plan, &wanted);
    out.reverse();
    Ok(out)
}

/// A topological order by before/after (the plan is validated, so there is no loop).
fn order(plan: &Plan, wanted: &BTreeSet<String>) -> Vec<String> {
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for name in wanted {
        let entry = deps.entry(name.as_str()).or_default();
        if let Some(svc) = plan.services.get(name) {
            entry.extend(
                svc.after
                    .iter()
                    .map(String::as_str)
                    .filter(|a| wanted.contains(*a)),
            );
        }
    }
    for name in wanted {
        if let Some(svc) = plan.services.get(name) {
            for b in svc.before.iter().filter(|b| wanted.contains(*b)) {
                deps.entry(b.as_str()).or_default().insert(name.as_str());
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    while out.len() < wanted.len() {
        let next = deps
            .iter()
            .find(|(n, d)| {
                !out.iter().any(|o| o == *n) && d.iter().all(|x| out.iter().any(|o| o == x))
            })
            .map(|(n, _)| (*n).to_owned());
        match next {
            Some(n) => out.push(n),
            None => {
                // A loop would have been rejected by plan validation; take the rest by name.
                out.extend(
                    wanted
                        .iter()
                        .filter(|w| !out.contains(w))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    out
}

/// The start and stop tasks of a services action, or Pebble's error message.
pub(crate) fn plan_action(
    st: &State,
    action: &str,
    names: &[String],
) -> Result<(Vec<NewTask>, Vec<String>), String> {
    let plan = &st.plan.plan;
    let start = |n: &String| NewTask {
        kind: "start".into(),
        summary: format!("Start service {n:?}"),
        target: n.clone(),
    };
    let stop = |n: &String| NewTask {
        kind: "stop".into(),
        summary: format!("Stop service {n:?}"),
        target: n.clone(),
    };
    match action {
        "start" | "autostart" => {
            let order = start_order(plan, names)?;
            Ok((order.iter().map(start).collect(), order))
        }
        "stop" => {
            let order = stop_order(plan, names)?;
            Ok((order.iter().map(stop).collect(), order))
        }
        "restart" => {
            let stops = stop_order(plan, names)?;
            let starts = start_order(plan, names)?;
            let mut tasks: Vec<NewTask> = stops
                .iter()
                .filter(|n| st.services.is_running(n))
                .map(stop)
                .collect();
            tasks.extend(starts.iter().map(start));
            Ok((tasks, starts))
        }
        "replan" => {
            // As Pebble: stop the running services whose definition changed or is gone;
            // start those, and every `startup: enabled` service (a start of one already
            // running is a task that does nothing).
            let changed = |n: &String| {
                st.services
                    .by_name
                    .get(n)
                    .and_then(|r| r.started_with.as_ref())
                    .is_some_and(|old| Some(old) != plan.services.get(n))
            };
            let running: Vec<String> = st
                .services
                .by_name
                .keys()
                .filter(|n| st.services.is_running(n))
                .cloned()
                .collect();
            let to_stop: Vec<String> = running
                .iter()
                .filter(|n| !plan.services.contains_key(*n) || changed(n))
                .cloned()
                .collect();
            let wanted: Vec<String> = plan
                .services
                .iter()
                .filter(|(n, s)| s.startup == ServiceStartup::Enabled || to_stop.contains(n))
                .map(|(n, _)| n.clone())
                .collect();
            let starts = start_order(plan, &wanted)?;
            let mut stops: Vec<String> = to_stop.clone();
            stops.reverse();
            let mut tasks: Vec<NewTask> = stops.iter().map(stop).collect();
            tasks.extend(starts.iter().map(start));
            let mut affected: Vec<String> = stops.into_iter().chain(starts).collect();
            affected.sort();
            affected.dedup();
            Ok((tasks, affected))
        }
        other => Err(format!("invalid action {other:?}")),
    }
}

/// Runs a change's tasks in order through the backend; a failed task holds the rest.
pub(crate) async fn run_change(shared: Arc<Shared>, change: u64) {
    let count = shared.with(|st, _| st.change_mut(change).map_or(0, |c| c.tasks.len()));
    for i in 0..count {
        let step = shared.with(|st, now| {
            let task = st.change_mut(change)?.tasks.get(i)?.clone();
            if task.status != ChangeStatus::Do {
                return None;
            }
            let svc = st.plan.plan.services.get(&task.target).cloned();
            if let Some(msg) = (task.kind == "start")
                .then(|| st.services.fail_next_start.remove(&task.target))
                .flatten()
            {
                st.set_task(change, i, ChangeStatus::Doing, None, now);
                return Some((task, svc, Some(msg)));
            }
            st.set_task(change, i, ChangeStatus::Doing, None, now);
            Some((task, svc, None))
        });
        let Some((task, svc, scripted)) = step else {
            continue;
        };
        let svc = svc.unwrap_or_default();
        let tracked = scripted.is_none() && shared.backend.tracks_status();
        let result = match (task.kind.as_str(), scripted) {
            (_, Some(msg)) => Err(msg),
            ("start", None) => shared.backend.start(&task.target, &svc).await,
            (_, None) => shared.backend.stop(&task.target, &svc).await,
        };
        tokio::task::yield_now().await;
        shared.with(|st, now| {
            let aborted = st
                .change_mut(change)
                .and_then(|c| c.tasks.get(i))
                .is_some_and(|t| t.status == ChangeStatus::Abort);
            match result {
                Ok(()) if tracked && task.kind == "start" => {
                    if let Some(r) = st.services.by_name.get_mut(&task.target) {
                        r.started_with = Some(svc.clone());
                    }
                }
                _ if tracked => {}
                Ok(()) if task.kind == "start" => {
                    st.services.set(&task.target, ServiceStatus::Active, now);
                    if let Some(r) = st.services.by_name.get_mut(&task.target) {
                        r.started_with = Some(svc.clone());
                    }
                }
                Ok(()) => st.services.set(&task.target, ServiceStatus::Inactive, now),
                Err(_) if task.kind == "start" => {
                    st.services.set(&task.target, ServiceStatus::Error, now);
                }
                Err(_) => {}
            }
            let (status, log) = match &result {
                Ok(()) if aborted => (ChangeStatus::Undone, None),
                Ok(()) => (ChangeStatus::Done, None),
                Err(msg) => (ChangeStatus::Error, Some(failure_log(&task.kind, msg))),
            };
            if task.kind == "start" && result.as_ref().is_err_and(|m| started_then_exited(m)) {
                // As Pebble, a process that started and exited leaves its last output in
                // the task log, before the error.
                let output = shared
                    .processes
                    .as_ref()
                    .map(|p| last_output(&p.logs(&task.target)))
                    .unwrap_or_default();
                if !output.is_empty()
                    && let Some(t) = st.change_mut(change).and_then(|c| c.tasks.get_mut(i))
                {
                    t.log.push(format!(
                        "{} INFO Most recent service output:\n{output}",
                        crate::testing::wire::format_time(now)
                    ));
                }
            }
            let failed = status == ChangeStatus::Error;
            st.set_task(change, i, status, log, now);
            if failed {
                hold_rest(st, change, now);
            }
        });
    }
}

/// How many lines of output a failed start quotes (Pebble's figure).
const LAST_LOG_LINES: usize = 20;

/// Whether a start failure is of a process that started and exited within the okay delay
/// (the other failures never ran anything).
fn started_then_exited(reason: &str) -> bool {
    reason.starts_with("exited quickly")
}

/// The task log line for a failed start or stop, in Pebble's words: a process that started
/// and exited is a failed "service start attempt"; anything else could not start at all.
fn failure_log(kind: &str, reason: &str) -> String {
    if kind == "start" && started_then_exited(reason) {
        format!("service start attempt: {reason}")
    } else {
        format!("cannot {kind} service: {reason}")
    }
}

/// The last lines of a service's output, each indented by four spaces, as Pebble quotes them.
fn last_output(lines: &[crate::testing::LogLine]) -> String {
    let from = lines.len().saturating_sub(LAST_LOG_LINES);
    lines[from..]
        .iter()
        .map(|l| format!("    {}", l.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Puts every task still in Do on Hold.
pub(crate) fn hold_rest(st: &mut State, change: u64, now: OffsetDateTime) {
    let pending: Vec<usize> = st.change_mut(change).map_or_else(Vec::new, |c| {
        c.tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.status == ChangeStatus::Do)
            .map(|(i, _)| i)
            .collect()
    });
    for i in pending {
        st.set_task(change, i, ChangeStatus::Hold, None, now);
    }
}
