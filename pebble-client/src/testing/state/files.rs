//! The container file system: absolute container paths mapped under a root directory.
//!
//! Every container path is cleaned lexically (`..` cannot climb above the root) and joined to
//! the root, so `/etc/app.conf` lives at `<root>/etc/app.conf`. Errors carry the container
//! path and Go's wording (`stat /x: no such file or directory`) and Pebble's error kinds.
//! Ownership requested by a push or make-dirs is applied only when the simulator runs as
//! root; otherwise it is accepted and ignored.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::types::{FileErrorKind, FileInfo, FileResult, FileResultError, FileType, Timestamp};

/// A per-path failure with Pebble's kind (`not-found`, `permission-denied`, `generic-file-error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    /// Pebble's error kind.
    pub kind: String,
    /// Go-style message naming the container path.
    pub message: String,
}

impl FileError {
    /// The per-path result entry for `path` with this error.
    pub(crate) fn result(&self, path: &str) -> FileResult {
        FileResult {
            path: path.to_owned(),
            error: Some(FileResultError {
                kind: FileErrorKind::from(self.kind.as_str()),
                message: self.message.clone(),
            }),
        }
    }

    /// A `generic-file-error`.
    pub(crate) fn generic(message: impl Into<String>) -> FileError {
        FileError {
            kind: "generic-file-error".into(),
            message: message.into(),
        }
    }

    /// Maps an I/O error of operation `op` on container path `path`.
    pub(crate) fn io(op: &str, path: &str, e: &io::Error) -> FileError {
        let kind = match e.kind() {
            io::ErrorKind::NotFound => "not-found",
            io::ErrorKind::PermissionDenied => "permission-denied",
            _ => "generic-file-error",
        };
        FileError {
            kind: kind.into(),
            message: format!("{op} {path}: {}", go_errno_text(e)),
        }
    }
}

/// Go's lowercase errno wording.
fn go_errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(2) => "no such file or directory".into(),
        Some(13) => "permission denied".into(),
        Some(17) => "file exists".into(),
        Some(20) => "not a directory".into(),
        Some(21) => "is a directory".into(),
        Some(39) => "directory not empty".into(),
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
                None => text,
            }
        }
    }
}

/// The file tree under a root directory.
#[derive(Debug, Clone)]
pub(crate) struct Files {
    root: PathBuf,
}

/// Options of one file write.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteOptions {
    pub make_dirs: bool,
    pub permissions: Option<String>,
    pub user_id: Option<u32>,
    pub group_id: Option<u32>,
}

/// Parses a `permissions` field: exactly three octal digits.
pub(crate) fn parse_permissions(p: &str, default: u32) -> Result<u32, FileError> {
    if p.is_empty() {
        return Ok(default);
    }
    if p.len() != 3 {
        return Err(FileError::generic(format!(
            "permissions must be a 3-digit octal string, got {p:?}"
        )));
    }
    u32::from_str_radix(p, 8).map_err(|_| {
        FileError::generic(format!(
            "permissions must be a 3-digit octal string, got {p:?}"
        ))
    })
}

impl Files {
    /// A file tree rooted at `root`.
    pub(crate) fn new(root: PathBuf) -> Files {
        Files { root }
    }

