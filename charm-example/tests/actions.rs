//! The actions: `set-key` against a real `webkv-server`, `backup` through the simulated
//! Pebble's files, and the messages each fails with when the unit cannot do the work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use std::net::TcpListener;
use std::process::{Child, Command};

use common::*;
use ops::container::ServiceStatus;
use ops::testing::State;
use serde_json::json;
use webkv_charm::workload::{CONTAINER, DATA_FILE, SERVICE};

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
                .pebble_custom_notice(CONTAINER, webkv_charm::workload::READY_NOTICE),
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

#[test]
fn backup_copies_the_data_file_through_pebble() {
    let ctx = ctx();
    let mut state = active_on(8080, "tok");
    let data = r#"{"a": "1", "b": "2"}"#;
    state
        .containers
        .get_mut(CONTAINER)
        .unwrap()
        .files
        .insert(DATA_FILE.to_owned(), data.into());
    let out = ctx
        .run(
            ctx.on
                .action("backup", json!({"directory": "/srv/backups/"})),
            &state,
        )
        .unwrap();
    let answer = out.action.unwrap();
    assert_eq!(answer.failure, None);
    assert_eq!(answer.results["keys"], "2");
    let path = answer.results["path"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with("/srv/backups/data-") && path.ends_with(".json"),
        "{path}"
    );
    let web = &out.state.containers[CONTAINER];
    assert_eq!(web.file_text(&path).as_deref(), Some(data));
    assert_eq!(answer.logs, [format!("copied 2 keys to {path}")]);

    // The default directory, from the metadata.
    let out = ctx.run(ctx.on.action("backup", json!({})), &state).unwrap();
    let path = out.action.unwrap().results["path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(path.starts_with("/var/lib/webkv/backups/data-"), "{path}");
}

#[test]
fn backup_fails_with_what_to_do() {
    let state = active_on(8080, "tok");
    assert_eq!(
        failure(&state, "backup", json!({})),
        "nothing to back up: /var/lib/webkv/data.json does not exist yet (no key has been stored)"
    );
    let text = failure(&state, "backup", json!({"directory": "backups"}));
    assert!(text.starts_with("invalid directory \"backups\""), "{text}");
    let mut gone = state.clone();
    gone.containers.get_mut(CONTAINER).unwrap().can_connect = false;
    assert!(failure(&gone, "backup", json!({})).starts_with("cannot reach Pebble"));
}
