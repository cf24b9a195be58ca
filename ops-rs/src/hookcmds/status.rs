//! `status-get` and `status-set`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{HookToolError, HookToolRunner, limits, run, run_json};
use crate::status::Status;

/// A status as `status-get --include-data` reports it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatusInfo {
    /// The status and message.
    pub status: Status,
    /// Extra data Juju keeps with the status.
    pub data: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct RawStatus {
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "status-data")]
    data: Option<BTreeMap<String, Value>>,
}

impl RawStatus {
    fn into_info(self) -> Result<StatusInfo, HookToolError> {
        let status = Status::from_name(&self.status, self.message).ok_or_else(|| {
            HookToolError::bad_answer(
                "status-get",
                format!("unknown status name {:?}", self.status),
            )
        })?;
        Ok(StatusInfo {
            status,
            data: self.data.unwrap_or_default(),
        })
    }
}

/// `status-get --application --include-data`: Juju nests the units inside the application's
/// status (`jujuc/status-get.go`: `details["units"] = units`, then
/// `{"application-status": details}`).
#[derive(Deserialize)]
struct RawAppStatus {
    #[serde(rename = "application-status")]
    app: RawAppDetails,
}

#[derive(Deserialize)]
struct RawAppDetails {
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "status-data")]
    data: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    units: BTreeMap<String, RawStatus>,
}

/// `status-get --include-data --format=json --application=false`: this unit's status.
pub fn unit_status_get(r: &dyn HookToolRunner) -> Result<StatusInfo, HookToolError> {
    let raw: RawStatus = run_json(
        r,
        "status-get",
        status_get_args(false),
        "an object with status, message and status-data",
    )?;
    raw.into_info()
}

/// `status-get --include-data --format=json --application=true` (leader only): the
/// application's status and its units' statuses, which Juju nests inside it:
/// `{"application-status": {"status", "message", "status-data", "units": {"web/0": {...}}}}`.
pub fn app_status_get(
    r: &dyn HookToolRunner,
) -> Result<(StatusInfo, BTreeMap<String, StatusInfo>), HookToolError> {
    let raw: RawAppStatus = run_json(
        r,
        "status-get",
        status_get_args(true),
        "an object with application-status and units",
    )?;
    let RawAppDetails {
        status,
        message,
        data,
        units,
    } = raw.app;
    let units = units
        .into_iter()
        .map(|(k, v)| Ok((k, v.into_info()?)))
        .collect::<Result<_, HookToolError>>()?;
    let app = RawStatus {
        status,
        message,
        data,
    }
    .into_info()?;
    Ok((app, units))
}

fn status_get_args(app: bool) -> Vec<String> {
    vec![
        "--include-data".to_owned(),
        "--format=json".to_owned(),
        format!("--application={app}"),
    ]
}

/// `status-set --application=<bool> <status> -- <message>`. Only active, blocked, maintenance
/// and waiting can be set; the others are an error before the tool runs. A message longer
/// than one command-line argument takes ([`limits::MAX_ARG_LEN`] bytes) is cut, and ends
/// with [`limits::truncation_marker`].
pub fn status_set(r: &dyn HookToolRunner, app: bool, status: &Status) -> Result<(), HookToolError> {
    if !status.is_settable() {
        return Err(HookToolError::Invalid(format!(
            "a charm cannot set status '{}': only active, blocked, maintenance and waiting",
            status.name()
        )));
    }
    let a = vec![
        format!("--application={app}"),
        status.name().to_owned(),
        "--".to_owned(),
        limits::truncate_utf8(status.message(), limits::MAX_ARG_LEN).into_owned(),
    ];
    run(r, "status-set", a, None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering(r#"{"status":"blocked","message":"need db","status-data":{}}"#);
        let s = unit_status_get(&r).unwrap();
        assert_eq!(s.status, Status::blocked("need db"));
        // Juju's shape: the units inside the application's status.
        let r2 = answering(
            r#"{"application-status":{"message":"","status":"active","status-data":{"k":1},"units":{"web/0":{"message":"w","status":"waiting","status-data":{}},"web/1":{"message":"","status":"active","status-data":{}}}}}"#,
        );
        let (app, units) = app_status_get(&r2).unwrap();
        assert_eq!(app.status, Status::active(""));
        assert_eq!(app.data["k"], 1);
        assert_eq!(units.len(), 2);
        assert_eq!(units["web/0"].status, Status::waiting("w"));
        assert_eq!(units["web/1"].status, Status::active(""));
        assert_eq!(
            r.lines(),
            ["status-get --include-data --format=json --application=false"]
        );
        assert_eq!(
            r2.lines(),
            ["status-get --include-data --format=json --application=true"]
        );
        let e = unit_status_get(&answering(r#"{"status":"weird"}"#)).unwrap_err();
        assert!(e.to_string().contains("unknown status name"), "{e}");
    }

    #[test]
    fn set_argv_and_rejects_error() {
        let r = answering("");
        status_set(&r, true, &Status::maintenance("-- x")).unwrap();
        assert_eq!(
            r.lines(),
            ["status-set --application=true maintenance -- -- x"]
        );
        assert!(status_set(&r, false, &Status::Error("x".into())).is_err());
        assert_eq!(r.calls().len(), 1);
        let long = Status::blocked("ü".repeat(limits::MAX_ARG_LEN));
        status_set(&r, false, &long).unwrap();
        let sent = &r.calls()[1].args[3];
        assert!(sent.len() <= limits::MAX_ARG_LEN && sent.starts_with("üü"));
        assert!(sent.ends_with("too long for one command-line argument]"));
    }
}
