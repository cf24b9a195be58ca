//! Files (`/v1/files`): entries as listed, and the options for push, make-dir, list and remove.
//!
//! # Example
//! ```
//! use pebble_client::{PushOptions, FileType, FileInfo};
//! let opts = PushOptions::new().make_dirs(true).permissions(0o600).user("app");
//! assert_eq!(opts.to_metadata("/etc/app.conf")?["permissions"], "600");
//! let f: FileInfo = serde_json::from_str(r#"{"path":"/etc","name":"etc","type":"directory",
//!     "permissions":"755","last-modified":"2024-01-02T03:04:05Z"}"#)?;
//! assert_eq!(f.file_type, FileType::Directory);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use super::string_enum::string_enum;
use super::time::Timestamp;

string_enum! {
    /// The type of a file.
    pub enum FileType {
        /// A regular file.
        File = "file",
        /// A directory.
        Directory = "directory",
        /// A symbolic link.
        Symlink = "symlink",
        /// A unix socket.
        Socket = "socket",
        /// A named pipe.
        NamedPipe = "named-pipe",
        /// A device.
        Device = "device",
    }
}

/// One entry from `GET /v1/files?action=list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileInfo {
    /// Absolute path.
    pub path: String,
    /// Base name.
    pub name: String,
    /// Its type (`unknown` arrives as [`FileType::Unknown`]).
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// Size in bytes (regular files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Permission bits as 3 or 4 octal digits, e.g. `"644"`.
    pub permissions: String,
    /// Modification time (second precision).
    pub last_modified: Timestamp,
    /// Owner uid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// Owner name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Group gid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// Group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl FileInfo {
    /// The permission bits as a number (`None` if Pebble sent something that is not octal).
    pub fn mode(&self) -> Option<u32> {
        u32::from_str_radix(&self.permissions, 8).ok()
    }
}

/// A permission value that is not 3 octal digits (`0o000..=0o777`): what a push or make-dir
/// with such a value fails with (as [`Error::InvalidArgument`](crate::Error::InvalidArgument),
/// before anything is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("permissions {0:#o} do not fit in 3 octal digits; use a value from 0o000 to 0o777")]
pub struct PermissionsError(pub u32);

/// Formats `mode` as Pebble's 3-digit octal string.
fn octal3(mode: u32) -> Result<String, PermissionsError> {
    if mode > 0o777 {
        return Err(PermissionsError(mode));
    }
    Ok(format!("{mode:03o}"))
}

/// Owner settings shared by push and make-dir.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// Owner uid.
    pub user_id: Option<u32>,
    /// Owner name.
    pub user: Option<String>,
    /// Group gid.
    pub group_id: Option<u32>,
    /// Group name.
    pub group: Option<String>,
}

impl Ownership {
    fn write_into(&self, obj: &mut serde_json::Map<String, serde_json::Value>) {
        if let Some(v) = self.user_id {
            obj.insert("user-id".into(), v.into());
        }
        if let Some(v) = &self.user {
            obj.insert("user".into(), v.clone().into());
        }
        if let Some(v) = self.group_id {
            obj.insert("group-id".into(), v.into());
        }
        if let Some(v) = &self.group {
            obj.insert("group".into(), v.clone().into());
        }
    }
}

macro_rules! ownership_setters {
    () => {
        /// Owner uid.
        pub fn user_id(mut self, uid: u32) -> Self {
            self.owner.user_id = Some(uid);
            self
        }
        /// Owner name (its primary group is used when no group is given).
        pub fn user(mut self, name: impl Into<String>) -> Self {
            self.owner.user = Some(name.into());
            self
        }
        /// Group gid (needs a user too).
        pub fn group_id(mut self, gid: u32) -> Self {
            self.owner.group_id = Some(gid);
            self
        }
        /// Group name (needs a user too).
        pub fn group(mut self, name: impl Into<String>) -> Self {
            self.owner.group = Some(name.into());
            self
        }
    };
}

