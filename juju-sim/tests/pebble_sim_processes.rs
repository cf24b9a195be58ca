//! `pebble-sim` with real processes: workloads run `pebble notify` (this binary, invoked as
//! `pebble`), and `serve --real-processes` exits as Pebble does when a service's exit
//! action asks for a shutdown. Waits are bounded polls.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pebble_client::testing::{ProcessOptions, SimPebble};
use pebble_client::{NoticeType, NoticesQuery};

const PATIENCE: Duration = Duration::from_secs(30);

fn pebble_sim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pebble-sim"))
}

fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn service_layer(script: &str, extra: &str) -> String {
    let command = serde_json::to_string(&format!("/bin/sh -c '{script}'")).unwrap();
    format!(
        "services:\n  svc:\n    override: replace\n    command: {command}\n    startup: enabled\n{extra}"
    )
}

#[test]
fn a_workload_records_a_custom_notice_with_pebble_notify() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_processes(
            ProcessOptions::new()
                .okay_delay(Duration::from_millis(100))
                .pebble_binary(pebble_sim()),
        )
        .start()
        .unwrap();
    sim.add_layer(
        "base",
        &service_layer(
            "pebble notify example.com/ready state=up; while true; do sleep 0.05; done",
            "",
        ),
    )
    .unwrap();
    let shim = sim.processes().unwrap().shim_dir().unwrap().join("pebble");
    assert_eq!(std::fs::read_link(&shim).unwrap(), pebble_sim());
    let client = pebble_client::blocking::Client::builder(sim.socket_path())
        .build()
        .unwrap();
    let id = client.autostart_services().unwrap();
    client.wait_change_ok(&id, PATIENCE).unwrap();
    until("the custom notice", || {
        sim.notices()
            .iter()
            .any(|n| n.notice_type == NoticeType::Custom && n.key == "example.com/ready")
    });
    let notices = client
        .get_notices(&NoticesQuery::default().keys(["example.com/ready"]))
        .unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].last_data.get("state").map(String::as_str),
        Some("up")
    );
    let logs = sim.service_logs("svc");
    assert!(
        logs.iter()
            .any(|l| l.message.starts_with("Recorded notice ")),
        "{logs:?}"
    );
}

#[test]
fn invoked_as_pebble_it_offers_notify() {
    let dir = tempfile::tempdir().unwrap();
    let pebble = dir.path().join("pebble");
    std::os::unix::fs::symlink(pebble_sim(), &pebble).unwrap();
    let help = Command::new(&pebble).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("notify"), "{text}");
    assert!(!text.contains("serve"), "{text}");

    // Without a daemon, notify fails with an error naming the socket.
    let out = Command::new(&pebble)
        .args(["notify", "example.com/x"])
        .env("PEBBLE_SOCKET", dir.path().join("absent.socket"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let bad = Command::new(&pebble)
        .args(["notify", "example.com/x", "novalue"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("data args must be in \"name=value\" format, not \"novalue\""),
    );
}

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pebble-sim did not exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn write_layer(dir: &Path, yaml: &str) -> PathBuf {
    let layers = dir.join("layers");
    std::fs::create_dir_all(&layers).unwrap();
    std::fs::write(layers.join("001-base.yaml"), yaml).unwrap();
    layers
}

#[test]
fn serve_with_real_processes_exits_as_a_shutdown_action_asks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let socket = dir.path().join("pebble.socket");
    let script = format!(
        "pebble notify example.com/hello; while [ ! -f {}/done ]; do sleep 0.05; done; exit 1",
        root.display()
    );
    let layers = write_layer(
        dir.path(),
        &service_layer(&script, "    on-failure: shutdown\n"),
    );
    let mut child = Command::new(pebble_sim())
        .arg("serve")
        .arg("--socket")
        .arg(&socket)
        .arg("--root")
        .arg(&root)
        .arg("--layers")
        .arg(&layers)
        .arg("--real-processes")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    until("the socket", || {
        std::os::unix::net::UnixStream::connect(&socket).is_ok()
    });
    let client = pebble_client::blocking::Client::builder(&socket)
        .build()
        .unwrap();
    client.autostart_services().unwrap();
    until("the notice", || {
        client
            .get_notices(&NoticesQuery::default().keys(["example.com/hello"]))
            .is_ok_and(|n| n.len() == 1)
    });
    std::fs::write(root.join("done"), "").unwrap();
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(10));
    assert!(!socket.exists());
}
