//! Endpoint wire shapes against a scripted server: envelopes, wait-change, files.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use pebble_client::retry::RetryPolicy;
use pebble_client::{ChangeId, CheckLevel, Client, Error, FileErrorKind, PushOptions};
use serde_json::json;
use support::{Reply, Server, socket_in};

fn client(server: &Server) -> Client {
    Client::builder(&server.path)
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

fn change(ready: bool) -> serde_json::Value {
    json!({"id":"42","kind":"start","summary":"Start service \"svc\"","status": if ready {"Done"} else {"Doing"},
        "ready":ready,"spawn-time":"2024-03-12T03:05:46.086111123Z"})
}

#[tokio::test]
async fn non_json_error_body_is_protocol_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| {
        Reply::Raw(
            400,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"400 Bad Request"),
        )
    });
    let err = client(&server).system_info().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("400 Bad Request"));
}

#[tokio::test]
async fn missing_result_is_null() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |r| {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1/identities")
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, json!({"action":"remove","identities":{"bob":null}}));
        Reply::Json(200, json!({"type":"sync","status-code":200,"status":"OK"}))
    });
    client(&server).remove_identities(&["bob"]).await.unwrap();
}

#[tokio::test]
async fn services_return_the_change_and_wait_loops_on_504() {
    let dir = tempfile::tempdir().unwrap();
    let waits = Arc::new(AtomicUsize::new(0));
    let w = waits.clone();
    let server = Server::start(&socket_in(&dir), move |r| match r.path.as_str() {
        "/v1/services" => {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body, json!({"action":"start","services":["svc"]}));
            Reply::Json(
                202,
                json!({"type":"async","status-code":202,"status":"Accepted","change":"42","result":null}),
            )
        }
        "/v1/changes/42/wait" => {
            assert!(r.query.starts_with("timeout="), "{}", r.query);
            if w.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::error(
                    504,
                    "Gateway Timeout",
                    "timed out waiting for change after 4s",
                    None,
                )
            } else {
                Reply::sync(change(true))
            }
        }
        other => panic!("unexpected {other}"),
    });
    let c = client(&server);
    let id = c.start_services(&["svc"]).await.unwrap();
    assert_eq!(id, ChangeId::from("42"));
    let done = c
        .wait_change_ok(&id, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(done.ready);
    assert_eq!(waits.load(Ordering::SeqCst), 3);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn wait_falls_back_to_polling_on_404() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |r| match r.path.as_str() {
        "/v1/changes/42/wait" => {
            Reply::error(404, "Not Found", "invalid API endpoint requested", None)
        }
        "/v1/changes/42" => Reply::sync(change(true)),
        other => panic!("unexpected {other}"),
    });
    let ch = client(&server)
        .wait_change(&"42".into(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ch.id.as_str(), "42");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn failed_change_is_a_change_error_with_task_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| {
        Reply::sync(
            json!({"id":"9","kind":"start","summary":"Start service \"svc\"","status":"Error","ready":true,
            "err":"cannot perform the following tasks:\n- Start service \"svc\" (exited quickly)",
            "spawn-time":"2024-03-12T03:05:46Z",
            "tasks":[{"id":"1","kind":"start","summary":"Start service \"svc\"","status":"Error",
                "log":["ERROR exited quickly with code 1"],"progress":{"label":"","done":1,"total":1},
                "spawn-time":"2024-03-12T03:05:46Z"}]}),
        )
    });
    let err = client(&server)
        .wait_change_ok(&"9".into(), Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.change().is_some());
    let msg = err.to_string();
    assert!(
        msg.contains("change 9") && msg.contains("exited quickly with code 1"),
        "{msg}"
    );
}

#[tokio::test]
async fn health_502_and_checks_changed_null() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |r| match r.path.as_str() {
        "/v1/health" => {
            assert_eq!(r.query, "level=ready");
            Reply::Json(
                502,
                json!({"type":"sync","status-code":502,"status":"Bad Gateway","result":{"healthy":false}}),
            )
        }
        "/v1/checks" => Reply::sync(json!({"changed": null})),
        other => panic!("unexpected {other}"),
    });
    let c = client(&server);
    assert!(!c.health(CheckLevel::Ready, &[]).await.unwrap().healthy);
    assert!(c.start_checks(&["chk"]).await.unwrap().is_empty());
}

