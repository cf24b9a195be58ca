//! Opening the unix socket and the HTTP/1.1 handshake, with connect errors told apart.

use std::io;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use crate::error::{Error, TimeoutPhase};

/// Connects to `path` within `timeout` and starts the connection task.
pub(crate) async fn connect(
    path: &Path,
    timeout: Duration,
) -> Result<SendRequest<Full<Bytes>>, Error> {
    let stream = match tokio::time::timeout(timeout, UnixStream::connect(path)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(classify(path, e)),
        Err(_) => {
            return Err(Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: timeout,
            });
        }
    };
    let (sender, conn) =
        match tokio::time::timeout(timeout, http1::handshake(TokioIo::new(stream))).await {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                return Err(Error::ConnectionReset {
                    sent: false,
                    detail: format!("HTTP handshake failed: {e}"),
                });
            }
            Err(_) => {
                return Err(Error::Timeout {
                    phase: TimeoutPhase::Connect,
                    after: timeout,
                });
            }
        };
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(target: "pebble_client::transport", error = %e, "Pebble connection closed");
        }
    });
    Ok(sender)
}

/// Maps a connect error to the variant that says what to do.
pub(crate) fn classify(path: &Path, e: io::Error) -> Error {
    let path = path.to_path_buf();
    match e.kind() {
        io::ErrorKind::NotFound => Error::SocketNotFound { path },
        io::ErrorKind::ConnectionRefused => Error::ConnectionRefused { path },
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            Error::ConnectionReset {
                sent: false,
                detail: e.to_string(),
            }
        }
        _ => Error::Connect { path, source: e },
    }
}
