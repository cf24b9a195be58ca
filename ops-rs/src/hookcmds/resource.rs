//! `resource-get`.

use std::path::PathBuf;

use super::{HookToolError, HookToolRunner, args, run};

/// `resource-get <name>`: the local path of a file resource (Juju downloads it if needed).
pub fn resource_get(r: &dyn HookToolRunner, name: &str) -> Result<PathBuf, HookToolError> {
    let out = run(r, "resource-get", args([name]), None)?;
    let text = String::from_utf8(out)
        .map_err(|_| HookToolError::bad_answer("resource-get", "the path is not UTF-8"))?;
    let path = text.trim();
    if path.is_empty() {
        return Err(HookToolError::bad_answer(
            "resource-get",
            format!("empty answer for resource '{name}', expected a path"),
        ));
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering("/var/lib/juju/res/blob.tgz\n");
        assert_eq!(
            resource_get(&r, "blob").unwrap(),
            PathBuf::from("/var/lib/juju/res/blob.tgz")
        );
        assert_eq!(r.lines(), ["resource-get blob"]);
        assert!(resource_get(&answering("\n"), "blob").is_err());
    }
}
