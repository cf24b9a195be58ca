//! Storage instances attached to the unit.

use std::path::PathBuf;

use super::{Model, ModelError};
use crate::hookcmds::storage as tools;

/// One storage instance, e.g. `data/0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// The storage name from metadata.
    pub name: String,
    /// The instance index.
    pub index: u32,
    /// Where it is mounted (filesystem) or its device (block).
    pub location: PathBuf,
}

impl Storage {
    /// The Juju id, `name/index`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.name, self.index)
    }
}

impl Model {
    /// The instance indexes of storage `name` (`storage-list`; cached until `storage-add`).
    pub fn storage_indexes(&self, name: &str) -> Result<Vec<u32>, ModelError> {
        self.memo(
            |c| c.storage_ids.get(name).cloned(),
            || tools::storage_list(self.tools(), name).map_err(ModelError::from),
            |c, v| {
                c.storage_ids.insert(name.to_owned(), v);
            },
        )
    }

    /// Where instance `name/index` is (`storage-get`; cached).
    pub fn storage_location(&self, name: &str, index: u32) -> Result<PathBuf, ModelError> {
        let key = (name.to_owned(), index);
        let d = self.memo(
            |c| c.storage.get(&key).cloned(),
            || tools::storage_get(self.tools(), name, index).map_err(ModelError::from),
            |c, v| {
                c.storage.insert(key.clone(), v);
            },
        )?;
        Ok(d.location)
    }

    /// Every instance of storage `name`, with its location.
    pub fn storages(&self, name: &str) -> Result<Vec<Storage>, ModelError> {
        self.storage_indexes(name)?
            .into_iter()
            .map(|index| {
                Ok(Storage {
                    name: name.to_owned(),
                    index,
                    location: self.storage_location(name, index)?,
                })
            })
            .collect()
    }

    /// Asks Juju for `count` more instances of `name` (`storage-add`); they attach later,
    /// each with a `<name>-storage-attached` event.
    pub fn storage_add(&self, name: &str, count: u32) -> Result<(), ModelError> {
        let r = tools::storage_add(self.tools(), name, count);
        self.cache().storage_ids.remove(name);
        r.map_err(ModelError::from)
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::runners::{juju, model};

    #[test]
    fn list_locate_add() {
        let r = juju(&[
            ("storage-list --format=json data", r#"["data/0","data/1"]"#),
            (
                "storage-get --format=json -s data/0",
                r#"{"kind":"filesystem","location":"/a"}"#,
            ),
            (
                "storage-get --format=json -s data/1",
                r#"{"kind":"filesystem","location":"/b"}"#,
            ),
        ]);
        let m = model(&r);
        let s = m.storages("data").unwrap();
        assert_eq!(s[1].id(), "data/1");
        assert_eq!(s[1].location.to_str(), Some("/b"));
        m.storages("data").unwrap();
        m.storage_add("data", 2).unwrap();
        m.storage_indexes("data").unwrap();
        assert_eq!(
            r.lines(),
            [
                "storage-list --format=json data",
                "storage-get --format=json -s data/0",
                "storage-get --format=json -s data/1",
                "storage-add data=2",
                "storage-list --format=json data",
            ]
        );
    }
}
