//! Launching one service process: its argument vector, environment and working directory,
//! a process group of its own, output captured into its log ring, and a thread that reaps
//! it and reports how it exited.
//!
//! Paths: commands run on the host. A container path (the program when absolute, and
//! `working-dir`) is used under the simulator's root when it exists there (files pushed
//! into the "container"), otherwise as given on the host (`/bin/sh`). With path mapping on,
//! absolute paths among the arguments and environment values are mapped too, when the file
//! or its parent directory exists under the root (`map_container_path`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::command::ServiceCommand;
use super::logs::{LogRing, LogStream};
use super::signals::Group;
use crate::types::Service;

/// The default `PATH` when the simulator's own environment has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Host variables passed on to services (besides `PATH`), when set.
const PASSED_ON: [&str; 5] = ["HOME", "USER", "LANG", "LC_ALL", "TZ"];

/// How a service process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceExit {
    /// The exit code, or -1 when a signal ended it (as Pebble reports it).
    pub code: i32,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
}

impl ServiceExit {
    fn from_status(status: std::process::ExitStatus) -> ServiceExit {
        ServiceExit {
            code: status.code().unwrap_or(-1),
            signal: status.signal(),
        }
    }

    /// Whether the process exited with code 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

/// What every launch of this simulator's services shares.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    /// The simulator's root, for container paths.
    pub root: PathBuf,
    /// The simulator's socket (absolute), given as `PEBBLE_SOCKET`.
    pub socket: PathBuf,
    /// A directory holding the `pebble` command, put first on `PATH`.
    pub shim_dir: Option<PathBuf>,
    /// Whether arguments and environment values are mapped under the root too.
    pub map_paths: bool,
}

impl Launch {
    /// A container path under the root when it exists there, else the path as given.
    pub(crate) fn map_path(&self, path: &str) -> PathBuf {
        if let Some(rel) = path.strip_prefix('/') {
            let under = self.root.join(rel);
            if !rel.is_empty() && under.exists() {
                return under;
            }
        }
        PathBuf::from(path)
    }

    /// An argument or environment value: with path mapping on, an absolute container path
    /// is taken under the root when the file exists there or its parent directory (not `/`)
    /// does; anything else, or with mapping off, is returned as it is.
    pub(crate) fn map_value(&self, value: &str) -> OsString {
        match self.map_paths {
            true => map_container_path(&self.root, value).map_or_else(|| value.into(), Into::into),
            false => value.into(),
        }
    }

    /// The environment: passed-on host variables, `PEBBLE_SOCKET`, then the service's own;
    /// the shim directory goes first on the resulting `PATH`.
    pub(crate) fn environment(&self, service: &Service) -> BTreeMap<String, OsString> {
        let mut env: BTreeMap<String, OsString> = BTreeMap::new();
        env.insert(
            "PATH".into(),
            std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
        );
        for key in PASSED_ON {
            if let Some(v) = std::env::var_os(key) {
                env.insert(key.into(), v);
            }
        }
        env.insert("PEBBLE_SOCKET".into(), self.socket.clone().into_os_string());
        for (k, v) in &service.environment {
            env.insert(k.clone(), self.map_value(v));
        }
        if let Some(shim) = &self.shim_dir {
            let mut path = shim.clone().into_os_string();
            if let Some(rest) = env.get("PATH").filter(|p| !p.is_empty()) {
                path.push(":");
                path.push(rest);
            }
            env.insert("PATH".into(), path);
        }
        env
    }
}

/// The host path for `value` when it is an absolute container path whose file exists under
/// `root`, or whose parent directory (other than `/`) does; `None` otherwise.
pub(crate) fn map_container_path(root: &Path, value: &str) -> Option<PathBuf> {
    let rel = value.strip_prefix('/')?;
    if rel.is_empty() || rel.starts_with('/') {
        return None;
    }
    let under = root.join(rel);
    let parent_there = Path::new(rel)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .is_some_and(|p| root.join(p).is_dir());
    (parent_there || std::fs::symlink_metadata(&under).is_ok()).then_some(under)
}

/// A launched service process.
#[derive(Debug)]
pub(crate) struct Spawned {
    pub pid: u32,
    pub group: Group,
    /// The thread that reaps the process and reports its exit.
    pub waiter: JoinHandle<()>,
}

/// Launches `service` (named `name`); `on_exit` runs on the reaper thread once it ends.
/// `Err` is the reason, as the start task logs it.
pub(crate) fn spawn(
    name: &str,
    service: &Service,
    launch: &Launch,
    logs: &Arc<LogRing>,
    echo: bool,
    on_exit: impl FnOnce(ServiceExit) + Send + 'static,
) -> Result<Spawned, String> {
    let command = ServiceCommand::parse(service.command.as_deref().unwrap_or_default())
        .map_err(|e| format!("cannot parse service {name:?} command: {e}"))?;
    let mut argv = command.argv();
    let program = argv.next().unwrap_or_default();
    let mut cmd = Command::new(launch.map_path(program));
    cmd.args(argv.map(|a| launch.map_value(a)))
        .env_clear()
        .envs(launch.environment(service))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(dir) = service.working_dir.as_deref().filter(|d| !d.is_empty()) {
        cmd.current_dir(launch.map_path(dir));
    }
    if service.user.is_some() || service.user_id.is_some() || service.group.is_some() {
        tracing::debug!(
            service = name,
            "user and group are not applied: services run as the simulator's user"
        );
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {program:?}: {e}"))?;
    let pid = child.id();
    let Some(group) = Group::of(pid) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("invalid process id {pid}"));
    };
    let (read_tx, read_rx) = std::sync::mpsc::channel();
    if let Some(out) = child.stdout.take() {
        read_lines(
            name,
            out,
            LogStream::Stdout,
            logs.clone(),
            echo,
            read_tx.clone(),
        );
    }
    if let Some(err) = child.stderr.take() {
        read_lines(name, err, LogStream::Stderr, logs.clone(), echo, read_tx);
    }
    let waiter = std::thread::Builder::new()
        .name(format!("pebble-sim-wait-{name}"))
        .spawn(move || {
            let exit = match child.wait() {
                Ok(status) => ServiceExit::from_status(status),
                Err(_) => ServiceExit {
                    code: -1,
                    signal: None,
                },
            };
            // The output the process wrote before it exited is in the log ring before its
            // exit is reported (a failed start quotes it), unless something it started
            // keeps the pipes open: then not longer than a moment.
            // (Nothing is ever sent: the readers' ends closing is the signal.)
            let _ = read_rx.recv_timeout(OUTPUT_GRACE);
            on_exit(exit);
        });
    match waiter {
        Ok(waiter) => Ok(Spawned { pid, group, waiter }),
        Err(e) => {
            let _ = group.signal(rustix::process::Signal::KILL);
            Err(format!("cannot start a reaper thread: {e}"))
        }
    }
}

