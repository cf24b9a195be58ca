//! `action-get`, `action-set`, `action-log`, `action-fail`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{HookToolError, HookToolRunner, args, parse_json, run};

/// `action-get --format=json`: the action's parameters.
pub fn action_get(r: &dyn HookToolRunner) -> Result<Map<String, Value>, HookToolError> {
    let out = run(r, "action-get", args(["--format=json"]), None)?;
    if out.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    // Parameters may be secret (a password the operator passes): never echoed in errors.
    let v: Option<Map<String, Value>> =
        parse_json("action-get", &out, "an object of parameters", true)?;
    Ok(v.unwrap_or_default())
}

/// Whether `key` is a valid `action-set` key: lowercase letters, digits, `-` and `.`,
/// starting and ending with a letter or digit.
pub fn is_valid_result_key(key: &str) -> bool {
    let b = key.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match b {
        [] => false,
        [one] => inner(one),
        [first, mid @ .., last] => {
            inner(first) && inner(last) && mid.iter().all(|c| inner(c) || *c == b'-' || *c == b'.')
        }
    }
}

/// Flattens nested objects to dotted keys (`{"a": {"b": 1}}` → `a.b=1`) and checks every key
/// against Juju's rule. Strings are kept as they are; other values become their JSON text.
pub fn flatten_results(
    results: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, HookToolError> {
    fn walk(
        prefix: &str,
        m: &Map<String, Value>,
        out: &mut BTreeMap<String, String>,
    ) -> Result<(), HookToolError> {
        for (k, v) in m {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Object(inner) => walk(&key, inner, out)?,
                other => {
                    if !is_valid_result_key(&key) {
                        return Err(HookToolError::Invalid(format!(
                            "action result key '{key}' is invalid: use lowercase letters, digits, \
                             '-' and '.', starting and ending with a letter or digit"
                        )));
                    }
                    let text = match other {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    };
                    if out.insert(key.clone(), text).is_some() {
                        return Err(HookToolError::Invalid(format!(
                            "action result key '{key}' is given twice (once dotted, once nested)"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk("", results, &mut out)?;
    Ok(out)
}

/// `action-set k=v ...` with nested results flattened (see [`flatten_results`]). Nothing runs
/// when a key is invalid, or when there are no results.
pub fn action_set(
    r: &dyn HookToolRunner,
    results: &Map<String, Value>,
) -> Result<(), HookToolError> {
    let flat = flatten_results(results)?;
    if flat.is_empty() {
        return Ok(());
    }
    let a = flat.iter().map(|(k, v)| format!("{k}={v}")).collect();
    run(r, "action-set", a, None).map(drop)
}

/// `action-log -- <message>`: a progress line the caller sees while the action runs.
pub fn action_log(r: &dyn HookToolRunner, message: &str) -> Result<(), HookToolError> {
    run(r, "action-log", args(["--", message]), None).map(drop)
}

/// `action-fail [-- <message>]`: mark the action failed (the handler still returns normally).
pub fn action_fail(r: &dyn HookToolRunner, message: Option<&str>) -> Result<(), HookToolError> {
    let a = match message {
        Some(m) => args(["--", m]),
        None => Vec::new(),
    };
    run(r, "action-fail", a, None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::{answering, failing};
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn argv_table() {
        let r = answering(r#"{"target":"s3","n":2}"#);
        assert_eq!(action_get(&r).unwrap()["n"], 2);
        action_set(&r, &obj(json!({"a": {"b": 1, "c": "x y"}, "ok": true}))).unwrap();
        action_log(&r, "-half way").unwrap();
        action_fail(&r, Some("no space")).unwrap();
        action_fail(&r, None).unwrap();
        action_set(&r, &Map::new()).unwrap();
        assert_eq!(
            r.lines(),
            [
                "action-get --format=json",
                "action-set a.b=1 a.c=x y ok=true",
                "action-log -- -half way",
                "action-fail -- no space",
                "action-fail",
            ]
        );
    }

    #[test]
    fn key_rule() {
        for good in ["a", "a1", "a-b", "a.b", "0", "x.y-z.9"] {
            assert!(is_valid_result_key(good), "{good}");
        }
        for bad in ["", "A", "-a", "a-", "a_b", "a.", "a b", "é"] {
            assert!(!is_valid_result_key(bad), "{bad}");
        }
        let r = answering("");
        let e = action_set(&r, &obj(json!({"Bad": 1}))).unwrap_err();
        assert!(e.to_string().contains("'Bad' is invalid"), "{e}");
        let e = action_set(&r, &obj(json!({"a.b": 1, "a": {"b": 2}}))).unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        assert!(r.calls().is_empty());
    }

    #[test]
    fn failure_hides_values() {
        let r = failing("ERROR boom");
        let e = action_set(&r, &obj(json!({"password": "hunter2"}))).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }
}
