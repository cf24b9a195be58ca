//! Health checks run for real: failing and recovering commands, thresholds, levels and
//! health, start/stop/refresh, TCP and HTTP checks, timeouts, and Pebble's errors.

use std::io::{Read, Write};
use std::time::Duration;

use pebble_client::{ChangeStatus, CheckInfo, CheckLevel, CheckStartup, CheckStatus, Client};

use crate::fixture::{PATIENCE, Pebble, shell_quote};

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![
        a_failing_check_goes_down,
        a_check_recovers,
        startup_disabled_start_and_stop,
        refresh,
        levels_and_health,
        tcp_and_http_checks,
        a_slow_check_times_out,
        unknown_checks,
    ]
}

/// A layer with one exec check.
fn exec_check(name: &str, command: &str, extra: &[&str]) -> String {
    let command = serde_json::to_string(command).unwrap();
    let mut yaml = format!("checks:\n  {name}:\n    override: replace\n");
    for line in extra {
        yaml.push_str(&format!("    {line}\n"));
    }
    yaml.push_str(&format!("    exec:\n      command: {command}\n"));
    yaml
}

async fn check(client: &Client, name: &str) -> CheckInfo {
    client
        .get_checks(CheckLevel::Unset, &[name])
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no check {name}"))
}

async fn until_status(client: &Client, name: &str, want: CheckStatus) -> CheckInfo {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let info = check(client, name).await;
        if info.status == want {
            return info;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "check {name} never became {want}: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_failing_check_goes_down(p: &Pebble) {
    p.layer(
        "base",
        &exec_check(
            "chk",
            "/bin/sh -c 'echo sad; exit 1'",
            &["period: 200ms", "threshold: 2"],
        ),
    )
    .await;
    let client = p.client();
    let first = check(&client, "chk").await;
    assert_eq!(first.startup, CheckStartup::Enabled);
    assert_eq!(first.threshold, 2);
    let perform = first
        .change_id
        .clone()
        .expect("a running check has a change");
    assert_eq!(
        first.prev_change_id, None,
        "a first change has no previous one"
    );
    let down = until_status(&client, "chk", CheckStatus::Down).await;
    assert!(down.failures >= 2, "{down:?}");
    assert_eq!(down.successes, 0);
    assert_eq!(down.prev_change_id.as_ref(), Some(&perform));
    let recover = down.change_id.clone().unwrap();
    assert_ne!(recover, perform);
    let failed = client.get_change(&perform).await.unwrap();
    assert_eq!(failed.kind, "perform-check");
    assert_eq!(failed.summary, "Perform exec check \"chk\"");
    assert_eq!(failed.status, ChangeStatus::Error);
    assert_eq!(
        failed.err.as_deref(),
        Some(
            "cannot perform the following tasks:\n- Perform exec check \"chk\" (exit status 1; sad)\n- Perform exec check \"chk\" (exit status 1; sad)"
        )
    );
    let recovering = client.get_change(&recover).await.unwrap();
    assert_eq!(recovering.kind, "recover-check");
    assert!(!recovering.ready);
    assert!(!client.health(CheckLevel::Unset, &[]).await.unwrap().healthy);
}

async fn a_check_recovers(p: &Pebble) {
    let marker = p.host_path(&p.path("healthy"));
    let command = format!("test -e {}", shell_quote(&marker.to_string_lossy()));
    p.layer(
        "base",
        &exec_check(
            "chk",
            &format!("/bin/sh -c {}", shell_quote(&command)),
            &["period: 200ms", "threshold: 1"],
        ),
    )
    .await;
    let client = p.client();
    let down = until_status(&client, "chk", CheckStatus::Down).await;
    std::fs::write(&marker, "").unwrap();
    let up = until_status(&client, "chk", CheckStatus::Up).await;
    assert_eq!(up.failures, 0);
    assert!(up.successes >= 1, "{up:?}");
    assert_eq!(
        up.prev_change_id, down.change_id,
        "the recover change came before"
    );
    let recovered = client.get_change(&down.change_id.unwrap()).await.unwrap();
    assert_eq!(recovered.status, ChangeStatus::Done);
    assert!(client.health(CheckLevel::Unset, &[]).await.unwrap().healthy);
}

/// A long period, so no run happens while the test starts and stops the check.
async fn startup_disabled_start_and_stop(p: &Pebble) {
    p.layer(
        "base",
        &exec_check("chk", "/bin/true", &["period: 1h", "startup: disabled"]),
    )
    .await;
    let client = p.client();
    let info = check(&client, "chk").await;
    assert_eq!(info.startup, CheckStartup::Disabled);
    assert_eq!(info.status, CheckStatus::Inactive);
    assert_eq!(info.change_id, None);
    assert_eq!(client.start_checks(&["chk"]).await.unwrap(), ["chk"]);
    let info = check(&client, "chk").await;
    assert_eq!(info.status, CheckStatus::Up);
    let change = info.change_id.clone().unwrap();
    assert!(client.start_checks(&["chk"]).await.unwrap().is_empty());
    assert_eq!(client.stop_checks(&["chk"]).await.unwrap(), ["chk"]);
    let info = check(&client, "chk").await;
    assert_eq!(info.status, CheckStatus::Inactive);
    assert_eq!(info.change_id, None);
    assert!(client.stop_checks(&["chk"]).await.unwrap().is_empty());
    // The stopped check's change is over.
    let deadline = std::time::Instant::now() + PATIENCE;
    while !client.get_change(&change).await.unwrap().ready {
        assert!(
            std::time::Instant::now() < deadline,
            "the change never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A long period: only refresh runs the checks.
async fn refresh(p: &Pebble) {
    let mut yaml = exec_check("good", "/bin/true", &["period: 1h"]);
    yaml.push_str(&exec_check("bad", "/bin/false", &["period: 1h"])["checks:\n".len()..]);
    yaml.push_str(
        &exec_check("idle", "/bin/true", &["period: 1h", "startup: disabled"])["checks:\n".len()..],
    );
    p.layer("base", &yaml).await;
    let client = p.client();
    let good = client.refresh_check("good").await.unwrap();
    assert_eq!(good.error, None);
    assert_eq!(good.info.successes, 1);
    assert_eq!(good.info.status, CheckStatus::Up);
    let bad = client.refresh_check("bad").await.unwrap();
    assert_eq!(bad.error.as_deref(), Some("exit status 1"));
    assert_eq!(bad.info.failures, 1);
    assert_eq!(bad.info.status, CheckStatus::Up, "below the threshold");
    let idle = client.refresh_check("idle").await.unwrap();
    assert_eq!(idle.error, None);
    assert_eq!(idle.info.status, CheckStatus::Inactive);
    assert_eq!(
        idle.info.successes, 0,
        "a stopped check's counts do not move"
    );
}

async fn levels_and_health(p: &Pebble) {
    let mut yaml = exec_check(
        "live",
        "/bin/false",
        &["period: 200ms", "threshold: 1", "level: alive"],
    );
    yaml.push_str(
        &exec_check("ready", "/bin/true", &["period: 200ms", "level: ready"])["checks:\n".len()..],
    );
    p.layer("base", &yaml).await;
    let client = p.client();
    until_status(&client, "live", CheckStatus::Down).await;
    assert!(!client.health(CheckLevel::Alive, &[]).await.unwrap().healthy);
    assert!(
        !client.health(CheckLevel::Ready, &[]).await.unwrap().healthy,
        "ready includes alive"
    );
    assert!(
        client
            .health(CheckLevel::Unset, &["ready"])
            .await
            .unwrap()
            .healthy
    );
    let ready = client.get_checks(CheckLevel::Ready, &[]).await.unwrap();
    let names: Vec<&str> = ready.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["ready"],
        "the checks list filters the level exactly"
    );
}

/// A tiny HTTP server answering every request with `status`.
fn http_server(status: u16) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = if status == 200 {
                "ok"
            } else {
                "broken\nreally"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

async fn tcp_and_http_checks(p: &Pebble) {
    let ok = http_server(200);
    let broken = http_server(500);
    // A port nobody listens on: bind one, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    p.layer(
        "base",
        &format!(
            "checks:\n  web:\n    override: replace\n    period: 200ms\n    threshold: 1\n    http:\n      url: http://127.0.0.1:{ok}/health\n      headers:\n        X-Probe: yes\n  broken:\n    override: replace\n    period: 200ms\n    threshold: 1\n    http:\n      url: http://127.0.0.1:{broken}/\n  port:\n    override: replace\n    period: 200ms\n    threshold: 1\n    tcp:\n      host: 127.0.0.1\n      port: {ok}\n  closed:\n    override: replace\n    period: 200ms\n    threshold: 1\n    tcp:\n      host: 127.0.0.1\n      port: {closed}\n"
        ),
    )
    .await;
    let client = p.client();
    let down = until_status(&client, "broken", CheckStatus::Down).await;
    let failed = client
        .get_change(down.prev_change_id.as_ref().unwrap())
        .await
        .unwrap();
    assert!(
        failed
            .err
            .as_deref()
            .unwrap_or_default()
            .contains("(non-2xx status code 500; broken\nreally)"),
        "{:?}",
        failed.err
    );
    assert_eq!(failed.summary, "Perform HTTP check \"broken\"");
    let down = until_status(&client, "closed", CheckStatus::Down).await;
    let failed = client
        .get_change(down.prev_change_id.as_ref().unwrap())
        .await
        .unwrap();
    let err = failed.err.unwrap_or_default();
    assert!(
        err.contains(&format!(
            "dial tcp 127.0.0.1:{closed}: connect: connection refused"
        )),
        "{err}"
    );
    assert_eq!(failed.summary, "Perform TCP check \"closed\"");
    // The healthy ones stay up and count successes.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let web = check(&client, "web").await;
        let port = check(&client, "port").await;
        assert_eq!(web.status, CheckStatus::Up, "{web:?}");
        assert_eq!(port.status, CheckStatus::Up, "{port:?}");
        if web.successes >= 2 && port.successes >= 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{web:?} {port:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_slow_check_times_out(p: &Pebble) {
    p.layer(
        "base",
        &exec_check(
            "slow",
            "sleep 10",
            &["period: 300ms", "timeout: 100ms", "threshold: 1"],
        ),
    )
    .await;
    let client = p.client();
    let down = until_status(&client, "slow", CheckStatus::Down).await;
    let failed = client
        .get_change(down.prev_change_id.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        failed.err.as_deref(),
        Some(
            "cannot perform the following tasks:\n- Perform exec check \"slow\" (check timed out after 100ms)"
        )
    );
}

async fn unknown_checks(p: &Pebble) {
    p.layer("base", &exec_check("chk", "/bin/true", &["period: 1h"]))
        .await;
    let client = p.client();
    let err = client
        .start_checks(&["nope", "chk", "gone"])
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(
        err.api().unwrap().message,
        "cannot start checks: cannot find checks in plan: gone, nope"
    );
    let err = client.stop_checks(&["nope"]).await.unwrap_err();
    assert_eq!(
        err.api().unwrap().message,
        "cannot stop checks: cannot find checks in plan: nope"
    );
    let err = client.refresh_check("nope").await.unwrap_err();
    assert_eq!(err.api_status(), Some(404));
    assert_eq!(
        err.api().unwrap().message,
        "cannot find check with name \"nope\""
    );
}
