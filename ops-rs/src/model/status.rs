//! Unit and application status.

use std::collections::BTreeMap;

use super::{Model, ModelError, StatusTarget};
use crate::hookcmds::status as tools;
use crate::status::Status;

impl Model {
    /// Sets this unit's or the application's status (`status-set`). The application's status
    /// can only be set by the leader: for a non-leader this is [`ModelError::NotLeader`] and no
    /// `status-set` runs. `error` and `unknown` cannot be set. A message longer than one
    /// command-line argument can hold is cut with a marker rather than lost (see
    /// [`hookcmds::status::status_set`](crate::hookcmds::status::status_set)).
    pub fn set_status(&self, target: StatusTarget, status: &Status) -> Result<(), ModelError> {
        let app = matches!(target, StatusTarget::App);
        if status.is_settable() && app && !self.is_leader()? {
            return Err(ModelError::NotLeader {
                action: "set the application status".into(),
            });
        }
        tools::status_set(self.tools(), app, status).map_err(ModelError::from)
    }

    /// This unit's or the application's current status (`status-get`). Only the leader can
    /// read the application's status ([`ModelError::NotLeader`] otherwise).
    pub fn status(&self, target: StatusTarget) -> Result<Status, ModelError> {
        match target {
            StatusTarget::Unit => Ok(tools::unit_status_get(self.tools())?.status),
            StatusTarget::App => {
                if !self.is_leader()? {
                    return Err(ModelError::NotLeader {
                        action: "read the application status".into(),
                    });
                }
                Ok(tools::app_status_get(self.tools())?.0.status)
            }
        }
    }

    /// The statuses of the application's units, this one included, by unit name (leader
    /// only, [`ModelError::NotLeader`] otherwise; `status-get --application`, whose answer
    /// nests them inside the application's status).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ops::hookcmds::RecordingRunner;
    /// use ops::model::Model;
    /// use ops::status::Status;
    /// let runner = RecordingRunner::new(|call| Ok(match call.tool.as_str() {
    ///     "is-leader" => b"true".to_vec(),
    ///     _ => br#"{"application-status": {"status": "active", "message": "", "status-data": {},
    ///         "units": {"web/0": {"status": "waiting", "message": "db", "status-data": {}}}}}"#.to_vec(),
    /// }));
    /// let model = Model::new(Arc::new(runner), "web/0");
    /// assert_eq!(model.unit_statuses()?["web/0"], Status::waiting("db"));
    /// # Ok::<(), ops::model::ModelError>(())
    /// ```
    pub fn unit_statuses(&self) -> Result<BTreeMap<String, Status>, ModelError> {
        if !self.is_leader()? {
            return Err(ModelError::NotLeader {
                action: "read the statuses of the application's units".into(),
            });
        }
        let (_, units) = tools::app_status_get(self.tools())?;
        Ok(units.into_iter().map(|(u, i)| (u, i.status)).collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ModelError, StatusTarget};
    use crate::status::Status;
    use crate::test_support::runners::{juju, model};

    #[test]
    fn set_and_get() {
        let r = juju(&[
            ("is-leader --format=json", "true"),
            (
                "status-get --include-data --format=json --application=false",
                r#"{"status":"waiting","message":"db","status-data":{}}"#,
            ),
            (
                "status-get --include-data --format=json --application=true",
                r#"{"application-status":{"message":"","status":"active","status-data":{},"units":{"web/0":{"message":"x","status":"blocked","status-data":{}},"web/1":{"message":"","status":"active","status-data":{}}}}}"#,
            ),
        ]);
        let m = model(&r);
        m.set_status(StatusTarget::Unit, &Status::blocked("x"))
            .unwrap();
        m.set_status(StatusTarget::App, &Status::active(""))
            .unwrap();
        assert_eq!(m.status(StatusTarget::Unit).unwrap(), Status::waiting("db"));
        assert_eq!(m.status(StatusTarget::App).unwrap(), Status::active(""));
        let units = m.unit_statuses().unwrap();
        assert_eq!(units["web/0"], Status::blocked("x"));
        assert_eq!(units["web/1"], Status::active(""));
        assert_eq!(
            r.lines(),
            [
                "status-set --application=false blocked -- x",
                "is-leader --format=json",
                "status-set --application=true active -- ",
                "status-get --include-data --format=json --application=false",
                "status-get --include-data --format=json --application=true",
                "status-get --include-data --format=json --application=true",
            ]
        );
    }

    #[test]
    fn app_status_needs_leader() {
        let r = juju(&[("is-leader --format=json", "false")]);
        let m = model(&r);
        let e = m
            .set_status(StatusTarget::App, &Status::active(""))
            .unwrap_err();
        assert!(matches!(e, ModelError::NotLeader { .. }), "{e}");
        assert!(e.to_string().contains("set the application status"));
        assert!(m.status(StatusTarget::App).is_err());
        assert_eq!(r.lines(), ["is-leader --format=json"]);
        let e = m
            .set_status(StatusTarget::Unit, &Status::Error("x".into()))
            .unwrap_err();
        assert!(e.to_string().contains("cannot set status 'error'"));
    }
}
