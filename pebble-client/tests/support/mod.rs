//! A scripted Pebble stand-in on a unix socket: a closure answers each request, atomics count
//! requests and connections. Modelled on reqwest's `tests/support/not_tcp.rs`.

// Test-only code: a panic here fails the test, which is what we want.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pebble_client::retry::{ManualClock, Sleeper};
use tokio::net::UnixListener;

/// What the server does with one request.
pub enum Reply {
    /// A JSON body with this status.
    Json(u16, serde_json::Value),
    /// Any body with this status and content type.
    Raw(u16, &'static str, Bytes),
    /// Close the connection without answering (a post-send failure for the client).
    Hangup,
}

impl Reply {
    /// A sync success envelope.
    pub fn sync(result: serde_json::Value) -> Self {
        Self::Json(
            200,
            serde_json::json!({"type":"sync","status-code":200,"status":"OK","result":result}),
        )
    }

    /// An error envelope.
    pub fn error(code: u16, status: &str, message: &str, kind: Option<&str>) -> Self {
        let mut result = serde_json::json!({"message": message});
        if let Some(k) = kind {
            result["kind"] = k.into();
        }
        Self::Json(
            code,
            serde_json::json!({"type":"error","status-code":code,"status":status,"result":result}),
        )
    }
}

/// A request as the handler sees it.
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

type Handler = Arc<dyn Fn(&Req) -> Reply + Send + Sync>;

/// A running scripted server.
pub struct Server {
    pub path: PathBuf,
    pub requests: Arc<AtomicUsize>,
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
    conn_tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Server {
    /// Serves `handler` on `path` (which must not exist).
    pub fn start(path: &Path, handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Self {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind test socket");
        let handler: Handler = Arc::new(handler);
        let requests = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (req_count, conn_count) = (requests.clone(), connections.clone());
        let conn_tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let tasks = conn_tasks.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                conn_count.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let req_count = req_count.clone();
                let conn_task = tokio::spawn(async move {
                    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let req_count = req_count.clone();
                        async move {
                            req_count.fetch_add(1, Ordering::SeqCst);
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let r = Req {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                query: parts.uri.query().unwrap_or("").to_owned(),
                                headers: parts.headers,
                                body,
                            };
                            assert_eq!(
                                r.headers.get("host").map(|h| h.to_str().unwrap()),
                                Some("localhost")
                            );
                            let (status, ct, body) = match handler(&r) {
                                Reply::Json(s, v) => {
                                    (s, "application/json", Bytes::from(v.to_string()))
                                }
                                Reply::Raw(s, ct, b) => (s, ct, b),
                                Reply::Hangup => return Err("hang up"),
                            };
                            Ok::<_, &'static str>(
                                http::Response::builder()
                                    .status(status)
                                    .header("content-type", ct)
                                    .body(Full::new(body))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                tasks.lock().unwrap().push(conn_task);
            }
        });
        Self {
            path: path.to_owned(),
            requests,
            connections,
            task,
            conn_tasks,
        }
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Like a Pebble restart: stop listening and drop every open connection.
        self.task.abort();
        for t in self.conn_tasks.lock().unwrap().drain(..) {
            t.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A sleeper that records waits, advances a manual clock and runs a hook per sleep (to
/// change the world between attempts, e.g. make the socket appear).
#[derive(Clone)]
pub struct HookSleeper {
    pub clock: ManualClock,
    pub waits: Arc<std::sync::Mutex<Vec<Duration>>>,
    hook: Arc<dyn Fn(usize) + Send + Sync>,
}

impl std::fmt::Debug for HookSleeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HookSleeper")
    }
}

impl HookSleeper {
    pub fn new(hook: impl Fn(usize) + Send + Sync + 'static) -> Self {
        Self {
            clock: ManualClock::new(),
            waits: Default::default(),
            hook: Arc::new(hook),
        }
    }

    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Sleeper for HookSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        let n = {
            let mut w = self.waits.lock().unwrap();
            w.push(d);
            w.len()
        };
        self.clock.advance(d);
        (self.hook)(n);
        Box::pin(std::future::ready(()))
    }
}

/// A temp dir with a socket path inside.
pub fn socket_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("pebble.socket")
}
