use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pebble_client::retry::{Budget, Call, GiveUp, RecordingSleeper, RetryPolicy, RetrySummary};

use super::Retry;
use crate::test_support::retry::{block_on, recording_policy};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum E {
    #[error("connection refused")]
    Refused,
    #[error("not found")]
    NotFound,
}

/// A closure failing with `errs` in order, then answering `Ok(n)` with the number of calls.
fn script(errs: Vec<E>) -> (Arc<AtomicU32>, impl FnMut() -> Result<u32, E>) {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let mut errs = errs.into_iter();
    (calls, move || {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        match errs.next() {
            Some(e) => Err(e),
            None => Ok(n),
        }
    })
}

#[test]
fn transient_errors_are_retried_until_success() {
    let (policy, sleeper) = recording_policy();
    let (calls, f) = script(vec![E::Refused, E::Refused]);
    let out = Retry::when(|e: &E| *e == E::Refused)
        .policy(&policy)
        .call(f);
    assert_eq!(out, Ok(3));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(sleeper.waits().len(), 2);
}

#[test]
fn errors_the_classifier_does_not_name_are_not_retried() {
    let (policy, sleeper) = recording_policy();
    let (calls, f) = script(vec![E::NotFound]);
    let out = Retry::when(|e: &E| *e == E::Refused)
        .policy(&policy)
        .call(f);
    assert_eq!(out, Err(E::NotFound));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(sleeper.waits().is_empty());
}

#[test]
fn a_result_only_classifier_retries_no_error() {
    let (policy, _) = recording_policy();
    let (calls, f) = script(vec![E::Refused]);
    let out = Retry::when_ok(|_: &u32| false).policy(&policy).call(f);
    assert_eq!(out, Err(E::Refused));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn attempts_bound_the_calls_and_the_last_error_is_returned() {
    let (policy, sleeper) = recording_policy();
    let policy = policy.max_attempts(3);
    let (calls, f) = script(vec![E::Refused; 10]);
    let out = Retry::when(|e: &E| *e == E::Refused)
        .policy(&policy)
        .call(f);
    assert_eq!(out, Err(E::Refused));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2);
    for (n, w) in waits.iter().enumerate() {
        assert!(*w <= policy.wait_bound(n as u32), "{w:?}");
    }
}

#[test]
fn the_deadline_counts_attempt_time() {
    let (policy, sleeper) = recording_policy();
    let policy = policy.deadline(Duration::from_secs(1));
    let clock = sleeper.clock();
    let calls = AtomicU32::new(0);
    let out: Result<(), E> = Retry::when(|_: &E| true).policy(&policy).call(|| {
        calls.fetch_add(1, Ordering::SeqCst);
        clock.advance(Duration::from_millis(600)); // each attempt is slow
        Err(E::Refused)
    });
    assert_eq!(out, Err(E::Refused));
    // 600 ms, then a wait < 400 ms may fit; after the second attempt (>= 1.2 s) none does.
    assert!(calls.load(Ordering::SeqCst) <= 2);
    assert!(sleeper.waits().len() <= 1);
}

#[test]
fn results_can_be_retried_like_an_http_503() {
    let (policy, _) = recording_policy();
    let mut statuses = vec![200u16, 503, 503];
    let out: Result<u16, E> = Retry::when_ok(|s: &u16| *s == 503)
        .policy(&policy)
        .call(|| Ok(statuses.pop().unwrap_or(500)));
    assert_eq!(out, Ok(200));

    // Exhausted: the last result comes back as it was.
    let out: Result<u16, E> = Retry::when_ok(|s: &u16| *s == 503)
        .policy(&policy.clone().max_attempts(2))
        .call(|| Ok(503));
    assert_eq!(out, Ok(503));
}

