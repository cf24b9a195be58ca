//! `goal-state`: the units and relations Juju is working towards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{HookToolError, HookToolRunner, args, run_json};

/// The status of one goal (unit or related app/unit).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Goal {
    /// e.g. `active`, `waiting`, `dying`, `joined`.
    pub status: String,
    /// When it got there (RFC 3339, as Juju gives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

impl Goal {
    /// A goal with its status and since when (RFC 3339).
    pub fn new(status: &str, since: &str) -> Self {
        Goal {
            status: status.to_owned(),
            since: Some(since.to_owned()),
        }
    }
}

/// What Juju plans for this application; also what a test gives the simulated Juju to
/// answer (`ops::testing::juju::JujuState::goal_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct GoalState {
    /// This application's units, by name.
    #[serde(default)]
    pub units: BTreeMap<String, Goal>,
    /// Endpoint → related app or unit → goal.
    #[serde(default)]
    pub relations: BTreeMap<String, BTreeMap<String, Goal>>,
}

impl GoalState {
    /// The units that are planned: every unit not `dying`.
    pub fn planned_units(&self) -> usize {
        self.units.values().filter(|g| g.status != "dying").count()
    }
}

/// `goal-state --format=json`.
pub fn goal_state(r: &dyn HookToolRunner) -> Result<GoalState, HookToolError> {
    run_json(
        r,
        "goal-state",
        args(["--format=json"]),
        "a goal-state object",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering(
            r#"{"units":{"web/0":{"status":"active","since":"2024-01-01T00:00:00Z"},"web/1":{"status":"dying","since":"2024-01-01T00:00:00Z"},"web/2":{"status":"waiting","since":"x"}},"relations":{"db":{"pg":{"status":"joined","since":"x"}}}}"#,
        );
        let g = goal_state(&r).unwrap();
        assert_eq!(r.lines(), ["goal-state --format=json"]);
        assert_eq!(g.planned_units(), 2);
        assert_eq!(g.relations["db"]["pg"].status, "joined");
        assert!(goal_state(&answering(r#"{"units": 3}"#)).is_err());
    }
}
