//! Running the charm's `dispatch` as a child process: a clean environment, output captured,
//! killed after a time limit.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::{Result, SimError};

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
}

/// Runs `dispatch` in `cwd` with exactly `env` (plus the `PASS_THROUGH` variables).
pub fn run(
    dispatch: &Path,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    limit: Duration,
) -> Result<Exit> {
    let mut cmd = Command::new(dispatch);
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
        path: dispatch.to_owned(),
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
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > limit => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(source) => {
                super::cleanup::hook_process(None);
                return Err(SimError::Spawn {
                    path: dispatch.to_owned(),
                    source,
                });
            }
        }
    };
    super::cleanup::hook_process(None);
    let duration = start.elapsed();
    Ok(Exit {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        duration,
        timed_out,
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
        let e = run(&d, dir.path(), &env, Duration::from_secs(30)).unwrap();
        assert_eq!(
            (e.code, e.stdout.as_str(), e.stderr.as_str()),
            (3, "bar-\n", "oops\n")
        );
    }

    #[test]
    fn time_limit_kills() {
        let dir = tempfile::tempdir().unwrap();
        let d = script(dir.path(), "exec sleep 30");
        let env = [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into();
        let e = run(&d, dir.path(), &env, Duration::from_millis(50)).unwrap();
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
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot run /nonexistent/dispatch"),
            "{e}"
        );
    }
}
