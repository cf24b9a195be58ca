//! Running the charm's `dispatch` as a child process: a clean environment, output captured,
//! killed after a time limit, its duration and peak resident set measured.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::error::{Result, SimError};
use super::namespace::Wrapper;

/// Variables passed through from juju-sim's own environment (everything else is unset, as
/// in a unit agent's hook environment).
const PASS_THROUGH: &[&str] = &[
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "RUST_BACKTRACE",
    "RUST_LOG",
    "LLVM_PROFILE_FILE",
];

/// What one run of dispatch did.
#[derive(Debug, Clone, Default)]
pub struct Exit {
    /// The exit code (`-1` if killed by a signal or the time limit).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// How long it ran.
    pub duration: Duration,
    /// Whether it was killed for running past the time limit.
    pub timed_out: bool,
    /// Its peak resident set in KiB (`VmHWM`, sampled every [`SAMPLE_EVERY`] while it ran,
    /// so a rise in its last moments may be missed; hook tools it ran are not included).
    pub peak_rss_kb: Option<u64>,
    /// The CPU time its main thread used, read from the scheduler once it has exited (exec
    /// and start-up included; hook tools it ran, and other threads, are not).
    pub cpu: Option<Duration>,
}

/// How often a running dispatch's peak resident set is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_micros(500);

/// The CPU time of process `pid`'s main thread (`/proc/<pid>/schedstat`, nanoseconds; still
/// there while the process is a zombie).
fn cpu_time(pid: rustix::process::Pid) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{}/schedstat", pid.as_raw_nonzero())).ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Waits until `pid` has exited, leaving it to be reaped; false if that cannot be waited for.
fn wait_exited(pid: rustix::process::Pid) -> bool {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    loop {
        match waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        ) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.is_ok(),
        }
    }
}

/// `VmHWM` (peak resident set, KiB) from a `/proc/<pid>/status` file, if the process is
/// still there and has memory.
fn vm_hwm_kb(status_file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status_file).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `dispatch` in `cwd` with exactly `env` (plus the `PASS_THROUGH` variables); through
/// `namespace` (the unit's private mount namespace, see [`super::namespace`]) if given.
pub fn run(
    dispatch: &Path,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    limit: Duration,
    namespace: Option<&Wrapper>,
) -> Result<Exit> {
    let (program, args) = match namespace {
        Some(w) => w.command(dispatch),
        None => (dispatch.to_path_buf(), Vec::new()),
    };
    let mut cmd = Command::new(&program);
    cmd.args(args);
    cmd.current_dir(cwd)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in PASS_THROUGH {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    cmd.envs(env);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|source| SimError::Spawn {
        path: program.clone(),
        source,
    })?;
    super::cleanup::hook_process(Some(child.id()));
    let pipe = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = pipe(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = pipe(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    // A sampler watches the child while this thread waits for it (so the duration ends when
    // the child is reaped, not at the next poll): it records the child's peak resident set
    // and kills the child at the time limit.
    let pid = rustix::process::Pid::from_child(&child);
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let peak_kb = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, killed, peak_kb) = (done.clone(), killed.clone(), peak_kb.clone());
        let status_file = format!("/proc/{}/status", pid.as_raw_nonzero());
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                if let Some(kb) = vm_hwm_kb(&status_file) {
                    peak_kb.fetch_max(kb, Ordering::AcqRel);
                }
                if start.elapsed() > limit && !killed.swap(true, Ordering::AcqRel) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };
    // The child's own CPU time can be read only before it is reaped: wait for its exit first.
    let exited = wait_exited(pid);
    let duration = start.elapsed();
    let cpu = exited.then(|| cpu_time(pid)).flatten();
    let status = child.wait();
    super::cleanup::hook_process(None);
    done.store(true, Ordering::Release);
    let _ = sampler.join();
    let status = status.map_err(|source| SimError::Spawn {
        path: dispatch.to_owned(),
        source,
    })?;
    let timed_out = killed.load(Ordering::Acquire);
    let peak = peak_kb.load(Ordering::Acquire);
    Ok(Exit {
        code: if timed_out {
            -1
        } else {
            status.code().unwrap_or(-1)
        },
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        duration,
        timed_out,
        peak_rss_kb: (peak > 0).then_some(peak),
        cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, body: &str) -> std::path::PathBuf {
        let p = dir.join("dispatch");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn clean_env_and_capture() {
        let dir = tempfile::tempdir().unwrap();
        let d = script(
            dir.path(),
            "echo \"$FOO-$JUJU_SIM_UNSET_VAR\"; echo oops >&2; exit 3",
        );
        let env = [
            ("FOO".to_owned(), "bar".to_owned()),
            ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
        ]
        .into();
        let e = run(&d, dir.path(), &env, Duration::from_secs(30), None).unwrap();
        assert_eq!(
            (e.code, e.stdout.as_str(), e.stderr.as_str()),
            (3, "bar-\n", "oops\n")
        );
    }

    #[test]
    fn cpu_time_is_the_process_own_not_its_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let env = [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into();
        // Waiting (here for a child, as a charm waits for a hook tool) is not CPU time.
        let d = script(dir.path(), "sleep 0.3");
        let e = run(&d, dir.path(), &env, Duration::from_secs(30), None).unwrap();
        let cpu = e.cpu.expect("schedstat is readable on Linux");
        assert!(e.duration >= Duration::from_millis(300), "{e:?}");
        assert!(
            cpu < Duration::from_millis(150),
            "{cpu:?} of {:?}",
            e.duration
        );
        // Work in the process itself is.
        let d = script(
            dir.path(),
            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done",
        );
        let e = run(&d, dir.path(), &env, Duration::from_secs(30), None).unwrap();
        let cpu = e.cpu.expect("schedstat is readable on Linux");
        assert!(cpu > Duration::from_millis(1), "{cpu:?}");
        assert!(cpu <= e.duration, "{cpu:?} > {:?}", e.duration);
    }

    #[test]
    fn time_limit_kills() {
        let dir = tempfile::tempdir().unwrap();
        let d = script(dir.path(), "exec sleep 30");
        let env = [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into();
        let e = run(&d, dir.path(), &env, Duration::from_millis(50), None).unwrap();
        assert!(e.timed_out);
        assert_eq!(e.code, -1);
    }

    #[test]
    fn missing_dispatch_is_clear() {
        let e = run(
            Path::new("/nonexistent/dispatch"),
            Path::new("/"),
            &BTreeMap::new(),
            Duration::from_secs(1),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot run /nonexistent/dispatch"),
            "{e}"
        );
    }
}
