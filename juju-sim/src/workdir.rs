//! The work directory: the unit's charm directory, the hook tools, the model state file and
//! the containers' sockets, laid out as a unit agent would have them.
//!
//! ```text
//! <work>/charm/                 JUJU_CHARM_DIR: metadata files, dispatch, .unit-state.db
//! <work>/bin/                   one symlink to hook-tool per hook tool (first on PATH)
//! <work>/state.json             the model (JUJU_SIM_STATE), without its records
//! <work>/state.json.records     calls, log lines, status histories (see `state_file`)
//! <work>/tool-faults.json       pending hook-tool faults (JUJU_SIM_TOOL_FAULTS)
//! <work>/tool-times.log         the running hook's hook-tool timings (JUJU_SIM_TOOL_TIMES)
//! <work>/containers/<c>/pebble.socket   OPS_RS_CONTAINERS_DIR
//! <work>/workloads/<c>/         each container's filesystem
//! <work>/ns-root/               empty: a private mount namespace's root is built over it
//! <work>/juju-sim.json          marks a juju-sim work directory
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ops::testing::juju::{JujuState, tool_names};

use super::error::{Result, SimError};
use super::state_file;

/// The files the metadata lives in, copied into the unit's charm directory.
const METADATA_FILES: &[&str] = &[
    "metadata.yaml",
    "config.yaml",
    "actions.yaml",
    "charmcraft.yaml",
    "manifest.yaml",
];
/// The marker file of a work directory.
const MARKER: &str = "juju-sim.json";

/// Paths inside a work directory.
#[derive(Debug, Clone)]
pub struct WorkDir {
    /// The work directory.
    pub root: PathBuf,
}

/// Where the user's charm is.
#[derive(Debug, Clone)]
pub struct CharmSource {
    /// The charm directory (metadata, and everything else for a charm without `--dispatch`).
    pub dir: PathBuf,
    /// An executable to use as `dispatch` instead of `<dir>/dispatch`.
    pub dispatch: Option<PathBuf>,
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| SimError::io("cannot resolve", p, e))
}

