//! `is-leader`: whether this unit leads its application.
//!
//! As Juju's leadership context: a true answer claims the lease again each time, so it can
//! turn false in the middle of a hook (the state's `leadership_lost_after`); once the answer
//! is false it stays false until the hook ends (leadership is only gained between hooks).

use serde_json::Value;

use super::super::args::Spec;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const IS_LEADER: Tool = Tool {
    spec: || Spec::new("is-leader", "", "Print application leadership status.").format("smart"),
    run: |call: &mut Call<'_>| -> ToolResult {
        call.at_most(0)?;
        let state = &mut *call.state;
        if let Some(left) = state.leadership_lost_after {
            match left.checked_sub(1) {
                Some(n) => state.leadership_lost_after = Some(n),
                None => {
                    state.leader = false;
                    state.leadership_lost_after = None;
                }
            }
        }
        // A call that changes nothing leaves the model file alone (juju-sim's state file is
        // rewritten only when a call changes the model), so a follower's is-leader is cheap.
        let answer = state.leader;
        call.output(Format::Smart, &Value::Bool(answer))
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

    /// Leadership can be lost mid-hook; then false until the hook ends (and after).
    #[test]
    fn lease_lapses_mid_hook() {
        let mut s = JujuState::new("a/0").leader(true).leadership_lost_after(2);
        assert_eq!(ok(&mut s, "is-leader --format=json"), "true\n");
        assert_eq!(ok(&mut s, "is-leader --format=json"), "true\n");
        assert_eq!(ok(&mut s, "is-leader --format=json"), "false\n");
        assert!(!s.leader);
        assert_eq!(s.leadership_lost_after, None);
        assert_eq!(ok(&mut s, "is-leader --format=json"), "false\n");
    }
}
