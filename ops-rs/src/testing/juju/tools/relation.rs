//! `relation-ids`, `relation-list`, `relation-get`, `relation-set`, `relation-model-get`.
//!
//! Access rules are Juju's: a unit reads its own bags, the remote units' and the remote
//! application's; it reads its own application's bag only as leader or in a peer relation
//! (otherwise `permission denied`); it writes only its own unit bag, and its application's as
//! leader (otherwise `cannot write relation settings`). An empty value deletes a key.

use serde_json::{Value, json};

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::super::state::Databag;
use super::{Call, Tool, ToolResult, parse_key_values, parse_settings};

fn rel_opt() -> Opt {
    Opt::value(&["r", "relation"], "specify a relation by id")
}

pub(crate) const IDS: Tool = Tool {
    spec: || {
        Spec::new(
            "relation-ids",
            "<name>",
            "List all relation IDs for the given endpoint.",
        )
        .format("smart")
    },
    run: ids,
};
pub(crate) const LIST: Tool = Tool {
    spec: || {
        Spec::new("relation-list", "", "List relation units.")
            .format("smart")
            .opt(rel_opt())
            .opt(Opt::flag(
                &["app"],
                "List remote application instead of participating units",
            ))
    },
    run: list,
};
pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new("relation-get", "<key> <unit id>", "Get relation settings.")
            .format("smart")
            .opt(rel_opt())
            .opt(Opt::flag(
                &["app"],
                "Get the relation data for the overall application, not just a unit",
            ))
    },
    run: get,
};
pub(crate) const SET: Tool = Tool {
    spec: || {
        Spec::new(
            "relation-set",
            "key=value [key=value ...]",
            "Set relation settings.",
        )
        .opt(rel_opt())
        .opt(Opt::value(&["file"], "file containing key-value pairs"))
        .opt(Opt::flag(
            &["app"],
            "pick whether you are setting \"application\" settings or \"unit\" settings",
        ))
        .opt(Opt::value(&["format"], "deprecated format flag"))
    },
    run: set,
};
pub(crate) const MODEL_GET: Tool = Tool {
    spec: || {
        Spec::new(
            "relation-model-get",
            "",
            "Get details about the model hosting a related application.",
        )
        .format("smart")
        .opt(rel_opt())
    },
    run: model_get,
};

