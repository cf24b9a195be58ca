//! [`ContainerState`]: a workload container, backed during a run by a simulated Pebble.
//!
//! Each run starts one [`SimPebble`](pebble_client::testing::SimPebble) per container that can connect, on
//! `<tmp>/<name>/pebble.socket` (the run points `OPS_RS_CONTAINERS_DIR` at `<tmp>`), seeds
//! it with the container's layers, service statuses, files, notices and failing checks,
//! injects the container's faults, and reads everything back into the output state. The
//! charm's real Pebble client and retry code run against it; retries do not sleep.
//!
//! ```
//! use ops::testing::{ContainerState, NoticeState};
//! use pebble_client::testing::{Fault, FaultRule};
//! let web = ContainerState::new("web")
//!     .layer("base", "services:\n  web:\n    override: replace\n    command: /bin/web\n")?
//!     .file("/etc/web.conf", "port: 80")
//!     .notice(NoticeState::custom("example.com/ready"))
//!     .fault(FaultRule::new(Fault::error(500, "boom")).path("/v1/services").times(1));
//! assert!(web.can_connect);
//! assert_eq!(web.layers[0].0, "base");
//! # Ok::<(), ops::testing::RunError>(())
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pebble_client::testing::{ExecInput, ExecResponse, FaultRule};
use pebble_client::types::{CheckInfo, Layer, Plan, ServiceInfo, ServiceStatus};

pub use crate::testing::check_health::CheckHealth;
use crate::testing::error::RunError;
pub use crate::testing::mount::HostMount;
use crate::testing::pebble_fault::PebbleFault;

/// A custom notice in a container, as the workload recorded it with `pebble notify`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoticeState {
    /// Its key, e.g. `example.com/ready`.
    pub key: String,
    /// Data of the latest occurrence.
    pub data: BTreeMap<String, String>,
    /// How many times it occurred.
    pub occurrences: u64,
    /// Occurrences within this long of the last repeat do not repeat it.
    pub repeat_after: Option<Duration>,
    /// Its id in the simulated Pebble (`JUJU_NOTICE_ID`). [`ContainerState::notice`] gives one
    /// if unset; it stays the same across runs.
    pub id: Option<String>,
}

impl NoticeState {
    /// A custom notice that occurred once, without data.
    pub fn custom(key: &str) -> Self {
        NoticeState {
            key: key.to_owned(),
            data: BTreeMap::new(),
            occurrences: 1,
            repeat_after: None,
            id: None,
        }
    }

    /// Sets how often it occurred (at least once).
    #[must_use]
    pub fn occurrences(mut self, n: u64) -> Self {
        self.occurrences = n.max(1);
        self
    }

    /// Sets its repeat-after interval.
    #[must_use]
    pub fn repeat_after(mut self, after: Duration) -> Self {
        self.repeat_after = Some(after);
        self
    }

    /// Sets its id (normally given by [`ContainerState::notice`]).
    #[must_use]
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// Sets the data of its latest occurrence.
    #[must_use]
    pub fn data<K: Into<String>, V: Into<String>>(
        mut self,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.data = data
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }
}

/// The answer of a simulated command: fixed, or computed by a closure.
#[derive(Clone, PartialEq, Eq)]
struct Fixed {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

#[derive(Clone)]
enum Answer {
    Fixed(Fixed),
    Handler(Arc<dyn Fn(&ExecInput) -> ExecResponse + Send + Sync>),
}

/// A command the charm may run in a testing [`ContainerState`] with
/// [`Container::exec`](crate::container::Container::exec) (Scenario's `Exec`, Harness's
/// `handle_exec`).
///
/// It answers every command that starts with its prefix (words split on whitespace; the
/// longest registered prefix wins). Without a matching one, the charm's exec fails as
/// Pebble fails for an unknown executable: `400 cannot find executable`, which the charm
/// sees as [`ContainerError::ExecutableNotFound`](crate::container::ContainerError).
///
/// ```
/// use ops::testing::{ContainerState, Exec, ExecResponse};
/// let web = ContainerState::new("web")
///     .exec(Exec::new("webkv-server backup").stdout("backed up 3 keys"))
///     .exec(Exec::new("tar").exit_code(2).stderr("tar: /data: No such file"))
///     .exec(Exec::handler("wc -c", |input| {
///         ExecResponse::exit(0).stdout(input.stdin.len().to_string())
///     }));
/// assert_eq!(web.execs.len(), 3);
/// assert_eq!(web.execs[0].prefix(), ["webkv-server", "backup"]);
/// ```
#[derive(Clone)]
pub struct Exec {
    prefix: Vec<String>,
    answer: Answer,
}

impl Exec {
    /// Commands starting with `prefix` (e.g. `"tar -c"`) exit with code 0 and no output.
    pub fn new(prefix: &str) -> Self {
        Exec {
            prefix: prefix.split_whitespace().map(str::to_owned).collect(),
            answer: Answer::Fixed(Fixed {
                code: 0,
                stdout: Vec::new(),
                stderr: Vec::new(),
            }),
        }
    }

