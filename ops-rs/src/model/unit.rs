//! The unit and its application: version, reboot, goal state, resources, cloud credential.

use std::path::PathBuf;

use super::{GoalState, Model, ModelError};
use crate::hookcmds::credential::CloudSpec;
use crate::hookcmds::{app_version, credential, goal_state, reboot, resource};

impl Model {
    /// Sets the workload version shown in `juju status` (`application-version-set`). The
    /// version goes on the tool's command line, where one argument holds at most
    /// [`MAX_ARG_LEN`](crate::hookcmds::limits::MAX_ARG_LEN) bytes (Linux's limit): a longer
    /// one is cut and ends with a marker saying so.
    pub fn set_workload_version(&self, version: &str) -> Result<(), ModelError> {
        app_version::application_version_set(self.tools(), version).map_err(ModelError::from)
    }

    /// Asks Juju to reboot the machine after this hook (`juju-reboot`), or at once (`now`):
    /// with `now`, Juju stops the hook, so return from the handler right after.
    pub fn reboot(&self, now: bool) -> Result<(), ModelError> {
        reboot::juju_reboot(self.tools(), now).map_err(ModelError::from)
    }

    /// What Juju plans for this application (`goal-state`; cached).
    pub fn goal_state(&self) -> Result<GoalState, ModelError> {
        self.memo(
            |c| c.goal_state.clone(),
            || goal_state::goal_state(self.tools()).map_err(ModelError::from),
            |c, v| c.goal_state = Some(v),
        )
    }

    /// How many units the application will have: those in the goal state not dying.
    pub fn planned_units(&self) -> Result<usize, ModelError> {
        Ok(self.goal_state()?.planned_units())
    }

    /// The local path of a file resource (`resource-get`; cached).
    pub fn resource_path(&self, name: &str) -> Result<PathBuf, ModelError> {
        self.memo(
            |c| c.resources.get(name).cloned(),
            || resource::resource_get(self.tools(), name).map_err(ModelError::from),
            |c, v| {
                c.resources.insert(name.to_owned(), v);
            },
        )
    }

    /// The cloud spec with credential (`credential-get`; needs `juju trust`).
    ///
    /// On Kubernetes needs Juju 3.6.10
    /// ([`JujuVersion::supports_cloud_spec_on_k8s`](crate::juju_version::JujuVersion::supports_cloud_spec_on_k8s));
    /// an older Juju answers there with an error, which this returns.
    pub fn cloud_spec(&self) -> Result<CloudSpec, ModelError> {
        credential::credential_get(self.tools()).map_err(ModelError::from)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::LogLevel;
    use crate::test_support::runners::{juju, model};

    #[test]
    fn goal_state_cached_and_misc_argv() {
        let r = juju(&[
            (
                "goal-state --format=json",
                r#"{"units":{"web/0":{"status":"active"},"web/1":{"status":"dying"}}}"#,
            ),
            ("resource-get blob", "/res/blob\n"),
            ("is-leader --format=json", "false"),
        ]);
        let m = model(&r);
        assert_eq!(m.planned_units().unwrap(), 1);
        assert_eq!(m.planned_units().unwrap(), 1);
        assert_eq!(m.resource_path("blob").unwrap().to_str(), Some("/res/blob"));
        assert_eq!(m.resource_path("blob").unwrap().to_str(), Some("/res/blob"));
        m.set_workload_version("1.2").unwrap();
        m.reboot(false).unwrap();
        m.juju_log(LogLevel::Debug, "hi").unwrap();
        assert!(!m.is_leader().unwrap());
        assert!(!m.is_leader().unwrap());
        assert_eq!(
            r.lines(),
            [
                "goal-state --format=json",
                "resource-get blob",
                "application-version-set -- 1.2",
                "juju-reboot",
                "juju-log --log-level DEBUG -- hi",
                "is-leader --format=json",
            ]
        );
    }
}
