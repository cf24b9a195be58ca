//! `state-get`, `state-set`, `state-delete`: the controller-side key-value store.

use serde_json::Value;

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult, parse_key_values, parse_settings};

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new("state-get", "[<key>]", "Print server-side-state value.")
            .format("smart")
            .opt(Opt::flag(
                &["strict"],
                "Return an error if the requested key does not exist",
            ))
    },
    run: get,
};
pub(crate) const SET: Tool = Tool {
    spec: || {
        Spec::new(
            "state-set",
            "key=value [key=value ...]",
            "Set server-side-state values.",
        )
        .opt(Opt::value(&["file"], "file containing key-value pairs"))
    },
    run: set,
};
pub(crate) const DELETE: Tool = Tool {
    spec: || {
        Spec::new(
            "state-delete",
            "<key>",
            "Delete server-side-state key value pairs.",
        )
    },
    run: delete,
};

fn get(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let store = &call.state.controller_state;
    let value = match call.args.positional.first() {
        None => Value::Object(
            store
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ),
        Some(key) => match store.get(key) {
            Some(v) => Value::String(v.clone()),
            None if call.args.flag("strict") => {
                return Err(ToolError::failed(format!("key {key:?} not found")));
            }
            None => Value::Null,
        },
    };
    call.output(Format::Smart, &value)
}

fn set(call: &mut Call<'_>) -> ToolResult {
    let overrides = parse_key_values(&call.args.positional)?;
    let mut settings = match call.args.value("file") {
        Some(path) => parse_settings(&call.read_input(path)?)?,
        None => Default::default(),
    };
    settings.extend(overrides);
    for (k, v) in settings {
        if v.is_empty() {
            call.state.controller_state.remove(&k);
        } else {
            call.state.controller_state.insert(k, v);
        }
    }
    Ok(Vec::new())
}

fn delete(call: &mut Call<'_>) -> ToolResult {
    let Some(key) = call.args.positional.first().cloned() else {
        return Err(ToolError::usage("missing key to delete"));
    };
    call.at_most(1)?;
    call.state.controller_state.remove(&key);
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok, run_in};

    #[test]
    fn set_get_delete() {
        let mut s = JujuState::new("a/0");
        ok(&mut s, "state-set a=1 b=two");
        let out = run_in(
            &mut s,
            "state-set --file -",
            Some(b"c: |\n  multi\n  line\nb: 2\n"),
        );
        assert_eq!(out.exit_code, 0);
        assert_eq!(ok(&mut s, "state-get a"), "1\n");
        assert_eq!(ok(&mut s, "state-get b"), "2\n");
        assert_eq!(ok(&mut s, "state-get c"), "multi\nline\n");
        assert_eq!(ok(&mut s, "state-get missing"), "");
        assert!(err(&mut s, "state-get missing --strict", 1).contains("not found"));
        ok(&mut s, "state-delete a");
        ok(&mut s, "state-set b=");
        assert_eq!(
            ok(&mut s, "state-get --format=json"),
            "{\"c\":\"multi\\nline\\n\"}\n"
        );
        err(&mut s, "state-set nokey", 2);
    }
}
