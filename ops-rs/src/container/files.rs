//! [`Container`]'s files: push, pull, list, exists, make and remove.

use pebble_client::{
    FileInfo, FileType, ListFilesOptions, MakeDirOptions, PushOptions, RemoveOptions,
};

use super::{Container, ContainerError};

impl Container {
    /// Writes a file atomically, from bytes or text. `options` sets parent creation
    /// (`make_dirs`), permissions and owner:
    ///
    /// ```no_run
    /// use ops::container::PushOptions;
    /// # let web = ops::container::Container::from_client("web",
    /// #     pebble_client::blocking::Client::new("/tmp/s")?);
    /// web.push("/etc/web/web.conf", "port = 8080\n", &PushOptions::new().make_dirs(true))?;
    /// let key: Vec<u8> = vec![1, 2, 3];
    /// web.push("/etc/web/key", &key, &PushOptions::new().permissions(0o600).user("web"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// The content is never logged.
    pub fn push(
        &self,
        path: &str,
        content: impl AsRef<[u8]>,
        options: &PushOptions,
    ) -> Result<(), ContainerError> {
        let content = content.as_ref().to_vec();
        self.check(self.pebble().push(path, content, options), || {
            format!("push {path}")
        })
    }

    /// Reads a file's bytes.
    pub fn pull(&self, path: &str) -> Result<Vec<u8>, ContainerError> {
        let bytes = self.check(self.pebble().pull(path), || format!("pull {path}"))?;
        Ok(Vec::from(bytes))
    }

    /// Reads a text file ([`ContainerError::NotUtf8`] if it is not UTF-8).
    pub fn pull_string(&self, path: &str) -> Result<String, ContainerError> {
        String::from_utf8(self.pull(path)?).map_err(|_| ContainerError::NotUtf8 {
            container: self.name().to_owned(),
            path: path.to_owned(),
        })
    }

    /// Lists a directory (with [`ListFilesOptions::itself`], the path itself; with a
    /// pattern, only matching names).
    pub fn list_files(
        &self,
        path: &str,
        options: &ListFilesOptions,
    ) -> Result<Vec<FileInfo>, ContainerError> {
        self.check(self.pebble().list_files(path, options), || {
            format!("list {path}")
        })
    }

    /// The path itself, or `None` if it does not exist.
    fn stat(&self, path: &str) -> Result<Option<FileInfo>, ContainerError> {
        match self.list_files(path, &ListFilesOptions::new().itself(true)) {
            Ok(mut list) => Ok(list.pop()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` exists (a missing path is `Ok(false)`; other failures are errors).
    pub fn exists(&self, path: &str) -> Result<bool, ContainerError> {
        Ok(self.stat(path)?.is_some())
    }

    /// Whether `path` exists and is a directory.
    pub fn is_dir(&self, path: &str) -> Result<bool, ContainerError> {
        Ok(self
            .stat(path)?
            .is_some_and(|f| f.file_type == FileType::Directory))
    }

    /// Creates a directory (with [`MakeDirOptions::make_parents`], its parents too, and an
    /// existing directory is not an error).
    pub fn make_dir(&self, path: &str, options: &MakeDirOptions) -> Result<(), ContainerError> {
        self.check(self.pebble().make_dir(path, options), || {
            format!("make directory {path}")
        })
    }

    /// Removes a file or an empty directory; with `recursive`, a directory and its contents
    /// (and then a missing path is not an error).
    pub fn remove_path(&self, path: &str, recursive: bool) -> Result<(), ContainerError> {
        let options = RemoveOptions::new().recursive(recursive);
        self.check(self.pebble().remove_path(path, &options), || {
            format!("remove {path}")
        })
    }
}
