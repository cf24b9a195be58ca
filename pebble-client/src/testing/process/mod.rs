//! Real child processes for the simulated Pebble's services: see [`ProcessBackend`].

mod command;
mod handle;
pub(crate) mod logs;
mod signals;
mod spawn;
mod supervisor;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub(crate) use command::split as split_command;
pub use command::{CommandError, ServiceCommand};
pub use logs::{LogLine, LogStream};
pub use spawn::ServiceExit;
pub(crate) use spawn::map_container_path;

/// A working directory as a command of the simulator uses it: under the root when it exists
/// there, else the host's.
pub(crate) fn map_working_dir(root: &Path, dir: &str) -> PathBuf {
    let under = root.join(dir.trim_start_matches('/'));
    if under.is_dir() {
        under
    } else {
        PathBuf::from(dir)
    }
}

use spawn::Launch;
use supervisor::{Outcome, Supervisor};

use super::SimView;
use super::state::services::{BoxFuture, ServiceBackend};
use crate::types::Service;

/// Options for the process backend.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProcessOptions {
    okay_delay: Duration,
    shutdown_grace: Duration,
    pebble_binary: Option<PathBuf>,
    echo_output: bool,
    map_paths: bool,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        ProcessOptions {
            okay_delay: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(1),
            pebble_binary: None,
            echo_output: false,
            map_paths: false,
        }
    }
}

impl ProcessOptions {
    /// Pebble's settings: a 1 s okay delay, 1 s shutdown grace, no `pebble` command.
    pub fn new() -> ProcessOptions {
        ProcessOptions::default()
    }

    /// How long a started process must stay up for its start to succeed (Pebble: 1 s).
    pub fn okay_delay(mut self, delay: Duration) -> ProcessOptions {
        self.okay_delay = delay;
        self
    }

    /// How long shutdown waits after SIGTERM before it SIGKILLs every process group.
    pub fn shutdown_grace(mut self, grace: Duration) -> ProcessOptions {
        self.shutdown_grace = grace;
        self
    }

    /// Also writes every line services print to stderr, as `[service] line` (as Pebble
    /// logs its services' output). Off by default.
    pub fn echo_output(mut self, echo: bool) -> ProcessOptions {
        self.echo_output = echo;
        self
    }

    /// Also maps container paths in a service's **arguments** and **environment values**
    /// under the simulator's root (off by default).
    ///
    /// Services run on the host, not in a chroot, so a command such as
    /// `/bin/sh /usr/local/bin/start` with `CONFIG=/etc/app/config.json` in its environment
    /// would read the host's files. With this on, every argument after the program and
    /// every value of the service's `environment` that is an absolute path is replaced by
    /// the same path under the root when that file exists there, or when its parent
    /// directory (other than `/`) does; anything else is left as it is (`/bin/sh`, `-c`,
    /// `8080`, `/usr/bin:/bin`, a path whose directory the container lacks). The program
    /// and `working-dir` are mapped the same way whether or not this is on (the program
    /// only when the file itself exists under the root).
    ///
    /// It cannot reach paths a program reads from its own configuration files; give such
    /// paths to the workload through its arguments or environment to have them mapped.
    ///
    /// # Example
    /// ```
    /// use pebble_client::testing::ProcessOptions;
    /// let options = ProcessOptions::new().map_paths_under_root(true);
    /// # let _ = options;
    /// ```
    pub fn map_paths_under_root(mut self, map: bool) -> ProcessOptions {
        self.map_paths = map;
        self
    }

    /// The `pebble-sim` executable that workloads run as `pebble` (a symlink named
    /// `pebble` to it goes first on their `PATH`). Without it, workloads get no `pebble`.
    pub fn pebble_binary(mut self, path: impl Into<PathBuf>) -> ProcessOptions {
        self.pebble_binary = Some(path.into());
        self
    }
}

/// The service backend that runs real child processes.
///
/// With [`SimBuilder::real_processes`](crate::testing::SimBuilder::real_processes) (or
/// `pebble-sim serve --real-processes`), starting a service runs its `command` as a child
/// process of the simulator, as Pebble's service manager does:
///
/// - The command is split as Pebble splits it (quotes, escapes, a trailing `[ ... ]` group of
///   default arguments; no shell), and runs **on the host** in a process group of its own.
///   The program (when an absolute path) and `working-dir` are taken under the simulator's
///   root when they exist there, otherwise as given; with
///   [`ProcessOptions::map_paths_under_root`], so are absolute paths among the arguments
///   and the environment's values. Without `working-dir` the process
///   inherits the simulator's working directory. `user`/`group` are not applied: services
///   run as the simulator's user.
/// - The environment is a clean base (`PATH`, and `HOME`, `USER`, `LANG`, `LC_ALL`, `TZ`
///   when set), `PEBBLE_SOCKET` = the simulator's socket, then the service's
///   `environment`. With [`ProcessOptions::pebble_binary`], a directory holding a `pebble`
///   symlink to that `pebble-sim` binary goes first on `PATH`, so the workload can run
///   `pebble notify <key> [name=value...]`.
/// - Stdout and stderr are kept per service, the last ~100 KiB
///   ([`SimPebble::service_logs`](crate::testing::SimPebble::service_logs)), logged at
///   debug level, and echoed to stderr with [`ProcessOptions::echo_output`].
/// - A start task waits the okay delay (1 s, [`ProcessOptions::okay_delay`]); a process
///   that exits before fails it with `service start attempt: exited quickly with code N,
///   will <action>`, after a task log line quoting its last 20 lines of output (`Most recent
///   service output:`), as Pebble does.
/// - A stop sends SIGTERM to the group, then SIGKILL after `kill-delay` (default 5 s); the
///   task completes when the process is gone.
/// - When a process exits on its own, `on-success`/`on-failure` apply: `restart` (default)
///   waits in `backoff` (backoff-delay × backoff-factor per restart, up to backoff-limit,
///   reset after running for backoff-limit) then starts it again; `ignore` leaves it
///   `inactive` (exit 0) or `error`; `shutdown`, `success-shutdown` and
///   `failure-shutdown` leave it `error` and record a shutdown request with Pebble's exit
///   code (0 or 10), which the simulator does not act on by itself
///   ([`SimPebble::shutdown_requested`](crate::testing::SimPebble::shutdown_requested)).
/// - `POST /v1/signals` sends the signal to the service's process group.
/// - Shutting the simulator down (or dropping it) sends SIGTERM to every group, waits up to
///   [`ProcessOptions::shutdown_grace`], then SIGKILLs every group and reaps the children.
///
/// Clones share the same processes, so a test may keep one to inspect logs and exits.
#[derive(Clone)]
pub struct ProcessBackend {
    sup: Arc<Supervisor>,
    shim: Arc<OnceLock<tempfile::TempDir>>,
}

