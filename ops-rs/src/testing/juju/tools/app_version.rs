//! `application-version-set`: the workload version shown in `juju status`.

use super::super::args::Spec;
use super::super::error::ToolError;
use super::{Call, Tool, ToolResult};

pub(crate) const SET: Tool = Tool {
    spec: || {
        Spec::new(
            "application-version-set",
            "<new-version>",
            "Specify which version of the application is deployed.",
        )
    },
    run: |call: &mut Call<'_>| -> ToolResult {
        let Some(version) = call.args.positional.first().cloned() else {
            return Err(ToolError::usage("no version specified"));
        };
        call.at_most(1)?;
        call.state.app_version = version;
        Ok(Vec::new())
    },
};

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    #[test]
    fn sets_version() {
        let mut s = JujuState::new("a/0");
        ok(&mut s, "application-version-set -- 1.2.3");
        assert_eq!(s.app_version, "1.2.3");
        assert_eq!(
            err(&mut s, "application-version-set", 2),
            "ERROR no version specified\n"
        );
    }
}
