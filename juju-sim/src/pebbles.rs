//! One simulated Pebble per container, on the socket the charm expects, with the faults
//! scenarios use (down for a while, down until up, request faults, container restart).
//!
//! Services are simulated in memory by default. With [`Workloads::real`] they run as real
//! child processes of juju-sim, on the host, with the container's root
//! (`<work>/workloads/<c>`) standing in for its filesystem: container paths in the command,
//! its arguments and its environment values are mapped under the root when they exist
//! there ([`ProcessOptions::map_paths_under_root`]), `PEBBLE_SOCKET` is the container's
//! socket, and `pebble` (pebble-sim) is first on their `PATH`. Exec'd commands run for real
//! too. Every process is stopped when the Pebble stops, and on SIGINT/SIGTERM/SIGHUP
//! ([`super::cleanup`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use pebble_client::testing::{FaultRule, ProcessOptions, SimPebble};

use super::error::{Result, SimError};
use super::workdir::WorkDir;

/// How the Pebbles run their services.
#[derive(Debug, Clone, Default)]
pub struct Workloads {
    /// Real child processes (`None`: simulated in memory).
    pub real: Option<RealProcesses>,
}

/// Settings for real workload processes.
#[derive(Debug, Clone, Default)]
pub struct RealProcesses {
    /// The pebble-sim binary workloads run as `pebble`.
    pub pebble_sim: Option<PathBuf>,
    /// Echo the services' output to juju-sim's stderr, as `[service] line`.
    pub echo_output: bool,
}

/// The simulated Pebbles of the unit's containers.
#[derive(Debug)]
pub struct Pebbles {
    work: WorkDir,
    workloads: Workloads,
    sims: BTreeMap<String, SimPebble>,
}

impl Pebbles {
    /// Starts one Pebble per container, files under `<work>/workloads/<c>`.
    pub fn start(
        work: &WorkDir,
        containers: impl IntoIterator<Item = String>,
        workloads: Workloads,
    ) -> Result<Pebbles> {
        let mut p = Pebbles {
            work: work.clone(),
            workloads,
            sims: BTreeMap::new(),
        };
        for c in containers {
            let sim = p.start_one(&c)?;
            p.sims.insert(c, sim);
        }
        Ok(p)
    }

    fn start_one(&self, c: &str) -> Result<SimPebble> {
        let socket = self.work.socket(c);
        let err = |message: String| SimError::Pebble {
            container: c.to_owned(),
            message,
        };
        if let Some(dir) = socket.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
        }
        if socket.as_os_str().len() > 100 {
            return Err(err(format!(
                "socket path {} is too long for a unix socket: use a shorter --work-dir",
                socket.display()
            )));
        }
        let mut builder = SimPebble::builder(&socket).root(self.work.workload_root(c));
        if let Some(real) = &self.workloads.real {
            let mut options = ProcessOptions::new()
                .map_paths_under_root(true)
                .echo_output(real.echo_output);
            if let Some(p) = &real.pebble_sim {
                options = options.pebble_binary(p);
            }
            builder = builder.real_processes(options).real_exec(true);
        }
        let sim = builder
            .start()
            .map_err(|e| err(format!("cannot start the simulated Pebble: {e}")))?;
        if let Some(backend) = sim.processes() {
            super::cleanup::register(backend.clone());
        }
        Ok(sim)
    }

    /// Whether services run as real processes.
    pub fn real_processes(&self) -> bool {
        self.workloads.real.is_some()
    }

    /// Pebble misbehaves for matching requests until [`Pebbles::up`] (or `rule`'s count).
    pub fn fault(&self, c: &str, rule: FaultRule) -> Result<()> {
        self.get(c)?.inject(rule);
        Ok(())
    }

    /// The last lines service `service` of container `c` printed (real processes only).
    pub fn service_output(&self, c: &str, service: &str, lines: usize) -> Vec<String> {
        let Ok(sim) = self.get(c) else {
            return Vec::new();
        };
        let all = sim.service_logs(service);
        all[all.len().saturating_sub(lines)..]
            .iter()
            .map(|l| l.message.clone())
            .collect()
    }

    /// The container names.
    pub fn names(&self) -> Vec<String> {
        self.sims.keys().cloned().collect()
    }

    /// The simulated Pebble of container `c`.
    pub fn get(&self, c: &str) -> Result<&SimPebble> {
        self.sims.get(c).ok_or_else(|| SimError::Pebble {
            container: c.to_owned(),
            message: format!(
                "no such container (the charm has: {})",
                self.names().join(", ")
            ),
        })
    }

    /// Pebble stops answering: its socket vanishes for `duration`, or until [`Pebbles::up`].
    pub fn down(&self, c: &str, duration: Option<Duration>) -> Result<()> {
        self.get(c)?.remove_socket(duration);
        Ok(())
    }

    /// Pebble answers again (and request faults are cleared).
    pub fn up(&self, c: &str) -> Result<()> {
        let sim = self.get(c)?;
        sim.restore_socket();
        sim.clear_faults();
        Ok(())
    }

    /// The container restarts: a new Pebble with a new boot id and an empty plan (files in
    /// the container's filesystem stay, as on a persistent volume).
    pub fn restart(&mut self, c: &str) -> Result<()> {
        let old = self.sims.remove(c).ok_or_else(|| SimError::Pebble {
            container: c.to_owned(),
            message: "no such container".to_owned(),
        })?;
        old.shutdown();
        let sim = self.start_one(c)?;
        self.sims.insert(c.to_owned(), sim);
        Ok(())
    }

    /// Restarts every container.
    pub fn restart_all(&mut self) -> Result<()> {
        for c in self.names() {
            self.restart(&c)?;
        }
        Ok(())
    }

    /// Service statuses per container (`active`, `inactive`, `backoff`, `error`).
    pub fn services(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.sims
            .iter()
            .map(|(c, sim)| {
                let svcs = sim
                    .services()
                    .into_iter()
                    .map(|s| (s.name, s.current.as_str().to_owned()))
                    .collect();
                (c.clone(), svcs)
            })
            .collect()
    }

    /// Stops every Pebble.
    pub fn shutdown(self) {
        for (_, sim) in self.sims {
            sim.shutdown();
        }
    }
}
