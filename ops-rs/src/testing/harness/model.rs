//! The Harness's model setup beyond relations and secrets: storage, networks, planned units,
//! resources.

use std::path::PathBuf;

use super::Harness;
use crate::framework::Charm;
use crate::testing::error::RunError;
use crate::testing::event::On;
use crate::testing::juju::{Goal, Network, StorageInstance};

/// `name/index` into its parts.
fn split_storage_id(id: &str) -> Result<(String, u32), RunError> {
    id.rsplit_once('/')
        .and_then(|(n, i)| Some((n.to_owned(), i.parse().ok()?)))
        .ok_or_else(|| RunError::inconsistent(format!("{id:?} is not a storage id (name/index)")))
}

impl<C: Charm> Harness<C> {
    /// Adds `count` instances of storage `name` (declared in the metadata), each at
    /// `<location>/<index>` (the metadata's location, or `/var/lib/juju/storage/<name>`).
    /// With `attach`, attaches them ([`attach_storage`](Self::attach_storage): once begun,
    /// `<name>-storage-attached` runs for each). Returns their ids, `name/index`.
    ///
    /// ```
    /// use ops::prelude::*;
    /// use ops::metadata::CharmMeta;
    /// use ops::testing::Harness;
    /// # #[derive(Default)] struct App;
    /// # impl Charm for App { type Stored = (); fn observe(_: &mut Observers<Self>) {} }
    /// let meta = CharmMeta::from_charmcraft_yaml(
    ///     "name: app\nstorage:\n  data: {type: filesystem, location: /srv/data, multiple: {range: 0-}}\n")?;
    /// let mut h = Harness::<App>::new(meta);
    /// h.begin();
    /// let ids = h.add_storage("data", 2, true)?;
    /// assert_eq!(ids, ["data/0", "data/1"]);
    /// assert_eq!(h.state().juju.storage["data"][1].location, "/srv/data/1");
    /// h.detach_storage("data/0")?;
    /// assert_eq!(h.state().juju.storage["data"].len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_storage(
        &mut self,
        name: &str,
        count: u32,
        attach: bool,
    ) -> Result<Vec<String>, RunError> {
        let Some(meta) = self.meta.storage.get(name) else {
            return Err(RunError::inconsistent(format!(
                "storage {name:?} is not in the charm's metadata"
            )));
        };
        let base = meta
            .location
            .clone()
            .unwrap_or_else(|| format!("/var/lib/juju/storage/{name}"));
        let attached = self.state.juju.storage.get(name).into_iter().flatten();
        let detached = self
            .detached
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| s);
        let first = attached
            .chain(detached)
            .map(|s| s.index + 1)
            .max()
            .unwrap_or(0);
        let mut ids = Vec::new();
        for index in first..first.saturating_add(count) {
            let inst = StorageInstance::filesystem(index, &format!("{base}/{index}"));
            self.detached.push((name.to_owned(), inst));
            ids.push(format!("{name}/{index}"));
        }
        if attach {
            for id in &ids {
                self.attach_storage(id)?;
            }
        }
        Ok(ids)
    }

    /// Attaches an added storage instance and (once begun) runs `<name>-storage-attached`.
    pub fn attach_storage(&mut self, id: &str) -> Result<(), RunError> {
        let (name, index) = split_storage_id(id)?;
        let Some(pos) = self
            .detached
            .iter()
            .position(|(n, s)| *n == name && s.index == index)
        else {
            return Err(RunError::inconsistent(format!(
                "storage {id:?} was not added, or is attached already"
            )));
        };
        let (_, inst) = self.detached.remove(pos);
        let keep = inst.clone();
        let n = name.clone();
        let r = self.step(
            move |s| s.juju.storage.entry(n).or_default().push(inst),
            Some(On.storage_attached(&name, index)),
        );
        if r.is_err() {
            self.detached.insert(pos, (name, keep));
        }
        r
    }

    /// Runs `<name>-storage-detaching` (once begun; the storage is still there during the
    /// hook), then detaches the instance; it can be attached again.
    pub fn detach_storage(&mut self, id: &str) -> Result<(), RunError> {
        let (name, index) = split_storage_id(id)?;
        let attached = self
            .state
            .juju
            .storage
            .get(&name)
            .is_some_and(|v| v.iter().any(|s| s.index == index));
        if !attached {
            return Err(RunError::inconsistent(format!(
                "storage {id:?} is not attached"
            )));
        }
        self.emit(On.storage_detaching(&name, index))?;
        if let Some(v) = self.state.juju.storage.get_mut(&name)
            && let Some(pos) = v.iter().position(|s| s.index == index)
        {
            let inst = v.remove(pos);
            self.detached.push((name, inst));
        }
        Ok(())
    }

    /// Removes a storage instance, detaching it first if attached.
    pub fn remove_storage(&mut self, id: &str) -> Result<(), RunError> {
        let (name, index) = split_storage_id(id)?;
        if self
            .state
            .juju
            .storage
            .get(&name)
            .is_some_and(|v| v.iter().any(|s| s.index == index))
        {
            self.detach_storage(id)?;
        }
        self.detached
            .retain(|(n, s)| !(*n == name && s.index == index));
        Ok(())
    }

    /// Sets what `network-get <binding>` answers (no event).
    pub fn add_network(&mut self, binding: &str, network: Network) {
        self.state.juju.networks.insert(binding.to_owned(), network);
    }

    /// Sets how many units Juju plans for the application (`goal-state`; no event).
    pub fn set_planned_units(&mut self, n: usize) {
        let app = self.state.juju.app().to_owned();
        self.state.juju.goal_state.units = (0..n)
            .map(|i| {
                let goal = Goal::new("active", "2025-01-01T00:00:00Z");
                (format!("{app}/{i}"), goal)
            })
            .collect();
    }

    /// Goes back to one planned unit, this one.
    pub fn reset_planned_units(&mut self) {
        self.set_planned_units(1);
    }

    /// Adds resource `name` (declared in the metadata) with `content`, in a temporary file
    /// the harness owns; returns its path (what `resource-get` answers). No event.
    pub fn add_resource(
        &mut self,
        name: &str,
        content: impl AsRef<[u8]>,
    ) -> Result<PathBuf, RunError> {
        if !self.meta.resources.contains_key(name) {
            return Err(RunError::inconsistent(format!(
                "resource {name:?} is not in the charm's metadata"
            )));
        }
        let io = |e: std::io::Error| {
            RunError::inconsistent(format!("cannot write resource {name:?}: {e}"))
        };
        let dir = match &self.resources_dir {
            Some(d) => d.path().to_path_buf(),
            None => {
                let d = tempfile::Builder::new()
                    .prefix("ops-harness-resources")
                    .tempdir()
                    .map_err(io)?;
                let p = d.path().to_path_buf();
                self.resources_dir = Some(d);
                p
            }
        };
        let path = dir.join(name).join("resource");
        std::fs::create_dir_all(dir.join(name)).map_err(io)?;
        std::fs::write(&path, content).map_err(io)?;
        self.state
            .juju
            .resources
            .insert(name.to_owned(), path.display().to_string());
        Ok(path)
    }
}
