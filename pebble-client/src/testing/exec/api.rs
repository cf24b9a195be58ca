//! `POST /v1/exec`: Pebble's validation, the `exec` change with its one task, and the async
//! answer `{environment, task-id, working-dir}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::session::{self, Mode, Spec};
use super::{ExecInput, ExecRecord, Session};
use crate::testing::response::{ApiResult, ErrorReply, Reply};
use crate::testing::router::Ctx;
use crate::testing::state::changes::NewTask;
use crate::testing::wire::parse_duration;

/// Pebble's default `PATH` for exec'd commands.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The request body; `null` is the same as absent, as with Go's decoder.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Body {
    command: Option<Vec<String>>,
    service_context: Option<String>,
    environment: Option<BTreeMap<String, String>>,
    working_dir: Option<String>,
    timeout: Option<String>,
    user_id: Option<u32>,
    user: Option<String>,
    group_id: Option<u32>,
    group: Option<String>,
    terminal: Option<bool>,
    interactive: Option<bool>,
    split_stderr: Option<bool>,
}

/// `POST /v1/exec`.
pub(crate) fn post(ctx: &Ctx) -> ApiResult {
    let mut body: Body = ctx.json("cannot decode request body")?;
    let command = body.command.take().unwrap_or_default();
    let Some(executable) = command.first().cloned() else {
        return Err(ErrorReply::bad_request("must specify command"));
    };
    let timeout = match body.timeout.as_deref().unwrap_or("") {
        "" => None,
        t => Some(
            parse_duration(t)
                .map_err(|e| ErrorReply::bad_request(format!("invalid timeout: {e}")))?,
        ),
    }
    .filter(|t| !t.is_zero());
    let record = ExecRecord {
        command: command.clone(),
        environment: body.environment.clone().unwrap_or_default(),
        working_dir: body.working_dir.clone().filter(|d| !d.is_empty()),
        service_context: body.service_context.clone().filter(|s| !s.is_empty()),
        user_id: body.user_id,
        user: body.user.clone(),
        group_id: body.group_id,
        group: body.group.clone(),
        timeout,
        combine_stderr: !body.split_stderr.unwrap_or(false),
        stdin: Vec::new(),
    };
    merge_service_context(ctx, &mut body)?;
    // User and group as Pebble resolves them (names looked up, a user's primary group).
    let ids = crate::testing::users::resolve(
        body.user_id,
        body.user.as_deref(),
        body.group_id,
        body.group.as_deref(),
    )
    .map_err(ErrorReply::bad_request)?;
    let (own_uid, _) = crate::testing::users::current();
    let switched = ids.filter(|(uid, _)| *uid != own_uid);

    let requested = body.environment.take().unwrap_or_default();
    let requested_keys: std::collections::BTreeSet<String> = requested.keys().cloned().collect();
    // The simulator's own environment, as Pebble passes its own on; a variable that is not
    // UTF-8 is passed with U+FFFD for the bad bytes rather than panicking the simulator.
    let mut environment: BTreeMap<String, String> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    if switched.is_some() {
        // The simulator's own HOME and USER are not the other user's.
        environment.remove("HOME");
        environment.remove("USER");
    }
    environment.extend(requested);
    environment
        .entry("PATH".into())
        .or_insert_with(|| DEFAULT_PATH.into());
    let unset = |env: &BTreeMap<String, String>, k: &str| env.get(k).is_none_or(String::is_empty);
    if unset(&environment, "HOME") || unset(&environment, "USER") {
        let uid = ids.map_or(own_uid, |(uid, _)| uid);
        if let Some(user) = crate::testing::users::user_by_id(uid) {
            if unset(&environment, "HOME") {
                environment.insert("HOME".into(), user.home);
            }
            if unset(&environment, "USER") {
                environment.insert("USER".into(), user.name);
            }
        }
    }
    environment
        .entry("LANG".into())
        .or_insert_with(|| "C.UTF-8".into());

    let exec = &ctx.shared.exec;
    let root = ctx.shared.files.root();
    // With the process backend mapping paths, real commands see container paths under the
    // root too (the executable when it exists there, arguments and requested variables).
    let map_paths = ctx
        .shared
        .processes
        .as_ref()
        .is_some_and(super::super::ProcessBackend::maps_paths);
    let handler = exec.handler(&command);
    let mode = match handler {
        Some(h) => Mode::Handler(h),
        None if exec.settings.real_processes => {
            let path = environment.get("PATH").map_or(DEFAULT_PATH, String::as_str);
            let under_root = executable
                .strip_prefix('/')
                .filter(|_| map_paths)
                .map(|rel| root.join(rel))
                .filter(|p| look_path(&p.to_string_lossy(), path).is_some());
            match under_root.or_else(|| look_path(&executable, path)) {
                Some(found) => Mode::Child(found),
                None => return Err(not_found(&executable)),
            }
        }
        None => return Err(not_found(&executable)),
    };

    let (working_dir, host_dir) = match body.working_dir.take().filter(|d| !d.is_empty()) {
        Some(dir) => match resolve_dir(root, &dir) {
            Some(host) => (dir, host),
            None => {
                return Err(ErrorReply::internal(format!(
                    "cannot call exec: working directory {dir:?} does not exist"
                )));
            }
        },
        None if switched.is_some() => {
            // As Pebble: another user's commands start in its home, which must exist.
            let home = environment.get("HOME").cloned().unwrap_or_default();
            if home.is_empty() {
                ("/".to_owned(), root.to_path_buf())
            } else {
                match resolve_dir(root, &home) {
                    Some(host) => (home, host),
                    None => {
                        return Err(ErrorReply::internal(format!(
                            "cannot call exec: home directory {home:?} does not exist"
                        )));
                    }
                }
            }
        }
        None => {
            // $HOME when the sim root has it, else "/" (the sim root itself).
            let home = environment.get("HOME").cloned().unwrap_or_default();
            let under_root = root.join(home.trim_start_matches('/'));
            if home.starts_with('/') && home != "/" && under_root.is_dir() {
                (home, under_root)
            } else {
                ("/".to_owned(), root.to_path_buf())
            }
        }
    };
    let terminal = body.terminal.unwrap_or(false);
    if body.interactive.unwrap_or(false) && !terminal {
        return Err(ErrorReply::internal(
            "cannot call exec: cannot use interactive mode without a terminal",
        ));
    }

    let summary = format!("Execute command {executable:?}");
    let (change, task) = ctx.shared.with(|st, now| {
        let task = NewTask {
            kind: "exec".into(),
            summary: summary.clone(),
            target: String::new(),
        };
        let change = st.changes.create("exec", summary.clone(), vec![task], now);
        let task = st
            .change_mut(change)
            .and_then(|c| c.tasks.first())
            .map_or(0, |t| t.id);
        st.change_updated(change, now);
        (change, task)
    });
    let split_stderr = body.split_stderr.unwrap_or(false) && !terminal;
    let (session, receivers) = Session::new(split_stderr);
    exec.add_session(task, Arc::new(session));
    let stdin_log = exec.record(record);
    let spec = Spec {
        stdin_log,
        mode,
        input: ExecInput {
            command,
            environment: environment.clone(),
            working_dir: working_dir.clone(),
            stdin: Vec::new(),
        },
        host_dir,
        timeout,
        split_stderr,
        user_id: ids.map(|(uid, _)| uid),
        group_id: ids.map(|(_, gid)| gid),
        map_paths: map_paths.then(|| (root.to_path_buf(), requested_keys)),
    };
    tokio::spawn(session::run(
        ctx.shared.clone(),
        change,
        task,
        spec,
        receivers,
    ));
    Ok(Reply::AsyncWith {
        change: change.to_string(),
        result: json!({
            "environment": environment,
            "task-id": task.to_string(),
            "working-dir": working_dir,
        }),
    })
}

