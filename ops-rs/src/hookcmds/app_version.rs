//! `application-version-set`.

use super::{HookToolError, HookToolRunner, args, limits, run};

/// `application-version-set -- <version>`: the workload version shown in `juju status`. A
/// version longer than one command-line argument takes ([`limits::MAX_ARG_LEN`] bytes) is
/// cut, and ends with [`limits::truncation_marker`].
pub fn application_version_set(r: &dyn HookToolRunner, version: &str) -> Result<(), HookToolError> {
    let version = limits::truncate_utf8(version, limits::MAX_ARG_LEN);
    run(r, "application-version-set", args(["--", &version]), None).map(drop)
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
        application_version_set(&r, &"1".repeat(limits::MAX_ARG_LEN + 1)).unwrap();
        assert!(r.calls()[1].args[1].len() <= limits::MAX_ARG_LEN);
    }
}
