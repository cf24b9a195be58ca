//! The blocking client's connection: a plain unix socket, one `write` and (for Pebble's
//! short answers) one `read` per request, bounded by socket timeouts that track the
//! request's deadline.

use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use super::http1::{self, Complete, ResponseReader};
use super::{PollMark, RawRequest, RawResponse, connect, read_failed, write_failed};
use crate::error::{Error, TimeoutPhase};

/// A socket timeout this much longer than the time left is lowered before the next read or
/// write; a shorter one is raised when it expires early. Most requests change neither.
const SLACK: Duration = Duration::from_millis(50);

/// Sends `req` on the kept connection (or a new one) and reads the whole response, connect
/// and exchange together within `budget` plus the request's extra (long-poll) time.
pub(super) fn send(
    slot: &Mutex<Option<Connection>>,
    polling: &AtomicBool,
    path: &Path,
    budget: Duration,
    req: &RawRequest,
) -> Result<RawResponse, Error> {
    let (head, body_follows) = http1::encode_request(req)?;
    let limit = budget + req.extra_timeout;
    let deadline = Deadline {
        at: Instant::now() + limit,
        limit,
    };
    // The kept connection; a connection of this call's own (closed after it) when a long
    // poll on another thread holds the kept one, or when this is a long poll and the kept
    // one is busy. A panic elsewhere while holding the lock leaves at worst a connection in
    // an unknown state, and a kept connection is checked before use.
    let poll = !req.extra_timeout.is_zero();
    let mut kept = match slot.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(TryLockError::WouldBlock) if poll || polling.load(Ordering::SeqCst) => None,
        Err(TryLockError::WouldBlock) => Some(slot.lock().unwrap_or_else(PoisonError::into_inner)),
    };
    let _mark = PollMark::new(polling, poll && kept.is_some());
    let mut conn = match kept.as_mut().and_then(|k| k.take()) {
        Some(c) if connect::still_open(&c.stream) => c,
        _ => Connection::open(path, budget)?,
    };
    let done = conn.exchange(
        &head,
        body_follows.then_some(&req.body[..]),
        req.max_body,
        &deadline,
    )?;
    if let Some(kept) = kept.as_mut().filter(|_| done.reusable) {
        **kept = Some(conn);
    }
    Ok(done.response)
}

/// When the request must be answered by.
struct Deadline {
    at: Instant,
    /// The limit as given, for the error.
    limit: Duration,
}

impl Deadline {
    /// The time left, or the timeout error once none is.
    fn left(&self) -> Result<Duration, Error> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(Error::Timeout {
                phase: TimeoutPhase::Response,
                after: self.limit,
            })
        } else {
            Ok(left)
        }
    }
}

/// A connected socket and the timeouts set on it.
#[derive(Debug)]
pub(super) struct Connection {
    stream: UnixStream,
    read_timeout: Duration,
    write_timeout: Duration,
}

impl Connection {
    /// Connects to `path` within `timeout`.
    fn open(path: &Path, timeout: Duration) -> Result<Self, Error> {
        let stream = connect_within(path, timeout)?;
        let configure = || {
            stream.set_nonblocking(false)?;
            stream.set_read_timeout(Some(timeout))?;
            stream.set_write_timeout(Some(timeout))
        };
        configure().map_err(|e| connect::classify(path, e))?;
        Ok(Self {
            stream,
            read_timeout: timeout,
            write_timeout: timeout,
        })
    }

    fn exchange(
        &mut self,
        head: &[u8],
        body: Option<&[u8]>,
        max_body: usize,
        deadline: &Deadline,
    ) -> Result<Complete, Error> {
        // A request that was not written whole cannot have been acted on.
        self.write_all(head, deadline)
            .map_err(|e| e.into_error(false))?;
        if let Some(body) = body {
            self.write_all(body, deadline)
                .map_err(|e| e.into_error(true))?;
        }
        let mut reader = ResponseReader::with_limit(max_body);
        loop {
            let left = deadline.left()?;
            if self.read_timeout > left + SLACK {
                self.set_read_timeout(left)?;
            }
            // Into the buffer's spare capacity: nothing is zeroed before the read.
            let read = rustix::io::read(
                &self.stream,
                rustix::buffer::spare_capacity(reader.buffer()),
            )
            .map_err(io::Error::from);
            match read {
                Ok(n) => {
                    if let Some(done) = reader.advance(n == 0)? {
                        return Ok(done);
                    }
                }
                Err(e) if is_timeout(&e) => {
                    // The socket's timeout was shorter than the time left (a long poll).
                    let left = deadline.left()?;
                    self.set_read_timeout(left)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_failed(&e)),
            }
        }
    }

    fn write_all(&mut self, mut bytes: &[u8], deadline: &Deadline) -> Result<(), WriteError> {
        while !bytes.is_empty() {
            let left = deadline.left().map_err(WriteError::Done)?;
            if self.write_timeout > left + SLACK {
                self.set_write_timeout(left).map_err(WriteError::Done)?;
            }
            match self.stream.write(bytes) {
                Ok(0) => {
                    return Err(WriteError::Io(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "Pebble stopped reading the request",
                    )));
                }
                Ok(n) => bytes = &bytes[n..],
                Err(e) if is_timeout(&e) => {
                    let left = deadline.left().map_err(WriteError::Done)?;
                    self.set_write_timeout(left).map_err(WriteError::Done)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WriteError::Io(e)),
            }
        }
        Ok(())
    }

    fn set_read_timeout(&mut self, to: Duration) -> Result<(), Error> {
        self.stream
            .set_read_timeout(Some(to))
            .map_err(|e| read_failed(&e))?;
        self.read_timeout = to;
        Ok(())
    }

    fn set_write_timeout(&mut self, to: Duration) -> Result<(), Error> {
        self.stream
            .set_write_timeout(Some(to))
            .map_err(|e| write_failed(true, &e))?;
        self.write_timeout = to;
        Ok(())
    }
}

/// Why a write stopped.
enum WriteError {
    /// The deadline passed (or the socket could not be configured): already the error.
    Done(Error),
    /// The socket failed.
    Io(io::Error),
}

impl WriteError {
    fn into_error(self, sent: bool) -> Error {
        match self {
            WriteError::Done(e) => e,
            WriteError::Io(e) => write_failed(sent, &e),
        }
    }
}

/// A socket timeout expiring shows as `WouldBlock` (or `TimedOut`).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Connects without blocking: a unix socket whose listener's backlog is full answers
/// `EAGAIN` rather than waiting, so try again every millisecond until `timeout`.
fn connect_within(path: &Path, timeout: Duration) -> Result<UnixStream, Error> {
    use rustix::io::Errno;
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let to_error = |e: Errno| connect::classify(path, io::Error::from(e));
    let addr = SocketAddrUnix::new(path).map_err(to_error)?;
    let socket = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )
    .map_err(to_error)?;
    let give_up = Instant::now() + timeout;
    loop {
        match rustix::net::connect(&socket, &addr) {
            Ok(()) => return Ok(UnixStream::from(socket)),
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) if Instant::now() < give_up => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(Errno::AGAIN) => {
                return Err(Error::Timeout {
                    phase: TimeoutPhase::Connect,
                    after: timeout,
                });
            }
            Err(e) => return Err(to_error(e)),
        }
    }
}
