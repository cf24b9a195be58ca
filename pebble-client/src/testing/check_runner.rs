//! Running health checks for real, as Pebble's check manager does: one loop per running
//! check change, a run every `period` (the first after one period), each bounded by the
//! check's `timeout`, its result recorded by the rules in `state::checks`.
//!
//! - **exec**: the command (split as Pebble splits commands, no shell) with the daemon's
//!   environment plus the check's (and its service context's), in its working directory,
//!   as its user and group; it fails on a non-zero exit, with the last lines of its output.
//! - **http**: `GET url` with the check's headers; it fails unless the status is 2xx
//!   (plain HTTP only: the simulator has no TLS).
//! - **tcp**: a connection to `host:port` (default host `localhost`).
//!
//! A check the test forced down (`SimPebble::fail_check`) fails with the test's message
//! without running. `POST /v1/checks/refresh` runs a running check now through its loop
//! (which then waits a whole period again), or a stopped one directly, changing nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::Shared;
use super::state::checks;
use crate::types::{Check, ExecCheck, HttpCheck, TcpCheck};

/// A refresh request: the result of the run is sent back.
type Refresh = oneshot::Sender<Result<(), String>>;

/// The refresh channels of the running check loops, by check name.
#[derive(Debug, Default)]
pub(crate) struct Runners {
    by_check: Mutex<HashMap<String, (u64, mpsc::Sender<Refresh>)>>,
}

impl Runners {
    /// The refresh channel of `name`'s loop, if one runs.
    pub(crate) fn get(&self, name: &str) -> Option<mpsc::Sender<Refresh>> {
        self.by_check
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map(|(_, tx)| tx.clone())
    }

    fn register(&self, name: &str, generation: u64, tx: mpsc::Sender<Refresh>) {
        self.by_check
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), (generation, tx));
    }

    fn unregister(&self, name: &str, generation: u64) {
        let mut map = self.by_check.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(name).is_some_and(|(g, _)| *g == generation) {
            map.remove(name);
        }
    }
}

/// The loop of one check change: runs until the change ends or is replaced.
pub(crate) async fn run(shared: Arc<Shared>, name: String, change: u64, generation: u64) {
    let (tx, mut rx) = mpsc::channel::<Refresh>(4);
    shared.check_runners.register(&name, generation, tx);
    loop {
        let config = shared.with(|st, _| {
            st.checks
                .by_name
                .get(&name)
                .filter(|r| r.generation == generation)
                .and_then(|r| r.config.clone())
        });
        let Some(config) = config else { break };
        let period = config.effective_period().to_std().unwrap_or_default();
        let reply = tokio::select! {
            () = tokio::time::sleep(period.max(Duration::from_millis(1))) => None,
            req = rx.recv() => req,
        };
        let forced =
            shared.with(|st, _| st.checks.by_name.get(&name).and_then(|r| r.forced.clone()));
        let result = match forced {
            Some(message) => Err(message),
            None => probe(&shared, &config).await,
        };
        let go_on = shared
            .with(|st, now| checks::record(st, &name, change, generation, result.clone(), now));
        if let Some(reply) = reply {
            let _ = reply.send(result);
        }
        if !go_on {
            break;
        }
    }
    shared.check_runners.unregister(&name, generation);
}

/// Runs `check` once, bounded by its timeout.
pub(crate) async fn probe(shared: &Shared, check: &Check) -> Result<(), String> {
    let timeout = check.effective_timeout().to_std().unwrap_or_default();
    let run = async {
        if let Some(exec) = &check.exec {
            exec_probe(shared, exec).await
        } else if let Some(http) = &check.http {
            http_probe(http).await
        } else if let Some(tcp) = &check.tcp {
            tcp_probe(tcp).await
        } else {
            Err("invalid check: no exec, http or tcp".to_owned())
        }
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "check timed out after {}",
            super::wire::format_duration(timeout)
        )),
    }
}

/// How many lines of output a failed exec check reports (Pebble's figures).
const OUTPUT_LINES: usize = 5;
const OUTPUT_BYTES: usize = 512;

