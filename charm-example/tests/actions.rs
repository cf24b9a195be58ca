//! The actions: `set-key` against a real `webkv-server`, `backup` running the real
//! `webkv-server backup` through the simulated Pebble's exec, and the messages each fails
//! with when the unit cannot do the work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use charm_example::actions::{BACKUP_EXIT_CORRUPT, BACKUP_EXIT_NO_DATA, BACKUP_TIMEOUT};
use charm_example::workload::{CONTAINER, DATA_DIR, DATA_FILE, SERVER_BIN, SERVICE};
use common::*;
use ops::container::ServiceStatus;
use ops::testing::{Exec, ExecResponse, State};
use serde_json::json;

const USER_SECRET: &str = "secret:cn4mvdnmp25c7c4m9d3g";

/// A real `webkv-server` on a free loopback port, killed on drop.
struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(token: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        let data = dir.path().join("data");
        std::fs::write(
            &config,
            json!({"port": port, "data-dir": data, "max-keys": 1, "admin-token": token})
                .to_string(),
        )
        .unwrap();
        let bin = env!("CARGO_BIN_EXE_webkv-server");
        let child = Command::new(bin)
            .arg("--config")
            .arg(&config)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}/health");
        // Bounded wait for the server to answer (as the start wrapper does).
        let up = (0..200).any(|_| {
            let ok = Command::new(bin)
                .args(["probe", &url])
                .output()
                .unwrap()
                .status
                .success();
            if !ok {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            ok
        });
        assert!(up, "webkv-server did not come up");
        Server { child, port, dir }
    }

    fn data(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.path().join("data/data.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An active unit whose workload (per its config) listens on `port` with `token`.
fn active_on(port: u16, token: &str) -> State {
    let ctx = ctx();
    let state = unit(true, web())
        .config("port", port)
        .secret(operator_secret(USER_SECRET, token))
        .config("admin-token", USER_SECRET);
    let started = ctx.run(ctx.on.pebble_ready(CONTAINER), &state).unwrap();
    let state = notify_ready(next(&started), port);
    let ready = ctx
        .run(
            ctx.on
                .pebble_custom_notice(CONTAINER, charm_example::workload::READY_NOTICE),
            &state,
        )
        .unwrap();
    next(&ready)
}

fn failure(state: &State, action: &str, params: serde_json::Value) -> String {
    let ctx = ctx();
    let out = ctx.run(ctx.on.action(action, params), state).unwrap();
    let answer = out.action.unwrap();
    assert!(answer.results.is_empty(), "{:?}", answer.results);
    answer.failure.expect("the action failed")
}

#[test]
fn set_key_writes_through_the_api_with_the_admin_token() {
    let server = Server::start("tok");
    let ctx = ctx();
    let state = active_on(server.port, "tok");
    let out = ctx
        .run(
            ctx.on
                .action("set-key", json!({"key": "colour", "value": "blue"})),
            &state,
        )
        .unwrap();
    let answer = out.action.unwrap();
    assert_eq!(answer.failure, None);
    assert_eq!(answer.results["key"], "colour");
    assert_eq!(answer.results["stored"], "true");
    assert_eq!(server.data(), json!({"colour": "blue"}));

    // max-keys is 1 in this server: a second key is refused, and the message says why.
    let text = failure(&state, "set-key", json!({"key": "size", "value": "xl"}));
    assert!(text.starts_with("the store is full"), "{text}");
}

#[test]
fn set_key_with_a_token_the_server_does_not_hold_fails_clearly() {
    let server = Server::start("the-servers-token");
    let state = active_on(server.port, "another-token");
    let text = failure(&state, "set-key", json!({"key": "k", "value": "v"}));
    assert!(text.starts_with("webkv refused the admin token"), "{text}");
    assert!(!text.contains("another-token"));
}

#[test]
fn set_key_fails_with_what_to_do_when_the_unit_cannot_serve() {
    let active = active_on(8080, "tok");
    let params = json!({"key": "k", "value": "v"});

    let mut stopped = active.clone();
    let web = stopped.containers.get_mut(CONTAINER).unwrap();
    web.service_statuses
        .insert(SERVICE.to_owned(), ServiceStatus::Inactive);
    assert_eq!(
        failure(&stopped, "set-key", params.clone()),
        "the webkv service is not running (inactive): start the unit, then retry"
    );

    let ctx = ctx();
    let restarted = next(
        &ctx.run(
            ctx.on.config_changed(),
            &active.clone().config("greeting", "x"),
        )
        .unwrap(),
    );
    assert_eq!(
        failure(&restarted, "set-key", params.clone()),
        "webkv is not ready yet: wait for the unit to be active, then retry"
    );

    let mut gone = active.clone();
    gone.containers.get_mut(CONTAINER).unwrap().can_connect = false;
    assert_eq!(
        failure(&gone, "set-key", params),
        "cannot reach Pebble in the web container: wait for the unit to be active, then retry"
    );

    assert_eq!(
        failure(&active, "set-key", json!({"key": "a/b", "value": "v"})),
        "invalid key \"a/b\": use only letters, digits, '-', '_' and '.'"
    );
}

/// `webkv-server backup` in the web container, answered by the real binary: container
/// paths in its arguments are mapped under `root` on this host.
fn real_backup(root: &Path) -> Exec {
    let root = root.to_path_buf();
    Exec::handler(&format!("{SERVER_BIN} backup"), move |input| {
        let args: Vec<String> = input.command[1..]
            .iter()
            .map(|a| match a.strip_prefix('/') {
                Some(rel) => root.join(rel).display().to_string(),
                None => a.clone(),
            })
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_webkv-server"))
            .args(&args)
            .output()
            .unwrap();
        ExecResponse::exit(out.status.code().unwrap_or(-1))
            .stdout(out.stdout)
            .stderr(out.stderr)
    })
}

/// A unit whose web container runs `webkv-server backup` for real under `root`.
fn with_backup(state: &State, exec: Exec) -> State {
    let mut state = state.clone();
    let web = state.containers.remove(CONTAINER).unwrap().exec(exec);
    state.container(web)
}

fn host(root: &Path, container_path: &str) -> PathBuf {
    root.join(container_path.trim_start_matches('/'))
}

#[test]
fn backup_runs_webkv_server_backup_in_the_container() {
    let ctx = ctx();
    let root = tempfile::tempdir().unwrap();
    let data = r#"{"a": "1", "b": "2"}"#;
    std::fs::create_dir_all(host(root.path(), DATA_DIR)).unwrap();
    std::fs::write(host(root.path(), DATA_FILE), data).unwrap();
    let state = with_backup(&active_on(8080, "tok"), real_backup(root.path()));
    let out = ctx
        .run(
            ctx.on
                .action("backup", json!({"directory": "/srv/backups/"})),
            &state,
        )
        .unwrap();
    let answer = out.action.clone().unwrap();
    assert_eq!(answer.failure, None);
    assert_eq!(answer.results["keys"], "2");
    let path = answer.results["path"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with("/srv/backups/data-") && path.ends_with(".json"),
        "{path}"
    );
    // The real binary wrote the copy, privately.
    let copy = host(root.path(), &path);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), data);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(answer.logs, [format!("backed up 2 keys to {path}")]);
    // What the charm ran: one command, with a timeout, nothing on stdin or in the env.
    let ran = out.execs(CONTAINER);
    assert_eq!(ran.len(), 1);
    assert_eq!(
        ran[0].command,
        [
            SERVER_BIN,
            "backup",
            "--data-dir",
            DATA_DIR,
            "--out",
            path.as_str()
        ]
    );
    assert_eq!(ran[0].timeout, Some(BACKUP_TIMEOUT));
    assert!(ran[0].stdin.is_empty() && ran[0].environment.is_empty());

    // The default directory, from the metadata.
    let out = ctx.run(ctx.on.action("backup", json!({})), &state).unwrap();
    let path = out.action.unwrap().results["path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(path.starts_with("/var/lib/webkv/backups/data-"), "{path}");
    assert!(host(root.path(), &path).is_file());
}

#[test]
fn backup_exit_codes_are_the_ones_webkv_server_uses() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_webkv-server"))
            .args(["backup", "--data-dir"])
            .arg(dir.path())
            .arg("--out")
            .arg(dir.path().join("b.json"))
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(), Some(BACKUP_EXIT_NO_DATA));
    std::fs::write(dir.path().join("data.json"), "not json").unwrap();
    assert_eq!(run(), Some(BACKUP_EXIT_CORRUPT));
    std::fs::write(dir.path().join("data.json"), "{}").unwrap();
    assert_eq!(run(), Some(0));
    // A path that is not UTF-8 is bad usage (2), not a panic (101).
    let out = Command::new(env!("CARGO_BIN_EXE_webkv-server"))
        .args(["backup", "--data-dir"])
        .arg(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"/tmp/\xff"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
}

