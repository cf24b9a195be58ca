//! A simulated Pebble: Pebble's real wire protocol on a unix socket, with in-memory state.
//!
//! [`SimPebble`] serves system-info, health, changes (with the `wait` long poll), services
//! (driven through changes and tasks by a [`ServiceBackend`]), plan and layers, files (mapped
//! under a root directory), checks (run for real with real processes, see
//! [`SimBuilder::run_checks`]), signals, identities, notices (with the long poll) and logs
//! (whole or followed), as Pebble 1.3x does: same status codes, envelopes, error messages and
//! kinds. `pebble-client/tests/conformance/` runs the same tests against it and the real
//! Pebble. Exec
//! (`POST /v1/exec` and the task websockets) runs commands registered with
//! [`SimPebble::exec_handler`], or real child processes when
//! [`SimBuilder::real_exec`] is on.
//!
//! A test can inspect and change the state through the handle, and inject faults: an absent
//! socket, refused or dropped connections, resets after the request, delays, error envelopes,
//! garbage bodies and `maintenance` answers ([`Fault`], [`FaultRule`]).
//!
//! # Example
//! ```
//! use pebble_client::testing::{Fault, FaultRule, SimPebble};
//! let dir = tempfile::tempdir()?;
//! let sim = SimPebble::start(dir.path().join("pebble.socket"))?;
//! sim.add_layer("base", "services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n")?;
//! sim.inject(FaultRule::new(Fault::error(500, "boom")).path("/v1/services").times(1));
//! assert_eq!(sim.requests("/v1/services"), 0);
//! sim.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod api;
mod check_runner;
mod exec;
mod faults;
mod process;
mod response;
mod router;
mod server;
mod sim_view;
mod state;
mod users;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;

pub use exec::{ExecInput, ExecRecord, ExecResponse};
pub use faults::{Fault, FaultRule, Garbage};
pub use process::{
    CommandError, LogLine, LogStream, ProcessBackend, ProcessOptions, ServiceCommand, ServiceExit,
};
pub use response::ErrorReply;
pub use sim_view::SimView;
pub use state::services::{BoxFuture, ServiceBackend, SimulatedBackend};

use faults::FaultState;
use server::Listen;
use state::State;
use state::files::Files;

/// Why the simulator could not start or a handle call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Another live server answers on the socket path; stop it or pick another path.
    #[error("socket {0:?} already in use")]
    SocketInUse(PathBuf),
    /// The socket could not be created (directory missing or not writable?).
    #[error("cannot listen on {0:?}: {1}")]
    Bind(PathBuf, #[source] std::io::Error),
    /// The root directory could not be created.
    #[error("cannot create the file root: {0}")]
    Root(#[source] std::io::Error),
    /// The server's runtime or thread could not be started.
    #[error("cannot start the simulator runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// A layer, check or notice given by the test was rejected; the message says why.
    #[error("{0}")]
    Rejected(String),
}

/// The state shared by the server tasks and the handle.
pub(crate) struct Shared {
    state: Mutex<State>,
    faults: Mutex<FaultState>,
    pub(crate) clock: wire::Clock,
    events: watch::Sender<u64>,
    pub(crate) listen: watch::Sender<Listen>,
    pub(crate) backend: Arc<dyn ServiceBackend>,
    /// The process backend, when services run as real processes.
    pub(crate) processes: Option<ProcessBackend>,
    /// The exit code a service's shutdown action asked for, if one did.
    pub(crate) shutdown_request: watch::Sender<Option<i32>>,
    pub(crate) files: Files,
    pub(crate) socket: PathBuf,
    pub(crate) boot_id: String,
    pub(crate) version: String,
    pub(crate) daemon_uid: u32,
    pub(crate) exec: exec::ExecSim,
    /// Whether checks run for real (exec, HTTP, TCP); otherwise they stay up unless a test
    /// forces them down.
    pub(crate) run_checks: bool,
    /// The runners of running checks, for `POST /v1/checks/refresh`.
    pub(crate) check_runners: check_runner::Runners,
    /// The runtime the server runs on (for tasks started from the test's thread).
    pub(crate) runtime: std::sync::OnceLock<tokio::runtime::Handle>,
    /// This, for tasks that need to own it.
    me: std::sync::Weak<Shared>,
}

impl Shared {
    /// Runs `f` on the locked state with the current simulated time; wakes long polls if the
    /// state asked for it.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, OffsetDateTime) -> R) -> R {
        let now = self.clock.now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let r = f(&mut st, now);
        if std::mem::take(&mut st.wake) {
            self.events.send_modify(|n| *n = n.wrapping_add(1));
        }
        let runs = std::mem::take(&mut st.checks.to_run);
        drop(st);
        if self.run_checks {
            for (name, change, generation) in runs {
                self.spawn_check(name, change, generation);
            }
        }
        r
    }

    /// Starts the runner of a check's change on the server's runtime.
    fn spawn_check(&self, name: String, change: u64, generation: u64) {
        let (Some(me), Some(rt)) = (self.me.upgrade(), self.runtime.get()) else {
            return;
        };
        rt.spawn(check_runner::run(me, name, change, generation));
    }

    /// The fault settings.
    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `check` returns `Some`, or the timeout (if any) passes.
    pub(crate) async fn wait_for<R>(
        &self,
        timeout: Option<Duration>,
        mut check: impl FnMut(&State) -> Option<R>,
    ) -> Option<R> {
        let mut events = self.events.subscribe();
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        loop {
            events.borrow_and_update();
            if let Some(r) = self.with(|st, _| check(st)) {
                return Some(r);
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, events.changed()).await.is_err() {
                        return None;
                    }
                }
                None => {
                    if events.changed().await.is_err() {
                        return None;
                    }
                }
            }
        }
    }
}

