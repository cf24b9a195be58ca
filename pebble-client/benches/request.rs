//! Per-request latency of a GET on a persistent connection to a minimal local unix-socket
//! server (hyper's), with the async client's retry wrapper off (`RetryPolicy::never`) and on
//! (the default), through the blocking client (what charms use), plus the wrapper alone on an
//! immediately successful attempt.
//!
//! Run with `cargo bench -p pebble-client`.

// Benchmark setup: a panic aborts the benchmark, which is what we want.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pebble_client::Client;
use pebble_client::retry::{Call, RetryPolicy};

fn main() {
    divan::main();
}

const BODY: &str = r#"{"type":"sync","status-code":200,"status":"OK","result":{"boot-id":"b","version":"v1.32.1"}}"#;

/// Starts the server once on its own thread; returns the socket path.
fn server() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pebble-bench-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("pebble.socket");
        let _ = std::fs::remove_file(&path);
        let p = path.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::UnixListener::bind(&p).unwrap();
                tx.send(()).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    tokio::spawn(async move {
                        let svc = service_fn(|_req| async {
                            Ok::<_, std::convert::Infallible>(
                                http::Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from_static(BODY.as_bytes())))
                                    .unwrap(),
                            )
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        rx.recv().unwrap();
        path
    })
}

fn bench_get(bencher: divan::Bencher, policy: RetryPolicy) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder(server()).retry(policy).build().unwrap();
    rt.block_on(client.system_info()).unwrap(); // connect once
    bencher.bench_local(|| rt.block_on(client.system_info()).unwrap());
}

/// A GET on the persistent connection, one attempt only.
#[divan::bench]
fn get_system_info_retry_never(bencher: divan::Bencher) {
    bench_get(bencher, RetryPolicy::never());
}

/// The same GET through the default retry policy.
#[divan::bench]
fn get_system_info_retry_default(bencher: divan::Bencher) {
    bench_get(bencher, RetryPolicy::default());
}

/// The same GET through the blocking client and its default retry policy: its own blocking
/// connection, no runtime in the request's path.
#[divan::bench]
fn get_system_info_blocking(bencher: divan::Bencher) {
    let client = pebble_client::blocking::Client::new(server()).unwrap();
    client.system_info().unwrap(); // connect once
    bencher.bench_local(|| client.system_info().unwrap());
}

/// The retry wrapper alone around an attempt that succeeds at once.
#[divan::bench]
fn retry_wrapper_success_path(bencher: divan::Bencher) {
    let policy = RetryPolicy::default();
    bencher.bench_local(|| {
        policy
            .run(Call::SystemInfo, || {
                std::future::ready(Ok::<u32, pebble_client::Error>(1))
            })
            .now_or_never()
    });
}

/// Parsing the multipart body of a 1 MiB `pull` (the boundary search over the file's bytes).
#[divan::bench]
fn multipart_pull_1mib(bencher: divan::Bencher) {
    let boundary = "a5c1e7d0b7f6455e9c1ad1f1d9a8e7b3";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/data\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'x', 1 << 20));
    body.extend(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n\
             {{\"type\":\"sync\",\"result\":[{{\"path\":\"/data\"}}]}}\r\n--{boundary}--\r\n"
        )
        .into_bytes(),
    );
    let body = Bytes::from(body);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    bencher.bench(|| pebble_client::multipart::parse(&content_type, &body).unwrap());
}