/// Options for pushing a file (`POST /v1/files`, multipart `write`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct PushOptions {
    /// Create missing parent directories (mode 0755).
    pub make_dirs: bool,
    /// The file's mode bits, e.g. `0o600` (Pebble's default is `0o644`); checked when the
    /// options are used (`0o000..=0o777`).
    pub permissions: Option<u32>,
    /// Owner and group.
    pub owner: Ownership,
}

impl PushOptions {
    /// Defaults: no parents created, mode 644, owned by Pebble's user.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create missing parent directories.
    pub fn make_dirs(mut self, yes: bool) -> Self {
        self.make_dirs = yes;
        self
    }

    /// File mode, e.g. `0o600`: a constant needs no `?`. A value above `0o777` (setuid,
    /// sticky, or not a mode at all) is refused when the options are used: the push fails
    /// with [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming it, and nothing
    /// is sent to Pebble.
    ///
    /// ```
    /// use pebble_client::PushOptions;
    /// let ok = PushOptions::new().permissions(0o600);
    /// assert_eq!(ok.to_metadata("/f").unwrap()["permissions"], "600");
    /// let bad = PushOptions::new().permissions(0o4755);
    /// assert!(bad.to_metadata("/f").unwrap_err().to_string().contains("0o4755"));
    /// ```
    pub fn permissions(mut self, mode: u32) -> Self {
        self.permissions = Some(mode);
        self
    }

    ownership_setters!();

    /// The metadata object for `path` in the `request` part; fails if the permissions do
    /// not fit in 3 octal digits.
    pub fn to_metadata(&self, path: &str) -> Result<serde_json::Value, PermissionsError> {
        let mut obj = serde_json::Map::new();
        obj.insert("path".into(), path.into());
        if self.make_dirs {
            obj.insert("make-dirs".into(), true.into());
        }
        if let Some(mode) = self.permissions {
            obj.insert("permissions".into(), octal3(mode)?.into());
        }
        self.owner.write_into(&mut obj);
        Ok(serde_json::Value::Object(obj))
    }
}

/// Options for making a directory (`POST /v1/files`, `make-dirs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct MakeDirOptions {
    /// Create missing parents, and do not fail if the directory exists.
    pub make_parents: bool,
    /// The directory's mode bits, e.g. `0o750` (Pebble's default is `0o755`); checked when
    /// the options are used (`0o000..=0o777`).
    pub permissions: Option<u32>,
    /// Owner and group.
    pub owner: Ownership,
}

impl MakeDirOptions {
    /// Defaults: parents must exist, mode 755.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create missing parents; an existing directory is then not an error.
    pub fn make_parents(mut self, yes: bool) -> Self {
        self.make_parents = yes;
        self
    }

    /// Directory mode, e.g. `0o750`; checked when used, as
    /// [`PushOptions::permissions`].
    pub fn permissions(mut self, mode: u32) -> Self {
        self.permissions = Some(mode);
        self
    }

    ownership_setters!();

    /// The entry for `path` in the `dirs` list; fails if the permissions do not fit in 3
    /// octal digits.
    pub fn to_entry(&self, path: &str) -> Result<serde_json::Value, PermissionsError> {
        let mut obj = serde_json::Map::new();
        obj.insert("path".into(), path.into());
        if self.make_parents {
            obj.insert("make-parents".into(), true.into());
        }
        if let Some(mode) = self.permissions {
            obj.insert("permissions".into(), octal3(mode)?.into());
        }
        self.owner.write_into(&mut obj);
        Ok(serde_json::Value::Object(obj))
    }
}

/// Options for listing files (`GET /v1/files?action=list`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ListFilesOptions {
    /// Only names matching this Go `path.Match` pattern, e.g. `*.txt`.
    pub pattern: Option<String>,
    /// List the directory itself, not its contents.
    pub itself: bool,
}

