//! `goal-state`: the units and relations Juju is converging towards.

use super::super::args::Spec;
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "goal-state",
            "",
            "Print the status of the charm's peers and related units.",
        )
        .format("yaml")
    },
    run: |call: &mut Call<'_>| -> ToolResult {
        call.at_most(0)?;
        let value = serde_json::to_value(&call.state.goal_state)
            .map_err(|e| ToolError::failed(e.to_string()))?;
        call.output(Format::Yaml, &value)
    },
};

#[cfg(test)]
mod tests {
    use super::super::super::{Goal, JujuState};
    use super::super::test_support::ok;

    #[test]
    fn prints_goal_state() {
        let mut s = JujuState::new("a/0");
        s.goal_state
            .units
            .insert("a/0".into(), Goal::new("active", "2025-01-01T00:00:00Z"));
        assert_eq!(
            ok(&mut s, "goal-state --format=json"),
            "{\"relations\":{},\"units\":{\"a/0\":{\"since\":\"2025-01-01T00:00:00Z\",\"status\":\"active\"}}}\n"
        );
    }
}
