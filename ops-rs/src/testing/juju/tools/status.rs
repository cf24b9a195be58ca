//! `status-get` and `status-set`: the workload status of this unit or its application.

use serde_json::{Value, json};

use crate::status::Status;

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

const NOT_LEADER: &str = "this unit is not the leader";

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "status-get",
            "[--include-data] [--application]",
            "Print status information.",
        )
        .format("smart")
        .opt(Opt::flag(&["include-data"], "print all status data"))
        .opt(Opt::flag(
            &["application"],
            "print status for all units of this application if this unit is the leader",
        ))
    },
    run: get,
};

pub(crate) const SET: Tool = Tool {
    spec: || {
        Spec::new(
            "status-set",
            "<maintenance | blocked | waiting | active> [message]",
            "Set status information.",
        )
        .opt(Opt::flag(
            &["application"],
            "set this status for the application to which the unit belongs if the unit is the leader",
        ))
    },
    run: set,
};

/// A status as Juju's `status-get` writes it (`toDetails`): `status` alone, or with
/// `--include-data` also `message` and `status-data`.
fn details(s: &Status, include_data: bool) -> Value {
    if include_data {
        json!({"status": s.name(), "message": s.message(), "status-data": {}})
    } else {
        json!({"status": s.name()})
    }
}

/// `status-get`: in the smart format without `--include-data`, the status name alone; else a
/// map, for `--application` the application's details with its units nested inside them:
/// `{"application-status": {"status": …, "units": {"web/0": {"status": …}}}}`.
fn get(call: &mut Call<'_>) -> ToolResult {
    call.at_most(0)?;
    let data = call.args.flag("include-data");
    let name_only = !data && Format::from_args(&call.args, Format::Smart)? == Format::Smart;
    let state = &*call.state;
    let value = if call.args.flag("application") {
        if !state.leader {
            return Err(ToolError::failed(format!(
                "finding application status: {NOT_LEADER}"
            )));
        }
        if name_only {
            Value::String(state.app_status.name().to_owned())
        } else {
            let mut units: serde_json::Map<String, Value> = state
                .other_unit_statuses
                .iter()
                .map(|(u, s)| (u.clone(), details(s, data)))
                .collect();
            units.insert(state.unit.clone(), details(&state.unit_status, data));
            let mut app = details(&state.app_status, data);
            if let Some(obj) = app.as_object_mut() {
                obj.insert("units".into(), Value::Object(units));
            }
            json!({"application-status": app})
        }
    } else if name_only {
        Value::String(state.unit_status.name().to_owned())
    } else {
        details(&state.unit_status, data)
    };
    call.output(Format::Smart, &value)
}

fn set(call: &mut Call<'_>) -> ToolResult {
    let Some(name) = call.args.positional.first() else {
        return Err(ToolError::usage("invalid args, require <status> [message]"));
    };
    let message = call.args.positional.get(1).cloned().unwrap_or_default();
    let status = Status::from_name(name, message)
        .filter(Status::is_settable)
        .ok_or_else(|| {
            ToolError::usage(format!(
                "invalid status {name:?}, expected one of [maintenance blocked waiting active]"
            ))
        })?;
    call.at_most(2)?;
    let state = &mut *call.state;
    if call.args.flag("application") {
        if !state.leader {
            return Err(ToolError::failed(NOT_LEADER));
        }
        let old = std::mem::replace(&mut state.app_status, status);
        state.app_status_history.push(old);
    } else {
        let old = std::mem::replace(&mut state.unit_status, status);
        state.unit_status_history.push(old);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};
    use crate::status::Status;

    #[test]
    fn set_and_get_unit_status() {
        let mut s = JujuState::new("a/0");
        ok(
            &mut s,
            "status-set --application=False maintenance -- installing",
        );
        ok(&mut s, "status-set active");
        assert_eq!(s.unit_status, Status::active(""));
        assert_eq!(
            s.unit_status_history,
            [
                Status::Unknown(String::new()),
                Status::maintenance("installing")
            ]
        );
        assert_eq!(ok(&mut s, "status-get"), "active\n");
        assert_eq!(
            ok(
                &mut s,
                "status-get --include-data --format=json --application=false"
            ),
            "{\"message\":\"\",\"status\":\"active\",\"status-data\":{}}\n"
        );
    }

    #[test]
    fn application_status_needs_leadership() {
        let mut s = JujuState::new("a/0");
        assert_eq!(
            err(&mut s, "status-set --application=True blocked -- no", 1),
            "ERROR this unit is not the leader\n"
        );
        assert!(err(&mut s, "status-get --application", 1).contains("not the leader"));
        s.leader = true;
        ok(&mut s, "status-set --application=True blocked -- need-db");
        assert_eq!(s.app_status, Status::blocked("need-db"));
        let out = ok(
            &mut s,
            "status-get --include-data --format=json --application=true",
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["application-status"]["status"], "blocked");
        assert_eq!(v["application-status"]["message"], "need-db");
        assert_eq!(v["application-status"]["units"]["a/0"]["status"], "unknown");
    }

    /// Juju's shapes (`jujuc/status-get.go`): a name in the smart format without
    /// `--include-data`, else a map; the units nested in the application's status.
    #[test]
    fn shapes_as_juju_writes_them() {
        let mut s = JujuState::new("a/0").leader(true);
        s.unit_status = Status::active("up");
        s.app_status = Status::blocked("need db");
        s.other_unit_statuses
            .insert("a/1".into(), Status::waiting("w"));
        assert_eq!(ok(&mut s, "status-get"), "active\n");
        assert_eq!(
            ok(&mut s, "status-get --format=json"),
            "{\"status\":\"active\"}\n"
        );
        assert_eq!(ok(&mut s, "status-get --format=yaml"), "status: active\n");
        assert_eq!(ok(&mut s, "status-get --application"), "blocked\n");
        let app: serde_json::Value =
            serde_json::from_str(&ok(&mut s, "status-get --application --format=json")).unwrap();
        assert_eq!(
            app,
            serde_json::json!({"application-status": {"status": "blocked", "units": {
                "a/0": {"status": "active"}, "a/1": {"status": "waiting"}}}})
        );
        let full: serde_json::Value = serde_json::from_str(&ok(
            &mut s,
            "status-get --application --include-data --format=json",
        ))
        .unwrap();
        assert_eq!(
            full,
            serde_json::json!({"application-status": {
            "status": "blocked", "message": "need db", "status-data": {},
            "units": {
                "a/0": {"status": "active", "message": "up", "status-data": {}},
                "a/1": {"status": "waiting", "message": "w", "status-data": {}},
            }}})
        );
        assert!(
            full.get("units").is_none(),
            "units are not at the top level"
        );
    }

    #[test]
    fn unsettable_statuses_are_usage_errors() {
        let mut s = JujuState::new("a/0");
        for bad in ["error", "unknown", "happy"] {
            let e = err(&mut s, &format!("status-set {bad}"), 2);
            assert!(e.contains(&format!("invalid status \"{bad}\"")), "{e}");
        }
        assert_eq!(
            err(&mut s, "status-set", 2),
            "ERROR invalid args, require <status> [message]\n"
        );
        err(&mut s, "status-set active a b", 2);
    }
}
