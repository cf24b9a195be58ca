//! [`CheckHealth`]: how a Pebble health check stands when a run starts (Scenario's
//! `CheckInfo`): up with some failures, down, or stopped.
//!
//! A check comes from a layer of the container; its health says how far it has got. The
//! run's simulated Pebble reaches that point the way Pebble would: each failure below the
//! threshold is a failed run logged in the check's `perform-check` change; at the threshold
//! the change fails and a `recover-check` change opens (the check is down); a stopped check
//! is inactive. The output state lists every check that is not up without failures, so a
//! check's health carries over to the next run.
//!
//! ```
//! use ops::testing::{CheckHealth, ContainerState};
//! use pebble_client::types::{CheckLevel, CheckStatus};
//! let layer = "checks:\n  ready:\n    override: replace\n    level: ready\n    threshold: 3\n    tcp: {port: 8080}\n";
//! let web = ContainerState::new("web")
//!     .layer("base", layer)?
//!     .check_health(CheckHealth::up("ready").failures(2).level(CheckLevel::Ready).threshold(3));
//! assert_eq!(web.check_health["ready"].status, CheckStatus::Up);
//! # Ok::<(), ops::testing::RunError>(())
//! ```

use pebble_client::testing::SimPebble;
use pebble_client::types::{CheckInfo, CheckLevel, CheckStatus};

use crate::testing::error::RunError;

/// The message of the failures a [`CheckHealth`] records when it gives none.
pub const DEFAULT_CHECK_FAILURE: &str = "check failed";

/// How a health check stands at the start of a run: its status and failures in a row, and
/// optionally the threshold and level its layer must give it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckHealth {
    /// The check's name (as in the container's layers).
    pub name: String,
    /// Up, down or inactive (stopped).
    pub status: CheckStatus,
    /// Failures in a row: below the threshold for an up check, at least the threshold for a
    /// down one (0: the threshold).
    pub failures: u64,
    /// The threshold the layer must give the check (`None`: not checked).
    pub threshold: Option<u64>,
    /// The level the layer must give the check (`None`: not checked).
    pub level: Option<CheckLevel>,
    /// The message each recorded failure logs.
    pub message: String,
}

impl CheckHealth {
    fn new(name: &str, status: CheckStatus) -> Self {
        CheckHealth {
            name: name.to_owned(),
            status,
            failures: 0,
            threshold: None,
            level: None,
            message: DEFAULT_CHECK_FAILURE.to_owned(),
        }
    }

    /// An up check, no failures yet.
    pub fn up(name: &str) -> Self {
        CheckHealth::new(name, CheckStatus::Up)
    }

    /// A down check: its failures reached the threshold, the last with `message`.
    pub fn down(name: &str, message: &str) -> Self {
        CheckHealth {
            message: message.to_owned(),
            ..CheckHealth::new(name, CheckStatus::Down)
        }
    }

    /// A stopped check (`pebble stop-checks`, or `startup: disabled` and never started).
    pub fn inactive(name: &str) -> Self {
        CheckHealth::new(name, CheckStatus::Inactive)
    }

    /// Sets the failures in a row.
    #[must_use]
    pub fn failures(mut self, failures: u64) -> Self {
        self.failures = failures;
        self
    }

    /// Sets the threshold the layer must give the check.
    #[must_use]
    pub fn threshold(mut self, threshold: u64) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Sets the level the layer must give the check.
    #[must_use]
    pub fn level(mut self, level: CheckLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// Sets the message the failures log.
    #[must_use]
    pub fn message(mut self, message: &str) -> Self {
        self.message = message.to_owned();
        self
    }

    /// The health a check reported by Pebble has, if it is not simply up without failures;
    /// `message` is the last failure's.
    pub(crate) fn from_info(info: &CheckInfo, message: Option<String>) -> Option<Self> {
        if info.status == CheckStatus::Up && info.failures == 0 {
            return None;
        }
        Some(CheckHealth {
            name: info.name.clone(),
            status: info.status.clone(),
            failures: info.failures,
            threshold: Some(info.threshold),
            level: Some(info.level.clone()),
            message: message.unwrap_or_else(|| DEFAULT_CHECK_FAILURE.to_owned()),
        })
    }

    /// Brings the check in `sim` to this health; `container` names it in errors.
    pub(crate) fn apply(&self, sim: &SimPebble, container: &str) -> Result<(), RunError> {
        let bad = |problem: String| {
            Err(RunError::inconsistent(format!(
                "check {:?} of container {container:?}: {problem}",
                self.name
            )))
        };
        let sim_error = |e: pebble_client::testing::SimError| RunError::Pebble {
            container: container.to_owned(),
            detail: e.to_string(),
        };
        let Some(info) = sim.checks().into_iter().find(|c| c.name == self.name) else {
            return bad("no layer of the container defines it".to_owned());
        };
        if let Some(t) = self.threshold {
            if t != info.threshold {
                return bad(format!(
                    "the state gives threshold {t}, the layers {}",
                    info.threshold
                ));
            }
        }
        if let Some(level) = &self.level {
            if *level != info.level {
                return bad(format!(
                    "the state gives level {:?}, the layers {:?}",
                    level.as_str(),
                    info.level.as_str()
                ));
            }
        }
        let threshold = info.threshold;
        match &self.status {
            CheckStatus::Unknown(other) => {
                return bad(format!(
                    "status {other:?} is not one Pebble gives a check (up, down, inactive)"
                ));
            }
            CheckStatus::Inactive => {
                if info.status != CheckStatus::Inactive {
                    sim.stop_check(&self.name).map_err(sim_error)?;
                }
            }
            CheckStatus::Up => {
                if info.status != CheckStatus::Up {
                    return bad(format!(
                        "the state says up, but it is {} (a failing check, or startup: \
                         disabled)",
                        info.status.as_str()
                    ));
                }
                if self.failures >= threshold {
                    return bad(format!(
                        "{} failures in a row reach its threshold ({threshold}): it would be \
                         down; use CheckHealth::down",
                        self.failures
                    ));
                }
                for _ in info.failures..self.failures {
                    sim.record_check_failure(&self.name, &self.message)
                        .map_err(sim_error)?;
                }
            }
            CheckStatus::Down => {
                let failures = if self.failures == 0 {
                    threshold
                } else {
                    self.failures
                };
                if failures < threshold {
                    return bad(format!(
                        "down with {failures} failures in a row, below its threshold \
                         ({threshold}); a check goes down at the threshold"
                    ));
                }
                if info.status == CheckStatus::Inactive {
                    return bad("the state says down, but it is not running (startup: \
                                disabled)"
                        .to_owned());
                }
                let mut now = info.failures;
                if info.status == CheckStatus::Up {
                    sim.fail_check(&self.name, &self.message)
                        .map_err(sim_error)?;
                    now = threshold;
                }
                for _ in now..failures {
                    sim.record_check_failure(&self.name, &self.message)
                        .map_err(sim_error)?;
                }
            }
        }
        Ok(())
    }
}