    /// Commands starting with `prefix` are answered by `handler`, which sees the command,
    /// its environment, working directory and all of its stdin. It can also answer
    /// [`ExecResponse::hang`] (runs until signalled or timed out).
    pub fn handler(
        prefix: &str,
        handler: impl Fn(&ExecInput) -> ExecResponse + Send + Sync + 'static,
    ) -> Self {
        Exec {
            answer: Answer::Handler(Arc::new(handler)),
            ..Exec::new(prefix)
        }
    }

    /// The words a command must start with.
    pub fn prefix(&self) -> &[String] {
        &self.prefix
    }

    fn fixed(mut self, change: impl FnOnce(&mut Fixed)) -> Self {
        if let Answer::Fixed(f) = &mut self.answer {
            change(f);
        }
        self
    }

    /// Sets the exit code (for a fixed answer; a handler decides its own).
    #[must_use]
    pub fn exit_code(self, code: i32) -> Self {
        self.fixed(|f| f.code = code)
    }

    /// Sets what the command writes to stdout (for a fixed answer).
    #[must_use]
    pub fn stdout(self, data: impl Into<Vec<u8>>) -> Self {
        let data = data.into();
        self.fixed(|f| f.stdout = data)
    }

    /// Sets what the command writes to stderr (for a fixed answer).
    #[must_use]
    pub fn stderr(self, data: impl Into<Vec<u8>>) -> Self {
        let data = data.into();
        self.fixed(|f| f.stderr = data)
    }

    /// The answer for `input`.
    pub(crate) fn answer(&self, input: &ExecInput) -> ExecResponse {
        match &self.answer {
            Answer::Fixed(f) => ExecResponse::exit(f.code)
                .stdout(f.stdout.clone())
                .stderr(f.stderr.clone()),
            Answer::Handler(h) => h(input),
        }
    }
}

impl std::fmt::Debug for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Exec");
        d.field("prefix", &self.prefix);
        match &self.answer {
            Answer::Fixed(f) => d
                .field("exit_code", &f.code)
                .field("stdout", &String::from_utf8_lossy(&f.stdout))
                .field("stderr", &String::from_utf8_lossy(&f.stderr)),
            Answer::Handler(_) => d.field("answer", &"<handler>"),
        };
        d.finish()
    }
}

