//! `relation-ids`, `relation-list`, `relation-get`, `relation-set`, `relation-model-get`.
//!
//! Relations are named to Juju as `-r <endpoint>:<id>`, so Juju checks the id belongs to the
//! endpoint.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{
    HookToolError, HookToolRunner, args, parse_json, relation_ref, run, run_json, yaml_safe,
};

/// `relation-ids <endpoint> --format=json`: the ids of the endpoint's relations
/// (`["db:3"]` → `[3]`).
pub fn relation_ids(r: &dyn HookToolRunner, endpoint: &str) -> Result<Vec<u32>, HookToolError> {
    let ids: Option<Vec<String>> = run_json(
        r,
        "relation-ids",
        args([endpoint, "--format=json"]),
        "a list of relation ids",
    )?;
    ids.unwrap_or_default()
        .iter()
        .map(|id| {
            id.rsplit(':')
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    HookToolError::bad_answer(
                        "relation-ids",
                        format!("relation id {id:?} is not of the form endpoint:N"),
                    )
                })
        })
        .collect()
}

/// `relation-list --format=json -r <endpoint>:<id>`: the remote units in the relation.
pub fn relation_list(
    r: &dyn HookToolRunner,
    endpoint: &str,
    id: u32,
) -> Result<Vec<String>, HookToolError> {
    let units: Option<Vec<String>> = run_json(
        r,
        "relation-list",
        args(["--format=json", "-r", &relation_ref(endpoint, id)]),
        "a list of unit names",
    )?;
    Ok(units.unwrap_or_default())
}

/// `relation-list --format=json --app -r <endpoint>:<id>`: the remote application's name
/// (`None` if Juju does not know it, e.g. no unit has joined yet on old Juju).
pub fn relation_remote_app(
    r: &dyn HookToolRunner,
    endpoint: &str,
    id: u32,
) -> Result<Option<String>, HookToolError> {
    let out = run(
        r,
        "relation-list",
        args(["--format=json", "--app", "-r", &relation_ref(endpoint, id)]),
        None,
    )?;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum AppAnswer {
        One(Option<String>),
        Many(Vec<String>),
    }
    let a: AppAnswer = parse_json("relation-list", &out, "an application name", false)?;
    Ok(match a {
        AppAnswer::One(s) => s.filter(|s| !s.is_empty()),
        AppAnswer::Many(v) => v.into_iter().next(),
    })
}

/// `relation-get --format=json -r <endpoint>:<id> [--app] - <unit-or-app>`: a whole data bag.
/// `app` reads the application bag of `member` (an app name) instead of a unit's.
pub fn relation_get(
    r: &dyn HookToolRunner,
    endpoint: &str,
    id: u32,
    member: &str,
    app: bool,
) -> Result<BTreeMap<String, String>, HookToolError> {
    let mut a = args(["--format=json", "-r", &relation_ref(endpoint, id)]);
    if app {
        a.push("--app".to_owned());
    }
    a.extend(["-".to_owned(), member.to_owned()]);
    let out = run(r, "relation-get", a, None)?;
    let raw: Option<BTreeMap<String, Value>> =
        parse_json("relation-get", &out, "an object of strings", false)?;
    raw.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            other => Err(HookToolError::bad_answer(
                "relation-get",
                format!("value of key '{k}' is {other}, expected a string"),
            )),
        })
        .collect()
}

/// `relation-set -r <endpoint>:<id> [--app] --file -` with `data` as a JSON object on stdin
/// (Juju reads YAML there, and JSON is YAML; the characters Juju's YAML reader refuses or
/// folds are escaped, so every value arrives as it was). A value of `""` deletes the key. Empty `data` is
/// an error, as in ops (there would be nothing to set).
pub fn relation_set(
    r: &dyn HookToolRunner,
    endpoint: &str,
    id: u32,
    data: &BTreeMap<String, String>,
    app: bool,
) -> Result<(), HookToolError> {
    if data.is_empty() {
        return Err(HookToolError::Invalid(
            "relation-set needs at least one key to set or delete".into(),
        ));
    }
    let mut a = args(["-r", &relation_ref(endpoint, id)]);
    if app {
        a.push("--app".to_owned());
    }
    a.extend(["--file".to_owned(), "-".to_owned()]);
    let body = yaml_safe::to_vec(data)
        .map_err(|e| HookToolError::Invalid(format!("cannot encode relation data: {e}")))?;
    run(r, "relation-set", a, Some(&body)).map(drop)
}

