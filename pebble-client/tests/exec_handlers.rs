//! Exec against test handlers in the simulated Pebble: prefix matching, signals and timeouts
//! of simulated commands, websockets that never open or stall, Pebble's websocket errors,
//! and which failures of the POST are retried.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pebble_client::retry::RetryPolicy;
use pebble_client::testing::{ExecResponse, Fault, FaultRule, SimPebble};
use pebble_client::{ChangeStatus, Client, Error, ExecOptions, TimeoutPhase};
use tokio::io::AsyncReadExt;

fn sim() -> (tempfile::TempDir, SimPebble) {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::start(dir.path().join("pebble.socket")).unwrap();
    (dir, sim)
}

fn client(sim: &SimPebble, timeout: Duration) -> Client {
    Client::builder(sim.socket_path())
        .timeout(timeout)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn longest_prefix_handler_answers_with_args_env_and_stdin() {
    let (_d, sim) = sim();
    sim.exec_handler("git", |_| ExecResponse::exit(1).stderr("generic"));
    sim.exec_handler("git status", |input| {
        let text = format!(
            "{} {} {} {}",
            input.command.join(" "),
            input.environment["MODE"],
            input.working_dir,
            String::from_utf8_lossy(&input.stdin)
        );
        ExecResponse::exit(0).stdout(text)
    });
    let c = client(&sim, Duration::from_secs(5));
    let out = c
        .exec(
            &ExecOptions::new(["git", "status", "-s"])
                .env("MODE", "short")
                .stdin("in"),
        )
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout_lossy(), "git status -s short / in");

    let err = c
        .exec(&ExecOptions::new(["git", "log"]))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap_err();
    assert_eq!(err.exec_error().unwrap().stderr(), b"generic");

    let change = sim.changes().pop().unwrap();
    assert_eq!(change.kind, "exec");
    assert_eq!(change.summary, r#"Execute command "git""#);
    assert_eq!(change.tasks[0].data["exit-code"], 1);
}

#[tokio::test]
async fn without_handler_or_real_exec_the_executable_is_not_found() {
    let (_d, sim) = sim();
    let err = client(&sim, Duration::from_secs(5))
        .exec(&ExecOptions::new(["echo", "hi"]))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400));
    assert!(err.to_string().contains(r#"cannot find executable "echo""#));
}

#[tokio::test]
async fn a_hanging_command_ends_by_signal_or_by_pebble_timeout() {
    let (_d, sim) = sim();
    sim.exec_handler("serve", |_| ExecResponse::hang().stdout("started\n"));
    let c = client(&sim, Duration::from_secs(5));

    let mut process = c.exec(&ExecOptions::new(["serve"])).await.unwrap();
    drop(process.stdin.take()); // EOF: the handler runs and prints
    let mut line = [0u8; 8];
    process
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut line)
        .await
        .unwrap();
    assert_eq!(&line, b"started\n");
    process.send_signal("hup").await.unwrap();
    assert_eq!(process.wait().await.unwrap().code(), 129);

    let err = c
        .exec(&ExecOptions::new(["serve"]).timeout(Duration::from_millis(100)))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();
    let change = err.change().expect("change error");
    assert_eq!(change.status, ChangeStatus::Error);
    assert_eq!(change.tasks[0].data["exit-code"], -1);
}

#[tokio::test]
async fn a_stream_that_stalls_ends_with_a_timeout() {
    let (_d, sim) = sim();
    sim.exec_handler("stuck", |_| ExecResponse::stall().stdout("half of it"));
    let c = client(&sim, Duration::from_millis(300));
    let process = c
        .exec(&ExecOptions::new(["stuck"]).timeout(Duration::from_millis(200)))
        .await
        .unwrap();
    let err = process.wait_output().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Exec,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("may still be running"), "{err}");
}