#[test]
fn an_error_type_anywhere_in_the_chain_is_transient() {
    #[derive(Debug, thiserror::Error)]
    #[error("cannot load the config")]
    struct Wrapper(#[source] std::io::Error);

    let (policy, _) = recording_policy();
    let mut n = 0;
    let out: Result<u32, Wrapper> =
        Retry::on_error::<std::io::Error>()
            .policy(&policy)
            .call(|| {
                n += 1;
                if n < 3 {
                    Err(Wrapper(std::io::Error::other("refused")))
                } else {
                    Ok(n)
                }
            });
    assert_eq!(out.ok(), Some(3));

    // Another type: not retried.
    let mut n = 0;
    let out: Result<(), Wrapper> =
        Retry::on_error::<std::fmt::Error>()
            .policy(&policy)
            .call(|| {
                n += 1;
                Err(Wrapper(std::io::Error::other("refused")))
            });
    assert!(out.is_err());
    assert_eq!(n, 1);
}

#[test]
fn classifiers_combine() {
    let (policy, _) = recording_policy();
    let (calls, f) = script(vec![E::Refused, E::NotFound]);
    let out = Retry::when(|e: &E| *e == E::Refused)
        .or_when(|e: &E| *e == E::NotFound)
        .or_when_ok(|n: &u32| *n < 4)
        .policy(&policy)
        .call(f);
    assert_eq!(out, Ok(4));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[test]
fn a_server_hint_replaces_the_backoff_and_its_cap() {
    let (policy, sleeper) = recording_policy();
    let policy = policy.deadline(Duration::from_secs(10));
    let (_, f) = script(vec![E::Refused, E::Refused]);
    let out = Retry::when(|_: &E| true)
        .hint(|_| Some(Duration::from_secs(2))) // the cap is 500 ms
        .policy(&policy)
        .call(f);
    assert_eq!(out, Ok(3));
    assert_eq!(sleeper.waits(), [Duration::from_secs(2); 2]);
}

#[test]
fn a_hint_past_the_deadline_ends_the_retries_without_sleeping() {
    let (policy, sleeper) = recording_policy();
    let policy = policy.deadline(Duration::from_secs(10));
    let (calls, f) = script(vec![E::Refused]);
    let gave_up = Mutex::new(None);
    let out = Retry::when(|_: &E| true)
        .hint(|_| Some(Duration::from_secs(30)))
        .on_give_up(|ev| *gave_up.lock().unwrap() = ev.gave_up)
        .policy(&policy)
        .call(f);
    assert_eq!(out, Err(E::Refused));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(sleeper.waits().is_empty());
    assert_eq!(*gave_up.lock().unwrap(), Some(GiveUp::Deadline));
}

#[test]
fn no_hint_falls_back_to_the_backoff() {
    let (policy, sleeper) = recording_policy();
    let (_, f) = script(vec![E::Refused]);
    let out = Retry::when(|_: &E| true)
        .hint(|_| None)
        .policy(&policy)
        .call(f);
    assert_eq!(out, Ok(2));
    assert!(sleeper.waits()[0] <= policy.wait_bound(0));
}

#[test]
fn hooks_see_each_retry_and_the_give_up() {
    let (policy, _) = recording_policy();
    let policy = policy.max_attempts(3);
    let retries = Mutex::new(Vec::new());
    let give_ups = Mutex::new(Vec::new());
    let (_, f) = script(vec![E::Refused; 5]);
    let _ = Retry::when(|_: &E| true)
        .named("db")
        .policy(&policy)
        .on_retry(|ev| {
            retries.lock().unwrap().push((
                ev.name.to_owned(),
                ev.attempt,
                ev.wait.is_some(),
                ev.cause.to_string(),
            ))
        })
        .on_give_up(|ev| give_ups.lock().unwrap().push((ev.attempt, ev.gave_up)))
        .call(f);
    let retries = retries.into_inner().unwrap();
    assert_eq!(
        retries,
        [
            ("db".to_owned(), 1, true, "connection refused".to_owned()),
            ("db".to_owned(), 2, true, "connection refused".to_owned())
        ]
    );
    assert_eq!(
        give_ups.into_inner().unwrap(),
        [(3, Some(GiveUp::Attempts))]
    );
}

#[test]
fn async_closures_are_retried_with_the_async_sleeper() {
    let (policy, sleeper) = recording_policy();
    let (calls, mut f) = script(vec![E::Refused, E::Refused]);
    let out = block_on(
        Retry::when(|e: &E| *e == E::Refused)
            .policy(&policy)
            .call_async(|| std::future::ready(f())),
    );
    assert_eq!(out, Ok(3));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(sleeper.waits().len(), 2);
}

#[test]
fn a_retry_never_waits_past_the_budget_and_budgets_nest() {
    let sleeper = RecordingSleeper::new();
    let clock = sleeper.clock();
    let policy = RetryPolicy::default()
        .max_attempts(100)
        .deadline(Duration::from_secs(600))
        .sleeper(sleeper.clone())
        .clock(clock.clone());
    let hook = Budget::start_with_clock(Duration::from_secs(5), &clock);
    let hint = |_: &Result<(), E>| Some(Duration::from_secs(1));
    let retry = || {
        Retry::when(|_: &E| true)
            .hint(hint)
            .policy(&policy)
            .call(|| Err(E::Refused))
    };
    {
        // An inner, shorter budget binds: one 1 s wait fits in 1.5 s, a second does not.
        let _inner = Budget::start_with_clock(Duration::from_millis(1500), &clock);
        assert_eq!(retry(), Err(E::Refused));
        assert_eq!(sleeper.waits().len(), 1);
    }
    {
        // An inner, longer budget does not extend the hook's 5 s: at 1 s, waits end at
        // 2, 3 and 4 s; a fourth would end at 5 s.
        let _inner = Budget::start_with_clock(Duration::from_secs(60), &clock);
        assert_eq!(retry(), Err(E::Refused));
        assert_eq!(sleeper.waits().len(), 1 + 3);
    }
    drop(hook);
}

#[test]
fn the_pebble_clients_retries_respect_the_budget_too() {
    let sleeper = RecordingSleeper::new();
    let clock = sleeper.clock();
    let policy = RetryPolicy::default()
        .max_attempts(100)
        .max_delay(Duration::from_secs(1))
        .base_delay(Duration::from_secs(1))
        .factor(1.0)
        .deadline(Duration::from_secs(600))
        .sleeper(sleeper.clone())
        .clock(clock.clone());
    let _hook = Budget::start_with_clock(Duration::from_secs(3), &clock);
    let recording = RetrySummary::record();
    let out: Result<(), _> = block_on(policy.run(Call::GetPlan, || async {
        Err(pebble_client::Error::SocketNotFound {
            path: "/charm/containers/web/pebble.socket".into(),
        })
    }));
    assert!(out.is_err());
    let waited: Duration = sleeper.waits().iter().sum();
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // And they are in the hook's summary, under the Pebble call's name.
    let summary = recording.finish();
    let plan = summary.get("get-plan").copied().unwrap_or_default();
    assert_eq!(plan.retries as usize, sleeper.waits().len());
    assert_eq!((plan.waited, plan.gave_up), (waited, 1));
}
