//! Real workload processes never outlive juju-sim.
//!
//! Services run in process groups of their own (as Pebble runs them), so a Ctrl-C in the
//! terminal does not reach them. juju-sim registers each container's process backend here
//! and, once [`on_signals`] is installed, SIGINT, SIGTERM or SIGHUP stop every service
//! (SIGTERM, then SIGKILL after a grace period) before juju-sim exits with 128 + the
//! signal's number. A normal end, an error or a panic stops them through the simulators'
//! shutdown and `Drop`. Only a SIGKILL of juju-sim itself leaves them running.

use std::sync::Mutex;

use pebble_client::testing::{ProcessBackend, ServiceBackend};

static BACKENDS: Mutex<Vec<ProcessBackend>> = Mutex::new(Vec::new());

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
                eprintln!("juju-sim: {name}: stopping the workloads' processes");
                stop_all();
                std::process::exit(128 + number);
            });
        })?;
    rx.recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the signal thread ended early")))
}
