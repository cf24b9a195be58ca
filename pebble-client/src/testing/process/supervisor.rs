//! Each service's life as Pebble's service manager runs it: starting (the okay delay),
//! running, terminating (SIGTERM) and killing (SIGKILL after kill-delay), exit actions
//! (restart with backoff, shutdown, ignore) and stopping everything at shutdown.
//!
//! Events come from three places: the backend's start/stop/signal calls, the reaper
//! threads (a process exited) and timers (okay delay, backoff, kill-delay, backoff reset).
//! Every event carries the generation of the process it is about; stale ones are ignored.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use rustix::process::Signal;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::ProcessOptions;
use super::logs::LogRing;
use super::signals::Group;
use super::spawn::{Launch, ServiceExit, spawn};
use crate::testing::SimView;
use crate::types::{Service, ServiceAction, ServiceStatus};

/// How long after SIGKILL a stop gives up waiting, as Pebble's fail delay.
const FAIL_DELAY: Duration = Duration::from_secs(5);

/// A reply to a start or stop task, sent when the task may complete.
type Reply = oneshot::Sender<Result<(), String>>;

/// Where a service is in its life (Pebble's service states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    Starting,
    Running,
    Terminating,
    Killing,
    Backoff,
    Stopped,
    Exited,
}

impl RunState {
    /// The `current` status Pebble reports for the state.
    fn status(self) -> ServiceStatus {
        match self {
            RunState::Starting | RunState::Running => ServiceStatus::Active,
            RunState::Terminating | RunState::Killing | RunState::Stopped => {
                ServiceStatus::Inactive
            }
            RunState::Backoff => ServiceStatus::Backoff,
            RunState::Exited => ServiceStatus::Error,
        }
    }
}

/// One service's record.
struct Svc {
    state: RunState,
    config: Service,
    /// Bumped at every launch; events of older processes are ignored.
    generation: u64,
    pid: Option<u32>,
    group: Option<Group>,
    backoff_num: u32,
    backoff_time: Duration,
    last_exit: Option<ServiceExit>,
    logs: Arc<LogRing>,
    started: Option<Reply>,
    stopped: Option<Reply>,
    waiter: Option<JoinHandle<()>>,
}

impl Svc {
    fn new(config: Service) -> Svc {
        Svc {
            state: RunState::Stopped,
            config,
            generation: 0,
            pid: None,
            group: None,
            backoff_num: 0,
            backoff_time: Duration::ZERO,
            last_exit: None,
            logs: Arc::default(),
            started: None,
            stopped: None,
            waiter: None,
        }
    }
}

/// The process supervisor shared by the backend, its reaper threads and timers.
pub(crate) struct Supervisor {
    pub(crate) opts: ProcessOptions,
    me: Weak<Supervisor>,
    ctx: OnceLock<SimView>,
    launch: OnceLock<Launch>,
    runtime: Mutex<Option<Handle>>,
    services: Mutex<BTreeMap<String, Svc>>,
    closed: AtomicBool,
}

/// What a start or stop call leads to: done now, or a reply to wait for.
pub(crate) enum Outcome {
    Done(Result<(), String>),
    Wait(oneshot::Receiver<Result<(), String>>),
}

impl Supervisor {
    pub(crate) fn new(opts: ProcessOptions) -> Arc<Supervisor> {
        Arc::new_cyclic(|me| Supervisor {
            opts,
            me: me.clone(),
            ctx: OnceLock::new(),
            launch: OnceLock::new(),
            runtime: Mutex::new(None),
            services: Mutex::new(BTreeMap::new()),
            closed: AtomicBool::new(false),
        })
    }