impl PartialEq for Exec {
    /// Same prefix and same answer (a handler is only equal to itself).
    fn eq(&self, other: &Self) -> bool {
        self.prefix == other.prefix
            && match (&self.answer, &other.answer) {
                (Answer::Fixed(a), Answer::Fixed(b)) => a == b,
                (Answer::Handler(a), Answer::Handler(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

/// A workload container as the charm's Pebble sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ContainerState {
    /// The container's name (as in the metadata).
    pub name: String,
    /// Whether Pebble answers; `false`: no socket (the charm gets "socket not found").
    pub can_connect: bool,
    /// Layers, bottom first: `(label, layer)`.
    pub layers: Vec<(String, Layer)>,
    /// Service statuses to force (services not listed are inactive until the charm starts
    /// them). An output state lists every service that is not inactive, so services the
    /// charm started are still running in the next run.
    pub service_statuses: BTreeMap<String, ServiceStatus>,
    /// Files by absolute container path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Custom notices, oldest first.
    pub notices: Vec<NoticeState>,
    /// Checks that are down, with the failure message.
    pub failing_checks: BTreeMap<String, String>,
    /// How checks stand at the start of the run, by name (see [`CheckHealth`]); a check not
    /// listed is up without failures (or inactive if its layer says `startup: disabled`).
    /// An output state lists every check that is not up without failures.
    pub check_health: BTreeMap<String, CheckHealth>,
    /// Host paths seen inside the container (see [`HostMount`]); kept in the output state.
    pub mounts: Vec<HostMount>,
    /// Request faults to inject for the run (not kept in the output state).
    pub faults: Vec<FaultRule>,
    /// The commands the charm may exec (see [`Exec`]); kept in the output state.
    pub execs: Vec<Exec>,
    /// Output: the combined plan.
    pub plan: Plan,
    /// Output: every service with its status.
    pub services: Vec<ServiceInfo>,
    /// Output: every check with its status.
    pub checks: Vec<CheckInfo>,
}

impl ContainerState {
    /// A container Pebble answers for, with nothing in it.
    pub fn new(name: &str) -> Self {
        ContainerState {
            name: name.to_owned(),
            can_connect: true,
            layers: Vec::new(),
            service_statuses: BTreeMap::new(),
            files: BTreeMap::new(),
            notices: Vec::new(),
            failing_checks: BTreeMap::new(),
            check_health: BTreeMap::new(),
            mounts: Vec::new(),
            faults: Vec::new(),
            execs: Vec::new(),
            plan: Plan::default(),
            services: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Sets whether Pebble answers.
    #[must_use]
    pub fn can_connect(mut self, can_connect: bool) -> Self {
        self.can_connect = can_connect;
        self
    }

    /// Adds a layer from YAML; an invalid layer is an error saying why.
    pub fn layer(mut self, label: &str, yaml: &str) -> Result<Self, RunError> {
        let layer = Layer::from_yaml(yaml).map_err(|e| RunError::Inconsistent {
            problem: format!(
                "layer {label:?} of container {:?} is invalid: {e}",
                self.name
            ),
        })?;
        self.layers.push((label.to_owned(), layer));
        Ok(self)
    }

    /// Forces a service's status (kept in the output state, and so forced again on the next
    /// run, as long as the service is not inactive).
    #[must_use]
    pub fn service_status(mut self, service: &str, status: ServiceStatus) -> Self {
        self.service_statuses.insert(service.to_owned(), status);
        self
    }

    /// Puts a file at an absolute container path.
    #[must_use]
    pub fn file(mut self, path: &str, content: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.to_owned(), content.into());
        self
    }

    /// Adds a custom notice. Without an id it gets the next one in this container (one
    /// more than the highest), which it keeps across runs.
    #[must_use]
    pub fn notice(mut self, mut notice: NoticeState) -> Self {
        if notice.id.is_none() {
            notice.id = Some(self.next_notice_id().to_string());
        }
        self.notices.push(notice);
        self
    }

    /// The custom notice with `key`, if present.
    pub fn notice_by_key(&self, key: &str) -> Option<&NoticeState> {
        self.notices.iter().find(|n| n.key == key)
    }

    /// One more than the highest numeric notice id.
    fn next_notice_id(&self) -> u64 {
        self.notices
            .iter()
            .filter_map(|n| n.id.as_deref()?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1
    }

    /// Each notice's id in the simulated Pebble, in state order: its own, or (for a notice
    /// without a usable one) the next free id. Used for seeding and for deferred entries.
    pub(crate) fn notice_ids(&self) -> Vec<u64> {
        let mut next = self.next_notice_id();
        let mut seen = std::collections::BTreeSet::new();
        self.notices
            .iter()
            .map(
                |n| match n.id.as_deref().and_then(|i| i.parse::<u64>().ok()) {
                    Some(id) if id > 0 && seen.insert(id) => id,
                    _ => {
                        let id = next;
                        next += 1;
                        seen.insert(id);
                        id
                    }
                },
            )
            .collect()
    }

    /// The id the notice with `key` has in the simulated Pebble.
    pub(crate) fn notice_id_of(&self, key: &str) -> Option<u64> {
        let pos = self.notices.iter().position(|n| n.key == key)?;
        self.notice_ids().get(pos).copied()
    }

    /// Marks a check (from the layers) as down with `message`.
    #[must_use]
    pub fn failing_check(mut self, check: &str, message: &str) -> Self {
        self.failing_checks
            .insert(check.to_owned(), message.to_owned());
        self
    }

    /// Sets how a check stands at the start of the run: up with failures, down, or
    /// stopped (see [`CheckHealth`]).
    #[must_use]
    pub fn check_health(mut self, health: CheckHealth) -> Self {
        self.check_health.insert(health.name.clone(), health);
        self
    }

    /// Maps a host directory or file into the container (see [`HostMount`]).
    #[must_use]
    pub fn mount(mut self, mount: HostMount) -> Self {
        self.mounts.retain(|m| m.location != mount.location);
        self.mounts.push(mount);
        self
    }

    /// Injects a request fault for the run (an error answer, a dropped connection, ...).
    /// For the common outages, [`ContainerState::pebble_fault`] is simpler.
    #[must_use]
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Injects a [`PebbleFault`] for the run: Pebble unreachable, closing connections a number
    /// of times, or answering with an error.
    #[must_use]
    pub fn pebble_fault(mut self, fault: PebbleFault) -> Self {
        match fault.rule() {
            Some(rule) => self.faults.push(rule),
            None => self.can_connect = false,
        }
        self
    }

    /// Lets the charm exec commands starting with the [`Exec`]'s prefix (one with the same
    /// prefix is replaced). What the charm ran is in the run's
    /// [`Output::exec_history`](crate::testing::Output::exec_history).
    #[must_use]
    pub fn exec(mut self, exec: Exec) -> Self {
        self.execs.retain(|e| e.prefix != exec.prefix);
        self.execs.push(exec);
        self
    }

    /// A file's content as text (lossy), if present.
    pub fn file_text(&self, path: &str) -> Option<String> {
        self.files
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// A service's status, if the plan has it.
    pub fn service(&self, name: &str) -> Option<&ServiceInfo> {
        self.services.iter().find(|s| s.name == name)
    }
}
