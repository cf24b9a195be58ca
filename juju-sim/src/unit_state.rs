//! The unit's own state file (`.unit-state.db`, ops-rs's store): the deferred events it
//! holds, and corrupting it on purpose.

use std::path::Path;

use ops::store::{STATE_FILE, SqliteStore, Store};

use super::error::{Result, SimError};

/// The deferred events (`kind` by `handler`) in the unit's state file, oldest first;
/// `None` if there is no file or it is not an ops-rs store.
pub fn deferred(charm_dir: &Path) -> Option<Vec<String>> {
    let path = charm_dir.join(STATE_FILE);
    if !path.exists() {
        return Some(Vec::new());
    }
    let mut store = SqliteStore::open(&path).ok()?;
    let data = store.load().ok()?;
    // Dropped without commit: nothing is written.
    Some(
        data.queue
            .iter()
            .map(|e| match &e.source {
                Some(s) => format!("{}({s}) by {}", e.kind, e.handler),
                None => format!("{} by {}", e.kind, e.handler),
            })
            .collect(),
    )
}

/// Overwrites the unit's state file with bytes that are not a database.
pub fn corrupt(charm_dir: &Path) -> Result<()> {
    let path = charm_dir.join(STATE_FILE);
    std::fs::write(
        &path,
        b"juju-sim corrupt-state: this is not an SQLite database\n".repeat(64),
    )
    .map_err(|e| SimError::io("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_corrupt_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(deferred(dir.path()), Some(vec![]));
        corrupt(dir.path()).unwrap();
        assert_eq!(deferred(dir.path()), None);
    }
}
