//! `storage-list`, `storage-get`, `storage-add`.

use std::path::PathBuf;

use serde::Deserialize;

use super::{HookToolError, HookToolRunner, args, run, run_json};

/// What `storage-get` says about one storage instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StorageDetails {
    /// `filesystem` or `block`.
    pub kind: String,
    /// Where it is mounted (filesystem) or the device path (block).
    pub location: PathBuf,
}

/// `storage-list --format=json <name>`: the instance indexes of storage `name`
/// (`["data/0","data/1"]` → `[0, 1]`).
pub fn storage_list(r: &dyn HookToolRunner, name: &str) -> Result<Vec<u32>, HookToolError> {
    let ids: Option<Vec<String>> = run_json(
        r,
        "storage-list",
        args(["--format=json", name]),
        "a list of storage ids",
    )?;
    ids.unwrap_or_default()
        .iter()
        .map(|id| {
            id.rsplit_once('/')
                .and_then(|(_, n)| n.parse().ok())
                .ok_or_else(|| {
                    HookToolError::bad_answer(
                        "storage-list",
                        format!("storage id {id:?} is not of the form name/N"),
                    )
                })
        })
        .collect()
}

/// `storage-get --format=json -s <name>/<index>`.
pub fn storage_get(
    r: &dyn HookToolRunner,
    name: &str,
    index: u32,
) -> Result<StorageDetails, HookToolError> {
    run_json(
        r,
        "storage-get",
        args(["--format=json", "-s", &format!("{name}/{index}")]),
        "an object with kind and location",
    )
}

/// `storage-get --format=json -s <name>/<index> location`: where the instance is (the
/// mount point of a filesystem, the device of a block storage).
pub fn storage_location(
    r: &dyn HookToolRunner,
    name: &str,
    index: u64,
) -> Result<PathBuf, HookToolError> {
    run_json(
        r,
        "storage-get",
        args([
            "--format=json",
            "-s",
            &format!("{name}/{index}"),
            "location",
        ]),
        "a location as a string",
    )
}

/// `storage-add <name>=<count>`: ask Juju for more instances (they attach in later hooks).
pub fn storage_add(r: &dyn HookToolRunner, name: &str, count: u32) -> Result<(), HookToolError> {
    run(r, "storage-add", args([&format!("{name}={count}")]), None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering(r#"["data/0","data/12"]"#);
        assert_eq!(storage_list(&r, "data").unwrap(), vec![0, 12]);
        let r2 = answering(r#"{"kind":"filesystem","location":"/srv/data"}"#);
        let d = storage_get(&r2, "data", 12).unwrap();
        assert_eq!(d.location, PathBuf::from("/srv/data"));
        storage_add(&r2, "data", 2).unwrap();
        assert_eq!(r.lines(), ["storage-list --format=json data"]);
        assert_eq!(
            r2.lines(),
            ["storage-get --format=json -s data/12", "storage-add data=2"]
        );
        assert!(storage_list(&answering(r#"["data"]"#), "data").is_err());
        assert!(storage_get(&answering(r#"{"kind":"x"}"#), "data", 0).is_err());
    }
}