fn not_found(executable: &str) -> ErrorReply {
    ErrorReply::bad_request(format!("cannot find executable {executable:?}"))
}

/// Fills unset options from the service named by `service-context`.
fn merge_service_context(ctx: &Ctx, body: &mut Body) -> Result<(), ErrorReply> {
    let Some(name) = body.service_context.clone().filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let service = ctx
        .shared
        .with(|st, _| st.plan.plan.services.get(&name).cloned())
        .ok_or_else(|| {
            ErrorReply::bad_request(format!("cannot find service {name:?} for service context"))
        })?;
    let mut env = service.environment.clone();
    env.extend(body.environment.take().unwrap_or_default());
    body.environment = Some(env);
    body.working_dir = body.working_dir.take().or(service.working_dir);
    if body.user_id.is_none() && body.user.is_none() {
        body.user_id = service.user_id;
        body.user = service.user;
    }
    if body.group_id.is_none() && body.group.is_none() {
        body.group_id = service.group_id;
        body.group = service.group;
    }
    Ok(())
}

/// The host directory for a container directory: under the sim root when it exists there,
/// else the host's own when it exists.
fn resolve_dir(root: &Path, dir: &str) -> Option<PathBuf> {
    let rel = dir.trim_start_matches('/');
    let under_root = root.join(rel);
    if under_root.is_dir() {
        return Some(under_root);
    }
    let host = PathBuf::from(dir);
    (host.is_absolute() && host.is_dir()).then_some(host)
}

/// Go's `exec.LookPath`: a name with a slash is checked as is, else searched in `path`.
fn look_path(name: &str, path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return executable(&p).then_some(p);
    }
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_path_finds_sh_and_not_nonsense() {
        assert!(look_path("sh", DEFAULT_PATH).is_some());
        assert!(look_path("/bin/sh", "").is_some());
        assert!(look_path("no-such-command-xyz", DEFAULT_PATH).is_none());
        assert!(look_path("/nonexistent/x", DEFAULT_PATH).is_none());
    }

    #[test]
    fn dirs_resolve_under_the_root_first() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("srv")).unwrap();
        assert_eq!(
            resolve_dir(root.path(), "/srv"),
            Some(root.path().join("srv"))
        );
        assert_eq!(
            resolve_dir(root.path(), "/tmp"),
            Some(PathBuf::from("/tmp"))
        );
        assert_eq!(resolve_dir(root.path(), "/nonexistent-dir-xyz"), None);
    }
}
