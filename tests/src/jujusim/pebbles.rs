//! One simulated Pebble per container, on the socket the charm expects, with the faults
//! scenarios use (down for a while, down until up, container restart).

use std::collections::BTreeMap;
use std::time::Duration;

use pebble_client::testing::SimPebble;

use super::error::{Result, SimError};
use super::workdir::WorkDir;

/// The simulated Pebbles of the unit's containers.
#[derive(Debug)]
pub struct Pebbles {
    work: WorkDir,
    sims: BTreeMap<String, SimPebble>,
}

impl Pebbles {
    /// Starts one Pebble per container, files under `<work>/workloads/<c>`.
    pub fn start(work: &WorkDir, containers: impl IntoIterator<Item = String>) -> Result<Pebbles> {
        let mut p = Pebbles {
            work: work.clone(),
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
        SimPebble::builder(&socket)
            .root(self.work.workload_root(c))
            .start()
            .map_err(|e| err(format!("cannot start the simulated Pebble: {e}")))
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

    /// Pebble answers again.
    pub fn up(&self, c: &str) -> Result<()> {
        self.get(c)?.restore_socket();
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
