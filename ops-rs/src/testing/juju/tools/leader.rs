//! `is-leader`: whether this unit leads its application.

use serde_json::Value;

use super::super::args::Spec;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const IS_LEADER: Tool = Tool {
    spec: || Spec::new("is-leader", "", "Print application leadership status.").format("smart"),
    run: |call: &mut Call<'_>| -> ToolResult {
        call.at_most(0)?;
        call.output(Format::Smart, &Value::Bool(call.state.leader))
    },
};

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::ok;

    #[test]
    fn forms() {
        let mut s = JujuState::new("a/0").leader(true);
        assert_eq!(ok(&mut s, "is-leader"), "True\n");
        assert_eq!(ok(&mut s, "is-leader --format=json"), "true\n");
        s.leader = false;
        assert_eq!(ok(&mut s, "is-leader --format=json"), "false\n");
        assert_eq!(ok(&mut s, "is-leader"), "False\n");
    }
}
