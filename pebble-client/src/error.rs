//! The client's one error type: what failed, with what, and what to do.
//!
//! Variants are distinct so callers (and the retry loop) can tell a missing socket from a
//! refused connection, a timeout, an API error, a failed change, a garbled response and a
//! per-path file error. Large payloads are boxed so `Result<T, Error>` stays small.
//!
//! # Example
//! ```
//! use pebble_client::Error;
//! let e = Error::SocketNotFound { path: "/charm/containers/web/pebble.socket".into() };
//! assert!(e.is_connect());
//! assert!(e.to_string().contains("container may have restarted"));
//! ```

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::types::{Change, FileErrorKind};

/// Everything a Pebble call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No socket file at the path.
    #[error(
        "cannot connect to Pebble: socket not found at {} — the container may have restarted, or Pebble is not up yet; retry later (e.g. defer the event)",
        path.display()
    )]
    SocketNotFound {
        /// The socket path.
        path: PathBuf,
    },
    /// The socket exists but nothing accepts connections (Pebble is starting or stopping).
    #[error(
        "cannot connect to Pebble at {}: connection refused — Pebble is not accepting connections yet; retry later",
        path.display()
    )]
    ConnectionRefused {
        /// The socket path.
        path: PathBuf,
    },
    /// Connecting failed for another reason (e.g. permission denied on the socket).
    #[error("cannot connect to Pebble at {}: {source}; check the socket path and its permissions", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The connection broke. `sent` says whether the request may have reached Pebble.
    #[error(
        "connection to Pebble was reset {}: {detail}; {}",
        if *sent { "after the request was sent" } else { "before the request was sent" },
        if *sent { "the request may or may not have been applied" } else { "the request was not applied; retry" }
    )]
    ConnectionReset {
        /// Whether the request had been (possibly partly) written.
        sent: bool,
        /// What the transport reported.
        detail: String,
    },
    /// A time limit was reached.
    #[error("timed out {phase} after {after:?}; {}", phase.advice())]
    Timeout {
        /// What was being waited for.
        phase: TimeoutPhase,
        /// The limit that was reached.
        after: Duration,
    },
    /// Pebble answered with an error.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A change finished in error.
    #[error("{0}")]
    Change(Box<ChangeError>),
    /// The response is not what Pebble sends (not its JSON envelope, wrong content type, a
    /// malformed multipart body, a result of the wrong shape).
    #[error(
        "unexpected response from Pebble: {detail}; is the socket really Pebble's, and is Pebble recent enough?"
    )]
    Protocol {
        /// What was wrong with it.
        detail: String,
    },
    /// Pebble's response was larger than the client buffers for this call (the body is
    /// dropped as soon as the excess is announced or received).
    #[error(
        "Pebble's response{} is larger than the {limit} bytes the client buffers for this call; files that large must be pulled with pull_path, which streams them to disk; a JSON answer that large means the socket is not answering as Pebble does",
        announced.map(|n| format!(" (announced: {n} bytes)")).unwrap_or_default()
    )]
    ResponseTooLarge {
        /// The most body bytes the call buffers.
        limit: u64,
        /// The size the response announced, when it did (`Content-Length`, chunk sizes).
        announced: Option<u64>,
    },
    /// A local file could not be read or written (a streamed push or pull).
    #[error("cannot {op} local file {}: {source}; check the path and its permissions", path.display())]
    LocalFile {
        /// What was being done.
        op: LocalOp,
        /// The local path.
        path: Box<std::path::Path>,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file operation failed for one path.
    #[error("{0}")]
    Path(Box<PathError>),
    /// A request the client refuses to send (it would fail server-side).
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A command run with [`Client::exec`](crate::Client::exec) exited with a non-zero code;
    /// the error carries the command, the exit code and the captured output.
    #[error("{0}")]
    Exec(Box<crate::exec::ExecError>),
    /// An exec websocket broke or closed too early (the command may still be running; its
    /// change tells how it ended).
    #[error(
        "exec websocket {websocket:?} failed: {detail}; check the change for the command's outcome"
    )]
    Websocket {
        /// `control`, `stdio` or `stderr`.
        websocket: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// The blocking client was used from inside an async runtime.
    #[error(
        "the blocking Pebble client cannot be used inside an async runtime; use pebble_client::Client (async) there, or call from a plain thread"
    )]
    BlockingInRuntime,
}

