//! The conformance suite: one list of tests of the whole client, run against pebble-sim
//! always, and against Canonical's real Pebble when `PEBBLE_BIN` names its binary.
//!
//! ```sh
//! cargo test -p pebble-client --all-features --test conformance                 # sim only
//! PEBBLE_BIN=/abs/path/to/pebble cargo test -p pebble-client --all-features --test conformance
//! cargo test -p pebble-client --all-features --test conformance -- exec         # a filter
//! ```
//!
//! Every test gets a fresh server of its own: a [`SimPebble`] running real processes (services
//! and exec), or `pebble run --create-dirs` with `PEBBLE` set to a new temporary directory,
//! stopped at the end. Where the two servers must differ, the test says why (see
//! [`fixture::Pebble::is_real`]).
//!
//! The harness is this file (the test target has `harness = false`): it runs the list on each
//! server, four tests at a time, prints one line per test, and ends with the tally, e.g.
//! `conformance: 50 passed, 0 failed, 50 skipped` (the skipped ones being the real half
//! when `PEBBLE_BIN` is unset, which it says once, with how to run it).
//!
//! [`SimPebble`]: pebble_client::testing::SimPebble

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

mod fixture;

mod changes;
mod checks;
mod exec;
mod files;
mod identities;
mod logs;
mod notices;
mod plan;
mod services;
mod signals;
mod system;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fixture::{Pebble, Server};

/// A test: given a running server, passes or panics.
pub type TestFn = for<'a> fn(&'a Pebble) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Registers async test functions by name: `tests![module::name, ...]`.
#[macro_export]
macro_rules! tests {
    ($($path:path),* $(,)?) => {
        vec![$((
            concat!(module_path!(), "::", stringify!($path)),
            (|p: &$crate::fixture::Pebble| -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
                Box::pin($path(p))
            }) as $crate::TestFn,
        )),*]
    };
}

/// Every test, in the order they run.
fn all() -> Vec<(&'static str, TestFn)> {
    let mut list: Vec<(&'static str, TestFn)> = Vec::new();
    list.extend(system::tests());
    list.extend(plan::tests());
    list.extend(services::tests());
    list.extend(changes::tests());
    list.extend(files::tests());
    list.extend(exec::tests());
    list.extend(notices::tests());
    list.extend(signals::tests());
    list.extend(identities::tests());
    list.extend(logs::tests());
    list.extend(checks::tests());
    for (name, _) in &mut list {
        *name = name.strip_prefix("conformance::").unwrap_or(name);
    }
    list
}

/// Panics on named threads (tokio's workers, the sim's thread): a background task of the
/// client or the sim panicked, which no test sees by itself (tokio catches it) and which
/// would kill a hook built with `panic = "abort"`. Any such panic fails the run.
static BACKGROUND_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn watch_background_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        if let Some(name) = thread.name().filter(|n| *n != "main") {
            BACKGROUND_PANICS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{name}: {info}"));
        }
        default(info);
    }));
}

/// How many tests run at once (each with a server of its own).
const PARALLEL: usize = 4;

struct Outcome {
    passed: usize,
    failed: Vec<String>,
}

fn run_on(server: &Server, tests: &[(&'static str, TestFn)]) -> Outcome {
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    let passed = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((name, test)) = tests.get(i) else {
                        return;
                    };
                    let started = Instant::now();
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        let rt = tokio::runtime::Builder::new_multi_thread()
                            .worker_threads(2)
                            .enable_all()
                            .build()
                            .unwrap();
                        rt.block_on(async {
                            let pebble = Pebble::start(server).await;
                            test(&pebble).await;
                            pebble.stop().await;
                        });
                        rt.shutdown_timeout(Duration::from_secs(5));
                    }));
                    let took = started.elapsed().as_secs_f64();
                    let label = server.label();
                    match result {
                        Ok(()) => {
                            passed.fetch_add(1, Ordering::SeqCst);
                            println!("test {label}::{name} ... ok ({took:.1}s)");
                        }
                        Err(_) => {
                            println!("test {label}::{name} ... FAILED ({took:.1}s)");
                            failed.lock().unwrap().push(format!("{label}::{name}"));
                        }
                    }
                }
            });
        }
    });
    Outcome {
        passed: passed.into_inner(),
        failed: failed.into_inner().unwrap(),
    }
}

fn main() {
    // libtest's flags are accepted and ignored; the first other argument filters by name.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if std::env::args().any(|a| a == "--list") {
        for (name, _) in all() {
            println!("{name}: test");
        }
        return;
    }
    let tests: Vec<_> = all()
        .into_iter()
        .filter(|(name, _)| name.contains(&filter))
        .collect();
    pebble_client::retry::set_sleep_enabled(true);
    watch_background_panics();

    let mut servers = vec![Server::Sim];
    let real = std::env::var_os("PEBBLE_BIN").filter(|v| !v.is_empty());
    match &real {
        Some(bin) => servers.push(Server::Real(PathBuf::from(bin))),
        None => println!(
            "conformance: the real-Pebble half is skipped: set PEBBLE_BIN to a Pebble binary to run it, e.g. from the repository root: PEBBLE_BIN=$(realpath ../shared/tools/pebble/pebble) cargo test -p pebble-client --all-features --test conformance"
        ),
    }
    println!(
        "running {} conformance tests on {} server(s)",
        tests.len(),
        servers.len()
    );
    let mut total_passed = 0;
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    for server in &servers {
        let outcome = run_on(server, &tests);
        lines.push(format!(
            "conformance {}: {} passed, {} failed",
            server.describe(),
            outcome.passed,
            outcome.failed.len()
        ));
        total_passed += outcome.passed;
        failures.extend(outcome.failed);
    }
    for l in &lines {
        println!("{l}");
    }
    if !failures.is_empty() {
        println!("failures:");
        for f in &failures {
            println!("    {f}");
        }
    }
    let background = BACKGROUND_PANICS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !background.is_empty() {
        println!("panics in background tasks (each fails the run):");
        for b in &background {
            println!("    {b}");
        }
        failures.push(format!("{} background panic(s)", background.len()));
    }
    let skipped = if real.is_none() { tests.len() } else { 0 };
    println!(
        "conformance: {total_passed} passed, {} failed, {skipped} skipped",
        failures.len()
    );
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