impl WorkDir {
    /// A work directory at `root` (not created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkDir { root: root.into() }
    }

    /// The unit's charm directory.
    pub fn charm_dir(&self) -> PathBuf {
        self.root.join("charm")
    }
    /// The hook tools directory.
    pub fn bin_dir(&self) -> PathBuf {
        self.root.join("bin")
    }
    /// The model state file.
    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }
    /// The hook-tool fault file.
    pub fn faults_file(&self) -> PathBuf {
        self.root.join("tool-faults.json")
    }
    /// The hook-tool timings of the running hook (`JUJU_SIM_TOOL_TIMES`).
    pub fn tool_times_file(&self) -> PathBuf {
        self.root.join("tool-times.log")
    }
    /// `OPS_RS_CONTAINERS_DIR`.
    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }
    /// The socket of container `c`.
    pub fn socket(&self, c: &str) -> PathBuf {
        self.containers_dir().join(c).join("pebble.socket")
    }
    /// The empty directory a private mount namespace builds the unit's root over (see
    /// [`super::namespace`]).
    pub fn ns_root(&self) -> PathBuf {
        self.root.join("ns-root")
    }
    /// The filesystem of container `c`.
    pub fn workload_root(&self, c: &str) -> PathBuf {
        self.root.join("workloads").join(c)
    }

    /// Whether this is an existing juju-sim work directory.
    pub fn exists(&self) -> bool {
        self.root.join(MARKER).is_file()
    }

    /// Creates (or resets) the work directory for a fresh unit of `charm`, with the hook
    /// tools linked to `hook_tool`, and writes the initial model.
    pub fn create(
        &self,
        charm: &CharmSource,
        hook_tool: &Path,
        pebble_sim: Option<&Path>,
        state: &JujuState,
    ) -> Result<()> {
        let io = |what, p: &Path| {
            let p = p.to_path_buf();
            move |e| SimError::io(what, p, e)
        };
        if self.root.exists() && !self.exists() {
            let empty = std::fs::read_dir(&self.root)
                .map_err(io("cannot read", &self.root))?
                .next()
                .is_none();
            if !empty {
                return Err(SimError::Charm(format!(
                    "{} is not empty and not a juju-sim work directory: pick a new or empty directory for --work-dir",
                    self.root.display()
                )));
            }
        }
        for sub in ["charm", "bin", "containers", "workloads"] {
            let p = self.root.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io("cannot clear", &p))?;
            }
        }
        for f in [self.state_file(), self.records_file(), self.faults_file()] {
            let _ = std::fs::remove_file(f);
        }
        std::fs::create_dir_all(self.charm_dir())
            .map_err(io("cannot create", &self.charm_dir()))?;
        std::fs::create_dir_all(self.bin_dir()).map_err(io("cannot create", &self.bin_dir()))?;
        std::fs::write(self.root.join(MARKER), "{\"juju-sim\": 1}\n")
            .map_err(io("cannot write", &self.root))?;
        self.install_charm(charm)?;
        self.install_tools(hook_tool, pebble_sim)?;
        self.save_state(state)
    }

    /// Fills the unit's charm directory from `charm`.
    pub fn install_charm(&self, charm: &CharmSource) -> Result<()> {
        let src = absolute(&charm.dir)?;
        if !src.is_dir() {
            return Err(SimError::Charm(format!(
                "charm directory {} does not exist: pass --charm DIR",
                src.display()
            )));
        }
        let dispatch = match &charm.dispatch {
            Some(d) => {
                let d = absolute(d)?;
                if !is_executable(&d) {
                    return Err(SimError::Charm(format!(
                        "--dispatch {} is not an executable file: build your charm first (e.g. cargo build -p <charm>)",
                        d.display()
                    )));
                }
                d
            }
            None => {
                let d = src.join("dispatch");
                if !is_executable(&d) {
                    return Err(SimError::Charm(format!(
                        "no executable dispatch in {}: build your charm, or pass --dispatch PATH (e.g. target/debug/<charm>)",
                        src.display()
                    )));
                }
                d
            }
        };
        let dest = self.charm_dir();
        let entries = std::fs::read_dir(&src).map_err(|e| SimError::io("cannot read", &src, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| SimError::io("cannot read", &src, e))?;
            let name = entry.file_name();
            let name_s = name.to_string_lossy();
            let from = entry.path();
            let to = dest.join(&name);
            if METADATA_FILES.contains(&name_s.as_ref()) {
                std::fs::copy(&from, &to).map_err(|e| SimError::io("cannot copy", &from, e))?;
            } else if charm.dispatch.is_none()
                && !name_s.starts_with('.')
                && name_s != "target"
                && name_s != "dispatch"
            {
                std::os::unix::fs::symlink(&from, &to)
                    .map_err(|e| SimError::io("cannot link", &to, e))?;
            }
        }
        let to = dest.join("dispatch");
        std::os::unix::fs::symlink(&dispatch, &to).map_err(|e| SimError::io("cannot link", &to, e))
    }

    /// Links every hook tool (and `pebble`, if pebble-sim is known) into `bin/`.
    pub fn install_tools(&self, hook_tool: &Path, pebble_sim: Option<&Path>) -> Result<()> {
        let hook_tool = absolute(hook_tool)?;
        if !is_executable(&hook_tool) {
            return Err(SimError::HookToolMissing(hook_tool));
        }
        let bin = self.bin_dir();
        let mut links: Vec<(String, PathBuf)> = tool_names()
            .into_iter()
            .map(|t| (t.to_owned(), hook_tool.clone()))
            .collect();
        if let Some(p) = pebble_sim.filter(|p| is_executable(p)) {
            links.push(("pebble".to_owned(), absolute(p)?));
        }
        for (name, target) in links {
            let link = bin.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&target, &link)
                .map_err(|e| SimError::io("cannot link", &link, e))?;
        }
        Ok(())
    }

    /// The journal of records (hook-tool calls, log lines, status histories) beside the model
    /// state file.
    pub fn records_file(&self) -> PathBuf {
        state_file::journal_path(&self.state_file())
    }

    /// Reads the whole model state, with every hook-tool call, log line and earlier status so
    /// far (see [`state_file::load`]).
    pub fn load_state(&self) -> Result<JujuState> {
        Ok(state_file::load(&self.state_file())?)
    }

    /// Writes the whole model state: the model, and a journal holding exactly `state`'s
    /// records, each atomically (see [`state_file::save`]).
    pub fn save_state(&self, state: &JujuState) -> Result<()> {
        Ok(state_file::save(&self.state_file(), state)?)
    }

    /// Reads the model alone, without the journal's records, and the text it was read from
    /// (see [`state_file::load_model`]): what a hook's bookkeeping needs, at a cost that does
    /// not grow with the run.
    pub fn load_model(&self) -> Result<(JujuState, String)> {
        Ok(state_file::load_model(&self.state_file())?)
    }

    /// Writes the model `state` (as it is) if it differs from `read` (see
    /// [`state_file::save_model_if_changed`]).
    pub fn save_model(&self, state: &JujuState, read: &str) -> Result<()> {
        state_file::save_model_if_changed(&self.state_file(), state, read)?;
        Ok(())
    }

    /// Where the journal ends now (see [`state_file::journal_mark`]).
    pub fn journal_mark(&self) -> Result<u64> {
        Ok(state_file::journal_mark(&self.records_file())?)
    }

    /// The records appended to the journal since `mark` (see
    /// [`state_file::read_records_since`]).
    pub fn records_since(&self, mark: u64) -> Result<state_file::Records> {
        Ok(state_file::read_records_since(&self.records_file(), mark)?)
    }

    /// Appends `records` to the journal (see [`state_file::append_records`]).
    pub fn append_records(&self, records: &state_file::Records) -> Result<()> {
        Ok(state_file::append_records(&self.state_file(), records)?)
    }
}

