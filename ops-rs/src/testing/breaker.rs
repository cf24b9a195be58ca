//! [`StoredBreaker`]: a circuit breaker as the unit's state store holds it between hooks.
//!
//! Breakers keep wall-clock times (milliseconds since the Unix epoch), so a test that sets
//! one up usually pairs it with a [`ManualWallClock`](crate::resilience::ManualWallClock)
//! in the charm's [`BreakerPolicy`].

use crate::resilience::breaker::BreakerState;
use crate::resilience::{BreakerPolicy, BreakerStatus};
use crate::testing::error::RunError;

/// One named circuit breaker's persisted state, in a [`State`](super::State)'s `breakers`.
///
/// A run starts with the breakers of its input state and returns the breakers as the
/// dispatch saved them; a breaker that is closed with no recent failures is not stored, as
/// in production.
///
/// ```
/// use std::time::Duration;
/// use ops::resilience::{BreakerPolicy, BreakerStatus, ManualWallClock};
/// use ops::testing::{State, StoredBreaker};
///
/// let clock = ManualWallClock::at_ms(60_000);
/// let policy = BreakerPolicy::default().cool_down(Duration::from_secs(300)).clock(clock);
/// let state = State::new().breaker("api", StoredBreaker::open_since_ms(0));
/// assert_eq!(
///     state.breakers["api"].status(&policy),
///     BreakerStatus::Open { until_ms: 300_000 }
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredBreaker {
    /// Times of the failures within the window, while closed (ms since the Unix epoch).
    pub failures_ms: Vec<i64>,
    /// When it opened (ms since the Unix epoch); `None` while closed.
    pub opened_at_ms: Option<i64>,
}

impl StoredBreaker {
    /// A closed breaker that has seen failures at these times (ms since the Unix epoch).
    pub fn closed_with_failures_ms(failures: impl IntoIterator<Item = i64>) -> Self {
        StoredBreaker {
            failures_ms: failures.into_iter().collect(),
            opened_at_ms: None,
        }
    }

    /// A breaker that opened at `opened_at` (ms since the Unix epoch).
    pub fn open_since_ms(opened_at: i64) -> Self {
        StoredBreaker {
            failures_ms: Vec::new(),
            opened_at_ms: Some(opened_at),
        }
    }

    /// Where the breaker stands now, by `policy`'s clock.
    pub fn status(&self, policy: &BreakerPolicy) -> BreakerStatus {
        self.to_state().status(policy, policy.now_ms())
    }

    fn to_state(&self) -> BreakerState {
        BreakerState {
            failures: self.failures_ms.clone(),
            opened_at: self.opened_at_ms,
        }
    }

    /// The JSON document the state store keeps.
    pub(crate) fn to_json(&self, name: &str) -> Result<String, RunError> {
        serde_json::to_string(&self.to_state()).map_err(|e| RunError::Stored {
            detail: format!("cannot encode circuit breaker {name:?}: {e}"),
        })
    }

    /// Reads the JSON document the state store keeps.
    pub(crate) fn from_json(name: &str, json: &str) -> Result<Self, RunError> {
        let state: BreakerState = serde_json::from_str(json).map_err(|e| RunError::Stored {
            detail: format!("the dispatch saved circuit breaker {name:?} unreadably: {e}"),
        })?;
        Ok(StoredBreaker {
            failures_ms: state.failures,
            opened_at_ms: state.opened_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let b = StoredBreaker::closed_with_failures_ms([1, 2]);
        let json = b.to_json("api").unwrap();
        assert_eq!(StoredBreaker::from_json("api", &json).unwrap(), b);
        let open = StoredBreaker::open_since_ms(5);
        let json = open.to_json("api").unwrap();
        assert_eq!(StoredBreaker::from_json("api", &json).unwrap(), open);
        let err = StoredBreaker::from_json("api", "[").unwrap_err();
        assert!(err.to_string().contains("\"api\""), "{err}");
    }
}
