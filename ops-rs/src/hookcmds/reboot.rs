//! `juju-reboot`.

use super::{HookToolError, HookToolRunner, run};

/// `juju-reboot [--now]`: reboot the machine after this hook, or (`now`) at once — Juju then
/// stops the hook, so with `now` the charm should exit right after this returns.
pub fn juju_reboot(r: &dyn HookToolRunner, now: bool) -> Result<(), HookToolError> {
    let a = if now {
        vec!["--now".to_owned()]
    } else {
        Vec::new()
    };
    run(r, "juju-reboot", a, None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv() {
        let r = answering("");
        juju_reboot(&r, false).unwrap();
        juju_reboot(&r, true).unwrap();
        assert_eq!(r.lines(), ["juju-reboot", "juju-reboot --now"]);
    }
}
