//! [`DispatchResilience`]: what one dispatch holds for the resilience toolkit, behind the
//! handler's entry points [`Ctx::breaker`](crate::framework::Ctx::breaker) and
//! [`Ctx::set_hook_budget`](crate::framework::Ctx::set_hook_budget).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pebble_client::retry::Budget;

use super::breaker::BreakerPolicy;
use super::breakers::{Breaker, Breakers};

/// What a dispatch holds for the resilience toolkit: its breakers and its hook budget.
#[derive(Debug)]
pub(crate) struct DispatchResilience {
    breakers: Breakers,
    hook_budget: Option<Budget>,
    started: Instant,
}

impl DispatchResilience {
    /// Empty, with the dispatch starting now.
    pub(crate) fn new() -> Self {
        DispatchResilience {
            breakers: Breakers::default(),
            hook_budget: None,
            started: Instant::now(),
        }
    }

    /// The breakers' states as the store holds them.
    pub(crate) fn load_breakers(&mut self, stored: BTreeMap<String, String>) {
        self.breakers = Breakers::load(stored);
    }

    /// The breakers' states to store.
    pub(crate) fn save_breakers(&self) -> BTreeMap<String, String> {
        self.breakers.save()
    }

    /// The circuit breaker `name`, with its state as loaded for this dispatch.
    pub(crate) fn breaker(&self, name: &str, policy: &BreakerPolicy) -> Breaker {
        self.breakers.breaker(name, policy)
    }

    /// Limits the whole dispatch to `total`, counted from its start, replacing any earlier
    /// hook budget.
    pub(crate) fn set_hook_budget(&mut self, total: Duration) {
        let century = Duration::from_secs(100 * 365 * 24 * 3600);
        let deadline = self
            .started
            .checked_add(total)
            .or_else(|| self.started.checked_add(century))
            .unwrap_or(self.started);
        // Drop the old budget first: the new one may be longer.
        self.hook_budget = None;
        self.hook_budget = Some(Budget::until(deadline));
    }
}