impl std::fmt::Debug for ProcessBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessBackend")
            .field("options", &self.sup.opts)
            .finish_non_exhaustive()
    }
}

impl ProcessBackend {
    /// A backend with `options`; it runs nothing until attached to a simulator.
    pub fn new(options: ProcessOptions) -> ProcessBackend {
        ProcessBackend {
            sup: Supervisor::new(options),
            shim: Arc::new(OnceLock::new()),
        }
    }

    /// The service's captured output, oldest line first (kept across restarts).
    pub fn logs(&self, service: &str) -> Vec<LogLine> {
        self.sup.logs(service)
    }

    /// The output rings of the named services that have run (for `GET /v1/logs`).
    pub(crate) fn log_rings(&self, names: &[String]) -> Vec<(String, Arc<logs::LogRing>)> {
        self.sup.log_rings(names)
    }

    /// How the service's last process ended, if one did.
    pub fn last_exit(&self, service: &str) -> Option<ServiceExit> {
        self.sup.last_exit(service)
    }

    /// The pid (and process group id) of the service's running process.
    pub fn pid(&self, service: &str) -> Option<u32> {
        self.sup.pid(service)
    }

    /// Whether container paths in arguments and environment values are mapped under the
    /// root ([`ProcessOptions::map_paths_under_root`]); real exec'd commands follow it too.
    pub fn maps_paths(&self) -> bool {
        self.sup.opts.map_paths
    }

    /// The directory holding the `pebble` command given to workloads, if there is one.
    pub fn shim_dir(&self) -> Option<&Path> {
        self.shim.get().map(tempfile::TempDir::path)
    }

    fn make_shim(&self) -> Option<PathBuf> {
        let Some(binary) = &self.sup.opts.pebble_binary else {
            tracing::debug!(
                "no pebble-sim binary configured: workloads get no `pebble` command on PATH"
            );
            return None;
        };
        let made = (|| {
            let binary = std::path::absolute(binary)?;
            let dir = tempfile::Builder::new()
                .prefix("pebble-sim-bin")
                .tempdir()?;
            std::os::unix::fs::symlink(&binary, dir.path().join("pebble"))?;
            Ok::<_, std::io::Error>(dir)
        })();
        match made {
            Ok(dir) => {
                let path = dir.path().to_path_buf();
                // A second attach keeps the first directory.
                Some(match self.shim.set(dir) {
                    Ok(()) => path,
                    Err(_) => self.shim.get().map_or(path, |d| d.path().to_path_buf()),
                })
            }
            Err(e) => {
                tracing::warn!("cannot make the `pebble` command for workloads: {e}");
                None
            }
        }
    }
}

impl ServiceBackend for ProcessBackend {
    fn attach(&self, sim: SimView) {
        let launch = Launch {
            root: sim.root().to_path_buf(),
            socket: sim.socket_path().to_path_buf(),
            shim_dir: self.make_shim(),
            map_paths: self.sup.opts.map_paths,
        };
        self.sup.attach(sim, launch);
    }

    fn tracks_status(&self) -> bool {
        true
    }

    fn shutdown(&self) {
        self.sup.shutdown();
    }

    fn start(&self, name: &str, service: &Service) -> BoxFuture<Result<(), String>> {
        let sup = self.sup.clone();
        let name = name.to_owned();
        let service = service.clone();
        Box::pin(async move {
            sup.remember_runtime();
            let outcome = sup.start(&name, &service);
            wait(outcome).await
        })
    }

    fn stop(&self, name: &str, _service: &Service) -> BoxFuture<Result<(), String>> {
        let sup = self.sup.clone();
        let name = name.to_owned();
        Box::pin(async move {
            sup.remember_runtime();
            let outcome = sup.stop(&name);
            wait(outcome).await
        })
    }

    fn signal(&self, name: &str, signal: &str) -> Result<(), String> {
        let sig =
            signals::by_name(signal).ok_or_else(|| format!("invalid signal name {signal:?}"))?;
        self.sup.signal(name, sig)
    }
}

async fn wait(outcome: Outcome) -> Result<(), String> {
    match outcome {
        Outcome::Done(r) => r,
        Outcome::Wait(rx) => rx
            .await
            .unwrap_or_else(|_| Err("the simulator is shutting down".into())),
    }
}