#[test]
fn backup_fails_with_what_to_do() {
    let root = tempfile::tempdir().unwrap();
    let active = active_on(8080, "tok");
    let state = with_backup(&active, real_backup(root.path()));
    // webkv-server backup exits 3: no data file yet.
    assert_eq!(
        failure(&state, "backup", json!({})),
        "nothing to back up: /var/lib/webkv/data.json does not exist yet (no key has been stored)"
    );
    // Exits 4: the data file is not a store; its stderr says why.
    std::fs::create_dir_all(host(root.path(), DATA_DIR)).unwrap();
    std::fs::write(host(root.path(), DATA_FILE), "[1]").unwrap();
    let text = failure(&state, "backup", json!({}));
    assert!(
        text.starts_with(
            "/var/lib/webkv/data.json is not a JSON object of keys: webkv-server backup: "
        ),
        "{text}"
    );
    assert!(text.contains("is not a valid store"), "{text}");
    // Any other exit: the code and stderr, and what to check.
    let readonly = with_backup(
        &active,
        Exec::new(SERVER_BIN).exit_code(1).stderr(
            "webkv-server backup: cannot write /srv/b.json: Read-only file system (os error 30)\n",
        ),
    );
    assert_eq!(
        failure(&readonly, "backup", json!({"directory": "/srv"})),
        "webkv-server backup failed with exit code 1: webkv-server backup: cannot write \
         /srv/b.json: Read-only file system (os error 30); check that the directory can be \
         written in the web container, then retry"
    );
    // Not a webkv image: no server binary (the simulated Pebble knows no such command).
    let text = failure(&active, "backup", json!({}));
    assert!(
        text.starts_with("the web container has no /usr/bin/webkv-server"),
        "{text}"
    );
    // A summary the charm cannot read.
    let garbled = with_backup(&active, Exec::new(SERVER_BIN).stdout("done!"));
    let text = failure(&garbled, "backup", json!({}));
    assert!(
        text.starts_with("webkv-server backup printed an unexpected summary"),
        "{text}"
    );

    let text = failure(&state, "backup", json!({"directory": "backups"}));
    assert!(text.starts_with("invalid directory \"backups\""), "{text}");
    let mut gone = state.clone();
    gone.containers.get_mut(CONTAINER).unwrap().can_connect = false;
    assert!(failure(&gone, "backup", json!({})).starts_with("cannot reach Pebble"));
}
