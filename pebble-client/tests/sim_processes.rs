//! The simulated Pebble running services as real child processes: start and the okay
//! delay, stop with kill-delay, exit actions and backoff, signals, environment and paths,
//! and no child outliving the simulator. Waits are bounded polls, never timing assertions.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use pebble_client::testing::{ProcessOptions, SimPebble};
use pebble_client::{ChangeStatus, Client, ServiceStatus};

/// How long a bounded wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// A simulator whose starts succeed after a short okay delay.
fn sim() -> (tempfile::TempDir, SimPebble) {
    sim_with_okay_delay(Duration::from_millis(200))
}

/// A simulator with a long okay delay, for services that must exit within it even on a
/// loaded machine (the test ends when they exit, not when the delay passes).
fn slow_sim() -> (tempfile::TempDir, SimPebble) {
    sim_with_okay_delay(PATIENCE)
}

fn sim_with_okay_delay(okay: Duration) -> (tempfile::TempDir, SimPebble) {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_processes(
            ProcessOptions::new()
                .okay_delay(okay)
                .shutdown_grace(Duration::from_millis(500)),
        )
        .start()
        .unwrap();
    (dir, sim)
}

fn client(sim: &SimPebble) -> Client {
    Client::builder(sim.socket_path()).build().unwrap()
}

/// A layer with one service `svc` running `script` under `/bin/sh -c`, plus extra fields.
fn layer(script: &str, extra: &str) -> String {
    let quoted = script.replace('\'', "'\"'\"'");
    let command = format!("/bin/sh -c '{quoted}'");
    let command = serde_json::to_string(&command).unwrap();
    format!("services:\n  svc:\n    override: replace\n    command: {command}\n{extra}")
}

/// Polls until `check` holds, failing the test after [`PATIENCE`].
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn status(sim: &SimPebble) -> ServiceStatus {
    sim.services()
        .into_iter()
        .find(|s| s.name == "svc")
        .map(|s| s.current)
        .unwrap()
}

async fn until_status(sim: &SimPebble, want: ServiceStatus) {
    until(&format!("status {want}"), || status(sim) == want).await;
}

/// Whether the process is gone (or a zombie nobody has reaped yet).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

fn root_file(sim: &SimPebble, name: &str) -> std::path::PathBuf {
    sim.root().join(name)
}

fn touch(path: &Path) {
    std::fs::write(path, "").unwrap();
}

#[tokio::test]
async fn start_runs_the_command_and_stop_terminates_it() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    sim.add_layer(
        "base",
        &layer(
            &format!("trap \"echo bye; exit 0\" TERM; echo started; echo oops >&2; touch {root}/up; while true; do sleep 0.05; done"),
            "",
        ),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    let ch = c.wait_change_ok(&id, PATIENCE).await.unwrap();
    assert_eq!(ch.status, ChangeStatus::Done);
    assert_eq!(status(&sim), ServiceStatus::Active);
    let pid = sim.service_pid("svc").expect("a running process");
    assert!(!gone(pid));
    until("the up file", || root_file(&sim, "up").exists()).await;
    let logs = sim.service_logs("svc");
    assert!(logs.iter().any(|l| l.message == "started"), "{logs:?}");
    assert!(logs.iter().any(|l| l.message == "oops"), "{logs:?}");

    let id = c.stop_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    assert_eq!(status(&sim), ServiceStatus::Inactive);
    let exit = sim.service_exit("svc").expect("an exit");
    assert_eq!((exit.code, exit.signal), (0, None));
    assert!(sim.service_pid("svc").is_none());
    until("the process to go", || gone(pid)).await;
    until("the goodbye line", || {
        sim.service_logs("svc").iter().any(|l| l.message == "bye")
    })
    .await;
}

#[tokio::test]
async fn a_service_ignoring_sigterm_is_killed_after_kill_delay() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    sim.add_layer(
        "base",
        &layer(
            &format!("trap \"\" TERM; touch {root}/up; while true; do sleep 0.05; done"),
            "    kill-delay: 300ms\n",
        ),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    until("the up file", || root_file(&sim, "up").exists()).await;
    let pid = sim.service_pid("svc").unwrap();
    let id = c.stop_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    let exit = sim.service_exit("svc").unwrap();
    assert_eq!(exit.signal, Some(9), "{exit:?}");
    assert_eq!(exit.code, -1);
    assert_eq!(status(&sim), ServiceStatus::Inactive);
    until("the process to go", || gone(pid)).await;
}

