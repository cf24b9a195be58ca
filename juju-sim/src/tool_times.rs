//! How long each hook-tool call took, for the trace's per-hook figures (`tool_calls`,
//! `tool_us`) that `benchmarks/compare` uses to tell the framework's own time from the time
//! spent inside hook tools.
//!
//! juju-sim names a file in `JUJU_SIM_TOOL_TIMES`; every `hook-tool` run appends one line,
//! `<tool>\t<pre-main µs>\t<main µs>`: the time from its fork to `main` (CPU and run-queue
//! time from `/proc/self/schedstat`: exec and loading) and the time in `main` (wall clock).
//! After each hook juju-sim reads and empties the file.
//!
//! # Example
//! ```
//! use juju_sim::tool_times;
//! let dir = tempfile::tempdir().unwrap();
//! let file = dir.path().join("tool-times.log");
//! tool_times::append(&file, "config-get", 120, 800);
//! tool_times::append(&file, "juju-log", 100, 300);
//! let t = tool_times::take(&file);
//! assert_eq!((t.calls, t.micros), (2, 1320));
//! assert_eq!(tool_times::take(&file).calls, 0);
//! ```

use std::io::Write;
use std::path::Path;

/// The environment variable naming the timings file.
pub const TIMES_ENV: &str = "JUJU_SIM_TOOL_TIMES";

/// The hook-tool calls of one hook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolTimes {
    /// How many calls (`juju-log` included).
    pub calls: usize,
    /// Their total time, in microseconds.
    pub micros: u64,
}

/// The time this process spent between its fork and now, as far as the scheduler knows (on
/// a CPU or waiting for one), in microseconds; 0 if `/proc/self/schedstat` is unreadable.
pub fn since_fork_micros() -> u64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .map(|s| {
            s.split_whitespace()
                .take(2)
                .filter_map(|n| n.parse::<u64>().ok())
                .sum::<u64>()
                / 1000
        })
        .unwrap_or(0)
}

/// Appends one call's line (errors are ignored: timing never fails a tool call).
pub fn append(file: &Path, tool: &str, pre_main_us: u64, main_us: u64) {
    let line = format!("{tool}\t{pre_main_us}\t{main_us}\n");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Reads the calls recorded so far and empties the file.
pub fn take(file: &Path) -> ToolTimes {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let _ = std::fs::remove_file(file);
    text.lines().fold(ToolTimes::default(), |mut t, line| {
        let mut fields = line.split('\t').skip(1);
        let us = |f: Option<&str>| f.and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        t.calls += 1;
        t.micros += us(fields.next()) + us(fields.next());
        t
    })
}