#[tokio::test]
async fn a_stalled_stdout_reader_times_out() {
    let (_d, sim) = sim();
    sim.exec_handler("stuck", |_| ExecResponse::stall().stdout("abc"));
    let c = client(&sim, Duration::from_millis(300));
    let mut process = c
        .exec(&ExecOptions::new(["stuck"]).timeout(Duration::from_millis(100)))
        .await
        .unwrap();
    drop(process.stdin.take());
    let mut stdout = process.stdout.take().unwrap();
    let mut buf = Vec::new();
    let err = stdout.read_to_end(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(buf, b"abc");
}

#[tokio::test]
async fn a_websocket_that_never_opens_ends_the_call_and_pebble_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .exec_connect_window(Duration::from_millis(200))
        .start()
        .unwrap();
    sim.exec_handler("true", |_| ExecResponse::exit(0));
    // The first exec task of a fresh sim is task 1: its stdio upgrade is withheld.
    sim.inject(
        FaultRule::new(Fault::Delay(Duration::from_secs(30))).path("/v1/tasks/1/websocket/stdio"),
    );
    let c = client(&sim, Duration::from_millis(300));
    let err = c.exec(&ExecOptions::new(["true"])).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::WebsocketConnect,
                ..
            }
        ),
        "{err}"
    );
    let id = sim.changes()[0].id.clone();
    let change = c.wait_change(&id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(change.status, ChangeStatus::Error);
    assert!(
        change
            .err
            .unwrap()
            .contains("timeout waiting for websocket connections")
    );
}

#[tokio::test]
async fn websocket_errors_are_pebbles() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let (_d, sim) = sim();
    sim.exec_handler("serve", |_| ExecResponse::hang());
    let c = client(&sim, Duration::from_secs(5));
    let process = c.exec(&ExecOptions::new(["serve"])).await.unwrap();
    let task = process.task_id().to_owned();
    let connect = |path: String| {
        let socket = sim.socket_path().to_path_buf();
        async move {
            let stream = tokio::net::UnixStream::connect(socket).await.unwrap();
            let req = format!("ws://localhost{path}")
                .into_client_request()
                .unwrap();
            match tokio_tungstenite::client_async(req, stream).await {
                Ok(_) => (101, String::new()),
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => (
                    r.status().as_u16(),
                    String::from_utf8_lossy(r.body().as_deref().unwrap_or_default()).into_owned(),
                ),
                Err(e) => panic!("{e}"),
            }
        }
    };
    sim.add_layer(
        "base",
        "services:\n  web:\n    override: replace\n    command: /bin/web\n",
    )
    .unwrap();
    let start = c.start_services(&["web"]).await.unwrap();
    let start_task = c.get_change(&start).await.unwrap().tasks[0].id.clone();
    let (code, body) = connect(format!("/v1/tasks/{start_task}/websocket/stdio")).await;
    assert_eq!(code, 400);
    assert!(body.contains("is not an exec task"), "{body}");
    let (code, body) = connect("/v1/tasks/999/websocket/stdio".into()).await;
    assert_eq!(code, 404);
    assert!(body.contains(r#"cannot find task \"999\""#), "{body}");
    let (code, body) = connect(format!("/v1/tasks/{task}/websocket/nope")).await;
    assert_eq!(code, 404);
    assert!(body.contains("cannot find nope websocket"), "{body}");
    let (code, body) = connect(format!("/v1/tasks/{task}/websocket/stdio")).await;
    assert_eq!(code, 500);
    assert!(body.contains("stdio websocket already connected"), "{body}");
    process.send_signal("SIGKILL").await.unwrap();
    assert_eq!(process.wait().await.unwrap().code(), 137);
}

#[tokio::test]
async fn the_post_is_not_retried_once_sent() {
    let (_d, sim) = sim();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    sim.exec_handler("migrate", move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        ExecResponse::exit(0)
    });
    sim.inject(FaultRule::new(Fault::Reset).path("/v1/exec").times(1));
    let c = client(&sim, Duration::from_secs(5));
    let err = c.exec(&ExecOptions::new(["migrate"])).await.unwrap_err();
    assert!(
        matches!(err, Error::ConnectionReset { sent: true, .. }),
        "{err}"
    );
    assert_eq!(sim.requests("/v1/exec"), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

/// A retry sleeper that brings the socket back during the first wait.
#[derive(Debug)]
struct RestoreOnSleep(Arc<SimPebble>);

impl pebble_client::retry::Sleeper for RestoreOnSleep {
    fn sleep(
        &self,
        _: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.restore_socket();
        Box::pin(async {})
    }
}

#[tokio::test]
async fn the_post_is_retried_when_it_never_left() {
    let (_d, sim) = sim();
    let sim = Arc::new(sim);
    sim.exec_handler("migrate", |_| ExecResponse::exit(0));
    sim.refuse_connections(None);
    let c = Client::builder(sim.socket_path())
        .retry(RetryPolicy::default().sleeper(RestoreOnSleep(Arc::clone(&sim))))
        .build()
        .unwrap();
    let out = c
        .exec(&ExecOptions::new(["migrate"]))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert!(out.status.success());
    // The refused attempt never reached Pebble; the retry ran the command once.
    assert_eq!(sim.requests("/v1/exec"), 1);
    assert_eq!(sim.changes().len(), 1);
}

#[tokio::test]
async fn an_empty_command_is_refused_before_sending() {
    let (_d, sim) = sim();
    let err = client(&sim, Duration::from_secs(5))
        .exec(&ExecOptions::new(Vec::<String>::new()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }));
    assert_eq!(sim.requests("/v1/exec"), 0);
}

#[tokio::test]
async fn a_stall_without_timeout_is_caught_by_the_control_pings() {
    let (_d, sim) = sim();
    sim.exec_handler("stuck", |_| ExecResponse::stall().stdout("some"));
    // The request timeout is the ping interval: the stall shows after a few of them.
    let c = client(&sim, Duration::from_millis(100));
    let err = c
        .exec(&ExecOptions::new(["stuck"]))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Websocket {
                websocket: "control",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("stopped answering pings"), "{err}");
}

#[tokio::test]
async fn a_long_quiet_command_is_not_mistaken_for_a_stall() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimPebble::builder(dir.path().join("pebble.socket"))
        .real_exec(true)
        .start()
        .unwrap();
    // Quiet for many ping intervals, then done: pings keep it alive.
    let c = client(&sim, Duration::from_millis(50));
    let out = c
        .exec(&ExecOptions::new(["/bin/sh", "-c", "sleep 0.6; echo done"]))
        .await
        .unwrap()
        .wait_output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"done\n");
}

