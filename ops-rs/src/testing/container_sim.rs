//! A [`ContainerState`] during a run: seeding its simulated Pebble, and reading it back.
//!
//! Seeding order matters for notice ids: the custom notices go in first, each under its id
//! from the state (so a deferred custom-notice event finds the same notice next run), then
//! the layers (whose checks open changes, with change-update notices after them), forced
//! service statuses, files, failing checks and faults.

use std::collections::BTreeMap;
use std::path::Path;

use pebble_client::testing::{SimError, SimPebble};
use pebble_client::types::{Change, ChangeStatus, CheckStatus, NoticeType, ServiceStatus};

use crate::testing::container::{CheckHealth, ContainerState, NoticeState};
use crate::testing::error::RunError;

impl ContainerState {
    fn sim_error(&self, e: SimError) -> RunError {
        RunError::Pebble {
            container: self.name.clone(),
            detail: e.to_string(),
        }
    }

    fn io_error(&self, what: String, e: std::io::Error) -> RunError {
        RunError::Pebble {
            container: self.name.clone(),
            detail: format!("{what}: {e}"),
        }
    }

    /// Starts the simulated Pebble for this container under `dir` and seeds it; `None` when
    /// it cannot connect (no socket).
    pub(crate) fn start_sim(&self, dir: &Path) -> Result<Option<SimPebble>, RunError> {
        let cdir = dir.join(&self.name);
        std::fs::create_dir_all(cdir.join("root"))
            .map_err(|e| self.io_error(format!("cannot create {}", cdir.display()), e))?;
        if !self.can_connect {
            return Ok(None);
        }
        let sim = SimPebble::builder(cdir.join("pebble.socket"))
            .root(cdir.join("root"))
            .start()
            .map_err(|e| self.sim_error(e))?;
        for (n, id) in self.notices.iter().zip(self.notice_ids()) {
            let data: Vec<(&str, &str)> = n
                .data
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            sim.notify_with_id(id, 0, &n.key, &data, n.repeat_after)
                .map_err(|e| self.sim_error(e))?;
            for _ in 1..n.occurrences.max(1) {
                sim.notify(0, &n.key, &data, n.repeat_after)
                    .map_err(|e| self.sim_error(e))?;
            }
        }
        for (label, layer) in &self.layers {
            let yaml = layer.to_yaml().map_err(|e| RunError::Inconsistent {
                problem: format!("layer {label:?} of container {:?}: {e}", self.name),
            })?;
            sim.add_layer(label, &yaml).map_err(|e| self.sim_error(e))?;
        }
        for (svc, status) in &self.service_statuses {
            sim.set_service_status(svc, status.clone());
        }
        for mount in &self.mounts {
            if let Some(path) = self.files.keys().find(|p| mount.covers(p)) {
                return Err(RunError::inconsistent(format!(
                    "file {path} of container {:?} is under mount {:?}: put it in the \
                     mount's source instead",
                    self.name, mount.location
                )));
            }
            mount.apply(&sim, &self.name)?;
        }
        for (path, content) in &self.files {
            let host = sim.host_path(path).map_err(|e| self.sim_error(e))?;
            host.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&host, content))
                .map_err(|e| self.io_error(format!("cannot write {path}"), e))?;
        }
        for (check, message) in &self.failing_checks {
            sim.fail_check(check, message)
                .map_err(|e| self.sim_error(e))?;
        }
        for health in self.check_health.values() {
            health.apply(&sim, &self.name)?;
        }
        for rule in &self.faults {
            sim.inject(rule.clone());
        }
        for exec in &self.execs {
            let exec = exec.clone();
            sim.exec_handler(&exec.prefix().join(" "), move |input| exec.answer(input));
        }
        Ok(Some(sim))
    }

    /// This container as the simulated Pebble left it (faults are not carried over).
    pub(crate) fn read_back(&self, sim: Option<&SimPebble>) -> Result<ContainerState, RunError> {
        let mut out = self.clone();
        out.faults.clear();
        let Some(sim) = sim else {
            return Ok(out);
        };
        out.layers = sim.layers();
        out.plan = sim.plan();
        out.services = sim.services();
        out.checks = sim.checks();
        out.service_statuses = out
            .services
            .iter()
            .filter(|s| s.current != ServiceStatus::Inactive)
            .map(|s| (s.name.clone(), s.current.clone()))
            .collect();
        let changes = sim.changes();
        out.failing_checks = out
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Down)
            .map(|c| {
                let message = self
                    .failing_checks
                    .get(&c.name)
                    .cloned()
                    .or_else(|| {
                        let seeded = self.check_health.get(&c.name);
                        seeded
                            .filter(|h| h.status == CheckStatus::Down)
                            .map(|h| h.message.clone())
                    })
                    .or_else(|| failure_message(&changes, &c.name))
                    .unwrap_or_else(|| "down".to_owned());
                (c.name.clone(), message)
            })
            .collect();
        out.check_health = out
            .checks
            .iter()
            .filter_map(|c| {
                let message = out
                    .failing_checks
                    .get(&c.name)
                    .cloned()
                    .or_else(|| self.check_health.get(&c.name).map(|h| h.message.clone()));
                CheckHealth::from_info(c, message).map(|h| (c.name.clone(), h))
            })
            .collect();
        out.notices = sim
            .notices()
            .into_iter()
            .filter(|n| n.notice_type == NoticeType::Custom)
            .map(|n| NoticeState {
                key: n.key,
                data: n.last_data,
                occurrences: n.occurrences,
                repeat_after: n.repeat_after.and_then(|d| d.to_std()),
                id: Some(n.id.to_string()),
            })
            .collect();
        out.files = read_tree(sim.root())
            .map_err(|e| self.io_error("cannot read the files back".to_owned(), e))?;
        Ok(out)
    }
}

/// The message of the latest failed `perform-check` change of `check`: its task's last log
/// line without the time and level (`<time> ERROR <message>`).
fn failure_message(changes: &[Change], check: &str) -> Option<String> {
    let change = changes.iter().rev().find(|c| {
        c.kind == "perform-check"
            && c.status == ChangeStatus::Error
            && c.data.get("check-name").and_then(|v| v.as_str()) == Some(check)
    })?;
    let line = change.tasks.first()?.log.last()?;
    let mut parts = line.splitn(3, ' ');
    let (_time, _level) = (parts.next(), parts.next());
    parts.next().map(str::to_owned)
}

/// Every regular file under `root`, keyed by its path inside the container.
fn read_tree(root: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.insert(format!("/{}", rel.display()), std::fs::read(&path)?);
            }
        }
    }
    Ok(out)
}
