//! Circuit breakers through the state-transition API: their state enters a run with the
//! input `State`, leaves with the output, spans runs, and rolls back with a failed run.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ops::event::UpdateStatus;
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::resilience::{BreakerError, BreakerPolicy, BreakerStatus, ManualWallClock};
use ops::testing::{Context, RunError, State, StoredBreaker};

const MIN_MS: i64 = 60_000;

/// Calls a dependency through the breaker `api` on every update-status; `fail_after` makes
/// the handler fail after the call (so the run rolls back).
struct Probe {
    api_up: bool,
    fail_after: bool,
    calls: Rc<Cell<u32>>,
    policy: BreakerPolicy,
}

impl Charm for Probe {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.update_status("probe", Self::probe);
    }
}

impl Probe {
    fn probe(&mut self, ctx: &mut Ctx<Self>, _ev: &mut UpdateStatus) -> HandlerResult {
        let api = ctx.breaker("api", &self.policy);
        let calls = Rc::clone(&self.calls);
        let up = self.api_up;
        let outcome = api.call(|| {
            calls.set(calls.get() + 1);
            if up {
                Ok(())
            } else {
                Err("connection refused")
            }
        });
        match outcome {
            Ok(()) => ctx.add_unit_status(Status::active(""))?,
            Err(BreakerError::Open(open)) => {
                ctx.add_unit_status(Status::waiting(open.status_message()))?;
            }
            Err(BreakerError::Failed(e)) => ctx.add_unit_status(Status::waiting(e))?,
        }
        if self.fail_after {
            return Err(HandlerError::msg("the handler failed after the call"));
        }
        Ok(())
    }
}

fn context(
    clock: &ManualWallClock,
    api_up: bool,
    fail_after: bool,
) -> (Context<Probe>, Rc<Cell<u32>>) {
    let calls = Rc::new(Cell::new(0));
    let policy = BreakerPolicy::default()
        .failures(2)
        .window(Duration::from_secs(600))
        .cool_down(Duration::from_secs(300))
        .clock(clock.clone());
    let meta = CharmMeta::from_charmcraft_yaml("name: probe").unwrap();
    let shared = Rc::clone(&calls);
    let ctx = Context::with_factory(meta, move || Probe {
        api_up,
        fail_after,
        calls: Rc::clone(&shared),
        policy: policy.clone(),
    });
    (ctx, calls)
}

fn policy(clock: &ManualWallClock) -> BreakerPolicy {
    BreakerPolicy::default()
        .failures(2)
        .cool_down(Duration::from_secs(300))
        .clock(clock.clone())
}

#[test]
fn failures_are_carried_from_run_to_run_until_the_breaker_opens() {
    let clock = ManualWallClock::at_ms(0);
    let (ctx, calls) = context(&clock, false, false);
    let first = ctx
        .run(ctx.on.update_status(), &State::new())
        .unwrap()
        .state;
    assert_eq!(
        first.breakers["api"],
        StoredBreaker::closed_with_failures_ms([0])
    );
    clock.advance(Duration::from_secs(60));
    let second = ctx.run(ctx.on.update_status(), &first).unwrap().state;
    assert_eq!(second.breakers["api"], StoredBreaker::open_since_ms(MIN_MS));
    assert_eq!(
        second.breakers["api"].status(&policy(&clock)),
        BreakerStatus::Open {
            until_ms: 6 * MIN_MS
        }
    );
    assert_eq!(calls.get(), 2);

    // Open: the next run fails fast without calling the dependency.
    clock.advance(Duration::from_secs(60));
    let third = ctx.run(ctx.on.update_status(), &second).unwrap().state;
    assert_eq!(calls.get(), 2, "no call while the breaker is open");
    assert!(
        third.unit_status_now().message().contains("next try after"),
        "{:?}",
        third.unit_status_now()
    );
    assert_eq!(third.breakers, second.breakers);
}

#[test]
fn an_open_breaker_in_the_input_state_fails_fast_then_a_trial_closes_it() {
    let clock = ManualWallClock::at_ms(2 * MIN_MS);
    let (ctx, calls) = context(&clock, true, false);
    let state = State::new().breaker("api", StoredBreaker::open_since_ms(0));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap().state;
    assert_eq!(calls.get(), 0);
    assert_eq!(out.breakers["api"], StoredBreaker::open_since_ms(0));

    clock.advance(Duration::from_secs(300)); // past the cool-down: a trial call
    let out = ctx.run(ctx.on.update_status(), &out).unwrap().state;
    assert_eq!(calls.get(), 1);
    assert!(
        out.breakers.is_empty(),
        "a closed, quiet breaker is not stored"
    );
    assert_eq!(out.unit_status_now(), &Status::active(""));
}

#[test]
fn a_failed_run_leaves_the_breaker_as_it_was() {
    let clock = ManualWallClock::at_ms(MIN_MS);
    let (ctx, calls) = context(&clock, false, true);
    let state = State::new().breaker("api", StoredBreaker::closed_with_failures_ms([0]));
    let err = ctx.run(ctx.on.update_status(), &state).unwrap_err();
    assert!(matches!(err, RunError::Dispatch { .. }), "{err}");
    assert_eq!(calls.get(), 1, "the call was made and failed");
    // The input state is untouched, and a retried hook sees the breaker as it was.
    assert_eq!(
        state.breakers["api"],
        StoredBreaker::closed_with_failures_ms([0])
    );
    let (ok_ctx, _) = context(&clock, false, false);
    let retried = ok_ctx.run(ok_ctx.on.update_status(), &state).unwrap().state;
    assert_eq!(
        retried.breakers["api"],
        StoredBreaker::open_since_ms(MIN_MS)
    );
}
