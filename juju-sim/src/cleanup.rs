//! Real workload processes never outlive juju-sim.
//!
//! Services run in process groups of their own (as Pebble runs them), so a Ctrl-C in the
//! terminal does not reach them. juju-sim registers each container's process backend here
//! and, once [`on_signals`] is installed, SIGINT, SIGTERM or SIGHUP stop every service
//! (SIGTERM, then SIGKILL after a grace period) before juju-sim exits with 128 + the
//! signal's number. A normal end, an error or a panic stops them through the simulators'
//! shutdown and `Drop`. Only a SIGKILL of juju-sim itself leaves them running. A temporary
//! work directory registered with [`remove_on_signal`] goes too, after the running hook
//! ([`hook_process`]) is killed.

use std::path::PathBuf;
use std::sync::Mutex;

use pebble_client::testing::{ProcessBackend, ServiceBackend};

static BACKENDS: Mutex<Vec<ProcessBackend>> = Mutex::new(Vec::new());
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HOOK: Mutex<Option<u32>> = Mutex::new(None);
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a signal is being handled: juju-sim is about to exit with 128 + its number, and
/// must not end otherwise meanwhile (the killed hook makes the run fail).
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Blocks for good if a signal is being handled (its handler ends the process).
pub fn wait_if_interrupted() {
    while interrupted() {
        std::thread::park();
    }
}

/// Notes the running hook's process (`None` once it has ended), to kill it if juju-sim is
/// interrupted: it would otherwise go on writing into the work directory.
pub fn hook_process(pid: Option<u32>) {
    *HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = pid;
}

/// Removes `dir` (a temporary work directory) if juju-sim is interrupted.
pub fn remove_on_signal(dir: PathBuf) {
    DIRS.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(dir);
}

/// Remembers `backend`, to stop its processes if juju-sim is interrupted.
pub fn register(backend: ProcessBackend) {
    BACKENDS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(backend);
}

/// Stops every registered backend's processes.
pub fn stop_all() {
    let backends: Vec<ProcessBackend> = std::mem::take(
        &mut *BACKENDS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for b in backends {
        ServiceBackend::shutdown(&b);
    }
}

/// Installs the handlers: on SIGINT, SIGTERM or SIGHUP, stop every registered backend's
/// processes and exit. Returns once the handlers are in place.
pub fn on_signals() -> std::io::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("juju-sim-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let streams = (|| {
                    Ok::<_, std::io::Error>((
                        signal(SignalKind::interrupt())?,
                        signal(SignalKind::terminate())?,
                        signal(SignalKind::hangup())?,
                    ))
                })();
                let (mut int, mut term, mut hup) = match streams {
                    Ok(s) => {
                        let _ = tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let (name, number) = tokio::select! {
                    _ = int.recv() => ("SIGINT", 2),
                    _ = term.recv() => ("SIGTERM", 15),
                    _ = hup.recv() => ("SIGHUP", 1),
                };
                INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
                eprintln!("juju-sim: {name}: stopping the workloads' processes");
                stop_all();
                let hook = *HOOK
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(pid) = hook
                    .and_then(|p| i32::try_from(p).ok())
                    .and_then(rustix::process::Pid::from_raw)
                {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
                let dirs = std::mem::take(
                    &mut *DIRS
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                for d in dirs {
                    // A hook tool may still be finishing a write: try a few times.
                    for _ in 0..20 {
                        if std::fs::remove_dir_all(&d).is_ok() || !d.exists() {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(25));
                    }
                }
                std::process::exit(128 + number);
            });
        })?;
    rx.recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the signal thread ended early")))
}
