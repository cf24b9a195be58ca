//! `state-get`, `state-set`, `state-delete`: the unit's key-value store kept by the controller
//! (survives a Kubernetes pod being recreated, unlike the charm directory).

use std::collections::BTreeMap;

use super::{HookToolError, HookToolRunner, args, limits, run, run_json, yaml_safe};

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

/// `state-get --format=json --strict <key>`: one key, `None` if it is not set.
///
/// Without `--strict`, Juju prints `""` for a key that is not set, the same as for a key set to
/// an empty string (`state-set k=` keeps the key, with an empty value); with it, a missing key
/// is an error (`ERROR "<key>" not found`), which this function answers as `None`.
pub fn state_get(r: &dyn HookToolRunner, key: &str) -> Result<Option<String>, HookToolError> {
    match run_json(
        r,
        "state-get",
        args(["--format=json", "--strict", key]),
        "a string",
    ) {
        Ok(value) => Ok(Some(value)),
        Err(HookToolError::Failed(f))
            if f.exit_code == Some(1) && f.stderr.contains(&format!("{key:?} not found")) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// `state-set --file -` with the pairs as JSON on stdin (with the characters Juju's YAML
/// reader refuses or folds escaped). Juju keeps each key to
/// [`MAX_STATE_KEY_LEN`](limits::MAX_STATE_KEY_LEN) bytes and each value to
/// [`MAX_STATE_VALUE_LEN`](limits::MAX_STATE_VALUE_LEN): longer ones are refused here, before
/// the tool runs. An empty value is kept as an empty value (use [`state_delete`]).
pub fn state_set(
    r: &dyn HookToolRunner,
    data: &BTreeMap<String, String>,
) -> Result<(), HookToolError> {
    for (k, v) in data {
        if k.len() > limits::MAX_STATE_KEY_LEN {
            return Err(HookToolError::Invalid(format!(
                "state key of {} bytes: Juju keeps keys of at most {} bytes",
                k.len(),
                limits::MAX_STATE_KEY_LEN
            )));
        }
        if v.len() > limits::MAX_STATE_VALUE_LEN {
            return Err(HookToolError::Invalid(format!(
                "the value of state key '{k}' is {} bytes: Juju keeps values of at most {} bytes",
                v.len(),
                limits::MAX_STATE_VALUE_LEN
            )));
        }
    }
    let body = yaml_safe::to_vec(data)
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
    use crate::test_support::runners::{answering, failing};

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
                "state-get --format=json --strict k",
                "state-set --file -",
                "state-delete k"
            ]
        );
        assert_eq!(r2.calls()[1].stdin.as_deref(), Some(&br#"{"k":"v"}"#[..]));
    }

    #[test]
    fn a_missing_key_is_none_and_other_failures_are_errors() {
        let missing = failing("ERROR \"k\" not found\n");
        assert_eq!(state_get(&missing, "k").unwrap(), None);
        let other = failing("ERROR connection lost\n");
        assert!(state_get(&other, "k").is_err());
        assert_eq!(
            state_get(&answering("\"\"\n"), "k").unwrap().as_deref(),
            Some("")
        );
    }

    #[test]
    fn keys_and_values_over_juju_limits_are_refused_before_the_tool_runs() {
        let r = answering("");
        let long_key = BTreeMap::from([("k".repeat(257), "v".to_owned())]);
        assert!(state_set(&r, &long_key).is_err());
        let long_value = BTreeMap::from([("k".to_owned(), "v".repeat(65_537))]);
        let e = state_set(&r, &long_value).unwrap_err();
        assert!(e.to_string().contains("at most 65536 bytes"), "{e}");
        assert!(r.calls().is_empty());
        let control = BTreeMap::from([("k".to_owned(), "\u{7f}".to_owned())]);
        state_set(&r, &control).unwrap();
        assert_eq!(
            r.calls()[0].stdin.as_deref(),
            Some(&br#"{"k":"\u007f"}"#[..])
        );
    }
}
