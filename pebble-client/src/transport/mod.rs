//! HTTP/1.1 over Pebble's unix socket: one persistent connection, reused and re-established.
//!
//! The transport knows nothing of Pebble's JSON; it sends a request and returns the status,
//! content type and whole body. Its errors say which phase failed, because the retry loop
//! treats "nothing was sent" (always safe to retry) differently from "sent, then failed".

pub(crate) mod connect;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use tokio::sync::Mutex;

use crate::error::{Error, TimeoutPhase};

/// A request as the transport sends it.
#[derive(Debug, Clone)]
pub(crate) struct RawRequest {
    /// `GET` or `POST`.
    pub method: http::Method,
    /// Path and query, e.g. `/v1/changes/1/wait?timeout=4s`.
    pub path_and_query: String,
    /// `Accept` header.
    pub accept: &'static str,
    /// `Content-Type` header (for bodies).
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
    /// Extra time allowed beyond the client's request timeout (long polls).
    pub extra_timeout: Duration,
}

impl RawRequest {
    /// A GET expecting JSON.
    pub fn get(path_and_query: String) -> Self {
        Self {
            method: http::Method::GET,
            path_and_query,
            accept: "application/json",
            content_type: None,
            body: Bytes::new(),
            extra_timeout: Duration::ZERO,
        }
    }

    /// A POST with a JSON body.
    pub fn post_json(path: &str, body: &serde_json::Value) -> Self {
        Self {
            method: http::Method::POST,
            path_and_query: path.to_owned(),
            accept: "application/json",
            content_type: Some("application/json".to_owned()),
            body: Bytes::from(body.to_string()),
            extra_timeout: Duration::ZERO,
        }
    }
}

/// A response as the transport returns it.
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// The whole body.
    pub body: Bytes,
}

/// One persistent connection to one socket.
#[derive(Debug)]
pub(crate) struct Transport {
    path: PathBuf,
    timeout: Duration,
    conn: Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl Transport {
    pub fn new(path: PathBuf, timeout: Duration) -> Self {
        Self {
            path,
            timeout,
            conn: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request on the shared connection (connecting first if needed) and reads
    /// the whole response.
    pub async fn send(&self, req: &RawRequest) -> Result<RawResponse, Error> {
        // HTTP/1.1 has one request in flight per connection: hold it for the exchange.
        let mut guard = self.conn.lock().await;
        let mut sender = match guard.take() {
            Some(s) if !s.is_closed() => s,
            _ => connect::connect(&self.path, self.timeout).await?,
        };
        if sender.ready().await.is_err() {
            // The idle connection died (Pebble restarted, or closed it): nothing was sent.
            sender = connect::connect(&self.path, self.timeout).await?;
            sender.ready().await.map_err(|e| Error::ConnectionReset {
                sent: false,
                detail: e.to_string(),
            })?;
        }
        let limit = self.timeout + req.extra_timeout;
        let exchange = async {
            let request = build(req)?;
            let response = sender.try_send_request(request).await.map_err(|mut e| {
                let sent = e.take_message().is_none();
                Error::ConnectionReset {
                    sent,
                    detail: e.into_error().to_string(),
                }
            })?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| Error::ConnectionReset {
                    sent: true,
                    detail: format!("while reading the response body: {e}"),
                })?
                .to_bytes();
            Ok::<_, Error>(RawResponse {
                status,
                content_type,
                body,
            })
        };
        match tokio::time::timeout(limit, exchange).await {
            Ok(Ok(resp)) => {
                // Keep the connection for the next call (dropped if Pebble closes it).
                *guard = Some(sender);
                Ok(resp)
            }
            // On any failure the connection's state is unknown: drop it.
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::Timeout {
                phase: TimeoutPhase::Response,
                after: limit,
            }),
        }
    }
}

fn build(req: &RawRequest) -> Result<http::Request<Full<Bytes>>, Error> {
    let mut builder = http::Request::builder()
        .method(req.method.clone())
        .uri(req.path_and_query.as_str())
        .header(http::header::HOST, "localhost")
        .header(http::header::ACCEPT, req.accept);
    if let Some(ct) = &req.content_type {
        builder = builder.header(http::header::CONTENT_TYPE, ct.as_str());
    }
    builder
        .body(Full::new(req.body.clone()))
        .map_err(|e| Error::InvalidArgument {
            message: format!("cannot build request for {:?}: {e}", req.path_and_query),
        })
}
