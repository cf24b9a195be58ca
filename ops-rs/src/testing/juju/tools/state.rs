//! `state-get`, `state-set`, `state-delete`: the controller-side key-value store.

use serde_json::Value;

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult, parse_key_values, parse_settings};
use crate::hookcmds::limits::{
    MAX_STATE_KEY_LEN, MAX_STATE_SIZE, MAX_STATE_VALUE_LEN, state_store_size,
};

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
    // As Juju: no key, or `-`, prints every key; an empty store is `null` (in JSON; `{}` in
    // YAML, and so in the default `smart`); a missing key is an empty string unless
    // `--strict`, then an error.
    let key = call.args.positional.first().filter(|k| *k != "-");
    let value = match key {
        None if store.is_empty() => {
            return match Format::from_args(&call.args, Format::Smart)? {
                Format::Json => Ok(b"null\n".to_vec()),
                Format::Smart | Format::Yaml => Ok(b"{}\n".to_vec()),
            };
        }
        None => Value::Object(
            store
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ),
        Some(key) => match store.get(key) {
            Some(v) => Value::String(v.clone()),
            None if call.args.flag("strict") => {
                return Err(ToolError::failed(format!("{key:?} not found")));
            }
            None => Value::String(String::new()),
        },
    };
    // Juju's YAML writes an empty string as `""`.
    if value == Value::String(String::new())
        && Format::from_args(&call.args, Format::Smart)? == Format::Yaml
    {
        return Ok(b"\"\"\n".to_vec());
    }
    call.output(Format::Smart, &value)
}

fn set(call: &mut Call<'_>) -> ToolResult {
    let overrides = parse_key_values(&call.args.positional)?;
    let mut settings = match call.args.value("file") {
        Some(path) => parse_settings(&call.read_input(path)?)?,
        None => Default::default(),
    };
    settings.extend(overrides);
    // Juju checks each pair as it sets it (`quota.CheckTupleSize`) and keeps an empty value
    // as it is: `state-set k=` stores "", only `state-delete` removes a key.
    for (k, v) in &settings {
        if k.len() > MAX_STATE_KEY_LEN {
            return Err(ToolError::failed(format!(
                "max allowed key length ({MAX_STATE_KEY_LEN}) exceeded"
            )));
        }
        if v.len() > MAX_STATE_VALUE_LEN {
            return Err(ToolError::failed(format!(
                "max allowed value length ({MAX_STATE_VALUE_LEN}) exceeded"
            )));
        }
    }
    let store = &mut call.state.controller_state;
    store.extend(settings);
    // Juju checks the whole store when it commits the hook's changes, after the hook, and
    // fails the hook; the simulator refuses the `state-set` that crosses the limit, so the
    // charm sees the same refusal a little earlier (and nothing of the hook is kept either
    // way).
    let size = state_store_size(store.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if size > MAX_STATE_SIZE {
        return Err(ToolError::failed(format!(
            "persisting charm state: max allowed size ({MAX_STATE_SIZE}) exceeded"
        )));
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
    use super::super::test_support::{err, ok, run, run_in};
    use crate::hookcmds::limits::{MAX_STATE_KEY_LEN, MAX_STATE_VALUE_LEN};

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
        assert_eq!(ok(&mut s, "state-get --format=yaml missing"), "\"\"\n");
        assert!(err(&mut s, "state-get missing --strict", 1).contains("not found"));
        ok(&mut s, "state-delete a");
        // An empty value is kept, as Juju keeps it: only state-delete removes a key.
        ok(&mut s, "state-set b=");
        assert_eq!(
            ok(&mut s, "state-get --format=json"),
            "{\"b\":\"\",\"c\":\"multi\\nline\\n\"}\n"
        );
        err(&mut s, "state-set nokey", 2);
    }

    #[test]
    fn missing_keys_and_an_empty_store_print_what_juju_prints() {
        let mut s = JujuState::new("a/0");
        // Juju's `state-get` on an empty store writes a nil map: `null` in JSON, `{}` in YAML.
        assert_eq!(ok(&mut s, "state-get --format=json"), "null\n");
        assert_eq!(ok(&mut s, "state-get"), "{}\n");
        assert_eq!(ok(&mut s, "state-get --format=yaml -"), "{}\n");
        // A missing key is an empty string, not null, unless --strict.
        assert_eq!(ok(&mut s, "state-get --format=json missing"), "\"\"\n");
        assert_eq!(ok(&mut s, "state-get missing"), "");
        assert_eq!(ok(&mut s, "state-get --format=yaml missing"), "\"\"\n");
        assert_eq!(
            err(&mut s, "state-get --strict missing", 1),
            "ERROR \"missing\" not found\n"
        );
        ok(&mut s, "state-set k=v");
        assert_eq!(ok(&mut s, "state-get -"), "k: v\n");
    }

    #[test]
    fn keys_values_and_the_whole_store_are_limited_as_juju_limits_them() {
        let mut s = JujuState::new("a/0");
        let long_key = "k".repeat(MAX_STATE_KEY_LEN + 1);
        assert_eq!(
            err(&mut s, &format!("state-set {long_key}=v"), 1),
            "ERROR max allowed key length (256) exceeded\n"
        );
        ok(&mut s, &format!("state-set {}=v", &long_key[1..]));
        let big = "v".repeat(MAX_STATE_VALUE_LEN + 1);
        assert_eq!(
            err(&mut s, &format!("state-set big={big}"), 1),
            "ERROR max allowed value length (65536) exceeded\n"
        );
        // Values of exactly 64 KiB are fine, up to 2 MiB in all.
        let fits = &big[1..];
        for i in 0..31 {
            ok(&mut s, &format!("state-set k{i:02}={fits}"));
        }
        let out = run(&mut s, &format!("state-set k31={fits}"));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "ERROR persisting charm state: max allowed size (2097152) exceeded\n"
        );
        assert!(
            !s.controller_state.contains_key("k31"),
            "a failed call sets nothing"
        );
    }
}
