//! Container images: what a container's filesystem holds before the charm runs, so that
//! services run for real (`--real-processes`) find their binaries.
//!
//! An image is a directory copied into the container's root (`<work>/workloads/<c>`), plus
//! host files linked in at container paths, plus empty directories. In a scenario:
//!
//! ```yaml
//! model:
//!   images:
//!     web: images/web                     # a directory, copied
//!     # or:
//!     web:
//!       dir: images/web                   # optional
//!       files:                            # container path: host file (symlinked)
//!         /usr/bin/webkv-server: ${bin-dir}/webkv-server
//!       dirs: [/var/lib/webkv]            # created empty
//! ```
//!
//! Relative host paths are taken from the scenario file's directory (from the current
//! directory for `--image`). Files are linked, not copied: large binaries cost nothing, and
//! Pebble's writes replace a link rather than writing through it.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::error::{Result, SimError};
use super::yaml::{Node, kind, scalar};

/// One container's image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image {
    /// A host directory whose content is copied into the container's root.
    pub dir: Option<PathBuf>,
    /// Container path → host file, linked in.
    pub files: BTreeMap<String, PathBuf>,
    /// Container directories to create.
    pub dirs: Vec<String>,
}

fn image_err(container: &str, message: impl Into<String>) -> SimError {
    SimError::Image {
        container: container.to_owned(),
        message: message.into(),
    }
}

/// The relative form of absolute container path `p` (no `..`), or why it is not one.
fn container_rel(p: &str) -> std::result::Result<PathBuf, String> {
    let path = Path::new(p);
    if !path.is_absolute() {
        return Err(format!("{p:?} is not an absolute container path"));
    }
    let mut rel = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => rel.push(n),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(format!("{p:?} must not contain '..'"));
            }
        }
    }
    if rel.as_os_str().is_empty() {
        return Err(format!("{p:?} is the container's root"));
    }
    Ok(rel)
}

impl Image {
    /// Parses `model.images.<c>`: a directory, or `{dir, files, dirs}`.
    pub fn parse(n: Node<'_>) -> Result<Image> {
        if let Some(dir) = scalar(n.value) {
            return Ok(Image {
                dir: Some(PathBuf::from(dir)),
                ..Image::default()
            });
        }
        n.map(&["dir", "files", "dirs"])?;
        let dirs = match n.value.get("dirs") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| scalar(v).ok_or_else(|| n.field_err("dirs", "expected paths")))
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(n.field_err("dirs", format!("expected a list, got {}", kind(v))));
            }
        };
        let files = n
            .opt_string_map("files")?
            .into_iter()
            .map(|(k, v)| (k, PathBuf::from(v)))
            .collect();
        let image = Image {
            dir: n.opt_str("dir")?.map(PathBuf::from),
            files,
            dirs,
        };
        for p in image.files.keys().chain(&image.dirs) {
            container_rel(p).map_err(|m| n.err(m))?;
        }
        Ok(image)
    }

    /// Parses `--image CONTAINER=DIR` or `--image CONTAINER:/PATH=HOSTFILE`.
    pub fn parse_arg(arg: &str) -> std::result::Result<(String, Image), String> {
        let (left, host) = arg
            .split_once('=')
            .ok_or_else(|| format!("{arg:?} is not CONTAINER=DIR or CONTAINER:/PATH=HOSTFILE"))?;
        if host.is_empty() {
            return Err(format!("{arg:?}: the host path is empty"));
        }
        match left.split_once(':') {
            Some((c, path)) => {
                container_rel(path)?;
                let mut image = Image::default();
                image.files.insert(path.to_owned(), PathBuf::from(host));
                Ok((c.to_owned(), image))
            }
            None => Ok((
                left.to_owned(),
                Image {
                    dir: Some(PathBuf::from(host)),
                    ..Image::default()
                },
            )),
        }
    }

    /// The image with relative host paths taken from `base`.
    #[must_use]
    pub fn relative_to(mut self, base: &Path) -> Image {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(d) = self.dir.as_mut() {
            fix(d);
        }
        self.files.values_mut().for_each(fix);
        self
    }

    /// Adds `other` (its directory wins, its files and directories are added).
    pub fn merge(&mut self, other: Image) {
        if other.dir.is_some() {
            self.dir = other.dir;
        }
        self.files.extend(other.files);
        self.dirs.extend(other.dirs);
    }

    /// Fills container `container`'s root `root` from the image.
    pub fn install(&self, container: &str, root: &Path) -> Result<()> {
        std::fs::create_dir_all(root).map_err(|e| SimError::io("cannot create", root, e))?;
        if let Some(dir) = &self.dir {
            if !dir.is_dir() {
                return Err(image_err(
                    container,
                    format!("image directory {} does not exist", dir.display()),
                ));
            }
            copy_tree(dir, root)?;
        }
        for d in &self.dirs {
            let rel = container_rel(d).map_err(|m| image_err(container, m))?;
            let to = root.join(rel);
            std::fs::create_dir_all(&to).map_err(|e| SimError::io("cannot create", &to, e))?;
        }
        for (path, host) in &self.files {
            let rel = container_rel(path).map_err(|m| image_err(container, m))?;
            let host =
                std::path::absolute(host).map_err(|e| SimError::io("cannot resolve", host, e))?;
            if !host.exists() {
                return Err(image_err(
                    container,
                    format!(
                        "{path}: host file {} does not exist (build it first, e.g. `cargo build -p charm-example`)",
                        host.display()
                    ),
                ));
            }
            let to = root.join(rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| SimError::io("cannot create", parent, e))?;
            }
            let _ = std::fs::remove_file(&to);
            std::os::unix::fs::symlink(&host, &to)
                .map_err(|e| SimError::io("cannot link", &to, e))?;
        }
        Ok(())
    }
}