#[tokio::test]
async fn exiting_within_the_okay_delay_fails_the_start() {
    let (_d, sim) = slow_sim();
    sim.add_layer(
        "base",
        &layer("echo failing; exit 3", "    on-failure: ignore\n"),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    let err = c.wait_change_ok(&id, PATIENCE).await.unwrap_err();
    let change = err.change().expect("a change error");
    assert_eq!(change.status, ChangeStatus::Error);
    assert_eq!(
        change.err.as_deref(),
        Some(
            "cannot perform the following tasks:\n- Start service \"svc\" (service start attempt: exited quickly with code 3, will ignore)"
        )
    );
    assert_eq!(sim.service_exit("svc").unwrap().code, 3);
    assert_eq!(status(&sim), ServiceStatus::Error);
}

#[tokio::test]
async fn a_crash_restarts_through_backoff() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    let script = format!(
        "if [ -f {root}/crashed ]; then touch {root}/again; while true; do sleep 0.05; done; fi; \
         while [ ! -f {root}/crash ]; do sleep 0.05; done; touch {root}/crashed; exit 1"
    );
    sim.add_layer("base", &layer(&script, "    backoff-delay: 2s\n"))
        .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    let first = sim.service_pid("svc").unwrap();
    touch(&root_file(&sim, "crash"));
    until_status(&sim, ServiceStatus::Backoff).await;
    assert_eq!(sim.service_exit("svc").unwrap().code, 1);
    let listed = c.get_services(&["svc"]).await.unwrap();
    assert_eq!(listed[0].current, ServiceStatus::Backoff);
    until_status(&sim, ServiceStatus::Active).await;
    until("the restarted process", || {
        root_file(&sim, "again").exists()
    })
    .await;
    let second = sim.service_pid("svc").unwrap();
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_quick_exit_with_restart_backs_off() {
    let (_d, sim) = slow_sim();
    sim.add_layer("base", &layer("exit 4", "    backoff-delay: 10s\n"))
        .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    let err = c.wait_change_ok(&id, PATIENCE).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("exited quickly with code 4, will restart"),
        "{msg}"
    );
    assert_eq!(status(&sim), ServiceStatus::Backoff);
    // Stopping a service in backoff completes at once and leaves it inactive.
    let id = c.stop_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    assert_eq!(status(&sim), ServiceStatus::Inactive);
}

#[tokio::test]
async fn on_success_ignore_leaves_the_service_inactive() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    sim.add_layer(
        "base",
        &layer(
            &format!("while [ ! -f {root}/done ]; do sleep 0.05; done; exit 0"),
            "    on-success: ignore\n",
        ),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    touch(&root_file(&sim, "done"));
    until_status(&sim, ServiceStatus::Inactive).await;
    assert_eq!(sim.service_exit("svc").unwrap().code, 0);
    assert_eq!(sim.shutdown_requested(), None);
}

#[tokio::test]
async fn a_shutdown_action_records_the_request() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    sim.add_layer(
        "base",
        &layer(
            &format!("while [ ! -f {root}/done ]; do sleep 0.05; done; exit 2"),
            "    on-failure: shutdown\n",
        ),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    touch(&root_file(&sim, "done"));
    let code = tokio::time::timeout(PATIENCE, sim.wait_shutdown_request())
        .await
        .unwrap();
    assert_eq!(code, 10);
    assert_eq!(sim.shutdown_requested(), Some(10));
    until_status(&sim, ServiceStatus::Error).await;
}

#[tokio::test]
async fn signals_reach_the_process() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    sim.add_layer(
        "base",
        &layer(
            &format!(
                "trap \"echo hup > {root}/got-hup\" HUP; touch {root}/up; while true; do sleep 0.05; done"
            ),
            "",
        ),
    )
    .unwrap();
    let c = client(&sim);
    let err = c.send_signal("SIGHUP", &["svc"]).await.unwrap_err();
    assert!(err.to_string().contains("is not running"), "{err}");
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    until("the up file", || root_file(&sim, "up").exists()).await;
    c.send_signal("SIGHUP", &["svc"]).await.unwrap();
    until("the HUP trap", || root_file(&sim, "got-hup").exists()).await;
    assert_eq!(status(&sim), ServiceStatus::Active);
    let err = c.send_signal("SIGNOPE", &["svc"]).await.unwrap_err();
    assert!(err.to_string().contains("invalid signal name"), "{err}");
}

#[tokio::test]
async fn environment_working_dir_and_default_args() {
    let (_d, sim) = sim();
    std::fs::create_dir_all(sim.root().join("srv/app")).unwrap();
    let layer = "services:\n  svc:\n    override: replace\n    command: /bin/sh -c 'pwd > out; echo \"$0 $1 $FOO $PEBBLE_SOCKET\" > env; while true; do sleep 0.05; done' [ zero one ]\n    working-dir: /srv/app\n    environment:\n      FOO: bar\n";
    sim.add_layer("base", layer).unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    let dir = sim.root().join("srv/app");
    until("the env file", || {
        std::fs::read_to_string(dir.join("env")).is_ok_and(|s| s.ends_with('\n'))
    })
    .await;
    let socket = std::path::absolute(sim.socket_path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("env")).unwrap(),
        format!("zero one bar {}\n", socket.display())
    );
    let pwd = std::fs::read_to_string(dir.join("out")).unwrap();
    assert_eq!(
        std::fs::canonicalize(pwd.trim()).unwrap(),
        std::fs::canonicalize(&dir).unwrap()
    );
}

