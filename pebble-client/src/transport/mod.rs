//! HTTP/1.1 over Pebble's unix socket: one persistent connection, reused and re-established.
//!
//! The transport knows nothing of Pebble's JSON; it sends a request and returns the status,
//! content type and whole body. Its errors say which phase failed, because the retry loop
//! treats "nothing was sent" (always safe to retry) differently from "sent, then failed".
//!
//! One codec ([`http1`]) frames requests and reads responses; two connections drive it:
//! [`async_conn`] over tokio for the async client, and [`blocking_conn`] over a plain socket for
//! the blocking client, which then does one `write` and (usually) one `read` per request with
//! no runtime in between.

pub(crate) mod async_conn;
#[cfg(feature = "blocking")]
mod blocking_conn;
pub(crate) mod connect;
pub(crate) mod http1;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::error::Error;

/// The most body bytes a response to a JSON call may have before the client gives up on it
/// ([`Error::ResponseTooLarge`]). Pebble's largest JSON answers (every change with its task
/// logs, every notice) are a few MiB; this is far above them and far below what would strain
/// a hook's memory.
pub(crate) const DEFAULT_MAX_BODY: usize = 64 * 1024 * 1024;

/// The most a file read into memory ([`Client::pull`](crate::Client::pull)) may take;
/// a streaming pull to a local file has no limit.
pub(crate) const MAX_PULL_BODY: usize = 1024 * 1024 * 1024;

/// The methods Pebble's API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Reads.
    Get,
    /// Everything that changes something.
    Post,
}

impl Method {
    /// The method as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }

    /// Whether requests with this method always state a body length (even 0).
    fn has_body(self) -> bool {
        self == Method::Post
    }
}

/// A request as the transport sends it.
#[derive(Debug, Clone)]
pub(crate) struct RawRequest {
    /// `GET` or `POST`.
    pub method: Method,
    /// Path and query, e.g. `/v1/changes/1/wait?timeout=4s` (already percent-encoded).
    pub path_and_query: String,
    /// `Accept` header.
    pub accept: &'static str,
    /// `Content-Type` header (for bodies).
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
    /// Extra time allowed beyond the client's request timeout (long polls).
    pub extra_timeout: Duration,
    /// The most body bytes the response may have (see [`DEFAULT_MAX_BODY`]).
    pub max_body: usize,
}

impl RawRequest {
    /// A GET expecting JSON.
    pub fn get(path_and_query: String) -> Self {
        Self {
            method: Method::Get,
            path_and_query,
            accept: "application/json",
            content_type: None,
            body: Bytes::new(),
            extra_timeout: Duration::ZERO,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// A POST with a JSON body.
    pub fn post_json(path: &str, body: &serde_json::Value) -> Self {
        Self {
            method: Method::Post,
            path_and_query: path.to_owned(),
            accept: "application/json",
            content_type: Some("application/json".to_owned()),
            body: Bytes::from(body.to_string()),
            extra_timeout: Duration::ZERO,
            max_body: DEFAULT_MAX_BODY,
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

/// How a transport does its I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Io {
    /// On the tokio runtime the caller polls it on.
    Async,
    /// Blocking the calling thread: for the blocking client only, whose futures run alone on
    /// its own runtime. Never for a client that async code can reach, where a blocked
    /// thread would stall every other task (the blocking client's exec, which pumps
    /// websockets while it waits, uses an async transport).
    #[cfg(feature = "blocking")]
    Blocking,
}

/// The connection kept between requests.
#[derive(Debug)]
enum Slot {
    Async(tokio::sync::Mutex<Option<tokio::net::UnixStream>>),
    #[cfg(feature = "blocking")]
    Blocking(std::sync::Mutex<Option<blocking_conn::Connection>>),
}

/// One persistent connection to one socket.
#[derive(Debug)]
pub(crate) struct Transport {
    path: PathBuf,
    timeout: Duration,
    slot: Slot,
    /// Set while a long poll holds the kept connection: calls made meanwhile use a
    /// connection of their own rather than wait for the poll's end.
    polling: AtomicBool,
}

/// Marks the kept connection as held by a long poll until dropped.
pub(crate) struct PollMark<'a>(Option<&'a AtomicBool>);

impl<'a> PollMark<'a> {
    /// Marks `flag` when `poll` is true.
    pub(crate) fn new(flag: &'a AtomicBool, poll: bool) -> Self {
        if poll {
            flag.store(true, Ordering::SeqCst);
            Self(Some(flag))
        } else {
            Self(None)
        }
    }
}

impl Drop for PollMark<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            flag.store(false, Ordering::SeqCst);
        }
    }
}

impl Transport {
    pub fn new(path: PathBuf, timeout: Duration, io: Io) -> Self {
        let slot = match io {
            Io::Async => Slot::Async(tokio::sync::Mutex::new(None)),
            #[cfg(feature = "blocking")]
            Io::Blocking => Slot::Blocking(std::sync::Mutex::new(None)),
        };
        Self {
            path,
            timeout,
            slot,
            polling: AtomicBool::new(false),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request on the shared connection (connecting first if needed) and reads
    /// the whole response, all within `budget` plus the request's `extra_timeout` (connect
    /// included; a connect that alone takes `budget` is a connect timeout). HTTP/1.1 has one
    /// request in flight per connection, so the connection is held for the exchange and a
    /// call made meanwhile waits for it, unless the holder is a long poll (held for its poll
    /// time): then the call uses a connection of its own, as does a long poll that finds the
    /// connection busy. Sequential calls (a hook's) all share one connection. On any failure
    /// the connection's state is unknown and it is dropped.
    pub async fn send(&self, req: &RawRequest, budget: Duration) -> Result<RawResponse, Error> {
        match &self.slot {
            Slot::Async(slot) => {
                async_conn::send(slot, &self.polling, &self.path, budget, req).await
            }
            #[cfg(feature = "blocking")]
            Slot::Blocking(slot) => {
                blocking_conn::send(slot, &self.polling, &self.path, budget, req)
            }
        }
    }
}

/// A failed write: `sent` when part of the body may already be acted on (a request whose head
/// and inline body were not written whole cannot have been).
fn write_failed(sent: bool, e: &std::io::Error) -> Error {
    Error::ConnectionReset {
        sent,
        detail: format!("while writing the request: {e}"),
    }
}

/// A failed read: the request was sent.
fn read_failed(e: &std::io::Error) -> Error {
    Error::ConnectionReset {
        sent: true,
        detail: format!("while reading the response: {e}"),
    }
}
