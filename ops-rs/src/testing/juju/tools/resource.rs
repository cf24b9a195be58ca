//! `resource-get`: the local path of a charm resource.

use super::super::args::Spec;
use super::super::error::ToolError;
use super::{Call, Tool, ToolResult};

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "resource-get",
            "<resource name>",
            "Get the path to the locally cached resource file.",
        )
    },
    run: |call: &mut Call<'_>| -> ToolResult {
        let Some(name) = call.args.positional.first().cloned() else {
            return Err(ToolError::usage("missing required resource name"));
        };
        call.at_most(1)?;
        match call.state.resources.get(&name) {
            Some(path) => Ok(format!("{path}\n").into_bytes()),
            None => Err(ToolError::failed(format!("resource {name:?} not found"))),
        }
    },
};

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    #[test]
    fn path_or_error() {
        let mut s = JujuState::new("a/0").resource("bin", "/var/lib/juju/res/bin");
        assert_eq!(ok(&mut s, "resource-get bin"), "/var/lib/juju/res/bin\n");
        assert!(err(&mut s, "resource-get nope", 1).contains("not found"));
        err(&mut s, "resource-get", 2);
    }
}
