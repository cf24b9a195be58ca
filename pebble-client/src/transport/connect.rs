//! Opening the unix socket, with connect errors told apart, and checking that a kept
//! connection is still open before it carries a request.

use std::io;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use tokio::net::UnixStream;

use crate::error::{Error, TimeoutPhase};

/// Connects to `path` within `timeout`. A unix socket whose listener's backlog is full
/// refuses a non-blocking connect with `EAGAIN` rather than queueing it, so that is tried
/// again every millisecond until `timeout`, as the blocking client does.
pub(crate) async fn connect(path: &Path, timeout: Duration) -> Result<UnixStream, Error> {
    let attempts = async {
        loop {
            match UnixStream::connect(path).await {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                other => return other,
            }
        }
    };
    match tokio::time::timeout(timeout, attempts).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(classify(path, e)),
        Err(_) => Err(Error::Timeout {
            phase: TimeoutPhase::Connect,
            after: timeout,
        }),
    }
}

/// Whether an idle kept connection can carry the next request: Pebble has not closed it (it
/// restarted, or dropped an idle connection) and sent nothing unasked. One non-blocking peek;
/// a connection found closed here is replaced before anything is sent, so the request is
/// never half-delivered to a dying connection.
pub(crate) fn still_open(stream: impl AsFd) -> bool {
    use rustix::net::{RecvFlags, recv};
    let mut byte = [0u8; 1];
    matches!(
        recv(stream, &mut byte, RecvFlags::PEEK | RecvFlags::DONTWAIT),
        Err(rustix::io::Errno::AGAIN)
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_peer_or_unasked_bytes_end_a_kept_connection() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(still_open(&a), "an idle, open connection is kept");
        use std::io::Write;
        (&b).write_all(b"x").unwrap();
        assert!(
            !still_open(&a),
            "bytes nobody asked for: the stream is out of step"
        );
        let (c, d) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(d);
        assert!(!still_open(&c), "the peer closed it");
    }
}