async fn exec_probe(shared: &Shared, exec: &ExecCheck) -> Result<(), String> {
    let words = super::process::split_command(exec.command.as_deref().unwrap_or_default())
        .map_err(|e| format!("cannot parse command: {e}"))?;
    let Some((program, args)) = words.split_first() else {
        return Err("cannot parse command: empty command".to_owned());
    };
    // The service context fills what the check leaves unset.
    let context = exec
        .service_context
        .as_ref()
        .and_then(|s| shared.with(|st, _| st.plan.plan.services.get(s).cloned()));
    let mut environment: BTreeMap<String, String> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    if let Some(svc) = &context {
        environment.extend(svc.environment.clone());
    }
    environment.extend(exec.environment.clone());
    let working_dir = exec
        .working_dir
        .clone()
        .or_else(|| context.as_ref().and_then(|s| s.working_dir.clone()));
    let user = exec
        .user
        .clone()
        .or_else(|| context.as_ref().and_then(|s| s.user.clone()));
    let user_id = exec
        .user_id
        .or_else(|| context.as_ref().and_then(|s| s.user_id));
    let group = exec
        .group
        .clone()
        .or_else(|| context.as_ref().and_then(|s| s.group.clone()));
    let group_id = exec
        .group_id
        .or_else(|| context.as_ref().and_then(|s| s.group_id));

    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(&environment)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    if let Some(dir) = working_dir.filter(|d| !d.is_empty()) {
        cmd.current_dir(super::process::map_working_dir(shared.files.root(), &dir));
    }
    let ids = super::users::resolve(user_id, user.as_deref(), group_id, group.as_deref())?;
    if let Some((uid, gid)) = ids
        && (uid, gid) != super::users::current()
    {
        cmd.uid(uid).gid(gid);
    }
    let child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("exec: {program:?}: executable file not found in $PATH")
        }
        _ => format!("fork/exec {program}: {e}"),
    })?;
    let pid = child.id();
    // The whole group goes if the check times out (this future is then dropped).
    let _group = KillGroup(pid);
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("cannot wait for the check command: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let error = match out.status.code() {
        Some(code) => format!("exit status {code}"),
        None => "signal: killed".to_owned(),
    };
    let mut output = out.stdout;
    output.extend_from_slice(&out.stderr);
    let details = last_lines(&output);
    Err(if details.is_empty() {
        error
    } else {
        format!("{error}; {details}")
    })
}

/// Kills a process group when dropped.
struct KillGroup(Option<u32>);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(pid) = self
            .0
            .and_then(|p| i32::try_from(p).ok())
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

/// The last lines of a command's output, within Pebble's bounds.
fn last_lines(output: &[u8]) -> String {
    let tail = &output[output.len().saturating_sub(OUTPUT_BYTES)..];
    let text = String::from_utf8_lossy(tail);
    let lines: Vec<&str> = text.trim_end_matches('\n').split('\n').collect();
    let from = lines.len().saturating_sub(OUTPUT_LINES);
    lines[from..].join("\n").trim().to_owned()
}

async fn http_probe(http: &HttpCheck) -> Result<(), String> {
    let url = http.url.as_deref().unwrap_or_default();
    let get = |e: &dyn std::fmt::Display| format!("Get {url:?}: {e}");
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| get(&"only http:// URLs can be checked by the simulator"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| get(&dial_error(&addr, &e)))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (k, v) in &http.headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| get(&e))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .map_err(|e| get(&e))?;
    let status: u16 = response
        .split(|&b| b == b' ')
        .nth(1)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| get(&"malformed HTTP response"))?;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = memchr::memmem::find(&response, b"\r\n\r\n")
        .map(|i| &response[i + 4..])
        .unwrap_or_default();
    let details = last_lines(&body[..body.len().min(OUTPUT_BYTES)]);
    Err(if details.is_empty() {
        format!("non-2xx status code {status}")
    } else {
        format!("non-2xx status code {status}; {details}")
    })
}

async fn tcp_probe(tcp: &TcpCheck) -> Result<(), String> {
    let host = tcp
        .host
        .as_deref()
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    let addr = format!("{host}:{}", tcp.port.unwrap_or_default());
    tokio::net::TcpStream::connect(&addr)
        .await
        .map(drop)
        .map_err(|e| dial_error(&addr, &e))
}

/// Go's wording for a failed dial.
fn dial_error(addr: &str, e: &std::io::Error) -> String {
    let why = match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".to_owned(),
        _ => e.to_string(),
    };
    format!("dial tcp {addr}: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_cut_to_the_last_lines() {
        assert_eq!(last_lines(b""), "");
        assert_eq!(last_lines(b"one\ntwo\n"), "one\ntwo");
        let many: String = (0..10).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            last_lines(many.as_bytes()),
            "line 5\nline 6\nline 7\nline 8\nline 9"
        );
    }
}
