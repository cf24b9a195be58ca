//! The toolkit through real dispatches: breakers across hooks (persisted, rolled back), the
//! hook budget, the retry summary in `juju-log`, and the sleep switch.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::dispatch::{DispatchInput, DispatchOutcome, StoreSpec, dispatch};
use crate::framework::{Charm, Ctx, HandlerError, HandlerResult, Observers};
use crate::hookcmds::RecordingRunner;
use crate::status::Status;
use crate::store::MemoryStore;
use crate::test_support::retry::recording_policy;
use crate::test_support::runners::dispatch_runner;

const MIN: Duration = Duration::from_secs(60);

/// A charm whose update-status pings a database through the breaker `db`.
struct Pinger {
    breaker: BreakerPolicy,
    db_up: bool,
    fail_hook: bool,
    pings: u32,
    seen: Vec<&'static str>,
}

impl Charm for Pinger {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.update_status("check", Self::check);
    }
}

impl Pinger {
    fn new(clock: &ManualWallClock) -> Self {
        Pinger {
            breaker: BreakerPolicy::default()
                .failures(2)
                .window(10 * MIN)
                .cool_down(5 * MIN)
                .clock(clock.clone()),
            db_up: false,
            fail_hook: false,
            pings: 0,
            seen: Vec::new(),
        }
    }

    fn check(
        &mut self,
        ctx: &mut Ctx<Self>,
        _ev: &mut crate::event::UpdateStatus,
    ) -> HandlerResult {
        let db = ctx.breaker("db", &self.breaker);
        let up = self.db_up;
        let pings = &mut self.pings;
        let seen = match db.call(|| {
            *pings += 1;
            if up {
                Ok(())
            } else {
                Err(std::io::Error::other("connection refused"))
            }
        }) {
            Ok(()) => "ok",
            Err(BreakerError::Open(open)) => {
                ctx.add_unit_status(Status::waiting(format!("database: {open}")))?;
                "open"
            }
            Err(BreakerError::Failed(_)) => "failed",
        };
        self.seen.push(seen);
        if self.fail_hook {
            return Err(HandlerError::msg("the hook fails after the call"));
        }
        Ok(())
    }
}

fn runner() -> RecordingRunner {
    dispatch_runner(false)
}

fn run<C: Charm>(charm: &mut C, store: &MemoryStore, runner: &RecordingRunner) -> DispatchOutcome {
    let context = crate::test_support::env::context("hooks/update-status", &[]);
    dispatch(
        charm,
        DispatchInput::new(context, Arc::new(runner.clone())),
        StoreSpec::Memory(store.clone()),
    )
}

fn stored_db(store: &MemoryStore) -> Option<String> {
    store.data().breakers.get("db").cloned()
}

#[test]
fn a_breaker_opens_fails_fast_and_recovers_across_hooks() {
    let clock = ManualWallClock::at_ms(1_000_000);
    let mut charm = Pinger::new(&clock);
    let store = MemoryStore::default();
    let r = runner();

    // Two failing hooks, a minute apart: the second opens the breaker.
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 0);
    assert_eq!(
        stored_db(&store).as_deref(),
        Some(r#"{"failures":[1000000]}"#)
    );
    clock.advance(MIN);
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 0);
    assert_eq!(
        stored_db(&store).as_deref(),
        Some(r#"{"opened_at":1060000}"#)
    );
    assert!(
        r.lines()
            .iter()
            .any(|l| l.contains("circuit breaker opened"))
    );

    // Within the cool-down: no call, a waiting status that says why.
    clock.advance(MIN);
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 0);
    assert_eq!(charm.pings, 2);
    assert!(
        r.lines()
            .iter()
            .any(|l| l
                .starts_with("status-set --application=false waiting -- database: db is failing")),
        "{:?}",
        r.lines()
    );

    // After it: a failing trial re-opens it for another cool-down...
    clock.advance(5 * MIN);
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 0);
    assert_eq!(
        stored_db(&store).as_deref(),
        Some(r#"{"opened_at":1420000}"#)
    );
    clock.advance(MIN);
    run(&mut charm, &store, &r);
    // ...and after that one, a successful trial closes it (and nothing is left stored).
    clock.advance(5 * MIN);
    charm.db_up = true;
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 0);
    assert_eq!(stored_db(&store), None);
    assert_eq!(
        charm.seen,
        ["failed", "failed", "open", "failed", "open", "ok"]
    );
    assert_eq!(charm.pings, 4);
}

