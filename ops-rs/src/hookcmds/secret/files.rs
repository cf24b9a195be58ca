//! Secret content on its way to `secret-add` and `secret-set`: in files that only the unit's
//! user can read, gone when the tool returns, when the hook is stopped by a signal it can
//! catch, and at the start of the next dispatch after one it cannot.
//!
//! Juju's `secret-add` and `secret-set` take a value as `key=value` on the command line, or
//! as `key#file=path` for the agent to read (`CreateSecretData` in Juju's
//! `core/secrets/createsecret.go`, used by `internal/worker/uniter/runner/jujuc/secret-add.go`;
//! `--file` takes a YAML file, but no standard input). A command line is readable by every
//! user of the machine (`/proc/<pid>/cmdline`) and Linux limits one argument to 128 KiB where
//! Juju takes 1 MB, so content goes through files, as Python ops passes it:
//!
//! - **Where.** `$TMPDIR/ops-rs-secrets-<uid>/` ([`content_root`]), a directory of the unit's
//!   user, mode 0700 (fixed if it is not; refused if it is a link or another user's). Each
//!   call gets a directory of its own in it (`call-XXXXXX`, 0700) with one file per key
//!   (0600).
//! - **When the tool returns**, the call's directory is removed.
//! - **`SIGTERM`, `SIGINT`, `SIGHUP`** (a unit agent stopped by systemd, a closed debug-hooks
//!   session): from the first content file a process writes, a thread waits for these; it
//!   removes the directories of the calls in progress, then lets the signal end the process
//!   as it would have.
//! - **`SIGKILL`** cannot be caught: every dispatch starts by removing what a killed one left
//!   ([`sweep_stale`]). A call holds an exclusive `flock` on its directory, which the kernel
//!   drops when the process dies, so a directory whose lock is free belongs to no running
//!   call. A directory is locked before it is given the name the sweep looks for.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, PoisonError};

use rustix::fs::{FlockOperation, Mode, OFlags};

use super::super::HookToolError;

/// The prefix of a call's directory once it holds (or will hold) content.
const CALL_PREFIX: &str = "call-";

/// The directories of calls in progress in this process, for the signal thread.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The directory secret content goes in for this process's user: `ops-rs-secrets-<uid>` in
/// the temporary directory (`TMPDIR`, else `/tmp`).
pub fn content_root() -> PathBuf {
    std::env::temp_dir().join(format!(
        "ops-rs-secrets-{}",
        rustix::process::geteuid().as_raw()
    ))
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> HookToolError {
    HookToolError::Invalid(format!(
        "cannot {what} {} for secret content: {e} (set TMPDIR to a directory of the unit's own)",
        path.display()
    ))
}

/// Makes `root` a directory of this user's that no one else can enter; refuses a link or
/// another user's directory (it would see the content).
fn ensure_root(root: &Path) -> Result<(), HookToolError> {
    match std::fs::DirBuilder::new().mode(0o700).create(root) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io("create", root, e)),
    }
    let meta = std::fs::symlink_metadata(root).map_err(|e| io("inspect", root, e))?;
    let me = rustix::process::geteuid().as_raw();
    if !meta.file_type().is_dir() || meta.uid() != me {
        return Err(HookToolError::Invalid(format!(
            "refusing to put secret content in {}: it is {}, not a directory of this unit's \
             user (uid {me}), so others could read it. Remove it, or set TMPDIR to a directory \
             of the unit's own",
            root.display(),
            if meta.file_type().is_symlink() {
                "a symbolic link".to_owned()
            } else if meta.file_type().is_dir() {
                format!("owned by uid {}", meta.uid())
            } else {
                "not a directory".to_owned()
            }
        )));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io("make private", root, e))?;
    }
    Ok(())
}

/// Opens directory `path` without following a link, for locking.
fn open_dir(path: &Path) -> std::io::Result<File> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

/// One call's content: a private directory with a file per key, locked while it exists, and
/// the `key#file=path` arguments naming them. Dropping it removes the directory.
pub(crate) struct ContentFiles {
    dir: PathBuf,
    _lock: File,
    /// The arguments to pass: `key#file=/path`, one per key.
    pub(crate) args: Vec<String>,
}

impl ContentFiles {
    /// Writes each value of `pairs` to a file of its own in a new call directory under
    /// `root`.
    pub(crate) fn write<'a>(
        root: &Path,
        pairs: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<ContentFiles, HookToolError> {
        ensure_root(root)?;
        let fresh = tempfile::Builder::new()
            .prefix(".new-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(root)
            .map_err(|e| io("create a directory in", root, e))?;
        // Locked before it gets the name the sweep looks for: the sweep never sees it free.
        let lock = open_dir(fresh.path()).map_err(|e| io("open", fresh.path(), e))?;
        rustix::fs::flock(&lock, FlockOperation::LockExclusive)
            .map_err(|e| io("lock", fresh.path(), e))?;
        let name = fresh
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().replacen(".new-", CALL_PREFIX, 1))
            .unwrap_or_default();
        let dir = root.join(name);
        std::fs::rename(fresh.path(), &dir).map_err(|e| io("name", fresh.path(), e))?;
        let _ = fresh.keep();
        let files = ContentFiles {
            dir,
            _lock: lock,
            args: Vec::new(),
        };
        files.register();
        let mut files = files;
        for (k, v) in pairs {
            let path = files.dir.join(k);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| io("write", &path, e))?;
            std::io::Write::write_all(&mut f, v.as_bytes()).map_err(|e| io("write", &path, e))?;
            files.args.push(format!("{k}#file={}", path.display()));
        }
        Ok(files)
    }

    /// Records the directory for the signal thread, starting it if need be.
    fn register(&self) {
        watch_signals();
        IN_PROGRESS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.dir.clone());
    }
}

