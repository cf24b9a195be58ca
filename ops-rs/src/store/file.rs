//! The state file itself, before SQLite opens it: what may stand at its path, how a new one
//! comes into being, and the unit's lock on it.
//!
//! - **Only a regular file of our own.** A symbolic link, a directory or anything else at the
//!   path is refused with [`StoreError::NotAFile`], and nothing is changed: links are never
//!   followed (a link's target is not the unit's to chmod), and the file is opened with
//!   `O_NOFOLLOW` so a link swapped in after the check is refused too.
//! - **Owner-only.** An existing file of ours that others may read is made 0600; a file
//!   another user owns is left as it is.
//! - **Born whole.** A new file is written and committed with the whole schema under a
//!   temporary name beside it (0600), then linked into place, so the path never holds a
//!   half-made file: a 0-byte file there was emptied by something else, and the open says
//!   so (a warning: SQLite would silently start an empty state from it).
//! - **One dispatch at a time.** Before SQLite touches the file, the dispatch takes an
//!   exclusive `flock` on it, and keeps it until the connection is closed. Juju runs one hook
//!   per unit at a time, but `juju exec`, `juju debug-hooks` and a hook still running from a
//!   stuck agent are real: a second dispatch waits here, holding no SQLite lock, and says
//!   what for; it runs once the first one has finished, or gives up after [`LOCK_WAIT`] with
//!   [`StoreError::Locked`]. (SQLite's own locks cannot do this: in exclusive locking mode
//!   a connection keeps the shared lock it took to read while it waits for the write lock,
//!   and the first one then waits forever for that shared lock to go.)

use std::fs::File;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use rustix::fs::{FlockOperation, Mode, OFlags};

use super::StoreError;
use super::schema;
use super::sqlite::sql_error;

/// How long a dispatch waits for another one to finish with the state file before it
/// gives up ([`StoreError::Locked`]); SQLite's busy timeout is the same.
pub const LOCK_WAIT: Duration = Duration::from_secs(3600);

/// The longest pause between two tries of a busy lock.
const LOCK_POLL_MAX: Duration = Duration::from_millis(250);

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What stands at `path` when it is not a regular file, in words.
fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> Option<String> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_symlink() {
        return Some(match std::fs::read_link(path) {
            Ok(target) => format!("a symbolic link to {}", target.display()),
            Err(_) => "a symbolic link".to_owned(),
        });
    }
    use std::os::unix::fs::FileTypeExt;
    Some(
        if t.is_dir() {
            "a directory"
        } else if t.is_fifo() {
            "a named pipe"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_block_device() || t.is_char_device() {
            "a device"
        } else {
            "not a regular file"
        }
        .to_owned(),
    )
}

/// The state file, open and locked for this dispatch; dropping it releases the lock (after
/// the SQLite connection is closed: the store declares it last).
#[derive(Debug)]
pub(crate) struct LockedFile {
    _file: File,
}

/// Opens the state file at `path` (creating it whole if there is none), makes it
/// owner-only, and takes the unit's lock on it, waiting up to `wait` for another dispatch.
pub(crate) fn open_locked(
    path: &Path,
    migrations: &[&str],
    wait: Duration,
) -> Result<LockedFile, StoreError> {
    // One open decides: O_NOFOLLOW refuses a link (ELOOP) rather than follow it, and
    // O_NONBLOCK keeps a named pipe from hanging the open; what it opened is checked next.
    let open = || {
        rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
    };
    let refused = |e: rustix::io::Errno| -> StoreError {
        match std::fs::symlink_metadata(path)
            .ok()
            .and_then(|meta| not_a_file(path, &meta))
        {
            Some(found) => StoreError::NotAFile {
                path: path.to_owned(),
                found,
            },
            None => io_error(path, e.into()),
        }
    };
    let fd = match open() {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => {
            create_whole(path, migrations)?;
            open().map_err(refused)?
        }
        Err(e) => return Err(refused(e)),
    };
    let file = File::from(fd);
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if let Some(found) = not_a_file(path, &meta) {
        return Err(StoreError::NotAFile {
            path: path.to_owned(),
            found,
        });
    }
    // Only a file of our own is made owner-only: another user's is not ours to change.
    if meta.mode() & 0o777 != 0o600 && meta.uid() == rustix::process::geteuid().as_raw() {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error(path, e))?;
    }
    // The size is read under the lock: after a wait, the holder may have written the file.
    let size = if lock(&file, path, wait)? {
        file.metadata().map_err(|e| io_error(path, e))?.len()
    } else {
        meta.len()
    };
    if size == 0 {
        tracing::warn!(
            "the state file {} is empty (0 bytes): starting from an empty state (no deferred \
             events, the charm's stored state at its default). ops-rs never leaves an empty \
             state file, so something emptied it: the deferred events and stored state it \
             held are lost",
            path.display()
        );
    }
    Ok(LockedFile { _file: file })
}

/// Takes the exclusive lock on `file`, waiting up to `wait` (and saying so) if another
/// process holds it; whether it waited.
fn lock(file: &File, path: &Path, wait: Duration) -> Result<bool, StoreError> {
    let try_lock = || match rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(io_error(path, e.into())),
    };
    if try_lock()? {
        return Ok(false);
    }
    tracing::warn!(
        "waiting for another process to finish with the state file {} (a hook still running, \
         `juju exec`, or a `juju debug-hooks` session): this hook starts when it is done \
         (giving up after {} s)",
        path.display(),
        wait.as_secs()
    );
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let waited = start.elapsed();
        if waited >= wait {
            return Err(StoreError::Locked {
                path: path.to_owned(),
                waited,
            });
        }
        std::thread::sleep(pause.min(wait - waited));
        pause = (pause * 2).min(LOCK_POLL_MAX);
        if try_lock()? {
            tracing::info!(
                "the state file {} is free after {:.1} s: starting",
                path.display(),
                start.elapsed().as_secs_f64()
            );
            return Ok(true);
        }
    }
}

/// Writes a new state file with the whole schema under a temporary name beside `path`
/// (0600), then links it into place. If another dispatch got there first, its file is kept.
/// (A hook killed in the moment between leaves its temporary `.<name>.new-XXXXXX`, which
/// holds no state.)
fn create_whole(path: &Path, migrations: &[&str]) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| io_error(path, e))?;
    {
        let conn = Connection::open_with_flags(
            tmp.path(),
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(|e| sql_error(path, "creating", e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = DELETE;
             PRAGMA synchronous = FULL;
             BEGIN IMMEDIATE;",
        )
        .map_err(|e| sql_error(path, "creating", e))?;
        schema::migrate(&conn, path, migrations)?;
        conn.execute_batch("COMMIT")
            .map_err(|e| sql_error(path, "creating", e))?;
    }
    match std::fs::hard_link(tmp.path(), path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        // A filesystem without hard links: rename, unless a file appeared meanwhile (two
        // first hooks at once there could replace one new, still empty, state with another).
        Err(_) if !path.exists() => {
            std::fs::rename(tmp.path(), path).map_err(|e| io_error(path, e))?;
        }
        // Another dispatch's new file got there first: it is kept.
        Err(_) => {}
    }
    // Make the new name durable before the temporary one goes (the directory entry).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    drop(tmp);
    Ok(())
}