#[tokio::test]
async fn the_history_records_started_commands_as_requested() {
    let (_d, sim) = sim();
    sim.exec_handler("tar", |_| ExecResponse::exit(0));
    let c = client(&sim, Duration::from_secs(5));
    c.exec(
        &ExecOptions::new(["tar", "-cf", "-", "/data"])
            .env("GZIP", "-9")
            .working_dir("/")
            .user_id(0)
            .group("root")
            .timeout(Duration::from_secs(7))
            .combine_stderr(true)
            .stdin("secret-free input"),
    )
    .await
    .unwrap()
    .wait_output()
    .await
    .unwrap();
    // Refused requests ran nothing and are not recorded.
    let err = c.exec(&ExecOptions::new(["nope"])).await.unwrap_err();
    assert_eq!(err.api_status(), Some(400));
    let history = sim.exec_history();
    assert_eq!(history.len(), 1, "{history:?}");
    let r = &history[0];
    assert_eq!(r.command, ["tar", "-cf", "-", "/data"]);
    assert_eq!(r.environment.len(), 1, "only what was requested");
    assert_eq!(r.environment["GZIP"], "-9");
    assert_eq!(r.working_dir.as_deref(), Some("/"));
    assert_eq!((r.user_id, r.group.as_deref()), (Some(0), Some("root")));
    assert_eq!(r.timeout, Some(Duration::from_secs(7)));
    assert!(r.combine_stderr);
    assert_eq!(r.stdin, b"secret-free input");
}