/// What was being done to a local file when [`Error::LocalFile`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LocalOp {
    /// Opening it to send it.
    Open,
    /// Reading it.
    Read,
    /// Creating it (or a directory).
    Create,
    /// Writing it.
    Write,
    /// Moving the received file into place.
    Replace,
}

impl std::fmt::Display for LocalOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Open => "open",
            Self::Read => "read",
            Self::Create => "create",
            Self::Write => "write",
            Self::Replace => "replace",
        })
    }
}

/// What a [`Error::Timeout`] was waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Connecting to the socket (nothing sent).
    Connect,
    /// Waiting for the response after the request was sent.
    Response,
    /// Waiting for a change to become ready (`wait_change`).
    WaitChange,
    /// Opening an exec websocket (Pebble withheld or stalled the upgrade).
    WebsocketConnect,
    /// Waiting for an exec'd command's output or exit, past its timeout plus a margin.
    Exec,
}

impl TimeoutPhase {
    fn advice(self) -> &'static str {
        match self {
            Self::Connect => "Pebble may be overloaded or restarting; retry later",
            Self::Response => {
                "the request may or may not have been applied; raise the client timeout if Pebble is just slow"
            }
            Self::WaitChange => {
                "the change is still running; wait again with a longer timeout or check its status"
            }
            Self::WebsocketConnect => {
                "Pebble did not open the exec websocket; the command's change fails by itself after Pebble's 5 s connect window"
            }
            Self::Exec => {
                "Pebble stopped sending the command's output or exit status; the command may still be running (check its change)"
            }
        }
    }
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connecting to Pebble",
            Self::Response => "waiting for Pebble's response",
            Self::WaitChange => "waiting for the change",
            Self::WebsocketConnect => "opening an exec websocket",
            Self::Exec => "waiting for the exec'd command",
        })
    }
}

/// An error response: Pebble's `{"type":"error", …}` envelope.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Pebble API error {status_code} {status}{}: {message}", kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default())]
pub struct ApiError {
    /// HTTP status code, e.g. 400.
    pub status_code: u16,
    /// Status text, e.g. `Bad Request`.
    pub status: String,
    /// Pebble's error kind (`not-found`, `permission-denied`, `login-required`, …).
    pub kind: Option<String>,
    /// Pebble's message.
    pub message: String,
    /// Extra error value, when Pebble sends one.
    pub value: Option<serde_json::Value>,
    /// The envelope's `maintenance` (a pending daemon or system restart).
    pub maintenance: Option<Maintenance>,
}

/// A pending restart announced in a response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Maintenance {
    /// `daemon-restart` or `system-restart`.
    #[serde(default)]
    pub kind: String,
    /// Human message.
    #[serde(default)]
    pub message: String,
}

/// A change that finished in error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("change {} ({}) failed: {message}", change.id, change.summary)]
pub struct ChangeError {
    /// The change's error plus the logs of its failing tasks.
    pub message: String,
    /// The change as it ended.
    pub change: Change,
}

impl ChangeError {
    /// Builds the error from a failed change.
    pub fn new(change: Change) -> Self {
        let mut message = change
            .err
            .clone()
            .unwrap_or_else(|| format!("status {}", change.status));
        message.push_str(&change.failed_task_logs());
        Self { message, change }
    }
}

/// A per-path file error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} for {path}: {message}")]
pub struct PathError {
    /// `not-found`, `permission-denied` or `generic-file-error`.
    pub kind: FileErrorKind,
    /// The path.
    pub path: String,
    /// Pebble's message.
    pub message: String,
}

impl Error {
    /// A protocol error.
    pub(crate) fn protocol(detail: impl Into<String>) -> Self {
        Self::Protocol {
            detail: detail.into(),
        }
    }

