//! Per-request latency and requests per second of the blocking client (what charms use)
//! against a running Pebble, one request after another on the client's persistent
//! connection, with the default retry policy. Prints one JSON object per request kind,
//! with the client's own CPU time per request (the thread's time on a CPU, from
//! `/proc/thread-self/schedstat`: the client's work, not the server's or the wait for it).
//!
//! ```sh
//! target/release/pebble-sim serve --socket /tmp/p.sock &
//! cargo run --release -p pebble-client --example pebble_rps -- /tmp/p.sock 2000
//! ```
//!
//! `benchmarks/compare` runs it next to the same loop written with Python `ops.pebble.Client`
//! (`benchmarks/pebble_client_bench.py`).

use std::time::{Duration, Instant};

use pebble_client::blocking::Client;

type Error = Box<dyn std::error::Error>;

fn measure(
    name: &str,
    requests: usize,
    mut call: impl FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    // Warm up: connect, and let the server settle.
    for _ in 0..requests.min(50) {
        call()?;
    }
    let mut each = Vec::with_capacity(requests);
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        call()?;
        each.push(t.elapsed());
    }
    let total = start.elapsed();
    let cpu_us_per_request = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e3 / requests as f64),
        _ => None,
    };
    each.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| {
        let i = ((each.len() as f64 - 1.0) * q).round() as usize;
        each.get(i).copied().map_or(0.0, us)
    };
    println!(
        "{}",
        serde_json::json!({
            "client": "pebble-client (blocking)",
            "request": name,
            "requests": requests,
            "median_us": at(0.5),
            "p95_us": at(0.95),
            "requests_per_s": requests as f64 / total.as_secs_f64(),
            "cpu_us_per_request": cpu_us_per_request,
        })
    );
    Ok(())
}

/// This thread's time on a CPU so far, in nanoseconds (Linux; `None` elsewhere). The
/// blocking client runs its requests on the calling thread (a current-thread runtime).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let socket = args.next().ok_or("usage: pebble_rps <socket> [requests]")?;
    let requests: usize = match args.next() {
        Some(n) => n.parse().map_err(|e| format!("requests {n:?}: {e}"))?,
        None => 2000,
    };
    let client = Client::new(&socket)?;
    measure("GET /v1/system-info", requests, || {
        client.system_info()?;
        Ok(())
    })?;
    measure("GET /v1/services", requests, || {
        client.get_services(&[])?;
        Ok(())
    })?;
    Ok(())
}
