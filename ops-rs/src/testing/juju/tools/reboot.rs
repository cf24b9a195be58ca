//! `juju-reboot`: ask Juju to reboot the machine, after the hook or now.

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::state::Reboot;
use super::{Call, Tool, ToolResult};

pub(crate) const REBOOT: Tool = Tool {
    spec: || {
        Spec::new("juju-reboot", "", "Reboot the host machine.").opt(Opt::flag(
            &["now"],
            "reboot immediately, killing the invoking process",
        ))
    },
    run: |call: &mut Call<'_>| -> ToolResult {
        call.at_most(0)?;
        if call.state.action.is_some() {
            return Err(ToolError::failed(
                "juju-reboot is not supported when running an action.",
            ));
        }
        call.state.reboot = Some(if call.args.flag("now") {
            Reboot::Now
        } else {
            Reboot::AfterHook
        });
        Ok(Vec::new())
    },
};

#[cfg(test)]
mod tests {
    use super::super::super::{JujuState, Reboot};
    use super::super::test_support::{err, ok};

    #[test]
    fn records_request() {
        let mut s = JujuState::new("a/0");
        ok(&mut s, "juju-reboot");
        assert_eq!(s.reboot, Some(Reboot::AfterHook));
        ok(&mut s, "juju-reboot --now");
        assert_eq!(s.reboot, Some(Reboot::Now));
        let mut s = JujuState::new("a/0").action("x", serde_json::json!({}));
        assert!(err(&mut s, "juju-reboot", 1).contains("not supported"));
    }
}