    /// The host root directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The host path of an absolute container path.
    pub(crate) fn host_path(&self, container: &str) -> Result<PathBuf, FileError> {
        if !container.starts_with('/') {
            return Err(FileError::generic(format!(
                "paths must be absolute, got {container:?}"
            )));
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in container.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        let mut host = self.root.clone();
        host.extend(parts);
        Ok(host)
    }

    /// Reads a regular file.
    pub(crate) fn read(&self, path: &str) -> Result<Vec<u8>, FileError> {
        let host = self.host_path(path)?;
        let meta = fs::metadata(&host).map_err(|e| FileError::io("stat", path, &e))?;
        if !meta.is_file() {
            return Err(FileError::generic(format!(
                "can only read a regular file: {path:?}"
            )));
        }
        fs::read(&host).map_err(|e| FileError::io("open", path, &e))
    }

    /// Writes a file atomically (temp file, then rename).
    pub(crate) fn write(
        &self,
        path: &str,
        content: &[u8],
        opts: &WriteOptions,
    ) -> Result<(), FileError> {
        let host = self.host_path(path)?;
        let mode = parse_permissions(opts.permissions.as_deref().unwrap_or(""), 0o644)?;
        let parent = host.parent().unwrap_or(&self.root).to_path_buf();
        if opts.make_dirs {
            create_dirs(&parent, 0o755).map_err(|e| FileError::io("mkdir", path, &e))?;
        }
        let name = host
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}~{:x}", fastrand::u64(..)));
        let result = (|| {
            fs::write(&tmp, content)?;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
            chown(&tmp, opts.user_id, opts.group_id)?;
            fs::rename(&tmp, &host)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(FileError::io("open", path, &e));
        }
        Ok(())
    }

    /// Creates a directory (and its parents when asked).
    pub(crate) fn make_dir(
        &self,
        path: &str,
        make_parents: bool,
        permissions: &str,
        user_id: Option<u32>,
        group_id: Option<u32>,
    ) -> Result<(), FileError> {
        let host = self.host_path(path)?;
        let mode = parse_permissions(permissions, 0o755)?;
        let result = if make_parents {
            create_dirs(&host, mode)
        } else {
            fs::create_dir(&host)
                .and_then(|()| fs::set_permissions(&host, fs::Permissions::from_mode(mode)))
        };
        result
            .and_then(|()| chown(&host, user_id, group_id))
            .map_err(|e| FileError::io("mkdir", path, &e))
    }

    /// Removes a file or directory; `recursive` removes trees and ignores a missing path.
    pub(crate) fn remove(&self, path: &str, recursive: bool) -> Result<(), FileError> {
        let host = self.host_path(path)?;
        if host == self.root {
            return Err(FileError::generic(format!(
                "remove {path}: cannot remove the root directory"
            )));
        }
        let meta = match fs::symlink_metadata(&host) {
            Ok(m) => m,
            Err(e) if recursive && e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(FileError::io("remove", path, &e)),
        };
        let result = match (meta.is_dir(), recursive) {
            (true, true) => fs::remove_dir_all(&host),
            (true, false) => fs::remove_dir(&host),
            (false, _) => fs::remove_file(&host),
        };
        result.map_err(|e| FileError::io("remove", path, &e))
    }

    /// Lists a directory (or one entry when `path` is a file or `itself` is set).
    /// Errors come back as (status code, error) for the caller's error envelope.
    pub(crate) fn list(
        &self,
        path: &str,
        pattern: &str,
        itself: bool,
    ) -> Result<Vec<FileInfo>, FileError> {
        let host = self.host_path(path)?;
        let meta = fs::metadata(&host).map_err(|e| FileError::io("stat", path, &e))?;
        if itself || !meta.is_dir() {
            let name = Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "/".into());
            if !pattern.is_empty() && !glob_match(pattern, &name) {
                return Ok(Vec::new());
            }
            return Ok(vec![info(path.to_owned(), name, &host)?]);
        }
        let mut out = Vec::new();
        let entries = fs::read_dir(&host).map_err(|e| FileError::io("open", path, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| FileError::io("readdirent", path, &e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !pattern.is_empty() && !glob_match(pattern, &name) {
                continue;
            }
            let cpath = format!("{}/{name}", path.trim_end_matches('/'));
            out.push(info(cpath, name, &entry.path())?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

fn info(path: String, name: String, host: &Path) -> Result<FileInfo, FileError> {
    let meta = fs::symlink_metadata(host).map_err(|e| FileError::io("lstat", &path, &e))?;
    let ft = meta.file_type();
    let file_type = if ft.is_symlink() {
        FileType::Symlink
    } else if ft.is_dir() {
        FileType::Directory
    } else if ft.is_file() {
        FileType::File
    } else {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_socket() {
            FileType::Socket
        } else if ft.is_fifo() {
            FileType::NamedPipe
        } else if ft.is_block_device() || ft.is_char_device() {
            FileType::Device
        } else {
            FileType::from("unknown")
        }
    };
    let modified = time::OffsetDateTime::from_unix_timestamp(meta.mtime())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Ok(FileInfo {
        path,
        name,
        file_type,
        size: ft.is_file().then_some(meta.len()),
        permissions: format!("{:03o}", meta.mode() & 0o777),
        last_modified: Timestamp::new(modified),
        user_id: Some(meta.uid()),
        user: lookup_name("/etc/passwd", meta.uid()),
        group_id: Some(meta.gid()),
        group: lookup_name("/etc/group", meta.gid()),
    })
}

/// The name of `id` in a passwd/group style file.
fn lookup_name(file: &str, id: u32) -> Option<String> {
    let text = fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _ = fields.next();
        (fields.next()?.parse::<u32>().ok()? == id).then(|| name.to_owned())
    })
}

fn create_dirs(dir: &Path, mode: u32) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, 0o755)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(mode)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

fn chown(path: &Path, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let running_as_root = fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if running_as_root && (uid.is_some() || gid.is_some()) {
        std::os::unix::fs::chown(path, uid, gid)?;
    }
    Ok(())
}

/// Go's `path.Match` for one name: `*`, `?`, `[...]` classes (with `^`/`!` negation, ranges)
/// and `\` escapes.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob(&p, &n)
}

fn glob(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| !n[..i].contains(&'/') && glob(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && n[0] != '/' && glob(&p[1..], &n[1..]),
        Some('[') => {
            let Some(c) = n.first() else { return false };
            let Some(end) = p.iter().skip(1).position(|ch| *ch == ']').map(|i| i + 1) else {
                return false;
            };
            let mut class = &p[1..end];
            let negate = matches!(class.first(), Some('^') | Some('!'));
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= *c && *c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != negate && glob(&p[end + 1..], &n[1..])
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && glob(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && glob(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        let f = Files::new(PathBuf::from("/tmp/root"));
        assert_eq!(
            f.host_path("/../../etc/passwd").unwrap(),
            PathBuf::from("/tmp/root/etc/passwd")
        );
        assert_eq!(
            f.host_path("x").unwrap_err().message,
            "paths must be absolute, got \"x\""
        );
    }

    #[test]
    fn round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = Files::new(dir.path().to_path_buf());
        let opts = WriteOptions {
            make_dirs: true,
            permissions: Some("600".into()),
            ..Default::default()
        };
        f.write("/etc/app/conf", b"hello", &opts).unwrap();
        assert_eq!(f.read("/etc/app/conf").unwrap(), b"hello");
        let err = f.read("/nope").unwrap_err();
        assert_eq!(err.kind, "not-found");
        assert_eq!(err.message, "stat /nope: no such file or directory");
        assert_eq!(
            f.read("/etc").unwrap_err().message,
            "can only read a regular file: \"/etc\""
        );
        let list = f.list("/etc/app", "", false).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].permissions, "600");
        assert_eq!(list[0].path, "/etc/app/conf");
        assert_eq!(
            f.remove("/etc", false).unwrap_err().message,
            "remove /etc: directory not empty"
        );
        f.remove("/etc", true).unwrap();
        f.remove("/etc", true).unwrap();
    }

    #[test]
    fn globs_like_go() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(!glob_match("*.txt", "a.txt.bak"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(!glob_match("[^a-c]x", "bx"));
    }

    #[test]
    fn permissions_are_three_octal_digits() {
        assert_eq!(parse_permissions("", 0o644), Ok(0o644));
        assert_eq!(parse_permissions("750", 0), Ok(0o750));
        assert!(parse_permissions("0750", 0).is_err());
        assert!(parse_permissions("999", 0).is_err());
    }
}
