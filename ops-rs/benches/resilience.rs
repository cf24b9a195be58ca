//! The overhead of a successful call through the resilience toolkit, against a plain call.
//!
//! `cargo bench -p ops-rs --bench resilience`

use std::hint::black_box;

use ops::resilience::{Breaker, BreakerPolicy, Retry, RetryPolicy, Retrying};

fn main() {
    divan::main();
}

fn work() -> Result<u64, std::io::Error> {
    Ok(black_box(42))
}

/// The call alone.
#[divan::bench]
fn plain_call() -> Result<u64, std::io::Error> {
    work()
}

/// `Retry::when(..).policy(&p).call(..)`, succeeding at once.
#[divan::bench]
fn retry_closure(b: divan::Bencher) {
    let policy = RetryPolicy::default();
    b.bench_local(|| {
        Retry::when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionRefused)
            .named("bench")
            .policy(&policy)
            .call(work)
    });
}

/// `Retry` with a result classifier and a hint, succeeding at once.
#[divan::bench]
fn retry_closure_full(b: divan::Bencher) {
    let policy = RetryPolicy::default();
    b.bench_local(|| {
        Retry::when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionRefused)
            .or_when_ok(|v: &u64| *v == 503)
            .hint(|_| None)
            .named("bench")
            .policy(&policy)
            .call(work)
    });
}

/// The block form, succeeding at once.
#[divan::bench]
fn retrying_block(b: divan::Bencher) {
    let policy = RetryPolicy::default();
    b.bench_local(|| -> Result<u64, std::io::Error> {
        let mut retrying = Retrying::new(&policy, "bench");
        loop {
            match work() {
                Ok(v) => break Ok(v),
                Err(e) => retrying.retry(e)?,
            }
        }
    });
}

/// A closed circuit breaker around the call.
#[divan::bench]
fn breaker_call(b: divan::Bencher) {
    let breaker = Breaker::detached("bench", &BreakerPolicy::default());
    b.bench_local(|| breaker.call(work));
}