#[tokio::test]
async fn pull_matches_parts_by_full_path_and_reports_per_path_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |r| {
        assert_eq!(r.headers.get("accept").unwrap(), "multipart/form-data");
        assert_eq!(r.query, "action=read&path=%2Fabs%2Fa&path=%2Fabs%2Fb");
        let body = "--B0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/abs/a\"\r\n\r\nhello\r\n\
            --B0undary\r\nContent-Disposition: form-data; name=\"response\"\r\nContent-Type: application/json\r\n\r\n\
            {\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":[{\"path\":\"/abs/a\"},\
            {\"path\":\"/abs/b\",\"error\":{\"kind\":\"not-found\",\"message\":\"stat /abs/b: no such file or directory\"}}]}\r\n\
            --B0undary--\r\n";
        Reply::Raw(
            200,
            "multipart/form-data; boundary=B0undary",
            Bytes::from(body),
        )
    });
    let files = client(&server)
        .pull_many(&["/abs/a", "/abs/b"])
        .await
        .unwrap();
    assert_eq!(
        files[0].content.as_ref().unwrap(),
        &Bytes::from_static(b"hello")
    );
    let e = files[1].content.as_ref().unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.path.as_str()),
        (FileErrorKind::NotFound, "/abs/b")
    );
}

#[tokio::test]
async fn pull_without_response_part_is_protocol_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |_| {
        Reply::Raw(
            200,
            "multipart/form-data; boundary=xyz",
            Bytes::from_static(b"--xyz--\r\n"),
        )
    });
    let err = client(&server).pull("/abs/a").await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
}

#[tokio::test]
async fn push_body_shape() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |r| {
        let ct = r
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let boundary = pebble_client::multipart::boundary_of(&ct).unwrap();
        assert!(boundary.len() >= 32, "{boundary}");
        let parts = pebble_client::multipart::parse(&ct, &r.body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "request");
        let meta: serde_json::Value = serde_json::from_slice(&parts[0].body).unwrap();
        assert_eq!(
            meta,
            json!({"action":"write","files":[{"path":"/etc/app.conf","make-dirs":true,"permissions":"600","user":"app"}]})
        );
        assert_eq!(parts[1].name, "files");
        assert_eq!(parts[1].filename.as_deref(), Some("/etc/app.conf"));
        assert_eq!(&parts[1].body[..], b"x = 1\n");
        Reply::sync(
            json!([{"path":"/etc/app.conf","error":{"kind":"permission-denied","message":"open: permission denied"}}]),
        )
    });
    let opts = PushOptions::new()
        .make_dirs(true)
        .permissions(0o600)
        .user("app");
    let err = client(&server)
        .push("/etc/app.conf", "x = 1\n", &opts)
        .await
        .unwrap_err();
    let pe = err.path_error().unwrap();
    assert_eq!(pe.kind, FileErrorKind::PermissionDenied);
}

#[tokio::test]
async fn connection_is_re_established_after_pebble_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = socket_in(&dir);
    let sys = || Reply::sync(json!({"boot-id":"b","version":"v1"}));
    let first = Server::start(&path, move |_| sys());
    let c = Client::new(&path).unwrap();
    c.system_info().await.unwrap();
    drop(first);
    tokio::task::yield_now().await;
    let second = Server::start(&path, move |_| sys());
    c.system_info().await.unwrap();
    assert_eq!(second.requests(), 1);
}

#[tokio::test]
async fn layers_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&socket_in(&dir), |r| match r.path.as_str() {
        "/v1/layers" => {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["label"], "web");
            assert_eq!(body["combine"], true);
            assert_eq!(body["format"], "yaml");
            assert!(
                body["layer"]
                    .as_str()
                    .unwrap()
                    .contains("override: replace")
            );
            Reply::sync(json!(true))
        }
        "/v1/plan" => {
            assert_eq!(r.query, "format=yaml");
            Reply::sync(json!(
                "services:\n  web:\n    override: replace\n    command: /bin/web\n"
            ))
        }
        other => panic!("unexpected {other}"),
    });
    let c = client(&server);
    let mut layer = pebble_client::Layer::default();
    layer
        .services
        .insert("web".into(), pebble_client::Service::replace("/bin/web"));
    c.add_layer("web", &layer, true).await.unwrap();
    assert!(matches!(
        c.add_layer("pebble-x", &layer, false).await,
        Err(Error::InvalidArgument { .. })
    ));
    let plan = c.get_plan().await.unwrap();
    assert_eq!(plan.services["web"].command.as_deref(), Some("/bin/web"));
}