impl Drop for ContentFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        IN_PROGRESS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|d| d != &self.dir);
    }
}

impl std::fmt::Debug for ContentFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentFiles")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Starts, once per process, the thread that removes the calls' directories when a
/// `SIGTERM`, `SIGINT` or `SIGHUP` arrives, then lets the signal end the process.
fn watch_signals() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("ops-secret-files".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    for dir in IN_PROGRESS
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .iter()
                    {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                    // As if nothing had caught it: the process ends by the signal.
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
    });
}

/// Removes the call directories under `root` that no running call holds (left by processes
/// that were killed); returns how many. Never fails: what cannot be removed is left for the
/// next time.
pub fn sweep_stale(root: &Path) -> usize {
    let Ok(meta) = std::fs::symlink_metadata(root) else {
        return 0;
    };
    // Only a directory of our own: anything else is not ours to clean (and is refused when
    // content is written).
    if !meta.file_type().is_dir() || meta.uid() != rustix::process::geteuid().as_raw() {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(CALL_PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(lock) = open_dir(&path) else {
            continue;
        };
        if rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive).is_ok()
            && std::fs::remove_dir_all(&path).is_ok()
        {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(
            "removed {removed} secret content director{} left in {} by a hook that was killed",
            if removed == 1 { "y" } else { "ies" },
            root.display()
        );
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn content_goes_in_a_private_locked_directory_removed_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("secrets");
        let files = ContentFiles::write(&root, [("password", "hunter2")].into_iter()).unwrap();
        let (key, path) = files.args[0].split_once("#file=").unwrap();
        assert_eq!(key, "password");
        let path = Path::new(path);
        assert_eq!(std::fs::read_to_string(path).unwrap(), "hunter2");
        let dir = path.parent().unwrap();
        assert!(
            dir.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(CALL_PREFIX)
        );
        assert_eq!((mode(&root), mode(dir), mode(path)), (0o700, 0o700, 0o600));
        // Held: another open of the directory cannot lock it.
        let other = open_dir(dir).unwrap();
        assert!(rustix::fs::flock(&other, FlockOperation::NonBlockingLockExclusive).is_err());
        let dir = dir.to_owned();
        drop(files);
        assert!(!dir.exists());
    }

    #[test]
    fn a_root_that_is_a_link_or_open_to_others_is_refused_or_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let root = tmp.path().join("secrets");
        std::os::unix::fs::symlink(&elsewhere, &root).unwrap();
        let e = ContentFiles::write(&root, [("password", "hunter2")].into_iter()).unwrap_err();
        assert!(
            e.to_string().contains("it is a symbolic link")
                && e.to_string().contains("so others could read it"),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        assert_eq!(sweep_stale(&root), 0, "not ours to sweep");
        // A directory of ours that others can enter is closed first.
        std::fs::remove_file(&root).unwrap();
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        drop(ContentFiles::write(&root, [("password", "x")].into_iter()).unwrap());
        assert_eq!(mode(&root), 0o700);
        // Another user's directory is refused (only root can make one here).
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&root, Some(65534), Some(65534)).unwrap();
            let e = ContentFiles::write(&root, [("password", "x")].into_iter()).unwrap_err();
            assert!(e.to_string().contains("owned by uid 65534"), "{e}");
        }
    }

    #[test]
    fn the_sweep_removes_what_no_running_call_holds_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("secrets");
        let running = ContentFiles::write(&root, [("password", "now")].into_iter()).unwrap();
        // Left by a killed call: named, but its lock went with its process.
        let stale = root.join(format!("{CALL_PREFIX}killed"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("password"), "then").unwrap();
        // Not a call directory: left alone.
        let other = root.join(".new-halfmade");
        std::fs::create_dir(&other).unwrap();
        let (removed, lines) = {
            let (r, m) = crate::test_support::retry::logging_model();
            let n = tracing::subscriber::with_default(crate::log::subscriber(m, false), || {
                sweep_stale(&root)
            });
            (n, r.lines())
        };
        assert_eq!(removed, 1);
        assert!(!stale.exists() && other.exists());
        assert!(running.args[0].contains(CALL_PREFIX));
        let path = running.args[0].split_once("#file=").unwrap().1.to_owned();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "now");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("removed 1 secret content directory left in")),
            "{lines:?}"
        );
        assert_eq!(sweep_stale(&tmp.path().join("none")), 0);
    }
}