/// Options for a simulator.
#[must_use]
pub struct SimBuilder {
    socket: PathBuf,
    root: Option<PathBuf>,
    backend: Arc<dyn ServiceBackend>,
    processes: Option<ProcessBackend>,
    version: String,
    exec: exec::ExecSettings,
    layers: Vec<(String, String)>,
    run_checks: Option<bool>,
}

impl SimBuilder {
    /// A layer (YAML) in the plan from the start, as Pebble loads `$PEBBLE/layers/*.yaml`
    /// before it serves: no client ever sees the plan without it. Layers are added in the
    /// order given; a bad one fails [`start`](Self::start).
    pub fn layer(mut self, label: impl Into<String>, yaml: impl Into<String>) -> SimBuilder {
        self.layers.push((label.into(), yaml.into()));
        self
    }

    /// Runs checks for real: exec checks as processes on this host, HTTP and TCP checks
    /// against their address, each at its period with its timeout and threshold (default:
    /// on with [`real_processes`](Self::real_processes), off otherwise, when checks stay up
    /// unless a test forces them down with [`SimPebble::fail_check`]).
    pub fn run_checks(mut self, run: bool) -> SimBuilder {
        self.run_checks = Some(run);
        self
    }

    /// Maps container paths under `root` instead of a fresh temporary directory.
    pub fn root(mut self, root: impl Into<PathBuf>) -> SimBuilder {
        self.root = Some(root.into());
        self
    }

    /// Runs services through `backend` instead of [`SimulatedBackend`].
    pub fn backend(mut self, backend: impl ServiceBackend) -> SimBuilder {
        self.backend = Arc::new(backend);
        self.processes = None;
        self
    }

    /// Runs services as real child processes with a [`ProcessBackend`] (see its docs for
    /// how commands, paths, environment, exits and signals are treated).
    pub fn real_processes(mut self, options: ProcessOptions) -> SimBuilder {
        let backend = ProcessBackend::new(options);
        self.backend = Arc::new(backend.clone());
        self.processes = Some(backend);
        self
    }

    /// The version `GET /v1/system-info` reports (default `v1.32.1`).
    pub fn version(mut self, version: impl Into<String>) -> SimBuilder {
        self.version = version.into();
        self
    }