#[tokio::test]
async fn a_command_that_cannot_run_fails_the_start() {
    let (_d, sim) = sim();
    sim.add_layer(
        "base",
        "services:\n  svc:\n    override: replace\n    command: /nonexistent/program\n",
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    let err = c.wait_change_ok(&id, PATIENCE).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot start service: cannot run \"/nonexistent/program\""),
        "{err}"
    );
    assert_eq!(status(&sim), ServiceStatus::Error);
}

#[tokio::test]
async fn no_child_outlives_the_simulator() {
    let (_d, sim) = sim();
    let root = sim.root().display().to_string();
    sim.add_layer(
        "base",
        &layer(
            &format!("sleep 1000 & echo $! > {root}/child; wait"),
            "    startup: enabled\n",
        ),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.autostart_services().await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    until("the child pid", || {
        std::fs::read_to_string(root_file(&sim, "child")).is_ok_and(|s| s.ends_with('\n'))
    })
    .await;
    let child: u32 = std::fs::read_to_string(root_file(&sim, "child"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let leader = sim.service_pid("svc").unwrap();
    assert!(!gone(leader) && !gone(child));
    drop(sim);
    until("the service's processes to go", || {
        gone(leader) && gone(child)
    })
    .await;
}

#[tokio::test]
async fn restart_replaces_the_process() {
    let (_d, sim) = sim();
    sim.add_layer(
        "base",
        &layer("trap \"exit 0\" TERM; while true; do sleep 0.05; done", ""),
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    let first = sim.service_pid("svc").unwrap();
    let id = c.restart_services(&["svc"]).await.unwrap();
    let ch = c.wait_change_ok(&id, PATIENCE).await.unwrap();
    assert_eq!(ch.tasks.len(), 2);
    assert_eq!(status(&sim), ServiceStatus::Active);
    let second = sim.service_pid("svc").unwrap();
    assert_ne!(first, second);
    until("the first process to go", || gone(first)).await;
}

#[tokio::test]
async fn works_inside_the_callers_runtime_and_stops_its_processes_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_processes(ProcessOptions::new().okay_delay(Duration::from_millis(100)))
        .spawn()
        .unwrap();
    sim.add_layer("base", &layer("while true; do sleep 0.05; done", ""))
        .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    let pid = sim.service_pid("svc").unwrap();
    drop(sim);
    until("the process to go", || gone(pid)).await;
}

#[tokio::test]
async fn with_path_mapping_arguments_environment_and_exec_see_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .root(dir.path().join("root"))
        .real_processes(
            ProcessOptions::new()
                .okay_delay(Duration::from_millis(200))
                .shutdown_grace(Duration::from_millis(500))
                .map_paths_under_root(true),
        )
        .real_exec(true)
        .start()
        .unwrap();
    let root = sim.root().to_path_buf();
    std::fs::create_dir_all(root.join("etc/app")).unwrap();
    std::fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    std::fs::write(root.join("etc/app/in.txt"), "from the container").unwrap();
    // A script in the container, given as an argument; its input and output as container
    // paths in the environment (the output file does not exist yet: its directory does).
    std::fs::write(
        root.join("usr/local/bin/copy"),
        "cat \"$IN\" > \"$OUT\"; echo \"$0 $KEEP\"; while true; do sleep 0.05; done\n",
    )
    .unwrap();
    sim.add_layer(
        "base",
        "services:\n  svc:\n    override: replace\n    command: /bin/sh /usr/local/bin/copy\n    \
         environment:\n      IN: /etc/app/in.txt\n      OUT: /etc/app/out.txt\n      KEEP: /bin/sh\n",
    )
    .unwrap();
    let c = client(&sim);
    let id = c.start_services(&["svc"]).await.unwrap();
    c.wait_change_ok(&id, PATIENCE).await.unwrap();
    until("the copy", || root.join("etc/app/out.txt").exists()).await;
    until("the output line", || !sim.service_logs("svc").is_empty()).await;
    assert_eq!(
        std::fs::read_to_string(root.join("etc/app/out.txt")).unwrap(),
        "from the container"
    );
    // The script ran from the root; a path the container lacks stays the host's.
    let line = &sim.service_logs("svc")[0].message;
    assert_eq!(
        line,
        &format!("{} /bin/sh", root.join("usr/local/bin/copy").display())
    );

    // Exec'd commands follow the same rule.
    let out = c
        .exec(&pebble_client::ExecOptions::new([
            "cp",
            "/etc/app/in.txt",
            "/etc/app/exec.txt",
        ]))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr_lossy());
    assert_eq!(
        std::fs::read_to_string(root.join("etc/app/exec.txt")).unwrap(),
        "from the container"
    );
    sim.shutdown();
}
