//! The handler's entry points: [`Ctx::breaker`], [`Ctx::set_hook_budget`],
//! [`Ctx::hook_budget_remaining`], and the per-dispatch state behind them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pebble_client::retry::{Budget, SystemClock};

use super::breaker::BreakerPolicy;
use super::breakers::{Breaker, Breakers};
use crate::framework::{Charm, Ctx};

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
}

impl<C: Charm> Ctx<C> {
    /// The circuit breaker `name` (one per dependency), tripping and recovering by
    /// `policy`. Its state is the unit's: loaded from the state store, saved when the
    /// dispatch commits, rolled back if it fails. The handle is for this dispatch only.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ops::prelude::*;
    /// use ops::resilience::{BreakerError, BreakerPolicy};
    ///
    /// struct Web;
    /// impl Charm for Web {
    ///     type State = ();
    ///     fn observe(on: &mut Observers<Self>) {
    ///         on.update_status("check", Self::check);
    ///     }
    /// }
    /// impl Web {
    ///     fn check(&mut self, ctx: &mut Ctx<Self>, _ev: &mut UpdateStatus) -> HandlerResult {
    ///         let db = ctx.breaker("db", &BreakerPolicy::default());
    ///         match db.call(|| ping_database()) {
    ///             Ok(()) => ctx.add_unit_status(Status::active(""))?,
    ///             Err(BreakerError::Open(open)) => ctx.add_unit_status(Status::waiting(open.to_string()))?,
    ///             Err(BreakerError::Failed(e)) => {
    ///                 ctx.add_unit_status(Status::waiting(format!("database unreachable: {e}")))?
    ///             }
    ///         }
    ///         Ok(())
    ///     }
    /// }
    /// fn ping_database() -> Result<(), std::io::Error> { Ok(()) }
    /// ```
    pub fn breaker(&self, name: &str, policy: &BreakerPolicy) -> Breaker {
        self.resilience().breakers.breaker(name, policy)
    }

    /// Limits the whole dispatch to `total`, counted from its start: from now on, no retry
    /// on this thread — the charm's or the Pebble client's — waits past it (see
    /// [`Budget`]). Setting it again replaces the previous hook budget; a
    /// [`Budget`] started inside a handler can only shorten it.
    pub fn set_hook_budget(&mut self, total: Duration) {
        let r = self.resilience_mut();
        let century = Duration::from_secs(100 * 365 * 24 * 3600);
        let deadline = r
            .started
            .checked_add(total)
            .or_else(|| r.started.checked_add(century))
            .unwrap_or(r.started);
        // Drop the old budget first: the new one may be longer.
        r.hook_budget = None;
        r.hook_budget = Some(Budget::until(deadline));
    }

    /// The time left before the nearest budget on this thread (the hook budget, or a
    /// shorter one started in the handler); `None` without any. Use it to decide between
    /// one more try and deferring.
    pub fn hook_budget_remaining(&self) -> Option<Duration> {
        Budget::current_remaining(&SystemClock)
    }
}
