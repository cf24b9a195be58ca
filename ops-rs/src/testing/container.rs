//! [`Container`]: a workload container, backed during a run by a simulated Pebble.
//!
//! Each run starts one [`SimPebble`] per container that can connect, on
//! `<tmp>/<name>/pebble.socket` (the run points `OPS_RS_CONTAINERS_DIR` at `<tmp>`), seeds
//! it with the container's layers, service statuses, files, notices and failing checks,
//! injects the container's faults, and reads everything back into the output state. The
//! charm's real Pebble client and retry code run against it; retries do not sleep.
//!
//! ```
//! use ops::testing::{Container, Notice};
//! use pebble_client::testing::{Fault, FaultRule};
//! let web = Container::new("web")
//!     .layer("base", "services:\n  web:\n    override: replace\n    command: /bin/web\n")?
//!     .file("/etc/web.conf", "port: 80")
//!     .notice(Notice::custom("example.com/ready"))
//!     .fault(FaultRule::new(Fault::error(500, "boom")).path("/v1/services").times(1));
//! assert!(web.can_connect);
//! assert_eq!(web.layers[0].0, "base");
//! # Ok::<(), ops::testing::RunError>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use pebble_client::testing::{FaultRule, SimPebble};
use pebble_client::types::{CheckInfo, Layer, Plan, ServiceInfo, ServiceStatus};

use crate::testing::error::RunError;

/// A custom notice in a container, as the workload recorded it with `pebble notify`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notice {
    /// Its key, e.g. `example.com/ready`.
    pub key: String,
    /// Data of the latest occurrence.
    pub data: BTreeMap<String, String>,
    /// How many times it occurred.
    pub occurrences: u64,
    /// Occurrences within this long of the last repeat do not repeat it.
    pub repeat_after: Option<Duration>,
    /// Its id in the simulated Pebble (set in an output state; ids follow state order).
    pub id: Option<String>,
}

impl Notice {
    /// A custom notice that occurred once, without data.
    pub fn custom(key: &str) -> Self {
        Notice {
            key: key.to_owned(),
            data: BTreeMap::new(),
            occurrences: 1,
            repeat_after: None,
            id: None,
        }
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

/// A workload container as the charm's Pebble sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Container {
    /// The container's name (as in the metadata).
    pub name: String,
    /// Whether Pebble answers; `false`: no socket (the charm gets "socket not found").
    pub can_connect: bool,
    /// Layers, bottom first: `(label, layer)`.
    pub layers: Vec<(String, Layer)>,
    /// Service statuses to force (services not listed follow the plan and the charm).
    pub service_statuses: BTreeMap<String, ServiceStatus>,
    /// Files by absolute container path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Custom notices, oldest first.
    pub notices: Vec<Notice>,
    /// Checks that are down, with the failure message.
    pub failing_checks: BTreeMap<String, String>,
    /// Request faults to inject for the run (not kept in the output state).
    pub faults: Vec<FaultRule>,
    /// Output: the combined plan.
    pub plan: Plan,
    /// Output: every service with its status.
    pub services: Vec<ServiceInfo>,
    /// Output: every check with its status.
    pub checks: Vec<CheckInfo>,
}

impl Container {
    /// A container Pebble answers for, with nothing in it.
    pub fn new(name: &str) -> Self {
        Container {
            name: name.to_owned(),
            can_connect: true,
            layers: Vec::new(),
            service_statuses: BTreeMap::new(),
            files: BTreeMap::new(),
            notices: Vec::new(),
            failing_checks: BTreeMap::new(),
            faults: Vec::new(),
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

    /// Forces a service's status.
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

    /// Adds a custom notice.
    #[must_use]
    pub fn notice(mut self, notice: Notice) -> Self {
        self.notices.push(notice);
        self
    }

    /// Marks a check (from the layers) as down with `message`.
    #[must_use]
    pub fn failing_check(mut self, check: &str, message: &str) -> Self {
        self.failing_checks
            .insert(check.to_owned(), message.to_owned());
        self
    }

    /// Injects a request fault for the run (an error answer, a dropped connection, ...).
    #[must_use]
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
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

    /// Starts the simulated Pebble for this container under `dir` and seeds it.
    pub(crate) fn start_sim(&self, dir: &Path) -> Result<Option<SimPebble>, RunError> {
        let sim_err = |e: pebble_client::testing::SimError| RunError::Pebble {
            container: self.name.clone(),
            detail: e.to_string(),
        };
        let cdir = dir.join(&self.name);
        std::fs::create_dir_all(cdir.join("root")).map_err(|e| RunError::Pebble {
            container: self.name.clone(),
            detail: format!("cannot create {}: {e}", cdir.display()),
        })?;
        if !self.can_connect {
            return Ok(None);
        }
        let sim = SimPebble::builder(cdir.join("pebble.socket"))
            .root(cdir.join("root"))
            .start()
            .map_err(sim_err)?;
        for (label, layer) in &self.layers {
            let yaml = layer.to_yaml().map_err(|e| RunError::Inconsistent {
                problem: format!("layer {label:?} of container {:?}: {e}", self.name),
            })?;
            sim.add_layer(label, &yaml).map_err(sim_err)?;
        }
        for (svc, status) in &self.service_statuses {
            sim.set_service_status(svc, status.clone());
        }
        for (path, content) in &self.files {
            let host = sim.host_path(path).map_err(sim_err)?;
            let written = host
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&host, content));
            written.map_err(|e| RunError::Pebble {
                container: self.name.clone(),
                detail: format!("cannot write {path}: {e}"),
            })?;
        }
        for n in &self.notices {
            let data: Vec<(&str, &str)> = n
                .data
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            for _ in 0..n.occurrences.max(1) {
                sim.notify(0, &n.key, &data, n.repeat_after)
                    .map_err(sim_err)?;
            }
        }
        for (check, message) in &self.failing_checks {
            sim.fail_check(check, message).map_err(sim_err)?;
        }
        for rule in &self.faults {
            sim.inject(rule.clone());
        }
        Ok(Some(sim))
    }

    /// This container as the simulated Pebble left it (faults are not carried over).
    pub(crate) fn read_back(&self, sim: Option<&SimPebble>) -> Result<Container, RunError> {
        let mut out = self.clone();
        out.faults.clear();
        let Some(sim) = sim else {
            return Ok(out);
        };
        out.layers = sim.layers();
        out.plan = sim.plan();
        out.services = sim.services();
        out.checks = sim.checks();
        out.service_statuses.clear();
        out.failing_checks = out
            .checks
            .iter()
            .filter(|c| c.status == pebble_client::types::CheckStatus::Down)
            .map(|c| (c.name.clone(), "down".to_owned()))
            .collect();
        out.notices = sim
            .notices()
            .into_iter()
            .filter(|n| n.notice_type == pebble_client::types::NoticeType::Custom)
            .map(|n| Notice {
                key: n.key,
                data: n.last_data,
                occurrences: n.occurrences,
                repeat_after: n.repeat_after.and_then(|d| d.to_std()),
                id: Some(n.id.to_string()),
            })
            .collect();
        out.files = read_tree(sim.root()).map_err(|e| RunError::Pebble {
            container: self.name.clone(),
            detail: format!("cannot read the files back: {e}"),
        })?;
        Ok(out)
    }
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