/// How long the reaper waits for a process's output to be read after it exited.
const OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

/// Copies `pipe` into `logs` line by line on a thread of its own, until end of file (then
/// `done` is dropped); with `echo`, also writes each line to stderr as `[service] line`, as
/// Pebble logs output.
fn read_lines(
    name: &str,
    pipe: impl Read + Send + 'static,
    stream: LogStream,
    logs: Arc<LogRing>,
    echo: bool,
    done: std::sync::mpsc::Sender<()>,
) {
    let service = name.to_owned();
    let spawned = std::thread::Builder::new()
        .name(format!("pebble-sim-log-{name}"))
        .spawn(move || {
            let _done = done;
            let mut reader = BufReader::new(pipe);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        while matches!(buf.last(), Some(b'\n' | b'\r')) {
                            buf.pop();
                        }
                        let line = String::from_utf8_lossy(&buf).into_owned();
                        tracing::debug!(service = %service, "{line}");
                        if echo {
                            eprintln!("[{service}] {line}");
                        }
                        logs.push(stream, line);
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(service = name, "cannot read the service's output: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::Path;

    fn launch(root: &Path, shim: Option<&str>) -> Launch {
        Launch {
            root: root.to_path_buf(),
            socket: "/tmp/sim.socket".into(),
            shim_dir: shim.map(PathBuf::from),
            map_paths: false,
        }
    }

    #[test]
    fn container_paths_map_under_the_root_when_present() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("srv/app")).unwrap();
        let l = launch(dir.path(), None);
        assert_eq!(l.map_path("/srv/app"), dir.path().join("srv/app"));
        assert_eq!(l.map_path("/bin/sh"), PathBuf::from("/bin/sh"));
        assert_eq!(l.map_path("/"), PathBuf::from("/"));
        assert_eq!(l.map_path("relative"), PathBuf::from("relative"));
    }

    #[test]
    fn arguments_and_values_map_only_when_asked_and_present() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc/app")).unwrap();
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::write(root.join("usr/bin/app"), "").unwrap();
        let off = launch(root, None);
        assert_eq!(
            off.map_value("/usr/bin/app"),
            OsString::from("/usr/bin/app")
        );
        let on = Launch {
            map_paths: true,
            ..launch(root, None)
        };
        // The file exists under the root.
        assert_eq!(on.map_value("/usr/bin/app"), root.join("usr/bin/app"));
        // Its directory exists: a file the workload will create.
        assert_eq!(
            on.map_value("/etc/app/config.json"),
            root.join("etc/app/config.json")
        );
        assert_eq!(on.map_value("/etc/app"), root.join("etc/app"));
        // Neither: the host's.
        for v in [
            "/bin/sh",
            "/tmp",
            "/",
            "//x",
            "-c",
            "8080",
            "/usr/bin:/bin",
            "rel/x",
        ] {
            assert_eq!(on.map_value(v), OsString::from(v), "{v}");
        }
        // A directory directly under / is not enough (every path has one).
        assert_eq!(on.map_value("/nothere"), OsString::from("/nothere"));
    }

    #[test]
    fn environment_values_are_mapped_with_mapping_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/app")).unwrap();
        let mut svc = Service::default();
        svc.environment
            .insert("CONFIG".into(), "/etc/app/c.json".into());
        svc.environment.insert("SHELL".into(), "/bin/sh".into());
        let on = Launch {
            map_paths: true,
            ..launch(dir.path(), None)
        };
        let env = on.environment(&svc);
        assert_eq!(
            env["CONFIG"],
            dir.path().join("etc/app/c.json").into_os_string()
        );
        assert_eq!(env["SHELL"], OsString::from("/bin/sh"));
        assert_eq!(env["PEBBLE_SOCKET"], OsString::from("/tmp/sim.socket"));
        let env = launch(dir.path(), None).environment(&svc);
        assert_eq!(env["CONFIG"], OsString::from("/etc/app/c.json"));
    }

    #[test]
    fn environment_layers_service_values_over_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let mut svc = Service::default();
        svc.environment.insert("A".into(), "1".into());
        let env = launch(dir.path(), None).environment(&svc);
        assert_eq!(env["PEBBLE_SOCKET"], OsString::from("/tmp/sim.socket"));
        assert_eq!(env["A"], OsString::from("1"));
        assert!(env.contains_key("PATH"));

        svc.environment.insert("PATH".into(), "/opt/bin".into());
        let env = launch(dir.path(), Some("/shim")).environment(&svc);
        assert_eq!(env["PATH"], OsString::from("/shim:/opt/bin"));
    }
}
