//! `credential-get`: the cloud spec, for trusted charms.

use super::super::args::Spec;
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const GET: Tool = Tool {
    spec: || Spec::new("credential-get", "", "Access cloud credentials.").format("yaml"),
    run: |call: &mut Call<'_>| -> ToolResult {
        call.at_most(0)?;
        let Some(spec) = call.state.credential.clone() else {
            return Err(ToolError::failed("cannot access cloud credentials"));
        };
        call.output(Format::Yaml, &spec)
    },
};

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    #[test]
    fn trusted_or_not() {
        let mut s = JujuState::new("a/0");
        assert_eq!(
            err(&mut s, "credential-get --format=json", 1),
            "ERROR cannot access cloud credentials\n"
        );
        let mut s = s.credential(serde_json::json!({"type": "lxd", "name": "localhost"}));
        assert_eq!(
            ok(&mut s, "credential-get --format=json"),
            "{\"name\":\"localhost\",\"type\":\"lxd\"}\n"
        );
    }
}
