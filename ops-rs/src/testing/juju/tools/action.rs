//! `action-get`, `action-set`, `action-log`, `action-fail`: the action being run.

use serde_json::Value;

use super::super::args::Spec;
use super::super::error::ToolError;
use super::super::output::Format;
use super::super::state::ActionState;
use super::{Call, Tool, ToolResult};

const RESERVED: [&str; 4] = ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "action-get",
            "[<key>[.<key>.<key>...]]",
            "Get action parameters.",
        )
        .format("smart")
    },
    run: get,
};
pub(crate) const SET: Tool = Tool {
    spec: || {
        Spec::new(
            "action-set",
            "<key>=<value> [<key>=<value> ...]",
            "Set action results.",
        )
    },
    run: set,
};
pub(crate) const LOG: Tool = Tool {
    spec: || {
        Spec::new(
            "action-log",
            "<message>",
            "Record a progress message for the current action.",
        )
    },
    run: log,
};
pub(crate) const FAIL: Tool = Tool {
    spec: || {
        Spec::new(
            "action-fail",
            "[\"<failure message>\"]",
            "Set action fail status with message.",
        )
    },
    run: fail,
};

fn action<'a>(call: &'a mut Call<'_>) -> Result<&'a mut ActionState, ToolError> {
    call.state
        .action
        .as_mut()
        .ok_or_else(|| ToolError::failed("not running an action"))
}

fn get(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let key = call.args.positional.first().cloned();
    let params = action(call)?.params.clone();
    let value = match key {
        None => params,
        Some(path) => path
            .split('.')
            .try_fold(&params, |v, k| v.get(k))
            .cloned()
            .unwrap_or(Value::Null),
    };
    call.output(Format::Smart, &value)
}

/// Juju's action key rule: lowercase alphanumerics and hyphens, starting and ending alphanumeric.
fn valid_key(key: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    key.chars().next().is_some_and(ok_char)
        && key.chars().last().is_some_and(ok_char)
        && key.chars().all(|c| ok_char(c) || c == '-')
}

fn set(call: &mut Call<'_>) -> ToolResult {
    let mut updates = Vec::new();
    for arg in &call.args.positional {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(ToolError::usage(format!(
                "argument {arg:?} must be of the form key...=value"
            )));
        };
        let keys: Vec<String> = key.split('.').map(str::to_owned).collect();
        for k in &keys {
            if !valid_key(k) {
                return Err(ToolError::usage(format!(
                    "key {k:?} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods"
                )));
            }
            if RESERVED.contains(&k.as_str()) {
                return Err(ToolError::usage(format!(
                    "cannot set reserved action key {k:?}"
                )));
            }
        }
        updates.push((keys, value.to_owned()));
    }
    let results = &mut action(call)?.results;
    for (keys, value) in updates {
        insert(results, &keys, value);
    }
    Ok(Vec::new())
}

fn insert(map: &mut serde_json::Map<String, Value>, keys: &[String], value: String) {
    match keys {
        [] => {}
        [last] => {
            map.insert(last.clone(), Value::String(value));
        }
        [first, rest @ ..] => {
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            if !entry.is_object() {
                *entry = Value::Object(Default::default());
            }
            if let Value::Object(m) = entry {
                insert(m, rest, value);
            }
        }
    }
}

fn log(call: &mut Call<'_>) -> ToolResult {
    if call.args.positional.is_empty() {
        return Err(ToolError::usage("no message specified"));
    }
    let message = call.args.positional.join(" ");
    action(call)?.logs.push(message);
    Ok(Vec::new())
}

fn fail(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let message = call.args.positional.first().cloned().unwrap_or_else(|| {
        "action failed without reason given, check action for errors".to_owned()
    });
    action(call)?.failure = Some(message);
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    fn state() -> JujuState {
        JujuState::new("a/0").action("backup", json!({"target": {"path": "/tmp"}, "n": 3}))
    }

    #[test]
    fn get_params() {
        let mut s = state();
        assert_eq!(ok(&mut s, "action-get target.path"), "/tmp\n");
        assert_eq!(ok(&mut s, "action-get n"), "3\n");
        assert_eq!(ok(&mut s, "action-get nope"), "");
        assert_eq!(
            ok(&mut s, "action-get --format=json"),
            "{\"n\":3,\"target\":{\"path\":\"/tmp\"}}\n"
        );
    }

    #[test]
    fn set_nests_results() {
        let mut s = state();
        ok(&mut s, "action-set a.b=1 a.c=2 d=x=y");
        ok(&mut s, "action-set a.b.z=3");
        let results = serde_json::to_value(&s.action.as_ref().unwrap().results).unwrap();
        assert_eq!(
            results,
            json!({"a": {"b": {"z": "3"}, "c": "2"}, "d": "x=y"})
        );
    }

    #[test]
    fn key_rules() {
        let mut s = state();
        assert!(err(&mut s, "action-set Foo=1", 2).contains("key \"Foo\" must start and end"));
        assert!(err(&mut s, "action-set a-=1", 2).contains("must start and end"));
        assert_eq!(
            err(&mut s, "action-set stdout=1", 2),
            "ERROR cannot set reserved action key \"stdout\"\n"
        );
        assert!(err(&mut s, "action-set novalue", 2).contains("must be of the form key...=value"));
    }

    #[test]
    fn log_and_fail() {
        let mut s = state();
        ok(&mut s, "action-log -- step-one");
        ok(&mut s, "action-fail -- disk-full");
        let a = s.action.as_ref().unwrap();
        assert_eq!(a.logs, ["step-one"]);
        assert_eq!(a.failure.as_deref(), Some("disk-full"));
        ok(&mut s, "action-fail");
        assert!(
            s.action
                .as_ref()
                .unwrap()
                .failure
                .as_deref()
                .unwrap()
                .starts_with("action failed")
        );
    }

    #[test]
    fn outside_an_action() {
        let mut s = JujuState::new("a/0");
        for line in [
            "action-get",
            "action-set a=1",
            "action-log x",
            "action-fail",
        ] {
            assert_eq!(err(&mut s, line, 1), "ERROR not running an action\n");
        }
    }
}
