//! `storage-list`, `storage-get`, `storage-add`: the unit's storage instances.

use serde_json::{Value, json};

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const LIST: Tool = Tool {
    spec: || {
        Spec::new(
            "storage-list",
            "[<storage-name>]",
            "List storage attached to the unit.",
        )
        .format("smart")
    },
    run: list,
};
pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "storage-get",
            "[<key>]",
            "Print information for the storage instance with the specified ID.",
        )
        .format("smart")
        .opt(Opt::value(&["s"], "specify a storage instance by id"))
    },
    run: get,
};
pub(crate) const ADD: Tool = Tool {
    spec: || {
        Spec::new(
            "storage-add",
            "<charm storage name>[=count] ...",
            "Add storage instances.",
        )
    },
    run: add,
};

fn list(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let only = call.args.positional.first();
    let ids: Vec<Value> = call
        .state
        .storage
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == *name))
        .flat_map(|(name, list)| {
            list.iter()
                .map(move |i| Value::String(format!("{name}/{}", i.index)))
        })
        .collect();
    call.output(Format::Smart, &Value::Array(ids))
}

fn get(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let (spelled, id) = match call.args.value_spelled("s") {
        Some((s, id)) => (s.to_owned(), id.to_owned()),
        None => match &call.state.tool_defaults.storage_id {
            Some(id) => ("-s".to_owned(), id.clone()),
            None => return Err(ToolError::usage("no storage instance specified")),
        },
    };
    let not_found = || {
        ToolError::usage(format!(
            "invalid value {id:?} for option {spelled}: storage not found"
        ))
    };
    let (name, index) = id.split_once('/').ok_or_else(not_found)?;
    let index: u32 = index.parse().map_err(|_| not_found())?;
    let instance = call
        .state
        .storage
        .get(name)
        .and_then(|l| l.iter().find(|i| i.index == index))
        .ok_or_else(not_found)?;
    let all = json!({"kind": instance.kind, "location": instance.location});
    let value = match call.args.positional.first() {
        None => all,
        Some(key) => all
            .get(key)
            .cloned()
            .ok_or_else(|| ToolError::failed(format!("invalid storage attribute {key:?}")))?,
    };
    call.output(Format::Smart, &value)
}

fn add(call: &mut Call<'_>) -> ToolResult {
    if call.args.positional.is_empty() {
        return Err(ToolError::usage("storage add requires a storage directive"));
    }
    let mut adds = Vec::new();
    for arg in &call.args.positional {
        let (name, count) = match arg.split_once('=') {
            Some((n, c)) => (
                n,
                c.parse::<u32>()
                    .map_err(|_| ToolError::usage(format!("cannot parse count: {arg:?}")))?,
            ),
            None => (arg.as_str(), 1),
        };
        if !call.state.storage.contains_key(name) {
            return Err(ToolError::failed(format!("storage {name:?} not found")));
        }
        adds.push((name.to_owned(), count));
    }
    for (name, count) in adds {
        *call.state.storage_requests.entry(name).or_default() += count;
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};

    #[test]
    fn list_get_add() {
        let mut s = JujuState::new("a/0")
            .storage("data", 0, "/srv/data")
            .storage("data", 1, "/srv/d1")
            .storage("logs", 0, "/var/log/x");
        assert_eq!(
            ok(&mut s, "storage-list --format=json data"),
            "[\"data/0\",\"data/1\"]\n"
        );
        assert_eq!(ok(&mut s, "storage-list"), "data/0\ndata/1\nlogs/0\n");
        assert_eq!(
            ok(&mut s, "storage-get --format=json -s data/1"),
            "{\"kind\":\"filesystem\",\"location\":\"/srv/d1\"}\n"
        );
        assert_eq!(ok(&mut s, "storage-get -s logs/0 location"), "/var/log/x\n");
        assert_eq!(
            err(&mut s, "storage-get -s test/0", 2),
            "ERROR invalid value \"test/0\" for option -s: storage not found\n"
        );
        err(&mut s, "storage-get", 2);
        s.tool_defaults.storage_id = Some("data/0".into());
        assert_eq!(ok(&mut s, "storage-get location"), "/srv/data\n");
        ok(&mut s, "storage-add data=2");
        ok(&mut s, "storage-add logs");
        assert_eq!(s.storage_requests["data"], 2);
        assert_eq!(s.storage_requests["logs"], 1);
        err(&mut s, "storage-add nope", 1);
        err(&mut s, "storage-add data=x", 2);
    }
}
