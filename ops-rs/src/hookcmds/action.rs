//! `action-get`, `action-set`, `action-log`, `action-fail`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{HookToolError, HookToolRunner, args, limits, parse_json, run};

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

/// The result keys Juju reserves (`action-set` refuses them, anywhere in a dotted key).
pub const RESERVED_RESULT_KEYS: [&str; 4] =
    ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];

/// Whether `part` (a key, or one part of a dotted key) is what Juju's action key rule takes:
/// lowercase letters, digits and `-`, starting and ending with a letter or digit.
fn is_valid_key_part(part: &str) -> bool {
    let b = part.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match b {
        [] => false,
        [one] => inner(one),
        [first, mid @ .., last] => {
            inner(first) && inner(last) && mid.iter().all(|c| inner(c) || *c == b'-')
        }
    }
}

/// Whether `action-set` takes `key` as Juju checks it: split on `.`, every part valid (see
/// [`flatten_results`]) and none of [`RESERVED_RESULT_KEYS`].
pub fn is_valid_result_key(key: &str) -> bool {
    key.split('.')
        .all(|p| is_valid_key_part(p) && !RESERVED_RESULT_KEYS.contains(&p))
}

/// Why Juju would refuse `key`, if it would.
fn result_key_problem(key: &str) -> Option<String> {
    if let Some(p) = key.split('.').find(|p| RESERVED_RESULT_KEYS.contains(p)) {
        return Some(format!(
            "action result key '{key}' uses '{p}', which Juju reserves ({})",
            RESERVED_RESULT_KEYS.join(", ")
        ));
    }
    if !key.split('.').all(is_valid_key_part) {
        return Some(format!(
            "action result key '{key}' is invalid: each of its dot-separated parts must be \
             lowercase letters, digits and '-', starting and ending with a letter or digit"
        ));
    }
    None
}

