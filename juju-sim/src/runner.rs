//! [`Sim`]: one unit, its work directory, its Pebbles, and hooks run as Juju runs them.
//!
//! A hook runs `dispatch` with Juju's environment. If it exits non-zero, Juju discards the
//! hook's model changes (relation data, ports, secrets, storage requests, ...: what Juju's
//! hook context sends to the controller only when the hook succeeds). What it sends at
//! once stays: statuses (`status-set`), the workload version (`application-version-set`),
//! the `juju-log` lines and the record of tool calls. Juju then sets the unit to
//! `error: hook failed: "<hook>"`, and retries the hook; so does the sim, up to `retries`
//! times, without waiting. A failed action is not retried and does not put the unit in
//! error: the action is marked failed.
//!
//! After every hook, workload events are delivered as Juju's Pebble watchers would
//! ([`Sim::hook`] then [`Sim::deliver_workload_events`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ops::juju_version::JujuVersion;
use ops::metadata::CharmMeta;
use ops::status::Status;
use ops::testing::juju::{ActionState, JujuState, LogLine};

use super::error::{Result, SimError};
use super::faults::FAULTS_ENV;
use super::hook_env::Hook;
use super::image::Image;
use super::namespace::{self, Wrapper};
use super::notices::Watcher;
use super::pebbles::{Pebbles, Workloads};
use super::process;
use super::state_file::Records;
use super::tool_times::{self, TIMES_ENV};
use super::trace::{HookReport, Summary, Trace};
use super::unit_state;
use super::workdir::{CharmSource, WorkDir};

/// How many workload events may follow each other before the sim stops with an error.
const MAX_WORKLOAD_EVENTS: usize = 100;

/// The default of [`Options::settle_limit`].
pub const DEFAULT_SETTLE_LIMIT: usize = 200;

/// How hooks are run.
#[derive(Debug, Clone)]
pub struct Options {
    /// How often a failed hook is retried.
    pub retries: u32,
    /// A hook running longer than this is killed (and counts as failed).
    pub hook_timeout: Duration,
    /// `JUJU_VERSION`.
    pub juju_version: String,
    /// The hook-tool binary.
    pub hook_tool: PathBuf,
    /// The pebble-sim binary, linked as `pebble` in the tools directory, if found.
    pub pebble_sim: Option<PathBuf>,
    /// How containers run their services (simulated, or real processes).
    pub workloads: Workloads,
    /// Container images installed into the containers' roots at creation.
    pub images: BTreeMap<String, Image>,
    /// Whether hooks run in a private mount namespace with the sockets at
    /// `/charm/containers` ([`super::namespace`]): `None` decides by the charm (a charm with
    /// containers whose `dispatch` is a script, such as a Python ops charm, gets one).
    pub mount_namespace: Option<bool>,
    /// The juju-sim binary, whose hidden `unit-namespace` subcommand enters the namespace
    /// [default: next to hook-tool].
    pub namespace_helper: Option<PathBuf>,
    /// In a model of several applications: the most hooks one unit may run before the model
    /// is quiet, before the run stops (charms that answer each other forever).
    pub settle_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retries: 2,
            hook_timeout: Duration::from_secs(300),
            juju_version: ops::testing::DEFAULT_JUJU_VERSION.to_owned(),
            hook_tool: PathBuf::from("hook-tool"),
            pebble_sim: None,
            workloads: Workloads::default(),
            images: BTreeMap::new(),
            mount_namespace: None,
            namespace_helper: None,
            settle_limit: DEFAULT_SETTLE_LIMIT,
        }
    }
}

/// What the current step has produced so far (for `expect:`).
#[derive(Debug, Clone, Default)]
pub struct StepLog {
    /// Hooks run (final attempts) with exit codes.
    pub hooks: Vec<(String, i32)>,
    /// `juju-log` lines.
    pub logs: Vec<LogLine>,
    /// Failures of the step other than its `expect:` (a `wait: {until}` that timed out).
    pub failures: Vec<String>,
}