#[test]
fn breaker_changes_roll_back_with_a_failing_hook() {
    let clock = ManualWallClock::at_ms(0);
    let mut charm = Pinger::new(&clock);
    let store = MemoryStore::default();
    let r = runner();
    run(&mut charm, &store, &r);
    let before = store.data();
    assert_eq!(stored_db(&store).as_deref(), Some(r#"{"failures":[0]}"#));

    // This hook's failure would open the breaker, but the hook fails: nothing is saved.
    charm.fail_hook = true;
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 1);
    assert_eq!(store.data(), before);

    // Juju retries the hook; it sees one failure, not two.
    charm.fail_hook = false;
    charm.db_up = true;
    assert_eq!(run(&mut charm, &store, &r).exit_code(), 0);
    assert_eq!(charm.seen, ["failed", "failed", "ok"]);
    assert_eq!(stored_db(&store).as_deref(), Some(r#"{"failures":[0]}"#));
}

/// A charm that retries a flaky call, optionally under a hook budget.
struct Flaky {
    policy: RetryPolicy,
    budget: Option<Duration>,
    hint: Duration,
    failures_left: u32,
    gave_up: Option<GiveUp>,
    remaining: Option<Duration>,
}

impl Charm for Flaky {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.update_status("budget", |c, ctx, _ev| {
            if let Some(b) = c.budget {
                ctx.set_hook_budget(b);
            }
            Ok(())
        });
        on.update_status("work", Self::work);
    }
}

impl Flaky {
    fn work(&mut self, ctx: &mut Ctx<Self>, _ev: &mut crate::event::UpdateStatus) -> HandlerResult {
        self.remaining = ctx.hook_budget_remaining();
        let left = &mut self.failures_left;
        let gave_up = &mut self.gave_up;
        let out =
            Retry::when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionRefused)
                .hint(|_| Some(self.hint))
                .named("workload-api")
                .policy(&self.policy)
                .on_give_up(|ev| *gave_up = ev.gave_up)
                .call(|| {
                    if *left > 0 {
                        *left -= 1;
                        Err(std::io::ErrorKind::ConnectionRefused.into())
                    } else {
                        Ok(())
                    }
                });
        if out.is_err() {
            ctx.add_unit_status(Status::waiting("workload API not answering"))?;
        }
        Ok(())
    }
}

#[test]
fn the_dispatch_logs_a_retry_summary_to_juju_log() {
    let (policy, _) = recording_policy();
    let mut charm = Flaky {
        policy: policy.deadline(Duration::from_secs(60)),
        budget: None,
        hint: Duration::from_millis(250),
        failures_left: 2,
        gave_up: None,
        remaining: None,
    };
    let r = runner();
    assert_eq!(run(&mut charm, &MemoryStore::default(), &r).exit_code(), 0);
    let lines = r.lines();
    let retries: Vec<&String> = lines.iter().filter(|l| l.contains("retrying")).collect();
    assert_eq!(retries.len(), 2, "{lines:?}");
    assert!(
        retries[0].starts_with("juju-log --log-level WARNING -- workload-api failed; retrying")
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some(
            "juju-log --log-level INFO -- retries in this hook: workload-api: 2 retries, \
             waited 500ms retries=2 waited=500ms"
        )
    );

    // A hook without retries logs no summary.
    let r = runner();
    run(&mut charm, &MemoryStore::default(), &r);
    assert!(!r.lines().iter().any(|l| l.contains("retries in this hook")));
}

#[test]
fn the_hook_budget_bounds_retries_in_later_handlers() {
    let (policy, _) = recording_policy();
    let mut charm = Flaky {
        // The policy alone would allow the 10 s waits for ten minutes.
        policy: policy.max_attempts(1000).deadline(Duration::from_secs(600)),
        // No time left: the first wait would already pass the budget.
        budget: Some(Duration::ZERO),
        hint: Duration::from_secs(10),
        failures_left: 100,
        gave_up: None,
        remaining: None,
    };
    let r = runner();
    assert_eq!(run(&mut charm, &MemoryStore::default(), &r).exit_code(), 0);
    assert_eq!(charm.gave_up, Some(GiveUp::Budget));
    assert_eq!(charm.failures_left, 99); // one attempt, no retry
    assert_eq!(charm.remaining, Some(Duration::ZERO));
    assert!(
        r.lines()
            .iter()
            .any(|l| l.contains("why=hook budget reached"))
    );
    // The budget ended with the dispatch.
    assert_eq!(Budget::current(), None);
}

#[test]
fn the_sleep_switch_covers_charm_retries() {
    set_sleep_enabled(false);
    // Real sleepers (the defaults) and hour-long waits: this would hang if they slept.
    let policy = RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_secs(3600))
        .max_delay(Duration::from_secs(3600))
        .deadline(Duration::from_secs(1_000_000));
    let mut n = 0;
    let out: Result<(), &str> = Retry::when(|_: &&str| true).policy(&policy).call(|| {
        n += 1;
        Err("busy")
    });
    assert_eq!(out, Err("busy"));
    assert_eq!(n, 3);
    let mut r = Retrying::new(&policy, "block");
    assert_eq!(r.retry("busy"), Ok(()));
    assert!(!sleep_enabled());
}