impl ListFilesOptions {
    /// List a directory's contents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only names matching `pattern`.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// List the path itself.
    pub fn itself(mut self, yes: bool) -> Self {
        self.itself = yes;
        self
    }
}

/// Options for removing a path (`POST /v1/files`, `remove`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct RemoveOptions {
    /// Remove directories and their contents; a missing path is then not an error.
    pub recursive: bool,
}

impl RemoveOptions {
    /// Non-recursive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove recursively.
    pub fn recursive(mut self, yes: bool) -> Self {
        self.recursive = yes;
        self
    }
}

string_enum! {
    /// The kind of a per-path error from the files API.
    pub enum FileErrorKind {
        /// The path does not exist.
        NotFound = "not-found",
        /// Pebble may not access it.
        PermissionDenied = "permission-denied",
        /// Any other failure.
        GenericFileError = "generic-file-error",
    }
}

/// One per-path result in a files response: `{"path": …, "error": {kind, message}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileResult {
    /// The path.
    pub path: String,
    /// Its error, when that path failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FileResultError>,
}

/// The error of one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileResultError {
    /// What went wrong.
    pub kind: FileErrorKind,
    /// Pebble's message.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_metadata_shape() {
        let m = PushOptions::new()
            .make_dirs(true)
            .permissions(0o600)
            .user_id(1000)
            .user("u")
            .group_id(1000)
            .group("g")
            .to_metadata("/abs/f")
            .unwrap();
        assert_eq!(
            m,
            serde_json::json!({"path":"/abs/f","make-dirs":true,"permissions":"600",
                "user-id":1000,"user":"u","group-id":1000,"group":"g"})
        );
        assert_eq!(
            PushOptions::new().to_metadata("/a").unwrap(),
            serde_json::json!({"path":"/a"})
        );
        assert_eq!(
            PushOptions::new()
                .permissions(0o7)
                .to_metadata("/a")
                .unwrap()["permissions"],
            "007"
        );
        assert_eq!(
            PushOptions::new()
                .permissions(0o777)
                .to_metadata("/a")
                .unwrap()["permissions"],
            "777"
        );
        assert_eq!(
            PushOptions::new().permissions(0o1777).to_metadata("/a"),
            Err(PermissionsError(0o1777))
        );
        assert_eq!(
            MakeDirOptions::new().permissions(0o1000).to_entry("/d"),
            Err(PermissionsError(0o1000))
        );
    }

    #[test]
    fn make_dir_entry_shape() {
        let e = MakeDirOptions::new()
            .make_parents(true)
            .permissions(0o755)
            .to_entry("/d")
            .unwrap();
        assert_eq!(
            e,
            serde_json::json!({"path":"/d","make-parents":true,"permissions":"755"})
        );
    }

    #[test]
    fn file_info_round_trip() {
        let json = r#"{"path":"/abs/f","name":"f","type":"file","size":123,"permissions":"644","last-modified":"2024-01-02T03:04:05Z","user-id":0,"user":"root","group-id":0,"group":"root"}"#;
        let f: FileInfo = serde_json::from_str(json).unwrap();
        assert_eq!(f.mode(), Some(0o644));
        assert_eq!(serde_json::to_string(&f).unwrap(), json);
        let odd: FileInfo = serde_json::from_str(&json.replace("\"file\"", "\"unknown\"")).unwrap();
        assert_eq!(odd.file_type, FileType::Unknown("unknown".into()));
    }

    #[test]
    fn file_result_shape() {
        let r: Vec<FileResult> = serde_json::from_str(
            r#"[{"path":"/a"},{"path":"/b","error":{"kind":"not-found","message":"stat /b: no such file or directory"}}]"#,
        )
        .unwrap();
        assert!(r[0].error.is_none());
        assert_eq!(r[1].error.as_ref().unwrap().kind, FileErrorKind::NotFound);
    }
}