/// A simulated unit.
#[derive(Debug)]
pub struct Sim {
    /// The work directory.
    pub work: WorkDir,
    /// The charm's metadata.
    pub meta: CharmMeta,
    /// The containers' Pebbles.
    pub pebbles: Pebbles,
    /// The Pebble watcher.
    pub watcher: Watcher,
    /// The trace.
    pub trace: Trace,
    /// Options.
    pub options: Options,
    /// Totals.
    pub summary: Summary,
    /// The current step's hooks and logs.
    pub step: StepLog,
    /// The simulated Juju's version: `options.juju_version`, parsed.
    juju_version: JujuVersion,
    /// The private mount namespace hooks run in, if the charm needs one and the machine
    /// allows it.
    namespace: Option<Wrapper>,
    seq: u64,
}

impl Sim {
    /// Sets up a fresh unit of `charm` in `work` with the model `state`.
    pub fn create(
        charm: &CharmSource,
        work: WorkDir,
        state: &JujuState,
        options: Options,
        trace: Trace,
    ) -> Result<Sim> {
        let meta = CharmMeta::from_charm_dir(&charm.dir)?;
        work.create(
            charm,
            &options.hook_tool,
            options.pebble_sim.as_deref(),
            state,
        )?;
        for (c, image) in &options.images {
            if !meta.containers.contains_key(c) {
                return Err(SimError::Image {
                    container: c.clone(),
                    message: format!(
                        "the charm has no such container (it has: {})",
                        meta.containers
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            image.install(c, &work.workload_root(c))?;
        }
        Sim::start(work, meta, options, trace)
    }

    /// Opens an existing work directory (for `juju-sim hook`). Pebbles start afresh.
    pub fn open(work: WorkDir, options: Options, trace: Trace) -> Result<Sim> {
        if !work.exists() {
            return Err(SimError::Charm(format!(
                "{} is not a juju-sim work directory: create one with `juju-sim run --work-dir {0}`",
                work.root.display()
            )));
        }
        let meta = CharmMeta::from_charm_dir(work.charm_dir())?;
        work.install_tools(&options.hook_tool, options.pebble_sim.as_deref())?;
        Sim::start(work, meta, options, trace)
    }

    fn start(work: WorkDir, meta: CharmMeta, options: Options, trace: Trace) -> Result<Sim> {
        let juju_version = options.juju_version.parse().map_err(|e| {
            SimError::Charm(format!(
                "{e} (from --juju-version or the scenario's model.juju-version)"
            ))
        })?;
        let pebbles = Pebbles::start(
            &work,
            meta.containers.keys().cloned(),
            options.workloads.clone(),
        )?;
        let namespace = unit_namespace(&work, &meta, &options)?;
        Ok(Sim {
            work,
            meta,
            pebbles,
            watcher: Watcher::new(),
            trace,
            options,
            summary: Summary::default(),
            step: StepLog::default(),
            juju_version,
            namespace,
            seq: 0,
        })
    }

    /// Whether hooks run in a private mount namespace with the Pebble sockets at
    /// `/charm/containers` (see [`super::namespace`]).
    pub fn in_namespace(&self) -> bool {
        self.namespace.is_some()
    }

    /// The whole model state, with every hook-tool call, log line and earlier status so far:
    /// this reads the whole journal, so its cost grows with the run. For the model alone,
    /// [`model`](Self::model).
    pub fn state(&self) -> Result<JujuState> {
        self.work.load_state()
    }

    /// The model alone (config, relations, secrets, leadership, statuses, ...), without the
    /// journal's records (calls, log lines, status histories), so the cost does not grow with
    /// the run. For every record too, [`state`](Self::state).
    pub fn model(&self) -> Result<JujuState> {
        Ok(self.work.load_model()?.0)
    }

    /// Changes the model alone (config, relations, secrets, leadership, ...): `f` sees the
    /// state without the journal's records (calls, log lines, status histories), so the cost
    /// does not grow with the run.
    pub fn update_model<R>(&self, f: impl FnOnce(&mut JujuState) -> R) -> Result<R> {
        let (mut st, read) = self.work.load_model()?;
        let r = f(&mut st);
        self.work.save_model(&st, &read)?;
        Ok(r)
    }

    /// A fresh action id.
    pub fn next_action_id(&mut self) -> String {
        self.seq += 1;
        self.seq.to_string()
    }

    fn env(&self, hook: &Hook, state: &JujuState) -> BTreeMap<String, String> {
        let dir = |p: PathBuf| p.display().to_string();
        hook.agent_env(
            &self.work,
            state,
            &self.options.juju_version,
            format!("{}-{}-{}", state.unit, hook.name, self.seq),
            [
                (FAULTS_ENV, dir(self.work.faults_file())),
                (TIMES_ENV, dir(self.work.tool_times_file())),
                ("OPS_RS_CONTAINERS_DIR", dir(self.work.containers_dir())),
            ],
        )
    }

    /// Runs one attempt.
    ///
    /// A failed hook (not an action) leaves the unit in error, but the history entry of the
    /// status the error replaced is not written here: it is returned in
    /// [`Attempt::replaced`] for [`run_hook`](Self::run_hook) to record if the error stands
    /// (no retry follows): an error that a retry undoes leaves no entry in the history.
    fn run_once(&mut self, hook: &Hook, attempt: u32) -> Result<Attempt> {
        self.seq += 1;
        // The model alone, and where the journal ends: the hook's own records are the lines
        // its tools append after the mark, so none of this grows with the run's history.
        let (mut state, read) = self.work.load_model()?;
        let snapshot = state.clone();
        // A new hook context: what Juju kept for the last hook is gone, and the hook tools
        // behave as the Juju the hook is told it runs under (JUJU_VERSION).
        state.begin_hook(hook.tool_defaults.clone());
        state.juju_version = self.juju_version.clone();
        state.action = hook.action_params.as_ref().map(|p| {
            let mut a = ActionState::new(&hook.name, p.clone());
            a.uuid = hook.env.get("JUJU_ACTION_UUID").cloned().unwrap_or(a.uuid);
            a
        });
        self.work.save_model(&state, &read)?;
        let mark = self.work.journal_mark()?;
        let env = self.env(hook, &state);
        let dispatch = self.work.charm_dir().join("dispatch");
        self.trace
            .hook_started(&hook.name, attempt, &hook.summary());
        let _ = tool_times::take(&self.work.tool_times_file());
        let exit = process::run(
            &dispatch,
            &self.work.charm_dir(),
            &env,
            self.options.hook_timeout,
            self.namespace.as_ref(),
        )?;
        let tools = tool_times::take(&self.work.tool_times_file());
        let (mut after, after_read) = self.work.load_model()?;
        let records = self.work.records_since(mark)?;
        // juju-log calls show as log lines (level-filtered), not as calls.
        let calls: Vec<String> = records
            .calls
            .iter()
            .filter(|c| c.tool != "juju-log")
            .map(|c| match c.exit_code {
                0 => c.line(),
                code => format!("{}  [exit {code}]", c.line()),
            })
            .collect();
        let logs: Vec<LogLine> = records.logs;
        let mut replaced = None;
        if exit.code != 0 {
            // Back to the model before the hook; the hook's calls and log lines stay in the
            // journal, as Juju keeps what a failed hook logged.
            let mut restored = snapshot;
            restored.tool_defaults = after.tool_defaults;
            restored.juju_version = after.juju_version;
            // Leadership is the controller's: a lease that lapsed during the hook stays lapsed.
            restored.leader = after.leader;
            restored.leadership_lost_after = after.leadership_lost_after;
            // Juju's hook context sends these to the controller as the tool runs, not when
            // the hook ends: a failed hook's statuses and workload version stand.
            restored.unit_status = after.unit_status;
            restored.app_status = after.app_status;
            restored.app_version = after.app_version;
            if hook.action_params.is_some() {
                let mut action = after
                    .action
                    .unwrap_or_else(|| ActionState::new(&hook.name, serde_json::json!({})));
                action
                    .failure
                    .get_or_insert_with(|| format!("exit status {}", exit.code));
                restored.action = Some(action);
            } else {
                replaced = Some(std::mem::replace(
                    &mut restored.unit_status,
                    Status::Error(format!("hook failed: {:?}", hook.name)),
                ));
                restored.action = None;
            }
            after = restored;
            self.work.save_model(&after, &after_read)?;
        }
        let deferred = unit_state::deferred(&self.work.charm_dir());
        let stderr = if exit.code != 0 {
            tail(&exit.stderr, 20)
        } else {
            String::new()
        };
        self.trace.hook(&HookReport {
            hook: hook.name.clone(),
            attempt,
            context: hook.summary(),
            calls,
            logs: logs.clone(),
            exit_code: exit.code,
            duration_ms: Trace::millis(exit.duration),
            duration_us: exit.duration.as_micros(),
            peak_rss_kb: exit.peak_rss_kb,
            cpu_us: exit.cpu.map(|d| d.as_micros()),
            tool_calls: tools.calls,
            tool_us: tools.micros,
            unit_status: after.unit_status.to_string(),
            app_status: after.app_status.to_string(),
            deferred,
            stderr,
            timed_out: exit.timed_out,
        });
        self.summary.hooks_run += 1;
        self.step.logs.extend(logs);
        if exit.code != 0 {
            self.summary.failures += 1;
        }
        Ok(Attempt {
            code: exit.code,
            replaced,
        })
    }

    /// Runs a hook, retrying it as Juju does if it fails; returns the last exit code.
    /// Workload events are not delivered here (see [`Sim::hook`]).
    pub fn run_hook(&mut self, hook: &Hook) -> Result<i32> {
        let is_action = hook.action_params.is_some();
        let mut attempt = 1;
        loop {
            let Attempt { code, replaced } = self.run_once(hook, attempt)?;
            if code == 0 || is_action {
                self.step.hooks.push((hook.name.clone(), code));
                if is_action {
                    self.report_action()?;
                }
                return Ok(code);
            }
            if attempt > self.options.retries {
                // The error stands: the status it replaced goes into the history.
                if let Some(old) = replaced {
                    self.work.append_records(&Records {
                        unit_status_history: vec![old],
                        ..Records::default()
                    })?;
                }
                self.trace.failed(&hook.name, None);
                self.summary.hooks_given_up += 1;
                self.step.hooks.push((hook.name.clone(), code));
                return Ok(code);
            }
            self.trace
                .failed(&hook.name, Some((attempt, self.options.retries)));
            // Juju shows the error until the retry; the retry sees the workload status the
            // charm had set last (in the failed attempt, if it set one), and the history
            // holds no trace of the error (its entry was never written).
            if let Some(last) = replaced {
                self.update_model(|st| st.unit_status = last)?;
            }
            self.summary.retries += 1;
            attempt += 1;
        }
    }

    fn report_action(&mut self) -> Result<()> {
        let (st, _) = self.work.load_model()?;
        if let Some(a) = &st.action {
            let results = serde_json::to_string(&a.results).unwrap_or_default();
            match &a.failure {
                Some(f) => self.trace.note(&format!(
                    "action {} failed: {f}; results: {results}",
                    a.name
                )),
                None => self
                    .trace
                    .note(&format!("action {} completed; results: {results}", a.name)),
            }
            for l in &a.logs {
                self.trace.note(&format!("action log: {l}"));
            }
        }
        Ok(())
    }

    /// Runs a hook (with retries), then delivers workload events it caused.
    pub fn hook(&mut self, hook: &Hook) -> Result<i32> {
        let code = self.run_hook(hook)?;
        self.deliver_workload_events()?;
        Ok(code)
    }

    /// Delivers pending workload events (pebble-ready on a new boot id, notices) as hooks,
    /// until there are none.
    pub fn deliver_workload_events(&mut self) -> Result<()> {
        let mut delivered = 0;
        while let Some(h) = self.next_workload_hook() {
            delivered += 1;
            if delivered > MAX_WORKLOAD_EVENTS {
                return Err(SimError::EventStorm(MAX_WORKLOAD_EVENTS));
            }
            self.run_hook(&h)?;
        }
        Ok(())
    }

    /// The next workload event (pebble-ready on a new boot id, a notice, a check), as the
    /// hook Juju would run for it, if any is pending (noting a custom notice in the trace).
    pub fn next_workload_hook(&mut self) -> Option<Hook> {
        for c in self.pebbles.names() {
            let socket = self.work.socket(&c);
            if let Some(h) = self.watcher.next(&c, &socket) {
                if let Some(note) = self.watcher.take_note() {
                    self.trace.note(&note);
                }
                return Some(h);
            }
        }
        None
    }

    /// Ends the unit: its final totals and statuses, Pebbles stopped (nothing printed; see
    /// [`finish`](Self::finish)).
    pub fn close(mut self) -> Result<Summary> {
        let summary = self.totals()?;
        self.pebbles.shutdown();
        Ok(summary)
    }

    /// The totals so far, with the unit's statuses and deferred events now.
    fn totals(&mut self) -> Result<Summary> {
        let (st, _) = self.work.load_model()?;
        self.summary.unit_status = st.unit_status.to_string();
        self.summary.app_status = st.app_status.to_string();
        self.summary.deferred = unit_state::deferred(&self.work.charm_dir());
        Ok(self.summary.clone())
    }

    /// Ends the run: final totals, Pebbles stopped.
    pub fn finish(mut self) -> Result<Summary> {
        let summary = self.totals()?;
        self.trace.summary(&summary);
        self.pebbles.shutdown();
        Ok(summary)
    }
}

/// What one attempt of a hook did.
#[derive(Debug)]
struct Attempt {
    /// The hook's exit code.
    code: i32,
    /// For a failed hook that put the unit in error: the status the error replaced, for the
    /// history if the error stands.
    replaced: Option<Status>,
}

/// Whether `dispatch` is a script (`#!`): an ops charm in Python (or any language but a
/// compiled one), which knows only `/charm/containers` for its sockets.
fn is_script(dispatch: &Path) -> bool {
    let mut head = [0u8; 2];
    std::fs::File::open(dispatch)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == *b"#!"
}

/// The private mount namespace a unit's hooks run in, if the charm needs one (see
/// [`Options::mount_namespace`]) and this machine allows it; where it does not, one line on
/// stderr says so and what to do, and the hooks run without it.
fn unit_namespace(work: &WorkDir, meta: &CharmMeta, options: &Options) -> Result<Option<Wrapper>> {
    let wanted = options.mount_namespace.unwrap_or_else(|| {
        !meta.containers.is_empty() && is_script(&work.charm_dir().join("dispatch"))
    });
    if !wanted {
        return Ok(None);
    }
    let helper = options
        .namespace_helper
        .clone()
        .or_else(|| options.hook_tool.parent().map(|d| d.join("juju-sim")))
        .unwrap_or_else(|| PathBuf::from("juju-sim"));
    let support = namespace::probe(&helper);
    if let Some(line) = support.unavailable_line(&meta.name) {
        namespace::warn_once(&line);
        return Ok(None);
    }
    let root = work.ns_root();
    std::fs::create_dir_all(&root).map_err(|e| SimError::io("cannot create", &root, e))?;
    Ok(Some(Wrapper {
        helper,
        new_root: root,
        containers: work.containers_dir(),
    }))
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