/// `relation-model-get --format=json -r <endpoint>:<id>`: the UUID of the model the remote
/// application is in (differs from this model for cross-model relations).
pub fn relation_model_uuid(
    r: &dyn HookToolRunner,
    endpoint: &str,
    id: u32,
) -> Result<String, HookToolError> {
    #[derive(Deserialize)]
    struct M {
        uuid: String,
    }
    let m: M = run_json(
        r,
        "relation-model-get",
        args(["--format=json", "-r", &relation_ref(endpoint, id)]),
        "an object with uuid",
    )?;
    Ok(m.uuid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hookcmds::RecordingRunner;
    use crate::test_support::runners::{answering, failing};

    #[test]
    fn argv_table() {
        let r = RecordingRunner::new(|c| {
            Ok(
                match (c.tool.as_str(), c.args.contains(&"--app".to_string())) {
                    ("relation-ids", _) => br#"["db:1","db:12"]"#.to_vec(),
                    ("relation-list", false) => br#"["pg/0","pg/1"]"#.to_vec(),
                    ("relation-list", true) => br#""pg""#.to_vec(),
                    ("relation-get", _) => br#"{"host":"h"}"#.to_vec(),
                    ("relation-model-get", _) => br#"{"uuid":"u-1"}"#.to_vec(),
                    _ => Vec::new(),
                },
            )
        });
        assert_eq!(relation_ids(&r, "db").unwrap(), vec![1, 12]);
        assert_eq!(relation_list(&r, "db", 1).unwrap(), ["pg/0", "pg/1"]);
        assert_eq!(
            relation_remote_app(&r, "db", 1).unwrap().as_deref(),
            Some("pg")
        );
        assert_eq!(
            relation_get(&r, "db", 1, "pg/0", false).unwrap()["host"],
            "h"
        );
        relation_get(&r, "db", 1, "pg", true).unwrap();
        let data = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), String::new()),
        ]);
        relation_set(&r, "db", 1, &data, false).unwrap();
        relation_set(&r, "db", 1, &data, true).unwrap();
        assert_eq!(relation_model_uuid(&r, "db", 1).unwrap(), "u-1");
        assert_eq!(
            r.lines(),
            [
                "relation-ids db --format=json",
                "relation-list --format=json -r db:1",
                "relation-list --format=json --app -r db:1",
                "relation-get --format=json -r db:1 - pg/0",
                "relation-get --format=json -r db:1 --app - pg",
                "relation-set -r db:1 --file -",
                "relation-set -r db:1 --app --file -",
                "relation-model-get --format=json -r db:1",
            ]
        );
        assert_eq!(
            r.calls()[5].stdin.as_deref(),
            Some(&br#"{"a":"1","b":""}"#[..])
        );
        assert!(relation_set(&r, "db", 1, &BTreeMap::new(), false).is_err());
    }

    #[test]
    fn malformed_answers() {
        assert!(relation_ids(&answering(r#"["db"]"#), "db").is_err());
        assert!(relation_ids(&answering("{}"), "db").is_err());
        let e = relation_get(&answering(r#"{"k": 1}"#), "db", 1, "u/0", false).unwrap_err();
        assert!(e.to_string().contains("key 'k'"), "{e}");
        assert!(
            relation_get(&answering("null"), "db", 1, "u/0", false)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            relation_remote_app(&answering("null"), "db", 1).unwrap(),
            None
        );
        assert_eq!(
            relation_remote_app(&answering(r#"["x"]"#), "db", 1)
                .unwrap()
                .as_deref(),
            Some("x")
        );
    }

    /// The failure is kept whole for the model to classify.
    #[test]
    fn gone_relation() {
        let e = relation_list(
            &failing("ERROR invalid value \"db:1\" for option -r: relation not found"),
            "db",
            1,
        )
        .unwrap_err();
        assert!(crate::model::ModelError::from(e).is_relation_not_found());
    }
}