    fn prepare(
        self,
    ) -> Result<
        (
            Arc<Shared>,
            std::os::unix::net::UnixListener,
            Option<tempfile::TempDir>,
        ),
        SimError,
    > {
        let (root, tmp) = match self.root {
            Some(r) => {
                std::fs::create_dir_all(&r).map_err(SimError::Root)?;
                (r, None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("pebble-sim-root")
                    .tempdir()
                    .map_err(SimError::Root)?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let listener = server::bind(&self.socket)?;
        let daemon_uid = std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata(&self.socket).map_err(|e| SimError::Bind(self.socket.clone(), e))?,
        );
        let boot_id = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            fastrand::u32(..),
            fastrand::u16(..),
            fastrand::u16(..0x1000),
            fastrand::u16(0x8000..0xc000),
            fastrand::u64(..1 << 48)
        );
        let run_checks = self.run_checks.unwrap_or(self.processes.is_some());
        let shared = Arc::new_cyclic(|me| Shared {
            state: Mutex::new(State::default()),
            faults: Mutex::new(FaultState::default()),
            clock: wire::Clock::default(),
            events: watch::channel(0).0,
            listen: watch::channel(Listen::Serving).0,
            backend: self.backend,
            processes: self.processes,
            shutdown_request: watch::channel(None).0,
            files: Files::new(root),
            socket: self.socket,
            boot_id,
            version: self.version,
            daemon_uid,
            exec: exec::ExecSim::new(self.exec),
            run_checks,
            check_runners: check_runner::Runners::default(),
            runtime: std::sync::OnceLock::new(),
            me: me.clone(),
        });
        shared.backend.attach(SimView::new(&shared));
        for (label, yaml) in &self.layers {
            let layer = crate::types::Layer::from_yaml(yaml)
                .map_err(|e| SimError::Rejected(format!("layer {label}: {e}")))?;
            shared.with(|st, now| {
                st.plan
                    .add_layer(label, false, layer)
                    .map_err(|e| SimError::Rejected(format!("layer {label}: {e}")))?;
                state::checks::sync(st, now);
                Ok::<(), SimError>(())
            })?;
        }
        Ok((shared, listener, tmp))
    }

    /// Starts the server on its own thread with its own runtime (for sync tests and the
    /// blocking client).
    pub fn start(self) -> Result<SimPebble, SimError> {
        let (shared, listener, tmp) = self.prepare()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let _ = shared.runtime.set(rt.handle().clone());
        let run_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("pebble-sim".into())
            .spawn(move || rt.block_on(server::run(run_shared, listener)))
            .map_err(SimError::Runtime)?;
        Ok(SimPebble {
            shared,
            thread: Some(thread),
            _root: tmp,
        })
    }

    /// Starts the server as a task of the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn` does).
    pub fn spawn(self) -> Result<SimPebble, SimError> {
        let (shared, listener, tmp) = self.prepare()?;
        let _ = shared.runtime.set(tokio::runtime::Handle::current());
        tokio::spawn(server::run(shared.clone(), listener));
        Ok(SimPebble {
            shared,
            thread: None,
            _root: tmp,
        })
    }
}

/// A running simulated Pebble. Dropping it shuts the server down and removes the socket.
pub struct SimPebble {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    _root: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for SimPebble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimPebble")
            .field("socket", &self.shared.socket)
            .finish_non_exhaustive()
    }
}

mod handle;

impl SimPebble {
    /// Options for a simulator on `socket`.
    pub fn builder(socket: impl Into<PathBuf>) -> SimBuilder {
        SimBuilder {
            socket: socket.into(),
            root: None,
            backend: Arc::new(SimulatedBackend),
            processes: None,
            version: "v1.32.1".into(),
            exec: exec::ExecSettings::default(),
            layers: Vec::new(),
            run_checks: None,
        }
    }

    /// Starts a simulator on `socket` on its own thread, files under a temporary root.
    pub fn start(socket: impl Into<PathBuf>) -> Result<SimPebble, SimError> {
        SimPebble::builder(socket).start()
    }

    /// Starts a simulator on `socket` inside the current tokio runtime.
    pub fn spawn(socket: impl Into<PathBuf>) -> Result<SimPebble, SimError> {
        SimPebble::builder(socket).spawn()
    }

    /// The socket path.
    pub fn socket_path(&self) -> &Path {
        &self.shared.socket
    }

    /// The host directory container paths are mapped under.
    pub fn root(&self) -> &Path {
        self.shared.files.root()
    }

    /// The boot id `GET /v1/system-info` reports (stable for this server's life).
    pub fn boot_id(&self) -> &str {
        &self.shared.boot_id
    }

    /// Stops every service process (real processes only), stops serving, removes the
    /// socket, and (for [`SimBuilder::start`]) joins the thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.backend.shutdown();
        self.shared.listen.send_replace(Listen::Stopped);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SimPebble {
    fn drop(&mut self) {
        self.stop();
    }
}

fn _assert_impls() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SimPebble>();
    send_sync::<Shared>();
}
