//! The async client's connection: a tokio unix stream, written and read inline (no
//! connection task), the whole exchange bounded by the request's time limit.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::Mutex;

use super::http1::{self, Complete, ResponseReader};
use std::sync::atomic::{AtomicBool, Ordering};

use super::{PollMark, RawRequest, RawResponse, connect, read_failed, write_failed};
use crate::error::{Error, TimeoutPhase};

/// Sends `req` on the kept connection (or a new one) and reads the whole response, connect
/// and exchange together within `budget` plus the request's extra (long-poll) time.
pub(super) async fn send(
    slot: &Mutex<Option<UnixStream>>,
    polling: &AtomicBool,
    path: &Path,
    budget: Duration,
    req: &RawRequest,
) -> Result<RawResponse, Error> {
    let (head, body_follows) = http1::encode_request(req)?;
    let limit = budget + req.extra_timeout;
    let end = tokio::time::Instant::now() + limit;
    // The kept connection; a connection of this call's own (closed after it) when a long
    // poll holds the kept one, or when this is a long poll and the kept one is busy.
    let poll = !req.extra_timeout.is_zero();
    let mut kept = match slot.try_lock() {
        Ok(guard) => Some(guard),
        Err(_) if poll || polling.load(Ordering::SeqCst) => None,
        Err(_) => Some(slot.lock().await),
    };
    let _mark = PollMark::new(polling, poll && kept.is_some());
    let stream = match kept.as_mut().and_then(|k| k.take()) {
        Some(s) if connect::still_open(&s) => s,
        _ => connect::connect(path, budget).await?,
    };
    let body = body_follows.then_some(&req.body[..]);
    match tokio::time::timeout_at(end, exchange(stream, &head, body, req.max_body)).await {
        Ok(Ok((done, stream))) => {
            if let Some(kept) = kept.as_mut().filter(|_| done.reusable) {
                **kept = Some(stream);
            }
            Ok(done.response)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Timeout {
            phase: TimeoutPhase::Response,
            after: limit,
        }),
    }
}

/// How much of a streamed file is read and written at a time.
const FILE_CHUNK: usize = 256 * 1024;

/// Sends `req` with the body `prefix`, the first `file_len` bytes of `file`, then `suffix`,
/// on a connection of its own, the file read a piece at a time; returns the (small, JSON)
/// response. Each step (connecting, each write, each read) must progress within `idle`.
pub(crate) async fn send_file_body(
    path: &Path,
    idle: Duration,
    req: &RawRequest,
    prefix: &[u8],
    (file, file_path, file_len): (&mut tokio::fs::File, &Path, u64),
    suffix: &[u8],
) -> Result<RawResponse, Error> {
    let total = prefix.len() as u64 + file_len + suffix.len() as u64;
    let head = http1::encode_streamed_head(req, total)?;
    let mut stream = connect::connect(path, idle).await?;
    let timed_out = || Error::Timeout {
        phase: TimeoutPhase::Response,
        after: idle,
    };
    let mut first = head;
    first.extend_from_slice(prefix);
    write_within(&mut stream, &first, idle, false).await?;
    let mut left = file_len;
    let mut buf = vec![0u8; FILE_CHUNK];
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(FILE_CHUNK).min(FILE_CHUNK);
        let n = file
            .read(&mut buf[..want])
            .await
            .map_err(|source| Error::LocalFile {
                op: crate::error::LocalOp::Read,
                path: file_path.into(),
                source,
            })?;
        if n == 0 {
            return Err(Error::LocalFile {
                op: crate::error::LocalOp::Read,
                path: file_path.into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file got shorter while it was sent",
                ),
            });
        }
        write_within(&mut stream, &buf[..n], idle, true).await?;
        left -= n as u64;
    }
    write_within(&mut stream, suffix, idle, true).await?;
    let mut reader = ResponseReader::default();
    loop {
        let read = tokio::time::timeout(idle, stream.read_buf(reader.buffer()))
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| read_failed(&e))?;
        if let Some(done) = reader.advance(read == 0)? {
            return Ok(done.response);
        }
    }
}

/// Writes `bytes` within `idle`; `sent` says whether the request may already be acted on.
async fn write_within(
    stream: &mut UnixStream,
    bytes: &[u8],
    idle: Duration,
    sent: bool,
) -> Result<(), Error> {
    match tokio::time::timeout(idle, stream.write_all(bytes)).await {
        Ok(r) => r.map_err(|e| write_failed(sent, &e)),
        Err(_) => Err(Error::Timeout {
            phase: TimeoutPhase::Response,
            after: idle,
        }),
    }
}

/// Opens a connection of its own for `req` and writes the request, for a response read as it
/// comes (a followed log): the connect and the write are bounded by `budget`.
pub(crate) async fn open_stream(
    path: &Path,
    budget: Duration,
    req: &RawRequest,
) -> Result<UnixStream, Error> {
    let (head, body_follows) = http1::encode_request(req)?;
    let end = tokio::time::Instant::now() + budget;
    let mut stream = connect::connect(path, budget).await?;
    let write = async {
        stream
            .write_all(&head)
            .await
            .map_err(|e| write_failed(false, &e))?;
        if body_follows {
            stream
                .write_all(&req.body)
                .await
                .map_err(|e| write_failed(true, &e))?;
        }
        Ok::<(), Error>(())
    };
    match tokio::time::timeout_at(end, write).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(Error::Timeout {
                phase: TimeoutPhase::Response,
                after: budget,
            });
        }
    }
    Ok(stream)
}

async fn exchange(
    mut stream: UnixStream,
    head: &[u8],
    body: Option<&[u8]>,
    max_body: usize,
) -> Result<(Complete, UnixStream), Error> {
    // A request that was not written whole cannot have been acted on.
    stream
        .write_all(head)
        .await
        .map_err(|e| write_failed(false, &e))?;
    if let Some(body) = body {
        stream
            .write_all(body)
            .await
            .map_err(|e| write_failed(true, &e))?;
    }
    let mut reader = ResponseReader::with_limit(max_body);
    loop {
        let n = stream
            .read_buf(reader.buffer())
            .await
            .map_err(|e| read_failed(&e))?;
        if let Some(done) = reader.advance(n == 0)? {
            return Ok((done, stream));
        }
    }
}
