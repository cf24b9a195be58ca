//! [`HostMount`]: a directory (or file) of the test's host seen inside a container (Scenario's
//! `Mount`).
//!
//! During a run the simulated Pebble finds the host path at the mount's location: the
//! charm's `pull`, `push`, `list_files`, `make_dir` and `remove_path` under it read and write
//! the host path itself, so a test prepares data there and reads what the charm wrote after
//! the run. Files under a mount are not in the container's
//! [`files`](crate::testing::ContainerState::files), before or after.
//!
//! ```
//! use ops::testing::{ContainerState, HostMount};
//! let data = tempfile::tempdir()?;
//! std::fs::write(data.path().join("seed.json"), "{}")?;
//! let db = ContainerState::new("db").mount(HostMount::new("/var/lib/db", data.path()));
//! assert_eq!(db.mounts[0].location, "/var/lib/db");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::path::{Path, PathBuf};

use pebble_client::testing::SimPebble;

use crate::testing::error::RunError;

/// A host path mapped into a container's filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostMount {
    /// Where the container sees it: an absolute path.
    pub location: String,
    /// The host directory or file behind it.
    pub source: PathBuf,
}

impl HostMount {
    /// The host path `source` seen at `location` in the container.
    pub fn new(location: &str, source: impl AsRef<Path>) -> Self {
        HostMount {
            location: location.to_owned(),
            source: source.as_ref().to_path_buf(),
        }
    }

    /// Whether `path` (a container path) is at or under this mount's location.
    pub(crate) fn covers(&self, path: &str) -> bool {
        let loc = self.location.trim_end_matches('/');
        path == loc || path.strip_prefix(loc).is_some_and(|r| r.starts_with('/'))
    }

    /// Makes the mount's location in `sim` lead to the host path (a symbolic link in the
    /// simulated Pebble's root); `container` names it in errors.
    pub(crate) fn apply(&self, sim: &SimPebble, container: &str) -> Result<(), RunError> {
        let bad = |problem: String| {
            Err(RunError::inconsistent(format!(
                "mount {:?} of container {container:?}: {problem}",
                self.location
            )))
        };
        if !self.location.starts_with('/') || self.location.trim_end_matches('/').is_empty() {
            return bad("the location must be an absolute path below /".to_owned());
        }
        let source = match std::fs::canonicalize(&self.source) {
            Ok(p) => p,
            Err(e) => return bad(format!("its source {:?}: {e}", self.source)),
        };
        let io = |e: std::io::Error| RunError::Pebble {
            container: container.to_owned(),
            detail: format!("cannot mount {:?} at {}: {e}", self.source, self.location),
        };
        let host = sim
            .host_path(&self.location)
            .map_err(|e| RunError::Pebble {
                container: container.to_owned(),
                detail: e.to_string(),
            })?;
        if let Some(parent) = host.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::os::unix::fs::symlink(source, &host).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_its_location_and_below() {
        let m = HostMount::new("/data/", "/tmp");
        assert!(m.covers("/data"));
        assert!(m.covers("/data/x/y"));
        assert!(!m.covers("/database"));
        assert!(!m.covers("/"));
    }
}
