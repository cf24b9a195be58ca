//! `state-get`, `state-set`, `state-delete`: the unit's key-value store kept by the controller
//! (survives a Kubernetes pod being recreated, unlike the charm directory).

use std::collections::BTreeMap;

use super::{HookToolError, HookToolRunner, args, run, run_json};

/// `state-get --format=json`: every key.
pub fn state_get_all(r: &dyn HookToolRunner) -> Result<BTreeMap<String, String>, HookToolError> {
    let v: Option<BTreeMap<String, String>> = run_json(
        r,
        "state-get",
        args(["--format=json"]),
        "an object of strings",
    )?;
    Ok(v.unwrap_or_default())
}

/// `state-get --format=json <key>`: one key (`None` if unset).
pub fn state_get(r: &dyn HookToolRunner, key: &str) -> Result<Option<String>, HookToolError> {
    run_json(
        r,
        "state-get",
        args(["--format=json", key]),
        "a string or null",
    )
}

/// `state-set --file -` with the pairs as JSON on stdin.
pub fn state_set(
    r: &dyn HookToolRunner,
    data: &BTreeMap<String, String>,
) -> Result<(), HookToolError> {
    let body = serde_json::to_vec(data)
        .map_err(|e| HookToolError::Invalid(format!("cannot encode state for state-set: {e}")))?;
    run(r, "state-set", args(["--file", "-"]), Some(&body)).map(drop)
}

/// `state-delete <key>`.
pub fn state_delete(r: &dyn HookToolRunner, key: &str) -> Result<(), HookToolError> {
    run(r, "state-delete", args([key]), None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering(r#"{"a":"1"}"#);
        assert_eq!(state_get_all(&r).unwrap()["a"], "1");
        let r2 = answering(r#""v""#);
        assert_eq!(state_get(&r2, "k").unwrap().as_deref(), Some("v"));
        state_set(&r2, &BTreeMap::from([("k".to_string(), "v".to_string())])).unwrap();
        state_delete(&r2, "k").unwrap();
        assert_eq!(r.lines(), ["state-get --format=json"]);
        assert_eq!(
            r2.lines(),
            [
                "state-get --format=json k",
                "state-set --file -",
                "state-delete k"
            ]
        );
        assert_eq!(r2.calls()[1].stdin.as_deref(), Some(&br#"{"k":"v"}"#[..]));
    }
}