/// Finds a sibling binary of the running executable (`hook-tool`, `pebble-sim`).
pub fn sibling_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let direct = dir.join(name);
    if direct.exists() {
        return Some(direct);
    }
    // Test executables live in target/<profile>/deps; the binaries one level up.
    let up = dir.parent()?.join(name);
    up.exists().then_some(up)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charm(dir: &Path, dispatch: bool) {
        std::fs::write(dir.join("metadata.yaml"), "name: t\n").unwrap();
        std::fs::create_dir(dir.join("src")).unwrap();
        if dispatch {
            std::fs::write(dir.join("dispatch"), "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(dir.join("dispatch"), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
    }

    #[test]
    fn lays_out_the_unit() {
        let src = tempfile::tempdir().unwrap();
        charm(src.path(), true);
        let tool = src.path().join("dispatch");
        let work = tempfile::tempdir().unwrap();
        let w = WorkDir::new(work.path().join("w"));
        let cs = CharmSource {
            dir: src.path().to_owned(),
            dispatch: None,
        };
        w.create(&cs, &tool, None, &JujuState::new("t/0")).unwrap();
        assert!(w.charm_dir().join("metadata.yaml").is_file());
        assert!(w.charm_dir().join("src").is_symlink());
        assert!(is_executable(&w.charm_dir().join("dispatch")));
        assert!(w.bin_dir().join("relation-set").is_symlink());
        assert_eq!(w.load_state().unwrap().unit, "t/0");
        // Re-creating resets it.
        w.create(&cs, &tool, None, &JujuState::new("t/1")).unwrap();
        assert_eq!(w.load_state().unwrap().unit, "t/1");
    }

    #[test]
    fn clear_errors() {
        let src = tempfile::tempdir().unwrap();
        charm(src.path(), false);
        let work = tempfile::tempdir().unwrap();
        let w = WorkDir::new(work.path());
        let cs = CharmSource {
            dir: src.path().to_owned(),
            dispatch: None,
        };
        let e = w
            .create(&cs, Path::new("/nonexistent"), None, &JujuState::new("t/0"))
            .unwrap_err();
        assert!(
            e.to_string().starts_with("no executable dispatch in"),
            "{e}"
        );
        let e = w
            .install_tools(Path::new("/nonexistent/hook-tool"), None)
            .unwrap_err();
        assert!(
            e.to_string().contains("cannot find the hook-tool binary"),
            "{e}"
        );
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("x"), "").unwrap();
        let e = WorkDir::new(other.path())
            .create(&cs, Path::new("/x"), None, &JujuState::new("t/0"))
            .unwrap_err();
        assert!(
            e.to_string().contains("not a juju-sim work directory"),
            "{e}"
        );
    }
}