/// Copies the content of `from` into `to`: directories, files (with their permissions) and
/// symbolic links (as links).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let entries = std::fs::read_dir(from).map_err(|e| SimError::io("cannot read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| SimError::io("cannot read", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let ty = entry
            .file_type()
            .map_err(|e| SimError::io("cannot read", &src, e))?;
        if ty.is_dir() {
            std::fs::create_dir_all(&dst).map_err(|e| SimError::io("cannot create", &dst, e))?;
            copy_tree(&src, &dst)?;
        } else if ty.is_symlink() {
            let target =
                std::fs::read_link(&src).map_err(|e| SimError::io("cannot read", &src, e))?;
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(target, &dst)
                .map_err(|e| SimError::io("cannot link", &dst, e))?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| SimError::io("cannot copy", &src, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_dirs_files_and_trees() {
        let host = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(host.path().join("img/etc")).unwrap();
        std::fs::write(host.path().join("img/etc/motd"), "hi").unwrap();
        std::fs::write(host.path().join("server"), "bin").unwrap();
        let (c, mut image) = Image::parse_arg("web=img").unwrap();
        assert_eq!(c, "web");
        let (_, files) = Image::parse_arg("web:/usr/bin/server=server").unwrap();
        image.merge(files);
        image.dirs.push("/var/lib/app".into());
        let image = image.relative_to(host.path());
        let root = host.path().join("root");
        image.install("web", &root).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("etc/motd")).unwrap(),
            "hi"
        );
        assert!(root.join("usr/bin/server").is_symlink());
        assert_eq!(
            std::fs::read_to_string(root.join("usr/bin/server")).unwrap(),
            "bin"
        );
        assert!(root.join("var/lib/app").is_dir());
    }

    #[test]
    fn errors_say_what_to_do() {
        assert!(Image::parse_arg("web").is_err());
        assert!(Image::parse_arg("web:rel=x").is_err());
        assert!(Image::parse_arg("web:/a/../b=x").is_err());
        let dir = tempfile::tempdir().unwrap();
        let (_, image) = Image::parse_arg("web:/usr/bin/x=/nonexistent/x").unwrap();
        let e = image.install("web", dir.path()).unwrap_err().to_string();
        assert!(e.contains("does not exist (build it first"), "{e}");
        assert!(e.starts_with("image of container web:"), "{e}");
    }
}
