//! `is-leader`.

use super::{HookToolError, HookToolRunner, args, run_json};

/// `is-leader --format=json`.
pub fn is_leader(r: &dyn HookToolRunner) -> Result<bool, HookToolError> {
    run_json(r, "is-leader", args(["--format=json"]), "true or false")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering("true\n");
        assert!(is_leader(&r).unwrap());
        assert_eq!(r.lines(), ["is-leader --format=json"]);
        let e = is_leader(&answering("\"yes\"")).unwrap_err().to_string();
        assert!(
            e.contains("`is-leader`") && e.contains("true or false"),
            "{e}"
        );
    }
}
