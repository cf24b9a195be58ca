//! `application-version-set`.

use super::{HookToolError, HookToolRunner, args, run};

/// `application-version-set -- <version>`: the workload version shown in `juju status`.
pub fn application_version_set(r: &dyn HookToolRunner, version: &str) -> Result<(), HookToolError> {
    run(r, "application-version-set", args(["--", version]), None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv() {
        let r = answering("");
        application_version_set(&r, "-1.2").unwrap();
        assert_eq!(r.lines(), ["application-version-set -- -1.2"]);
    }
}