    /// Whether connecting failed (nothing reached Pebble): socket missing, refused, other
    /// connect error, reset before sending, or a connect timeout.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Self::SocketNotFound { .. }
                | Self::ConnectionRefused { .. }
                | Self::Connect { .. }
                | Self::ConnectionReset { sent: false, .. }
                | Self::Timeout {
                    phase: TimeoutPhase::Connect,
                    ..
                }
        )
    }

    /// Whether a time limit was reached.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The API error, when Pebble answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn api_status(&self) -> Option<u16> {
        self.api().map(|e| e.status_code)
    }

    /// The kind of an API error (`not-found`, …).
    pub fn api_kind(&self) -> Option<&str> {
        self.api().and_then(|e| e.kind.as_deref())
    }

    /// The failed change, for a change error.
    pub fn change(&self) -> Option<&Change> {
        match self {
            Self::Change(e) => Some(&e.change),
            _ => None,
        }
    }

    /// The executable Pebble could not find, when an exec was refused for that (Pebble's
    /// `400 cannot find executable "x"`).
    pub fn missing_executable(&self) -> Option<&str> {
        let api = self.api().filter(|a| a.status_code == 400)?;
        let rest = api.message.strip_prefix("cannot find executable ")?;
        Some(rest.trim_matches('"'))
    }

    /// Whether Pebble killed an exec'd command at its timeout: its change failed with exit
    /// code -1 in the task data and a "timed out" log, as Pebble records it.
    pub fn is_exec_timeout(&self) -> bool {
        let Some(task) = self.change().and_then(|c| c.tasks.first()) else {
            return false;
        };
        let killed = task
            .data
            .get("exit-code")
            .and_then(serde_json::Value::as_i64)
            == Some(-1);
        killed && task.log.iter().any(|l| l.contains("timed out"))
    }

    /// The exec error, for a command that exited with a non-zero code.
    pub fn exec_error(&self) -> Option<&crate::exec::ExecError> {
        match self {
            Self::Exec(e) => Some(e),
            _ => None,
        }
    }

    /// The per-path error, for a file error.
    pub fn path_error(&self) -> Option<&PathError> {
        match self {
            Self::Path(e) => Some(e),
            _ => None,
        }
    }

    /// Whether Pebble reported a pending daemon or system restart with this error.
    pub fn is_maintenance(&self) -> bool {
        self.api().is_some_and(|e| {
            e.maintenance.is_some()
                || matches!(e.kind.as_deref(), Some("daemon-restart" | "system-restart"))
        })
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

impl From<ChangeError> for Error {
    fn from(e: ChangeError) -> Self {
        Self::Change(Box::new(e))
    }
}

impl From<crate::exec::ExecError> for Error {
    fn from(e: crate::exec::ExecError) -> Self {
        Self::Exec(Box::new(e))
    }
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Self {
        Self::Path(Box::new(e))
    }
}

/// Permissions that do not fit in 3 octal digits: the request is refused before it is sent.
impl From<crate::types::PermissionsError> for Error {
    fn from(e: crate::types::PermissionsError) -> Self {
        Self::InvalidArgument {
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_small() {
        // Boxed payloads keep Result<T, Error> cheap to move.
        assert!(
            std::mem::size_of::<Error>() <= 40,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    fn api(status: u16, message: &str) -> Error {
        Error::from(ApiError {
            status_code: status,
            status: "Bad Request".into(),
            kind: None,
            message: message.into(),
            value: None,
            maintenance: None,
        })
    }

    #[test]
    fn missing_executable_needs_the_400_and_its_message() {
        assert_eq!(
            api(400, "cannot find executable \"x y\"").missing_executable(),
            Some("x y")
        );
        assert_eq!(
            api(500, "cannot find executable \"x\"").missing_executable(),
            None
        );
        assert_eq!(api(400, "something else").missing_executable(), None);
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = Error::from(ApiError {
            status_code: 404,
            status: "Not Found".into(),
            kind: Some("not-found".into()),
            message: "cannot find change with id \"9\"".into(),
            value: None,
            maintenance: None,
        });
        assert_eq!(
            e.to_string(),
            "Pebble API error 404 Not Found (not-found): cannot find change with id \"9\""
        );
        assert_eq!(e.api_status(), Some(404));
        assert_eq!(e.api_kind(), Some("not-found"));
        assert!(!e.is_connect() && !e.is_maintenance());
        let r = Error::ConnectionReset {
            sent: true,
            detail: "EOF".into(),
        };
        assert!(r.to_string().contains("may or may not"));
        assert!(!r.is_connect());
    }

    fn _assert_send_sync() {
        fn is<T: Send + Sync + 'static>() {}
        is::<Error>();
    }
}