/// Juju's application-name rule (`names.IsValidApplication`), simplified.
pub(crate) fn valid_app(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Juju's unit-name rule: `<application>/<number>`.
pub(crate) fn valid_unit(name: &str) -> bool {
    name.split_once('/').is_some_and(|(app, n)| {
        valid_app(app) && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
    })
}

fn ids(call: &mut Call<'_>) -> ToolResult {
    call.at_most(1)?;
    let endpoint = match call.args.positional.first() {
        Some(e) => e.clone(),
        None => call
            .state
            .tool_defaults
            .relation_id
            .and_then(|id| call.state.relation_by_id(id))
            .map(|r| r.endpoint.clone())
            .ok_or_else(|| ToolError::usage("no endpoint name specified"))?,
    };
    let mut rels: Vec<_> = call
        .state
        .relations
        .iter()
        .filter(|r| r.endpoint == endpoint && !r.broken)
        .collect();
    rels.sort_by_key(|r| r.id);
    let ids = rels.iter().map(|r| Value::String(r.key())).collect();
    call.output(Format::Smart, &Value::Array(ids))
}

fn list(call: &mut Call<'_>) -> ToolResult {
    call.at_most(0)?;
    let id = call.relation_id()?;
    let rel = call
        .state
        .relation_by_id(id)
        .ok_or_else(|| ToolError::failed("relation not found"))?;
    let value = if call.args.flag("app") {
        Value::String(rel.remote_app.clone())
    } else if rel.broken {
        Value::Array(Vec::new())
    } else {
        Value::Array(
            rel.remote_units
                .keys()
                .map(|u| Value::String(u.clone()))
                .collect(),
        )
    };
    call.output(Format::Smart, &value)
}

fn bag_value(bag: &Databag) -> Value {
    Value::Object(
        bag.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn get(call: &mut Call<'_>) -> ToolResult {
    let id = call.relation_id()?;
    let mut app = call.args.flag("app");
    let mut args = call.args.positional.iter();
    let key = args.next().filter(|k| *k != "-").cloned();
    let target = match args.next() {
        Some(name) if app => {
            if valid_app(name) {
                name.clone()
            } else if valid_unit(name) {
                name.split('/').next().unwrap_or(name).to_owned()
            } else {
                return Err(ToolError::usage(format!(
                    "invalid application name {name:?}"
                )));
            }
        }
        Some(name) => {
            if !valid_unit(name) {
                return Err(ToolError::usage(if valid_app(name) {
                    format!("expected unit name, got application name {name:?}")
                } else {
                    format!("invalid unit name {name:?}")
                }));
            }
            name.clone()
        }
        None => {
            let ctx = &call.state.tool_defaults;
            let in_hook = ctx.relation_id == Some(id);
            match (
                app,
                in_hook.then_some(&ctx.remote_unit).cloned().flatten(),
                in_hook.then_some(&ctx.remote_app).cloned().flatten(),
            ) {
                (true, _, Some(a)) => a,
                (false, Some(u), _) => u,
                (false, None, Some(a)) => {
                    app = true;
                    a
                }
                _ => return Err(ToolError::usage("no unit or application specified")),
            }
        }
    };
    call.at_most(2)?;
    let state = &*call.state;
    let rel = state
        .relation_by_id(id)
        .ok_or_else(|| ToolError::failed("relation not found"))?;
    let denied = || ToolError::failed("permission denied");
    let bag = if target == state.unit {
        &rel.local_unit_data
    } else if app && target == state.app() {
        if !(state.leader || rel.peer) {
            return Err(denied());
        }
        &rel.local_app_data
    } else if app {
        if target != rel.remote_app {
            return Err(denied());
        }
        &rel.remote_app_data
    } else {
        rel.unit_bag(&target).ok_or_else(denied)?
    };
    let value = match key {
        None => bag_value(bag),
        Some(k) => bag
            .get(&k)
            .map_or(Value::Null, |v| Value::String(v.clone())),
    };
    call.output(Format::Smart, &value)
}

fn set(call: &mut Call<'_>) -> ToolResult {
    let id = call.relation_id()?;
    let overrides = parse_key_values(&call.args.positional)?;
    let mut settings = match call.args.value("file") {
        Some(path) => parse_settings(&call.read_input(path)?)?,
        None => Default::default(),
    };
    settings.extend(overrides);
    let app = call.args.flag("app");
    if app && !call.state.leader {
        return Err(ToolError::failed("cannot write relation settings"));
    }
    let rel = call
        .state
        .relation_by_id_mut(id)
        .ok_or_else(|| ToolError::failed("relation not found"))?;
    let bag = if app {
        &mut rel.local_app_data
    } else {
        &mut rel.local_unit_data
    };
    for (k, v) in settings {
        if v.is_empty() {
            bag.remove(&k);
        } else {
            bag.insert(k, v);
        }
    }
    Ok(Vec::new())
}

fn model_get(call: &mut Call<'_>) -> ToolResult {
    let version = &call.state.juju_version;
    if !version.has_relation_model_get() {
        // The tool does not exist before 3.6.2: on a real unit the hook gets "command not
        // found" from its shell.
        return Err(ToolError::failed(format!(
            "relation-model-get: command not found (Juju {version} has no such hook tool; \
             it was added in Juju 3.6.2)"
        )));
    }
    call.at_most(0)?;
    let id = call.relation_id()?;
    let rel = call
        .state
        .relation_by_id(id)
        .ok_or_else(|| ToolError::failed("relation not found"))?;
    let uuid = rel
        .remote_model_uuid
        .clone()
        .unwrap_or_else(|| call.state.model.uuid.clone());
    call.output(Format::Smart, &json!({"uuid": uuid}))
}

#[cfg(test)]
mod tests {
    use super::super::super::{JujuState, RelationState};
    use super::super::test_support::{err, ok, run_in};

    fn state(leader: bool) -> JujuState {
        JujuState::new("web/0")
            .leader(leader)
            .relation(
                RelationState::new(3, "db", "mysql")
                    .remote_unit("mysql/0", [("host", "10.0.0.1")])
                    .remote_unit("mysql/1", [("host", "10.0.0.2")])
                    .remote_app_data([("database", "webdb")])
                    .local_unit_data([("mine", "1")])
                    .local_app_data([("secret-id", "x")]),
            )
            .relation(RelationState::new(4, "db", "pg"))
            .relation(
                RelationState::peer(1, "peers", "web")
                    .remote_unit("web/1", [("p", "q")])
                    .local_app_data([("shared", "yes")]),
            )
    }

    #[test]
    fn ids_and_list() {
        let mut s = state(false);
        assert_eq!(
            ok(&mut s, "relation-ids db --format=json"),
            "[\"db:3\",\"db:4\"]\n"
        );
        assert_eq!(ok(&mut s, "relation-ids nope"), "");
        assert_eq!(
            err(&mut s, "relation-ids", 2),
            "ERROR no endpoint name specified\n"
        );
        assert_eq!(
            ok(&mut s, "relation-list --format=json -r db:3"),
            "[\"mysql/0\",\"mysql/1\"]\n"
        );
        assert_eq!(
            ok(&mut s, "relation-list --format=json --app -r db:3"),
            "\"mysql\"\n"
        );
        assert_eq!(ok(&mut s, "relation-list -r 4"), "");
        assert_eq!(
            err(&mut s, "relation-list -r db:9", 2),
            "ERROR invalid value \"db:9\" for option -r: relation not found\n"
        );
        assert!(
            err(&mut s, "relation-list --relation=db:x", 2)
                .contains("for option --relation: invalid relation id")
        );
        assert_eq!(
            err(&mut s, "relation-list", 2),
            "ERROR no relation id specified\n"
        );
    }

    #[test]
    fn get_reads_the_right_bag() {
        let mut s = state(false);
        assert_eq!(
            ok(&mut s, "relation-get -r db:3 host mysql/1"),
            "10.0.0.2\n"
        );
        assert_eq!(
            ok(&mut s, "relation-get --format=json -r db:3 - mysql/0"),
            "{\"host\":\"10.0.0.1\"}\n"
        );
        assert_eq!(
            ok(&mut s, "relation-get --format=json -r db:3 --app - mysql"),
            "{\"database\":\"webdb\"}\n"
        );
        assert_eq!(
            ok(&mut s, "relation-get -r db:3 --app database mysql/0"),
            "webdb\n"
        );
        assert_eq!(ok(&mut s, "relation-get -r db:3 mine web/0"), "1\n");
        assert_eq!(ok(&mut s, "relation-get -r db:3 nokey mysql/0"), "");
        assert_eq!(
            err(&mut s, "relation-get -r db:3 --app - web", 1),
            "ERROR permission denied\n"
        );
        assert_eq!(
            ok(&mut s, "relation-get -r peers:1 --app shared web"),
            "yes\n"
        );
        assert_eq!(ok(&mut s, "relation-get -r 1 p web/1"), "q\n");
        assert_eq!(
            err(&mut s, "relation-get -r db:3 - mysql/7", 1),
            "ERROR permission denied\n"
        );
        assert!(
            err(&mut s, "relation-get -r db:3 - mysql", 2)
                .contains("expected unit name, got application name")
        );
        assert!(err(&mut s, "relation-get -r db:3 - Bad!", 2).contains("invalid unit name"));
        assert_eq!(
            err(&mut s, "relation-get -r db:3", 2),
            "ERROR no unit or application specified\n"
        );
        let mut s = state(true);
        assert_eq!(
            ok(&mut s, "relation-get -r db:3 --app secret-id web"),
            "x\n"
        );
    }

    #[test]
    fn get_defaults_from_the_hook() {
        let mut s = state(false).in_relation_hook(3, Some("mysql/1"));
        assert_eq!(ok(&mut s, "relation-get host"), "10.0.0.2\n");
        assert_eq!(ok(&mut s, "relation-get --app database"), "webdb\n");
        let mut s = state(false).in_relation_hook(3, None);
        assert_eq!(ok(&mut s, "relation-get database"), "webdb\n");
    }

    #[test]
    fn set_writes_own_bags_only() {
        let mut s = state(false);
        ok(&mut s, "relation-set -r db:3 a=1 mine=");
        assert_eq!(
            s.relations[0].local_unit_data,
            [("a".to_owned(), "1".to_owned())].into()
        );
        let out = run_in(
            &mut s,
            "relation-set -r db:3 --file -",
            Some(br#"{"b": "2", "n": 3}"#),
        );
        assert_eq!(out.exit_code, 0, "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(s.relations[0].local_unit_data["n"], "3");
        assert_eq!(
            err(&mut s, "relation-set -r db:3 --app x=1", 1),
            "ERROR cannot write relation settings\n"
        );
        assert!(err(&mut s, "relation-set -r db:3 novalue", 2).contains("expected \"key=value\""));
        assert!(err(&mut s, "relation-set -r db:3 a=1 a=2", 2).contains("more than once"));
        let mut s = state(true);
        let out = run_in(
            &mut s,
            "relation-set -r db:3 --app --file - c=over",
            Some(b"c: 1\nd: 4\n"),
        );
        assert_eq!(out.exit_code, 0);
        assert_eq!(s.relations[0].local_app_data["c"], "over");
        assert_eq!(s.relations[0].local_app_data["d"], "4");
        assert_eq!(s.relations[0].remote_app_data["database"], "webdb");
    }

    #[test]
    fn model_get() {
        let mut s = state(false);
        assert_eq!(
            ok(&mut s, "relation-model-get --format=json -r db:3"),
            format!("{{\"uuid\":\"{}\"}}\n", s.model.uuid)
        );
        // Juju before 3.6.2 has no such tool.
        s.juju_version = "3.6.1".parse().unwrap();
        let e = err(&mut s, "relation-model-get --format=json -r db:3", 1);
        assert!(
            e.contains("command not found") && e.contains("3.6.2"),
            "{e}"
        );
    }
}