/// Flattens nested objects to dotted keys (`{"a": {"b": 1}}` → `a.b=1`) and checks every key
/// as Juju's `action-set` does: split on `.`, each part lowercase letters, digits and `-`,
/// starting and ending with a letter or digit, and none of [`RESERVED_RESULT_KEYS`]. Strings
/// are kept as they are; other values become their JSON text.
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
                    if let Some(problem) = result_key_problem(&key) {
                        return Err(HookToolError::Invalid(problem));
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
///
/// Every `key=value` is one command-line argument, which Linux limits
/// ([`limits`]): a result too long for one is refused before anything runs,
/// naming the limit. Results that fit one by one but not all on one command line are set with
/// several calls, which Juju merges into one set of results.
pub fn action_set(
    r: &dyn HookToolRunner,
    results: &Map<String, Value>,
) -> Result<(), HookToolError> {
    let flat = flatten_results(results)?;
    for (k, v) in &flat {
        let arg_len = k.len() + 1 + v.len();
        if arg_len > limits::MAX_ARG_LEN {
            return Err(HookToolError::Invalid(format!(
                "action result '{k}' is {} bytes: with its key, one result must fit in one \
                 command-line argument of at most {} bytes (Linux refuses longer ones); keep \
                 large output in a file in the workload and return its path instead",
                v.len(),
                limits::MAX_ARG_LEN
            )));
        }
    }
    let pointer = std::mem::size_of::<usize>();
    let mut batch: Vec<String> = Vec::new();
    let mut batch_len = 0;
    for (k, v) in flat {
        let arg = format!("{k}={v}");
        let cost = arg.len() + 1 + pointer;
        if !batch.is_empty() && batch_len + cost > limits::ACTION_SET_ARGV_BUDGET {
            run(r, "action-set", std::mem::take(&mut batch), None)?;
            batch_len = 0;
        }
        batch_len += cost;
        batch.push(arg);
    }
    if !batch.is_empty() {
        run(r, "action-set", batch, None)?;
    }
    Ok(())
}

/// `action-log -- <message>`: a progress line the caller sees while the action runs. A
/// message longer than one command-line argument takes ([`limits::MAX_ARG_LEN`] bytes) is
/// sent whole, as several lines cut on character boundaries.
pub fn action_log(r: &dyn HookToolRunner, message: &str) -> Result<(), HookToolError> {
    for piece in limits::split_utf8(message, limits::MAX_ARG_LEN) {
        run(r, "action-log", args(["--", piece]), None)?;
    }
    Ok(())
}

/// `action-fail [-- <message>]`: mark the action failed (the handler still returns normally).
/// A message longer than one command-line argument takes ([`limits::MAX_ARG_LEN`] bytes) is
/// cut, and ends with [`limits::truncation_marker`].
pub fn action_fail(r: &dyn HookToolRunner, message: Option<&str>) -> Result<(), HookToolError> {
    let a = match message {
        Some(m) => args(["--", &limits::truncate_utf8(m, limits::MAX_ARG_LEN)]),
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
        for bad in [
            "",
            "A",
            "-a",
            "a-",
            "a_b",
            "a.",
            "a b",
            "é",
            "a..b",
            "a.-b",
            "a-.b",
            ".a",
            "stdout",
            "a.stderr",
            "stdout-encoding.x",
        ] {
            assert!(!is_valid_result_key(bad), "{bad}");
        }
        let r = answering("");
        let e = action_set(&r, &obj(json!({"Bad": 1}))).unwrap_err();
        assert!(e.to_string().contains("'Bad' is invalid"), "{e}");
        let e = action_set(&r, &obj(json!({"out": {"stderr": 1}}))).unwrap_err();
        assert!(e.to_string().contains("'out.stderr' uses 'stderr'"), "{e}");
        let e = action_set(&r, &obj(json!({"a.b": 1, "a": {"b": 2}}))).unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        assert!(r.calls().is_empty());
    }

    #[test]
    fn long_values_are_split_cut_or_refused_to_fit_the_command_line() {
        use limits::{ACTION_SET_ARGV_BUDGET, MAX_ARG_LEN};
        // Results that fit one by one, not together: several calls, none over the budget.
        let r = answering("");
        let many: Map<String, Value> = (0..25)
            .map(|i| (format!("k{i:02}"), json!("v".repeat(100_000))))
            .collect();
        action_set(&r, &many).unwrap();
        let calls = r.calls();
        assert!(calls.len() > 1);
        for c in &calls {
            assert!(limits::fits_on_command_line(&c.tool, &c.args));
            let len: usize = c.args.iter().map(|a| a.len() + 9).sum();
            assert!(len <= ACTION_SET_ARGV_BUDGET, "{len}");
        }
        assert_eq!(calls.iter().map(|c| c.args.len()).sum::<usize>(), 25);
        // One result too long for an argument: refused, nothing runs.
        let r = answering("");
        let key_and_eq = "k=".len();
        let fits = json!({"k": "v".repeat(MAX_ARG_LEN - key_and_eq)});
        action_set(&r, &obj(fits)).unwrap();
        let over = json!({"k": "v".repeat(MAX_ARG_LEN - key_and_eq + 1)});
        let e = action_set(&r, &obj(over)).unwrap_err();
        assert!(e.to_string().contains("'k' is 131070 bytes"), "{e}");
        assert_eq!(r.calls().len(), 1);
        // A long failure message is cut; a long log line is sent in pieces.
        let r = answering("");
        action_fail(&r, Some(&"é".repeat(MAX_ARG_LEN))).unwrap();
        action_log(&r, &"é".repeat(MAX_ARG_LEN)).unwrap();
        let calls = r.calls();
        assert!(
            calls
                .iter()
                .all(|c| limits::fits_on_command_line(&c.tool, &c.args))
        );
        assert!(calls[0].args[1].ends_with("too long for one command-line argument]"));
        // 262,142 bytes in pieces of at most 131,071, cut between two-byte characters.
        assert_eq!(calls.len(), 1 + 3);
    }

    #[test]
    fn failure_hides_values() {
        let r = failing("ERROR boom");
        let e = action_set(&r, &obj(json!({"password": "hunter2"}))).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }
}
