//! One server per test: a simulated Pebble, or the real one in a temporary `PEBBLE` directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use pebble_client::retry::RetryPolicy;
use pebble_client::testing::{ProcessOptions, SimPebble};
use pebble_client::{Client, ServiceStatus};

/// Which server a run uses.
#[derive(Debug, Clone)]
pub enum Server {
    /// pebble-sim, in process, with real service processes and real exec.
    Sim,
    /// The real Pebble binary at this path.
    Real(PathBuf),
}

impl Server {
    /// A short label for test lines: `sim` or `real`.
    pub fn label(&self) -> &'static str {
        match self {
            Server::Sim => "sim",
            Server::Real(_) => "real",
        }
    }

    /// A longer name for the tally.
    pub fn describe(&self) -> String {
        match self {
            Server::Sim => "against pebble-sim".into(),
            Server::Real(bin) => format!("against real Pebble ({})", bin.display()),
        }
    }
}

/// A running server (or one stopped by the test), its directory and a client.
pub struct Pebble {
    server: Server,
    /// The `PEBBLE` directory (real) or the directory holding the socket (sim); test files
    /// go under `files/` in it.
    dir: tempfile::TempDir,
    running: std::sync::Mutex<Running>,
}

enum Running {
    Sim(SimPebble),
    Real(std::process::Child),
    Stopped,
}

/// How long a bounded wait in a test may take before it fails (generous: a loaded machine).
pub const PATIENCE: Duration = Duration::from_secs(30);

impl Pebble {
    /// Starts a fresh server.
    pub async fn start(server: &Server) -> Pebble {
        let dir = tempfile::Builder::new()
            .prefix("pebble-conformance")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("files")).unwrap();
        let p = Pebble {
            server: server.clone(),
            dir,
            running: std::sync::Mutex::new(Running::Stopped),
        };
        p.restart().await;
        p
    }

    /// Whether this is the real Pebble (tests say why where the two must differ).
    pub fn is_real(&self) -> bool {
        matches!(self.server, Server::Real(_))
    }

    /// The socket path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join(".pebble.socket")
    }

    /// The `PEBBLE` directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A client with the default settings (retry included).
    pub fn client(&self) -> Client {
        Client::new(self.socket()).unwrap()
    }

    /// A client that makes one attempt per call.
    pub fn client_no_retry(&self) -> Client {
        Client::builder(self.socket())
            .retry(RetryPolicy::never())
            .build()
            .unwrap()
    }

    /// An absolute path for test files: a directory of this test's own, the same path on
    /// both servers (the sim maps it under its root).
    pub fn path(&self, name: &str) -> String {
        let base = self.dir.path().join("files");
        format!("{}/{name}", base.display())
    }

    /// Where a path given to the server is on this host (for checking ownership and modes).
    pub fn host_path(&self, path: &str) -> PathBuf {
        match &*self.running.lock().unwrap() {
            Running::Sim(sim) => sim.host_path(path).unwrap(),
            _ => PathBuf::from(path),
        }
    }

    /// Stops the server (the real one with SIGTERM, as a container stop would).
    pub async fn stop(&self) {
        let running = std::mem::replace(&mut *self.running.lock().unwrap(), Running::Stopped);
        match running {
            Running::Sim(sim) => {
                tokio::task::spawn_blocking(move || sim.shutdown())
                    .await
                    .unwrap();
            }
            Running::Real(mut child) => {
                tokio::task::spawn_blocking(move || stop_child(&mut child))
                    .await
                    .unwrap();
            }
            Running::Stopped => {}
        }
    }

    /// Starts the server again (after [`stop`](Self::stop)); waits until it answers. The real
    /// Pebble keeps its state in the directory; the sim starts empty.
    pub async fn restart(&self) {
        self.stop().await;
        let started = match &self.server {
            Server::Sim => {
                let sim = SimPebble::builder(self.socket())
                    .real_processes(ProcessOptions::new())
                    .real_exec(true)
                    .start()
                    .unwrap();
                // The test's file directory exists in the sim's "container" too.
                let files = self.dir.path().join("files");
                std::fs::create_dir_all(sim.host_path(&files.to_string_lossy()).unwrap()).unwrap();
                Running::Sim(sim)
            }
            Server::Real(bin) => {
                let log = std::fs::File::create(self.dir.path().join("pebble.log")).unwrap();
                let child = std::process::Command::new(bin)
                    .args(["run", "--create-dirs"])
                    .env("PEBBLE", self.dir.path())
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .spawn()
                    .unwrap();
                Running::Real(child)
            }
        };
        *self.running.lock().unwrap() = started;
        let socket = self.socket();
        until("the server to answer", || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        })
        .await;
    }

    /// The sim, for what only a test of the sim can do (`None` on the real Pebble).
    pub fn with_sim<R>(&self, f: impl FnOnce(&SimPebble) -> R) -> Option<R> {
        match &*self.running.lock().unwrap() {
            Running::Sim(sim) => Some(f(sim)),
            _ => None,
        }
    }

    /// Adds a layer through the API (not combined).
    pub async fn layer(&self, label: &str, yaml: &str) {
        self.client()
            .add_layer_yaml(label, yaml, false)
            .await
            .unwrap();
    }

    /// Runs `pebble <args>` as a workload would: the real CLI with `PEBBLE` set. `None` on
    /// the sim (whose CLI is a separate binary outside this crate).
    pub fn cli(&self, args: &[&str]) -> Option<std::process::Output> {
        let Server::Real(bin) = &self.server else {
            return None;
        };
        Some(
            std::process::Command::new(bin)
                .args(args)
                .env("PEBBLE", self.dir.path())
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        )
    }

    /// Waits until the service has this status.
    pub async fn until_service(&self, name: &str, want: ServiceStatus) {
        let client = self.client();
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let now = client.get_services(&[name]).await.unwrap();
            if now.first().is_some_and(|s| s.current == want) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "service {name} never became {want}: {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let running = std::mem::replace(
            self.running.get_mut().unwrap_or_else(|e| e.into_inner()),
            Running::Stopped,
        );
        if let Running::Real(mut child) = running {
            stop_child(&mut child);
        }
    }
}

/// SIGTERM, then SIGKILL after 10 s.
fn stop_child(child: &mut std::process::Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Polls until `check` holds, failing the test after [`PATIENCE`].
pub async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A layer with one service running `script` under `/bin/sh -c`, plus extra YAML lines
/// (indented by 4 under the service).
pub fn service_layer(name: &str, script: &str, extra: &[&str]) -> String {
    let command = serde_json::to_string(&format!("/bin/sh -c {}", shell_quote(script))).unwrap();
    let mut yaml = format!("services:\n  {name}:\n    override: replace\n    command: {command}\n");
    for line in extra {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml
}

/// `'...'` quoting for a shell word.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}