    /// Binds the supervisor to its simulator (the first call wins).
    pub(crate) fn attach(&self, ctx: SimView, launch: Launch) {
        let _ = self.launch.set(launch);
        let _ = self.ctx.set(ctx);
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Svc>> {
        self.services.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the runtime the simulator runs on, for timers.
    pub(crate) fn remember_runtime(&self) {
        if let Ok(h) = Handle::try_current() {
            *self.runtime.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
        }
    }

    /// Runs `f` after `delay` unless the supervisor is gone by then.
    fn after(&self, delay: Duration, f: impl FnOnce(&Supervisor) + Send + 'static) {
        let me = self.me.clone();
        let fire = move || {
            if let Some(s) = me.upgrade() {
                f(&s);
            }
        };
        let handle = self
            .runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match handle {
            Some(h) => {
                h.spawn(async move {
                    tokio::time::sleep(delay).await;
                    fire();
                });
            }
            None => {
                let _ = std::thread::Builder::new()
                    .name("pebble-sim-timer".into())
                    .spawn(move || {
                        std::thread::sleep(delay);
                        fire();
                    });
            }
        }
    }

    /// Moves `svc` to `state` and reports its status to the simulator.
    fn transition(&self, name: &str, svc: &mut Svc, state: RunState) {
        svc.state = state;
        if let Some(ctx) = self.ctx.get() {
            ctx.set_status(name, state.status());
        }
    }

    /// Launches a new process for `svc`; the caller holds the lock.
    fn launch(&self, name: &str, svc: &mut Svc) -> Result<(), String> {
        if self.closed.load(Ordering::SeqCst) {
            return Err("the simulator is shutting down".into());
        }
        let Some(launch) = self.launch.get() else {
            return Err("the process backend is not attached to a simulator".into());
        };
        svc.generation += 1;
        let generation = svc.generation;
        let me = self.me.clone();
        let owned = name.to_owned();
        let spawned = spawn(
            name,
            &svc.config,
            launch,
            &svc.logs,
            self.opts.echo_output,
            move |exit| {
                if let Some(s) = me.upgrade() {
                    s.exited(&owned, generation, exit);
                }
            },
        )?;
        svc.pid = Some(spawned.pid);
        svc.group = Some(spawned.group);
        svc.waiter = Some(spawned.waiter);
        let limit = svc
            .config
            .effective_backoff_limit()
            .to_std()
            .unwrap_or_default();
        let owned = name.to_owned();
        self.after(limit, move |s| s.backoff_reset(&owned, generation));
        Ok(())
    }

    /// Starts `name` with `config` (a start task).
    pub(crate) fn start(&self, name: &str, config: &Service) -> Outcome {
        let mut services = self.lock();
        let svc = services
            .entry(name.to_owned())
            .or_insert_with(|| Svc::new(config.clone()));
        match svc.state {
            RunState::Starting | RunState::Running => return Outcome::Done(Ok(())),
            RunState::Terminating | RunState::Killing => {
                return Outcome::Done(Err("cannot start service while terminating".into()));
            }
            RunState::Backoff | RunState::Stopped | RunState::Exited => {}
        }
        svc.config = config.clone();
        svc.backoff_num = 0;
        svc.backoff_time = Duration::ZERO;
        if let Err(e) = self.launch(name, svc) {
            self.transition(name, svc, RunState::Exited);
            return Outcome::Done(Err(e));
        }
        let (tx, rx) = oneshot::channel();
        svc.started = Some(tx);
        self.transition(name, svc, RunState::Starting);
        let generation = svc.generation;
        let owned = name.to_owned();
        self.after(self.opts.okay_delay, move |s| {
            s.okay_elapsed(&owned, generation);
        });
        Outcome::Wait(rx)
    }

    fn okay_elapsed(&self, name: &str, generation: u64) {
        let mut services = self.lock();
        let Some(svc) = services.get_mut(name) else {
            return;
        };
        if svc.generation == generation && svc.state == RunState::Starting {
            self.transition(name, svc, RunState::Running);
            if let Some(tx) = svc.started.take() {
                let _ = tx.send(Ok(()));
            }
        }
    }

    fn backoff_reset(&self, name: &str, generation: u64) {
        let mut services = self.lock();
        if let Some(svc) = services.get_mut(name)
            && svc.generation == generation
            && svc.state == RunState::Running
        {
            svc.backoff_num = 0;
            svc.backoff_time = Duration::ZERO;
        }
    }

    /// A process of `name` ended (called on its reaper thread).
    fn exited(&self, name: &str, generation: u64, exit: ServiceExit) {
        let mut services = self.lock();
        let Some(svc) = services.get_mut(name) else {
            return;
        };
        if svc.generation != generation {
            return;
        }
        svc.last_exit = Some(exit);
        svc.pid = None;
        svc.group = None;
        let (action, on) = if exit.success() {
            (svc.config.on_success.clone(), "on-success")
        } else {
            (svc.config.on_failure.clone(), "on-failure")
        };
        let action = action.unwrap_or(ServiceAction::Restart);
        match svc.state {
            RunState::Starting | RunState::Running => {
                tracing::debug!(service = name, code = exit.code, "{on} action {action:?}");
                // The status is set before the start task hears of the failure.
                self.act(name, svc, &action, exit);
                if let Some(tx) = svc.started.take() {
                    let _ = tx.send(Err(format!(
                        "exited quickly with code {}, will {}",
                        exit.code,
                        action.as_str()
                    )));
                }
            }
            RunState::Terminating | RunState::Killing => {
                self.transition(name, svc, RunState::Stopped);
                if let Some(tx) = svc.stopped.take() {
                    let _ = tx.send(Ok(()));
                }
            }
            RunState::Backoff | RunState::Stopped | RunState::Exited => {}
        }
    }

    /// Carries out an exit action for a service that ended on its own.
    fn act(&self, name: &str, svc: &mut Svc, action: &ServiceAction, exit: ServiceExit) {
        let shutdown = |code: i32| {
            if let Some(ctx) = self.ctx.get() {
                ctx.request_shutdown(code);
            }
        };
        match action {
            _ if self.closed.load(Ordering::SeqCst) => {
                self.transition(name, svc, RunState::Stopped);
            }
            ServiceAction::Ignore if exit.success() => {
                self.transition(name, svc, RunState::Stopped);
            }
            ServiceAction::Ignore => self.transition(name, svc, RunState::Exited),
            ServiceAction::Shutdown => {
                shutdown(if exit.success() { 0 } else { 10 });
                self.transition(name, svc, RunState::Exited);
            }
            ServiceAction::SuccessShutdown => {
                shutdown(0);
                self.transition(name, svc, RunState::Exited);
            }
            ServiceAction::FailureShutdown => {
                shutdown(10);
                self.transition(name, svc, RunState::Exited);
            }
            _ => {
                svc.backoff_num += 1;
                svc.backoff_time = next_backoff(&svc.config, svc.backoff_time);
                self.transition(name, svc, RunState::Backoff);
                let jitter = svc.backoff_time.mul_f64(fastrand::f64() * 0.1);
                let generation = svc.generation;
                let owned = name.to_owned();
                self.after(svc.backoff_time + jitter, move |s| {
                    s.backoff_elapsed(&owned, generation);
                });
            }
        }
    }

    fn backoff_elapsed(&self, name: &str, generation: u64) {
        let mut services = self.lock();
        let Some(svc) = services.get_mut(name) else {
            return;
        };
        if svc.generation != generation || svc.state != RunState::Backoff {
            return;
        }
        match self.launch(name, svc) {
            Ok(()) => self.transition(name, svc, RunState::Running),
            Err(e) => {
                tracing::warn!(service = name, "cannot restart the service: {e}");
                self.transition(name, svc, RunState::Exited);
            }
        }
    }

    /// Stops `name` (a stop task): SIGTERM, then SIGKILL after kill-delay.
    pub(crate) fn stop(&self, name: &str) -> Outcome {
        let mut services = self.lock();
        let Some(svc) = services.get_mut(name) else {
            if let Some(ctx) = self.ctx.get() {
                ctx.set_status(name, ServiceStatus::Inactive);
            }
            return Outcome::Done(Ok(()));
        };
        match svc.state {
            RunState::Starting | RunState::Running => {
                if let Some(tx) = svc.started.take() {
                    let _ = tx.send(Err("stopped before the okay delay".into()));
                }
                if let Some(g) = svc.group
                    && let Err(e) = g.signal(Signal::TERM)
                {
                    tracing::debug!(service = name, "cannot send SIGTERM: {e}");
                }
                let (tx, rx) = oneshot::channel();
                svc.stopped = Some(tx);
                self.transition(name, svc, RunState::Terminating);
                let delay = svc
                    .config
                    .effective_kill_delay()
                    .to_std()
                    .unwrap_or_default();
                let generation = svc.generation;
                let owned = name.to_owned();
                self.after(delay, move |s| s.terminate_elapsed(&owned, generation));
                Outcome::Wait(rx)
            }
            RunState::Backoff | RunState::Stopped | RunState::Exited => {
                self.transition(name, svc, RunState::Stopped);
                Outcome::Done(Ok(()))
            }
            RunState::Terminating | RunState::Killing => {
                Outcome::Done(Err("cannot stop service while terminating".into()))
            }
        }
    }

    fn terminate_elapsed(&self, name: &str, generation: u64) {
        let mut services = self.lock();
        let Some(svc) = services.get_mut(name) else {
            return;
        };
        if svc.generation != generation || svc.state != RunState::Terminating {
            return;
        }
        if let Some(g) = svc.group
            && let Err(e) = g.signal(Signal::KILL)
        {
            tracing::debug!(service = name, "cannot send SIGKILL: {e}");
        }
        svc.state = RunState::Killing;
        let owned = name.to_owned();
        self.after(FAIL_DELAY, move |s| s.kill_elapsed(&owned, generation));
    }

    fn kill_elapsed(&self, name: &str, generation: u64) {
        let mut services = self.lock();
        let Some(svc) = services.get_mut(name) else {
            return;
        };
        if svc.generation == generation && svc.state == RunState::Killing {
            self.transition(name, svc, RunState::Stopped);
            if let Some(tx) = svc.stopped.take() {
                let _ = tx.send(Err("process still running after SIGTERM and SIGKILL".into()));
            }
        }
    }

    /// Sends `signal` to a running service's process group.
    pub(crate) fn signal(&self, name: &str, signal: Signal) -> Result<(), String> {
        let services = self.lock();
        match services.get(name) {
            Some(svc) if matches!(svc.state, RunState::Starting | RunState::Running) => svc
                .group
                .ok_or_else(|| "service is not running".to_owned())?
                .signal(signal)
                .map_err(|e| e.to_string()),
            _ => Err("service is not running".to_owned()),
        }
    }

    /// Stops every process: SIGTERM, up to the shutdown grace for them to exit, then
    /// SIGKILL to every group; waits for the reapers. Later starts fail.
    pub(crate) fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let groups: Vec<Group> = self.lock().values().filter_map(|s| s.group).collect();
        for g in &groups {
            let _ = g.signal(Signal::TERM);
        }
        let deadline = std::time::Instant::now() + self.opts.shutdown_grace;
        while std::time::Instant::now() < deadline
            && self
                .lock()
                .values()
                .any(|s| s.waiter.as_ref().is_some_and(|w| !w.is_finished()))
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let waiters: Vec<JoinHandle<()>> = {
            let mut services = self.lock();
            services
                .values_mut()
                .filter_map(|s| {
                    s.started = None;
                    s.stopped = None;
                    s.waiter.take()
                })
                .collect()
        };
        for g in &groups {
            let _ = g.signal(Signal::KILL);
        }
        for w in waiters {
            let _ = w.join();
        }
    }

    /// The output rings of the named services that have run.
    pub(crate) fn log_rings(&self, names: &[String]) -> Vec<(String, Arc<LogRing>)> {
        let services = self.lock();
        names
            .iter()
            .filter_map(|n| services.get(n).map(|s| (n.clone(), Arc::clone(&s.logs))))
            .collect()
    }

    /// The service's captured output.
    pub(crate) fn logs(&self, name: &str) -> Vec<super::LogLine> {
        self.lock()
            .get(name)
            .map(|s| s.logs.lines())
            .unwrap_or_default()
    }

    /// How the service's last process ended.
    pub(crate) fn last_exit(&self, name: &str) -> Option<ServiceExit> {
        self.lock().get(name).and_then(|s| s.last_exit)
    }

    /// The pid of the service's running process.
    pub(crate) fn pid(&self, name: &str) -> Option<u32> {
        self.lock().get(name).and_then(|s| s.pid)
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let services = self.services.get_mut().unwrap_or_else(|e| e.into_inner());
        for svc in services.values() {
            if let Some(g) = svc.group {
                let _ = g.signal(Signal::KILL);
            }
        }
    }
}

/// The next backoff: the delay first, then × factor, capped at the limit.
pub(crate) fn next_backoff(config: &Service, current: Duration) -> Duration {
    let delay = config
        .effective_backoff_delay()
        .to_std()
        .unwrap_or_default();
    let limit = config
        .effective_backoff_limit()
        .to_std()
        .unwrap_or_default();
    if current.is_zero() {
        return delay;
    }
    if current >= limit {
        return limit;
    }
    let next = current.as_secs_f64() * config.effective_backoff_factor();
    Duration::try_from_secs_f64(next).map_or(limit, |n| n.min(limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::GoDuration;

    #[test]
    fn backoff_grows_by_the_factor_up_to_the_limit() {
        let mut svc = Service::replace("/bin/x");
        svc.backoff_delay = Some(GoDuration::from_millis(100));
        svc.backoff_factor = Some(3.0);
        svc.backoff_limit = Some(GoDuration::from_millis(500));
        let mut d = Duration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..4 {
            d = next_backoff(&svc, d);
            seen.push(d.as_millis());
        }
        assert_eq!(seen, [100, 300, 500, 500]);
    }

    #[test]
    fn pebbles_defaults() {
        let svc = Service::replace("/bin/x");
        assert_eq!(
            next_backoff(&svc, Duration::ZERO),
            Duration::from_millis(500)
        );
        assert_eq!(
            next_backoff(&svc, Duration::from_millis(500)),
            Duration::from_secs(1)
        );
        assert_eq!(
            next_backoff(&svc, Duration::from_secs(20)),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn states_map_to_pebbles_statuses() {
        assert_eq!(RunState::Starting.status(), ServiceStatus::Active);
        assert_eq!(RunState::Terminating.status(), ServiceStatus::Inactive);
        assert_eq!(RunState::Backoff.status(), ServiceStatus::Backoff);
        assert_eq!(RunState::Exited.status(), ServiceStatus::Error);
    }
}
